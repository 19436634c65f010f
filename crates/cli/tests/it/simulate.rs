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
fn a_city_run_writes_venues_check_ins_boardings_cells_pings_and_risk_list_in_the_formats_the_system_reads()
 {
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
    for (file, header) in [
        (
            "boardings.csv",
            "event_id,trip_id,mode,trip_code,departs_at,resident_id,seat,boarded_at,alighted_at",
        ),
        ("cell_pings.csv", "event_id,resident_id,cell_id,seen_at"),
        (
            "travel_declarations.csv",
            "event_id,person_id,declared_at,region,from,to",
        ),
    ] {
        let text = std::fs::read_to_string(out.join(file)).unwrap();
        assert_eq!(text.lines().next(), Some(header), "{file}");
        assert!(text.lines().count() > 1, "{file} has rows");
    }

    // Cells and the risk list stand alone: the system takes them as they are.
    let data = temporary.path().join("data");
    let cells = out.join("cells.csv");
    let imported = healthcode(
        &data,
        &["import", "cells", cells.to_str().unwrap(), "--json"],
        "",
    );
    assert!(imported.status.success(), "{}", stderr_of(&imported));
    let imported: serde_json::Value = serde_json::from_str(&stdout_of(&imported)).unwrap();
    let cells_written = std::fs::read_to_string(&cells).unwrap().lines().count() as u64 - 1;
    assert_eq!(imported["stored"].as_u64(), Some(cells_written));
    let list = out.join("region_risk.csv");
    let published = healthcode(
        &data,
        &["region-risk", "publish", list.to_str().unwrap()],
        "",
    );
    assert!(published.status.success(), "{}", stderr_of(&published));
}
