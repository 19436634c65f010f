//! Symptoms, declarations and tests: what residents feel and tell, and what laboratories find.
//! This is where naive rules go wrong, because colds exist.
//!
//! - **COVID-19.** 40% of infections stay asymptomatic (Ferretti et al., Science 2020). The
//!   others fall ill [`INCUBATION_DAYS`] after infection (median incubation 5.1 days, Lauer et
//!   al., Annals of Internal Medicine 2020), two days after becoming infectious, with symptoms
//!   drawn from [`COVID_SYMPTOMS`] (fever in 60%, 37.8–39.2 °C).
//! - **Colds.** Every day a resident who is not ill catches a cold with probability
//!   [`COLD_PER_DAY`] (about two colds a year), with symptoms from [`COLD_SYMPTOMS`]: mostly a
//!   runny or stuffy nose and a sore throat, a low fever (37.5–38.2 °C) in 10%.
//! - **Declarations.** On the day symptoms start, [`HONEST_SHARE`] of residents declare them
//!   with their temperature; the rest hide them.
//! - **Pharmacies.** That evening [`BUYS_MEDICINE`] of the ill buy medicine for their worst
//!   symptom, whether they declared it or not: a fever reducer for a fever, cough medicine for a
//!   cough or sore throat. Pharmacies report every such sale, as cities required in 2020. The
//!   share is an assumption, not a measured rate.
//! - **Tests.** Half of those who declared symptoms are sampled the next morning (PCR) and get
//!   the result a day later. Sensitivity [`SENSITIVITY`] for someone infected 3 to 14 days
//!   before the sample, specificity [`SPECIFICITY`] (WHO and FIND evaluations of RT-PCR put
//!   these near 0.85 and above 0.99). A positive result is how a case becomes known.

use std::collections::HashMap;

use healthcode_core::Symptom;
use healthcode_core::rating::Medicine;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::spread::Spread;

pub const INCUBATION_DAYS: u32 = 5;
pub const ASYMPTOMATIC_SHARE: f64 = 0.4;
pub const COLD_PER_DAY: f64 = 0.006;
pub const HONEST_SHARE: f64 = 0.8;
pub const TESTED_SHARE: f64 = 0.5;
pub const SENSITIVITY: f64 = 0.85;
pub const SPECIFICITY: f64 = 0.998;
pub const BUYS_MEDICINE: f64 = 0.3;
/// When, in minutes after local midnight, symptoms are declared (on the day they start),
/// samples are taken (and reported, a day later), and medicine is bought.
pub const DECLARED_AT: u16 = 8 * 60;
pub const SAMPLED_AT: u16 = 10 * 60;
pub const PURCHASED_AT: u16 = 19 * 60;
/// How long an episode of illness lasts; a resident catches no cold while ill.
const ILL_DAYS: u32 = 7;

/// Symptoms of COVID-19 and the share of symptomatic cases that have each.
pub const COVID_SYMPTOMS: [(Symptom, f64); 7] = [
    (Symptom::Fever, 0.6),
    (Symptom::DryCough, 0.6),
    (Symptom::Fatigue, 0.4),
    (Symptom::LossOfTasteOrSmell, 0.3),
    (Symptom::SoreThroat, 0.2),
    (Symptom::MuscleAche, 0.2),
    (Symptom::Headache, 0.2),
];

/// Symptoms of a cold and the share of colds that have each.
pub const COLD_SYMPTOMS: [(Symptom, f64); 7] = [
    (Symptom::RunnyNose, 0.7),
    (Symptom::StuffyNose, 0.6),
    (Symptom::SoreThroat, 0.5),
    (Symptom::DryCough, 0.4),
    (Symptom::Fatigue, 0.3),
    (Symptom::Headache, 0.3),
    (Symptom::Fever, 0.1),
];

/// What made someone ill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    Covid,
    Cold,
}

impl Cause {
    pub fn code(self) -> &'static str {
        match self {
            Cause::Covid => "covid",
            Cause::Cold => "cold",
        }
    }
}

/// An episode of illness: the ground truth of symptoms.
#[derive(Clone, Debug, PartialEq)]
pub struct Episode {
    pub person: u32,
    pub onset_day: u32,
    pub cause: Cause,
    pub symptoms: Vec<Symptom>,
    /// Degrees Celsius, one decimal.
    pub temperature: f64,
    pub declared: bool,
}

/// A laboratory result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TestResult {
    pub person: u32,
    /// Sampled on this day at 10:00, reported the next day at 10:00.
    pub sampled_day: u32,
    pub positive: bool,
}

/// A pharmacy's report of a sale of fever or cough medicine, at 19:00 on `day`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Purchase {
    pub person: u32,
    pub day: u32,
    pub medicine: Medicine,
}

/// What one day added, as positions in [`Health`]'s lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Today {
    pub episodes: std::ops::Range<usize>,
    pub results: std::ops::Range<usize>,
    pub purchases: std::ops::Range<usize>,
}

