//! A resident's consent to an employer's close-contact check, and the one bit the check answers.
//!
//! In 2020 an employer could ask whether anyone was a close contact from an ID number alone.
//! Here the resident decides: they issue a [`Consent`] to one employer's staff account, for a
//! limited time and a limited number of checks ([`ConsentTerms`]), and may revoke it at any
//! moment. The employer presents the consent's token with the employee's ID number and learns
//! only yes or no ([`close_contact_answer`]): never a colour, a date, a place or a name.
//!
//! The token is a secret drawn and hashed outside this crate (core draws no randomness); a
//! consent here knows its terms and how often it was used, never its token.

use jiff::{SignedDuration, Timestamp};

use crate::access::StaffId;
use crate::event::uuid_id;
use crate::person::PersonId;
use crate::rating::{CaseRecord, CaseStatus, Contact, ContactDegree};
use crate::vocabulary::vocabulary;

uuid_id!(
    /// The identifier of a resident's consent, chosen by the resident's device so that a resend
    /// of the same consent is recognised.
    ConsentId
);

/// How long a consent lasts and how many checks it allows.
///
/// Every `ConsentTerms` lasts 1 to [`ConsentTerms::MAX_DAYS`] days and allows 1 to
/// [`ConsentTerms::MAX_CHECKS`] checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsentTerms {
    days: u32,
    checks: u32,
}

/// Why consent terms are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConsentTermsError {
    #[error("should be from 1 to {} days", ConsentTerms::MAX_DAYS)]
    Days,
    #[error("should be from 1 to {} checks", ConsentTerms::MAX_CHECKS)]
    Checks,
}

impl ConsentTerms {
    /// A week: long enough to return to work, short enough not to become a standing licence.
    pub const DEFAULT_DAYS: u32 = 7;
    pub const MAX_DAYS: u32 = 30;
    /// One check: the employer asks once, when the employee returns. A resident who agrees to
    /// daily checks says how many.
    pub const DEFAULT_CHECKS: u32 = 1;
    /// One a day for the longest consent.
    pub const MAX_CHECKS: u32 = 30;

    /// The terms asked for; what is not given takes its default.
    pub fn new(days: Option<u32>, checks: Option<u32>) -> Result<ConsentTerms, ConsentTermsError> {
        let days = days.unwrap_or(ConsentTerms::DEFAULT_DAYS);
        let checks = checks.unwrap_or(ConsentTerms::DEFAULT_CHECKS);
        if !(1..=ConsentTerms::MAX_DAYS).contains(&days) {
            return Err(ConsentTermsError::Days);
        }
        if !(1..=ConsentTerms::MAX_CHECKS).contains(&checks) {
            return Err(ConsentTermsError::Checks);
        }
        Ok(ConsentTerms { days, checks })
    }

    pub fn days(&self) -> u32 {
        self.days
    }

    pub fn checks(&self) -> u32 {
        self.checks
    }
}

impl Default for ConsentTerms {
    fn default() -> ConsentTerms {
        ConsentTerms {
            days: ConsentTerms::DEFAULT_DAYS,
            checks: ConsentTerms::DEFAULT_CHECKS,
        }
    }
}

vocabulary! {
    /// Where a consent stands at a moment.
    pub enum ConsentState {
        /// The employer may check with it.
        Active => "active",
        /// Its time ran out.
        Expired => "expired",
        /// The resident revoked it.
        Revoked => "revoked",
        /// Every check it allowed was made.
        UsedUp => "used_up",
    }
}

/// A resident's consent to one employer's close-contact checks.
///
/// A consent issued with [`Consent::issue`] expires after it was issued and allows at least one
/// check; the store keeps how many checks were made with it and when it was revoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Consent {
    pub id: ConsentId,
    /// The resident who consents: the only person the consent lets anyone check.
    pub person: PersonId,
    /// The employer's staff account: the only account that may check with it.
    pub employer: StaffId,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    pub max_checks: u32,
    pub checks_made: u32,
    pub revoked_at: Option<Timestamp>,
}

