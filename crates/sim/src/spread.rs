//! The epidemic in the city: infectious people infect those they share a home, a workplace or
//! school class, or a venue with at the same time; nobody isolated by the system's colours
//! makes visits, and nobody isolated away from home meets their household. Periods are the well-mixed mode's
//! ([`LATENT_DAYS`], [`INFECTIOUS_DAYS`]). Rates per setting:
//!
//! - **Home:** each day, an infectious resident infects each susceptible member of their
//!   household with probability [`HOME_PER_DAY`]: over 5 infectious days a secondary attack rate
//!   of about 19%, the household rate Madewell et al. (JAMA Network Open, 2020) pooled.
//! - **Workplace and school:** on a day there, an infectious person meets
//!   [`DAYTIME_CONTACTS`] people present at the same place (Poisson, at random; Mossong et al.,
//!   PLOS Medicine 2008, counted about 8 contacts a day at work or school), infecting each with
//!   probability [`DAYTIME_PER_CONTACT`].
//! - **Venues:** an infectious visitor infects each other visitor whose stay overlaps theirs
//!   with probability [`VENUE_PER_HOUR`] per hour of overlap.
//!
//! - **Buses and flights** ([`Spread::ride`]) and **away from the city** ([`Spread::abroad`]):
//!   see those functions.
//!
//! The home rate follows from the measured household attack rate; the others are calibrated
//! so that, with no intervention, each person infected in the first 12 days infects about 2.2
//! others, the early reproduction number Li et al. (NEJM, 2020) estimated for Wuhan (counted
//! from the ground truth, 100,000 residents: 2.13 for seed 1, 2.10 for seed 2). About 70% of
//! residents are then infected within 60 days: 43% of infections at work or school, 33% at
//! venues, 21% at home, 2% on buses and flights.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};

use crate::city::{City, Visit};
use crate::mobility::{DESTINATIONS, Movement, Ride};
use crate::population::Population;
use crate::well_mixed::{INDEX_CASES_PER, INFECTIOUS_DAYS, LATENT_DAYS};
use healthcode_core::VenueKind;

pub const HOME_PER_DAY: f64 = 0.04;
pub const DAYTIME_CONTACTS: f64 = 8.0;
pub const DAYTIME_PER_CONTACT: f64 = 0.055;
pub const VENUE_PER_HOUR: f64 = 0.018;
pub const FLIGHT_NEAR_ROWS: u16 = 2;
pub const BUS_NEAR: usize = 5;

/// Whether a resident is isolated on a day, as the system's colours and their own compliance
/// decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isolation {
    None,
    /// At home: no visits, but the household is still met.
    Home,
    /// Away from home, in a hospital or a quarantine facility: nobody is met.
    Away,
}

/// Where an infection happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// Infected before the simulation, on day 0.
    Index,
    Home,
    /// At a workplace or school, by the venue's index.
    Daytime(u32),
    /// At a venue during an errand, by the venue's index.
    Venue(u32),
    /// On a bus or a flight, by the trip's id.
    Transit(uuid::Uuid),
    /// Away from the city, by the index of the destination in
    /// [`DESTINATIONS`](crate::mobility::DESTINATIONS).
    Travel(u8),
}

impl Setting {
    pub fn code(self) -> &'static str {
        match self {
            Setting::Index => "index",
            Setting::Home => "home",
            Setting::Daytime(_) => "work_or_school",
            Setting::Venue(_) => "venue",
            Setting::Transit(_) => "transit",
            Setting::Travel(_) => "travel",
        }
    }

    pub fn venue(self) -> Option<u32> {
        match self {
            Setting::Daytime(venue) | Setting::Venue(venue) => Some(venue),
            _ => None,
        }
    }

    pub fn trip(self) -> Option<uuid::Uuid> {
        match self {
            Setting::Transit(trip) => Some(trip),
            _ => None,
        }
    }

    pub fn destination(self) -> Option<u8> {
        match self {
            Setting::Travel(destination) => Some(destination),
            _ => None,
        }
    }
}

