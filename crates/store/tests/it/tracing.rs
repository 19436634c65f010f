//! An independent check of tracing: in a generated city, the venue contacts that the store finds
//! (`Store::trace_case`: core's algorithm over the store's visit index) equal those of a plain
//! SQL self-join over check-ins, written here from the definition alone and run on a second
//! connection to the database file. Another code path, the same answer.
//!
//! The city is small but dense, and its times sit on a five-minute grid, so that the boundaries
//! come up by themselves: overlaps of exactly the minimum, visits that only touch, visits that
//! touch the window's edges, check-ins without check-out, check-outs a day or more later.

use std::collections::BTreeSet;

use healthcode_core::rating::{CaseId, CaseRecord, CaseStatus, ContactDegree, ContactSetting};
use healthcode_core::trace::{TracedContact, TracingPolicy};
use healthcode_core::{
    Access, Actor, CheckIn, CheckInSource, EventId, PersonId, Purpose, Timestamp, VenueId,
    VenueKind,
};
use healthcode_store::sqlite::bench;
use healthcode_store::{SqliteStore, Store};
use jiff::SignedDuration;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::synthetic;

const RESIDENTS: usize = 3_000;
const VENUES: usize = 300;
const DAYS: i64 = 10;
const SEED: u64 = 20_260_201;
const FIVE_MINUTES: i64 = 5 * 60 * 1_000;

/// One contact as both sides answer it: degree, person, venue, first and last exposure and
/// time together in milliseconds, and the close contact a secondary one was found through.
type Row = (String, [u8; 16], [u8; 16], i64, i64, i64, Option<[u8; 16]>);

#[test]
fn venue_contacts_found_by_tracing_equal_those_of_a_plain_sql_self_join() {
    let temporary = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&temporary.path().join("data")).unwrap();
    let start: Timestamp = "2026-02-01T00:00:00Z".parse().unwrap();
    let residents = synthetic::residents(RESIDENTS, SEED, start);
    // Venues of every kind, so every default stay is used.
    let venues = synthetic::venues(VENUES, SEED, start);
    let persons = synthetic::person_ids(&residents);
    let seeding = Access::new(Actor::LocalOperator, Purpose::BulkImport, start);
    bench::seed_population(&store, &seeding, &residents, &venues).unwrap();
    let days = city_check_ins(&persons, &synthetic::venue_ids(&venues), start, DAYS);
    for batch in days.concat().chunks(10_000) {
        store.ingest_check_ins(&seeding, batch).unwrap();
    }

    let policy = TracingPolicy::default();
    let join = SelfJoin::open(&store, &policy);
    let (mut close, mut secondary, mut exactly_the_minimum) = (0, 0, 0);
    for (index, case) in cases(start).iter().enumerate() {
        let person = persons[index * 7];
        // Traced half a day after isolation: secondary contacts are looked for until then.
        let now = case.isolated_at + SignedDuration::from_hours(12);
        let investigation = Access::new(Actor::LocalOperator, Purpose::CaseInvestigation, now);
        store.record_case(&investigation, person, case).unwrap();
        let (_, _, traced) = store
            .trace_case(&investigation, case.case, &policy)
            .unwrap();
        let window = traced.window.expect("every case has a window");
        assert_eq!(
            (window.from(), window.to()),
            (case.onset - policy.infectious_before, case.isolated_at)
        );
        let engine: Vec<Row> = traced.contacts.iter().map(row_of).collect();
        let sql = join.contacts(person, case, now);
        assert_same(&engine, &sql, index);

        close += traced.close().count();
        secondary += traced.secondary().count();
        exactly_the_minimum += traced
            .close()
            .filter(|contact| contact.together == policy.min_overlap)
            .count();
    }
    // The comparison is not vacuous, and the boundary of the minimum overlap came up.
    assert!(close >= 100, "only {close} close contacts");
    assert!(secondary >= 1_000, "only {secondary} secondary contacts");
    assert!(
        exactly_the_minimum >= 5,
        "{exactly_the_minimum} at the minimum"
    );
}

