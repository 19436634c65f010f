//! The behaviours of the officials' dashboard: counts over everyone, audited once.

#[allow(unused_imports)]
use super::*;

use crate::{ColourCounts, DashboardQuery, DistrictColours};

/// Four days, 11 to 14 February 2026, in China Standard Time: each day ends at 16:00 UTC.
fn four_days() -> DashboardQuery {
    DashboardQuery {
        first_day: Date::new(2026, 2, 11).unwrap(),
        last_day: Date::new(2026, 2, 14).unwrap(),
        offset: jiff::tz::offset(8),
    }
}

fn dashboard_access() -> Access {
    Access::new(
        official(),
        Purpose::CaseInvestigation,
        at("2026-02-14T12:00:00Z"),
    )
}

fn rate(store: &dyn Store, person: &Person, colour: Colour, rated_at: &str) -> u64 {
    let rule_ids: &[&str] = if colour == Colour::Green {
        &[]
    } else {
        &["confirmed_case"]
    };
    store
        .record_rating(
            &rating_access(),
            person.id,
            &rating(colour, None, rule_ids, rated_at),
            &RatingCause::Request,
        )
        .expect("the rating is recorded");
    store
        .rating_history(&rating_access(), person.id)
        .expect("the history reads")
        .last()
        .expect("a rating")
        .sequence
}

fn counts(green: u64, yellow: u64, red: u64) -> ColourCounts {
    ColourCounts { green, yellow, red }
}

pub fn the_dashboard_counts_current_colours_by_district_and_each_days_colours_from_history(
    store: &dyn Store,
) {
    let people = four_residents_enrolled(store);
    let (zhang, li, wang) = (&people[0], &people[1], &people[2]);
    // 赵六 (people[3]) is never rated: enrolled, but counted under no colour.
    rate(store, wang, Colour::Green, "2026-02-11T01:00:00Z");
    rate(store, li, Colour::Green, "2026-02-12T00:00:00Z");
    rate(store, li, Colour::Yellow, "2026-02-13T12:00:00Z");
    rate(store, zhang, Colour::Red, "2026-02-13T00:00:00Z");
    // After the last day ended: not in any day, but the current colour.
    rate(store, wang, Colour::Yellow, "2026-02-14T17:00:00Z");

    let dashboard = store.dashboard(&dashboard_access(), &four_days()).unwrap();

    assert_eq!(dashboard.residents, 4);
    assert_eq!(dashboard.colours, counts(0, 2, 1));
    assert_eq!(
        dashboard.districts,
        vec![
            DistrictColours {
                district: RegionCode::parse("110105").unwrap(),
                colours: counts(0, 1, 0),
            },
            DistrictColours {
                district: RegionCode::parse("330106").unwrap(),
                colours: counts(0, 1, 1),
            },
        ]
    );
    let by_day: Vec<(Date, ColourCounts)> = dashboard
        .days
        .iter()
        .map(|day| (day.day, day.colours))
        .collect();
    assert_eq!(
        by_day,
        vec![
            (Date::new(2026, 2, 11).unwrap(), counts(1, 0, 0)),
            (Date::new(2026, 2, 12).unwrap(), counts(2, 0, 0)),
            (Date::new(2026, 2, 13).unwrap(), counts(1, 1, 1)),
            (Date::new(2026, 2, 14).unwrap(), counts(1, 1, 1)),
        ]
    );
}