/// One infection of the ground truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Infection {
    pub person: u32,
    pub day: u32,
    pub infector: Option<u32>,
    pub setting: Setting,
}

/// The epidemic's state from day to day.
#[derive(Debug)]
pub struct Spread {
    infected_on: Vec<Option<u32>>,
    /// Every infection, in day order.
    pub infections: Vec<Infection>,
    /// Infections before this index are no longer infectious.
    first_active: usize,
    /// Where each household's members start in the population (they are contiguous), and
    /// one past the last.
    household_starts: Vec<u32>,
    daytime_contacts: Poisson<f64>,
}

impl Spread {
    /// Index cases on day 0: one resident in [`INDEX_CASES_PER`], at least one.
    pub fn start(population: &Population, rng: &mut ChaCha8Rng) -> Spread {
        let count = population.len();
        let mut spread = Spread {
            infected_on: vec![None; count],
            infections: Vec::new(),
            first_active: 0,
            household_starts: population.household_starts(),
            daytime_contacts: Poisson::new(DAYTIME_CONTACTS).expect("a positive mean"),
        };
        let index_cases = if count == 0 {
            0
        } else {
            (count / INDEX_CASES_PER).max(1)
        };
        while spread.infections.len() < index_cases {
            let person = rng.random_range(0..count) as u32;
            spread.infect(person, 0, None, Setting::Index);
        }
        spread
    }

    /// Whether anyone is latent or infectious on `day`.
    pub fn is_over(&mut self, day: u32) -> bool {
        self.retire(day);
        self.first_active == self.infections.len()
    }

    fn retire(&mut self, day: u32) {
        while self.first_active < self.infections.len()
            && self.infections[self.first_active].day + LATENT_DAYS + INFECTIOUS_DAYS <= day
        {
            self.first_active += 1;
        }
    }

    fn infect(&mut self, person: u32, day: u32, infector: Option<u32>, setting: Setting) {
        let state = &mut self.infected_on[person as usize];
        if state.is_none() {
            *state = Some(day);
            self.infections.push(Infection {
                person,
                day,
                infector,
                setting,
            });
        }
    }

    /// The day `person` was infected, if they were.
    pub fn infected_on(&self, person: u32) -> Option<u32> {
        self.infected_on[person as usize]
    }

    /// Whether `person` is infectious on `day`.
    fn infectious(&self, person: u32, day: u32) -> bool {
        self.infected_on[person as usize]
            .is_some_and(|on| on + LATENT_DAYS <= day && day < on + LATENT_DAYS + INFECTIOUS_DAYS)
    }

