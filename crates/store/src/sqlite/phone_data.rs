//! How phone-network data is written to and read from SQLite: cells, raw pings and their
//! reduction to daily stays and city days at ingest, the retention purge, the itinerary, and
//! proximity searches with their candidates and reviews.
//!
//! The reduction itself is core's ([`daily_stays`], [`city_days`]); this module only widens the
//! stored stays with what a batch reduces to. A proximity search's purpose and a review's
//! reason are free text written about people: they reach SQL only sealed, with their row as
//! associated data, and are never logged.

use std::collections::{BTreeMap, HashMap};

use healthcode_core::phone::proximity::{
    CandidateReview, CandidateStay, ProximityCandidate, ProximityQuery, ProximitySearch,
    ProximitySearchId, ProximitySearchRecord, ReviewDecision, nearby_contact,
};
use healthcode_core::phone::{city_days, daily_stays};
use healthcode_core::rating::{CaseId, ContactId};
use healthcode_core::{
    Cell, CellId, CellPing, City, CityDay, Date, EventId, GeoPoint, PersonId, PersonName,
    RegionCode, StaffId, Timestamp,
};
use jiff::tz::Offset;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use sha2::{Digest, Sha256};

use super::encoding::{corrupt, id_bytes, millis, optional_id_bytes, text, timestamp};
use super::fact_rows::FactRow;
use super::{Audited, Refusal, SEALED_NAME, person_exists, single_subject};
use crate::{
    IngestReport, KeyRing, PhonePurgeReport, PingIngestReport, Reference, StoreError, Write,
};

/// Columns of sealed free text; with their row they are the associated data of the ciphertext.
const SEALED_SEARCH_PURPOSE: &str = "proximity_searches.purpose";
const SEALED_REVIEW_REASON: &str = "proximity_candidates.reason";

const CELL_COLUMNS: &str = "cell_id, latitude, longitude, city, registered_at";

fn decode_cell(row: &Row<'_>) -> Result<Cell, StoreError> {
    let id = CellId::parse(text(row, 0, "cells.cell_id")?)
        .map_err(|_| corrupt("cells.cell_id is not a cell id"))?;
    let location = GeoPoint::new(row.get(1)?, row.get(2)?)
        .map_err(|_| corrupt("cells.latitude or longitude is out of range"))?;
    Ok(Cell {
        id,
        location,
        city: decode_city(row.get(3)?, "cells.city")?,
        registered_at: timestamp(row.get(4)?, "cells.registered_at")?,
    })
}

/// A stored city code: exactly a city's code, never a district's.
fn decode_city(number: u32, column: &str) -> Result<City, StoreError> {
    RegionCode::from_number(number)
        .ok()
        .and_then(|region| City::of(region).ok().filter(|city| city.region() == region))
        .ok_or_else(|| corrupt(&format!("{column} is not a city code")))
}

fn decode_day(row: &Row<'_>, index: usize, column: &str) -> Result<Date, StoreError> {
    text(row, index, column)?
        .parse()
        .map_err(|_| corrupt(&format!("{column} is not a date")))
}

/// The columns of `itinerary_days` [`decode_city_day`] reads, `person_id` last.
pub(super) const CITY_DAY_COLUMNS: &str = "day, city, event_id, first_seen, last_seen, person_id";

/// A row of `itinerary_days`, read through [`CITY_DAY_COLUMNS`].
pub(super) fn decode_city_day(row: &Row<'_>) -> Result<CityDay, StoreError> {
    Ok(CityDay {
        day: decode_day(row, 0, "itinerary_days.day")?,
        city: decode_city(row.get(1)?, "itinerary_days.city")?,
        event_id: EventId::from_bytes(id_bytes(row, 2, "itinerary_days.event_id")?)
            .map_err(|_| corrupt("itinerary_days.event_id is nil"))?,
        first_seen: timestamp(row.get(3)?, "itinerary_days.first_seen")?,
        last_seen: timestamp(row.get(4)?, "itinerary_days.last_seen")?,
    })
}

