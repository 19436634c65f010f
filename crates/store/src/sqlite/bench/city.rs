//! A synthetic city for the tracing benchmark (`healthcode bench trace`), and its bulk seeding.
//!
//! [`City::generate`] draws from a seed a population and its venues: about one venue per twenty
//! residents, of every kind in the shares of a large city (shops and restaurants most, a few
//! hundred subway stations, one airport), each with a popularity drawn from a log-normal
//! distribution, so that a few venues are crowded and most are quiet. Every resident has a home
//! (a residential compound) and most have a workplace (an office, a factory or a school).
//!
//! [`City::day`] draws one day of everyone's check-ins, the same for the same seed: on working
//! days most people pass their compound's gate, often a subway station, spend the day at work,
//! some have lunch out; everyone runs errands (shops, restaurants, supermarkets, stations,
//! malls, clinics, …) with durations typical of each kind. Gates and stations are rarely checked
//! out of, other venues usually are, and a few check-outs come days late (forgotten).
//!
//! [`seed_city`] writes a city into a fresh data directory: residents and venues through the
//! store (as [`seed_population`](super::seed_population) does), then the check-ins in bulk, in
//! order of entry as a live feed would have sent them, with the table's indexes dropped first
//! and built again afterwards from their own stored definitions — so that the file ends with
//! exactly the store's schema, far faster than row-by-row ingest into indexed tables could.
//!
//! Everything here is synthetic: no real person's data is ever generated or read.

use std::io::{self, BufWriter, Write as _};
use std::path::Path;
use std::sync::mpsc;
use std::time::Instant;

use healthcode_core::{
    Access, AuditAction, CheckIn, CheckInSource, EventId, GeoPoint, OpeningHours, RegionCode,
    Timestamp, Venue, VenueKind,
};
use jiff::civil::Weekday;
use rand::rngs::{SmallRng, StdRng};
use rand::{Rng, SeedableRng};

use super::super::{
    Audited, INSERT_CHECK_IN, READER_CACHE_KIB, SqliteStore, insert_check_in, open_connection,
};
use super::{Population, seed_population};
use crate::{Store, StoreError};

/// What to generate: how many residents and check-ins over how many days from when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CityShape {
    pub residents: usize,
    /// About how many check-ins over all the days together (the mean number of visits a day
    /// follows from it; a late evening's last errands are sometimes dropped).
    pub check_ins: u64,
    pub days: u32,
    /// The first day's local midnight.
    pub start: Timestamp,
    pub seed: u64,
}

/// A generated city: its residents, venues and their kinds, and everyone's habits.
pub struct City {
    pub shape: CityShape,
    /// Person and venue ids, as [`Population::generate`] draws them.
    pub population: Population,
    /// The kind of each venue of `population.venues`.
    pub venue_kinds: Vec<VenueKind>,
    /// The venues of each kind (indexed as [`VenueKind::ALL`]), to be picked by popularity.
    by_kind: Vec<Choice>,
    /// Each resident's residential compound (a venue index).
    homes: Vec<u32>,
    /// Each resident's workplace (a venue index), or [`NO_WORKPLACE`].
    workplaces: Vec<u32>,
    /// The local weekday of each day.
    weekdays: Vec<Weekday>,
}

impl std::fmt::Debug for City {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("City")
            .field("shape", &self.shape)
            .finish_non_exhaustive()
    }
}

const NO_WORKPLACE: u32 = u32::MAX;
const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// The share of venues of each kind, in parts per ten thousand (shops take what is left).
const VENUE_SHARES: [(VenueKind, u32); 19] = [
    (VenueKind::Restaurant, 2_000),
    (VenueKind::Office, 1_400),
    (VenueKind::Supermarket, 400),
    (VenueKind::Market, 100),
    (VenueKind::Mall, 50),
    (VenueKind::Factory, 300),
    (VenueKind::School, 150),
    (VenueKind::Hospital, 30),
    (VenueKind::Clinic, 200),
    (VenueKind::Pharmacy, 400),
    (VenueKind::Hotel, 200),
    (VenueKind::Gym, 250),
    (VenueKind::PlaceOfWorship, 100),
    (VenueKind::ResidentialCompound, 500),
    (VenueKind::SubwayStation, 60),
    (VenueKind::BusStation, 200),
    (VenueKind::RailwayStation, 5),
    (VenueKind::Airport, 1),
    (VenueKind::HighwayCheckpoint, 20),
];

