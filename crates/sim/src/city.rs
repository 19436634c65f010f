//! The city: its venues, who works or studies where, and each day's visits, from which come
//! check-ins and the chances to infect.
//!
//! - **Workplaces.** 70% of residents aged 18 to 64 work (roughly China's labour participation),
//!   at one office or factory anywhere in the city, 25 workers per workplace on average,
//!   Monday to Friday, 09:00 to 18:00.
//! - **Schools.** Residents aged 6 to 17 go to a class in their district, about 45 pupils each
//!   (the most China's school standards allow), Monday to Friday, 08:00 to 16:00. Each class is
//!   a venue of its own: pupils spend the day with their class, and a school's health checks
//!   and records went by class.
//! - **Errands.** Each day a resident goes shopping (a shop, supermarket or market in their
//!   district) with probability 0.25 on weekdays and 0.4 at weekends, for 30 minutes between
//!   10:00 and 20:00; eats out (a restaurant in their district) with probability 0.15 on
//!   weekdays and 0.3 at weekends, for an hour at 12:00 or 18:00; goes to a gym with
//!   probability 0.05, for an hour between 18:00 and 21:00; and to a pharmacy with probability
//!   [`PHARMACY_PER_DAY`], for 10 minutes between 09:00 and 21:00. Each district has one venue
//!   of a kind per [`ERRAND_KINDS`] residents, at least one: a restaurant per 150 (China has
//!   about 9 million food-service outlets for 1.4 billion people), a shop per 200, a pharmacy
//!   per 2,500 (about 570,000 retail pharmacies), a supermarket or a gym per 2,000, a wet
//!   market per 20,000. How crowded venues are decides how many people tracing finds around a
//!   case. The visit rates are assumptions.
//!
//! Day 0 is a Monday. Times are local (UTC+8) minutes from midnight.

use healthcode_core::VenueKind;
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use crate::population::{DISTRICTS, Population};

const WORKING_SHARE: f64 = 0.7;
const WORKERS_PER_WORKPLACE: usize = 25;
const PUPILS_PER_CLASS: usize = 45;

/// Errand venues by kind, with how many residents of a district each serves.
const ERRAND_KINDS: [(VenueKind, usize); 6] = [
    (VenueKind::Shop, 200),
    (VenueKind::Supermarket, 2_000),
    (VenueKind::Market, 20_000),
    (VenueKind::Restaurant, 150),
    (VenueKind::Gym, 2_000),
    (VenueKind::Pharmacy, 2_500),
];

pub const PHARMACY_PER_DAY: f64 = 0.02;

/// The places of the kinds in [`ERRAND_KINDS`].
const SHOPS: usize = 0;
const SUPERMARKETS: usize = 1;
const MARKETS: usize = 2;
const RESTAURANTS: usize = 3;
const GYMS: usize = 4;
const PHARMACIES: usize = 5;

/// Where a district's centre is (WGS 84), for venues' locations around it.
pub(crate) const CENTRES: [(f64, f64); 6] = [
    (30.2425, 120.1693),
    (30.3190, 120.1419),
    (30.2592, 120.1300),
    (30.2085, 120.2117),
    (30.1625, 120.2645),
    (30.4190, 120.3010),
];

/// One venue of the city.
#[derive(Clone, Debug, PartialEq)]
pub struct Venue {
    pub venue_id: uuid::Uuid,
    pub name: String,
    pub kind: VenueKind,
    /// Index into [`DISTRICTS`].
    pub district: usize,
    pub latitude: f64,
    pub longitude: f64,
    /// Opening hours as the system reads them, e.g. `Mo-Fr 08:00-18:30`.
    pub opening_hours: &'static str,
}

/// The venues and who is expected where.
#[derive(Clone, Debug, Default)]
pub struct City {
    pub venues: Vec<Venue>,
    /// Each resident's workplace or school, by index into `venues`.
    pub daytime: Vec<Option<u32>>,
    /// Each district's errand venues of each kind (in the order of [`ERRAND_KINDS`]).
    errands: Vec<[Vec<u32>; 6]>,
}

/// One stay at a venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Visit {
    pub venue: u32,
    /// Minutes from the day's local midnight.
    pub from: u16,
    pub until: u16,
    pub person: u32,
}