/// Who is ill, what was declared, bought and tested, day by day.
#[derive(Debug)]
pub struct Health {
    /// The day each resident's current illness ends, if they are ill.
    ill_until: Vec<u32>,
    /// Infections before this index have had their onset decided.
    next_onset: usize,
    /// Everyone to be sampled on a day, by the day.
    to_sample: Vec<(u32, u32)>,
    /// The earliest day a sample is due for each resident in `to_sample`.
    first_due: HashMap<u32, u32>,
    pub episodes: Vec<Episode>,
    pub results: Vec<TestResult>,
    pub purchases: Vec<Purchase>,
}

impl Health {
    pub fn new(residents: usize) -> Health {
        Health {
            ill_until: vec![0; residents],
            next_onset: 0,
            to_sample: Vec::new(),
            first_due: HashMap::new(),
            episodes: Vec::new(),
            results: Vec::new(),
            purchases: Vec::new(),
        }
    }

    /// Day `day`: onsets of COVID-19 among those infected [`INCUBATION_DAYS`] before, new
    /// colds, declarations, medicine bought, and the samples of the day.
    pub fn step(&mut self, day: u32, spread: &Spread, rng: &mut ChaCha8Rng) -> Today {
        let first_episode = self.episodes.len();
        let first_purchase = self.purchases.len();
        while let Some(infection) = spread.infections.get(self.next_onset) {
            if infection.day + INCUBATION_DAYS > day {
                break;
            }
            self.next_onset += 1;
            if infection.day + INCUBATION_DAYS == day && !rng.random_bool(ASYMPTOMATIC_SHARE) {
                self.fall_ill(infection.person, day, Cause::Covid, rng);
            }
        }
        for person in 0..self.ill_until.len() as u32 {
            if self.ill_until[person as usize] <= day && rng.random_bool(COLD_PER_DAY) {
                self.fall_ill(person, day, Cause::Cold, rng);
            }
        }
        for episode in &self.episodes[first_episode..] {
            if episode.declared && rng.random_bool(TESTED_SHARE) {
                self.to_sample.push((day + 1, episode.person));
            }
            let medicine = if episode.symptoms.contains(&Symptom::Fever) {
                Some(Medicine::FeverReducer)
            } else if episode
                .symptoms
                .iter()
                .any(|symptom| matches!(symptom, Symptom::DryCough | Symptom::SoreThroat))
            {
                Some(Medicine::CoughMedicine)
            } else {
                None
            };
            if let Some(medicine) = medicine.filter(|_| rng.random_bool(BUYS_MEDICINE)) {
                self.purchases.push(Purchase {
                    person: episode.person,
                    day,
                    medicine,
                });
            }
        }
        let first_result = self.results.len();
        let mut waiting = Vec::new();
        for (sample_day, person) in std::mem::take(&mut self.to_sample) {
            if sample_day != day {
                waiting.push((sample_day, person));
                continue;
            }
            let infected_days_ago = spread
                .infected_on(person)
                .map(|infected| day.saturating_sub(infected));
            let positive = match infected_days_ago {
                Some(days) if (3..=14).contains(&days) => rng.random_bool(SENSITIVITY),
                _ => !rng.random_bool(SPECIFICITY),
            };
            self.results.push(TestResult {
                person,
                sampled_day: day,
                positive,
            });
        }
        self.first_due.clear();
        for &(due, person) in &waiting {
            let first = self.first_due.entry(person).or_insert(due);
            *first = (*first).min(due);
        }
        self.to_sample = waiting;
        Today {
            episodes: first_episode..self.episodes.len(),
            results: first_result..self.results.len(),
            purchases: first_purchase..self.purchases.len(),
        }
    }

    /// Samples `person` on `day` (at [`SAMPLED_AT`]), unless a sample is already due for them
    /// by then: a test someone takes because the system asks for one.
    pub fn request_sample(&mut self, person: u32, day: u32) {
        if self.first_due.get(&person).is_none_or(|&due| due > day) {
            self.to_sample.push((day, person));
            self.first_due.insert(person, day);
        }
    }

    fn fall_ill(&mut self, person: u32, day: u32, cause: Cause, rng: &mut ChaCha8Rng) {
        let table = match cause {
            Cause::Covid => &COVID_SYMPTOMS,
            Cause::Cold => &COLD_SYMPTOMS,
        };
        let mut symptoms: Vec<Symptom> = table
            .iter()
            .filter(|(_, share)| rng.random_bool(*share))
            .map(|(symptom, _)| *symptom)
            .collect();
        if symptoms.is_empty() {
            symptoms.push(table[0].0);
        }
        let temperature = if symptoms.contains(&Symptom::Fever) {
            match cause {
                Cause::Covid => rng.random_range(37.8..39.2),
                Cause::Cold => rng.random_range(37.5..38.2),
            }
        } else {
            rng.random_range(36.2..37.2)
        };
        self.ill_until[person as usize] = day + ILL_DAYS;
        self.episodes.push(Episode {
            person,
            onset_day: day,
            cause,
            symptoms,
            temperature: (temperature * 10.0_f64).round() / 10.0,
            declared: rng.random_bool(HONEST_SHARE),
        });
    }
}
