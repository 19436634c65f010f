//! Who may touch personal data, why, and the record every touch leaves.
//!
//! Each access to personal data is made on behalf of an [`Actor`] for a named [`Purpose`]; the
//! store takes an [`Access`] as a required argument of every call that reads or writes personal
//! data, and appends an [`AuditRecord`] in the same transaction.

use std::fmt;

use jiff::Timestamp;

use crate::event::uuid_id;
use crate::person::PersonId;
use crate::vocabulary::vocabulary;

uuid_id!(
    /// The identifier of a staff account.
    StaffId
);

vocabulary! {
    /// The roles of the system. A staff account has exactly one; residents are always `Resident`.
    pub enum Role {
        Resident => "resident",
        VenueOperator => "venue_operator",
        CheckpointWorker => "checkpoint_worker",
        HealthOfficial => "health_official",
        Employer => "employer",
        Auditor => "auditor",
        Admin => "admin",
        Laboratory => "laboratory",
        Pharmacy => "pharmacy",
        CommunityWorker => "community_worker",
        /// An airline, railway, bus company or taxi platform reporting real-name boardings.
        TransitOperator => "transit_operator",
        /// A mobile network reporting cell pings.
        PhoneNetwork => "phone_network",
    }
}

impl Role {
    /// The roles a staff account can hold: every role but `Resident`.
    pub const STAFF: [Role; 11] = [
        Role::VenueOperator,
        Role::CheckpointWorker,
        Role::HealthOfficial,
        Role::Employer,
        Role::Auditor,
        Role::Admin,
        Role::Laboratory,
        Role::Pharmacy,
        Role::CommunityWorker,
        Role::TransitOperator,
        Role::PhoneNetwork,
    ];
}

/// On whose behalf an access is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Actor {
    /// Someone not signed in, e.g. a resident enrolling.
    Public,
    /// A resident signed in with their device token.
    Resident(PersonId),
    /// A staff member signed in with a bearer token.
    Staff { id: StaffId, role: Role },
    /// Whoever runs the `healthcode` command on the machine that holds the data directory.
    LocalOperator,
    /// healthcode itself, applying the active policy: re-rating a resident after an event, at
    /// the expiry of a colour, or after a policy or the region-risk list changed. Whoever caused
    /// the re-rating is audited separately, under their own name.
    System,
}

impl Actor {
    /// The role the actor acts in; `None` for the public, the local operator and the system.
    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::Public | Actor::LocalOperator | Actor::System => None,
            Actor::Resident(_) => Some(Role::Resident),
            Actor::Staff { role, .. } => Some(*role),
        }
    }
}

vocabulary! {
    /// Why personal data is touched. Every access names one; data is never used for a purpose
    /// not in this list.
    pub enum Purpose {
        /// Registering a resident.
        Enrolment => "enrolment",
        /// A resident viewing or managing their own data.
        SelfService => "self_service",
        /// Recording a resident's health declaration.
        HealthDeclaration => "health_declaration",
        /// Recording a visit: a check-in at a venue or a checkpoint scan.
        VisitLogging => "visit_logging",
        /// Loading records delivered in bulk by a venue, an operator or a data feed.
        BulkImport => "bulk_import",
        /// A health official investigating a case.
        CaseInvestigation => "case_investigation",
        /// An auditor reviewing the audit log.
        AuditReview => "audit_review",
        /// Working out a resident's colour from their facts under the active policy.
        Rating => "rating",
        /// A laboratory reporting test results.
        LaboratoryReport => "laboratory_report",
        /// A pharmacy reporting purchases of fever or cough medicine.
        PharmacyReport => "pharmacy_report",
        /// An employer or a residential community filing daily health reports.
        HealthReport => "health_report",
        /// A resident appealing a rating, or a health official deciding an appeal or overriding
        /// a colour.
        AppealReview => "appeal_review",
        /// Comparing policies on the current data before one is activated.
        PolicyEvaluation => "policy_evaluation",
        /// A transit operator's report of who rode which trip.
        TransitReport => "transit_report",
        /// A mobile network's report of which cell served whom.
        PhoneData => "phone_data",
        /// An employer's consented check of whether an employee is a close contact.
        EmploymentCheck => "employment_check",
        /// The daily checks of residents in isolation or quarantine.
        QuarantineFollowUp => "quarantine_follow_up",
        /// Deleting personal data once it is kept no longer than needed.
        DataRetention => "data_retention",
        /// Issuing a resident's signed pass, which carries their colour, masked name, birth
        /// year and a salted hash of their ID number.
        PassIssuance => "pass_issuance",
    }
}

/// The context of one access to personal data: who, why and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    pub actor: Actor,
    pub purpose: Purpose,
    pub at: Timestamp,
}

impl Access {
    pub fn new(actor: Actor, purpose: Purpose, at: Timestamp) -> Access {
        Access { actor, purpose, at }
    }
}

