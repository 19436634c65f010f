//! `/official/cases`: registering a case (`POST /v1/cases`), a case's contacts with their
//! evidence (`GET /v1/cases/{case_id}/contacts`), tracing it again
//! (`POST /v1/cases/{case_id}/trace`) and dismissing a contact
//! (`POST /v1/contacts/{contact_id}/dismissal`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use healthcode_core::rating::{CaseRecord, CaseStatus};
use healthcode_core::{PersonId, VenueId};
use jiff::tz::Offset;
use serde::Deserialize;

use super::{Who, local_time, local_value, new_id, people, policy_offset, shown};
use crate::api::{CaseRequest, ContactView, parse_case_id, parse_contact_id};
use crate::endpoints::Endpoint;
use crate::error::ApiError;
use crate::web::{Chrome, PageResult, Session, WebError, render, see_other};
use crate::{App, Router, cases};

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/official/cases", get(case_form).post(register_case))
        .route("/official/cases/open", get(open_case))
        .route("/official/cases/{case_id}", get(case_page))
        .route("/official/cases/{case_id}/trace", post(trace_again))
        .route(
            "/official/contacts/{contact_id}/dismissal",
            post(dismiss_contact),
        )
}

/// The registration form's values, kept when it is shown again with an error.
#[derive(Clone, Debug, Default, Deserialize)]
struct CaseForm {
    case_id: String,
    resident_id: String,
    status: String,
    onset: String,
    #[serde(default)]
    isolated_at: String,
}

#[derive(Template)]
#[template(path = "official/cases.html")]
struct CasesPage {
    chrome: Chrome,
    form: CaseForm,
    error: Option<String>,
    offset: String,
}

async fn case_form(State(app): State<App>, session: Session) -> PageResult {
    let access = session.allow(Endpoint::RegisterCase, None).await?;
    let offset = policy_offset(&app, access.at).await?;
    let form = CaseForm {
        case_id: new_id(),
        status: "confirmed".to_owned(),
        onset: local_value(access.at - jiff::SignedDuration::from_hours(24), offset),
        ..CaseForm::default()
    };
    render(&CasesPage {
        chrome: session.chrome("Cases"),
        form,
        error: None,
        offset: offset.to_string(),
    })
}

async fn register_case(
    State(app): State<App>,
    session: Session,
    Form(form): Form<CaseForm>,
) -> PageResult {
    let access = session.allow(Endpoint::RegisterCase, None).await?;
    let offset = policy_offset(&app, access.at).await?;
    let shown_again = |error: String| {
        let mut form = form.clone();
        // A valid ID number is never shown back, not even to whoever typed it.
        if healthcode_core::ResidentId::parse(form.resident_id.trim()).is_ok() {
            form.resident_id.clear();
        }
        let mut page = render(&CasesPage {
            chrome: session.chrome("Cases"),
            form,
            error: Some(error),
            offset: offset.to_string(),
        })?;
        *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        Ok::<_, WebError>(page)
    };
    let request = match case_request(&form, offset) {
        Ok(request) => request,
        Err(error) => return shown_again(error.to_string()),
    };
    let case = match request.parse(access.at) {
        Ok(case) => case,
        Err(error) => return shown_again(error.to_string()),
    };
    let id = case.id;
    let policies = app.policies.clone();
    let registered = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            Ok(cases::register_case(store, &access, &policy, &case))
        })
        .await?;
    match registered {
        Ok(_) => Ok(see_other(&format!(
            "/official/cases/{}?registered=1",
            id.as_uuid()
        ))),
        Err(error @ (ApiError::NotFound { .. } | ApiError::InvalidField(_))) => {
            shown_again(error.to_string())
        }
        Err(other) => Err(other.into()),
    }
}

/// The API's request from the form: local times read in the policy's offset.
fn case_request(form: &CaseForm, offset: Offset) -> Result<CaseRequest, crate::api::FieldError> {
    Ok(CaseRequest {
        case_id: form.case_id.clone(),
        resident_id: form.resident_id.clone(),
        status: form.status.clone(),
        onset: local_time("onset", &form.onset, offset)?,
        isolated_at: match form.isolated_at.trim() {
            "" => None,
            text => Some(local_time("isolated_at", text, offset)?),
        },
    })
}

#[derive(Debug, Deserialize)]
struct OpenQuery {
    case_id: String,
}

/// The "find a case" form: to the case's page, if the id is one.
async fn open_case(Query(query): Query<OpenQuery>) -> PageResult {
    let case = parse_case_id(query.case_id.trim())?;
    Ok(see_other(&format!("/official/cases/{}", case.as_uuid())))
}

/// One contact as its row shows it.
struct ContactRow {
    view: ContactView,
    who: Option<Who>,
    via: Option<Who>,
    place: String,
    first: String,
    last: String,
    dismissed_at: Option<String>,
}

#[derive(Template)]
#[template(path = "official/case.html")]
struct CasePage {
    chrome: Chrome,
    case_id: String,
    case: CaseRecord,
    person: Option<Who>,
    onset: String,
    since: String,
    isolated: String,
    window: Option<(String, String)>,
    /// The contacts of this page, and all of the case's.
    contacts: Vec<ContactRow>,
    total: usize,
    /// The number of the first contact on this page, from 1.
    shown_from: usize,
    previous_page: Option<usize>,
    next_page: Option<usize>,
    notice: Option<Notice>,
}

/// What the last form on the page did.
enum Notice {
    Registered,
    Traced(u64),
    Dismissed,
}