/// What errands people run, by weight.
const ERRANDS: [(VenueKind, u32); 20] = [
    (VenueKind::Shop, 220),
    (VenueKind::Restaurant, 200),
    (VenueKind::SubwayStation, 130),
    (VenueKind::Supermarket, 110),
    (VenueKind::BusStation, 50),
    (VenueKind::Mall, 50),
    (VenueKind::Market, 40),
    (VenueKind::Pharmacy, 40),
    (VenueKind::ResidentialCompound, 30),
    (VenueKind::Gym, 30),
    (VenueKind::Clinic, 20),
    (VenueKind::Office, 20),
    (VenueKind::Hospital, 10),
    (VenueKind::PlaceOfWorship, 10),
    (VenueKind::Hotel, 5),
    (VenueKind::RailwayStation, 5),
    (VenueKind::HighwayCheckpoint, 5),
    (VenueKind::School, 5),
    (VenueKind::Factory, 3),
    (VenueKind::Airport, 2),
];

/// How long an errand at a venue of this kind lasts (minutes, from and to) and how often its
/// visitors check out.
fn errand_shape(kind: VenueKind) -> (i64, i64, f64) {
    match kind {
        VenueKind::Shop => (5, 40, 0.75),
        VenueKind::Supermarket => (15, 60, 0.75),
        VenueKind::Market => (15, 60, 0.6),
        VenueKind::Mall => (30, 180, 0.7),
        VenueKind::Restaurant => (30, 100, 0.75),
        VenueKind::Office | VenueKind::Factory | VenueKind::School => (30, 120, 0.75),
        VenueKind::Hospital => (30, 240, 0.7),
        VenueKind::Clinic => (20, 90, 0.75),
        VenueKind::Pharmacy => (3, 15, 0.6),
        VenueKind::Hotel => (60, 720, 0.8),
        VenueKind::Gym | VenueKind::PlaceOfWorship => (45, 120, 0.7),
        // Visiting friends in another compound.
        VenueKind::ResidentialCompound => (60, 180, 0.3),
        VenueKind::SubwayStation => (5, 25, 0.1),
        VenueKind::BusStation => (5, 30, 0.1),
        VenueKind::RailwayStation => (30, 120, 0.3),
        VenueKind::Airport => (60, 180, 0.3),
        VenueKind::HighwayCheckpoint => (1, 10, 0.05),
    }
}

fn kind_index(kind: VenueKind) -> usize {
    VenueKind::ALL
        .iter()
        .position(|candidate| *candidate == kind)
        .expect("every kind is in ALL")
}

/// Venues to pick from, each as likely as its popularity.
struct Choice {
    venues: Vec<u32>,
    /// Running totals of the venues' popularity.
    cumulative: Vec<f64>,
}

impl Choice {
    fn new(venues: Vec<u32>, popularity: impl Fn(u32) -> f64) -> Choice {
        let mut total = 0.0;
        let cumulative = venues
            .iter()
            .map(|&venue| {
                total += popularity(venue);
                total
            })
            .collect();
        Choice { venues, cumulative }
    }

    fn pick(&self, rng: &mut impl Rng) -> u32 {
        let total = *self.cumulative.last().expect("every kind has a venue");
        let drawn = rng.random::<f64>() * total;
        let index = self.cumulative.partition_point(|&sum| sum <= drawn);
        self.venues[index.min(self.venues.len() - 1)]
    }
}

/// A draw from the log-normal distribution with median 1 and spread `sigma`.
fn log_normal(rng: &mut impl Rng, sigma: f64) -> f64 {
    // Box–Muller.
    let uniform: f64 = rng.random_range(f64::EPSILON..1.0);
    let angle: f64 = rng.random_range(0.0..std::f64::consts::TAU);
    let normal = (-2.0 * uniform.ln()).sqrt() * angle.cos();
    (sigma * normal).exp()
}

