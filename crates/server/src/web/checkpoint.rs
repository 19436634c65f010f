//! The checkpoint worker's page: check a resident's pass and log their visit, as
//! `POST /v1/scans` does ([`pass_service::scan_now`]), with the temperature taken at the gate.
//!
//! A pass reaches the page three ways: a photo of its QR code (decoded on the server), its
//! text from a scanner that types, or the phone's camera where the browser can read QR codes
//! (`/assets/checkpoint.js`). Without JavaScript the page is one multipart form whose answer is
//! the verdict. With it, pasted or camera-read text is first verified in the browser against
//! the region's trust list kept on the device, so a checkpoint that loses its connection can
//! still check passes; when online the text is then posted to `/checkpoint/scans`, which
//! answers the same verdict panel as JSON and logs the visit.
//!
//! The panel shows only what the pass shows a checkpoint: the colour, the masked name, the
//! birth year, the issuer and the expiry. Never an ID number or a full name.

use askama::Template;
use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use healthcode_core::rating::Colour;
use healthcode_core::{Access, EventId, Temperature, VenueId};
use healthcode_pass::keystore::format_public_key;
use healthcode_pass::{Contents, Verdict};
use jiff::tz::Offset;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::session::cookie;
use super::{Chrome, Lang, PageResult, Session, WebError, render};
use crate::endpoints::Endpoint;
use crate::error::ApiError;
use crate::pass_service::{self, Scan, Scanned, Visit};
use crate::{App, Router};

/// The largest photo the page takes: phones' cameras make photos of several megabytes.
const PHOTO_LIMIT_BYTES: usize = 8 * 1024 * 1024;

/// The cookie that keeps the checkpoint's venue on this device between scans.
const VENUE_COOKIE: &str = "hc_checkpoint_venue";

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/checkpoint", get(scan_page).post(scan_form))
        .route("/checkpoint/scans", post(scan_json))
        .layer(DefaultBodyLimit::max(PHOTO_LIMIT_BYTES))
}

/// The verdict panel, as the page shows it and as `/checkpoint/scans` answers it for the
/// script to show. Texts are in the page's language.
#[derive(Clone, Debug, Serialize)]
struct Panel {
    /// `valid` or `invalid`.
    verdict: &'static str,
    /// The reason's stable code when invalid (`bad_signature`, `expired`, …).
    reason_code: &'static str,
    /// `green`, `yellow` or `red`: the pass's colour when valid; red when it is not valid.
    colour: &'static str,
    /// The colour in words, or "Not valid".
    headline: &'static str,
    reason: &'static str,
    name: Option<String>,
    birth_year: Option<i16>,
    issuer: Option<String>,
    expires: Option<String>,
    /// The temperature taken, when it was kept.
    temperature: Option<String>,
    /// The holder's colour once the temperature was counted, when one was kept.
    colour_now: Option<&'static str>,
    colour_now_word: Option<&'static str>,
    /// Whether the visit was logged, or why not.
    logged: String,
    /// `online` (checked by the server) or `offline` (checked in the browser).
    mode: &'static str,
    mode_text: &'static str,
}

impl Panel {
    /// The panel of a scan the server made: its verdict, the visit and the temperature.
    fn of_scan(lang: Lang, scanned: &Scanned, offset: Offset) -> Panel {
        let mut panel = Panel::of_verdict(lang, &scanned.verdict, offset);
        panel.logged = match &scanned.check_in {
            Ok(written) if written.duplicate => lang
                .t("This visit was logged already; nothing new was stored.")
                .to_owned(),
            Ok(_) => lang.t("Visit logged.").to_owned(),
            Err(why) => {
                // Chinese punctuation carries its own space.
                let space = if lang.is_chinese() { "" } else { " " };
                format!(
                    "{}{space}{}",
                    lang.t("No visit logged:"),
                    not_logged(lang, why)
                )
            }
        };
        if let Some((_, colour)) = &scanned.temperature {
            panel.colour_now = Some(colour.code());
            panel.colour_now_word = Some(colour_word(lang, *colour));
            if colour.code() != panel.colour {
                panel.reason = lang.t(
                    "The pass is valid, but the temperature taken changed the holder's colour: see the colour now.",
                );
            }
        }
        panel
    }

