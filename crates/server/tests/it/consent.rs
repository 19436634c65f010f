//! Residents' consents and employers' close-contact checks: issue, list, revoke; yes, no, and
//! one refusal for every way a check can lack a consent; the check in the resident's audit
//! trail.

use healthcode_core::rating::{
    CaseId, CaseRecord, CaseStatus, Contact, ContactDegree, ContactId, ContactSetting,
};
use healthcode_core::{Access, Actor, PersonId, Purpose, Role, Timestamp};
use healthcode_server::api::{
    CloseContactCheckRequest, CloseContactCheckResponse, ConsentList, ConsentRequest, ConsentView,
    ErrorBody, IssuedConsent,
};
use healthcode_server::{Clock as _, Policies, ServerConfig, rating_service};
use jiff::SignedDuration;
use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{
    STAFF_PASSWORD, TestApp, TestResident, expect_error, expect_json, spawn_app, spawn_app_with,
};

fn consent_to(employer: &str, valid_days: Option<u32>, checks: Option<u32>) -> ConsentRequest {
    ConsentRequest {
        consent_id: Uuid::new_v4().to_string(),
        employer: employer.to_owned(),
        valid_days,
        checks,
    }
}

async fn issued(app: &TestApp, resident: &str, request: &ConsentRequest) -> IssuedConsent {
    expect_json(
        app.post("/v1/me/consents", Some(resident), request).await,
        StatusCode::CREATED,
    )
    .await
}

async fn consents(app: &TestApp, resident: &str) -> Vec<ConsentView> {
    let list: ConsentList = expect_json(
        app.get("/v1/me/consents", Some(resident)).await,
        StatusCode::OK,
    )
    .await;
    list.consents
}

async fn check(app: &TestApp, employer: &str, resident_id: &str, token: &str) -> reqwest::Response {
    let request = CloseContactCheckRequest {
        resident_id: resident_id.to_owned(),
        token: token.to_owned(),
    };
    app.post(
        "/v1/employer/close-contact-checks",
        Some(employer),
        &request,
    )
    .await
}

/// The answer of a check that a consent covers.
async fn answered(app: &TestApp, employer: &str, resident_id: &str, token: &str) -> bool {
    let response = check(app, employer, resident_id, token).await;
    let body: serde_json::Value = expect_json(response, StatusCode::OK).await;
    assert_eq!(
        body.as_object().map(|object| object.len()),
        Some(1),
        "the answer is one field: {body}"
    );
    let answer: CloseContactCheckResponse = serde_json::from_value(body).unwrap();
    answer.close_contact
}

