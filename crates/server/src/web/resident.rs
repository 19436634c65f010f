//! Pages of the resident audience: enrolling, the signed pass with its colour, why the colour
//! is what it is, health declarations, the 14-day itinerary, visits, appeals, who touched their
//! data, and consents to employers' checks.
//!
//! Each page does what one resident endpoint does, through the same library function, under
//! the endpoint's role and purpose ([`Session::allow`]). A resident's own pages may show their
//! full name, never their full ID number: only its masked form. The pass page works without
//! JavaScript; `assets/pass.js` only counts down and swaps in a new pass (from `GET /me/pass`)
//! before the shown one runs out.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::CACHE_CONTROL;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use base64::Engine as _;
use healthcode_core::consent::ConsentId;
use healthcode_core::rating::Colour;
use healthcode_core::{Purpose, Role, Symptom, Timestamp};
use jiff::SignedDuration;
use jiff::tz::{Offset, TimeZone};
use serde::{Deserialize, Serialize};

use super::session::set_token;
use super::{Chrome, Lang, PageResult, Session, Visitor, new_id, render, see_other};
use crate::api::{
    AppealRequest, AppealView, ConsentRequest, ConsentView, DeclarationRequest, EnrolRequest,
    FieldError, ItineraryView, NewConsent, NewResident, OwnAccessRecordView, StatusView,
    TravelRequest, parse_uuid,
};
use crate::endpoints::Endpoint;
use crate::error::ApiError;
use crate::pass_service::{self, IssuedPass};
use crate::{App, Router, consent_service, phone_service, rating_service, service};

/// The side of the pass's QR code as SVG, in pixels; it scales without loss.
const QR_SIZE: u32 = 512;

/// How long a browser stays signed in after enrolling: a resident's device token does not
/// expire, so the cookie lasts a year.
const RESIDENT_COOKIE_HOURS: i64 = 24 * 365;

/// The most records the "Who saw my data" page lists, newest first.
const ACCESS_ROWS: usize = 500;

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/enrol", get(enrol_form).post(enrol))
        .route("/me", get(my_code))
        .route("/me/pass", get(fresh_pass))
        .route("/me/why", get(why))
        .route("/me/declare", get(declare_form).post(declare))
        .route("/me/itinerary", get(itinerary))
        .route("/me/visits", get(visits))
        .route("/me/appeals", get(appeals).post(file_appeal))
        .route("/me/access", get(access_log))
        .route("/me/consents", get(consents).post(issue_consent))
        .route("/me/consents/revoke", post(revoke_consent))
}

// ---------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------

/// A form's problem: which field, what to do (a text of the ZH table), and the API's own
/// message (English) shown after it on English pages.
struct FormError {
    field: &'static str,
    message: &'static str,
    detail: Option<String>,
}

impl FormError {
    fn new(field: &'static str, message: &'static str) -> FormError {
        FormError {
            field,
            message,
            detail: None,
        }
    }

    /// With the API's message, on English pages only: it is written in English.
    fn with_detail(mut self, lang: Lang, error: &FieldError) -> FormError {
        if !lang.is_chinese() {
            self.detail = Some(error.message.clone());
        }
        self
    }
}

/// Whether the form's problem is with `field`: for `aria-invalid` and the field's outline.
fn invalid(error: &Option<FormError>, field: &str) -> bool {
    error.as_ref().is_some_and(|error| error.field == field)
}

/// A page re-shown because of its form, with the status the API would answer.
fn reshown(page: PageResult, status: StatusCode) -> PageResult {
    let mut response = page?;
    *response.status_mut() = status;
    Ok(response)
}

/// How moments are written on these pages: in the active policy's offset from UTC, to the
/// minute, as the rating engine writes them in reasons.
#[derive(Clone, Copy)]
struct Moments {
    lang: Lang,
    offset: Offset,
}

impl Moments {
    fn at(self, at: Timestamp) -> String {
        self.format(at, "%-d %b %Y %H:%M", "%Y年%-m月%-d日 %H:%M")
    }

    fn time_of_day(self, at: Timestamp) -> String {
        self.format(at, "%H:%M:%S", "%H:%M:%S")
    }

    fn day(self, day: jiff::civil::Date) -> String {
        let format = if self.lang.is_chinese() {
            "%Y年%-m月%-d日"
        } else {
            "%a %-d %b %Y"
        };
        jiff::fmt::strtime::format(format, day).unwrap_or_else(|_| day.to_string())
    }

    fn format(self, at: Timestamp, english: &str, chinese: &str) -> String {
        let zoned = at.to_zoned(TimeZone::fixed(self.offset));
        let format = if self.lang.is_chinese() {
            chinese
        } else {
            english
        };
        jiff::fmt::strtime::format(format, &zoned).unwrap_or_else(|_| at.to_string())
    }
}

/// The offset of the active policy, in which pages give times.
fn offset_of(
    store: &dyn healthcode_store::Store,
    app: &App,
    at: Timestamp,
) -> Result<Offset, ApiError> {
    Ok(app.policies.active(store, at)?.utc_offset)
}

/// The English name of a colour (a text of the COMMON table).
fn colour_name(code: &str) -> &'static str {
    match code {
        "green" => "Green",
        "yellow" => "Yellow",
        "red" => "Red",
        _ => "Colour",
    }
}

// ---------------------------------------------------------------------------------------------
// Enrolment
// ---------------------------------------------------------------------------------------------

#[derive(Default, Deserialize)]
struct EnrolForm {
    #[serde(default)]
    event_id: String,
    #[serde(default)]
    resident_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
}

#[derive(Template)]
#[template(path = "resident/enrol.html")]
struct EnrolPage {
    chrome: Chrome,
    form: EnrolForm,
    error: Option<FormError>,
    enrolled_already: bool,
}

impl EnrolPage {
    fn invalid(&self, field: &str) -> bool {
        invalid(&self.error, field)
    }
}

async fn enrol_form(visitor: Visitor) -> PageResult {
    if visitor.role == Some(Role::Resident) {
        return Ok(see_other("/me"));
    }
    render(&EnrolPage {
        chrome: visitor.chrome("Enrol"),
        form: EnrolForm {
            event_id: new_id(),
            ..EnrolForm::default()
        },
        error: None,
        enrolled_already: false,
    })
}

/// What to tell someone whose enrolment form has a bad field.
fn enrolment_error(lang: Lang, error: &FieldError) -> FormError {
    match error.field.as_str() {
        "resident_id" => FormError::new(
            "resident_id",
            "Check the resident ID number: 18 characters, the last a digit or X, as on your ID card.",
        )
        .with_detail(lang, error),
        "name" => FormError::new("name", "Write your name as on your ID card.")
            .with_detail(lang, error),
        "phone" => FormError::new(
            "phone",
            "Check the mobile phone number: 11 digits starting with 1, or + and the country code.",
        )
        .with_detail(lang, error),
        _ => FormError::new("event_id", "The form was out of date; check it and send it again."),
    }
}