    fn of_verdict(lang: Lang, verdict: &Verdict, offset: Offset) -> Panel {
        let mut panel = Panel {
            verdict: "invalid",
            reason_code: "",
            colour: "red",
            headline: lang.t("Not valid"),
            reason: "",
            name: None,
            birth_year: None,
            issuer: None,
            expires: None,
            temperature: None,
            colour_now: None,
            colour_now_word: None,
            logged: String::new(),
            mode: "online",
            mode_text: lang.t("Checked by the server."),
        };
        match verdict {
            Err(invalid) => {
                panel.reason_code = invalid.code();
                panel.reason = reason(lang, invalid.code());
            }
            Ok(verified) => {
                panel.verdict = "valid";
                panel.issuer = Some(verified.issuer.clone());
                match &verified.contents {
                    Contents::HealthCode(claims) => {
                        panel.colour = claims.colour.code();
                        panel.headline = colour_word(lang, claims.colour);
                        panel.reason = lang.t("The signature, the dates and the colour check out.");
                        panel.name = Some(claims.holder.masked_name.clone());
                        panel.birth_year = Some(claims.holder.birth_year);
                        panel.expires = Some(super::shown(claims.expires, offset));
                    }
                    Contents::Dcc(certificate) => {
                        panel.colour = "green";
                        panel.headline = lang.t("Valid certificate");
                        panel.reason = lang.t(
                            "An EU Digital COVID Certificate with a good signature; it carries no colour.",
                        );
                        panel.expires = Some(super::shown(certificate.expires, offset));
                    }
                }
            }
        }
        panel
    }
}

/// A colour in words, in the page's language.
fn colour_word(lang: Lang, colour: Colour) -> &'static str {
    match colour {
        Colour::Green => lang.t("Green"),
        Colour::Yellow => lang.t("Yellow"),
        Colour::Red => lang.t("Red"),
    }
}

/// Why a pass is not valid, for the worker, by the verifier's reason code.
fn reason(lang: Lang, code: &str) -> &'static str {
    match code {
        "picture" => lang.t(
            "No QR code could be read from the photo. Take it again, closer, flat and in focus.",
        ),
        "prefix" => lang.t("Not a pass: the text does not start with HCODE1: or HC1:."),
        "not_a_pass" => lang.t("Not a pass: this is a venue's poster code."),
        "base45" | "zlib" | "cose_structure" => {
            lang.t("Damaged: the code cannot be read as a signed pass.")
        }
        "unknown_key" => lang.t("Unknown key: no trusted issuer has the key that signed it."),
        "bad_signature" => lang.t("Bad signature: the pass was changed or forged."),
        "claims" => lang.t("The signed contents of the pass cannot be read."),
        "expired" => lang.t("Expired: ask the holder to open a fresh pass."),
        "not_yet_valid" => lang.t("Not yet valid: a clock is wrong, or the pass was forged."),
        "revoked" => lang.t(
            "Revoked: the holder's colour has changed since this pass was issued. Ask them to open a fresh pass.",
        ),
        "key_usage" => lang.t("The signer may not sign this kind of certificate."),
        _ => lang.t("The pass is not valid."),
    }
}

/// Why no visit was logged, from [`pass_service::scan`]'s reasons.
fn not_logged(lang: Lang, why: &str) -> &'static str {
    match why {
        "the pass is revoked" => lang.t("the pass is revoked."),
        "an EU certificate names nobody registered here" => {
            lang.t("an EU certificate names nobody registered here.")
        }
        "the pass was issued by another region, where its holder is registered" => {
            lang.t("the pass was issued by another region, where its holder is registered.")
        }
        _ => lang.t("the pass is not valid."),
    }
}

#[derive(Template)]
#[template(path = "checkpoint/scan.html")]
struct ScanPage {
    chrome: Chrome,
    /// The form's fields as they were, so a refused form keeps them.
    venue_id: String,
    venue_name: Option<String>,
    temperature: String,
    pass_text: String,
    /// A fresh id for the visit the next scan logs.
    event_id: Uuid,
    error: Option<&'static str>,
    panel: Option<Panel>,
    /// The region's trust anchor (`ES256:` and hex), which signs the trust list the script
    /// keeps.
    anchor: String,
    /// The policy's offset from UTC, in which the script shows times, such as `+08:00`.
    offset: String,
}

impl ScanPage {
    fn new(session: &Session, setup: Setup, venue_id: String) -> ScanPage {
        ScanPage {
            chrome: session.chrome("Check a pass"),
            venue_name: setup.venue_name,
            venue_id,
            temperature: String::new(),
            pass_text: String::new(),
            event_id: Uuid::now_v7(),
            error: None,
            panel: None,
            anchor: setup.anchor,
            offset: crate::api::offset_text(setup.offset),
        }
    }

