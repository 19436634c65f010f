//! The behaviours of tracing: cases, trips and boardings, households, the visit index and the
//! contacts tracing records.

use healthcode_core::trace::{Dismissal, Interval, Traced, TracedContact, TracingPolicy};
use healthcode_core::{Boarding, HouseholdCode, TransitMode, Trip, TripId};

use super::*;

// Behaviours.

pub fn boardings_are_stored_once_and_a_trip_resent_with_other_details_conflicts(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let flight = trip(TransitMode::Flight, "CA1501", "2026-02-08T01:00:00Z");
    let seated = boarding(&zhang, &flight, "2026-02-08T00:40:00Z", Some("12C"));
    let access = transit_report();
    assert_eq!(
        store
            .ingest_boardings(&access, std::slice::from_ref(&flight), &[seated, seated])
            .unwrap(),
        IngestReport {
            stored: 1,
            duplicates: 1
        }
    );
    assert_eq!(
        store
            .ingest_boardings(&access, std::slice::from_ref(&flight), &[seated])
            .unwrap(),
        IngestReport {
            stored: 0,
            duplicates: 1
        }
    );
    let moved = Trip::new(flight.id, TransitMode::Flight, "CA1502", flight.departs_at).unwrap();
    let error = store.ingest_boardings(&access, &[moved], &[]).unwrap_err();
    assert!(matches!(error, StoreError::Conflict(_)), "{error:?}");

    let unknown_trip = trip(TransitMode::Bus, "B12", "2026-02-08T08:00:00Z");
    let error = store
        .ingest_boardings(
            &access,
            &[],
            &[boarding(
                &zhang,
                &unknown_trip,
                "2026-02-08T08:01:00Z",
                None,
            )],
        )
        .unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::UnknownReference {
                index: 0,
                reference: Reference::Trip
            }
        ),
        "{error:?}"
    );
}

pub fn tracing_a_case_finds_its_venue_trip_and_household_contacts_with_their_evidence(
    store: &dyn Store,
) {
    let people = four_residents_enrolled(store);
    let (case_person, at_dinner, on_flight, at_home) =
        (&people[0], &people[1], &people[2], &people[3]);
    let restaurant = registered(store, venue("Lou Wai Lou", "24/7"));
    store
        .ingest_check_ins(
            &bulk_import(),
            &[
                check_in(
                    case_person,
                    &restaurant,
                    "2026-02-07T11:00:00Z",
                    Some("2026-02-07T12:00:00Z"),
                ),
                // Fifteen minutes together, the default minimum: a close contact.
                check_in(
                    at_dinner,
                    &restaurant,
                    "2026-02-07T11:45:00Z",
                    Some("2026-02-07T13:00:00Z"),
                ),
                // Fourteen minutes together: not.
                check_in(
                    on_flight,
                    &restaurant,
                    "2026-02-07T10:00:00Z",
                    Some("2026-02-07T11:14:00Z"),
                ),
            ],
        )
        .unwrap();
    let flight = trip(TransitMode::Flight, "CA1501", "2026-02-08T01:00:00Z");
    store
        .ingest_boardings(
            &transit_report(),
            std::slice::from_ref(&flight),
            &[
                boarding(case_person, &flight, "2026-02-08T00:40:00Z", Some("12C")),
                boarding(on_flight, &flight, "2026-02-08T00:45:00Z", Some("14A")),
                // Five rows away: not near enough.
                boarding(at_home, &flight, "2026-02-08T00:50:00Z", Some("17C")),
            ],
        )
        .unwrap();
    let household = HouseholdCode::parse("330106-0001").unwrap();
    store
        .register_households(
            &investigation(),
            &[(case_person.id, household.clone()), (at_home.id, household)],
        )
        .unwrap();
    let case = traced_case("2026-02-08T10:00:00Z", "2026-02-09T08:00:00Z");
    store
        .record_case(&investigation(), case_person.id, &case)
        .unwrap();

    let before = audit_length(store);
    let (person, record, traced) = store
        .trace_case(
            &investigation_at("2026-02-10T00:00:00Z"),
            case.case,
            &TracingPolicy::default(),
        )
        .unwrap();
    assert_eq!((person, record), (case_person.id, case));
    assert_eq!(
        traced.window,
        Interval::new(at("2026-02-06T10:00:00Z"), at("2026-02-09T08:00:00Z"))
    );
    let close: Vec<TracedContact> = traced.close().copied().collect();
    let expected = vec![
        traced_contact(
            at_dinner,
            ContactSetting::Venue(restaurant.id),
            "2026-02-07T11:45:00Z",
            "2026-02-07T12:00:00Z",
        ),
        traced_contact(
            on_flight,
            ContactSetting::Trip(flight.id),
            "2026-02-08T00:45:00Z",
            "2026-02-08T03:40:00Z",
        ),
        traced_contact(
            at_home,
            ContactSetting::Household,
            "2026-02-06T10:00:00Z",
            "2026-02-09T08:00:00Z",
        ),
    ];
    let mut expected = expected;
    expected.sort_by_key(|contact| (contact.person, contact.setting));
    assert_eq!(close, expected);
    assert_eq!(
        audit_since(store, before),
        vec![(
            official(),
            Purpose::CaseInvestigation,
            AuditAction::TraceCase,
            Some(case_person.id),
            traced.contacts.len() as u64,
            AuditOutcome::Success,
        )]
    );
}

