//! Health declarations: what a resident says about their symptoms, temperature and travel.

use std::collections::BTreeSet;

use jiff::Timestamp;
use jiff::civil::Date;

use crate::event::EventId;
use crate::person::PersonId;
use crate::region::RegionCode;
use crate::vocabulary::vocabulary;

/// A declaration as submitted. Every `Declaration` has travel entries whose periods end on or
/// after they start, at most [`Declaration::MAX_TRAVEL_ENTRIES`] of them.
///
/// It is health data: `Debug` prints only its event, person and time, never its content.
#[derive(Clone, PartialEq)]
pub struct Declaration {
    event_id: EventId,
    person: PersonId,
    declared_at: Timestamp,
    symptoms: BTreeSet<Symptom>,
    temperature: Option<Temperature>,
    travel: Vec<TravelEntry>,
}

impl std::fmt::Debug for Declaration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Declaration")
            .field("event_id", &self.event_id)
            .field("person", &self.person)
            .field("declared_at", &self.declared_at)
            .finish_non_exhaustive()
    }
}

/// A stay in a region between two dates, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TravelEntry {
    pub region: RegionCode,
    pub from: Date,
    pub to: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeclarationError {
    #[error("travel entry {index}: from should be on or before to")]
    TravelPeriod { index: usize },
    #[error("should list at most {max} travel entries", max = Declaration::MAX_TRAVEL_ENTRIES)]
    TooMuchTravel,
}

impl Declaration {
    pub const MAX_TRAVEL_ENTRIES: usize = 60;

    pub fn new(
        event_id: EventId,
        person: PersonId,
        declared_at: Timestamp,
        symptoms: BTreeSet<Symptom>,
        temperature: Option<Temperature>,
        travel: Vec<TravelEntry>,
    ) -> Result<Declaration, DeclarationError> {
        if travel.len() > Declaration::MAX_TRAVEL_ENTRIES {
            return Err(DeclarationError::TooMuchTravel);
        }
        if let Some(index) = travel.iter().position(|entry| entry.from > entry.to) {
            return Err(DeclarationError::TravelPeriod { index });
        }
        Ok(Declaration {
            event_id,
            person,
            declared_at,
            symptoms,
            temperature,
            travel,
        })
    }

    pub fn event_id(&self) -> EventId {
        self.event_id
    }

    pub fn person(&self) -> PersonId {
        self.person
    }

    pub fn declared_at(&self) -> Timestamp {
        self.declared_at
    }

    pub fn symptoms(&self) -> &BTreeSet<Symptom> {
        &self.symptoms
    }

    pub fn temperature(&self) -> Option<Temperature> {
        self.temperature
    }

    pub fn travel(&self) -> &[TravelEntry] {
        &self.travel
    }
}

vocabulary! {
    /// The fixed vocabulary of symptoms a resident can declare. Which of them matter, and how
    /// much, is the policy's business, not this list's.
    pub enum Symptom {
        Fever => "fever",
        DryCough => "dry_cough",
        Fatigue => "fatigue",
        SoreThroat => "sore_throat",
        StuffyNose => "stuffy_nose",
        RunnyNose => "runny_nose",
        ShortnessOfBreath => "shortness_of_breath",
        LossOfTasteOrSmell => "loss_of_taste_or_smell",
        MuscleAche => "muscle_ache",
        Headache => "headache",
        Diarrhoea => "diarrhoea",
        Chills => "chills",
        Conjunctivitis => "conjunctivitis",
    }
}

/// Every `Temperature` is a body temperature between 34.0 and 43.0 °C, kept in tenths of a degree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Temperature(i16);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemperatureError {
    #[error("should be a body temperature between 34.0 and 43.0 °C, found {found}")]
    OutOfRange { found: String },
}

impl Temperature {
    const MIN_TENTHS: i16 = 340;
    const MAX_TENTHS: i16 = 430;

    pub fn from_celsius(celsius: f64) -> Result<Temperature, TemperatureError> {
        let out_of_range = || TemperatureError::OutOfRange {
            found: format!("{celsius}"),
        };
        if !celsius.is_finite() {
            return Err(out_of_range());
        }
        let tenths = (celsius * 10.0).round();
        if tenths < f64::from(Temperature::MIN_TENTHS)
            || tenths > f64::from(Temperature::MAX_TENTHS)
        {
            return Err(out_of_range());
        }
        Ok(Temperature(tenths as i16))
    }

    pub fn from_tenths(tenths: i16) -> Result<Temperature, TemperatureError> {
        Temperature::from_celsius(f64::from(tenths) / 10.0)
    }

    pub fn tenths(self) -> i16 {
        self.0
    }

    pub fn celsius(self) -> f64 {
        f64::from(self.0) / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperatures_outside_the_body_range_are_refused() {
        assert_eq!(Temperature::from_celsius(37.34).unwrap().tenths(), 373);
        assert_eq!(Temperature::from_celsius(34.0).unwrap().celsius(), 34.0);
        assert_eq!(Temperature::from_celsius(43.0).unwrap().celsius(), 43.0);
        for bad in [60.0, 33.9, 43.1, f64::NAN, f64::INFINITY] {
            assert!(Temperature::from_celsius(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Temperature::from_celsius(60.0).unwrap_err().to_string(),
            "should be a body temperature between 34.0 and 43.0 °C, found 60"
        );
    }

    #[test]
    fn symptoms_round_trip_through_their_codes() {
        for symptom in Symptom::ALL {
            assert_eq!(Symptom::parse(symptom.code()), Ok(symptom));
        }
        assert!(Symptom::parse("sneezing").is_err());
    }

    #[test]
    fn travel_periods_must_not_run_backwards() {
        let event_id: EventId = "2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04".parse().unwrap();
        let region = RegionCode::parse("420100").unwrap();
        let travel = vec![TravelEntry {
            region,
            from: Date::new(2026, 2, 3).unwrap(),
            to: Date::new(2026, 2, 1).unwrap(),
        }];
        let result = Declaration::new(
            event_id,
            PersonId::from_bytes([1; 16]),
            "2026-02-10T09:00:00Z".parse().unwrap(),
            BTreeSet::new(),
            None,
            travel,
        );
        assert_eq!(result, Err(DeclarationError::TravelPeriod { index: 0 }));
    }
}
