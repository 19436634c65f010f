//! The HTTP handlers: parse the request, take the caller the middleware established, call one
//! [`service`](crate::service) function on the blocking pool, and map the result to a status.
//!
//! Handlers hold no business logic and never check roles: the endpoint table and the
//! authorization middleware do that. Each carries the `#[utoipa::path]` that documents it.

pub(crate) mod cases;
pub(crate) mod consent;
pub(crate) mod dashboard;
pub(crate) mod feeds;
pub(crate) mod follow_up;
pub(crate) mod pass;
pub(crate) mod phone;
pub(crate) mod rating;
pub(crate) mod venue;

use std::sync::OnceLock;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use healthcode_core::{Access, PersonId, VenueId};
use healthcode_store::AuditQuery;
use jiff::SignedDuration;
use utoipa::OpenApi as _;

use crate::api::{
    AuditChainView, AuditLog, AuditQueryParams, BatchRequest, BatchResponse, CheckInList,
    CheckInRequest, CreateStaffRequest, DeclarationList, DeclarationRequest, EnrolRequest,
    EnrolResponse, ErrorBody, NewResident, OwnAccessLog, Profile, PurposeQuery, RegisteredVenue,
    SessionRequest, SessionResponse, StaffView, StatusResponse, VenueRequest, VenueView,
    WriteResponse, parse_uuid,
};
use crate::endpoints::Endpoint;
use crate::error::ApiError;
use crate::extract::{Caller, Json, Query};
use crate::{App, accounts, metrics, openapi, service};

type Answer<T> = Result<(StatusCode, Json<T>), ApiError>;

/// 201 for a write stored now, 200 for a resend of one stored before.
fn created_unless(duplicate: bool) -> StatusCode {
    if duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    }
}

impl App {
    fn access(&self, caller: Caller, endpoint: Endpoint) -> Access {
        Access::new(caller.0, endpoint.purpose(), self.clock.now())
    }
}

#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is alive.", body = StatusResponse)))]
pub(crate) async fn health() -> Json<StatusResponse> {
    Json(StatusResponse {
        status: "ok".to_owned(),
    })
}

#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "The store answers.", body = StatusResponse),
        (status = 503, description = "The store does not answer.", body = ErrorBody)))]
pub(crate) async fn ready(State(app): State<App>) -> Result<Json<StatusResponse>, ApiError> {
    app.run(|store| {
        store.check_ready().map_err(|error| {
            tracing::warn!(error = %error, "the store is not ready");
            ApiError::NotReady
        })
    })
    .await?;
    Ok(Json(StatusResponse {
        status: "ready".to_owned(),
    }))
}

#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format.", content_type = "text/plain", body = String)))]
pub(crate) async fn metrics() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        metrics::render(),
    )
}

#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "This document (OpenAPI 3.1).", content_type = "application/json")))]
pub(crate) async fn openapi() -> impl IntoResponse {
    // The document is fixed at compile time; build and encode it once.
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let document = DOCUMENT.get_or_init(|| {
        openapi::ApiDoc::openapi()
            .to_json()
            .expect("the OpenAPI document encodes as JSON")
    });
    ([(CONTENT_TYPE, "application/json")], document.as_str())
}

#[utoipa::path(post, path = "/v1/sessions", tag = "staff", request_body = SessionRequest,
    responses(
        (status = 201, description = "Signed in.", body = SessionResponse),
        (status = 401, description = "The username or password is wrong (which, is not said).", body = ErrorBody)))]
pub(crate) async fn create_session(
    State(app): State<App>,
    Json(request): Json<SessionRequest>,
) -> Answer<SessionResponse> {
    let ttl = SignedDuration::from_hours(i64::from(app.config.staff_token_ttl_hours));
    let clock = app.clock.clone();
    let signed_in = app
        .run(move |store| {
            Ok(accounts::sign_in(
                store,
                &*clock,
                &request.username,
                &request.password,
                ttl,
            )?)
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(SessionResponse {
            token: signed_in.token,
            token_type: "Bearer".to_owned(),
            role: signed_in.role.code().to_owned(),
            expires_at: signed_in.expires_at,
        }),
    ))
}

#[utoipa::path(post, path = "/v1/staff", tag = "staff", request_body = CreateStaffRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The account was created.", body = StaffView),
        (status = 400, description = "A field is invalid, e.g. a password under 12 characters.", body = ErrorBody),
        (status = 409, description = "The username is taken.", body = ErrorBody)))]
