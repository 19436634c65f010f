//! The behaviours every [`Store`] backend must have, written only against the trait.
//!
//! Each public function here is one behaviour, named as a sentence. It takes a fresh, empty
//! store and panics when the store does not behave. A backend runs the whole suite with
//! [`conformance_suite!`](crate::conformance_suite), which expands to one `#[test]` per behaviour:
//!
//! ```no_run
//! use healthcode_store::SqliteStore;
//!
//! fn fresh_store() -> (SqliteStore, tempfile::TempDir) {
//!     let dir = tempfile::tempdir().unwrap();
//!     (SqliteStore::open(dir.path()).unwrap(), dir)
//! }
//!
//! healthcode_store::conformance_suite!(fresh_store());
//! # fn main() {}
//! ```
//!
//! The suite must never reach around the trait (no SQL, no backend types), so that it means the
//! same thing for every backend. All data in it is synthetic.
//!
//! Audit records follow one convention, which these tests pin down: a write counts the records
//! it was asked to write (1, or the batch length), a read counts the records it returned, and a
//! refusal of a read counts 0.

use std::collections::BTreeSet;

use healthcode_core::{
    Access, Actor, AuditAction, AuditOutcome, AuditRecord, CheckIn, CheckInSource, Date,
    Declaration, EventId, GeoPoint, OpeningHours, Person, PersonId, PersonName, PhoneNumber,
    Purpose, RegionCode, ResidentId, Role, StaffAccount, StaffId, Symptom, Temperature, Timestamp,
    TravelEntry, Username, Venue, VenueId, VenueKind,
};

use crate::audit_chain::{GENESIS_HASH, chain_hash};
use crate::{
    AuditChainReport, AuditQuery, Enrolled, Enrolment, IngestReport, Reference, Store, StoreError,
    TokenGrant, TokenHash, Write,
};