#[test]
fn a_city_seeded_in_bulk_holds_what_ingest_would_store_under_the_same_schema() {
    let temporary = tempfile::tempdir().unwrap();
    let start: Timestamp = "2026-02-01T00:00:00+08:00".parse().unwrap();
    let residents = synthetic::residents(600, 11, start);
    let venues = synthetic::venues(60, 11, start);
    let days = city_check_ins(
        &synthetic::person_ids(&residents),
        &synthetic::venue_ids(&venues),
        start,
        3,
    );
    let access = Access::new(Actor::LocalOperator, Purpose::BulkImport, start);
    // Each day in an order of its own: the bulk writer sorts it by time of entry.
    let shuffled = days.iter().map(|day| {
        let mut day = day.clone();
        day.reverse();
        day
    });
    let seeding = bench::seed_city(
        &temporary.path().join("bulk"),
        &access,
        &residents,
        &venues,
        shuffled,
        &mut |_| {},
    )
    .unwrap();

    let ingested = SqliteStore::open(&temporary.path().join("ingest")).unwrap();
    bench::seed_population(&ingested, &access, &residents, &venues).unwrap();
    for day in &days {
        for batch in day.chunks(10_000) {
            ingested.ingest_check_ins(&access, batch).unwrap();
        }
    }
    let everyone = days.concat();
    assert_eq!(seeding.check_ins, everyone.len() as u64);

    let bulk = rusqlite::Connection::open(temporary.path().join("bulk").join("healthcode.sqlite3"))
        .unwrap();
    let ingest = rusqlite::Connection::open(ingested.database_path()).unwrap();
    let schema = "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name";
    assert_eq!(table(&bulk, schema), table(&ingest, schema));
    for query in [
        "SELECT hex(event_id), hex(venue_id), hex(person_id), entered_at, left_at, source \
         FROM check_ins ORDER BY event_id",
        "SELECT hex(id), kind FROM venues ORDER BY id",
        "SELECT hex(id) FROM persons ORDER BY id",
    ] {
        assert_eq!(table(&bulk, query), table(&ingest, query), "{query}");
    }
    let entered: Vec<i64> = table(&bulk, "SELECT entered_at FROM check_ins ORDER BY rowid")
        .iter()
        .map(|entered| entered.parse().unwrap())
        .collect();
    assert!(
        entered.is_sorted(),
        "check-ins are written in order of entry"
    );
    assert_eq!(
        table(&bulk, "PRAGMA integrity_check"),
        vec!["ok".to_owned()]
    );
    assert_eq!(table(&bulk, "PRAGMA journal_mode"), vec!["wal".to_owned()]);
}

