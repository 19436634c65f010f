//! The SQLite backend: the embedded default store, one file in the data directory.
//!
//! Layout of a data directory (created with mode 0700): `healthcode.sqlite3` (created with mode
//! 0600, with its `-wal` and `-shm` companions) and `keys/` (see [`crate::keys`], which also
//! refuses keys others can read). The database runs in WAL mode with
//! `synchronous=NORMAL` and foreign keys on. One writer connection sits behind a mutex; a small
//! pool of read-only connections serves reads that touch no personal data (venues, accounts,
//! tokens, the chain check), which WAL lets run alongside the writer. Calls that take an
//! [`Access`] run on the writer because their audit record is written in the same transaction.
//!
//! This module must never write a resident ID number, name or phone in plaintext (they are
//! sealed with the key ring before they reach SQL), and never log personal data: tracing spans
//! carry ids and counts only.

pub mod bench;
mod checkpoint;
mod encoding;
mod migrations;

use std::collections::HashSet;
use std::fs::{DirBuilder, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use healthcode_core::{
    Access, Actor, AuditAction, AuditOutcome, AuditRecord, CheckIn, CheckInSource, Declaration,
    EventId, Person, PersonId, PersonName, PhoneNumber, ResidentId, Role, StaffAccount, StaffId,
    Temperature, Timestamp, Username, Venue, VenueId, VenueKind,
};
use healthcode_core::{GeoPoint, OpeningHours, RegionCode};
use rusqlite::types::Value;
use rusqlite::{CachedStatement, Connection, OpenFlags, OptionalExtension, Row, Transaction};
use rusqlite::{TransactionBehavior, params, params_from_iter};

use crate::audit_chain::{AuditEntry, ChainVerifier, actor_id_bytes, actor_kind_code};
use crate::{
    AuditChainReport, AuditQuery, Enrolled, Enrolment, IngestReport, KeyRing, Reference, Store,
    StoreError, TokenGrant, TokenHash, Write,
};
use checkpoint::{Checkpointer, WRITER_AUTOCHECKPOINT_PAGES};
use encoding::{
    AUDIT_COLUMNS, code, corrupt, decode_audit_record, decode_symptoms, decode_travel,
    encode_symptoms, encode_travel, id_bytes, millis, text, timestamp,
};
pub use migrations::{SCHEMA_VERSION, SchemaError};

/// The name of the database file inside the data directory.
pub const DATABASE_FILE_NAME: &str = "healthcode.sqlite3";

/// The database page size, in bytes. Larger than SQLite's 4 KiB default: bulk ingest inserts
/// into indexes at scattered keys, and bigger pages mean fewer pages, fewer tree levels and fewer
/// log frames per commit (measured with `healthcode bench ingest`).
const PAGE_SIZE: i64 = 16 * 1024;
/// How long a connection waits for another process's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Page cache of the writer, in KiB. Bulk ingest inserts into two indexes in random key order;
/// a larger cache keeps their pages in memory as the tables grow.
const WRITER_CACHE_KIB: i64 = 64 * 1024;
const READER_CACHE_KIB: i64 = 8 * 1024;
/// Prepared statements kept per connection: every statement this module runs fits.
const STATEMENT_CACHE_CAPACITY: usize = 64;
/// Reader connections kept open when idle; more are opened on demand and closed after use.
const IDLE_READERS: usize = 4;

/// Column names of sealed personal fields; with the person's id they are the associated data of
/// the ciphertext, so a sealed value does not open in another column or row.
const SEALED_RESIDENT_ID: &str = "persons.resident_id";
const SEALED_NAME: &str = "persons.name";
const SEALED_PHONE: &str = "persons.phone";

const INSERT_CHECK_IN: &str = "INSERT OR IGNORE INTO check_ins \
     (event_id, venue_id, person_id, entered_at, left_at, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
const LAST_AUDIT_RECORD: &str =
    "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1";
const INSERT_AUDIT_RECORD: &str = "INSERT INTO audit_log \
     (sequence, at, actor_kind, actor_id, actor_role, purpose, action, subject, records, outcome, hash) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

/// The embedded store. Cheap to share between threads (`Arc<SqliteStore>`).
pub struct SqliteStore {
    database_path: PathBuf,
    keys: KeyRing,
    writer: Mutex<Connection>,
    readers: ReaderPool,
    checkpointer: Checkpointer,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("database_path", &self.database_path)
            .finish_non_exhaustive()
    }
}

/// A file-system problem while preparing the data directory.
#[derive(Debug, thiserror::Error)]
#[error("cannot {doing} {path}: {source}")]
struct DataDirectoryError {
    doing: &'static str,
    path: PathBuf,
    #[source]
    source: io::Error,
}

/// Only residents and staff hold tokens; granting one to anyone else is a caller's bug.
#[derive(Debug, thiserror::Error)]
#[error("only residents and staff can hold tokens, not the {kind} actor")]
struct TokenHolderError {
    kind: &'static str,
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        StoreError::Backend(Box::new(error))
    }
}

