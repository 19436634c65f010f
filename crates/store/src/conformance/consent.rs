//! The behaviours of residents' consent to employers' close-contact checks, and of quarantine
//! follow-up.

#[allow(unused_imports)]
use super::*;

use healthcode_core::consent::{Consent, ConsentId, ConsentState, ConsentTerms};
use healthcode_core::follow_up::{FollowUpCheck, FollowUpDay};

use crate::{CloseContactAnswer, CloseContactCheck, ConsentRecord};

// ---------------------------------------------------------------------------------------------
// Fixtures. All synthetic.

/// When residents issue their consents.
const ISSUED: &str = "2026-02-12T09:00:00Z";
/// When employers check: a day after the consents were issued.
const CHECKED: &str = "2026-02-13T09:00:00Z";

fn fourteen_days() -> SignedDuration {
    SignedDuration::from_hours(14 * 24)
}

/// A staff account with the employer role, created in the store.
fn employer_account(store: &dyn Store, username: &str) -> StaffAccount {
    let account = StaffAccount {
        id: StaffId::from_uuid(random_uuid()),
        username: Username::parse(username).expect("a valid username"),
        role: Role::Employer,
        password_hash: "$argon2id$hash".to_owned(),
        created_at: at("2026-01-15T08:00:00Z"),
    };
    store.create_staff_account(&account).unwrap();
    account
}

fn as_employer(account: &StaffAccount, when: &str) -> Access {
    Access::new(
        Actor::Staff {
            id: account.id,
            role: account.role,
        },
        Purpose::EmploymentCheck,
        at(when),
    )
}

fn self_service(person: &Person, when: &str) -> Access {
    Access::new(Actor::Resident(person.id), Purpose::SelfService, at(when))
}

/// A consent of `person` to `employer` issued at [`ISSUED`] for a week and `checks` checks.
fn consent_of(person: &Person, employer: &StaffAccount, checks: u32) -> Consent {
    consent_for_days(person, employer, 7, checks)
}

fn consent_for_days(person: &Person, employer: &StaffAccount, days: u32, checks: u32) -> Consent {
    Consent::issue(
        ConsentId::from_uuid(random_uuid()),
        person.id,
        employer.id,
        at(ISSUED),
        ConsentTerms::new(Some(days), Some(checks)).expect("valid terms"),
    )
}

/// Issues `consent` with `token` as its resident, expecting it stored.
fn issued(store: &dyn Store, person: &Person, consent: Consent, token: TokenHash) -> Consent {
    let answer = store
        .issue_consent(&self_service(person, ISSUED), &consent, &token)
        .expect("the consent is issued");
    assert_eq!(answer, (consent, Write::Stored));
    consent
}

fn check(
    store: &dyn Store,
    employer: &StaffAccount,
    resident_id: &ResidentId,
    token: TokenHash,
    when: &str,
) -> CloseContactAnswer {
    store
        .check_close_contact(
            &as_employer(employer, when),
            &CloseContactCheck {
                resident_id: resident_id.clone(),
                token,
                within: fourteen_days(),
            },
        )
        .expect("the check is answered")
}

fn consents_listed(store: &dyn Store, person: &Person) -> Vec<ConsentRecord> {
    store
        .consents_of(&self_service(person, CHECKED), person.id)
        .expect("the consents read")
}

/// Records a confirmed case of `source` and a close contact of `person` with it, last exposed
/// at `last_exposure`.
fn close_contact_of(store: &dyn Store, source: &Person, person: &Person, last_exposure: &str) {
    let case = case(CaseStatus::Confirmed, "2026-02-09T12:00:00Z");
    store
        .record_case(&investigation(), source.id, &case)
        .unwrap();
    let mut contact = contact(&case, ContactSetting::Household, last_exposure);
    contact.found_at = at("2026-02-10T01:00:00Z");
    store
        .record_contact(&investigation(), person.id, &contact)
        .unwrap();
}

const YES: CloseContactAnswer = CloseContactAnswer::Answered {
    close_contact: true,
};
const NO: CloseContactAnswer = CloseContactAnswer::Answered {
    close_contact: false,
};

