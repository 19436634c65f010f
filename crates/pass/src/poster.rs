//! A venue's printable A4 poster: its signed check-in code ([`crate::venue_code`]) as a QR
//! code, with the venue's name and short instructions in Simplified Chinese and English, as
//! one SVG document (millimetre units) to print or turn into a PDF.
//!
//! Text is set in the system's fonts (a list that reaches a CJK font on every common system,
//! ending in `sans-serif`), so the document stays small. SVG does not wrap text, so long venue
//! names are wrapped and shrunk here from an estimate of glyph widths, and any other line
//! estimated too wide (a long region name in the footer) is set smaller to fit; not squeezed
//! with `textLength`, which some renderers ignore. Every text put in the document is
//! escaped: venue names are user input. The poster shows nothing the code does not say: the
//! code, not the print, is what a phone trusts.

use std::fmt::Write;

use crate::qr::{self, QrError};

const PAGE_WIDTH: f64 = 210.0;
const PAGE_HEIGHT: f64 = 297.0;
const MARGIN: f64 = 15.0;
const TEXT_WIDTH: f64 = PAGE_WIDTH - 2.0 * MARGIN;
const CENTRE: f64 = PAGE_WIDTH / 2.0;

/// The QR code's side, quiet zone included: large enough to scan from an arm's length.
const QR_SIDE: f64 = 120.0;
const QR_TOP: f64 = 98.0;
/// The quiet zone of a QR code, in modules, as the standard asks.
const QUIET_ZONE_MODULES: usize = 4;

/// The band the venue's name is set in, however many lines it takes.
const NAME_TOP: f64 = 54.0;
const NAME_HEIGHT: f64 = 30.0;
/// Font sizes tried for the name, largest first; the first at which it fits the band is used.
const NAME_SIZES: [f64; 5] = [14.0, 12.0, 10.0, 8.5, 7.0];
const LINE_SPACING: f64 = 1.2;

const FONT_FAMILY: &str = "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', \
    'Microsoft YaHei', 'WenQuanYi Micro Hei', sans-serif";
const GREEN: &str = "#0a7d45";
const GREY: &str = "#555555";

/// What a poster shows. `code` is the venue code's text ([`crate::VenueCode::sign`]); the other
/// fields are printed as given.
#[derive(Clone, Copy, Debug)]
pub struct Poster<'a> {
    pub venue_name: &'a str,
    pub district: &'a str,
    /// The region whose anchor signed the code.
    pub issuer: &'a str,
    pub venue_id: &'a str,
    pub code: &'a str,
}

