//! Phone-network data as a service: mobile networks register cells and send pings (reduced to
//! daily stays as they arrive, and the residents whose itinerary changed re-rated), residents
//! read their itinerary, movement data is purged past its retention, and officials run
//! proximity searches whose candidates they review one by one.
//!
//! Like [`crate::feeds`], these are plain synchronous functions over a [`Store`], shared by the
//! HTTP API and the command line. The region's offset from UTC, which decides the civil day of
//! a ping and "today" of an itinerary, is the active policy's. Nothing here logs a resident ID
//! number, a name, a stated purpose or a reason.

use std::collections::BTreeMap;

use healthcode_core::phone::proximity::{
    CandidateReview, ProximitySearchId, ProximitySearchRecord, ReviewDecision,
};
use healthcode_core::phone::{Itinerary, day_of};
use healthcode_core::rating::{ContactId, Policy, RatingCause};
use healthcode_core::{Access, Actor, CellId, EventId, PersonId, StaffId, Timestamp};
use healthcode_store::{PhonePurgeReport, Store, StoreError, Write};
use jiff::SignedDuration;
use uuid::Uuid;

use crate::api::{
    BatchResponse, CellPingRow, CellRow, FeedResponse, ProximitySearchRequest, ReviewRequest,
    RowError, cell_pings_from_rows, cells_from_rows,
};
use crate::config::ServerConfig;
use crate::error::ApiError;
use crate::feeds::{Resolved, check_size, resolve_residents};
use crate::rating_service::{rerate, rerate_people};

/// How long movement data is kept, from the server's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// Raw pings, from the moment they were seen.
    pub pings: SignedDuration,
    /// Daily stays, city days and candidates' stays, from the last ping of the stay.
    pub stays: SignedDuration,
}

impl Retention {
    pub fn of(config: &ServerConfig) -> Retention {
        let days = |days: u32| SignedDuration::from_hours(i64::from(days) * 24);
        Retention {
            pings: days(config.cell_ping_retention_days),
            stays: days(config.daily_stay_retention_days),
        }
    }

    /// Raw pings seen before this moment are past their retention at `now`.
    pub fn pings_before(&self, now: Timestamp) -> Timestamp {
        now.checked_sub(self.pings).unwrap_or(Timestamp::MIN)
    }

    /// Stays last seen before this moment are past their retention at `now`.
    pub fn stays_before(&self, now: Timestamp) -> Timestamp {
        now.checked_sub(self.stays).unwrap_or(Timestamp::MIN)
    }
}

/// Checks and registers cells. Every bad row is reported, and so is a row registering a cell
/// already registered in another place or city (a moved cell needs a new id); then nothing is
/// stored.
pub fn register_cells(
    store: &dyn Store,
    access: &Access,
    rows: Vec<CellRow>,
    max_rows: usize,
) -> Result<BatchResponse, ApiError> {
    check_size("cells", rows.len(), max_rows)?;
    let (checked, mut errors) = cells_from_rows(&rows, access.at);
    let ids: Vec<CellId> = checked.iter().map(|(_, cell)| cell.id.clone()).collect();
    let registered = store.cells(&ids)?;
    for ((index, cell), registered) in checked.iter().zip(&registered) {
        if registered
            .as_ref()
            .is_some_and(|registered| !registered.same_registration(cell))
        {
            errors.push(RowError::new(
                *index,
                "cell_id",
                "is registered with another location or city; a moved cell needs a new id",
            ));
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|error| error.index);
        return Err(ApiError::InvalidRows {
            field: "cells",
            rows: errors,
        });
    }
    let cells: Vec<_> = checked.into_iter().map(|(_, cell)| cell).collect();
    let report = store.register_cells(access, &cells)?;
    tracing::info!(
        received = rows.len(),
        stored = report.stored,
        "registered cells"
    );
    Ok(BatchResponse::new(rows.len(), report))
}

