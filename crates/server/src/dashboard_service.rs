//! The health officials' dashboard: counts over everyone, for the days up to today in the
//! active policy's offset from UTC.
//!
//! Counts are not personal data, but counting residents by district opens every rated
//! resident's ID number, so the store audits each read of the dashboard (one record, no
//! subject). Shared by the API and the web pages; nothing here logs personal data.

use healthcode_core::Access;
use healthcode_core::rating::Policy;
use healthcode_store::{Dashboard, DashboardQuery, Store};
use jiff::ToSpan;

use crate::error::ApiError;

/// The dashboard of the `days` days up to and including today (at `access.at`, in the
/// policy's offset).
pub fn dashboard(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    days: u32,
) -> Result<Dashboard, ApiError> {
    let offset = policy.utc_offset;
    let today = access.at.to_zoned(jiff::tz::TimeZone::fixed(offset)).date();
    let back = i64::from(days.max(1)) - 1;
    let first_day = today.checked_sub(back.days()).map_err(ApiError::internal)?;
    Ok(store.dashboard(
        access,
        &DashboardQuery {
            first_day,
            last_day: today,
            offset,
        },
    )?)
}
