//! Bar charts as SVG, drawn on the server: no script, no chart library. Each chart carries a
//! `<title>` and `<desc>` for screen readers, and every page that shows one also gives its
//! numbers as a table.
//!
//! Colours are SVG presentation attributes (`fill="…"`), which the Content Security Policy
//! allows, unlike `style` attributes.

use std::fmt::Write as _;

/// One series of a chart: its name (already translated), its fill, its values.
pub(super) struct Series<'a> {
    pub name: &'a str,
    pub fill: &'a str,
    pub values: Vec<u64>,
}

pub(super) const GREEN: &str = "#13773a";
pub(super) const YELLOW: &str = "#e0a800";
pub(super) const RED: &str = "#b3261e";
pub(super) const BLUE: &str = "#0b5cad";
pub(super) const GREY: &str = "#6b7785";

const WIDTH: u32 = 480;
const HEIGHT: u32 = 250;
const LEFT: u32 = 40;
const RIGHT: u32 = 8;
const TOP: u32 = 12;
const BOTTOM: u32 = 62;

/// Escapes text for SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// About how wide `text` is at 14 pixels: Chinese characters are twice as wide as Latin ones.
fn text_width(text: &str) -> u32 {
    text.chars()
        .map(|character| if character.is_ascii() { 8 } else { 15 })
        .sum()
}

/// The highest bar: the largest stack when `stacked`, else the largest value. At least 1.
fn max_of(labels: &[String], series: &[Series<'_>], stacked: bool) -> u64 {
    (0..labels.len())
        .map(|index| {
            let values = series
                .iter()
                .map(|series| series.values.get(index).copied().unwrap_or(0));
            if stacked {
                values.sum::<u64>()
            } else {
                values.max().unwrap_or(0)
            }
        })
        .max()
        .unwrap_or(0)
        .max(1)
}

/// An axis value as short as it can be read: 4,845 in full, 414,845 as 415k, millions as 2.1M.
/// The exact numbers are in the table beside each chart.
fn compact(value: u64) -> String {
    match value {
        0..10_000 => value.to_string(),
        10_000..1_000_000 => format!("{}k", (value + 500) / 1000),
        _ => format!("{:.1}M", value as f64 / 1e6),
    }
}

/// A bar chart over `labels` (one group per label): the series stacked in one bar when
/// `stacked`, else side by side. `title` names the chart; `summary` says what it shows in a
/// sentence for those who cannot see it.
pub(super) fn bar_chart(
    id: &str,
    title: &str,
    summary: &str,
    labels: &[String],
    series: &[Series<'_>],
    stacked: bool,
) -> String {
    let groups = labels.len().max(1) as u32;
    let top_label = compact(max_of(labels, series, stacked));
    // Room on the left for the top value, however long.
    let left = LEFT.max(text_width(&top_label) + 10);
    let plot_width = WIDTH - left - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let max = max_of(labels, series, stacked);
    let scale = |value: u64| (value as f64 / max as f64 * f64::from(plot_height)).round() as u32;
    let group_width = f64::from(plot_width) / f64::from(groups);
    let bar_width = if stacked {
        group_width * 0.7
    } else {
        group_width * 0.8 / series.len().max(1) as f64
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}-title\">{}</title>\
         <desc id=\"{id}-desc\">{}</desc>",
        escape(title),
        escape(summary)
    );
    // Axis and the top value.
    let base = TOP + plot_height;
    let _ = write!(
        svg,
        "<line x1=\"{left}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#8c959f\"/>\
         <line x1=\"{left}\" y1=\"{TOP}\" x2=\"{}\" y2=\"{TOP}\" stroke=\"#e1e6eb\"/>\
         <text x=\"{}\" y=\"{}\" font-size=\"14\" text-anchor=\"end\" fill=\"#4a5560\">{top_label}</text>\
         <text x=\"{}\" y=\"{base}\" font-size=\"14\" text-anchor=\"end\" fill=\"#4a5560\">0</text>",
        WIDTH - RIGHT,
        WIDTH - RIGHT,
        left - 6,
        TOP + 4,
        left - 6,
    );
    // Few enough labels to be read on a phone.
    let every = labels.len().div_ceil(5).max(1);
    for (index, label) in labels.iter().enumerate() {
        let x0 = f64::from(left) + group_width * index as f64;
        let mut stacked_height = 0;
        for (number, series) in series.iter().enumerate() {
            let value = series.values.get(index).copied().unwrap_or(0);
            let height = scale(value);
            let (x, y) = if stacked {
                let y = base - stacked_height - height;
                stacked_height += height;
                (x0 + (group_width - bar_width) / 2.0, y)
            } else {
                (
                    x0 + group_width * 0.1 + bar_width * number as f64,
                    base - height,
                )
            };
            if height > 0 {
                let _ = write!(
                    svg,
                    "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{bar_width:.1}\" height=\"{height}\" \
                     fill=\"{}\"><title>{} {}: {value}</title></rect>",
                    series.fill,
                    escape(label),
                    escape(series.name)
                );
            }
        }
        let last = index + 1 == labels.len();
        // Every `every`th label and the last, without one crowding the last.
        if last || (index % every == 0 && labels.len() - 1 - index >= every) {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"14\" text-anchor=\"middle\" fill=\"#4a5560\">{}</text>",
                x0 + group_width / 2.0,
                base + 16,
                escape(label)
            );
        }
    }
    // The legend, under the axis.
    let mut x = left;
    for series in series {
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"14\" fill=\"#1b1f24\">{}</text>",
            HEIGHT - 22,
            series.fill,
            x + 16,
            HEIGHT - 12,
            escape(series.name)
        );
        x += 30 + text_width(series.name);
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_values_are_short_enough_to_fit_beside_the_chart() {
        assert_eq!(compact(4_845), "4845");
        assert_eq!(compact(414_845), "415k");
        assert_eq!(compact(100_000), "100k");
        assert_eq!(compact(2_140_000), "2.1M");
    }

    #[test]
    fn a_chart_names_itself_for_screen_readers_and_escapes_its_texts() {
        let svg = bar_chart(
            "c",
            "Cases <daily>",
            "One bar a day.",
            &["02-10".to_owned(), "02-11".to_owned()],
            &[Series {
                name: "Cases & contacts",
                fill: BLUE,
                values: vec![0, 3],
            }],
            true,
        );
        assert!(svg.contains("<title id=\"c-title\">Cases &lt;daily&gt;</title>"));
        assert!(svg.contains("aria-labelledby=\"c-title c-desc\""));
        assert!(svg.contains("Cases &amp; contacts: 3"));
        assert_eq!(
            svg.matches("<rect x=").count(),
            2,
            "one bar and one legend key"
        );
    }
}
