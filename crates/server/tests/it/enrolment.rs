//! Enrolment is idempotent by its event id: a client whose first answer was lost resends it and
//! still gets a working device token.

use healthcode_server::api::{EnrolRequest, EnrolResponse, Profile};
use reqwest::StatusCode;

use crate::helpers::{TestResident, expect_error, expect_json, spawn_app};

#[tokio::test]
async fn a_resent_enrolment_gets_200_the_same_person_and_a_token_that_replaces_the_first() {
    let app = spawn_app().await;
    let enrolment = TestResident::fresh().enrolment();
    let first: EnrolResponse = expect_json(
        app.post("/v1/residents", None, &enrolment).await,
        StatusCode::CREATED,
    )
    .await;
    // The first answer is lost on the way; the client sends the same request again.
    let resent: EnrolResponse = expect_json(
        app.post("/v1/residents", None, &enrolment).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(resent.person_id, first.person_id);
    assert_eq!(resent.masked_resident_id, first.masked_resident_id);
    assert_ne!(resent.device_token, first.device_token);

    let profile: Profile = expect_json(
        app.get("/v1/me", Some(&resent.device_token)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(profile.person_id, first.person_id);
    let error = expect_error(
        app.get("/v1/me", Some(&first.device_token)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(error.error.code, "unauthenticated");
}

#[tokio::test]
async fn an_enrolment_event_id_reused_for_another_resident_is_a_conflict() {
    let app = spawn_app().await;
    let first = TestResident::fresh().enrolment();
    expect_json::<EnrolResponse>(
        app.post("/v1/residents", None, &first).await,
        StatusCode::CREATED,
    )
    .await;
    let other = EnrolRequest {
        event_id: first.event_id.clone(),
        ..TestResident::fresh().enrolment()
    };
    let error = expect_error(
        app.post("/v1/residents", None, &other).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(error.error.code, "already_enrolled");
}