/// A community worker recording follow-up checks.
fn follow_up(when: &str) -> Access {
    Access::new(
        Actor::Staff {
            id: StaffId::from_bytes([0xc0; 16]),
            role: Role::CommunityWorker,
        },
        Purpose::QuarantineFollowUp,
        at(when),
    )
}

fn follow_up_check(day: &str, checked_at: &str, celsius: f64) -> FollowUpCheck {
    FollowUpCheck {
        event_id: new_event_id(),
        day: day.parse().expect("a valid day"),
        checked_at: at(checked_at),
        temperature: Temperature::from_celsius(celsius).expect("a valid temperature"),
        symptoms: BTreeSet::from([Symptom::DryCough]),
    }
}

/// 10 February 2026 in China (UTC+8): from 16:00 UTC on the 9th to 16:00 UTC on the 10th.
fn tenth_of_february() -> FollowUpDay {
    FollowUpDay::new(
        Date::new(2026, 2, 10).expect("a valid date"),
        jiff::tz::offset(8),
    )
    .expect("a day with an end")
}

/// Rates `person` `colour` at the start of the 10th, valid until `valid_until`.
fn rated_as(store: &dyn Store, person: &Person, colour: Colour, valid_until: Option<&str>) {
    let rule_ids: &[&str] = if colour == Colour::Green {
        &[]
    } else {
        &["close_contact"]
    };
    store
        .record_rating(
            &rating_access(),
            person.id,
            &rating(colour, valid_until, rule_ids, "2026-02-09T16:00:00Z"),
            &RatingCause::Request,
        )
        .expect("the rating is recorded");
}

// Behaviours.

pub fn a_consent_is_listed_with_its_employers_username_and_its_use(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let employer = employer_account(store, "hr.westlake");
    let first = issued(
        store,
        &zhang,
        consent_of(&zhang, &employer, 2),
        device_token(0x51),
    );
    let second = issued(
        store,
        &zhang,
        consent_of(&zhang, &employer, 1),
        device_token(0x52),
    );
    assert_eq!(first.expires_at, at("2026-02-19T09:00:00Z"));

    let listed = consents_listed(store, &zhang);
    assert_eq!(
        listed,
        vec![
            ConsentRecord {
                consent: first,
                employer: employer.username.clone(),
            },
            ConsentRecord {
                consent: second,
                employer: employer.username.clone(),
            },
        ]
    );
    assert_eq!(
        summary(&last_audit_record(store)),
        (
            Actor::Resident(zhang.id),
            Purpose::SelfService,
            AuditAction::ReadConsents,
            Some(zhang.id),
            2,
            AuditOutcome::Success
        )
    );
    assert_eq!(
        outcomes_of(store, AuditAction::IssueConsent),
        [AuditOutcome::Success, AuditOutcome::Success]
    );

    let li = enrolled(store, li());
    assert_eq!(consents_listed(store, &li), Vec::new(), "only their own");
}

pub fn resending_a_consent_keeps_its_terms_and_replaces_its_token(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let employer = employer_account(store, "hr.westlake");
    let consent = issued(
        store,
        &zhang,
        consent_of(&zhang, &employer, 2),
        device_token(0x51),
    );
    let mut resent = consent;
    resent.max_checks = 30;
    resent.issued_at = at(CHECKED);
    let answer = store
        .issue_consent(&self_service(&zhang, CHECKED), &resent, &device_token(0x52))
        .unwrap();
    assert_eq!(
        answer,
        (consent, Write::Duplicate),
        "the stored terms stand"
    );
    assert_eq!(
        outcomes_of(store, AuditAction::IssueConsent),
        [AuditOutcome::Success, AuditOutcome::Duplicate]
    );
    assert_eq!(
        check(
            store,
            &employer,
            &zhang.resident_id,
            device_token(0x51),
            CHECKED
        ),
        CloseContactAnswer::Refused,
        "the first token stopped working"
    );
    assert_eq!(
        check(
            store,
            &employer,
            &zhang.resident_id,
            device_token(0x52),
            CHECKED
        ),
        NO
    );
}

