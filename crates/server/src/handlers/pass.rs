//! Handlers of signed passes: a resident's own pass, a checkpoint's scan, the region's trust
//! list and anchor at their well-known addresses, venues' posters and residents' check-ins by
//! their codes.

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use healthcode_core::VenueId;
use healthcode_pass::keystore::format_public_key;
use healthcode_pass::qr;

use super::{Answer, created_unless};
use crate::App;
use crate::api::{
    ErrorBody, PassFormat, PassQuery, PassView, ScanRequest, ScanResponse, VenueCheckInRequest,
    WriteResponse, parse_event_id, parse_uuid, scan_event_id, scan_temperature,
};
use crate::endpoints::Endpoint;
use crate::error::ApiError;
use crate::extract::{Caller, Json, Query};
use crate::pass_service::{self, Scan, Visit};

/// The side of a pass's QR code as SVG, in pixels; it scales without loss.
const SVG_SIZE: u32 = 512;

#[utoipa::path(get, path = "/v1/me/pass", tag = "passes", security(("bearer" = [])),
    params(PassQuery),
    responses(
        (status = 200, description = "A new pass with the resident's colour now, valid for `pass.lifetime_secs`: as JSON, or its QR code as PNG or SVG. Fetch a new one before it expires.", body = PassView,
            content((PassView = "application/json"), (Vec<u8> = "image/png"), (String = "image/svg+xml"))),
        (status = 400, description = "`format` is not `json`, `png` or `svg`.", body = ErrorBody)))]
pub(crate) async fn issue_own_pass(
    State(app): State<App>,
    caller: Caller,
    Query(query): Query<PassQuery>,
) -> Result<Response, ApiError> {
    let access = app.access(caller, Endpoint::IssueOwnPass);
    let (policies, passes) = (app.policies.clone(), app.passes.clone());
    let issued = app
        .run(move |store| pass_service::issue_own_pass(store, &access, &policies, &passes))
        .await?;
    // A pass is fresh by nature: no cache may keep one.
    let no_store = (CACHE_CONTROL, "no-store");
    Ok(match query.format.unwrap_or_default() {
        PassFormat::Json => (
            [no_store],
            Json(PassView::new(&issued.text, &issued.claims)),
        )
            .into_response(),
        PassFormat::Png => {
            let png = qr::png(&issued.text).map_err(ApiError::internal)?;
            ([no_store, (CONTENT_TYPE, "image/png")], png).into_response()
        }
        PassFormat::Svg => {
            let svg = qr::svg(&issued.text, SVG_SIZE).map_err(ApiError::internal)?;
            ([no_store, (CONTENT_TYPE, "image/svg+xml")], svg).into_response()
        }
    })
}

#[utoipa::path(post, path = "/v1/scans", tag = "passes", request_body = ScanRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The verdict, with the fields to show when valid and the exact reason when not. A valid pass issued here is checked online against the holder's latest rating (refused as `revoked` if a newer one exists), and the visit is logged as a check-in at the venue.", body = ScanResponse),
        (status = 400, description = "Neither or both of `text` and `image`, an image that is not Base64, or an invalid field.", body = ErrorBody),
        (status = 413, description = "The photo is too large.", body = ErrorBody),
        (status = 422, description = "The venue is not registered.", body = ErrorBody)))]
pub(crate) async fn scan_pass(
    State(app): State<App>,
    caller: Caller,
    Json(request): Json<ScanRequest>,
) -> Result<Json<ScanResponse>, ApiError> {
    let access = app.access(caller, Endpoint::ScanPass);
    let venue = VenueId::from_uuid(parse_uuid("venue_id", &request.venue_id)?);
    let event_id = scan_event_id(&request)?;
    let temperature = scan_temperature(&request)?;
    let scanned = match (request.text, request.image) {
        (Some(text), None) => Scanned::Text(text),
        (None, Some(image)) => Scanned::Image(
            base64::engine::general_purpose::STANDARD
                .decode(image.trim())
                .map_err(|_| ApiError::InvalidBody {
                    message: "image: should be a PNG or JPEG photo in standard Base64".to_owned(),
                    field: Some("image".to_owned()),
                })?,
        ),
        _ => {
            return Err(ApiError::InvalidBody {
                message: "give the pass's text or a photo of its QR code (`image`), not both"
                    .to_owned(),
                field: Some("text".to_owned()),
            });
        }
    };
    let (passes, policies) = (app.passes.clone(), app.policies.clone());
    let scanned = app
        .run(move |store| {
            let scan = match &scanned {
                Scanned::Text(text) => Scan::Text(text),
                Scanned::Image(image) => Scan::Image(image),
            };
            let visit = Visit {
                venue,
                event_id,
                temperature,
            };
            pass_service::scan_now(store, &access, &policies, &passes, scan, visit)
        })
        .await?;
    Ok(Json(ScanResponse::new(scanned)))
}

