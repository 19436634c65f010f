//! The officials' commands: `status`, `ratings history`, `region-risk`, `appeals` and
//! `override`, on a resident who declared a stay in a region that is then listed as high risk.

use std::path::Path;

use healthcode_core::rating::AppealId;
use healthcode_core::{Access, Actor, PersonId, Purpose, Timestamp};
use healthcode_server::api::{DeclarationRequest, TravelRequest};
use healthcode_server::{rating_service, service};
use healthcode_store::SqliteStore;
use jiff::SignedDuration;
use jiff::tz::{Offset, TimeZone};

use crate::seed::{enrol, hours_ago};
use crate::{healthcode, stderr_of, stdout_of};

/// The region the resident stayed in: Wuhan.
const WUHAN: &str = "420100";

fn json_of(output: &std::process::Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", stderr_of(output));
    serde_json::from_str(&stdout_of(output))
        .unwrap_or_else(|error| panic!("{error}: {}", stdout_of(output)))
}

/// A day `days` days ago, in the offset of China, where the default policy rates.
fn days_ago(days: i64) -> String {
    let at = Timestamp::now() - SignedDuration::from_hours(24 * days);
    at.to_zoned(TimeZone::fixed(Offset::constant(8)))
        .date()
        .to_string()
}

/// `hours` hours from now, written as an official would type it: RFC 3339 at +08:00.
fn in_hours(hours: i64) -> String {
    let at = Timestamp::now() + SignedDuration::from_hours(hours);
    at.round(jiff::Unit::Second)
        .unwrap()
        .display_with_offset(Offset::constant(8))
        .to_string()
}

/// Enrols resident `serial`, who declared two days ago a stay in Wuhan from five to three days
/// ago; Wuhan is not listed yet, so they are green.
fn resident_back_from_wuhan(data: &Path, serial: u32) -> PersonId {
    let store = SqliteStore::open(data).unwrap();
    let person = enrol(&store, serial, hours_ago(24 * 10));
    let declared_at = hours_ago(48);
    let (policy, _) = healthcode_cli::ratings::active_policy(&store, declared_at).unwrap();
    let access = Access::new(
        Actor::Resident(person),
        Purpose::HealthDeclaration,
        declared_at,
    );
    let request = DeclarationRequest {
        event_id: uuid::Uuid::new_v4().to_string(),
        symptoms: Vec::new(),
        temperature_celsius: Some(36.5),
        travel: vec![TravelRequest {
            region: WUHAN.to_owned(),
            from: days_ago(5),
            to: days_ago(3),
        }],
    };
    service::record_declaration(&store, &access, &policy, request).unwrap();
    person
}

/// Publishes a list with Wuhan at high risk through the command.
fn list_wuhan_as_high_risk(data: &Path) -> serde_json::Value {
    let file = data.parent().unwrap().join("wuhan-high.csv");
    std::fs::write(&file, format!("region,level\n{WUHAN},high\n")).unwrap();
    json_of(&healthcode(
        data,
        &["region-risk", "publish", file.to_str().unwrap(), "--json"],
        "",
    ))
}

/// Creates a staff account through the command and answers its id.
fn create_staff(data: &Path, username: &str, role: &str) -> String {
    let created = json_of(&healthcode(
        data,
        &[
            "admin",
            "create-user",
            "--username",
            username,
            "--role",
            role,
            "--password-stdin",
            "--json",
        ],
        "a long enough password\n",
    ));
    created["id"].as_str().unwrap().to_owned()
}

fn status_of(data: &Path, person: PersonId) -> serde_json::Value {
    json_of(&healthcode(
        data,
        &["status", &person.to_string(), "--json"],
        "",
    ))
}