impl City {
    /// Draws the city of `shape`: the same shape gives the same city.
    ///
    /// # Panics
    /// If there are no residents or no days.
    pub fn generate(shape: CityShape) -> City {
        assert!(
            shape.residents > 0 && shape.days > 0,
            "a city needs residents and days"
        );
        let venue_count = (shape.residents / 20).max(VenueKind::ALL.len());
        let population = Population::generate(shape.residents, venue_count, shape.seed);
        let mut rng = StdRng::seed_from_u64(shape.seed ^ 0x5eed_c17e);

        // At least one venue of every kind; in a small city the largest shares give way.
        let mut counts: Vec<(VenueKind, usize)> = VENUE_SHARES
            .iter()
            .map(|&(kind, share)| (kind, (venue_count * share as usize / 10_000).max(1)))
            .collect();
        while counts.iter().map(|(_, count)| count).sum::<usize>() >= venue_count {
            let largest = counts
                .iter_mut()
                .max_by_key(|(_, count)| *count)
                .expect("there are shares");
            largest.1 -= 1;
        }
        let mut venue_kinds = Vec::with_capacity(venue_count);
        for (kind, count) in counts {
            venue_kinds.extend(std::iter::repeat_n(kind, count));
        }
        venue_kinds.resize(venue_count, VenueKind::Shop);
        // Shuffled, so that a venue's kind says nothing about its id.
        for index in (1..venue_kinds.len()).rev() {
            venue_kinds.swap(index, rng.random_range(0..=index));
        }
        let popularity: Vec<f64> = venue_kinds
            .iter()
            .map(|kind| match kind {
                VenueKind::ResidentialCompound => log_normal(&mut rng, 0.5),
                _ => log_normal(&mut rng, 1.0),
            })
            .collect();
        let by_kind: Vec<Choice> = VenueKind::ALL
            .iter()
            .map(|kind| {
                let venues = (0..venue_count as u32)
                    .filter(|&venue| venue_kinds[venue as usize] == *kind)
                    .collect();
                Choice::new(venues, |venue| popularity[venue as usize])
            })
            .collect();

        let homes = (0..shape.residents)
            .map(|_| by_kind[kind_index(VenueKind::ResidentialCompound)].pick(&mut rng))
            .collect();
        let workplaces = (0..shape.residents)
            .map(|_| {
                let kind = match rng.random_range(0..100) {
                    0..=48 => VenueKind::Office,
                    49..=61 => VenueKind::Factory,
                    62..=69 => VenueKind::School,
                    _ => return NO_WORKPLACE,
                };
                by_kind[kind_index(kind)].pick(&mut rng)
            })
            .collect();
        let first_day = shape
            .start
            .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
            .date();
        let weekdays = (0..shape.days)
            .map(|day| {
                first_day
                    .checked_add(jiff::Span::new().days(i64::from(day)))
                    .expect("benchmark days stay within jiff's range")
                    .weekday()
            })
            .collect();
        City {
            shape,
            population,
            venue_kinds,
            by_kind,
            homes,
            workplaces,
            weekdays,
        }
    }