impl SqliteStore {
    /// Opens the store in `data_dir`, creating the directory (mode 0700), the key ring and the
    /// database (mode 0600) on first use, and migrating the schema to [`SCHEMA_VERSION`].
    pub fn open(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        create_private_directory(data_dir)?;
        let keys = KeyRing::open_or_create(data_dir)?;
        let database_path = data_dir.join(DATABASE_FILE_NAME);
        create_private_file(&database_path)?;
        let mut writer = open_connection(&database_path, WRITER_CACHE_KIB)?;
        migrations::migrate(&mut writer)?;
        writer.pragma_update(None, "wal_autocheckpoint", WRITER_AUTOCHECKPOINT_PAGES)?;
        let checkpointer = Checkpointer::start(&database_path)?;
        tracing::debug!(schema_version = SCHEMA_VERSION, "opened the SQLite store");
        Ok(SqliteStore {
            readers: ReaderPool {
                database_path: database_path.clone(),
                idle: Mutex::new(Vec::new()),
            },
            database_path,
            keys,
            writer: Mutex::new(writer),
            checkpointer,
        })
    }

    /// The database file, e.g. for backups or the benchmark peer.
    pub fn database_path(&self) -> &Path {
        &self.database_path
    }

    fn writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock rolled its transaction back (Transaction's Drop), so the
        // connection is still usable.
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Commits, then lets the checkpointer copy the new pages into the database file.
    fn commit(&self, transaction: Transaction<'_>) -> Result<(), StoreError> {
        transaction.commit()?;
        self.checkpointer.nudge();
        Ok(())
    }

    /// Runs an unaudited write (venues, accounts, tokens) in one immediate transaction.
    fn write<T>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut writer = self.writer();
        let transaction = writer.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = work(&transaction)?;
        self.commit(transaction)?;
        Ok(value)
    }

    /// Runs an access to personal data and appends its audit record in the same transaction.
    /// When the access is refused (not found, conflict, unknown reference), its effects are
    /// rolled back and the refusal is audited in a transaction of its own.
    fn audited<T>(
        &self,
        access: &Access,
        action: AuditAction,
        work: impl FnOnce(&Transaction<'_>) -> Result<Audited<T>, Refusal>,
    ) -> Result<T, StoreError> {
        let mut writer = self.writer();
        let transaction = writer.transaction_with_behavior(TransactionBehavior::Immediate)?;
        match work(&transaction) {
            Ok(audited) => {
                let entry = AuditEntry::for_access(
                    access,
                    action,
                    audited.subject,
                    audited.records,
                    audited.outcome,
                );
                append_audit_record(&transaction, entry)?;
                self.commit(transaction)?;
                Ok(audited.value)
            }
            Err(Refusal::Refused {
                error,
                subject,
                records,
            }) => {
                transaction.rollback()?;
                let outcome = refusal_outcome(&error);
                let entry = AuditEntry::for_access(access, action, subject, records, outcome);
                let transaction =
                    writer.transaction_with_behavior(TransactionBehavior::Immediate)?;
                append_audit_record(&transaction, entry)?;
                self.commit(transaction)?;
                Err(error)
            }
            // Dropping the transaction rolls it back.
            Err(Refusal::Failed(error)) => Err(error),
        }
    }

    /// Opens a person's sealed fields. Fails with [`StoreError::Keys`] if a field does not open
    /// with this store's keys, and [`StoreError::Corrupt`] if it opens to an invalid value.
    fn open_person(&self, id: PersonId, sealed: &SealedPerson) -> Result<Person, StoreError> {
        let owner = id.as_bytes();
        let open_text = |field: &str, sealed: &[u8]| -> Result<String, StoreError> {
            String::from_utf8(self.keys.open(field, owner, sealed)?)
                .map_err(|_| corrupt(&format!("{field} is not UTF-8")))
        };
        Ok(Person {
            id,
            resident_id: ResidentId::parse(&open_text(SEALED_RESIDENT_ID, &sealed.resident_id)?)
                .map_err(|_| corrupt("persons.resident_id is not a valid resident ID"))?,
            name: PersonName::parse(&open_text(SEALED_NAME, &sealed.name)?)
                .map_err(|_| corrupt("persons.name is not a valid name"))?,
            phone: PhoneNumber::parse(&open_text(SEALED_PHONE, &sealed.phone)?)
                .map_err(|_| corrupt("persons.phone is not a valid phone number"))?,
            enrolled_at: timestamp(sealed.enrolled_at, "persons.enrolled_at")?,
        })
    }
}

/// The result of an audited access, with what its audit record should say.
struct Audited<T> {
    value: T,
    subject: Option<PersonId>,
    records: u64,
    outcome: AuditOutcome,
}

impl<T> Audited<T> {
    fn success(value: T, subject: Option<PersonId>, records: u64) -> Audited<T> {
        Audited {
            value,
            subject,
            records,
            outcome: AuditOutcome::Success,
        }
    }
}

/// A `persons` row about to be written: the look-up hash and the sealed personal fields.
pub(crate) struct PersonRow {
    id: [u8; 16],
    resident_id_hash: [u8; 32],
    resident_id_sealed: Vec<u8>,
    name_sealed: Vec<u8>,
    phone_sealed: Vec<u8>,
    enrolled_at: i64,
    enrolment_event_id: [u8; 16],
}

impl PersonRow {
    /// Hashes and seals a person's personal fields; nothing leaves in plaintext.
    pub(crate) fn seal(keys: &KeyRing, person: &Person, enrolment_event_id: EventId) -> PersonRow {
        let owner = person.id.as_bytes();
        PersonRow {
            id: *owner,
            resident_id_hash: keys.resident_id_hash(&person.resident_id),
            resident_id_sealed: keys.seal(
                SEALED_RESIDENT_ID,
                owner,
                person.resident_id.as_str().as_bytes(),
            ),
            name_sealed: keys.seal(SEALED_NAME, owner, person.name.as_str().as_bytes()),
            phone_sealed: keys.seal(SEALED_PHONE, owner, person.phone.as_str().as_bytes()),
            enrolled_at: millis(person.enrolled_at),
            enrolment_event_id: *enrolment_event_id.as_bytes(),
        }
    }