/// What the scanner sent, owned, for the blocking pool.
enum Scanned {
    Text(String),
    Image(Vec<u8>),
}

#[utoipa::path(get, path = "/.well-known/healthcode/trust-list", tag = "passes",
    responses(
        (status = 200, description = "This region's keys that verify passes now, signed by its anchor (COSE_Sign1 over CBOR). Other regions import it with the anchor they pinned; offline checkpoints cache it.", content_type = "application/cose")))]
pub(crate) async fn read_trust_list(State(app): State<App>) -> Result<Response, ApiError> {
    let now = app.clock.now();
    let keys = app.passes.current(now)?;
    let list = keys
        .keys
        .signed_trust_list(&app.passes.config().issuer, now);
    Ok(([(CONTENT_TYPE, "application/cose")], list).into_response())
}

#[utoipa::path(get, path = "/.well-known/healthcode/anchor", tag = "passes",
    responses(
        (status = 200, description = "This region's trust anchor, the public key that signs its trust list, as `ES256:` and hex. Compare it with the one the region announced through another channel before pinning it.", content_type = "text/plain")))]
pub(crate) async fn read_trust_anchor(State(app): State<App>) -> Result<Response, ApiError> {
    let keys = app.passes.current(app.clock.now())?;
    let anchor = format_public_key(&keys.keys.anchor());
    Ok((
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{anchor}\n"),
    )
        .into_response())
}

#[utoipa::path(get, path = "/v1/venues/{venue_id}/poster", tag = "venues",
    params(("venue_id" = String, Path, format = Uuid, description = "The venue's id.")),
    responses(
        (status = 200, description = "The venue's printable A4 poster (SVG) in English and Chinese, carrying its code signed by this region's trust anchor: residents scan it to check in.", content_type = "image/svg+xml"),
        (status = 404, description = "No venue has this id.", body = ErrorBody)))]
pub(crate) async fn read_venue_poster(
    State(app): State<App>,
    Path(venue_id): Path<String>,
) -> Result<Response, ApiError> {
    let venue = VenueId::from_uuid(parse_uuid("venue_id", &venue_id)?);
    let (now, passes) = (app.clock.now(), app.passes.clone());
    let poster = app
        .run(move |store| {
            let keys = passes.current(now)?;
            pass_service::venue_poster(store, &keys, &passes.config().issuer, venue, now)
        })
        .await?;
    Ok(([(CONTENT_TYPE, "image/svg+xml")], poster).into_response())
}

#[utoipa::path(post, path = "/v1/me/check-ins", tag = "check-ins", request_body = VenueCheckInRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Checked in at the poster's venue, now.", body = WriteResponse),
        (status = 200, description = "Already stored under this event id; nothing changed.", body = WriteResponse),
        (status = 400, description = "The code is not a valid venue code of this region (`field` is `code`, the message names the reason), or the event id is invalid.", body = ErrorBody),
        (status = 422, description = "The venue is not registered.", body = ErrorBody)))]
pub(crate) async fn check_in_at_venue(
    State(app): State<App>,
    caller: Caller,
    Json(request): Json<VenueCheckInRequest>,
) -> Answer<WriteResponse> {
    let access = app.access(caller, Endpoint::CheckInAtVenue);
    let event_id = parse_event_id("event_id", &request.event_id)?;
    let passes = app.passes.clone();
    let written = app
        .run(move |store| {
            let keys = passes.current(access.at)?;
            pass_service::check_in_at_venue(
                store,
                &access,
                &keys,
                &passes.config().issuer,
                &request.code,
                event_id,
            )
        })
        .await?;
    Ok((created_unless(written.duplicate), Json(written)))
}
