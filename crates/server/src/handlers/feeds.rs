//! Handlers of the data feeds: laboratories, pharmacies, employers and communities.

use axum::extract::State;
use axum::http::StatusCode;

use super::Answer;
use crate::api::{
    BoardingRow, BoardingsRequest, ErrorBody, FeedResponse, HealthReportBatch, HouseholdRow,
    HouseholdsRequest, LabResultRow, LabResultsRequest, PharmacyPurchaseRow,
    PharmacyPurchasesRequest, one_or_many,
};
use crate::endpoints::Endpoint;
use crate::extract::{Caller, HealthReportBody, Json};
use crate::{App, feeds};

#[utoipa::path(post, path = "/v1/lab/results", tag = "feeds", request_body = LabResultsRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Stored (resent results counted as duplicates); the residents were rated again.", body = FeedResponse),
        (status = 400, description = "Invalid rows, unknown residents among them (all listed; nothing stored), or too many rows.", body = ErrorBody),
        (status = 413, description = "The body is too large.", body = ErrorBody)))]
pub(crate) async fn ingest_lab_results(
    State(app): State<App>,
    caller: Caller,
    Json(body): Json<serde_json::Value>,
) -> Answer<FeedResponse> {
    let rows: Vec<LabResultRow> = one_or_many(body, "results")?;
    let access = app.access(caller, Endpoint::IngestLabResults);
    let max_rows = app.config.batch_max_events;
    let policies = app.policies.clone();
    let report = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            feeds::ingest_lab_results(store, &access, &policy, rows, max_rows)
        })
        .await?;
    Ok((StatusCode::OK, Json(report)))
}

#[utoipa::path(post, path = "/v1/pharmacy/purchases", tag = "feeds",
    request_body = PharmacyPurchasesRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "Stored (resent purchases counted as duplicates); the residents were rated again.", body = FeedResponse),
        (status = 400, description = "Invalid rows, unknown residents among them (all listed; nothing stored), or too many rows.", body = ErrorBody),
        (status = 413, description = "The body is too large.", body = ErrorBody)))]
pub(crate) async fn ingest_pharmacy_purchases(
    State(app): State<App>,
    caller: Caller,
    Json(body): Json<serde_json::Value>,
) -> Answer<FeedResponse> {
    let rows: Vec<PharmacyPurchaseRow> = one_or_many(body, "purchases")?;
    let access = app.access(caller, Endpoint::IngestPharmacyPurchases);
    let max_rows = app.config.batch_max_events;
    let policies = app.policies.clone();
    let report = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            feeds::ingest_pharmacy_purchases(store, &access, &policy, rows, max_rows)
        })
        .await?;
    Ok((StatusCode::OK, Json(report)))
}

#[utoipa::path(post, path = "/v1/health-reports", tag = "feeds", security(("bearer" = [])),
    request_body(description = "A daily health report, as JSON or as CSV with the header \
        `event_id,resident_id,day,temperature,symptoms` (symptoms separated by `;`).",
        content((HealthReportBatch = "application/json"), (String = "text/csv"))),
    responses(
        (status = 200, description = "Stored (resent rows counted as duplicates); the residents were rated again.", body = FeedResponse),
        (status = 400, description = "Invalid rows, unknown residents among them (all listed, with their line in a CSV file; nothing stored), or too many rows.", body = ErrorBody),
        (status = 413, description = "The body is too large.", body = ErrorBody)))]
pub(crate) async fn ingest_health_reports(
    State(app): State<App>,
    caller: Caller,
    HealthReportBody(upload, upload_errors): HealthReportBody,
) -> Answer<FeedResponse> {
    let reporter = feeds::reporter_of(&caller.0)?;
    let access = app.access(caller, Endpoint::IngestHealthReports);
    let max_rows = app.config.batch_max_events;
    let policies = app.policies.clone();
    let report = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            feeds::ingest_health_reports(
                store,
                &access,
                &policy,
                reporter,
                &upload,
                upload_errors,
                max_rows,
            )
        })
        .await?;
    Ok((StatusCode::OK, Json(report)))
}

#[utoipa::path(post, path = "/v1/transit/boardings", tag = "feeds",
    request_body = BoardingsRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "Stored with the trips they name (resent boardings counted as duplicates).", body = FeedResponse),
        (status = 400, description = "Invalid rows, unknown residents among them (all listed; nothing stored), or too many rows.", body = ErrorBody),
        (status = 409, description = "A trip is already registered with another mode, code or departure; nothing stored.", body = ErrorBody),
        (status = 413, description = "The body is too large.", body = ErrorBody)))]
pub(crate) async fn ingest_boardings(
    State(app): State<App>,
    caller: Caller,
    Json(body): Json<serde_json::Value>,
) -> Answer<FeedResponse> {
    let rows: Vec<BoardingRow> = one_or_many(body, "boardings")?;
    let access = app.access(caller, Endpoint::IngestBoardings);
    let max_rows = app.config.batch_max_events;
    let policies = app.policies.clone();
    let report = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            feeds::ingest_boardings(store, &access, &policy, rows, max_rows)
        })
        .await?;
    Ok((StatusCode::OK, Json(report)))
}

#[utoipa::path(post, path = "/v1/households", tag = "tracing",
    request_body = HouseholdsRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "Registered (a resident registered elsewhere moved; the same registration again counted as a duplicate).", body = FeedResponse),
        (status = 400, description = "Invalid rows, unknown residents among them (all listed; nothing stored), or too many rows.", body = ErrorBody),
        (status = 413, description = "The body is too large.", body = ErrorBody)))]
pub(crate) async fn register_households(
    State(app): State<App>,
    caller: Caller,
    Json(body): Json<serde_json::Value>,
) -> Answer<FeedResponse> {
    let rows: Vec<HouseholdRow> = one_or_many(body, "members")?;
    let access = app.access(caller, Endpoint::RegisterHouseholds);
    let max_rows = app.config.batch_max_events;
    let report = app
        .run(move |store| feeds::register_households(store, &access, rows, max_rows))
        .await?;
    Ok((StatusCode::OK, Json(report)))
}
