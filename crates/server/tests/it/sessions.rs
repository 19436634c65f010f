//! Staff sign-in, token expiry and staff accounts.

use healthcode_core::Role;
use healthcode_server::api::{CreateStaffRequest, SessionRequest, StaffView};
use jiff::SignedDuration;
use reqwest::StatusCode;

use crate::helpers::{STAFF_PASSWORD, expect_error, expect_json, spawn_app};

#[tokio::test]
async fn a_wrong_password_and_an_unknown_username_get_the_same_answer() {
    let app = spawn_app().await;
    let admin = app.sign_in_as(Role::Admin).await;
    let create = CreateStaffRequest {
        username: "official.li".into(),
        password: STAFF_PASSWORD.into(),
        role: "health_official".into(),
    };
    let _: StaffView = expect_json(
        app.post("/v1/staff", Some(&admin), &create).await,
        StatusCode::CREATED,
    )
    .await;

    let wrong_password = SessionRequest {
        username: "official.li".into(),
        password: "not the password".into(),
    };
    let unknown_user = SessionRequest {
        username: "official.wang".into(),
        password: STAFF_PASSWORD.into(),
    };
    let first = expect_error(
        app.post("/v1/sessions", None, &wrong_password).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let second = expect_error(
        app.post("/v1/sessions", None, &unknown_user).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(first, second);
    assert_eq!(first.error.code, "wrong_credentials");

    let signed_in = app.sign_in("official.li", STAFF_PASSWORD).await;
    assert_eq!(signed_in.role, "health_official");
    assert_eq!(signed_in.token_type, "Bearer");
}

#[tokio::test]
async fn a_staff_token_expires_after_its_lifetime() {
    let app = spawn_app().await;
    let auditor = app.sign_in_as(Role::Auditor).await;
    assert_eq!(
        app.get("/v1/audit/verify", Some(&auditor)).await.status(),
        StatusCode::OK
    );
    let lifetime = i64::from(app.config.staff_token_ttl_hours);
    app.clock
        .advance(SignedDuration::from_hours(lifetime) - SignedDuration::from_mins(1));
    assert_eq!(
        app.get("/v1/audit/verify", Some(&auditor)).await.status(),
        StatusCode::OK
    );
    app.clock.advance(SignedDuration::from_mins(2));
    let error = expect_error(
        app.get("/v1/audit/verify", Some(&auditor)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(error.error.code, "unauthenticated");
}

#[tokio::test]
async fn an_unknown_or_malformed_token_is_answered_401() {
    let app = spawn_app().await;
    let response = app.get("/v1/me", Some("made-up-token")).await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    expect_error(response, StatusCode::UNAUTHORIZED).await;
    let response = app
        .client
        .get(app.url("/v1/me"))
        .header("authorization", "Basic YWxhZGRpbjpvcGVuc2VzYW1l")
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn staff_accounts_need_a_long_password_a_staff_role_and_a_free_username() {
    let app = spawn_app().await;
    let admin = app.sign_in_as(Role::Admin).await;
    let short = CreateStaffRequest {
        username: "worker.zhao".into(),
        password: "short".into(),
        role: "checkpoint_worker".into(),
    };
    let error = expect_error(
        app.post("/v1/staff", Some(&admin), &short).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("password"));
    assert!(error.error.message.contains("at least 12 characters"));

    let resident = CreateStaffRequest {
        role: "resident".into(),
        password: STAFF_PASSWORD.into(),
        ..short.clone()
    };
    let error = expect_error(
        app.post("/v1/staff", Some(&admin), &resident).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("role"));

    let good = CreateStaffRequest {
        password: STAFF_PASSWORD.into(),
        ..short
    };
    let created: StaffView = expect_json(
        app.post("/v1/staff", Some(&admin), &good).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created.role, "checkpoint_worker");
    let error = expect_error(
        app.post("/v1/staff", Some(&admin), &good).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(error.error.code, "username_taken");
}