pub(crate) async fn create_staff_account(
    State(app): State<App>,
    Json(request): Json<CreateStaffRequest>,
) -> Answer<StaffView> {
    let role = request.role()?;
    let clock = app.clock.clone();
    let account = app
        .run(move |store| {
            Ok(accounts::create_staff_account(
                store,
                &*clock,
                &request.username,
                &request.password,
                role,
            )?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(StaffView::from(&account))))
}

#[utoipa::path(post, path = "/v1/residents", tag = "residents", request_body = EnrolRequest,
    responses(
        (status = 201, description = "Enrolled; keep the device token.", body = EnrolResponse),
        (status = 200, description = "A resend of this enrolment: the same person, and a new device token that replaces the first one.", body = EnrolResponse),
        (status = 400, description = "A field is invalid; the message says which part.", body = ErrorBody),
        (status = 409, description = "This resident is already enrolled.", body = ErrorBody)))]
pub(crate) async fn enrol_resident(
    State(app): State<App>,
    Json(request): Json<EnrolRequest>,
) -> Answer<EnrolResponse> {
    let resident = NewResident::try_from(request)?;
    let now = app.clock.now();
    let enrolled = app
        .run(move |store| service::enrol(store, now, resident))
        .await?;
    Ok((created_unless(enrolled.replayed), Json(enrolled.response)))
}

#[utoipa::path(get, path = "/v1/me", tag = "residents", security(("bearer" = [])),
    responses((status = 200, description = "The signed-in resident's profile.", body = Profile)))]
pub(crate) async fn read_own_profile(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<Profile>, ApiError> {
    let access = app.access(caller, Endpoint::ReadOwnProfile);
    Ok(Json(
        app.run(move |store| service::own_profile(store, &access))
            .await?,
    ))
}

#[utoipa::path(post, path = "/v1/me/declarations", tag = "residents", request_body = DeclarationRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored.", body = WriteResponse),
        (status = 200, description = "Already stored under this event id; nothing changed.", body = WriteResponse),
        (status = 400, description = "A field is invalid.", body = ErrorBody)),
    description = "Stores the declaration and rates the resident again under the active policy.")]
pub(crate) async fn record_declaration(
    State(app): State<App>,
    caller: Caller,
    Json(request): Json<DeclarationRequest>,
) -> Answer<WriteResponse> {
    let access = app.access(caller, Endpoint::RecordDeclaration);
    let policies = app.policies.clone();
    let written = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            service::record_declaration(store, &access, &policy, request)
        })
        .await?;
    Ok((created_unless(written.duplicate), Json(written)))
}

#[utoipa::path(get, path = "/v1/me/declarations", tag = "residents", security(("bearer" = [])),
    responses((status = 200, description = "The signed-in resident's declarations, oldest first.", body = DeclarationList)))]
pub(crate) async fn list_own_declarations(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<DeclarationList>, ApiError> {
    let access = app.access(caller, Endpoint::ListOwnDeclarations);
    Ok(Json(
        app.run(move |store| service::own_declarations(store, &access))
            .await?,
    ))
}

#[utoipa::path(get, path = "/v1/me/check-ins", tag = "residents", security(("bearer" = [])),
    responses((status = 200, description = "The signed-in resident's check-ins, by time entered.", body = CheckInList)))]
pub(crate) async fn list_own_check_ins(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<CheckInList>, ApiError> {
    let access = app.access(caller, Endpoint::ListOwnCheckIns);
    Ok(Json(
        app.run(move |store| service::own_check_ins(store, &access))
            .await?,
    ))
}

#[utoipa::path(post, path = "/v1/venues", tag = "venues", request_body = VenueRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered.", body = RegisteredVenue),
        (status = 200, description = "Already registered under this id; nothing changed.", body = RegisteredVenue),
        (status = 400, description = "A field is invalid.", body = ErrorBody)))]
pub(crate) async fn register_venue(
    State(app): State<App>,
    Json(request): Json<VenueRequest>,
) -> Answer<RegisteredVenue> {
    let now = app.clock.now();
    let registered = app
        .run(move |store| service::register_venue(store, now, request))
        .await?;
    Ok((created_unless(registered.duplicate), Json(registered)))
}

#[utoipa::path(get, path = "/v1/venues/{venue_id}", tag = "venues",
    params(("venue_id" = String, Path, format = Uuid, description = "The venue's id, as printed on its poster.")),
    responses(
        (status = 200, description = "The venue, as on its poster.", body = VenueView),
        (status = 404, description = "No venue has this id.", body = ErrorBody)))]
pub(crate) async fn read_venue(
    State(app): State<App>,
    Path(venue_id): Path<String>,
) -> Result<Json<VenueView>, ApiError> {
    let id = VenueId::from_uuid(parse_uuid("venue_id", &venue_id)?);
    Ok(Json(app.run(move |store| service::venue(store, id)).await?))
}

