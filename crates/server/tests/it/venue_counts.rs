//! A venue's check-in counts: per hour of a day in the policy's offset, counts only, for venue
//! operators and health officials.

use healthcode_core::Role;
use healthcode_server::api::VenueCheckInCounts;
use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{
    START, TestApp, TestResident, check_in, expect_error, expect_json, spawn_app,
};

/// Records a visit of `person` to `venue`, `minutes` after the start of the test clock, as the
/// venue's operator scanning the person.
async fn visited(app: &TestApp, operator: &str, person: Uuid, venue: Uuid, minutes: i64) {
    let visit = check_in(person, venue, minutes, "venue_scans_person");
    let response = app.post("/v1/check-ins", Some(operator), &visit).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_venue_operator_reads_todays_check_ins_per_hour_with_nobody_named() {
    let app = spawn_app().await;
    let operator = app.sign_in_as(Role::VenueOperator).await;
    let venue = app.registered_venue(&operator).await;
    let zhang = app.enrolled(&TestResident::zhang()).await;
    let li = app.enrolled(&TestResident::li()).await;
    // The clock starts at 08:00 UTC: 16:00 in the default policy's offset, +08:00.
    for (person, minutes) in [
        (zhang.person_id, 5),
        (li.person_id, 30),
        (zhang.person_id, 70),
    ] {
        visited(&app, &operator, person, venue, minutes).await;
    }

    let response = app
        .get(
            &format!("/v1/venues/{venue}/check-in-counts"),
            Some(&operator),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    for person in [zhang.person_id, li.person_id] {
        assert!(!text.contains(&person.to_string()), "nobody is named");
    }
    let counts: VenueCheckInCounts = serde_json::from_str(&text).unwrap();
    assert_eq!(counts.venue_id, venue);
    assert_eq!(counts.date.to_string(), "2026-02-10");
    assert_eq!(counts.utc_offset, "+08:00");
    assert_eq!(counts.hours.len(), 24);
    assert_eq!(counts.hours[16].starts_at, START.parse().unwrap());
    let busy: Vec<(u8, u64)> = counts
        .hours
        .iter()
        .filter(|hour| hour.check_ins > 0)
        .map(|hour| (hour.hour, hour.check_ins))
        .collect();
    assert_eq!(busy, vec![(16, 2), (17, 1)]);
    assert_eq!(counts.total, 3);
}

#[tokio::test]
async fn counts_of_another_day_are_asked_by_date_and_officials_read_them_too() {
    let app = spawn_app().await;
    let operator = app.sign_in_as(Role::VenueOperator).await;
    let official = app.sign_in_as(Role::HealthOfficial).await;
    let venue = app.registered_venue(&operator).await;
    let zhang = app.enrolled(&TestResident::zhang()).await;
    visited(&app, &operator, zhang.person_id, venue, 5).await;

    let yesterday: VenueCheckInCounts = expect_json(
        app.get(
            &format!("/v1/venues/{venue}/check-in-counts?date=2026-02-09"),
            Some(&official),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(yesterday.date.to_string(), "2026-02-09");
    assert_eq!(yesterday.total, 0);
    let today: VenueCheckInCounts = expect_json(
        app.get(
            &format!("/v1/venues/{venue}/check-in-counts?date=2026-02-10"),
            Some(&official),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(today.total, 1);
}

#[tokio::test]
async fn counts_of_an_unknown_venue_or_a_bad_date_are_refused_and_other_roles_may_not_read_them() {
    let app = spawn_app().await;
    let operator = app.sign_in_as(Role::VenueOperator).await;
    let venue = app.registered_venue(&operator).await;
    let error = expect_error(
        app.get(
            &format!("/v1/venues/{}/check-in-counts", Uuid::new_v4()),
            Some(&operator),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("venue_id"));
    let error = expect_error(
        app.get(
            &format!("/v1/venues/{venue}/check-in-counts?date=10/02/2026"),
            Some(&operator),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("date"));
    let employer = app.sign_in_as(Role::Employer).await;
    let refused = app
        .get(
            &format!("/v1/venues/{venue}/check-in-counts"),
            Some(&employer),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let anonymous = app
        .get(&format!("/v1/venues/{venue}/check-in-counts"), None)
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}
