//! `healthcode simulate`: the summary as JSON, and the files it describes.

use crate::{healthcode, stderr_of, stdout_of};

#[test]
fn simulate_prints_a_json_summary_with_the_attack_rate_and_writes_residents_and_truth_apart() {
    let temporary = tempfile::tempdir().unwrap();
    let out = temporary.path().join("run");
    let args = [
        "simulate",
        "--residents",
        "5000",
        "--days",
        "200",
        "--seed",
        "9",
        "--well-mixed",
        "--r0",
        "3",
        "--json",
        "--out",
        out.to_str().unwrap(),
    ];
    let output = healthcode(&temporary.path().join("data"), &args, "");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    assert_eq!(summary["residents"], 5000);
    assert_eq!(summary["mode"], "well_mixed");
    let attack_rate = summary["attack_rate"].as_f64().unwrap();
    assert!((attack_rate - 0.94).abs() < 0.03, "{summary}");

    let residents = std::fs::read_to_string(out.join("residents.csv")).unwrap();
    assert_eq!(
        residents.lines().count(),
        5001,
        "a header and a line per resident"
    );
    let infections = std::fs::read_to_string(out.join("truth/infections.csv")).unwrap();
    assert_eq!(
        infections.lines().count() as u64,
        summary["infected"].as_u64().unwrap() + 1
    );
    assert!(
        !residents.contains("infect"),
        "what the system may see says nothing of the truth"
    );
}

#[test]
fn simulate_refuses_a_reproduction_number_that_is_not_positive() {
    let temporary = tempfile::tempdir().unwrap();
    let out = temporary.path().join("run");
    let output = healthcode(
        &temporary.path().join("data"),
        &[
            "simulate",
            "--well-mixed",
            "--r0=0",
            "--out",
            out.to_str().unwrap(),
        ],
        "",
    );
    assert!(!output.status.success());
    assert!(
        stderr_of(&output).contains("not a reproduction number"),
        "{}",
        stderr_of(&output)
    );
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn a_city_run_writes_venues_and_check_ins_in_the_formats_the_system_reads() {
    let temporary = tempfile::tempdir().unwrap();
    let out = temporary.path().join("city");
    let args = [
        "simulate",
        "--residents",
        "3000",
        "--days",
        "7",
        "--skipped-scans",
        "0.2",
        "--json",
        "--out",
        out.to_str().unwrap(),
    ];
    let output = healthcode(&temporary.path().join("data"), &args, "");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    assert_eq!(summary["mode"], "city");
    assert!(summary["venues"].as_u64().unwrap() > 0, "{summary}");

    let check_ins = std::fs::read_to_string(out.join("check_ins.csv")).unwrap();
    let mut lines = check_ins.lines();
    assert_eq!(
        lines.next(),
        Some("event_id,venue_id,person_id,entered,left,source"),
        "the header of `healthcode import checkins`"
    );
    assert_eq!(lines.count() as u64, summary["check_ins"].as_u64().unwrap());
    let venues = std::fs::read_to_string(out.join("venues.csv")).unwrap();
    assert!(venues.starts_with("venue_id,name,kind,district,latitude,longitude,opening_hours\n"));
}
