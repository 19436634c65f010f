//! The JSON shapes of a venue's check-in counts: numbers per hour, never a person.

use healthcode_core::{Date, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{FieldError, parse_date};

/// Which day's check-ins to count.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CheckInCountsQuery {
    /// A day in the active policy's offset from UTC; today if absent.
    #[param(example = "2026-02-10")]
    pub date: Option<String>,
}

impl CheckInCountsQuery {
    pub fn date(&self) -> Result<Option<Date>, FieldError> {
        self.date
            .as_deref()
            .map(str::trim)
            .filter(|date| !date.is_empty())
            .map(|date| parse_date("date", date))
            .transpose()
    }
}

/// How many check-ins a venue had in each hour of one day. Counts only: nobody is named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VenueCheckInCounts {
    pub venue_id: Uuid,
    /// The day counted, in the offset below.
    pub date: Date,
    /// The active policy's offset from UTC that the day and its hours are read in.
    #[schema(example = "+08:00")]
    pub utc_offset: String,
    /// The day's 24 hours, from midnight.
    pub hours: Vec<HourCount>,
    /// Every check-in of the day.
    pub total: u64,
}

/// The check-ins entered during one hour.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HourCount {
    /// 0 to 23: the hour of the day on the clock of the day's offset.
    pub hour: u8,
    pub starts_at: Timestamp,
    pub check_ins: u64,
}
