//! Quarantine follow-up as functions over a [`Store`], shared by the HTTP API and the command
//! line: recording a community worker's daily check of a resident in isolation, and listing the
//! residents in isolation whom nobody checked on a day.
//!
//! A check is kept as the community's daily health report about the day, so the rating engine
//! reads it like any other fact: the resident is rated again at once, and a fever found at the
//! check changes their colour there and then. A resident's own declaration counts as the day's
//! check too. Days are read in the active policy's offset from UTC. Nothing here logs a name, a
//! phone or an ID number.

use healthcode_core::follow_up::FollowUpDay;
use healthcode_core::rating::{Policy, RatingCause};
use healthcode_core::{Access, Date, Timestamp};
use healthcode_store::{Store, StoreError, Write};

use crate::api::{
    CheckedResident, FieldError, FollowUpCheckRequest, FollowUpCheckResponse, MissedCheckView,
    MissedChecks,
};
use crate::error::ApiError;
use crate::rating_service::rerate;

/// Records a community worker's check of a resident and rates the resident again under
/// `policy`. The resident is named by person id or by resident ID number.
pub fn record_check(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    request: FollowUpCheckRequest,
) -> Result<FollowUpCheckResponse, ApiError> {
    let (resident, check) = request.into_check(access.at)?;
    not_after_today("day", check.day, access.at, policy)?;
    let person = match resident {
        CheckedResident::Person(person) => person,
        CheckedResident::ResidentId(resident_id) => store
            .find_person(access, &resident_id)?
            .ok_or(ApiError::NotFound {
                what: "resident",
                field: Some("resident_id".to_owned()),
            })?,
    };
    let write = store
        .record_follow_up_check(access, person, &check)
        .map_err(|error| match error {
            StoreError::UnknownReference { .. } => ApiError::NotFound {
                what: "person",
                field: Some("person_id".to_owned()),
            },
            other => other.into(),
        })?;
    // A resend re-rates too: if the first answer was lost, so may the first rating have been.
    rerate(
        store,
        policy,
        person,
        &RatingCause::Event(check.event_id),
        access.at,
    )?;
    Ok(FollowUpCheckResponse {
        event_id: check.event_id.as_uuid(),
        person_id: person.as_uuid(),
        duplicate: write == Write::Duplicate,
    })
}

/// The residents in isolation now who had no check on `day` (yesterday in the policy's offset
/// when `None`), with what a worker needs to visit them.
pub fn missed_checks(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    day: Option<Date>,
) -> Result<MissedChecks, ApiError> {
    let day = match day {
        Some(day) => {
            not_after_today("day", day, access.at, policy)?;
            FollowUpDay::new(day, policy.utc_offset)
        }
        None => FollowUpDay::yesterday(access.at, policy.utc_offset),
    }
    .map_err(|error| FieldError::new("day", error))?;
    let people = store.missed_follow_up_checks(access, &day)?;
    tracing::info!(day = %day.day(), residents = people.len(), "listed missed follow-up checks");
    Ok(MissedChecks {
        day: day.day(),
        residents: people.iter().map(MissedCheckView::from).collect(),
    })
}

/// Refuses a day after the one `now` falls on in the policy's offset: nobody can have been
/// checked on it yet.
fn not_after_today(
    field: &str,
    day: Date,
    now: Timestamp,
    policy: &Policy,
) -> Result<(), FieldError> {
    let today = FollowUpDay::today(now, policy.utc_offset)
        .map_err(|error| FieldError::new(field, error))?
        .day();
    if day > today {
        return Err(FieldError::new(
            field,
            format_args!("should not be after today ({today})"),
        ));
    }
    Ok(())
}