    /// Whether the panel shows `part` (for the template, which hides the rows it lacks).
    fn has(&self, part: &str) -> bool {
        self.panel.as_ref().is_some_and(|panel| match part {
            "name" => panel.name.is_some(),
            "birth_year" => panel.birth_year.is_some(),
            "issuer" => panel.issuer.is_some(),
            "expires" => panel.expires.is_some(),
            "temperature" => panel.temperature.is_some(),
            "colour_now" => panel.colour_now.is_some(),
            _ => false,
        })
    }
}

/// What the page needs besides the form: the anchor, the policy's offset and the venue's name.
struct Setup {
    anchor: String,
    offset: Offset,
    venue_name: Option<String>,
}

async fn setup(app: &App, venue: Option<VenueId>) -> Result<Setup, WebError> {
    let (policies, passes) = (app.policies.clone(), app.passes.clone());
    let now = app.clock.now();
    Ok(app
        .run(move |store| {
            let anchor = format_public_key(&passes.current(now)?.keys.anchor());
            let offset = policies.active(store, now)?.utc_offset;
            let venue_name = match venue {
                Some(venue) => store.venue(venue)?.map(|venue| venue.name),
                None => None,
            };
            Ok(Setup {
                anchor,
                offset,
                venue_name,
            })
        })
        .await?)
}

fn venue_of(text: &str) -> Option<VenueId> {
    Uuid::parse_str(text.trim())
        .ok()
        .filter(|uuid| !uuid.is_nil())
        .map(VenueId::from_uuid)
}

/// Keeps the checkpoint's venue on this device for a year, for the next scans.
fn remember_venue(response: &mut Response, venue: VenueId) {
    let value = format!(
        "{VENUE_COOKIE}={}; Path=/checkpoint; Max-Age=31536000; HttpOnly; SameSite=Strict",
        venue.as_uuid()
    );
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

async fn scan_page(State(app): State<App>, session: Session, headers: HeaderMap) -> PageResult {
    session.allow(Endpoint::ScanPass, None).await?;
    let venue_id = cookie(&headers, VENUE_COOKIE)
        .filter(|text| venue_of(text).is_some())
        .unwrap_or("")
        .to_owned();
    let setup = setup(&app, venue_of(&venue_id)).await?;
    render(&ScanPage::new(&session, setup, venue_id))
}

/// The scan form's fields.
#[derive(Debug, Default)]
struct ScanForm {
    venue_id: String,
    event_id: String,
    temperature: String,
    pass_text: String,
    photo: Vec<u8>,
    /// Which button sent the form: `photo` or `text`.
    using: String,
}

async fn read_form(mut multipart: Multipart) -> Result<ScanForm, WebError> {
    let bad = |error: axum::extract::multipart::MultipartError| {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::InvalidBody {
                message: "the form could not be read; send it again".to_owned(),
                field: None,
            }
        }
    };
    let mut form = ScanForm::default();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "photo" {
            form.photo = field.bytes().await.map_err(bad)?.to_vec();
            continue;
        }
        let text = field.text().await.map_err(bad)?;
        match name.as_str() {
            "venue_id" => form.venue_id = text,
            "event_id" => form.event_id = text,
            "temperature" => form.temperature = text,
            "pass_text" => form.pass_text = text,
            "using" => form.using = text,
            _ => {}
        }
    }
    Ok(form)
}

/// A temperature field: empty, or degrees Celsius in range (a comma is taken as the decimal
/// point, as some keyboards type it).
fn temperature_of(text: &str) -> Result<Option<Temperature>, &'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.replace(',', ".")
        .parse::<f64>()
        .ok()
        .and_then(|celsius| Temperature::from_celsius(celsius).ok())
        .map(Some)
        .ok_or("The temperature must be in degrees Celsius, from 34.0 to 43.0.")
}

/// The visit's id from the form's hidden field, or a new one.
fn event_of(text: &str) -> EventId {
    Uuid::parse_str(text.trim())
        .ok()
        .and_then(|uuid| EventId::from_uuid(uuid).ok())
        .unwrap_or_else(|| {
            EventId::from_uuid(Uuid::now_v7()).expect("a time-ordered UUID is never nil")
        })
}

/// What a scan form or request asks for, checked.
struct Asked {
    venue: VenueId,
    event_id: EventId,
    temperature: Option<Temperature>,
    scan: Scanning,
}

