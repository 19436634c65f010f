//! What the health officials' dashboard counts: aggregates over everyone, never a person.
//!
//! The store answers counts only. Days are civil days in an offset from UTC the caller gives
//! (the active policy's), so that "a day" means the same on the dashboard as in the rules.

use healthcode_core::rating::Colour;
use healthcode_core::{Date, RegionCode, Timestamp};
use jiff::SignedDuration;
use jiff::tz::Offset;

/// Which days a dashboard covers: from `first_day` to `last_day`, both included, each day from
/// midnight to midnight in `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DashboardQuery {
    pub first_day: Date,
    pub last_day: Date,
    pub offset: Offset,
}

impl DashboardQuery {
    /// The days covered, in order (none if `last_day` is before `first_day`).
    pub fn days(&self) -> Vec<Date> {
        let mut days = Vec::new();
        let mut day = self.first_day;
        while day <= self.last_day {
            days.push(day);
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        days
    }

    /// The instant `day` starts in the query's offset.
    pub fn start_of(&self, day: Date) -> Timestamp {
        day.to_datetime(jiff::civil::Time::midnight())
            .to_zoned(jiff::tz::TimeZone::fixed(self.offset))
            .map(|zoned| zoned.timestamp())
            .unwrap_or(Timestamp::MIN)
    }

    /// The instant `day` ends (the next day starts) in the query's offset.
    pub fn end_of(&self, day: Date) -> Timestamp {
        day.tomorrow()
            .map(|next| self.start_of(next))
            .unwrap_or(Timestamp::MAX)
    }

    /// The day `at` falls on in the query's offset.
    pub fn day_of(&self, at: Timestamp) -> Date {
        at.to_zoned(jiff::tz::TimeZone::fixed(self.offset)).date()
    }
}

/// How many residents have each colour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ColourCounts {
    pub green: u64,
    pub yellow: u64,
    pub red: u64,
}

impl ColourCounts {
    /// Counts one more resident of `colour`.
    pub fn add(&mut self, colour: Colour) {
        match colour {
            Colour::Green => self.green += 1,
            Colour::Yellow => self.yellow += 1,
            Colour::Red => self.red += 1,
        }
    }

    pub fn of(&self, colour: Colour) -> u64 {
        match colour {
            Colour::Green => self.green,
            Colour::Yellow => self.yellow,
            Colour::Red => self.red,
        }
    }

    pub fn total(&self) -> u64 {
        self.green + self.yellow + self.red
    }
}

/// The residents of one district by their current colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DistrictColours {
    /// The region code of the residents' ID numbers (its first six digits): the county-level
    /// district where they were first registered, which the store knows for everyone.
    pub district: RegionCode,
    pub colours: ColourCounts,
}

/// One day of the dashboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DashboardDay {
    pub day: Date,
    /// Residents by the colour of their latest rating made before the day ended.
    pub colours: ColourCounts,
    /// Cases registered during the day, suspected or confirmed (as registered).
    pub cases: u64,
    /// Of those, the ones registered as confirmed.
    pub confirmed_cases: u64,
    /// People tracing found during the day as close contacts (each once, however many cases
    /// or places they were found through).
    pub close_contacts: u64,
    /// People tracing found during the day as secondary contacts (each once).
    pub secondary_contacts: u64,
}

/// The officials' dashboard: counts, no personal data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dashboard {
    /// Residents enrolled now.
    pub residents: u64,
    /// Residents by the colour of their latest rating; residents never rated are not counted.
    pub colours: ColourCounts,
    /// [`Dashboard::colours`] by district, in region code order.
    pub districts: Vec<DistrictColours>,
    /// Each day of the query, in order.
    pub days: Vec<DashboardDay>,
    /// Appeals not decided yet.
    pub appeals_waiting: u64,
    /// Appeals decided during the query's days.
    pub appeals_decided: u64,
    /// The median time from filing to decision of those appeals (the lower middle of an even
    /// number); `None` when none was decided.
    pub median_time_to_decision: Option<SignedDuration>,
}
