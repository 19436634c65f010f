//! Handlers of quarantine follow-up: a community worker's daily check, and the list of checks
//! missed. Thin, like the others.

use axum::extract::State;

use super::{Answer, created_unless};
use crate::api::{
    ErrorBody, FollowUpCheckRequest, FollowUpCheckResponse, MissedChecks, MissedChecksQuery,
};
use crate::endpoints::Endpoint;
use crate::error::ApiError;
use crate::extract::{Caller, Json, Query};
use crate::{App, follow_up_service};

#[utoipa::path(post, path = "/v1/follow-up/checks", tag = "follow-up",
    request_body = FollowUpCheckRequest, security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored as the community's daily health report; the resident was rated again.", body = FollowUpCheckResponse),
        (status = 200, description = "Already stored under this event id; nothing changed.", body = FollowUpCheckResponse),
        (status = 400, description = "A field is invalid, or the day is after today.", body = ErrorBody),
        (status = 404, description = "No resident has this person id or ID number.", body = ErrorBody)),
    description = "Records a community worker's daily check of a resident in isolation. A fever or symptoms found at the check change the resident's colour at once.")]
pub(crate) async fn record_check(
    State(app): State<App>,
    caller: Caller,
    Json(request): Json<FollowUpCheckRequest>,
) -> Answer<FollowUpCheckResponse> {
    let access = app.access(caller, Endpoint::RecordFollowUpCheck);
    let policies = app.policies.clone();
    let recorded = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            follow_up_service::record_check(store, &access, &policy, request)
        })
        .await?;
    Ok((created_unless(recorded.duplicate), Json(recorded)))
}

#[utoipa::path(get, path = "/v1/follow-up/missed", tag = "follow-up", security(("bearer" = [])),
    params(MissedChecksQuery),
    responses(
        (status = 200, description = "The residents in isolation now (latest colour red or yellow) who had no check on the day: no community worker's check and no declaration of their own. With name and phone, to visit them; the read is audited.", body = MissedChecks),
        (status = 400, description = "The day does not parse or is after today.", body = ErrorBody)))]
pub(crate) async fn list_missed_checks(
    State(app): State<App>,
    caller: Caller,
    Query(query): Query<MissedChecksQuery>,
) -> Result<Json<MissedChecks>, ApiError> {
    let day = query.day()?;
    let access = app.access(caller, Endpoint::ListMissedFollowUpChecks);
    let policies = app.policies.clone();
    Ok(Json(
        app.run(move |store| {
            let policy = policies.active(store, access.at)?;
            follow_up_service::missed_checks(store, &access, &policy, day)
        })
        .await?,
    ))
}
