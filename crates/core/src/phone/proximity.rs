//! Proximity searches: an official names a place, a radius and a time window, states a purpose
//! and an open case, and gets the people whose daily stays fall inside, as candidates for
//! contact review. A candidate is never a contact until an official confirms them; confirming
//! makes a close contact in the [`ContactSetting::Nearby`] setting, whose exposure is the part
//! of the candidate's stays inside the window.
//!
//! The limits keep a search to a neighbourhood and an incubation period: at most
//! [`MAX_RADIUS_METRES`] around the place and [`MAX_WINDOW`] long.

use jiff::{SignedDuration, Timestamp};

use super::{CellId, span};
use crate::access::StaffId;
use crate::event::uuid_id;
use crate::person::{PersonId, PersonName};
use crate::rating::{
    CaseId, Contact, ContactDegree, ContactId, ContactSetting, MAX_STATEMENT_CHARS,
};
use crate::venue::GeoPoint;
use crate::vocabulary::vocabulary;

/// The widest search, in metres around the place.
pub const MAX_RADIUS_METRES: u32 = 5_000;

/// The longest window a search may cover: the incubation period.
pub const MAX_WINDOW: SignedDuration = SignedDuration::from_hours(14 * 24);

/// The longest stated purpose or review reason, in characters.
pub const MAX_PURPOSE_CHARS: usize = MAX_STATEMENT_CHARS;

uuid_id!(
    /// The identifier of a proximity search, chosen by the official's client so that a resend
    /// searches once.
    ProximitySearchId
);

/// Every `ProximityQuery` has a radius of 1 to [`MAX_RADIUS_METRES`] metres and a window that
/// starts before it ends and lasts at most [`MAX_WINDOW`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProximityQuery {
    centre: GeoPoint,
    radius_metres: u32,
    from: Timestamp,
    until: Timestamp,
}

/// Why a place and window cannot be searched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProximityQueryError {
    #[error("the radius should be 1 to {MAX_RADIUS_METRES} metres, found {found}")]
    Radius { found: u32 },
    #[error("the window should start before it ends")]
    WindowBackwards,
    #[error("the window should last at most 14 days, found {found_hours} hours")]
    WindowTooLong { found_hours: i64 },
}

impl ProximityQuery {
    pub fn new(
        centre: GeoPoint,
        radius_metres: u32,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<ProximityQuery, ProximityQueryError> {
        if radius_metres == 0 || radius_metres > MAX_RADIUS_METRES {
            return Err(ProximityQueryError::Radius {
                found: radius_metres,
            });
        }
        if from >= until {
            return Err(ProximityQueryError::WindowBackwards);
        }
        let length = until.duration_since(from);
        if length > MAX_WINDOW {
            return Err(ProximityQueryError::WindowTooLong {
                found_hours: length.as_hours(),
            });
        }
        Ok(ProximityQuery {
            centre,
            radius_metres,
            from,
            until,
        })
    }

    pub fn centre(&self) -> GeoPoint {
        self.centre
    }

    pub fn radius_metres(&self) -> u32 {
        self.radius_metres
    }

    pub fn from(&self) -> Timestamp {
        self.from
    }

    pub fn until(&self) -> Timestamp {
        self.until
    }

    /// Whether a cell at `location` lies within the radius (its edge included).
    pub fn covers(&self, location: GeoPoint) -> bool {
        self.centre.distance_metres(location) <= f64::from(self.radius_metres)
    }

    /// The part of `[first_seen, last_seen]` inside the window, if they meet (touching counts).
    pub fn overlap(
        &self,
        first_seen: Timestamp,
        last_seen: Timestamp,
    ) -> Option<(Timestamp, Timestamp)> {
        let start = first_seen.max(self.from);
        let end = last_seen.min(self.until);
        (start <= end).then_some((start, end))
    }
}

/// A search an official ran, with the purpose they stated (free text, personal data: it is
/// stored sealed and shown only to officials).
#[derive(Clone, Debug, PartialEq)]
pub struct ProximitySearch {
    pub id: ProximitySearchId,
    /// The open case the search serves.
    pub case: CaseId,
    pub query: ProximityQuery,
    pub purpose: String,
    pub searched_by: StaffId,
    pub searched_at: Timestamp,
}

/// A daily stay that placed a candidate inside a search: the cell and the first and last time
/// their phone was seen there that day.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CandidateStay {
    pub cell: CellId,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
}