/// What was scanned, owned, for the blocking pool.
enum Scanning {
    Text(String),
    Image(Vec<u8>),
}

/// Scans as `POST /v1/scans` does, with the access `session.allow` gave. A venue nobody
/// registered is the visitor's mistake, answered as such.
async fn scan(
    app: &App,
    access: Access,
    asked: Asked,
) -> Result<Result<(Scanned, Offset), &'static str>, WebError> {
    let (policies, passes) = (app.policies.clone(), app.passes.clone());
    let Asked {
        venue,
        event_id,
        temperature,
        scan,
    } = asked;
    let scanned = app
        .run(move |store| {
            let scanned = match &scan {
                Scanning::Text(text) => Scan::Text(text),
                Scanning::Image(image) => Scan::Image(image),
            };
            let visit = Visit {
                venue,
                event_id,
                temperature,
            };
            let offset = policies.active(store, access.at)?.utc_offset;
            pass_service::scan_now(store, &access, &policies, &passes, scanned, visit)
                .map(|scanned| (scanned, offset))
        })
        .await;
    match scanned {
        Ok(scanned) => Ok(Ok(scanned)),
        Err(ApiError::UnknownReference { what: "venue", .. }) => Ok(Err(
            "No venue with this ID is registered. Check the checkpoint's venue ID.",
        )),
        Err(error) => Err(error.into()),
    }
}

const NO_VENUE: &str = "Give this checkpoint's venue ID: the UUID it was registered with, such as 2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04.";

async fn scan_form(State(app): State<App>, session: Session, multipart: Multipart) -> PageResult {
    let access = session.allow(Endpoint::ScanPass, None).await?;
    let form = read_form(multipart).await?;
    let venue = venue_of(&form.venue_id);
    let mut page = ScanPage::new(&session, setup(&app, venue).await?, form.venue_id.clone());
    page.temperature = form.temperature.clone();
    page.pass_text = form.pass_text.clone();
    let refuse = |mut page: ScanPage, error: &'static str| {
        page.error = Some(error);
        let mut response = render(&page)?;
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        Ok(response)
    };
    let Some(venue) = venue else {
        return refuse(page, NO_VENUE);
    };
    let temperature = match temperature_of(&form.temperature) {
        Ok(temperature) => temperature,
        Err(error) => return refuse(page, error),
    };
    let has_photo = !form.photo.is_empty();
    let has_text = !form.pass_text.trim().is_empty();
    let scanning = match (form.using.as_str(), has_photo, has_text) {
        ("photo", true, _) | ("", true, _) => Scanning::Image(form.photo),
        ("text", _, true) | ("", false, true) => Scanning::Text(form.pass_text),
        ("photo", false, _) => {
            return refuse(page, "Choose a photo of the pass's QR code first.");
        }
        ("text", _, false) => return refuse(page, "Paste or type the pass's text first."),
        _ => return refuse(page, "Take a photo of the pass or paste its text."),
    };
    let asked = Asked {
        venue,
        event_id: event_of(&form.event_id),
        temperature,
        scan: scanning,
    };
    let (scanned, offset) = match scan(&app, access, asked).await? {
        Ok(scanned) => scanned,
        Err(error) => return refuse(page, error),
    };
    let mut panel = Panel::of_scan(session.lang, &scanned, offset);
    if scanned.temperature.is_some() {
        panel.temperature = temperature.map(celsius_text);
    }
    page.panel = Some(panel);
    // The next scan starts empty; the venue and a fresh event id stay.
    page.pass_text.clear();
    page.temperature.clear();
    let mut response = render(&page)?;
    remember_venue(&mut response, venue);
    Ok(response)
}

fn celsius_text(temperature: Temperature) -> String {
    format!("{:.1} °C", temperature.celsius())
}

/// A pass's text from the page's script, already verified in the browser when it could be.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScanJson {
    venue_id: String,
    text: String,
    #[serde(default)]
    event_id: String,
    #[serde(default)]
    temperature: String,
}

/// The answer to the script: the panel, or what to fix in the form (in the page's language).
#[derive(Debug, Serialize)]
struct ScanAnswer {
    panel: Option<Panel>,
    error: Option<&'static str>,
}