async fn enrol(
    State(app): State<App>,
    visitor: Visitor,
    Form(mut form): Form<EnrolForm>,
) -> PageResult {
    let request = EnrolRequest {
        event_id: form.event_id.clone(),
        resident_id: form.resident_id.clone(),
        name: form.name.clone(),
        phone: form.phone.clone(),
    };
    let resident = match NewResident::try_from(request) {
        Ok(resident) => resident,
        Err(error) => {
            let error = enrolment_error(visitor.lang, &error);
            if error.field == "event_id" {
                form.event_id = new_id();
            }
            // A valid ID number is never shown back, not even to whoever typed it.
            if error.field != "resident_id" {
                form.resident_id.clear();
            }
            let page = EnrolPage {
                chrome: visitor.chrome("Enrol"),
                form,
                error: Some(error),
                enrolled_already: false,
            };
            return reshown(render(&page), StatusCode::BAD_REQUEST);
        }
    };
    let now = app.clock.now();
    match app
        .run(move |store| service::enrol(store, now, resident))
        .await
    {
        Ok(enrolled) => {
            let mut response = see_other("/me");
            set_token(
                &mut response,
                &enrolled.response.device_token,
                SignedDuration::from_hours(RESIDENT_COOKIE_HOURS),
            );
            Ok(response)
        }
        Err(ApiError::AlreadyEnrolled) => {
            form.resident_id.clear();
            let page = EnrolPage {
                chrome: visitor.chrome("Enrol"),
                form,
                error: Some(FormError::new(
                    "resident_id",
                    "This resident ID number is enrolled already.",
                )),
                enrolled_already: true,
            };
            reshown(render(&page), StatusCode::CONFLICT)
        }
        Err(other) => Err(other.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// My code: the pass
// ---------------------------------------------------------------------------------------------

/// A pass as the page shows it.
struct PassShown {
    /// The QR code as an SVG data URL.
    image: String,
    expires: i64,
    now: i64,
    expires_text: String,
    countdown: String,
    colour: &'static str,
    colour_name: &'static str,
    colour_until: Option<String>,
}

impl PassShown {
    fn new(issued: &IssuedPass, moments: Moments, now: Timestamp) -> Result<PassShown, ApiError> {
        let svg = healthcode_pass::qr::svg(&issued.text, QR_SIZE).map_err(ApiError::internal)?;
        let expires = issued.claims.expires;
        let left = (expires.as_second() - now.as_second()).max(0);
        Ok(PassShown {
            image: format!(
                "data:image/svg+xml;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(svg)
            ),
            expires: expires.as_second(),
            now: now.as_second(),
            expires_text: moments.time_of_day(expires),
            countdown: format!("{}:{:02}", left / 60, left % 60),
            colour: issued.rating.colour.code(),
            colour_name: colour_name(issued.rating.colour.code()),
            colour_until: issued.rating.valid_until.map(|at| moments.at(at)),
        })
    }
}

/// How long before a pass runs out the page fetches a new one: a fifth of its lifetime, at
/// least 10 seconds and at most a minute.
fn refresh_margin(lifetime_secs: u32) -> i64 {
    i64::from(lifetime_secs / 5).clamp(10, 60)
}

#[derive(Template)]
#[template(path = "resident/my_code.html")]
struct MyCodePage {
    chrome: Chrome,
    name: String,
    masked_resident_id: String,
    pass: PassShown,
    refresh_margin: i64,
}

async fn my_code(State(app): State<App>, session: Session) -> PageResult {
    let pass_access = session.allow(Endpoint::IssueOwnPass, None).await?;
    let profile_access = session.allow(Endpoint::ReadOwnProfile, None).await?;
    let (policies, passes) = (app.policies.clone(), app.passes.clone());
    let margin = refresh_margin(passes.config().lifetime_secs);
    let lang = session.lang;
    let (issued, profile) = app
        .run(move |store| {
            let issued = pass_service::issue_own_pass(store, &pass_access, &policies, &passes)?;
            let profile = service::own_profile(store, &profile_access)?;
            Ok((issued, profile))
        })
        .await?;
    let moments = Moments {
        lang,
        offset: issued.rating.offset,
    };
    let pass = PassShown::new(&issued, moments, pass_access.at)?;
    render(&MyCodePage {
        chrome: session.chrome("My code"),
        name: profile.name,
        masked_resident_id: profile.masked_resident_id,
        pass,
        refresh_margin: margin,
    })
}

#[derive(Deserialize)]
struct HeldPass {
    /// When the pass the page shows runs out, in seconds since the epoch.
    held: Option<i64>,
}

/// What `pass.js` gets: the server's time, and a new pass if the one held runs out soon.
#[derive(Serialize)]
struct PassUpdate {
    renewed: bool,
    now: i64,
    expires: Option<i64>,
    image: Option<String>,
    expires_text: Option<String>,
    colour: Option<&'static str>,
    colour_name: Option<&'static str>,
}

/// A new pass for the page, as JSON, when the one it holds runs out within the refresh margin
/// (or it holds none); otherwise only the server's time, so that the page counts down by the
/// clock checkpoints go by. Issuing is `IssueOwnPass`, audited like the API's.
async fn fresh_pass(
    State(app): State<App>,
    session: Session,
    Query(query): Query<HeldPass>,
) -> PageResult {
    let access = session.allow(Endpoint::IssueOwnPass, None).await?;
    let now = access.at;
    let margin = refresh_margin(app.passes.config().lifetime_secs);
    let no_store = [(CACHE_CONTROL, "no-store")];
    if let Some(held) = query.held
        && held - now.as_second() > margin
    {
        let update = PassUpdate {
            renewed: false,
            now: now.as_second(),
            expires: Some(held),
            image: None,
            expires_text: None,
            colour: None,
            colour_name: None,
        };
        return Ok((no_store, axum::Json(update)).into_response());
    }
    let (policies, passes) = (app.policies.clone(), app.passes.clone());
    let issued = app
        .run(move |store| pass_service::issue_own_pass(store, &access, &policies, &passes))
        .await?;
    let lang = session.lang;
    let pass = PassShown::new(
        &issued,
        Moments {
            lang,
            offset: issued.rating.offset,
        },
        now,
    )?;
    let update = PassUpdate {
        renewed: true,
        now: now.as_second(),
        expires: Some(pass.expires),
        image: Some(pass.image),
        expires_text: Some(pass.expires_text),
        colour: Some(pass.colour),
        colour_name: Some(lang.t(pass.colour_name)),
    };
    Ok((no_store, axum::Json(update)).into_response())
}

// ---------------------------------------------------------------------------------------------
// Why: the colour's reasons and next steps
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "resident/why.html")]
struct WhyPage {
    chrome: Chrome,
    declared: bool,
    status: StatusView,
    colour_name: &'static str,
    until: Option<String>,
}

#[derive(Deserialize)]
struct WhyQuery {
    declared: Option<String>,
}

async fn why(
    State(app): State<App>,
    session: Session,
    Query(query): Query<WhyQuery>,
) -> PageResult {
    let access = session.allow(Endpoint::ReadOwnStatus, None).await?;
    let policies = app.policies.clone();
    let (person, rating) = app
        .run(move |store| {
            let person = service::resident_of(&access)?;
            let policy = policies.active(store, access.at)?;
            let rating = rating_service::status(store, &access, &policy, person)?;
            Ok((person, rating))
        })
        .await?;
    let lang = session.lang;
    let moments = Moments {
        lang,
        offset: rating.offset,
    };
    let status = StatusView::new(person, &rating, lang.0);
    render(&WhyPage {
        chrome: session.chrome("Why this colour?"),
        declared: query.declared.is_some(),
        colour_name: colour_name(&status.colour),
        until: rating.valid_until.map(|at| moments.at(at)),
        status,
    })
}

// ---------------------------------------------------------------------------------------------
// Declarations
// ---------------------------------------------------------------------------------------------

/// A declaration form as sent: repeated `symptoms` fields, so it is read from its pairs.
#[derive(Default)]
struct DeclareForm {
    event_id: String,
    symptoms: Vec<String>,
    temperature: String,
    travel_region: String,
    travel_from: String,
    travel_to: String,
}

impl DeclareForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> DeclareForm {
        let mut form = DeclareForm::default();
        for (key, value) in pairs {
            match key.as_str() {
                "event_id" => form.event_id = value,
                "symptoms" => form.symptoms.push(value),
                "temperature" => form.temperature = value,
                "travel_region" => form.travel_region = value,
                "travel_from" => form.travel_from = value,
                "travel_to" => form.travel_to = value,
                _ => {}
            }
        }
        form
    }

    /// The API's request, or the field that is not a number.
    fn request(&self) -> Result<DeclarationRequest, FormError> {
        let temperature = self.temperature.trim().replace(',', ".");
        let temperature_celsius = if temperature.is_empty() {
            None
        } else {
            Some(
                temperature
                    .parse::<f64>()
                    .map_err(|_| temperature_error())?,
            )
        };
        let travel = [&self.travel_region, &self.travel_from, &self.travel_to];
        let travel = if travel.iter().all(|field| field.trim().is_empty()) {
            Vec::new()
        } else {
            vec![TravelRequest {
                region: self.travel_region.trim().to_owned(),
                from: self.travel_from.trim().to_owned(),
                to: self.travel_to.trim().to_owned(),
            }]
        };
        Ok(DeclarationRequest {
            event_id: self.event_id.clone(),
            symptoms: self.symptoms.clone(),
            temperature_celsius,
            travel,
        })
    }
}

