//! Every endpoint × every role (and no token at all), driven by the endpoint table.

use std::collections::BTreeMap;

use healthcode_core::rating::{CaseId, CaseRecord, CaseStatus};
use healthcode_core::{Access, Actor, PersonId, Purpose, Role, Timestamp};
use healthcode_server::api::{
    AppealRequest, BatchRequest, BoardingBatch, BoardingRow, CaseRequest, CaseResponse,
    CellPingRow, CellRow, CloseContactCheckRequest, ConsentRequest, CreateStaffRequest,
    DecisionRequest, DeclarationRequest, DiffRequest, DismissalRequest, FiledAppeal,
    FollowUpCheckRequest, HealthReportBatch, HealthReportRow, HouseholdRow, IssuedConsent,
    OverrideRequest, PharmacyPurchaseBatch, PharmacyPurchaseRow, ProximitySearchRequest,
    ProximitySearchView, PublishedRegionRiskList, RegionRiskEntry, RegionRiskRequest,
    ReviewRequest, ScanRequest, SessionRequest, VenueCheckInRequest,
};
use healthcode_server::policies::DEFAULT_POLICY_SOURCE;
use healthcode_server::{Allowed, Clock, Endpoint};
use healthcode_store::Store as _;
use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{
    STAFF_PASSWORD, TestApp, TestResident, check_in, expect_json, lab_result, sample_venue,
    spawn_app,
};

/// What the matrix needs to make a valid request to every endpoint.
struct Fixtures {
    person: Uuid,
    resident_id: String,
    venue: Uuid,
    /// The code on the venue's poster.
    venue_code: String,
    admin_username: String,
    /// An appeal waiting for a decision.
    appeal: Uuid,
    /// A published version of the region-risk list.
    list_version: u32,
    /// A confirmed case, traced, and a contact it found.
    case: Uuid,
    contact: Uuid,
    now: Timestamp,
    /// An open case of another resident, and a proximity search for it that found the
    /// resident.
    open_case: Uuid,
    search: Uuid,
    /// The username of the signed-in employer.
    employer_username: String,
    /// A consent of the resident to that employer, to revoke.
    consent_to_revoke: Uuid,
    /// The token of another consent of theirs, for the employer's one allowed check.
    consent_token: String,
}

/// The cell the matrix pings: Wulin Square, Hangzhou.
fn matrix_cell() -> CellRow {
    CellRow {
        cell_id: "460-00-4101-1".into(),
        latitude: 30.2741.into(),
        longitude: 120.1551.into(),
        city: "330106".into(),
    }
}

/// A search for `case` around the matrix cell, over the hours before `now`.
fn matrix_search(case: Uuid, now: Timestamp) -> ProximitySearchRequest {
    ProximitySearchRequest {
        search_id: Uuid::new_v4().to_string(),
        case_id: case.to_string(),
        latitude: 30.2741,
        longitude: 120.1551,
        radius_metres: 200,
        from: (now - jiff::SignedDuration::from_hours(6)).to_string(),
        until: now.to_string(),
        purpose: "The case shopped at Wulin Square this morning.".into(),
    }
}

