//! Every access to personal data made through the API leaves an audit record.

use healthcode_core::Role;
use healthcode_server::api::{
    AuditChainView, AuditRecordView, BatchRequest, DeclarationRequest, OwnAccessLog,
};
use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{TestResident, check_in, expect_json, spawn_app};

/// What one audit record should say.
struct Expected {
    action: &'static str,
    purpose: &'static str,
    subject: Option<Uuid>,
    outcome: &'static str,
    role: Option<&'static str>,
}

fn matches(record: &AuditRecordView, expected: &Expected) -> bool {
    record.action == expected.action
        && record.purpose == expected.purpose
        && record.outcome == expected.outcome
        && (expected.subject.is_none() || record.subject == expected.subject)
        && record.actor.role.as_deref() == expected.role
}

#[tokio::test]
async fn every_personal_data_access_of_the_walk_is_in_the_audit_log_with_its_purpose() {
    let app = spawn_app().await;
    let zhang = TestResident::zhang();
    let enrolled = app.enrolled(&zhang).await;
    let person = enrolled.person_id;
    let resident = enrolled.device_token;
    assert_eq!(app.enrol(&zhang).await.status(), StatusCode::CONFLICT);

    let declaration = DeclarationRequest {
        event_id: Uuid::new_v4().to_string(),
        symptoms: vec!["fatigue".into()],
        temperature_celsius: Some(36.8),
        travel: vec![],
    };
    assert_eq!(
        app.post("/v1/me/declarations", Some(&resident), &declaration)
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.post("/v1/me/declarations", Some(&resident), &declaration)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/v1/me", Some(&resident)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/v1/me/declarations", Some(&resident))
            .await
            .status(),
        StatusCode::OK
    );

    let operator = app.sign_in_as(Role::VenueOperator).await;
    let venue = app.registered_venue(&operator).await;
    let visit = check_in(person, venue, 10, "person_scans_venue");
    assert_eq!(
        app.post("/v1/check-ins", Some(&resident), &visit)
            .await
            .status(),
        StatusCode::CREATED
    );
    let batch = BatchRequest {
        events: (0..3)
            .map(|m| check_in(person, venue, 60 + m, "venue_scans_person"))
            .collect(),
    };
    assert_eq!(
        app.post("/v1/check-ins/batch", Some(&operator), &batch)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/v1/me/check-ins", Some(&resident)).await.status(),
        StatusCode::OK
    );

    let official = app.sign_in_as(Role::HealthOfficial).await;
    let path = format!("/v1/residents/{person}?purpose=case_investigation");
    assert_eq!(
        app.get(&path, Some(&official)).await.status(),
        StatusCode::OK
    );
    // Refused: a venue operator may not read a resident's record.
    assert_eq!(
        app.get(&path, Some(&operator)).await.status(),
        StatusCode::FORBIDDEN
    );
    // Refused: a resident may not check someone else in.
    let other = app.enrolled(&TestResident::li()).await;
    let impostor = check_in(other.person_id, venue, 15, "person_scans_venue");
    assert_eq!(
        app.post("/v1/check-ins", Some(&resident), &impostor)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    let auditor = app.sign_in_as(Role::Auditor).await;
    let records = app.audit_records(&auditor, "").await;
    let resident_role = Some("resident");
    let expected = [
        Expected {
            action: "enrol_person",
            purpose: "enrolment",
            subject: Some(person),
            outcome: "success",
            role: None,
        },
        Expected {
            action: "enrol_person",
            purpose: "enrolment",
            subject: None,
            outcome: "conflict",
            role: None,
        },
        Expected {
            action: "record_declaration",
            purpose: "health_declaration",
            subject: Some(person),
            outcome: "success",
            role: resident_role,
        },
        Expected {
            action: "record_declaration",
            purpose: "health_declaration",
            subject: Some(person),
            outcome: "duplicate",
            role: resident_role,
        },
        Expected {
            action: "read_person",
            purpose: "self_service",
            subject: Some(person),
            outcome: "success",
            role: resident_role,
        },
        Expected {
            action: "read_declarations",
            purpose: "self_service",
            subject: Some(person),
            outcome: "success",
            role: resident_role,
        },
        Expected {
            action: "record_check_in",
            purpose: "visit_logging",
            subject: Some(person),
            outcome: "success",
            role: resident_role,
        },
        Expected {
            action: "ingest_check_ins",
            purpose: "bulk_import",
            subject: None,
            outcome: "success",
            role: Some("venue_operator"),
        },
        Expected {
            action: "read_check_ins",
            purpose: "self_service",
            subject: Some(person),
            outcome: "success",
            role: resident_role,
        },
        Expected {
            action: "read_person",
            purpose: "case_investigation",
            subject: Some(person),
            outcome: "success",
            role: Some("health_official"),
        },
        Expected {
            action: "read_person",
            purpose: "case_investigation",
            subject: Some(person),
            outcome: "denied",
            role: Some("venue_operator"),
        },
        Expected {
            action: "record_check_in",
            purpose: "visit_logging",
            subject: Some(other.person_id),
            outcome: "denied",
            role: resident_role,
        },
    ];
    let missing: Vec<String> = expected
        .iter()
        .filter(|e| !records.iter().any(|r| matches(r, e)))
        .map(|e| format!("{} {} {} {:?}", e.action, e.purpose, e.outcome, e.role))
        .collect();
    assert!(missing.is_empty(), "missing audit records: {missing:?}");

    let batch_record = records
        .iter()
        .find(|r| r.action == "ingest_check_ins")
        .unwrap();
    assert_eq!(
        batch_record.records, 3,
        "a batch's record counts its check-ins"
    );

    // The audit read itself is audited, and filters work.
    let reads = app.audit_records(&auditor, "action=read_audit_log").await;
    assert!(
        reads
            .iter()
            .all(|r| r.action == "read_audit_log" && r.purpose == "audit_review")
    );
    assert!(!reads.is_empty());
    let about_zhang = app
        .audit_records(
            &auditor,
            &format!("subject={person}&purpose=case_investigation"),
        )
        .await;
    assert_eq!(
        about_zhang.len(),
        2,
        "one read by the official, one refused read by the operator"
    );

    let chain: AuditChainView = expect_json(
        app.get("/v1/audit/verify", Some(&auditor)).await,
        StatusCode::OK,
    )
    .await;
    assert!(chain.intact);
    assert!(chain.records >= records.len() as u64);
}