impl Consent {
    /// A new consent of `person` to `employer`, issued at `issued_at` on `terms`.
    pub fn issue(
        id: ConsentId,
        person: PersonId,
        employer: StaffId,
        issued_at: Timestamp,
        terms: ConsentTerms,
    ) -> Consent {
        let lifetime = SignedDuration::from_hours(24 * i64::from(terms.days()));
        Consent {
            id,
            person,
            employer,
            issued_at,
            // Only a clock set to the end of time could overflow; the consent then lasts to it.
            expires_at: issued_at.checked_add(lifetime).unwrap_or(Timestamp::MAX),
            max_checks: terms.checks(),
            checks_made: 0,
            revoked_at: None,
        }
    }

    /// Where the consent stands at `at`. A revocation outranks an expiry, which outranks the
    /// checks running out: the resident sees the strongest reason it no longer works.
    pub fn state(&self, at: Timestamp) -> ConsentState {
        if self.revoked_at.is_some_and(|revoked| revoked <= at) {
            ConsentState::Revoked
        } else if at >= self.expires_at {
            ConsentState::Expired
        } else if self.checks_made >= self.max_checks {
            ConsentState::UsedUp
        } else {
            ConsentState::Active
        }
    }

    /// Whether `employer` may check `person` with this consent at `at`.
    pub fn permits(&self, employer: StaffId, person: PersonId, at: Timestamp) -> bool {
        self.employer == employer && self.person == person && self.state(at) == ConsentState::Active
    }
}

