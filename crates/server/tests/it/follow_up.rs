//! Quarantine follow-up: a community worker's check is a health report that re-rates at once,
//! and the list of residents in isolation whom nobody checked, on the injected clock.

use healthcode_core::rating::{
    CaseId, CaseRecord, CaseStatus, Contact, ContactDegree, ContactId, ContactSetting,
};
use healthcode_core::{Access, Actor, PersonId, Purpose, Role};
use healthcode_server::api::{FollowUpCheckRequest, FollowUpCheckResponse, MissedChecks};
use healthcode_server::{Clock as _, Policies, rating_service};
use jiff::SignedDuration;
use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{
    STAFF_PASSWORD, TestApp, TestResident, colours_and_causes, expect_error, expect_json, spawn_app,
};

/// A check of the resident `person_id` about `day`, at `temperature` °C.
fn check_of(
    person_id: Uuid,
    day: &str,
    temperature: f64,
    symptoms: &[&str],
) -> FollowUpCheckRequest {
    FollowUpCheckRequest {
        event_id: Uuid::new_v4().to_string(),
        person_id: Some(person_id.to_string()),
        resident_id: None,
        day: day.to_owned(),
        temperature,
        symptoms: symptoms
            .iter()
            .map(|symptom| (*symptom).to_owned())
            .collect(),
    }
}

