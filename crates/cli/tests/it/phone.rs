//! Phone-network data from the command line: `import cells`, `import cell-pings`, `itinerary`
//! and `pings purge`.

use std::path::Path;

use healthcode_core::{Access, Actor, AuditAction, CellId, CellPing, Purpose, Timestamp};
use healthcode_store::{AuditQuery, SqliteStore, Store};
use jiff::SignedDuration;
use jiff::tz::Offset;

use crate::seed::{enrol, event_id, hours_ago, resident_id};
use crate::{healthcode, stderr_of, stdout_of};

const CELLS_HEADER: &str = "cell_id,latitude,longitude,city";
const PINGS_HEADER: &str = "event_id,resident_id,cell_id,seen_at";

fn json_of(output: &std::process::Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", stderr_of(output));
    serde_json::from_str(&stdout_of(output))
        .unwrap_or_else(|error| panic!("{error}: {}", stdout_of(output)))
}

/// Writes a cells file with a cell at Wulin Square (Hangzhou, given by its district) and one
/// in Shanghai, and imports it.
fn cells_imported(dir: &Path, data: &Path) {
    let file = dir.join("cells.csv");
    std::fs::write(
        &file,
        format!(
            "{CELLS_HEADER}\n460-00-4101-1,30.2741,120.1551,330106\n\
             460-00-2101-7,31.2304,121.4737,310100\n"
        ),
    )
    .unwrap();
    let imported = json_of(&healthcode(
        data,
        &["import", "cells", file.to_str().unwrap(), "--json"],
        "",
    ));
    assert_eq!(imported["stored"], 2);
}

fn ping_row(serial: u32, row: u32, cell: &str, seen_at: Timestamp) -> String {
    format!(
        "{},{},{cell},{seen_at}",
        event_id(serial, row),
        resident_id(serial).as_str()
    )
}

#[test]
fn cells_and_pings_are_imported_and_the_itinerary_names_the_resident_by_either_id() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let person = enrol(&SqliteStore::open(&data).unwrap(), 1, hours_ago(24 * 20));
    cells_imported(dir.path(), &data);
    // Importing the same cells again registers nothing new.
    let again = healthcode(
        &data,
        &[
            "import",
            "cells",
            dir.path().join("cells.csv").to_str().unwrap(),
        ],
        "",
    );
    assert!(stdout_of(&again).contains("0 registered, 2 already registered"));

    let file = dir.path().join("pings.csv");
    let pings = [
        PINGS_HEADER.to_owned(),
        ping_row(1, 1, "460-00-4101-1", hours_ago(30)),
        ping_row(1, 2, "460-00-2101-7", hours_ago(2)),
    ]
    .join("\n");
    std::fs::write(&file, pings).unwrap();
    let imported = healthcode(&data, &["import", "cell-pings", file.to_str().unwrap()], "");
    assert!(imported.status.success(), "{}", stderr_of(&imported));
    assert!(
        stdout_of(&imported).contains("Imported 2 cell pings: 2 stored, 0 already present"),
        "{}",
        stdout_of(&imported)
    );
    let resent = json_of(&healthcode(
        &data,
        &["import", "cell-pings", file.to_str().unwrap(), "--json"],
        "",
    ));
    assert_eq!(
        (resent["stored"].as_u64(), resent["duplicates"].as_u64()),
        (Some(0), Some(2))
    );

    let by_resident_id = json_of(&healthcode(
        &data,
        &["itinerary", resident_id(1).as_str(), "--json"],
        "",
    ));
    assert_eq!(by_resident_id["days"].as_array().unwrap().len(), 14);
    assert_eq!(by_resident_id["person_id"], person.to_string());
    let mut cities: Vec<&str> = by_resident_id["cities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|city| city.as_str().unwrap())
        .collect();
    cities.sort_unstable();
    assert_eq!(cities, ["310100", "330100"]);

    let text = healthcode(&data, &["itinerary", &person.to_string()], "");
    assert!(text.status.success(), "{}", stderr_of(&text));
    let printed = stdout_of(&text);
    assert!(
        printed.contains(&format!("Itinerary of person {person}")),
        "{printed}"
    );
    assert!(printed.contains("330100 ("), "{printed}");
    assert!(!printed.contains(resident_id(1).as_str()), "{printed}");

    // Both reads were audited as an investigation by the local operator; the look-up by ID
    // number too.
    let store = SqliteStore::open(&data).unwrap();
    let auditor = Access::new(Actor::LocalOperator, Purpose::AuditReview, Timestamp::now());
    let reads = store
        .audit_log(
            &auditor,
            &AuditQuery {
                action: Some(AuditAction::ReadItinerary),
                ..AuditQuery::default()
            },
        )
        .unwrap();
    assert_eq!(reads.len(), 2);
    assert!(
        reads
            .iter()
            .all(|record| record.purpose == Purpose::CaseInvestigation
                && record.actor == Actor::LocalOperator
                && record.subject == Some(person))
    );
    let look_ups = store
        .audit_log(
            &auditor,
            &AuditQuery {
                action: Some(AuditAction::FindPersonByResidentId),
                purpose: Some(Purpose::CaseInvestigation),
                ..AuditQuery::default()
            },
        )
        .unwrap();
    assert_eq!(look_ups.len(), 1);
}