/// Checks and stores a mobile network's pings, reducing them to daily stays in the policy's
/// offset, then re-rates the residents whose itinerary gained a city day (each for the last
/// day it gained). Every bad row is reported (an unknown resident or cell among them) and then
/// nothing is stored. Pings older than the daily stays' retention are refused: nothing of them
/// would be kept.
pub fn ingest_cell_pings(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    retention: Retention,
    rows: Vec<CellPingRow>,
    max_rows: usize,
) -> Result<FeedResponse, ApiError> {
    check_size("pings", rows.len(), max_rows)?;
    let received = rows.len();
    let (checked, mut errors) =
        cell_pings_from_rows(&rows, access.at, retention.stays_before(access.at));
    // Cells are not personal data: checking them first costs no audited read.
    let mut distinct: Vec<CellId> = checked.iter().map(|row| row.fact.cell.clone()).collect();
    distinct.sort();
    distinct.dedup();
    let registered = store.cells(&distinct)?;
    let unknown = |cell: &CellId| {
        distinct
            .binary_search(cell)
            .is_ok_and(|position| registered[position].is_none())
    };
    for row in &checked {
        if unknown(&row.fact.cell) {
            errors.push(RowError::new(
                row.index,
                "cell_id",
                "no cell with this id is registered; register it first (POST /v1/cells)",
            ));
        }
    }
    let Resolved {
        indices,
        rows: pings,
        ..
    } = resolve_residents(store, access, checked, &mut errors, &|error| error)?;
    if !errors.is_empty() {
        errors.sort_by_key(|error| error.index);
        return Err(ApiError::InvalidRows {
            field: "pings",
            rows: errors,
        });
    }
    let report = store
        .ingest_cell_pings(access, &pings, policy.utc_offset)
        .map_err(|error| match error {
            // Only if a resident was erased, or a cell changed, between the checks and the write.
            StoreError::UnknownReference { index, reference } => {
                let field = match reference {
                    healthcode_store::Reference::Cell => "cell_id",
                    _ => "resident_id",
                };
                ApiError::InvalidRows {
                    field: "pings",
                    rows: vec![RowError::new(
                        indices.get(index).copied().unwrap_or(index),
                        field,
                        "is not known to the store",
                    )],
                }
            }
            other => other.into(),
        })?;
    // A resident whose itinerary gained several days is rated once, for the last of them.
    let causes: BTreeMap<PersonId, RatingCause> = report
        .new_city_days
        .iter()
        .map(|(person, event)| (*person, RatingCause::Event(*event)))
        .collect();
    let rerated = rerate_people(store, policy, &causes, access.at)?;
    tracing::info!(
        received,
        stored = report.stored,
        duplicates = report.duplicates,
        new_city_days = report.new_city_days.len(),
        people_rated = rerated.people,
        "ingested cell pings"
    );
    Ok(FeedResponse {
        received: received as u64,
        stored: report.stored,
        duplicates: report.duplicates,
        people_rated: rerated.people,
    })
}

/// A resident's itinerary: the cities of each of the last 14 days, today being the civil day
/// of `access.at` in the policy's offset.
pub fn itinerary(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    person: PersonId,
) -> Result<Itinerary, ApiError> {
    let today = day_of(access.at, policy.utc_offset);
    let from = Itinerary::first_day(today);
    let days = store
        .city_days_of(access, person, from, today)
        .map_err(|error| match error {
            StoreError::NotFound { .. } => ApiError::NotFound {
                what: "person",
                field: Some("person_id".to_owned()),
            },
            other => other.into(),
        })?;
    Ok(Itinerary::of(&days, today))
}

/// Deletes movement data past its retention at `access.at`: raw pings, then daily stays, city
/// days and candidates' stays. The server runs this every `retention_interval_secs` as the
/// system; `healthcode pings purge` as the local operator.
pub fn purge(
    store: &dyn Store,
    access: &Access,
    retention: Retention,
) -> Result<PhonePurgeReport, StoreError> {
    let report = store.purge_phone_data(
        access,
        retention.pings_before(access.at),
        retention.stays_before(access.at),
    )?;
    if report.total() > 0 {
        tracing::info!(
            pings = report.pings,
            daily_stays = report.daily_stays,
            city_days = report.city_days,
            candidate_stays = report.candidate_stays,
            "deleted phone data past its retention"
        );
    }
    Ok(report)
}