pub fn a_consent_id_already_used_or_naming_nobody_is_refused_and_audited(store: &dyn Store) {
    let zhang = enrolled(store, zhang());
    let li = enrolled(store, li());
    let employer = employer_account(store, "hr.westlake");
    let other_employer = employer_account(store, "hr.binjiang");
    let consent = issued(
        store,
        &zhang,
        consent_of(&zhang, &employer, 1),
        device_token(0x51),
    );

    let mut of_li = consent;
    of_li.person = li.id;
    let reused = store.issue_consent(&self_service(&li, ISSUED), &of_li, &device_token(0x52));
    assert!(matches!(reused, Err(StoreError::Conflict(_))), "{reused:?}");
    let mut to_another = consent;
    to_another.employer = other_employer.id;
    let reused = store.issue_consent(
        &self_service(&zhang, ISSUED),
        &to_another,
        &device_token(0x53),
    );
    assert!(matches!(reused, Err(StoreError::Conflict(_))), "{reused:?}");

    let mut to_nobody = consent_of(&zhang, &employer, 1);
    to_nobody.employer = StaffId::from_uuid(random_uuid());
    let refused = store.issue_consent(
        &self_service(&zhang, ISSUED),
        &to_nobody,
        &device_token(0x54),
    );
    assert_eq!(not_found(&refused), Some("employer"));
    let stranger = resident("330106199001011272", "王五", "13900139000");
    let of_stranger = consent_of(&stranger, &employer, 1);
    let refused = store.issue_consent(
        &Access::new(
            Actor::Resident(stranger.id),
            Purpose::SelfService,
            at(ISSUED),
        ),
        &of_stranger,
        &device_token(0x55),
    );
    assert_eq!(unknown_reference(&refused), Some((0, Reference::Person)));

    assert_eq!(
        outcomes_of(store, AuditAction::IssueConsent),
        [
            AuditOutcome::Success,
            AuditOutcome::Conflict,
            AuditOutcome::Conflict,
            AuditOutcome::NotFound,
            AuditOutcome::Rejected
        ]
    );
    assert_eq!(
        consents_listed(store, &zhang)
            .into_iter()
            .map(|record| record.consent)
            .collect::<Vec<_>>(),
        vec![consent],
        "nothing else was stored"
    );
    assert_eq!(consents_listed(store, &li), Vec::new());
}

pub fn a_revoked_consent_answers_no_more_checks_and_revoking_it_again_changes_nothing(
    store: &dyn Store,
) {
    let zhang = enrolled(store, zhang());
    let li = enrolled(store, li());
    let employer = employer_account(store, "hr.westlake");
    let consent = issued(
        store,
        &zhang,
        consent_of(&zhang, &employer, 5),
        device_token(0x51),
    );
    assert_eq!(
        check(
            store,
            &employer,
            &zhang.resident_id,
            device_token(0x51),
            CHECKED
        ),
        NO
    );

    let revoked_at = "2026-02-13T10:00:00Z";
    let revoked = store
        .revoke_consent(&self_service(&zhang, revoked_at), zhang.id, consent.id)
        .unwrap();
    let mut expected = consent;
    expected.checks_made = 1;
    expected.revoked_at = Some(at(revoked_at));
    assert_eq!(
        revoked,
        (
            ConsentRecord {
                consent: expected,
                employer: employer.username.clone(),
            },
            Write::Stored
        )
    );
    assert_eq!(expected.state(at(revoked_at)), ConsentState::Revoked);
    let again = store
        .revoke_consent(
            &self_service(&zhang, "2026-02-14T10:00:00Z"),
            zhang.id,
            consent.id,
        )
        .unwrap();
    assert_eq!(again.1, Write::Duplicate);
    assert_eq!(
        again.0.consent.revoked_at,
        Some(at(revoked_at)),
        "the first revocation stands"
    );
    assert_eq!(
        check(
            store,
            &employer,
            &zhang.resident_id,
            device_token(0x51),
            "2026-02-13T11:00:00Z"
        ),
        CloseContactAnswer::Refused
    );

    // Another resident's consent is not theirs to revoke, and they cannot learn it exists.
    let by_li = store.revoke_consent(&self_service(&li, revoked_at), li.id, consent.id);
    assert_eq!(not_found(&by_li), Some("consent"));
    let unknown = store.revoke_consent(
        &self_service(&zhang, revoked_at),
        zhang.id,
        ConsentId::from_uuid(random_uuid()),
    );
    assert_eq!(not_found(&unknown), Some("consent"));
    assert_eq!(
        outcomes_of(store, AuditAction::RevokeConsent),
        [
            AuditOutcome::Success,
            AuditOutcome::Duplicate,
            AuditOutcome::NotFound,
            AuditOutcome::NotFound
        ]
    );
}