/// Scans text posted by the page's script. Mistakes in the form are answered with 200 and a
/// message, so that the script shows it beside the field rather than an error page.
async fn scan_json(
    State(app): State<App>,
    session: Session,
    Json(request): Json<ScanJson>,
) -> Result<Response, WebError> {
    let access = session.allow(Endpoint::ScanPass, None).await?;
    let lang = session.lang;
    let refuse = |error: &'static str| {
        Json(ScanAnswer {
            panel: None,
            error: Some(lang.t(error)),
        })
        .into_response()
    };
    let Some(venue) = venue_of(&request.venue_id) else {
        return Ok(refuse(NO_VENUE));
    };
    let temperature = match temperature_of(&request.temperature) {
        Ok(temperature) => temperature,
        Err(error) => return Ok(refuse(error)),
    };
    if request.text.trim().is_empty() {
        return Ok(refuse("Paste or type the pass's text first."));
    }
    let asked = Asked {
        venue,
        event_id: event_of(&request.event_id),
        temperature,
        scan: Scanning::Text(request.text),
    };
    let (scanned, offset) = match scan(&app, access, asked).await? {
        Ok(scanned) => scanned,
        Err(error) => return Ok(refuse(error)),
    };
    let mut panel = Panel::of_scan(lang, &scanned, offset);
    if scanned.temperature.is_some() {
        panel.temperature = temperature.map(celsius_text);
    }
    let mut response = Json(ScanAnswer {
        panel: Some(panel),
        error: None,
    })
    .into_response();
    remember_venue(&mut response, venue);
    Ok(response)
}

