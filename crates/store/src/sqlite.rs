//! The SQLite backend: the embedded default store, one file in the data directory.
//!
//! Layout of a data directory (created with mode 0700): `healthcode.sqlite3` (created with mode
//! 0600, with its `-wal` and `-shm` companions) and `keys/` (see [`crate::keys`], which also
//! refuses keys others can read). The database runs in WAL mode with
//! `synchronous=NORMAL` and foreign keys on. One writer connection sits behind a mutex; a small
//! pool of read-only connections serves reads that touch no personal data (venues, accounts,
//! tokens, policies, the region-risk list, ratings due, the chain check), which WAL lets run
//! alongside the writer. Calls that take an [`Access`] run on the writer because their audit
//! record is written in the same transaction. The exceptions are the reads of facts for the
//! rating engine ([`Store::facts_of`], [`Store::facts_of_people`], [`Store::for_each_facts`]):
//! they read in one reader snapshot and commit their audit record before answering, so that
//! re-rating thousands of people, or everyone, neither blocks writes nor deadlocks a caller that
//! stores ratings as it goes.
//!
//! This module must never write a resident ID number, name or phone, an appeal statement or an
//! official's written reason in plaintext (they are sealed with the key ring before they reach
//! SQL), and never log personal data: tracing spans carry ids and counts only.

pub mod bench;
mod checkpoint;
mod consent;
mod contact_tracing;
mod dashboard;
mod encoding;
mod fact_rows;
mod migrations;
mod phone_data;
mod rating;
mod venue_counts;

use std::collections::{BTreeMap, HashSet};
use std::fs::{DirBuilder, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use healthcode_core::consent::{Consent, ConsentId};
use healthcode_core::follow_up::{FollowUpCheck, FollowUpDay};
use healthcode_core::phone::proximity::{
    CandidateReview, ProximitySearch, ProximitySearchId, ProximitySearchRecord,
};
use healthcode_core::rating::{
    Appeal, AppealDecision, AppealId, AppealOutcome, AppealRecord, CaseId, CaseRecord, Contact,
    ContactId, Facts, HealthReport, LatestRating, Override, OverrideId, PharmacyPurchase, Policy,
    PolicyVersion, Rating, RatingCause, RatingRecord, RegionRiskList, RiskLevel, TestResult,
};
use healthcode_core::trace::{ContactRecord, Traced, TracedContact, TracingPolicy};
use healthcode_core::{
    Access, Actor, AuditAction, AuditOutcome, AuditRecord, CheckIn, CheckInSource, Declaration,
    EventId, Person, PersonId, PersonName, PhoneNumber, ResidentId, Role, StaffAccount, StaffId,
    Temperature, Timestamp, Username, Venue, VenueId, VenueKind,
};
use healthcode_core::{Boarding, HouseholdCode, Trip};
use healthcode_core::{Cell, CellId, CellPing, CityDay, Date};
use healthcode_core::{GeoPoint, OpeningHours, RegionCode};
use jiff::tz::Offset;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, Statement, Transaction};
use rusqlite::{TransactionBehavior, params, params_from_iter};
use sha2::{Digest, Sha256};

use crate::audit_chain::{AuditEntry, ChainVerifier, actor_id_bytes, actor_kind_code};
use crate::{
    AuditChainReport, AuditQuery, CloseContactAnswer, CloseContactCheck, ConsentRecord, Enrolled,
    Enrolment, IngestReport, KeyRing, PassHolder, PhonePurgeReport, PingIngestReport,
    PolicyActivation, Reference, Store, StoreError, StoredPolicy, TokenGrant, TokenHash, Write,
};
use checkpoint::{Checkpointer, WRITER_AUTOCHECKPOINT_PAGES};
use encoding::{
    AUDIT_COLUMNS, code, corrupt, decode_actor, decode_audit_record, decode_symptoms,
    decode_travel, id_bytes, millis, text, timestamp,
};
use fact_rows::{FactRow, OverrideRow};
pub use migrations::{SCHEMA_VERSION, SchemaError};
use rating::{
    APPEAL_COLUMNS, RATING_COLUMNS, RatingAppender, SEALED_APPEAL_STATEMENT,
    SEALED_DECISION_REASON, decode_appeal, decode_appeal_record, decode_rating_record,
    encode_cause, facts_of_people, for_each_person_facts, read_region_risk_list,
    uploaded_as_another_version,
};

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
/// The latest ratings whose validity ended by ?1, longest overdue first: one range of the
/// `valid_until` index, which also holds the person ids.
const DUE_RATINGS: &str = "SELECT person_id FROM current_ratings WHERE valid_until <= ?1 \
     ORDER BY valid_until, person_id LIMIT ?2";
/// The person of one rating and the number of their latest, by the index of ratings by person.
const PASS_HOLDER: &str = "SELECT person_id, \
     (SELECT MAX(latest.sequence) FROM ratings latest WHERE latest.person_id = shown.person_id) \
     FROM ratings shown WHERE shown.sequence = ?1";
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

/// What the store holds already for an enrolment about to be written.
enum StoredEnrolment {
    /// Neither its resident nor its event id is enrolled.
    None,
    /// The same enrolment (event id and resident), of this person: a resend.
    Same(PersonId),
    /// Its resident enrolled under another event id (the subject: the attempt concerns them),
    /// or its event id enrolling another resident (no subject: naming that resident would put
    /// someone else's request in their history).
    Conflict { subject: Option<PersonId> },
}

fn stored_enrolment(
    transaction: &Transaction<'_>,
    row: &PersonRow,
) -> Result<StoredEnrolment, rusqlite::Error> {
    let enrolled: Option<([u8; 16], [u8; 16])> = transaction
        .prepare_cached("SELECT id, enrolment_event_id FROM persons WHERE resident_id_hash = ?1")?
        .query_row([row.resident_id_hash], |found| {
            Ok((found.get(0)?, found.get(1)?))
        })
        .optional()?;
    if let Some((existing, existing_event_id)) = enrolled {
        let existing = PersonId::from_bytes(existing);
        return Ok(if existing_event_id == row.enrolment_event_id {
            StoredEnrolment::Same(existing)
        } else {
            StoredEnrolment::Conflict {
                subject: Some(existing),
            }
        });
    }
    let event_id_taken = transaction
        .prepare_cached("SELECT 1 FROM persons WHERE enrolment_event_id = ?1")?
        .query_row([row.enrolment_event_id], |_| Ok(()))
        .optional()?
        .is_some();
    Ok(if event_id_taken {
        StoredEnrolment::Conflict { subject: None }
    } else {
        StoredEnrolment::None
    })
}

/// Writes a new enrolment: the person's row and their device token.
fn insert_enrolment(
    transaction: &Transaction<'_>,
    row: &PersonRow,
    enrolment: &Enrolment,
    at: Timestamp,
) -> Result<(), StoreError> {
    row.insert(transaction)?;
    insert_token(
        transaction,
        &TokenGrant {
            hash: enrolment.device_token,
            holder: Actor::Resident(enrolment.person.id),
            issued_at: at,
            expires_at: None,
        },
    )
}

