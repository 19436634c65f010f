//! `healthcode pass …`: a resident's pass issued and verified from its text and from its QR
//! code, keys rotated, passes of another region trusted after its list is imported, and a
//! venue's poster.

use healthcode_core::{
    Access, Actor, AuditAction, GeoPoint, OpeningHours, Purpose, RegionCode, Venue, VenueId,
    VenueKind,
};
use healthcode_store::{AuditQuery, SqliteStore, Store};

use crate::seed::{enrol, hours_ago};
use crate::{healthcode, stderr_of, stdout_of};

fn issue(data: &std::path::Path, person: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["pass", "issue", person, "--json"];
    args.extend_from_slice(extra);
    let output = healthcode(data, &args, "");
    assert!(output.status.success(), "{}", stderr_of(&output));
    serde_json::from_str(&stdout_of(&output)).unwrap()
}

fn verify(data: &std::path::Path, args: &[&str]) -> (bool, serde_json::Value) {
    let mut all = vec!["pass", "verify", "--json"];
    all.extend_from_slice(args);
    let output = healthcode(data, &all, "");
    (
        output.status.success(),
        serde_json::from_str(&stdout_of(&output)).unwrap(),
    )
}

#[test]
fn a_pass_issued_to_a_resident_verifies_from_its_text_and_its_qr_code_and_names_its_purpose() {
    let temporary = tempfile::tempdir().unwrap();
    let data = temporary.path().join("data");
    let store = SqliteStore::open(&data).unwrap();
    let person = enrol(&store, 1, hours_ago(24));
    drop(store);
    let png = temporary.path().join("pass.png");
    let issued = issue(
        &data,
        &person.to_string(),
        &["--png", png.to_str().unwrap()],
    );
    let text = issued["text"].as_str().unwrap();
    assert!(text.starts_with("HCODE1:"), "{text}");
    assert_eq!(issued["colour"], "green");

    let (valid, verdict) = verify(&data, &[text]);
    assert!(valid, "{verdict}");
    assert_eq!(verdict["issuer"], "330100");
    assert_eq!(verdict["colour"], "green");
    assert!(
        verdict["holder"].as_str().unwrap().contains('*'),
        "{verdict}"
    );
    let (valid, from_photo) = verify(&data, &["--image", png.to_str().unwrap()]);
    assert!(valid, "{from_photo}");
    assert_eq!(from_photo, verdict);

    // Ten minutes later the five-minute pass has run out.
    let later = (jiff::Timestamp::now() + jiff::SignedDuration::from_mins(10)).to_string();
    let (valid, verdict) = verify(&data, &[text, "--at", &later]);
    assert!(!valid);
    assert_eq!(verdict["reason"], "expired");

    let store = SqliteStore::open(&data).unwrap();
    let query = AuditQuery {
        subject: Some(person),
        purpose: Some(Purpose::PassIssuance),
        action: Some(AuditAction::ReadPerson),
        ..AuditQuery::default()
    };
    let auditor = Access::new(
        Actor::LocalOperator,
        Purpose::AuditReview,
        jiff::Timestamp::now(),
    );
    assert!(
        !store.audit_log(&auditor, &query).unwrap().is_empty(),
        "the issuance read the resident's details under its own purpose"
    );
}

#[test]
fn after_a_rotation_passes_of_both_keys_verify_and_another_region_is_trusted_once_imported() {
    let temporary = tempfile::tempdir().unwrap();
    let ours = temporary.path().join("ours");
    let theirs = temporary.path().join("theirs");
    let store = SqliteStore::open(&ours).unwrap();
    let resident = enrol(&store, 1, hours_ago(24));
    drop(store);
    let store = SqliteStore::open(&theirs).unwrap();
    let visitor = enrol(&store, 2, hours_ago(24));
    drop(store);

    let before = issue(&ours, &resident.to_string(), &[]);
    let output = healthcode(&ours, &["pass", "rotate", "--algorithm", "EdDSA"], "");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let after = issue(&ours, &resident.to_string(), &[]);
    for pass in [&before, &after] {
        let (valid, verdict) = verify(&ours, &[pass["text"].as_str().unwrap()]);
        assert!(valid, "{verdict}");
    }

    // Their passes name an issuer we do not trust until their list is imported.
    let config = temporary.path().join("theirs.toml");
    std::fs::write(&config, "[pass]\nissuer = \"440300\"\n").unwrap();
    let config = config.to_str().unwrap();
    let theirs_pass = {
        let output = healthcode(
            &theirs,
            &[
                "--config",
                config,
                "pass",
                "issue",
                &visitor.to_string(),
                "--json",
            ],
            "",
        );
        assert!(output.status.success(), "{}", stderr_of(&output));
        let issued: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
        issued["text"].as_str().unwrap().to_owned()
    };
    let (valid, verdict) = verify(&ours, &[&theirs_pass]);
    assert!(!valid);
    assert_eq!(verdict["reason"], "unknown_key");

    let list = temporary.path().join("440300.cose");
    let output = healthcode(
        &theirs,
        &[
            "--config",
            config,
            "pass",
            "trust-list",
            "export",
            list.to_str().unwrap(),
        ],
        "",
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    let anchor = stdout_of(&healthcode(&theirs, &["pass", "anchor"], ""));
    let output = healthcode(
        &ours,
        &[
            "pass",
            "trust-list",
            "import",
            list.to_str().unwrap(),
            "--anchor",
            anchor.trim(),
        ],
        "",
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    let (valid, verdict) = verify(&ours, &[&theirs_pass]);
    assert!(valid, "{verdict}");
    assert_eq!(verdict["issuer"], "440300");
}

#[test]
fn a_venue_poster_is_written_with_the_escaped_venue_name_and_an_unknown_venue_is_refused() {
    let temporary = tempfile::tempdir().unwrap();
    let data = temporary.path().join("data");
    let store = SqliteStore::open(&data).unwrap();
    let venue = Venue {
        id: VenueId::from_uuid(uuid::Uuid::new_v4()),
        name: "Tom & Jerry's <Café>".to_owned(),
        kind: VenueKind::Restaurant,
        district: RegionCode::parse("330106").unwrap(),
        location: GeoPoint::new(30.25, 120.15).unwrap(),
        opening_hours: OpeningHours::always(),
        registered_at: hours_ago(24),
    };
    store.register_venue(&venue).unwrap();
    drop(store);
    let out = temporary.path().join("poster.svg");
    let id = venue.id.to_string();
    let output = healthcode(
        &data,
        &["pass", "poster", &id, "--out", out.to_str().unwrap()],
        "",
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    let poster = std::fs::read_to_string(&out).unwrap();
    assert!(
        poster.contains("Tom &amp; Jerry&apos;s &lt;Café&gt;"),
        "the name is escaped"
    );
    assert!(poster.contains(&id));

    let unknown = uuid::Uuid::new_v4().to_string();
    let output = healthcode(&data, &["pass", "poster", &unknown], "");
    assert!(!output.status.success());
    assert!(
        stderr_of(&output).contains(&format!("no venue {unknown} is registered")),
        "{}",
        stderr_of(&output)
    );
}