#[utoipa::path(post, path = "/v1/check-ins", tag = "check-ins", request_body = CheckInRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored.", body = WriteResponse),
        (status = 200, description = "Already stored under this event id; nothing changed.", body = WriteResponse),
        (status = 400, description = "A field is invalid.", body = ErrorBody),
        (status = 403, description = "A resident may only check themselves in.", body = ErrorBody),
        (status = 422, description = "The person or venue is not registered; `field` names which.", body = ErrorBody)))]
pub(crate) async fn record_check_in(
    State(app): State<App>,
    caller: Caller,
    Json(request): Json<CheckInRequest>,
) -> Answer<WriteResponse> {
    let access = app.access(caller, Endpoint::RecordCheckIn);
    let written = app
        .run(move |store| service::record_check_in(store, &access, request))
        .await?;
    Ok((created_unless(written.duplicate), Json(written)))
}

#[utoipa::path(post, path = "/v1/check-ins/batch", tag = "check-ins", request_body = BatchRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Stored; resent events are counted as duplicates.", body = BatchResponse),
        (status = 400, description = "Invalid rows (all listed; nothing stored) or too many events.", body = ErrorBody),
        (status = 413, description = "The body is too large.", body = ErrorBody),
        (status = 422, description = "A row names an unregistered person or venue; nothing stored.", body = ErrorBody)))]
pub(crate) async fn ingest_check_ins(
    State(app): State<App>,
    caller: Caller,
    Json(request): Json<BatchRequest>,
) -> Answer<BatchResponse> {
    let access = app.access(caller, Endpoint::IngestCheckIns);
    let max_events = app.config.batch_max_events;
    let report = app
        .run(move |store| service::ingest_batch(store, &access, request.events, max_events))
        .await?;
    Ok((StatusCode::OK, Json(report)))
}

#[utoipa::path(get, path = "/v1/residents/{person_id}", tag = "residents", security(("bearer" = [])),
    params(("person_id" = String, Path, format = Uuid, description = "The person's id."), PurposeQuery),
    responses(
        (status = 200, description = "The resident's profile; the ID number masked.", body = Profile),
        (status = 400, description = "The purpose is missing or not accepted here.", body = ErrorBody),
        (status = 404, description = "No person has this id.", body = ErrorBody)))]
pub(crate) async fn read_resident(
    State(app): State<App>,
    caller: Caller,
    Path(person_id): Path<String>,
    Query(query): Query<PurposeQuery>,
) -> Result<Json<Profile>, ApiError> {
    let person = PersonId::from_uuid(parse_uuid("person_id", &person_id)?);
    let purpose = query.purpose(&[Endpoint::ReadResident.purpose()])?;
    let access = Access::new(caller.0, purpose, app.clock.now());
    Ok(Json(
        app.run(move |store| service::resident_profile(store, &access, person))
            .await?,
    ))
}

#[utoipa::path(get, path = "/v1/audit", tag = "audit", security(("bearer" = [])),
    params(AuditQueryParams),
    responses(
        (status = 200, description = "Matching records, oldest first. This read is itself audited.", body = AuditLog),
        (status = 400, description = "A filter does not parse.", body = ErrorBody)))]
pub(crate) async fn read_audit_log(
    State(app): State<App>,
    caller: Caller,
    Query(params): Query<AuditQueryParams>,
) -> Result<Json<AuditLog>, ApiError> {
    let query = AuditQuery::try_from(params)?;
    let access = app.access(caller, Endpoint::ReadAuditLog);
    Ok(Json(
        app.run(move |store| service::audit_log(store, &access, &query))
            .await?,
    ))
}

#[utoipa::path(get, path = "/v1/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "The audit chain recomputed from its first record.", body = AuditChainView)))]
pub(crate) async fn verify_audit_chain(
    State(app): State<App>,
) -> Result<Json<AuditChainView>, ApiError> {
    Ok(Json(app.run(service::verify_audit_chain).await?))
}

#[utoipa::path(get, path = "/v1/me/access-log", tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "Every access to the signed-in resident's data in the last 90 days, oldest first: when, by whom (staff by role only), for which purpose, what was done and how it ended. Only records about this resident; this read is itself audited.", body = OwnAccessLog)))]
pub(crate) async fn read_own_access_log(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<OwnAccessLog>, ApiError> {
    let access = app.access(caller, Endpoint::ReadOwnAccessLog);
    Ok(Json(
        app.run(move |store| service::own_access_log(store, &access))
            .await?,
    ))
}

/// Answers requests for paths no endpoint has.
pub(crate) async fn no_such_endpoint() -> ApiError {
    ApiError::RouteNotFound
}

/// Answers requests whose path exists with another method.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