/// The poster as an A4 SVG document; fails only when the code is too long for a QR code.
pub fn a4_svg(poster: &Poster) -> Result<String, QrError> {
    let (modules, width) = qr::svg_modules(poster.code)?;
    let name = one_line(poster.venue_name);
    let mut svg = String::new();
    let mut out = |text: String| svg.push_str(&text);

    out(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"210mm\" height=\"297mm\" \
         viewBox=\"0 0 210 297\" xml:lang=\"zh-Hans\" font-family=\"{FONT_FAMILY}\">\n\
         <title>扫码登记 Scan to check in: {}</title>\n\
         <rect width=\"{PAGE_WIDTH}\" height=\"{PAGE_HEIGHT}\" fill=\"#ffffff\"/>\n",
        escape(&name)
    ));

    // The heading, on a green band.
    out(format!(
        "<rect x=\"10\" y=\"10\" width=\"190\" height=\"38\" rx=\"4\" fill=\"{GREEN}\"/>\n"
    ));
    out(Line::new("扫码登记", 15.0, 31.0)
        .bold()
        .fill("#ffffff")
        .svg());
    out(Line::new("Scan to check in", 8.0, 42.5)
        .english()
        .fill("#ffffff")
        .svg());

    // The venue's name, as large as it fits, and its district.
    let (size, lines) = name_layout(&name);
    let line_height = size * LINE_SPACING;
    let top = NAME_TOP + (NAME_HEIGHT - line_height * lines.len() as f64) / 2.0;
    for (index, line) in lines.iter().enumerate() {
        // A line's ink is centred about 0.38 em above its baseline.
        let baseline = top + line_height * (index as f64 + 0.5) + 0.38 * size;
        out(Line::new(line, size, baseline).bold().svg());
    }
    out(Line::new(
        &format!("所在区县 District: {}", one_line(poster.district)),
        5.0,
        92.0,
    )
    .fill(GREY)
    .svg());

    // The QR code, its quiet zone kept white inside a light frame.
    let left = CENTRE - QR_SIDE / 2.0;
    let module = QR_SIDE / (width + 2 * QUIET_ZONE_MODULES) as f64;
    out(format!(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\" fill=\"#ffffff\" \
         stroke=\"#bbbbbb\" stroke-width=\"0.5\"/>\n\
         <rect x=\"{left}\" y=\"{QR_TOP}\" width=\"{QR_SIDE}\" height=\"{QR_SIDE}\" fill=\"#ffffff\"/>\n\
         <path transform=\"translate({left} {QR_TOP}) scale({module:.5}) \
         translate({QUIET_ZONE_MODULES} {QUIET_ZONE_MODULES})\" shape-rendering=\"crispEdges\" \
         fill=\"#000000\" d=\"{modules}\"/>\n",
        left - 2.0,
        QR_TOP - 2.0,
        QR_SIDE + 4.0,
        QR_SIDE + 4.0,
    ));

    // What to do, and why.
    out(Line::new("到达时，请用手机打开健康码，扫描此码登记。", 5.0, 231.0).svg());
    out(Line::new(
        "系统会记录您的到访；如这里有人患病，您会及时收到通知。",
        5.0,
        238.5,
    )
    .svg());
    out(Line::new(
        "Open healthcode on your phone and scan this code when you arrive.",
        4.2,
        247.0,
    )
    .english()
    .svg());
    out(Line::new(
        "Your visit is recorded so that you can be told if someone here falls ill.",
        4.2,
        253.0,
    )
    .english()
    .svg());

    // Who signed the code, and what to do if a phone refuses it.
    let issuer = one_line(poster.issuer);
    out(format!(
        "<line x1=\"{MARGIN}\" y1=\"261\" x2=\"{}\" y2=\"261\" stroke=\"#bbbbbb\" \
         stroke-width=\"0.3\"/>\n",
        PAGE_WIDTH - MARGIN
    ));
    let footer = [
        format!(
            "签发地区 Region: {issuer}\u{2002}·\u{2002}场所编号 Venue ID: {}",
            one_line(poster.venue_id)
        ),
        format!(
            "Signed by region {issuer}. If your phone says this code is not valid, tell the staff."
        ),
        format!("本码由地区 {issuer} 签发。如手机提示此码无效，请告知工作人员。"),
    ];
    for (index, text) in footer.iter().enumerate() {
        out(Line::new(text, 3.4, 268.0 + 6.0 * index as f64)
            .fill(GREY)
            .svg());
    }

    svg.push_str("</svg>\n");
    Ok(svg)
}

/// One centred line of text.
struct Line<'a> {
    text: &'a str,
    size: f64,
    baseline: f64,
    bold: bool,
    english: bool,
    fill: &'a str,
}

impl<'a> Line<'a> {
    fn new(text: &'a str, size: f64, baseline: f64) -> Line<'a> {
        Line {
            text,
            size,
            baseline,
            bold: false,
            english: false,
            fill: "#000000",
        }
    }

    fn bold(self) -> Line<'a> {
        Line { bold: true, ..self }
    }