/// The answer to an employer's check at `at`: is the person a close contact of a case within the
/// policy's `within` (its `contact_check_within`, 14 days by default)?
///
/// Yes when the person has
/// - a close contact (not a secondary one) that tracing found by `at`, that no official had
///   dismissed by then, and whose last exposure is at most `within` before `at` (exactly
///   `within` counts); or
/// - a confirmed case of their own, registered by `at` and not released by then. Answering no
///   would tell the employer that a person still under treatment or isolation is safe to work
///   with; answering yes says no more than that they should not come in, and not which of the
///   two it is.
///
/// Suspected cases and secondary contacts answer no: the question is about close contacts, and
/// the answer must not become a colour by another name.
pub fn close_contact_answer(
    contacts: &[Contact],
    cases: &[CaseRecord],
    at: Timestamp,
    within: SignedDuration,
) -> bool {
    let window_opens = at.checked_sub(within).unwrap_or(Timestamp::MIN);
    let close_contact = contacts.iter().any(|contact| {
        contact.degree == ContactDegree::Close
            && contact.found_at <= at
            && contact.dismissed_at.is_none_or(|dismissed| dismissed > at)
            && contact.last_exposure >= window_opens
    });
    let open_confirmed_case = cases.iter().any(|case| {
        case.status == CaseStatus::Confirmed
            && case.since <= at
            && case.released_at.is_none_or(|released| released > at)
    });
    close_contact || open_confirmed_case
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rating::{CaseId, ContactId, ContactSetting};

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    const NOW: &str = "2026-02-20T08:00:00Z";

    fn days(count: i64) -> SignedDuration {
        SignedDuration::from_hours(24 * count)
    }

    fn close_contact(last_exposure: Timestamp) -> Contact {
        Contact {
            contact: ContactId::from_bytes([1; 16]),
            case: CaseId::from_bytes([2; 16]),
            degree: ContactDegree::Close,
            setting: ContactSetting::Household,
            first_exposure: last_exposure - SignedDuration::from_hours(1),
            last_exposure,
            together: SignedDuration::from_hours(1),
            found_at: last_exposure + SignedDuration::from_hours(6),
            dismissed_at: None,
        }
    }

    fn confirmed_case(since: Timestamp) -> CaseRecord {
        CaseRecord {
            case: CaseId::from_bytes([3; 16]),
            status: CaseStatus::Confirmed,
            since,
            onset: since - days(1),
            isolated_at: since,
            released_at: None,
        }
    }

    #[test]
    fn terms_default_to_a_week_and_one_check_and_refuse_what_is_out_of_range() {
        let terms = ConsentTerms::new(None, None).unwrap();
        assert_eq!((terms.days(), terms.checks()), (7, 1));
        assert_eq!(terms, ConsentTerms::default());
        let longest = ConsentTerms::new(Some(30), Some(30)).unwrap();
        assert_eq!((longest.days(), longest.checks()), (30, 30));
        assert_eq!(
            ConsentTerms::new(Some(0), None),
            Err(ConsentTermsError::Days)
        );
        assert_eq!(
            ConsentTerms::new(Some(31), None),
            Err(ConsentTermsError::Days)
        );
        assert_eq!(
            ConsentTerms::new(None, Some(0)),
            Err(ConsentTermsError::Checks)
        );
        assert_eq!(
            ConsentTerms::new(None, Some(31)),
            Err(ConsentTermsError::Checks)
        );
        assert_eq!(
            ConsentTermsError::Days.to_string(),
            "should be from 1 to 30 days"
        );
    }

    #[test]
    fn a_consent_permits_only_its_employer_checking_its_person_while_active() {
        let person = PersonId::from_bytes([4; 16]);
        let employer = StaffId::from_bytes([5; 16]);
        let issued = at("2026-02-10T08:00:00Z");
        let terms = ConsentTerms::new(Some(7), Some(2)).unwrap();
        let mut consent = Consent::issue(
            ConsentId::from_bytes([6; 16]),
            person,
            employer,
            issued,
            terms,
        );
        assert_eq!(consent.expires_at, at("2026-02-17T08:00:00Z"));
        let during = at("2026-02-12T08:00:00Z");
        assert!(consent.permits(employer, person, during));
        assert!(!consent.permits(StaffId::from_bytes([7; 16]), person, during));
        assert!(!consent.permits(employer, PersonId::from_bytes([8; 16]), during));
        assert_eq!(consent.state(consent.expires_at), ConsentState::Expired);
        assert!(!consent.permits(employer, person, consent.expires_at));

        consent.checks_made = 2;
        assert_eq!(consent.state(during), ConsentState::UsedUp);
        consent.checks_made = 1;
        consent.revoked_at = Some(at("2026-02-13T08:00:00Z"));
        assert_eq!(consent.state(during), ConsentState::Active);
        assert_eq!(
            consent.state(at("2026-02-13T08:00:00Z")),
            ConsentState::Revoked
        );
        assert_eq!(
            consent.state(at("2026-02-18T08:00:00Z")),
            ConsentState::Revoked,
            "a revocation outranks the expiry"
        );
    }

    #[test]
    fn a_close_contact_exposed_exactly_fourteen_days_ago_answers_yes_and_a_day_more_no() {
        let now = at(NOW);
        let within = days(14);
        assert!(close_contact_answer(
            &[close_contact(now - days(14))],
            &[],
            now,
            within
        ));
        assert!(!close_contact_answer(
            &[close_contact(
                now - days(14) - SignedDuration::from_millis(1)
            )],
            &[],
            now,
            within
        ));
        assert!(!close_contact_answer(&[], &[], now, within));
    }

    #[test]
    fn dismissed_secondary_and_not_yet_found_contacts_answer_no() {
        let now = at(NOW);
        let within = days(14);
        let mut dismissed = close_contact(now - days(2));
        dismissed.dismissed_at = Some(now - days(1));
        let mut secondary = close_contact(now - days(2));
        secondary.degree = ContactDegree::Secondary;
        let mut later = close_contact(now - days(2));
        later.found_at = now + SignedDuration::from_mins(1);
        assert!(!close_contact_answer(
            &[dismissed, secondary, later],
            &[],
            now,
            within
        ));
        let mut dismissed_later = close_contact(now - days(2));
        dismissed_later.dismissed_at = Some(now + days(1));
        assert!(close_contact_answer(&[dismissed_later], &[], now, within));
    }

    #[test]
    fn an_open_confirmed_case_answers_yes_and_a_released_or_suspected_one_no() {
        let now = at(NOW);
        let within = days(14);
        let open = confirmed_case(now - days(30));
        assert!(close_contact_answer(&[], &[open], now, within));
        let mut released = open;
        released.released_at = Some(now - days(1));
        assert!(!close_contact_answer(&[], &[released], now, within));
        let mut suspected = open;
        suspected.status = CaseStatus::Suspected;
        assert!(!close_contact_answer(&[], &[suspected], now, within));
        let future = confirmed_case(now + days(1));
        assert!(!close_contact_answer(&[], &[future], now, within));
    }
}
