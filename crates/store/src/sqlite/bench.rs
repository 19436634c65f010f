//! The pieces of the bulk-ingest benchmark (`healthcode bench ingest`): how fast
//! [`SqliteStore::ingest_check_ins`] stores check-ins, compared with a raw rusqlite peer
//! inserting the same rows into the same schema.
//!
//! 1. [`Population::generate`] picks deterministic person and venue ids from a seed;
//! 2. [`seed_population`] stores them (synthetic residents, sealed like real ones, with one audit
//!    record for the lot) so that check-ins pass their foreign-key checks;
//! 3. [`synthetic_check_ins`] draws check-ins over the population;
//! 4. [`RawPeer`] is the peer: one connection with the store's settings, a transaction per batch,
//!    one prepared `INSERT OR IGNORE` — no audit, no error mapping.
//!
//! Everything here is synthetic: no real person's data is ever generated or read.

use std::path::Path;

use healthcode_core::{
    Access, AuditAction, CheckIn, CheckInSource, EventId, GeoPoint, OpeningHours, Person, PersonId,
    PersonName, PhoneNumber, RegionCode, ResidentId, Timestamp, Venue, VenueId, VenueKind,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::TransactionBehavior;

use super::{
    Audited, INSERT_CHECK_IN, PersonRow, SqliteStore, WRITER_CACHE_KIB, insert_check_in,
    open_connection,
};
use crate::{Store, StoreError};

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
/// every venue registered. Meant for an empty store; ids already present are an error.
pub fn seed_population(
    store: &SqliteStore,
    access: &Access,
    population: &Population,
) -> Result<(), StoreError> {
    let count = population.persons.len() as u64;
    store.audited(access, AuditAction::EnrolPerson, |transaction| {
        for (index, id) in population.persons.iter().enumerate() {
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
            PersonRow::seal(&store.keys, &person, event_id).insert(transaction)?;
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
