//! `healthcode follow-up missed`: the residents in isolation whom nobody checked on a day.

use std::path::Path;

use healthcode_core::follow_up::FollowUpCheck;
use healthcode_core::rating::{
    CaseId, CaseRecord, CaseStatus, Contact, ContactDegree, ContactId, ContactSetting,
};
use healthcode_core::{Access, Actor, Date, PersonId, Purpose, Temperature, Timestamp};
use healthcode_server::rating_service;
use healthcode_store::{SqliteStore, Store};
use jiff::SignedDuration;
use jiff::tz::{Offset, TimeZone};

use crate::seed::{enrol, hours_ago};
use crate::{healthcode, stderr_of, stdout_of};

/// The day `at` falls on in China, where the default policy reads days.
fn day_in_china(at: Timestamp) -> Date {
    at.to_zoned(TimeZone::fixed(Offset::constant(8))).date()
}

/// Enrols residents 41 (a confirmed case), 42 and 43 (its close contacts) and 44 (nobody's
/// contact), and records a worker's check of 43 about `day`. Answers the people in that order.
fn isolated_residents_one_checked(data: &Path, day: Date) -> Vec<PersonId> {
    let store = SqliteStore::open(data).unwrap();
    let people: Vec<PersonId> = (41..=44)
        .map(|serial| enrol(&store, serial, hours_ago(72)))
        .collect();
    let now = hours_ago(1);
    let (policy, _) = healthcode_cli::ratings::active_policy(&store, now).unwrap();
    let access = Access::new(Actor::LocalOperator, Purpose::CaseInvestigation, now);
    let case = CaseRecord {
        case: CaseId::from_uuid(uuid::Uuid::new_v4()),
        status: CaseStatus::Confirmed,
        since: now,
        onset: now - SignedDuration::from_hours(48),
        isolated_at: now,
        released_at: None,
    };
    rating_service::record_case(&store, &access, &policy, people[0], &case).unwrap();
    for person in &people[1..3] {
        let last_exposure = now - SignedDuration::from_hours(24);
        let contact = Contact {
            contact: ContactId::from_uuid(uuid::Uuid::new_v4()),
            case: case.case,
            degree: ContactDegree::Close,
            setting: ContactSetting::Household,
            first_exposure: last_exposure - SignedDuration::from_hours(1),
            last_exposure,
            together: SignedDuration::from_hours(1),
            found_at: now,
            dismissed_at: None,
        };
        rating_service::record_contact(&store, &access, &policy, *person, &contact).unwrap();
    }
    let follow_up = Access::new(Actor::LocalOperator, Purpose::QuarantineFollowUp, now);
    let check = FollowUpCheck {
        event_id: uuid::Uuid::new_v4().to_string().parse().unwrap(),
        day,
        checked_at: now,
        temperature: Temperature::from_celsius(36.6).unwrap(),
        symptoms: Default::default(),
    };
    store
        .record_follow_up_check(&follow_up, people[2], &check)
        .unwrap();
    people
}

fn json_of(output: &std::process::Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", stderr_of(output));
    serde_json::from_str(&stdout_of(output))
        .unwrap_or_else(|error| panic!("{error}: {}", stdout_of(output)))
}

#[test]
fn follow_up_missed_lists_the_isolated_residents_nobody_checked_with_name_and_phone() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let day = day_in_china(hours_ago(1));
    let people = isolated_residents_one_checked(&data, day);
    let day_text = day.to_string();

    let listed = json_of(&healthcode(
        &data,
        &["follow-up", "missed", "--day", &day_text, "--json"],
        "",
    ));
    assert_eq!(listed["day"], day_text);
    let mut expected = vec![people[0].to_string(), people[1].to_string()];
    expected.sort();
    let ids: Vec<&str> = listed["residents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|resident| resident["person_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, expected);
    assert_eq!(listed["residents"][0]["name"], "张三明");
    assert_eq!(listed["residents"][0]["phone"], "13800138000");

    let text = healthcode(&data, &["follow-up", "missed", "--day", &day_text], "");
    assert!(text.status.success(), "{}", stderr_of(&text));
    let text = stdout_of(&text);
    assert!(
        text.starts_with(&format!(
            "2 residents in isolation had no check on {day_text}:\n"
        )),
        "{text}"
    );
    assert!(text.contains(&people[0].to_string()), "{text}");
    assert!(!text.contains(&people[2].to_string()), "checked: {text}");
    assert!(
        !text.contains(&people[3].to_string()),
        "not isolated: {text}"
    );
    assert!(
        text.contains("330106********04"),
        "the masked ID number: {text}"
    );
    assert!(text.contains("13800138000"), "{text}");
}

#[test]
fn follow_up_missed_reads_yesterday_by_default_as_a_named_worker_and_refuses_other_roles() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    isolated_residents_one_checked(&data, day_in_china(hours_ago(1)));
    for (username, role) in [("worker.wang", "community_worker"), ("hr.li", "employer")] {
        let created = healthcode(
            &data,
            &[
                "admin",
                "create-user",
                "--username",
                username,
                "--role",
                role,
                "--password-stdin",
            ],
            "a long enough password\n",
        );
        assert!(created.status.success(), "{}", stderr_of(&created));
    }

    let before = day_in_china(Timestamp::now()).yesterday().unwrap();
    let listed = json_of(&healthcode(
        &data,
        &["follow-up", "missed", "--as", "worker.wang", "--json"],
        "",
    ));
    let after = day_in_china(Timestamp::now()).yesterday().unwrap();
    let day = listed["day"].as_str().unwrap().to_owned();
    assert!(
        [before.to_string(), after.to_string()].contains(&day),
        "{day} is yesterday in China"
    );

    let refused = healthcode(&data, &["follow-up", "missed", "--as", "hr.li"], "");
    assert!(!refused.status.success());
    assert!(
        stderr_of(&refused).contains("--as: hr.li has the role employer"),
        "{}",
        stderr_of(&refused)
    );
    let future = day_in_china(Timestamp::now() + SignedDuration::from_hours(48)).to_string();
    let refused = healthcode(&data, &["follow-up", "missed", "--day", &future], "");
    assert!(!refused.status.success());
    assert!(
        stderr_of(&refused).contains("--day: should not be after today"),
        "{}",
        stderr_of(&refused)
    );
}
