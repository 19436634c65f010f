//! Handlers of phone-network data: cells and pings from mobile networks, the resident's
//! itinerary, and officials' proximity searches and reviews. Thin, like the others.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use healthcode_core::PersonId;
use healthcode_core::phone::proximity::ProximitySearchId;
use healthcode_store::Write;

use super::rating::language;
use super::{Answer, created_unless};
use crate::api::{
    BatchResponse, CellPingRow, CellPingsRequest, CellRow, CellsRequest, ErrorBody, FeedResponse,
    ItineraryView, LanguageQuery, ProximitySearchRequest, ProximitySearchView, ReviewRequest,
    ReviewResponse, ReviewView, one_or_many, parse_uuid,
};
use crate::endpoints::Endpoint;
use crate::error::ApiError;
use crate::extract::{Caller, Json, Query};
use crate::phone_service::{self, Retention};
use crate::{App, service};

#[utoipa::path(post, path = "/v1/cells", tag = "phone-data", request_body = CellsRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Registered (cells registered before, in the same place and city, counted as duplicates).", body = BatchResponse),
        (status = 400, description = "Invalid rows, or cells registered before in another place or city (all listed; nothing stored), or too many rows.", body = ErrorBody),
        (status = 413, description = "The body is too large.", body = ErrorBody)))]
pub(crate) async fn register_cells(
    State(app): State<App>,
    caller: Caller,
    Json(body): Json<serde_json::Value>,
) -> Answer<BatchResponse> {
    let rows: Vec<CellRow> = one_or_many(body, "cells")?;
    let access = app.access(caller, Endpoint::RegisterCells);
    let max_rows = app.config.batch_max_events;
    let report = app
        .run(move |store| phone_service::register_cells(store, &access, rows, max_rows))
        .await?;
    Ok((StatusCode::OK, Json(report)))
}

#[utoipa::path(post, path = "/v1/cell-pings", tag = "phone-data", request_body = CellPingsRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Stored and reduced to daily stays (resent pings counted as duplicates); residents whose itinerary gained a city were rated again.", body = FeedResponse),
        (status = 400, description = "Invalid rows, unknown residents or cells among them (all listed; nothing stored), or too many rows.", body = ErrorBody),
        (status = 413, description = "The body is too large.", body = ErrorBody)))]
pub(crate) async fn ingest_cell_pings(
    State(app): State<App>,
    caller: Caller,
    Json(body): Json<serde_json::Value>,
) -> Answer<FeedResponse> {
    let rows: Vec<CellPingRow> = one_or_many(body, "pings")?;
    let access = app.access(caller, Endpoint::IngestCellPings);
    let max_rows = app.config.batch_max_events;
    let retention = Retention::of(&app.config);
    let policies = app.policies.clone();
    let report = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            phone_service::ingest_cell_pings(store, &access, &policy, retention, rows, max_rows)
        })
        .await?;
    Ok((StatusCode::OK, Json(report)))
}

#[utoipa::path(get, path = "/v1/me/itinerary", tag = "phone-data", security(("bearer" = [])),
    params(LanguageQuery,
        ("Accept-Language" = Option<String>, Header, description = "Picks the language of the summary when `lang` is absent.")),
    responses(
        (status = 200, description = "The cities the signed-in resident's phone was seen in on each of the last 14 days, like the carriers' itinerary card.", body = ItineraryView),
        (status = 400, description = "`lang` is not `en` or `zh-CN`.", body = ErrorBody)))]
pub(crate) async fn read_own_itinerary(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    Query(query): Query<LanguageQuery>,
) -> Result<Json<ItineraryView>, ApiError> {
    let language = language(&query, &headers)?;
    let access = app.access(caller, Endpoint::ReadOwnItinerary);
    let policies = app.policies.clone();
    let (person, itinerary) = app
        .run(move |store| {
            let person = service::resident_of(&access)?;
            let policy = policies.active(store, access.at)?;
            let itinerary = phone_service::itinerary(store, &access, &policy, person)?;
            Ok((person, itinerary))
        })
        .await?;
    Ok(Json(ItineraryView::new(person, &itinerary, language)))
}

