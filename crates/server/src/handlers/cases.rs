//! Handlers of cases, tracing and contacts. Thin, like the others: parse, call one library
//! function on the blocking pool, pick the status.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use healthcode_store::Write;

use super::{Answer, created_unless};
use crate::api::{
    CaseRequest, CaseResponse, ContactList, DismissalRequest, DismissalResponse, ErrorBody,
    ReleaseResponse, TraceResponse, parse_case_id, parse_contact_id,
};
use crate::endpoints::Endpoint;
use crate::extract::{Caller, Json};
use crate::{App, cases, rating_service};

#[utoipa::path(post, path = "/v1/cases", tag = "tracing", request_body = CaseRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered; the resident was rated again, and a confirmed case traced: its new contacts were rated again too.", body = CaseResponse),
        (status = 200, description = "Already registered under this id; nothing changed.", body = CaseResponse),
        (status = 400, description = "A field is invalid.", body = ErrorBody),
        (status = 404, description = "No resident with this ID number is enrolled.", body = ErrorBody)))]
pub(crate) async fn register_case(
    State(app): State<App>,
    caller: Caller,
    Json(request): Json<CaseRequest>,
) -> Answer<CaseResponse> {
    let access = app.access(caller, Endpoint::RegisterCase);
    let case = request.parse(access.at)?;
    let id = case.id;
    let policies = app.policies.clone();
    let registered = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            cases::register_case(store, &access, &policy, &case)
        })
        .await?;
    let duplicate = registered.write == Write::Duplicate;
    Ok((
        created_unless(duplicate),
        Json(CaseResponse {
            case_id: id.as_uuid(),
            person_id: registered.person.as_uuid(),
            duplicate,
            trace: registered.trace,
        }),
    ))
}

#[utoipa::path(post, path = "/v1/cases/{case_id}/release", tag = "tracing",
    security(("bearer" = [])),
    params(("case_id" = String, Path, format = Uuid, description = "The case's id.")),
    responses(
        (status = 200, description = "Released; the resident was rated again.", body = ReleaseResponse),
        (status = 404, description = "No case has this id.", body = ErrorBody),
        (status = 409, description = "The case is already released.", body = ErrorBody)))]
pub(crate) async fn release_case(
    State(app): State<App>,
    caller: Caller,
    Path(case_id): Path<String>,
) -> Answer<ReleaseResponse> {
    let case = parse_case_id(&case_id)?;
    let access = app.access(caller, Endpoint::ReleaseCase);
    let policies = app.policies.clone();
    let person = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            rating_service::release_case(store, &access, &policy, case)
        })
        .await?;
    Ok((
        StatusCode::OK,
        Json(ReleaseResponse {
            case_id: case.as_uuid(),
            person_id: person.as_uuid(),
        }),
    ))
}

#[utoipa::path(post, path = "/v1/cases/{case_id}/trace", tag = "tracing",
    security(("bearer" = [])),
    params(("case_id" = String, Path, format = Uuid, description = "The case's id.")),
    responses(
        (status = 200, description = "Traced: contacts not recorded before were recorded and rated again; every contact of the case, with its evidence.", body = TraceResponse),
        (status = 404, description = "No case has this id.", body = ErrorBody)))]
pub(crate) async fn trace_case(
    State(app): State<App>,
    caller: Caller,
    Path(case_id): Path<String>,
) -> Answer<TraceResponse> {
    let case = parse_case_id(&case_id)?;
    let access = app.access(caller, Endpoint::TraceCase);
    let policies = app.policies.clone();
    let traced = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            cases::trace_case(store, &access, &policy, case)
        })
        .await?;
    Ok((StatusCode::OK, Json(traced)))
}

#[utoipa::path(get, path = "/v1/cases/{case_id}/contacts", tag = "tracing",
    security(("bearer" = [])),
    params(("case_id" = String, Path, format = Uuid, description = "The case's id.")),
    responses(
        (status = 200, description = "Every contact recorded for the case, close ones first, with its evidence and any dismissal.", body = ContactList),
        (status = 404, description = "No case has this id.", body = ErrorBody)))]
pub(crate) async fn list_case_contacts(
    State(app): State<App>,
    caller: Caller,
    Path(case_id): Path<String>,
) -> Answer<ContactList> {
    let case = parse_case_id(&case_id)?;
    let access = app.access(caller, Endpoint::ListCaseContacts);
    let contacts = app
        .run(move |store| cases::contacts_of(store, &access, case))
        .await?;
    Ok((
        StatusCode::OK,
        Json(ContactList {
            case_id: case.as_uuid(),
            contacts,
        }),
    ))
}

#[utoipa::path(post, path = "/v1/contacts/{contact_id}/dismissal", tag = "tracing",
    request_body = DismissalRequest, security(("bearer" = [])),
    params(("contact_id" = String, Path, format = Uuid, description = "The contact's id.")),
    responses(
        (status = 201, description = "Dismissed; the resident was rated again.", body = DismissalResponse),
        (status = 400, description = "A reason is required.", body = ErrorBody),
        (status = 404, description = "No contact has this id.", body = ErrorBody),
        (status = 409, description = "The contact is already dismissed.", body = ErrorBody)))]
pub(crate) async fn dismiss_contact(
    State(app): State<App>,
    caller: Caller,
    Path(contact_id): Path<String>,
    Json(request): Json<DismissalRequest>,
) -> Answer<DismissalResponse> {
    let contact = parse_contact_id(&contact_id)?;
    let reason = request.parse()?;
    let access = app.access(caller, Endpoint::DismissContact);
    let policies = app.policies.clone();
    let (person, colour) = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            cases::dismiss_contact(store, &access, &policy, contact, &reason)
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(DismissalResponse {
            contact_id: contact.as_uuid(),
            person_id: person.as_uuid(),
            colour,
        }),
    ))
}
