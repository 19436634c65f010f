//! Pages of the venue audience: registering a venue, its page with its poster and today's
//! check-in counts (numbers per hour, never a person), and a printable poster.
//!
//! The store does not record which operator registered a venue, so the list page cannot list
//! "your venues": an operator keeps each venue's link (its id is in it and on the poster), and
//! any operator may open any venue's page, as the API lets them.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use healthcode_core::{VenueId, VenueKind};
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::{Chrome, PageResult, Session, Visitor, render, see_other};
use crate::api::{FieldError, VenueCheckInCounts, VenueRequest, VenueView, parse_date, parse_uuid};
use crate::endpoints::Endpoint;
use crate::error::ApiError;
use crate::{App, Router, service, venue_service};

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/venues", get(venues).post(register))
        .route("/venues/open", get(open_by_id))
        .route("/venues/{venue_id}", get(venue_page))
        .route("/venues/{venue_id}/poster", get(poster_page))
}

/// The English name of a kind of venue (translated in the page).
pub(super) fn kind_name(kind: VenueKind) -> &'static str {
    match kind {
        VenueKind::Shop => "Shop",
        VenueKind::Supermarket => "Supermarket",
        VenueKind::Market => "Market",
        VenueKind::Mall => "Shopping mall",
        VenueKind::Restaurant => "Restaurant",
        VenueKind::Office => "Office",
        VenueKind::Factory => "Factory",
        VenueKind::School => "School",
        VenueKind::Hospital => "Hospital",
        VenueKind::Clinic => "Clinic",
        VenueKind::Pharmacy => "Pharmacy",
        VenueKind::Hotel => "Hotel",
        VenueKind::Gym => "Gym",
        VenueKind::PlaceOfWorship => "Place of worship",
        VenueKind::ResidentialCompound => "Residential compound",
        VenueKind::SubwayStation => "Subway station",
        VenueKind::BusStation => "Bus station",
        VenueKind::RailwayStation => "Railway station",
        VenueKind::Airport => "Airport",
        VenueKind::HighwayCheckpoint => "Highway checkpoint",
    }
}

/// What the registration form shows: what was typed, and what to fix.
#[derive(Clone, Debug, Default, Deserialize)]
struct VenueForm {
    #[serde(default)]
    venue_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    latitude: String,
    #[serde(default)]
    longitude: String,
    #[serde(default)]
    opening_hours: String,
}

impl VenueForm {
    /// The request the API would get. Coordinates are typed as text; they must be numbers.
    fn request(&self) -> Result<VenueRequest, FieldError> {
        let degrees = |field: &str, text: &str| {
            text.trim().parse::<f64>().map_err(|_| {
                FieldError::new(field, "should be a number of degrees, such as 30.2741")
            })
        };
        Ok(VenueRequest {
            venue_id: self.venue_id.clone(),
            name: self.name.clone(),
            kind: self.kind.clone(),
            district: self.district.trim().to_owned(),
            latitude: degrees("latitude", &self.latitude)?,
            longitude: degrees("longitude", &self.longitude)?,
            opening_hours: self.opening_hours.clone(),
        })
    }
}

/// A field of the form that needs fixing, and what the API said about it.
#[derive(Clone, Debug)]
struct Problem {
    field: String,
    message: String,
}

impl Problem {
    /// The label of the field (translated in the page).
    fn label(&self) -> &'static str {
        match self.field.as_str() {
            "name" => "Name",
            "kind" => "Kind",
            "district" => "District",
            "latitude" => "Latitude",
            "longitude" => "Longitude",
            "opening_hours" => "Opening hours",
            _ => "Venue",
        }
    }
}

#[derive(askama::Template)]
#[template(path = "venue/venues.html")]
struct VenuesPage {
    chrome: Chrome,
    form: VenueForm,
    kinds: Vec<(&'static str, &'static str)>,
    problem: Option<Problem>,
    open_error: bool,
}

