use std::path::Path;

use healthcode_cli::import::{ImportError, ImportFormat, import_check_ins};
use healthcode_core::{
    Access, Actor, GeoPoint, OpeningHours, Person, PersonId, PersonName, PhoneNumber, Purpose,
    RegionCode, ResidentId, Timestamp, Venue, VenueKind,
};
use healthcode_server::clock::ManualClock;
use healthcode_store::{Enrolment, SqliteStore, Store, TokenHash};
use indicatif::ProgressBar;

const VENUE: &str = "a1b2c3d4-0000-4000-8000-000000000001";
const PERSON: &str = "c63dea6a-8308-4041-9608-c6c0b9db6b5b";
const HEADER: &str = "event_id,venue_id,person_id,entered,left,source";

fn now() -> Timestamp {
    "2026-11-22T08:00:00Z".parse().unwrap()
}

/// A store with one resident and one venue.
fn store_with_a_resident_and_a_venue(dir: &Path) -> SqliteStore {
    let store = SqliteStore::open(dir).unwrap();
    let person = Person {
        id: PERSON.parse().unwrap(),
        resident_id: ResidentId::parse("11010519491231002X").unwrap(),
        name: PersonName::parse("张三明").unwrap(),
        phone: PhoneNumber::parse("13800138000").unwrap(),
        enrolled_at: now(),
    };
    let enrolment = Enrolment {
        event_id: "6f1d3a52-0c55-4a4e-9d0e-2b7f5c1e8a01".parse().unwrap(),
        person,
        device_token: TokenHash([7; 32]),
    };
    store
        .enrol(
            &Access::new(Actor::Public, Purpose::Enrolment, now()),
            &enrolment,
        )
        .unwrap();
    let venue = Venue {
        id: VENUE.parse().unwrap(),
        name: "West Lake Noodles".to_owned(),
        kind: VenueKind::Restaurant,
        district: RegionCode::parse("330106").unwrap(),
        location: GeoPoint::new(30.25, 120.15).unwrap(),
        opening_hours: OpeningHours::parse("Mo-Su 10:00-22:00").unwrap(),
        registered_at: now(),
    };
    store.register_venue(&venue).unwrap();
    store
}

fn import(
    store: &SqliteStore,
    dir: &Path,
    name: &str,
    content: &str,
) -> Result<(u64, healthcode_store::IngestReport), ImportError> {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    let format = if name.ends_with(".csv") {
        ImportFormat::Csv
    } else {
        ImportFormat::Jsonl
    };
    import_check_ins(
        store,
        &ManualClock::new(now()),
        &path,
        format,
        &ProgressBar::hidden(),
    )
}

fn stored_check_ins(store: &SqliteStore) -> usize {
    let access = Access::new(Actor::LocalOperator, Purpose::CaseInvestigation, now());
    store
        .check_ins_of(&access, PERSON.parse::<PersonId>().unwrap())
        .unwrap()
        .len()
}

fn csv_row(event: u32, entered: &str, left: &str, source: &str) -> String {
    format!("11111111-0000-4000-8000-{event:012},{VENUE},{PERSON},{entered},{left},{source}")
}

#[test]
fn a_valid_csv_file_is_imported_and_importing_it_again_stores_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_a_resident_and_a_venue(dir.path());
    let file = [
        HEADER.to_owned(),
        csv_row(
            1,
            "2026-11-20T10:00:00Z",
            "2026-11-20T10:30:00Z",
            "venue_scans_person",
        ),
        csv_row(2, "2026-11-21T10:00:00+08:00", "", "person_scans_venue"),
    ]
    .join("\n");
    let (lines, report) = import(&store, dir.path(), "visits.csv", &file).unwrap();
    assert_eq!((lines, report.stored, report.duplicates), (2, 2, 0));
    let (_, again) = import(&store, dir.path(), "visits.csv", &file).unwrap();
    assert_eq!((again.stored, again.duplicates), (0, 2));
    assert_eq!(stored_check_ins(&store), 2);
}