pub fn a_check_with_a_consent_in_force_answers_whether_the_person_is_a_close_contact_and_counts(
    store: &dyn Store,
) {
    let people = four_residents_enrolled(store);
    let (source, contact, bystander) = (&people[0], &people[1], &people[2]);
    close_contact_of(store, source, contact, "2026-02-08T19:00:00Z");
    let employer = employer_account(store, "hr.westlake");
    issued(
        store,
        contact,
        consent_for_days(contact, &employer, 30, 2),
        device_token(0x51),
    );
    issued(
        store,
        bystander,
        consent_of(bystander, &employer, 1),
        device_token(0x52),
    );
    issued(
        store,
        source,
        consent_of(source, &employer, 1),
        device_token(0x53),
    );

    assert_eq!(
        check(
            store,
            &employer,
            &contact.resident_id,
            device_token(0x51),
            CHECKED
        ),
        YES
    );
    assert_eq!(
        summary(&last_audit_record(store)),
        (
            Actor::Staff {
                id: employer.id,
                role: Role::Employer
            },
            Purpose::EmploymentCheck,
            AuditAction::CheckCloseContact,
            Some(contact.id),
            1,
            AuditOutcome::Success
        ),
        "the check shows in the resident's access history"
    );
    assert_eq!(
        check(
            store,
            &employer,
            &bystander.resident_id,
            device_token(0x52),
            CHECKED
        ),
        NO
    );
    assert_eq!(
        check(
            store,
            &employer,
            &source.resident_id,
            device_token(0x53),
            CHECKED
        ),
        YES,
        "an open confirmed case answers yes"
    );
    // Fifteen days after the last exposure, the contact is outside the window.
    assert_eq!(
        check(
            store,
            &employer,
            &contact.resident_id,
            device_token(0x51),
            "2026-02-23T19:00:00.001Z"
        ),
        NO
    );
    // Both checks the consent allowed are made.
    assert_eq!(
        consents_listed(store, contact)[0]
            .consent
            .state(at("2026-02-14T09:00:00Z")),
        ConsentState::UsedUp
    );
    assert_eq!(
        check(
            store,
            &employer,
            &contact.resident_id,
            device_token(0x51),
            "2026-02-14T09:00:00Z"
        ),
        CloseContactAnswer::Refused
    );
    assert_eq!(consents_listed(store, contact)[0].consent.checks_made, 2);
}

