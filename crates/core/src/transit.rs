//! Trips with real-name manifests: flights, trains, buses and taxis, and the boardings their
//! operators report.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;

use crate::event::{EventId, uuid_id};
use crate::person::PersonId;
use crate::vocabulary::vocabulary;

uuid_id!(
    /// The identifier of one trip (one flight on one day, one run of a bus), chosen by the
    /// operator that reports it, so that every boarding of the trip names the same trip.
    TripId
);

vocabulary! {
    /// How a trip travels. The tracing policy sets a default ride per mode, for boardings whose
    /// alighting is not known.
    pub enum TransitMode {
        Flight => "flight",
        Train => "train",
        Bus => "bus",
        Taxi => "taxi",
    }
}

/// A trip as its operator names it: the mode, the service's own code (`CA1501`, `G7`, bus
/// line `B12`, a taxi's plate) and when it departs. Trips are not personal data.
///
/// Every `Trip` has a code of 1 to 32 printable ASCII characters without spaces at either end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trip {
    pub id: TripId,
    pub mode: TransitMode,
    code: String,
    pub departs_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TripError {
    #[error("the trip code should be 1 to 32 printable characters, such as CA1501 or B12")]
    Code,
}

impl Trip {
    pub fn new(
        id: TripId,
        mode: TransitMode,
        code: &str,
        departs_at: Timestamp,
    ) -> Result<Trip, TripError> {
        let printable = code.chars().all(|c| c.is_ascii_graphic() || c == ' ');
        if code.is_empty() || code.len() > 32 || !printable || code.trim() != code {
            return Err(TripError::Code);
        }
        Ok(Trip {
            id,
            mode,
            code: code.to_owned(),
            departs_at: to_millisecond(departs_at),
        })
    }

    pub fn code(&self) -> &str {
        &self.code
    }
}

/// A seat: a row from 1 and a letter, written `12C`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seat {
    row: u16,
    letter: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("should be a row from 1 to 999 and a capital letter, such as 12C")]
pub struct SeatError;

impl Seat {
    pub fn new(row: u16, letter: char) -> Result<Seat, SeatError> {
        if !(1..=999).contains(&row) || !letter.is_ascii_uppercase() {
            return Err(SeatError);
        }
        Ok(Seat {
            row,
            letter: letter as u8,
        })
    }

    pub fn row(&self) -> u16 {
        self.row
    }

    pub fn letter(&self) -> char {
        char::from(self.letter)
    }
}

impl FromStr for Seat {
    type Err = SeatError;

    fn from_str(text: &str) -> Result<Seat, SeatError> {
        let letter = text.chars().last().ok_or(SeatError)?;
        let row = &text[..text.len() - letter.len_utf8()];
        if row.is_empty() || row.starts_with('0') || !row.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SeatError);
        }
        Seat::new(row.parse().map_err(|_| SeatError)?, letter)
    }
}

impl fmt::Display for Seat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.row, self.letter())
    }
}

/// An operator's report that a person rode a trip: boarded at a time, alighted at a time if the
/// operator knows it (a bus card is tapped only on boarding), in a seat if seats are assigned.
///
/// Every `Boarding` has times to the millisecond, and an `alighted` time, if any, after
/// `boarded`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Boarding {
    event_id: EventId,
    trip: TripId,
    person: PersonId,
    boarded: Timestamp,
    alighted: Option<Timestamp>,
    seat: Option<Seat>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoardingError {
    #[error("alighted should be after boarded")]
    AlightedBeforeBoarded,
}

impl Boarding {
    pub fn new(
        event_id: EventId,
        trip: TripId,
        person: PersonId,
        boarded: Timestamp,
        alighted: Option<Timestamp>,
        seat: Option<Seat>,
    ) -> Result<Boarding, BoardingError> {
        let boarded = to_millisecond(boarded);
        let alighted = alighted.map(to_millisecond);
        if alighted.is_some_and(|alighted| alighted <= boarded) {
            return Err(BoardingError::AlightedBeforeBoarded);
        }
        Ok(Boarding {
            event_id,
            trip,
            person,
            boarded,
            alighted,
            seat,
        })
    }

    pub fn event_id(&self) -> EventId {
        self.event_id
    }

    pub fn trip(&self) -> TripId {
        self.trip
    }

    pub fn person(&self) -> PersonId {
        self.person
    }

    pub fn boarded(&self) -> Timestamp {
        self.boarded
    }

    pub fn alighted(&self) -> Option<Timestamp> {
        self.alighted
    }

    pub fn seat(&self) -> Option<Seat> {
        self.seat
    }
}

fn to_millisecond(at: Timestamp) -> Timestamp {
    Timestamp::from_millisecond(at.as_millisecond()).expect("a truncated timestamp is in range")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seats_read_and_write_as_row_and_letter() {
        for text in ["1A", "12C", "999K"] {
            let seat: Seat = text.parse().unwrap();
            assert_eq!(seat.to_string(), text);
        }
        assert_eq!("12C".parse::<Seat>().unwrap().row(), 12);
        for text in ["", "C", "12", "0A", "012C", "12c", "1000A", "12CC", "１2C"] {
            assert_eq!(text.parse::<Seat>(), Err(SeatError), "{text:?}");
        }
    }

    #[test]
    fn a_boarding_cannot_end_before_it_starts() {
        let boarded: Timestamp = "2026-02-10T09:00:00Z".parse().unwrap();
        let event = EventId::from_bytes([1; 16]).unwrap();
        let trip = TripId::from_bytes([2; 16]);
        let person = PersonId::from_bytes([3; 16]);
        assert!(Boarding::new(event, trip, person, boarded, None, None).is_ok());
        assert_eq!(
            Boarding::new(event, trip, person, boarded, Some(boarded), None),
            Err(BoardingError::AlightedBeforeBoarded)
        );
    }

    #[test]
    fn trip_codes_are_short_printable_text() {
        let id = TripId::from_bytes([1; 16]);
        let at: Timestamp = "2026-02-10T09:00:00Z".parse().unwrap();
        assert!(Trip::new(id, TransitMode::Flight, "CA1501", at).is_ok());
        assert!(Trip::new(id, TransitMode::Taxi, "浙A 12345", at).is_err());
        for code in ["", " B12", "B12 ", &"X".repeat(33)] {
            assert_eq!(
                Trip::new(id, TransitMode::Bus, code, at),
                Err(TripError::Code)
            );
        }
    }
}
