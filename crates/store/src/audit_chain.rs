//! The hash chain that makes the audit log tamper-evident, shared by every backend.
//!
//! Each record's hash is SHA-256 over a domain tag, its predecessor's hash and a canonical
//! encoding of its content; the first record chains from 32 zero bytes. The encoding is
//! unambiguous: integers have fixed widths, texts and ids are length-prefixed, and absent values
//! are written as empty (length 0), which no present value can be. Changing the encoding changes
//! every hash, so it must never change for records already written: a new encoding needs a new
//! domain tag and a migration.
//!
//! This module does no I/O; backends read and write the records, this module only computes and
//! checks hashes.

use healthcode_core::{
    Access, Actor, AuditAction, AuditOutcome, AuditRecord, PersonId, Purpose, Timestamp,
};
use sha2::{Digest, Sha256};

use crate::AuditChainReport;

/// The hash the first record chains from.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

const DOMAIN_TAG: &[u8] = b"healthcode audit chain v1";

/// The stable code of an actor's kind, as stored and as hashed.
pub fn actor_kind_code(actor: &Actor) -> &'static str {
    match actor {
        Actor::Public => "public",
        Actor::Resident(_) => "resident",
        Actor::Staff { .. } => "staff",
        Actor::LocalOperator => "local_operator",
        Actor::System => "system",
    }
}

/// The id bytes of an actor (a person's or a staff account's), if it has one.
pub fn actor_id_bytes(actor: &Actor) -> Option<[u8; 16]> {
    match actor {
        Actor::Public | Actor::LocalOperator | Actor::System => None,
        Actor::Resident(person) => Some(*person.as_bytes()),
        Actor::Staff { id, .. } => Some(*id.as_bytes()),
    }
}

/// The hash of `record` chained after `previous`, over every field of the record except
/// `record.hash` itself. Time is taken to the millisecond, the precision the stores keep.
pub fn chain_hash(previous: &[u8; 32], record: &AuditRecord) -> [u8; 32] {
    let mut hasher = Sha256::new();
    write_bytes(&mut hasher, DOMAIN_TAG);
    hasher.update(previous);
    hasher.update(record.sequence.to_be_bytes());
    hasher.update(record.at.as_millisecond().to_be_bytes());
    write_bytes(&mut hasher, actor_kind_code(&record.actor).as_bytes());
    write_bytes(
        &mut hasher,
        actor_id_bytes(&record.actor)
            .as_ref()
            .map_or(&[][..], |id| &id[..]),
    );
    write_bytes(
        &mut hasher,
        record
            .actor
            .role()
            .map_or("", |role| role.code())
            .as_bytes(),
    );
    write_bytes(&mut hasher, record.purpose.code().as_bytes());
    write_bytes(&mut hasher, record.action.code().as_bytes());
    write_bytes(
        &mut hasher,
        record
            .subject
            .as_ref()
            .map_or(&[][..], |subject| subject.as_bytes()),
    );
    hasher.update(record.records.to_be_bytes());
    write_bytes(&mut hasher, record.outcome.code().as_bytes());
    hasher.finalize().into()
}

fn write_bytes(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_be_bytes());
    hasher.update(bytes);
}

/// What an audit record says, before the store numbers and chains it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub actor: Actor,
    pub purpose: Purpose,
    pub action: AuditAction,
    pub subject: Option<PersonId>,
    pub records: u64,
    pub outcome: AuditOutcome,
}

impl AuditEntry {
    /// An entry for an access, with its actor, purpose and time.
    pub fn for_access(
        access: &Access,
        action: AuditAction,
        subject: Option<PersonId>,
        records: u64,
        outcome: AuditOutcome,
    ) -> AuditEntry {
        AuditEntry {
            at: access.at,
            actor: access.actor,
            purpose: access.purpose,
            action,
            subject,
            records,
            outcome,
        }
    }

    /// The record that follows the last one in the log (`None` for an empty log): numbered one
    /// higher and chained from its hash. Time is truncated to the millisecond so that the record
    /// returned is the one a store reads back.
    pub fn chained_after(self, last: Option<(u64, [u8; 32])>) -> AuditRecord {
        let (last_sequence, previous_hash) = last.unwrap_or((0, GENESIS_HASH));
        let at = Timestamp::from_millisecond(self.at.as_millisecond())
            .expect("a timestamp truncated to the millisecond stays in range");
        let mut record = AuditRecord {
            sequence: last_sequence + 1,
            at,
            actor: self.actor,
            purpose: self.purpose,
            action: self.action,
            subject: self.subject,
            records: self.records,
            outcome: self.outcome,
            hash: [0; 32],
        };
        record.hash = chain_hash(&previous_hash, &record);
        record
    }
}

/// Checks records fed to it in sequence order, from the first, and remembers the first break:
/// a record whose hash does not match, or whose sequence number is not the next one.
#[derive(Debug)]
pub struct ChainVerifier {
    previous_hash: [u8; 32],
    records: u64,
    first_break: Option<u64>,
}

