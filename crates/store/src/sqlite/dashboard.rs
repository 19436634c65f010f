//! The officials' dashboard: counts over everyone, read in one reader snapshot.
//!
//! Like the reads of everyone's facts, the dashboard reads on a reader so that it never holds
//! up writes, and commits its audit record (counting the rated residents whose ID numbers it
//! opens to find their district) before it counts anything. It answers counts only.

use std::collections::BTreeMap;

use healthcode_core::rating::{CaseStatus, Colour, ContactDegree};
use healthcode_core::{AuditAction, AuditOutcome, PersonId, RegionCode, ResidentId, Timestamp};
use jiff::SignedDuration;

use super::encoding::{code, corrupt, id_bytes, millis, timestamp};
use super::{SEALED_RESIDENT_ID, SqliteStore, append_audit_record};
use crate::audit_chain::AuditEntry;
use crate::{ColourCounts, Dashboard, DashboardDay, DashboardQuery, DistrictColours, StoreError};
use healthcode_core::Access;

/// Every rated resident's sealed ID number and current colour.
const CURRENT_COLOURS: &str = "SELECT c.person_id, p.resident_id_sealed, c.colour \
     FROM current_ratings AS c JOIN persons AS p ON p.id = c.person_id";
/// The rating history made before ?1, each person's in order, without personal data.
const RATINGS_BEFORE: &str = "SELECT person_id, colour, rated_at FROM ratings \
     WHERE rated_at < ?1 ORDER BY person_id, sequence";
const CASES_BETWEEN: &str = "SELECT since, status FROM cases WHERE since >= ?1 AND since < ?2";
const CONTACTS_BETWEEN: &str =
    "SELECT found_at, degree, person_id FROM contacts WHERE found_at >= ?1 AND found_at < ?2";
const APPEALS_WAITING: &str = "SELECT count(*) FROM appeals WHERE decided_at IS NULL";
const APPEALS_DECIDED_BETWEEN: &str = "SELECT decided_at - filed_at FROM appeals \
     WHERE decided_at >= ?1 AND decided_at < ?2";