/// The default policy under another version: a valid upload.
fn policy_version(version: u32) -> String {
    DEFAULT_POLICY_SOURCE.replacen("version = 1", &format!("version = {version}"), 1)
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
        | Endpoint::VerifyAuditChain
        | Endpoint::IssueOwnPass
        | Endpoint::ReadOwnAccessLog
        | Endpoint::ReadTrustList
        | Endpoint::ReadTrustAnchor => app.get(endpoint.path(), token).await,
        Endpoint::ScanPass => {
            let request = ScanRequest {
                venue_id: fixtures.venue.to_string(),
                text: Some("HCODE1:not a pass".into()),
                image: None,
                event_id: None,
                temperature: None,
            };
            app.post(endpoint.path(), token, &request).await
        }
        Endpoint::ReadVenue => {
            app.get(&format!("/v1/venues/{}", fixtures.venue), token)
                .await
        }
        Endpoint::ReadVenuePoster => {
            app.get(&format!("/v1/venues/{}/poster", fixtures.venue), token)
                .await
        }
        Endpoint::ReadVenueCheckInCounts => {
            let path = format!("/v1/venues/{}/check-in-counts", fixtures.venue);
            app.get(&path, token).await
        }
        Endpoint::CheckInAtVenue => {
            let request = VenueCheckInRequest {
                event_id: Uuid::new_v4().to_string(),
                code: fixtures.venue_code.clone(),
            };
            app.post(endpoint.path(), token, &request).await
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
        Endpoint::ReadOwnStatus
        | Endpoint::ListOwnRatings
        | Endpoint::ListOwnAppeals
        | Endpoint::ReadAppealQueue
        | Endpoint::ReadRegionRiskList
        | Endpoint::ListPolicies
        | Endpoint::ReadDashboard => app.get(endpoint.path(), token).await,
        Endpoint::FileAppeal => {
            let request = AppealRequest {
                appeal_id: Uuid::new_v4().to_string(),
                statement: "I have no symptoms.".into(),
            };
            app.post(endpoint.path(), token, &request).await
        }
        Endpoint::ReadPersonStatus => app.get(&format!("/v1/people/{person}/status"), token).await,
        Endpoint::SetOverride => {
            let request = OverrideRequest {
                override_id: Uuid::new_v4().to_string(),
                colour: "green".into(),
                reason: "Tested negative at the clinic.".into(),
                expires_at: (fixtures.now + jiff::SignedDuration::from_hours(48)).to_string(),
            };
            app.post(&format!("/v1/people/{person}/overrides"), token, &request)
                .await
        }
        Endpoint::DecideAppeal => {
            let request = DecisionRequest {
                outcome: "uphold".into(),
                reason: "The declared temperature was a fever.".into(),
                colour: None,
                expires_at: None,
            };
            let path = format!("/v1/appeals/{}/decision", fixtures.appeal);
            app.post(&path, token, &request).await
        }
        Endpoint::ReadRegionRiskListVersion => {
            app.get(&format!("/v1/region-risk/{}", fixtures.list_version), token)
                .await
        }
        Endpoint::PublishRegionRiskList => {
            app.put(endpoint.path(), token, &region_list("420100"))
                .await
        }
        Endpoint::UploadPolicy => {
            let mut request = app.client.post(app.url(endpoint.path()));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            request
                .header("content-type", "text/plain")
                .body(policy_version(3))
                .send()
                .await
                .unwrap()
        }
        Endpoint::ReadPolicy => app.get("/v1/policies/default@1", token).await,
        Endpoint::DiffPolicies => {
            let request = DiffRequest {
                a: "default@1".into(),
                b: "default@2".into(),
            };
            app.post(endpoint.path(), token, &request).await
        }
        Endpoint::ActivatePolicy => {
            app.post("/v1/policies/default@1/activate", token, &())
                .await
        }
        Endpoint::RollbackPolicy => app.post(endpoint.path(), token, &()).await,
        Endpoint::IngestLabResults => {
            let result = lab_result(
                &fixtures.resident_id,
                "negative",
                fixtures.now,
                fixtures.now,
            );
            app.post(endpoint.path(), token, &result).await
        }
        Endpoint::IngestPharmacyPurchases => {
            let request = PharmacyPurchaseBatch {
                purchases: vec![PharmacyPurchaseRow {
                    event_id: Uuid::new_v4().to_string(),
                    resident_id: fixtures.resident_id.clone(),
                    medicine: "cough_medicine".into(),
                    purchased_at: fixtures.now.to_string(),
                }],
            };
            app.post(endpoint.path(), token, &request).await
        }
        Endpoint::RegisterCase => {
            app.post(endpoint.path(), token, &confirmed_case(fixtures))
                .await
        }
        Endpoint::ReleaseCase => {
            app.post(&format!("/v1/cases/{}/release", fixtures.case), token, &())
                .await
        }
        Endpoint::TraceCase => {
            app.post(&format!("/v1/cases/{}/trace", fixtures.case), token, &())
                .await
        }
        Endpoint::ListCaseContacts => {
            app.get(&format!("/v1/cases/{}/contacts", fixtures.case), token)
                .await
        }
        Endpoint::DismissContact => {
            let request = DismissalRequest {
                reason: "Lives elsewhere since January.".into(),
            };
            let path = format!("/v1/contacts/{}/dismissal", fixtures.contact);
            app.post(&path, token, &request).await
        }
        Endpoint::IngestBoardings => {
            let request = BoardingBatch {
                boardings: vec![BoardingRow {
                    event_id: Uuid::new_v4().to_string(),
                    trip_id: Uuid::new_v4().to_string(),
                    mode: "train".into(),
                    trip_code: "G7".into(),
                    departs_at: fixtures.now.to_string(),
                    resident_id: fixtures.resident_id.clone(),
                    seat: Some("5F".into()),
                    boarded_at: fixtures.now.to_string(),
                    alighted_at: None,
                }],
            };
            app.post(endpoint.path(), token, &request).await
        }
        Endpoint::IssueConsent => {
            app.post(
                endpoint.path(),
                token,
                &consent_to(&fixtures.employer_username),
            )
            .await
        }
        Endpoint::ListOwnConsents | Endpoint::ListMissedFollowUpChecks => {
            app.get(endpoint.path(), token).await
        }
        Endpoint::RevokeConsent => {
            app.delete(
                &format!("/v1/me/consents/{}", fixtures.consent_to_revoke),
                token,
            )
            .await
        }
        Endpoint::CheckCloseContact => {
            let request = CloseContactCheckRequest {
                resident_id: fixtures.resident_id.clone(),
                token: fixtures.consent_token.clone(),
            };
            app.post(endpoint.path(), token, &request).await
        }
        Endpoint::RecordFollowUpCheck => {
            let request = FollowUpCheckRequest {
                event_id: Uuid::new_v4().to_string(),
                person_id: Some(person.to_string()),
                resident_id: None,
                day: "2026-02-10".into(),
                temperature: 36.5,
                symptoms: vec![],
            };
            app.post(endpoint.path(), token, &request).await
        }
        Endpoint::RegisterHouseholds => {
            let request = HouseholdRow {
                resident_id: fixtures.resident_id.clone(),
                household: "330106-0001".into(),
            };
            app.post(endpoint.path(), token, &request).await
        }
        Endpoint::RegisterCells => app.post(endpoint.path(), token, &matrix_cell()).await,
        Endpoint::IngestCellPings => {
            let ping = CellPingRow {
                event_id: Uuid::new_v4().to_string(),
                resident_id: fixtures.resident_id.clone(),
                cell_id: matrix_cell().cell_id,
                seen_at: fixtures.now.to_string(),
            };
            app.post(endpoint.path(), token, &ping).await
        }
        Endpoint::ReadOwnItinerary => app.get(endpoint.path(), token).await,
        Endpoint::CreateProximitySearch => {
            app.post(
                endpoint.path(),
                token,
                &matrix_search(fixtures.open_case, fixtures.now),
            )
            .await
        }
        Endpoint::ReadProximitySearch => {
            app.get(
                &format!("/v1/proximity-searches/{}", fixtures.search),
                token,
            )
            .await
        }
        Endpoint::ReviewProximityCandidate => {
            let request = ReviewRequest {
                decision: "reject".into(),
                reason: "Passing by in a bus.".into(),
            };
            let path = format!(
                "/v1/proximity-searches/{}/candidates/{person}/review",
                fixtures.search
            );
            app.post(&path, token, &request).await
        }
        Endpoint::IngestHealthReports => {
            let request = HealthReportBatch {
                reports: vec![HealthReportRow {
                    event_id: Uuid::new_v4().to_string(),
                    resident_id: fixtures.resident_id.clone(),
                    day: "2026-02-10".into(),
                    temperature: Some(36.5),
                    symptoms: vec![],
                }],
            };
            app.post(endpoint.path(), token, &request).await
        }
    }
}