impl VenuesPage {
    fn new(chrome: Chrome, form: VenueForm, problem: Option<Problem>) -> VenuesPage {
        VenuesPage {
            chrome,
            form,
            kinds: VenueKind::ALL
                .into_iter()
                .map(|kind| (kind.code(), kind_name(kind)))
                .collect(),
            problem,
            open_error: false,
        }
    }

    fn is_problem(&self, field: &str) -> bool {
        self.problem
            .as_ref()
            .is_some_and(|problem| problem.field == field)
    }
}

/// A blank form, with a new venue id: a double submit registers the venue once.
fn blank_form() -> VenueForm {
    VenueForm {
        venue_id: super::new_id(),
        kind: VenueKind::Restaurant.code().to_owned(),
        opening_hours: "24/7".to_owned(),
        ..VenueForm::default()
    }
}

async fn venues(session: Session) -> PageResult {
    session.permit(Endpoint::RegisterVenue).await?;
    render(&VenuesPage::new(
        session.chrome("Venues"),
        blank_form(),
        None,
    ))
}

async fn register(
    State(app): State<App>,
    session: Session,
    Form(form): Form<VenueForm>,
) -> PageResult {
    session.permit(Endpoint::RegisterVenue).await?;
    let request = match form.request() {
        Ok(request) => request,
        Err(error) => return form_again(&session, form, error),
    };
    let now = app.clock.now();
    match app
        .run(move |store| service::register_venue(store, now, request))
        .await
    {
        Ok(registered) => Ok(see_other(&format!("/venues/{}", registered.venue_id))),
        Err(ApiError::InvalidField(error)) => form_again(&session, form, error),
        Err(other) => Err(other.into()),
    }
}

