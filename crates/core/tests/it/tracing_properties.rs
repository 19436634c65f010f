//! Properties of tracing over random small towns: `trace()` finds exactly what a plain
//! reference finds by comparing every pair of visits and every pair of rides, and its answer
//! does not depend on the order the index answers in.
//!
//! Times fall on a five-minute grid, so that visits often start, end or touch at the same
//! moment as each other and as the infectious window: the boundaries are where a tracer goes
//! wrong.

use std::collections::{BTreeMap, BTreeSet};

use healthcode_core::rating::{CaseId, CaseRecord, CaseStatus, ContactDegree, ContactSetting};
use healthcode_core::trace::{Interval, Ride, Traced, TracedContact, TracingPolicy, Visit, trace};
use healthcode_core::{PersonId, Seat, Timestamp, TransitMode, TripId, VenueId, VenueKind};
use jiff::SignedDuration;
use proptest::prelude::*;

use super::tracing::{AnswerOrder, MemoryIndex, assert_well_formed};

const PEOPLE: usize = 7;
const VENUES: usize = 3;
const TRIPS: usize = 2;
/// The grid every time falls on.
const STEP_MINUTES: i64 = 5;
/// The town's week starts on 2026-03-08T00:00Z.
const WEEK_STARTS: i64 = 1_772_928_000;