    /// The venues, as registered: the kind drawn for each, in the city's district.
    pub fn venues(&self, registered_at: Timestamp) -> impl Iterator<Item = Venue> + '_ {
        self.population
            .venues
            .iter()
            .zip(&self.venue_kinds)
            .enumerate()
            .map(move |(index, (id, kind))| Venue {
                id: *id,
                name: format!("Bench Venue {index}"),
                kind: *kind,
                district: RegionCode::parse("330102").expect("a valid region code"),
                location: GeoPoint::new(30.25, 120.17).expect("a valid point"),
                opening_hours: OpeningHours::always(),
                registered_at,
            })
    }

    /// Everyone's check-ins of day `day` (from 0), in order of entry (then of event id).
    pub fn day(&self, day: u32) -> Vec<CheckIn> {
        let mut check_ins = Vec::with_capacity(
            (self.shape.check_ins / u64::from(self.shape.days)) as usize + 1_000,
        );
        for resident in 0..self.shape.residents {
            self.resident_day(resident, day, &mut check_ins);
        }
        check_ins.sort_unstable_by_key(|check_in| (check_in.entered(), check_in.event_id()));
        check_ins
    }

    /// One resident's check-ins of one day, drawn from a generator of their own for that day.
    fn resident_day(&self, resident: usize, day: u32, check_ins: &mut Vec<CheckIn>) {
        let mut rng = SmallRng::seed_from_u64(
            self.shape.seed
                ^ (resident as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
                ^ u64::from(day).wrapping_mul(0xc2b2_ae3d_27d4_eb4f),
        );
        let mean = self.shape.check_ins as f64
            / (self.shape.residents as f64 * f64::from(self.shape.days));
        let mut remaining = mean.floor() as i64 + i64::from(rng.random_bool(mean.fract()));
        match rng.random_range(0..4) {
            0 => remaining -= 1,
            1 => remaining += 1,
            _ => {}
        }
        let midnight = self.shape.start.as_millisecond() + i64::from(day) * DAY_MS;
        let last_entry = midnight + DAY_MS - 30 * MINUTE_MS;
        let person = self.population.persons[resident];
        let mut visit =
            |venue: u32, entered: i64, minutes: i64, checks_out: f64, rng: &mut SmallRng| {
                let entered = entered + rng.random_range(0..MINUTE_MS);
                let left = rng.random_bool(checks_out).then(|| {
                    if rng.random_bool(0.003) {
                        // Forgotten, and checked out a day or more later.
                        entered + rng.random_range(25 * HOUR_MS..72 * HOUR_MS)
                    } else {
                        entered + minutes * MINUTE_MS + rng.random_range(0..MINUTE_MS)
                    }
                });
                let kind = self.venue_kinds[venue as usize];
                let source = match kind {
                    VenueKind::ResidentialCompound | VenueKind::HighwayCheckpoint => {
                        CheckInSource::Checkpoint
                    }
                    _ if rng.random_bool(0.3) => CheckInSource::VenueScansPerson,
                    _ => CheckInSource::PersonScansVenue,
                };
                let event_id =
                    uuid::Builder::from_unix_timestamp_millis(entered as u64, &rng.random())
                        .into_uuid();
                check_ins.push(
                    CheckIn::new(
                        EventId::from_uuid(event_id).expect("a time-ordered id is not nil"),
                        self.population.venues[venue as usize],
                        person,
                        Timestamp::from_millisecond(entered).expect("within range"),
                        left.map(|left| Timestamp::from_millisecond(left).expect("within range")),
                        source,
                    )
                    .expect("a visit lasts at least a minute"),
                );
            };

        let mut at = midnight + 6 * HOUR_MS + 30 * MINUTE_MS + rng.random_range(0..120) * MINUTE_MS;
        if remaining > 0 && rng.random_bool(0.6) {
            // Through the compound's gate on the way out.
            visit(
                self.homes[resident],
                at,
                rng.random_range(1..10),
                0.05,
                &mut rng,
            );
            at += rng.random_range(5..15) * MINUTE_MS;
            remaining -= 1;
        }
        let workplace = self.workplaces[resident];
        let working_day = !matches!(
            self.weekdays[day as usize],
            Weekday::Saturday | Weekday::Sunday
        );
        if workplace != NO_WORKPLACE && working_day && remaining > 0 && rng.random_bool(0.9) {
            if remaining > 1 && rng.random_bool(0.5) {
                let station = self.by_kind[kind_index(VenueKind::SubwayStation)].pick(&mut rng);
                visit(station, at, rng.random_range(5..25), 0.1, &mut rng);
                at += rng.random_range(20..50) * MINUTE_MS;
                remaining -= 1;
            }
            let arrives = at.max(midnight + 8 * HOUR_MS + rng.random_range(0..90) * MINUTE_MS);
            let hours = match self.venue_kinds[workplace as usize] {
                VenueKind::School => rng.random_range(7 * 60..9 * 60),
                _ => rng.random_range(8 * 60..10 * 60),
            };
            visit(workplace, arrives, hours, 0.75, &mut rng);
            remaining -= 1;
            if remaining > 0 && rng.random_bool(0.4) {
                let restaurant = self.by_kind[kind_index(VenueKind::Restaurant)].pick(&mut rng);
                let lunch = midnight + 11 * HOUR_MS + 45 * MINUTE_MS;
                visit(
                    restaurant,
                    lunch + rng.random_range(0..45) * MINUTE_MS,
                    rng.random_range(30..70),
                    0.75,
                    &mut rng,
                );
                remaining -= 1;
            }
            at = arrives + hours * MINUTE_MS + rng.random_range(10..40) * MINUTE_MS;
        }
        let errand_total: u32 = ERRANDS.iter().map(|(_, weight)| weight).sum();
        while remaining > 0 && at < last_entry {
            let mut drawn = rng.random_range(0..errand_total);
            let kind = ERRANDS
                .iter()
                .find(|(_, weight)| {
                    let found = drawn < *weight;
                    drawn = drawn.saturating_sub(*weight);
                    found
                })
                .map_or(VenueKind::Shop, |(kind, _)| *kind);
            let venue = self.by_kind[kind_index(kind)].pick(&mut rng);
            let (shortest, longest, checks_out) = errand_shape(kind);
            let minutes = rng.random_range(shortest..=longest);
            visit(venue, at, minutes, checks_out, &mut rng);
            at += (minutes + rng.random_range(10..60)) * MINUTE_MS;
            remaining -= 1;
        }
    }
}

