//! Prometheus metrics: request counts and latencies by endpoint and status, check-ins
//! ingested and duplicated, passes scanned by verdict, and how long appeals wait for a
//! decision.
//!
//! The recorder is process-global (the `metrics` facade allows one), so it is installed once, on
//! first use, and shared by every app in the process; tests start many apps in one process.
//! Labels are endpoint templates, methods and status codes only: never a raw path, an id or
//! anything else a person could be recognised by.

use std::sync::OnceLock;
use std::time::Duration;

use healthcode_core::Timestamp;
use healthcode_store::IngestReport;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

const REQUESTS: &str = "healthcode_http_requests_total";
const REQUEST_DURATION: &str = "healthcode_http_request_duration_seconds";
const CHECK_INS_STORED: &str = "healthcode_check_ins_ingested_total";
const CHECK_INS_DUPLICATE: &str = "healthcode_check_in_duplicates_total";
const APPEAL_DECISION: &str = "healthcode_appeal_decision_seconds";
const PASS_SCANS: &str = "healthcode_pass_scans_total";

/// Latency buckets in seconds, from a fast read to the request timeout.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Time from an appeal's filing to its decision, in seconds: from minutes to a month.
const APPEAL_DECISION_BUCKETS: &[f64] = &[
    60.0,
    300.0,
    900.0,
    3_600.0,
    4.0 * 3_600.0,
    12.0 * 3_600.0,
    86_400.0,
    2.0 * 86_400.0,
    3.0 * 86_400.0,
    7.0 * 86_400.0,
    14.0 * 86_400.0,
    30.0 * 86_400.0,
];

/// The process's Prometheus handle, installing the recorder on first call.
///
/// If another recorder was installed first (by an embedding program), this returns a handle to a
/// recorder that is not installed: `/metrics` then answers empty rather than failing.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.to_owned()), LATENCY_BUCKETS)
            .expect("the latency buckets are not empty")
            .set_buckets_for_metric(
                Matcher::Full(APPEAL_DECISION.to_owned()),
                APPEAL_DECISION_BUCKETS,
            )
            .expect("the appeal decision buckets are not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics will be empty");
        }
        describe();
        handle
    })
}

/// The metrics in Prometheus text format.
pub fn render() -> String {
    let handle = handle();
    // Upkeep drains histogram samples recorded since the last scrape; scraping is periodic, so
    // doing it here bounds memory without a background task.
    handle.run_upkeep();
    handle.render()
}

fn describe() {
    metrics::describe_counter!(
        REQUESTS,
        "HTTP requests answered, by endpoint, method and status."
    );
    metrics::describe_histogram!(
        REQUEST_DURATION,
        metrics::Unit::Seconds,
        "Time to answer HTTP requests, by endpoint, method and status."
    );
    metrics::describe_counter!(CHECK_INS_STORED, "Check-ins stored (single and batch).");
    metrics::describe_counter!(
        CHECK_INS_DUPLICATE,
        "Check-ins received again and not stored twice."
    );
    metrics::describe_histogram!(
        APPEAL_DECISION,
        metrics::Unit::Seconds,
        "Time from a resident's appeal to an official's decision."
    );
}

/// Counts one answered request. `endpoint` is a path template such as `/v1/venues/{venue_id}`.
pub(crate) fn record_request(endpoint: &str, method: &str, status: u16, latency: Duration) {
    let labels = [
        ("endpoint", endpoint.to_owned()),
        ("method", method.to_owned()),
        ("status", status.to_string()),
    ];
    metrics::counter!(REQUESTS, &labels).increment(1);
    metrics::histogram!(REQUEST_DURATION, &labels).record(latency.as_secs_f64());
}

/// Counts stored and duplicate check-ins.
pub fn record_check_ins(report: &IngestReport) {
    metrics::counter!(CHECK_INS_STORED).increment(report.stored);
    metrics::counter!(CHECK_INS_DUPLICATE).increment(report.duplicates);
}

/// Counts one scanned pass by its verdict: `valid`, or the reason it is not (a forged or
/// stale pass shows up as `bad_signature`, `unknown_key`, `expired` or `revoked`).
pub fn record_scan(verdict: &'static str) {
    metrics::counter!(PASS_SCANS, "verdict" => verdict).increment(1);
}

/// Records how long an appeal filed at `filed_at` waited for its decision at `decided_at`.
pub fn record_appeal_decision(filed_at: Timestamp, decided_at: Timestamp) {
    // A decision timed before its filing (a clock set back) counts as immediate.
    let waited = decided_at.duration_since(filed_at).as_secs_f64().max(0.0);
    metrics::histogram!(APPEAL_DECISION).record(waited);
}
