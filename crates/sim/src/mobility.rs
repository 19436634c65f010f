//! Movement beyond the district: buses to work, trips out of the city by air, and what mobile
//! networks see of them.
//!
//! - **Buses.** Of the workers whose workplace lies in another district, [`BUS_SHARE`] ride
//!   the bus there and back on weekdays (public transport carried about 30% of commutes in
//!   large Chinese cities, per the 2020 commuting monitoring report of the Ministry of Housing
//!   and Urban-Rural Development). Each pair of districts has a line; each run carries about
//!   [`RIDERS_PER_BUS`], departing between 07:20 and 08:30 and between 18:05 and 19:15, for
//!   30 minutes. Bus cards are tapped only on boarding.
//! - **Trips out.** Each day [`TRAVEL_PER_DAY`] of residents leave for one of
//!   [`DESTINATIONS`] for 2 to 7 days, by the day's flight there (09:00, two hours), and come
//!   back by the day's flight home (13:00); seats are assigned, six a row. While away they
//!   make no visits and meet nobody in the city, and may be infected at the destination, at
//!   its rate. On the evening they are back, [`DECLARES_TRAVEL`] of them declare the trip.
//! - **Cell towers.** Every district has one cell per [`RESIDENTS_PER_CELL`] residents, and
//!   every destination one cell. Networks report a phone once a day in each city it was seen
//!   in, on the days it was seen outside its home city: at home in the morning it leaves, at
//!   the destination at noon each day, at home in the evening it comes back. That is what an
//!   itinerary needs; a phone that never leaves the city is reported nowhere.

use healthcode_core::rating::RiskLevel;
use healthcode_core::{TransitMode, VenueKind};
use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::city::City;
use crate::population::{DISTRICTS, Population};
use crate::spread::Isolation;

pub const BUS_SHARE: f64 = 0.3;
pub const RIDERS_PER_BUS: usize = 50;
pub const TRAVEL_PER_DAY: f64 = 0.001;
pub const DECLARES_TRAVEL: f64 = 0.7;
pub const RESIDENTS_PER_CELL: usize = 2_000;
/// How long a bus ride and a flight last, in minutes.
pub const BUS_MINUTES: u16 = 30;
pub const FLIGHT_MINUTES: u16 = 120;
const SEATS_PER_ROW: usize = 6;
/// When, in minutes after local midnight, a trip is declared on the day the resident is back.
pub const TRAVEL_DECLARED_AT: u16 = 20 * 60 + 30;

/// A city residents travel to, as officials list it and as its risk of infection is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Destination {
    pub name: &'static str,
    /// The city's region code (GB/T 2260).
    pub region: &'static str,
    /// The level officials list the city at, if they list it.
    pub level: Option<RiskLevel>,
    /// The chance a susceptible visitor is infected there on a day.
    pub infection_per_day: f64,
    pub latitude: f64,
    pub longitude: f64,
}

/// Where residents go: one city listed at high risk, one at medium, three not listed. The
/// rates of infection are assumptions in proportion to the listing.
pub const DESTINATIONS: [Destination; 5] = [
    Destination {
        name: "Beijing",
        region: "110100",
        level: None,
        infection_per_day: 0.0002,
        latitude: 39.9042,
        longitude: 116.4074,
    },
    Destination {
        name: "Shanghai",
        region: "310100",
        level: None,
        infection_per_day: 0.0002,
        latitude: 31.2304,
        longitude: 121.4737,
    },
    Destination {
        name: "Wuhan",
        region: "420100",
        level: Some(RiskLevel::High),
        infection_per_day: 0.005,
        latitude: 30.5928,
        longitude: 114.3055,
    },
    Destination {
        name: "Guangzhou",
        region: "440100",
        level: Some(RiskLevel::Medium),
        infection_per_day: 0.001,
        latitude: 23.1291,
        longitude: 113.2644,
    },
    Destination {
        name: "Chengdu",
        region: "510100",
        level: None,
        infection_per_day: 0.0002,
        latitude: 30.5728,
        longitude: 104.0668,
    },
];

/// A cell tower: its id (`MCC-MNC-AREA-CELL`), where it is, and the region it serves (a
/// district of the city, or a destination city).
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub cell_id: String,
    pub latitude: f64,
    pub longitude: f64,
    pub region: &'static str,
}

/// One run of a bus or one flight, on one day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trip {
    pub trip_id: uuid::Uuid,
    pub mode: TransitMode,
    pub code: String,
    /// Minutes after the day's local midnight.
    pub departs: u16,
    pub minutes: u16,
}

/// A ride on one of the day's trips.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ride {
    /// Index into the day's trips.
    pub trip: u32,
    pub person: u32,
    /// Row from 1 and seat letter index (0 for A), where seats are assigned.
    pub seat: Option<(u16, u8)>,
}