pub fn traced_contacts_are_recorded_once_and_tracing_again_stores_only_new_ones(store: &dyn Store) {
    let people = four_residents_enrolled(store);
    let case = traced_case("2026-02-08T10:00:00Z", "2026-02-09T08:00:00Z");
    store
        .record_case(&investigation(), people[0].id, &case)
        .unwrap();
    let found = [
        traced_contact(
            &people[1],
            ContactSetting::Household,
            "2026-02-06T10:00:00Z",
            "2026-02-09T08:00:00Z",
        ),
        TracedContact {
            degree: ContactDegree::Secondary,
            via: Some(people[1].id),
            ..traced_contact(
                &people[2],
                ContactSetting::Household,
                "2026-02-07T10:00:00Z",
                "2026-02-09T08:00:00Z",
            )
        },
    ];
    let with_ids = |contacts: &[TracedContact]| -> Vec<(ContactId, TracedContact)> {
        contacts
            .iter()
            .map(|contact| (ContactId::from_uuid(random_uuid()), *contact))
            .collect()
    };
    let first = investigation_at("2026-02-10T00:00:00Z");
    let stored = store
        .record_traced_contacts(&first, case.case, &with_ids(&found))
        .unwrap();
    assert_eq!(stored.len(), 2);
    assert!(
        stored
            .iter()
            .all(|(_, contact)| contact.found_at == first.at)
    );

    let again = investigation_at("2026-02-11T00:00:00Z");
    let newly = traced_contact(
        &people[3],
        ContactSetting::Nearby,
        "2026-02-08T09:00:00Z",
        "2026-02-08T09:30:00Z",
    );
    let stored_again = store
        .record_traced_contacts(&again, case.case, &with_ids(&[found[0], found[1], newly]))
        .unwrap();
    assert_eq!(
        stored_again
            .iter()
            .map(|(person, _)| *person)
            .collect::<Vec<_>>(),
        vec![people[3].id]
    );

    let records = store.contacts_of_case(&investigation(), case.case).unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(
        records
            .iter()
            .map(|record| record.contact.degree)
            .collect::<Vec<_>>(),
        {
            let mut close = vec![ContactDegree::Close, ContactDegree::Close];
            close.push(ContactDegree::Secondary);
            close
        },
        "close contacts come first"
    );
    let secondary = &records[2];
    assert_eq!(secondary.person, people[2].id);
    assert_eq!(secondary.via, Some(people[1].id));
    assert_eq!(secondary.contact.together, found[1].together);
    assert_eq!(secondary.contact.found_at, first.at);

    let error = store
        .record_traced_contacts(&again, CaseId::from_uuid(random_uuid()), &with_ids(&found))
        .unwrap_err();
    assert_eq!(not_found(&Err::<(), _>(error)), Some("case"));
}

