//! The simulated city of `healthcode_sim` as the benchmarks hand it to the store and the
//! engines: its residents as enrolled persons, its venues as registered ones, and each day's
//! scanned visits as check-ins. The benchmarks' data comes from here, so that they measure the
//! city that simulations, evaluations and the demo are made of.

use healthcode_core::{
    CheckIn, CheckInSource, EventId, GeoPoint, HouseholdCode, OpeningHours, Person, PersonId,
    RegionCode, Venue, VenueId,
};
use healthcode_sim::population::DISTRICTS;
use healthcode_sim::{CityRun, Day, Isolation, Mode, Scenario, local_time};

/// The share of visits nobody scans in for, as `healthcode simulate` assumes by default.
pub const SKIPPED_SCANS: f64 = 0.1;

/// The city of `residents` residents drawn from `seed`, over `days` days from Monday
/// 2 March 2026.
pub fn scenario(residents: usize, days: u32, seed: u64) -> Scenario {
    Scenario {
        residents,
        days,
        seed,
        year: 2026,
        mode: Mode::City {
            skipped_scans: SKIPPED_SCANS,
        },
    }
}

/// How the event ids of check-ins are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventIds {
    /// Time-ordered (version 7): the time of entry and the random bits of the simulator's id,
    /// as the API asks feeds to make them.
    TimeOrdered,
    /// The simulator's own random (version 4) ids.
    Random,
}

/// A simulated city as the store knows it: everyone enrolled, every venue registered, both in
/// the simulator's order.
#[derive(Clone)]
pub struct Registered {
    pub persons: Vec<Person>,
    pub venues: Vec<Venue>,
}

impl std::fmt::Debug for Registered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registered")
            .field("persons", &self.persons.len())
            .field("venues", &self.venues.len())
            .finish()
    }
}

impl Registered {
    /// The residents and venues of `run`, enrolled and registered at midnight before its
    /// first day.
    pub fn of(run: &CityRun) -> Registered {
        let at = local_time(0, 0);
        let persons = run
            .population
            .residents
            .iter()
            .map(|resident| Person {
                id: PersonId::from_uuid(resident.person_id),
                resident_id: resident.resident_id.clone(),
                name: resident.name.clone(),
                phone: resident.phone.clone(),
                enrolled_at: at,
            })
            .collect();
        let venues = run
            .city
            .venues
            .iter()
            .map(|venue| Venue {
                id: VenueId::from_uuid(venue.venue_id),
                name: venue.name.clone(),
                kind: venue.kind,
                district: RegionCode::parse(DISTRICTS[venue.district])
                    .expect("the simulator's districts are valid region codes"),
                location: GeoPoint::new(venue.latitude, venue.longitude)
                    .expect("the simulator's venues are in Hangzhou"),
                opening_hours: OpeningHours::parse(venue.opening_hours)
                    .expect("the simulator's opening hours are valid"),
                registered_at: at,
            })
            .collect();
        Registered { persons, venues }
    }

    /// Each resident's household as a community would register it, in person order.
    pub fn households(&self, run: &CityRun) -> Vec<(PersonId, HouseholdCode)> {
        let mut members: Vec<(PersonId, HouseholdCode)> = self
            .persons
            .iter()
            .zip(&run.population.residents)
            .map(|(person, resident)| {
                let code = HouseholdCode::parse(&format!("household-{}", resident.household))
                    .expect("a household number makes a valid code");
                (person.id, code)
            })
            .collect();
        members.sort_unstable_by_key(|(person, _)| *person.as_bytes());
        members
    }

    /// The check-ins of day `day`: its scanned visits, each checked out when the visit ends,
    /// in the order of [`Day::check_ins`] (by venue).
    pub fn check_ins(&self, day: u32, today: &Day, ids: EventIds) -> Vec<CheckIn> {
        today
            .check_ins
            .iter()
            .map(|&(visit, drawn_id)| {
                let visit = &today.visits[visit];
                let entered = local_time(day, visit.from);
                let event_id = match ids {
                    EventIds::TimeOrdered => {
                        let random: [u8; 10] = drawn_id.as_bytes()[6..]
                            .try_into()
                            .expect("ten bytes of sixteen");
                        uuid::Builder::from_unix_timestamp_millis(
                            entered.as_millisecond() as u64,
                            &random,
                        )
                        .into_uuid()
                    }
                    EventIds::Random => drawn_id,
                };
                CheckIn::new(
                    EventId::from_uuid(event_id).expect("a drawn or time-ordered id is not nil"),
                    self.venues[visit.venue as usize].id,
                    self.persons[visit.person as usize].id,
                    entered,
                    Some(local_time(day, visit.until)),
                    CheckInSource::PersonScansVenue,
                )
                .expect("a visit ends after it begins")
            })
            .collect()
    }

    /// The check-ins of `run`'s days `0..days`, one day at a time, with nobody isolated.
    pub fn days<'a>(
        &'a self,
        mut run: CityRun,
        days: u32,
        ids: EventIds,
    ) -> impl Iterator<Item = Vec<CheckIn>> + Send + 'a {
        let nobody = vec![Isolation::None; run.population.len()];
        (0..days).map(move |day| {
            let today = run.day(day, &nobody);
            self.check_ins(day, &today, ids)
        })
    }
}
