//! Handlers of what a venue's operator reads beyond the venue itself: its check-in counts.

use axum::extract::{Path, State};
use healthcode_core::VenueId;

use crate::api::{CheckInCountsQuery, ErrorBody, VenueCheckInCounts, parse_uuid};
use crate::error::ApiError;
use crate::extract::{Json, Query};
use crate::{App, venue_service};

#[utoipa::path(get, path = "/v1/venues/{venue_id}/check-in-counts", tag = "venues",
    security(("bearer" = [])),
    params(("venue_id" = String, Path, format = Uuid, description = "The venue's id."), CheckInCountsQuery),
    responses(
        (status = 200, description = "How many check-ins the venue had in each hour of the day, in the active policy's offset from UTC, and in all. Counts only: no person is named, so the read is not audited.", body = VenueCheckInCounts),
        (status = 400, description = "The venue id or the date does not parse.", body = ErrorBody),
        (status = 404, description = "No venue has this id.", body = ErrorBody)),
    description = "Any venue operator may read any venue's counts: the store does not record which operator registered a venue.")]
pub(crate) async fn read_venue_check_in_counts(
    State(app): State<App>,
    Path(venue_id): Path<String>,
    Query(query): Query<CheckInCountsQuery>,
) -> Result<Json<VenueCheckInCounts>, ApiError> {
    let venue = VenueId::from_uuid(parse_uuid("venue_id", &venue_id)?);
    let date = query.date()?;
    let (now, policies) = (app.clock.now(), app.policies.clone());
    Ok(Json(
        app.run(move |store| {
            let policy = policies.active(store, now)?;
            venue_service::check_in_counts(store, &policy, venue, date, now)
        })
        .await?,
    ))
}
