//! Check-ins: a person present at a venue from a time, until an optional time.

use jiff::Timestamp;

use crate::event::EventId;
use crate::person::PersonId;
use crate::venue::VenueId;
use crate::vocabulary::vocabulary;

/// Every `CheckIn` has times to the millisecond, and a `left` time, if any, after `entered`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckIn {
    event_id: EventId,
    venue: VenueId,
    person: PersonId,
    entered: Timestamp,
    left: Option<Timestamp>,
    source: CheckInSource,
}

vocabulary! {
    /// Who scanned whom.
    pub enum CheckInSource {
        /// The venue's scanner read the person's pass.
        VenueScansPerson => "venue_scans_person",
        /// The person scanned the venue's poster with their phone.
        PersonScansVenue => "person_scans_venue",
        /// A checkpoint worker scanned the person's pass at a gate or road checkpoint.
        Checkpoint => "checkpoint",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckInError {
    #[error("left should be after entered")]
    LeftBeforeEntered,
}

impl CheckIn {
    pub fn new(
        event_id: EventId,
        venue: VenueId,
        person: PersonId,
        entered: Timestamp,
        left: Option<Timestamp>,
        source: CheckInSource,
    ) -> Result<CheckIn, CheckInError> {
        // Times are kept to the millisecond everywhere they are stored; cut them here so that a
        // check-in valid now stays valid after a round trip through a store.
        let entered = to_millisecond(entered);
        let left = left.map(to_millisecond);
        if left.is_some_and(|left| left <= entered) {
            return Err(CheckInError::LeftBeforeEntered);
        }
        Ok(CheckIn {
            event_id,
            venue,
            person,
            entered,
            left,
            source,
        })
    }

    pub fn event_id(&self) -> EventId {
        self.event_id
    }

    pub fn venue(&self) -> VenueId {
        self.venue
    }

    pub fn person(&self) -> PersonId {
        self.person
    }

    pub fn entered(&self) -> Timestamp {
        self.entered
    }

    pub fn left(&self) -> Option<Timestamp> {
        self.left
    }

    pub fn source(&self) -> CheckInSource {
        self.source
    }
}

fn to_millisecond(at: Timestamp) -> Timestamp {
    Timestamp::from_millisecond(at.as_millisecond()).expect("a truncated timestamp is in range")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_in_cannot_end_before_it_starts() {
        let entered: Timestamp = "2026-02-10T09:00:00Z".parse().unwrap();
        let event_id: EventId = "2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04".parse().unwrap();
        let venue = VenueId::from_bytes([1; 16]);
        let person = PersonId::from_bytes([2; 16]);
        let source = CheckInSource::PersonScansVenue;
        assert!(CheckIn::new(event_id, venue, person, entered, None, source).is_ok());
        assert_eq!(
            CheckIn::new(event_id, venue, person, entered, Some(entered), source),
            Err(CheckInError::LeftBeforeEntered)
        );
        let within_a_millisecond: Timestamp = "2026-02-10T09:00:00.0004Z".parse().unwrap();
        assert_eq!(
            CheckIn::new(
                event_id,
                venue,
                person,
                entered,
                Some(within_a_millisecond),
                source
            ),
            Err(CheckInError::LeftBeforeEntered),
            "times are compared as they will be stored, to the millisecond"
        );
    }

    #[test]
    fn check_in_sources_round_trip_through_their_codes() {
        for source in CheckInSource::ALL {
            assert_eq!(CheckInSource::parse(source.code()), Ok(source));
        }
        assert_eq!(
            CheckInSource::parse("carrier_pigeon")
                .unwrap_err()
                .to_string(),
            "should be one of: venue_scans_person, person_scans_venue, checkpoint"
        );
    }
}
