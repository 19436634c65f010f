//! Signed passes over HTTP: a resident fetches their pass, a checkpoint scans it (text or
//! photo), the visit is logged, a newer rating revokes it, time expires it, keys rotated while
//! the server runs take effect, and the trust list at its well-known address verifies it; a
//! venue's poster carries its signed code, by which residents check in.

use base64::Engine as _;
use healthcode_core::Role;
use healthcode_pass::keystore::{PassKeys, parse_public_key};
use healthcode_pass::trust_list::TrustList;
use healthcode_pass::{Algorithm, qr};
use healthcode_server::api::{
    CheckInList, PassView, ScanRequest, ScanResponse, VenueCheckInRequest, WriteResponse,
};
use healthcode_server::{Clock as _, PassConfig};
use jiff::SignedDuration;
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE};
use uuid::Uuid;

use crate::helpers::{TestApp, TestResident, expect_error, expect_json, spawn_app};

/// A resident with a pass, a checkpoint worker and the checkpoint's venue.
struct Gate {
    app: TestApp,
    resident: String,
    person: Uuid,
    worker: String,
    venue: Uuid,
}

async fn gate() -> Gate {
    let app = spawn_app().await;
    let enrolled = app.enrolled(&TestResident::zhang()).await;
    let operator = app.sign_in_as(Role::VenueOperator).await;
    let venue = app.registered_venue(&operator).await;
    let worker = app.sign_in_as(Role::CheckpointWorker).await;
    Gate {
        app,
        resident: enrolled.device_token,
        person: enrolled.person_id,
        worker,
        venue,
    }
}

impl Gate {
    async fn pass(&self) -> PassView {
        expect_json(
            self.app.get("/v1/me/pass", Some(&self.resident)).await,
            StatusCode::OK,
        )
        .await
    }

    async fn scan(&self, request: &ScanRequest) -> ScanResponse {
        expect_json(
            self.app
                .post("/v1/scans", Some(&self.worker), request)
                .await,
            StatusCode::OK,
        )
        .await
    }

    fn text(&self, text: &str) -> ScanRequest {
        ScanRequest {
            venue_id: self.venue.to_string(),
            text: Some(text.to_owned()),
            image: None,
            event_id: Some(Uuid::new_v4().to_string()),
            temperature: None,
        }
    }

    async fn visits(&self) -> CheckInList {
        expect_json(
            self.app.get("/v1/me/check-ins", Some(&self.resident)).await,
            StatusCode::OK,
        )
        .await
    }
}

#[tokio::test]
async fn a_scanned_pass_shows_the_colour_and_masked_name_and_logs_the_visit_once() {
    let gate = gate().await;
    let pass = gate.pass().await;
    assert!(pass.text.starts_with("HCODE1:"));
    assert_eq!(pass.colour, "green");
    assert_eq!(pass.issuer, PassConfig::default().issuer);
    assert_eq!(
        pass.expires.duration_since(pass.issued_at),
        SignedDuration::from_secs(PassConfig::default().lifetime_secs.into())
    );

    let request = gate.text(&pass.text);
    let scanned = gate.scan(&request).await;
    assert!(scanned.verdict.valid, "{scanned:?}");
    assert_eq!(scanned.verdict.colour.as_deref(), Some("green"));
    assert_eq!(scanned.verdict.holder.as_deref(), Some("张*明"));
    assert_eq!(scanned.verdict.birth_year, Some(1990));
    let logged = scanned.check_in.expect("the visit is logged");
    assert!(!logged.duplicate);
    assert_eq!(scanned.not_logged, None);

    let visits = gate.visits().await.check_ins;
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].venue_id, gate.venue);
    assert_eq!(visits[0].person_id, gate.person);
    assert_eq!(visits[0].source, "checkpoint");
    assert_eq!(visits[0].entered, gate.app.clock.now());

    let resent = gate.scan(&request).await;
    assert!(resent.check_in.expect("answered").duplicate);
    assert_eq!(
        gate.visits().await.check_ins.len(),
        1,
        "a resend logs nothing"
    );
}