    pub(crate) fn insert(&self, transaction: &Transaction<'_>) -> Result<(), StoreError> {
        transaction
            .prepare_cached(
                "INSERT INTO persons (id, resident_id_hash, resident_id_sealed, name_sealed, \
                 phone_sealed, enrolled_at, enrolment_event_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                self.id,
                self.resident_id_hash,
                self.resident_id_sealed,
                self.name_sealed,
                self.phone_sealed,
                self.enrolled_at,
                self.enrolment_event_id,
            ])?;
        Ok(())
    }
}

/// A `persons` row as stored: its personal fields still sealed.
struct SealedPerson {
    resident_id: Vec<u8>,
    name: Vec<u8>,
    phone: Vec<u8>,
    enrolled_at: i64,
}

/// Why an audited access did not complete.
enum Refusal {
    /// The request was refused for a reason the caller must hear about, and that is audited.
    Refused {
        error: StoreError,
        subject: Option<PersonId>,
        records: u64,
    },
    /// The store failed; nothing happened and there is nothing to audit.
    Failed(StoreError),
}

impl From<rusqlite::Error> for Refusal {
    fn from(error: rusqlite::Error) -> Refusal {
        Refusal::Failed(error.into())
    }
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Refusal {
        Refusal::Failed(error)
    }
}

fn refusal_outcome(error: &StoreError) -> AuditOutcome {
    match error {
        StoreError::NotFound { .. } => AuditOutcome::NotFound,
        StoreError::AlreadyEnrolled | StoreError::UsernameTaken => AuditOutcome::Conflict,
        _ => AuditOutcome::Rejected,
    }
}

fn append_audit_record(
    connection: &Connection,
    entry: AuditEntry,
) -> Result<AuditRecord, StoreError> {
    let last = connection
        .prepare_cached(LAST_AUDIT_RECORD)?
        .query_row([], |row| {
            Ok((row.get::<_, u64>(0)?, row.get::<_, [u8; 32]>(1)?))
        })
        .optional()?;
    let record = entry.chained_after(last);
    connection
        .prepare_cached(INSERT_AUDIT_RECORD)?
        .execute(params![
            record.sequence,
            millis(record.at),
            actor_kind_code(&record.actor),
            actor_id_bytes(&record.actor),
            record.actor.role().map(Role::code),
            record.purpose.code(),
            record.action.code(),
            record.subject.as_ref().map(PersonId::as_bytes),
            record.records,
            record.outcome.code(),
            record.hash,
        ])?;
    Ok(record)
}

