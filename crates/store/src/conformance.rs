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

mod consent;
mod dashboard;
mod phone_data;
mod tracing;
mod venue_counts;

pub use self::consent::*;
pub use self::dashboard::*;
pub use self::phone_data::*;
pub use self::tracing::*;
pub use self::venue_counts::*;

use std::collections::{BTreeMap, BTreeSet};

use healthcode_core::rating::{
    Appeal, AppealDecision, AppealId, AppealOutcome, AppealRecord, CaseId, CaseRecord, CaseStatus,
    Colour, Contact, ContactDegree, ContactId, ContactSetting, Evidence, Finding, HealthReport,
    LatestRating, Medicine, Override, OverrideId, PharmacyPurchase, PolicyVersion, Rating,
    RatingCause, RatingRecord, Reason, RegionRiskList, Reporter, RiskLevel, RuleId, TestKind,
    TestOutcome, TestResult, Until,
};
use jiff::SignedDuration;

use healthcode_core::{
    Access, Actor, AuditAction, AuditOutcome, AuditRecord, CheckIn, CheckInSource, Date,
    Declaration, EventId, GeoPoint, OpeningHours, Person, PersonId, PersonName, PhoneNumber,
    Purpose, RegionCode, ResidentId, Role, StaffAccount, StaffId, Symptom, Temperature, Timestamp,
    TravelEntry, TripId, Username, Venue, VenueId, VenueKind,
};

