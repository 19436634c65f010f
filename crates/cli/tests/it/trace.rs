//! `healthcode trace CASE_ID`: two residents of one household, one of them a confirmed case.

use healthcode_core::rating::{CaseId, CaseRecord, CaseStatus};
use healthcode_core::{Access, Actor, HouseholdCode, Purpose};
use healthcode_store::{SqliteStore, Store};
use jiff::SignedDuration;

use crate::seed::{enrol, hours_ago};
use crate::{healthcode, stderr_of, stdout_of};

#[test]
fn trace_records_a_household_contact_once_and_lists_it_with_its_evidence() {
    let temporary = tempfile::tempdir().unwrap();
    let data = temporary.path().join("data");
    let store = SqliteStore::open(&data).unwrap();
    let case_person = enrol(&store, 1, hours_ago(24 * 10));
    let member = enrol(&store, 2, hours_ago(24 * 10));
    let access = Access::new(
        Actor::LocalOperator,
        Purpose::CaseInvestigation,
        hours_ago(1),
    );
    let household = HouseholdCode::parse("330106-0042").unwrap();
    store
        .register_households(
            &access,
            &[(case_person, household.clone()), (member, household)],
        )
        .unwrap();
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
