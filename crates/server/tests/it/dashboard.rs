//! The officials' dashboard over HTTP: counts by district and by day, the appeal queue, and
//! one audit record per read without a subject.

use healthcode_core::Role;
use healthcode_server::Clock;
use healthcode_server::api::{CaseRequest, CaseResponse, DashboardView, ErrorBody};
use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{TestResident, check_in, expect_error, expect_json, spawn_app};

#[tokio::test]
async fn the_dashboard_counts_residents_by_district_and_colour_and_todays_case_and_contact() {
    let app = spawn_app().await;
    let zhang = app.enrolled(&TestResident::zhang()).await;
    let li = app.enrolled(&TestResident::li()).await;
    let fresh = app.enrolled(&TestResident::fresh()).await;
    for token in [&zhang.device_token, &li.device_token, &fresh.device_token] {
        app.status(token).await;
    }
    let operator = app.sign_in_as(Role::VenueOperator).await;
    let venue = app.registered_venue(&operator).await;
    for (person, minutes) in [(zhang.person_id, -120), (li.person_id, -115)] {
        let response = app
            .post(
                "/v1/check-ins",
                Some(&operator),
                &check_in(person, venue, minutes, "venue_scans_person"),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let official = app.sign_in_as(Role::HealthOfficial).await;
    let case = CaseRequest {
        case_id: Uuid::new_v4().to_string(),
        resident_id: TestResident::zhang().resident_id,
        status: "confirmed".into(),
        onset: (app.clock.now() - jiff::SignedDuration::from_hours(24)).to_string(),
        isolated_at: None,
    };
    let _: CaseResponse = expect_json(
        app.post("/v1/cases", Some(&official), &case).await,
        StatusCode::CREATED,
    )
    .await;

    let dashboard: DashboardView = expect_json(
        app.get("/v1/dashboard?days=3", Some(&official)).await,
        StatusCode::OK,
    )
    .await;

    assert_eq!(dashboard.utc_offset, "+08:00");
    assert_eq!(dashboard.residents, 3);
    // Zhang is a confirmed case, Li their close contact; the third resident is green.
    assert_eq!(
        (
            dashboard.colours.green,
            dashboard.colours.yellow,
            dashboard.colours.red
        ),
        (1, 0, 2)
    );
    let districts: Vec<(&str, u64, u64)> = dashboard
        .districts
        .iter()
        .map(|d| (d.district.as_str(), d.colours.green, d.colours.red))
        .collect();
    assert_eq!(
        districts,
        vec![("110105", 0, 1), ("330106", 0, 1), ("440305", 1, 0)]
    );
    assert_eq!(dashboard.days.len(), 3);
    let today = dashboard.days.last().unwrap();
    assert_eq!(today.day.to_string(), "2026-02-10");
    assert_eq!(
        (today.cases, today.confirmed_cases, today.close_contacts),
        (1, 1, 1)
    );
    assert_eq!(today.colours.red, 2);
    assert_eq!(dashboard.days[0].colours.red, 0);
    assert_eq!(dashboard.appeals_waiting, 0);
    assert_eq!(dashboard.median_minutes_to_decision, None);

    let auditor = app.sign_in_as(Role::Auditor).await;
    let records = app
        .audit_records(&auditor, "?action=read_ratings&purpose=case_investigation")
        .await;
    let read = records.last().expect("the dashboard read is audited");
    assert_eq!((read.subject, read.records), (None, 3));
}

#[tokio::test]
async fn only_officials_read_the_dashboard_and_a_bad_number_of_days_is_refused() {
    let app = spawn_app().await;
    let employer = app.sign_in_as(Role::Employer).await;
    let response = app.get("/v1/dashboard", Some(&employer)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let official = app.sign_in_as(Role::HealthOfficial).await;
    let error: ErrorBody = expect_error(
        app.get("/v1/dashboard?days=61", Some(&official)).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("days"));
    let dashboard: DashboardView = expect_json(
        app.get("/v1/dashboard", Some(&official)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(dashboard.days.len(), 14);
}