pub fn the_dashboard_counts_cases_and_contacts_by_day_and_the_appeals_waiting_and_decided(
    store: &dyn Store,
) {
    let people = four_residents_enrolled(store);
    let (zhang, li, wang, zhao) = (&people[0], &people[1], &people[2], &people[3]);
    // 20:00 UTC on the 12th is 04:00 on the 13th in China.
    let confirmed = case(CaseStatus::Confirmed, "2026-02-12T20:00:00Z");
    store
        .record_case(&investigation(), zhang.id, &confirmed)
        .unwrap();
    let suspected = case(CaseStatus::Suspected, "2026-02-11T10:00:00Z");
    store
        .record_case(&investigation(), zhao.id, &suspected)
        .unwrap();
    // Before the first day: not counted.
    let earlier = case(CaseStatus::Confirmed, "2026-02-10T10:00:00Z");
    store
        .record_case(&investigation(), wang.id, &earlier)
        .unwrap();
    // Found 30 hours after the last exposure: 06:00 UTC on the 13th.
    let mut household = contact(
        &confirmed,
        ContactSetting::Household,
        "2026-02-12T00:00:00Z",
    );
    store
        .record_contact(&investigation(), li.id, &household)
        .unwrap();
    household.contact = ContactId::from_uuid(random_uuid());
    household.degree = ContactDegree::Secondary;
    store
        .record_contact(&investigation(), wang.id, &household)
        .unwrap();
    // Found again the same day, through another case: one person, counted once.
    let again = contact(
        &suspected,
        ContactSetting::Household,
        "2026-02-12T00:00:00Z",
    );
    store
        .record_contact(&investigation(), li.id, &again)
        .unwrap();

    let decided_quickly = filed(
        store,
        appeal_against(
            wang,
            rate(store, wang, Colour::Yellow, "2026-02-13T01:00:00Z"),
            "synthetic",
            "2026-02-13T09:00:00Z",
        ),
    );
    let decided_slowly = filed(
        store,
        appeal_against(
            zhang,
            rate(store, zhang, Colour::Red, "2026-02-13T01:00:00Z"),
            "synthetic",
            "2026-02-13T09:00:00Z",
        ),
    );
    filed(
        store,
        appeal_against(
            li,
            rate(store, li, Colour::Red, "2026-02-13T01:00:00Z"),
            "synthetic",
            "2026-02-13T10:00:00Z",
        ),
    );
    for (appeal, decided_at) in [
        (&decided_quickly, "2026-02-13T11:00:00Z"),
        (&decided_slowly, "2026-02-14T09:00:00Z"),
    ] {
        store
            .decide_appeal(
                &appeal_review(),
                &decision(appeal, AppealOutcome::Uphold, decided_at),
            )
            .unwrap();
    }

    let dashboard = store.dashboard(&dashboard_access(), &four_days()).unwrap();

    let by_day: Vec<(u64, u64, u64, u64)> = dashboard
        .days
        .iter()
        .map(|day| {
            (
                day.cases,
                day.confirmed_cases,
                day.close_contacts,
                day.secondary_contacts,
            )
        })
        .collect();
    assert_eq!(
        by_day,
        vec![(1, 0, 0, 0), (0, 0, 0, 0), (1, 1, 1, 1), (0, 0, 0, 0)]
    );
    assert_eq!(dashboard.appeals_waiting, 1);
    assert_eq!(dashboard.appeals_decided, 2);
    // Two hours and a day: the lower middle of an even number.
    assert_eq!(
        dashboard.median_time_to_decision,
        Some(SignedDuration::from_hours(2))
    );
}

pub fn reading_the_dashboard_is_audited_once_without_a_subject_counting_the_rated(
    store: &dyn Store,
) {
    let empty = store.dashboard(&dashboard_access(), &four_days()).unwrap();
    assert_eq!(empty.residents, 0);
    assert_eq!(empty.days.len(), 4);
    assert_eq!(empty.median_time_to_decision, None);
    let people = four_residents_enrolled(store);
    rate(store, &people[0], Colour::Red, "2026-02-13T00:00:00Z");
    rate(store, &people[1], Colour::Green, "2026-02-13T00:00:00Z");
    let before = audit_trail(store).len();
    store.dashboard(&dashboard_access(), &four_days()).unwrap();
    let trail = audit_trail(store);
    // The auditor's read of the trail before, then the dashboard's one record.
    assert_eq!(trail.len(), before + 2);
    assert_eq!(
        summary(trail.last().unwrap()),
        (
            official(),
            Purpose::CaseInvestigation,
            AuditAction::ReadRatings,
            None,
            2,
            AuditOutcome::Success,
        )
    );
}