/// The event id of a person's day in a city: the first 16 bytes of a SHA-256 over them, as a
/// version 8 (custom) UUID. The same arguments always give the same id, so a rating's evidence
/// names the same itinerary day however often it is rated; the person id cannot be read back
/// from it.
pub(super) fn city_day_event_id(person: PersonId, day: Date, city: City) -> EventId {
    let mut hasher = Sha256::new();
    hasher.update(b"healthcode itinerary day\0");
    hasher.update(person.as_bytes());
    hasher.update(day.to_string().as_bytes());
    hasher.update(city.region().as_number().to_be_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    EventId::from_bytes(bytes).expect("the version bits make the id non-nil")
}

/// Raw pings past their retention: one range of the key.
const PURGE_PINGS: &str = "DELETE FROM cell_pings WHERE seen_at < ?1";
/// One cell's daily stays past their retention: one range of the key.
const PURGE_DAILY_STAYS: &str =
    "DELETE FROM daily_stays WHERE cell_id = ?1 AND day <= ?2 AND last_seen < ?3";
/// City days past their retention: one range of `itinerary_days_by_day`.
const PURGE_CITY_DAYS: &str = "DELETE FROM itinerary_days WHERE day <= ?1 AND last_seen < ?2";
/// The stays in one cell that meet a window: one range of the key.
const STAYS_IN_CELL: &str = "SELECT person_id, first_seen, last_seen FROM daily_stays \
     WHERE cell_id = ?1 AND day >= ?2 AND day <= ?3 AND first_seen <= ?4 AND last_seen >= ?5";

/// A person's city days between two days, in order: one range of the key.
fn city_days_of_sql() -> String {
    format!(
        "SELECT {CITY_DAY_COLUMNS} FROM itinerary_days \
         WHERE person_id = ?1 AND day >= ?2 AND day <= ?3 ORDER BY day, city"
    )
}

// ---------------------------------------------------------------------------------------------
// Cells

/// Registers `cells`; see [`crate::Store::register_cells`].
pub(super) fn register_cells(
    transaction: &Transaction<'_>,
    cells: &[Cell],
) -> Result<Audited<IngestReport>, Refusal> {
    let records = cells.len() as u64;
    let mut select = transaction.prepare_cached(&format!(
        "SELECT {CELL_COLUMNS} FROM cells WHERE cell_id = ?1"
    ))?;
    let mut insert = transaction.prepare_cached(
        "INSERT INTO cells (cell_id, latitude, longitude, city, registered_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut stored = 0;
    for cell in cells {
        let registered = select
            .query_and_then([cell.id.as_str()], decode_cell)?
            .next()
            .transpose()?;
        match registered {
            Some(registered) if registered.same_registration(cell) => {}
            Some(_) => {
                return Err(Refusal::Refused {
                    error: StoreError::Conflict(
                        "a cell in the batch is registered with another location or city",
                    ),
                    subject: None,
                    records,
                });
            }
            None => {
                insert.execute(params![
                    cell.id.as_str(),
                    cell.location.latitude(),
                    cell.location.longitude(),
                    cell.city.region().as_number(),
                    millis(cell.registered_at),
                ])?;
                stored += 1;
            }
        }
    }
    let report = IngestReport {
        stored,
        duplicates: records - stored,
    };
    Ok(Audited::success(report, None, records))
}

/// The registered cell of each id, in order.
pub(super) fn cells(
    connection: &Connection,
    ids: &[CellId],
) -> Result<Vec<Option<Cell>>, StoreError> {
    let mut select = connection.prepare_cached(&format!(
        "SELECT {CELL_COLUMNS} FROM cells WHERE cell_id = ?1"
    ))?;
    ids.iter()
        .map(|id| {
            select
                .query_and_then([id.as_str()], decode_cell)?
                .next()
                .transpose()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Pings, daily stays and city days

/// Stores and reduces a batch of pings; see [`crate::Store::ingest_cell_pings`].
pub(super) fn ingest_cell_pings(
    transaction: &Transaction<'_>,
    pings: &[(PersonId, CellPing)],
    offset: Offset,
) -> Result<Audited<PingIngestReport>, Refusal> {
    let subject = single_subject(pings.iter().map(|(person, _)| *person));
    let records = pings.len() as u64;
    let refused = |index: usize, reference: Reference| Refusal::Refused {
        error: StoreError::UnknownReference { index, reference },
        subject,
        records,
    };
    // The city of every cell the batch names, `None` for a cell not registered.
    let mut city_of: HashMap<&CellId, Option<City>> = HashMap::new();
    {
        let mut select = transaction.prepare_cached("SELECT city FROM cells WHERE cell_id = ?1")?;
        for (_, ping) in pings {
            if city_of.contains_key(&ping.cell) {
                continue;
            }
            let city = select
                .query_row([ping.cell.as_str()], |row| row.get::<_, u32>(0))
                .optional()?
                .map(|number| decode_city(number, "cells.city"))
                .transpose()?;
            city_of.insert(&ping.cell, city);
        }
    }
    let first_unknown = |transaction: &Transaction<'_>| -> Result<Option<Refusal>, StoreError> {
        for (index, (person, ping)) in pings.iter().enumerate() {
            if !person_exists(transaction, *person)? {
                return Ok(Some(refused(index, Reference::Person)));
            }
            if city_of.get(&ping.cell).copied().flatten().is_none() {
                return Ok(Some(refused(index, Reference::Cell)));
            }
        }
        Ok(None)
    };
    if city_of.values().any(Option::is_none) {
        return Err(first_unknown(transaction)?
            .ok_or_else(|| corrupt("a cell was unknown, then known, in one transaction"))?);
    }

    // Times are kept to the millisecond: reduce what is stored, so that stays read back as
    // they were widened.
    let mut order: Vec<usize> = (0..pings.len()).collect();
    order.sort_by_key(|&index| (pings[index].1.seen_at, *pings[index].1.event_id.as_bytes()));
    let mut new_pings: Vec<(PersonId, CellPing)> = Vec::new();
    {
        let mut insert = transaction.prepare_cached(
            "INSERT OR IGNORE INTO cell_pings (seen_at, event_id, person_id, cell_id) \
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        for index in order {
            let (person, ping) = &pings[index];
            let inserted = insert.execute(params![
                millis(ping.seen_at),
                ping.event_id.as_bytes(),
                person.as_bytes(),
                ping.cell.as_str(),
            ]);
            match inserted {
                Ok(0) => {}
                Ok(_) => new_pings.push((
                    *person,
                    CellPing {
                        seen_at: timestamp(millis(ping.seen_at), "cell_pings.seen_at")?,
                        ..ping.clone()
                    },
                )),
                Err(error) if super::is_foreign_key_violation(&error) => {
                    return Err(
                        first_unknown(transaction)?.ok_or_else(|| Refusal::Failed(error.into()))?
                    );
                }
                Err(error) => return Err(error.into()),
            }
        }
    }
    let stored = new_pings.len() as u64;

    let stays = daily_stays(
        new_pings.iter().map(|(person, ping)| (*person, ping)),
        offset,
    );
    {
        let mut widen = transaction.prepare_cached(
            "INSERT INTO daily_stays (cell_id, day, person_id, first_seen, last_seen) \
             VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (cell_id, day, person_id) DO UPDATE SET \
             first_seen = min(first_seen, excluded.first_seen), \
             last_seen = max(last_seen, excluded.last_seen)",
        )?;
        for stay in &stays {
            widen.execute(params![
                stay.cell.as_str(),
                stay.day.to_string(),
                stay.person.as_bytes(),
                millis(stay.first_seen),
                millis(stay.last_seen),
            ])?;
        }
    }
    let days = city_days(
        &stays,
        |cell| city_of.get(cell).copied().flatten(),
        city_day_event_id,
    );
    let mut new_city_days = Vec::new();
    {
        let mut insert = transaction.prepare_cached(
            "INSERT OR IGNORE INTO itinerary_days \
             (person_id, day, city, event_id, first_seen, last_seen) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut widen = transaction.prepare_cached(
            "UPDATE itinerary_days SET first_seen = min(first_seen, ?4), \
             last_seen = max(last_seen, ?5) WHERE person_id = ?1 AND day = ?2 AND city = ?3",
        )?;
        for (person, day) in &days {
            let (person_bytes, day_text, city) = (
                person.as_bytes(),
                day.day.to_string(),
                day.city.region().as_number(),
            );
            let inserted = insert.execute(params![
                person_bytes,
                day_text,
                city,
                day.event_id.as_bytes(),
                millis(day.first_seen),
                millis(day.last_seen),
            ])?;
            if inserted == 1 {
                new_city_days.push((*person, day.event_id));
            } else {
                widen.execute(params![
                    person_bytes,
                    day_text,
                    city,
                    millis(day.first_seen),
                    millis(day.last_seen),
                ])?;
            }
        }
    }
    let report = PingIngestReport {
        stored,
        duplicates: records - stored,
        new_city_days,
    };
    Ok(Audited::success(report, subject, records))
}

/// Deletes movement data past its retention; see [`crate::Store::purge_phone_data`].
pub(super) fn purge(
    transaction: &Transaction<'_>,
    pings_before: Timestamp,
    stays_before: Timestamp,
) -> Result<PhonePurgeReport, StoreError> {
    let pings = transaction
        .prepare_cached(PURGE_PINGS)?
        .execute([millis(pings_before)])? as u64;
    // A stay last seen before the cutoff lies on a day no later than the cutoff's day at the
    // largest offset from UTC there is: that bound turns each deletion into a range of a key,
    // and `last_seen` makes it exact whatever offset the days were read in.
    let latest_day = healthcode_core::phone::day_of(stays_before, Offset::MAX).to_string();
    let stays_before = millis(stays_before);
    let cell_ids: Vec<String> = transaction
        .prepare_cached("SELECT cell_id FROM cells")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let mut daily_stays = 0;
    {
        let mut delete = transaction.prepare_cached(PURGE_DAILY_STAYS)?;
        for cell_id in &cell_ids {
            daily_stays += delete.execute(params![cell_id, latest_day, stays_before])? as u64;
        }
    }
    let city_days = transaction
        .prepare_cached(PURGE_CITY_DAYS)?
        .execute(params![latest_day, stays_before])? as u64;
    let candidate_stays = transaction
        .prepare_cached("DELETE FROM proximity_candidate_stays WHERE last_seen < ?1")?
        .execute([stays_before])? as u64;
    Ok(PhonePurgeReport {
        pings,
        daily_stays,
        city_days,
        candidate_stays,
    })
}

/// A person's city days from `from` to `to`, or `None` if the person is not enrolled.
pub(super) fn city_days_of(
    connection: &Connection,
    person: PersonId,
    from: Date,
    to: Date,
) -> Result<Option<Vec<CityDay>>, StoreError> {
    if !person_exists(connection, person)? {
        return Ok(None);
    }
    let mut statement = connection.prepare_cached(&city_days_of_sql())?;
    let days = statement
        .query_and_then(
            params![person.as_bytes(), from.to_string(), to.to_string()],
            decode_city_day,
        )?
        .collect::<Result<_, _>>()?;
    Ok(Some(days))
}

// ---------------------------------------------------------------------------------------------
// Proximity searches

/// Why a case cannot be searched for.
enum CaseState {
    Open,
    Released,
    Unknown,
}

fn case_state(connection: &Connection, case: CaseId) -> Result<CaseState, StoreError> {
    let released: Option<Option<i64>> = connection
        .prepare_cached("SELECT released_at FROM cases WHERE case_id = ?1")?
        .query_row([case.as_bytes()], |row| row.get(0))
        .optional()?;
    Ok(match released {
        None => CaseState::Unknown,
        Some(None) => CaseState::Open,
        Some(Some(_)) => CaseState::Released,
    })
}

/// Runs and stores a search; see [`crate::Store::search_proximity`].
pub(super) fn search_proximity(
    transaction: &Transaction<'_>,
    keys: &KeyRing,
    search: &ProximitySearch,
) -> Result<Audited<(ProximitySearchRecord, Write)>, Refusal> {
    if let Some(stored) = read_search(transaction, keys, search.id)? {
        let subject = single_subject(stored.candidates.iter().map(|c| c.person));
        let records = stored.candidates.len() as u64;
        return Ok(Audited {
            value: (stored, Write::Duplicate),
            subject,
            records,
            outcome: healthcode_core::AuditOutcome::Duplicate,
        });
    }
    let refused = |error| Refusal::Refused {
        error,
        subject: None,
        records: 0,
    };
    match case_state(transaction, search.case)? {
        CaseState::Open => {}
        CaseState::Unknown => return Err(refused(StoreError::NotFound { what: "case" })),
        CaseState::Released => {
            return Err(refused(StoreError::Conflict(
                "this case is released; a search must serve an open case",
            )));
        }
    }
    let query = &search.query;
    let near: Vec<String> = transaction
        .prepare_cached("SELECT cell_id, latitude, longitude FROM cells")?
        .query_and_then([], |row| -> Result<Option<String>, StoreError> {
            let location = GeoPoint::new(row.get(1)?, row.get(2)?)
                .map_err(|_| corrupt("cells.latitude or longitude is out of range"))?;
            Ok(query
                .covers(location)
                .then(|| row.get::<_, String>(0))
                .transpose()?)
        })?
        .filter_map(Result::transpose)
        .collect::<Result<_, _>>()?;
    // The days a stay meeting the window can lie on, whatever offset they were read in; the
    // times make the choice exact.
    let first_day = healthcode_core::phone::day_of(query.from(), Offset::MIN).to_string();
    let last_day = healthcode_core::phone::day_of(query.until(), Offset::MAX).to_string();
    let mut found: BTreeMap<PersonId, Vec<CandidateStay>> = BTreeMap::new();
    {
        let mut stays = transaction.prepare_cached(STAYS_IN_CELL)?;
        for cell_id in &near {
            let cell =
                CellId::parse(cell_id).map_err(|_| corrupt("cells.cell_id is not a cell id"))?;
            let mut rows = stays.query(params![
                cell_id,
                first_day,
                last_day,
                millis(query.until()),
                millis(query.from()),
            ])?;
            while let Some(row) = rows.next()? {
                let person = PersonId::from_bytes(id_bytes(row, 0, "daily_stays.person_id")?);
                found.entry(person).or_default().push(CandidateStay {
                    cell: cell.clone(),
                    first_seen: timestamp(row.get(1)?, "daily_stays.first_seen")?,
                    last_seen: timestamp(row.get(2)?, "daily_stays.last_seen")?,
                });
            }
        }
    }
    transaction
        .prepare_cached(
            "INSERT INTO proximity_searches (search_id, case_id, latitude, longitude, \
             radius_metres, window_from, window_until, purpose_sealed, searched_by, searched_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            search.id.as_bytes(),
            search.case.as_bytes(),
            query.centre().latitude(),
            query.centre().longitude(),
            query.radius_metres(),
            millis(query.from()),
            millis(query.until()),
            keys.seal(
                SEALED_SEARCH_PURPOSE,
                search.id.as_bytes(),
                search.purpose.as_bytes()
            ),
            search.searched_by.as_bytes(),
            millis(search.searched_at),
        ])?;
    {
        let mut insert_candidate = transaction.prepare_cached(
            "INSERT INTO proximity_candidates (search_id, person_id) VALUES (?1, ?2)",
        )?;
        let mut insert_stay = transaction.prepare_cached(
            "INSERT OR IGNORE INTO proximity_candidate_stays \
             (search_id, person_id, cell_id, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for (person, stays) in &found {
            insert_candidate.execute(params![search.id.as_bytes(), person.as_bytes()])?;
            for stay in stays {
                insert_stay.execute(params![
                    search.id.as_bytes(),
                    person.as_bytes(),
                    stay.cell.as_str(),
                    millis(stay.first_seen),
                    millis(stay.last_seen),
                ])?;
            }
        }
    }
    // Answered as stored (times to the millisecond, names opened), as a later read answers.
    let record = read_search(transaction, keys, search.id)?
        .ok_or_else(|| corrupt("a proximity search was not there once stored"))?;
    let subject = single_subject(record.candidates.iter().map(|c| c.person));
    let records = record.candidates.len() as u64;
    Ok(Audited::success((record, Write::Stored), subject, records))
}

/// A person's name, opened.
fn name_of(
    connection: &Connection,
    keys: &KeyRing,
    person: PersonId,
) -> Result<PersonName, StoreError> {
    let sealed: Vec<u8> = connection
        .prepare_cached("SELECT name_sealed FROM persons WHERE id = ?1")?
        .query_row([person.as_bytes()], |row| row.get(0))?;
    let name = String::from_utf8(keys.open(SEALED_NAME, person.as_bytes(), &sealed)?)
        .map_err(|_| corrupt("persons.name is not UTF-8"))?;
    PersonName::parse(&name).map_err(|_| corrupt("persons.name is not a valid name"))
}

/// A stored search without its candidates.
fn read_search_header(
    connection: &Connection,
    keys: &KeyRing,
    id: ProximitySearchId,
) -> Result<Option<ProximitySearch>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT case_id, latitude, longitude, radius_metres, window_from, window_until, \
         purpose_sealed, searched_by, searched_at FROM proximity_searches WHERE search_id = ?1",
    )?;
    let mut rows = statement.query([id.as_bytes()])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let centre = GeoPoint::new(row.get(1)?, row.get(2)?)
        .map_err(|_| corrupt("proximity_searches.latitude or longitude is out of range"))?;
    let query = ProximityQuery::new(
        centre,
        row.get(3)?,
        timestamp(row.get(4)?, "proximity_searches.window_from")?,
        timestamp(row.get(5)?, "proximity_searches.window_until")?,
    )
    .map_err(|_| corrupt("proximity_searches holds a query beyond the limits"))?;
    let sealed = row
        .get_ref(6)?
        .as_blob()
        .map_err(|_| corrupt("proximity_searches.purpose_sealed is not a blob"))?;
    let purpose = String::from_utf8(keys.open(SEALED_SEARCH_PURPOSE, id.as_bytes(), sealed)?)
        .map_err(|_| corrupt("proximity_searches.purpose is not UTF-8"))?;
    Ok(Some(ProximitySearch {
        id,
        case: CaseId::from_bytes(id_bytes(row, 0, "proximity_searches.case_id")?),
        query,
        purpose,
        searched_by: StaffId::from_bytes(id_bytes(row, 7, "proximity_searches.searched_by")?),
        searched_at: timestamp(row.get(8)?, "proximity_searches.searched_at")?,
    }))
}

/// The associated row of a candidate's sealed reason: the search id, then the person id.
fn candidate_row(search: ProximitySearchId, person: PersonId) -> [u8; 32] {
    let mut row = [0; 32];
    row[..16].copy_from_slice(search.as_bytes());
    row[16..].copy_from_slice(person.as_bytes());
    row
}

/// The review columns of a `proximity_candidates` row, from `first` on: decision,
/// reason_sealed, reviewed_by, reviewed_at, contact_id.
fn decode_review(
    keys: &KeyRing,
    row: &Row<'_>,
    first: usize,
    search: ProximitySearchId,
    person: PersonId,
) -> Result<Option<CandidateReview>, StoreError> {
    let Some(decision) = row.get::<_, Option<String>>(first)? else {
        return Ok(None);
    };
    let decision = ReviewDecision::parse(&decision)
        .map_err(|_| corrupt("proximity_candidates.decision holds an unknown code"))?;
    let sealed = row
        .get_ref(first + 1)?
        .as_blob()
        .map_err(|_| corrupt("proximity_candidates.reason_sealed is not a blob"))?;
    let reason = String::from_utf8(keys.open(
        SEALED_REVIEW_REASON,
        &candidate_row(search, person),
        sealed,
    )?)
    .map_err(|_| corrupt("proximity_candidates.reason is not UTF-8"))?;
    Ok(Some(CandidateReview {
        decision,
        reason,
        reviewed_by: StaffId::from_bytes(id_bytes(
            row,
            first + 2,
            "proximity_candidates.reviewed_by",
        )?),
        reviewed_at: timestamp(row.get(first + 3)?, "proximity_candidates.reviewed_at")?,
        contact: optional_id_bytes(row, first + 4, "proximity_candidates.contact_id")?
            .map(ContactId::from_bytes),
    }))
}

/// The stays of a candidate, by first seen.
fn candidate_stays(
    connection: &Connection,
    search: ProximitySearchId,
    person: PersonId,
) -> Result<Vec<CandidateStay>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT cell_id, first_seen, last_seen FROM proximity_candidate_stays \
         WHERE search_id = ?1 AND person_id = ?2",
    )?;
    let mut stays: Vec<CandidateStay> = statement
        .query_and_then(
            params![search.as_bytes(), person.as_bytes()],
            |row| -> Result<CandidateStay, StoreError> {
                Ok(CandidateStay {
                    cell: CellId::parse(text(row, 0, "proximity_candidate_stays.cell_id")?)
                        .map_err(|_| {
                            corrupt("proximity_candidate_stays.cell_id is not a cell id")
                        })?,
                    first_seen: timestamp(row.get(1)?, "proximity_candidate_stays.first_seen")?,
                    last_seen: timestamp(row.get(2)?, "proximity_candidate_stays.last_seen")?,
                })
            },
        )?
        .collect::<Result<_, _>>()?;
    stays.sort_by_key(|stay| (stay.first_seen, stay.cell.clone()));
    Ok(stays)
}