/// Makes `people` close contacts of a confirmed case of `source`, last exposed a day before
/// now, as tracing would: everyone concerned turns red.
async fn close_contacts_of_a_case(app: &TestApp, source: Uuid, people: &[Uuid]) {
    let (store, now) = (app.store.clone(), app.clock.now());
    let people = people.to_vec();
    tokio::task::spawn_blocking(move || {
        let policy = Policies::new().active(&*store, now).unwrap();
        let access = Access::new(Actor::LocalOperator, Purpose::CaseInvestigation, now);
        let case = CaseRecord {
            case: CaseId::from_uuid(Uuid::new_v4()),
            status: CaseStatus::Confirmed,
            since: now,
            onset: now - SignedDuration::from_hours(48),
            isolated_at: now,
            released_at: None,
        };
        rating_service::record_case(
            &*store,
            &access,
            &policy,
            PersonId::from_uuid(source),
            &case,
        )
        .unwrap();
        for person in people {
            let last_exposure = now - SignedDuration::from_hours(24);
            let contact = Contact {
                contact: ContactId::from_uuid(Uuid::new_v4()),
                case: case.case,
                degree: ContactDegree::Close,
                setting: ContactSetting::Household,
                first_exposure: last_exposure - SignedDuration::from_hours(2),
                last_exposure,
                together: SignedDuration::from_hours(2),
                found_at: now,
                dismissed_at: None,
            };
            rating_service::record_contact(
                &*store,
                &access,
                &policy,
                PersonId::from_uuid(person),
                &contact,
            )
            .unwrap();
        }
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_community_workers_check_finding_a_fever_turns_the_resident_yellow_at_once() {
    let app = spawn_app().await;
    let worker = app.sign_in_as(Role::CommunityWorker).await;
    let resident = app.enrolled(&TestResident::fresh()).await;
    assert_eq!(app.status(&resident.device_token).await.colour, "green");

    // The test clock starts at 16:00 on 10 February in China.
    let request = check_of(resident.person_id, "2026-02-10", 38.4, &["dry_cough"]);
    let recorded: FollowUpCheckResponse = expect_json(
        app.post("/v1/follow-up/checks", Some(&worker), &request)
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(recorded.person_id, resident.person_id);
    assert!(!recorded.duplicate);
    let history = app.history(&resident.device_token).await;
    assert_eq!(
        colours_and_causes(&history).last().map(String::as_str),
        Some("yellow:event"),
        "re-rated by the check, without the resident asking"
    );
    assert_eq!(
        history.ratings.last().unwrap().cause.event_id,
        Some(request.event_id.parse().unwrap())
    );

    let resent: FollowUpCheckResponse = expect_json(
        app.post("/v1/follow-up/checks", Some(&worker), &request)
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(resent.duplicate);

    let auditor = app.sign_in_as(Role::Auditor).await;
    let recorded: Vec<(String, String)> = app
        .audit_records(
            &auditor,
            &format!(
                "subject={}&action=record_follow_up_check",
                resident.person_id
            ),
        )
        .await
        .into_iter()
        .map(|record| (record.purpose, record.outcome))
        .collect();
    assert_eq!(
        recorded,
        [
            ("quarantine_follow_up".to_owned(), "success".to_owned()),
            ("quarantine_follow_up".to_owned(), "duplicate".to_owned())
        ]
    );
}

#[tokio::test]
async fn a_check_names_its_resident_by_id_number_or_person_id_and_is_about_a_day_so_far() {
    let app = spawn_app().await;
    let worker = app.sign_in_as(Role::CommunityWorker).await;
    let known = TestResident::fresh();
    let resident = app.enrolled(&known).await;

    let mut by_id_number = check_of(resident.person_id, "2026-02-10", 36.6, &[]);
    by_id_number.person_id = None;
    by_id_number.resident_id = Some(known.resident_id.clone());
    let recorded: FollowUpCheckResponse = expect_json(
        app.post("/v1/follow-up/checks", Some(&worker), &by_id_number)
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(recorded.person_id, resident.person_id);

    let mut unknown_id_number = by_id_number.clone();
    unknown_id_number.event_id = Uuid::new_v4().to_string();
    unknown_id_number.resident_id = Some(TestResident::fresh().resident_id);
    let unknown_person = check_of(Uuid::new_v4(), "2026-02-10", 36.6, &[]);
    for (request, field) in [
        (unknown_id_number, "resident_id"),
        (unknown_person, "person_id"),
    ] {
        let error = expect_error(
            app.post("/v1/follow-up/checks", Some(&worker), &request)
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_eq!(error.error.field.as_deref(), Some(field));
    }

    let mut both = check_of(resident.person_id, "2026-02-10", 36.6, &[]);
    both.resident_id = Some(known.resident_id.clone());
    let mut neither = check_of(resident.person_id, "2026-02-10", 36.6, &[]);
    neither.person_id = None;
    for (request, field) in [
        (check_of(resident.person_id, "2026-02-11", 36.6, &[]), "day"),
        (
            check_of(resident.person_id, "2026-02-10", 45.2, &[]),
            "temperature",
        ),
        (
            check_of(resident.person_id, "2026-02-10", 36.6, &["sneezing"]),
            "symptoms[0]",
        ),
        (both, "resident_id"),
        (neither, "person_id"),
    ] {
        let error = expect_error(
            app.post("/v1/follow-up/checks", Some(&worker), &request)
                .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(error.error.field.as_deref(), Some(field), "{error:?}");
    }
}

#[tokio::test]
async fn the_missed_list_names_the_isolated_residents_nobody_checked_yesterday() {
    let app = spawn_app().await;
    let (worker_name, worker) = app.staff_signed_in(Role::CommunityWorker).await;
    let (official_name, _) = app.staff_signed_in(Role::HealthOfficial).await;
    let source = TestResident::fresh();
    let (unchecked, visited, declared, free) = (
        TestResident::fresh(),
        TestResident::fresh(),
        TestResident::fresh(),
        TestResident::fresh(),
    );
    let source_person = app.enrolled(&source).await;
    let unchecked_person = app.enrolled(&unchecked).await;
    let visited_person = app.enrolled(&visited).await;
    let declared_person = app.enrolled(&declared).await;
    let free_person = app.enrolled(&free).await;
    close_contacts_of_a_case(
        &app,
        source_person.person_id,
        &[
            unchecked_person.person_id,
            visited_person.person_id,
            declared_person.person_id,
        ],
    )
    .await;
    assert_eq!(app.status(&free_person.device_token).await.colour, "green");

    // On the 10th (the test clock starts at 16:00 there), a worker checks one and another
    // declares; the source, a confirmed case, is checked by nobody either.
    let visit = check_of(visited_person.person_id, "2026-02-10", 36.7, &[]);
    let stored = app
        .post("/v1/follow-up/checks", Some(&worker), &visit)
        .await;
    assert_eq!(stored.status(), StatusCode::CREATED);
    app.declare(&declared_person.device_token, Some(36.5), &[], vec![])
        .await;

    // The next morning, the list of yesterday (staff sign in again: tokens last 12 hours).
    app.clock.advance(SignedDuration::from_hours(18));
    let worker = app.sign_in(&worker_name, STAFF_PASSWORD).await.token;
    let official = app.sign_in(&official_name, STAFF_PASSWORD).await.token;
    let missed: MissedChecks = expect_json(
        app.get("/v1/follow-up/missed", Some(&worker)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(missed.day.to_string(), "2026-02-10");
    let mut expected = vec![source_person.person_id, unchecked_person.person_id];
    expected.sort();
    let listed: Vec<Uuid> = missed
        .residents
        .iter()
        .map(|resident| resident.person_id)
        .collect();
    assert_eq!(listed, expected);
    let shown = missed
        .residents
        .iter()
        .find(|resident| resident.person_id == unchecked_person.person_id)
        .unwrap();
    assert_eq!(shown.name, unchecked.name);
    assert_eq!(shown.phone, unchecked.phone);
    assert_eq!(shown.masked_resident_id.len(), 18);
    assert!(shown.masked_resident_id.contains('*'));
    assert_ne!(shown.masked_resident_id, unchecked.resident_id);

    // Today nobody was checked yet: every isolated resident is on today's list.
    let today: MissedChecks = expect_json(
        app.get("/v1/follow-up/missed?day=2026-02-11", Some(&official))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(today.residents.len(), 4);
    let error = expect_error(
        app.get("/v1/follow-up/missed?day=2026-02-12", Some(&worker))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("day"));

    // One audited read per list, counting the residents on it.
    let auditor = app.sign_in_as(Role::Auditor).await;
    let reads: Vec<(String, String, Option<Uuid>, u64)> = app
        .audit_records(&auditor, "action=read_follow_up")
        .await
        .into_iter()
        .map(|record| {
            (
                record.actor.role.unwrap_or_default(),
                record.purpose,
                record.subject,
                record.records,
            )
        })
        .collect();
    let read = |role: &str, records| {
        (
            role.to_owned(),
            "quarantine_follow_up".to_owned(),
            None,
            records,
        )
    };
    assert_eq!(
        reads,
        vec![read("community_worker", 2), read("health_official", 4)]
    );
}