    fn english(self) -> Line<'a> {
        Line {
            english: true,
            ..self
        }
    }

    fn fill(self, fill: &'a str) -> Line<'a> {
        Line { fill, ..self }
    }

    fn svg(&self) -> String {
        // The estimate is rough: a line it finds too wide is set smaller, never one larger.
        let fitting = TEXT_WIDTH / em_width(self.text);
        let size = if fitting < self.size {
            (fitting * 100.0).floor() / 100.0
        } else {
            self.size
        };
        let mut element = format!(
            "<text x=\"{CENTRE}\" y=\"{:.2}\" font-size=\"{size}\" text-anchor=\"middle\" fill=\"{}\"",
            self.baseline, self.fill
        );
        if self.bold {
            element.push_str(" font-weight=\"bold\"");
        }
        if self.english {
            element.push_str(" xml:lang=\"en\"");
        }
        let _ = writeln!(element, ">{}</text>", escape(self.text));
        element
    }
}

/// The font size of a venue's name and its lines: the largest size at which it fits the name's
/// band, wrapped to the page's width; at the smallest size, what does not fit is cut short.
fn name_layout(name: &str) -> (f64, Vec<String>) {
    for size in NAME_SIZES {
        let lines = wrap(name, TEXT_WIDTH / size);
        if lines.len() <= lines_that_fit(size) {
            return (size, lines);
        }
    }
    let size = NAME_SIZES[NAME_SIZES.len() - 1];
    let max_em = TEXT_WIDTH / size;
    let mut lines = wrap(name, max_em);
    lines.truncate(lines_that_fit(size));
    if let Some(last) = lines.last_mut() {
        while !last.is_empty() && em_width(last) + 1.0 > max_em {
            last.pop();
        }
        *last = format!("{}…", last.trim_end());
    }
    (size, lines)
}

fn lines_that_fit(size: f64) -> usize {
    ((NAME_HEIGHT / (size * LINE_SPACING)) as usize).max(1)
}

/// `text` broken into lines at most `max_em` wide: at spaces, around CJK characters, and
/// inside a word only when the word alone is too wide.
fn wrap(text: &str, max_em: f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in words(text) {
        let pieces: Vec<String> = if em_width(word.trim_end()) > max_em {
            word.chars().map(String::from).collect()
        } else {
            vec![word.to_owned()]
        };
        for piece in pieces {
            if !line.is_empty() && em_width(&line) + em_width(piece.trim_end()) > max_em {
                lines.push(line.trim_end().to_owned());
                line.clear();
            }
            line.push_str(if line.is_empty() {
                piece.trim_start()
            } else {
                &piece
            });
        }
    }
    if !line.trim().is_empty() {
        lines.push(line.trim_end().to_owned());
    }
    lines
}

/// The places a line may break: after the spaces that follow a word, and on either side of a
/// wide (CJK) character. Each word keeps its trailing spaces.
fn words(text: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = 0;
    let mut previous: Option<char> = None;
    for (at, character) in text.char_indices() {
        if let Some(previous) = previous {
            let breaks = (previous == ' ' && character != ' ')
                || (is_wide(character) && previous != ' ')
                || (is_wide(previous) && character != ' ');
            if breaks {
                words.push(&text[start..at]);
                start = at;
            }
        }
        previous = Some(character);
    }
    if start < text.len() {
        words.push(&text[start..]);
    }
    words
}

/// An estimate of the width of `text` in ems, on the wide side for Latin letters in bold.
fn em_width(text: &str) -> f64 {
    text.chars()
        .map(|character| match character {
            _ if is_wide(character) => 1.0,
            ' ' => 0.3,
            'A'..='Z' | 'm' | 'w' | '@' | '%' | '&' => 0.78,
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' => 0.3,
            _ => 0.6,
        })
        .sum()
}

/// Whether `character` is set a full em wide: CJK ideographs, kana, Hangul, full-width forms
/// and emoji.
fn is_wide(character: char) -> bool {
    matches!(character,
        '\u{1100}'..='\u{115F}'
        | '\u{2E80}'..='\u{A4CF}'
        | '\u{AC00}'..='\u{D7A3}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FE30}'..='\u{FE4F}'
        | '\u{FF00}'..='\u{FF60}'
        | '\u{FFE0}'..='\u{FFE6}'
        | '\u{1F300}'..='\u{1FAFF}'
        | '\u{20000}'..='\u{3FFFD}')
}