/// Every row of a query, its columns joined by `|`.
fn table(connection: &rusqlite::Connection, query: &str) -> Vec<String> {
    let mut statement = connection.prepare(query).unwrap();
    let columns = statement.column_count();
    statement
        .query_map([], |row| {
            (0..columns)
                .map(|column| {
                    Ok(match row.get_ref(column)? {
                        rusqlite::types::ValueRef::Null => "NULL".to_owned(),
                        rusqlite::types::ValueRef::Integer(value) => value.to_string(),
                        rusqlite::types::ValueRef::Text(text) => {
                            String::from_utf8_lossy(text).into_owned()
                        }
                        other => format!("{other:?}"),
                    })
                })
                .collect::<rusqlite::Result<Vec<_>>>()
                .map(|values| values.join("|"))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Cases whose windows open and close on the five-minute grid, at various times of day, the
/// first one opening before the city's first check-in.
fn cases(start: Timestamp) -> Vec<CaseRecord> {
    (0..6i64)
        .map(|index| {
            let onset = start
                + SignedDuration::from_hours(24 * (1 + index))
                + SignedDuration::from_millis(FIVE_MINUTES * (90 + 29 * index));
            let isolated_at = onset + SignedDuration::from_hours(12 + 6 * index);
            let mut id = [0xc5; 16];
            id[15] = index as u8;
            CaseRecord {
                case: CaseId::from_bytes(id),
                status: CaseStatus::Confirmed,
                since: isolated_at,
                onset,
                isolated_at,
                released_at: None,
            }
        })
        .collect()
}

/// Three or four visits a day for everyone over `days` days from `start`, day by day, most at a
/// few popular venues, entered on the five-minute grid between 06:00 and 22:00 and lasting five
/// minutes to four hours; a quarter without check-out, a few checked out exactly a day later, a
/// few more checked out days later.
fn city_check_ins(
    persons: &[PersonId],
    venues: &[VenueId],
    start: Timestamp,
    days: i64,
) -> Vec<Vec<CheckIn>> {
    let mut rng = StdRng::seed_from_u64(SEED);
    (0..days)
        .map(|day| {
            let mut check_ins = Vec::new();
            for &person in persons {
                for _ in 0..rng.random_range(3..=4) {
                    // Squaring a uniform draw favours the first venues.
                    let popularity: f64 = rng.random();
                    let venue = venues[(popularity * popularity * venues.len() as f64) as usize];
                    let entered = start.as_millisecond()
                        + day * 86_400_000
                        + 6 * 3_600_000
                        + FIVE_MINUTES * rng.random_range(0..16 * 12);
                    let left = match rng.random_range(0..100) {
                        0..=24 => None,
                        25..=26 => Some(entered + 86_400_000),
                        27..=29 => {
                            Some(entered + FIVE_MINUTES * rng.random_range(24 * 12..72 * 12))
                        }
                        _ => Some(entered + FIVE_MINUTES * rng.random_range(1..=48)),
                    };
                    let id = uuid::Builder::from_random_bytes(rng.random()).into_uuid();
                    check_ins.push(
                        CheckIn::new(
                            EventId::from_uuid(id).unwrap(),
                            venue,
                            person,
                            Timestamp::from_millisecond(entered).unwrap(),
                            left.map(|left| Timestamp::from_millisecond(left).unwrap()),
                            CheckInSource::PersonScansVenue,
                        )
                        .unwrap(),
                    );
                }
            }
            check_ins
        })
        .collect()
}

fn row_of(contact: &TracedContact) -> Row {
    let ContactSetting::Venue(venue) = contact.setting else {
        panic!("the city has only venues, found {:?}", contact.setting);
    };
    (
        contact.degree.code().to_owned(),
        *contact.person.as_bytes(),
        *venue.as_bytes(),
        contact.first_exposure.as_millisecond(),
        contact.last_exposure.as_millisecond(),
        contact.together.as_millis() as i64,
        contact.via.map(|via| *via.as_bytes()),
    )
}

fn assert_same(engine: &[Row], sql: &[Row], case: usize) {
    let engine_set: BTreeSet<&Row> = engine.iter().collect();
    let sql_set: BTreeSet<&Row> = sql.iter().collect();
    assert_eq!(
        engine_set.len(),
        engine.len(),
        "case {case}: tracing repeats"
    );
    let only_engine: Vec<_> = engine_set.difference(&sql_set).take(5).collect();
    let only_sql: Vec<_> = sql_set.difference(&engine_set).take(5).collect();
    assert!(
        only_engine.is_empty() && only_sql.is_empty(),
        "case {case}: {} contacts by tracing, {} by SQL; only by tracing: {only_engine:?}; \
         only by SQL: {only_sql:?}",
        engine.len(),
        sql.len()
    );
    assert_eq!(engine.len(), sql.len(), "case {case}");
}

/// The plain SQL peer: its own connection to the database file, one statement from the
/// definition of a contact.
struct SelfJoin {
    connection: rusqlite::Connection,
    sql: String,
    policy: TracingPolicy,
}

impl SelfJoin {
    fn open(store: &SqliteStore, policy: &TracingPolicy) -> SelfJoin {
        let connection = rusqlite::Connection::open(store.database_path()).unwrap();
        let stays: Vec<String> = VenueKind::ALL
            .iter()
            .map(|kind| {
                format!(
                    "('{}', {})",
                    kind.code(),
                    policy.default_stay(*kind).as_millis()
                )
            })
            .collect();
        // Every visit, from entering until leaving, or for its kind's default stay without a
        // check-out, and never longer than the longest stay; indexed like any table one joins.
        connection
            .execute_batch(&format!(
                "CREATE TEMP TABLE visits AS
                 WITH stays (kind, stay) AS (VALUES {stays})
                 SELECT c.person_id AS person, c.venue_id AS venue, c.entered_at AS entered,
                        min(coalesce(c.left_at, c.entered_at + s.stay),
                            c.entered_at + {longest}) AS ends
                 FROM check_ins c JOIN venues v ON v.id = c.venue_id
                 JOIN stays s ON s.kind = v.kind;
                 CREATE INDEX temp.visits_by_venue ON visits (venue);
                 CREATE INDEX temp.visits_by_person ON visits (person);",
                stays = stays.join(", "),
                longest = policy.longest_stay.as_millis(),
            ))
            .unwrap();
        let sql = "WITH
            -- The case's visits, cut to its window.
            exposed AS (
                SELECT venue, max(entered, :opens) AS f, min(ends, :closes) AS t
                FROM visits WHERE person = :case AND max(entered, :opens) < min(ends, :closes)
            ),
            close_overlaps AS MATERIALIZED (
                SELECT o.person, o.venue, max(o.entered, e.f) AS f, min(o.ends, e.t) AS t
                FROM exposed e JOIN visits o ON o.venue = e.venue
                WHERE o.person != :case
                  AND min(o.ends, e.t) - max(o.entered, e.f) >= :min_overlap
            ),
            close_people AS (
                SELECT person, min(f) AS exposed FROM close_overlaps GROUP BY person
            ),
            -- Each close contact's visits from their first exposure until now.
            onward AS (
                SELECT p.person AS via, p.exposed, v.venue,
                       max(v.entered, p.exposed) AS f, min(v.ends, :now) AS t
                FROM close_people p JOIN visits v ON v.person = p.person
                WHERE max(v.entered, p.exposed) < min(v.ends, :now)
            ),
            secondary_overlaps AS MATERIALIZED (
                SELECT w.via, w.exposed, o.person, o.venue,
                       max(o.entered, w.f) AS f, min(o.ends, w.t) AS t
                FROM onward w JOIN visits o ON o.venue = w.venue
                WHERE o.person != w.via AND o.person != :case
                  AND o.person NOT IN (SELECT person FROM close_people)
                  AND min(o.ends, w.t) - max(o.entered, w.f) >= :min_overlap
            ),
            overlaps AS (
                SELECT 'close' AS degree, person, venue, f, t FROM close_overlaps
                UNION ALL
                SELECT 'secondary', person, venue, f, t FROM secondary_overlaps
            ),
            -- Overlapping or touching intervals merge: an island starts where an interval
            -- begins after every earlier one (in order of start) has ended.
            marked AS (
                SELECT *, max(t) OVER (PARTITION BY degree, person, venue ORDER BY f, t
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reached
                FROM overlaps
            ),
            islands AS (
                SELECT *, sum(reached IS NULL OR f > reached)
                          OVER (PARTITION BY degree, person, venue ORDER BY f, t
                                ROWS UNBOUNDED PRECEDING) AS island
                FROM marked
            ),
            merged AS (
                SELECT degree, person, venue, min(f) AS f, max(t) AS t
                FROM islands GROUP BY degree, person, venue, island
            ),
            -- A secondary contact is found through the close contact exposed first (the
            -- smallest id among those exposed at the same moment).
            vias AS (
                SELECT person, venue, via FROM (
                    SELECT person, venue, via,
                           row_number() OVER (PARTITION BY person, venue ORDER BY exposed, via) AS n
                    FROM secondary_overlaps)
                WHERE n = 1
            )
            SELECT m.degree, m.person, m.venue, min(m.f), max(m.t), sum(m.t - m.f), vias.via
            FROM merged m
            LEFT JOIN vias ON m.degree = 'secondary' AND vias.person = m.person
                          AND vias.venue = m.venue
            GROUP BY m.degree, m.person, m.venue"
            .to_owned();
        SelfJoin {
            connection,
            sql,
            policy: policy.clone(),
        }
    }

    fn contacts(&self, person: PersonId, case: &CaseRecord, now: Timestamp) -> Vec<Row> {
        let opens = case.onset - self.policy.infectious_before;
        let mut statement = self.connection.prepare_cached(&self.sql).unwrap();
        let rows = statement
            .query_map(
                rusqlite::named_params! {
                    ":min_overlap": self.policy.min_overlap.as_millis() as i64,
                    ":opens": opens.as_millisecond(),
                    ":closes": case.isolated_at.as_millisecond(),
                    ":case": person.as_bytes(),
                    ":now": now.as_millisecond(),
                },
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                        row.get(5)?,
                        row.get(6)?,
                    ))
                },
            )
            .unwrap();
        let rows: Vec<Row> = rows.map(Result::unwrap).collect();
        assert!(
            rows.iter()
                .all(|row| ContactDegree::parse(&row.0).is_ok() && row.3 < row.4),
            "the self-join answers degrees and non-empty exposures"
        );
        rows
    }
}