fn temperature_error() -> FormError {
    FormError::new(
        "temperature",
        "Give your temperature in °C, between 34.0 and 43.0, such as 37.8; or leave it empty.",
    )
}

/// What to tell someone whose declaration has a bad field.
fn declaration_error(lang: Lang, error: &FieldError) -> FormError {
    let field = error.field.as_str();
    if field == "temperature_celsius" {
        temperature_error().with_detail(lang, error)
    } else if field.starts_with("travel") {
        FormError::new(
            "travel",
            "Check the trip: a six-digit region code, and a first day on or before the last.",
        )
        .with_detail(lang, error)
    } else if field.starts_with("symptoms") {
        FormError::new("symptoms", "Choose symptoms from the list.")
    } else {
        FormError::new(
            "event_id",
            "The form was out of date; check it and send it again.",
        )
    }
}

/// A symptom's box on the form.
struct SymptomBox {
    code: &'static str,
    label: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "resident/declare.html")]
struct DeclarePage {
    chrome: Chrome,
    form: DeclareForm,
    symptoms: Vec<SymptomBox>,
    error: Option<FormError>,
}

impl DeclarePage {
    fn new(chrome: Chrome, form: DeclareForm, error: Option<FormError>) -> DeclarePage {
        let symptoms = Symptom::ALL
            .iter()
            .map(|symptom| SymptomBox {
                code: symptom.code(),
                label: symptom_label(*symptom),
                checked: form.symptoms.iter().any(|code| code == symptom.code()),
            })
            .collect();
        DeclarePage {
            chrome,
            form,
            symptoms,
            error,
        }
    }

    fn invalid(&self, field: &str) -> bool {
        invalid(&self.error, field)
    }
}

async fn declare_form(session: Session) -> PageResult {
    // The form itself shows nothing personal; what it sends is checked when it arrives.
    session.allow(Endpoint::RecordDeclaration, None).await?;
    let form = DeclareForm {
        event_id: new_id(),
        ..DeclareForm::default()
    };
    render(&DeclarePage::new(session.chrome("Declare"), form, None))
}

