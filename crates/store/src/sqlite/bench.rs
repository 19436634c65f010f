//! The pieces of the store's benchmarks that need its private row writers: how fast
//! [`SqliteStore::ingest_check_ins`] stores check-ins (`healthcode bench ingest`) compared with a
//! raw rusqlite peer inserting the same rows into the same schema, a store full of facts to
//! re-rate (`healthcode bench rerate`), and a city written in bulk to trace in
//! (`healthcode bench trace`).
//!
//! 1. [`seed_population`] stores the residents and venues it is given (residents sealed like
//!    real ones, with one audit record for the lot) so that check-ins and facts pass their
//!    foreign-key checks;
//! 2. [`RawPeer`] is the peer: one connection with the store's settings, a transaction per batch,
//!    one prepared `INSERT OR IGNORE` — no audit, no error mapping;
//! 3. [`seed_facts`] stores the rating engine's facts of residents already stored, in bulk;
//! 4. [`seed_city`] writes residents, venues and days of check-ins into a fresh data directory
//!    in bulk, and [`export_for_peer`] writes its check-ins out for a peer that cannot read
//!    SQLite;
//! 5. [`trace_close_contacts`] traces cases for their close contacts only.
//!
//! The data comes from the caller: the command line draws it from the simulator
//! (`healthcode-sim`), on which this crate does not depend. Seeding goes through the store's own
//! row writers, never SQL of its own, so that what it stores is what the store would have
//! stored.

mod city;

use std::path::Path;

use healthcode_core::rating::{CaseId, CaseRecord, Facts};
use healthcode_core::trace::{Traced, TracingPolicy};
use healthcode_core::{Access, AuditAction, CheckIn, EventId, Person, PersonId, Venue};
use rusqlite::TransactionBehavior;

use super::contact_tracing::Degrees;
use super::fact_rows::{FactRow, OverrideRow};
use super::{
    Audited, INSERT_CHECK_IN, PersonRow, SqliteStore, WRITER_CACHE_KIB, insert_check_in,
    open_connection,
};
use crate::{Store, StoreError};

pub use city::{CitySeeding, export_for_peer, seed_city};

/// Traces cases' close contacts only, as [`Store::trace_cases`] would trace them, through the
/// same algorithm (core's `trace`, asked as of the opening of each case's window, so that no
/// close contact has yet had time to meet anyone), the same visit index and the same threads;
/// audited alike. The benchmark times it beside the full trace.
pub fn trace_close_contacts(
    store: &SqliteStore,
    access: &Access,
    cases: &[CaseId],
    policy: &TracingPolicy,
) -> Result<Vec<(PersonId, CaseRecord, Traced)>, StoreError> {
    store.trace_cases_with(access, cases, policy, Degrees::Close)
}

/// Stores `persons` (their resident ID numbers, names and phones sealed and hashed like real
/// ones) in one transaction with one audit record for the lot, each enrolled under an event id
/// equal to their person id, and registers `venues`. Meant for an empty store; ids already
/// present are an error. Residents without venues are all that [`seed_facts`] needs.
pub fn seed_population(
    store: &SqliteStore,
    access: &Access,
    persons: &[Person],
    venues: &[Venue],
) -> Result<(), StoreError> {
    // Sealing is most of the work: it is done before the transaction, on every core, and the
    // rows then go in in id order so that the id index grows at its end.
    let seal = |person: &Person| {
        let event_id = EventId::from_uuid(person.id.as_uuid()).expect("person ids are not nil");
        PersonRow::seal(&store.keys, person, event_id)
    };
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let per_thread = persons.len().div_ceil(threads).max(1);
    let mut rows: Vec<PersonRow> = std::thread::scope(|scope| {
        let workers: Vec<_> = persons
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || chunk.iter().map(seal).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("sealing does not panic"))
            .collect()
    });
    rows.sort_unstable_by_key(|row| row.id);
    store.audited(access, AuditAction::EnrolPerson, |transaction| {
        for row in &rows {
            row.insert(transaction)?;
        }
        Ok(Audited::success((), None, persons.len() as u64))
    })?;
    for venue in venues {
        store.register_venue(venue)?;
    }
    Ok(())
}

/// How many rows [`seed_facts`] writes per transaction: enough that commits cost little, few
/// enough that the write-ahead log stays within tens of megabytes and the checkpointer copies
/// it between transactions.
const SEED_ROWS_PER_TRANSACTION: usize = 200_000;

