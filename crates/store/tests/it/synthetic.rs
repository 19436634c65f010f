//! Small synthetic residents, venues and check-ins, the same for the same seed, for the tests of
//! what the benchmarks seed and of the raw peer. The benchmarks themselves draw theirs from the
//! simulator, which the store does not depend on.

use healthcode_core::{
    CheckIn, CheckInSource, EventId, GeoPoint, OpeningHours, Person, PersonId, PersonName,
    PhoneNumber, RegionCode, ResidentId, Timestamp, Venue, VenueId, VenueKind,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn random_uuid(rng: &mut StdRng) -> uuid::Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

/// `count` residents with random person ids and synthetic, valid, distinct resident ID numbers
/// (Hangzhou's Shangcheng district, a birth date from 1950 on, a sequence number), names and
/// phones, enrolled at `enrolled_at`.
pub fn residents(count: usize, seed: u64, enrolled_at: Timestamp) -> Vec<Person> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|index| {
            let birth_date = jiff::civil::date(1950, 1, 1)
                .checked_add(jiff::Span::new().days((index / 1000) as i64))
                .unwrap();
            let first_seventeen =
                format!("330102{}{:03}", birth_date.strftime("%Y%m%d"), index % 1000);
            Person {
                id: PersonId::from_uuid(random_uuid(&mut rng)),
                resident_id: ResidentId::with_check_character(&first_seventeen).unwrap(),
                name: PersonName::parse(&format!("Test Resident {index}")).unwrap(),
                phone: PhoneNumber::parse(&format!("139{:08}", index % 100_000_000)).unwrap(),
                enrolled_at,
            }
        })
        .collect()
}

/// `count` venues with random ids; the `index`-th is of the `index % 20`-th kind, so that a few
/// dozen venues hold every kind and every default stay.
pub fn venues(count: usize, seed: u64, registered_at: Timestamp) -> Vec<Venue> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    (0..count)
        .map(|index| Venue {
            id: VenueId::from_uuid(random_uuid(&mut rng)),
            name: format!("Test Venue {index}"),
            kind: VenueKind::ALL[index % VenueKind::ALL.len()],
            district: RegionCode::parse("330102").unwrap(),
            location: GeoPoint::new(30.25, 120.17).unwrap(),
            opening_hours: OpeningHours::always(),
            registered_at,
        })
        .collect()
}

pub fn person_ids(persons: &[Person]) -> Vec<PersonId> {
    persons.iter().map(|person| person.id).collect()
}

pub fn venue_ids(venues: &[Venue]) -> Vec<VenueId> {
    venues.iter().map(|venue| venue.id).collect()
}

/// `count` check-ins of random persons at random venues, entered at random over the fortnight
/// from `start` in no order, with random (version 4) event ids, a fifth without a time of
/// leaving.
pub fn check_ins(
    persons: &[PersonId],
    venues: &[VenueId],
    count: usize,
    start: Timestamp,
    seed: u64,
) -> Vec<CheckIn> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let entered = Timestamp::from_millisecond(
                start.as_millisecond() + rng.random_range(0..14 * 86_400_000),
            )
            .unwrap();
            let left = rng.random_bool(0.8).then(|| {
                Timestamp::from_second(entered.as_second() + rng.random_range(60..4 * 3_600))
                    .unwrap()
            });
            CheckIn::new(
                EventId::from_uuid(random_uuid(&mut rng)).unwrap(),
                venues[rng.random_range(0..venues.len())],
                persons[rng.random_range(0..persons.len())],
                entered,
                left,
                CheckInSource::ALL[rng.random_range(0..CheckInSource::ALL.len())],
            )
            .unwrap()
        })
        .collect()
}