pub fn a_check_without_a_consent_in_force_is_refused_alike_and_audited_as_denied(
    store: &dyn Store,
) {
    let zhang = enrolled(store, zhang());
    let li = enrolled(store, li());
    let employer = employer_account(store, "hr.westlake");
    let other_employer = employer_account(store, "hr.binjiang");
    issued(
        store,
        &zhang,
        consent_of(&zhang, &employer, 5),
        device_token(0x51),
    );
    issued(
        store,
        &li,
        consent_of(&li, &employer, 5),
        device_token(0x52),
    );
    let stranger = ResidentId::parse("330106199001011272").unwrap();

    let before = audit_length(store);
    let attempts = [
        // A token nobody issued.
        (&employer, &zhang.resident_id, device_token(0x99), CHECKED),
        // Li's token for Zhang's ID number.
        (&employer, &zhang.resident_id, device_token(0x52), CHECKED),
        // Zhang's token, by another employer.
        (
            &other_employer,
            &zhang.resident_id,
            device_token(0x51),
            CHECKED,
        ),
        // Zhang's token once the week is over.
        (
            &employer,
            &zhang.resident_id,
            device_token(0x51),
            "2026-02-19T09:00:00Z",
        ),
        // An ID number nobody is enrolled under.
        (&employer, &stranger, device_token(0x51), CHECKED),
    ];
    for (index, (by, resident_id, token, when)) in attempts.into_iter().enumerate() {
        assert_eq!(
            check(store, by, resident_id, token, when),
            CloseContactAnswer::Refused,
            "attempt {index}"
        );
    }
    let denied = |by: &StaffAccount, subject: Option<PersonId>| {
        (
            Actor::Staff {
                id: by.id,
                role: Role::Employer,
            },
            Purpose::EmploymentCheck,
            AuditAction::CheckCloseContact,
            subject,
            0,
            AuditOutcome::Denied,
        )
    };
    assert_eq!(
        audit_since(store, before),
        vec![
            denied(&employer, Some(zhang.id)),
            denied(&employer, Some(zhang.id)),
            denied(&other_employer, Some(zhang.id)),
            denied(&employer, Some(zhang.id)),
            denied(&employer, None),
        ]
    );
    assert!(
        consents_listed(store, &zhang)
            .iter()
            .chain(&consents_listed(store, &li))
            .all(|record| record.consent.checks_made == 0),
        "a refused check uses nothing up"
    );

    // Only a staff member can hold a consent's employer account.
    let by_resident = store
        .check_close_contact(
            &Access::new(
                Actor::Resident(li.id),
                Purpose::EmploymentCheck,
                at(CHECKED),
            ),
            &CloseContactCheck {
                resident_id: zhang.resident_id.clone(),
                token: device_token(0x51),
                within: fourteen_days(),
            },
        )
        .unwrap();
    assert_eq!(by_resident, CloseContactAnswer::Refused);
}

pub fn a_follow_up_check_is_kept_once_as_the_communitys_health_report_in_the_persons_facts(
    store: &dyn Store,
) {
    let zhang = enrolled(store, zhang());
    let checked = follow_up_check("2026-02-10", "2026-02-10T02:00:00Z", 38.2);
    let access = follow_up("2026-02-10T02:00:00Z");
    assert_eq!(
        store
            .record_follow_up_check(&access, zhang.id, &checked)
            .unwrap(),
        Write::Stored
    );
    assert_eq!(
        store
            .record_follow_up_check(&access, zhang.id, &checked)
            .unwrap(),
        Write::Duplicate
    );
    let facts = store.facts_of(&rating_access(), zhang.id).unwrap();
    assert_eq!(facts.health_reports, vec![checked.report()]);
    assert_eq!(facts.health_reports[0].reporter, Reporter::Community);

    let stranger = resident("330106199001011272", "王五", "13900139000");
    let refused = store.record_follow_up_check(
        &access,
        stranger.id,
        &follow_up_check("2026-02-10", "2026-02-10T02:00:00Z", 36.6),
    );
    assert_eq!(unknown_reference(&refused), Some((0, Reference::Person)));
    let worker = Actor::Staff {
        id: StaffId::from_bytes([0xc0; 16]),
        role: Role::CommunityWorker,
    };
    let recorded: Vec<AuditSummary> = audit_trail(store)
        .iter()
        .filter(|record| record.action == AuditAction::RecordFollowUpCheck)
        .map(summary)
        .collect();
    let expected = |subject, outcome| {
        (
            worker,
            Purpose::QuarantineFollowUp,
            AuditAction::RecordFollowUpCheck,
            Some(subject),
            1,
            outcome,
        )
    };
    assert_eq!(
        recorded,
        vec![
            expected(zhang.id, AuditOutcome::Success),
            expected(zhang.id, AuditOutcome::Duplicate),
            expected(stranger.id, AuditOutcome::Rejected),
        ]
    );
}

