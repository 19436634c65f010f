//! The pieces of the store's benchmarks: how fast [`SqliteStore::ingest_check_ins`] stores
//! check-ins (`healthcode bench ingest`), compared with a raw rusqlite peer inserting the same
//! rows into the same schema, and a store full of facts to re-rate.
//!
//! 1. [`Population::generate`] picks deterministic person and venue ids from a seed;
//! 2. [`seed_population`] stores them (synthetic residents, sealed like real ones, with one audit
//!    record for the lot) so that check-ins and facts pass their foreign-key checks;
//! 3. [`synthetic_check_ins`] draws check-ins over the population;
//! 4. [`RawPeer`] is the peer: one connection with the store's settings, a transaction per batch,
//!    one prepared `INSERT OR IGNORE` — no audit, no error mapping;
//! 5. [`seed_facts`] stores the rating engine's facts of a seeded population in bulk.
//!
//! Everything here is synthetic: no real person's data is ever generated or read. Seeding goes
//! through the store's own row writers, never SQL of its own, so that what it stores is what
//! the store would have stored.

mod city;

use std::path::Path;

use healthcode_core::rating::{CaseId, CaseRecord, Facts};
use healthcode_core::trace::{Traced, TracingPolicy};
use healthcode_core::{
    Access, AuditAction, CheckIn, CheckInSource, EventId, GeoPoint, OpeningHours, Person, PersonId,
    PersonName, PhoneNumber, RegionCode, ResidentId, Timestamp, Venue, VenueId, VenueKind,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::TransactionBehavior;

use super::contact_tracing::Degrees;
use super::fact_rows::{FactRow, OverrideRow};
use super::{
    Audited, INSERT_CHECK_IN, PersonRow, SqliteStore, WRITER_CACHE_KIB, insert_check_in,
    open_connection,
};
use crate::{Store, StoreError};

pub use city::{City, CitySeeding, CityShape, export_for_peer, seed_city};

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

/// Ids of the synthetic persons and venues that benchmark check-ins refer to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Population {
    pub persons: Vec<PersonId>,
    pub venues: Vec<VenueId>,
}

impl Population {
    /// The same `seed` gives the same ids, so two stores can hold identical populations.
    pub fn generate(persons: usize, venues: usize, seed: u64) -> Population {
        let mut rng = StdRng::seed_from_u64(seed);
        Population {
            persons: (0..persons)
                .map(|_| PersonId::from_uuid(random_uuid(&mut rng)))
                .collect(),
            venues: (0..venues)
                .map(|_| VenueId::from_uuid(random_uuid(&mut rng)))
                .collect(),
        }
    }
}

fn random_uuid(rng: &mut StdRng) -> uuid::Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

/// A synthetic, valid resident ID number for the `index`-th benchmark person: Hangzhou's
/// Shangcheng district, a birth date from 1950 on, a sequence number.
fn synthetic_resident_id(index: usize) -> ResidentId {
    let birth_date = jiff::civil::date(1950, 1, 1)
        .checked_add(jiff::Span::new().days((index / 1000) as i64))
        .expect("benchmark populations stay within jiff's range");
    let first_seventeen = format!("330102{}{:03}", birth_date.strftime("%Y%m%d"), index % 1000);
    ResidentId::with_check_character(&first_seventeen).expect("synthetic resident IDs are valid")
}