pub fn a_dismissed_contact_keeps_its_reason_and_counts_for_nothing_from_then_on(store: &dyn Store) {
    let people = four_residents_enrolled(store);
    let case = traced_case("2026-02-08T10:00:00Z", "2026-02-09T08:00:00Z");
    store
        .record_case(&investigation(), people[0].id, &case)
        .unwrap();
    let id = ContactId::from_uuid(random_uuid());
    let found = traced_contact(
        &people[1],
        ContactSetting::Household,
        "2026-02-06T10:00:00Z",
        "2026-02-09T08:00:00Z",
    );
    store
        .record_traced_contacts(&investigation(), case.case, &[(id, found)])
        .unwrap();

    let dismissal = investigation_at("2026-02-10T09:00:00Z");
    let reason = "moved out in January; the register was out of date";
    let before = audit_length(store);
    assert_eq!(
        store.dismiss_contact(&dismissal, id, reason).unwrap(),
        people[1].id
    );
    let error = store.dismiss_contact(&dismissal, id, reason).unwrap_err();
    assert!(matches!(error, StoreError::Conflict(_)), "{error:?}");
    let result = store.dismiss_contact(&dismissal, ContactId::from_uuid(random_uuid()), reason);
    assert_eq!(not_found(&result), Some("contact"));
    let of = |subject, outcome| {
        (
            official(),
            Purpose::CaseInvestigation,
            AuditAction::DismissContact,
            subject,
            1,
            outcome,
        )
    };
    assert_eq!(
        audit_since(store, before),
        vec![
            of(Some(people[1].id), AuditOutcome::Success),
            of(Some(people[1].id), AuditOutcome::Conflict),
            of(None, AuditOutcome::NotFound),
        ]
    );

    let records = store.contacts_of_case(&investigation(), case.case).unwrap();
    assert_eq!(
        records[0].dismissal,
        Some(Dismissal {
            at: dismissal.at,
            by: Some(official_id()),
            reason: reason.to_owned(),
        })
    );
    let facts = store.facts_of(&rating_access(), people[1].id).unwrap();
    assert_eq!(facts.contacts[0].dismissed_at, Some(dismissal.at));
}

pub fn tracing_or_reading_an_unknown_case_is_refused_as_not_found_and_audited(store: &dyn Store) {
    let unknown = CaseId::from_uuid(random_uuid());
    let before = audit_length(store);
    let result = store.trace_case(&investigation(), unknown, &TracingPolicy::default());
    assert_eq!(not_found(&result), Some("case"));
    let result = store.contacts_of_case(&investigation(), unknown);
    assert_eq!(not_found(&result), Some("case"));
    let result = store.case(&investigation(), unknown);
    assert_eq!(not_found(&result), Some("case"));
    let of = |action| {
        (
            official(),
            Purpose::CaseInvestigation,
            action,
            None,
            0,
            AuditOutcome::NotFound,
        )
    };
    assert_eq!(
        audit_since(store, before),
        vec![
            of(AuditAction::TraceCase),
            of(AuditAction::ReadContacts),
            of(AuditAction::ReadCase),
        ]
    );
}

pub fn cases_traced_together_are_traced_each_as_alone_and_recorded_all_or_none(store: &dyn Store) {
    let people = four_residents_enrolled(store);
    let households = [("330106-0001", 0, 1), ("330106-0002", 2, 3)];
    let mut members = Vec::new();
    for (code, first, second) in households {
        let code = HouseholdCode::parse(code).unwrap();
        members.push((people[first].id, code.clone()));
        members.push((people[second].id, code));
    }
    store
        .register_households(&investigation(), &members)
        .unwrap();
    let cases: Vec<CaseRecord> = [0, 2]
        .into_iter()
        .map(|index| {
            let case = traced_case("2026-02-08T10:00:00Z", "2026-02-09T08:00:00Z");
            store
                .record_case(&investigation(), people[index].id, &case)
                .unwrap();
            case
        })
        .collect();
    let ids: Vec<CaseId> = cases.iter().map(|case| case.case).collect();
    let tracing = investigation_at("2026-02-10T00:00:00Z");
    let policy = TracingPolicy::default();

    let before = audit_length(store);
    let together = store.trace_cases(&tracing, &ids, &policy).unwrap();
    let alone: Vec<_> = ids
        .iter()
        .map(|case| store.trace_case(&tracing, *case, &policy).unwrap())
        .collect();
    assert_eq!(together, alone);
    assert_eq!(together[1].2.contacts[0].person, people[3].id);
    let traced = |person: &Person| {
        (
            official(),
            Purpose::CaseInvestigation,
            AuditAction::TraceCase,
            Some(person.id),
            1,
            AuditOutcome::Success,
        )
    };
    assert_eq!(
        audit_since(store, before)[..2],
        [traced(&people[0]), traced(&people[2])]
    );

    // An unknown case among them: refused, audited as not found beside the others' traces.
    let unknown = CaseId::from_uuid(random_uuid());
    let before = audit_length(store);
    let result = store.trace_cases(&tracing, &[ids[0], unknown], &policy);
    assert_eq!(not_found(&result), Some("case"));
    let trail = audit_since(store, before);
    assert_eq!(trail[0], traced(&people[0]));
    assert_eq!(
        (trail[1].2, trail[1].3, trail[1].5),
        (AuditAction::TraceCase, None, AuditOutcome::NotFound)
    );

    let with_ids = |traced: &Traced| -> Vec<(ContactId, TracedContact)> {
        traced
            .contacts
            .iter()
            .map(|contact| (ContactId::from_uuid(random_uuid()), *contact))
            .collect()
    };
    let result = store.record_traced_cases(
        &tracing,
        &[
            (ids[0], with_ids(&together[0].2)),
            (unknown, with_ids(&together[1].2)),
        ],
    );
    assert_eq!(not_found(&result), Some("case"));
    assert_eq!(
        store.contacts_of_case(&investigation(), ids[0]).unwrap(),
        vec![],
        "nothing is recorded when one of the cases is unknown"
    );

    let recorded: Vec<(CaseId, Vec<(ContactId, TracedContact)>)> = ids
        .iter()
        .zip(&together)
        .map(|(case, (_, _, traced))| (*case, with_ids(traced)))
        .collect();
    let stored = store.record_traced_cases(&tracing, &recorded).unwrap();
    for ((case, contacts), stored) in recorded.iter().zip(&stored) {
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].1.contact, contacts[0].0);
        assert_eq!(stored[0].1.case, *case);
        let records = store.contacts_of_case(&investigation(), *case).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].person, stored[0].0);
    }
    // Recording them again stores nothing new.
    let again = store.record_traced_cases(&tracing, &recorded).unwrap();
    assert_eq!(again, vec![vec![], vec![]]);
}

