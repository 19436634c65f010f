//! The behaviours of phone data: cells, pings reduced to daily stays, the itinerary, retention
//! and proximity search.

use healthcode_core::phone::proximity::{
    CandidateReview, CandidateStay, ProximityQuery, ProximitySearch, ProximitySearchId,
    ReviewDecision,
};
use healthcode_core::rating::{RegionStay, StaySource};
use healthcode_core::{Cell, CellId, CellPing, City, CityDay};
use jiff::tz::Offset;

use super::*;
use crate::{PhonePurgeReport, PingIngestReport};

// ---------------------------------------------------------------------------------------------
// Fixtures. Every cell and ping below is synthetic.

/// Beijing time, the offset days are read in.
const BEIJING: Offset = Offset::constant(8);

fn network() -> Actor {
    Actor::Staff {
        id: StaffId::from_bytes([0x46; 16]),
        role: Role::PhoneNetwork,
    }
}

fn phone_data(at_text: &str) -> Access {
    Access::new(network(), Purpose::PhoneData, at(at_text))
}

fn retention(at_text: &str) -> Access {
    Access::new(Actor::System, Purpose::DataRetention, at(at_text))
}

fn city(code: &str) -> City {
    City::of(RegionCode::parse(code).expect("a valid region")).expect("a city")
}

fn cell(id: &str, latitude: f64, longitude: f64, region: &str) -> Cell {
    Cell {
        id: CellId::parse(id).expect("a valid cell id"),
        location: GeoPoint::new(latitude, longitude).expect("a valid point"),
        city: city(region),
        registered_at: at("2026-01-15T00:00:00.250Z"),
    }
}

/// Three cells: at Wulin Square in Hangzhou, about 220 m north of it, and in Shanghai.
fn three_cells_registered(store: &dyn Store) -> [Cell; 3] {
    let cells = [
        cell("460-00-4101-1", 30.2741, 120.1551, "330106"),
        cell("460-00-4101-2", 30.2761, 120.1551, "330103"),
        cell("460-00-2101-7", 31.2304, 121.4737, "310101"),
    ];
    store
        .register_cells(&phone_data("2026-01-15T00:00:00Z"), &cells)
        .expect("the cells are registered");
    cells
}

fn ping(cell: &Cell, seen_at: &str) -> CellPing {
    CellPing {
        event_id: new_event_id(),
        cell: cell.id.clone(),
        seen_at: at(seen_at),
    }
}

fn ingest(store: &dyn Store, pings: &[(PersonId, CellPing)]) -> PingIngestReport {
    store
        .ingest_cell_pings(&phone_data("2026-02-11T23:00:00Z"), pings, BEIJING)
        .expect("the pings are stored")
}

fn itinerary_of(store: &dyn Store, person: PersonId) -> Vec<CityDay> {
    store
        .city_days_of(
            &investigation(),
            person,
            Date::new(2026, 1, 1).unwrap(),
            Date::new(2026, 3, 31).unwrap(),
        )
        .expect("the itinerary reads")
}

/// A person's city days as `(day, city, first seen, last seen)`.
fn days_of(store: &dyn Store, person: PersonId) -> Vec<(String, String, Timestamp, Timestamp)> {
    itinerary_of(store, person)
        .iter()
        .map(|day| {
            (
                day.day.to_string(),
                day.city.to_string(),
                day.first_seen,
                day.last_seen,
            )
        })
        .collect()
}

fn search_for(case: &CaseRecord, radius_metres: u32, from: &str, until: &str) -> ProximitySearch {
    ProximitySearch {
        id: ProximitySearchId::from_uuid(random_uuid()),
        case: case.case,
        query: ProximityQuery::new(
            GeoPoint::new(30.2741, 120.1551).unwrap(),
            radius_metres,
            at(from),
            at(until),
        )
        .expect("a valid query"),
        purpose: "Wulin Square noodle shop: case 1 ate there on 9 Feb.".to_owned(),
        searched_by: official_id(),
        searched_at: at("2026-02-12T10:00:00Z"),
    }
}

