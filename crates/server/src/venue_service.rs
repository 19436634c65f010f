//! What the venue endpoints beyond registration and the poster do: a venue's check-in counts,
//! hour by hour. The counts are aggregates: they never name, list or reveal a person, so they
//! are read without an audit record, as the audit chain's verification is.

use healthcode_core::rating::Policy;
use healthcode_core::{Date, Timestamp, VenueId};
use healthcode_store::Store;
use jiff::SignedDuration;
use jiff::tz::TimeZone;

use crate::api::{FieldError, HourCount, VenueCheckInCounts};
use crate::error::ApiError;

/// The check-ins at `venue` entered in each hour of `date` (today at `now` when `None`), both
/// read in the policy's offset from UTC. [`ApiError::NotFound`] if no venue has this id.
pub fn check_in_counts(
    store: &dyn Store,
    policy: &Policy,
    venue: VenueId,
    date: Option<Date>,
    now: Timestamp,
) -> Result<VenueCheckInCounts, ApiError> {
    if store.venue(venue)?.is_none() {
        return Err(ApiError::NotFound {
            what: "venue",
            field: Some("venue_id".to_owned()),
        });
    }
    let zone = TimeZone::fixed(policy.utc_offset);
    let date = date.unwrap_or_else(|| now.to_zoned(zone.clone()).date());
    let out_of_range = || FieldError::new("date", "is too close to the ends of the calendar");
    let midnight = date.to_zoned(zone).map_err(|_| out_of_range())?.timestamp();
    // A fixed offset has no daylight saving: every day has 24 hours.
    let hours = (0..24u8)
        .map(|hour| {
            midnight
                .checked_add(SignedDuration::from_hours(i64::from(hour)))
                .map_err(|_| out_of_range())
        })
        .collect::<Result<Vec<Timestamp>, FieldError>>()?;
    let counts = store.venue_check_in_counts(venue, midnight, 24)?;
    Ok(VenueCheckInCounts {
        venue_id: venue.as_uuid(),
        date,
        utc_offset: crate::api::offset_text(policy.utc_offset),
        total: counts.iter().sum(),
        hours: (0..24u8)
            .zip(hours)
            .zip(counts)
            .map(|((hour, starts_at), check_ins)| HourCount {
                hour,
                starts_at,
                check_ins,
            })
            .collect(),
    })
}