/// A phone seen by a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ping {
    pub person: u32,
    /// Index into [`Mobility::cells`].
    pub cell: u32,
    /// Minutes after the day's local midnight.
    pub minutes: u16,
}

/// A trip out of the city and back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Journey {
    pub person: u32,
    /// Index into [`DESTINATIONS`].
    pub destination: u8,
    pub left_on: u32,
    pub back_on: u32,
    /// Whether the resident declared it on the evening they were back.
    pub declared: bool,
}

/// What moved on one day.
#[derive(Debug, Default)]
pub struct Movement {
    pub trips: Vec<Trip>,
    /// Sorted by trip.
    pub rides: Vec<Ride>,
    pub pings: Vec<Ping>,
    /// Those back today.
    pub returned: Vec<Journey>,
}

/// Bus riders, cells, and who is away.
#[derive(Debug)]
pub struct Mobility {
    /// Each bus rider and their line, by person.
    bus_riders: Vec<(u32, u16)>,
    /// How many riders each line has.
    line_riders: Vec<usize>,
    pub cells: Vec<Cell>,
    /// Each district's cells, by index into `cells`; a destination's cell is at
    /// `destination_cells + destination`.
    district_cells: Vec<Vec<u32>>,
    destination_cells: u32,
    /// The journey of each resident away, by person.
    away: Vec<Option<Journey>>,
    /// Residents away, in the order they left.
    travellers: Vec<u32>,
}

/// The index of the line between two districts.
fn line(from: usize, to: usize) -> u16 {
    (from * DISTRICTS.len() + to) as u16
}

impl Mobility {
    pub fn generate(population: &Population, city: &City, rng: &mut ChaCha8Rng) -> Mobility {
        let mut bus_riders = Vec::new();
        let mut line_riders = vec![0; DISTRICTS.len() * DISTRICTS.len()];
        for (person, resident) in population.residents.iter().enumerate() {
            let Some(workplace) = city.daytime[person] else {
                continue;
            };
            let venue = &city.venues[workplace as usize];
            if venue.kind == VenueKind::School || venue.district == resident.district {
                continue;
            }
            if rng.random_bool(BUS_SHARE) {
                let line = line(resident.district, venue.district);
                bus_riders.push((person as u32, line));
                line_riders[line as usize] += 1;
            }
        }
        let mut cells = Vec::new();
        let mut district_cells = vec![Vec::new(); DISTRICTS.len()];
        for (district, code) in DISTRICTS.iter().enumerate() {
            let residents = population
                .residents
                .iter()
                .filter(|resident| resident.district == district)
                .count();
            let (latitude, longitude) = crate::city::CENTRES[district];
            for number in 0..residents.div_ceil(RESIDENTS_PER_CELL).max(1) {
                district_cells[district].push(cells.len() as u32);
                cells.push(Cell {
                    cell_id: format!("460-00-{}-{}", 4100 + district, number + 1),
                    latitude: latitude + rng.random_range(-0.03..0.03),
                    longitude: longitude + rng.random_range(-0.03..0.03),
                    region: code,
                });
            }
        }
        let destination_cells = cells.len() as u32;
        for (index, destination) in DESTINATIONS.iter().enumerate() {
            cells.push(Cell {
                cell_id: format!("460-00-{}-1", 5100 + index),
                latitude: destination.latitude,
                longitude: destination.longitude,
                region: destination.region,
            });
        }
        Mobility {
            bus_riders,
            line_riders,
            cells,
            district_cells,
            destination_cells,
            away: vec![None; population.len()],
            travellers: Vec::new(),
        }
    }

    /// The journey `person` is on, if they are away from the city today (from the day they
    /// leave to the day they are back).
    pub fn journey(&self, person: u32) -> Option<&Journey> {
        self.away[person as usize].as_ref()
    }

