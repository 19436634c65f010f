//! Every endpoint × every role (and no token at all), driven by the endpoint table.

use std::collections::BTreeMap;

use healthcode_core::Role;
use healthcode_server::api::{
    BatchRequest, CreateStaffRequest, DeclarationRequest, SessionRequest,
};
use healthcode_server::{Allowed, Endpoint};
use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{STAFF_PASSWORD, TestApp, TestResident, check_in, sample_venue, spawn_app};

/// What the matrix needs to make a valid request to every endpoint.
struct Fixtures {
    person: Uuid,
    venue: Uuid,
    admin_username: String,
}

/// A request to `endpoint` that succeeds when the caller is allowed. Exhaustive, so a new
/// endpoint cannot be added without a sample.
async fn call(
    app: &TestApp,
    endpoint: Endpoint,
    token: Option<&str>,
    fixtures: &Fixtures,
) -> reqwest::Response {
    let person = fixtures.person;
    let check_in = check_in(person, fixtures.venue, 30, "person_scans_venue");
    match endpoint {
        Endpoint::Health
        | Endpoint::Ready
        | Endpoint::Metrics
        | Endpoint::OpenApi
        | Endpoint::ReadOwnProfile
        | Endpoint::ListOwnDeclarations
        | Endpoint::ListOwnCheckIns
        | Endpoint::VerifyAuditChain => app.get(endpoint.path(), token).await,
        Endpoint::ReadVenue => {
            app.get(&format!("/v1/venues/{}", fixtures.venue), token)
                .await
        }
        Endpoint::ReadResident => {
            app.get(
                &format!("/v1/residents/{person}?purpose=case_investigation"),
                token,
            )
            .await
        }
        Endpoint::ReadAuditLog => app.get("/v1/audit?limit=5", token).await,
        Endpoint::CreateSession => {
            let request = SessionRequest {
                username: fixtures.admin_username.clone(),
                password: STAFF_PASSWORD.into(),
            };
            app.post(endpoint.path(), token, &request).await
        }
        Endpoint::EnrolResident => {
            app.post(endpoint.path(), token, &TestResident::fresh().enrolment())
                .await
        }
        Endpoint::RecordDeclaration => {
            let request = DeclarationRequest {
                event_id: Uuid::new_v4().to_string(),
                symptoms: vec![],
                temperature_celsius: Some(36.6),
                travel: vec![],
            };
            app.post(endpoint.path(), token, &request).await
        }
        Endpoint::RegisterVenue => app.post(endpoint.path(), token, &sample_venue()).await,
        Endpoint::RecordCheckIn => app.post(endpoint.path(), token, &check_in).await,
        Endpoint::IngestCheckIns => {
            app.post(
                endpoint.path(),
                token,
                &BatchRequest {
                    events: vec![check_in],
                },
            )
            .await
        }
        Endpoint::CreateStaffAccount => {
            let request = CreateStaffRequest {
                username: format!("employer.{}", &Uuid::new_v4().simple().to_string()[..8]),
                password: STAFF_PASSWORD.into(),
                role: "employer".into(),
            };
            app.post(endpoint.path(), token, &request).await
        }
    }
}

#[tokio::test]
async fn only_the_roles_the_endpoint_table_allows_get_through_and_refusals_of_personal_data_are_audited()
 {
    let app = spawn_app().await;
    let enrolled = app.enrolled(&TestResident::zhang()).await;
    let mut tokens: Vec<(Option<Role>, Option<String>)> = vec![
        (None, None),
        (Some(Role::Resident), Some(enrolled.device_token.clone())),
    ];
    for role in Role::STAFF {
        tokens.push((Some(role), Some(app.sign_in_as(role).await)));
    }
    let token_of = |wanted: Role| {
        tokens
            .iter()
            .find(|(role, _)| *role == Some(wanted))
            .unwrap()
            .1
            .clone()
            .unwrap()
    };
    let operator = token_of(Role::VenueOperator);
    let fixtures = Fixtures {
        person: enrolled.person_id,
        venue: app.registered_venue(&operator).await,
        admin_username: "admin-user".into(),
    };
    let admin_username = fixtures.admin_username.clone();
    let (store, clock) = (app.store.clone(), app.clock.clone());
    tokio::task::spawn_blocking(move || {
        healthcode_server::accounts::create_staff_account(
            &*store,
            &*clock,
            &admin_username,
            STAFF_PASSWORD,
            Role::Admin,
        )
    })
    .await
    .unwrap()
    .unwrap();

    let mut wrong = Vec::new();
    // (action, purpose, role) → refusals expected in the audit log.
    let mut expected_denials: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for endpoint in Endpoint::ALL {
        for (role, token) in &tokens {
            let status = call(&app, endpoint, token.as_deref(), &fixtures)
                .await
                .status();
            let allowed = endpoint.allowed().permits(*role);
            let expected_refusal = match (allowed, role) {
                (true, _) => None,
                (false, None) => Some(StatusCode::UNAUTHORIZED),
                (false, Some(_)) => Some(StatusCode::FORBIDDEN),
            };
            let acceptable = match expected_refusal {
                None => status.is_success(),
                Some(refusal) => status == refusal,
            };
            if !acceptable {
                wrong.push(format!(
                    "{endpoint:?} as {role:?}: {status}, expected {}",
                    expected_refusal.map_or("2xx".into(), |s| s.to_string())
                ));
            }
            if let (Some(StatusCode::FORBIDDEN), Some(data), Some(role)) =
                (expected_refusal, endpoint.personal_data(), role)
            {
                *expected_denials
                    .entry((
                        data.action.code().into(),
                        data.purpose.code().into(),
                        role.code().into(),
                    ))
                    .or_default() += 1;
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(matches!(
        Endpoint::ReadResident.allowed(),
        Allowed::Roles(_)
    ));

    let auditor = token_of(Role::Auditor);
    let mut found_denials: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for record in app
        .audit_records(&auditor, "")
        .await
        .iter()
        .filter(|r| r.outcome == "denied")
    {
        let role = record
            .actor
            .role
            .clone()
            .expect("a refused caller was signed in");
        *found_denials
            .entry((record.action.clone(), record.purpose.clone(), role))
            .or_default() += 1;
        if record.action == "read_person" && record.purpose == "case_investigation" {
            assert_eq!(
                record.subject,
                Some(enrolled.person_id),
                "a refused read names its subject"
            );
        }
    }
    assert_eq!(found_denials, expected_denials);
}
