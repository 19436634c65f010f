//! The HTTP API of healthcode: JSON over HTTP, described by OpenAPI, with authentication,
//! role-based authorization from one endpoint table, and an audit record for every access to
//! personal data (made by the store, which every such access goes through).
//!
//! Map of the crate:
//! - [`endpoints`]: the table of endpoints, methods, paths and allowed roles;
//! - [`auth`] (private): the one middleware that enforces that table;
//! - [`api`]: request and response shapes and their conversion into domain types;
//! - [`service`]: what each endpoint does, as functions over a `Store`, shared with the CLI;
//! - [`accounts`]: staff accounts, passwords and tokens;
//! - [`error`]: the one error type and its status codes;
//! - [`clock`], [`config`], [`metrics`], [`openapi`].
//!
//! This crate never speaks SQL (the store does) and never logs request bodies, identifiers,
//! names or phone numbers: request logs carry the method, the path template, the status and the
//! latency only.

pub mod accounts;
pub mod api;
mod auth;
pub mod clock;
pub mod config;
pub mod endpoints;
pub mod error;
pub mod extract;
mod handlers;
pub mod metrics;
pub mod openapi;
pub mod service;

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use healthcode_store::Store;
use tower_http::timeout::TimeoutLayer;
use tracing::Instrument as _;

pub use axum::Router;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{SERVER_CONFIG_DOCS, ServerConfig};
pub use endpoints::{Allowed, Endpoint};
pub use error::ApiError;

use crate::auth::Guard;

/// Everything a request needs: the store, the clock and the settings. Cheap to clone.
#[derive(Clone, Debug)]
pub struct App {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    config: Arc<ServerConfig>,
}

impl App {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: ServerConfig) -> App {
        App {
            store,
            clock,
            config: Arc::new(config),
        }
    }

    /// The router of every endpoint in [`Endpoint::ALL`], each behind the authorization
    /// middleware and its body limit, all behind the timeout, JSON error bodies and request
    /// logging and metrics.
    pub fn router(self) -> Router {
        // Install the metrics recorder before the first request is counted.
        metrics::handle();
        let mut router = Router::new();
        for endpoint in Endpoint::ALL {
            let body_limit = if endpoint.takes_batches() {
                self.config.batch_body_limit_bytes
            } else {
                self.config.body_limit_bytes
            };
            let guard = Guard {
                app: self.clone(),
                endpoint,
            };
            let route = handler_of(endpoint)
                .layer::<_, Infallible>(from_fn_with_state(guard, auth::authorize))
                .layer(DefaultBodyLimit::max(body_limit));
            router = router.route(endpoint.path(), route);
        }
        let timeout = Duration::from_secs(self.config.request_timeout_secs);
        router
            .fallback(handlers::no_such_endpoint)
            .method_not_allowed_fallback(handlers::method_not_allowed)
            .with_state(self)
            .layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                timeout,
            ))
            .layer(from_fn(json_errors))
            .layer(from_fn(observe))
    }

    /// Runs store work on the blocking pool: store calls are synchronous and may wait on disk.
    pub(crate) async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, ApiError> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(|| work(&*store)))
            .await
            .map_err(ApiError::internal)?
    }
}

/// The router of the API. See [`App::router`].
pub fn router(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: ServerConfig) -> Router {
    App::new(store, clock, config).router()
}

/// Serves `router` on `listener` until `shutdown` completes, then lets requests in flight
/// finish before returning.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// The handler of each endpoint, under the endpoint's method.
fn handler_of(endpoint: Endpoint) -> MethodRouter<App> {
    let method =
        MethodFilter::try_from(endpoint.method()).expect("the table uses standard methods");
    match endpoint {
        Endpoint::Health => on(method, handlers::health),
        Endpoint::Ready => on(method, handlers::ready),
        Endpoint::Metrics => on(method, handlers::metrics),
        Endpoint::OpenApi => on(method, handlers::openapi),
        Endpoint::CreateSession => on(method, handlers::create_session),
        Endpoint::EnrolResident => on(method, handlers::enrol_resident),
        Endpoint::ReadOwnProfile => on(method, handlers::read_own_profile),
        Endpoint::RecordDeclaration => on(method, handlers::record_declaration),
        Endpoint::ListOwnDeclarations => on(method, handlers::list_own_declarations),
        Endpoint::ListOwnCheckIns => on(method, handlers::list_own_check_ins),
        Endpoint::RegisterVenue => on(method, handlers::register_venue),
        Endpoint::ReadVenue => on(method, handlers::read_venue),
        Endpoint::RecordCheckIn => on(method, handlers::record_check_in),
        Endpoint::IngestCheckIns => on(method, handlers::ingest_check_ins),
        Endpoint::ReadResident => on(method, handlers::read_resident),
        Endpoint::ReadAuditLog => on(method, handlers::read_audit_log),
        Endpoint::VerifyAuditChain => on(method, handlers::verify_audit_chain),
        Endpoint::CreateStaffAccount => on(method, handlers::create_staff_account),
    }
}

/// Gives error responses produced below the handlers (timeouts, unknown methods, body limits
/// hit outside an extractor) the API's JSON error body.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        return ApiError::for_status(status).into_response();
    }
    response
}

/// One span, one log line and one metrics sample per request: method, path template, status
/// and latency. Never the raw path (it may hold a person's id), the query or the body.
async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let endpoint = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let span = tracing::info_span!(
        "request",
        method = %method,
        path = %endpoint,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    );
    let response = next.run(request).instrument(span.clone()).await;
    let latency = started.elapsed();
    let status = response.status().as_u16();
    span.record("status", status);
    span.record("latency_ms", latency.as_secs_f64() * 1000.0);
    span.in_scope(|| tracing::info!("answered"));
    metrics::record_request(&endpoint, method.as_str(), status, latency);
    response
}
