//! Who may touch personal data, why, and the record every touch leaves.
//!
//! Each access to personal data is made on behalf of an [`Actor`] for a named [`Purpose`]; the
//! store takes an [`Access`] as a required argument of every call that reads or writes personal
//! data, and appends an [`AuditRecord`] in the same transaction.

use std::fmt;

use jiff::Timestamp;

use crate::event::uuid_id;
use crate::person::PersonId;

uuid_id!(
    /// The identifier of a staff account.
    StaffId
);

/// The roles of the system. A staff account has exactly one; residents are always `Resident`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Resident,
    VenueOperator,
    CheckpointWorker,
    HealthOfficial,
    Employer,
    Auditor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Resident,
        Role::VenueOperator,
        Role::CheckpointWorker,
        Role::HealthOfficial,
        Role::Employer,
        Role::Auditor,
        Role::Admin,
    ];

    /// The roles a staff account can hold: every role but `Resident`.
    pub const STAFF: [Role; 6] = [
        Role::VenueOperator,
        Role::CheckpointWorker,
        Role::HealthOfficial,
        Role::Employer,
        Role::Auditor,
        Role::Admin,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::VenueOperator => "venue_operator",
            Role::CheckpointWorker => "checkpoint_worker",
            Role::HealthOfficial => "health_official",
            Role::Employer => "employer",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(code: &str) -> Result<Role, UnknownCode> {
        Role::ALL
            .into_iter()
            .find(|role| role.code() == code)
            .ok_or_else(|| UnknownCode {
                allowed: Role::ALL.map(Role::code).join(", "),
            })
    }
}

/// A code outside a fixed vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("should be one of: {allowed}")]
pub struct UnknownCode {
    allowed: String,
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
}

impl Actor {
    /// The role the actor acts in; `None` for the public and the local operator.
    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::Public | Actor::LocalOperator => None,
            Actor::Resident(_) => Some(Role::Resident),
            Actor::Staff { role, .. } => Some(*role),
        }
    }
}

/// Why personal data is touched. Every access names one; data is never used for a purpose not
/// in this list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Purpose {
    /// Registering a resident.
    Enrolment,
    /// A resident viewing or managing their own data.
    SelfService,
    /// Recording a resident's health declaration.
    HealthDeclaration,
    /// Recording a visit: a check-in at a venue or a checkpoint scan.
    VisitLogging,
    /// Loading records delivered in bulk by a venue, an operator or a data feed.
    BulkImport,
    /// A health official investigating a case.
    CaseInvestigation,
    /// An auditor reviewing the audit log.
    AuditReview,
    /// Managing staff accounts.
    AccountAdministration,
}

impl Purpose {
    pub const ALL: [Purpose; 8] = [
        Purpose::Enrolment,
        Purpose::SelfService,
        Purpose::HealthDeclaration,
        Purpose::VisitLogging,
        Purpose::BulkImport,
        Purpose::CaseInvestigation,
        Purpose::AuditReview,
        Purpose::AccountAdministration,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Purpose::Enrolment => "enrolment",
            Purpose::SelfService => "self_service",
            Purpose::HealthDeclaration => "health_declaration",
            Purpose::VisitLogging => "visit_logging",
            Purpose::BulkImport => "bulk_import",
            Purpose::CaseInvestigation => "case_investigation",
            Purpose::AuditReview => "audit_review",
            Purpose::AccountAdministration => "account_administration",
        }
    }

    pub fn parse(code: &str) -> Result<Purpose, UnknownCode> {
        Purpose::ALL
            .into_iter()
            .find(|purpose| purpose.code() == code)
            .ok_or_else(|| UnknownCode {
                allowed: Purpose::ALL.map(Purpose::code).join(", "),
            })
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

/// What was done to personal data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuditAction {
    EnrolPerson,
    ReadPerson,
    FindPersonByResidentId,
    RecordDeclaration,
    ReadDeclarations,
    RecordCheckIn,
    IngestCheckIns,
    ReadCheckIns,
    ReadAuditLog,
}

impl AuditAction {
    pub const ALL: [AuditAction; 9] = [
        AuditAction::EnrolPerson,
        AuditAction::ReadPerson,
        AuditAction::FindPersonByResidentId,
        AuditAction::RecordDeclaration,
        AuditAction::ReadDeclarations,
        AuditAction::RecordCheckIn,
        AuditAction::IngestCheckIns,
        AuditAction::ReadCheckIns,
        AuditAction::ReadAuditLog,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AuditAction::EnrolPerson => "enrol_person",
            AuditAction::ReadPerson => "read_person",
            AuditAction::FindPersonByResidentId => "find_person_by_resident_id",
            AuditAction::RecordDeclaration => "record_declaration",
            AuditAction::ReadDeclarations => "read_declarations",
            AuditAction::RecordCheckIn => "record_check_in",
            AuditAction::IngestCheckIns => "ingest_check_ins",
            AuditAction::ReadCheckIns => "read_check_ins",
            AuditAction::ReadAuditLog => "read_audit_log",
        }
    }

    pub fn parse(code: &str) -> Result<AuditAction, UnknownCode> {
        AuditAction::ALL
            .into_iter()
            .find(|action| action.code() == code)
            .ok_or_else(|| UnknownCode {
                allowed: AuditAction::ALL.map(AuditAction::code).join(", "),
            })
    }
}

/// How an access ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditOutcome {
    /// The data was read or written.
    Success,
    /// The write was a resend of one already stored; nothing changed.
    Duplicate,
    /// The actor's role does not allow the action.
    Denied,
    /// The subject does not exist.
    NotFound,
    /// The write contradicts stored data (e.g. enrolling an enrolled resident).
    Conflict,
    /// The input was invalid; nothing was stored.
    Rejected,
}

impl AuditOutcome {
    pub const ALL: [AuditOutcome; 6] = [
        AuditOutcome::Success,
        AuditOutcome::Duplicate,
        AuditOutcome::Denied,
        AuditOutcome::NotFound,
        AuditOutcome::Conflict,
        AuditOutcome::Rejected,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AuditOutcome::Success => "success",
            AuditOutcome::Duplicate => "duplicate",
            AuditOutcome::Denied => "denied",
            AuditOutcome::NotFound => "not_found",
            AuditOutcome::Conflict => "conflict",
            AuditOutcome::Rejected => "rejected",
        }
    }

    pub fn parse(code: &str) -> Result<AuditOutcome, UnknownCode> {
        AuditOutcome::ALL
            .into_iter()
            .find(|outcome| outcome.code() == code)
            .ok_or_else(|| UnknownCode {
                allowed: AuditOutcome::ALL.map(AuditOutcome::code).join(", "),
            })
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

/// A staff member's account. The password is kept only as an argon2 hash in PHC string form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffAccount {
    pub id: StaffId,
    pub username: Username,
    pub role: Role,
    pub password_hash: String,
    pub created_at: Timestamp,
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