#[test]
fn a_ping_file_with_bad_lines_imports_nothing_and_names_each_line_without_quoting_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let person = enrol(&SqliteStore::open(&data).unwrap(), 2, hours_ago(24 * 20));
    cells_imported(dir.path(), &data);
    let file = dir.path().join("pings.csv");
    let pings = [
        PINGS_HEADER.to_owned(),
        ping_row(2, 1, "460-00-4101-1", hours_ago(3)),
        ping_row(2, 2, "460-00-9999-9", hours_ago(2)),
        ping_row(3, 3, "460-00-4101-1", hours_ago(2)),
        ping_row(2, 4, "460-00-4101-1", hours_ago(24 * 40)),
    ]
    .join("\n");
    std::fs::write(&file, pings).unwrap();
    let output = healthcode(&data, &["import", "cell-pings", file.to_str().unwrap()], "");
    assert!(!output.status.success());
    let errors = stderr_of(&output);
    assert!(
        errors.contains("line 3: cell_id: no cell with this id"),
        "{errors}"
    );
    assert!(
        errors.contains("line 4: resident_id: no resident"),
        "{errors}"
    );
    assert!(
        errors.contains("line 5: seen_at: is older than daily stays are kept"),
        "{errors}"
    );
    assert!(!errors.contains("line 2"), "{errors}");
    assert!(
        errors.contains("3 of 4 lines are invalid; nothing was imported"),
        "{errors}"
    );
    assert!(
        !errors.contains(resident_id(3).as_str()),
        "errors never quote an ID number"
    );
    let itinerary = json_of(&healthcode(
        &data,
        &["itinerary", &person.to_string(), "--json"],
        "",
    ));
    assert!(
        itinerary["cities"].as_array().unwrap().is_empty(),
        "nothing was imported"
    );

    let unknown = healthcode(&data, &["itinerary", resident_id(9).as_str()], "");
    assert!(!unknown.status.success());
    assert!(stderr_of(&unknown).contains("no resident with this ID number is enrolled"));
}

