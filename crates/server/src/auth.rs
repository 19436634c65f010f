//! Authentication and authorization: one middleware, driven by the endpoint table.
//!
//! For an endpoint open to roles, the middleware resolves the bearer token to an actor (401 if
//! there is none or it is unknown or expired), checks the actor's role against
//! [`Endpoint::allowed`] (403 if refused) and, when the endpoint touches personal data, records
//! the refusal in the audit log before answering. Handlers receive the actor as
//! [`Caller`](crate::extract::Caller) and never check roles themselves.
//!
//! Tokens are compared only through their SHA-256 hash and never logged.

use axum::extract::{FromRequestParts, RawPathParams, Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use healthcode_core::{Access, Actor, PersonId};

use crate::App;
use crate::accounts::token_hash;
use crate::endpoints::{Allowed, Endpoint};
use crate::error::ApiError;
use crate::extract::Caller;

/// The state of the middleware on one endpoint's route.
#[derive(Clone, Debug)]
pub(crate) struct Guard {
    pub app: App,
    pub endpoint: Endpoint,
}

pub(crate) async fn authorize(
    State(guard): State<Guard>,
    request: Request,
    next: Next,
) -> Response {
    match admit(&guard, request).await {
        Ok(request) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

async fn admit(guard: &Guard, mut request: Request) -> Result<Request, ApiError> {
    let Allowed::Roles(_) = guard.endpoint.allowed() else {
        request.extensions_mut().insert(Caller(Actor::Public));
        return Ok(request);
    };
    let hash = token_hash(bearer_token(request.headers()).ok_or(ApiError::Unauthenticated)?);
    let now = guard.app.clock.now();
    let actor = guard
        .app
        .run(move |store| Ok(store.token_holder(&hash, now)?))
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if guard.endpoint.allowed().permits(actor.role()) {
        request.extensions_mut().insert(Caller(actor));
        return Ok(request);
    }
    let subject = subject_of(request).await;
    Err(refuse(&guard.app, guard.endpoint, actor, subject).await)
}

/// Refuses `actor` what `endpoint` does: records the refusal in the audit log when the
/// endpoint touches personal data, and answers 403. The web pages refuse through here too.
pub(crate) async fn refuse(
    app: &App,
    endpoint: Endpoint,
    actor: Actor,
    subject: Option<PersonId>,
) -> ApiError {
    let Some(data) = endpoint.personal_data() else {
        return ApiError::Forbidden;
    };
    let access = Access::new(actor, data.purpose, app.clock.now());
    // If the refusal cannot be recorded the request fails with 500: an unrecorded refusal must
    // not look like an ordinary one.
    match app
        .run(move |store| Ok(store.record_denied(&access, data.action, subject)?))
        .await
    {
        Ok(()) => ApiError::Forbidden,
        Err(error) => error,
    }
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The person a refused request was about, when its path names one.
async fn subject_of(request: Request) -> Option<PersonId> {
    let (mut parts, _body) = request.into_parts();
    let params = RawPathParams::from_request_parts(&mut parts, &())
        .await
        .ok()?;
    params
        .iter()
        .find(|(name, _)| *name == "person_id")
        .and_then(|(_, value)| value.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bearer_authorization_headers_carry_a_token() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer_token(&headers), None);
        headers.insert(AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(bearer_token(&headers), Some("abc"));
        headers.insert(AUTHORIZATION, "bearer  abc ".parse().unwrap());
        assert_eq!(bearer_token(&headers), Some("abc"));
        headers.insert(AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer_token(&headers), None);
        headers.insert(AUTHORIZATION, "Bearer ".parse().unwrap());
        assert_eq!(bearer_token(&headers), None);
    }
}