impl City {
    pub fn generate(population: &Population, rng: &mut ChaCha8Rng) -> City {
        let mut city = City {
            venues: Vec::new(),
            daytime: vec![None; population.len()],
            errands: vec![Default::default(); DISTRICTS.len()],
        };

        let workers: Vec<usize> = (0..population.len())
            .filter(|&i| (18..=64).contains(&population.residents[i].age))
            .filter(|_| rng.random_bool(WORKING_SHARE))
            .collect();
        let workplaces = workers.len().div_ceil(WORKERS_PER_WORKPLACE);
        let first_workplace = city.venues.len();
        for number in 0..workplaces {
            let kind = if rng.random_bool(0.7) {
                VenueKind::Office
            } else {
                VenueKind::Factory
            };
            let district = rng.random_range(0..DISTRICTS.len());
            city.add(rng, kind, district, number, "Mo-Fr 08:00-19:00");
        }
        for &worker in &workers {
            city.daytime[worker] = Some((first_workplace + rng.random_range(0..workplaces)) as u32);
        }

        for district in 0..DISTRICTS.len() {
            let residents: Vec<usize> = (0..population.len())
                .filter(|&i| population.residents[i].district == district)
                .collect();
            let pupils: Vec<usize> = residents
                .iter()
                .copied()
                .filter(|&i| (6..=17).contains(&population.residents[i].age))
                .collect();
            if !pupils.is_empty() {
                let first = city.venues.len();
                let classes = pupils.len().div_ceil(PUPILS_PER_CLASS);
                for number in 0..classes {
                    city.add(
                        rng,
                        VenueKind::School,
                        district,
                        number,
                        "Mo-Fr 07:30-17:00",
                    );
                }
                for pupil in pupils {
                    city.daytime[pupil] = Some((first + rng.random_range(0..classes)) as u32);
                }
            }
            for (slot, &(kind, served)) in ERRAND_KINDS.iter().enumerate() {
                let count = residents.len().div_ceil(served).max(1);
                for number in 0..count {
                    let index = city.add(rng, kind, district, number, "Mo-Su 08:00-22:00");
                    city.errands[district][slot].push(index);
                }
            }
        }
        city
    }

    fn add(
        &mut self,
        rng: &mut ChaCha8Rng,
        kind: VenueKind,
        district: usize,
        number: usize,
        opening_hours: &'static str,
    ) -> u32 {
        let (latitude, longitude) = CENTRES[district];
        self.venues.push(Venue {
            venue_id: uuid::Builder::from_random_bytes(rng.random()).into_uuid(),
            name: format!("{} {} {}", DISTRICTS[district], kind.code(), number + 1),
            kind,
            district,
            latitude: latitude + rng.random_range(-0.03..0.03),
            longitude: longitude + rng.random_range(-0.03..0.03),
            opening_hours,
        });
        (self.venues.len() - 1) as u32
    }

    /// Everyone's visits on `day`, sorted by venue, then start, then person.
    pub fn visits(&self, population: &Population, day: u32, rng: &mut ChaCha8Rng) -> Vec<Visit> {
        let weekend = day % 7 >= 5;
        let mut visits = Vec::new();
        for (person, resident) in population.residents.iter().enumerate() {
            let person = person as u32;
            if !weekend {
                if let Some(venue) = self.daytime[person as usize] {
                    let (from, until) = if self.venues[venue as usize].kind == VenueKind::School {
                        (8 * 60, 16 * 60)
                    } else {
                        (9 * 60, 18 * 60)
                    };
                    visits.push(Visit {
                        venue,
                        from,
                        until,
                        person,
                    });
                }
            }
            let errands = &self.errands[resident.district];
            let (shop, eat) = if weekend { (0.4, 0.3) } else { (0.25, 0.15) };
            if rng.random_bool(shop) {
                // Shops twice as often as supermarkets or markets.
                let slot = *[SHOPS, SHOPS, SUPERMARKETS, MARKETS]
                    .choose(rng)
                    .expect("not empty");
                let from = rng.random_range(10 * 60..20 * 60);
                visits.push(Visit {
                    venue: *errands[slot].choose(rng).expect("every district has one"),
                    from,
                    until: from + 30,
                    person,
                });
            }
            if rng.random_bool(eat) {
                let from = if rng.random_bool(0.5) {
                    12 * 60
                } else {
                    18 * 60
                };
                visits.push(Visit {
                    venue: *errands[RESTAURANTS]
                        .choose(rng)
                        .expect("every district has one"),
                    from,
                    until: from + 60,
                    person,
                });
            }
            // A gym for an hour between 18:00 and 21:00; a pharmacy for 10 minutes between
            // 09:00 and 21:00.
            for (slot, chance, starts, minutes) in [
                (GYMS, 0.05, 18 * 60..21 * 60, 60),
                (PHARMACIES, PHARMACY_PER_DAY, 9 * 60..21 * 60, 10),
            ] {
                if rng.random_bool(chance) {
                    let from = rng.random_range(starts);
                    visits.push(Visit {
                        venue: *errands[slot].choose(rng).expect("every district has one"),
                        from,
                        until: from + minutes,
                        person,
                    });
                }
            }
        }
        visits.sort_unstable();
        visits
    }
}
