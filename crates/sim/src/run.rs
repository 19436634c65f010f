//! The city's daily life and epidemic, one day at a time: what `simulate` writes out and what
//! an evaluation puts a policy into.
//!
//! Every visit of a day is drawn, with its check-in's event id and whether it is scanned, before
//! anyone's isolation is applied: two runs of the same seed under different policies draw the
//! same numbers, so their differences come from the policies, not from chance.

use jiff::{SignedDuration, Timestamp};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::city::{City, Visit};
use crate::health::{Health, Today};
use crate::population::Population;
use crate::spread::{Isolation, Spread};
use crate::{
    CITY_STREAM, DAILY_LIFE_STREAM, EPIDEMIC_STREAM, HEALTH_ID_STREAM, HEALTH_STREAM,
    POPULATION_STREAM, SCAN_STREAM, Scenario, stream,
};

/// The instant `minutes` after local midnight (UTC+8) of `day`; day 0 is Monday 2 March 2026.
pub fn local_time(day: u32, minutes: u16) -> Timestamp {
    let day_zero: Timestamp = "2026-03-01T16:00:00Z".parse().expect("a valid time");
    day_zero
        + SignedDuration::from_hours(24 * i64::from(day))
        + SignedDuration::from_mins(i64::from(minutes))
}

/// A city in the middle of its epidemic.
#[derive(Debug)]
pub struct CityRun {
    pub population: Population,
    pub city: City,
    pub spread: Spread,
    pub health: Health,
    skipped_scans: f64,
    daily: ChaCha8Rng,
    scans: ChaCha8Rng,
    epidemic: ChaCha8Rng,
    health_rng: ChaCha8Rng,
    health_ids: ChaCha8Rng,
}

/// What one day brought.
#[derive(Debug)]
pub struct Day {
    /// The visits made, sorted by venue; those who stayed home made none.
    pub visits: Vec<Visit>,
    /// The visits scanned in, by position in `visits`, each with its check-in's event id.
    pub check_ins: Vec<(usize, uuid::Uuid)>,
    /// The day's illnesses, test results and pharmacy sales, in [`CityRun::health`].
    pub today: Today,
}

impl CityRun {
    /// The city of `scenario` on the morning of day 0, with its index cases. `skipped_scans`
    /// is the share of visits nobody scans in for.
    pub fn start(scenario: &Scenario, skipped_scans: f64) -> CityRun {
        let population = Population::generate(
            scenario.residents,
            scenario.year,
            &mut stream(scenario.seed, POPULATION_STREAM),
        );
        let city = City::generate(&population, &mut stream(scenario.seed, CITY_STREAM));
        let mut epidemic = stream(scenario.seed, EPIDEMIC_STREAM);
        let spread = Spread::start(&population, &mut epidemic);
        let health = Health::new(population.len());
        CityRun {
            population,
            city,
            spread,
            health,
            skipped_scans,
            daily: stream(scenario.seed, DAILY_LIFE_STREAM),
            scans: stream(scenario.seed, SCAN_STREAM),
            epidemic,
            health_rng: stream(scenario.seed, HEALTH_STREAM),
            health_ids: stream(scenario.seed, HEALTH_ID_STREAM),
        }
    }

    /// Day `day`, with everyone's `isolation` (one per resident): those isolated make no
    /// visits, and those isolated away from home meet nobody at home either.
    pub fn day(&mut self, day: u32, isolation: &[Isolation]) -> Day {
        let drawn = self.city.visits(&self.population, day, &mut self.daily);
        let mut visits = Vec::with_capacity(drawn.len());
        let mut check_ins = Vec::with_capacity(drawn.len());
        for visit in drawn {
            let event_id = uuid::Builder::from_random_bytes(self.scans.random()).into_uuid();
            let scanned = !self.scans.random_bool(self.skipped_scans);
            if isolation[visit.person as usize] != Isolation::None {
                continue;
            }
            if scanned {
                check_ins.push((visits.len(), event_id));
            }
            visits.push(visit);
        }
        self.spread
            .step(day, &self.city, &visits, isolation, &mut self.epidemic);
        let today = self.health.step(day, &self.spread, &mut self.health_rng);
        Day {
            visits,
            check_ins,
            today,
        }
    }

    /// A fresh event id for a health event: an illness's declaration, a test result, a sale.
    pub fn next_event_id(&mut self) -> uuid::Uuid {
        uuid::Builder::from_random_bytes(self.health_ids.random()).into_uuid()
    }
}
