//! The HTTP API of healthcode: JSON over HTTP, described by OpenAPI, with authentication,
//! role-based authorization from one endpoint table, and an audit record for every access to
//! personal data (made by the store, which every such access goes through).
//!
//! Map of the crate:
//! - [`endpoints`]: the table of endpoints, methods, paths and allowed roles;
//! - [`auth`] (private): the one middleware that enforces that table;
//! - [`api`]: request and response shapes and their conversion into domain types;
//! - [`service`]: what each endpoint does, as functions over a `Store`, shared with the CLI;
//! - [`rating_service`], [`policies`], [`feeds`]: the same for ratings, appeals, overrides, the
//!   region-risk list, the policy lifecycle and the data feeds;
//! - [`consent_service`], [`follow_up_service`]: residents' consents and employers'
//!   close-contact checks; quarantine follow-up checks and the list of missed ones;
//! - [`pass_service`]: issuing passes, checkpoint scans, and the pass keys a server holds;
//! - [`phone_service`]: the same for phone-network data: cells, pings reduced to daily stays,
//!   itineraries, retention and proximity searches;
//! - [`venue_service`]: a venue's check-in counts per hour (aggregates, naming nobody);
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
pub mod cases;
pub mod clock;
pub mod config;
pub mod consent_service;
pub mod dashboard_service;
pub mod endpoints;
pub mod error;
pub mod extract;
pub mod feeds;
pub mod follow_up_service;
mod handlers;
pub mod metrics;
pub mod openapi;
pub mod pass_service;
pub mod phone_service;
pub mod policies;
pub mod rating_service;
pub mod service;
pub mod venue_service;
mod web;

use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use healthcode_store::Store;
use tokio::task::AbortHandle;
use tower_http::timeout::TimeoutLayer;
use tracing::Instrument as _;

pub use axum::Router;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{PASS_CONFIG_DOCS, PassConfig, SERVER_CONFIG_DOCS, ServerConfig};
pub use endpoints::{Allowed, Endpoint};
pub use error::ApiError;
pub use pass_service::Passes;
pub use policies::Policies;

use crate::auth::Guard;

/// Everything a request needs: the store, the clock, the settings, the parsed policies and the
/// pass keys. Cheap to clone.
#[derive(Clone, Debug)]
pub struct App {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    config: Arc<ServerConfig>,
    policies: Arc<Policies>,
    passes: Arc<Passes>,
    background: Arc<Background>,
}

/// The background tasks: one re-rates residents whose rating ran out, one deletes phone data
/// past its retention. They start once per app, and stop when the last clone of the app (the
/// router) is dropped.
#[derive(Debug, Default)]
struct Background {
    task: OnceLock<AbortHandle>,
    retention: OnceLock<AbortHandle>,
}

impl Drop for Background {
    fn drop(&mut self) {
        for task in [self.task.get(), self.retention.get()]
            .into_iter()
            .flatten()
        {
            task.abort();
        }
    }
}