/// The form again, as typed, with what to fix.
fn form_again(session: &Session, form: VenueForm, error: FieldError) -> PageResult {
    let mut response = render(&VenuesPage::new(
        session.chrome("Venues"),
        form,
        Some(Problem {
            field: error.field,
            message: error.message,
        }),
    ))?;
    *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

#[derive(Debug, Deserialize)]
struct OpenQuery {
    #[serde(default)]
    venue_id: String,
}

/// Opens a venue's page by the id on its poster or in its link.
async fn open_by_id(session: Session, Query(query): Query<OpenQuery>) -> PageResult {
    session.permit(Endpoint::RegisterVenue).await?;
    match parse_uuid("venue_id", &query.venue_id) {
        Ok(id) => Ok(see_other(&format!("/venues/{id}"))),
        Err(_) => {
            let mut page = VenuesPage::new(session.chrome("Venues"), blank_form(), None);
            page.open_error = true;
            let mut response = render(&page)?;
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

/// One hour's bar of the chart and row of the table.
#[derive(Clone, Debug)]
struct HourRow {
    label: String,
    check_ins: u64,
}

#[derive(askama::Template)]
#[template(path = "venue/venue.html")]
struct VenuePage {
    chrome: Chrome,
    venue: VenueView,
    kind: &'static str,
    registered_at: String,
    counts: VenueCheckInCounts,
    hours: Vec<HourRow>,
    busiest: Option<HourRow>,
    chart: String,
    today: bool,
}

impl VenuePage {
    fn busy_hours(&self) -> Vec<&HourRow> {
        self.hours
            .iter()
            .filter(|hour| hour.check_ins > 0)
            .collect()
    }
}

#[derive(Debug, Deserialize)]
struct DateQuery {
    date: Option<String>,
}

async fn venue_page(
    State(app): State<App>,
    session: Session,
    Path(venue_id): Path<String>,
    Query(query): Query<DateQuery>,
) -> PageResult {
    session.permit(Endpoint::ReadVenueCheckInCounts).await?;
    let id = VenueId::from_uuid(parse_uuid("venue_id", &venue_id)?);
    let date = query
        .date
        .as_deref()
        .filter(|date| !date.trim().is_empty())
        .map(|date| parse_date("date", date))
        .transpose()?;
    let (now, policies) = (app.clock.now(), app.policies.clone());
    let (venue, counts, offset) = app
        .run(move |store| {
            let venue = service::venue(store, id)?;
            let policy = policies.active(store, now)?;
            let counts = venue_service::check_in_counts(store, &policy, id, date, now)?;
            Ok((venue, counts, policy.utc_offset))
        })
        .await?;
    let today = counts.date == now.to_zoned(TimeZone::fixed(offset)).date();
    let hours: Vec<HourRow> = counts
        .hours
        .iter()
        .map(|hour| HourRow {
            label: format!("{:02}:00–{:02}:00", hour.hour, (hour.hour + 1) % 24),
            check_ins: hour.check_ins,
        })
        .collect();
    let busiest = hours
        .iter()
        .filter(|hour| hour.check_ins > 0)
        .max_by_key(|hour| hour.check_ins)
        .cloned();
    let kind = VenueKind::parse(&venue.kind).map_or("Venue", kind_name);
    render(&VenuePage {
        chrome: session.chrome("Venue"),
        kind,
        registered_at: super::shown(venue.registered_at, offset),
        chart: chart_svg(&counts),
        venue,
        counts,
        hours,
        busiest,
        today,
    })
}

/// A bar chart of the day's check-ins per hour, as SVG made here from numbers only. Bars are
/// sized by attributes, not styles, so the page's Content Security Policy allows it.
fn chart_svg(counts: &VenueCheckInCounts) -> String {
    const WIDTH: u64 = 480;
    const HEIGHT: u64 = 120;
    const BAR: u64 = WIDTH / 24;
    let top = counts
        .hours
        .iter()
        .map(|hour| hour.check_ins)
        .max()
        .unwrap_or(0)
        .max(1);
    let mut svg = format!(
        "<svg viewBox=\"0 0 {WIDTH} {}\" xmlns=\"http://www.w3.org/2000/svg\" aria-hidden=\"true\" focusable=\"false\">",
        HEIGHT + 16
    );
    svg.push_str(&format!(
        "<line x1=\"0\" y1=\"{HEIGHT}\" x2=\"{WIDTH}\" y2=\"{HEIGHT}\" class=\"axis\"/>"
    ));
    for hour in &counts.hours {
        let x = u64::from(hour.hour) * BAR;
        let height = hour.check_ins * (HEIGHT - 14) / top;
        if hour.check_ins > 0 {
            svg.push_str(&format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{height}\" class=\"bar\"/>",
                x + 2,
                HEIGHT - height,
                BAR - 4
            ));
            svg.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"value\">{}</text>",
                x + BAR / 2,
                HEIGHT - height - 3,
                hour.check_ins
            ));
        }
        if hour.hour % 6 == 0 {
            svg.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" class=\"tick\">{:02}:00</text>",
                x + 1,
                HEIGHT + 13,
                hour.hour
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

#[derive(askama::Template)]
#[template(path = "venue/poster.html")]
struct PosterPage {
    chrome: Chrome,
    venue: VenueView,
}

/// The printable poster: anyone may print it, as anyone may fetch it from the API.
async fn poster_page(
    State(app): State<App>,
    visitor: Visitor,
    Path(venue_id): Path<String>,
) -> PageResult {
    let id = VenueId::from_uuid(parse_uuid("venue_id", &venue_id)?);
    let venue = app.run(move |store| service::venue(store, id)).await?;
    render(&PosterPage {
        chrome: visitor.chrome("Venue poster"),
        venue,
    })
}

/// Texts of these pages, in Simplified Chinese.
pub(super) const ZH: &[(&str, &str)] = &[
    ("Shop", "商店"),
    ("Supermarket", "超市"),
    ("Market", "市场"),
    ("Shopping mall", "商场"),
    ("Restaurant", "餐馆"),
    ("Office", "办公场所"),
    ("Factory", "工厂"),
    ("School", "学校"),
    ("Hospital", "医院"),
    ("Clinic", "诊所"),
    ("Hotel", "酒店"),
    ("Gym", "健身房"),
    ("Place of worship", "宗教场所"),
    ("Residential compound", "居民小区"),
    ("Subway station", "地铁站"),
    ("Bus station", "汽车站"),
    ("Railway station", "火车站"),
    ("Airport", "机场"),
    ("Highway checkpoint", "公路检查站"),
    ("Opening hours", "营业时间"),
    ("Register a venue", "登记场所"),
    ("Register", "登记"),
    (
        "Registering gives the venue its QR poster. Residents scan the poster to check in.",
        "登记后场所将获得二维码海报。居民扫描海报进行登记。",
    ),
    (
        "As customers know it; up to 100 characters.",
        "顾客熟知的名称，最多 100 个字符。",
    ),
    (
        "The six-digit region code of the district, such as 330106.",
        "所在区县的六位行政区划代码，例如 330106。",
    ),
    (
        "Degrees, such as 30.2741 and 120.1551. Your map app shows them.",
        "以度为单位，例如 30.2741 和 120.1551。地图应用可以显示。",
    ),
    (
        "24/7, or rules such as Mo-Fr 09:00-21:00; Sa,Su 10:00-22:00",
        "24/7，或如 Mo-Fr 09:00-21:00; Sa,Su 10:00-22:00 的规则",
    ),
    ("Your venues", "您的场所"),
    (
        "This system does not record who registered a venue, so it cannot list yours. Keep the link of each venue's page: it ends with the venue's id, which is also printed on its poster.",
        "本系统不记录场所由谁登记，因此无法列出您的场所。请保存每个场所页面的链接：链接末尾是场所编号，海报上也印有该编号。",
    ),
    ("Venue id", "场所编号"),
    ("Open the venue", "打开场所"),
    (
        "This is not a venue id. It looks like 2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04.",
        "这不是场所编号。场所编号形如 2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04。",
    ),
    ("Coordinates", "坐标"),
    ("Registered", "登记时间"),
    ("Check-ins today", "今日登记人次"),
    ("Check-ins on this day", "当日登记人次"),
    ("In all", "合计"),
    ("Busiest hour", "最繁忙时段"),
    ("Hour", "时段"),
    ("Check-ins", "登记人次"),
    (
        "Numbers only: who checked in is never shown here.",
        "仅显示人数：此处从不显示登记者的身份。",
    ),
    ("No check-ins on this day yet.", "当日暂无登记。"),
    ("Another day", "其他日期"),
    ("Back to today", "返回今日"),
    ("Poster", "海报"),
    ("The venue's QR poster", "场所二维码海报"),
    ("Printable poster", "可打印的海报"),
    (
        "Print it on A4 and put it up at the entrance.",
        "用 A4 纸打印并张贴在入口处。",
    ),
    ("Venue poster", "场所海报"),
    (
        "Use your browser's Print command: only the poster is printed.",
        "使用浏览器的打印功能：只会打印海报。",
    ),
    ("Back to the venue", "返回场所"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_venue_has_a_name_in_chinese() {
        let chinese = super::super::Lang::from_code("zh-CN").unwrap();
        for kind in VenueKind::ALL {
            let name = kind_name(kind);
            assert_ne!(chinese.t(name), name);
        }
    }

    #[test]
    fn the_chart_draws_a_bar_for_each_hour_with_check_ins_and_no_more() {
        let counts = VenueCheckInCounts {
            venue_id: uuid::Uuid::nil(),
            date: "2026-02-10".parse().unwrap(),
            utc_offset: "+08:00".to_owned(),
            hours: (0..24u8)
                .map(|hour| crate::api::HourCount {
                    hour,
                    starts_at: jiff::Timestamp::UNIX_EPOCH,
                    check_ins: u64::from(hour == 9) * 3 + u64::from(hour == 12),
                })
                .collect(),
            total: 4,
        };
        let svg = chart_svg(&counts);
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains(">3</text>"));
    }
}