fn review(decision: ReviewDecision, reason: &str, contact: Option<ContactId>) -> CandidateReview {
    CandidateReview {
        decision,
        reason: reason.to_owned(),
        reviewed_by: official_id(),
        reviewed_at: at("2026-02-12T11:00:00Z"),
        contact,
    }
}

/// The last audit record of `action`.
fn last_audit_record_of(store: &dyn Store, action: AuditAction) -> AuditRecord {
    audit_trail(store)
        .into_iter()
        .rev()
        .find(|record| record.action == action)
        .expect("an audit record of the action")
}

/// A case recorded for `person`, confirmed on 11 Feb.
fn open_case(store: &dyn Store, person: PersonId) -> CaseRecord {
    let case = case(CaseStatus::Confirmed, "2026-02-11T12:00:00Z");
    store.record_case(&investigation(), person, &case).unwrap();
    case
}

// Behaviours.

pub fn cells_are_registered_once_read_back_exactly_and_a_moved_cell_is_a_conflict(
    store: &dyn Store,
) {
    let cells = three_cells_registered(store);
    let unknown = CellId::parse("460-00-1-1").unwrap();
    let ids = [cells[2].id.clone(), unknown, cells[0].id.clone()];
    assert_eq!(
        store.cells(&ids).unwrap(),
        vec![Some(cells[2].clone()), None, Some(cells[0].clone())]
    );
    assert_eq!(
        cells[1].city.to_string(),
        "330100",
        "a district names its city"
    );

    let resent = Cell {
        registered_at: at("2026-02-01T00:00:00Z"),
        ..cells[0].clone()
    };
    let new = cell("460-00-4101-3", 30.28, 120.16, "330100");
    let report = store
        .register_cells(&phone_data("2026-02-01T00:00:00Z"), &[resent, new.clone()])
        .unwrap();
    assert_eq!(
        report,
        IngestReport {
            stored: 1,
            duplicates: 1
        }
    );
    assert_eq!(
        store.cells(std::slice::from_ref(&cells[0].id)).unwrap(),
        vec![Some(cells[0].clone())],
        "a resend keeps the first registration"
    );

    let moved = cell("460-00-4101-1", 30.3, 120.2, "330106");
    let another = cell("460-00-4101-4", 30.29, 120.17, "330100");
    let refused = store.register_cells(
        &phone_data("2026-02-02T00:00:00Z"),
        &[another.clone(), moved],
    );
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    assert_eq!(
        store.cells(&[another.id]).unwrap(),
        vec![None],
        "nothing stored"
    );
    let trail = audit_trail(store);
    let registrations: Vec<AuditSummary> = trail
        .iter()
        .filter(|record| record.action == AuditAction::RegisterCells)
        .map(summary)
        .collect();
    assert_eq!(
        registrations,
        vec![
            (
                network(),
                Purpose::PhoneData,
                AuditAction::RegisterCells,
                None,
                3,
                AuditOutcome::Success
            ),
            (
                network(),
                Purpose::PhoneData,
                AuditAction::RegisterCells,
                None,
                2,
                AuditOutcome::Success
            ),
            (
                network(),
                Purpose::PhoneData,
                AuditAction::RegisterCells,
                None,
                2,
                AuditOutcome::Conflict
            ),
        ]
    );
}