/// A stored search with its candidates, in person id order.
pub(super) fn read_search(
    connection: &Connection,
    keys: &KeyRing,
    id: ProximitySearchId,
) -> Result<Option<ProximitySearchRecord>, StoreError> {
    let Some(search) = read_search_header(connection, keys, id)? else {
        return Ok(None);
    };
    let mut statement = connection.prepare_cached(
        "SELECT person_id, decision, reason_sealed, reviewed_by, reviewed_at, contact_id \
         FROM proximity_candidates WHERE search_id = ?1 ORDER BY person_id",
    )?;
    let mut rows = statement.query([id.as_bytes()])?;
    let mut candidates = Vec::new();
    while let Some(row) = rows.next()? {
        let person = PersonId::from_bytes(id_bytes(row, 0, "proximity_candidates.person_id")?);
        candidates.push(ProximityCandidate {
            person,
            name: name_of(connection, keys, person)?,
            stays: candidate_stays(connection, id, person)?,
            review: decode_review(keys, row, 1, id, person)?,
        });
    }
    Ok(Some(ProximitySearchRecord { search, candidates }))
}

/// Records a review; see [`crate::Store::review_proximity_candidate`].
pub(super) fn review_candidate(
    transaction: &Transaction<'_>,
    keys: &KeyRing,
    search_id: ProximitySearchId,
    person: PersonId,
    review: &CandidateReview,
) -> Result<Audited<CandidateReview>, Refusal> {
    let refused = |error| Refusal::Refused {
        error,
        subject: Some(person),
        records: 1,
    };
    let Some(search) = read_search_header(transaction, keys, search_id)? else {
        return Err(refused(StoreError::NotFound {
            what: "proximity search",
        }));
    };
    let reviewed: Option<Option<String>> = transaction
        .prepare_cached(
            "SELECT decision FROM proximity_candidates WHERE search_id = ?1 AND person_id = ?2",
        )?
        .query_row(params![search_id.as_bytes(), person.as_bytes()], |row| {
            row.get(0)
        })
        .optional()?;
    match reviewed {
        None => return Err(refused(StoreError::NotFound { what: "candidate" })),
        Some(Some(_)) => {
            return Err(refused(StoreError::Conflict(
                "this candidate is already reviewed",
            )));
        }
        Some(None) => {}
    }
    let contact = match review.decision {
        ReviewDecision::Reject => None,
        ReviewDecision::Confirm => {
            let Some(contact_id) = review.contact else {
                return Err(refused(StoreError::Conflict(
                    "a confirmation needs the id of the contact it records",
                )));
            };
            let stays = candidate_stays(transaction, search_id, person)?;
            let Some(contact) = nearby_contact(&search, &stays, contact_id, review.reviewed_at)
            else {
                return Err(refused(StoreError::Conflict(
                    "the candidate's stays have passed their retention; there is nothing to confirm",
                )));
            };
            let mut insert = transaction
                .prepare_cached(<healthcode_core::rating::Contact as FactRow>::INSERT)?;
            if contact.insert(&mut insert, person)? == 1 {
                Some(contact_id)
            } else {
                // The case's nearby contact with this person stands (contacts_by_case).
                let existing: Option<[u8; 16]> = transaction
                    .prepare_cached(
                        "SELECT contact_id FROM contacts WHERE case_id = ?1 AND person_id = ?2 \
                         AND degree = 'close' AND setting = 'nearby'",
                    )?
                    .query_row(params![search.case.as_bytes(), person.as_bytes()], |row| {
                        row.get(0)
                    })
                    .optional()?;
                match existing {
                    Some(existing) => Some(ContactId::from_bytes(existing)),
                    None => {
                        return Err(refused(StoreError::Conflict(
                            "this contact id is already used",
                        )));
                    }
                }
            }
        }
    };
    transaction
        .prepare_cached(
            "UPDATE proximity_candidates SET decision = ?1, reason_sealed = ?2, reviewed_by = ?3, \
             reviewed_at = ?4, contact_id = ?5 WHERE search_id = ?6 AND person_id = ?7",
        )?
        .execute(params![
            review.decision.code(),
            keys.seal(
                SEALED_REVIEW_REASON,
                &candidate_row(search_id, person),
                review.reason.as_bytes()
            ),
            review.reviewed_by.as_bytes(),
            millis(review.reviewed_at),
            contact.as_ref().map(ContactId::as_bytes),
            search_id.as_bytes(),
            person.as_bytes(),
        ])?;
    let stored = CandidateReview {
        contact,
        reviewed_at: timestamp(
            millis(review.reviewed_at),
            "proximity_candidates.reviewed_at",
        )?,
        ..review.clone()
    };
    Ok(Audited::success(stored, Some(person), 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStore;
    use crate::sqlite::query_plan;
    use jiff::civil::date;

    #[test]
    fn searches_itineraries_and_purges_read_ranges_of_keys_and_never_scan_a_table() {
        let directory = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(directory.path()).unwrap();
        let expectations = [
            (PURGE_PINGS.to_owned(), "PRIMARY KEY (seen_at<?)"),
            (
                PURGE_DAILY_STAYS.to_owned(),
                "PRIMARY KEY (cell_id=? AND day<?)",
            ),
            (PURGE_CITY_DAYS.to_owned(), "itinerary_days_by_day (day<?)"),
            (
                STAYS_IN_CELL.to_owned(),
                "PRIMARY KEY (cell_id=? AND day>? AND day<?)",
            ),
            (
                city_days_of_sql(),
                "PRIMARY KEY (person_id=? AND day>? AND day<?)",
            ),
        ];
        for (sql, expected) in expectations {
            let plan = query_plan(&store, &sql);
            assert!(plan.contains(expected), "{sql}: {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{sql}: {plan}");
        }
    }

    #[test]
    fn a_city_days_event_id_is_the_same_for_the_same_person_day_and_city_only() {
        let person = PersonId::from_bytes([7; 16]);
        let hangzhou = City::of(RegionCode::parse("330100").unwrap()).unwrap();
        let shanghai = City::of(RegionCode::parse("310100").unwrap()).unwrap();
        let day = date(2026, 2, 10);
        let id = city_day_event_id(person, day, hangzhou);
        assert_eq!(id, city_day_event_id(person, day, hangzhou));
        assert_eq!(id.as_uuid().get_version_num(), 8);
        assert_ne!(id, city_day_event_id(person, day, shanghai));
        assert_ne!(id, city_day_event_id(person, date(2026, 2, 11), hangzhou));
        assert_ne!(
            id,
            city_day_event_id(PersonId::from_bytes([8; 16]), day, hangzhou)
        );
    }
}
