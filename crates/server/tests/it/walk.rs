//! A resident's and a venue's way through the API, a large batch, and a restart.

use healthcode_core::Role;
use healthcode_server::api::{
    BatchRequest, BatchResponse, CheckInList, DeclarationList, DeclarationRequest, Profile,
    TravelRequest, VenueView, WriteResponse,
};
use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{TestResident, check_in, expect_error, expect_json, spawn_app};

#[tokio::test]
async fn a_resident_enrols_declares_checks_in_and_everything_survives_a_restart() {
    let app = spawn_app().await;
    let zhang = TestResident::zhang();

    // Enrolment: a wrong check digit is refused with the part that is wrong.
    let mut wrong = zhang.clone();
    wrong.resident_id = "330106199001011254".into();
    let error = expect_error(app.enrol(&wrong).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(error.error.field.as_deref(), Some("resident_id"));
    assert!(
        error
            .error
            .message
            .contains("check digit should be 6, found 4"),
        "{}",
        error.error.message
    );

    let enrolled = app.enrolled(&zhang).await;
    assert_eq!(enrolled.masked_resident_id, "330106********1256");
    let resident = enrolled.device_token.clone();
    let person = enrolled.person_id;

    let again = expect_error(app.enrol(&zhang).await, StatusCode::CONFLICT).await;
    assert_eq!(again.error.code, "already_enrolled");

    // Declaration: 60 °C is not a body temperature; a resend is a duplicate.
    let mut declaration = DeclarationRequest {
        event_id: Uuid::new_v4().to_string(),
        symptoms: vec!["dry_cough".into()],
        temperature_celsius: Some(60.0),
        travel: vec![TravelRequest {
            region: "420100".into(),
            from: "2026-02-01".into(),
            to: "2026-02-03".into(),
        }],
    };
    let error = expect_error(
        app.post("/v1/me/declarations", Some(&resident), &declaration)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("temperature_celsius"));
    declaration.temperature_celsius = Some(37.6);
    let first: WriteResponse = expect_json(
        app.post("/v1/me/declarations", Some(&resident), &declaration)
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert!(!first.duplicate);
    let resent: WriteResponse = expect_json(
        app.post("/v1/me/declarations", Some(&resident), &declaration)
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(resent.duplicate);

    // A venue registers; the resident scans its poster.
    let operator = app.sign_in_as(Role::VenueOperator).await;
    let venue = app.registered_venue(&operator).await;
    let visit = check_in(person, venue, 60, "person_scans_venue");
    let stored: WriteResponse = expect_json(
        app.post("/v1/check-ins", Some(&resident), &visit).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(!stored.duplicate);

    // A batch of 10,000 sent three times is stored once.
    let batch = BatchRequest {
        events: (0..10_000)
            .map(|minute| check_in(person, venue, 120 + minute, "venue_scans_person"))
            .collect(),
    };
    let first: BatchResponse = expect_json(
        app.post("/v1/check-ins/batch", Some(&operator), &batch)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        first,
        BatchResponse {
            received: 10_000,
            stored: 10_000,
            duplicates: 0
        }
    );
    for _ in 0..2 {
        let resent: BatchResponse = expect_json(
            app.post("/v1/check-ins/batch", Some(&operator), &batch)
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            resent,
            BatchResponse {
                received: 10_000,
                stored: 0,
                duplicates: 10_000
            }
        );
    }

    // Restart on the same data directory: everything is still there, tokens included.
    let app = app.restart().await;
    let profile: Profile =
        expect_json(app.get("/v1/me", Some(&resident)).await, StatusCode::OK).await;
    assert_eq!(profile.person_id, person);
    assert_eq!(profile.name, "张三明");
    assert_eq!(profile.phone, "13800138000");
    assert_eq!(profile.masked_resident_id, "330106********1256");
    assert_eq!(profile.birth_year, 1990);
    assert_eq!(profile.region, "330106");

    let declarations: DeclarationList = expect_json(
        app.get("/v1/me/declarations", Some(&resident)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(declarations.declarations.len(), 1);
    assert_eq!(declarations.declarations[0].temperature_celsius, Some(37.6));
    assert_eq!(declarations.declarations[0].symptoms, ["dry_cough"]);
    assert_eq!(declarations.declarations[0].travel[0].region, "420100");

    let poster: VenueView = expect_json(
        app.get(&format!("/v1/venues/{venue}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(poster.name, "Wulin Square Noodles");
    assert_eq!(
        poster.opening_hours,
        "Mo,Tu,We,Th,Fr 09:00-21:00; Sa,Su 10:00-22:00"
    );

    let check_ins: CheckInList = expect_json(
        app.get("/v1/me/check-ins", Some(&resident)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(check_ins.check_ins.len(), 10_001);
    assert_eq!(check_ins.check_ins[0].event_id.to_string(), visit.event_id);
    assert!(
        check_ins
            .check_ins
            .windows(2)
            .all(|pair| pair[0].entered <= pair[1].entered)
    );

    let resent: BatchResponse = expect_json(
        app.post("/v1/check-ins/batch", Some(&operator), &batch)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        resent.duplicates, 10_000,
        "event ids are remembered across restarts"
    );
}
