//! `healthcode trace CASE_ID`: two residents of one household, one of them a confirmed case.

use healthcode_core::rating::{CaseId, CaseRecord, CaseStatus};
use healthcode_core::{Access, Actor, Purpose};
use healthcode_store::{SqliteStore, Store};
use jiff::SignedDuration;

use crate::seed::{enrol, hours_ago};
use crate::{healthcode, stderr_of, stdout_of};

#[test]
fn a_household_imported_from_a_file_is_traced_once_and_listed_with_its_evidence() {
    let temporary = tempfile::tempdir().unwrap();
    let data = temporary.path().join("data");
    let store = SqliteStore::open(&data).unwrap();
    let case_person = enrol(&store, 1, hours_ago(24 * 10));
    let member = enrol(&store, 2, hours_ago(24 * 10));
    drop(store);
    let register = temporary.path().join("households.csv");
    std::fs::write(
        &register,
        format!(
            "resident_id,household\n{},330106-0042\n{},330106-0042\n",
            crate::seed::resident_id(1).as_str(),
            crate::seed::resident_id(2).as_str()
        ),
    )
    .unwrap();
    let output = healthcode(
        &data,
        &["import", "households", register.to_str().unwrap(), "--json"],
        "",
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    let store = SqliteStore::open(&data).unwrap();
    let access = Access::new(
        Actor::LocalOperator,
        Purpose::CaseInvestigation,
        hours_ago(1),
    );
    let isolated_at = hours_ago(2);
    let case = CaseRecord {
        case: CaseId::from_uuid(uuid::Uuid::new_v4()),
        status: CaseStatus::Confirmed,
        since: isolated_at,
        onset: isolated_at - SignedDuration::from_hours(24),
        isolated_at,
        released_at: None,
    };
    store.record_case(&access, case_person, &case).unwrap();
    drop(store);

    let case_id = case.case.to_string();
    let output = healthcode(&data, &["trace", &case_id, "--json"], "");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let traced: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    assert_eq!(traced["new_contacts"], 1);
    assert_eq!(traced["contacts"][0]["person_id"], member.to_string());
    assert_eq!(traced["contacts"][0]["setting"], "household");
    assert_eq!(traced["contacts"][0]["together_minutes"], 3 * 24 * 60);

    let output = healthcode(&data, &["trace", &case_id], "");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let text = stdout_of(&output);
    assert!(
        text.contains("Contacts: 1, of which 0 found now:"),
        "{text}"
    );
    assert!(
        text.contains(&format!("close     person {member}  household")),
        "{text}"
    );

    let unknown = uuid::Uuid::new_v4().to_string();
    let output = healthcode(&data, &["trace", &unknown], "");
    assert!(!output.status.success());
    assert!(
        stderr_of(&output).contains(&format!("no case has the id {unknown}")),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn a_boardings_file_is_imported_with_its_trips_and_its_empty_seats_and_alightings() {
    let temporary = tempfile::tempdir().unwrap();
    let data = temporary.path().join("data");
    let store = SqliteStore::open(&data).unwrap();
    enrol(&store, 1, hours_ago(24 * 10));
    enrol(&store, 2, hours_ago(24 * 10));
    drop(store);
    let trip = uuid::Uuid::new_v4();
    let departs = hours_ago(5).to_string();
    let boarded = hours_ago(6).to_string();
    let row = |serial: u32, seat: &str| {
        format!(
            "{},{trip},bus,B12,{departs},{},{seat},{boarded},",
            uuid::Uuid::new_v4(),
            crate::seed::resident_id(serial).as_str()
        )
    };
    let file = temporary.path().join("boardings.csv");
    std::fs::write(
        &file,
        format!(
            "event_id,trip_id,mode,trip_code,departs_at,resident_id,seat,boarded_at,alighted_at\n{}\n{}\n",
            row(1, ""),
            row(2, "3A")
        ),
    )
    .unwrap();
    let output = healthcode(
        &data,
        &["import", "boardings", file.to_str().unwrap(), "--json"],
        "",
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    let answer: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    assert_eq!(answer["stored"], 2, "{answer}");
}

#[test]
fn two_cases_traced_together_each_list_their_own_household_and_an_unknown_one_records_nothing() {
    let temporary = tempfile::tempdir().unwrap();
    let data = temporary.path().join("data");
    let store = SqliteStore::open(&data).unwrap();
    let people: Vec<_> = (1..=4)
        .map(|serial| enrol(&store, serial, hours_ago(24 * 10)))
        .collect();
    let members: Vec<_> = (1..=4u32)
        .map(|serial| {
            let household = if serial <= 2 {
                "330106-0001"
            } else {
                "330106-0002"
            };
            (
                people[serial as usize - 1],
                healthcode_core::HouseholdCode::parse(household).unwrap(),
            )
        })
        .collect();
    let access = Access::new(
        Actor::LocalOperator,
        Purpose::CaseInvestigation,
        hours_ago(1),
    );
    store.register_households(&access, &members).unwrap();
    let isolated_at = hours_ago(2);
    let case_of = |person| {
        let case = CaseRecord {
            case: CaseId::from_uuid(uuid::Uuid::new_v4()),
            status: CaseStatus::Confirmed,
            since: isolated_at,
            onset: isolated_at - SignedDuration::from_hours(24),
            isolated_at,
            released_at: None,
        };
        store.record_case(&access, person, &case).unwrap();
        case.case.to_string()
    };
    let (first, second) = (case_of(people[0]), case_of(people[2]));
    drop(store);

    let unknown = uuid::Uuid::new_v4().to_string();
    let output = healthcode(&data, &["trace", &first, &unknown, "--json"], "");
    assert!(!output.status.success());
    assert!(
        stderr_of(&output).contains("some of the 2 ids given name no case; nothing was recorded"),
        "{}",
        stderr_of(&output)
    );

    let output = healthcode(&data, &["trace", &first, &second, "--json"], "");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let traced: Vec<serde_json::Value> = stdout_of(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(traced.len(), 2);
    for (answer, (case, member)) in traced
        .iter()
        .zip([(&first, people[1]), (&second, people[3])])
    {
        assert_eq!(answer["case_id"], case.as_str());
        // Nothing was recorded by the refused attempt: both contacts are new now.
        assert_eq!(answer["new_contacts"], 1);
        assert_eq!(answer["contacts"][0]["person_id"], member.to_string());
        assert_eq!(answer["contacts"][0]["setting"], "household");
    }
}