/// Expands to one `#[test]` per behaviour of the suite. The argument is an expression that
/// evaluates to `(store, guard)`: a fresh, empty store (`&store` must coerce to
/// `&dyn Store`) and whatever must live as long as the test (e.g. its temporary directory).
#[macro_export]
macro_rules! conformance_suite {
    ($make_store:expr) => {
        $crate::__conformance_tests! { $make_store;
            a_fresh_store_is_ready_and_its_audit_log_is_empty,
            an_enrolled_person_reads_back_exactly,
            a_person_is_found_by_resident_id_number_and_an_unknown_number_finds_nobody,
            enrolling_the_same_resident_twice_is_a_conflict_and_is_audited,
            resending_an_enrolment_answers_with_the_first_person_and_replaces_its_device_token,
            reusing_an_enrolment_event_id_for_another_resident_is_a_conflict_and_is_audited,
            enrolment_grants_the_resident_a_device_token_that_does_not_expire,
            reading_an_unknown_person_is_not_found_and_is_audited,
            a_declaration_with_symptoms_temperature_and_travel_reads_back_exactly,
            a_declaration_without_symptoms_temperature_or_travel_reads_back_exactly,
            declarations_are_listed_oldest_first_and_only_for_their_person,
            resending_a_declaration_stores_it_once_and_audits_the_duplicate,
            a_declaration_for_an_unknown_person_is_rejected_and_audited,
            venues_with_and_without_opening_hours_read_back_exactly,
            registering_a_venue_twice_stores_it_once_and_unknown_venues_are_absent,
            check_ins_with_and_without_left_read_back_exactly_in_order_of_entry,
            resending_a_check_in_stores_it_once,
            a_check_in_naming_an_unknown_person_or_venue_is_rejected_and_audited,
            a_batch_is_stored_with_one_audit_record,
            a_batch_counts_resends_and_repeats_within_it_as_duplicates,
            a_batch_naming_an_unknown_venue_stores_nothing,
            a_batch_naming_an_unknown_person_stores_nothing,
            a_batch_reports_the_first_unknown_reference_in_the_order_sent,
            a_batch_for_one_person_names_that_person_in_its_audit_record,
            every_personal_data_access_leaves_an_audit_record,
            audit_records_are_numbered_from_one_without_gaps_and_chained,
            reading_the_audit_log_is_itself_audited,
            the_audit_log_filters_by_subject_purpose_action_time_and_sequence,
            the_audit_log_returns_at_most_the_limit_asked_for,
            a_denied_action_is_recorded_with_its_actor_purpose_and_subject,
            actors_of_every_kind_are_recorded_faithfully,
            the_audit_chain_verifies_and_notices_nothing_when_intact,
            staff_accounts_read_back_exactly_and_unknown_usernames_are_absent,
            a_taken_username_is_refused,
            staff_tokens_name_their_holder_until_they_expire,
            expired_tokens_name_no_holder,
            unknown_tokens_name_no_holder,
            only_residents_and_staff_that_exist_can_hold_tokens,
            the_store_serves_many_threads_at_once_without_losing_audit_records,
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ($make_store:expr; $($behaviour:ident),* $(,)?) => {
        $(
            #[test]
            fn $behaviour() {
                let (store, _guard) = $make_store;
                $crate::conformance::$behaviour(&store);
            }
        )*
    };
}

// ---------------------------------------------------------------------------------------------
// Fixtures. Every resident, name and phone below is synthetic.

fn at(text: &str) -> Timestamp {
    text.parse().expect("a valid timestamp")
}

fn random_uuid() -> uuid::Uuid {
    uuid::Uuid::new_v4()
}

fn new_event_id() -> EventId {
    EventId::from_uuid(random_uuid()).expect("a v4 UUID is not nil")
}

fn official() -> Actor {
    Actor::Staff {
        id: StaffId::from_bytes([0x0f; 16]),
        role: Role::HealthOfficial,
    }
}

fn auditor() -> Actor {
    Actor::Staff {
        id: StaffId::from_bytes([0xa0; 16]),
        role: Role::Auditor,
    }
}

fn enrolment_access() -> Access {
    Access::new(
        Actor::Public,
        Purpose::Enrolment,
        at("2026-02-01T08:00:00Z"),
    )
}

fn investigation() -> Access {
    Access::new(
        official(),
        Purpose::CaseInvestigation,
        at("2026-02-12T10:00:00Z"),
    )
}

fn audit_review() -> Access {
    Access::new(auditor(), Purpose::AuditReview, at("2026-02-20T10:00:00Z"))
}

fn visit_logging(person: PersonId) -> Access {
    Access::new(
        Actor::Resident(person),
        Purpose::VisitLogging,
        at("2026-02-10T09:00:00Z"),
    )
}

fn bulk_import() -> Access {
    Access::new(
        Actor::LocalOperator,
        Purpose::BulkImport,
        at("2026-02-11T23:00:00Z"),
    )
}

fn resident(resident_id: &str, name: &str, phone: &str) -> Person {
    Person {
        id: PersonId::from_uuid(random_uuid()),
        resident_id: ResidentId::parse(resident_id).expect("a valid resident ID"),
        name: PersonName::parse(name).expect("a valid name"),
        phone: PhoneNumber::parse(phone).expect("a valid phone"),
        enrolled_at: at("2026-02-01T08:00:00.125Z"),
    }
}

fn zhang() -> Person {
    resident("330106199001011256", "张三明", "13800138000")
}

fn li() -> Person {
    resident("11010519491231002X", "李四", "+85291234567")
}

fn device_token(seed: u8) -> TokenHash {
    TokenHash([seed; 32])
}

/// Enrols a person with the device token [`device_token_of`] gives them, and returns the person.
fn enrolled(store: &dyn Store, person: Person) -> Person {
    let enrolled = store
        .enrol(
            &enrolment_access(),
            &Enrolment {
                event_id: new_event_id(),
                device_token: device_token_of(&person),
                person: person.clone(),
            },
        )
        .expect("enrolment succeeds");
    assert_eq!(
        enrolled,
        Enrolled {
            person: person.id,
            replayed: false
        }
    );
    person
}

/// The device token [`enrolled`] grants a person: their id, twice.
fn device_token_of(person: &Person) -> TokenHash {
    let mut hash = [0; 32];
    hash[..16].copy_from_slice(person.id.as_bytes());
    hash[16..].copy_from_slice(person.id.as_bytes());
    TokenHash(hash)
}

fn venue(name: &str, opening_hours: &str) -> Venue {
    Venue {
        id: VenueId::from_uuid(random_uuid()),
        name: name.to_owned(),
        kind: VenueKind::Restaurant,
        district: RegionCode::parse("330106").expect("a valid region"),
        location: GeoPoint::new(30.2741, 120.1551).expect("a valid point"),
        opening_hours: OpeningHours::parse(opening_hours).expect("valid opening hours"),
        registered_at: at("2026-01-20T12:00:00.500Z"),
    }
}

fn registered(store: &dyn Store, venue: Venue) -> Venue {
    assert_eq!(
        store.register_venue(&venue).expect("registration succeeds"),
        Write::Stored
    );
    venue
}

fn check_in(person: &Person, venue: &Venue, entered: &str, left: Option<&str>) -> CheckIn {
    CheckIn::new(
        new_event_id(),
        venue.id,
        person.id,
        at(entered),
        left.map(at),
        CheckInSource::PersonScansVenue,
    )
    .expect("a valid check-in")
}

fn declaration(person: &Person, declared_at: &str) -> Declaration {
    Declaration::new(
        new_event_id(),
        person.id,
        at(declared_at),
        BTreeSet::new(),
        None,
        Vec::new(),
    )
    .expect("a valid declaration")
}

/// The whole audit log as an auditor reads it (which itself appends a record, after these).
fn audit_trail(store: &dyn Store) -> Vec<AuditRecord> {
    store
        .audit_log(&audit_review(), &AuditQuery::default())
        .expect("the audit log reads")
}

fn last_audit_record(store: &dyn Store) -> AuditRecord {
    audit_trail(store).pop().expect("at least one audit record")
}

/// What an audit record says, without its number, time and hash.
type AuditSummary = (
    Actor,
    Purpose,
    AuditAction,
    Option<PersonId>,
    u64,
    AuditOutcome,
);

fn summary(record: &AuditRecord) -> AuditSummary {
    (
        record.actor,
        record.purpose,
        record.action,
        record.subject,
        record.records,
        record.outcome,
    )
}

// ---------------------------------------------------------------------------------------------
// Behaviours.

pub fn a_fresh_store_is_ready_and_its_audit_log_is_empty(store: &dyn Store) {
    store.check_ready().expect("a fresh store is ready");
    assert_eq!(
        store.verify_audit_chain().unwrap(),
        AuditChainReport {
            records: 0,
            first_break: None
        }
    );
    assert_eq!(audit_trail(store), Vec::new());
}

pub fn an_enrolled_person_reads_back_exactly(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let li = enrolled(store, li());
    assert_eq!(store.person(&investigation(), zhang.id).unwrap(), zhang);
    assert_eq!(store.person(&investigation(), li.id).unwrap(), li);
    // Unmasked, exactly as entered.
    let read = store.person(&investigation(), zhang.id).unwrap();
    assert_eq!(read.name.as_str(), "张三明");
    assert_eq!(read.phone.as_str(), "13800138000");
    assert_eq!(read.resident_id.as_str(), "330106199001011256");
}

pub fn a_person_is_found_by_resident_id_number_and_an_unknown_number_finds_nobody(
    store: &dyn Store,
) {
    let zhang = enrolled(store, zhang());
    let li = enrolled(store, li());
    assert_eq!(
        store
            .find_person(&investigation(), &zhang.resident_id)
            .unwrap(),
        Some(zhang.id)
    );
    assert_eq!(
        store
            .find_person(&investigation(), &li.resident_id)
            .unwrap(),
        Some(li.id)
    );
    let stranger = ResidentId::parse("33010619900101123X").unwrap();
    assert_eq!(
        store.find_person(&investigation(), &stranger).unwrap(),
        None
    );
    let trail = audit_trail(store);
    let searches: Vec<AuditSummary> = trail
        .iter()
        .filter(|record| record.action == AuditAction::FindPersonByResidentId)
        .map(summary)
        .collect();
    let search = |subject, records, outcome| {
        (
            official(),
            Purpose::CaseInvestigation,
            AuditAction::FindPersonByResidentId,
            subject,
            records,
            outcome,
        )
    };
    assert_eq!(
        searches,
        vec![
            search(Some(zhang.id), 1, AuditOutcome::Success),
            search(Some(li.id), 1, AuditOutcome::Success),
            search(None, 0, AuditOutcome::NotFound),
        ]
    );
}

pub fn enrolling_the_same_resident_twice_is_a_conflict_and_is_audited(store: &dyn Store) {
    let first = enrolled(store, zhang());
    let second_attempt = Person {
        name: PersonName::parse("冒名者").unwrap(),
        phone: PhoneNumber::parse("13900139000").unwrap(),
        ..zhang()
    };
    let result = store.enrol(
        &enrolment_access(),
        &Enrolment {
            event_id: new_event_id(),
            person: second_attempt.clone(),
            device_token: device_token(0x55),
        },
    );
    assert!(
        matches!(result, Err(StoreError::AlreadyEnrolled)),
        "{result:?}"
    );
    // Nothing of the second attempt was kept: not the person, not the token.
    assert_eq!(store.person(&investigation(), first.id).unwrap(), first);
    assert!(matches!(
        store.person(&investigation(), second_attempt.id),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        store
            .token_holder(&device_token(0x55), at("2026-02-02T00:00:00Z"))
            .unwrap(),
        None
    );
    let conflicts: Vec<AuditSummary> = audit_trail(store)
        .iter()
        .filter(|record| record.outcome == AuditOutcome::Conflict)
        .map(summary)
        .collect();
    // The attempt shows in the enrolled resident's access history.
    assert_eq!(
        conflicts,
        vec![(
            Actor::Public,
            Purpose::Enrolment,
            AuditAction::EnrolPerson,
            Some(first.id),
            1,
            AuditOutcome::Conflict
        )]
    );
}

pub fn resending_an_enrolment_answers_with_the_first_person_and_replaces_its_device_token(
    store: &dyn Store,
) {
    let event_id = new_event_id();
    let first = zhang();
    let first_token = device_token(0x31);
    let enrolment = |person: &Person, device_token: TokenHash| Enrolment {
        event_id,
        person: person.clone(),
        device_token,
    };
    assert_eq!(
        store
            .enrol(&enrolment_access(), &enrolment(&first, first_token))
            .unwrap(),
        Enrolled {
            person: first.id,
            replayed: false
        }
    );
    // The client never saw the first answer, so it resends with a new person id and token; the
    // details it sends may differ, but those of the first enrolment stand.
    let resend = Person {
        phone: PhoneNumber::parse("13900139000").unwrap(),
        ..zhang()
    };
    let second_token = device_token(0x32);
    assert_eq!(
        store
            .enrol(&enrolment_access(), &enrolment(&resend, second_token))
            .unwrap(),
        Enrolled {
            person: first.id,
            replayed: true
        }
    );
    let now = at("2026-02-02T00:00:00Z");
    assert_eq!(store.token_holder(&first_token, now).unwrap(), None);
    assert_eq!(
        store.token_holder(&second_token, now).unwrap(),
        Some(Actor::Resident(first.id))
    );
    assert_eq!(store.person(&investigation(), first.id).unwrap(), first);
    assert!(matches!(
        store.person(&investigation(), resend.id),
        Err(StoreError::NotFound { .. })
    ));
    let enrolments: Vec<AuditSummary> = audit_trail(store)
        .iter()
        .filter(|record| record.action == AuditAction::EnrolPerson)
        .map(summary)
        .collect();
    let enrolment_record = |outcome| {
        (
            Actor::Public,
            Purpose::Enrolment,
            AuditAction::EnrolPerson,
            Some(first.id),
            1,
            outcome,
        )
    };
    assert_eq!(
        enrolments,
        vec![
            enrolment_record(AuditOutcome::Success),
            enrolment_record(AuditOutcome::Duplicate)
        ]
    );
}

pub fn reusing_an_enrolment_event_id_for_another_resident_is_a_conflict_and_is_audited(
    store: &dyn Store,
) {
    let event_id = new_event_id();
    let zhang = zhang();
    store
        .enrol(
            &enrolment_access(),
            &Enrolment {
                event_id,
                person: zhang.clone(),
                device_token: device_token_of(&zhang),
            },
        )
        .unwrap();
    let li = li();
    let result = store.enrol(
        &enrolment_access(),
        &Enrolment {
            event_id,
            person: li.clone(),
            device_token: device_token(0x41),
        },
    );
    assert!(
        matches!(result, Err(StoreError::AlreadyEnrolled)),
        "{result:?}"
    );
    // Nothing of the attempt was kept, and the first enrolment is untouched.
    assert_eq!(
        store
            .find_person(&investigation(), &li.resident_id)
            .unwrap(),
        None
    );
    let now = at("2026-02-02T00:00:00Z");
    assert_eq!(store.token_holder(&device_token(0x41), now).unwrap(), None);
    assert_eq!(
        store.token_holder(&device_token_of(&zhang), now).unwrap(),
        Some(Actor::Resident(zhang.id))
    );
    // The attempt concerns a resident who is not enrolled, so it is in nobody's history.
    assert_eq!(
        summary(
            &audit_trail(store)
                .into_iter()
                .find(|record| record.outcome == AuditOutcome::Conflict)
                .expect("the conflict is audited")
        ),
        (
            Actor::Public,
            Purpose::Enrolment,
            AuditAction::EnrolPerson,
            None,
            1,
            AuditOutcome::Conflict
        )
    );
}

pub fn enrolment_grants_the_resident_a_device_token_that_does_not_expire(store: &dyn Store) {
    let zhang = zhang();
    let token = device_token(0x21);
    store
        .enrol(
            &enrolment_access(),
            &Enrolment {
                event_id: new_event_id(),
                person: zhang.clone(),
                device_token: token,
            },
        )
        .unwrap();
    for now in ["2026-02-01T08:00:00Z", "2036-02-01T08:00:00Z"] {
        assert_eq!(
            store.token_holder(&token, at(now)).unwrap(),
            Some(Actor::Resident(zhang.id))
        );
    }
}

pub fn reading_an_unknown_person_is_not_found_and_is_audited(store: &dyn Store) {
    let nobody = PersonId::from_uuid(random_uuid());
    let result = store.person(&investigation(), nobody);
    assert!(
        matches!(result, Err(StoreError::NotFound { .. })),
        "{result:?}"
    );
    assert_eq!(
        summary(&last_audit_record(store)),
        (
            official(),
            Purpose::CaseInvestigation,
            AuditAction::ReadPerson,
            Some(nobody),
            0,
            AuditOutcome::NotFound
        )
    );
}

pub fn a_declaration_with_symptoms_temperature_and_travel_reads_back_exactly(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let declaration = Declaration::new(
        new_event_id(),
        zhang.id,
        at("2026-02-10T07:30:15.250Z"),
        [
            Symptom::Fever,
            Symptom::DryCough,
            Symptom::LossOfTasteOrSmell,
            Symptom::Conjunctivitis,
        ]
        .into_iter()
        .collect(),
        Some(Temperature::from_celsius(38.4).unwrap()),
        vec![
            TravelEntry {
                region: RegionCode::parse("420100").unwrap(),
                from: Date::new(2026, 1, 20).unwrap(),
                to: Date::new(2026, 1, 23).unwrap(),
            },
            TravelEntry {
                region: RegionCode::parse("110105").unwrap(),
                from: Date::new(2026, 1, 24).unwrap(),
                to: Date::new(2026, 1, 24).unwrap(),
            },
        ],
    )
    .unwrap();
    let access = Access::new(
        Actor::Resident(zhang.id),
        Purpose::HealthDeclaration,
        at("2026-02-10T07:30:16Z"),
    );
    assert_eq!(
        store.record_declaration(&access, &declaration).unwrap(),
        Write::Stored
    );
    assert_eq!(
        store.declarations_of(&investigation(), zhang.id).unwrap(),
        vec![declaration]
    );
}

pub fn a_declaration_without_symptoms_temperature_or_travel_reads_back_exactly(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let declaration = declaration(&zhang, "2026-02-10T07:30:00Z");
    let access = Access::new(
        Actor::Resident(zhang.id),
        Purpose::HealthDeclaration,
        at("2026-02-10T07:30:01Z"),
    );
    assert_eq!(
        store.record_declaration(&access, &declaration).unwrap(),
        Write::Stored
    );
    assert_eq!(
        store.declarations_of(&investigation(), zhang.id).unwrap(),
        vec![declaration]
    );
}

pub fn declarations_are_listed_oldest_first_and_only_for_their_person(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let li = enrolled(store, li());
    let access = Access::new(
        Actor::LocalOperator,
        Purpose::HealthDeclaration,
        at("2026-02-12T00:00:00Z"),
    );
    let later = declaration(&zhang, "2026-02-11T08:00:00Z");
    let earlier = declaration(&zhang, "2026-02-09T08:00:00Z");
    let lis = declaration(&li, "2026-02-10T08:00:00Z");
    for declaration in [&later, &lis, &earlier] {
        store.record_declaration(&access, declaration).unwrap();
    }
    assert_eq!(
        store.declarations_of(&investigation(), zhang.id).unwrap(),
        vec![earlier, later]
    );
    assert_eq!(
        store.declarations_of(&investigation(), li.id).unwrap(),
        vec![lis]
    );
    let nobody = PersonId::from_uuid(random_uuid());
    assert_eq!(
        store.declarations_of(&investigation(), nobody).unwrap(),
        Vec::new()
    );
}

pub fn resending_a_declaration_stores_it_once_and_audits_the_duplicate(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let access = Access::new(
        Actor::Resident(zhang.id),
        Purpose::HealthDeclaration,
        at("2026-02-10T07:30:01Z"),
    );
    let original = declaration(&zhang, "2026-02-10T07:30:00Z");
    assert_eq!(
        store.record_declaration(&access, &original).unwrap(),
        Write::Stored
    );
    assert_eq!(
        store.record_declaration(&access, &original).unwrap(),
        Write::Duplicate
    );
    // A resend under the same event id keeps the first version, whatever it now says.
    let altered = Declaration::new(
        original.event_id(),
        zhang.id,
        original.declared_at(),
        [Symptom::Fatigue].into_iter().collect(),
        None,
        Vec::new(),
    )
    .unwrap();
    assert_eq!(
        store.record_declaration(&access, &altered).unwrap(),
        Write::Duplicate
    );
    assert_eq!(
        store.declarations_of(&investigation(), zhang.id).unwrap(),
        vec![original]
    );
    let outcomes: Vec<AuditOutcome> = audit_trail(store)
        .iter()
        .filter(|record| record.action == AuditAction::RecordDeclaration)
        .map(|record| record.outcome)
        .collect();
    assert_eq!(
        outcomes,
        vec![
            AuditOutcome::Success,
            AuditOutcome::Duplicate,
            AuditOutcome::Duplicate
        ]
    );
}

pub fn a_declaration_for_an_unknown_person_is_rejected_and_audited(store: &dyn Store) {
    let stranger = zhang();
    let access = Access::new(
        Actor::LocalOperator,
        Purpose::HealthDeclaration,
        at("2026-02-10T07:30:01Z"),
    );
    let result = store.record_declaration(&access, &declaration(&stranger, "2026-02-10T07:30:00Z"));
    assert!(
        matches!(
            result,
            Err(StoreError::UnknownReference {
                index: 0,
                reference: Reference::Person
            })
        ),
        "{result:?}"
    );
    assert_eq!(
        summary(&last_audit_record(store)),
        (
            Actor::LocalOperator,
            Purpose::HealthDeclaration,
            AuditAction::RecordDeclaration,
            Some(stranger.id),
            1,
            AuditOutcome::Rejected
        )
    );
    assert_eq!(
        store
            .declarations_of(&investigation(), stranger.id)
            .unwrap(),
        Vec::new()
    );
}

pub fn venues_with_and_without_opening_hours_read_back_exactly(store: &dyn Store) {
    let noodle_shop = registered(
        store,
        venue(
            "温州面馆 Noodle Shop",
            "Mo-Fr 09:00-21:00; Sa,Su 10:00-02:00",
        ),
    );
    let station = registered(
        store,
        Venue {
            kind: VenueKind::SubwayStation,
            location: GeoPoint::new(-33.8688, 151.2093).unwrap(),
            ..venue("Station", "24/7")
        },
    );
    assert_eq!(store.venue(noodle_shop.id).unwrap(), Some(noodle_shop));
    assert_eq!(store.venue(station.id).unwrap(), Some(station));
}

pub fn registering_a_venue_twice_stores_it_once_and_unknown_venues_are_absent(store: &dyn Store) {
    let shop = registered(store, venue("Shop", "Mo-Su 08:00-20:00"));
    let renamed = Venue {
        name: "Another name".to_owned(),
        ..shop.clone()
    };
    assert_eq!(store.register_venue(&renamed).unwrap(), Write::Duplicate);
    assert_eq!(store.venue(shop.id).unwrap(), Some(shop));
    assert_eq!(
        store.venue(VenueId::from_uuid(random_uuid())).unwrap(),
        None
    );
}

pub fn check_ins_with_and_without_left_read_back_exactly_in_order_of_entry(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let li = enrolled(store, li());
    let shop = registered(store, venue("Shop", "24/7"));
    let afternoon = check_in(&zhang, &shop, "2026-02-10T14:00:00.001Z", None);
    let morning = check_in(
        &zhang,
        &shop,
        "2026-02-10T09:00:00.999Z",
        Some("2026-02-10T09:20:00.500Z"),
    );
    let checkpoint = CheckIn::new(
        new_event_id(),
        shop.id,
        zhang.id,
        at("2026-02-10T11:00:00Z"),
        None,
        CheckInSource::Checkpoint,
    )
    .unwrap();
    let scanned = CheckIn::new(
        new_event_id(),
        shop.id,
        zhang.id,
        at("2026-02-10T12:00:00Z"),
        Some(at("2026-02-10T12:45:00Z")),
        CheckInSource::VenueScansPerson,
    )
    .unwrap();
    let lis = check_in(&li, &shop, "2026-02-10T10:00:00Z", None);
    for check_in in [&afternoon, &lis, &scanned, &morning, &checkpoint] {
        assert_eq!(
            store
                .record_check_in(&visit_logging(check_in.person()), check_in)
                .unwrap(),
            Write::Stored
        );
    }
    assert_eq!(
        store.check_ins_of(&investigation(), zhang.id).unwrap(),
        vec![morning, checkpoint, scanned, afternoon]
    );
    assert_eq!(
        store.check_ins_of(&investigation(), li.id).unwrap(),
        vec![lis]
    );
    let nobody = PersonId::from_uuid(random_uuid());
    assert_eq!(
        store.check_ins_of(&investigation(), nobody).unwrap(),
        Vec::new()
    );
}

pub fn resending_a_check_in_stores_it_once(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let shop = registered(store, venue("Shop", "24/7"));
    let visit = check_in(&zhang, &shop, "2026-02-10T09:00:00Z", None);
    let access = visit_logging(zhang.id);
    assert_eq!(
        store.record_check_in(&access, &visit).unwrap(),
        Write::Stored
    );
    assert_eq!(
        store.record_check_in(&access, &visit).unwrap(),
        Write::Duplicate
    );
    let amended = CheckIn::new(
        visit.event_id(),
        shop.id,
        zhang.id,
        visit.entered(),
        Some(at("2026-02-10T10:00:00Z")),
        visit.source(),
    )
    .unwrap();
    assert_eq!(
        store.record_check_in(&access, &amended).unwrap(),
        Write::Duplicate
    );
    assert_eq!(
        store.check_ins_of(&investigation(), zhang.id).unwrap(),
        vec![visit]
    );
    let outcomes: Vec<AuditOutcome> = audit_trail(store)
        .iter()
        .filter(|record| record.action == AuditAction::RecordCheckIn)
        .map(|record| record.outcome)
        .collect();
    assert_eq!(
        outcomes,
        vec![
            AuditOutcome::Success,
            AuditOutcome::Duplicate,
            AuditOutcome::Duplicate
        ]
    );
}

pub fn a_check_in_naming_an_unknown_person_or_venue_is_rejected_and_audited(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let shop = registered(store, venue("Shop", "24/7"));
    let unregistered = venue("Unregistered", "24/7");
    let stranger = li();

    let at_unknown_venue = check_in(&zhang, &unregistered, "2026-02-10T09:00:00Z", None);
    let result = store.record_check_in(&visit_logging(zhang.id), &at_unknown_venue);
    assert!(
        matches!(
            result,
            Err(StoreError::UnknownReference {
                index: 0,
                reference: Reference::Venue
            })
        ),
        "{result:?}"
    );
    let of_unknown_person = check_in(&stranger, &shop, "2026-02-10T09:00:00Z", None);
    let result = store.record_check_in(&visit_logging(stranger.id), &of_unknown_person);
    assert!(
        matches!(
            result,
            Err(StoreError::UnknownReference {
                index: 0,
                reference: Reference::Person
            })
        ),
        "{result:?}"
    );
    assert_eq!(
        store.check_ins_of(&investigation(), zhang.id).unwrap(),
        Vec::new()
    );
    let rejections: Vec<AuditSummary> = audit_trail(store)
        .iter()
        .filter(|record| record.action == AuditAction::RecordCheckIn)
        .map(summary)
        .collect();
    assert_eq!(
        rejections,
        vec![
            (
                Actor::Resident(zhang.id),
                Purpose::VisitLogging,
                AuditAction::RecordCheckIn,
                Some(zhang.id),
                1,
                AuditOutcome::Rejected
            ),
            (
                Actor::Resident(stranger.id),
                Purpose::VisitLogging,
                AuditAction::RecordCheckIn,
                Some(stranger.id),
                1,
                AuditOutcome::Rejected
            ),
        ]
    );
}

pub fn a_batch_is_stored_with_one_audit_record(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let li = enrolled(store, li());
    let shop = registered(store, venue("Shop", "24/7"));
    let batch = vec![
        check_in(
            &zhang,
            &shop,
            "2026-02-10T09:00:00Z",
            Some("2026-02-10T09:30:00Z"),
        ),
        check_in(&li, &shop, "2026-02-10T09:10:00Z", None),
        check_in(&zhang, &shop, "2026-02-11T09:00:00Z", None),
    ];
    let audit_records_before = audit_trail(store).len();
    assert_eq!(
        store.ingest_check_ins(&bulk_import(), &batch).unwrap(),
        IngestReport {
            stored: 3,
            duplicates: 0
        }
    );
    let trail = audit_trail(store);
    // One record for the auditor's first read, one for the batch.
    assert_eq!(trail.len(), audit_records_before + 2);
    assert_eq!(
        summary(trail.last().unwrap()),
        (
            Actor::LocalOperator,
            Purpose::BulkImport,
            AuditAction::IngestCheckIns,
            None,
            3,
            AuditOutcome::Success
        )
    );
    assert_eq!(
        store.check_ins_of(&investigation(), zhang.id).unwrap(),
        vec![batch[0].clone(), batch[2].clone()]
    );
    assert_eq!(
        store.check_ins_of(&investigation(), li.id).unwrap(),
        vec![batch[1].clone()]
    );
}

pub fn a_batch_counts_resends_and_repeats_within_it_as_duplicates(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let shop = registered(store, venue("Shop", "24/7"));
    let first = check_in(&zhang, &shop, "2026-02-10T09:00:00Z", None);
    let second = check_in(&zhang, &shop, "2026-02-10T10:00:00Z", None);
    let third = check_in(&zhang, &shop, "2026-02-10T11:00:00Z", None);
    // A later version of the third under the same event id, sent after it in the same batch.
    let third_amended = CheckIn::new(
        third.event_id(),
        shop.id,
        zhang.id,
        at("2026-02-10T08:00:00Z"),
        None,
        CheckInSource::Checkpoint,
    )
    .unwrap();
    store
        .record_check_in(&visit_logging(zhang.id), &first)
        .unwrap();
    let batch = vec![
        first.clone(),
        second.clone(),
        second.clone(),
        third.clone(),
        third_amended,
    ];
    assert_eq!(
        store.ingest_check_ins(&bulk_import(), &batch).unwrap(),
        IngestReport {
            stored: 2,
            duplicates: 3
        }
    );
    assert_eq!(
        store.ingest_check_ins(&bulk_import(), &batch).unwrap(),
        IngestReport {
            stored: 0,
            duplicates: 5
        }
    );
    assert_eq!(
        store.check_ins_of(&investigation(), zhang.id).unwrap(),
        vec![first, second, third]
    );
}

pub fn a_batch_naming_an_unknown_venue_stores_nothing(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let shop = registered(store, venue("Shop", "24/7"));
    let unregistered = venue("Unregistered", "24/7");
    let batch = vec![
        check_in(&zhang, &shop, "2026-02-10T09:00:00Z", None),
        check_in(&zhang, &shop, "2026-02-10T10:00:00Z", None),
        check_in(&zhang, &unregistered, "2026-02-10T11:00:00Z", None),
        check_in(&zhang, &unregistered, "2026-02-10T12:00:00Z", None),
    ];
    let result = store.ingest_check_ins(&bulk_import(), &batch);
    assert!(
        matches!(
            result,
            Err(StoreError::UnknownReference {
                index: 2,
                reference: Reference::Venue
            })
        ),
        "{result:?}"
    );
    assert_eq!(
        store.check_ins_of(&investigation(), zhang.id).unwrap(),
        Vec::new()
    );
    let ingests: Vec<AuditSummary> = audit_trail(store)
        .iter()
        .filter(|record| record.action == AuditAction::IngestCheckIns)
        .map(summary)
        .collect();
    assert_eq!(
        ingests,
        vec![(
            Actor::LocalOperator,
            Purpose::BulkImport,
            AuditAction::IngestCheckIns,
            Some(zhang.id),
            4,
            AuditOutcome::Rejected
        )]
    );
    // The rows that were fine are stored once the batch is corrected.
    assert_eq!(
        store.ingest_check_ins(&bulk_import(), &batch[..2]).unwrap(),
        IngestReport {
            stored: 2,
            duplicates: 0
        }
    );
}

pub fn a_batch_naming_an_unknown_person_stores_nothing(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let stranger = li();
    let shop = registered(store, venue("Shop", "24/7"));
    let earlier = check_in(&zhang, &shop, "2026-02-09T09:00:00Z", None);
    store
        .record_check_in(&visit_logging(zhang.id), &earlier)
        .unwrap();
    let batch = vec![
        check_in(&zhang, &shop, "2026-02-10T09:00:00Z", None),
        check_in(&stranger, &shop, "2026-02-10T10:00:00Z", None),
    ];
    let result = store.ingest_check_ins(&bulk_import(), &batch);
    assert!(
        matches!(
            result,
            Err(StoreError::UnknownReference {
                index: 1,
                reference: Reference::Person
            })
        ),
        "{result:?}"
    );
    // Earlier data is untouched; nothing of the batch is kept.
    assert_eq!(
        store.check_ins_of(&investigation(), zhang.id).unwrap(),
        vec![earlier]
    );
    let last_ingest = audit_trail(store)
        .into_iter()
        .filter(|record| record.action == AuditAction::IngestCheckIns)
        .map(|record| summary(&record))
        .collect::<Vec<_>>();
    assert_eq!(
        last_ingest,
        vec![(
            Actor::LocalOperator,
            Purpose::BulkImport,
            AuditAction::IngestCheckIns,
            None,
            2,
            AuditOutcome::Rejected
        )]
    );
}

pub fn a_batch_reports_the_first_unknown_reference_in_the_order_sent(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let shop = registered(store, venue("Shop", "24/7"));
    let unregistered = venue("Unregistered", "24/7");
    let batch = vec![
        check_in(&zhang, &shop, "2026-02-10T09:00:00Z", None),
        check_in(&zhang, &unregistered, "2026-02-10T18:00:00Z", None),
        check_in(&zhang, &unregistered, "2026-02-10T07:00:00Z", None),
    ];
    let result = store.ingest_check_ins(&bulk_import(), &batch);
    assert!(
        matches!(
            result,
            Err(StoreError::UnknownReference {
                index: 1,
                reference: Reference::Venue
            })
        ),
        "{result:?}"
    );
    assert_eq!(
        store.check_ins_of(&investigation(), zhang.id).unwrap(),
        Vec::new()
    );
}

pub fn a_batch_for_one_person_names_that_person_in_its_audit_record(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let shop = registered(store, venue("Shop", "24/7"));
    let batch = vec![
        check_in(&zhang, &shop, "2026-02-10T09:00:00Z", None),
        check_in(&zhang, &shop, "2026-02-10T10:00:00Z", None),
    ];
    store.ingest_check_ins(&bulk_import(), &batch).unwrap();
    store.ingest_check_ins(&bulk_import(), &[]).unwrap();
    let ingests: Vec<AuditSummary> = audit_trail(store)
        .iter()
        .filter(|record| record.action == AuditAction::IngestCheckIns)
        .map(summary)
        .collect();
    let ingest = |subject, records| {
        (
            Actor::LocalOperator,
            Purpose::BulkImport,
            AuditAction::IngestCheckIns,
            subject,
            records,
            AuditOutcome::Success,
        )
    };
    // An empty batch touches no one, but is still recorded.
    assert_eq!(ingests, vec![ingest(Some(zhang.id), 2), ingest(None, 0)]);
}

pub fn every_personal_data_access_leaves_an_audit_record(store: &dyn Store) {
    let shop = registered(store, venue("Shop", "24/7"));
    let zhang = enrolled(store, zhang());
    let own = Access::new(
        Actor::Resident(zhang.id),
        Purpose::SelfService,
        at("2026-02-10T08:00:00Z"),
    );
    store.person(&own, zhang.id).unwrap();
    store
        .find_person(&investigation(), &zhang.resident_id)
        .unwrap();
    let declared = Access::new(
        Actor::Resident(zhang.id),
        Purpose::HealthDeclaration,
        at("2026-02-10T08:01:00Z"),
    );
    store
        .record_declaration(&declared, &declaration(&zhang, "2026-02-10T08:00:30Z"))
        .unwrap();
    store.declarations_of(&own, zhang.id).unwrap();
    store
        .record_check_in(
            &visit_logging(zhang.id),
            &check_in(&zhang, &shop, "2026-02-10T09:00:00Z", None),
        )
        .unwrap();
    let batch = vec![
        check_in(&zhang, &shop, "2026-02-10T10:00:00Z", None),
        check_in(&zhang, &shop, "2026-02-10T11:00:00Z", None),
        check_in(&zhang, &shop, "2026-02-10T12:00:00Z", None),
    ];
    store.ingest_check_ins(&bulk_import(), &batch).unwrap();
    store.check_ins_of(&investigation(), zhang.id).unwrap();

    let trail = audit_trail(store);
    let subject = Some(zhang.id);
    let resident = Actor::Resident(zhang.id);
    use AuditAction as A;
    use AuditOutcome::Success;
    assert_eq!(
        trail.iter().map(summary).collect::<Vec<_>>(),
        vec![
            (
                Actor::Public,
                Purpose::Enrolment,
                A::EnrolPerson,
                subject,
                1,
                Success
            ),
            (
                resident,
                Purpose::SelfService,
                A::ReadPerson,
                subject,
                1,
                Success
            ),
            (
                official(),
                Purpose::CaseInvestigation,
                A::FindPersonByResidentId,
                subject,
                1,
                Success
            ),
            (
                resident,
                Purpose::HealthDeclaration,
                A::RecordDeclaration,
                subject,
                1,
                Success
            ),
            (
                resident,
                Purpose::SelfService,
                A::ReadDeclarations,
                subject,
                1,
                Success
            ),
            (
                resident,
                Purpose::VisitLogging,
                A::RecordCheckIn,
                subject,
                1,
                Success
            ),
            (
                Actor::LocalOperator,
                Purpose::BulkImport,
                A::IngestCheckIns,
                subject,
                3,
                Success
            ),
            (
                official(),
                Purpose::CaseInvestigation,
                A::ReadCheckIns,
                subject,
                4,
                Success
            ),
        ]
    );
    // Each record carries the time of its access.
    assert_eq!(trail[0].at, enrolment_access().at);
    assert_eq!(trail[1].at, own.at);
    assert_eq!(trail[6].at, bulk_import().at);
}

pub fn audit_records_are_numbered_from_one_without_gaps_and_chained(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    store.person(&investigation(), zhang.id).unwrap();
    let _ = store.person(&investigation(), PersonId::from_uuid(random_uuid()));
    store
        .record_denied(&investigation(), AuditAction::ReadPerson, Some(zhang.id))
        .unwrap();
    let trail = audit_trail(store);
    assert_eq!(
        trail
            .iter()
            .map(|record| record.sequence)
            .collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    let mut previous = GENESIS_HASH;
    for record in &trail {
        assert_eq!(
            record.hash,
            chain_hash(&previous, record),
            "record {}",
            record.sequence
        );
        previous = record.hash;
    }
}

pub fn reading_the_audit_log_is_itself_audited(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let query = AuditQuery {
        subject: Some(zhang.id),
        ..AuditQuery::default()
    };
    let own = Access::new(
        Actor::Resident(zhang.id),
        Purpose::SelfService,
        at("2026-02-15T08:00:00Z"),
    );
    let first_read = store.audit_log(&own, &query).unwrap();
    assert_eq!(
        first_read.len(),
        1,
        "the read does not include its own record"
    );
    let second_read = store.audit_log(&own, &query).unwrap();
    assert_eq!(second_read.len(), 2);
    assert_eq!(
        summary(&second_read[1]),
        (
            Actor::Resident(zhang.id),
            Purpose::SelfService,
            AuditAction::ReadAuditLog,
            Some(zhang.id),
            1,
            AuditOutcome::Success
        )
    );
    assert_eq!(second_read[1].at, own.at);
}

pub fn the_audit_log_filters_by_subject_purpose_action_time_and_sequence(store: &dyn Store) {
    let zhang = enrolled(store, zhang()); // 1: enrolment, 2026-02-01T08:00
    let li = enrolled(store, li()); // 2: enrolment
    let morning = Access::new(
        official(),
        Purpose::CaseInvestigation,
        at("2026-02-12T09:00:00Z"),
    );
    let noon = Access::new(
        official(),
        Purpose::CaseInvestigation,
        at("2026-02-12T12:00:00Z"),
    );
    store.person(&morning, zhang.id).unwrap(); // 3
    store.check_ins_of(&noon, li.id).unwrap(); // 4
    let own = Access::new(
        Actor::Resident(zhang.id),
        Purpose::SelfService,
        at("2026-02-12T15:00:00Z"),
    );
    store.declarations_of(&own, zhang.id).unwrap(); // 5

    let sequences = |query: AuditQuery| -> Vec<u64> {
        store
            .audit_log(&audit_review(), &query)
            .unwrap()
            .iter()
            .map(|record| record.sequence)
            .collect()
    };
    assert_eq!(
        sequences(AuditQuery {
            subject: Some(zhang.id),
            ..Default::default()
        }),
        vec![1, 3, 5]
    );
    assert_eq!(
        sequences(AuditQuery {
            purpose: Some(Purpose::CaseInvestigation),
            ..Default::default()
        }),
        vec![3, 4]
    );
    assert_eq!(
        sequences(AuditQuery {
            action: Some(AuditAction::EnrolPerson),
            ..Default::default()
        }),
        vec![1, 2]
    );
    assert_eq!(
        sequences(AuditQuery {
            since: Some(morning.at),
            until: Some(own.at),
            ..Default::default()
        }),
        vec![3, 4],
        "since is inclusive, until exclusive"
    );
    assert_eq!(
        sequences(AuditQuery {
            subject: Some(zhang.id),
            after_sequence: Some(1),
            ..Default::default()
        }),
        vec![3, 5, 6],
        "reading a person's audit history touches that person's data: record 6 is the first query"
    );
    // Each of the five queries above was itself audited.
    let auditor_reads = sequences(AuditQuery {
        action: Some(AuditAction::ReadAuditLog),
        ..Default::default()
    });
    assert_eq!(auditor_reads, vec![6, 7, 8, 9, 10]);
}

pub fn the_audit_log_returns_at_most_the_limit_asked_for(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    for _ in 0..4 {
        store.person(&investigation(), zhang.id).unwrap();
    }
    let page = |after_sequence, limit| -> Vec<u64> {
        store
            .audit_log(
                &audit_review(),
                &AuditQuery {
                    after_sequence,
                    limit,
                    ..Default::default()
                },
            )
            .unwrap()
            .iter()
            .map(|record| record.sequence)
            .collect()
    };
    assert_eq!(page(None, Some(2)), vec![1, 2]);
    assert_eq!(page(Some(2), Some(2)), vec![3, 4]);
    assert_eq!(page(Some(4), Some(0)), Vec::<u64>::new());
    assert_eq!(
        page(None, Some(u32::MAX)).len(),
        8,
        "five accesses and three audited reads"
    );
}

pub fn a_denied_action_is_recorded_with_its_actor_purpose_and_subject(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let employer = Actor::Staff {
        id: StaffId::from_bytes([0xe0; 16]),
        role: Role::Employer,
    };
    let access = Access::new(
        employer,
        Purpose::CaseInvestigation,
        at("2026-02-13T09:00:00Z"),
    );
    store
        .record_denied(&access, AuditAction::ReadCheckIns, Some(zhang.id))
        .unwrap();
    store
        .record_denied(&access, AuditAction::ReadAuditLog, None)
        .unwrap();
    let trail = audit_trail(store);
    let denied: Vec<AuditSummary> = trail[trail.len() - 2..].iter().map(summary).collect();
    assert_eq!(
        denied,
        vec![
            (
                employer,
                Purpose::CaseInvestigation,
                AuditAction::ReadCheckIns,
                Some(zhang.id),
                0,
                AuditOutcome::Denied
            ),
            (
                employer,
                Purpose::CaseInvestigation,
                AuditAction::ReadAuditLog,
                None,
                0,
                AuditOutcome::Denied
            ),
        ]
    );
    assert_eq!(trail[trail.len() - 1].at, access.at);
}

pub fn actors_of_every_kind_are_recorded_faithfully(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let mut actors = vec![
        Actor::Public,
        Actor::LocalOperator,
        Actor::Resident(zhang.id),
    ];
    for (index, role) in Role::STAFF.into_iter().enumerate() {
        actors.push(Actor::Staff {
            id: StaffId::from_bytes([index as u8 + 1; 16]),
            role,
        });
    }
    let time = at("2026-02-14T09:30:00.750Z");
    for (actor, purpose) in actors.iter().zip(Purpose::ALL.into_iter().cycle()) {
        store
            .record_denied(
                &Access::new(*actor, purpose, time),
                AuditAction::ReadPerson,
                None,
            )
            .unwrap();
    }
    let trail = audit_trail(store);
    let recorded: Vec<(Actor, Purpose)> = trail[1..]
        .iter()
        .map(|record| (record.actor, record.purpose))
        .collect();
    let expected: Vec<(Actor, Purpose)> = actors
        .iter()
        .copied()
        .zip(Purpose::ALL.into_iter().cycle())
        .collect();
    assert_eq!(recorded, expected);
    assert!(trail[1..].iter().all(|record| record.at == time));
}

pub fn the_audit_chain_verifies_and_notices_nothing_when_intact(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let shop = registered(store, venue("Shop", "24/7"));
    store.person(&investigation(), zhang.id).unwrap();
    let _ = store.enrol(
        &enrolment_access(),
        &Enrolment {
            event_id: new_event_id(),
            person: zhang.clone(),
            device_token: device_token(9),
        },
    );
    store
        .ingest_check_ins(
            &bulk_import(),
            &[check_in(&zhang, &shop, "2026-02-10T09:00:00Z", None)],
        )
        .unwrap();
    audit_trail(store);
    assert_eq!(
        store.verify_audit_chain().unwrap(),
        AuditChainReport {
            records: 5,
            first_break: None
        }
    );
}

pub fn staff_accounts_read_back_exactly_and_unknown_usernames_are_absent(store: &dyn Store) {
    let account = StaffAccount {
        id: StaffId::from_uuid(random_uuid()),
        username: Username::parse("official.li").unwrap(),
        role: Role::HealthOfficial,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".to_owned(),
        created_at: at("2026-01-15T08:00:00.042Z"),
    };
    store.create_staff_account(&account).unwrap();
    assert_eq!(
        store.staff_account(&account.username).unwrap(),
        Some(account)
    );
    assert_eq!(
        store
            .staff_account(&Username::parse("nobody").unwrap())
            .unwrap(),
        None
    );
}

pub fn a_taken_username_is_refused(store: &dyn Store) {
    let account = StaffAccount {
        id: StaffId::from_uuid(random_uuid()),
        username: Username::parse("auditor-wang").unwrap(),
        role: Role::Auditor,
        password_hash: "$argon2id$first".to_owned(),
        created_at: at("2026-01-15T08:00:00Z"),
    };
    store.create_staff_account(&account).unwrap();
    let impostor = StaffAccount {
        id: StaffId::from_uuid(random_uuid()),
        role: Role::Admin,
        password_hash: "$argon2id$second".to_owned(),
        ..account.clone()
    };
    let result = store.create_staff_account(&impostor);
    assert!(
        matches!(result, Err(StoreError::UsernameTaken)),
        "{result:?}"
    );
    assert_eq!(
        store.staff_account(&account.username).unwrap(),
        Some(account)
    );
}

fn staff_account_with_token(store: &dyn Store, token: TokenHash, expires_at: &str) -> Actor {
    let account = StaffAccount {
        id: StaffId::from_uuid(random_uuid()),
        username: Username::parse("checkpoint.zhao").unwrap(),
        role: Role::CheckpointWorker,
        password_hash: "$argon2id$hash".to_owned(),
        created_at: at("2026-01-15T08:00:00Z"),
    };
    store.create_staff_account(&account).unwrap();
    let holder = Actor::Staff {
        id: account.id,
        role: account.role,
    };
    store
        .grant_token(&TokenGrant {
            hash: token,
            holder,
            issued_at: at("2026-02-10T08:00:00Z"),
            expires_at: Some(at(expires_at)),
        })
        .unwrap();
    holder
}

pub fn staff_tokens_name_their_holder_until_they_expire(store: &dyn Store) {
    let token = device_token(0x31);
    let holder = staff_account_with_token(store, token, "2026-02-10T20:00:00Z");
    assert_eq!(
        store
            .token_holder(&token, at("2026-02-10T08:00:00Z"))
            .unwrap(),
        Some(holder)
    );
    assert_eq!(
        store
            .token_holder(&token, at("2026-02-10T19:59:59.999Z"))
            .unwrap(),
        Some(holder)
    );
}

pub fn expired_tokens_name_no_holder(store: &dyn Store) {
    let token = device_token(0x32);
    staff_account_with_token(store, token, "2026-02-10T20:00:00Z");
    assert_eq!(
        store
            .token_holder(&token, at("2026-02-10T20:00:00Z"))
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .token_holder(&token, at("2026-03-01T00:00:00Z"))
            .unwrap(),
        None
    );
}

pub fn unknown_tokens_name_no_holder(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let now = at("2026-02-10T08:00:00Z");
    assert_eq!(store.token_holder(&device_token(0x77), now).unwrap(), None);
    assert_eq!(
        store.token_holder(&device_token_of(&zhang), now).unwrap(),
        Some(Actor::Resident(zhang.id))
    );
}

pub fn only_residents_and_staff_that_exist_can_hold_tokens(store: &dyn Store) {
    let grant = |hash: u8, holder: Actor| TokenGrant {
        hash: device_token(hash),
        holder,
        issued_at: at("2026-02-10T08:00:00Z"),
        expires_at: None,
    };
    let now = at("2026-02-10T09:00:00Z");
    for (hash, holder) in [
        (0x41, Actor::Public),
        (0x42, Actor::LocalOperator),
        (0x43, Actor::Resident(PersonId::from_uuid(random_uuid()))),
        (
            0x44,
            Actor::Staff {
                id: StaffId::from_uuid(random_uuid()),
                role: Role::Admin,
            },
        ),
    ] {
        assert!(
            store.grant_token(&grant(hash, holder)).is_err(),
            "{holder:?}"
        );
        assert_eq!(
            store.token_holder(&device_token(hash), now).unwrap(),
            None,
            "{holder:?}"
        );
    }
    let zhang = enrolled(store, zhang());
    store
        .grant_token(&grant(0x45, Actor::Resident(zhang.id)))
        .unwrap();
    assert_eq!(
        store.token_holder(&device_token(0x45), now).unwrap(),
        Some(Actor::Resident(zhang.id))
    );
}

pub fn the_store_serves_many_threads_at_once_without_losing_audit_records(store: &dyn Store) {
    const THREADS: usize = 4;
    const CHECK_INS_PER_THREAD: usize = 25;
    let shop = registered(store, venue("Shop", "24/7"));
    let people: Vec<Person> = (0..THREADS)
        .map(|index| {
            let resident_id =
                ResidentId::with_check_character(&format!("3301061990010112{index}")).unwrap();
            enrolled(store, resident(resident_id.as_str(), "王五", "13700137000"))
        })
        .collect();
    std::thread::scope(|scope| {
        for person in &people {
            let shop = &shop;
            scope.spawn(move || {
                for minute in 0..CHECK_INS_PER_THREAD {
                    let entered = format!("2026-02-10T09:{minute:02}:00Z");
                    let visit = check_in(person, shop, &entered, None);
                    store
                        .record_check_in(&visit_logging(person.id), &visit)
                        .unwrap();
                    assert_eq!(store.venue(shop.id).unwrap().as_ref(), Some(shop));
                }
                let read = store.check_ins_of(&investigation(), person.id).unwrap();
                assert_eq!(read.len(), CHECK_INS_PER_THREAD);
            });
        }
    });
    // Enrolments, check-ins and reads, each audited once, in one unbroken chain.
    let expected = (THREADS + THREADS * CHECK_INS_PER_THREAD + THREADS) as u64;
    assert_eq!(
        store.verify_audit_chain().unwrap(),
        AuditChainReport {
            records: expected,
            first_break: None
        }
    );
}