    /// One day of transmission, given everyone's `visits` that day (sorted by venue) and
    /// `isolation` (one per resident): nobody isolated away from home infects or is infected at
    /// home.
    pub fn step(
        &mut self,
        day: u32,
        city: &City,
        visits: &[Visit],
        isolation: &[Isolation],
        rng: &mut ChaCha8Rng,
    ) {
        self.retire(day);
        let active: Vec<Infection> = self.infections[self.first_active..]
            .iter()
            .copied()
            .filter(|infection| infection.day + LATENT_DAYS <= day)
            .collect();
        // Home.
        let away = |person: u32| isolation[person as usize] == Isolation::Away;
        for source in active.iter().filter(|source| !away(source.person)) {
            let household = household_of(&self.household_starts, source.person);
            let (start, end) = (
                self.household_starts[household],
                self.household_starts[household + 1],
            );
            for member in start..end {
                if member != source.person
                    && !away(member)
                    && self.infected_on[member as usize].is_none()
                    && rng.random_bool(HOME_PER_DAY)
                {
                    self.infect(member, day, Some(source.person), Setting::Home);
                }
            }
        }
        // Workplaces, schools and errands, venue by venue, in the order of the visits.
        let mut start = 0;
        while start < visits.len() {
            let venue = visits[start].venue;
            let end = start + visits[start..].partition_point(|visit| visit.venue == venue);
            let here = &visits[start..end];
            let daytime = matches!(
                city.venues[venue as usize].kind,
                VenueKind::Office | VenueKind::Factory | VenueKind::School
            );
            for visit in here {
                if !self.infectious(visit.person, day) {
                    continue;
                }
                if daytime {
                    let met = self.daytime_contacts.sample(rng) as usize;
                    for _ in 0..met {
                        let other = here[rng.random_range(0..here.len())].person;
                        if other != visit.person
                            && self.infected_on[other as usize].is_none()
                            && rng.random_bool(DAYTIME_PER_CONTACT)
                        {
                            self.infect(other, day, Some(visit.person), Setting::Daytime(venue));
                        }
                    }
                } else {
                    for other in here {
                        let overlap = visit
                            .until
                            .min(other.until)
                            .saturating_sub(visit.from.max(other.from));
                        if other.person == visit.person
                            || overlap == 0
                            || self.infected_on[other.person as usize].is_some()
                        {
                            continue;
                        }
                        let chance = 1.0 - (1.0 - VENUE_PER_HOUR).powf(f64::from(overlap) / 60.0);
                        if rng.random_bool(chance) {
                            self.infect(
                                other.person,
                                day,
                                Some(visit.person),
                                Setting::Venue(venue),
                            );
                        }
                    }
                }
            }
            start = end;
        }
    }
}

impl Spread {
    /// One day's transmission on buses and flights: an infectious rider infects those near
    /// them with probability [`VENUE_PER_HOUR`] per hour of the ride. On a flight, those near
    /// are the riders seated within [`FLIGHT_NEAR_ROWS`] rows (Hertzberg et al., PNAS 2018,
    /// found flight transmission confined to about two rows around the case); on a bus, where
    /// nobody has a seat of their own, [`BUS_NEAR`] riders drawn at random.
    pub fn ride(&mut self, day: u32, movement: &Movement, rng: &mut ChaCha8Rng) {
        let mut start = 0;
        while start < movement.rides.len() {
            let trip = movement.rides[start].trip;
            let end = start + movement.rides[start..].partition_point(|ride| ride.trip == trip);
            let riders = &movement.rides[start..end];
            let details = &movement.trips[trip as usize];
            let chance = 1.0 - (1.0 - VENUE_PER_HOUR).powf(f64::from(details.minutes) / 60.0);
            for rider in riders {
                if !self.infectious(rider.person, day) {
                    continue;
                }
                let near: Vec<&Ride> = match rider.seat {
                    Some((row, _)) => riders
                        .iter()
                        .filter(|other| {
                            other.seat.is_some_and(|(other_row, _)| {
                                row.abs_diff(other_row) <= FLIGHT_NEAR_ROWS
                            })
                        })
                        .collect(),
                    None => (0..BUS_NEAR)
                        .map(|_| &riders[rng.random_range(0..riders.len())])
                        .collect(),
                };
                for other in near {
                    if other.person != rider.person
                        && self.infected_on[other.person as usize].is_none()
                        && rng.random_bool(chance)
                    {
                        self.infect(
                            other.person,
                            day,
                            Some(rider.person),
                            Setting::Transit(details.trip_id),
                        );
                    }
                }
            }
            start = end;
        }
    }

    /// One day's infections of residents away, at their destinations' rates.
    pub fn abroad(
        &mut self,
        day: u32,
        travellers: impl Iterator<Item = (u32, u8)>,
        rng: &mut ChaCha8Rng,
    ) {
        for (person, destination) in travellers {
            if self.infected_on[person as usize].is_none()
                && rng.random_bool(DESTINATIONS[destination as usize].infection_per_day)
            {
                self.infect(person, day, None, Setting::Travel(destination));
            }
        }
    }
}

/// The household of `person`, by the starts of households.
fn household_of(starts: &[u32], person: u32) -> usize {
    starts.partition_point(|&start| start <= person) - 1
}