fn is_foreign_key_violation(error: &rusqlite::Error) -> bool {
    error
        .sqlite_error()
        .is_some_and(|error| error.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
}

fn exists(connection: &Connection, sql: &str, id: &[u8; 16]) -> Result<bool, StoreError> {
    Ok(connection
        .prepare_cached(sql)?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The first check-in, in the caller's order, that names a person or venue not stored.
fn first_unknown_reference(
    connection: &Connection,
    check_ins: &[CheckIn],
) -> Result<Option<(usize, Reference)>, StoreError> {
    for (index, check_in) in check_ins.iter().enumerate() {
        if !exists(
            connection,
            "SELECT 1 FROM persons WHERE id = ?1",
            check_in.person().as_bytes(),
        )? {
            return Ok(Some((index, Reference::Person)));
        }
        if !exists(
            connection,
            "SELECT 1 FROM venues WHERE id = ?1",
            check_in.venue().as_bytes(),
        )? {
            return Ok(Some((index, Reference::Venue)));
        }
    }
    Ok(None)
}

/// The positions of a batch's check-ins in the order to insert them: the first occurrence of
/// each event id only (a repeat within the batch is a duplicate, and the first version wins),
/// sorted by person and time entered.
///
/// Why sort: random person ids make every insert into the person index, and every foreign-key
/// look-up of the person, land on a random page. In person order, consecutive rows share pages
/// that are already in the CPU cache, which made 200,000-row runs about a third faster on the
/// reference machine. Ties keep the caller's order, so `rowid` still breaks ties between
/// check-ins of one person entered at the same time in the order they were sent.
fn insertion_order(check_ins: &[CheckIn]) -> Vec<usize> {
    let mut seen = HashSet::with_capacity(check_ins.len());
    let mut order: Vec<usize> = (0..check_ins.len())
        .filter(|&index| seen.insert(*check_ins[index].event_id().as_bytes()))
        .collect();
    order.sort_unstable_by_key(|&index| {
        let check_in = &check_ins[index];
        (*check_in.person().as_bytes(), check_in.entered(), index)
    });
    order
}

/// Binds and runs the check-in insert; 1 if stored, 0 if the event id was already there. Kept
/// free of allocation: it runs once per row of a bulk ingest.
fn insert_check_in(
    statement: &mut CachedStatement<'_>,
    check_in: &CheckIn,
) -> rusqlite::Result<usize> {
    statement.execute(params![
        check_in.event_id().as_bytes(),
        check_in.venue().as_bytes(),
        check_in.person().as_bytes(),
        millis(check_in.entered()),
        check_in.left().map(millis),
        check_in.source().code(),
    ])
}

/// The person all check-ins of a batch belong to, if there is exactly one.
fn single_person(check_ins: &[CheckIn]) -> Option<PersonId> {
    let first = check_ins.first()?.person();
    check_ins
        .iter()
        .all(|check_in| check_in.person() == first)
        .then_some(first)
}

fn write_outcome(changed: usize) -> (Write, AuditOutcome) {
    if changed == 0 {
        (Write::Duplicate, AuditOutcome::Duplicate)
    } else {
        (Write::Stored, AuditOutcome::Success)
    }
}

impl Store for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all)]
    fn check_ready(&self) -> Result<(), StoreError> {
        self.readers.with(migrations::check_version)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(person = %enrolment.person.id))]
    fn enrol(&self, access: &Access, enrolment: &Enrolment) -> Result<Enrolled, StoreError> {
        let person = &enrolment.person;
        // Sealed before taking the writer lock, to keep the lock short.
        let row = PersonRow::seal(&self.keys, person, enrolment.event_id);
        let resident_id_hash = row.resident_id_hash;
        let event_id = enrolment.event_id.as_bytes();
        self.audited(access, AuditAction::EnrolPerson, |transaction| {
            let enrolled: Option<([u8; 16], [u8; 16])> = transaction
                .prepare_cached(
                    "SELECT id, enrolment_event_id FROM persons WHERE resident_id_hash = ?1",
                )?
                .query_row([resident_id_hash], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()?;
            if let Some((existing, existing_event_id)) = enrolled {
                let existing = PersonId::from_bytes(existing);
                if existing_event_id != *event_id {
                    // The attempt concerns the resident already enrolled under this ID number,
                    // so it shows in that resident's access history.
                    return Err(Refusal::Refused {
                        error: StoreError::AlreadyEnrolled,
                        subject: Some(existing),
                        records: 1,
                    });
                }
                // A resend of the stored enrolment: its client never got the first answer, so
                // the new token replaces the one that answer carried, and the first enrolment's
                // details stand.
                transaction
                    .prepare_cached("DELETE FROM tokens WHERE person_id = ?1")?
                    .execute([existing.as_bytes()])?;
                insert_token(
                    transaction,
                    &TokenGrant {
                        hash: enrolment.device_token,
                        holder: Actor::Resident(existing),
                        issued_at: access.at,
                        expires_at: None,
                    },
                )?;
                return Ok(Audited {
                    value: Enrolled {
                        person: existing,
                        replayed: true,
                    },
                    subject: Some(existing),
                    records: 1,
                    outcome: AuditOutcome::Duplicate,
                });
            }
            let event_id_taken = transaction
                .prepare_cached("SELECT 1 FROM persons WHERE enrolment_event_id = ?1")?
                .query_row([event_id], |_| Ok(()))
                .optional()?
                .is_some();
            if event_id_taken {
                // The event id enrolled another resident: a client reusing event ids. The
                // attempt is about a resident not enrolled, so it names no subject (naming the
                // other resident would put someone else's request in their history).
                return Err(Refusal::Refused {
                    error: StoreError::AlreadyEnrolled,
                    subject: None,
                    records: 1,
                });
            }
            row.insert(transaction)?;
            insert_token(
                transaction,
                &TokenGrant {
                    hash: enrolment.device_token,
                    holder: Actor::Resident(person.id),
                    issued_at: access.at,
                    expires_at: None,
                },
            )?;
            let enrolled = Enrolled {
                person: person.id,
                replayed: false,
            };
            Ok(Audited::success(enrolled, Some(person.id), 1))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(person = %id))]
    fn person(&self, access: &Access, id: PersonId) -> Result<Person, StoreError> {
        // Opened inside the audited access: a field that does not open fails the access (and
        // rolls its audit record back) instead of being recorded as a successful read.
        self.audited(access, AuditAction::ReadPerson, |transaction| {
            let row = transaction
                .prepare_cached(
                    "SELECT resident_id_sealed, name_sealed, phone_sealed, enrolled_at \
                     FROM persons WHERE id = ?1",
                )?
                .query_row([id.as_bytes()], |row| {
                    Ok(SealedPerson {
                        resident_id: row.get(0)?,
                        name: row.get(1)?,
                        phone: row.get(2)?,
                        enrolled_at: row.get(3)?,
                    })
                })
                .optional()?;
            let Some(sealed) = row else {
                return Err(Refusal::Refused {
                    error: StoreError::NotFound { what: "person" },
                    subject: Some(id),
                    records: 0,
                });
            };
            let person = self.open_person(id, &sealed)?;
            Ok(Audited::success(person, Some(id), 1))
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    fn find_person(
        &self,
        access: &Access,
        resident_id: &ResidentId,
    ) -> Result<Option<PersonId>, StoreError> {
        let hash = self.keys.resident_id_hash(resident_id);
        self.audited(access, AuditAction::FindPersonByResidentId, |transaction| {
            let found = transaction
                .prepare_cached("SELECT id FROM persons WHERE resident_id_hash = ?1")?
                .query_row([hash], |row| row.get::<_, [u8; 16]>(0))
                .optional()?
                .map(PersonId::from_bytes);
            // Finding nobody is an answer, not a failure: it is audited in the same transaction.
            Ok(match found {
                Some(person) => Audited::success(Some(person), Some(person), 1),
                None => Audited {
                    value: None,
                    subject: None,
                    records: 0,
                    outcome: AuditOutcome::NotFound,
                },
            })
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(person = %declaration.person()))]
    fn record_declaration(
        &self,
        access: &Access,
        declaration: &Declaration,
    ) -> Result<Write, StoreError> {
        let person = declaration.person();
        let symptoms = encode_symptoms(declaration.symptoms());
        let travel = encode_travel(declaration.travel());
        self.audited(access, AuditAction::RecordDeclaration, |transaction| {
            let inserted = transaction
                .prepare_cached(
                    "INSERT OR IGNORE INTO declarations (event_id, person_id, declared_at, \
                     symptoms, temperature_tenths, travel) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    declaration.event_id().as_bytes(),
                    person.as_bytes(),
                    millis(declaration.declared_at()),
                    symptoms,
                    declaration.temperature().map(Temperature::tenths),
                    travel,
                ]);
            match inserted {
                Ok(changed) => {
                    let (write, outcome) = write_outcome(changed);
                    Ok(Audited {
                        value: write,
                        subject: Some(person),
                        records: 1,
                        outcome,
                    })
                }
                Err(error) if is_foreign_key_violation(&error) => Err(Refusal::Refused {
                    error: StoreError::UnknownReference {
                        index: 0,
                        reference: Reference::Person,
                    },
                    subject: Some(person),
                    records: 1,
                }),
                Err(error) => Err(error.into()),
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(person = %person))]
    fn declarations_of(
        &self,
        access: &Access,
        person: PersonId,
    ) -> Result<Vec<Declaration>, StoreError> {
        self.audited(access, AuditAction::ReadDeclarations, |transaction| {
            let mut statement = transaction.prepare_cached(
                "SELECT event_id, declared_at, symptoms, temperature_tenths, travel \
                 FROM declarations WHERE person_id = ?1 ORDER BY declared_at, rowid",
            )?;
            let mut rows = statement.query([person.as_bytes()])?;
            let mut declarations = Vec::new();
            while let Some(row) = rows.next()? {
                declarations.push(decode_declaration(row, person)?);
            }
            let records = declarations.len() as u64;
            Ok(Audited::success(declarations, Some(person), records))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(venue = %venue.id))]
    fn register_venue(&self, venue: &Venue) -> Result<Write, StoreError> {
        self.write(|transaction| {
            let changed = transaction
                .prepare_cached(
                    "INSERT OR IGNORE INTO venues (id, name, kind, district, latitude, longitude, \
                     opening_hours, registered_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(params![
                    venue.id.as_bytes(),
                    venue.name,
                    venue.kind.code(),
                    venue.district.as_number(),
                    venue.location.latitude(),
                    venue.location.longitude(),
                    venue.opening_hours.to_string(),
                    millis(venue.registered_at),
                ])?;
            Ok(write_outcome(changed).0)
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(venue = %id))]
    fn venue(&self, id: VenueId) -> Result<Option<Venue>, StoreError> {
        self.readers.with(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT name, kind, district, latitude, longitude, opening_hours, registered_at \
                 FROM venues WHERE id = ?1",
            )?;
            let mut rows = statement.query([id.as_bytes()])?;
            match rows.next()? {
                Some(row) => decode_venue(row, id).map(Some),
                None => Ok(None),
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(person = %check_in.person()))]
    fn record_check_in(&self, access: &Access, check_in: &CheckIn) -> Result<Write, StoreError> {
        let person = check_in.person();
        self.audited(access, AuditAction::RecordCheckIn, |transaction| {
            let mut statement = transaction.prepare_cached(INSERT_CHECK_IN)?;
            match insert_check_in(&mut statement, check_in) {
                Ok(changed) => {
                    let (write, outcome) = write_outcome(changed);
                    Ok(Audited {
                        value: write,
                        subject: Some(person),
                        records: 1,
                        outcome,
                    })
                }
                Err(error) if is_foreign_key_violation(&error) => {
                    let (index, reference) =
                        first_unknown_reference(transaction, std::slice::from_ref(check_in))?
                            .ok_or_else(|| Refusal::Failed(error.into()))?;
                    Err(Refusal::Refused {
                        error: StoreError::UnknownReference { index, reference },
                        subject: Some(person),
                        records: 1,
                    })
                }
                Err(error) => Err(error.into()),
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(check_ins = check_ins.len()))]
    fn ingest_check_ins(
        &self,
        access: &Access,
        check_ins: &[CheckIn],
    ) -> Result<IngestReport, StoreError> {
        let subject = single_person(check_ins);
        let records = check_ins.len() as u64;
        let order = insertion_order(check_ins);
        let report = self.audited(access, AuditAction::IngestCheckIns, |transaction| {
            let mut statement = transaction.prepare_cached(INSERT_CHECK_IN)?;
            let mut stored = 0u64;
            for &index in &order {
                match insert_check_in(&mut statement, &check_ins[index]) {
                    Ok(changed) => stored += changed as u64,
                    Err(error) if is_foreign_key_violation(&error) => {
                        // Rows go in sorted order, so this row need not be the first bad one in
                        // the caller's order; look for that one.
                        let (index, reference) = first_unknown_reference(transaction, check_ins)?
                            .ok_or_else(|| Refusal::Failed(error.into()))?;
                        return Err(Refusal::Refused {
                            error: StoreError::UnknownReference { index, reference },
                            subject,
                            records,
                        });
                    }
                    Err(error) => return Err(error.into()),
                }
            }
            let report = IngestReport {
                stored,
                duplicates: records - stored,
            };
            Ok(Audited::success(report, subject, records))
        })?;
        tracing::debug!(
            stored = report.stored,
            duplicates = report.duplicates,
            "ingested check-ins"
        );
        Ok(report)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(person = %person))]
    fn check_ins_of(&self, access: &Access, person: PersonId) -> Result<Vec<CheckIn>, StoreError> {
        self.audited(access, AuditAction::ReadCheckIns, |transaction| {
            let mut statement = transaction.prepare_cached(
                "SELECT event_id, venue_id, entered_at, left_at, source FROM check_ins \
                 WHERE person_id = ?1 ORDER BY entered_at, rowid",
            )?;
            let mut rows = statement.query([person.as_bytes()])?;
            let mut check_ins = Vec::new();
            while let Some(row) = rows.next()? {
                check_ins.push(decode_check_in(row, person)?);
            }
            let records = check_ins.len() as u64;
            Ok(Audited::success(check_ins, Some(person), records))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(action = action.code()))]
    fn record_denied(
        &self,
        access: &Access,
        action: AuditAction,
        subject: Option<PersonId>,
    ) -> Result<(), StoreError> {
        self.write(|transaction| {
            let entry = AuditEntry::for_access(access, action, subject, 0, AuditOutcome::Denied);
            append_audit_record(transaction, entry).map(drop)
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    fn audit_log(
        &self,
        access: &Access,
        query: &AuditQuery,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let (sql, values) = audit_query_sql(query);
        self.audited(access, AuditAction::ReadAuditLog, |transaction| {
            let mut statement = transaction.prepare_cached(&sql)?;
            let mut rows = statement.query(params_from_iter(values))?;
            let mut records = Vec::new();
            while let Some(row) = rows.next()? {
                records.push(decode_audit_record(row)?);
            }
            let count = records.len() as u64;
            Ok(Audited::success(records, query.subject, count))
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    fn verify_audit_chain(&self) -> Result<AuditChainReport, StoreError> {
        self.readers.with(|connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY sequence"
            ))?;
            let mut rows = statement.query([])?;
            let mut verifier = ChainVerifier::new();
            while let Some(row) = rows.next()? {
                verifier.check(&decode_audit_record(row)?);
            }
            let report = verifier.finish();
            if let Some(sequence) = report.first_break {
                tracing::warn!(sequence, "the audit chain is broken");
            }
            Ok(report)
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(staff = %account.id))]
    fn create_staff_account(&self, account: &StaffAccount) -> Result<(), StoreError> {
        self.write(|transaction| {
            let taken = transaction
                .prepare_cached("SELECT 1 FROM staff_accounts WHERE username = ?1")?
                .query_row([account.username.as_str()], |_| Ok(()))
                .optional()?
                .is_some();
            if taken {
                return Err(StoreError::UsernameTaken);
            }
            transaction
                .prepare_cached(
                    "INSERT INTO staff_accounts (id, username, role, password_hash, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    account.id.as_bytes(),
                    account.username.as_str(),
                    account.role.code(),
                    account.password_hash,
                    millis(account.created_at),
                ])?;
            Ok(())
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    fn staff_account(&self, username: &Username) -> Result<Option<StaffAccount>, StoreError> {
        self.readers.with(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT id, role, password_hash, created_at FROM staff_accounts WHERE username = ?1",
            )?;
            let mut rows = statement.query([username.as_str()])?;
            let Some(row) = rows.next()? else {
                return Ok(None);
            };
            Ok(Some(StaffAccount {
                id: StaffId::from_bytes(id_bytes(row, 0, "staff_accounts.id")?),
                username: username.clone(),
                role: code(row, 1, "staff_accounts.role", Role::parse)?,
                password_hash: text(row, 2, "staff_accounts.password_hash")?.to_owned(),
                created_at: timestamp(row.get(3)?, "staff_accounts.created_at")?,
            }))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(holder = actor_kind_code(&grant.holder)))]
    fn grant_token(&self, grant: &TokenGrant) -> Result<(), StoreError> {
        self.write(|transaction| insert_token(transaction, grant))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    fn token_holder(&self, hash: &TokenHash, now: Timestamp) -> Result<Option<Actor>, StoreError> {
        self.readers.with(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT holder_kind, person_id, staff_id, role FROM tokens \
                 WHERE hash = ?1 AND (expires_at IS NULL OR expires_at > ?2)",
            )?;
            let mut rows = statement.query(params![hash.0, millis(now)])?;
            let Some(row) = rows.next()? else {
                return Ok(None);
            };
            let holder = match text(row, 0, "tokens.holder_kind")? {
                "resident" => {
                    Actor::Resident(PersonId::from_bytes(id_bytes(row, 1, "tokens.person_id")?))
                }
                "staff" => Actor::Staff {
                    id: StaffId::from_bytes(id_bytes(row, 2, "tokens.staff_id")?),
                    role: code(row, 3, "tokens.role", Role::parse)?,
                },
                _ => return Err(corrupt("tokens.holder_kind holds an unknown code")),
            };
            Ok(Some(holder))
        })
    }
}

fn insert_token(connection: &Connection, grant: &TokenGrant) -> Result<(), StoreError> {
    let (person, staff, role) = match grant.holder {
        Actor::Resident(ref person) => (Some(person.as_bytes()), None, Role::Resident),
        Actor::Staff { ref id, role } => (None, Some(id.as_bytes()), role),
        Actor::Public | Actor::LocalOperator => {
            return Err(StoreError::Backend(Box::new(TokenHolderError {
                kind: actor_kind_code(&grant.holder),
            })));
        }
    };
    let inserted = connection
        .prepare_cached(
            "INSERT INTO tokens (hash, holder_kind, person_id, staff_id, role, issued_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            grant.hash.0,
            actor_kind_code(&grant.holder),
            person,
            staff,
            role.code(),
            millis(grant.issued_at),
            grant.expires_at.map(millis),
        ]);
    match inserted {
        Ok(_) => Ok(()),
        Err(error) if is_foreign_key_violation(&error) => Err(match grant.holder {
            Actor::Resident(_) => StoreError::UnknownReference {
                index: 0,
                reference: Reference::Person,
            },
            _ => StoreError::NotFound {
                what: "staff account",
            },
        }),
        Err(error) => Err(error.into()),
    }
}

/// The SQL and parameters of an audit-log query; only the filters present appear, so that SQLite
/// can use the subject index.
fn audit_query_sql(query: &AuditQuery) -> (String, Vec<Value>) {
    let mut sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE 1");
    let mut values = Vec::new();
    if let Some(subject) = query.subject {
        sql.push_str(" AND subject = ?");
        values.push(Value::Blob(subject.as_bytes().to_vec()));
    }
    if let Some(purpose) = query.purpose {
        sql.push_str(" AND purpose = ?");
        values.push(Value::Text(purpose.code().to_owned()));
    }
    if let Some(action) = query.action {
        sql.push_str(" AND action = ?");
        values.push(Value::Text(action.code().to_owned()));
    }
    if let Some(since) = query.since {
        sql.push_str(" AND at >= ?");
        values.push(Value::Integer(millis(since)));
    }
    if let Some(until) = query.until {
        sql.push_str(" AND at < ?");
        values.push(Value::Integer(millis(until)));
    }
    if let Some(after) = query.after_sequence {
        sql.push_str(" AND sequence > ?");
        // Sequences beyond i64::MAX cannot exist; clamping keeps the query valid.
        values.push(Value::Integer(i64::try_from(after).unwrap_or(i64::MAX)));
    }
    sql.push_str(" ORDER BY sequence LIMIT ?");
    let limit = query
        .limit
        .unwrap_or(AuditQuery::MAX_LIMIT)
        .min(AuditQuery::MAX_LIMIT);
    values.push(Value::Integer(i64::from(limit)));
    (sql, values)
}

fn decode_declaration(row: &Row<'_>, person: PersonId) -> Result<Declaration, StoreError> {
    let event_id = EventId::from_bytes(id_bytes(row, 0, "declarations.event_id")?)
        .map_err(|_| corrupt("declarations.event_id is nil"))?;
    let temperature = row
        .get::<_, Option<i16>>(3)?
        .map(|tenths| {
            Temperature::from_tenths(tenths)
                .map_err(|_| corrupt("declarations.temperature_tenths is out of range"))
        })
        .transpose()?;
    Declaration::new(
        event_id,
        person,
        timestamp(row.get(1)?, "declarations.declared_at")?,
        decode_symptoms(text(row, 2, "declarations.symptoms")?)?,
        temperature,
        decode_travel(text(row, 4, "declarations.travel")?)?,
    )
    .map_err(|_| corrupt("declarations.travel is not a valid itinerary"))
}

fn decode_venue(row: &Row<'_>, id: VenueId) -> Result<Venue, StoreError> {
    let district = RegionCode::from_number(row.get(2)?)
        .map_err(|_| corrupt("venues.district is not a region code"))?;
    let location = GeoPoint::new(row.get(3)?, row.get(4)?)
        .map_err(|_| corrupt("venues.latitude or longitude is out of range"))?;
    Ok(Venue {
        id,
        name: text(row, 0, "venues.name")?.to_owned(),
        kind: code(row, 1, "venues.kind", VenueKind::parse)?,
        district,
        location,
        opening_hours: OpeningHours::parse(text(row, 5, "venues.opening_hours")?)
            .map_err(|_| corrupt("venues.opening_hours does not parse"))?,
        registered_at: timestamp(row.get(6)?, "venues.registered_at")?,
    })
}

fn decode_check_in(row: &Row<'_>, person: PersonId) -> Result<CheckIn, StoreError> {
    let event_id = EventId::from_bytes(id_bytes(row, 0, "check_ins.event_id")?)
        .map_err(|_| corrupt("check_ins.event_id is nil"))?;
    let left = row
        .get::<_, Option<i64>>(3)?
        .map(|left| timestamp(left, "check_ins.left_at"))
        .transpose()?;
    CheckIn::new(
        event_id,
        VenueId::from_bytes(id_bytes(row, 1, "check_ins.venue_id")?),
        person,
        timestamp(row.get(2)?, "check_ins.entered_at")?,
        left,
        code(row, 4, "check_ins.source", CheckInSource::parse)?,
    )
    .map_err(|_| corrupt("check_ins.left_at is not after entered_at"))
}

/// Read-only connections, opened on demand and kept for reuse up to [`IDLE_READERS`].
#[derive(Debug)]
struct ReaderPool {
    database_path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReaderPool {
    fn with<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let connection = match idle {
            Some(connection) => connection,
            None => {
                let connection = open_connection(&self.database_path, READER_CACHE_KIB)?;
                connection.pragma_update(None, "query_only", true)?;
                connection
            }
        };
        let result = work(&connection);
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < IDLE_READERS {
            idle.push(connection);
        }
        result
    }
}

/// Opens a connection with the settings every connection to the store's file uses (the
/// benchmark peer included, so that comparisons measure the store and not the settings).
pub(crate) fn open_connection(path: &Path, cache_kib: i64) -> Result<Connection, StoreError> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    // Only takes effect while the file is still empty, i.e. when the store is created.
    connection.pragma_update(None, "page_size", PAGE_SIZE)?;
    let journal_mode: String =
        connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !journal_mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend(
            format!("SQLite refused WAL mode (journal_mode is {journal_mode})").into(),
        ));
    }
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    connection.pragma_update(None, "foreign_keys", true)?;
    connection.pragma_update(None, "cache_size", -cache_kib)?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    Ok(connection)
}

fn create_private_directory(path: &Path) -> Result<(), StoreError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|source| {
            StoreError::Backend(Box::new(DataDirectoryError {
                doing: "create",
                path: path.to_owned(),
                source,
            }))
        })
}

/// Creates the database file owner-only before SQLite does (SQLite would use the umask, and its
/// -wal and -shm files copy the database file's permissions).
fn create_private_file(path: &Path) -> Result<(), StoreError> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(|source| {
            StoreError::Backend(Box::new(DataDirectoryError {
                doing: "create",
                path: path.to_owned(),
                source,
            }))
        })
}
