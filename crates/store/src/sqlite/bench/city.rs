//! A city written in bulk for the tracing benchmark (`healthcode bench trace`), and its export
//! for a peer.
//!
//! [`seed_city`] writes a city into a fresh data directory: residents and venues through the
//! store (as [`seed_population`] does), then the check-ins in bulk, day by day in order of
//! entry as a live feed would have sent them, with the table's indexes dropped first and built
//! again afterwards from their own stored definitions — so that the file ends with exactly the
//! store's schema, far faster than row-by-row ingest into indexed tables could.

use std::io::{self, BufWriter, Write as _};
use std::path::Path;
use std::sync::mpsc;
use std::time::Instant;

use healthcode_core::{Access, AuditAction, CheckIn, Person, Venue};

use super::super::{
    Audited, INSERT_CHECK_IN, READER_CACHE_KIB, SqliteStore, insert_check_in, open_connection,
};
use super::seed_population;
use crate::{Store, StoreError};

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

/// Writes a city into the data directory `data_dir`, which must hold no store yet: `persons`
/// and `venues` through the store, then every check-in of `days` in bulk (see the module doc).
/// Each item of `days` is one day's check-ins, in any order: they are written sorted by time of
/// entry, then event id. `days` is drawn on a thread of its own while the last day is written.
/// `progress` hears of each step, with counts only.
///
/// The check-ins go in on a connection of their own with the journal off, foreign keys
/// unchecked (every check-in must name one of `persons` and one of `venues`) and the table's
/// indexes dropped; the indexes are then created again from the definitions the schema stored,
/// and the file returned to write-ahead logging. A failure part way leaves a data directory to throw away.
/// One audit record counts the check-ins, as one counts the residents.
pub fn seed_city(
    data_dir: &Path,
    access: &Access,
    persons: &[Person],
    venues: &[Venue],
    days: impl Iterator<Item = Vec<CheckIn>> + Send,
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
    seed_population(&store, access, persons, &[])?;
    let residents_seconds = started.elapsed().as_secs_f64();
    progress(&format!(
        "stored {} residents in {residents_seconds:.1} s",
        persons.len()
    ));

    let started = Instant::now();
    for venue in venues {
        store.register_venue(venue)?;
    }
    let venues_seconds = started.elapsed().as_secs_f64();
    progress(&format!(
        "registered {} venues in {venues_seconds:.1} s",
        venues.len()
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
        let (drawn, arriving) = mpsc::sync_channel::<Vec<CheckIn>>(1);
        scope.spawn(move || {
            for mut check_ins in days {
                check_ins
                    .sort_unstable_by_key(|check_in| (check_in.entered(), check_in.event_id()));
                if drawn.send(check_ins).is_err() {
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