pub fn pings_are_reduced_to_city_days_in_the_offset_given_with_one_audit_record(store: &dyn Store) {
    let [wulin, north, shanghai] = three_cells_registered(store);
    let zhang = enrolled(store, zhang());
    let pings = vec![
        (zhang.id, ping(&wulin, "2026-02-09T09:00:00.125+08:00")),
        (zhang.id, ping(&north, "2026-02-09T12:00:00+08:00")),
        (zhang.id, ping(&wulin, "2026-02-09T18:30:00+08:00")),
        (zhang.id, ping(&shanghai, "2026-02-09T21:00:00+08:00")),
        // Past midnight in Beijing: the next day, though the same day in UTC.
        (zhang.id, ping(&shanghai, "2026-02-10T00:30:00+08:00")),
    ];
    let report = ingest(store, &pings);
    assert_eq!((report.stored, report.duplicates), (5, 0));
    assert_eq!(
        days_of(store, zhang.id),
        vec![
            (
                "2026-02-09".to_owned(),
                "310100".to_owned(),
                at("2026-02-09T13:00:00Z"),
                at("2026-02-09T13:00:00Z")
            ),
            (
                "2026-02-09".to_owned(),
                "330100".to_owned(),
                at("2026-02-09T01:00:00.125Z"),
                at("2026-02-09T10:30:00Z")
            ),
            (
                "2026-02-10".to_owned(),
                "310100".to_owned(),
                at("2026-02-09T16:30:00Z"),
                at("2026-02-09T16:30:00Z")
            ),
        ]
    );
    // The batch lists each city day it added, by the id that names it.
    let mut added = report.new_city_days.clone();
    added.sort();
    let mut named: Vec<(PersonId, EventId)> = itinerary_of(store, zhang.id)
        .iter()
        .map(|day| (zhang.id, day.event_id))
        .collect();
    named.sort();
    assert_eq!(added, named);
    // A narrower window of days reads only its days.
    let one_day = store
        .city_days_of(
            &investigation(),
            zhang.id,
            Date::new(2026, 2, 10).unwrap(),
            Date::new(2026, 2, 10).unwrap(),
        )
        .unwrap();
    assert_eq!(one_day.len(), 1);

    let pinged = audit_trail(store)
        .iter()
        .filter(|record| record.action == AuditAction::IngestCellPings)
        .map(summary)
        .collect::<Vec<_>>();
    assert_eq!(
        pinged,
        vec![(
            network(),
            Purpose::PhoneData,
            AuditAction::IngestCellPings,
            Some(zhang.id),
            5,
            AuditOutcome::Success
        )]
    );
    let read = last_audit_record_of(store, AuditAction::ReadItinerary);
    assert_eq!(
        (read.subject, read.records, read.purpose),
        (Some(zhang.id), 1, Purpose::CaseInvestigation)
    );
}

pub fn resent_pings_are_duplicates_and_later_pings_widen_stays_without_adding_city_days(
    store: &dyn Store,
) {
    let [wulin, _, shanghai] = three_cells_registered(store);
    let zhang = enrolled(store, zhang());
    let first = vec![
        (zhang.id, ping(&wulin, "2026-02-09T09:00:00+08:00")),
        (zhang.id, ping(&wulin, "2026-02-09T10:00:00+08:00")),
    ];
    ingest(store, &first);
    let before = itinerary_of(store, zhang.id);

    // A resend, and a repeat within the batch, store nothing and change nothing.
    let mut resend = first.clone();
    resend.push(first[0].clone());
    let report = ingest(store, &resend);
    assert_eq!(
        report,
        PingIngestReport {
            stored: 0,
            duplicates: 3,
            new_city_days: vec![]
        }
    );
    assert_eq!(itinerary_of(store, zhang.id), before);

    // A later ping the same day in the same city widens the day, keeping its id; a ping in
    // another city adds a day.
    let later = vec![
        (zhang.id, ping(&wulin, "2026-02-09T20:00:00+08:00")),
        (zhang.id, ping(&shanghai, "2026-02-09T22:00:00+08:00")),
    ];
    let report = ingest(store, &later);
    assert_eq!((report.stored, report.duplicates), (2, 0));
    let after = itinerary_of(store, zhang.id);
    let hangzhou = after.iter().find(|day| day.city == city("330100")).unwrap();
    assert_eq!(hangzhou.event_id, before[0].event_id);
    assert_eq!(
        (hangzhou.first_seen, hangzhou.last_seen),
        (at("2026-02-09T01:00:00Z"), at("2026-02-09T12:00:00Z"))
    );
    let shanghai_day = after.iter().find(|day| day.city == city("310100")).unwrap();
    assert_eq!(
        report.new_city_days,
        vec![(zhang.id, shanghai_day.event_id)]
    );
}