vocabulary! {
    /// What an official decides about a candidate.
    pub enum ReviewDecision {
        /// The candidate was near the case: a close contact.
        Confirm => "confirm",
        /// The candidate was not a contact (another floor, a passing car, …).
        Reject => "reject",
    }
}

/// An official's review of a candidate. A confirmation names the contact it made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CandidateReview {
    pub decision: ReviewDecision,
    /// The official's written reason (personal data, stored sealed).
    pub reason: String,
    pub reviewed_by: StaffId,
    pub reviewed_at: Timestamp,
    /// For a confirmation, the contact it recorded (or the nearby contact of the same case
    /// recorded before, by another search).
    pub contact: Option<ContactId>,
}

/// A person a search found, with the stays that placed them there and their review, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProximityCandidate {
    pub person: PersonId,
    /// For display masked; `Debug` prints it masked.
    pub name: PersonName,
    /// Sorted by first seen. Empty once the stays have passed their retention.
    pub stays: Vec<CandidateStay>,
    pub review: Option<CandidateReview>,
}

/// A stored search and every candidate it found, in person id order.
#[derive(Clone, Debug, PartialEq)]
pub struct ProximitySearchRecord {
    pub search: ProximitySearch,
    pub candidates: Vec<ProximityCandidate>,
}

