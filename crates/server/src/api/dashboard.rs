//! The officials' dashboard: counts, never a person.

use healthcode_core::Date;
use healthcode_store::{ColourCounts, Dashboard};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::FieldError;

/// The dashboard's parameters.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashboardParams {
    /// How many days back to count, today included (1 to 60; 14 when absent).
    pub days: Option<String>,
}

/// The days a dashboard covers when none are asked for.
pub const DEFAULT_DASHBOARD_DAYS: u32 = 14;
/// The most days one dashboard covers.
pub const MAX_DASHBOARD_DAYS: u32 = 60;

impl DashboardParams {
    pub fn days(&self) -> Result<u32, FieldError> {
        match self.days.as_deref().map(str::trim) {
            None | Some("") => Ok(DEFAULT_DASHBOARD_DAYS),
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|days| (1..=MAX_DASHBOARD_DAYS).contains(days))
                .ok_or_else(|| {
                    FieldError::new(
                        "days",
                        format_args!("should be a whole number from 1 to {MAX_DASHBOARD_DAYS}"),
                    )
                }),
        }
    }
}

/// Residents by colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ColourCountsView {
    pub green: u64,
    pub yellow: u64,
    pub red: u64,
}

impl From<ColourCounts> for ColourCountsView {
    fn from(counts: ColourCounts) -> ColourCountsView {
        ColourCountsView {
            green: counts.green,
            yellow: counts.yellow,
            red: counts.red,
        }
    }
}

/// The residents of one district by their current colour.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DistrictColoursView {
    /// The region code of the residents' ID numbers (the first six digits).
    #[schema(example = "330106")]
    pub district: String,
    pub colours: ColourCountsView,
}

/// One day, in the active policy's offset from UTC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DashboardDayView {
    #[schema(value_type = String, format = Date, example = "2026-02-10")]
    pub day: Date,
    /// Residents by the colour of their latest rating made before the day ended.
    pub colours: ColourCountsView,
    /// Cases registered during the day, as suspected or confirmed.
    pub cases: u64,
    /// Of those, the ones registered as confirmed.
    pub confirmed_cases: u64,
    /// Close contacts tracing found during the day.
    pub close_contacts: u64,
    /// Secondary contacts tracing found during the day.
    pub secondary_contacts: u64,
}

/// Counts for health officials: colours now by district, each day's colours, cases and
/// contacts, and the appeal queue. No person is named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DashboardView {
    /// The days counted are civil days at this offset from UTC (the active policy's).
    #[schema(example = "+08:00")]
    pub utc_offset: String,
    /// Residents enrolled now.
    pub residents: u64,
    /// Residents by the colour of their latest rating; residents never rated are not counted.
    pub colours: ColourCountsView,
    /// `colours` by district, in region code order.
    pub districts: Vec<DistrictColoursView>,
    /// Oldest first; the last is today.
    pub days: Vec<DashboardDayView>,
    /// Appeals not decided yet.
    pub appeals_waiting: u64,
    /// Appeals decided during the days counted.
    pub appeals_decided: u64,
    /// The median time from filing to decision of those appeals, in whole minutes; absent
    /// when none was decided.
    pub median_minutes_to_decision: Option<i64>,
}

impl DashboardView {
    pub fn new(dashboard: &Dashboard, utc_offset: jiff::tz::Offset) -> DashboardView {
        DashboardView {
            utc_offset: crate::api::offset_text(utc_offset),
            residents: dashboard.residents,
            colours: dashboard.colours.into(),
            districts: dashboard
                .districts
                .iter()
                .map(|district| DistrictColoursView {
                    district: district.district.to_string(),
                    colours: district.colours.into(),
                })
                .collect(),
            days: dashboard
                .days
                .iter()
                .map(|day| DashboardDayView {
                    day: day.day,
                    colours: day.colours.into(),
                    cases: day.cases,
                    confirmed_cases: day.confirmed_cases,
                    close_contacts: day.close_contacts,
                    secondary_contacts: day.secondary_contacts,
                })
                .collect(),
            appeals_waiting: dashboard.appeals_waiting,
            appeals_decided: dashboard.appeals_decided,
            median_minutes_to_decision: dashboard
                .median_time_to_decision
                .map(|duration| duration.as_mins()),
        }
    }
}