pub fn the_same_day_in_the_same_city_has_the_same_event_id_in_every_store(store: &dyn Store) {
    // The id is derived from the person, the day and the city, so a store rebuilt from the same
    // pings names the same evidence. Two people on the same day and city get different ids.
    let [wulin, north, _] = three_cells_registered(store);
    let zhang = enrolled(store, zhang());
    let li = enrolled(store, li());
    ingest(
        store,
        &[(zhang.id, ping(&wulin, "2026-02-09T09:00:00+08:00"))],
    );
    ingest(
        store,
        &[
            (zhang.id, ping(&north, "2026-02-09T11:00:00+08:00")),
            (li.id, ping(&wulin, "2026-02-09T09:00:00+08:00")),
        ],
    );
    let zhangs = itinerary_of(store, zhang.id);
    let lis = itinerary_of(store, li.id);
    assert_eq!((zhangs.len(), lis.len()), (1, 1));
    assert_ne!(zhangs[0].event_id, lis[0].event_id);
    assert_eq!(zhangs[0].event_id.as_uuid().get_version_num(), 8);
}

pub fn a_ping_batch_naming_an_unknown_person_or_cell_stores_nothing_and_is_audited(
    store: &dyn Store,
) {
    let [wulin, _, _] = three_cells_registered(store);
    let zhang = enrolled(store, zhang());
    let stranger = PersonId::from_uuid(random_uuid());
    let nowhere = Cell {
        id: CellId::parse("460-00-9-9").unwrap(),
        ..wulin.clone()
    };
    let batch = vec![
        (zhang.id, ping(&wulin, "2026-02-09T09:00:00+08:00")),
        (zhang.id, ping(&nowhere, "2026-02-09T10:00:00+08:00")),
        (stranger, ping(&wulin, "2026-02-09T11:00:00+08:00")),
    ];
    let refused = store.ingest_cell_pings(&phone_data("2026-02-11T23:00:00Z"), &batch, BEIJING);
    assert_eq!(unknown_reference(&refused), Some((1, Reference::Cell)));
    let refused = store.ingest_cell_pings(
        &phone_data("2026-02-11T23:00:00Z"),
        &[batch[0].clone(), batch[2].clone(), batch[1].clone()],
        BEIJING,
    );
    assert_eq!(unknown_reference(&refused), Some((1, Reference::Person)));
    let refused = store.ingest_cell_pings(
        &phone_data("2026-02-11T23:00:00Z"),
        &[batch[0].clone(), batch[2].clone()],
        BEIJING,
    );
    assert_eq!(unknown_reference(&refused), Some((1, Reference::Person)));
    assert!(itinerary_of(store, zhang.id).is_empty(), "nothing stored");
    assert_eq!(
        outcomes_of(store, AuditAction::IngestCellPings),
        vec![AuditOutcome::Rejected; 3]
    );
    // The first ping alone is stored: nothing of the refused batches was.
    let report = ingest(store, &batch[..1]);
    assert_eq!((report.stored, report.duplicates), (1, 0));
}

pub fn the_itinerary_of_an_unknown_person_is_not_found_and_the_attempt_is_audited(
    store: &dyn Store,
) {
    let stranger = PersonId::from_uuid(random_uuid());
    let answer = store.city_days_of(
        &investigation(),
        stranger,
        Date::new(2026, 2, 1).unwrap(),
        Date::new(2026, 2, 14).unwrap(),
    );
    assert_eq!(not_found(&answer), Some("person"));
    assert_eq!(
        summary(&last_audit_record_of(store, AuditAction::ReadItinerary)),
        (
            official(),
            Purpose::CaseInvestigation,
            AuditAction::ReadItinerary,
            Some(stranger),
            0,
            AuditOutcome::NotFound
        )
    );
}

