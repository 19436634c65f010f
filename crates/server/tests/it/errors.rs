//! Bad requests are answered with the API's JSON error body and the right status.

use healthcode_core::Role;
use std::sync::Arc;

use healthcode_server::api::{BatchRequest, CheckInList, CheckInRequest};
use healthcode_server::{Clock as _, ManualClock, PassConfig, Passes, ServerConfig};
use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{
    START, TestResident, check_in, expect_error, expect_json, spawn_app, spawn_app_with,
};
use crate::stalled::StalledStore;

#[tokio::test]
async fn malformed_json_is_answered_400_malformed_json() {
    let app = spawn_app().await;
    let response = app
        .post_raw("/v1/residents", "application/json", r#"{"event_id": "#)
        .await;
    let error = expect_error(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(error.error.code, "malformed_json");
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_answered_400_naming_the_field() {
    let app = spawn_app().await;
    let body = r#"{"event_id": "x", "resident_id": 330106199001011256, "name": "n", "phone": "p"}"#;
    let error = expect_error(
        app.post_raw("/v1/residents", "application/json", body)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.code, "invalid_body");
    assert_eq!(error.error.field.as_deref(), Some("resident_id"));

    let missing = r#"{"event_id": "x"}"#;
    let error = expect_error(
        app.post_raw("/v1/residents", "application/json", missing)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("resident_id"));
    assert_eq!(error.error.message, "resident_id: is required");
}

#[tokio::test]
async fn a_body_that_is_not_declared_as_json_is_answered_400() {
    let app = spawn_app().await;
    let response = app.post_raw("/v1/residents", "text/plain", "{}").await;
    let error = expect_error(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(error.error.code, "invalid_body");
}

#[tokio::test]
async fn an_oversized_body_is_answered_413_in_json() {
    let app = spawn_app().await;
    let mut enrolment = TestResident::fresh().enrolment();
    enrolment.name = "长".repeat(app.config.body_limit_bytes / 3 + 1000);
    let body = serde_json::to_string(&enrolment).unwrap();
    assert!(body.len() > app.config.body_limit_bytes);
    let error = expect_error(
        app.post_raw("/v1/residents", "application/json", body)
            .await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    assert_eq!(error.error.code, "payload_too_large");
}

#[tokio::test]
async fn the_batch_endpoint_has_its_own_larger_body_limit() {
    let config = ServerConfig {
        body_limit_bytes: 2 * 1024,
        batch_body_limit_bytes: 32 * 1024,
        ..ServerConfig::default()
    };
    let app = spawn_app_with(config).await;
    let worker = app.sign_in_as(Role::CheckpointWorker).await;
    let rows = |count: i64| BatchRequest {
        events: (0..count)
            .map(|m| check_in(Uuid::new_v4(), Uuid::new_v4(), m, "checkpoint"))
            .collect(),
    };
    let fits = rows(40);
    assert!(serde_json::to_vec(&fits).unwrap().len() > app.config.body_limit_bytes);
    // Larger than the default limit, yet read: the unknown person is found only after parsing.
    let error = expect_error(
        app.post("/v1/check-ins/batch", Some(&worker), &fits).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error.error.code, "unknown_reference");

    let too_big = rows(200);
    assert!(serde_json::to_vec(&too_big).unwrap().len() > app.config.batch_body_limit_bytes);
    let error = expect_error(
        app.post("/v1/check-ins/batch", Some(&worker), &too_big)
            .await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    assert_eq!(error.error.code, "payload_too_large");
}

#[tokio::test]
async fn unknown_paths_and_methods_are_answered_in_json() {
    let app = spawn_app().await;
    let error = expect_error(app.get("/v2/nothing", None).await, StatusCode::NOT_FOUND).await;
    assert_eq!(error.error.code, "no_such_endpoint");
    let response = app.client.delete(app.url("/healthz")).send().await.unwrap();
    let error = expect_error(response, StatusCode::METHOD_NOT_ALLOWED).await;
    assert_eq!(error.error.code, "method_not_allowed");
}

#[tokio::test]
async fn a_request_that_outlasts_the_timeout_is_answered_503_timeout_in_json() {
    let (store, release) = StalledStore::new();
    let clock = Arc::new(ManualClock::new(START.parse().unwrap()));
    let config = ServerConfig {
        request_timeout_secs: 0,
        ..ServerConfig::default()
    };
    let data_dir = tempfile::tempdir().unwrap();
    let passes = Passes::open(data_dir.path(), PassConfig::default(), clock.now()).unwrap();
    let router = healthcode_server::router(Arc::new(store), clock, config, passes);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(healthcode_server::serve(listener, router, async {
        let _ = stopped.await;
    }));
    let response = reqwest::get(format!("http://{address}/readyz"))
        .await
        .unwrap();
    let error = expect_error(response, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(error.error.code, "timeout");
    drop(release);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_batch_with_invalid_rows_lists_every_bad_row_and_stores_nothing() {
    let app = spawn_app().await;
    let enrolled = app.enrolled(&TestResident::fresh()).await;
    let operator = app.sign_in_as(Role::VenueOperator).await;
    let venue = app.registered_venue(&operator).await;
    let good = check_in(enrolled.person_id, venue, 0, "venue_scans_person");
    let bad_source = CheckInRequest {
        source: "carrier_pigeon".into(),
        ..check_in(enrolled.person_id, venue, 1, "x")
    };
    let bad_times = CheckInRequest {
        event_id: "not-a-uuid".into(),
        entered: "yesterday".into(),
        ..check_in(enrolled.person_id, venue, 2, "checkpoint")
    };
    let backwards = CheckInRequest {
        left: Some("2026-02-10T07:00:00Z".into()),
        ..check_in(enrolled.person_id, venue, 3, "checkpoint")
    };
    let batch = BatchRequest {
        events: vec![good, bad_source, bad_times, backwards],
    };
    let error = expect_error(
        app.post("/v1/check-ins/batch", Some(&operator), &batch)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.code, "invalid_rows");
    let rows: Vec<(usize, &str)> = error
        .error
        .rows
        .iter()
        .map(|r| (r.index, r.field.as_str()))
        .collect();
    assert_eq!(
        rows,
        [(1, "source"), (2, "event_id"), (2, "entered"), (3, "left")]
    );

    let stored: CheckInList = expect_json(
        app.get("/v1/me/check-ins", Some(&enrolled.device_token))
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        stored.check_ins.is_empty(),
        "nothing of an invalid batch is stored"
    );
}

#[tokio::test]
async fn a_batch_larger_than_the_limit_is_refused_as_batch_too_large() {
    let app = spawn_app_with(ServerConfig {
        batch_max_events: 3,
        ..ServerConfig::default()
    })
    .await;
    let operator = app.sign_in_as(Role::CheckpointWorker).await;
    let events = (0..4)
        .map(|m| check_in(Uuid::new_v4(), Uuid::new_v4(), m, "checkpoint"))
        .collect();
    let response = app
        .post(
            "/v1/check-ins/batch",
            Some(&operator),
            &BatchRequest { events },
        )
        .await;
    let error = expect_error(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(error.error.code, "batch_too_large");
}

#[tokio::test]
async fn check_ins_naming_an_unregistered_venue_or_person_are_answered_422_naming_the_field() {
    let app = spawn_app().await;
    let enrolled = app.enrolled(&TestResident::fresh()).await;
    let worker = app.sign_in_as(Role::CheckpointWorker).await;
    let operator = app.sign_in_as(Role::VenueOperator).await;
    let venue = app.registered_venue(&operator).await;

    let nowhere = check_in(enrolled.person_id, Uuid::new_v4(), 0, "checkpoint");
    let error = expect_error(
        app.post("/v1/check-ins", Some(&worker), &nowhere).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("venue_id"));

    let nobody = check_in(Uuid::new_v4(), venue, 0, "checkpoint");
    let error = expect_error(
        app.post("/v1/check-ins", Some(&worker), &nobody).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("person_id"));

    let good = check_in(enrolled.person_id, venue, 0, "checkpoint");
    let batch = BatchRequest {
        events: vec![good, nobody],
    };
    let error = expect_error(
        app.post("/v1/check-ins/batch", Some(&worker), &batch).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("events[1].person_id"));
}

#[tokio::test]
async fn a_resident_checks_in_only_by_scanning_the_venue_poster() {
    let app = spawn_app().await;
    let enrolled = app.enrolled(&TestResident::fresh()).await;
    let operator = app.sign_in_as(Role::VenueOperator).await;
    let venue = app.registered_venue(&operator).await;
    let scanned_by_venue = check_in(enrolled.person_id, venue, 0, "venue_scans_person");
    let error = expect_error(
        app.post(
            "/v1/check-ins",
            Some(&enrolled.device_token),
            &scanned_by_venue,
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("source"));
}

#[tokio::test]
async fn an_unknown_symptom_is_refused_with_the_vocabulary() {
    let app = spawn_app().await;
    let enrolled = app.enrolled(&TestResident::fresh()).await;
    let body = serde_json::json!({"event_id": Uuid::new_v4(), "symptoms": ["sneezing"]});
    let error = expect_error(
        app.post("/v1/me/declarations", Some(&enrolled.device_token), &body)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("symptoms[0]"));
    assert!(
        error.error.message.contains("fever, dry_cough, fatigue"),
        "{}",
        error.error.message
    );
}

#[tokio::test]
async fn reading_a_resident_without_naming_a_purpose_is_refused() {
    let app = spawn_app().await;
    let enrolled = app.enrolled(&TestResident::fresh()).await;
    let official = app.sign_in_as(Role::HealthOfficial).await;
    let path = format!("/v1/residents/{}", enrolled.person_id);
    let error = expect_error(
        app.get(&path, Some(&official)).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("purpose"));
    let error = expect_error(
        app.get(&format!("{path}?purpose=marketing"), Some(&official))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("purpose"));
    let unknown = format!(
        "/v1/residents/{}?purpose=case_investigation",
        Uuid::new_v4()
    );
    let error = expect_error(
        app.get(&unknown, Some(&official)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("person_id"));
}