/// How long each step of [`seed_city`] took, and what it wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct CitySeeding {
    pub check_ins: u64,
    pub residents_seconds: f64,
    pub venues_seconds: f64,
    /// Drawing the check-ins and writing them into the table, its indexes dropped.
    pub check_ins_seconds: f64,
    /// Building the table's indexes again.
    pub indexes_seconds: f64,
}

/// Page cache of the seeding connection, in KiB: index builds sort in it.
const SEEDING_CACHE_KIB: i64 = 2 * 1024 * 1024;

/// Writes `city` into the data directory `data_dir`, which must hold no store yet: residents
/// and venues through the store, then every check-in in bulk (see the module doc). `progress`
/// hears of each step, with counts only.
///
/// The check-ins go in on a connection of their own with the journal off, foreign keys
/// unchecked (every id comes from the city's own population) and the table's indexes dropped;
/// the indexes are then created again from the definitions the schema stored, and the file
/// returned to write-ahead logging. A failure part way leaves a data directory to throw away.
/// One audit record counts the check-ins, as one counts the residents.
pub fn seed_city(
    data_dir: &Path,
    access: &Access,
    city: &City,
    progress: &mut dyn FnMut(&str),
) -> Result<CitySeeding, StoreError> {
    let store = SqliteStore::open(data_dir)?;
    let has_residents = store.readers.with(|connection| {
        Ok(connection
            .prepare("SELECT 1 FROM persons LIMIT 1")?
            .exists([])?)
    })?;
    if has_residents {
        return Err(StoreError::Conflict(
            "a city is seeded only into an empty data directory",
        ));
    }
    let started = Instant::now();
    let residents = Population {
        persons: city.population.persons.clone(),
        venues: Vec::new(),
    };
    seed_population(&store, access, &residents)?;
    let residents_seconds = started.elapsed().as_secs_f64();
    progress(&format!(
        "stored {} residents in {residents_seconds:.1} s",
        residents.persons.len()
    ));

    let started = Instant::now();
    for venue in city.venues(access.at) {
        store.register_venue(&venue)?;
    }
    let venues_seconds = started.elapsed().as_secs_f64();
    progress(&format!(
        "registered {} venues in {venues_seconds:.1} s",
        city.population.venues.len()
    ));
    let database_path = store.database_path().to_owned();
    drop(store);

    let connection = open_connection(&database_path, SEEDING_CACHE_KIB)?;
    connection.pragma_update(None, "foreign_keys", false)?;
    let journal: String =
        connection.pragma_update_and_check(None, "journal_mode", "OFF", |row| row.get(0))?;
    if !journal.eq_ignore_ascii_case("off") {
        return Err(StoreError::Backend(
            format!("SQLite kept journal mode {journal} for seeding").into(),
        ));
    }
    connection.pragma_update(None, "synchronous", "OFF")?;
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    connection.pragma_update(None, "threads", threads as i64)?;
    let indexes: Vec<(String, String)> = connection
        .prepare(
            "SELECT name, sql FROM sqlite_schema \
             WHERE type = 'index' AND tbl_name = 'check_ins' AND sql IS NOT NULL ORDER BY name",
        )?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (name, _) in &indexes {
        connection.execute_batch(&format!("DROP INDEX \"{name}\""))?;
    }

    let started = Instant::now();
    let mut stored = 0u64;
    connection.execute_batch("BEGIN")?;
    // One thread draws the next day while this one writes the last.
    let written: Result<(), StoreError> = std::thread::scope(|scope| {
        let (days, arriving) = mpsc::sync_channel::<Vec<CheckIn>>(1);
        scope.spawn(move || {
            for day in 0..city.shape.days {
                if days.send(city.day(day)).is_err() {
                    break;
                }
            }
        });
        let mut statement = connection.prepare_cached(INSERT_CHECK_IN)?;
        for (day, check_ins) in arriving.iter().enumerate() {
            for check_in in &check_ins {
                stored += insert_check_in(&mut statement, check_in)? as u64;
            }
            progress(&format!(
                "day {}: {} check-ins, {stored} in all, {:.1} s",
                day + 1,
                check_ins.len(),
                started.elapsed().as_secs_f64()
            ));
        }
        Ok(())
    });
    written?;
    connection.execute_batch("COMMIT")?;
    let check_ins_seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    for (name, sql) in &indexes {
        connection.execute_batch(sql)?;
        progress(&format!(
            "built index {name} in {:.1} s",
            started.elapsed().as_secs_f64()
        ));
    }
    let indexes_seconds = started.elapsed().as_secs_f64();
    let journal: String =
        connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !journal.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend(
            format!("SQLite refused to return to WAL mode (journal mode {journal})").into(),
        ));
    }
    drop(connection);

    let store = SqliteStore::open(data_dir)?;
    store.audited(access, AuditAction::IngestCheckIns, |_| {
        Ok(Audited::success((), None, stored))
    })?;
    Ok(CitySeeding {
        check_ins: stored,
        residents_seconds,
        venues_seconds,
        check_ins_seconds,
        indexes_seconds,
    })
}