#[tokio::test]
async fn a_pass_is_refused_as_revoked_once_a_newer_rating_changes_the_colour() {
    let gate = gate().await;
    let green = gate.pass().await;
    gate.app
        .declare(&gate.resident, Some(38.6), &[], vec![])
        .await;
    let yellow = gate.pass().await;
    assert_eq!(yellow.colour, "yellow");
    assert!(yellow.rating_version > green.rating_version);

    let stale = gate.scan(&gate.text(&green.text)).await;
    assert!(!stale.verdict.valid);
    assert_eq!(stale.verdict.reason.as_deref(), Some("revoked"));
    assert_eq!(stale.check_in, None);
    assert_eq!(stale.not_logged.as_deref(), Some("the pass is revoked"));

    let fresh = gate.scan(&gate.text(&yellow.text)).await;
    assert!(fresh.verdict.valid);
    assert_eq!(fresh.verdict.colour.as_deref(), Some("yellow"));
    assert_eq!(gate.visits().await.check_ins.len(), 1);
}

#[tokio::test]
async fn a_fever_taken_at_a_checkpoint_is_kept_as_a_health_report_that_turns_the_holder_yellow() {
    let gate = gate().await;
    let pass = gate.pass().await;
    let normal_request = ScanRequest {
        temperature: Some(36.6),
        ..gate.text(&pass.text)
    };
    let normal = gate.scan(&normal_request).await;
    assert!(normal.verdict.valid);
    let kept = normal.temperature_report.expect("the temperature is kept");
    assert!(!kept.duplicate);
    assert_eq!(kept.event_id, normal.check_in.expect("logged").event_id);
    assert_eq!(normal.colour_now.as_deref(), Some("green"));
    let resent = gate.scan(&normal_request).await;
    assert!(resent.temperature_report.expect("answered").duplicate);

    let feverish = ScanRequest {
        temperature: Some(38.2),
        ..gate.text(&pass.text)
    };
    let fever = gate.scan(&feverish).await;
    assert!(
        fever.verdict.valid,
        "the pass still shows the colour it was issued with"
    );
    assert_eq!(fever.colour_now.as_deref(), Some("yellow"));
    let status = gate.app.status(&gate.resident).await;
    assert_eq!(status.colour, "yellow");
    let evidence = &status.reasons[0].evidence[0];
    assert_eq!(evidence.kind, "health_report");
    assert_eq!(evidence.reporter.as_deref(), Some("checkpoint"));
    assert_eq!(
        evidence.event_id,
        fever.temperature_report.as_ref().map(|kept| kept.event_id)
    );

    // The fever made a newer rating: the pass the holder carries is refused from now on.
    let stale = gate.scan(&gate.text(&pass.text)).await;
    assert_eq!(stale.verdict.reason.as_deref(), Some("revoked"));
    assert_eq!(stale.temperature_report, None);
}

#[tokio::test]
async fn a_temperature_is_kept_only_with_a_logged_visit_and_only_in_range() {
    let gate = gate().await;
    let not_a_pass = gate
        .scan(&ScanRequest {
            temperature: Some(39.0),
            ..gate.text("HCODE1:not a pass")
        })
        .await;
    assert_eq!(not_a_pass.check_in, None);
    assert_eq!(not_a_pass.temperature_report, None);
    assert_eq!(not_a_pass.colour_now, None);
    assert_eq!(gate.app.status(&gate.resident).await.colour, "green");

    let pass = gate.pass().await;
    let error = expect_error(
        gate.app
            .post(
                "/v1/scans",
                Some(&gate.worker),
                &ScanRequest {
                    temperature: Some(3.7),
                    ..gate.text(&pass.text)
                },
            )
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("temperature"));
    assert!(gate.visits().await.check_ins.is_empty());
}

