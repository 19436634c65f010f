//! Cases and tracing over HTTP: a confirmed case is traced at once, its contacts are rated
//! through the policy, and an official's dismissal is rated again and kept on the record.

use healthcode_server::Clock;
use healthcode_server::api::{
    BoardingBatch, BoardingRow, CaseRequest, CaseResponse, ContactList, DismissalRequest,
    DismissalResponse, ErrorBody, FeedResponse, TraceResponse,
};
use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{TestApp, TestResident, check_in, expect_error, expect_json, spawn_app};

/// Zhang and Li at one restaurant: Zhang from 2 hours before the start for 20 minutes, Li from
/// 5 minutes later, so that they are together for exactly 15 minutes, the default minimum.
/// Wang came when Li was still there but Zhang had left.
async fn a_restaurant_evening(app: &TestApp) -> (Uuid, Uuid, Uuid, String) {
    let zhang = app.enrolled(&TestResident::zhang()).await;
    let li = app.enrolled(&TestResident::li()).await;
    let wang = app.enrolled(&TestResident::fresh()).await;
    let operator = app.sign_in_as(healthcode_core::Role::VenueOperator).await;
    let venue = app.registered_venue(&operator).await;
    for (person, minutes) in [
        (zhang.person_id, -120),
        (li.person_id, -115),
        (wang.person_id, -99),
    ] {
        let response = app
            .post(
                "/v1/check-ins",
                Some(&operator),
                &check_in(person, venue, minutes, "venue_scans_person"),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    (zhang.person_id, li.person_id, venue, li.device_token)
}

fn confirmed(app: &TestApp) -> CaseRequest {
    CaseRequest {
        case_id: Uuid::new_v4().to_string(),
        resident_id: TestResident::zhang().resident_id,
        status: "confirmed".into(),
        onset: (app.clock.now() - jiff::SignedDuration::from_hours(24)).to_string(),
        isolated_at: None,
    }
}

#[tokio::test]
async fn a_confirmed_case_is_traced_at_once_and_its_close_contact_turns_red_with_the_evidence() {
    let app = spawn_app().await;
    let (zhang, li, venue, li_token) = a_restaurant_evening(&app).await;
    let official = app.sign_in_as(healthcode_core::Role::HealthOfficial).await;

    let registered: CaseResponse = expect_json(
        app.post("/v1/cases", Some(&official), &confirmed(&app))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(registered.person_id, zhang);
    let trace = registered.trace.expect("a confirmed case is traced");
    assert_eq!(trace.new_contacts, 1, "{trace:?}");
    let contact = &trace.contacts[0];
    assert_eq!(
        (
            contact.person_id,
            contact.degree.as_str(),
            contact.setting.as_str(),
            contact.venue_id,
            contact.together_minutes
        ),
        (li, "close", "venue", Some(venue), 15)
    );

    let status = app.status(&li_token).await;
    assert_eq!(status.colour, "red");
    assert_eq!(status.reasons[0].rule_id, "close_contact");
}

#[tokio::test]
async fn cases_registered_together_are_each_recorded_and_the_confirmed_ones_traced() {
    let app = spawn_app().await;
    let (zhang, li, venue, li_token) = a_restaurant_evening(&app).await;
    let now = app.clock.now();
    let suspected = CaseRequest {
        case_id: Uuid::new_v4().to_string(),
        resident_id: TestResident::li().resident_id,
        status: "suspected".into(),
        onset: (now - jiff::SignedDuration::from_hours(2)).to_string(),
        isolated_at: None,
    };
    let cases = [
        confirmed(&app).parse(now).unwrap(),
        suspected.parse(now).unwrap(),
    ];
    let registered = register_cases_as_official(&app, cases.to_vec())
        .await
        .expect("both residents are enrolled");

    assert_eq!(
        registered
            .iter()
            .map(|registered| (registered.person, registered.trace.is_some()))
            .collect::<Vec<_>>(),
        [
            (healthcode_core::PersonId::from_uuid(zhang), true),
            (healthcode_core::PersonId::from_uuid(li), false)
        ],
        "only the confirmed case is traced"
    );
    let trace = registered[0].trace.as_ref().unwrap();
    assert_eq!(
        trace
            .contacts
            .iter()
            .map(|contact| (contact.person_id, contact.degree.as_str(), contact.venue_id))
            .collect::<Vec<_>>(),
        [(li, "close", Some(venue))]
    );
    // Li is a suspected case and a close contact: the close contact's red is the stronger.
    let status = app.status(&li_token).await;
    assert_eq!(status.colour, "red");
    assert_eq!(
        status
            .reasons
            .iter()
            .map(|reason| reason.rule_id.as_str())
            .collect::<Vec<_>>(),
        ["close_contact", "suspected_case"]
    );
}

#[tokio::test]
async fn cases_registered_together_are_all_refused_if_one_resident_is_not_enrolled() {
    let app = spawn_app().await;
    let (zhang, ..) = a_restaurant_evening(&app).await;
    let now = app.clock.now();
    let nobody = CaseRequest {
        resident_id: TestResident::fresh().resident_id,
        ..confirmed(&app)
    };
    let refused = register_cases_as_official(
        &app,
        vec![
            confirmed(&app).parse(now).unwrap(),
            nobody.parse(now).unwrap(),
        ],
    )
    .await;
    assert!(
        matches!(
            refused,
            Err(healthcode_server::ApiError::NotFound {
                what: "resident",
                ..
            })
        ),
        "{refused:?}"
    );
    let official = app.sign_in_as(healthcode_core::Role::HealthOfficial).await;
    let status: healthcode_server::api::StatusView = expect_json(
        app.get(&format!("/v1/people/{zhang}/status"), Some(&official))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(status.colour, "green", "no case was recorded");
}

/// Registers `cases` together through the library function, as an official under the active
/// policy.
async fn register_cases_as_official(
    app: &TestApp,
    cases: Vec<healthcode_server::api::NewCase>,
) -> Result<Vec<healthcode_server::cases::Registered>, healthcode_server::ApiError> {
    let store = app.store.clone();
    let now = app.clock.now();
    tokio::task::spawn_blocking(move || {
        let policy = healthcode_server::Policies::new()
            .active(&*store, now)
            .expect("a policy is active");
        let access = healthcode_core::Access::new(
            healthcode_core::Actor::Staff {
                id: healthcode_core::StaffId::from_uuid(Uuid::new_v4()),
                role: healthcode_core::Role::HealthOfficial,
            },
            healthcode_server::Endpoint::RegisterCase.purpose(),
            now,
        );
        healthcode_server::cases::register_cases(&*store, &access, &policy, &cases)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_dismissed_contact_is_rated_again_and_tracing_again_does_not_bring_it_back() {
    let app = spawn_app().await;
    let (_, li, _, li_token) = a_restaurant_evening(&app).await;
    let official = app.sign_in_as(healthcode_core::Role::HealthOfficial).await;
    let registered: CaseResponse = expect_json(
        app.post("/v1/cases", Some(&official), &confirmed(&app))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let contact = registered.trace.unwrap().contacts[0].contact_id;

    let reason = DismissalRequest {
        reason: "The venue's scanner logged the wrong table; she was outside.".into(),
    };
    let dismissed: DismissalResponse = expect_json(
        app.post(
            &format!("/v1/contacts/{contact}/dismissal"),
            Some(&official),
            &reason,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (dismissed.person_id, dismissed.colour.as_str()),
        (li, "green")
    );
    assert_eq!(app.status(&li_token).await.colour, "green");
    let again: ErrorBody = expect_error(
        app.post(
            &format!("/v1/contacts/{contact}/dismissal"),
            Some(&official),
            &reason,
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        again.error.message.contains("already dismissed"),
        "{again:?}"
    );

    let case = registered.case_id;
    let traced: TraceResponse = expect_json(
        app.post(&format!("/v1/cases/{case}/trace"), Some(&official), &())
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(traced.new_contacts, 0);
    let listed: ContactList = expect_json(
        app.get(&format!("/v1/cases/{case}/contacts"), Some(&official))
            .await,
        StatusCode::OK,
    )
    .await;
    let dismissal = listed.contacts[0].dismissal.as_ref().expect("dismissed");
    assert_eq!(dismissal.reason, reason.reason);
    assert_eq!(app.status(&li_token).await.colour, "green");
}

#[tokio::test]
async fn a_case_of_someone_not_enrolled_or_with_an_onset_in_the_future_is_refused() {
    let app = spawn_app().await;
    let official = app.sign_in_as(healthcode_core::Role::HealthOfficial).await;
    let error = expect_error(
        app.post("/v1/cases", Some(&official), &confirmed(&app))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("resident_id"));
    app.enrolled(&TestResident::zhang()).await;
    let future = CaseRequest {
        onset: (app.clock.now() + jiff::SignedDuration::from_hours(1)).to_string(),
        ..confirmed(&app)
    };
    let error = expect_error(
        app.post("/v1/cases", Some(&official), &future).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("onset"));
}

#[tokio::test]
async fn riders_of_one_flight_near_the_case_are_close_contacts_and_those_five_rows_away_are_not() {
    let app = spawn_app().await;
    let zhang = app.enrolled(&TestResident::zhang()).await;
    let li = app.enrolled(&TestResident::li()).await;
    let far_resident = TestResident::fresh();
    let far = app.enrolled(&far_resident).await;
    let far_id = far_resident.resident_id;
    let operator = app.sign_in_as(healthcode_core::Role::TransitOperator).await;
    let trip = Uuid::new_v4().to_string();
    let departs = app.clock.now() - jiff::SignedDuration::from_hours(6);
    let row = |resident_id: String, seat: &str| BoardingRow {
        event_id: Uuid::new_v4().to_string(),
        trip_id: trip.clone(),
        mode: "flight".into(),
        trip_code: "CA1501".into(),
        departs_at: departs.to_string(),
        resident_id,
        seat: Some(seat.into()),
        boarded_at: (departs - jiff::SignedDuration::from_mins(20)).to_string(),
        alighted_at: Some((departs + jiff::SignedDuration::from_hours(2)).to_string()),
    };
    let batch = BoardingBatch {
        boardings: vec![
            row(TestResident::zhang().resident_id, "12C"),
            row(TestResident::li().resident_id, "14A"),
            row(far_id.clone(), "17C"),
        ],
    };
    let stored: FeedResponse = expect_json(
        app.post("/v1/transit/boardings", Some(&operator), &batch)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!((stored.stored, stored.people_rated), (3, 0));
    let moved = BoardingBatch {
        boardings: vec![BoardingRow {
            trip_code: "CA1502".into(),
            ..row(far_id, "18C")
        }],
    };
    let conflict = expect_error(
        app.post("/v1/transit/boardings", Some(&operator), &moved)
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(conflict.error.message.contains("trip"), "{conflict:?}");

    let official = app.sign_in_as(healthcode_core::Role::HealthOfficial).await;
    let registered: CaseResponse = expect_json(
        app.post("/v1/cases", Some(&official), &confirmed(&app))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(registered.person_id, zhang.person_id);
    let contacts = registered.trace.unwrap().contacts;
    let people: Vec<Uuid> = contacts.iter().map(|contact| contact.person_id).collect();
    assert_eq!(people, vec![li.person_id], "{contacts:?}");
    assert!(!people.contains(&far.person_id));
    assert_eq!(contacts[0].setting, "trip");
    assert_eq!(contacts[0].trip_id, Some(trip.parse().unwrap()));
}