/// Texts of these pages, in Simplified Chinese.
pub(super) const ZH: &[(&str, &str)] = &[
    ("Check a pass", "查验通行码"),
    ("Not valid", "无效"),
    ("Valid certificate", "有效证书"),
    ("Checked by the server.", "已由服务器查验。"),
    ("Checked offline on this device.", "已在本设备离线查验。"),
    (
        "The signature, the dates and the colour check out.",
        "签名、日期和颜色均已核验。",
    ),
    (
        "An EU Digital COVID Certificate with a good signature; it carries no colour.",
        "签名有效的欧盟数字新冠证书；证书不含颜色。",
    ),
    (
        "No QR code could be read from the photo. Take it again, closer, flat and in focus.",
        "无法从照片中读出二维码。请靠近、放平、对准焦点后重拍。",
    ),
    (
        "Not a pass: the text does not start with HCODE1: or HC1:.",
        "不是通行码：文本不以 HCODE1: 或 HC1: 开头。",
    ),
    (
        "Not a pass: this is a venue's poster code.",
        "不是通行码：这是场所张贴的场所码。",
    ),
    (
        "Damaged: the code cannot be read as a signed pass.",
        "已损坏：无法读取为已签名的通行码。",
    ),
    (
        "Unknown key: no trusted issuer has the key that signed it.",
        "未知密钥：没有受信任的签发方持有签名所用的密钥。",
    ),
    (
        "Bad signature: the pass was changed or forged.",
        "签名无效：通行码被改动或伪造。",
    ),
    (
        "The signed contents of the pass cannot be read.",
        "无法读取通行码的签名内容。",
    ),
    (
        "Expired: ask the holder to open a fresh pass.",
        "已过期：请持码人打开新的通行码。",
    ),
    (
        "Not yet valid: a clock is wrong, or the pass was forged.",
        "尚未生效：时钟有误，或通行码系伪造。",
    ),
    (
        "Revoked: the holder's colour has changed since this pass was issued. Ask them to open a fresh pass.",
        "已撤销：签发后持码人的颜色已改变。请其打开新的通行码。",
    ),
    (
        "The signer may not sign this kind of certificate.",
        "签名方无权签发此类证书。",
    ),
    ("The pass is not valid.", "通行码无效。"),
    ("Visit logged.", "已登记到访。"),
    (
        "The pass is valid, but the temperature taken changed the holder's colour: see the colour now.",
        "通行码有效，但所测体温已改变持码人的颜色：请看当前颜色。",
    ),
    (
        "This visit was logged already; nothing new was stored.",
        "此次到访已登记过，未重复保存。",
    ),
    ("No visit logged:", "未登记到访："),
    (
        "No visit logged: the pass is not valid.",
        "未登记到访：通行码无效。",
    ),
    ("the pass is revoked.", "通行码已撤销。"),
    (
        "an EU certificate names nobody registered here.",
        "欧盟证书的持有人未在本地登记。",
    ),
    (
        "the pass was issued by another region, where its holder is registered.",
        "通行码由其他地区签发，持码人在该地区登记。",
    ),
    ("the pass is not valid.", "通行码无效。"),
    (
        "The temperature must be in degrees Celsius, from 34.0 to 43.0.",
        "体温须以摄氏度填写，范围 34.0 至 43.0。",
    ),
    (
        "No venue with this ID is registered. Check the checkpoint's venue ID.",
        "没有登记此编号的场所。请核对检查点的场所编号。",
    ),
    (
        "Give this checkpoint's venue ID: the UUID it was registered with, such as 2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04.",
        "请填写本检查点的场所编号：登记时的 UUID，例如 2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04。",
    ),
    (
        "Choose a photo of the pass's QR code first.",
        "请先选择通行码二维码的照片。",
    ),
    (
        "Paste or type the pass's text first.",
        "请先粘贴或输入通行码文本。",
    ),
    (
        "Take a photo of the pass or paste its text.",
        "请拍摄通行码照片或粘贴其文本。",
    ),
    ("Birth year", "出生年份"),
    ("Issuer", "签发地区"),
    ("Expires", "有效期至"),
    ("Temperature recorded", "已记录体温"),
    ("Checkpoint venue ID", "检查点场所编号"),
    ("This checkpoint:", "本检查点："),
    (
        "The UUID this checkpoint was registered with as a venue; this device remembers it.",
        "本检查点作为场所登记时的 UUID；本设备会记住它。",
    ),
    ("Temperature (°C), if taken", "体温（°C），如已测量"),
    (
        "Kept with the visit as a health report on the holder; 37.3 °C or more is a fever.",
        "随到访记录作为持码人的健康报告保存；37.3 °C 及以上为发热。",
    ),
    ("Camera", "摄像头"),
    ("Scan with the camera", "用摄像头扫码"),
    ("Stop the camera", "关闭摄像头"),
    ("Photo", "照片"),
    ("Photo of the pass's QR code", "通行码二维码的照片"),
    ("Check the photo", "查验照片"),
    ("Text", "文本"),
    (
        "The pass's text, from a scanner",
        "通行码文本（来自扫码枪）",
    ),
    ("Starts with HCODE1: or HC1:.", "以 HCODE1: 或 HC1: 开头。"),
    ("Check the text", "查验文本"),
    (
        "Offline checks need JavaScript and the trust list on this device.",
        "离线查验需要启用 JavaScript，并在本设备保存信任列表。",
    ),
    ("Trust list from", "信任列表获取于"),
    (
        "No trust list on this device yet: connect once to fetch it.",
        "本设备尚无信任列表：请联网一次以获取。",
    ),
    (
        "The trust list is not signed by this region's anchor; it was not kept.",
        "信任列表并非由本地区的信任锚签名，未予保存。",
    ),
    ("Checking…", "正在查验……"),
    (
        "No visit logged: this device is offline. Scan again when it is online to log the visit.",
        "未登记到访：本设备处于离线状态。联网后请重新扫码以登记到访。",
    ),
    (
        "The server could not be reached; the pass was checked on this device only.",
        "无法连接服务器；通行码仅在本设备上查验。",
    ),
    (
        "Your session has ended: sign in again to log visits.",
        "您的登录已过期：请重新登录以登记到访。",
    ),
    (
        "The camera could not be started; take a photo instead.",
        "无法启动摄像头；请改为拍照。",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use healthcode_core::rating::Language;

    #[test]
    fn every_reason_a_verifier_gives_has_its_own_words_in_both_languages() {
        let codes = [
            "picture",
            "prefix",
            "not_a_pass",
            "base45",
            "zlib",
            "cose_structure",
            "unknown_key",
            "bad_signature",
            "claims",
            "expired",
            "not_yet_valid",
            "revoked",
            "key_usage",
        ];
        let chinese = Lang(Language::SimplifiedChinese);
        for code in codes {
            let english = reason(Lang::ENGLISH, code);
            assert_ne!(english, "The pass is not valid.", "{code}");
            assert_ne!(reason(chinese, code), english, "{code}");
        }
    }

    #[test]
    fn a_temperature_field_takes_a_comma_and_refuses_what_no_person_has() {
        assert_eq!(temperature_of(" "), Ok(None));
        assert_eq!(
            temperature_of("37,8").map(|t| t.map(Temperature::tenths)),
            Ok(Some(378))
        );
        assert!(temperature_of("3.7").is_err());
        assert!(temperature_of("hot").is_err());
    }
}