/// Stores the population: every person enrolled with a synthetic resident ID, name and phone
/// (sealed and hashed like real ones) in one transaction with one audit record for the lot, and
/// every venue registered. Meant for an empty store; ids already present are an error. A
/// population without venues (`Population::generate(people, 0, seed)`) is all that
/// [`seed_facts`] needs.
pub fn seed_population(
    store: &SqliteStore,
    access: &Access,
    population: &Population,
) -> Result<(), StoreError> {
    let count = population.persons.len() as u64;
    // Sealing is most of the work: it is done before the transaction, on every core, and the
    // rows then go in in id order so that the id index grows at its end.
    let seal = |(index, id): (usize, &PersonId)| {
        let person = Person {
            id: *id,
            resident_id: synthetic_resident_id(index),
            name: PersonName::parse(&format!("Bench Resident {index}"))
                .expect("a valid synthetic name"),
            phone: PhoneNumber::parse(&format!("139{:08}", index % 100_000_000))
                .expect("a valid synthetic phone"),
            enrolled_at: access.at,
        };
        let event_id = EventId::from_uuid(id.as_uuid()).expect("person ids are not nil");
        PersonRow::seal(&store.keys, &person, event_id)
    };
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let per_thread = population.persons.len().div_ceil(threads).max(1);
    let mut rows: Vec<PersonRow> = std::thread::scope(|scope| {
        let workers: Vec<_> = population
            .persons
            .chunks(per_thread)
            .enumerate()
            .map(|(chunk, persons)| {
                scope.spawn(move || {
                    persons
                        .iter()
                        .enumerate()
                        .map(|(offset, id)| seal((chunk * per_thread + offset, id)))
                        .collect::<Vec<_>>()
                })
            })
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
        Ok(Audited::success((), None, count))
    })?;
    for (index, venue) in population.venues.iter().enumerate() {
        store.register_venue(&Venue {
            id: *venue,
            name: format!("Bench Venue {index}"),
            kind: VenueKind::ALL[index % VenueKind::ALL.len()],
            district: RegionCode::parse("330102").expect("a valid region code"),
            location: GeoPoint::new(30.25, 120.17).expect("a valid point"),
            opening_hours: OpeningHours::always(),
            registered_at: access.at,
        })?;
    }
    Ok(())
}

/// How many rows [`seed_facts`] writes per transaction: enough that commits cost little, few
/// enough that the write-ahead log stays within tens of megabytes and the checkpointer copies
/// it between transactions.
const SEED_ROWS_PER_TRANSACTION: usize = 200_000;

/// Stores the facts of people already enrolled (by [`seed_population`], or by enrolment): their
/// declarations, test results, pharmacy purchases, health reports, cases, contacts and
/// overrides, through the row writers of the store's own methods, so that
/// [`Store::facts_of`](crate::Store::facts_of) and
/// [`Store::for_each_facts`](crate::Store::for_each_facts) read them back equal and override
/// reasons are sealed. A fact is stored as the fact of the person it is listed under. `stays`
/// and the region-risk list are not stored facts of a person, and are ignored.
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

/// How benchmark check-ins reach the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// As from a live feed: in order of entry, ten a second across the city, with time-ordered
    /// (version 7) event ids, which the API asks clients to generate.
    Feed,
    /// Entry times shuffled over a fortnight and random (version 4) event ids: the worst case
    /// for the indexes, as from a client that ignores the advice.
    Shuffled,
}

/// `count` check-ins of random persons at random venues from `start`, a fifth of them without a
/// time of leaving, arriving as `arrival` says. Event ids are distinct.
pub fn synthetic_check_ins(
    population: &Population,
    count: usize,
    start: Timestamp,
    seed: u64,
    arrival: Arrival,
) -> Vec<CheckIn> {
    assert!(
        !population.persons.is_empty() && !population.venues.is_empty(),
        "check-ins need at least one person and one venue"
    );
    let mut rng = StdRng::seed_from_u64(seed);
    let start = start.as_millisecond();
    (0..count)
        .map(|index| {
            let (entered, event_id) = match arrival {
                Arrival::Feed => {
                    let entered = start + index as i64 * 100;
                    let id =
                        uuid::Builder::from_unix_timestamp_millis(entered as u64, &rng.random());
                    (entered, id.into_uuid())
                }
                Arrival::Shuffled => (
                    start + rng.random_range(0..14 * 86_400_000),
                    random_uuid(&mut rng),
                ),
            };
            let entered = Timestamp::from_millisecond(entered).expect("within range");
            let left = rng.random_bool(0.8).then(|| {
                Timestamp::from_second(entered.as_second() + rng.random_range(60..4 * 3_600))
                    .expect("within range")
            });
            CheckIn::new(
                EventId::from_uuid(event_id).expect("generated UUIDs are not nil"),
                population.venues[rng.random_range(0..population.venues.len())],
                population.persons[rng.random_range(0..population.persons.len())],
                entered,
                left,
                CheckInSource::ALL[rng.random_range(0..CheckInSource::ALL.len())],
            )
            .expect("left is after entered")
        })
        .collect()
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