pub(super) fn dashboard(
    store: &SqliteStore,
    access: &Access,
    query: &DashboardQuery,
) -> Result<Dashboard, StoreError> {
    let days = query.days();
    let (Some(first), Some(last)) = (days.first().copied(), days.last().copied()) else {
        return Err(StoreError::Conflict("the dashboard needs at least one day"));
    };
    let (from, until) = (query.start_of(first), query.end_of(last));
    store.readers.with(|connection| {
        let snapshot = connection.unchecked_transaction()?;
        let residents: u64 = snapshot
            .prepare_cached("SELECT count(*) FROM persons")?
            .query_row([], |row| row.get(0))?;
        let rated: u64 = snapshot
            .prepare_cached("SELECT count(*) FROM current_ratings")?
            .query_row([], |row| row.get(0))?;
        store.write(|transaction| {
            let entry = AuditEntry::for_access(
                access,
                AuditAction::ReadRatings,
                None,
                rated,
                AuditOutcome::Success,
            );
            append_audit_record(transaction, entry).map(drop)
        })?;

        let mut colours = ColourCounts::default();
        let mut districts: BTreeMap<RegionCode, ColourCounts> = BTreeMap::new();
        {
            let mut statement = snapshot.prepare_cached(CURRENT_COLOURS)?;
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                let person = PersonId::from_bytes(id_bytes(row, 0, "current_ratings.person_id")?);
                let sealed: Vec<u8> = row.get(1)?;
                let colour = code(row, 2, "current_ratings.colour", Colour::parse)?;
                let opened = store
                    .keys
                    .open(SEALED_RESIDENT_ID, person.as_bytes(), &sealed)?;
                let resident_id = std::str::from_utf8(&opened)
                    .ok()
                    .and_then(|text| ResidentId::parse(text).ok())
                    .ok_or_else(|| corrupt("persons.resident_id is not a valid resident ID"))?;
                colours.add(colour);
                districts
                    .entry(resident_id.region())
                    .or_default()
                    .add(colour);
            }
        }

        let ends: Vec<Timestamp> = days.iter().map(|day| query.end_of(*day)).collect();
        let mut by_day: Vec<DashboardDay> = days
            .iter()
            .map(|day| DashboardDay {
                day: *day,
                colours: ColourCounts::default(),
                cases: 0,
                confirmed_cases: 0,
                close_contacts: 0,
                secondary_contacts: 0,
            })
            .collect();
        {
            let mut statement = snapshot.prepare_cached(RATINGS_BEFORE)?;
            let mut rows = statement.query([millis(until)])?;
            let mut person: Option<[u8; 16]> = None;
            let mut history: Vec<(Timestamp, Colour)> = Vec::new();
            while let Some(row) = rows.next()? {
                let id = id_bytes(row, 0, "ratings.person_id")?;
                if person != Some(id) {
                    count_history(&history, &ends, &mut by_day);
                    history.clear();
                    person = Some(id);
                }
                history.push((
                    timestamp(row.get(2)?, "ratings.rated_at")?,
                    code(row, 1, "ratings.colour", Colour::parse)?,
                ));
            }
            count_history(&history, &ends, &mut by_day);
        }
        {
            let mut statement = snapshot.prepare_cached(CASES_BETWEEN)?;
            let mut rows = statement.query([millis(from), millis(until)])?;
            while let Some(row) = rows.next()? {
                let since = timestamp(row.get(0)?, "cases.since")?;
                let status = code(row, 1, "cases.status", CaseStatus::parse)?;
                if let Some(day) = day_index(&by_day, query, since) {
                    by_day[day].cases += 1;
                    if status == CaseStatus::Confirmed {
                        by_day[day].confirmed_cases += 1;
                    }
                }
            }
        }
        {
            let mut statement = snapshot.prepare_cached(CONTACTS_BETWEEN)?;
            let mut rows = statement.query([millis(from), millis(until)])?;
            // A person found by several cases, or at several places, on a day is one person
            // found that day.
            let mut counted = std::collections::HashSet::new();
            while let Some(row) = rows.next()? {
                let found_at = timestamp(row.get(0)?, "contacts.found_at")?;
                let degree = code(row, 1, "contacts.degree", ContactDegree::parse)?;
                let person: [u8; 16] = row.get(2)?;
                if let Some(day) = day_index(&by_day, query, found_at)
                    && counted.insert((day, degree, person))
                {
                    match degree {
                        ContactDegree::Close => by_day[day].close_contacts += 1,
                        ContactDegree::Secondary => by_day[day].secondary_contacts += 1,
                    }
                }
            }
        }
        let appeals_waiting: u64 = snapshot
            .prepare_cached(APPEALS_WAITING)?
            .query_row([], |row| row.get(0))?;
        let mut waits: Vec<i64> = snapshot
            .prepare_cached(APPEALS_DECIDED_BETWEEN)?
            .query_map([millis(from), millis(until)], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        waits.sort_unstable();
        let median_time_to_decision = match waits.len() {
            0 => None,
            n => Some(SignedDuration::from_millis(waits[(n - 1) / 2])),
        };
        snapshot.finish()?;
        Ok(Dashboard {
            residents,
            colours,
            districts: districts
                .into_iter()
                .map(|(district, colours)| DistrictColours { district, colours })
                .collect(),
            days: by_day,
            appeals_waiting,
            appeals_decided: waits.len() as u64,
            median_time_to_decision,
        })
    })
}

/// Counts one person's colour at the end of each day from their history (oldest first): the
/// colour of their latest rating made before the day ended, if any.
fn count_history(history: &[(Timestamp, Colour)], ends: &[Timestamp], days: &mut [DashboardDay]) {
    if history.is_empty() {
        return;
    }
    let mut latest = None;
    let mut next = 0;
    for (end, day) in ends.iter().zip(days.iter_mut()) {
        while next < history.len() && history[next].0 < *end {
            latest = Some(history[next].1);
            next += 1;
        }
        if let Some(colour) = latest {
            day.colours.add(colour);
        }
    }
}

/// The position of the day `at` falls on among `days`.
fn day_index(days: &[DashboardDay], query: &DashboardQuery, at: Timestamp) -> Option<usize> {
    let day = query.day_of(at);
    days.iter().position(|entry| entry.day == day)
}