#[derive(Debug, Default, Deserialize)]
struct CaseQuery {
    registered: Option<String>,
    traced: Option<u64>,
    dismissed: Option<String>,
    /// The page of contacts shown, from 1.
    page: Option<usize>,
}

/// Contacts shown on one page of a case: each shown contact's name is an audited read, so a
/// case with thousands of contacts is read a page at a time.
const CONTACTS_PER_PAGE: usize = 100;

impl CasePage {
    fn confirmed(&self) -> bool {
        self.case.status == CaseStatus::Confirmed
    }
}

async fn case_page(
    State(app): State<App>,
    session: Session,
    Path(case_id): Path<String>,
    Query(query): Query<CaseQuery>,
) -> PageResult {
    let case_id = parse_case_id(&case_id)?;
    let access = session.allow(Endpoint::ListCaseContacts, None).await?;
    let policies = app.policies.clone();
    let page = query.page.unwrap_or(1).max(1);
    let (offset, person, record, contacts, total, who, venues, window) = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            let (person, record) = store.case(&access, case_id).map_err(|error| match error {
                healthcode_store::StoreError::NotFound { .. } => ApiError::NotFound {
                    what: "case",
                    field: Some("case_id".to_owned()),
                },
                other => other.into(),
            })?;
            let contacts = cases::contacts_of(store, &access, case_id)?;
            let total = contacts.len();
            let contacts: Vec<_> = contacts
                .into_iter()
                .skip((page - 1) * CONTACTS_PER_PAGE)
                .take(CONTACTS_PER_PAGE)
                .collect();
            let ids = std::iter::once(person).chain(contacts.iter().flat_map(|contact| {
                std::iter::once(PersonId::from_uuid(contact.person_id))
                    .chain(contact.via_person_id.map(PersonId::from_uuid))
            }));
            let who = people(store, &access, ids)?;
            let mut venues = std::collections::BTreeMap::new();
            for venue in contacts.iter().filter_map(|contact| contact.venue_id) {
                if let Some(found) = store.venue(VenueId::from_uuid(venue))? {
                    venues.insert(venue, found.name.to_string());
                }
            }
            let window = healthcode_core::trace::infectious_window(&record, &policy.tracing);
            Ok((
                policy.utc_offset,
                person,
                record,
                contacts,
                total,
                who,
                venues,
                window,
            ))
        })
        .await?;
    let lang = session.lang;
    let rows = contacts
        .into_iter()
        .map(|view| {
            let place = match view.setting.as_str() {
                "venue" => view
                    .venue_id
                    .and_then(|venue| venues.get(&venue).cloned())
                    .unwrap_or_else(|| lang.t("An unknown venue").to_owned()),
                "trip" => lang.t("Trip").to_owned(),
                "household" => lang.t("Household").to_owned(),
                _ => lang.t("Nearby").to_owned(),
            };
            ContactRow {
                who: who.get(&PersonId::from_uuid(view.person_id)).cloned(),
                via: view
                    .via_person_id
                    .and_then(|via| who.get(&PersonId::from_uuid(via)).cloned()),
                place,
                first: shown(view.first_exposure, offset),
                last: shown(view.last_exposure, offset),
                dismissed_at: view
                    .dismissal
                    .as_ref()
                    .map(|dismissal| shown(dismissal.at, offset)),
                view,
            }
        })
        .collect();
    let notice = if query.registered.is_some() {
        Some(Notice::Registered)
    } else if let Some(new) = query.traced {
        Some(Notice::Traced(new))
    } else if query.dismissed.is_some() {
        Some(Notice::Dismissed)
    } else {
        None
    };
    render(&CasePage {
        chrome: session.chrome("Case"),
        case_id: case_id.as_uuid().to_string(),
        person: who.get(&person).cloned(),
        onset: shown(record.onset, offset),
        since: shown(record.since, offset),
        isolated: shown(record.isolated_at, offset),
        window: window.map(|window| (shown(window.from(), offset), shown(window.to(), offset))),
        case: record,
        shown_from: (page - 1) * CONTACTS_PER_PAGE + 1,
        previous_page: (page > 1).then(|| page - 1),
        next_page: (page * CONTACTS_PER_PAGE < total).then_some(page + 1),
        contacts: rows,
        total,
        notice,
    })
}

async fn trace_again(
    State(app): State<App>,
    session: Session,
    Path(case_id): Path<String>,
) -> PageResult {
    let case = parse_case_id(&case_id)?;
    let access = session.allow(Endpoint::TraceCase, None).await?;
    let policies = app.policies.clone();
    let traced = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            cases::trace_case(store, &access, &policy, case)
        })
        .await?;
    Ok(see_other(&format!(
        "/official/cases/{}?traced={}",
        case.as_uuid(),
        traced.new_contacts
    )))
}

#[derive(Deserialize)]
struct DismissForm {
    case_id: String,
    #[serde(default)]
    reason: String,
}

async fn dismiss_contact(
    State(app): State<App>,
    session: Session,
    Path(contact_id): Path<String>,
    Form(form): Form<DismissForm>,
) -> PageResult {
    let contact = parse_contact_id(&contact_id)?;
    let case = parse_case_id(&form.case_id)?;
    let reason = crate::api::DismissalRequest {
        reason: form.reason,
    }
    .parse()?;
    let access = session.allow(Endpoint::DismissContact, None).await?;
    let policies = app.policies.clone();
    app.run(move |store| {
        let policy = policies.active(store, access.at)?;
        cases::dismiss_contact(store, &access, &policy, contact, &reason)
    })
    .await?;
    Ok(see_other(&format!(
        "/official/cases/{}?dismissed=1",
        case.as_uuid()
    )))
}