#[test]
fn publishing_a_region_list_turns_a_resident_who_stayed_there_red_and_status_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let person = resident_back_from_wuhan(&data, 31);
    assert_eq!(status_of(&data, person)["colour"], "green");
    let stranger = uuid::Uuid::new_v4().to_string();
    let unknown = healthcode(&data, &["status", &stranger], "");
    assert!(
        stderr_of(&unknown).contains(&format!("no person has the id {stranger}")),
        "{}",
        stderr_of(&unknown)
    );

    let published = list_wuhan_as_high_risk(&data);
    assert_eq!(published["list"]["version"], 1);
    assert_eq!(published["list"]["entries"][0]["region"], WUHAN);
    assert_eq!(published["rerated"]["people"], 1);
    assert_eq!(published["rerated"]["changed"], 1);

    let status = status_of(&data, person);
    assert_eq!(status["colour"], "red");
    assert!(status["valid_until"].is_string(), "{status}");
    let reason = &status["reasons"][0];
    assert_eq!(reason["rule_id"], "high_risk_region");
    let text = reason["text"].as_str().unwrap();
    assert!(text.contains(WUHAN) && text.contains("high risk"), "{text}");
    assert!(!status["next_steps"].as_array().unwrap().is_empty());

    let printed = healthcode(&data, &["status", &person.to_string()], "");
    assert!(printed.status.success(), "{}", stderr_of(&printed));
    let printed = stdout_of(&printed);
    assert!(
        printed.starts_with(&format!("Person {person}: red until ")),
        "{printed}"
    );
    assert!(
        printed.contains("high_risk_region: Red: you stayed in region 420100"),
        "{printed}"
    );
    assert!(printed.contains("Next steps:"), "{printed}");

    let chinese = json_of(&healthcode(
        &data,
        &["status", &person.to_string(), "--lang", "zh-CN", "--json"],
        "",
    ));
    assert_eq!(chinese["language"], "zh-CN");
    let text = chinese["reasons"][0]["text"].as_str().unwrap();
    assert!(text.contains("高风险地区"), "{text}");

    let history = json_of(&healthcode(
        &data,
        &["ratings", "history", &person.to_string(), "--json"],
        "",
    ));
    let latest = history["ratings"].as_array().unwrap().last().unwrap();
    assert_eq!(latest["colour"], "red");
    assert_eq!(latest["cause"]["kind"], "region_risk_list_changed");
    assert_eq!(latest["cause"]["list_version"], 1);
    let printed = stdout_of(&healthcode(
        &data,
        &["ratings", "history", &person.to_string()],
        "",
    ));
    assert!(
        printed.contains("because of region-risk list version 1; rules: high_risk_region"),
        "{printed}"
    );
}

#[test]
fn region_risk_show_lists_the_version_in_force_and_any_published_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let before = json_of(&healthcode(&data, &["region-risk", "show", "--json"], ""));
    assert_eq!(before["version"], 0);
    assert_eq!(before["entries"].as_array().unwrap().len(), 0);

    list_wuhan_as_high_risk(&data);
    let shown = healthcode(&data, &["region-risk", "show"], "");
    assert!(shown.status.success(), "{}", stderr_of(&shown));
    let shown = stdout_of(&shown);
    assert!(
        shown.starts_with("Region-risk list version 1, published "),
        "{shown}"
    );
    assert!(shown.contains("  420100  high\n"), "{shown}");

    let first = json_of(&healthcode(
        &data,
        &["region-risk", "show", "--version", "0", "--json"],
        "",
    ));
    assert_eq!(first["version"], 0);
    let missing = healthcode(&data, &["region-risk", "show", "--version", "7"], "");
    assert!(!missing.status.success());
    assert!(
        stderr_of(&missing)
            .contains("no region-risk list version 7 is published; the latest is version 1"),
        "{}",
        stderr_of(&missing)
    );
}

#[test]
fn a_region_list_with_bad_lines_reports_each_with_its_line_and_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("list.csv");
    std::fs::write(
        &file,
        "region,level\n420100,high\n4201,high\n330100,severe\n420100,medium\n",
    )
    .unwrap();
    let output = healthcode(
        &data,
        &["region-risk", "publish", file.to_str().unwrap()],
        "",
    );
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr_of(&output);
    for expected in [
        "line 3: region: should be six digits",
        "line 4: level: should be one of: low, medium, high",
        "line 5: region: 420100 is already listed on line 2",
        "3 problems in 4 entries; nothing was published",
    ] {
        assert!(errors.contains(expected), "no {expected:?} in\n{errors}");
    }
    let shown = json_of(&healthcode(&data, &["region-risk", "show", "--json"], ""));
    assert_eq!(shown["version"], 0);
}