#[test]
fn an_itinerary_read_as_a_named_official_is_audited_under_their_account() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let person = enrol(&SqliteStore::open(&data).unwrap(), 4, hours_ago(24 * 20));
    let created = json_of(&healthcode(
        &data,
        &[
            "admin",
            "create-user",
            "--username",
            "official.wu",
            "--role",
            "health_official",
            "--password-stdin",
            "--json",
        ],
        "a long enough password\n",
    ));
    let read = healthcode(
        &data,
        &["itinerary", &person.to_string(), "--as", "official.wu"],
        "",
    );
    assert!(read.status.success(), "{}", stderr_of(&read));
    assert!(stdout_of(&read).contains("The phone was not seen in any city"));
    let store = SqliteStore::open(&data).unwrap();
    let auditor = Access::new(Actor::LocalOperator, Purpose::AuditReview, Timestamp::now());
    let record = store
        .audit_log(
            &auditor,
            &AuditQuery {
                action: Some(AuditAction::ReadItinerary),
                ..AuditQuery::default()
            },
        )
        .unwrap()
        .pop()
        .unwrap();
    match record.actor {
        Actor::Staff { id, .. } => assert_eq!(id.to_string(), created["id"].as_str().unwrap()),
        other => panic!("read as {other:?}"),
    }
    let refused = healthcode(
        &data,
        &["itinerary", &person.to_string(), "--as", "nobody.here"],
        "",
    );
    assert!(!refused.status.success());
    assert!(stderr_of(&refused).contains("no staff account is named nobody.here"));
}

#[test]
fn pings_purge_deletes_raw_pings_older_than_three_days_and_keeps_the_stays() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let person = enrol(&SqliteStore::open(&data).unwrap(), 5, hours_ago(24 * 20));
    cells_imported(dir.path(), &data);
    {
        let store = SqliteStore::open(&data).unwrap();
        let network = Access::new(Actor::LocalOperator, Purpose::PhoneData, Timestamp::now());
        let ping = |row: u32, seen_at: Timestamp| {
            (
                person,
                CellPing {
                    event_id: event_id(5, row),
                    cell: CellId::parse("460-00-4101-1").unwrap(),
                    seen_at,
                },
            )
        };
        store
            .ingest_cell_pings(
                &network,
                &[
                    ping(1, hours_ago(24 * 4)),
                    ping(2, hours_ago(24 * 5)),
                    ping(3, hours_ago(1)),
                ],
                Offset::constant(8),
            )
            .unwrap();
    }
    let purged = json_of(&healthcode(&data, &["pings", "purge", "--json"], ""));
    assert_eq!(purged["pings"], 2);
    assert_eq!(purged["daily_stays"], 0);
    assert_eq!(purged["city_days"], 0);
    let stays_before: Timestamp = purged["stays_before"].as_str().unwrap().parse().unwrap();
    let thirty_days = Timestamp::now() - SignedDuration::from_hours(24 * 30);
    assert!(stays_before.duration_since(thirty_days).as_secs().abs() < 300);
    let itinerary = json_of(&healthcode(
        &data,
        &["itinerary", &person.to_string(), "--json"],
        "",
    ));
    assert_eq!(itinerary["cities"], serde_json::json!(["330100"]));

    let again = healthcode(&data, &["pings", "purge"], "");
    assert!(
        stdout_of(&again).contains("Deleted 0 raw pings"),
        "{}",
        stdout_of(&again)
    );
    let store = SqliteStore::open(&data).unwrap();
    let auditor = Access::new(Actor::LocalOperator, Purpose::AuditReview, Timestamp::now());
    let purges = store
        .audit_log(
            &auditor,
            &AuditQuery {
                action: Some(AuditAction::PurgeCellPings),
                ..AuditQuery::default()
            },
        )
        .unwrap();
    assert_eq!(purges.len(), 2);
    assert!(
        purges
            .iter()
            .all(|record| record.purpose == Purpose::DataRetention)
    );
    assert_eq!(purges[0].records, 2);
}

#[test]
fn the_default_configuration_names_the_retention_of_phone_data() {
    let dir = tempfile::tempdir().unwrap();
    let printed = stdout_of(&healthcode(dir.path(), &["config", "print-default"], ""));
    for expected in [
        "cell_ping_retention_days = 3",
        "daily_stay_retention_days = 30",
        "retention_interval_secs = 3600",
    ] {
        assert!(
            printed.contains(expected),
            "missing {expected} in\n{printed}"
        );
    }
}