impl Default for ChainVerifier {
    fn default() -> ChainVerifier {
        ChainVerifier::new()
    }
}

impl ChainVerifier {
    pub fn new() -> ChainVerifier {
        ChainVerifier {
            previous_hash: GENESIS_HASH,
            records: 0,
            first_break: None,
        }
    }

    pub fn check(&mut self, record: &AuditRecord) {
        self.records += 1;
        let in_place = record.sequence == self.records;
        let intact = chain_hash(&self.previous_hash, record) == record.hash;
        if self.first_break.is_none() && !(in_place && intact) {
            self.first_break = Some(record.sequence);
        }
        // Chain on from the stored hash, so one altered record is reported once rather than
        // making every later record look broken too.
        self.previous_hash = record.hash;
    }

    pub fn finish(self) -> AuditChainReport {
        AuditChainReport {
            records: self.records,
            first_break: self.first_break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use healthcode_core::{Role, StaffId};

    fn entry() -> AuditEntry {
        AuditEntry {
            at: "2026-02-10T09:00:00.123456Z".parse().unwrap(),
            actor: Actor::Staff {
                id: StaffId::from_bytes([7; 16]),
                role: Role::HealthOfficial,
            },
            purpose: Purpose::CaseInvestigation,
            action: AuditAction::ReadPerson,
            subject: Some(PersonId::from_bytes([9; 16])),
            records: 1,
            outcome: AuditOutcome::Success,
        }
    }

    #[test]
    fn the_first_record_chains_from_zeros_and_is_numbered_one() {
        let record = entry().chained_after(None);
        assert_eq!(record.sequence, 1);
        assert_eq!(record.hash, chain_hash(&GENESIS_HASH, &record));
        assert_eq!(
            record.at.as_millisecond(),
            record.at.as_microsecond() / 1000
        );
    }

    #[test]
    fn every_field_changes_the_hash() {
        let base = entry().chained_after(None);
        let variants = [
            AuditRecord {
                sequence: 2,
                ..base.clone()
            },
            AuditRecord {
                at: "2026-02-10T09:00:00.124Z".parse().unwrap(),
                ..base.clone()
            },
            AuditRecord {
                actor: Actor::LocalOperator,
                ..base.clone()
            },
            AuditRecord {
                actor: Actor::System,
                ..base.clone()
            },
            AuditRecord {
                actor: Actor::Staff {
                    id: StaffId::from_bytes([7; 16]),
                    role: Role::Auditor,
                },
                ..base.clone()
            },
            AuditRecord {
                actor: Actor::Staff {
                    id: StaffId::from_bytes([8; 16]),
                    role: Role::HealthOfficial,
                },
                ..base.clone()
            },
            AuditRecord {
                purpose: Purpose::SelfService,
                ..base.clone()
            },
            AuditRecord {
                action: AuditAction::ReadCheckIns,
                ..base.clone()
            },
            AuditRecord {
                subject: None,
                ..base.clone()
            },
            AuditRecord {
                records: 2,
                ..base.clone()
            },
            AuditRecord {
                outcome: AuditOutcome::NotFound,
                ..base.clone()
            },
        ];
        for variant in variants {
            assert_ne!(
                chain_hash(&GENESIS_HASH, &variant),
                base.hash,
                "{variant:?}"
            );
        }
        assert_ne!(chain_hash(&[1; 32], &base), base.hash);
    }

    #[test]
    fn actors_without_an_id_are_told_apart_by_their_kind() {
        let base = entry().chained_after(None);
        let hashes: std::collections::BTreeSet<[u8; 32]> =
            [Actor::Public, Actor::LocalOperator, Actor::System]
                .into_iter()
                .map(|actor| {
                    chain_hash(
                        &GENESIS_HASH,
                        &AuditRecord {
                            actor,
                            ..base.clone()
                        },
                    )
                })
                .collect();
        assert_eq!(hashes.len(), 3);
    }

    #[test]
    fn the_verifier_reports_the_first_altered_or_misplaced_record() {
        let first = entry().chained_after(None);
        let second = entry().chained_after(Some((first.sequence, first.hash)));
        let third = entry().chained_after(Some((second.sequence, second.hash)));

        let mut intact = ChainVerifier::new();
        for record in [&first, &second, &third] {
            intact.check(record);
        }
        assert_eq!(
            intact.finish(),
            AuditChainReport {
                records: 3,
                first_break: None
            }
        );

        let altered = AuditRecord {
            records: 5,
            ..second.clone()
        };
        let mut verifier = ChainVerifier::new();
        for record in [&first, &altered, &third] {
            verifier.check(record);
        }
        assert_eq!(
            verifier.finish(),
            AuditChainReport {
                records: 3,
                first_break: Some(2)
            }
        );

        let mut without_second = ChainVerifier::new();
        for record in [&first, &third] {
            without_second.check(record);
        }
        assert_eq!(without_second.finish().first_break, Some(3));
    }
}
