//! The data feeds: laboratory results, pharmacy purchases and daily health reports, one row or
//! many at a time.
//!
//! Every feed works the same way: check every row, resolve the residents' ID numbers to people
//! (one audited look-up for the whole upload), and store all rows in one transaction or none;
//! an unknown resident is a bad row like any other, and every bad row is reported. Then each
//! resident the upload is about is rated again, with the upload's event as the cause.
//!
//! These functions are shared by the HTTP API and the command line; nothing here knows HTTP or
//! logs a row's content.

use std::collections::BTreeMap;

use healthcode_core::rating::{Policy, RatingCause, Reporter};
use healthcode_core::{Access, Actor, Boarding, EventId, PersonId, ResidentId, Role, Trip};
use healthcode_store::{IngestReport, Store, StoreError};

use crate::api::{
    BoardingRow, FeedResponse, FeedRow, HealthReportUpload, HouseholdRow, LabResultRow,
    PharmacyPurchaseRow, RowError, boardings_from_rows, health_reports_from_rows,
    household_members_from_rows, lab_results_from_rows, pharmacy_purchases_from_rows,
};
use crate::error::ApiError;
use crate::rating_service::{RerateReport, rerate_people};

/// Checks and stores laboratory results, then re-rates the residents they are about.
pub fn ingest_lab_results(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    rows: Vec<LabResultRow>,
    max_rows: usize,
) -> Result<FeedResponse, ApiError> {
    check_size("results", rows.len(), max_rows)?;
    let (checked, errors) = lab_results_from_rows(&rows, access.at);
    ingest_feed(
        store,
        access,
        policy,
        Feed {
            list: "results",
            received: rows.len(),
            checked,
            errors,
            locate: &|error| error,
            rates_again: true,
        },
        |people| store.ingest_test_results(access, people),
    )
}

/// Checks and stores pharmacy purchases, then re-rates the residents they are about.
pub fn ingest_pharmacy_purchases(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    rows: Vec<PharmacyPurchaseRow>,
    max_rows: usize,
) -> Result<FeedResponse, ApiError> {
    check_size("purchases", rows.len(), max_rows)?;
    let (checked, errors) = pharmacy_purchases_from_rows(&rows, access.at);
    ingest_feed(
        store,
        access,
        policy,
        Feed {
            list: "purchases",
            received: rows.len(),
            checked,
            errors,
            locate: &|error| error,
            rates_again: true,
        },
        |people| store.ingest_pharmacy_purchases(access, people),
    )
}

/// Checks and stores a daily health report filed by `reporter`, then re-rates the residents it
/// is about. `upload_errors` are the rows of a CSV file that could not even be read as rows;
/// they are reported together with the rest.
pub fn ingest_health_reports(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    reporter: Reporter,
    upload: &HealthReportUpload,
    upload_errors: Vec<RowError>,
    max_rows: usize,
) -> Result<FeedResponse, ApiError> {
    let received = upload.rows.len() + upload_errors.len();
    check_size("reports", received, max_rows)?;
    let (checked, errors) = health_reports_from_rows(&upload.rows, reporter, access.at);
    let locate = |error| upload.locate(error);
    let mut errors: Vec<RowError> = errors.into_iter().map(locate).collect();
    errors.extend(upload_errors);
    ingest_feed(
        store,
        access,
        policy,
        Feed {
            list: "reports",
            received,
            checked,
            errors,
            locate: &locate,
            rates_again: true,
        },
        |people| store.ingest_health_reports(access, people),
    )
}

/// Checks and stores a transit operator's boardings with the trips they name. Boardings
/// change nobody's colour by themselves (tracing reads them), so nobody is rated again.
pub fn ingest_boardings(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    rows: Vec<BoardingRow>,
    max_rows: usize,
) -> Result<FeedResponse, ApiError> {
    check_size("boardings", rows.len(), max_rows)?;
    let (checked, errors) = boardings_from_rows(&rows, access.at);
    ingest_feed(
        store,
        access,
        policy,
        Feed {
            list: "boardings",
            received: rows.len(),
            checked,
            errors,
            locate: &|error| error,
            rates_again: false,
        },
        |rides| {
            let mut trips: Vec<Trip> = Vec::new();
            let mut boardings = Vec::with_capacity(rides.len());
            for (person, ride) in rides {
                if !trips.iter().any(|trip| trip.id == ride.trip.id) {
                    trips.push(ride.trip.clone());
                }
                boardings.push(
                    Boarding::new(
                        ride.event_id,
                        ride.trip.id,
                        *person,
                        ride.boarded,
                        ride.alighted,
                        ride.seat,
                    )
                    .map_err(|_| {
                        StoreError::Corrupt("a checked boarding ends after it starts".into())
                    })?,
                );
            }
            store.ingest_boardings(access, &trips, &boardings)
        },
    )
}