async fn declare(
    State(app): State<App>,
    session: Session,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let access = session.allow(Endpoint::RecordDeclaration, None).await?;
    let mut form = DeclareForm::from_pairs(pairs);
    let request = match form.request() {
        Ok(request) => request,
        Err(error) => {
            let page = DeclarePage::new(session.chrome("Declare"), form, Some(error));
            return reshown(render(&page), StatusCode::BAD_REQUEST);
        }
    };
    let policies = app.policies.clone();
    let written = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            service::record_declaration(store, &access, &policy, request)
        })
        .await;
    match written {
        Ok(_) => Ok(see_other("/me/why?declared=1")),
        Err(ApiError::InvalidField(error)) => {
            let error = declaration_error(session.lang, &error);
            if error.field == "event_id" {
                form.event_id = new_id();
            }
            let page = DeclarePage::new(session.chrome("Declare"), form, Some(error));
            reshown(render(&page), StatusCode::BAD_REQUEST)
        }
        Err(other) => Err(other.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Itinerary and visits
// ---------------------------------------------------------------------------------------------

struct ItineraryDayShown {
    day: String,
    stays: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "resident/itinerary.html")]
struct ItineraryPage {
    chrome: Chrome,
    summary: String,
    days: Vec<ItineraryDayShown>,
}

async fn itinerary(State(app): State<App>, session: Session) -> PageResult {
    let access = session.allow(Endpoint::ReadOwnItinerary, None).await?;
    let policies = app.policies.clone();
    let (person, itinerary, offset) = app
        .run(move |store| {
            let person = service::resident_of(&access)?;
            let policy = policies.active(store, access.at)?;
            let itinerary = phone_service::itinerary(store, &access, &policy, person)?;
            Ok((person, itinerary, policy.utc_offset))
        })
        .await?;
    let lang = session.lang;
    let moments = Moments { lang, offset };
    let view = ItineraryView::new(person, &itinerary, lang.0);
    // Newest first: the days that matter most are the recent ones.
    let days = itinerary
        .days
        .iter()
        .rev()
        .map(|day| ItineraryDayShown {
            day: moments.day(day.day),
            stays: day
                .cities
                .iter()
                .map(|stay| {
                    (
                        stay.city.to_string(),
                        format!(
                            "{} – {}",
                            moments.format(stay.first_seen, "%H:%M", "%H:%M"),
                            moments.format(stay.last_seen, "%H:%M", "%H:%M")
                        ),
                    )
                })
                .collect(),
        })
        .collect();
    render(&ItineraryPage {
        chrome: session.chrome("Itinerary"),
        summary: view.summary,
        days,
    })
}

struct VisitShown {
    venue: String,
    district: String,
    entered: String,
    left: Option<String>,
}

#[derive(Template)]
#[template(path = "resident/visits.html")]
struct VisitsPage {
    chrome: Chrome,
    visits: Vec<VisitShown>,
}

async fn visits(State(app): State<App>, session: Session) -> PageResult {
    let access = session.allow(Endpoint::ListOwnCheckIns, None).await?;
    let lang = session.lang;
    let app_for_store = app.clone();
    let visits = app
        .run(move |store| {
            let moments = Moments {
                lang,
                offset: offset_of(store, &app_for_store, access.at)?,
            };
            let check_ins = service::own_check_ins(store, &access)?.check_ins;
            let mut venues = std::collections::HashMap::new();
            let mut shown = Vec::with_capacity(check_ins.len());
            // Newest first.
            for check_in in check_ins.iter().rev() {
                let id = healthcode_core::VenueId::from_uuid(check_in.venue_id);
                // A venue is what its poster shows: public, not personal data.
                let venue = match venues.entry(id) {
                    std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
                    std::collections::hash_map::Entry::Vacant(new) => {
                        new.insert(service::venue(store, id)?)
                    }
                };
                shown.push(VisitShown {
                    venue: venue.name.clone(),
                    district: venue.district.clone(),
                    entered: moments.at(check_in.entered),
                    left: check_in.left.map(|left| moments.at(left)),
                });
            }
            Ok(shown)
        })
        .await?;
    render(&VisitsPage {
        chrome: session.chrome("Visits"),
        visits,
    })
}

// ---------------------------------------------------------------------------------------------
// Appeals
// ---------------------------------------------------------------------------------------------

struct AppealShown {
    filed: String,
    statement: String,
    /// `waiting`, `upheld` or `amended`.
    state: &'static str,
    status: &'static str,
    reason: Option<String>,
    decided: Option<String>,
    colour: Option<&'static str>,
    colour_name: Option<&'static str>,
    colour_until: Option<String>,
}

impl AppealShown {
    fn new(appeal: &AppealView, moments: Moments) -> AppealShown {
        let decision = appeal.decision.as_ref();
        let (state, status) = match decision.map(|decision| decision.outcome.as_str()) {
            None => ("waiting", "Waiting for a decision"),
            Some("amend") => ("amended", "Decided: your colour was changed"),
            Some(_) => ("upheld", "Decided: your colour stands"),
        };
        let colour = decision
            .and_then(|decision| decision.colour.as_deref())
            .map(|code| Colour::parse(code).map_or("green", Colour::code));
        AppealShown {
            filed: moments.at(appeal.filed_at),
            statement: appeal.statement.clone(),
            state,
            status,
            reason: decision.map(|decision| decision.reason.clone()),
            decided: decision.map(|decision| moments.at(decision.decided_at)),
            colour,
            colour_name: colour.map(colour_name),
            colour_until: decision
                .and_then(|decision| decision.expires_at)
                .map(|at| moments.at(at)),
        }
    }
}

#[derive(Template)]
#[template(path = "resident/appeals.html")]
struct AppealsPage {
    chrome: Chrome,
    filed: bool,
    appeal_id: String,
    statement: String,
    error: Option<FormError>,
    appeals: Vec<AppealShown>,
}

impl AppealsPage {
    fn invalid(&self, field: &str) -> bool {
        invalid(&self.error, field)
    }
}

#[derive(Deserialize)]
struct AppealsQuery {
    filed: Option<String>,
}

#[derive(Default, Deserialize)]
struct AppealForm {
    #[serde(default)]
    appeal_id: String,
    #[serde(default)]
    statement: String,
}

/// The appeals page: the resident's appeals, newest first, under the form.
async fn appeals_page(
    app: &App,
    session: &Session,
    filed: bool,
    form: AppealForm,
    error: Option<FormError>,
) -> PageResult {
    let access = session.allow(Endpoint::ListOwnAppeals, None).await?;
    let lang = session.lang;
    let app_for_store = app.clone();
    let appeals = app
        .run(move |store| {
            let moments = Moments {
                lang,
                offset: offset_of(store, &app_for_store, access.at)?,
            };
            let person = service::resident_of(&access)?;
            let records = rating_service::appeals_of(store, &access, person)?;
            Ok(records
                .iter()
                .rev()
                .map(|record| AppealShown::new(&AppealView::from(record), moments))
                .collect())
        })
        .await?;
    render(&AppealsPage {
        chrome: session.chrome("Appeals"),
        filed,
        appeal_id: if form.appeal_id.is_empty() {
            new_id()
        } else {
            form.appeal_id
        },
        statement: form.statement,
        error,
        appeals,
    })
}

async fn appeals(
    State(app): State<App>,
    session: Session,
    Query(query): Query<AppealsQuery>,
) -> PageResult {
    appeals_page(
        &app,
        &session,
        query.filed.is_some(),
        AppealForm::default(),
        None,
    )
    .await
}

async fn file_appeal(
    State(app): State<App>,
    session: Session,
    Form(mut form): Form<AppealForm>,
) -> PageResult {
    let access = session.allow(Endpoint::FileAppeal, None).await?;
    let request = AppealRequest {
        appeal_id: form.appeal_id.clone(),
        statement: form.statement.clone(),
    };
    let (id, statement) = match request.parse() {
        Ok(parsed) => parsed,
        Err(error) => {
            let error = if error.field == "appeal_id" {
                form.appeal_id = String::new();
                FormError::new(
                    "appeal_id",
                    "The form was out of date; check it and send it again.",
                )
            } else {
                FormError::new(
                    "statement",
                    "Write why your colour is wrong, in 1 to 2,000 characters.",
                )
                .with_detail(session.lang, &error)
            };
            let page = appeals_page(&app, &session, false, form, Some(error)).await;
            return reshown(page, StatusCode::BAD_REQUEST);
        }
    };
    let filed = app
        .run(move |store| {
            let person = service::resident_of(&access)?;
            rating_service::file_appeal(store, &access, person, id, statement)
        })
        .await;
    match filed {
        Ok(_) => Ok(see_other("/me/appeals?filed=1")),
        Err(ApiError::Conflict(_)) => {
            let error = FormError::new(
                "statement",
                "You have no colour to appeal yet: open My code first, then appeal.",
            );
            let page = appeals_page(&app, &session, false, form, Some(error)).await;
            reshown(page, StatusCode::CONFLICT)
        }
        Err(other) => Err(other.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Who saw my data
// ---------------------------------------------------------------------------------------------

struct AccessShown {
    when: String,
    who: &'static str,
    role: Option<&'static str>,
    purpose: &'static str,
    action: &'static str,
    outcome: &'static str,
    refused: bool,
}

impl AccessShown {
    fn new(record: &OwnAccessRecordView, moments: Moments) -> AccessShown {
        AccessShown {
            when: moments.at(record.at),
            who: by_label(&record.by),
            role: record
                .role
                .as_deref()
                .and_then(|code| Role::parse(code).ok())
                .map(crate::web::i18n::role_name),
            purpose: Purpose::parse(&record.purpose).map_or("Other", purpose_label),
            action: healthcode_core::AuditAction::parse(&record.action)
                .map_or("Other", action_label),
            outcome: crate::web::i18n::outcome_name(&record.outcome),
            refused: record.outcome == "denied",
        }
    }
}

#[derive(Template)]
#[template(path = "resident/access.html")]
struct AccessPage {
    chrome: Chrome,
    all: bool,
    since: String,
    records: Vec<AccessShown>,
    more: bool,
}

#[derive(Deserialize)]
struct AccessQuery {
    all: Option<String>,
}

async fn access_log(
    State(app): State<App>,
    session: Session,
    Query(query): Query<AccessQuery>,
) -> PageResult {
    let access = session.allow(Endpoint::ReadOwnAccessLog, None).await?;
    let lang = session.lang;
    let all = query.all.is_some();
    let app_for_store = app.clone();
    let (log, moments) = app
        .run(move |store| {
            let moments = Moments {
                lang,
                offset: offset_of(store, &app_for_store, access.at)?,
            };
            Ok((service::own_access_log(store, &access)?, moments))
        })
        .await?;
    // By default, what others did: the resident knows what they did themselves.
    let mut records: Vec<AccessShown> = log
        .records
        .iter()
        .rev()
        .filter(|record| all || record.by != "you")
        .map(|record| AccessShown::new(record, moments))
        .collect();
    let more = records.len() > ACCESS_ROWS;
    records.truncate(ACCESS_ROWS);
    render(&AccessPage {
        chrome: session.chrome("Who saw my data"),
        all,
        since: moments.at(log.since),
        records,
        more,
    })
}

// ---------------------------------------------------------------------------------------------
// Consents
// ---------------------------------------------------------------------------------------------

struct ConsentShown {
    id: String,
    employer: String,
    state: &'static str,
    state_code: String,
    issued: String,
    until: String,
    checks_made: u32,
    max_checks: u32,
    active: bool,
}

impl ConsentShown {
    fn new(consent: &ConsentView, moments: Moments) -> ConsentShown {
        ConsentShown {
            id: consent.consent_id.to_string(),
            employer: consent.employer.clone(),
            state: consent_state_label(&consent.state),
            state_code: consent.state.clone(),
            issued: moments.at(consent.issued_at),
            until: moments.at(consent.revoked_at.unwrap_or(consent.expires_at)),
            checks_made: consent.checks_made,
            max_checks: consent.max_checks,
            active: consent.state == "active",
        }
    }
}

#[derive(Default, Deserialize)]
struct ConsentForm {
    #[serde(default)]
    consent_id: String,
    #[serde(default)]
    employer: String,
    #[serde(default)]
    valid_days: String,
    #[serde(default)]
    checks: String,
}

/// A consent just issued: whom to give the token to, and the token, shown this once.
struct IssuedShown {
    employer: String,
    token: String,
    until: String,
    checks: u32,
}

#[derive(Template)]
#[template(path = "resident/consents.html")]
struct ConsentsPage {
    chrome: Chrome,
    revoked: bool,
    issued: Option<IssuedShown>,
    form: ConsentForm,
    error: Option<FormError>,
    consents: Vec<ConsentShown>,
}

impl ConsentsPage {
    fn invalid(&self, field: &str) -> bool {
        invalid(&self.error, field)
    }
}

#[derive(Deserialize)]
struct ConsentsQuery {
    revoked: Option<String>,
}

/// The consents page: the resident's consents, newest first, and the form for a new one.
async fn consents_page(
    app: &App,
    session: &Session,
    revoked: bool,
    issued: Option<IssuedShown>,
    form: ConsentForm,
    error: Option<FormError>,
) -> PageResult {
    let access = session.allow(Endpoint::ListOwnConsents, None).await?;
    let lang = session.lang;
    let app_for_store = app.clone();
    let consents = app
        .run(move |store| {
            let moments = Moments {
                lang,
                offset: offset_of(store, &app_for_store, access.at)?,
            };
            let list = consent_service::own_consents(store, &access)?;
            Ok(list
                .consents
                .iter()
                .rev()
                .map(|consent| ConsentShown::new(consent, moments))
                .collect())
        })
        .await?;
    let form = if issued.is_some() || form.consent_id.is_empty() {
        ConsentForm {
            consent_id: new_id(),
            employer: if issued.is_some() {
                String::new()
            } else {
                form.employer
            },
            valid_days: "7".to_owned(),
            checks: "1".to_owned(),
        }
    } else {
        form
    };
    render(&ConsentsPage {
        chrome: session.chrome("Consents"),
        revoked,
        issued,
        form,
        error,
        consents,
    })
}

async fn consents(
    State(app): State<App>,
    session: Session,
    Query(query): Query<ConsentsQuery>,
) -> PageResult {
    consents_page(
        &app,
        &session,
        query.revoked.is_some(),
        None,
        ConsentForm::default(),
        None,
    )
    .await
}

/// A whole number from a form field; empty is `None` (the API's default applies).
fn whole_number(text: &str) -> Result<Option<u32>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(drop)
}

/// What to tell someone whose consent form has a bad field.
fn consent_error(lang: Lang, error: &FieldError) -> FormError {
    match error.field.as_str() {
        "employer" => FormError::new(
            "employer",
            "Check the employer's username: ask your employer for the username of their account.",
        )
        .with_detail(lang, error),
        "valid_days" => FormError::new("valid_days", "Give a number of days from 1 to 30.")
            .with_detail(lang, error),
        "checks" => FormError::new("checks", "Give a number of checks from 1 to 30.")
            .with_detail(lang, error),
        _ => FormError::new(
            "consent_id",
            "The form was out of date; check it and send it again.",
        ),
    }
}

/// Issues a consent and shows its token on the page answering the form. The token is shown
/// only here, once, so this answer is a page and not a redirect: a redirect would have to
/// carry the token in its address, where browsers keep history.
async fn issue_consent(
    State(app): State<App>,
    session: Session,
    Form(mut form): Form<ConsentForm>,
) -> PageResult {
    let access = session.allow(Endpoint::IssueConsent, None).await?;
    let lang = session.lang;
    let numbers = (whole_number(&form.valid_days), whole_number(&form.checks));
    let (valid_days, checks) = match numbers {
        (Ok(days), Ok(checks)) => (days, checks),
        (Err(()), _) => {
            let error = FormError::new("valid_days", "Give a number of days from 1 to 30.");
            let page = consents_page(&app, &session, false, None, form, Some(error)).await;
            return reshown(page, StatusCode::BAD_REQUEST);
        }
        (_, Err(())) => {
            let error = FormError::new("checks", "Give a number of checks from 1 to 30.");
            let page = consents_page(&app, &session, false, None, form, Some(error)).await;
            return reshown(page, StatusCode::BAD_REQUEST);
        }
    };
    let request = ConsentRequest {
        consent_id: form.consent_id.clone(),
        employer: form.employer.clone(),
        valid_days,
        checks,
    };
    let issued = match NewConsent::try_from(request) {
        Ok(request) => {
            app.run(move |store| consent_service::issue_consent(store, &access, request))
                .await
        }
        Err(error) => Err(ApiError::InvalidField(error)),
    };
    match issued {
        Ok((issued, _)) => {
            let offset = app
                .run({
                    let app = app.clone();
                    move |store| offset_of(store, &app, access.at)
                })
                .await?;
            let moments = Moments { lang, offset };
            let shown = IssuedShown {
                employer: issued.consent.employer.clone(),
                token: issued.token,
                until: moments.at(issued.consent.expires_at),
                checks: issued.consent.max_checks,
            };
            consents_page(&app, &session, false, Some(shown), form, None).await
        }
        Err(ApiError::InvalidField(error)) => {
            let error = consent_error(lang, &error);
            if error.field == "consent_id" {
                form.consent_id = String::new();
            }
            let page = consents_page(&app, &session, false, None, form, Some(error)).await;
            reshown(page, StatusCode::BAD_REQUEST)
        }
        Err(ApiError::Conflict(_)) => {
            form.consent_id = String::new();
            let error = FormError::new(
                "consent_id",
                "The form was out of date; check it and send it again.",
            );
            let page = consents_page(&app, &session, false, None, form, Some(error)).await;
            reshown(page, StatusCode::CONFLICT)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
struct RevokeForm {
    consent_id: String,
}

async fn revoke_consent(
    State(app): State<App>,
    session: Session,
    Form(form): Form<RevokeForm>,
) -> PageResult {
    let access = session.allow(Endpoint::RevokeConsent, None).await?;
    let consent = ConsentId::from_uuid(parse_uuid("consent_id", &form.consent_id)?);
    app.run(move |store| consent_service::revoke_consent(store, &access, consent))
        .await?;
    Ok(see_other("/me/consents?revoked=1"))
}

// ---------------------------------------------------------------------------------------------
// Words for codes
// ---------------------------------------------------------------------------------------------

fn symptom_label(symptom: Symptom) -> &'static str {
    match symptom {
        Symptom::Fever => "Fever",
        Symptom::DryCough => "Dry cough",
        Symptom::Fatigue => "Fatigue",
        Symptom::SoreThroat => "Sore throat",
        Symptom::StuffyNose => "Stuffy nose",
        Symptom::RunnyNose => "Runny nose",
        Symptom::ShortnessOfBreath => "Shortness of breath",
        Symptom::LossOfTasteOrSmell => "Loss of taste or smell",
        Symptom::MuscleAche => "Muscle ache",
        Symptom::Headache => "Headache",
        Symptom::Diarrhoea => "Diarrhoea",
        Symptom::Chills => "Chills",
        Symptom::Conjunctivitis => "Conjunctivitis",
    }
}

/// Who touched the data, as the access log's `by` says.
fn by_label(by: &str) -> &'static str {
    match by {
        "you" => "You",
        "staff" => "Staff",
        "resident" => "Another resident",
        "system" => "healthcode, applying the rules",
        "public" => "Not signed in",
        "local_operator" => "The server's operator",
        _ => "Other",
    }
}

/// A purpose in the resident's own words where it is about them, else as the audit log names it.
fn purpose_label(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::SelfService => "Your own use",
        Purpose::Rating => "Working out your colour",
        Purpose::EmploymentCheck => "Employer's check with your consent",
        Purpose::PassIssuance => "Issuing your pass",
        other => crate::web::i18n::purpose_name(other),
    }
}

/// An action in the resident's own words where it is about them, else as the audit log names it.
fn action_label(action: healthcode_core::AuditAction) -> &'static str {
    use healthcode_core::AuditAction::*;
    match action {
        EnrolPerson => "Enrolled you",
        ReadPerson => "Read your profile",
        FindPersonByResidentId => "Looked you up by ID number",
        ReadDeclarations => "Read your declarations",
        ReadCheckIns => "Read your visits",
        ReadAuditLog => "Read the access log",
        ReadFacts => "Read the facts behind your colour",
        RecordRating => "Recorded your colour",
        ReadRatings => "Read your colour history",
        SetOverride => "Set your colour by hand",
        ReadItinerary => "Read your itinerary",
        ReadConsents => "Read your consents",
        CheckCloseContact => "Checked whether you are a close contact",
        other => crate::web::i18n::action_name(other),
    }
}

fn consent_state_label(state: &str) -> &'static str {
    match state {
        "active" => "In force",
        "expired" => "Expired",
        "revoked" => "Revoked",
        "used_up" => "Used up",
        _ => "Other",
    }
}

/// Texts of these pages, in Simplified Chinese.
pub(super) const ZH: &[(&str, &str)] = &[
    // Enrolment.
    ("Enrol", "注册"),
    (
        "The 18 characters on your ID card. It is stored encrypted and only ever shown masked.",
        "身份证上的18位号码。加密存储，只以遮盖形式显示。",
    ),
    ("Your name", "姓名"),
    ("As on your ID card.", "与身份证上一致。"),
    ("Mobile phone", "手机号码"),
    (
        "For health officials to reach you if you were near a case.",
        "如您接触过病例，卫生健康工作人员将通过此号码联系您。",
    ),
    ("Enrol and show my code", "注册并显示我的码"),
    (
        "Check the resident ID number: 18 characters, the last a digit or X, as on your ID card.",
        "请核对居民身份证号码：共18位，最后一位为数字或X，与身份证上一致。",
    ),
    (
        "Write your name as on your ID card.",
        "请填写与身份证上一致的姓名。",
    ),
    (
        "Check the mobile phone number: 11 digits starting with 1, or + and the country code.",
        "请核对手机号码：以1开头的11位数字，或以+和国家代码开头。",
    ),
    (
        "The form was out of date; check it and send it again.",
        "表单已过期，请核对后重新提交。",
    ),
    (
        "This resident ID number is enrolled already.",
        "此居民身份证号码已经注册。",
    ),
    (
        "On the phone you enrolled with, open your code there; on another device, sign in with the device token your phone received.",
        "请在注册时使用的手机上查看您的码；在其他设备上，请用手机收到的设备令牌登录。",
    ),
    // My code.
    ("Your code", "您的码"),
    ("ID number", "证件号码"),
    (
        "Your pass as a QR code, for a checkpoint or venue to scan",
        "您的通行码二维码，供检查点或场所扫描",
    ),
    ("Valid for", "有效期还剩"),
    ("Expired: show a new code", "已过期：请显示新码"),
    ("This code is valid until", "此码有效至"),
    (
        "It renews itself while this page is open.",
        "页面打开时会自动更新。",
    ),
    ("Show a new code", "显示新码"),
    ("Colour until", "颜色持续至"),
    ("Why this colour?", "为什么是这个颜色？"),
    // Why.
    ("Declaration saved.", "申报已保存。"),
    ("Your colour", "您的颜色"),
    ("Reasons", "原因"),
    ("No rule applies to you now.", "目前没有适用于您的规则。"),
    (
        "No end date: it stays until something new happens.",
        "没有截止时间：在出现新情况前保持不变。",
    ),
    (
        "Until one of the next steps below is done.",
        "直至完成下面的某一步。",
    ),
    ("Nothing to do.", "无需任何操作。"),
    ("Think this is wrong?", "认为有误？"),
    ("Appeal to a health official", "向卫生健康工作人员申诉"),
    ("Rules", "规则"),
    // Declare.
    ("Fever", "发热"),
    ("Dry cough", "干咳"),
    ("Fatigue", "乏力"),
    ("Sore throat", "咽痛"),
    ("Stuffy nose", "鼻塞"),
    ("Runny nose", "流涕"),
    ("Shortness of breath", "呼吸急促"),
    ("Loss of taste or smell", "味觉或嗅觉减退"),
    ("Muscle ache", "肌肉酸痛"),
    ("Headache", "头痛"),
    ("Diarrhoea", "腹泻"),
    ("Chills", "寒战"),
    ("Conjunctivitis", "结膜炎"),
    ("Symptoms today", "今天的症状"),
    ("Tick every symptom you have now.", "勾选您现在的所有症状。"),
    ("Temperature (°C)", "体温（°C）"),
    (
        "Optional. As measured, such as 36.6.",
        "选填。按实际测量填写，例如36.6。",
    ),
    ("A trip in the last 14 days", "近14天的一次出行"),
    (
        "Optional. Where you stayed outside your city, and when.",
        "选填。您在本市以外停留的地点和时间。",
    ),
    ("Region code", "地区代码"),
    (
        "The six-digit code of the city or district, such as 420100.",
        "城市或区县的六位代码，例如420100。",
    ),
    ("First day", "第一天"),
    ("Last day", "最后一天"),
    ("Send the declaration", "提交申报"),
    (
        "Give your temperature in °C, between 34.0 and 43.0, such as 37.8; or leave it empty.",
        "请填写34.0至43.0之间的摄氏体温，例如37.8；也可留空。",
    ),
    (
        "Check the trip: a six-digit region code, and a first day on or before the last.",
        "请核对出行信息：六位地区代码，第一天不晚于最后一天。",
    ),
    ("Choose symptoms from the list.", "请从列表中选择症状。"),
    (
        "Your colour is worked out again as soon as you send this.",
        "提交后将立即重新计算您的颜色。",
    ),
    // Itinerary.
    ("Your 14-day itinerary", "您的14天行程"),
    ("Cities", "城市"),
    ("No city seen", "未发现所在城市"),
    (
        "From the phone network: the cities your phone was seen in each day, first and last seen.",
        "来自移动网络：您的手机每天出现过的城市，以及首次和最后出现的时间。",
    ),
    // Visits.
    ("Your visits", "您的到访记录"),
    ("Entered", "进入"),
    ("Left", "离开"),
    ("Not recorded", "未记录"),
    // Appeals.
    ("Appeal your colour", "对您的颜色提出申诉"),
    ("Why is your colour wrong?", "您的颜色为什么有误？"),
    (
        "Write what a health official should know, such as a test you took or that you were not there. 1 to 2,000 characters.",
        "写下卫生健康工作人员应了解的情况，例如您做过的检测，或您当时不在现场。1至2000字。",
    ),
    ("Send the appeal", "提交申诉"),
    (
        "Your appeal was sent. A health official decides it; the decision and its reason show here.",
        "您的申诉已提交。由卫生健康工作人员裁定；裁定结果和理由将显示在此处。",
    ),
    (
        "Write why your colour is wrong, in 1 to 2,000 characters.",
        "请用1至2000字说明您的颜色为什么有误。",
    ),
    (
        "You have no colour to appeal yet: open My code first, then appeal.",
        "您还没有可申诉的颜色：请先打开“我的码”，再提出申诉。",
    ),
    ("Your appeals", "您的申诉"),
    ("You wrote", "您写道"),
    ("Waiting for a decision", "等待裁定"),
    ("Decided: your colour was changed", "已裁定：您的颜色已更改"),
    ("Decided: your colour stands", "已裁定：维持您的颜色"),
    ("Decided", "裁定于"),
    ("The official's reason", "工作人员的理由"),
    ("Colour set to", "颜色改为"),
    // Who saw my data.
    (
        "Every time someone or something touched your data: when, who, why and what.",
        "每一次有人或系统接触您的数据：时间、对象、目的和操作。",
    ),
    ("Since", "起始于"),
    ("Show what I did too", "也显示我本人的操作"),
    ("Show only what others did", "只显示他人的操作"),
    ("What", "操作"),
    ("Only the most recent are shown.", "仅显示最近的记录。"),
    ("You", "您本人"),
    // Shared with the auditor's pages, which show the same actors.
    ("Not signed in", "未登录"),
    ("The server's operator", "服务器运维人员"),
    ("healthcode, applying the rules", "健康码系统（按规则自动）"),
    ("Other", "其他"),
    ("Staff", "工作人员"),
    ("Another resident", "其他居民"),
    ("Enrolment", "注册登记"),
    ("Your own use", "本人使用"),
    ("Health declaration", "健康申报"),
    ("Recording a visit", "记录到访"),
    ("Bulk import", "批量导入"),
    ("Case investigation", "病例调查"),
    ("Audit review", "审计检查"),
    ("Working out your colour", "计算您的颜色"),
    ("Laboratory report", "实验室报告"),
    ("Pharmacy report", "药店报告"),
    ("Daily health report", "每日健康报告"),
    ("Appeal review", "申诉审理"),
    ("Comparing rules", "规则比较"),
    ("Transit report", "交通乘车报告"),
    ("Phone network data", "手机网络数据"),
    ("Employer's check with your consent", "经您授权的雇主查询"),
    ("Quarantine follow-up", "隔离随访"),
    ("Deleting old data", "删除过期数据"),
    ("Issuing your pass", "签发您的通行码"),
    ("Enrolled you", "为您注册"),
    ("Read your profile", "读取您的个人信息"),
    ("Looked you up by ID number", "按证件号码查找您"),
    ("Recorded a declaration", "记录健康申报"),
    ("Read your declarations", "读取您的健康申报"),
    ("Recorded a visit", "记录一次到访"),
    ("Imported visits", "导入到访记录"),
    ("Read your visits", "读取您的到访记录"),
    ("Read the access log", "读取访问记录"),
    ("Recorded test results", "记录检测结果"),
    ("Recorded medicine purchases", "记录购药信息"),
    ("Recorded health reports", "记录健康报告"),
    ("Registered a case", "登记病例"),
    ("Released a case", "解除病例"),
    ("Recorded a contact", "记录密切接触"),
    (
        "Read the facts behind your colour",
        "读取您的颜色所依据的信息",
    ),
    ("Recorded your colour", "记录您的颜色"),
    ("Read your colour history", "读取您的颜色历史"),
    ("Filed an appeal", "提交申诉"),
    ("Read appeals", "读取申诉"),
    ("Decided an appeal", "裁定申诉"),
    ("Set your colour by hand", "人工调整您的颜色"),
    ("Stored rules", "保存规则"),
    ("Activated rules", "启用规则"),
    ("Published the risk-region list", "发布风险地区名单"),
    ("Recorded trips", "记录乘车信息"),
    ("Registered households", "登记家庭户"),
    ("Read a case", "读取病例"),
    ("Traced a case's contacts", "追踪病例的接触者"),
    ("Read contacts", "读取接触者"),
    ("Dismissed a contact", "排除接触者"),
    ("Registered phone cells", "登记基站"),
    ("Imported phone pings", "导入手机信令"),
    ("Deleted old phone data", "删除过期手机数据"),
    ("Read your itinerary", "读取您的行程"),
    ("Searched who was nearby", "时空伴随查询"),
    ("Reviewed a proximity match", "审核时空伴随对象"),
    ("Issued a consent", "签发授权"),
    ("Revoked a consent", "撤销授权"),
    ("Read your consents", "读取您的授权"),
    (
        "Checked whether you are a close contact",
        "查询您是否为密切接触者",
    ),
    ("Recorded a follow-up check", "记录随访检查"),
    ("Read follow-up checks", "读取随访检查"),
    ("Done", "完成"),
    ("Resent; nothing new", "重复提交，无变化"),
    ("Refused", "被拒绝"),
    ("Conflict", "冲突"),
    ("Rejected as invalid", "无效，已拒绝"),
    // Consents.
    (
        "Let one employer check whether you were a close contact of a case. They learn yes or no, nothing else, and every check shows in Who saw my data.",
        "允许一位雇主查询您是否为病例的密切接触者。雇主只会得到“是”或“否”，不会得到其他信息，每次查询都会显示在“谁查看了我的数据”中。",
    ),
    ("New consent", "新授权"),
    ("Employer's username", "雇主的用户名"),
    (
        "Ask your employer for the username of their account, such as hr.westlake.",
        "请向雇主索取其账号的用户名，例如hr.westlake。",
    ),
    ("Days it lasts", "有效天数"),
    ("1 to 30 days.", "1至30天。"),
    ("Checks allowed", "允许查询次数"),
    ("1 to 30 checks.", "1至30次。"),
    ("Give consent", "授权"),
    (
        "Check the employer's username: ask your employer for the username of their account.",
        "请核对雇主的用户名：向雇主索取其账号的用户名。",
    ),
    (
        "Give a number of days from 1 to 30.",
        "请填写1至30之间的天数。",
    ),
    (
        "Give a number of checks from 1 to 30.",
        "请填写1至30之间的次数。",
    ),
    ("Consent given to", "已授权给"),
    (
        "Give this token to your employer now. It is shown only once.",
        "请现在把此令牌交给您的雇主。它只显示这一次。",
    ),
    ("Consent token", "授权令牌"),
    ("Checks", "查询次数"),
    ("Consent revoked.", "授权已撤销。"),
    ("Your consents", "您的授权"),
    ("Issued", "签发于"),
    ("Revoke", "撤销"),
    ("In force", "有效"),
    ("Expired", "已过期"),
    ("Revoked", "已撤销"),
    ("Used up", "次数已用完"),
];

#[cfg(test)]
mod tests {
    use healthcode_core::rating::Language;

    use super::*;

    /// Texts chosen at run time from codes are not seen by the i18n test, which reads `t("…")`
    /// literals: this one asks for each of them.
    #[test]
    fn every_word_for_a_code_has_a_chinese_translation() {
        let chinese = Lang(Language::SimplifiedChinese);
        let mut words: Vec<&'static str> = Vec::new();
        words.extend(Symptom::ALL.map(symptom_label));
        words.extend(Role::ALL.map(crate::web::i18n::role_name));
        words.extend(Purpose::ALL.map(purpose_label));
        words.extend(healthcode_core::AuditAction::ALL.map(action_label));
        for by in [
            "you",
            "staff",
            "resident",
            "system",
            "public",
            "local_operator",
            "?",
        ] {
            words.push(by_label(by));
        }
        for outcome in [
            "success",
            "duplicate",
            "denied",
            "not_found",
            "conflict",
            "rejected",
        ] {
            words.push(crate::web::i18n::outcome_name(outcome));
        }
        for state in ["active", "expired", "revoked", "used_up"] {
            words.push(consent_state_label(state));
        }
        for colour in Colour::ALL {
            words.push(colour_name(colour.code()));
        }
        words.extend([
            "Waiting for a decision",
            "Decided: your colour was changed",
            "Decided: your colour stands",
        ]);
        let missing: Vec<&str> = words
            .into_iter()
            .filter(|word| chinese.t(word) == *word)
            .collect();
        assert!(missing.is_empty(), "without Chinese: {missing:?}");
    }

    #[test]
    fn a_pass_is_fetched_anew_a_fifth_of_its_lifetime_before_it_runs_out() {
        assert_eq!(refresh_margin(300), 60);
        assert_eq!(refresh_margin(100), 20);
        assert_eq!(refresh_margin(20), 10);
        assert_eq!(refresh_margin(3600), 60);
    }
}