/// Seals the persons of many enrolments, on every core, in the order given.
fn seal_enrolments(keys: &KeyRing, enrolments: &[Enrolment]) -> Vec<PersonRow> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let per_thread = enrolments.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = enrolments
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|enrolment| {
                            PersonRow::seal(keys, &enrolment.person, enrolment.event_id)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("sealing does not panic"))
            .collect()
    })
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
        StoreError::AlreadyEnrolled | StoreError::UsernameTaken | StoreError::Conflict(_) => {
            AuditOutcome::Conflict
        }
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

fn person_exists(connection: &Connection, person: PersonId) -> Result<bool, StoreError> {
    exists(
        connection,
        "SELECT 1 FROM persons WHERE id = ?1",
        person.as_bytes(),
    )
}

/// The position, in the caller's order, of the first of `people` who is not enrolled.
fn first_unknown_person(
    connection: &Connection,
    people: impl IntoIterator<Item = PersonId>,
) -> Result<Option<usize>, StoreError> {
    for (index, person) in people.into_iter().enumerate() {
        if !person_exists(connection, person)? {
            return Ok(Some(index));
        }
    }
    Ok(None)
}

/// A row of a bulk write ([`SqliteStore::ingest`]): a check-in, or a fact about a person.
trait BatchRow: Sized {
    /// The `INSERT OR IGNORE` of one row.
    const INSERT: &'static str;

    fn person(&self) -> PersonId;

    /// The id whose resend is a duplicate, and the time that orders a person's rows.
    fn identity(&self) -> ([u8; 16], Timestamp);

    /// Binds and runs [`BatchRow::INSERT`]: 1 if stored, 0 if the id was already there.
    fn insert(&self, statement: &mut Statement<'_>) -> rusqlite::Result<usize>;

    /// Why `batch` broke a foreign key, once the row at `failing` did: the first row, in the
    /// caller's order, that names a person (or venue) not stored, or else what the failing
    /// row's other reference is. `None` if it cannot be told.
    fn unknown_reference(
        connection: &Connection,
        batch: &[Self],
        failing: usize,
    ) -> Result<Option<StoreError>, StoreError>;
}

impl BatchRow for CheckIn {
    const INSERT: &'static str = INSERT_CHECK_IN;

    fn person(&self) -> PersonId {
        CheckIn::person(self)
    }

    fn identity(&self) -> ([u8; 16], Timestamp) {
        (*self.event_id().as_bytes(), self.entered())
    }

    fn insert(&self, statement: &mut Statement<'_>) -> rusqlite::Result<usize> {
        insert_check_in(statement, self)
    }

    fn unknown_reference(
        connection: &Connection,
        batch: &[CheckIn],
        _failing: usize,
    ) -> Result<Option<StoreError>, StoreError> {
        for (index, check_in) in batch.iter().enumerate() {
            let reference = if !person_exists(connection, check_in.person())? {
                Reference::Person
            } else if !exists(
                connection,
                "SELECT 1 FROM venues WHERE id = ?1",
                check_in.venue().as_bytes(),
            )? {
                Reference::Venue
            } else {
                continue;
            };
            return Ok(Some(StoreError::UnknownReference { index, reference }));
        }
        Ok(None)
    }
}

impl<T: FactRow> BatchRow for (PersonId, T) {
    const INSERT: &'static str = T::INSERT;

    fn person(&self) -> PersonId {
        self.0
    }

    fn identity(&self) -> ([u8; 16], Timestamp) {
        self.1.identity()
    }

    fn insert(&self, statement: &mut Statement<'_>) -> rusqlite::Result<usize> {
        self.1.insert(statement, self.0)
    }

    fn unknown_reference(
        connection: &Connection,
        batch: &[(PersonId, T)],
        failing: usize,
    ) -> Result<Option<StoreError>, StoreError> {
        Ok(
            match first_unknown_person(connection, batch.iter().map(|(person, _)| *person))? {
                Some(index) => Some(StoreError::UnknownReference {
                    index,
                    reference: Reference::Person,
                }),
                None => T::missing_reference(failing),
            },
        )
    }
}

/// The positions of a batch's rows in the order to insert them: the first occurrence of each
/// id only (a repeat within the batch is a duplicate, and the first version wins), sorted by
/// person and time.
///
/// Why sort: random person ids make every insert into the person index, and every foreign-key
/// look-up of the person, land on a random page. In person order, consecutive rows share pages
/// that are already in the CPU cache, which made 200,000-row runs of check-ins about a third
/// faster on the reference machine. Ties keep the caller's order, so `rowid` still breaks ties
/// between check-ins of one person entered at the same time in the order they were sent.
fn insertion_order<R: BatchRow>(batch: &[R]) -> Vec<usize> {
    let mut seen = HashSet::with_capacity(batch.len());
    let mut order: Vec<usize> = (0..batch.len())
        .filter(|&index| seen.insert(batch[index].identity().0))
        .collect();
    order.sort_unstable_by_key(|&index| {
        let row = &batch[index];
        (*row.person().as_bytes(), row.identity().1, index)
    });
    order
}

/// Binds and runs the check-in insert; 1 if stored, 0 if the event id was already there. Kept
/// free of allocation: it runs once per row of a bulk ingest.
fn insert_check_in(statement: &mut Statement<'_>, check_in: &CheckIn) -> rusqlite::Result<usize> {
    statement.execute(params![
        check_in.event_id().as_bytes(),
        check_in.venue().as_bytes(),
        check_in.person().as_bytes(),
        millis(check_in.entered()),
        check_in.left().map(millis),
        check_in.source().code(),
    ])
}

/// The one person all of `people` are, if they are all the same person.
fn single_subject(mut people: impl Iterator<Item = PersonId>) -> Option<PersonId> {
    let first = people.next()?;
    people.all(|person| person == first).then_some(first)
}

fn write_outcome(changed: usize) -> (Write, AuditOutcome) {
    if changed == 0 {
        (Write::Duplicate, AuditOutcome::Duplicate)
    } else {
        (Write::Stored, AuditOutcome::Success)
    }
}

/// The audited outcome of an `INSERT OR IGNORE` of one record about `person`. A foreign-key
/// violation is refused as an unknown person if the person is not enrolled, or else as
/// `missing_reference` (the record's other reference does not exist).
fn written_once(
    connection: &Connection,
    inserted: rusqlite::Result<usize>,
    person: PersonId,
    missing_reference: Option<StoreError>,
) -> Result<Audited<Write>, Refusal> {
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
        Err(error) if is_foreign_key_violation(&error) => {
            let error = if !person_exists(connection, person)? {
                StoreError::UnknownReference {
                    index: 0,
                    reference: Reference::Person,
                }
            } else {
                missing_reference.ok_or_else(|| Refusal::Failed(error.into()))?
            };
            Err(Refusal::Refused {
                error,
                subject: Some(person),
                records: 1,
            })
        }
        Err(error) => Err(error.into()),
    }
}