/// Runs an official's proximity search and stores its candidates for review. A request
/// without a stated purpose, or beyond the limits of place and time, is refused before any
/// data is read, and the refusal is audited; so is a search for a case that is not open.
pub fn search_proximity(
    store: &dyn Store,
    access: &Access,
    request: &ProximitySearchRequest,
) -> Result<(ProximitySearchRecord, Write), ApiError> {
    let official = official_of(access)?;
    let search = match request.parse(official, access.at) {
        Ok(search) => search,
        Err(error) => {
            store.refuse_proximity_search(access)?;
            return Err(error.into());
        }
    };
    let (record, write) = store
        .search_proximity(access, &search)
        .map_err(|error| match error {
            StoreError::NotFound { .. } => ApiError::NotFound {
                what: "case",
                field: Some("case_id".to_owned()),
            },
            other => other.into(),
        })?;
    tracing::info!(
        search = %search.id,
        candidates = record.candidates.len(),
        duplicate = write == Write::Duplicate,
        "ran a proximity search"
    );
    Ok((record, write))
}

/// A stored search with its candidates and their reviews.
pub fn proximity_search(
    store: &dyn Store,
    access: &Access,
    id: ProximitySearchId,
) -> Result<ProximitySearchRecord, ApiError> {
    store
        .proximity_search(access, id)
        .map_err(|error| match error {
            StoreError::NotFound { what } => ApiError::NotFound {
                what,
                field: Some("search_id".to_owned()),
            },
            other => other.into(),
        })
}

/// What a review did: the review as stored, and for a confirmation the resident's rating after
/// it.
#[derive(Clone, Debug)]
pub struct Reviewed {
    pub review: CandidateReview,
    pub colour: Option<healthcode_core::rating::Colour>,
}

/// Records the signed-in official's review of a candidate. A confirmation records a close
/// contact of the search's case (nearby, exposed while the candidate's stays met the window)
/// and re-rates the resident at once; a rejection records only the review.
pub fn review_candidate(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    search: ProximitySearchId,
    person: PersonId,
    request: &ReviewRequest,
) -> Result<Reviewed, ApiError> {
    let (decision, reason) = request.parse()?;
    let contact =
        (decision == ReviewDecision::Confirm).then(|| ContactId::from_uuid(Uuid::new_v4()));
    let review = CandidateReview {
        decision,
        reason,
        reviewed_by: official_of(access)?,
        reviewed_at: access.at,
        contact,
    };
    let stored = store
        .review_proximity_candidate(access, search, person, &review)
        .map_err(|error| match error {
            StoreError::NotFound {
                what: "proximity search",
            } => ApiError::NotFound {
                what: "proximity search",
                field: Some("search_id".to_owned()),
            },
            StoreError::NotFound { .. } => ApiError::NotFound {
                what: "candidate",
                field: Some("person_id".to_owned()),
            },
            other => other.into(),
        })?;
    let colour = match stored.contact {
        Some(contact) => {
            let cause = EventId::from_uuid(contact.as_uuid())
                .map_or(RatingCause::Request, RatingCause::Event);
            Some(rerate(store, policy, person, &cause, access.at)?.0.colour)
        }
        None => None,
    };
    tracing::info!(
        search = %search,
        decision = stored.decision.code(),
        "reviewed a proximity candidate"
    );
    Ok(Reviewed {
        review: stored,
        colour,
    })
}

/// The official acting: only health officials search and review.
fn official_of(access: &Access) -> Result<StaffId, ApiError> {
    match access.actor {
        Actor::Staff { id, .. } => Ok(id),
        // The endpoint table lets only health officials reach these functions.
        _ => Err(ApiError::Forbidden),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_counts_whole_days_back_from_now() {
        let retention = Retention::of(&ServerConfig::default());
        let now: Timestamp = "2026-02-12T12:00:00Z".parse().unwrap();
        assert_eq!(
            retention.pings_before(now),
            "2026-02-09T12:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(
            retention.stays_before(now),
            "2026-01-13T12:00:00Z".parse::<Timestamp>().unwrap()
        );
    }
}