#[tokio::test]
async fn a_pass_expires_after_its_lifetime_and_logs_no_visit() {
    let gate = gate().await;
    let pass = gate.pass().await;
    let lifetime = i64::from(PassConfig::default().lifetime_secs);
    gate.app.clock.advance(SignedDuration::from_secs(lifetime));
    assert!(gate.scan(&gate.text(&pass.text)).await.verdict.valid);
    gate.app.clock.advance(SignedDuration::from_secs(1));
    let late = gate.scan(&gate.text(&pass.text)).await;
    assert_eq!(late.verdict.reason.as_deref(), Some("expired"));
    assert_eq!(late.not_logged.as_deref(), Some("the pass is not valid"));
    assert_eq!(gate.visits().await.check_ins.len(), 1);
}

#[tokio::test]
async fn a_photo_of_the_pass_as_png_or_svg_scans_like_its_text() {
    let gate = gate().await;
    let response = gate
        .app
        .get("/v1/me/pass?format=png", Some(&gate.resident))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "image/png");
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    let png = response.bytes().await.unwrap();
    let mut request = gate.text("");
    request.text = None;
    request.image = Some(base64::engine::general_purpose::STANDARD.encode(&png));
    let scanned = gate.scan(&request).await;
    assert!(scanned.verdict.valid, "{scanned:?}");
    assert!(scanned.check_in.is_some());

    let svg = gate
        .app
        .get("/v1/me/pass?format=svg", Some(&gate.resident))
        .await;
    assert_eq!(svg.headers()[CONTENT_TYPE], "image/svg+xml");
    assert!(svg.text().await.unwrap().starts_with("<?xml"));

    let photo_of_nothing = qr::png("not a pass at all").unwrap();
    request.image = Some(base64::engine::general_purpose::STANDARD.encode(photo_of_nothing));
    let scanned = gate.scan(&request).await;
    assert_eq!(scanned.verdict.reason.as_deref(), Some("prefix"));
}