#[test]
fn an_invalid_csv_file_reports_every_bad_line_and_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_a_resident_and_a_venue(dir.path());
    let file = [
        HEADER.to_owned(),
        csv_row(
            1,
            "2026-11-20T10:00:00Z",
            "2026-11-20T10:30:00Z",
            "venue_scans_person",
        ),
        csv_row(
            2,
            "2026-11-20T10:00:00Z",
            "2026-11-20T09:30:00Z",
            "venue_scans_person",
        ),
        csv_row(3, "yesterday", "", "teleport"),
        format!("11111111-0000-4000-8000-000000000004,{VENUE}"),
    ]
    .join("\n");
    let Err(ImportError::InvalidLines { lines, errors }) =
        import(&store, dir.path(), "visits.csv", &file)
    else {
        panic!("the file should be refused");
    };
    assert_eq!(lines, 4);
    let found: Vec<(u64, Option<&str>)> = errors
        .iter()
        .map(|e| (e.line, e.field.as_deref()))
        .collect();
    assert_eq!(
        found,
        [
            (3, Some("left")),
            (4, Some("entered")),
            (4, Some("source")),
            (5, None)
        ],
        "{errors:#?}"
    );
    assert_eq!(
        stored_check_ins(&store),
        0,
        "nothing is imported from a file with a bad line"
    );
}

#[test]
fn a_json_lines_file_naming_an_unregistered_venue_imports_nothing_and_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_a_resident_and_a_venue(dir.path());
    let line = |event: u32, venue: &str| {
        format!(
            r#"{{"event_id":"22222222-0000-4000-8000-{event:012}","venue_id":"{venue}","person_id":"{PERSON}","entered":"2026-11-20T10:00:00Z","source":"checkpoint"}}"#
        )
    };
    let unregistered = "a1b2c3d4-0000-4000-8000-000000000009";
    let file = [line(1, VENUE), String::new(), line(2, unregistered)].join("\n");
    let Err(ImportError::InvalidLines { errors, .. }) =
        import(&store, dir.path(), "feed.jsonl", &file)
    else {
        panic!("the file should be refused");
    };
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].line, errors[0].field.as_deref()),
        (3, Some("venue_id"))
    );
    assert_eq!(stored_check_ins(&store), 0);
    let valid = line(1, VENUE);
    let (lines, report) = import(&store, dir.path(), "feed.jsonl", &valid).unwrap();
    assert_eq!((lines, report.stored), (1, 1));
}

#[test]
fn a_json_lines_file_with_a_broken_line_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_a_resident_and_a_venue(dir.path());
    let Err(ImportError::InvalidLines { errors, .. }) =
        import(&store, dir.path(), "feed.jsonl", "{oops\n")
    else {
        panic!("the file should be refused");
    };
    assert_eq!(errors[0].line, 1);
    assert!(
        errors[0].message.starts_with("not a check-in object"),
        "{}",
        errors[0].message
    );
}

#[test]
fn a_csv_file_with_a_misspelt_column_is_refused_once_at_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_a_resident_and_a_venue(dir.path());
    let file = [
        HEADER.replace("entered", "entred"),
        csv_row(1, "2026-11-20T10:00:00Z", "", "checkpoint"),
        csv_row(2, "2026-11-20T11:00:00Z", "", "checkpoint"),
    ]
    .join("\n");
    let Err(ImportError::InvalidLines { errors, .. }) =
        import(&store, dir.path(), "visits.csv", &file)
    else {
        panic!("the file should be refused");
    };
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(
        (errors[0].line, errors[0].field.as_deref()),
        (1, Some("header"))
    );
    assert!(
        errors[0].message.contains("entred"),
        "{}",
        errors[0].message
    );
    assert_eq!(stored_check_ins(&store), 0);
}
