//! Quarantine follow-up: who is isolated, and the calendar day a daily check is about.
//!
//! Every resident in isolation gets a check a day (temperature and symptoms): a community
//! worker's visit, filed as a daily health report by the community ([`Reporter::Community`]),
//! or the resident's own declaration made that day. The checks are ordinary facts, so the
//! rating engine reads them like any other: a fever found at a check re-rates the resident at
//! once. A resident is isolated while their latest rating is one of [`ISOLATING_COLOURS`] and
//! still valid.
//!
//! [`Reporter::Community`]: crate::rating::Reporter::Community

use std::collections::BTreeSet;

use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, ToSpan};

use crate::declaration::{Symptom, Temperature};
use crate::event::EventId;
use crate::rating::{Colour, HealthReport, Reporter};

/// The colours that keep a resident at home, and so under daily follow-up: red (14 days of
/// isolation: cases, close contacts) and yellow (isolation at home: suspected cases, secondary
/// contacts, a close contact after a negative test, a fever until a negative test). Only green
/// moves freely.
pub const ISOLATING_COLOURS: [Colour; 2] = [Colour::Red, Colour::Yellow];

/// A calendar day in a policy's offset from UTC, with the instants it starts and ends at: what
/// "a check on that day" means for a declaration, which carries only the moment it was made.
///
/// Every `FollowUpDay` starts at midnight of its day in its offset and ends at the next midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FollowUpDay {
    day: Date,
    starts_at: Timestamp,
    ends_at: Timestamp,
}

/// A day too close to the ends of the calendar to have a next day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("is too close to the end of the calendar")]
pub struct FollowUpDayError;

impl FollowUpDay {
    /// `day`, read in `offset`.
    pub fn new(day: Date, offset: Offset) -> Result<FollowUpDay, FollowUpDayError> {
        let zone = TimeZone::fixed(offset);
        let next = day.checked_add(1.day()).map_err(|_| FollowUpDayError)?;
        let starts_at = day.to_zoned(zone.clone()).map_err(|_| FollowUpDayError)?;
        let ends_at = next.to_zoned(zone).map_err(|_| FollowUpDayError)?;
        Ok(FollowUpDay {
            day,
            starts_at: starts_at.timestamp(),
            ends_at: ends_at.timestamp(),
        })
    }

    /// The day before the one `now` falls on in `offset`: what workers check in the morning.
    pub fn yesterday(now: Timestamp, offset: Offset) -> Result<FollowUpDay, FollowUpDayError> {
        let today = now.to_zoned(TimeZone::fixed(offset)).date();
        let yesterday = today.yesterday().map_err(|_| FollowUpDayError)?;
        FollowUpDay::new(yesterday, offset)
    }

    /// The day `now` falls on in `offset`.
    pub fn today(now: Timestamp, offset: Offset) -> Result<FollowUpDay, FollowUpDayError> {
        FollowUpDay::new(now.to_zoned(TimeZone::fixed(offset)).date(), offset)
    }

    pub fn day(&self) -> Date {
        self.day
    }

    /// Midnight at the start of the day, included.
    pub fn starts_at(&self) -> Timestamp {
        self.starts_at
    }

    /// Midnight at the end of the day, excluded.
    pub fn ends_at(&self) -> Timestamp {
        self.ends_at
    }

    /// Whether `at` falls on this day.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.starts_at <= at && at < self.ends_at
    }
}

/// A community worker's daily check of a resident in isolation: the temperature they measured
/// and the symptoms they found, about one day.
///
/// It is kept as the community's daily health report about that day ([`FollowUpCheck::report`]),
/// not beside it: one record, which both the follow-up list and the rating engine read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowUpCheck {
    /// Chosen by the worker's device; a resend of the same check is stored once.
    pub event_id: EventId,
    /// The day the check is about, in the policy's offset.
    pub day: Date,
    /// When the check was recorded.
    pub checked_at: Timestamp,
    /// A check always measures the temperature.
    pub temperature: Temperature,
    pub symptoms: BTreeSet<Symptom>,
}

impl FollowUpCheck {
    /// The check as the community's daily health report, the way the store keeps it.
    pub fn report(&self) -> HealthReport {
        HealthReport {
            event_id: self.event_id,
            reporter: Reporter::Community,
            day: self.day,
            reported_at: self.checked_at,
            temperature: Some(self.temperature),
            symptoms: self.symptoms.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_day_runs_from_midnight_to_midnight_in_the_offset() {
        let day = FollowUpDay::new("2026-02-10".parse().unwrap(), jiff::tz::offset(8)).unwrap();
        assert_eq!(day.starts_at(), at("2026-02-09T16:00:00Z"));
        assert_eq!(day.ends_at(), at("2026-02-10T16:00:00Z"));
        assert!(day.contains(at("2026-02-09T16:00:00Z")));
        assert!(day.contains(at("2026-02-10T15:59:59.999Z")));
        assert!(!day.contains(at("2026-02-10T16:00:00Z")));
        assert!(!day.contains(at("2026-02-09T15:59:59.999Z")));
    }

    #[test]
    fn yesterday_is_the_day_before_now_in_the_offset_not_in_utc() {
        // 20:00 UTC on the 10th is already the 11th in China.
        let now = at("2026-02-10T20:00:00Z");
        let offset = jiff::tz::offset(8);
        assert_eq!(
            FollowUpDay::yesterday(now, offset)
                .unwrap()
                .day()
                .to_string(),
            "2026-02-10"
        );
        assert_eq!(
            FollowUpDay::today(now, offset).unwrap().day().to_string(),
            "2026-02-11"
        );
        assert_eq!(
            FollowUpDay::yesterday(now, jiff::tz::offset(0))
                .unwrap()
                .day()
                .to_string(),
            "2026-02-09"
        );
    }

    #[test]
    fn only_green_moves_freely() {
        for colour in Colour::ALL {
            assert_eq!(ISOLATING_COLOURS.contains(&colour), colour != Colour::Green);
        }
    }

    #[test]
    fn the_last_day_of_the_calendar_has_no_end() {
        assert_eq!(
            FollowUpDay::new(Date::MAX, jiff::tz::offset(0)),
            Err(FollowUpDayError)
        );
    }
}