/// Registers residents in households: every bad row is reported, an unknown resident is a bad
/// row, and nothing is stored unless all rows are valid. Households change nobody's colour by
/// themselves (tracing reads them), so nobody is rated again.
pub fn register_households(
    store: &dyn Store,
    access: &Access,
    rows: Vec<HouseholdRow>,
    max_rows: usize,
) -> Result<FeedResponse, ApiError> {
    check_size("members", rows.len(), max_rows)?;
    let (checked, mut errors) = household_members_from_rows(&rows);
    let resident_ids: Vec<ResidentId> = checked.iter().map(|(_, id, _)| id.clone()).collect();
    let people = if resident_ids.is_empty() {
        Vec::new()
    } else {
        store.find_people(access, &resident_ids)?
    };
    let mut members = Vec::with_capacity(checked.len());
    for ((index, _, household), person) in checked.into_iter().zip(people) {
        match person {
            Some(person) => members.push((person, household)),
            None => errors.push(RowError::new(
                index,
                "resident_id",
                "no resident with this ID number is enrolled",
            )),
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|error| error.index);
        return Err(ApiError::InvalidRows {
            field: "members",
            rows: errors,
        });
    }
    let report = store.register_households(access, &members)?;
    tracing::info!(
        received = rows.len(),
        stored = report.stored,
        "registered household members"
    );
    Ok(FeedResponse::new(rows.len(), report, 0))
}

/// Who files a health report, from the role of the staff member filing it.
pub fn reporter_of(actor: &Actor) -> Result<Reporter, ApiError> {
    match actor.role() {
        Some(Role::Employer) => Ok(Reporter::Employer),
        Some(Role::CommunityWorker) => Ok(Reporter::Community),
        // The endpoint table lets only these two roles file reports.
        _ => Err(ApiError::Forbidden),
    }
}

/// Refuses an upload of more than `max_rows` rows; `list` names its list of rows.
pub(crate) fn check_size(
    list: &'static str,
    received: usize,
    max_rows: usize,
) -> Result<(), ApiError> {
    if received > max_rows {
        return Err(ApiError::BatchTooLarge {
            field: list,
            max: max_rows,
            found: received,
        });
    }
    Ok(())
}

/// The rows of an upload whose residents are enrolled, in the upload's order.
pub(crate) struct Resolved<T> {
    /// Each row's position in the upload.
    pub indices: Vec<usize>,
    pub rows: Vec<(PersonId, T)>,
    /// For each resident, the event id of the last row about them.
    pub events: BTreeMap<PersonId, EventId>,
}

/// Resolves the residents of checked rows by ID number, with one audited look-up for the
/// whole upload. A row naming a resident who is not enrolled is a bad row like any other: its
/// error joins `errors`, placed by `locate`.
pub(crate) fn resolve_residents<T>(
    store: &dyn Store,
    access: &Access,
    checked: Vec<FeedRow<T>>,
    errors: &mut Vec<RowError>,
    locate: &dyn Fn(RowError) -> RowError,
) -> Result<Resolved<T>, ApiError> {
    let resident_ids: Vec<ResidentId> = checked.iter().map(|row| row.resident_id.clone()).collect();
    let people = if resident_ids.is_empty() {
        Vec::new()
    } else {
        store.find_people(access, &resident_ids)?
    };
    let mut resolved = Resolved {
        indices: Vec::with_capacity(checked.len()),
        rows: Vec::with_capacity(checked.len()),
        events: BTreeMap::new(),
    };
    for (row, person) in checked.into_iter().zip(people) {
        match person {
            Some(person) => {
                resolved.events.insert(person, row.event_id);
                resolved.indices.push(row.index);
                resolved.rows.push((person, row.fact));
            }
            None => errors.push(locate(RowError::new(
                row.index,
                "resident_id",
                "no resident with this ID number is enrolled",
            ))),
        }
    }
    Ok(resolved)
}

/// One checked upload on its way into the store.
struct Feed<'a, T> {
    /// The name of the upload's list of rows, for errors.
    list: &'static str,
    received: usize,
    checked: Vec<FeedRow<T>>,
    /// Errors found so far, already placed where their rows are.
    errors: Vec<RowError>,
    /// Places an error about `checked`'s rows where the row is in the upload.
    locate: &'a dyn Fn(RowError) -> RowError,
    /// Whether the facts change colours, so that their residents are rated again.
    rates_again: bool,
}

fn ingest_feed<T>(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    feed: Feed<'_, T>,
    ingest: impl FnOnce(&[(PersonId, T)]) -> Result<IngestReport, StoreError>,
) -> Result<FeedResponse, ApiError> {
    let Feed {
        list,
        received,
        checked,
        mut errors,
        locate,
        rates_again,
    } = feed;
    let Resolved {
        indices,
        rows: resolved,
        events,
    } = resolve_residents(store, access, checked, &mut errors, locate)?;
    // A resident named by several rows is rated once, for the last of them.
    let causes: BTreeMap<PersonId, RatingCause> = events
        .into_iter()
        .map(|(person, event)| (person, RatingCause::Event(event)))
        .collect();
    if !errors.is_empty() {
        errors.sort_by_key(|error| error.index);
        return Err(ApiError::InvalidRows {
            field: list,
            rows: errors,
        });
    }
    let report = ingest(&resolved).map_err(|error| match error {
        // Only if a resident was erased between the look-up and the write.
        StoreError::UnknownReference { index, .. } => ApiError::InvalidRows {
            field: list,
            rows: vec![locate(RowError::new(
                indices.get(index).copied().unwrap_or(index),
                "resident_id",
                "no resident with this ID number is enrolled",
            ))],
        },
        other => other.into(),
    })?;
    let rerated = if rates_again {
        rerate_people(store, policy, &causes, access.at)?
    } else {
        RerateReport::default()
    };
    tracing::info!(
        list,
        received,
        stored = report.stored,
        duplicates = report.duplicates,
        people_rated = rerated.people,
        "ingested a feed"
    );
    Ok(FeedResponse::new(received, report, rerated.people))
}