#[test]
fn an_official_amends_an_appeal_and_the_resident_turns_green_with_the_official_reason() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let person = resident_back_from_wuhan(&data, 32);
    list_wuhan_as_high_risk(&data);
    assert_eq!(status_of(&data, person)["colour"], "red");

    let appeal = AppealId::from_uuid(uuid::Uuid::new_v4());
    let statement = "I only changed planes at the airport.";
    {
        let store = SqliteStore::open(&data).unwrap();
        let access = Access::new(
            Actor::Resident(person),
            Purpose::AppealReview,
            Timestamp::now(),
        );
        rating_service::file_appeal(&store, &access, person, appeal, statement.to_owned()).unwrap();
    }

    let queue = json_of(&healthcode(&data, &["appeals", "queue", "--json"], ""));
    let queued = &queue["appeals"][0];
    assert_eq!(queued["appeal_id"], appeal.to_string());
    assert_eq!(queued["person_id"], person.to_string());
    assert_eq!(queued["statement"], statement);
    assert_eq!(queued["rating"]["colour"], "red");
    assert_eq!(queued["reasons"][0]["rule_id"], "high_risk_region");
    let printed = stdout_of(&healthcode(&data, &["appeals", "queue"], ""));
    assert!(
        printed.contains(&format!("Appeal {appeal} by person {person}")),
        "{printed}"
    );
    assert!(printed.contains(statement), "{printed}");
    assert!(printed.contains("high_risk_region: Red: "), "{printed}");

    let official = create_staff(&data, "li.official", "health_official");
    let appeal_id = appeal.to_string();
    let reason = "Transit only: you never left the airport.";
    let decision = json_of(&healthcode(
        &data,
        &[
            "appeals",
            "decide",
            &appeal_id,
            "--as",
            "li.official",
            "--outcome",
            "amend",
            "--reason",
            reason,
            "--colour",
            "green",
            "--expires-at",
            &in_hours(24 * 7),
            "--json",
        ],
        "",
    ));
    assert_eq!(decision["outcome"], "amend");
    assert_eq!(decision["colour"], "green");

    let status = status_of(&data, person);
    assert_eq!(status["colour"], "green");
    let override_reason = &status["reasons"][0];
    assert_eq!(override_reason["rule_id"], "override");
    assert!(
        override_reason["text"].as_str().unwrap().contains(reason),
        "{status}"
    );

    let queue = json_of(&healthcode(&data, &["appeals", "queue", "--json"], ""));
    assert_eq!(queue["appeals"].as_array().unwrap().len(), 0);
    let appeals = json_of(&healthcode(
        &data,
        &["appeals", "list", &person.to_string(), "--json"],
        "",
    ));
    let decided = &appeals["appeals"][0]["decision"];
    assert_eq!(decided["outcome"], "amend");
    assert_eq!(decided["reason"], reason);
    assert_eq!(decided["decided_by"], official, "the official is named");

    let again = healthcode(
        &data,
        &[
            "appeals",
            "decide",
            &appeal_id,
            "--as",
            "li.official",
            "--outcome",
            "uphold",
            "--reason",
            "Second thoughts.",
        ],
        "",
    );
    assert!(!again.status.success());
    assert!(
        stderr_of(&again).contains("already decided"),
        "{}",
        stderr_of(&again)
    );
}