use crate::audit_chain::{GENESIS_HASH, chain_hash};
use crate::{
    AuditChainReport, AuditQuery, Enrolled, Enrolment, IngestReport, PassHolder, PolicyActivation,
    Reference, Store, StoreError, StoredPolicy, TokenGrant, TokenHash, Write,
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
            many_residents_are_enrolled_at_once_with_their_device_tokens_and_one_audit_record,
            enrolling_many_counts_stored_and_repeated_enrolments_as_duplicates_and_keeps_their_tokens,
            enrolling_many_with_one_conflict_stores_nothing_and_the_conflict_is_audited,
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
            a_revoked_staff_token_names_nobody_but_a_device_token_cannot_be_revoked,
            only_residents_and_staff_that_exist_can_hold_tokens,
            the_store_serves_many_threads_at_once_without_losing_audit_records,
            many_people_are_found_by_resident_id_number_at_once_with_one_audit_record,
            test_results_purchases_and_health_reports_are_stored_and_read_back_as_facts,
            a_fact_batch_counts_resends_and_repeats_within_it_as_duplicates,
            a_fact_batch_naming_an_unknown_person_stores_nothing_and_is_audited,
            a_case_is_recorded_once_and_released_once_at_the_time_of_the_release,
            contacts_of_every_setting_read_back_exactly_and_are_stored_once,
            a_contact_or_case_naming_an_unknown_case_or_person_is_rejected_and_audited,
            the_facts_of_a_person_are_everything_known_about_them_with_the_region_list_in_force,
            the_facts_of_an_unknown_person_are_not_found_and_the_attempt_is_audited,
            the_facts_of_many_people_are_answered_in_the_order_asked_with_one_audit_record,
            the_facts_of_hundreds_of_people_come_back_complete_and_in_the_order_asked,
            the_facts_of_many_people_are_not_found_if_one_is_not_enrolled_and_the_attempt_is_audited,
            every_residents_facts_are_visited_in_person_id_order_with_one_audit_record,
            visiting_every_residents_facts_in_an_empty_store_visits_nobody,
            every_residents_facts_come_with_their_latest_rating_and_none_before_any,
            the_region_risk_list_is_empty_at_version_zero_until_one_is_published,
            every_published_version_of_the_region_risk_list_is_kept,
            a_valid_policy_is_stored_once_and_its_source_reads_back,
            policies_are_listed_oldest_upload_first,
            an_invalid_policy_is_refused_with_its_errors_and_the_refusal_is_audited,
            a_policy_uploaded_under_another_version_than_its_own_is_refused_at_its_version_line,
            another_policy_file_under_a_stored_version_is_a_conflict_and_is_audited,
            only_stored_policies_are_activated_and_every_activation_is_listed_in_order,
            a_rating_is_appended_to_the_history_only_when_it_changes,
            a_pass_holder_is_found_by_any_of_their_ratings_with_their_latest_rating,
            causes_of_every_kind_and_the_override_rule_id_read_back_exactly,
            a_batch_of_ratings_is_recorded_in_one_transaction_with_one_audit_record,
            a_batch_of_ratings_naming_an_unknown_person_stores_nothing_and_is_audited,
            ratings_due_are_latest_ratings_expired_by_now_longest_overdue_first,
            an_appeal_reads_back_exactly_and_a_resend_stores_nothing,
            an_appeal_against_a_rating_that_is_not_the_residents_is_not_found_and_is_audited,
            the_appeal_queue_lists_undecided_appeals_oldest_first_up_to_the_limit,
            deciding_an_appeal_twice_is_a_conflict_and_is_audited,
            an_amended_appeal_stores_its_override_naming_the_appeal_in_the_same_decision,
            an_override_is_stored_once_and_an_override_for_an_unknown_person_is_rejected,
            the_store_can_be_written_while_every_residents_facts_are_visited,
            // Tracing (conformance/tracing.rs).
            boardings_are_stored_once_and_a_trip_resent_with_other_details_conflicts,
            tracing_a_case_finds_its_venue_trip_and_household_contacts_with_their_evidence,
            traced_contacts_are_recorded_once_and_tracing_again_stores_only_new_ones,
            a_dismissed_contact_keeps_its_reason_and_counts_for_nothing_from_then_on,
            tracing_or_reading_an_unknown_case_is_refused_as_not_found_and_audited,
            cases_traced_together_are_traced_each_as_alone_and_recorded_all_or_none,
            a_person_registered_in_another_household_moves_there,
            // Phone data (conformance/phone_data.rs).
            cells_are_registered_once_read_back_exactly_and_a_moved_cell_is_a_conflict,
            pings_are_reduced_to_city_days_in_the_offset_given_with_one_audit_record,
            resent_pings_are_duplicates_and_later_pings_widen_stays_without_adding_city_days,
            the_same_day_in_the_same_city_has_the_same_event_id_in_every_store,
            a_ping_batch_naming_an_unknown_person_or_cell_stores_nothing_and_is_audited,
            the_itinerary_of_an_unknown_person_is_not_found_and_the_attempt_is_audited,
            city_days_are_their_persons_facts_as_itinerary_stays_in_every_read_of_facts,
            the_purge_deletes_pings_and_stays_past_their_retention_and_keeps_the_rest,
            a_proximity_search_finds_the_people_whose_stays_near_the_place_meet_the_window,
            a_proximity_search_for_an_unknown_or_released_case_is_refused_and_audited,
            resending_a_proximity_search_answers_the_stored_one_and_searches_nothing_again,
            confirming_a_candidate_records_a_close_nearby_contact_for_the_searchs_case,
            rejecting_a_candidate_records_the_reviewer_and_no_contact,
            // Consent and follow-up (conformance/consent.rs).
            a_consent_is_listed_with_its_employers_username_and_its_use,
            resending_a_consent_keeps_its_terms_and_replaces_its_token,
            a_consent_id_already_used_or_naming_nobody_is_refused_and_audited,
            a_revoked_consent_answers_no_more_checks_and_revoking_it_again_changes_nothing,
            a_check_with_a_consent_in_force_answers_whether_the_person_is_a_close_contact_and_counts,
            a_check_without_a_consent_in_force_is_refused_alike_and_audited_as_denied,
            a_follow_up_check_is_kept_once_as_the_communitys_health_report_in_the_persons_facts,
            missed_follow_up_checks_are_the_isolated_residents_with_no_check_on_the_day,
            nobody_in_isolation_misses_a_check_and_one_alone_is_named_in_the_audit,
            // Venue check-in counts (conformance/venue_counts.rs).
            check_ins_at_a_venue_are_counted_per_hour_from_the_time_asked_and_nobody_is_read,
            a_venue_nobody_checked_in_at_or_nobody_registered_counts_zero_every_hour,
            // The officials' dashboard (conformance/dashboard.rs).
            the_dashboard_counts_current_colours_by_district_and_each_days_colours_from_history,
            the_dashboard_counts_cases_and_contacts_by_day_and_the_appeals_waiting_and_decided,
            reading_the_dashboard_is_audited_once_without_a_subject_counting_the_rated,
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

fn official_id() -> StaffId {
    StaffId::from_bytes([0x0f; 16])
}

fn official() -> Actor {
    Actor::Staff {
        id: official_id(),
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

/// Four residents, enrolled in this order.
fn four_residents_enrolled(store: &dyn Store) -> Vec<Person> {
    [
        ("330106199001011256", "张三明", "13800138000"),
        ("11010519491231002X", "李四", "+85291234567"),
        ("330106199001011272", "王五", "13900139000"),
        ("33010619900101123X", "赵六", "13700137000"),
    ]
    .into_iter()
    .map(|(resident_id, name, phone)| enrolled(store, resident(resident_id, name, phone)))
    .collect()
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

/// Where and what the unknown reference is that a write was refused for; `None` for any other
/// answer.
fn unknown_reference<T>(answer: &Result<T, StoreError>) -> Option<(usize, Reference)> {
    match answer {
        Err(StoreError::UnknownReference { index, reference }) => Some((*index, *reference)),
        _ => None,
    }
}

/// What was not found when a call was refused for it; `None` for any other answer.
fn not_found<T>(answer: &Result<T, StoreError>) -> Option<&'static str> {
    match answer {
        Err(StoreError::NotFound { what }) => Some(what),
        _ => None,
    }
}

/// The outcomes of the audit records of `action`, oldest first.
fn outcomes_of(store: &dyn Store, action: AuditAction) -> Vec<AuditOutcome> {
    audit_trail(store)
        .iter()
        .filter(|record| record.action == action)
        .map(|record| record.outcome)
        .collect()
}

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

/// A register of residents loaded by the local operator.
fn register_import() -> Access {
    Access::new(
        Actor::LocalOperator,
        Purpose::Enrolment,
        at("2026-02-01T09:00:00Z"),
    )
}

/// An enrolment of `person` with the device token [`device_token_of`] gives them.
fn enrolment_of(person: &Person) -> Enrolment {
    Enrolment {
        event_id: new_event_id(),
        device_token: device_token_of(person),
        person: person.clone(),
    }
}

pub fn many_residents_are_enrolled_at_once_with_their_device_tokens_and_one_audit_record(
    store: &dyn Store,
) {
    let (zhang, li) = (zhang(), li());
    let report = store
        .enrol_many(
            &register_import(),
            &[enrolment_of(&zhang), enrolment_of(&li)],
        )
        .unwrap();
    assert_eq!(
        report,
        IngestReport {
            stored: 2,
            duplicates: 0
        }
    );
    let audited = last_audit_record(store);
    for person in [&zhang, &li] {
        assert_eq!(store.person(&investigation(), person.id).unwrap(), *person);
        assert_eq!(
            store
                .find_person(&investigation(), &person.resident_id)
                .unwrap(),
            Some(person.id)
        );
        assert_eq!(
            store
                .token_holder(&device_token_of(person), at("2026-02-02T00:00:00Z"))
                .unwrap(),
            Some(Actor::Resident(person.id))
        );
    }
    assert_eq!(
        summary(&audited),
        (
            Actor::LocalOperator,
            Purpose::Enrolment,
            AuditAction::EnrolPerson,
            None,
            2,
            AuditOutcome::Success
        )
    );
}

pub fn enrolling_many_counts_stored_and_repeated_enrolments_as_duplicates_and_keeps_their_tokens(
    store: &dyn Store,
) {
    let zhang = zhang();
    let first = enrolment_of(&zhang);
    store.enrol(&enrolment_access(), &first).unwrap();
    let resent = Enrolment {
        device_token: device_token(0x61),
        ..first.clone()
    };
    let li = enrolment_of(&li());
    let report = store
        .enrol_many(&register_import(), &[resent, li.clone(), li.clone()])
        .unwrap();
    assert_eq!(
        report,
        IngestReport {
            stored: 1,
            duplicates: 2
        }
    );
    let now = at("2026-02-02T00:00:00Z");
    assert_eq!(
        store.token_holder(&first.device_token, now).unwrap(),
        Some(Actor::Resident(zhang.id)),
        "a resend in a batch keeps the stored token"
    );
    assert_eq!(store.token_holder(&device_token(0x61), now).unwrap(), None);
    assert_eq!(store.person(&investigation(), zhang.id).unwrap(), zhang);
    assert_eq!(
        store.person(&investigation(), li.person.id).unwrap(),
        li.person
    );
}

pub fn enrolling_many_with_one_conflict_stores_nothing_and_the_conflict_is_audited(
    store: &dyn Store,
) {
    let zhang = enrolled(store, zhang());
    let li = enrolment_of(&li());
    let impostor = Person {
        id: PersonId::from_uuid(random_uuid()),
        ..zhang.clone()
    };
    let result = store.enrol_many(&register_import(), &[li.clone(), enrolment_of(&impostor)]);
    assert!(
        matches!(result, Err(StoreError::AlreadyEnrolled)),
        "{result:?}"
    );
    assert_eq!(
        store
            .find_person(&investigation(), &li.person.resident_id)
            .unwrap(),
        None,
        "nothing of the batch was kept"
    );
    assert_eq!(
        store
            .token_holder(&li.device_token, at("2026-02-02T00:00:00Z"))
            .unwrap(),
        None
    );
    let conflicts: Vec<AuditSummary> = audit_trail(store)
        .iter()
        .filter(|record| record.outcome == AuditOutcome::Conflict)
        .map(summary)
        .collect();
    assert_eq!(
        conflicts,
        vec![(
            Actor::LocalOperator,
            Purpose::Enrolment,
            AuditAction::EnrolPerson,
            None,
            2,
            AuditOutcome::Conflict
        )]
    );
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
    let outcomes = outcomes_of(store, AuditAction::RecordDeclaration);
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
    assert_eq!(
        unknown_reference(&result),
        Some((0, Reference::Person)),
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
    let outcomes = outcomes_of(store, AuditAction::RecordCheckIn);
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
    assert_eq!(
        unknown_reference(&result),
        Some((0, Reference::Venue)),
        "{result:?}"
    );
    let of_unknown_person = check_in(&stranger, &shop, "2026-02-10T09:00:00Z", None);
    let result = store.record_check_in(&visit_logging(stranger.id), &of_unknown_person);
    assert_eq!(
        unknown_reference(&result),
        Some((0, Reference::Person)),
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
    assert_eq!(
        unknown_reference(&result),
        Some((2, Reference::Venue)),
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
    assert_eq!(
        unknown_reference(&result),
        Some((1, Reference::Person)),
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
    assert_eq!(
        unknown_reference(&result),
        Some((1, Reference::Venue)),
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
        Actor::System,
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

pub fn a_revoked_staff_token_names_nobody_but_a_device_token_cannot_be_revoked(store: &dyn Store) {
    let now = at("2026-02-10T08:00:00Z");
    let token = device_token(0x33);
    staff_account_with_token(store, token, "2026-02-10T20:00:00Z");
    assert!(store.revoke_staff_token(&token).unwrap());
    assert_eq!(store.token_holder(&token, now).unwrap(), None);
    assert!(!store.revoke_staff_token(&token).unwrap(), "once is enough");

    let zhang = enrolled(store, zhang());
    assert!(!store.revoke_staff_token(&device_token_of(&zhang)).unwrap());
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
        (0x43, Actor::System),
        (0x44, Actor::Resident(PersonId::from_uuid(random_uuid()))),
        (
            0x45,
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
        .grant_token(&grant(0x46, Actor::Resident(zhang.id)))
        .unwrap();
    assert_eq!(
        store.token_holder(&device_token(0x46), now).unwrap(),
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

// ---------------------------------------------------------------------------------------------
// Fixtures of the rating engine's data. All synthetic.

fn laboratory_report() -> Access {
    Access::new(
        Actor::Staff {
            id: StaffId::from_bytes([0x1a; 16]),
            role: Role::Laboratory,
        },
        Purpose::LaboratoryReport,
        at("2026-02-12T18:00:00Z"),
    )
}

/// healthcode itself, rating residents.
fn rating_access() -> Access {
    Access::new(Actor::System, Purpose::Rating, at("2026-02-13T00:00:00Z"))
}

/// The summary of an audit record [`rating_access`] leaves.
fn rating_audit(
    action: AuditAction,
    subject: Option<PersonId>,
    records: u64,
    outcome: AuditOutcome,
) -> AuditSummary {
    (
        Actor::System,
        Purpose::Rating,
        action,
        subject,
        records,
        outcome,
    )
}

fn appeal_review() -> Access {
    Access::new(
        official(),
        Purpose::AppealReview,
        at("2026-02-14T09:00:00Z"),
    )
}

fn test_result(outcome: TestOutcome, sampled_at: &str) -> TestResult {
    let sampled_at = at(sampled_at);
    TestResult {
        event_id: new_event_id(),
        kind: TestKind::Pcr,
        outcome,
        sampled_at,
        reported_at: sampled_at + SignedDuration::from_hours(6),
    }
}

fn pharmacy_purchase(purchased_at: &str) -> PharmacyPurchase {
    PharmacyPurchase {
        event_id: new_event_id(),
        medicine: Medicine::FeverReducer,
        purchased_at: at(purchased_at),
    }
}

fn health_report(reported_at: &str) -> HealthReport {
    HealthReport {
        event_id: new_event_id(),
        reporter: Reporter::Employer,
        day: Date::new(2026, 2, 11).expect("a valid date"),
        reported_at: at(reported_at),
        temperature: Some(Temperature::from_celsius(37.5).expect("a valid temperature")),
        symptoms: BTreeSet::from([Symptom::DryCough, Symptom::Fatigue]),
    }
}

fn case(status: CaseStatus, since: &str) -> CaseRecord {
    CaseRecord {
        case: CaseId::from_uuid(random_uuid()),
        status,
        since: at(since),
        onset: at(since) - SignedDuration::from_hours(36),
        isolated_at: at(since),
        released_at: None,
    }
}

fn contact(case: &CaseRecord, setting: ContactSetting, last_exposure: &str) -> Contact {
    let last_exposure = at(last_exposure);
    Contact {
        contact: ContactId::from_uuid(random_uuid()),
        case: case.case,
        degree: ContactDegree::Close,
        setting,
        first_exposure: last_exposure - SignedDuration::from_hours(2),
        last_exposure,
        together: SignedDuration::from_hours(2),
        found_at: last_exposure + SignedDuration::from_hours(30),
        dismissed_at: None,
    }
}

fn override_of(colour: Colour, reason: &str, set_at: &str) -> Override {
    let set_at = at(set_at);
    Override {
        id: OverrideId::from_uuid(random_uuid()),
        colour,
        reason: reason.to_owned(),
        set_by: official_id(),
        set_at,
        expires_at: set_at + SignedDuration::from_hours(7 * 24),
        appeal: None,
    }
}

fn policy_version(version: u32) -> PolicyVersion {
    PolicyVersion::parse(&format!("conformance@{version}")).expect("a valid policy version")
}

/// A small valid policy file named `conformance@{version}`.
fn policy_file(version: u32, close_contact_days: u32) -> String {
    format!(
        "[policy]\n\
         name = \"conformance\"\n\
         version = {version}\n\
         utc_offset = \"+08:00\"\n\
         core_symptoms = [\"fever\", \"dry_cough\"]\n\
         \n\
         [[rule]]\n\
         id = \"close_contact\"\n\
         when = \"close_contact\"\n\
         colour = \"red\"\n\
         for = \"{close_contact_days}d\"\n"
    )
}

/// A rating under `conformance@1` whose reasons carry `rule_ids`.
fn rating(colour: Colour, valid_until: Option<&str>, rule_ids: &[&str], rated_at: &str) -> Rating {
    let rated_at = at(rated_at);
    let policy_version = policy_version(1);
    let reasons = rule_ids
        .iter()
        .map(|rule_id| Reason {
            rule_id: RuleId::parse(rule_id).expect("a valid rule id"),
            policy_version: policy_version.clone(),
            colour,
            since: rated_at,
            until: Until::Released,
            finding: Finding::ConfirmedCase,
            evidence: vec![Evidence::Case {
                case: CaseId::from_uuid(random_uuid()),
                status: CaseStatus::Confirmed,
                since: rated_at,
            }],
        })
        .collect();
    Rating {
        colour,
        valid_until: valid_until.map(at),
        policy_version,
        rated_at,
        reasons,
        next_steps: Vec::new(),
        offset: jiff::tz::offset(8),
    }
}

/// The history entry `rating` becomes.
fn rating_record(
    sequence: u64,
    person: &Person,
    rating: &Rating,
    cause: RatingCause,
) -> RatingRecord {
    RatingRecord {
        sequence,
        person: person.id,
        colour: rating.colour,
        valid_until: rating.valid_until,
        policy_version: rating.policy_version.clone(),
        rule_ids: rating
            .reasons
            .iter()
            .map(|reason| reason.rule_id.clone())
            .collect(),
        rated_at: rating.rated_at,
        cause,
    }
}

/// Rates a person red and answers the sequence of that rating in their history.
fn rated(store: &dyn Store, person: &Person) -> u64 {
    store
        .record_rating(
            &rating_access(),
            person.id,
            &rating(
                Colour::Red,
                None,
                &["confirmed_case"],
                "2026-02-13T00:00:00Z",
            ),
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

fn appeal_against(person: &Person, rating: u64, statement: &str, filed_at: &str) -> Appeal {
    Appeal {
        id: AppealId::from_uuid(random_uuid()),
        person: person.id,
        rating,
        statement: statement.to_owned(),
        filed_at: at(filed_at),
    }
}

fn filed(store: &dyn Store, appeal: Appeal) -> Appeal {
    let access = Access::new(
        Actor::Resident(appeal.person),
        Purpose::AppealReview,
        appeal.filed_at,
    );
    assert_eq!(
        store
            .file_appeal(&access, &appeal)
            .expect("the appeal is filed"),
        Write::Stored
    );
    appeal
}

/// Zhang, enrolled, rated red, and appealing that rating.
fn zhang_appealing(store: &dyn Store, statement: &str, filed_at: &str) -> (Person, Appeal) {
    let zhang = enrolled(store, zhang());
    let rating = rated(store, &zhang);
    let appeal = filed(store, appeal_against(&zhang, rating, statement, filed_at));
    (zhang, appeal)
}

fn decision(appeal: &Appeal, outcome: AppealOutcome, decided_at: &str) -> AppealDecision {
    AppealDecision {
        appeal: appeal.id,
        outcome,
        reason: "没有密切接触的证据 / no evidence of the contact".to_owned(),
        decided_by: official_id(),
        decided_at: at(decided_at),
    }
}

/// Stores facts for some of four residents only, sent in no particular order: test results of
/// the fourth (two) and the second, a declaration of the first, a case of the third and a
/// contact of the fourth with it, an override of the second; and publishes a region-risk list.
/// Answers the case.
fn some_facts_of_four_residents(store: &dyn Store, people: &[Person]) -> CaseRecord {
    let results: Vec<(PersonId, TestResult)> = [3, 1, 3]
        .into_iter()
        .enumerate()
        .map(|(hour, index)| {
            let sampled_at = format!("2026-02-11T0{hour}:00:00Z");
            (
                people[index].id,
                test_result(TestOutcome::Negative, &sampled_at),
            )
        })
        .collect();
    store
        .ingest_test_results(&laboratory_report(), &results)
        .unwrap();
    store
        .record_declaration(
            &visit_logging(people[0].id),
            &declaration(&people[0], "2026-02-10T07:00:00Z"),
        )
        .unwrap();
    let source = case(CaseStatus::Confirmed, "2026-02-09T12:00:00Z");
    store
        .record_case(&investigation(), people[2].id, &source)
        .unwrap();
    store
        .record_contact(
            &investigation(),
            people[3].id,
            &contact(
                &source,
                ContactSetting::Trip(TripId::from_bytes([7; 16])),
                "2026-02-08T19:00:00Z",
            ),
        )
        .unwrap();
    store
        .set_override(
            &appeal_review(),
            people[1].id,
            &override_of(Colour::Green, "核实 checked", "2026-02-12T09:00:00Z"),
        )
        .unwrap();
    store
        .publish_region_risk_list(
            &investigation(),
            &BTreeMap::from([(RegionCode::parse("420100").unwrap(), RiskLevel::Medium)]),
        )
        .unwrap();
    source
}

/// The summaries of the audit records written since `before` records, without the auditor's
/// read that `audit_trail` adds.
fn audit_since(store: &dyn Store, before: usize) -> Vec<AuditSummary> {
    let trail = audit_trail(store);
    trail[before..].iter().map(summary).collect()
}

/// How many audit records there are, counting the read that counts them.
fn audit_length(store: &dyn Store) -> usize {
    audit_trail(store).len() + 1
}

// ---------------------------------------------------------------------------------------------
// Behaviours of the rating engine's data.

pub fn many_people_are_found_by_resident_id_number_at_once_with_one_audit_record(
    store: &dyn Store,
) {
    let zhang = enrolled(store, zhang());
    let li = enrolled(store, li());
    let nobody = ResidentId::parse("330106199001011272").expect("a valid resident ID");
    let before = audit_length(store);
    let found = store
        .find_people(
            &investigation(),
            &[
                li.resident_id.clone(),
                nobody,
                zhang.resident_id.clone(),
                li.resident_id.clone(),
            ],
        )
        .unwrap();
    assert_eq!(found, vec![Some(li.id), None, Some(zhang.id), Some(li.id)]);
    assert_eq!(
        audit_since(store, before),
        vec![(
            official(),
            Purpose::CaseInvestigation,
            AuditAction::FindPersonByResidentId,
            None,
            4,
            AuditOutcome::Success
        )]
    );
    assert_eq!(
        store.find_people(&investigation(), &[]).unwrap(),
        Vec::new()
    );
}

pub fn test_results_purchases_and_health_reports_are_stored_and_read_back_as_facts(
    store: &dyn Store,
) {
    let zhang = enrolled(store, zhang());
    let li = enrolled(store, li());
    let later = test_result(TestOutcome::Negative, "2026-02-12T08:00:00Z");
    let earlier = test_result(TestOutcome::Positive, "2026-02-10T08:00:00Z");
    let of_li = test_result(TestOutcome::Inconclusive, "2026-02-11T08:00:00Z");
    assert_eq!(
        store
            .ingest_test_results(
                &laboratory_report(),
                &[(zhang.id, later), (li.id, of_li), (zhang.id, earlier)],
            )
            .unwrap(),
        IngestReport {
            stored: 3,
            duplicates: 0
        }
    );
    let purchase = pharmacy_purchase("2026-02-11T19:30:00.250Z");
    store
        .ingest_pharmacy_purchases(&bulk_import(), &[(zhang.id, purchase)])
        .unwrap();
    let report = health_report("2026-02-11T10:00:00Z");
    store
        .ingest_health_reports(&bulk_import(), &[(zhang.id, report.clone())])
        .unwrap();

    let facts = store.facts_of(&rating_access(), zhang.id).unwrap();
    assert_eq!(facts.test_results, vec![earlier, later]);
    assert_eq!(facts.pharmacy_purchases, vec![purchase]);
    assert_eq!(facts.health_reports, vec![report]);
    let facts_of_li = store.facts_of(&rating_access(), li.id).unwrap();
    assert_eq!(facts_of_li.test_results, vec![of_li]);
    assert!(facts_of_li.pharmacy_purchases.is_empty());
    assert!(facts_of_li.health_reports.is_empty());
}

pub fn a_fact_batch_counts_resends_and_repeats_within_it_as_duplicates(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let first = test_result(TestOutcome::Negative, "2026-02-10T08:00:00Z");
    let second = test_result(TestOutcome::Negative, "2026-02-11T08:00:00Z");
    // Another result under the second's event id, later in the same batch: the first wins.
    let second_again = TestResult {
        outcome: TestOutcome::Positive,
        ..second
    };
    store
        .ingest_test_results(&laboratory_report(), &[(zhang.id, first)])
        .unwrap();
    let batch = [
        (zhang.id, first),
        (zhang.id, second),
        (zhang.id, second_again),
    ];
    let before = audit_length(store);
    assert_eq!(
        store
            .ingest_test_results(&laboratory_report(), &batch)
            .unwrap(),
        IngestReport {
            stored: 1,
            duplicates: 2
        }
    );
    assert_eq!(
        store
            .ingest_test_results(&laboratory_report(), &batch)
            .unwrap(),
        IngestReport {
            stored: 0,
            duplicates: 3
        }
    );
    let batch_record = (
        laboratory_report().actor,
        Purpose::LaboratoryReport,
        AuditAction::RecordTestResults,
        Some(zhang.id),
        3,
        AuditOutcome::Success,
    );
    assert_eq!(audit_since(store, before), vec![batch_record, batch_record]);
    assert_eq!(
        store
            .facts_of(&rating_access(), zhang.id)
            .unwrap()
            .test_results,
        vec![first, second]
    );

    let purchase = pharmacy_purchase("2026-02-11T19:30:00Z");
    let purchases = [(zhang.id, purchase), (zhang.id, purchase)];
    assert_eq!(
        store
            .ingest_pharmacy_purchases(&bulk_import(), &purchases)
            .unwrap(),
        IngestReport {
            stored: 1,
            duplicates: 1
        }
    );
    let report = health_report("2026-02-11T10:00:00Z");
    let reports = [(zhang.id, report.clone())];
    store
        .ingest_health_reports(&bulk_import(), &reports)
        .unwrap();
    assert_eq!(
        store
            .ingest_health_reports(&bulk_import(), &reports)
            .unwrap(),
        IngestReport {
            stored: 0,
            duplicates: 1
        }
    );
}

pub fn a_fact_batch_naming_an_unknown_person_stores_nothing_and_is_audited(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let stranger = PersonId::from_uuid(random_uuid());
    let other_stranger = PersonId::from_uuid(random_uuid());
    let kept_out = test_result(TestOutcome::Positive, "2026-02-10T08:00:00Z");
    let batch = [
        (zhang.id, kept_out),
        (
            other_stranger,
            test_result(TestOutcome::Negative, "2026-02-10T09:00:00Z"),
        ),
        (
            stranger,
            test_result(TestOutcome::Negative, "2026-02-10T07:00:00Z"),
        ),
    ];
    let before = audit_length(store);
    let result = store.ingest_test_results(&laboratory_report(), &batch);
    assert_eq!(
        unknown_reference(&result),
        Some((1, Reference::Person)),
        "{result:?}"
    );
    let result = store.ingest_pharmacy_purchases(
        &bulk_import(),
        &[(stranger, pharmacy_purchase("2026-02-11T19:30:00Z"))],
    );
    assert_eq!(
        unknown_reference(&result),
        Some((0, Reference::Person)),
        "{result:?}"
    );
    let result = store.ingest_health_reports(
        &bulk_import(),
        &[
            (zhang.id, health_report("2026-02-11T10:00:00Z")),
            (stranger, health_report("2026-02-11T10:00:00Z")),
        ],
    );
    assert_eq!(
        unknown_reference(&result),
        Some((1, Reference::Person)),
        "{result:?}"
    );
    use AuditOutcome::Rejected;
    assert_eq!(
        audit_since(store, before),
        vec![
            (
                laboratory_report().actor,
                Purpose::LaboratoryReport,
                AuditAction::RecordTestResults,
                None,
                3,
                Rejected
            ),
            (
                Actor::LocalOperator,
                Purpose::BulkImport,
                AuditAction::RecordPharmacyPurchases,
                Some(stranger),
                1,
                Rejected
            ),
            (
                Actor::LocalOperator,
                Purpose::BulkImport,
                AuditAction::RecordHealthReports,
                None,
                2,
                Rejected
            ),
        ]
    );
    let facts = store.facts_of(&rating_access(), zhang.id).unwrap();
    assert!(facts.test_results.is_empty());
    assert!(facts.health_reports.is_empty());
    // The refused event id was not used up: sent again for a known person, it is stored.
    assert_eq!(
        store
            .ingest_test_results(&laboratory_report(), &[(zhang.id, kept_out)])
            .unwrap(),
        IngestReport {
            stored: 1,
            duplicates: 0
        }
    );
}

pub fn a_case_is_recorded_once_and_released_once_at_the_time_of_the_release(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let confirmed = case(CaseStatus::Confirmed, "2026-02-09T12:00:00Z");
    assert_eq!(
        store
            .record_case(&investigation(), zhang.id, &confirmed)
            .unwrap(),
        Write::Stored
    );
    let resent = CaseRecord {
        status: CaseStatus::Suspected,
        ..confirmed
    };
    assert_eq!(
        store
            .record_case(&investigation(), zhang.id, &resent)
            .unwrap(),
        Write::Duplicate
    );
    assert_eq!(
        store.facts_of(&rating_access(), zhang.id).unwrap().cases,
        vec![confirmed]
    );

    let release = Access::new(
        official(),
        Purpose::CaseInvestigation,
        at("2026-02-20T16:00:00Z"),
    );
    let before = audit_length(store);
    assert_eq!(
        store.release_case(&release, confirmed.case).unwrap(),
        zhang.id
    );
    let error = store.release_case(&release, confirmed.case).unwrap_err();
    assert!(matches!(error, StoreError::Conflict(_)), "{error:?}");
    let result = store.release_case(&release, CaseId::from_uuid(random_uuid()));
    assert_eq!(not_found(&result), Some("case"), "{result:?}");
    let of = |subject, outcome| {
        (
            official(),
            Purpose::CaseInvestigation,
            AuditAction::ReleaseCase,
            subject,
            1,
            outcome,
        )
    };
    assert_eq!(
        audit_since(store, before),
        vec![
            of(Some(zhang.id), AuditOutcome::Success),
            of(Some(zhang.id), AuditOutcome::Conflict),
            of(None, AuditOutcome::NotFound),
        ]
    );
    assert_eq!(
        store.facts_of(&rating_access(), zhang.id).unwrap().cases,
        vec![CaseRecord {
            released_at: Some(release.at),
            ..confirmed
        }]
    );
}

pub fn contacts_of_every_setting_read_back_exactly_and_are_stored_once(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let li = enrolled(store, li());
    let source = case(CaseStatus::Confirmed, "2026-02-09T12:00:00Z");
    store.record_case(&investigation(), li.id, &source).unwrap();
    let at_venue = contact(
        &source,
        ContactSetting::Venue(VenueId::from_uuid(random_uuid())),
        "2026-02-08T19:00:00Z",
    );
    let on_trip = Contact {
        degree: ContactDegree::Secondary,
        dismissed_at: Some(at("2026-02-12T08:00:00Z")),
        ..contact(
            &source,
            ContactSetting::Trip(TripId::from_bytes([7; 16])),
            "2026-02-07T07:00:00Z",
        )
    };
    let at_home = contact(&source, ContactSetting::Household, "2026-02-09T07:00:00Z");
    for contact in [&at_venue, &on_trip, &at_home] {
        assert_eq!(
            store
                .record_contact(&investigation(), zhang.id, contact)
                .unwrap(),
            Write::Stored
        );
    }
    assert_eq!(
        store
            .record_contact(&investigation(), zhang.id, &at_home)
            .unwrap(),
        Write::Duplicate
    );
    // Listed by when tracing found them.
    assert_eq!(
        store.facts_of(&rating_access(), zhang.id).unwrap().contacts,
        vec![on_trip, at_venue, at_home]
    );
    assert!(
        store
            .facts_of(&rating_access(), li.id)
            .unwrap()
            .contacts
            .is_empty()
    );
}

pub fn a_contact_or_case_naming_an_unknown_case_or_person_is_rejected_and_audited(
    store: &dyn Store,
) {
    let zhang = enrolled(store, zhang());
    let stranger = PersonId::from_uuid(random_uuid());
    let registered = case(CaseStatus::Suspected, "2026-02-09T12:00:00Z");
    let unregistered = case(CaseStatus::Confirmed, "2026-02-09T12:00:00Z");
    store
        .record_case(&investigation(), zhang.id, &registered)
        .unwrap();
    let before = audit_length(store);
    let result = store.record_contact(
        &investigation(),
        zhang.id,
        &contact(
            &unregistered,
            ContactSetting::Trip(TripId::from_bytes([7; 16])),
            "2026-02-08T19:00:00Z",
        ),
    );
    assert_eq!(
        unknown_reference(&result),
        Some((0, Reference::Case)),
        "{result:?}"
    );
    let result = store.record_contact(
        &investigation(),
        stranger,
        &contact(
            &registered,
            ContactSetting::Trip(TripId::from_bytes([7; 16])),
            "2026-02-08T19:00:00Z",
        ),
    );
    assert_eq!(
        unknown_reference(&result),
        Some((0, Reference::Person)),
        "{result:?}"
    );
    let result = store.record_case(&investigation(), stranger, &unregistered);
    assert_eq!(
        unknown_reference(&result),
        Some((0, Reference::Person)),
        "{result:?}"
    );
    let refused = |action, subject| {
        (
            official(),
            Purpose::CaseInvestigation,
            action,
            subject,
            1,
            AuditOutcome::Rejected,
        )
    };
    assert_eq!(
        audit_since(store, before),
        vec![
            refused(AuditAction::RecordContact, Some(zhang.id)),
            refused(AuditAction::RecordContact, Some(stranger)),
            refused(AuditAction::RecordCase, Some(stranger)),
        ]
    );
    assert!(
        store
            .facts_of(&rating_access(), zhang.id)
            .unwrap()
            .contacts
            .is_empty()
    );
}

pub fn the_facts_of_a_person_are_everything_known_about_them_with_the_region_list_in_force(
    store: &dyn Store,
) {
    let zhang = enrolled(store, zhang());
    let li = enrolled(store, li());
    let declared = Declaration::new(
        new_event_id(),
        zhang.id,
        at("2026-02-10T07:00:00Z"),
        BTreeSet::from([Symptom::StuffyNose]),
        None,
        vec![TravelEntry {
            region: RegionCode::parse("420100").unwrap(),
            from: Date::new(2026, 2, 1).unwrap(),
            to: Date::new(2026, 2, 3).unwrap(),
        }],
    )
    .unwrap();
    store
        .record_declaration(&visit_logging(zhang.id), &declared)
        .unwrap();
    store
        .record_declaration(
            &visit_logging(li.id),
            &declaration(&li, "2026-02-10T07:00:00Z"),
        )
        .unwrap();
    let result = test_result(TestOutcome::Negative, "2026-02-11T08:00:00Z");
    store
        .ingest_test_results(&laboratory_report(), &[(zhang.id, result)])
        .unwrap();
    let source = case(CaseStatus::Confirmed, "2026-02-09T12:00:00Z");
    store.record_case(&investigation(), li.id, &source).unwrap();
    let close = contact(&source, ContactSetting::Household, "2026-02-09T07:00:00Z");
    store
        .record_contact(&investigation(), zhang.id, &close)
        .unwrap();
    let override_ = override_of(Colour::Yellow, "观察 watch", "2026-02-12T09:00:00Z");
    store
        .set_override(&appeal_review(), zhang.id, &override_)
        .unwrap();
    let entries = BTreeMap::from([(RegionCode::parse("420000").unwrap(), RiskLevel::High)]);
    let list = store
        .publish_region_risk_list(&investigation(), &entries)
        .unwrap();

    let before = audit_length(store);
    let facts = store.facts_of(&rating_access(), zhang.id).unwrap();
    assert_eq!(facts.declarations, vec![declared]);
    assert_eq!(facts.test_results, vec![result]);
    assert_eq!(facts.contacts, vec![close]);
    assert!(facts.cases.is_empty());
    assert_eq!(facts.overrides, vec![override_]);
    assert!(facts.health_reports.is_empty());
    assert!(facts.pharmacy_purchases.is_empty());
    // Declared travel stays inside the declarations, where the engine reads it.
    assert!(facts.stays.is_empty());
    assert_eq!(*facts.region_risk, list);
    assert_eq!(
        store.facts_of(&rating_access(), li.id).unwrap().cases,
        vec![source]
    );
    let read = |subject| rating_audit(AuditAction::ReadFacts, subject, 1, AuditOutcome::Success);
    assert_eq!(
        audit_since(store, before),
        vec![read(Some(zhang.id)), read(Some(li.id))]
    );
}

pub fn the_facts_of_an_unknown_person_are_not_found_and_the_attempt_is_audited(store: &dyn Store) {
    let stranger = PersonId::from_uuid(random_uuid());
    let result = store.facts_of(&rating_access(), stranger);
    assert_eq!(not_found(&result), Some("person"), "{result:?}");
    assert_eq!(
        summary(&last_audit_record(store)),
        rating_audit(
            AuditAction::ReadFacts,
            Some(stranger),
            0,
            AuditOutcome::NotFound
        )
    );
}

pub fn the_facts_of_many_people_are_answered_in_the_order_asked_with_one_audit_record(
    store: &dyn Store,
) {
    let people = four_residents_enrolled(store);
    let source = some_facts_of_four_residents(store, &people);

    // In no particular order, one person twice, one not at all.
    let asked = [people[3].id, people[1].id, people[3].id, people[2].id];
    let before = audit_length(store);
    let answer = store.facts_of_people(&rating_access(), &asked).unwrap();
    assert_eq!(
        audit_since(store, before),
        vec![rating_audit(
            AuditAction::ReadFacts,
            None,
            4,
            AuditOutcome::Success
        )]
    );
    assert_eq!(answer.len(), asked.len());
    for (person, facts) in asked.iter().zip(&answer) {
        assert_eq!(facts, &store.facts_of(&rating_access(), *person).unwrap());
        assert!(std::sync::Arc::ptr_eq(
            &facts.region_risk,
            &answer[0].region_risk
        ));
    }
    assert_eq!(answer[0].test_results.len(), 2);
    assert_eq!(answer[0].contacts.len(), 1);
    assert_eq!(answer[1].overrides.len(), 1);
    assert_eq!(answer[3].cases, vec![source]);
    assert_eq!(answer[0].region_risk.version, 1);

    // One person, however often, is the subject; nobody asked for is an empty read.
    let before = audit_length(store);
    let twice = store
        .facts_of_people(&rating_access(), &[people[0].id, people[0].id])
        .unwrap();
    assert_eq!(twice.len(), 2);
    assert_eq!(
        store.facts_of_people(&rating_access(), &[]).unwrap().len(),
        0
    );
    assert_eq!(
        audit_since(store, before),
        vec![
            rating_audit(
                AuditAction::ReadFacts,
                Some(people[0].id),
                2,
                AuditOutcome::Success
            ),
            rating_audit(AuditAction::ReadFacts, None, 0, AuditOutcome::Success),
        ]
    );
}

pub fn the_facts_of_hundreds_of_people_come_back_complete_and_in_the_order_asked(
    store: &dyn Store,
) {
    const PEOPLE: usize = 300;
    let people: Vec<Person> = (0..PEOPLE)
        .map(|index| {
            let resident_id =
                ResidentId::with_check_character(&format!("33010619900101{index:03}")).unwrap();
            enrolled(store, resident(resident_id.as_str(), "王五", "13700137000"))
        })
        .collect();
    // Every third person has as many test results as their position modulo five.
    let results: Vec<(PersonId, TestResult)> = people
        .iter()
        .enumerate()
        .filter(|(index, _)| index % 3 == 0)
        .flat_map(|(index, person)| {
            (0..index % 5).map(move |hour| {
                let sampled_at = format!("2026-02-11T0{hour}:00:00Z");
                (person.id, test_result(TestOutcome::Negative, &sampled_at))
            })
        })
        .collect();
    store
        .ingest_test_results(&laboratory_report(), &results)
        .unwrap();
    // Backwards, and everyone twice.
    let asked: Vec<PersonId> = people
        .iter()
        .rev()
        .chain(people.iter())
        .map(|person| person.id)
        .collect();
    let answer = store.facts_of_people(&rating_access(), &asked).unwrap();
    assert_eq!(answer.len(), asked.len());
    for (person, facts) in asked.iter().zip(&answer) {
        let index = people.iter().position(|known| known.id == *person).unwrap();
        let expected: Vec<TestResult> = results
            .iter()
            .filter(|(owner, _)| owner == person)
            .map(|(_, result)| *result)
            .collect();
        assert_eq!(facts.test_results, expected, "person {index}");
    }
    assert_eq!(
        summary(&last_audit_record(store)),
        rating_audit(
            AuditAction::ReadFacts,
            None,
            asked.len() as u64,
            AuditOutcome::Success
        )
    );
}

pub fn the_facts_of_many_people_are_not_found_if_one_is_not_enrolled_and_the_attempt_is_audited(
    store: &dyn Store,
) {
    let zhang = enrolled(store, zhang());
    let stranger = PersonId::from_uuid(random_uuid());
    let before = audit_length(store);
    let result = store.facts_of_people(&rating_access(), &[zhang.id, stranger]);
    assert_eq!(not_found(&result), Some("person"), "{result:?}");
    let result = store.facts_of_people(&rating_access(), &[stranger]);
    assert_eq!(not_found(&result), Some("person"), "{result:?}");
    assert_eq!(
        audit_since(store, before),
        vec![
            rating_audit(AuditAction::ReadFacts, None, 0, AuditOutcome::NotFound),
            rating_audit(
                AuditAction::ReadFacts,
                Some(stranger),
                0,
                AuditOutcome::NotFound
            ),
        ]
    );
}

pub fn every_residents_facts_are_visited_in_person_id_order_with_one_audit_record(
    store: &dyn Store,
) {
    let mut people = four_residents_enrolled(store);
    some_facts_of_four_residents(store, &people);

    let before = audit_length(store);
    let mut visited = Vec::new();
    let count = store
        .for_each_facts(&rating_access(), &mut |person, facts, _latest| {
            visited.push((person, facts))
        })
        .unwrap();
    assert_eq!(count, 4);
    people.sort_by_key(|person| person.id);
    assert_eq!(
        visited
            .iter()
            .map(|(person, _)| *person)
            .collect::<Vec<_>>(),
        people.iter().map(|person| person.id).collect::<Vec<_>>()
    );
    // Each person's facts are the ones facts_of gives, and the region list is shared.
    for (person, facts) in &visited {
        assert_eq!(facts, &store.facts_of(&rating_access(), *person).unwrap());
        assert!(std::sync::Arc::ptr_eq(
            &facts.region_risk,
            &visited[0].1.region_risk
        ));
    }
    let total_results: usize = visited
        .iter()
        .map(|(_, facts)| facts.test_results.len())
        .sum();
    assert_eq!(total_results, 3);
    assert_eq!(visited[0].1.region_risk.version, 1);
    assert_eq!(
        audit_since(store, before)[0],
        rating_audit(AuditAction::ReadFacts, None, 4, AuditOutcome::Success)
    );
}

pub fn visiting_every_residents_facts_in_an_empty_store_visits_nobody(store: &dyn Store) {
    let mut visits = 0;
    let count = store
        .for_each_facts(&rating_access(), &mut |_, _, _| visits += 1)
        .unwrap();
    assert_eq!((count, visits), (0, 0));
    assert_eq!(last_audit_record(store).action, AuditAction::ReadFacts);
}

pub fn every_residents_facts_come_with_their_latest_rating_and_none_before_any(store: &dyn Store) {
    let people = four_residents_enrolled(store);
    some_facts_of_four_residents(store, &people);
    let yellow = rating(
        Colour::Yellow,
        Some("2026-02-20T00:00:00Z"),
        &["fever", "close_contact"],
        "2026-02-13T00:00:00Z",
    );
    let red = rating(
        Colour::Red,
        Some("2026-02-27T00:00:00Z"),
        &["confirmed_case"],
        "2026-02-13T01:00:00Z",
    );
    let green = rating(Colour::Green, None, &[], "2026-02-13T00:00:00Z");
    // The first resident turns yellow then red; the second is green; the others are not rated.
    store
        .record_ratings(
            &rating_access(),
            &[
                (people[0].id, yellow.clone(), RatingCause::Request),
                (people[1].id, green.clone(), RatingCause::Request),
                (people[0].id, red.clone(), RatingCause::Expiry),
            ],
        )
        .unwrap();
    let latest_of = |person: &Person| {
        let history = store.rating_history(&rating_access(), person.id).unwrap();
        history.last().map(|record| LatestRating {
            sequence: record.sequence,
            colour: record.colour,
            valid_until: record.valid_until,
            rule_ids: record.rule_ids.clone(),
        })
    };
    let mut expected: Vec<(PersonId, Option<LatestRating>)> = people
        .iter()
        .map(|person| (person.id, latest_of(person)))
        .collect();
    expected.sort_by_key(|(person, _)| *person);

    let mut visited = Vec::new();
    store
        .for_each_facts(&rating_access(), &mut |person, _facts, latest| {
            visited.push((person, latest))
        })
        .unwrap();
    assert_eq!(visited, expected);
    let first = visited
        .iter()
        .find_map(|(person, latest)| (*person == people[0].id).then_some(latest.clone()))
        .flatten()
        .expect("the first resident has a latest rating");
    assert_eq!(first.colour, Colour::Red);
    assert_eq!(
        first.rule_ids,
        vec![RuleId::parse("confirmed_case").unwrap()]
    );
    assert!(red.shows_the_same_as(&first));
    assert!(!yellow.shows_the_same_as(&first));
    let unrated = visited
        .iter()
        .filter(|(_, latest)| latest.is_none())
        .count();
    assert_eq!(unrated, 2);
}

pub fn the_region_risk_list_is_empty_at_version_zero_until_one_is_published(store: &dyn Store) {
    let empty = RegionRiskList {
        version: 0,
        published_at: None,
        entries: BTreeMap::new(),
    };
    assert_eq!(store.region_risk_list(None).unwrap(), Some(empty.clone()));
    assert_eq!(store.region_risk_list(Some(0)).unwrap(), Some(empty));
    assert_eq!(store.region_risk_list(Some(1)).unwrap(), None);
}

pub fn every_published_version_of_the_region_risk_list_is_kept(store: &dyn Store) {
    let wuhan = RegionCode::parse("420100").unwrap();
    let hubei = RegionCode::parse("420000").unwrap();
    let first = BTreeMap::from([(wuhan, RiskLevel::High), (hubei, RiskLevel::Medium)]);
    let second = BTreeMap::from([(wuhan, RiskLevel::Low)]);
    let published_first = store
        .publish_region_risk_list(&investigation(), &first)
        .unwrap();
    assert_eq!(
        published_first,
        RegionRiskList {
            version: 1,
            published_at: Some(investigation().at),
            entries: first,
        }
    );
    let later = Access::new(
        official(),
        Purpose::CaseInvestigation,
        at("2026-02-15T10:00:00Z"),
    );
    let published_second = store.publish_region_risk_list(&later, &second).unwrap();
    assert_eq!(published_second.version, 2);
    let cleared = store
        .publish_region_risk_list(&later, &BTreeMap::new())
        .unwrap();
    assert_eq!(cleared.version, 3);
    assert!(cleared.entries.is_empty());

    assert_eq!(store.region_risk_list(None).unwrap(), Some(cleared));
    assert_eq!(
        store.region_risk_list(Some(1)).unwrap(),
        Some(published_first)
    );
    assert_eq!(
        store.region_risk_list(Some(2)).unwrap(),
        Some(published_second)
    );
    assert_eq!(store.region_risk_list(Some(4)).unwrap(), None);
    // Publishing is audited, and the list names no resident.
    assert_eq!(
        summary(&last_audit_record(store)),
        (
            official(),
            Purpose::CaseInvestigation,
            AuditAction::PublishRegionRiskList,
            None,
            1,
            AuditOutcome::Success
        )
    );
}

pub fn a_valid_policy_is_stored_once_and_its_source_reads_back(store: &dyn Store) {
    let access = Access::new(
        official(),
        Purpose::PolicyEvaluation,
        at("2026-02-01T09:00:00Z"),
    );
    let source = policy_file(1, 14);
    assert_eq!(
        store
            .store_policy(&access, &policy_version(1), &source)
            .unwrap(),
        Write::Stored
    );
    assert_eq!(
        store
            .store_policy(&investigation(), &policy_version(1), &source)
            .unwrap(),
        Write::Duplicate
    );
    assert_eq!(
        store.policy_source(&policy_version(1)).unwrap(),
        Some(source)
    );
    assert_eq!(store.policy_source(&policy_version(2)).unwrap(), None);
    assert_eq!(
        store.policies().unwrap(),
        vec![StoredPolicy {
            version: policy_version(1),
            uploaded_at: access.at,
            uploaded_by: official(),
        }]
    );
    let trail = audit_trail(store);
    let last_two: Vec<AuditSummary> = trail[trail.len() - 2..].iter().map(summary).collect();
    assert_eq!(
        last_two,
        vec![
            (
                official(),
                Purpose::PolicyEvaluation,
                AuditAction::StorePolicy,
                None,
                1,
                AuditOutcome::Success
            ),
            (
                official(),
                Purpose::CaseInvestigation,
                AuditAction::StorePolicy,
                None,
                1,
                AuditOutcome::Duplicate
            ),
        ]
    );
}

pub fn policies_are_listed_oldest_upload_first(store: &dyn Store) {
    for (version, uploaded_at) in [
        (3, "2026-02-01T09:00:00Z"),
        (1, "2026-02-02T09:00:00Z"),
        (2, "2026-02-03T09:00:00Z"),
    ] {
        let access = Access::new(
            Actor::LocalOperator,
            Purpose::PolicyEvaluation,
            at(uploaded_at),
        );
        store
            .store_policy(&access, &policy_version(version), &policy_file(version, 14))
            .unwrap();
    }
    let versions: Vec<u32> = store
        .policies()
        .unwrap()
        .into_iter()
        .map(|policy| policy.version.version)
        .collect();
    assert_eq!(versions, vec![3, 1, 2]);
}

pub fn an_invalid_policy_is_refused_with_its_errors_and_the_refusal_is_audited(store: &dyn Store) {
    let broken = policy_file(1, 14).replace("for = \"14d\"", "for = \"fourteen days\"");
    let error = store
        .store_policy(&investigation(), &policy_version(1), &broken)
        .unwrap_err();
    let StoreError::InvalidPolicy(errors) = error else {
        panic!("expected InvalidPolicy, got {error:?}");
    };
    assert!(!errors.0.is_empty());
    assert!(errors.0.iter().all(|error| error.line == 11), "{errors}");
    assert_eq!(store.policy_source(&policy_version(1)).unwrap(), None);
    assert!(store.policies().unwrap().is_empty());
    assert_eq!(
        summary(&last_audit_record(store)),
        (
            official(),
            Purpose::CaseInvestigation,
            AuditAction::StorePolicy,
            None,
            1,
            AuditOutcome::Rejected
        )
    );
    // Nothing was stored, so nothing can be activated.
    assert!(matches!(
        store.activate_policy(&investigation(), &policy_version(1)),
        Err(StoreError::NotFound { .. })
    ));
}

pub fn a_policy_uploaded_under_another_version_than_its_own_is_refused_at_its_version_line(
    store: &dyn Store,
) {
    let error = store
        .store_policy(&investigation(), &policy_version(2), &policy_file(1, 14))
        .unwrap_err();
    let StoreError::InvalidPolicy(errors) = error else {
        panic!("expected InvalidPolicy, got {error:?}");
    };
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert_eq!((errors.0[0].line, errors.0[0].column), (3, 1), "{errors}");
    assert!(errors.0[0].message.contains("conformance@2"), "{errors}");
    assert!(store.policies().unwrap().is_empty());
}

pub fn another_policy_file_under_a_stored_version_is_a_conflict_and_is_audited(store: &dyn Store) {
    store
        .store_policy(&investigation(), &policy_version(1), &policy_file(1, 14))
        .unwrap();
    let error = store
        .store_policy(&investigation(), &policy_version(1), &policy_file(1, 10))
        .unwrap_err();
    assert!(matches!(error, StoreError::Conflict(_)), "{error:?}");
    assert_eq!(
        store.policy_source(&policy_version(1)).unwrap(),
        Some(policy_file(1, 14))
    );
    assert_eq!(last_audit_record(store).outcome, AuditOutcome::Conflict);
}

pub fn only_stored_policies_are_activated_and_every_activation_is_listed_in_order(
    store: &dyn Store,
) {
    for version in [1, 2] {
        store
            .store_policy(
                &investigation(),
                &policy_version(version),
                &policy_file(version, 14),
            )
            .unwrap();
    }
    assert!(store.policy_activations().unwrap().is_empty());
    let activation = |day: u32| {
        Access::new(
            official(),
            Purpose::PolicyEvaluation,
            at(&format!("2026-02-{day:02}T09:00:00Z")),
        )
    };
    store
        .activate_policy(&activation(2), &policy_version(1))
        .unwrap();
    store
        .activate_policy(&activation(3), &policy_version(2))
        .unwrap();
    // A roll-back is an activation of the older version.
    store
        .activate_policy(&activation(4), &policy_version(1))
        .unwrap();
    let before = audit_length(store);
    let result = store.activate_policy(&activation(5), &policy_version(3));
    assert_eq!(not_found(&result), Some("policy"), "{result:?}");
    assert_eq!(
        audit_since(store, before),
        vec![(
            official(),
            Purpose::PolicyEvaluation,
            AuditAction::ActivatePolicy,
            None,
            1,
            AuditOutcome::NotFound
        )]
    );
    let activations = store.policy_activations().unwrap();
    assert_eq!(
        activations,
        [(1, 2), (2, 3), (1, 4)]
            .into_iter()
            .map(|(version, day)| PolicyActivation {
                version: policy_version(version),
                activated_at: activation(day).at,
                activated_by: official(),
            })
            .collect::<Vec<_>>()
    );
}

pub fn a_pass_holder_is_found_by_any_of_their_ratings_with_their_latest_rating(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let li = enrolled(store, li());
    let red = rating(
        Colour::Red,
        Some("2026-02-23T07:00:00Z"),
        &["close_contact"],
        "2026-02-12T10:00:00Z",
    );
    let green = rating(Colour::Green, None, &[], "2026-02-12T11:00:00Z");
    for (person, rating) in [(&zhang, &green), (&li, &green), (&zhang, &red)] {
        store
            .record_rating(&rating_access(), person.id, rating, &RatingCause::Request)
            .unwrap();
    }
    let history = store.rating_history(&rating_access(), zhang.id).unwrap();
    let (first, latest) = (history[0].sequence, history[1].sequence);
    let li_rating = store.rating_history(&rating_access(), li.id).unwrap()[0].sequence;

    let before = audit_length(store);
    let holder = |sequence| store.pass_holder(&rating_access(), sequence).unwrap();
    let zhang_now = Some(PassHolder {
        person: zhang.id,
        latest_rating: latest,
    });
    assert_eq!(holder(first), zhang_now, "an older rating names its holder");
    assert_eq!(holder(latest), zhang_now);
    assert_eq!(
        holder(li_rating),
        Some(PassHolder {
            person: li.id,
            latest_rating: li_rating
        })
    );
    assert_eq!(holder(latest + 100), None, "no rating has this number");
    assert_eq!(holder(u64::MAX), None, "nor this one");
    assert_eq!(
        audit_since(store, before),
        vec![
            rating_audit(
                AuditAction::ReadRatings,
                Some(zhang.id),
                1,
                AuditOutcome::Success
            ),
            rating_audit(
                AuditAction::ReadRatings,
                Some(zhang.id),
                1,
                AuditOutcome::Success
            ),
            rating_audit(
                AuditAction::ReadRatings,
                Some(li.id),
                1,
                AuditOutcome::Success
            ),
            rating_audit(AuditAction::ReadRatings, None, 0, AuditOutcome::Success),
            rating_audit(AuditAction::ReadRatings, None, 0, AuditOutcome::Success),
        ],
        "every lookup is audited, whether it finds someone or not"
    );
}

pub fn a_rating_is_appended_to_the_history_only_when_it_changes(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let red = rating(
        Colour::Red,
        Some("2026-02-23T07:00:00Z"),
        &["close_contact"],
        "2026-02-12T10:00:00Z",
    );
    let contact_event = new_event_id();
    let record = |rating: &Rating, cause: RatingCause| {
        store.record_rating(&rating_access(), zhang.id, rating, &cause)
    };
    assert_eq!(
        record(&red, RatingCause::Event(contact_event)).unwrap(),
        Write::Stored
    );
    // The same rating worked out again later, for another reason, changes nothing.
    let same_later = Rating {
        rated_at: at("2026-02-13T10:00:00Z"),
        ..red.clone()
    };
    assert_eq!(
        record(&same_later, RatingCause::Request).unwrap(),
        Write::Duplicate
    );
    // A change of validity, rule ids or colour each is a new entry; a new policy that rates
    // the same is not.
    let longer = Rating {
        valid_until: Some(at("2026-02-24T07:00:00Z")),
        ..same_later.clone()
    };
    let more_reasons = rating(
        Colour::Red,
        Some("2026-02-24T07:00:00Z"),
        &["close_contact", "fever"],
        "2026-02-14T10:00:00Z",
    );
    let green = rating(Colour::Green, None, &[], "2026-02-24T07:00:00Z");
    let green_under_another_policy = Rating {
        policy_version: policy_version(2),
        ..green.clone()
    };
    assert_eq!(
        record(&longer, RatingCause::Request).unwrap(),
        Write::Stored
    );
    assert_eq!(
        record(&more_reasons, RatingCause::Request).unwrap(),
        Write::Stored
    );
    assert_eq!(record(&green, RatingCause::Expiry).unwrap(), Write::Stored);
    assert_eq!(
        record(
            &green_under_another_policy,
            RatingCause::PolicyActivated(policy_version(2))
        )
        .unwrap(),
        Write::Duplicate
    );
    assert_eq!(
        record(&green_under_another_policy, RatingCause::Request).unwrap(),
        Write::Duplicate
    );

    let before = audit_length(store);
    let history = store.rating_history(&rating_access(), zhang.id).unwrap();
    assert_eq!(
        history,
        vec![
            rating_record(1, &zhang, &red, RatingCause::Event(contact_event)),
            rating_record(2, &zhang, &longer, RatingCause::Request),
            rating_record(3, &zhang, &more_reasons, RatingCause::Request),
            rating_record(4, &zhang, &green, RatingCause::Expiry),
        ]
    );
    assert_eq!(
        audit_since(store, before),
        vec![rating_audit(
            AuditAction::ReadRatings,
            Some(zhang.id),
            4,
            AuditOutcome::Success
        )]
    );
    let writes = outcomes_of(store, AuditAction::RecordRating);
    use AuditOutcome::{Duplicate, Success};
    assert_eq!(
        writes,
        vec![
            Success, Duplicate, Success, Success, Success, Duplicate, Duplicate
        ]
    );
}

pub fn causes_of_every_kind_and_the_override_rule_id_read_back_exactly(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let causes = [
        RatingCause::Event(new_event_id()),
        RatingCause::Expiry,
        RatingCause::PolicyActivated(policy_version(7)),
        RatingCause::RegionRiskListChanged(12),
        RatingCause::Override(OverrideId::from_uuid(random_uuid())),
        RatingCause::Request,
    ];
    let mut expected = Vec::new();
    for (index, cause) in causes.into_iter().enumerate() {
        let mut rated = rating(
            Colour::Yellow,
            Some("2026-02-20T00:00:00Z"),
            &["fever"],
            "2026-02-12T10:00:00Z",
        );
        // Each rating differs from the one before, so each is stored.
        rated.valid_until =
            Some(at("2026-02-20T00:00:00Z") + SignedDuration::from_secs(index as i64));
        if index == 4 {
            rated.reasons[0].rule_id = RuleId::override_id();
        }
        store
            .record_rating(&rating_access(), zhang.id, &rated, &cause)
            .unwrap();
        expected.push(rating_record(index as u64 + 1, &zhang, &rated, cause));
    }
    assert_eq!(
        store.rating_history(&rating_access(), zhang.id).unwrap(),
        expected
    );
}

pub fn a_batch_of_ratings_is_recorded_in_one_transaction_with_one_audit_record(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let li = enrolled(store, li());
    let yellow = rating(
        Colour::Yellow,
        Some("2026-02-20T00:00:00Z"),
        &["fever"],
        "2026-02-13T00:00:00Z",
    );
    let green = rating(Colour::Green, None, &[], "2026-02-13T00:00:00Z");
    store
        .record_rating(&rating_access(), li.id, &green, &RatingCause::Request)
        .unwrap();
    let before = audit_length(store);
    let list_changed = RatingCause::RegionRiskListChanged(1);
    let result_event = RatingCause::Event(new_event_id());
    let appended = store
        .record_ratings(
            &rating_access(),
            &[
                (zhang.id, green.clone(), list_changed.clone()),
                (li.id, green.clone(), list_changed.clone()),
                (zhang.id, yellow.clone(), result_event.clone()),
                (zhang.id, yellow.clone(), RatingCause::Request),
            ],
        )
        .unwrap();
    assert_eq!(appended, 2);
    assert_eq!(
        audit_since(store, before),
        vec![rating_audit(
            AuditAction::RecordRating,
            None,
            4,
            AuditOutcome::Success
        )]
    );
    assert_eq!(
        store.rating_history(&rating_access(), zhang.id).unwrap(),
        vec![
            rating_record(2, &zhang, &green, list_changed),
            rating_record(3, &zhang, &yellow, result_event),
        ]
    );
    assert_eq!(
        store.rating_history(&rating_access(), li.id).unwrap().len(),
        1
    );
}

pub fn a_batch_of_ratings_naming_an_unknown_person_stores_nothing_and_is_audited(
    store: &dyn Store,
) {
    let zhang = enrolled(store, zhang());
    let stranger = PersonId::from_uuid(random_uuid());
    let green = rating(Colour::Green, None, &[], "2026-02-13T00:00:00Z");
    let result = store.record_ratings(
        &rating_access(),
        &[
            (zhang.id, green.clone(), RatingCause::Expiry),
            (stranger, green.clone(), RatingCause::Expiry),
        ],
    );
    assert_eq!(
        unknown_reference(&result),
        Some((1, Reference::Person)),
        "{result:?}"
    );
    assert_eq!(
        summary(&last_audit_record(store)),
        rating_audit(AuditAction::RecordRating, None, 2, AuditOutcome::Rejected)
    );
    assert!(
        store
            .rating_history(&rating_access(), zhang.id)
            .unwrap()
            .is_empty()
    );
    let result = store.record_rating(&rating_access(), stranger, &green, &RatingCause::Request);
    assert_eq!(
        unknown_reference(&result),
        Some((0, Reference::Person)),
        "{result:?}"
    );
    assert!(
        store
            .ratings_due(at("2030-01-01T00:00:00Z"), 10)
            .unwrap()
            .is_empty()
    );
}

pub fn ratings_due_are_latest_ratings_expired_by_now_longest_overdue_first(store: &dyn Store) {
    let people = four_residents_enrolled(store);
    let until = |valid_until: Option<&str>| {
        rating(
            Colour::Yellow,
            valid_until,
            &["fever"],
            "2026-02-10T00:00:00Z",
        )
    };
    let ratings = [
        (people[0].id, until(Some("2026-02-15T00:00:00Z"))),
        (people[1].id, until(Some("2026-02-12T00:00:00Z"))),
        (people[2].id, until(None)),
        (people[3].id, until(Some("2026-02-14T00:00:00Z"))),
    ]
    .map(|(person, rating)| (person, rating, RatingCause::Request));
    store.record_ratings(&rating_access(), &ratings).unwrap();
    let now = at("2026-02-14T00:00:00Z");
    // At or before now, longest overdue first; never one without a validity.
    assert_eq!(
        store.ratings_due(now, 10).unwrap(),
        vec![people[1].id, people[3].id]
    );
    assert_eq!(store.ratings_due(now, 1).unwrap(), vec![people[1].id]);
    assert_eq!(store.ratings_due(now, 0).unwrap(), Vec::new());
    // Only the latest rating counts: a renewed rating is no longer due.
    store
        .record_rating(
            &rating_access(),
            people[1].id,
            &until(Some("2026-02-26T00:00:00Z")),
            &RatingCause::Expiry,
        )
        .unwrap();
    assert_eq!(store.ratings_due(now, 10).unwrap(), vec![people[3].id]);
    assert_eq!(
        store.ratings_due(at("2030-01-01T00:00:00Z"), 10).unwrap(),
        vec![people[3].id, people[0].id, people[1].id]
    );
}

pub fn an_appeal_reads_back_exactly_and_a_resend_stores_nothing(store: &dyn Store) {
    let (zhang, appeal) = zhang_appealing(
        store,
        "我那天在家，没有去过那家餐厅。I was at home that day.",
        "2026-02-13T08:00:00.125Z",
    );
    let access = Access::new(
        Actor::Resident(zhang.id),
        Purpose::AppealReview,
        appeal.filed_at,
    );
    assert_eq!(
        store.file_appeal(&access, &appeal).unwrap(),
        Write::Duplicate
    );
    let record = AppealRecord {
        appeal: appeal.clone(),
        decision: None,
    };
    let before = audit_length(store);
    assert_eq!(store.appeal(&appeal_review(), appeal.id).unwrap(), record);
    assert_eq!(
        store.appeals_of(&appeal_review(), zhang.id).unwrap(),
        vec![record]
    );
    let read = |records| {
        (
            official(),
            Purpose::AppealReview,
            AuditAction::ReadAppeals,
            Some(zhang.id),
            records,
            AuditOutcome::Success,
        )
    };
    assert_eq!(audit_since(store, before), vec![read(1), read(1)]);
    let result = store.appeal(&appeal_review(), AppealId::from_uuid(random_uuid()));
    assert_eq!(not_found(&result), Some("appeal"), "{result:?}");
    assert_eq!(last_audit_record(store).outcome, AuditOutcome::NotFound);
}

pub fn an_appeal_against_a_rating_that_is_not_the_residents_is_not_found_and_is_audited(
    store: &dyn Store,
) {
    let zhang = enrolled(store, zhang());
    let li = enrolled(store, li());
    let rating_of_li = rated(store, &li);
    let access = Access::new(
        Actor::Resident(zhang.id),
        Purpose::AppealReview,
        at("2026-02-13T08:00:00Z"),
    );
    for rating in [rating_of_li, rating_of_li + 100] {
        let appeal = appeal_against(&zhang, rating, "不是我 not me", "2026-02-13T08:00:00Z");
        let result = store.file_appeal(&access, &appeal);
        assert_eq!(not_found(&result), Some("rating"), "{result:?}");
        assert_eq!(
            summary(&last_audit_record(store)),
            (
                Actor::Resident(zhang.id),
                Purpose::AppealReview,
                AuditAction::FileAppeal,
                Some(zhang.id),
                1,
                AuditOutcome::NotFound
            )
        );
    }
    assert!(
        store
            .appeals_of(&appeal_review(), zhang.id)
            .unwrap()
            .is_empty()
    );
}

pub fn the_appeal_queue_lists_undecided_appeals_oldest_first_up_to_the_limit(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let li = enrolled(store, li());
    let rating_of_zhang = rated(store, &zhang);
    let rating_of_li = rated(store, &li);
    let second = filed(
        store,
        appeal_against(&zhang, rating_of_zhang, "二", "2026-02-13T09:00:00Z"),
    );
    let first = filed(
        store,
        appeal_against(&li, rating_of_li, "一", "2026-02-13T08:00:00Z"),
    );
    let third = filed(
        store,
        appeal_against(&li, rating_of_li, "三", "2026-02-13T10:00:00Z"),
    );
    let decided = filed(
        store,
        appeal_against(
            &zhang,
            rating_of_zhang,
            "已决 decided",
            "2026-02-13T07:00:00Z",
        ),
    );
    store
        .decide_appeal(
            &appeal_review(),
            &decision(&decided, AppealOutcome::Uphold, "2026-02-14T09:00:00Z"),
        )
        .unwrap();
    assert_eq!(
        store.appeal_queue(&appeal_review(), 10).unwrap(),
        vec![first.clone(), second.clone(), third]
    );
    let before = audit_length(store);
    assert_eq!(
        store.appeal_queue(&appeal_review(), 2).unwrap(),
        vec![first, second]
    );
    assert_eq!(
        audit_since(store, before),
        vec![(
            official(),
            Purpose::AppealReview,
            AuditAction::ReadAppeals,
            None,
            2,
            AuditOutcome::Success
        )]
    );
}

pub fn deciding_an_appeal_twice_is_a_conflict_and_is_audited(store: &dyn Store) {
    let (zhang, appeal) = zhang_appealing(store, "请复核 please review", "2026-02-13T08:00:00Z");
    let upheld = decision(&appeal, AppealOutcome::Uphold, "2026-02-14T09:00:00Z");
    store.decide_appeal(&appeal_review(), &upheld).unwrap();
    let before = audit_length(store);
    let amended = decision(
        &appeal,
        AppealOutcome::Amend(override_of(
            Colour::Green,
            "错误 mistake",
            "2026-02-14T10:00:00Z",
        )),
        "2026-02-14T10:00:00Z",
    );
    let error = store.decide_appeal(&appeal_review(), &amended).unwrap_err();
    assert!(matches!(error, StoreError::Conflict(_)), "{error:?}");
    let result = store.decide_appeal(
        &appeal_review(),
        &AppealDecision {
            appeal: AppealId::from_uuid(random_uuid()),
            ..upheld.clone()
        },
    );
    assert_eq!(not_found(&result), Some("appeal"), "{result:?}");
    let decide = |subject, outcome| {
        (
            official(),
            Purpose::AppealReview,
            AuditAction::DecideAppeal,
            subject,
            1,
            outcome,
        )
    };
    assert_eq!(
        audit_since(store, before),
        vec![
            decide(Some(zhang.id), AuditOutcome::Conflict),
            decide(None, AuditOutcome::NotFound),
        ]
    );
    // The first decision stands, and the refused amendment left no override behind.
    assert_eq!(
        store.appeal(&appeal_review(), appeal.id).unwrap(),
        AppealRecord {
            appeal,
            decision: Some(upheld),
        }
    );
    assert!(
        store
            .facts_of(&rating_access(), zhang.id)
            .unwrap()
            .overrides
            .is_empty()
    );
}

pub fn an_amended_appeal_stores_its_override_naming_the_appeal_in_the_same_decision(
    store: &dyn Store,
) {
    let (zhang, appeal) =
        zhang_appealing(store, "我没去过 I was never there", "2026-02-13T08:00:00Z");
    let override_ = override_of(
        Colour::Green,
        "记录有误 the record was wrong",
        "2026-02-14T09:30:00Z",
    );
    let amended = decision(
        &appeal,
        AppealOutcome::Amend(override_.clone()),
        "2026-02-14T09:30:00Z",
    );
    store.decide_appeal(&appeal_review(), &amended).unwrap();
    let stored_override = Override {
        appeal: Some(appeal.id),
        ..override_
    };
    let record = store.appeal(&appeal_review(), appeal.id).unwrap();
    assert_eq!(
        record,
        AppealRecord {
            appeal: appeal.clone(),
            decision: Some(AppealDecision {
                outcome: AppealOutcome::Amend(stored_override.clone()),
                ..amended
            }),
        }
    );
    // The time to decision is what the metric reports.
    let decided_at = record.decision.as_ref().unwrap().decided_at;
    assert_eq!(
        decided_at.duration_since(record.appeal.filed_at),
        SignedDuration::from_mins(25 * 60 + 30)
    );
    assert_eq!(
        store
            .facts_of(&rating_access(), zhang.id)
            .unwrap()
            .overrides,
        vec![stored_override]
    );
    assert!(store.appeal_queue(&appeal_review(), 10).unwrap().is_empty());
    assert_eq!(
        store.appeals_of(&appeal_review(), zhang.id).unwrap(),
        vec![record]
    );
}

pub fn an_override_is_stored_once_and_an_override_for_an_unknown_person_is_rejected(
    store: &dyn Store,
) {
    let zhang = enrolled(store, zhang());
    let override_ = override_of(Colour::Red, "隔离观察 isolation", "2026-02-12T09:00:00Z");
    assert_eq!(
        store
            .set_override(&appeal_review(), zhang.id, &override_)
            .unwrap(),
        Write::Stored
    );
    let resent = Override {
        colour: Colour::Green,
        ..override_.clone()
    };
    assert_eq!(
        store
            .set_override(&appeal_review(), zhang.id, &resent)
            .unwrap(),
        Write::Duplicate
    );
    assert_eq!(
        store
            .facts_of(&rating_access(), zhang.id)
            .unwrap()
            .overrides,
        vec![override_.clone()]
    );
    let stranger = PersonId::from_uuid(random_uuid());
    let result = store.set_override(
        &appeal_review(),
        stranger,
        &override_of(Colour::Red, "x", "2026-02-12T09:00:00Z"),
    );
    assert_eq!(
        unknown_reference(&result),
        Some((0, Reference::Person)),
        "{result:?}"
    );
    let trail = audit_trail(store);
    let overrides: Vec<AuditSummary> = trail
        .iter()
        .filter(|record| record.action == AuditAction::SetOverride)
        .map(summary)
        .collect();
    let set = |subject, outcome| {
        (
            official(),
            Purpose::AppealReview,
            AuditAction::SetOverride,
            subject,
            1,
            outcome,
        )
    };
    assert_eq!(
        overrides,
        vec![
            set(Some(zhang.id), AuditOutcome::Success),
            set(Some(zhang.id), AuditOutcome::Duplicate),
            set(Some(stranger), AuditOutcome::Rejected),
        ]
    );
}

pub fn the_store_can_be_written_while_every_residents_facts_are_visited(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let li = enrolled(store, li());
    let green = rating(Colour::Green, None, &[], "2026-02-13T00:00:00Z");
    let newcomer = resident("330106199001011272", "王五", "13900139000");
    // Re-rating everyone stores ratings as it goes, alone and in batches, and may read more
    // facts; the visit must not hold the store up, and sees the store as it was when it began:
    // a rating recorded during the visit is not among the latest ratings it is handed.
    let mut visited = Vec::new();
    let count = store
        .for_each_facts(&rating_access(), &mut |person, _facts, latest| {
            assert_eq!(
                latest, None,
                "a rating recorded during the visit is not handed to it"
            );
            if visited.is_empty() {
                enrolled(store, newcomer.clone());
                for someone in [zhang.id, li.id] {
                    store
                        .record_rating(&rating_access(), someone, &green, &RatingCause::Request)
                        .expect("a rating is recorded during the visit");
                }
            } else {
                store
                    .record_ratings(
                        &rating_access(),
                        &[(person, green.clone(), RatingCause::Request)],
                    )
                    .expect("a batch of ratings is recorded during the visit");
            }
            store
                .facts_of_people(&rating_access(), &[person, newcomer.id])
                .expect("facts are read during the visit");
            visited.push(person);
        })
        .unwrap();
    assert_eq!(count, 2);
    let mut expected = vec![zhang.id, li.id];
    expected.sort();
    assert_eq!(visited, expected);
    for person in [&zhang, &li] {
        assert_eq!(
            store
                .rating_history(&rating_access(), person.id)
                .unwrap()
                .len(),
            1
        );
    }
    assert_eq!(
        store.person(&investigation(), newcomer.id).unwrap(),
        newcomer
    );
}
