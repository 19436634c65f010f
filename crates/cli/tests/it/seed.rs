//! Residents and their declarations, put in a data directory through the server's library
//! functions before the command runs on it.
//!
//! The command rates at the machine's time, so facts are placed relative to the real now.

use std::path::Path;

use healthcode_core::rating::{Colour, RatingRecord};
use healthcode_core::{Access, Actor, PersonId, Purpose, ResidentId, Timestamp};
use healthcode_server::api::{DeclarationRequest, NewResident};
use healthcode_server::service;
use healthcode_store::{SqliteStore, Store};

/// A valid resident ID number, different for each `serial` below 1000.
pub fn resident_id(serial: u32) -> ResidentId {
    ResidentId::with_check_character(&format!("33010619900101{serial:03}")).unwrap()
}

/// `hours` hours before now.
pub fn hours_ago(hours: i64) -> Timestamp {
    Timestamp::now() - jiff::SignedDuration::from_hours(hours)
}

/// Enrols the resident `serial` at `at` and answers their person id.
pub fn enrol(store: &SqliteStore, serial: u32, at: Timestamp) -> PersonId {
    let resident = NewResident {
        event_id: event_id(serial, 0),
        resident_id: resident_id(serial),
        name: healthcode_core::PersonName::parse("张三明").unwrap(),
        phone: healthcode_core::PhoneNumber::parse("13800138000").unwrap(),
    };
    let answer = service::enrol(store, at, resident).unwrap();
    PersonId::from_uuid(answer.response.person_id)
}

/// Records a declaration of `person` made at `at`, and rates them under the active policy (the
/// shipped default, activated at `at` if none was).
pub fn declare(
    store: &SqliteStore,
    person: PersonId,
    at: Timestamp,
    symptoms: &[&str],
    temperature_celsius: Option<f64>,
) {
    let (policy, _) = healthcode_cli::ratings::active_policy(store, at).unwrap();
    let access = Access::new(Actor::Resident(person), Purpose::HealthDeclaration, at);
    let request = DeclarationRequest {
        event_id: uuid::Uuid::new_v4().to_string(),
        symptoms: symptoms
            .iter()
            .map(|symptom| (*symptom).to_owned())
            .collect(),
        temperature_celsius,
        travel: Vec::new(),
    };
    service::record_declaration(store, &access, &policy, request).unwrap();
}

/// A stable event id for test rows: `serial` and `row` make it unique.
pub fn event_id(serial: u32, row: u32) -> healthcode_core::EventId {
    format!("7e57da7a-{serial:04}-4000-8000-{row:012}")
        .parse()
        .unwrap()
}

/// The person's rating history, oldest first.
pub fn history(data: &Path, person: PersonId) -> Vec<RatingRecord> {
    let store = SqliteStore::open(data).unwrap();
    let access = Access::new(Actor::LocalOperator, Purpose::Rating, Timestamp::now());
    store.rating_history(&access, person).unwrap()
}

/// The colours of the person's rating history, oldest first.
pub fn colours(data: &Path, person: PersonId) -> Vec<Colour> {
    history(data, person)
        .iter()
        .map(|record| record.colour)
        .collect()
}