#[utoipa::path(post, path = "/v1/proximity-searches", tag = "proximity",
    request_body = ProximitySearchRequest, security(("bearer" = [])),
    responses(
        (status = 201, description = "Searched: the people whose daily stays met the window near the place, stored as candidates for review (not contacts).", body = ProximitySearchView),
        (status = 200, description = "A resend of a stored search: the stored search, searched nothing again.", body = ProximitySearchView),
        (status = 400, description = "No stated purpose, a radius over 5,000 m, a window over 14 days or another invalid field (refusal audited).", body = ErrorBody),
        (status = 404, description = "No case has this id (refusal audited).", body = ErrorBody),
        (status = 409, description = "The case is released (refusal audited).", body = ErrorBody)))]
pub(crate) async fn create_proximity_search(
    State(app): State<App>,
    caller: Caller,
    Json(request): Json<ProximitySearchRequest>,
) -> Answer<ProximitySearchView> {
    let access = app.access(caller, Endpoint::CreateProximitySearch);
    let (record, write) = app
        .run(move |store| phone_service::search_proximity(store, &access, &request))
        .await?;
    let duplicate = write == Write::Duplicate;
    Ok((
        created_unless(duplicate),
        Json(ProximitySearchView::new(&record, duplicate)),
    ))
}

#[utoipa::path(get, path = "/v1/proximity-searches/{search_id}", tag = "proximity",
    security(("bearer" = [])),
    params(("search_id" = String, Path, format = Uuid, description = "The search's id.")),
    responses(
        (status = 200, description = "The search with its candidates (person ids and masked names) and their review state.", body = ProximitySearchView),
        (status = 404, description = "No search has this id.", body = ErrorBody)))]
pub(crate) async fn read_proximity_search(
    State(app): State<App>,
    caller: Caller,
    Path(search_id): Path<String>,
) -> Result<Json<ProximitySearchView>, ApiError> {
    let id = ProximitySearchId::from_uuid(parse_uuid("search_id", &search_id)?);
    let access = app.access(caller, Endpoint::ReadProximitySearch);
    let record = app
        .run(move |store| phone_service::proximity_search(store, &access, id))
        .await?;
    Ok(Json(ProximitySearchView::new(&record, false)))
}

#[utoipa::path(post, path = "/v1/proximity-searches/{search_id}/candidates/{person_id}/review",
    tag = "proximity", request_body = ReviewRequest, security(("bearer" = [])),
    params(
        ("search_id" = String, Path, format = Uuid, description = "The search's id."),
        ("person_id" = String, Path, format = Uuid, description = "The candidate's person id.")),
    responses(
        (status = 201, description = "Reviewed. A confirmation recorded a close contact of the search's case and re-rated the resident.", body = ReviewResponse),
        (status = 400, description = "The decision is not confirm or reject, or the reason is missing.", body = ErrorBody),
        (status = 404, description = "No such search, or the person is not among its candidates.", body = ErrorBody),
        (status = 409, description = "The candidate is already reviewed, or their stays have passed their retention.", body = ErrorBody)))]
pub(crate) async fn review_proximity_candidate(
    State(app): State<App>,
    caller: Caller,
    Path((search_id, person_id)): Path<(String, String)>,
    Json(request): Json<ReviewRequest>,
) -> Answer<ReviewResponse> {
    let search = ProximitySearchId::from_uuid(parse_uuid("search_id", &search_id)?);
    let person = PersonId::from_uuid(parse_uuid("person_id", &person_id)?);
    let access = app.access(caller, Endpoint::ReviewProximityCandidate);
    let policies = app.policies.clone();
    let reviewed = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            phone_service::review_candidate(store, &access, &policy, search, person, &request)
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ReviewResponse {
            person_id: person.as_uuid(),
            review: ReviewView::from(&reviewed.review),
            colour: reviewed.colour.map(|colour| colour.code().to_owned()),
        }),
    ))
}