impl SqliteStore {
    /// Writes one fact about `person`, audited; a resend of its id stores nothing.
    fn write_fact<T: FactRow>(
        &self,
        access: &Access,
        person: PersonId,
        fact: &T,
    ) -> Result<Write, StoreError> {
        self.audited(access, T::ACTION, |transaction| {
            let mut statement = transaction.prepare_cached(T::INSERT)?;
            let inserted = fact.insert(&mut statement, person);
            written_once(transaction, inserted, person, T::missing_reference(0))
        })
    }

    /// Stores a batch in one transaction with one audit record: each id once (a resend, or a
    /// repeat within the batch, is a duplicate and the first version wins), in
    /// [`insertion_order`]; or nothing if a row names something not stored, with the position
    /// of the first such row.
    fn ingest<R: BatchRow>(
        &self,
        access: &Access,
        action: AuditAction,
        batch: &[R],
    ) -> Result<IngestReport, StoreError> {
        let subject = single_subject(batch.iter().map(R::person));
        let records = batch.len() as u64;
        let order = insertion_order(batch);
        let report = self.audited(access, action, |transaction| {
            let mut statement = transaction.prepare_cached(R::INSERT)?;
            let mut stored = 0u64;
            for &index in &order {
                match batch[index].insert(&mut statement) {
                    Ok(changed) => stored += changed as u64,
                    Err(error) if is_foreign_key_violation(&error) => {
                        // Rows go in sorted order, so this row need not be the first bad one in
                        // the caller's order; look for that one.
                        let error = R::unknown_reference(transaction, batch, index)?
                            .ok_or_else(|| Refusal::Failed(error.into()))?;
                        return Err(Refusal::Refused {
                            error,
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
            action = action.code(),
            stored = report.stored,
            duplicates = report.duplicates,
            "ingested a batch"
        );
        Ok(report)
    }

    /// Stores a batch of one kind of fact, as [`SqliteStore::ingest`] does.
    fn ingest_facts<T: FactRow>(
        &self,
        access: &Access,
        facts: &[(PersonId, T)],
    ) -> Result<IngestReport, StoreError> {
        self.ingest(access, T::ACTION, facts)
    }
}

/// The person of a record an official ends once (a case released, a contact dismissed), read
/// by `sql` as its person and the time it ended. Refused, to be audited, as `what` not found
/// when there is no such record, and as `ended` when it has ended already.
fn person_of_open_record(
    connection: &Connection,
    sql: &str,
    id: &[u8; 16],
    what: &'static str,
    ended: &'static str,
) -> Result<PersonId, Refusal> {
    let found = connection
        .prepare_cached(sql)?
        .query_row([id], |row| {
            Ok((row.get::<_, [u8; 16]>(0)?, row.get::<_, Option<i64>>(1)?))
        })
        .optional()?;
    let Some((person, ended_at)) = found else {
        return Err(Refusal::Refused {
            error: StoreError::NotFound { what },
            subject: None,
            records: 1,
        });
    };
    let person = PersonId::from_bytes(person);
    if ended_at.is_some() {
        return Err(Refusal::Refused {
            error: StoreError::Conflict(ended),
            subject: Some(person),
            records: 1,
        });
    }
    Ok(person)
}

/// SQLite's plan for `sql`, one line per step: what tests of the indexes read.
#[cfg(test)]
fn query_plan(store: &SqliteStore, sql: &str) -> String {
    let writer = store.writer();
    let mut statement = writer
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap();
    let unbound = vec![Value::Null; statement.parameter_count()];
    let steps: Vec<String> = statement
        .query_map(params_from_iter(unbound), |row| row.get::<_, String>(3))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    steps.join("\n")
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
        self.audited(access, AuditAction::EnrolPerson, |transaction| {
            match stored_enrolment(transaction, &row)? {
                StoredEnrolment::Conflict { subject } => Err(Refusal::Refused {
                    error: StoreError::AlreadyEnrolled,
                    subject,
                    records: 1,
                }),
                StoredEnrolment::Same(existing) => {
                    // A resend of the stored enrolment: its client never got the first answer,
                    // so the new token replaces the one that answer carried, and the first
                    // enrolment's details stand.
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
                    Ok(Audited {
                        value: Enrolled {
                            person: existing,
                            replayed: true,
                        },
                        subject: Some(existing),
                        records: 1,
                        outcome: AuditOutcome::Duplicate,
                    })
                }
                StoredEnrolment::None => {
                    insert_enrolment(transaction, &row, enrolment, access.at)?;
                    let enrolled = Enrolled {
                        person: person.id,
                        replayed: false,
                    };
                    Ok(Audited::success(enrolled, Some(person.id), 1))
                }
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(enrolments = enrolments.len()))]
    fn enrol_many(
        &self,
        access: &Access,
        enrolments: &[Enrolment],
    ) -> Result<IngestReport, StoreError> {
        let records = enrolments.len() as u64;
        let subject = single_subject(enrolments.iter().map(|enrolment| enrolment.person.id));
        // Sealing is most of the work: it is done before taking the writer lock, on every core.
        let rows = seal_enrolments(&self.keys, enrolments);
        self.audited(access, AuditAction::EnrolPerson, |transaction| {
            let mut stored = 0u64;
            for (row, enrolment) in rows.iter().zip(enrolments) {
                match stored_enrolment(transaction, row)? {
                    StoredEnrolment::Conflict {
                        subject: conflicting,
                    } => {
                        // A batch of several residents is about none of them alone.
                        return Err(Refusal::Refused {
                            error: StoreError::AlreadyEnrolled,
                            subject: if records == 1 { conflicting } else { None },
                            records,
                        });
                    }
                    StoredEnrolment::Same(_) => {}
                    StoredEnrolment::None => {
                        insert_enrolment(transaction, row, enrolment, access.at)?;
                        stored += 1;
                    }
                }
            }
            let report = IngestReport {
                stored,
                duplicates: records - stored,
            };
            Ok(Audited::success(report, subject, records))
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
        self.write_fact(access, declaration.person(), declaration)
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
                 FROM declarations WHERE person_id = ?1 ORDER BY declared_at, event_id",
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

    #[tracing::instrument(level = "debug", skip_all, fields(venue = %venue, hours))]
    fn venue_check_in_counts(
        &self,
        venue: VenueId,
        from: Timestamp,
        hours: u32,
    ) -> Result<Vec<u64>, StoreError> {
        venue_counts::check_in_counts(self, venue, from, hours)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(person = %check_in.person()))]
    fn record_check_in(&self, access: &Access, check_in: &CheckIn) -> Result<Write, StoreError> {
        self.audited(access, AuditAction::RecordCheckIn, |transaction| {
            let mut statement = transaction.prepare_cached(INSERT_CHECK_IN)?;
            let inserted = insert_check_in(&mut statement, check_in);
            // The person is the check-in's first reference; its venue is the other.
            let unknown_venue = StoreError::UnknownReference {
                index: 0,
                reference: Reference::Venue,
            };
            written_once(
                transaction,
                inserted,
                check_in.person(),
                Some(unknown_venue),
            )
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(check_ins = check_ins.len()))]
    fn ingest_check_ins(
        &self,
        access: &Access,
        check_ins: &[CheckIn],
    ) -> Result<IngestReport, StoreError> {
        self.ingest(access, AuditAction::IngestCheckIns, check_ins)
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
    fn revoke_staff_token(&self, hash: &TokenHash) -> Result<bool, StoreError> {
        self.write(|transaction| {
            let deleted = transaction
                .prepare_cached("DELETE FROM tokens WHERE hash = ?1 AND holder_kind = 'staff'")?
                .execute(params![hash.0])?;
            Ok(deleted > 0)
        })
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

    // --- Facts for the rating engine -------------------------------------------------------

    #[tracing::instrument(level = "debug", skip_all, fields(ids = resident_ids.len()))]
    fn find_people(
        &self,
        access: &Access,
        resident_ids: &[ResidentId],
    ) -> Result<Vec<Option<PersonId>>, StoreError> {
        let hashes: Vec<[u8; 32]> = resident_ids
            .iter()
            .map(|resident_id| self.keys.resident_id_hash(resident_id))
            .collect();
        let records = resident_ids.len() as u64;
        self.audited(access, AuditAction::FindPersonByResidentId, |transaction| {
            let mut statement =
                transaction.prepare_cached("SELECT id FROM persons WHERE resident_id_hash = ?1")?;
            let mut found = Vec::with_capacity(hashes.len());
            for hash in &hashes {
                found.push(
                    statement
                        .query_row([hash], |row| row.get::<_, [u8; 16]>(0))
                        .optional()?
                        .map(PersonId::from_bytes),
                );
            }
            let subject = single_subject(found.iter().flatten().copied());
            Ok(Audited::success(found, subject, records))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(results = results.len()))]
    fn ingest_test_results(
        &self,
        access: &Access,
        results: &[(PersonId, TestResult)],
    ) -> Result<IngestReport, StoreError> {
        self.ingest_facts(access, results)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(purchases = purchases.len()))]
    fn ingest_pharmacy_purchases(
        &self,
        access: &Access,
        purchases: &[(PersonId, PharmacyPurchase)],
    ) -> Result<IngestReport, StoreError> {
        self.ingest_facts(access, purchases)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(reports = reports.len()))]
    fn ingest_health_reports(
        &self,
        access: &Access,
        reports: &[(PersonId, HealthReport)],
    ) -> Result<IngestReport, StoreError> {
        self.ingest_facts(access, reports)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(person = %person, case = %case.case))]
    fn record_case(
        &self,
        access: &Access,
        person: PersonId,
        case: &CaseRecord,
    ) -> Result<Write, StoreError> {
        self.write_fact(access, person, case)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(case = %case))]
    fn release_case(&self, access: &Access, case: CaseId) -> Result<PersonId, StoreError> {
        self.audited(access, AuditAction::ReleaseCase, |transaction| {
            let person = person_of_open_record(
                transaction,
                "SELECT person_id, released_at FROM cases WHERE case_id = ?1",
                case.as_bytes(),
                "case",
                "this case is already released",
            )?;
            transaction
                .prepare_cached("UPDATE cases SET released_at = ?1 WHERE case_id = ?2")?
                .execute(params![millis(access.at), case.as_bytes()])?;
            Ok(Audited::success(person, Some(person), 1))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(person = %person, contact = %contact.contact))]
    fn record_contact(
        &self,
        access: &Access,
        person: PersonId,
        contact: &Contact,
    ) -> Result<Write, StoreError> {
        self.write_fact(access, person, contact)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(person = %person))]
    fn facts_of(&self, access: &Access, person: PersonId) -> Result<Facts, StoreError> {
        let mut facts = self.facts_of_people(access, &[person])?;
        facts
            .pop()
            .ok_or_else(|| corrupt("the facts of one person came back as none"))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(people = people.len()))]
    fn facts_of_people(
        &self,
        access: &Access,
        people: &[PersonId],
    ) -> Result<Vec<Facts>, StoreError> {
        // Read in a reader snapshot, so that re-rating the people of a large upload does not
        // hold the writer up; the audit record is committed before any fact is answered, and
        // not at all if the read fails.
        let read = self.readers.with(|connection| {
            let snapshot = connection.unchecked_transaction()?;
            let region_risk = read_region_risk_list(&snapshot, None)?.unwrap_or_default();
            let read = facts_of_people(&snapshot, &self.keys, people, Arc::new(region_risk))?;
            snapshot.finish()?;
            Ok(read)
        })?;
        let subject = single_subject(people.iter().copied());
        let (records, outcome) = match read {
            Some(_) => (people.len() as u64, AuditOutcome::Success),
            None => (0, AuditOutcome::NotFound),
        };
        self.write(|transaction| {
            let entry =
                AuditEntry::for_access(access, AuditAction::ReadFacts, subject, records, outcome);
            append_audit_record(transaction, entry).map(drop)
        })?;
        read.ok_or(StoreError::NotFound { what: "person" })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    fn for_each_facts(
        &self,
        access: &Access,
        visit: &mut dyn FnMut(PersonId, Facts, Option<LatestRating>),
    ) -> Result<u64, StoreError> {
        // The read runs on a reader, in one snapshot, so that it holds no lock the writer needs
        // (`visit` may well store ratings as it goes) and a re-rating of every resident does not
        // stall ingest. Its audit record is committed before the first person's facts are read,
        // counting the people in that snapshot, so no personal data leaves unaudited.
        let visited = self.readers.with(|connection| {
            let snapshot = connection.unchecked_transaction()?;
            let people: u64 = snapshot
                .prepare_cached("SELECT count(*) FROM persons")?
                .query_row([], |row| row.get(0))?;
            let region_risk = read_region_risk_list(&snapshot, None)?.unwrap_or_default();
            self.write(|transaction| {
                let entry = AuditEntry::for_access(
                    access,
                    AuditAction::ReadFacts,
                    None,
                    people,
                    AuditOutcome::Success,
                );
                append_audit_record(transaction, entry).map(drop)
            })?;
            let visited =
                for_each_person_facts(&snapshot, &self.keys, Arc::new(region_risk), visit)?;
            snapshot.finish()?;
            Ok(visited)
        })?;
        tracing::debug!(visited, "read every resident's facts");
        Ok(visited)
    }

    // --- Region-risk list -----------------------------------------------------------------

    #[tracing::instrument(level = "debug", skip_all, fields(entries = entries.len()))]
    fn publish_region_risk_list(
        &self,
        access: &Access,
        entries: &BTreeMap<RegionCode, RiskLevel>,
    ) -> Result<RegionRiskList, StoreError> {
        self.audited(access, AuditAction::PublishRegionRiskList, |transaction| {
            let latest: u32 = transaction
                .prepare_cached("SELECT coalesce(max(version), 0) FROM region_risk_lists")?
                .query_row([], |row| row.get(0))?;
            let version = latest
                .checked_add(1)
                .ok_or_else(|| corrupt("region_risk_lists.version is at its maximum"))?;
            transaction
                .prepare_cached(
                    "INSERT INTO region_risk_lists (version, published_at) VALUES (?1, ?2)",
                )?
                .execute(params![version, millis(access.at)])?;
            let mut insert = transaction.prepare_cached(
                "INSERT INTO region_risk_entries (version, region, level) VALUES (?1, ?2, ?3)",
            )?;
            for (region, level) in entries {
                insert.execute(params![version, region.as_number(), level.code()])?;
            }
            let list = RegionRiskList {
                version,
                published_at: Some(access.at),
                entries: entries.clone(),
            };
            // The list is not personal data: no subject.
            Ok(Audited::success(list, None, 1))
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    fn region_risk_list(&self, version: Option<u32>) -> Result<Option<RegionRiskList>, StoreError> {
        self.readers
            .with(|connection| read_region_risk_list(connection, version))
    }

    // --- Policies ---------------------------------------------------------------------------

    #[tracing::instrument(level = "debug", skip_all, fields(version = %version))]
    fn store_policy(
        &self,
        access: &Access,
        version: &PolicyVersion,
        source: &str,
    ) -> Result<Write, StoreError> {
        // Parsed before taking the writer lock; only a valid file is ever stored.
        let checked = match Policy::parse(source) {
            Ok(policy) if policy.version == *version => Ok(()),
            Ok(policy) => Err(StoreError::InvalidPolicy(uploaded_as_another_version(
                source,
                &policy.version,
                version,
            ))),
            Err(errors) => Err(StoreError::InvalidPolicy(errors)),
        };
        let sha256: [u8; 32] = Sha256::digest(source.as_bytes()).into();
        let version_text = version.to_string();
        let (actor_kind, actor_id, actor_role) = actor_columns(&access.actor);
        self.audited(access, AuditAction::StorePolicy, |transaction| {
            if let Err(error) = checked {
                return Err(Refusal::Refused {
                    error,
                    subject: None,
                    records: 1,
                });
            }
            let stored: Option<[u8; 32]> = transaction
                .prepare_cached("SELECT sha256 FROM policies WHERE version = ?1")?
                .query_row([&version_text], |row| row.get(0))
                .optional()?;
            match stored {
                Some(stored) if stored == sha256 => Ok(Audited {
                    value: Write::Duplicate,
                    subject: None,
                    records: 1,
                    outcome: AuditOutcome::Duplicate,
                }),
                Some(_) => Err(Refusal::Refused {
                    error: StoreError::Conflict(
                        "another policy file is already stored under this version",
                    ),
                    subject: None,
                    records: 1,
                }),
                None => {
                    transaction
                        .prepare_cached(
                            "INSERT INTO policies (version, source, sha256, uploaded_at, \
                             uploaded_by_kind, uploaded_by_id, uploaded_by_role) \
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        )?
                        .execute(params![
                            version_text,
                            source,
                            sha256,
                            millis(access.at),
                            actor_kind,
                            actor_id,
                            actor_role,
                        ])?;
                    Ok(Audited::success(Write::Stored, None, 1))
                }
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(version = %version))]
    fn policy_source(&self, version: &PolicyVersion) -> Result<Option<String>, StoreError> {
        self.readers.with(|connection| {
            Ok(connection
                .prepare_cached("SELECT source FROM policies WHERE version = ?1")?
                .query_row([version.to_string()], |row| row.get(0))
                .optional()?)
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    fn policies(&self) -> Result<Vec<StoredPolicy>, StoreError> {
        self.readers.with(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT version, uploaded_at, uploaded_by_kind, uploaded_by_id, uploaded_by_role \
                 FROM policies ORDER BY rowid",
            )?;
            let mut rows = statement.query([])?;
            let mut policies = Vec::new();
            while let Some(row) = rows.next()? {
                policies.push(StoredPolicy {
                    version: code(row, 0, "policies.version", PolicyVersion::parse)?,
                    uploaded_at: timestamp(row.get(1)?, "policies.uploaded_at")?,
                    uploaded_by: decode_actor(
                        row,
                        2,
                        [
                            "policies.uploaded_by_kind",
                            "policies.uploaded_by_id",
                            "policies.uploaded_by_role",
                        ],
                    )?,
                });
            }
            Ok(policies)
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(version = %version))]
    fn activate_policy(&self, access: &Access, version: &PolicyVersion) -> Result<(), StoreError> {
        let version_text = version.to_string();
        let (actor_kind, actor_id, actor_role) = actor_columns(&access.actor);
        self.audited(access, AuditAction::ActivatePolicy, |transaction| {
            let stored = transaction
                .prepare_cached("SELECT 1 FROM policies WHERE version = ?1")?
                .query_row([&version_text], |_| Ok(()))
                .optional()?
                .is_some();
            if !stored {
                return Err(Refusal::Refused {
                    error: StoreError::NotFound { what: "policy" },
                    subject: None,
                    records: 1,
                });
            }
            transaction
                .prepare_cached(
                    "INSERT INTO policy_activations (version, activated_at, activated_by_kind, \
                     activated_by_id, activated_by_role) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    version_text,
                    millis(access.at),
                    actor_kind,
                    actor_id,
                    actor_role,
                ])?;
            Ok(Audited::success((), None, 1))
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    fn policy_activations(&self) -> Result<Vec<PolicyActivation>, StoreError> {
        self.readers.with(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT version, activated_at, activated_by_kind, activated_by_id, \
                 activated_by_role FROM policy_activations ORDER BY sequence",
            )?;
            let mut rows = statement.query([])?;
            let mut activations = Vec::new();
            while let Some(row) = rows.next()? {
                activations.push(PolicyActivation {
                    version: code(row, 0, "policy_activations.version", PolicyVersion::parse)?,
                    activated_at: timestamp(row.get(1)?, "policy_activations.activated_at")?,
                    activated_by: decode_actor(
                        row,
                        2,
                        [
                            "policy_activations.activated_by_kind",
                            "policy_activations.activated_by_id",
                            "policy_activations.activated_by_role",
                        ],
                    )?,
                });
            }
            Ok(activations)
        })
    }

    // --- Ratings ----------------------------------------------------------------------------

    #[tracing::instrument(level = "debug", skip_all, fields(person = %person))]
    fn record_rating(
        &self,
        access: &Access,
        person: PersonId,
        rating: &Rating,
        cause: &RatingCause,
    ) -> Result<Write, StoreError> {
        let cause = encode_cause(cause);
        self.audited(access, AuditAction::RecordRating, |transaction| {
            let mut appender = RatingAppender::new(transaction)?;
            let appended = if appender.changes(person, rating)? {
                appender.append(person, rating, &cause).map(|()| 1)
            } else {
                Ok(0)
            };
            written_once(transaction, appended, person, None)
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ratings = ratings.len()))]
    fn record_ratings(
        &self,
        access: &Access,
        ratings: &[(PersonId, Rating, RatingCause)],
    ) -> Result<u64, StoreError> {
        let causes: Vec<_> = ratings
            .iter()
            .map(|(_, _, cause)| encode_cause(cause))
            .collect();
        let subject = single_subject(ratings.iter().map(|(person, _, _)| *person));
        let records = ratings.len() as u64;
        // In person order, as bulk ingest does and for the same reason: consecutive look-ups
        // and inserts land on the same index pages. The sort is stable, so a person rated twice
        // in one batch keeps both changes in the caller's order.
        let mut order: Vec<usize> = (0..ratings.len()).collect();
        order.sort_by_key(|&index| *ratings[index].0.as_bytes());
        let appended = self.audited(access, AuditAction::RecordRating, |transaction| {
            let mut appended = 0u64;
            let mut appender = RatingAppender::new(transaction)?;
            for &index in &order {
                let (person, rating, _) = &ratings[index];
                if !appender.changes(*person, rating)? {
                    continue;
                }
                match appender.append(*person, rating, &causes[index]) {
                    Ok(()) => appended += 1,
                    Err(error) if is_foreign_key_violation(&error) => {
                        let people = ratings.iter().map(|(person, _, _)| *person);
                        let index = first_unknown_person(transaction, people)?
                            .ok_or_else(|| Refusal::Failed(error.into()))?;
                        return Err(Refusal::Refused {
                            error: StoreError::UnknownReference {
                                index,
                                reference: Reference::Person,
                            },
                            subject,
                            records,
                        });
                    }
                    Err(error) => return Err(error.into()),
                }
            }
            Ok(Audited::success(appended, subject, records))
        })?;
        tracing::debug!(appended, "recorded ratings");
        Ok(appended)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(person = %person))]
    fn rating_history(
        &self,
        access: &Access,
        person: PersonId,
    ) -> Result<Vec<RatingRecord>, StoreError> {
        self.audited(access, AuditAction::ReadRatings, |transaction| {
            let mut statement = transaction.prepare_cached(&format!(
                "SELECT {RATING_COLUMNS} FROM ratings WHERE person_id = ?1 ORDER BY sequence"
            ))?;
            let mut rows = statement.query([person.as_bytes()])?;
            let mut history = Vec::new();
            while let Some(row) = rows.next()? {
                history.push(decode_rating_record(row)?);
            }
            let records = history.len() as u64;
            Ok(Audited::success(history, Some(person), records))
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    fn pass_holder(
        &self,
        access: &Access,
        sequence: u64,
    ) -> Result<Option<PassHolder>, StoreError> {
        self.audited(access, AuditAction::ReadRatings, |transaction| {
            // A number beyond SQLite's integers names no rating.
            let Ok(sequence) = i64::try_from(sequence) else {
                return Ok(Audited::success(None, None, 0));
            };
            let mut statement = transaction.prepare_cached(PASS_HOLDER)?;
            let mut rows = statement.query([sequence])?;
            let Some(row) = rows.next()? else {
                return Ok(Audited::success(None, None, 0));
            };
            let person = PersonId::from_bytes(id_bytes(row, 0, "ratings.person_id")?);
            let latest: i64 = row.get(1)?;
            let holder = PassHolder {
                person,
                latest_rating: latest
                    .try_into()
                    .map_err(|_| corrupt("a rating sequence is negative"))?,
            };
            Ok(Audited::success(Some(holder), Some(person), 1))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(limit))]
    fn ratings_due(&self, now: Timestamp, limit: u32) -> Result<Vec<PersonId>, StoreError> {
        self.readers.with(|connection| {
            let mut statement = connection.prepare_cached(DUE_RATINGS)?;
            let mut rows = statement.query(params![millis(now), limit])?;
            let mut due = Vec::new();
            while let Some(row) = rows.next()? {
                due.push(PersonId::from_bytes(id_bytes(
                    row,
                    0,
                    "current_ratings.person_id",
                )?));
            }
            Ok(due)
        })
    }

    // --- Appeals and overrides ----------------------------------------------------------

    #[tracing::instrument(level = "debug", skip_all, fields(appeal = %appeal.id, person = %appeal.person))]
    fn file_appeal(&self, access: &Access, appeal: &Appeal) -> Result<Write, StoreError> {
        let person = appeal.person;
        let statement_sealed = self.keys.seal(
            SEALED_APPEAL_STATEMENT,
            appeal.id.as_bytes(),
            appeal.statement.as_bytes(),
        );
        self.audited(access, AuditAction::FileAppeal, |transaction| {
            if exists(
                transaction,
                "SELECT 1 FROM appeals WHERE appeal_id = ?1",
                appeal.id.as_bytes(),
            )? {
                return Ok(Audited {
                    value: Write::Duplicate,
                    subject: Some(person),
                    records: 1,
                    outcome: AuditOutcome::Duplicate,
                });
            }
            let rating_is_theirs = transaction
                .prepare_cached("SELECT 1 FROM ratings WHERE sequence = ?1 AND person_id = ?2")?
                .query_row(params![appeal.rating, person.as_bytes()], |_| Ok(()))
                .optional()?
                .is_some();
            if !rating_is_theirs {
                return Err(Refusal::Refused {
                    error: StoreError::NotFound { what: "rating" },
                    subject: Some(person),
                    records: 1,
                });
            }
            transaction
                .prepare_cached(
                    "INSERT INTO appeals (appeal_id, person_id, rating_sequence, \
                     statement_sealed, filed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    appeal.id.as_bytes(),
                    person.as_bytes(),
                    appeal.rating,
                    statement_sealed,
                    millis(appeal.filed_at),
                ])?;
            Ok(Audited::success(Write::Stored, Some(person), 1))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(limit))]
    fn appeal_queue(&self, access: &Access, limit: u32) -> Result<Vec<Appeal>, StoreError> {
        self.audited(access, AuditAction::ReadAppeals, |transaction| {
            let mut statement = transaction.prepare_cached(&appeal_queue_sql())?;
            let mut rows = statement.query([limit])?;
            let mut queue = Vec::new();
            while let Some(row) = rows.next()? {
                queue.push(decode_appeal(&self.keys, row)?);
            }
            let subject = single_subject(queue.iter().map(|appeal| appeal.person));
            let records = queue.len() as u64;
            Ok(Audited::success(queue, subject, records))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(appeal = %id))]
    fn appeal(&self, access: &Access, id: AppealId) -> Result<AppealRecord, StoreError> {
        self.audited(access, AuditAction::ReadAppeals, |transaction| {
            let mut statement = transaction.prepare_cached(&format!(
                "SELECT {APPEAL_COLUMNS} FROM appeals WHERE appeal_id = ?1"
            ))?;
            let mut rows = statement.query([id.as_bytes()])?;
            let Some(row) = rows.next()? else {
                return Err(Refusal::Refused {
                    error: StoreError::NotFound { what: "appeal" },
                    subject: None,
                    records: 0,
                });
            };
            let record = decode_appeal_record(transaction, &self.keys, row)?;
            let person = record.appeal.person;
            Ok(Audited::success(record, Some(person), 1))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(person = %person))]
    fn appeals_of(
        &self,
        access: &Access,
        person: PersonId,
    ) -> Result<Vec<AppealRecord>, StoreError> {
        self.audited(access, AuditAction::ReadAppeals, |transaction| {
            let mut statement = transaction.prepare_cached(&format!(
                "SELECT {APPEAL_COLUMNS} FROM appeals WHERE person_id = ?1 \
                 ORDER BY filed_at, rowid"
            ))?;
            let mut rows = statement.query([person.as_bytes()])?;
            let mut appeals = Vec::new();
            while let Some(row) = rows.next()? {
                appeals.push(decode_appeal_record(transaction, &self.keys, row)?);
            }
            let records = appeals.len() as u64;
            Ok(Audited::success(appeals, Some(person), records))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(appeal = %decision.appeal))]
    fn decide_appeal(&self, access: &Access, decision: &AppealDecision) -> Result<(), StoreError> {
        let appeal = decision.appeal;
        let reason_sealed = self.keys.seal(
            SEALED_DECISION_REASON,
            appeal.as_bytes(),
            decision.reason.as_bytes(),
        );
        // An amendment's override always names the appeal it decides.
        let amendment = match &decision.outcome {
            AppealOutcome::Uphold => None,
            AppealOutcome::Amend(override_) => Some(Override {
                appeal: Some(appeal),
                ..override_.clone()
            }),
        };
        let override_row = amendment
            .as_ref()
            .map(|override_| OverrideRow::seal(&self.keys, override_));
        self.audited(access, AuditAction::DecideAppeal, |transaction| {
            let found = transaction
                .prepare_cached("SELECT person_id, decided_at FROM appeals WHERE appeal_id = ?1")?
                .query_row([appeal.as_bytes()], |row| {
                    Ok((row.get::<_, [u8; 16]>(0)?, row.get::<_, Option<i64>>(1)?))
                })
                .optional()?;
            let Some((person, decided_at)) = found else {
                return Err(Refusal::Refused {
                    error: StoreError::NotFound { what: "appeal" },
                    subject: None,
                    records: 1,
                });
            };
            let person = PersonId::from_bytes(person);
            let already_decided = || Refusal::Refused {
                error: StoreError::Conflict("this appeal is already decided"),
                subject: Some(person),
                records: 1,
            };
            if decided_at.is_some() {
                return Err(already_decided());
            }
            if let Some(row) = &override_row {
                let mut statement = transaction.prepare_cached(OverrideRow::INSERT)?;
                // The row is inserted or ignored: ignored means its id is already used.
                if row.insert(&mut statement, person)? == 0 {
                    return Err(Refusal::Refused {
                        error: StoreError::Conflict("this override id is already used"),
                        subject: Some(person),
                        records: 1,
                    });
                }
            }
            let (outcome, override_id) = match &amendment {
                None => ("uphold", None),
                Some(override_) => ("amend", Some(override_.id)),
            };
            transaction
                .prepare_cached(
                    "UPDATE appeals SET decided_at = ?1, decided_by = ?2, outcome = ?3, \
                     decision_reason_sealed = ?4, override_id = ?5 WHERE appeal_id = ?6",
                )?
                .execute(params![
                    millis(decision.decided_at),
                    decision.decided_by.as_bytes(),
                    outcome,
                    reason_sealed,
                    override_id.as_ref().map(OverrideId::as_bytes),
                    appeal.as_bytes(),
                ])?;
            Ok(Audited::success((), Some(person), 1))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(person = %person, id = %override_.id))]
    fn set_override(
        &self,
        access: &Access,
        person: PersonId,
        override_: &Override,
    ) -> Result<Write, StoreError> {
        self.write_fact(access, person, &OverrideRow::seal(&self.keys, override_))
    }

    // --- Tracing ---------------------------------------------------------------------------

    #[tracing::instrument(level = "debug", skip_all, fields(boardings = boardings.len()))]
    fn ingest_boardings(
        &self,
        access: &Access,
        trips: &[Trip],
        boardings: &[Boarding],
    ) -> Result<IngestReport, StoreError> {
        self.ingest_boardings_now(access, trips, boardings)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(members = members.len()))]
    fn register_households(
        &self,
        access: &Access,
        members: &[(PersonId, HouseholdCode)],
    ) -> Result<IngestReport, StoreError> {
        self.register_households_now(access, members)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(case = %case))]
    fn case(&self, access: &Access, case: CaseId) -> Result<(PersonId, CaseRecord), StoreError> {
        self.case_now(access, case)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(case = %case))]
    fn trace_case(
        &self,
        access: &Access,
        case: CaseId,
        policy: &TracingPolicy,
    ) -> Result<(PersonId, CaseRecord, Traced), StoreError> {
        self.trace_case_now(access, case, policy)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(cases = cases.len()))]
    fn trace_cases(
        &self,
        access: &Access,
        cases: &[CaseId],
        policy: &TracingPolicy,
    ) -> Result<Vec<(PersonId, CaseRecord, Traced)>, StoreError> {
        self.trace_cases_now(access, cases, policy)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(cases = cases.len()))]
    fn record_traced_cases(
        &self,
        access: &Access,
        cases: &[(CaseId, Vec<(ContactId, TracedContact)>)],
    ) -> Result<Vec<Vec<(PersonId, Contact)>>, StoreError> {
        self.record_traced_cases_now(access, cases)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(case = %case, contacts = contacts.len()))]
    fn record_traced_contacts(
        &self,
        access: &Access,
        case: CaseId,
        contacts: &[(ContactId, TracedContact)],
    ) -> Result<Vec<(PersonId, Contact)>, StoreError> {
        self.record_traced_contacts_now(access, case, contacts)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(case = %case))]
    fn contacts_of_case(
        &self,
        access: &Access,
        case: CaseId,
    ) -> Result<Vec<ContactRecord>, StoreError> {
        self.contacts_of_case_now(access, case)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(contact = %contact))]
    fn dismiss_contact(
        &self,
        access: &Access,
        contact: ContactId,
        reason: &str,
    ) -> Result<PersonId, StoreError> {
        self.dismiss_contact_now(access, contact, reason)
    }

    // --- Phone data ------------------------------------------------------------------------

    #[tracing::instrument(level = "debug", skip_all, fields(cells = cells.len()))]
    fn register_cells(&self, access: &Access, cells: &[Cell]) -> Result<IngestReport, StoreError> {
        self.audited(access, AuditAction::RegisterCells, |transaction| {
            phone_data::register_cells(transaction, cells)
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(cells = ids.len()))]
    fn cells(&self, ids: &[CellId]) -> Result<Vec<Option<Cell>>, StoreError> {
        self.readers
            .with(|connection| phone_data::cells(connection, ids))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(pings = pings.len()))]
    fn ingest_cell_pings(
        &self,
        access: &Access,
        pings: &[(PersonId, CellPing)],
        offset: Offset,
    ) -> Result<PingIngestReport, StoreError> {
        self.audited(access, AuditAction::IngestCellPings, |transaction| {
            phone_data::ingest_cell_pings(transaction, pings, offset)
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    fn purge_phone_data(
        &self,
        access: &Access,
        pings_before: Timestamp,
        stays_before: Timestamp,
    ) -> Result<PhonePurgeReport, StoreError> {
        let report = self.audited(access, AuditAction::PurgeCellPings, |transaction| {
            let report = phone_data::purge(transaction, pings_before, stays_before)?;
            Ok(Audited::success(report, None, report.total()))
        })?;
        tracing::debug!(
            pings = report.pings,
            daily_stays = report.daily_stays,
            city_days = report.city_days,
            candidate_stays = report.candidate_stays,
            "purged phone data past its retention"
        );
        Ok(report)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(person = %person))]
    fn city_days_of(
        &self,
        access: &Access,
        person: PersonId,
        from: Date,
        to: Date,
    ) -> Result<Vec<CityDay>, StoreError> {
        self.audited(access, AuditAction::ReadItinerary, |transaction| {
            match phone_data::city_days_of(transaction, person, from, to)? {
                Some(days) => {
                    let records = days.len() as u64;
                    Ok(Audited::success(days, Some(person), records))
                }
                None => Err(Refusal::Refused {
                    error: StoreError::NotFound { what: "person" },
                    subject: Some(person),
                    records: 0,
                }),
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(search = %search.id))]
    fn search_proximity(
        &self,
        access: &Access,
        search: &ProximitySearch,
    ) -> Result<(ProximitySearchRecord, Write), StoreError> {
        self.audited(access, AuditAction::SearchProximity, |transaction| {
            phone_data::search_proximity(transaction, &self.keys, search)
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(search = %id))]
    fn proximity_search(
        &self,
        access: &Access,
        id: ProximitySearchId,
    ) -> Result<ProximitySearchRecord, StoreError> {
        self.audited(access, AuditAction::SearchProximity, |transaction| {
            match phone_data::read_search(transaction, &self.keys, id)? {
                Some(record) => {
                    let subject = single_subject(record.candidates.iter().map(|c| c.person));
                    let records = record.candidates.len() as u64;
                    Ok(Audited::success(record, subject, records))
                }
                None => Err(Refusal::Refused {
                    error: StoreError::NotFound {
                        what: "proximity search",
                    },
                    subject: None,
                    records: 0,
                }),
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(search = %search, person = %person))]
    fn review_proximity_candidate(
        &self,
        access: &Access,
        search: ProximitySearchId,
        person: PersonId,
        review: &CandidateReview,
    ) -> Result<CandidateReview, StoreError> {
        self.audited(
            access,
            AuditAction::ReviewProximityCandidate,
            |transaction| {
                phone_data::review_candidate(transaction, &self.keys, search, person, review)
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all)]
    fn refuse_proximity_search(&self, access: &Access) -> Result<(), StoreError> {
        self.write(|transaction| {
            let entry = AuditEntry::for_access(
                access,
                AuditAction::SearchProximity,
                None,
                0,
                AuditOutcome::Rejected,
            );
            append_audit_record(transaction, entry).map(drop)
        })
    }

    // --- Consent and quarantine follow-up --------------------------------------------------

    #[tracing::instrument(level = "debug", skip_all, fields(consent = %consent.id, person = %consent.person))]
    fn issue_consent(
        &self,
        access: &Access,
        consent: &Consent,
        token: &TokenHash,
    ) -> Result<(Consent, Write), StoreError> {
        consent::issue(self, access, consent, token)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(person = %person))]
    fn consents_of(
        &self,
        access: &Access,
        person: PersonId,
    ) -> Result<Vec<ConsentRecord>, StoreError> {
        consent::consents_of(self, access, person)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(person = %person, consent = %id))]
    fn revoke_consent(
        &self,
        access: &Access,
        person: PersonId,
        id: ConsentId,
    ) -> Result<(ConsentRecord, Write), StoreError> {
        consent::revoke(self, access, person, id)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    fn check_close_contact(
        &self,
        access: &Access,
        check: &CloseContactCheck,
    ) -> Result<CloseContactAnswer, StoreError> {
        consent::check_close_contact(self, access, check)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(person = %person))]
    fn record_follow_up_check(
        &self,
        access: &Access,
        person: PersonId,
        check: &FollowUpCheck,
    ) -> Result<Write, StoreError> {
        consent::record_follow_up_check(self, access, person, check)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(day = %day.day()))]
    fn missed_follow_up_checks(
        &self,
        access: &Access,
        day: &FollowUpDay,
    ) -> Result<Vec<Person>, StoreError> {
        consent::missed_follow_up_checks(self, access, day)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    fn dashboard(
        &self,
        access: &Access,
        query: &crate::DashboardQuery,
    ) -> Result<crate::Dashboard, StoreError> {
        dashboard::dashboard(self, access, query)
    }
}

/// Undecided appeals, oldest first, at most ?1.
fn appeal_queue_sql() -> String {
    format!(
        "SELECT {APPEAL_COLUMNS} FROM appeals WHERE decided_at IS NULL \
         ORDER BY filed_at, rowid LIMIT ?1"
    )
}

/// The kind, id and role columns of an actor, as the audit log stores them.
fn actor_columns(actor: &Actor) -> (&'static str, Option<[u8; 16]>, Option<&'static str>) {
    (
        actor_kind_code(actor),
        actor_id_bytes(actor),
        actor.role().map(Role::code),
    )
}

fn insert_token(connection: &Connection, grant: &TokenGrant) -> Result<(), StoreError> {
    let (person, staff, role) = match grant.holder {
        Actor::Resident(ref person) => (Some(person.as_bytes()), None, Role::Resident),
        Actor::Staff { ref id, role } => (None, Some(id.as_bytes()), role),
        Actor::Public | Actor::LocalOperator | Actor::System => {
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