/// When a candidate was inside the search, over all their stays: the first and last moment
/// inside the window, and how long in all (overlapping stays in neighbouring cells counted
/// once). `None` if no stay meets the window.
pub fn exposure(
    query: &ProximityQuery,
    stays: &[CandidateStay],
) -> Option<(Timestamp, Timestamp, SignedDuration)> {
    let mut inside: Vec<(Timestamp, Timestamp)> = stays
        .iter()
        .filter_map(|stay| query.overlap(stay.first_seen, stay.last_seen))
        .collect();
    inside.sort_unstable();
    let (first, _) = *inside.first()?;
    let mut last = first;
    let mut together = SignedDuration::ZERO;
    let mut current: Option<(Timestamp, Timestamp)> = None;
    for (start, end) in inside {
        last = last.max(end);
        current = match current {
            Some((open, close)) if start <= close => Some((open, close.max(end))),
            Some((open, close)) => {
                together += span(open, close);
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((open, close)) = current {
        together += span(open, close);
    }
    Some((first, last, together))
}

/// The close contact a confirmed candidate becomes: found now, for the search's case, nearby,
/// exposed while their stays overlapped the window. `None` if no stay meets the window (their
/// stays have passed their retention).
pub fn nearby_contact(
    search: &ProximitySearch,
    stays: &[CandidateStay],
    contact: ContactId,
    found_at: Timestamp,
) -> Option<Contact> {
    let (first_exposure, last_exposure, together) = exposure(&search.query, stays)?;
    Some(Contact {
        contact,
        case: search.case,
        degree: ContactDegree::Close,
        setting: ContactSetting::Nearby,
        first_exposure,
        last_exposure,
        together,
        found_at,
        dismissed_at: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn query(radius_metres: u32, from: &str, until: &str) -> ProximityQuery {
        ProximityQuery::new(
            GeoPoint::new(30.2741, 120.1551).unwrap(),
            radius_metres,
            at(from),
            at(until),
        )
        .unwrap()
    }

    fn stay(first_seen: &str, last_seen: &str) -> CandidateStay {
        CandidateStay {
            cell: CellId::parse("460-00-1-1").unwrap(),
            first_seen: at(first_seen),
            last_seen: at(last_seen),
        }
    }

    #[test]
    fn a_query_refuses_a_radius_or_window_beyond_the_limits() {
        let centre = GeoPoint::new(30.2741, 120.1551).unwrap();
        let (from, until) = (at("2026-02-01T00:00:00Z"), at("2026-02-10T00:00:00Z"));
        assert!(ProximityQuery::new(centre, 5_000, from, until).is_ok());
        assert_eq!(
            ProximityQuery::new(centre, 5_001, from, until),
            Err(ProximityQueryError::Radius { found: 5_001 })
        );
        assert_eq!(
            ProximityQuery::new(centre, 0, from, until),
            Err(ProximityQueryError::Radius { found: 0 })
        );
        assert_eq!(
            ProximityQuery::new(centre, 100, until, from),
            Err(ProximityQueryError::WindowBackwards)
        );
        let fourteen_days = from + MAX_WINDOW;
        assert!(ProximityQuery::new(centre, 100, from, fourteen_days).is_ok());
        assert_eq!(
            ProximityQuery::new(
                centre,
                100,
                from,
                fourteen_days + SignedDuration::from_secs(3600)
            ),
            Err(ProximityQueryError::WindowTooLong { found_hours: 337 })
        );
    }

    #[test]
    fn a_query_covers_cells_within_its_radius_by_great_circle_distance() {
        let search = query(500, "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z");
        // About 445 m north, and about 555 m north.
        assert!(search.covers(GeoPoint::new(30.2781, 120.1551).unwrap()));
        assert!(!search.covers(GeoPoint::new(30.2791, 120.1551).unwrap()));
        assert!(search.covers(search.centre()));
    }

    #[test]
    fn exposure_is_the_part_of_the_stays_inside_the_window_counted_once() {
        let search = query(500, "2026-02-01T10:00:00Z", "2026-02-01T18:00:00Z");
        let stays = [
            // Starts before the window: counts from 10:00 to 11:00.
            stay("2026-02-01T08:00:00Z", "2026-02-01T11:00:00Z"),
            // Overlaps the first in a neighbouring cell: 10:30 to 12:00 adds one hour.
            stay("2026-02-01T10:30:00Z", "2026-02-01T12:00:00Z"),
            // Ends after the window: 17:00 to 18:00.
            stay("2026-02-01T17:00:00Z", "2026-02-01T20:00:00Z"),
            // Outside the window.
            stay("2026-02-01T19:00:00Z", "2026-02-01T21:00:00Z"),
        ];
        assert_eq!(
            exposure(&search, &stays),
            Some((
                at("2026-02-01T10:00:00Z"),
                at("2026-02-01T18:00:00Z"),
                SignedDuration::from_hours(3)
            ))
        );
        assert_eq!(exposure(&search, &stays[3..]), None);
        assert_eq!(exposure(&search, &[]), None);
    }

    #[test]
    fn a_confirmed_candidate_becomes_a_close_nearby_contact_of_the_searchs_case() {
        let search = ProximitySearch {
            id: ProximitySearchId::from_bytes([1; 16]),
            case: CaseId::from_bytes([2; 16]),
            query: query(300, "2026-02-01T10:00:00Z", "2026-02-01T18:00:00Z"),
            purpose: "Noodle shop of case 2".to_owned(),
            searched_by: StaffId::from_bytes([3; 16]),
            searched_at: at("2026-02-03T09:00:00Z"),
        };
        let found_at = at("2026-02-03T10:00:00Z");
        let contact = nearby_contact(
            &search,
            &[stay("2026-02-01T12:00:00Z", "2026-02-01T12:20:00Z")],
            ContactId::from_bytes([4; 16]),
            found_at,
        )
        .unwrap();
        assert_eq!(
            contact,
            Contact {
                contact: ContactId::from_bytes([4; 16]),
                case: search.case,
                degree: ContactDegree::Close,
                setting: ContactSetting::Nearby,
                first_exposure: at("2026-02-01T12:00:00Z"),
                last_exposure: at("2026-02-01T12:20:00Z"),
                together: SignedDuration::from_mins(20),
                found_at,
                dismissed_at: None,
            }
        );
        assert_eq!(
            nearby_contact(&search, &[], ContactId::from_bytes([4; 16]), found_at),
            None
        );
    }
}
