use healthcode_core::rating::{Colour, RatingCause};
use healthcode_core::{Access, Actor, Purpose};
use healthcode_server::api::LabResultRow;
use healthcode_server::feeds::ingest_lab_results;
use healthcode_store::SqliteStore;

use crate::seed::{enrol, event_id, history, hours_ago, resident_id};
use crate::{healthcode, stderr_of, stdout_of};

#[test]
fn rerate_due_turns_a_red_whose_fourteen_days_are_over_green_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let person = {
        let store = SqliteStore::open(&data).unwrap();
        let person = enrol(&store, 7, hours_ago(24 * 22));
        // A positive test sampled 21 days ago was red for 14 days from the sample: its rating
        // ran out a week ago, while nothing re-rated this data directory.
        let reported = hours_ago(24 * 20);
        let (policy, _) = healthcode_cli::ratings::active_policy(&store, reported).unwrap();
        let access = Access::new(Actor::LocalOperator, Purpose::LaboratoryReport, reported);
        let row = LabResultRow {
            event_id: event_id(7, 1).to_string(),
            resident_id: resident_id(7).as_str().to_owned(),
            kind: "pcr".to_owned(),
            outcome: "positive".to_owned(),
            sampled_at: hours_ago(24 * 21).to_string(),
            reported_at: reported.to_string(),
        };
        ingest_lab_results(&store, &access, &policy, vec![row], 10).unwrap();
        person
    };
    let latest = history(&data, person).pop().unwrap();
    assert_eq!(latest.colour, Colour::Red);

    let output = healthcode(&data, &["ratings", "rerate-due", "--json"], "");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    assert_eq!(
        (report["people"].as_u64(), report["changed"].as_u64()),
        (Some(1), Some(1))
    );
    let latest = history(&data, person).pop().unwrap();
    assert_eq!(
        (latest.colour, latest.cause),
        (Colour::Green, RatingCause::Expiry)
    );

    let again = healthcode(&data, &["ratings", "rerate-due"], "");
    assert!(again.status.success(), "{}", stderr_of(&again));
    assert!(
        stdout_of(&again).starts_with("Re-rated 0 residents"),
        "{}",
        stdout_of(&again)
    );
}
