use std::path::Path;

use healthcode_core::rating::{Colour, RatingCause};
use healthcode_core::{Access, Actor, PersonId, Purpose, Timestamp};
use healthcode_store::{SqliteStore, Store};

use crate::seed::{colours, declare, enrol, event_id, history, hours_ago, resident_id};
use crate::{healthcode, stderr_of, stdout_of};

const LAB_HEADER: &str = "event_id,resident_id,kind,outcome,sampled_at,reported_at";

/// A data directory with one resident who declared a fever two hours ago, and so is yellow.
fn a_resident_with_a_fever(data: &Path) -> PersonId {
    let store = SqliteStore::open(data).unwrap();
    let person = enrol(&store, 1, hours_ago(3));
    declare(&store, person, hours_ago(2), &[], Some(38.1));
    person
}

fn lab_row(row: u32, serial: u32, outcome: &str) -> String {
    format!(
        "{},{},pcr,{outcome},{},{}",
        event_id(serial, row),
        resident_id(serial).as_str(),
        hours_ago(1),
        Timestamp::now() - jiff::SignedDuration::from_mins(30),
    )
}

fn test_results_of(data: &Path, person: PersonId) -> usize {
    let store = SqliteStore::open(data).unwrap();
    let access = Access::new(Actor::LocalOperator, Purpose::Rating, Timestamp::now());
    store.facts_of(&access, person).unwrap().test_results.len()
}

#[test]
fn a_test_result_file_with_one_bad_line_imports_nothing_and_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let person = a_resident_with_a_fever(&data);
    let before = history(&data, person);
    let file = dir.path().join("results.csv");
    let content = [
        LAB_HEADER.to_owned(),
        lab_row(1, 1, "negative"),
        lab_row(2, 1, "maybe"),
    ]
    .join("\n");
    std::fs::write(&file, content).unwrap();

    let output = healthcode(
        &data,
        &["import", "test-results", file.to_str().unwrap()],
        "",
    );
    assert!(!output.status.success());
    let errors = stderr_of(&output);
    assert!(errors.contains("line 3: outcome: "), "{errors}");
    assert!(!errors.contains("line 2"), "{errors}");
    assert!(
        errors.contains("1 of 2 lines are invalid; nothing was imported"),
        "{errors}"
    );
    assert!(
        !errors.contains(resident_id(1).as_str()),
        "errors never quote an ID number"
    );
    assert_eq!(test_results_of(&data, person), 0);
    assert_eq!(history(&data, person), before);
}

#[test]
fn a_good_test_result_file_is_imported_and_rates_its_residents_again() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let person = a_resident_with_a_fever(&data);
    assert_eq!(colours(&data, person).last(), Some(&Colour::Yellow));
    let file = dir.path().join("results.csv");
    std::fs::write(
        &file,
        [LAB_HEADER.to_owned(), lab_row(1, 1, "negative")].join("\n"),
    )
    .unwrap();

    let output = healthcode(
        &data,
        &["import", "test-results", file.to_str().unwrap(), "--json"],
        "",
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    assert_eq!(summary["stored"], 1);
    assert_eq!(summary["people_rated"], 1);
    assert_eq!(test_results_of(&data, person), 1);
    let latest = history(&data, person).pop().unwrap();
    assert_eq!(
        latest.colour,
        Colour::Green,
        "a negative test after the fever clears it"
    );
    assert_eq!(latest.cause, RatingCause::Event(event_id(1, 1)));

    let again = healthcode(
        &data,
        &["import", "test-results", file.to_str().unwrap()],
        "",
    );
    assert!(again.status.success(), "{}", stderr_of(&again));
    assert!(
        stdout_of(&again).contains("0 stored, 1 already present"),
        "{}",
        stdout_of(&again)
    );
}