    /// Everyone away from the city today, with their destination.
    pub fn travellers(&self) -> impl Iterator<Item = (u32, u8)> + '_ {
        self.travellers.iter().map(|&person| {
            let journey = self.away[person as usize].expect("a traveller is away");
            (person, journey.destination)
        })
    }

    /// Day `day`: who leaves and who comes back, the buses to work and back of those not
    /// isolated, and the pings of those travelling. Residents away today are marked
    /// [`Isolation::Away`] in `whereabouts`.
    pub fn day(
        &mut self,
        day: u32,
        population: &Population,
        isolation: &[Isolation],
        whereabouts: &mut [Isolation],
        rng: &mut ChaCha8Rng,
    ) -> Movement {
        let mut movement = Movement::default();
        let home_cell = |person: u32, rng: &mut ChaCha8Rng| -> u32 {
            let cells = &self.district_cells[population.residents[person as usize].district];
            cells[rng.random_range(0..cells.len())]
        };

        // Those back today, then those leaving.
        let mut flights_home: Vec<Vec<u32>> = vec![Vec::new(); DESTINATIONS.len()];
        let mut still_away = Vec::with_capacity(self.travellers.len());
        for &person in &self.travellers {
            let journey = self.away[person as usize].expect("a traveller is away");
            if journey.back_on == day {
                flights_home[journey.destination as usize].push(person);
                movement.pings.push(Ping {
                    person,
                    cell: self.destination_cells + u32::from(journey.destination),
                    minutes: 11 * 60,
                });
                let cell = home_cell(person, rng);
                movement.pings.push(Ping {
                    person,
                    cell,
                    minutes: 20 * 60,
                });
                let declared = rng.random_bool(DECLARES_TRAVEL);
                movement.returned.push(Journey {
                    declared,
                    ..journey
                });
            } else {
                movement.pings.push(Ping {
                    person,
                    cell: self.destination_cells + u32::from(journey.destination),
                    minutes: 12 * 60,
                });
            }
            still_away.push(person);
        }
        let mut flights_out: Vec<Vec<u32>> = vec![Vec::new(); DESTINATIONS.len()];
        for person in 0..population.len() as u32 {
            if isolation[person as usize] != Isolation::None
                || self.away[person as usize].is_some()
                || !rng.random_bool(TRAVEL_PER_DAY)
            {
                continue;
            }
            let destination = rng.random_range(0..DESTINATIONS.len());
            let journey = Journey {
                person,
                destination: destination as u8,
                left_on: day,
                back_on: day + rng.random_range(2..=7),
                declared: false,
            };
            self.away[person as usize] = Some(journey);
            still_away.push(person);
            flights_out[destination].push(person);
            let cell = home_cell(person, rng);
            movement.pings.push(Ping {
                person,
                cell,
                minutes: 7 * 60,
            });
            movement.pings.push(Ping {
                person,
                cell: self.destination_cells + destination as u32,
                minutes: 12 * 60,
            });
        }
        for &person in &still_away {
            whereabouts[person as usize] = Isolation::Away;
        }
        for journey in &movement.returned {
            self.away[journey.person as usize] = None;
        }
        self.travellers = still_away
            .into_iter()
            .filter(|&person| self.away[person as usize].is_some())
            .collect();

        for (destination, passengers) in flights_out.iter_mut().enumerate() {
            let code = format!("MU{}", 5100 + 2 * destination);
            self.flight(&mut movement, code, 9 * 60, passengers, rng);
        }
        for (destination, passengers) in flights_home.iter_mut().enumerate() {
            let code = format!("MU{}", 5101 + 2 * destination);
            self.flight(&mut movement, code, 13 * 60, passengers, rng);
        }

        if day % 7 < 5 {
            self.buses(&mut movement, whereabouts, rng);
        }
        movement.rides.sort_unstable();
        movement
    }

    /// The day's flight with `passengers`, if any, seated at random.
    fn flight(
        &self,
        movement: &mut Movement,
        code: String,
        departs: u16,
        passengers: &mut [u32],
        rng: &mut ChaCha8Rng,
    ) {
        if passengers.is_empty() {
            return;
        }
        let trip = movement.trips.len() as u32;
        movement.trips.push(Trip {
            trip_id: uuid::Builder::from_random_bytes(rng.random()).into_uuid(),
            mode: TransitMode::Flight,
            code,
            departs,
            minutes: FLIGHT_MINUTES,
        });
        passengers.shuffle(rng);
        for (seat, &person) in passengers.iter().enumerate() {
            movement.rides.push(Ride {
                trip,
                person,
                seat: Some((
                    (seat / SEATS_PER_ROW + 1) as u16,
                    (seat % SEATS_PER_ROW) as u8,
                )),
            });
        }
    }

    /// The buses to work and back of the riders not isolated or away.
    fn buses(&self, movement: &mut Movement, whereabouts: &[Isolation], rng: &mut ChaCha8Rng) {
        // Each line's runs of the day, made when first ridden: (morning or evening, run).
        let mut runs: std::collections::HashMap<(u16, bool, usize), u32> = Default::default();
        for &(person, line) in &self.bus_riders {
            if whereabouts[person as usize] != Isolation::None {
                continue;
            }
            let count = self.line_riders[line as usize].div_ceil(RIDERS_PER_BUS);
            for evening in [false, true] {
                let run = rng.random_range(0..count);
                let trip = *runs.entry((line, evening, run)).or_insert_with(|| {
                    let first = if evening { 18 * 60 + 5 } else { 7 * 60 + 20 };
                    let departs = first + (70 * run / count) as u16;
                    movement.trips.push(Trip {
                        trip_id: uuid::Builder::from_random_bytes(rng.random()).into_uuid(),
                        mode: TransitMode::Bus,
                        code: format!("K{}", 100 + line),
                        departs,
                        minutes: BUS_MINUTES,
                    });
                    (movement.trips.len() - 1) as u32
                });
                movement.rides.push(Ride {
                    trip,
                    person,
                    seat: None,
                });
            }
        }
    }
}