/// Writes every check-in (venue, person, entry and exit in milliseconds, the exit empty when
/// there is none; ids as 32 hexadecimal digits) and every venue's kind as CSV with a header,
/// for a peer that cannot read SQLite. Answers how many check-ins were written.
pub fn export_for_peer(
    database_path: &Path,
    check_ins: &Path,
    venues: &Path,
) -> Result<u64, StoreError> {
    let connection = open_connection(database_path, READER_CACHE_KIB)?;
    connection.pragma_update(None, "query_only", true)?;
    let io_error = |error: io::Error| StoreError::Backend(Box::new(error));
    let mut out =
        BufWriter::with_capacity(1 << 20, std::fs::File::create(venues).map_err(io_error)?);
    out.write_all(b"id,kind\n").map_err(io_error)?;
    let mut statement = connection.prepare("SELECT id, kind FROM venues")?;
    let mut rows = statement.query([])?;
    let mut line = Vec::with_capacity(128);
    while let Some(row) = rows.next()? {
        line.clear();
        push_hex(&mut line, &row.get::<_, [u8; 16]>(0)?);
        line.push(b',');
        line.extend_from_slice(row.get::<_, String>(1)?.as_bytes());
        line.push(b'\n');
        out.write_all(&line).map_err(io_error)?;
    }
    out.flush().map_err(io_error)?;

    let mut out =
        BufWriter::with_capacity(1 << 20, std::fs::File::create(check_ins).map_err(io_error)?);
    out.write_all(b"venue_id,person_id,entered_at,left_at\n")
        .map_err(io_error)?;
    let mut statement =
        connection.prepare("SELECT venue_id, person_id, entered_at, left_at FROM check_ins")?;
    let mut rows = statement.query([])?;
    let mut written = 0u64;
    while let Some(row) = rows.next()? {
        line.clear();
        push_hex(&mut line, &row.get::<_, [u8; 16]>(0)?);
        line.push(b',');
        push_hex(&mut line, &row.get::<_, [u8; 16]>(1)?);
        match row.get::<_, Option<i64>>(3)? {
            Some(left) => writeln!(line, ",{},{left}", row.get::<_, i64>(2)?),
            None => writeln!(line, ",{},", row.get::<_, i64>(2)?),
        }
        .map_err(io_error)?;
        out.write_all(&line).map_err(io_error)?;
        written += 1;
    }
    out.flush().map_err(io_error)?;
    Ok(written)
}

fn push_hex(line: &mut Vec<u8>, bytes: &[u8; 16]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for byte in bytes {
        line.push(DIGITS[usize::from(byte >> 4)]);
        line.push(DIGITS[usize::from(byte & 0x0f)]);
    }
}