#[test]
fn a_pharmacy_file_naming_a_resident_who_is_not_enrolled_imports_nothing_and_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let person = a_resident_with_a_fever(&data);
    let line = |row: u32, serial: u32| {
        format!(
            r#"{{"event_id":"{}","resident_id":"{}","medicine":"fever_reducer","purchased_at":"{}"}}"#,
            event_id(serial, row),
            resident_id(serial).as_str(),
            hours_ago(1)
        )
    };
    let file = dir.path().join("purchases.jsonl");
    std::fs::write(&file, [line(1, 1), String::new(), line(2, 9)].join("\n")).unwrap();

    let output = healthcode(
        &data,
        &[
            "import",
            "pharmacy-purchases",
            file.to_str().unwrap(),
            "--json",
        ],
        "",
    );
    assert!(!output.status.success());
    let answer: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    assert_eq!(answer["stored"], 0);
    assert_eq!(answer["errors"].as_array().unwrap().len(), 1);
    assert_eq!(answer["errors"][0]["line"], 3);
    assert_eq!(answer["errors"][0]["field"], "resident_id");
    let store = SqliteStore::open(&data).unwrap();
    let access = Access::new(Actor::LocalOperator, Purpose::Rating, Timestamp::now());
    let facts = store.facts_of(&access, person).unwrap();
    assert!(facts.pharmacy_purchases.is_empty());
}

#[test]
fn a_json_lines_file_with_a_broken_line_reports_it_with_the_bad_fields_of_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    a_resident_with_a_fever(&data);
    let file = dir.path().join("purchases.jsonl");
    let bad_medicine = format!(
        r#"{{"event_id":"{}","resident_id":"{}","medicine":"vitamins","purchased_at":"{}"}}"#,
        event_id(1, 1),
        resident_id(1).as_str(),
        hours_ago(1)
    );
    let wrong_type = format!(
        r#"{{"event_id":"{}","resident_id":{},"medicine":"antiviral","purchased_at":"{}"}}"#,
        event_id(1, 2),
        &resident_id(1).as_str()[..17],
        hours_ago(1)
    );
    std::fs::write(
        &file,
        [bad_medicine, "{oops".to_owned(), wrong_type].join("\n"),
    )
    .unwrap();

    let output = healthcode(
        &data,
        &["import", "pharmacy-purchases", file.to_str().unwrap()],
        "",
    );
    assert!(!output.status.success());
    let errors = stderr_of(&output);
    let lines: Vec<&str> = errors.lines().collect();
    assert!(lines[0].starts_with("line 1: medicine: "), "{errors}");
    assert!(
        lines[1].starts_with("line 2: not a pharmacy purchase object"),
        "{errors}"
    );
    assert!(lines[2].starts_with("line 3: resident_id: "), "{errors}");
    assert!(
        !errors.contains(&resident_id(1).as_str()[..17]),
        "errors never quote an ID number: {errors}"
    );
}

#[test]
fn an_employer_health_report_with_a_fever_turns_the_resident_yellow() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let person = {
        let store = SqliteStore::open(&data).unwrap();
        enrol(&store, 5, hours_ago(3))
    };
    let today = Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
        .date();
    let file = dir.path().join("report.csv");
    std::fs::write(
        &file,
        format!(
            "event_id,resident_id,day,temperature,symptoms\n{},{},{today},38.4,fever;dry_cough\n",
            event_id(5, 1),
            resident_id(5).as_str()
        ),
    )
    .unwrap();

    let refused = healthcode(
        &data,
        &["import", "health-reports", file.to_str().unwrap()],
        "",
    );
    assert_eq!(
        refused.status.code(),
        Some(2),
        "the reporter is a required argument"
    );
    let output = healthcode(
        &data,
        &[
            "import",
            "health-reports",
            file.to_str().unwrap(),
            "--reporter",
            "employer",
        ],
        "",
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(
        stdout_of(&output).contains("Imported 1 health report: 1 stored"),
        "{}",
        stdout_of(&output)
    );
    assert_eq!(colours(&data, person).last(), Some(&Colour::Yellow));
}