/// Registers a confirmed case of `source` and a close contact of `contact` with it, last
/// exposed two days before now, as tracing would, re-rating both.
async fn close_contact_of_a_case(app: &TestApp, source: Uuid, contact: Uuid) {
    let (store, now) = (app.store.clone(), app.clock.now());
    tokio::task::spawn_blocking(move || {
        let policy = Policies::new().active(&*store, now).unwrap();
        let access = Access::new(Actor::LocalOperator, Purpose::CaseInvestigation, now);
        let case = CaseRecord {
            case: CaseId::from_uuid(Uuid::new_v4()),
            status: CaseStatus::Confirmed,
            since: now - SignedDuration::from_hours(12),
            onset: now - SignedDuration::from_hours(72),
            isolated_at: now - SignedDuration::from_hours(12),
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
        let last_exposure = now - SignedDuration::from_hours(48);
        let contact_record = Contact {
            contact: ContactId::from_uuid(Uuid::new_v4()),
            case: case.case,
            degree: ContactDegree::Close,
            setting: ContactSetting::Household,
            first_exposure: last_exposure - SignedDuration::from_hours(8),
            last_exposure,
            together: SignedDuration::from_hours(8),
            found_at: now,
            dismissed_at: None,
        };
        rating_service::record_contact(
            &*store,
            &access,
            &policy,
            PersonId::from_uuid(contact),
            &contact_record,
        )
        .unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_resident_issues_lists_and_revokes_a_consent_whose_token_is_shown_once() {
    let app = spawn_app().await;
    let (employer, _) = app.staff_signed_in(Role::Employer).await;
    let resident = app.enrolled(&TestResident::fresh()).await.device_token;
    let now: Timestamp = app.clock.now();

    let request = consent_to(&employer, None, None);
    let first = issued(&app, &resident, &request).await;
    assert_eq!(first.token.len(), 43, "as strong as a bearer token");
    assert_eq!(first.consent.employer, employer);
    assert_eq!(first.consent.state, "active");
    assert_eq!(first.consent.issued_at, now);
    assert_eq!(
        first.consent.expires_at,
        now + SignedDuration::from_hours(7 * 24)
    );
    assert_eq!(
        (first.consent.max_checks, first.consent.checks_made),
        (1, 0)
    );

    // A resend answers the same consent with a new token.
    let resent: IssuedConsent = expect_json(
        app.post("/v1/me/consents", Some(&resident), &request).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(resent.consent, first.consent);
    assert_ne!(resent.token, first.token);

    let second = issued(&app, &resident, &consent_to(&employer, Some(30), Some(30))).await;
    let listed = consents(&app, &resident).await;
    assert_eq!(listed, vec![first.consent.clone(), second.consent.clone()]);
    let raw = app
        .get("/v1/me/consents", Some(&resident))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !raw.contains(&resent.token) && !raw.contains("token"),
        "a listing never shows a token: {raw}"
    );

    app.clock.advance(SignedDuration::from_hours(1));
    let path = format!("/v1/me/consents/{}", first.consent.consent_id);
    let revoked: ConsentView =
        expect_json(app.delete(&path, Some(&resident)).await, StatusCode::OK).await;
    assert_eq!(revoked.state, "revoked");
    assert_eq!(revoked.revoked_at, Some(app.clock.now()));
    let again: ConsentView =
        expect_json(app.delete(&path, Some(&resident)).await, StatusCode::OK).await;
    assert_eq!(again, revoked, "revoking again changes nothing");
    let states: Vec<String> = consents(&app, &resident)
        .await
        .into_iter()
        .map(|consent| consent.state)
        .collect();
    assert_eq!(states, ["revoked", "active"]);

    // Another resident cannot revoke it, nor learn that it exists.
    let other = app.enrolled(&TestResident::fresh()).await.device_token;
    let path = format!("/v1/me/consents/{}", second.consent.consent_id);
    let error = expect_error(app.delete(&path, Some(&other)).await, StatusCode::NOT_FOUND).await;
    assert_eq!(error.error.field.as_deref(), Some("consent_id"));
    assert_eq!(consents(&app, &other).await, Vec::new());
}

#[tokio::test]
async fn a_consent_names_an_employers_account_and_terms_within_their_limits() {
    let app = spawn_app().await;
    let (employer, _) = app.staff_signed_in(Role::Employer).await;
    let (official, _) = app.staff_signed_in(Role::HealthOfficial).await;
    let resident = app.enrolled(&TestResident::fresh()).await.device_token;
    let cases = [
        (consent_to("nobody.here", None, None), "employer"),
        (consent_to(&official, None, None), "employer"),
        (consent_to("Not A Username", None, None), "employer"),
        (consent_to(&employer, Some(31), None), "valid_days"),
        (consent_to(&employer, Some(0), None), "valid_days"),
        (consent_to(&employer, None, Some(31)), "checks"),
    ];
    for (request, field) in cases {
        let error = expect_error(
            app.post("/v1/me/consents", Some(&resident), &request).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(error.error.field.as_deref(), Some(field), "{error:?}");
    }
    assert_eq!(consents(&app, &resident).await, Vec::new());
}

#[tokio::test]
async fn an_employer_learns_yes_for_a_close_contact_and_no_for_anyone_else() {
    let app = spawn_app().await;
    let (employer_name, employer) = app.staff_signed_in(Role::Employer).await;
    let (source, contact, bystander) = (
        TestResident::fresh(),
        TestResident::fresh(),
        TestResident::fresh(),
    );
    let source_person = app.enrolled(&source).await;
    let contact_person = app.enrolled(&contact).await;
    let bystander_person = app.enrolled(&bystander).await;
    close_contact_of_a_case(&app, source_person.person_id, contact_person.person_id).await;
    assert_eq!(app.status(&contact_person.device_token).await.colour, "red");

    let of_contact = issued(
        &app,
        &contact_person.device_token,
        &consent_to(&employer_name, None, Some(2)),
    )
    .await;
    let of_bystander = issued(
        &app,
        &bystander_person.device_token,
        &consent_to(&employer_name, None, None),
    )
    .await;
    let of_source = issued(
        &app,
        &source_person.device_token,
        &consent_to(&employer_name, None, None),
    )
    .await;

    assert!(answered(&app, &employer, &contact.resident_id, &of_contact.token).await);
    assert!(!answered(&app, &employer, &bystander.resident_id, &of_bystander.token).await);
    assert!(
        answered(&app, &employer, &source.resident_id, &of_source.token).await,
        "a confirmed case not yet released answers yes"
    );

    // Thirteen days on, the contact's exposure is fifteen days old: no.
    app.clock.advance(SignedDuration::from_hours(13 * 24));
    let employer = app.sign_in(&employer_name, STAFF_PASSWORD).await.token;
    let renewed = issued(
        &app,
        &contact_person.device_token,
        &consent_to(&employer_name, None, None),
    )
    .await;
    assert!(!answered(&app, &employer, &contact.resident_id, &renewed.token).await);
    let uses: Vec<(u32, u32)> = consents(&app, &contact_person.device_token)
        .await
        .iter()
        .map(|consent| (consent.checks_made, consent.max_checks))
        .collect();
    assert_eq!(uses, [(1, 2), (1, 1)]);
}

#[tokio::test]
async fn every_check_without_a_consent_in_force_is_refused_with_one_and_the_same_error() {
    // Staff tokens last 12 hours: the clock moves two days on, so a longer one for this test.
    let config = ServerConfig {
        staff_token_ttl_hours: 72,
        ..ServerConfig::default()
    };
    let app = spawn_app_with(config).await;
    let (employer_name, employer) = app.staff_signed_in(Role::Employer).await;
    let (_, other_employer) = app.staff_signed_in(Role::Employer).await;
    let (zhang, li) = (TestResident::fresh(), TestResident::fresh());
    let zhang_enrolled = app.enrolled(&zhang).await;
    let zhang_token = zhang_enrolled.device_token.clone();
    let li_token = app.enrolled(&li).await.device_token;
    let for_two_days = issued(
        &app,
        &zhang_token,
        &consent_to(&employer_name, Some(2), Some(5)),
    )
    .await;
    let once = issued(
        &app,
        &zhang_token,
        &consent_to(&employer_name, None, Some(1)),
    )
    .await;
    let of_li = issued(&app, &li_token, &consent_to(&employer_name, None, Some(5))).await;
    let to_revoke = issued(&app, &zhang_token, &consent_to(&employer_name, None, None)).await;
    let revoked = app
        .delete(
            &format!("/v1/me/consents/{}", to_revoke.consent.consent_id),
            Some(&zhang_token),
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    let stranger = TestResident::fresh().resident_id;

    // The consent for one check answers once, then is used up.
    assert!(!answered(&app, &employer, &zhang.resident_id, &once.token).await);
    let mut attempts = vec![
        // A token nobody issued.
        (
            employer.clone(),
            zhang.resident_id.clone(),
            "made-up-token".to_owned(),
        ),
        // Li's token with Zhang's ID number.
        (
            employer.clone(),
            zhang.resident_id.clone(),
            of_li.token.clone(),
        ),
        // Zhang's token, presented by another employer.
        (
            other_employer.clone(),
            zhang.resident_id.clone(),
            for_two_days.token.clone(),
        ),
        // A revoked consent's token.
        (
            employer.clone(),
            zhang.resident_id.clone(),
            to_revoke.token.clone(),
        ),
        // A used-up consent's token.
        (
            employer.clone(),
            zhang.resident_id.clone(),
            once.token.clone(),
        ),
        // An ID number nobody is enrolled under.
        (
            employer.clone(),
            stranger.clone(),
            for_two_days.token.clone(),
        ),
    ];
    let mut refusals: Vec<ErrorBody> = Vec::new();
    for (by, resident_id, token) in &attempts {
        refusals.push(
            expect_error(
                check(&app, by, resident_id, token).await,
                StatusCode::FORBIDDEN,
            )
            .await,
        );
    }
    // Two days on, the consent for two days has expired.
    app.clock.advance(SignedDuration::from_hours(48));
    attempts.push((
        employer.clone(),
        zhang.resident_id.clone(),
        for_two_days.token.clone(),
    ));
    refusals.push(
        expect_error(
            check(&app, &employer, &zhang.resident_id, &for_two_days.token).await,
            StatusCode::FORBIDDEN,
        )
        .await,
    );
    assert_eq!(refusals.len(), attempts.len());
    assert_eq!(refusals[0].error.code, "no_valid_consent");
    assert_eq!(refusals[0].error.field, None);
    assert!(
        refusals.iter().all(|refusal| *refusal == refusals[0]),
        "one and the same error: {refusals:#?}"
    );
    let states: Vec<String> = consents(&app, &zhang_token)
        .await
        .into_iter()
        .map(|consent| consent.state)
        .collect();
    assert_eq!(states, ["expired", "used_up", "revoked"]);
    assert_eq!(consents(&app, &li_token).await[0].checks_made, 0);

    // Every refusal is audited as denied, under Zhang when it was about Zhang's ID number.
    let auditor = app.sign_in_as(Role::Auditor).await;
    let denied: Vec<(String, Option<Uuid>, u64)> = app
        .audit_records(&auditor, "action=check_close_contact")
        .await
        .into_iter()
        .filter(|record| record.outcome == "denied")
        .map(|record| (record.purpose, record.subject, record.records))
        .collect();
    let zhang_id = Some(zhang_enrolled.person_id);
    let employment = || "employment_check".to_owned();
    assert_eq!(
        denied,
        vec![
            (employment(), zhang_id, 0),
            (employment(), zhang_id, 0),
            (employment(), zhang_id, 0),
            (employment(), zhang_id, 0),
            (employment(), zhang_id, 0),
            (employment(), None, 0),
            (employment(), zhang_id, 0),
        ]
    );
}

#[tokio::test]
async fn the_resident_sees_in_the_audit_log_that_their_employer_checked() {
    let app = spawn_app().await;
    let (employer_name, employer) = app.staff_signed_in(Role::Employer).await;
    let resident = TestResident::fresh();
    let enrolled = app.enrolled(&resident).await;
    let consent = issued(
        &app,
        &enrolled.device_token,
        &consent_to(&employer_name, None, None),
    )
    .await;
    assert!(!answered(&app, &employer, &resident.resident_id, &consent.token).await);

    let auditor = app.sign_in_as(Role::Auditor).await;
    let trail = app
        .audit_records(&auditor, &format!("subject={}", enrolled.person_id))
        .await;
    let actions: Vec<(&str, &str, &str)> = trail
        .iter()
        .map(|record| {
            (
                record.action.as_str(),
                record.purpose.as_str(),
                record.outcome.as_str(),
            )
        })
        .collect();
    assert!(
        actions.contains(&("issue_consent", "self_service", "success")),
        "{actions:?}"
    );
    let checked = trail
        .iter()
        .find(|record| record.action == "check_close_contact")
        .expect("the check is in the resident's trail");
    assert_eq!(checked.purpose, "employment_check");
    assert_eq!(checked.outcome, "success");
    assert_eq!(checked.actor.role.as_deref(), Some("employer"));
    assert_eq!(checked.records, 1);
}