#[tokio::test]
async fn a_resident_sees_an_officials_reads_of_their_data_with_the_purpose_and_nobody_elses() {
    let app = spawn_app().await;
    let zhang = app.enrolled(&TestResident::zhang()).await;
    let li = app.enrolled(&TestResident::li()).await;
    let official = app.sign_in_as(Role::HealthOfficial).await;
    let auditor = app.sign_in_as(Role::Auditor).await;
    let person = zhang.person_id;
    assert_eq!(
        app.get(&format!("/v1/people/{person}/status"), Some(&official))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(
            &format!("/v1/residents/{person}?purpose=case_investigation"),
            Some(&official)
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/v1/me/status", Some(&li.device_token))
            .await
            .status(),
        StatusCode::OK
    );

    let response = app
        .get("/v1/me/access-log", Some(&zhang.device_token))
        .await;
    let text = response.text().await.unwrap();
    assert!(
        !text.contains("staff_id") && !text.contains(&li.person_id.to_string()),
        "staff are named by role only, and no other person appears: {text}"
    );
    let log: OwnAccessLog = serde_json::from_str(&text).unwrap();
    let by_official = |action: &str, purpose: &str| {
        log.records.iter().any(|record| {
            record.by == "staff"
                && record.role.as_deref() == Some("health_official")
                && record.action == action
                && record.purpose == purpose
                && record.outcome == "success"
        })
    };
    assert!(by_official("read_facts", "rating"), "{:#?}", log.records);
    assert!(by_official("read_person", "case_investigation"));
    assert!(
        log.records
            .iter()
            .any(|record| record.by == "public" && record.action == "enrol_person"),
        "the enrolment is there too"
    );

    // Every record shown is about Zhang, as the auditor's log says; none of Li's is shown.
    let about_zhang: Vec<u64> = app
        .audit_records(&auditor, &format!("subject={person}"))
        .await
        .iter()
        .map(|record| record.sequence)
        .collect();
    let about_li: Vec<u64> = app
        .audit_records(&auditor, &format!("subject={}", li.person_id))
        .await
        .iter()
        .map(|record| record.sequence)
        .collect();
    assert!(!about_li.is_empty());
    for record in &log.records {
        assert!(about_zhang.contains(&record.sequence), "{record:?}");
        assert!(!about_li.contains(&record.sequence), "{record:?}");
    }

    // The read is itself audited, under the resident's own purpose.
    let reads = app
        .audit_records(&auditor, &format!("subject={person}&action=read_audit_log"))
        .await;
    assert!(reads.iter().any(|record| record.purpose == "self_service"
        && record.actor.role.as_deref() == Some("resident")));

    // Staff cannot read a resident's access log as if it were theirs.
    assert_eq!(
        app.get("/v1/me/access-log", Some(&official)).await.status(),
        StatusCode::FORBIDDEN
    );
}