pub fn a_person_registered_in_another_household_moves_there(store: &dyn Store) {
    let people = four_residents_enrolled(store);
    let first = HouseholdCode::parse("330106-0001").unwrap();
    let second = HouseholdCode::parse("330106-0002").unwrap();
    let report = store
        .register_households(
            &investigation(),
            &[
                (people[0].id, first.clone()),
                (people[1].id, first.clone()),
                (people[2].id, second.clone()),
                (people[1].id, first.clone()),
            ],
        )
        .unwrap();
    assert_eq!(
        report,
        IngestReport {
            stored: 3,
            duplicates: 1
        }
    );
    store
        .register_households(&investigation(), &[(people[1].id, second)])
        .unwrap();
    let case = traced_case("2026-02-08T10:00:00Z", "2026-02-09T08:00:00Z");
    store
        .record_case(&investigation(), people[0].id, &case)
        .unwrap();
    let (_, _, traced) = store
        .trace_case(&investigation(), case.case, &TracingPolicy::default())
        .unwrap();
    assert_eq!(traced.contacts, Vec::new(), "the case now lives alone");

    let nobody = resident("330106199001011256", "张三明", "13800138000").id;
    let error = store
        .register_households(
            &investigation(),
            &[
                (people[2].id, first),
                (nobody, HouseholdCode::parse("x").unwrap()),
            ],
        )
        .unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::UnknownReference {
                index: 1,
                reference: Reference::Person
            }
        ),
        "{error:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Fixtures of this section.

fn transit_report() -> Access {
    Access::new(
        Actor::Staff {
            id: StaffId::from_bytes([0x7a; 16]),
            role: Role::TransitOperator,
        },
        Purpose::TransitReport,
        at("2026-02-08T06:00:00Z"),
    )
}

fn investigation_at(when: &str) -> Access {
    Access {
        at: at(when),
        ..investigation()
    }
}

fn trip(mode: TransitMode, code: &str, departs_at: &str) -> Trip {
    Trip::new(TripId::from_uuid(random_uuid()), mode, code, at(departs_at)).unwrap()
}

fn boarding(person: &Person, trip: &Trip, boarded: &str, seat: Option<&str>) -> Boarding {
    Boarding::new(
        new_event_id(),
        trip.id,
        person.id,
        at(boarded),
        None,
        seat.map(|seat| seat.parse().unwrap()),
    )
    .unwrap()
}

/// A confirmed case with symptoms from `onset`, isolated at `isolated_at`.
fn traced_case(onset: &str, isolated_at: &str) -> CaseRecord {
    CaseRecord {
        onset: at(onset),
        isolated_at: at(isolated_at),
        ..case(CaseStatus::Confirmed, isolated_at)
    }
}

fn traced_contact(
    person: &Person,
    setting: ContactSetting,
    first: &str,
    last: &str,
) -> TracedContact {
    TracedContact {
        person: person.id,
        degree: ContactDegree::Close,
        setting,
        first_exposure: at(first),
        last_exposure: at(last),
        together: at(last).duration_since(at(first)),
        via: None,
    }
}