/// `text` on one line: control characters and runs of white space become single spaces.
fn one_line(text: &str) -> String {
    text.split(|character: char| character.is_whitespace() || character.is_control())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` as XML character data or attribute value: the five special characters escaped and
/// characters XML cannot hold at all (most control characters) left out.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' => {
                escaped.push(character);
            }
            '\u{10000}'.. => escaped.push(character),
            _ => {}
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_characters_are_escaped_and_those_xml_cannot_hold_are_left_out() {
        assert_eq!(
            escape("Tom & Jerry's <Café> \"1\"\u{1}\u{FFFF}😷"),
            "Tom &amp; Jerry&apos;s &lt;Café&gt; &quot;1&quot;😷"
        );
        assert_eq!(one_line(" a\n\tb \u{7}c "), "a b c");
    }

    #[test]
    fn only_a_line_estimated_too_wide_for_the_page_is_set_smaller() {
        let poster = |issuer| Poster {
            venue_name: "老王面馆",
            district: "330102",
            issuer,
            venue_id: "0194f3a2-7c1e-7b4d-9a55-3c2e1f0d8b61",
            code: "HCVENUE1:ABC",
        };
        let footer_sizes = |svg: &str| -> Vec<f64> {
            svg.lines()
                .filter(|line| line.contains("region") || line.contains("地区"))
                .map(|line| {
                    let size = line.split("font-size=\"").nth(1).unwrap();
                    size[..size.find('"').unwrap()].parse().unwrap()
                })
                .collect()
        };
        let svg = a4_svg(&poster("330100")).unwrap();
        assert_eq!(footer_sizes(&svg), [3.4; 3]);
        let long_issuer = "region-with-a-very-long-name-of-sixty-four-characters-0123456789";
        let sizes = footer_sizes(&a4_svg(&poster(long_issuer)).unwrap());
        assert_eq!(sizes.len(), 3);
        assert!(
            sizes.iter().all(|size| (2.0..3.4).contains(size)),
            "{sizes:?}"
        );
    }

    #[test]
    fn a_short_name_is_one_large_line() {
        assert_eq!(name_layout("老王面馆"), (14.0, vec!["老王面馆".to_owned()]));
    }

    #[test]
    fn a_long_name_is_wrapped_at_spaces_or_between_cjk_characters_and_shrunk_to_fit() {
        let latin = "The Grand Riverside International Exhibition and Convention Centre";
        let (size, lines) = name_layout(latin);
        assert!(size < 14.0 && lines.len() > 1, "{size} {lines:?}");
        assert_eq!(lines.join(" "), latin);
        let chinese = "杭州市西湖区文三路社区卫生服务中心第二门诊部发热门诊候诊区";
        let (size, lines) = name_layout(chinese);
        assert!(lines.len() > 1, "{size} {lines:?}");
        assert_eq!(lines.concat(), chinese);
        for (size, lines) in [name_layout(latin), name_layout(chinese)] {
            assert!(lines.len() <= lines_that_fit(size));
            for line in lines {
                assert!(em_width(&line) * size <= TEXT_WIDTH, "{line}");
            }
        }
    }

    #[test]
    fn a_name_too_long_for_the_band_at_the_smallest_size_is_cut_short_visibly() {
        let name = "长".repeat(200);
        let (size, lines) = name_layout(&name);
        assert_eq!(size, 7.0);
        assert_eq!(lines.len(), lines_that_fit(7.0));
        assert!(lines.last().unwrap().ends_with('…'));
        for line in &lines {
            assert!(em_width(line) * size <= TEXT_WIDTH, "{line}");
        }
        let unbroken = "x".repeat(500);
        let (_, lines) = name_layout(&unbroken);
        assert!(lines.iter().all(|line| em_width(line) * 7.0 <= TEXT_WIDTH));
    }
}