#[test]
fn only_an_existing_health_official_decides_an_appeal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let person = resident_back_from_wuhan(&data, 33);
    list_wuhan_as_high_risk(&data);
    let appeal = AppealId::from_uuid(uuid::Uuid::new_v4());
    {
        let store = SqliteStore::open(&data).unwrap();
        let access = Access::new(
            Actor::Resident(person),
            Purpose::AppealReview,
            Timestamp::now(),
        );
        rating_service::file_appeal(&store, &access, person, appeal, "Not me.".to_owned()).unwrap();
    }
    create_staff(&data, "an.auditor", "auditor");
    create_staff(&data, "li.official", "health_official");
    let appeal_id = appeal.to_string();
    let decide = |username: &str, expires_at: &str| {
        healthcode(
            &data,
            &[
                "appeals",
                "decide",
                &appeal_id,
                "--as",
                username,
                "--outcome",
                "amend",
                "--reason",
                "Checked the flight records.",
                "--colour",
                "green",
                "--expires-at",
                expires_at,
            ],
            "",
        )
    };
    let refusals = [
        (
            decide("an.auditor", &in_hours(24)),
            "--as: an.auditor has the role auditor; only a health_official decides appeals",
        ),
        (
            decide("nobody", &in_hours(24)),
            "--as: no staff account is named nobody",
        ),
        (
            decide("li.official", &in_hours(-1)),
            "--expires-at: should be in the future",
        ),
    ];
    for (output, expected) in refusals {
        assert_eq!(output.status.code(), Some(1));
        assert!(
            stderr_of(&output).contains(expected),
            "no {expected:?} in {}",
            stderr_of(&output)
        );
    }
    let queue = json_of(&healthcode(&data, &["appeals", "queue", "--json"], ""));
    assert_eq!(
        queue["appeals"][0]["appeal_id"], appeal_id,
        "a refused decision leaves the appeal waiting"
    );
}

#[test]
fn an_override_needs_a_reason_a_future_expiry_and_an_official() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let person = resident_back_from_wuhan(&data, 34);
    create_staff(&data, "li.official", "health_official");
    create_staff(&data, "a.shop", "venue_operator");
    let person_id = person.to_string();
    let expires_at = in_hours(72);
    let run = |extra: &[&str]| {
        let mut args = vec!["override", person_id.as_str(), "--colour", "red"];
        args.extend_from_slice(extra);
        healthcode(&data, &args, "")
    };

    let without_reason = run(&["--as", "li.official", "--expires-at", &expires_at]);
    assert_eq!(without_reason.status.code(), Some(2), "clap refuses it");
    assert!(stderr_of(&without_reason).contains("--reason"));
    let refusals = [
        (
            run(&[
                "--as",
                "li.official",
                "--reason",
                "  ",
                "--expires-at",
                &expires_at,
            ]),
            "--reason: should be 1 to 2000 characters, found 0",
        ),
        (
            run(&[
                "--as",
                "li.official",
                "--reason",
                "Positive abroad.",
                "--expires-at",
                "2020-01-23T10:00:00+08:00",
            ]),
            "--expires-at: should be in the future",
        ),
        (
            run(&[
                "--as",
                "a.shop",
                "--reason",
                "Positive abroad.",
                "--expires-at",
                &expires_at,
            ]),
            "only a health_official overrides colours",
        ),
    ];
    for (output, expected) in refusals {
        assert_eq!(output.status.code(), Some(1));
        assert!(
            stderr_of(&output).contains(expected),
            "no {expected:?} in {}",
            stderr_of(&output)
        );
    }
    assert_eq!(status_of(&data, person)["colour"], "green");

    let set = run(&[
        "--as",
        "li.official",
        "--reason",
        "Tested positive abroad; reported by the embassy.",
        "--expires-at",
        &expires_at,
    ]);
    assert!(set.status.success(), "{}", stderr_of(&set));
    assert!(
        stdout_of(&set).contains(&format!("as li.official: person {person} is red until ")),
        "{}",
        stdout_of(&set)
    );
    let status = status_of(&data, person);
    assert_eq!(status["colour"], "red");
    assert_eq!(status["reasons"][0]["rule_id"], "override");
    let history = json_of(&healthcode(
        &data,
        &["ratings", "history", &person_id, "--json"],
        "",
    ));
    let latest = history["ratings"].as_array().unwrap().last().unwrap();
    assert_eq!(latest["cause"]["kind"], "override");
}
