//! The domain model of healthcode: residents, venues, visits, declarations, roles and purposes.
//!
//! This crate is pure. It never touches a database, the network, the file system, the clock or a
//! random number generator: time and identifiers come in as arguments. Every other crate depends
//! on it; it depends on no other crate of ours. A tidy test in this crate enforces that from
//! `cargo metadata`.
//!
//! Types follow "parse, don't validate": each has a private representation and a `parse` (or
//! `new`) constructor that checks it, so holding a value means holding a valid one.

pub mod access;
pub mod check_in;
pub mod consent;
pub mod declaration;
pub mod event;
pub mod follow_up;
pub mod household;
pub mod person;
pub mod phone;
pub mod rating;
pub mod region;
pub mod resident_id;
pub mod trace;
pub mod transit;
pub mod venue;
mod vocabulary;

pub use access::{
    Access, Actor, AuditAction, AuditOutcome, AuditRecord, Purpose, Role, StaffAccount, StaffId,
    Username, UsernameError,
};
pub use check_in::{CheckIn, CheckInError, CheckInSource};
pub use declaration::{
    Declaration, DeclarationError, Symptom, Temperature, TemperatureError, TravelEntry,
};
pub use event::{EventId, EventIdError};
pub use household::{HouseholdCode, HouseholdCodeError};
pub use person::{NameError, Person, PersonId, PersonName, PhoneError, PhoneNumber};
pub use phone::{
    Cell, CellId, CellIdError, CellPing, City, CityDay, CityError, DailyStay, Itinerary,
};
pub use region::{RegionCode, RegionCodeError};
pub use resident_id::{ResidentId, ResidentIdError};
pub use transit::{Boarding, BoardingError, Seat, SeatError, TransitMode, Trip, TripError, TripId};
pub use venue::{
    GeoPoint, GeoPointError, OpeningHours, OpeningHoursError, Venue, VenueId, VenueKind,
};
pub use vocabulary::UnknownCode;

/// Points in time are `jiff` timestamps (UTC instants); calendar dates are civil dates.
pub use jiff::{Timestamp, civil::Date};