pub fn city_days_are_their_persons_facts_as_itinerary_stays_in_every_read_of_facts(
    store: &dyn Store,
) {
    let [wulin, _, shanghai] = three_cells_registered(store);
    let zhang = enrolled(store, zhang());
    let li = enrolled(store, li());
    ingest(
        store,
        &[
            (zhang.id, ping(&wulin, "2026-02-09T09:00:00+08:00")),
            (zhang.id, ping(&shanghai, "2026-02-10T09:00:00+08:00")),
            (li.id, ping(&shanghai, "2026-02-10T10:00:00+08:00")),
        ],
    );
    let expected = |person: PersonId| -> Vec<RegionStay> {
        itinerary_of(store, person)
            .iter()
            .map(CityDay::region_stay)
            .collect()
    };
    let (zhangs, lis) = (expected(zhang.id), expected(li.id));
    assert_eq!(zhangs.len(), 2);
    assert!(
        zhangs
            .iter()
            .all(|stay| stay.source == StaySource::Itinerary)
    );
    assert_eq!(
        (zhangs[0].region.to_string(), zhangs[0].from, zhangs[0].to),
        (
            "330100".to_owned(),
            Date::new(2026, 2, 9).unwrap(),
            Date::new(2026, 2, 9).unwrap()
        )
    );

    let rating = Access::new(Actor::System, Purpose::Rating, at("2026-02-12T00:00:00Z"));
    assert_eq!(store.facts_of(&rating, zhang.id).unwrap().stays, zhangs);
    let many = store.facts_of_people(&rating, &[li.id, zhang.id]).unwrap();
    assert_eq!(
        (many[0].stays.clone(), many[1].stays.clone()),
        (lis.clone(), zhangs.clone())
    );
    let mut visited = BTreeMap::new();
    store
        .for_each_facts(&rating, &mut |person, facts, _| {
            visited.insert(person, facts.stays);
        })
        .unwrap();
    assert_eq!(visited.get(&zhang.id), Some(&zhangs));
    assert_eq!(visited.get(&li.id), Some(&lis));
}

pub fn the_purge_deletes_pings_and_stays_past_their_retention_and_keeps_the_rest(
    store: &dyn Store,
) {
    let [wulin, north, shanghai] = three_cells_registered(store);
    let zhang = enrolled(store, zhang());
    let case = open_case(store, zhang.id);
    let old_ping = (zhang.id, ping(&shanghai, "2026-01-05T09:00:00+08:00"));
    let pings = vec![
        old_ping.clone(),
        (zhang.id, ping(&wulin, "2026-02-08T09:00:00+08:00")),
        (zhang.id, ping(&north, "2026-02-10T09:00:00+08:00")),
    ];
    ingest(store, &pings);
    let search = search_for(&case, 500, "2026-02-08T00:00:00Z", "2026-02-11T00:00:00Z");
    store.search_proximity(&investigation(), &search).unwrap();

    // On 12 Feb at noon (UTC): pings seen before 9 Feb noon go, and stays last seen before
    // 13 Jan noon.
    let report = store
        .purge_phone_data(
            &retention("2026-02-12T12:00:00Z"),
            at("2026-02-09T12:00:00Z"),
            at("2026-01-13T12:00:00Z"),
        )
        .unwrap();
    assert_eq!(
        report,
        PhonePurgeReport {
            pings: 2,
            daily_stays: 1,
            city_days: 1,
            candidate_stays: 0,
        }
    );
    assert_eq!(
        days_of(store, zhang.id)
            .iter()
            .map(|(day, _, _, _)| day.as_str())
            .collect::<Vec<_>>(),
        ["2026-02-08", "2026-02-10"]
    );
    assert_eq!(
        summary(&last_audit_record_of(store, AuditAction::PurgeCellPings)),
        (
            Actor::System,
            Purpose::DataRetention,
            AuditAction::PurgeCellPings,
            None,
            4,
            AuditOutcome::Success
        )
    );

    // A purged ping sent again is stored again, but changes no stay.
    let report = ingest(store, &pings[1..2]);
    assert_eq!(
        report,
        PingIngestReport {
            stored: 1,
            duplicates: 0,
            new_city_days: vec![]
        }
    );
    // Later, every stay has run out, the candidates' copies too; nothing is left to purge.
    let report = store
        .purge_phone_data(
            &retention("2026-03-20T12:00:00Z"),
            at("2026-03-17T12:00:00Z"),
            at("2026-02-18T12:00:00Z"),
        )
        .unwrap();
    assert_eq!(
        report,
        PhonePurgeReport {
            pings: 2,
            daily_stays: 2,
            city_days: 2,
            candidate_stays: 2,
        }
    );
    assert!(itinerary_of(store, zhang.id).is_empty());
    let record = store.proximity_search(&investigation(), search.id).unwrap();
    assert!(record.candidates[0].stays.is_empty());
    let confirm = store.review_proximity_candidate(
        &investigation(),
        search.id,
        zhang.id,
        &review(
            ReviewDecision::Confirm,
            "Seen at the shop.",
            Some(ContactId::from_uuid(random_uuid())),
        ),
    );
    assert!(
        matches!(confirm, Err(StoreError::Conflict(_))),
        "{confirm:?}"
    );
    assert_eq!(
        store
            .purge_phone_data(
                &retention("2026-03-20T12:00:00Z"),
                at("2026-03-17T12:00:00Z"),
                at("2026-02-18T12:00:00Z"),
            )
            .unwrap(),
        PhonePurgeReport::default()
    );
}

