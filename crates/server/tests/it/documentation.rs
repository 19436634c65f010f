//! The OpenAPI document, the probes and the metrics.

use std::collections::BTreeSet;

use healthcode_core::Role;
use healthcode_server::Endpoint;
use healthcode_server::api::{BatchRequest, StatusResponse};
use reqwest::StatusCode;

use crate::helpers::{TestResident, check_in, expect_json, spawn_app};

#[tokio::test]
async fn openapi_json_is_openapi_3_1_and_lists_exactly_the_endpoint_table() {
    let app = spawn_app().await;
    let document: serde_json::Value =
        expect_json(app.get("/openapi.json", None).await, StatusCode::OK).await;
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        document["openapi"]
    );

    let paths = document["paths"].as_object().unwrap();
    let documented: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(path, operations)| {
            operations
                .as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let table: BTreeSet<(String, String)> = Endpoint::ALL
        .iter()
        .map(|e| (e.method().to_string(), e.path().to_owned()))
        .collect();
    assert_eq!(documented, table);
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn the_probes_answer_alive_and_ready() {
    let app = spawn_app().await;
    let alive: StatusResponse = expect_json(app.get("/healthz", None).await, StatusCode::OK).await;
    assert_eq!(alive.status, "ok");
    let ready: StatusResponse = expect_json(app.get("/readyz", None).await, StatusCode::OK).await;
    assert_eq!(ready.status, "ready");
}

#[tokio::test]
async fn metrics_count_requests_by_endpoint_template_and_check_ins_without_ids() {
    let app = spawn_app().await;
    let enrolled = app.enrolled(&TestResident::fresh()).await;
    let operator = app.sign_in_as(Role::VenueOperator).await;
    let venue = app.registered_venue(&operator).await;
    let batch = BatchRequest {
        events: vec![check_in(enrolled.person_id, venue, 0, "venue_scans_person")],
    };
    for _ in 0..2 {
        assert_eq!(
            app.post("/v1/check-ins/batch", Some(&operator), &batch)
                .await
                .status(),
            StatusCode::OK
        );
    }
    assert_eq!(
        app.get(&format!("/v1/venues/{venue}"), None).await.status(),
        StatusCode::OK
    );

    let response = app.get("/metrics", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    for expected in [
        r#"healthcode_http_requests_total{endpoint="/v1/check-ins/batch",method="POST",status="200"}"#,
        r#"healthcode_http_request_duration_seconds_bucket{endpoint="/v1/venues/{venue_id}",method="GET",status="200""#,
        "healthcode_check_ins_ingested_total",
        "healthcode_check_in_duplicates_total",
    ] {
        assert!(text.contains(expected), "{expected} not in:\n{text}");
    }
    assert!(
        !text.contains(&venue.to_string()),
        "metrics carry templates, not ids"
    );
    assert!(!text.contains(&enrolled.person_id.to_string()));
}
