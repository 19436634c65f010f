use std::collections::HashSet;

use healthcode_core::TransitMode;
use healthcode_sim::{CityRun, Isolation, Mode, Scenario};

fn city(residents: usize, seed: u64) -> CityRun {
    let scenario = Scenario {
        residents,
        days: 30,
        seed,
        year: 2026,
        mode: Mode::City { skipped_scans: 0.1 },
    };
    CityRun::start(&scenario, 0.1)
}

#[test]
fn travellers_fly_out_and_back_are_seen_by_cells_only_then_and_mostly_declare_their_trips() {
    let mut run = city(20_000, 3);
    let nobody = vec![Isolation::None; 20_000];
    let mut journeys = Vec::new();
    let mut bus_rides = 0;
    for day in 0..30 {
        let today = run.day(day, &nobody);
        let movement = &today.movement;
        let mut travelling: HashSet<u32> = movement
            .returned
            .iter()
            .map(|journey| journey.person)
            .collect();
        for visit in &today.visits {
            assert!(
                run.mobility.journey(visit.person).is_none(),
                "a traveller visited"
            );
            assert!(
                !travelling.contains(&visit.person),
                "a returning traveller visited"
            );
        }
        travelling.extend((0..20_000).filter(|&person| run.mobility.journey(person).is_some()));
        for ping in &movement.pings {
            assert!(
                travelling.contains(&ping.person),
                "a phone at home was reported"
            );
        }
        for ride in &movement.rides {
            let trip = &movement.trips[ride.trip as usize];
            match trip.mode {
                TransitMode::Bus => {
                    assert!(day % 7 < 5, "buses to work run on weekdays");
                    assert_eq!(ride.seat, None);
                    bus_rides += 1;
                }
                TransitMode::Flight => {
                    assert!(ride.seat.is_some());
                    assert!(travelling.contains(&ride.person));
                }
                other => panic!("no {other:?} in the city"),
            }
        }
        journeys.extend_from_slice(&movement.returned);
    }
    assert!(bus_rides > 10_000, "{bus_rides} bus rides");
    assert!(journeys.len() > 300, "{} journeys", journeys.len());
    for journey in &journeys {
        assert!(
            (2..=7).contains(&(journey.back_on - journey.left_on)),
            "{journey:?}"
        );
    }
    let declared = journeys.iter().filter(|journey| journey.declared).count() as f64;
    let share = declared / journeys.len() as f64;
    assert!((share - 0.7).abs() < 0.08, "{share} of trips declared");
}

#[test]
fn residents_isolated_at_home_make_no_visits_ride_nothing_and_do_not_leave() {
    let mut run = city(5_000, 4);
    let everyone_home = vec![Isolation::Home; 5_000];
    for day in 0..5 {
        let today = run.day(day, &everyone_home);
        assert!(today.visits.is_empty());
        assert!(today.check_ins.is_empty());
        assert!(today.movement.rides.is_empty());
        assert!(today.movement.pings.is_empty());
    }
}