/// Three residents with stays around Wulin Square: Zhang at the square during the window, Li
/// 220 m north after the window, Wang in Shanghai during it.
fn residents_around_the_square(store: &dyn Store) -> (Vec<Person>, CaseRecord) {
    let [wulin, north, shanghai] = three_cells_registered(store);
    let people = four_residents_enrolled(store);
    let (zhang, li, wang, zhao) = (&people[0], &people[1], &people[2], &people[3]);
    ingest(
        store,
        &[
            (zhang.id, ping(&wulin, "2026-02-09T11:50:00+08:00")),
            (zhang.id, ping(&wulin, "2026-02-09T12:40:00+08:00")),
            (zhang.id, ping(&north, "2026-02-09T12:30:00+08:00")),
            (li.id, ping(&north, "2026-02-09T15:00:00+08:00")),
            (wang.id, ping(&shanghai, "2026-02-09T12:00:00+08:00")),
        ],
    );
    let case = open_case(store, zhao.id);
    (people, case)
}

pub fn a_proximity_search_finds_the_people_whose_stays_near_the_place_meet_the_window(
    store: &dyn Store,
) {
    let (people, case) = residents_around_the_square(store);
    let zhang = &people[0];
    // 12:00 to 14:00 Beijing time, 500 m around the square.
    let search = search_for(&case, 500, "2026-02-09T04:00:00Z", "2026-02-09T06:00:00Z");
    let (record, write) = store.search_proximity(&investigation(), &search).unwrap();
    assert_eq!(write, Write::Stored);
    assert_eq!(record.search, search);
    assert_eq!(
        record.candidates.len(),
        1,
        "Li came later, Wang was in Shanghai"
    );
    let candidate = &record.candidates[0];
    assert_eq!(candidate.person, zhang.id);
    assert_eq!(candidate.name, zhang.name);
    assert_eq!(candidate.review, None);
    assert_eq!(
        candidate.stays,
        vec![
            CandidateStay {
                cell: CellId::parse("460-00-4101-1").unwrap(),
                first_seen: at("2026-02-09T03:50:00Z"),
                last_seen: at("2026-02-09T04:40:00Z"),
            },
            CandidateStay {
                cell: CellId::parse("460-00-4101-2").unwrap(),
                first_seen: at("2026-02-09T04:30:00Z"),
                last_seen: at("2026-02-09T04:30:00Z"),
            },
        ]
    );
    assert_eq!(
        store.proximity_search(&investigation(), search.id).unwrap(),
        record
    );

    // 100 m around the square leaves out the cell to the north; the afternoon finds Li.
    let narrow = search_for(&case, 100, "2026-02-09T04:00:00Z", "2026-02-09T06:00:00Z");
    let (record, _) = store.search_proximity(&investigation(), &narrow).unwrap();
    assert_eq!(record.candidates[0].stays.len(), 1);
    let afternoon = search_for(&case, 500, "2026-02-09T06:30:00Z", "2026-02-09T08:00:00Z");
    let (record, _) = store
        .search_proximity(&investigation(), &afternoon)
        .unwrap();
    let found: Vec<PersonId> = record.candidates.iter().map(|c| c.person).collect();
    assert_eq!(found, vec![people[1].id]);

    let searches: Vec<AuditSummary> = audit_trail(store)
        .iter()
        .filter(|record| record.action == AuditAction::SearchProximity)
        .map(summary)
        .collect();
    let expected = |subject: PersonId| {
        (
            official(),
            Purpose::CaseInvestigation,
            AuditAction::SearchProximity,
            Some(subject),
            1,
            AuditOutcome::Success,
        )
    };
    assert_eq!(
        searches,
        vec![
            expected(zhang.id),
            expected(zhang.id),
            expected(zhang.id),
            expected(people[1].id)
        ]
    );
}