fn confirmed_case(fixtures: &Fixtures) -> CaseRequest {
    CaseRequest {
        case_id: Uuid::new_v4().to_string(),
        resident_id: fixtures.resident_id.clone(),
        status: "confirmed".into(),
        onset: (fixtures.now - jiff::SignedDuration::from_hours(24)).to_string(),
        isolated_at: None,
    }
}

/// A consent of the signed-in resident to `employer`, on the default terms.
fn consent_to(employer: &str) -> ConsentRequest {
    ConsentRequest {
        consent_id: Uuid::new_v4().to_string(),
        employer: employer.to_owned(),
        valid_days: None,
        checks: None,
    }
}

fn region_list(region: &str) -> RegionRiskRequest {
    RegionRiskRequest {
        entries: vec![RegionRiskEntry {
            region: region.into(),
            level: "medium".into(),
        }],
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
    let mut employer_username = String::new();
    for role in Role::STAFF {
        let (username, token) = app.staff_signed_in(role).await;
        if role == Role::Employer {
            employer_username = username;
        }
        tokens.push((Some(role), Some(token)));
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
    let official = token_of(Role::HealthOfficial);
    // A rating to appeal against, and an appeal waiting for a decision.
    app.status(&enrolled.device_token).await;
    let appeal = Uuid::new_v4();
    let filed: FiledAppeal = expect_json(
        app.post(
            "/v1/me/appeals",
            Some(&enrolled.device_token),
            &AppealRequest {
                appeal_id: appeal.to_string(),
                statement: "I was not there.".into(),
            },
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(filed.appeal_id, appeal);
    let published: PublishedRegionRiskList = expect_json(
        app.put("/v1/region-risk", Some(&official), &region_list("310000"))
            .await,
        StatusCode::CREATED,
    )
    .await;
    // A second policy, once active, so that there is something to roll back to.
    let uploaded = app
        .post_text("/v1/policies", &official, "text/plain", policy_version(2))
        .await;
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let activated = app
        .post("/v1/policies/default@2/activate", Some(&official), &())
        .await;
    assert_eq!(activated.status(), StatusCode::CREATED);
    // A cell, the resident's phone seen there, an open case of another resident and a search
    // that found the resident.
    let network = token_of(Role::PhoneNetwork);
    let registered = app.post("/v1/cells", Some(&network), &matrix_cell()).await;
    assert_eq!(registered.status(), StatusCode::OK);
    let pinged = app
        .post(
            "/v1/cell-pings",
            Some(&network),
            &CellPingRow {
                event_id: Uuid::new_v4().to_string(),
                resident_id: TestResident::zhang().resident_id,
                cell_id: matrix_cell().cell_id,
                seen_at: (app.clock.now() - jiff::SignedDuration::from_hours(1)).to_string(),
            },
        )
        .await;
    assert_eq!(pinged.status(), StatusCode::OK);
    let patient = app.enrolled(&TestResident::fresh()).await.person_id;
    let open_case = CaseRecord {
        case: CaseId::from_uuid(Uuid::new_v4()),
        status: CaseStatus::Confirmed,
        since: app.clock.now(),
        onset: app.clock.now() - jiff::SignedDuration::from_hours(48),
        isolated_at: app.clock.now(),
        released_at: None,
    };
    let (store, now) = (app.store.clone(), app.clock.now());
    tokio::task::spawn_blocking(move || {
        let access = Access::new(Actor::LocalOperator, Purpose::CaseInvestigation, now);
        store.record_case(&access, PersonId::from_uuid(patient), &open_case)
    })
    .await
    .unwrap()
    .unwrap();
    let search_request = matrix_search(open_case.case.as_uuid(), app.clock.now());
    let searched: ProximitySearchView = expect_json(
        app.post("/v1/proximity-searches", Some(&official), &search_request)
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(searched.candidates.len(), 1);
    // A household of two, and a confirmed case in it: its tracing finds the other member.
    let li = app.enrolled(&TestResident::li()).await;
    app.same_household(&[enrolled.person_id, li.person_id])
        .await;
    // Two consents of the resident to the employer: one to revoke, one to check with.
    let mut consents = Vec::new();
    for _ in 0..2 {
        let issued: IssuedConsent = expect_json(
            app.post(
                "/v1/me/consents",
                Some(&enrolled.device_token),
                &consent_to(&employer_username),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        consents.push(issued);
    }
    let venue = app.registered_venue(&operator).await;
    let mut fixtures = Fixtures {
        open_case: open_case.case.as_uuid(),
        search: searched.search_id,
        person: enrolled.person_id,
        resident_id: TestResident::zhang().resident_id,
        venue,
        venue_code: app.venue_code(venue),
        admin_username: "admin-user".into(),
        appeal,
        list_version: published.list.version,
        case: Uuid::nil(),
        contact: Uuid::nil(),
        now: app.clock.now(),
        employer_username,
        consent_to_revoke: consents[0].consent.consent_id,
        consent_token: consents[1].token.clone(),
    };
    let registered: CaseResponse = expect_json(
        app.post("/v1/cases", Some(&official), &confirmed_case(&fixtures))
            .await,
        StatusCode::CREATED,
    )
    .await;
    fixtures.case = registered.case_id;
    fixtures.contact = registered.trace.unwrap().contacts[0].contact_id;
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
