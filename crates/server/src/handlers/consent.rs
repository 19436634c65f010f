//! Handlers of residents' consents and employers' close-contact checks. Thin, like the others:
//! parse, call one library function on the blocking pool, pick the status.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use healthcode_core::consent::ConsentId;
use healthcode_store::Write;

use super::{Answer, created_unless};
use crate::api::{
    CloseContactCheckRequest, CloseContactCheckResponse, ConsentList, ConsentRequest, ConsentView,
    ErrorBody, IssuedConsent, NewConsent, parse_uuid,
};
use crate::endpoints::Endpoint;
use crate::error::ApiError;
use crate::extract::{Caller, Json};
use crate::{App, consent_service};

#[utoipa::path(post, path = "/v1/me/consents", tag = "consents", request_body = ConsentRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Issued; give the token to the employer. It is shown only now.", body = IssuedConsent),
        (status = 200, description = "A resend of this consent: the same consent, and a new token that replaces the first one.", body = IssuedConsent),
        (status = 400, description = "A field is invalid, or no employer has an account with this username.", body = ErrorBody),
        (status = 409, description = "The consent id is already used by another consent.", body = ErrorBody)),
    description = "Consents to one employer's checks of whether you were a close contact of a case, for a limited time and number of checks. The employer learns yes or no and nothing else; every check shows in your access history.")]
pub(crate) async fn issue_consent(
    State(app): State<App>,
    caller: Caller,
    Json(request): Json<ConsentRequest>,
) -> Answer<IssuedConsent> {
    let request = NewConsent::try_from(request)?;
    let access = app.access(caller, Endpoint::IssueConsent);
    let (issued, write) = app
        .run(move |store| consent_service::issue_consent(store, &access, request))
        .await?;
    Ok((created_unless(write == Write::Duplicate), Json(issued)))
}

#[utoipa::path(get, path = "/v1/me/consents", tag = "consents", security(("bearer" = [])),
    responses((status = 200, description = "The signed-in resident's consents, oldest first, with how often each was used; never a token.", body = ConsentList)))]
pub(crate) async fn list_own_consents(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<ConsentList>, ApiError> {
    let access = app.access(caller, Endpoint::ListOwnConsents);
    Ok(Json(
        app.run(move |store| consent_service::own_consents(store, &access))
            .await?,
    ))
}

#[utoipa::path(delete, path = "/v1/me/consents/{consent_id}", tag = "consents",
    security(("bearer" = [])),
    params(("consent_id" = String, Path, format = Uuid, description = "The consent's id.")),
    responses(
        (status = 200, description = "Revoked: the token answers no more checks. Revoking again changes nothing.", body = ConsentView),
        (status = 404, description = "You have no consent with this id.", body = ErrorBody)))]
pub(crate) async fn revoke_consent(
    State(app): State<App>,
    caller: Caller,
    Path(consent_id): Path<String>,
) -> Result<Json<ConsentView>, ApiError> {
    let consent = ConsentId::from_uuid(parse_uuid("consent_id", &consent_id)?);
    let access = app.access(caller, Endpoint::RevokeConsent);
    Ok(Json(
        app.run(move |store| consent_service::revoke_consent(store, &access, consent))
            .await?,
    ))
}

#[utoipa::path(post, path = "/v1/employer/close-contact-checks", tag = "consents",
    request_body = CloseContactCheckRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "Whether the employee was a close contact of a case within the active policy's window (14 days by default). Nothing else is said.", body = CloseContactCheckResponse),
        (status = 400, description = "The ID number is not valid, or the token is missing.", body = ErrorBody),
        (status = 403, description = "No consent in force covers this check (`no_valid_consent`); which part failed is not said.", body = ErrorBody)))]
pub(crate) async fn check_close_contact(
    State(app): State<App>,
    caller: Caller,
    Json(request): Json<CloseContactCheckRequest>,
) -> Answer<CloseContactCheckResponse> {
    let access = app.access(caller, Endpoint::CheckCloseContact);
    let policies = app.policies.clone();
    let answer = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            consent_service::check_close_contact(store, &access, &policy, request)
        })
        .await?;
    Ok((StatusCode::OK, Json(answer)))
}