fn person(number: usize) -> PersonId {
    PersonId::from_bytes([1, number as u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
}

fn venue(number: usize) -> VenueId {
    VenueId::from_bytes([2, number as u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
}

fn trip(number: usize) -> TripId {
    TripId::from_bytes([3, number as u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
}

fn minutes(count: i64) -> SignedDuration {
    SignedDuration::from_mins(count)
}

/// A moment on the grid, `steps` steps into the week.
fn at(steps: i64) -> Timestamp {
    Timestamp::from_second(WEEK_STARTS + steps * STEP_MINUTES * 60).unwrap()
}

/// Steps of the grid within `days` days.
fn steps_within(days: i64) -> std::ops::Range<i64> {
    0..days * 24 * 60 / STEP_MINUTES
}

/// A random small town's worth of movements, and a case in it.
#[derive(Debug, Clone)]
struct RandomTown {
    visits: Vec<Visit>,
    rides: Vec<Ride>,
    households: Vec<Vec<PersonId>>,
    case_person: PersonId,
    case: CaseRecord,
    now: Timestamp,
}

impl RandomTown {
    fn index(&self) -> MemoryIndex {
        MemoryIndex {
            visits: self.visits.clone(),
            rides: self.rides.clone(),
            households: self.households.clone(),
            order: None,
        }
    }
}

fn random_town() -> impl Strategy<Value = RandomTown> {
    let kinds =
        proptest::collection::vec(proptest::sample::select(VenueKind::ALL.to_vec()), VENUES);
    let modes =
        proptest::collection::vec(proptest::sample::select(TransitMode::ALL.to_vec()), TRIPS);
    // A visit: who, where, when, and how long (up to 36 hours), if a check-out was recorded.
    let visit = (
        0..PEOPLE,
        0..VENUES,
        steps_within(6),
        proptest::option::of(1..36 * 60 / STEP_MINUTES),
    );
    // A ride: who, which trip, when, how long (up to 6 hours) if known, and the seat's row.
    let ride = (
        0..PEOPLE,
        0..TRIPS,
        steps_within(6),
        proptest::option::of(1..6 * 60 / STEP_MINUTES),
        proptest::option::of((1u16..8, proptest::sample::select(vec!['A', 'C', 'F']))),
    );
    (
        kinds,
        modes,
        proptest::collection::vec(visit, 0..30),
        proptest::collection::vec(ride, 0..12),
        proptest::collection::vec(proptest::option::of(0..2usize), PEOPLE),
        (
            steps_within(6),
            -3 * 24 * 60 / STEP_MINUTES..3 * 24 * 60 / STEP_MINUTES,
        ),
        steps_within(8),
    )
        .prop_map(
            |(kinds, modes, visits, rides, homes, (onset, isolated_after), now)| {
                let visits = visits
                    .into_iter()
                    .map(|(who, place, entered, stayed)| Visit {
                        person: person(who),
                        venue: venue(place),
                        kind: kinds[place],
                        entered: at(entered),
                        left: stayed.map(|stayed| at(entered + stayed)),
                    })
                    .collect();
                let rides = rides
                    .into_iter()
                    .map(|(who, which, boarded, rode, seat)| Ride {
                        person: person(who),
                        trip: trip(which),
                        mode: modes[which],
                        boarded: at(boarded),
                        alighted: rode.map(|rode| at(boarded + rode)),
                        seat: seat.map(|(row, letter)| Seat::new(row, letter).unwrap()),
                    })
                    .collect();
                let mut households: Vec<Vec<PersonId>> = vec![Vec::new(); 2];
                for (who, home) in homes.into_iter().enumerate() {
                    if let Some(home) = home {
                        households[home].push(person(who));
                    }
                }
                households.retain(|members| !members.is_empty());
                RandomTown {
                    visits,
                    rides,
                    households,
                    case_person: person(0),
                    case: CaseRecord {
                        case: CaseId::from_bytes([4; 16]),
                        status: CaseStatus::Confirmed,
                        since: at(onset + isolated_after),
                        onset: at(onset),
                        isolated_at: at(onset + isolated_after),
                        released_at: None,
                    },
                    now: at(now),
                }
            },
        )
}

/// The default policy, the strict one of 2020, or one with random lengths.
fn random_policy() -> impl Strategy<Value = TracingPolicy> {
    let strict = TracingPolicy {
        infectious_before: SignedDuration::from_hours(4 * 24),
        min_overlap: minutes(1),
        flight_seat_rows: None,
        ..TracingPolicy::default()
    };
    let random = (
        1i64..4 * 24,
        1i64..12,
        2i64..24,
        proptest::option::of(0u16..3),
        proptest::collection::vec(1i64..=100, VenueKind::ALL.len() + TransitMode::ALL.len()),
    )
        .prop_map(
            |(before_hours, overlap_steps, longest_hours, rows, percents)| {
                let longest = SignedDuration::from_hours(longest_hours);
                // Every default is a share of the longest stay, so none is longer.
                let share = |percent: i64| minutes((longest.as_mins() * percent / 100).max(1));
                let (stays, rides) = percents.split_at(VenueKind::ALL.len());
                TracingPolicy {
                    infectious_before: SignedDuration::from_hours(before_hours),
                    min_overlap: minutes(overlap_steps * STEP_MINUTES).min(longest),
                    longest_stay: longest,
                    default_stays: VenueKind::ALL
                        .into_iter()
                        .zip(stays.iter().map(|percent| share(*percent)))
                        .collect(),
                    default_rides: TransitMode::ALL
                        .into_iter()
                        .zip(rides.iter().map(|percent| share(*percent)))
                        .collect(),
                    flight_seat_rows: rows,
                    contact_check_within: SignedDuration::from_hours(14 * 24),
                }
            },
        );
    prop_oneof![
        1 => Just(TracingPolicy::default()),
        1 => Just(strict),
        2 => random,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn tracing_finds_what_comparing_every_pair_of_visits_finds_in_any_answer_order(
        town in random_town(),
        policy in random_policy(),
        seed in any::<u64>(),
    ) {
        let index = town.index();
        let traced = trace(&index, town.case_person, &town.case, &policy, town.now)
            .unwrap_or_else(|never| match never {});
        assert_well_formed(&traced, town.case_person, &town.case, &policy);
        prop_assert_eq!(&traced, &reference(&town, &policy));
        for order in [AnswerOrder::Reversed, AnswerOrder::Shuffled(seed)] {
            let again = trace(&index.answering(order), town.case_person, &town.case, &policy, town.now)
                .unwrap_or_else(|never| match never {});
            prop_assert_eq!(&again, &traced, "answers in {:?} order", order);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The reference: the rules of the `trace` module doc, applied to every pair.

/// A half-open span of time, `[from, to)`.
type Span = (Timestamp, Timestamp);

fn later(at: Timestamp, by: SignedDuration) -> Timestamp {
    at.checked_add(by).unwrap()
}

/// The time both spans cover, if any.
fn common(a: Span, b: Span) -> Option<Span> {
    let span = (a.0.max(b.0), a.1.min(b.1));
    (span.0 < span.1).then_some(span)
}

fn length(span: Span) -> SignedDuration {
    span.1.duration_since(span.0)
}

/// When a visit counts: until its check-out, or its kind's default stay without one, and
/// never longer than the longest stay.
fn visit_span(visit: &Visit, policy: &TracingPolicy) -> Span {
    let ends = visit
        .left
        .unwrap_or_else(|| later(visit.entered, policy.default_stays[&visit.kind]));
    (
        visit.entered,
        ends.min(later(visit.entered, policy.longest_stay)),
    )
}

fn ride_span(ride: &Ride, policy: &TracingPolicy) -> Span {
    let ends = ride
        .alighted
        .unwrap_or_else(|| later(ride.boarded, policy.default_rides[&ride.mode]));
    (
        ride.boarded,
        ends.min(later(ride.boarded, policy.longest_stay)),
    )
}

/// Everyone exposed to `source` during `during`, with every span of exposure, per setting.
fn exposed_to(
    town: &RandomTown,
    source: PersonId,
    during: Span,
    policy: &TracingPolicy,
) -> BTreeMap<(PersonId, ContactSetting), Vec<Span>> {
    let mut found: BTreeMap<(PersonId, ContactSetting), Vec<Span>> = BTreeMap::new();
    for own in town.visits.iter().filter(|visit| visit.person == source) {
        for other in &town.visits {
            if other.venue != own.venue || other.person == source {
                continue;
            }
            let together = common(visit_span(own, policy), visit_span(other, policy))
                .and_then(|span| common(span, during));
            if let Some(span) = together
                && length(span) >= policy.min_overlap
            {
                found
                    .entry((other.person, ContactSetting::Venue(own.venue)))
                    .or_default()
                    .push(span);
            }
        }
    }
    for own in town.rides.iter().filter(|ride| ride.person == source) {
        for other in &town.rides {
            if other.trip != own.trip || other.person == source {
                continue;
            }
            let rows_apart = match (own.seat, other.seat) {
                (Some(own), Some(theirs)) => Some(own.row().abs_diff(theirs.row())),
                _ => None,
            };
            let too_far = own.mode == TransitMode::Flight
                && matches!((policy.flight_seat_rows, rows_apart), (Some(rows), Some(apart)) if apart > rows);
            let together = common(ride_span(own, policy), ride_span(other, policy))
                .and_then(|span| common(span, during));
            if let (false, Some(span)) = (too_far, together) {
                found
                    .entry((other.person, ContactSetting::Trip(own.trip)))
                    .or_default()
                    .push(span);
            }
        }
    }
    for household in &town.households {
        if household.contains(&source) {
            for member in household.iter().filter(|member| **member != source) {
                found
                    .entry((*member, ContactSetting::Household))
                    .or_default()
                    .push(during);
            }
        }
    }
    found
}

/// A contact's evidence from its spans: the first and last moments, and the time the spans
/// cover (counted once where they overlap), found by walking the moments in order.
fn contact_of(
    person: PersonId,
    degree: ContactDegree,
    setting: ContactSetting,
    spans: &[Span],
    via: Option<PersonId>,
) -> TracedContact {
    let first = spans.iter().map(|span| span.0).min().unwrap();
    let last = spans.iter().map(|span| span.1).max().unwrap();
    let mut moments: Vec<Timestamp> = spans.iter().flat_map(|span| [span.0, span.1]).collect();
    moments.sort();
    moments.dedup();
    let together = moments
        .windows(2)
        .filter(|pair| {
            spans
                .iter()
                .any(|span| span.0 <= pair[0] && pair[1] <= span.1)
        })
        .fold(SignedDuration::ZERO, |total, pair| {
            total + pair[1].duration_since(pair[0])
        });
    TracedContact {
        person,
        degree,
        setting,
        first_exposure: first,
        last_exposure: last,
        together,
        via,
    }
}

/// A would-be secondary contact in one setting: every span of exposure, and the close contacts
/// met there, each with their first exposure.
#[derive(Default)]
struct Met {
    spans: Vec<Span>,
    through: Vec<(Timestamp, PersonId)>,
}

fn reference(town: &RandomTown, policy: &TracingPolicy) -> Traced {
    let opens = town
        .case
        .onset
        .checked_sub(policy.infectious_before)
        .unwrap();
    if opens >= town.case.isolated_at {
        return Traced {
            window: None,
            contacts: Vec::new(),
        };
    }
    let window = (opens, town.case.isolated_at);
    let close = exposed_to(town, town.case_person, window, policy);
    let mut contacts: Vec<TracedContact> = close
        .iter()
        .map(|((person, setting), spans)| {
            contact_of(*person, ContactDegree::Close, *setting, spans, None)
        })
        .collect();
    // Each close contact's first exposure, in any setting.
    let mut first_exposed: BTreeMap<PersonId, Timestamp> = BTreeMap::new();
    for contact in &contacts {
        let first = first_exposed
            .entry(contact.person)
            .or_insert(contact.first_exposure);
        *first = (*first).min(contact.first_exposure);
    }
    let close_people: BTreeSet<PersonId> = first_exposed.keys().copied().collect();
    let mut secondary: BTreeMap<(PersonId, ContactSetting), Met> = BTreeMap::new();
    for (&close_contact, &exposed_from) in &first_exposed {
        if exposed_from >= town.now {
            continue;
        }
        for (key, spans) in exposed_to(town, close_contact, (exposed_from, town.now), policy) {
            if key.0 == town.case_person || close_people.contains(&key.0) {
                continue;
            }
            let met = secondary.entry(key).or_default();
            met.spans.extend(spans);
            met.through.push((exposed_from, close_contact));
        }
    }
    contacts.extend(secondary.into_iter().map(|((person, setting), met)| {
        // Through the close contact exposed first (the lower id on a tie).
        let via = met.through.into_iter().min().unwrap().1;
        contact_of(
            person,
            ContactDegree::Secondary,
            setting,
            &met.spans,
            Some(via),
        )
    }));
    Traced {
        window: Interval::new(window.0, window.1),
        contacts,
    }
}

#[test]
fn the_random_towns_reach_every_kind_of_contact() {
    // The generator is only useful if random towns give close and secondary contacts in every
    // setting; a fixed sample shows they do.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(proptest::test_runner::RngAlgorithm::ChaCha),
    );
    let mut seen = BTreeSet::new();
    for _ in 0..300 {
        let town = random_town().new_tree(&mut runner).unwrap().current();
        let policy = TracingPolicy::default();
        let traced = trace(
            &town.index(),
            town.case_person,
            &town.case,
            &policy,
            town.now,
        )
        .unwrap_or_else(|never| match never {});
        for contact in &traced.contacts {
            let setting = match contact.setting {
                ContactSetting::Venue(_) => "venue",
                ContactSetting::Trip(_) => "trip",
                ContactSetting::Household => "household",
                ContactSetting::Nearby => "nearby",
            };
            seen.insert((contact.degree.code(), setting));
        }
    }
    for degree in ["close", "secondary"] {
        for setting in ["venue", "trip", "household"] {
            assert!(
                seen.contains(&(degree, setting)),
                "no random town gave a {degree} contact by {setting}: {seen:?}"
            );
        }
    }
}