#[tokio::test]
async fn a_scan_needs_a_registered_venue_and_exactly_one_of_text_and_photo() {
    let gate = gate().await;
    let pass = gate.pass().await;
    let mut request = gate.text(&pass.text);
    request.venue_id = Uuid::new_v4().to_string();
    let error = expect_error(
        gate.app
            .post("/v1/scans", Some(&gate.worker), &request)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("venue_id"));

    let mut both = gate.text(&pass.text);
    both.image = Some("iVBORw0KGgo=".into());
    let neither = ScanRequest {
        text: None,
        ..gate.text("")
    };
    let mut not_base64 = neither.clone();
    not_base64.image = Some("not base64!".into());
    for (request, field) in [(both, "text"), (neither, "text"), (not_base64, "image")] {
        let error = expect_error(
            gate.app
                .post("/v1/scans", Some(&gate.worker), &request)
                .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(error.error.field.as_deref(), Some(field));
    }
    assert!(gate.visits().await.check_ins.is_empty());
}

#[tokio::test]
async fn keys_rotated_while_the_server_runs_sign_the_next_pass_and_the_old_pass_still_scans() {
    let gate = gate().await;
    let before = gate.pass().await;
    let first_kid = gate.scan(&gate.text(&before.text)).await.verdict.kid;

    let (data, now) = (gate.app.data_path(), gate.app.clock.now());
    tokio::task::spawn_blocking(move || {
        let mut keys = PassKeys::open_or_create(&data, Algorithm::Es256, now).unwrap();
        keys.rotate(Algorithm::EdDsa, now, SignedDuration::from_hours(24))
            .unwrap();
    })
    .await
    .unwrap();

    let after = gate.pass().await;
    let scanned = gate.scan(&gate.text(&after.text)).await;
    assert!(scanned.verdict.valid);
    assert_ne!(scanned.verdict.kid, first_kid, "signed with the new key");
    let old = gate.scan(&gate.text(&before.text)).await;
    assert!(
        old.verdict.valid,
        "the retired key is trusted for its overlap"
    );
    assert_eq!(old.verdict.kid, first_kid);
}

#[tokio::test]
async fn the_trust_list_at_its_well_known_address_holds_the_key_that_signed_a_pass() {
    let gate = gate().await;
    let pass = gate.pass().await;
    let anchor = gate
        .app
        .get("/.well-known/healthcode/anchor", None)
        .await
        .text()
        .await
        .unwrap();
    let anchor = parse_public_key(&anchor).expect("the anchor is a public key");
    let response = gate
        .app
        .get("/.well-known/healthcode/trust-list", None)
        .await;
    assert_eq!(response.headers()[CONTENT_TYPE], "application/cose");
    let list = TrustList::open(&response.bytes().await.unwrap(), &anchor)
        .expect("the list is signed by the anchor");
    assert_eq!(list.issuer, pass.issuer);
    let kid = gate.scan(&gate.text(&pass.text)).await.verdict.kid.unwrap();
    assert!(
        list.trusted_keys().any(|key| key.kid_hex() == kid),
        "the list holds key {kid}"
    );
}

#[tokio::test]
async fn a_venue_poster_is_an_a4_page_with_the_venue_name_and_its_signed_code() {
    let gate = gate().await;
    let response = gate
        .app
        .get(&format!("/v1/venues/{}/poster", gate.venue), None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "image/svg+xml");
    let poster = response.text().await.unwrap();
    assert!(poster.contains(r#"width="210mm" height="297mm""#));
    assert!(poster.contains("Wulin Square Noodles"));
    assert!(poster.contains(&gate.venue.to_string()));
    assert!(poster.contains("扫码登记"));

    let unknown = gate
        .app
        .get(&format!("/v1/venues/{}/poster", Uuid::new_v4()), None)
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_resident_checks_in_by_the_poster_code_and_a_forged_code_is_refused() {
    let gate = gate().await;
    let check_in = |code: String| VenueCheckInRequest {
        event_id: Uuid::new_v4().to_string(),
        code,
    };
    let request = check_in(gate.app.venue_code(gate.venue));
    let stored: WriteResponse =
        expect_json(check_in_with(&gate, &request).await, StatusCode::CREATED).await;
    assert!(!stored.duplicate);
    let resent: WriteResponse =
        expect_json(check_in_with(&gate, &request).await, StatusCode::OK).await;
    assert!(resent.duplicate);
    let visits = gate.visits().await.check_ins;
    assert_eq!(visits.len(), 1);
    assert_eq!(
        (visits[0].venue_id, visits[0].source.as_str()),
        (gate.venue, "person_scans_venue")
    );
    assert_eq!(visits[0].entered, gate.app.clock.now());

    // A poster printed with another anchor (here, another data directory's) is a forgery.
    let elsewhere = tempfile::tempdir().unwrap();
    let forger =
        PassKeys::open_or_create(elsewhere.path(), Algorithm::Es256, gate.app.clock.now()).unwrap();
    let forged = forger.venue_code(
        &PassConfig::default().issuer,
        *gate.venue.as_bytes(),
        "Wulin Square Noodles",
        "330106",
        gate.app.clock.now(),
    );
    let error = expect_error(
        check_in_with(&gate, &check_in(forged)).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("code"));
    assert!(
        error.error.message.contains("unknown_key"),
        "{}",
        error.error.message
    );

    let pass = gate.pass().await;
    let error = expect_error(
        check_in_with(&gate, &check_in(pass.text)).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        error.error.message.contains("not_a_venue_code"),
        "{}",
        error.error.message
    );

    let unregistered = check_in(gate.app.venue_code(Uuid::new_v4()));
    let error = expect_error(
        check_in_with(&gate, &unregistered).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("venue_id"));
    assert_eq!(gate.visits().await.check_ins.len(), 1);
}

async fn check_in_with(gate: &Gate, request: &VenueCheckInRequest) -> reqwest::Response {
    gate.app
        .post("/v1/me/check-ins", Some(&gate.resident), request)
        .await
}

#[tokio::test]
async fn a_venue_s_door_staff_scanning_a_pass_log_the_visit_as_scanned_by_the_venue() {
    let gate = gate().await;
    let door = gate.app.sign_in_as(Role::VenueOperator).await;
    let pass = gate.pass().await;
    let scanned: ScanResponse = expect_json(
        gate.app
            .post("/v1/scans", Some(&door), &gate.text(&pass.text))
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(scanned.check_in.is_some(), "{scanned:?}");
    let visits = gate.visits().await.check_ins;
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].source, "venue_scans_person");
}