pub fn a_proximity_search_for_an_unknown_or_released_case_is_refused_and_audited(
    store: &dyn Store,
) {
    let (_, case) = residents_around_the_square(store);
    let unknown = CaseRecord {
        case: CaseId::from_uuid(random_uuid()),
        ..case
    };
    let search = search_for(
        &unknown,
        500,
        "2026-02-09T04:00:00Z",
        "2026-02-09T06:00:00Z",
    );
    let answer = store.search_proximity(&investigation(), &search);
    assert_eq!(not_found(&answer), Some("case"));
    store.release_case(&investigation(), case.case).unwrap();
    let search = search_for(&case, 500, "2026-02-09T04:00:00Z", "2026-02-09T06:00:00Z");
    let answer = store.search_proximity(&investigation(), &search);
    assert!(matches!(answer, Err(StoreError::Conflict(_))), "{answer:?}");
    assert_eq!(
        not_found(&store.proximity_search(&investigation(), search.id)),
        Some("proximity search"),
        "nothing was stored"
    );
    store.refuse_proximity_search(&investigation()).unwrap();
    assert_eq!(
        outcomes_of(store, AuditAction::SearchProximity),
        vec![
            AuditOutcome::NotFound,
            AuditOutcome::Conflict,
            AuditOutcome::NotFound,
            AuditOutcome::Rejected
        ]
    );
    let refused = last_audit_record_of(store, AuditAction::SearchProximity);
    assert_eq!((refused.subject, refused.records), (None, 0));
}

pub fn resending_a_proximity_search_answers_the_stored_one_and_searches_nothing_again(
    store: &dyn Store,
) {
    let (people, case) = residents_around_the_square(store);
    let search = search_for(&case, 500, "2026-02-09T04:00:00Z", "2026-02-09T06:00:00Z");
    let (first, _) = store.search_proximity(&investigation(), &search).unwrap();
    // Li's phone is seen at the square later: a resend does not search again.
    let wulin = store
        .cells(&[CellId::parse("460-00-4101-1").unwrap()])
        .unwrap()
        .remove(0)
        .unwrap();
    ingest(
        store,
        &[(people[1].id, ping(&wulin, "2026-02-09T12:10:00+08:00"))],
    );
    let resent = ProximitySearch {
        purpose: "another purpose".to_owned(),
        ..search.clone()
    };
    let (again, write) = store.search_proximity(&investigation(), &resent).unwrap();
    assert_eq!(write, Write::Duplicate);
    assert_eq!(again, first);
    assert_eq!(
        outcomes_of(store, AuditAction::SearchProximity),
        vec![AuditOutcome::Success, AuditOutcome::Duplicate]
    );
}