/// Stores the facts of people already enrolled (by [`seed_population`], or by enrolment): their
/// declarations, test results, pharmacy purchases, health reports, cases, contacts and
/// overrides, through the row writers of the store's own methods, so that [`Store::facts_of`]
/// and [`Store::for_each_facts`] read them back equal and override reasons are sealed. A fact
/// is stored as the fact of the person it is listed under. `stays` and the region-risk list are
/// not stored facts of a person, and are ignored.
///
/// Rows go in large transactions, one kind of fact at a time and in person order, each
/// transaction with one audit record (the kind's own action, counting its rows). Resends of a
/// fact's id are skipped, as the store's batches skip them. Cases are written before contacts,
/// so a contact may name the case of anyone among `people`, but must name a stored case.
///
/// Fails as the store's batch writes fail, with [`StoreError::UnknownReference`] giving the
/// position in `people` of the person whose fact names something not stored (the person, or a
/// contact's case), or [`StoreError::NotFound`] for an override naming an appeal that does not
/// exist; the transactions committed before stay.
pub fn seed_facts(
    store: &SqliteStore,
    access: &Access,
    people: &[(PersonId, Facts)],
) -> Result<(), StoreError> {
    // In person order throughout, so that every table and index of persons grows at its end.
    let mut order: Vec<usize> = (0..people.len()).collect();
    order.sort_unstable_by_key(|&index| *people[index].0.as_bytes());
    let seed = FactSeeder {
        store,
        access,
        people,
        order,
    };
    seed.rows(|facts| facts.declarations.iter())?;
    seed.rows(|facts| facts.test_results.iter())?;
    seed.rows(|facts| facts.pharmacy_purchases.iter())?;
    seed.rows(|facts| facts.health_reports.iter())?;
    seed.rows(|facts| facts.cases.iter())?;
    seed.rows(|facts| facts.contacts.iter())?;
    seed.rows(|facts| {
        facts
            .overrides
            .iter()
            .map(|override_| OverrideRow::seal(&store.keys, override_))
    })?;
    tracing::debug!(people = people.len(), "seeded facts");
    Ok(())
}

/// What [`seed_facts`] works through.
struct FactSeeder<'a> {
    store: &'a SqliteStore,
    access: &'a Access,
    people: &'a [(PersonId, Facts)],
    /// Positions in `people`, in person id order.
    order: Vec<usize>,
}

impl<'a> FactSeeder<'a> {
    /// Writes one kind of fact, every person's `rows_of` their facts, in batches of
    /// [`SEED_ROWS_PER_TRANSACTION`] rows.
    fn rows<T: FactRow, I: Iterator<Item = T>>(
        &self,
        rows_of: impl Fn(&'a Facts) -> I,
    ) -> Result<(), StoreError> {
        let mut batch: Vec<(PersonId, T)> = Vec::with_capacity(SEED_ROWS_PER_TRANSACTION);
        // The position in `people` of each row's person.
        let mut owners: Vec<usize> = Vec::with_capacity(SEED_ROWS_PER_TRANSACTION);
        for &index in &self.order {
            let (person, facts) = &self.people[index];
            for row in rows_of(facts) {
                batch.push((*person, row));
                owners.push(index);
            }
            if batch.len() >= SEED_ROWS_PER_TRANSACTION {
                self.write(&batch, &owners)?;
                batch.clear();
                owners.clear();
            }
        }
        if !batch.is_empty() {
            self.write(&batch, &owners)?;
        }
        Ok(())
    }

    fn write<T: FactRow>(
        &self,
        batch: &[(PersonId, T)],
        owners: &[usize],
    ) -> Result<(), StoreError> {
        match self.store.ingest(self.access, T::ACTION, batch) {
            Ok(_) => Ok(()),
            Err(StoreError::UnknownReference { index, reference }) => {
                Err(StoreError::UnknownReference {
                    index: owners[index],
                    reference,
                })
            }
            Err(other) => Err(other),
        }
    }
}

/// The raw peer: one plain connection to a store's database file (the store's connection
/// settings, foreign keys on, SQLite's own checkpointing), inserting rows with one prepared
/// `INSERT OR IGNORE` per row and one transaction per call — no sorting, no audit, no error
/// mapping. The schema must exist (open a [`SqliteStore`] on the directory first, and drop it).
/// Dropping the peer closes the connection, which checkpoints the log.
pub struct RawPeer {
    connection: rusqlite::Connection,
}

impl RawPeer {
    pub fn open(database_path: &Path) -> Result<RawPeer, StoreError> {
        Ok(RawPeer {
            connection: open_connection(database_path, WRITER_CACHE_KIB)?,
        })
    }

    /// Inserts `rows` in one transaction; returns how many were stored (resends are skipped).
    pub fn insert_check_ins(&mut self, rows: &[CheckIn]) -> Result<u64, StoreError> {
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut stored = 0u64;
        {
            let mut statement = transaction.prepare_cached(INSERT_CHECK_IN)?;
            for row in rows {
                stored += insert_check_in(&mut statement, row)? as u64;
            }
        }
        transaction.commit()?;
        Ok(stored)
    }
}

impl std::fmt::Debug for RawPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawPeer").finish_non_exhaustive()
    }
}