pub fn missed_follow_up_checks_are_the_isolated_residents_with_no_check_on_the_day(
    store: &dyn Store,
) {
    let residents: Vec<Person> = [
        "钱一", "孙二", "李三", "周四", "吴五", "郑六", "王七", "冯八",
    ]
    .into_iter()
    .enumerate()
    .map(|(serial, name)| {
        let resident_id = ResidentId::with_check_character(&format!("44030519850607{serial:03}"))
            .expect("a valid resident ID");
        let phone = format!("1360013600{serial}");
        enrolled(store, resident(resident_id.as_str(), name, &phone))
    })
    .collect();
    let [
        unchecked,
        visited,
        declared,
        declared_the_day_before,
        free,
        ran_out,
        reported_by_employer,
        never_rated,
    ] = &residents[..]
    else {
        unreachable!("eight residents")
    };
    let until = Some("2026-02-20T00:00:00Z");
    rated_as(store, unchecked, Colour::Red, until);
    rated_as(store, visited, Colour::Red, until);
    rated_as(store, declared, Colour::Yellow, None);
    rated_as(store, declared_the_day_before, Colour::Yellow, until);
    rated_as(store, free, Colour::Green, None);
    rated_as(store, ran_out, Colour::Red, Some("2026-02-11T00:00:00Z"));
    rated_as(store, reported_by_employer, Colour::Red, until);
    let _ = never_rated;

    store
        .record_follow_up_check(
            &follow_up("2026-02-11T01:00:00Z"),
            visited.id,
            &follow_up_check("2026-02-10", "2026-02-11T01:00:00Z", 36.6),
        )
        .unwrap();
    // 23:30 on the 10th in China.
    store
        .record_declaration(
            &visit_logging(declared.id),
            &declaration(declared, "2026-02-10T15:30:00Z"),
        )
        .unwrap();
    // 23:30 on the 9th in China.
    store
        .record_declaration(
            &visit_logging(declared_the_day_before.id),
            &declaration(declared_the_day_before, "2026-02-09T15:30:00Z"),
        )
        .unwrap();
    let mut employer_report = health_report("2026-02-10T10:00:00Z");
    employer_report.day = Date::new(2026, 2, 10).unwrap();
    store
        .ingest_health_reports(
            &bulk_import(),
            &[(reported_by_employer.id, employer_report)],
        )
        .unwrap();

    let now = "2026-02-11T01:30:00Z";
    let missed = store
        .missed_follow_up_checks(&follow_up(now), &tenth_of_february())
        .unwrap();
    let mut expected = vec![
        unchecked.clone(),
        declared_the_day_before.clone(),
        reported_by_employer.clone(),
    ];
    expected.sort_by_key(|person| person.id);
    assert_eq!(missed, expected, "decrypted, in person id order");
    assert_eq!(
        summary(&last_audit_record(store)),
        (
            Actor::Staff {
                id: StaffId::from_bytes([0xc0; 16]),
                role: Role::CommunityWorker
            },
            Purpose::QuarantineFollowUp,
            AuditAction::ReadFollowUp,
            None,
            3,
            AuditOutcome::Success
        )
    );

    // The day after, the declaration made on the 10th no longer counts, and nobody was visited.
    let eleventh = FollowUpDay::new(Date::new(2026, 2, 11).unwrap(), jiff::tz::offset(8)).unwrap();
    let missed_next_day = store
        .missed_follow_up_checks(&follow_up(now), &eleventh)
        .unwrap();
    let mut expected = vec![
        unchecked.clone(),
        visited.clone(),
        declared.clone(),
        declared_the_day_before.clone(),
        reported_by_employer.clone(),
    ];
    expected.sort_by_key(|person| person.id);
    assert_eq!(missed_next_day, expected);
}

pub fn nobody_in_isolation_misses_a_check_and_one_alone_is_named_in_the_audit(store: &dyn Store) {
    let missed = store
        .missed_follow_up_checks(&follow_up("2026-02-11T01:30:00Z"), &tenth_of_february())
        .unwrap();
    assert_eq!(missed, Vec::new());
    assert_eq!(last_audit_record(store).records, 0);

    let zhang = enrolled(store, zhang());
    rated_as(store, &zhang, Colour::Red, None);
    let missed = store
        .missed_follow_up_checks(&follow_up("2026-02-11T01:30:00Z"), &tenth_of_february())
        .unwrap();
    assert_eq!(missed, vec![zhang.clone()]);
    let record = last_audit_record(store);
    assert_eq!((record.subject, record.records), (Some(zhang.id), 1));
}