pub fn confirming_a_candidate_records_a_close_nearby_contact_for_the_searchs_case(
    store: &dyn Store,
) {
    let (people, case) = residents_around_the_square(store);
    let zhang = &people[0];
    let search = search_for(&case, 500, "2026-02-09T04:00:00Z", "2026-02-09T06:00:00Z");
    store.search_proximity(&investigation(), &search).unwrap();
    let contact_id = ContactId::from_uuid(random_uuid());
    let stored = store
        .review_proximity_candidate(
            &investigation(),
            search.id,
            zhang.id,
            &review(
                ReviewDecision::Confirm,
                "Ate at the shop at the same time, by the receipt.",
                Some(contact_id),
            ),
        )
        .unwrap();
    assert_eq!(stored.contact, Some(contact_id));
    let rating = Access::new(Actor::System, Purpose::Rating, at("2026-02-12T12:00:00Z"));
    let contacts = store.facts_of(&rating, zhang.id).unwrap().contacts;
    assert_eq!(
        contacts,
        vec![Contact {
            contact: contact_id,
            case: case.case,
            degree: ContactDegree::Close,
            setting: ContactSetting::Nearby,
            first_exposure: at("2026-02-09T04:00:00Z"),
            last_exposure: at("2026-02-09T04:40:00Z"),
            together: SignedDuration::from_mins(40),
            found_at: at("2026-02-12T11:00:00Z"),
            dismissed_at: None,
        }]
    );
    let record = store.proximity_search(&investigation(), search.id).unwrap();
    assert_eq!(record.candidates[0].review, Some(stored.clone()));
    assert_eq!(
        record.candidates[0].review.as_ref().unwrap().reason,
        "Ate at the shop at the same time, by the receipt."
    );

    // Reviewed once only.
    let again = store.review_proximity_candidate(
        &investigation(),
        search.id,
        zhang.id,
        &review(ReviewDecision::Reject, "Second thoughts.", None),
    );
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(
        outcomes_of(store, AuditAction::ReviewProximityCandidate),
        vec![AuditOutcome::Success, AuditOutcome::Conflict]
    );
    let reviewed = last_audit_record_of(store, AuditAction::ReviewProximityCandidate);
    assert_eq!(reviewed.subject, Some(zhang.id));

    // Another search of the same case confirming the same person names the contact that
    // stands: one nearby contact per case and person.
    let later = search_for(&case, 300, "2026-02-09T03:00:00Z", "2026-02-09T05:00:00Z");
    store.search_proximity(&investigation(), &later).unwrap();
    let second = store
        .review_proximity_candidate(
            &investigation(),
            later.id,
            zhang.id,
            &review(
                ReviewDecision::Confirm,
                "Same visit.",
                Some(ContactId::from_uuid(random_uuid())),
            ),
        )
        .unwrap();
    assert_eq!(second.contact, Some(contact_id));
    assert_eq!(store.facts_of(&rating, zhang.id).unwrap().contacts.len(), 1);
}

pub fn rejecting_a_candidate_records_the_reviewer_and_no_contact(store: &dyn Store) {
    let (people, case) = residents_around_the_square(store);
    let zhang = &people[0];
    let search = search_for(&case, 500, "2026-02-09T04:00:00Z", "2026-02-09T06:00:00Z");
    store.search_proximity(&investigation(), &search).unwrap();
    let stored = store
        .review_proximity_candidate(
            &investigation(),
            search.id,
            zhang.id,
            &review(ReviewDecision::Reject, "Works on the floor above.", None),
        )
        .unwrap();
    assert_eq!(
        stored,
        review(ReviewDecision::Reject, "Works on the floor above.", None)
    );
    let rating = Access::new(Actor::System, Purpose::Rating, at("2026-02-12T12:00:00Z"));
    assert!(
        store
            .facts_of(&rating, zhang.id)
            .unwrap()
            .contacts
            .is_empty()
    );
    let record = store.proximity_search(&investigation(), search.id).unwrap();
    assert_eq!(record.candidates[0].review, Some(stored));

    // Reviews of someone the search did not find, or of a search that does not exist.
    let not_a_candidate = store.review_proximity_candidate(
        &investigation(),
        search.id,
        people[2].id,
        &review(ReviewDecision::Reject, "Not there.", None),
    );
    assert_eq!(not_found(&not_a_candidate), Some("candidate"));
    let no_search = store.review_proximity_candidate(
        &investigation(),
        ProximitySearchId::from_uuid(random_uuid()),
        zhang.id,
        &review(ReviewDecision::Reject, "Not there.", None),
    );
    assert_eq!(not_found(&no_search), Some("proximity search"));
    assert_eq!(
        outcomes_of(store, AuditAction::ReviewProximityCandidate),
        vec![
            AuditOutcome::Success,
            AuditOutcome::NotFound,
            AuditOutcome::NotFound
        ]
    );
}
