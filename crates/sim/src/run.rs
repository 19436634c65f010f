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
use crate::mobility::{Mobility, Movement};
use crate::population::Population;
use crate::spread::{Isolation, Spread};
use crate::{
    CITY_STREAM, DAILY_LIFE_STREAM, EPIDEMIC_STREAM, HEALTH_ID_STREAM, HEALTH_STREAM,
    MOBILITY_STREAM, MOVEMENT_ID_STREAM, POPULATION_STREAM, SCAN_STREAM, Scenario, stream,
};

/// The instant `minutes` after local midnight (UTC+8) of `day`; day 0 is Monday 2 March 2026.
pub fn local_time(day: u32, minutes: u16) -> Timestamp {
    // 2026-03-02T00:00:00+08:00.
    const DAY_ZERO_SECONDS: i64 = 1_772_380_800;
    Timestamp::from_second(DAY_ZERO_SECONDS).expect("a valid time")
        + SignedDuration::from_hours(24 * i64::from(day))
        + SignedDuration::from_mins(i64::from(minutes))
}

/// The local calendar date of `day`.
pub fn local_date(day: u32) -> jiff::civil::Date {
    let first = jiff::civil::date(2026, 3, 2);
    first
        .checked_add(jiff::Span::new().days(i64::from(day)))
        .expect("simulated days stay within the calendar")
}

/// A city in the middle of its epidemic.
#[derive(Debug)]
pub struct CityRun {
    pub population: Population,
    pub city: City,
    pub spread: Spread,
    pub health: Health,
    pub mobility: Mobility,
    skipped_scans: f64,
    /// Where everyone is today: their isolation, or away from the city.
    whereabouts: Vec<Isolation>,
    daily: ChaCha8Rng,
    movements: ChaCha8Rng,
    movement_ids: ChaCha8Rng,
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
    /// The day's bus rides and flights, pings, and trips out of the city ended.
    pub movement: Movement,
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
        let mut movements = stream(scenario.seed, MOBILITY_STREAM);
        let mobility = Mobility::generate(&population, &city, &mut movements);
        CityRun {
            whereabouts: vec![Isolation::None; population.len()],
            population,
            city,
            spread,
            health,
            mobility,
            skipped_scans,
            daily: stream(scenario.seed, DAILY_LIFE_STREAM),
            movements,
            movement_ids: stream(scenario.seed, MOVEMENT_ID_STREAM),
            scans: stream(scenario.seed, SCAN_STREAM),
            epidemic,
            health_rng: stream(scenario.seed, HEALTH_STREAM),
            health_ids: stream(scenario.seed, HEALTH_ID_STREAM),
        }
    }

    /// Day `day`, with everyone's `isolation` (one per resident): those isolated make no
    /// visits and do not travel, and those isolated away from home meet nobody at home
    /// either; nor do those away from the city.
    pub fn day(&mut self, day: u32, isolation: &[Isolation]) -> Day {
        self.whereabouts.copy_from_slice(isolation);
        let movement = self.mobility.day(
            day,
            &self.population,
            isolation,
            &mut self.whereabouts,
            &mut self.movements,
        );
        let whereabouts = &self.whereabouts;
        let drawn = self.city.visits(&self.population, day, &mut self.daily);
        let mut visits = Vec::with_capacity(drawn.len());
        let mut check_ins = Vec::with_capacity(drawn.len());
        for visit in drawn {
            let event_id = uuid::Builder::from_random_bytes(self.scans.random()).into_uuid();
            let scanned = !self.scans.random_bool(self.skipped_scans);
            if whereabouts[visit.person as usize] != Isolation::None {
                continue;
            }
            if scanned {
                check_ins.push((visits.len(), event_id));
            }
            visits.push(visit);
        }
        self.spread
            .step(day, &self.city, &visits, whereabouts, &mut self.epidemic);
        self.spread.ride(day, &movement, &mut self.epidemic);
        let travellers = self.mobility.travellers();
        self.spread.abroad(day, travellers, &mut self.epidemic);
        let today = self.health.step(day, &self.spread, &mut self.health_rng);
        Day {
            visits,
            check_ins,
            today,
            movement,
        }
    }

    /// A fresh event id for a boarding or a cell ping.
    pub fn next_movement_id(&mut self) -> uuid::Uuid {
        uuid::Builder::from_random_bytes(self.movement_ids.random()).into_uuid()
    }

    /// A fresh event id for a health event: an illness's declaration, a test result, a sale.
    pub fn next_event_id(&mut self) -> uuid::Uuid {
        uuid::Builder::from_random_bytes(self.health_ids.random()).into_uuid()
    }
}