vocabulary! {
    /// What was done to personal data.
    pub enum AuditAction {
        EnrolPerson => "enrol_person",
        ReadPerson => "read_person",
        FindPersonByResidentId => "find_person_by_resident_id",
        RecordDeclaration => "record_declaration",
        ReadDeclarations => "read_declarations",
        RecordCheckIn => "record_check_in",
        IngestCheckIns => "ingest_check_ins",
        ReadCheckIns => "read_check_ins",
        ReadAuditLog => "read_audit_log",
        RecordTestResults => "record_test_results",
        RecordPharmacyPurchases => "record_pharmacy_purchases",
        RecordHealthReports => "record_health_reports",
        RecordCase => "record_case",
        ReleaseCase => "release_case",
        RecordContact => "record_contact",
        ReadFacts => "read_facts",
        RecordRating => "record_rating",
        ReadRatings => "read_ratings",
        FileAppeal => "file_appeal",
        ReadAppeals => "read_appeals",
        DecideAppeal => "decide_appeal",
        SetOverride => "set_override",
        StorePolicy => "store_policy",
        ActivatePolicy => "activate_policy",
        PublishRegionRiskList => "publish_region_risk_list",
        RecordBoardings => "record_boardings",
        RegisterHouseholds => "register_households",
        ReadCase => "read_case",
        TraceCase => "trace_case",
        ReadContacts => "read_contacts",
        DismissContact => "dismiss_contact",
        RegisterCells => "register_cells",
        IngestCellPings => "ingest_cell_pings",
        PurgeCellPings => "purge_cell_pings",
        ReadItinerary => "read_itinerary",
        SearchProximity => "search_proximity",
        ReviewProximityCandidate => "review_proximity_candidate",
        IssueConsent => "issue_consent",
        RevokeConsent => "revoke_consent",
        ReadConsents => "read_consents",
        CheckCloseContact => "check_close_contact",
        RecordFollowUpCheck => "record_follow_up_check",
        ReadFollowUp => "read_follow_up",
    }
}

vocabulary! {
    /// How an access ended.
    pub enum AuditOutcome {
        /// The data was read or written.
        Success => "success",
        /// The write was a resend of one already stored; nothing new was stored (a resent
        /// enrolment still replaces the device token).
        Duplicate => "duplicate",
        /// The actor's role does not allow the action.
        Denied => "denied",
        /// The subject does not exist.
        NotFound => "not_found",
        /// The write contradicts stored data (e.g. enrolling an enrolled resident).
        Conflict => "conflict",
        /// The input was invalid; nothing was stored.
        Rejected => "rejected",
    }
}

/// One entry of the audit log. Entries are numbered from 1 without gaps and chained: each
/// carries the SHA-256 of its predecessor's hash and its own content, so that removing or
/// altering an entry breaks the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub sequence: u64,
    pub at: Timestamp,
    pub actor: Actor,
    pub purpose: Purpose,
    pub action: AuditAction,
    /// The person whose data was touched, when there was exactly one.
    pub subject: Option<PersonId>,
    /// How many records were touched (1 for a single read or write, N for a batch).
    pub records: u64,
    pub outcome: AuditOutcome,
    pub hash: [u8; 32],
}

/// Every `Username` is 3 to 32 characters from a–z, 0–9, `.`, `_` and `-`, starting with a letter.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Username(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("should be 3 to 32 characters from a–z, 0–9, '.', '_' and '-', starting with a letter")]
pub struct UsernameError;

impl Username {
    pub fn parse(text: &str) -> Result<Username, UsernameError> {
        let valid_length = (3..=32).contains(&text.len());
        let starts_with_letter = text.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
        let valid_characters = text.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
        if valid_length && starts_with_letter && valid_characters {
            Ok(Username(text.to_owned()))
        } else {
            Err(UsernameError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A staff member's account. The password is kept only as an argon2 hash in PHC string form,
/// which `Debug` does not print.
#[derive(Clone, PartialEq, Eq)]
pub struct StaffAccount {
    pub id: StaffId,
    pub username: Username,
    pub role: Role,
    pub password_hash: String,
    pub created_at: Timestamp,
}

impl fmt::Debug for StaffAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaffAccount")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_for_every_vocabulary() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Ok(role));
        }
        for purpose in Purpose::ALL {
            assert_eq!(Purpose::parse(purpose.code()), Ok(purpose));
        }
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.code()), Ok(action));
        }
        for outcome in AuditOutcome::ALL {
            assert_eq!(AuditOutcome::parse(outcome.code()), Ok(outcome));
        }
        assert!(
            Role::parse("mayor")
                .unwrap_err()
                .to_string()
                .contains("health_official")
        );
    }

    #[test]
    fn usernames_are_short_lower_case_words() {
        assert!(Username::parse("official.li").is_ok());
        for bad in ["ab", "1abc", "Li", "a b c", &"a".repeat(33)] {
            assert_eq!(Username::parse(bad), Err(UsernameError), "{bad}");
        }
    }
}