impl App {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: ServerConfig,
        passes: Passes,
    ) -> App {
        App {
            store,
            clock,
            config: Arc::new(config),
            policies: Arc::new(Policies::new()),
            passes: Arc::new(passes),
            background: Arc::new(Background::default()),
        }
    }

    /// The router of every endpoint in [`Endpoint::ALL`], each behind the authorization
    /// middleware and its body limit, all behind the timeout, JSON error bodies and request
    /// logging and metrics.
    ///
    /// Built inside a Tokio runtime, the router starts its background task at once: it first
    /// makes sure a policy is active (the shipped default on a new installation), then
    /// re-rates residents whose rating ran out every `rerate_interval_secs`. Built outside one,
    /// the task starts with the first request.
    pub fn router(self) -> Router {
        // Install the metrics recorder before the first request is counted.
        metrics::handle();
        if tokio::runtime::Handle::try_current().is_ok() {
            self.start_background();
        }
        let mut router = Router::new();
        for endpoint in Endpoint::ALL {
            let body_limit = if endpoint.takes_large_bodies() {
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
            .merge(web::router())
            .fallback(handlers::no_such_endpoint)
            .method_not_allowed_fallback(handlers::method_not_allowed)
            .with_state(self.clone())
            .layer(from_fn_with_state(
                self,
                start_background_with_first_request,
            ))
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

impl App {
    /// Starts the background tasks, once.
    fn start_background(&self) {
        self.background.task.get_or_init(|| {
            tokio::spawn(rerate_when_due(
                Arc::clone(&self.store),
                Arc::clone(&self.clock),
                Arc::clone(&self.policies),
                Duration::from_secs(self.config.rerate_interval_secs.max(1)),
            ))
            .abort_handle()
        });
        self.background.retention.get_or_init(|| {
            tokio::spawn(purge_when_due(
                Arc::clone(&self.store),
                Arc::clone(&self.clock),
                phone_service::Retention::of(&self.config),
                Duration::from_secs(self.config.retention_interval_secs.max(1)),
            ))
            .abort_handle()
        });
    }
}

/// Starts the background task if the router was built outside a runtime.
async fn start_background_with_first_request(
    axum::extract::State(app): axum::extract::State<App>,
    request: Request,
    next: Next,
) -> Response {
    app.start_background();
    next.run(request).await
}

/// Makes sure a policy is active, then re-rates the residents whose rating ran out, every
/// `interval`, at the injected clock's time. Failures are logged and retried at the next turn.
/// It holds the store but not the app, so dropping the router ends it.
async fn rerate_when_due(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    policies: Arc<Policies>,
    interval: Duration,
) {
    loop {
        let (store, clock, policies) = (
            Arc::clone(&store),
            Arc::clone(&clock),
            Arc::clone(&policies),
        );
        let pass = tokio::task::spawn_blocking(move || {
            let now = clock.now();
            let policy = policies.active(&*store, now)?;
            rating_service::rerate_due(&*store, &policy, now)
        })
        .await;
        match pass {
            Ok(Ok(_)) => {}
            // Store errors name no person: they come from the database or the key files.
            Ok(Err(error)) => tracing::warn!(error = %error, "re-rating due residents failed"),
            Err(error) => tracing::warn!(error = %error, "the re-rating task failed"),
        }
        tokio::time::sleep(interval).await;
    }
}

/// Deletes phone data past its retention every `interval`, at the injected clock's time, as
/// the system for the purpose `data_retention`. Failures are logged and retried at the next
/// turn. Like [`rerate_when_due`], it holds the store but not the app.
async fn purge_when_due(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    retention: phone_service::Retention,
    interval: Duration,
) {
    loop {
        let (store, clock) = (Arc::clone(&store), Arc::clone(&clock));
        let pass = tokio::task::spawn_blocking(move || {
            let access = healthcode_core::Access::new(
                healthcode_core::Actor::System,
                healthcode_core::Purpose::DataRetention,
                clock.now(),
            );
            phone_service::purge(&*store, &access, retention)
        })
        .await;
        match pass {
            Ok(Ok(_)) => {}
            // Store errors name no person: they come from the database or the key files.
            Ok(Err(error)) => tracing::warn!(error = %error, "deleting old phone data failed"),
            Err(error) => tracing::warn!(error = %error, "the retention task failed"),
        }
        tokio::time::sleep(interval).await;
    }
}

/// The router of the API. See [`App::router`].
pub fn router(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    config: ServerConfig,
    passes: Passes,
) -> Router {
    App::new(store, clock, config, passes).router()
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
        Endpoint::ReadOwnStatus => on(method, handlers::rating::read_own_status),
        Endpoint::ListOwnRatings => on(method, handlers::rating::list_own_ratings),
        Endpoint::FileAppeal => on(method, handlers::rating::file_appeal),
        Endpoint::ListOwnAppeals => on(method, handlers::rating::list_own_appeals),
        Endpoint::ReadPersonStatus => on(method, handlers::rating::read_person_status),
        Endpoint::SetOverride => on(method, handlers::rating::set_override),
        Endpoint::ReadAppealQueue => on(method, handlers::rating::read_appeal_queue),
        Endpoint::DecideAppeal => on(method, handlers::rating::decide_appeal),
        Endpoint::ReadRegionRiskList => on(method, handlers::rating::read_region_risk_list),
        Endpoint::ReadRegionRiskListVersion => {
            on(method, handlers::rating::read_region_risk_list_version)
        }
        Endpoint::PublishRegionRiskList => on(method, handlers::rating::publish_region_risk_list),
        Endpoint::UploadPolicy => on(method, handlers::rating::upload_policy),
        Endpoint::ListPolicies => on(method, handlers::rating::list_policies),
        Endpoint::ReadPolicy => on(method, handlers::rating::read_policy),
        Endpoint::DiffPolicies => on(method, handlers::rating::diff_policies),
        Endpoint::ActivatePolicy => on(method, handlers::rating::activate_policy),
        Endpoint::RollbackPolicy => on(method, handlers::rating::rollback_policy),
        Endpoint::IngestLabResults => on(method, handlers::feeds::ingest_lab_results),
        Endpoint::IngestPharmacyPurchases => on(method, handlers::feeds::ingest_pharmacy_purchases),
        Endpoint::IngestHealthReports => on(method, handlers::feeds::ingest_health_reports),
        Endpoint::RegisterCase => on(method, handlers::cases::register_case),
        Endpoint::ReleaseCase => on(method, handlers::cases::release_case),
        Endpoint::TraceCase => on(method, handlers::cases::trace_case),
        Endpoint::ListCaseContacts => on(method, handlers::cases::list_case_contacts),
        Endpoint::DismissContact => on(method, handlers::cases::dismiss_contact),
        Endpoint::IngestBoardings => on(method, handlers::feeds::ingest_boardings),
        Endpoint::RegisterHouseholds => on(method, handlers::feeds::register_households),
        Endpoint::IssueConsent => on(method, handlers::consent::issue_consent),
        Endpoint::ListOwnConsents => on(method, handlers::consent::list_own_consents),
        Endpoint::RevokeConsent => on(method, handlers::consent::revoke_consent),
        Endpoint::CheckCloseContact => on(method, handlers::consent::check_close_contact),
        Endpoint::RecordFollowUpCheck => on(method, handlers::follow_up::record_check),
        Endpoint::ListMissedFollowUpChecks => on(method, handlers::follow_up::list_missed_checks),
        Endpoint::RegisterCells => on(method, handlers::phone::register_cells),
        Endpoint::IngestCellPings => on(method, handlers::phone::ingest_cell_pings),
        Endpoint::ReadOwnItinerary => on(method, handlers::phone::read_own_itinerary),
        Endpoint::CreateProximitySearch => on(method, handlers::phone::create_proximity_search),
        Endpoint::ReadProximitySearch => on(method, handlers::phone::read_proximity_search),
        Endpoint::ReviewProximityCandidate => {
            on(method, handlers::phone::review_proximity_candidate)
        }
        Endpoint::IssueOwnPass => on(method, handlers::pass::issue_own_pass),
        Endpoint::ScanPass => on(method, handlers::pass::scan_pass),
        Endpoint::ReadTrustList => on(method, handlers::pass::read_trust_list),
        Endpoint::ReadTrustAnchor => on(method, handlers::pass::read_trust_anchor),
        Endpoint::ReadVenuePoster => on(method, handlers::pass::read_venue_poster),
        Endpoint::CheckInAtVenue => on(method, handlers::pass::check_in_at_venue),
        Endpoint::ReadVenueCheckInCounts => on(method, handlers::venue::read_venue_check_in_counts),
        Endpoint::ReadOwnAccessLog => on(method, handlers::read_own_access_log),
        Endpoint::ReadDashboard => on(method, handlers::dashboard::read_dashboard),
    }
}

/// Gives error responses produced below the handlers (timeouts, unknown methods, body limits
/// hit outside an extractor) the API's JSON error body. The web pages' error pages (HTML) pass.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value.starts_with("application/json") || value.starts_with("text/html")
        });
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
