//! Judging a rating policy by its outcomes: the city lives through its epidemic while a health-
//! code system, run on the real rating and tracing engines, sees what such a system would see
//! and colours everyone; residents act on their colours; the ground truth tells how many of the
//! infected the colours caught and how many healthy people they locked up.
//!
//! **What the system sees.** Scanned check-ins (not the visits nobody scanned in for), bus and
//! flight boardings, declarations of symptoms and of trips, pharmacy sales, laboratory results
//! (on the day they are reported), the cities mobile networks saw phones in (as itinerary
//! stays), the households residents registered, and the region-risk list officials publish
//! (the listed [`DESTINATIONS`]). Never the ground truth.
//!
//! **What it does**, each evening at 21:00 local time:
//! - A positive result is confirmed by a second sample the next morning, as laboratories re-test
//!   positive screening samples before a diagnosis; a second positive makes the resident a
//!   confirmed case, registered at the moment it is reported and isolated from then on (a
//!   negative one ends the matter, and the rating engine still sees both results). Without
//!   the re-test, at the volumes tests are asked for, false positives (1 in 500) would become
//!   cases whose tracing sends hundreds of uninfected people into quarantine each. Its onset is its first declaration of
//!   symptoms in the [`INFECTED_DAYS`] before, or else the sample. The case is traced at once
//!   with the policy's `[tracing]` table ([`healthcode_core::trace::trace`]) over the check-ins
//!   and boardings of the last [`RETAINED_DAYS`] and the households, and every contact found becomes a fact of
//!   the contact's. Officials release a case [`RELEASED_AFTER_DAYS`] after registering it.
//! - Everyone whose facts changed that day, or whose colour ran out, is rated with
//!   [`healthcode_core::rating::rate`].
//!
//! **What residents do.** A colour counts from the next morning:
//! - a confirmed case is isolated in a hospital until released;
//! - red: isolated away from home (a quarantine facility), by [`RED_COMPLIANCE`] of residents;
//! - yellow: staying at home (no visits; the household is still met), by
//!   [`YELLOW_COMPLIANCE`] of residents;
//! - when a rating's next steps offer a way out by a negative test, or ask for a test after a
//!   pharmacy sale, [`TAKES_OFFERED_TEST`] of residents take it on the first morning it counts.
//!
//! Each resident's compliance is drawn once, from its own stream of the seed, so the same people
//! comply under every policy; the compliance rates are assumptions (the 2020 systems enforced red
//! at compound gates, yellow less strictly), not measurements.
//!
//! **The yardstick.** A resident counts as infected from the day of infection for
//! [`INFECTED_DAYS`], the incubation period every policy quarantines for. Per person-day:
//! precision of red is the share of red person-days that were infected, recall the share of
//! infected person-days that were red; likewise for red or yellow. An uninterrupted spell of
//! yellow or red during which the resident was never infected is an appeal that would be
//! justified.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;

use healthcode_core::rating::{
    CaseId, CaseRecord, CaseStatus, Colour, Contact, ContactId, Facts, NextStep, PharmacyPurchase,
    Policy, RegionRiskList, RegionStay, StaySource, TestKind, TestOutcome, TestResult, rate,
};
use healthcode_core::trace::{
    self, Interval, Ride, TracingPolicy, Visit as TracedVisit, VisitIndex,
};
use healthcode_core::transit::TripId;
use healthcode_core::{
    Declaration, PersonId, RegionCode, Seat, Temperature, Timestamp, TransitMode, TravelEntry,
    VenueId, VenueKind,
};
use jiff::SignedDuration;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::city::{City, Visit};
use crate::health::{DECLARED_AT, PURCHASED_AT, SAMPLED_AT};
use crate::mobility::{DESTINATIONS, Mobility, Ride as SimRide, TRAVEL_DECLARED_AT, Trip};
use crate::population::Population;
use crate::spread::Isolation;
use crate::{
    BEHAVIOUR_STREAM, CityRun, Mode, SYSTEM_STREAM, Scenario, local_date, local_time, stream,
};

pub const RED_COMPLIANCE: f64 = 0.95;
pub const YELLOW_COMPLIANCE: f64 = 0.7;
pub const TAKES_OFFERED_TEST: f64 = 0.8;
pub const RELEASED_AFTER_DAYS: u32 = 14;
pub const INFECTED_DAYS: u32 = 14;
/// How many days of check-ins tracing reads: more than any infectious window reaches back.
pub const RETAINED_DAYS: usize = 28;
/// When, in minutes after local midnight, the system rates.
const RATED_AT: u16 = 21 * 60;

/// Only a city can be evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("only a city can be evaluated: a well-mixed epidemic has no check-ins, tests or colours")]
pub struct NotACity;

/// How well one policy did, or how the epidemic went with no intervention at all.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// `name@version`, or `None` for no intervention.
    pub policy: Option<String>,
    /// Everyone ever infected, index cases included.
    pub infections: usize,
    pub red: Accuracy,
    pub red_or_yellow: Accuracy,
    /// Person-days spent isolated, at home or away.
    pub isolation_person_days: u64,
    /// Uninterrupted spells of yellow or red.
    pub spells: u64,
    /// Spells during which the resident was never infected: appeals that would be justified.
    pub justified_appeals: u64,
    pub cases: u64,
    pub close_contacts: u64,
    pub secondary_contacts: u64,
    /// Tests taken because a rating asked for one.
    pub tests_asked: u64,
    pub daily: Vec<DayCount>,
}

/// Person-days flagged (red, or red or yellow), infected, and both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Accuracy {
    pub flagged: u64,
    pub infected: u64,
    pub flagged_and_infected: u64,
}

impl Accuracy {
    /// The share of flagged person-days that were infected; `None` when nothing was flagged.
    pub fn precision(&self) -> Option<f64> {
        ratio(self.flagged_and_infected, self.flagged)
    }

    /// The share of infected person-days that were flagged; `None` when nobody was infected.
    pub fn recall(&self) -> Option<f64> {
        ratio(self.flagged_and_infected, self.infected)
    }

    fn count(&mut self, flagged: bool, infected: bool) {
        self.flagged += u64::from(flagged);
        self.infected += u64::from(infected);
        self.flagged_and_infected += u64::from(flagged && infected);
    }
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// One day: residents by the colour in force, those infected (in the sense of
/// [`INFECTED_DAYS`]), those isolated, and the day's new infections.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DayCount {
    pub day: u32,
    pub green: u32,
    pub yellow: u32,
    pub red: u32,
    pub infected: u32,
    pub isolated: u32,
    pub new_infections: u32,
}

/// Runs the city of `scenario` under `policy` (or with no intervention) and measures the
/// outcome. `on_day` is called after each simulated day with its number.
pub fn evaluate(
    scenario: &Scenario,
    policy: Option<&Policy>,
    mut on_day: impl FnMut(u32),
) -> Result<Evaluation, NotACity> {
    let Mode::City { skipped_scans } = scenario.mode else {
        return Err(NotACity);
    };
    let mut run = CityRun::start(scenario, skipped_scans);
    let residents = run.population.len();
    let mut behaviour = stream(scenario.seed, BEHAVIOUR_STREAM);
    let complies: Vec<(bool, bool)> = (0..residents)
        .map(|_| {
            (
                behaviour.random_bool(RED_COMPLIANCE),
                behaviour.random_bool(YELLOW_COMPLIANCE),
            )
        })
        .collect();
    let mut system = policy.map(|policy| {
        System::new(
            &policy.tracing,
            Some(policy),
            &run.population,
            &run.city,
            &run.mobility,
            stream(scenario.seed, SYSTEM_STREAM),
        )
    });
    let mut evaluation = Evaluation {
        policy: policy.map(|policy| policy.version.to_string()),
        infections: 0,
        red: Accuracy::default(),
        red_or_yellow: Accuracy::default(),
        isolation_person_days: 0,
        spells: 0,
        justified_appeals: 0,
        cases: 0,
        close_contacts: 0,
        secondary_contacts: 0,
        tests_asked: 0,
        daily: Vec::with_capacity(scenario.days as usize),
    };
    // Per resident: 0 outside a spell of yellow or red, 1 in one while never infected, 2 in
    // one once infected.
    let mut spells = vec![0u8; residents];
    let mut isolation = vec![Isolation::None; residents];
    for day in 0..scenario.days {
        let mut count = DayCount {
            day,
            ..DayCount::default()
        };
        for person in 0..residents {
            let (colour, in_hospital) = system.as_ref().map_or((Colour::Green, false), |system| {
                (system.colour[person], system.in_hospital[person])
            });
            let (red_complies, yellow_complies) = complies[person];
            isolation[person] = match colour {
                _ if in_hospital => Isolation::Away,
                Colour::Red if red_complies => Isolation::Away,
                Colour::Yellow if yellow_complies => Isolation::Home,
                _ => Isolation::None,
            };
            let infected = run
                .spread
                .infected_on(person as u32)
                .is_some_and(|on| on <= day && day < on + INFECTED_DAYS);
            evaluation.red.count(colour == Colour::Red, infected);
            evaluation
                .red_or_yellow
                .count(colour != Colour::Green, infected);
            match colour {
                Colour::Green => count.green += 1,
                Colour::Yellow => count.yellow += 1,
                Colour::Red => count.red += 1,
            }
            count.infected += u32::from(infected);
            count.isolated += u32::from(isolation[person] != Isolation::None);
            let spell = &mut spells[person];
            if colour == Colour::Green {
                if *spell != 0 {
                    evaluation.spells += 1;
                    evaluation.justified_appeals += u64::from(*spell == 1);
                }
                *spell = 0;
            } else {
                *spell = (*spell).max(1 + u8::from(infected));
            }
        }
        evaluation.isolation_person_days += u64::from(count.isolated);
        let infected_before = run.spread.infections.len();
        let today = run.day(day, &isolation);
        count.new_infections = (run.spread.infections.len() - infected_before) as u32;
        evaluation.daily.push(count);
        if let Some(system) = &mut system {
            system.evening(day, &mut run, &today);
        }
        on_day(day + 1);
    }
    for spell in spells.into_iter().filter(|&spell| spell != 0) {
        evaluation.spells += 1;
        evaluation.justified_appeals += u64::from(spell == 1);
    }
    evaluation.infections = run.spread.infections.len();
    if let Some(system) = system {
        evaluation.cases = system.cases.len() as u64;
        evaluation.close_contacts = system.close_contacts;
        evaluation.secondary_contacts = system.secondary_contacts;
        evaluation.tests_asked = system.tests_asked;
    }
    Ok(evaluation)
}

/// What a health-code system holds after a city's days with nobody isolated and nobody rated.
#[derive(Debug)]
pub struct Gathered {
    /// The city, on the evening of its last day.
    pub run: CityRun,
    /// Each resident's facts, in the population's order.
    pub facts: Vec<Facts>,
    /// The evening of the last day, when the system last traced.
    pub now: Timestamp,
    pub cases: u64,
    pub close_contacts: u64,
    pub secondary_contacts: u64,
}

/// Runs the city of `scenario` with nobody isolated, as the system of [`evaluate`] sees it,
/// tracing its cases with `tracing` but rating nobody, and answers everyone's facts: the facts
/// a system holds after an epidemic's first days, for re-rating.
pub fn gather(scenario: &Scenario, tracing: &TracingPolicy) -> Result<Gathered, NotACity> {
    let Mode::City { skipped_scans } = scenario.mode else {
        return Err(NotACity);
    };
    let mut run = CityRun::start(scenario, skipped_scans);
    let mut system = System::new(
        tracing,
        None,
        &run.population,
        &run.city,
        &run.mobility,
        stream(scenario.seed, SYSTEM_STREAM),
    );
    let nobody = vec![Isolation::None; run.population.len()];
    for day in 0..scenario.days {
        let today = run.day(day, &nobody);
        system.evening(day, &mut run, &today);
    }
    let region_risk = Arc::clone(&system.region_risk);
    let facts = system
        .facts
        .into_iter()
        .map(|facts| {
            facts.map_or_else(
                || Facts {
                    region_risk: Arc::clone(&region_risk),
                    ..Facts::default()
                },
                |facts| *facts,
            )
        })
        .collect();
    Ok(Gathered {
        run,
        facts,
        now: local_time(scenario.days.saturating_sub(1), RATED_AT),
        cases: system.cases.len() as u64,
        close_contacts: system.close_contacts,
        secondary_contacts: system.secondary_contacts,
    })
}

/// The health-code system of one policy, as it stands on an evening: it traces with the
/// policy's tracing rules and, when it has a policy to rate by, rates.
struct System<'p> {
    tracing: &'p TracingPolicy,
    policy: Option<&'p Policy>,
    region_risk: Arc<RegionRiskList>,
    seen: Seen,
    /// Each resident's facts, once there are any.
    facts: Vec<Option<Box<Facts>>>,
    colour: Vec<Colour>,
    valid_until: Vec<Option<Timestamp>>,
    in_hospital: Vec<bool>,
    /// Residents to rate again when their colour runs out, or on an event: everyone not
    /// green or with a colour that runs out.
    watched: BTreeSet<u32>,
    /// The last moment a test was offered after, per resident: an offer is acted on once.
    offer_acted_on: HashMap<u32, Timestamp>,
    /// Every case: the resident, its position in their facts' cases, the day it was
    /// registered.
    cases: Vec<(u32, usize, u32)>,
    /// Results before this position in the health record have been reported.
    next_result: usize,
    /// Residents with a positive result awaiting its confirmation.
    awaiting_confirmation: BTreeSet<u32>,
    close_contacts: u64,
    secondary_contacts: u64,
    tests_asked: u64,
    rng: ChaCha8Rng,
}

impl<'p> System<'p> {
    fn new(
        tracing: &'p TracingPolicy,
        policy: Option<&'p Policy>,
        population: &Population,
        city: &City,
        mobility: &Mobility,
        rng: ChaCha8Rng,
    ) -> Self {
        let residents = population.len();
        System {
            seen: Seen::new(population, city, mobility),
            tracing,
            policy,
            region_risk: Arc::new(published_list()),
            facts: (0..residents).map(|_| None).collect(),
            colour: vec![Colour::Green; residents],
            valid_until: vec![None; residents],
            in_hospital: vec![false; residents],
            watched: BTreeSet::new(),
            offer_acted_on: HashMap::new(),
            cases: Vec::new(),
            next_result: 0,
            awaiting_confirmation: BTreeSet::new(),
            close_contacts: 0,
            secondary_contacts: 0,
            tests_asked: 0,
            rng,
        }
    }

    fn facts_of(&mut self, person: u32) -> &mut Facts {
        let region_risk = &self.region_risk;
        self.facts[person as usize].get_or_insert_with(|| {
            Box::new(Facts {
                region_risk: Arc::clone(region_risk),
                ..Facts::default()
            })
        })
    }

    fn event_id(&mut self) -> healthcode_core::EventId {
        let uuid = uuid::Builder::from_random_bytes(self.rng.random()).into_uuid();
        healthcode_core::EventId::from_uuid(uuid).expect("a random UUID is never nil")
    }

    /// What the system learns and does on the evening of `day`.
    fn evening(&mut self, day: u32, run: &mut CityRun, today: &crate::Day) {
        let now = local_time(day, RATED_AT);
        let mut changed = BTreeSet::new();
        self.seen.add_day(day, today);

        for episode in &run.health.episodes[today.today.episodes.clone()] {
            if !episode.declared {
                continue;
            }
            let event_id = self.event_id();
            let declaration = Declaration::new(
                event_id,
                self.seen.person_ids[episode.person as usize],
                local_time(day, DECLARED_AT),
                episode.symptoms.iter().copied().collect(),
                Temperature::from_celsius(episode.temperature).ok(),
                Vec::new(),
            )
            .expect("a declaration without travel is valid");
            self.facts_of(episode.person).declarations.push(declaration);
            changed.insert(episode.person);
        }
        for journey in today
            .movement
            .returned
            .iter()
            .filter(|journey| journey.declared)
        {
            let event_id = self.event_id();
            let travel = TravelEntry {
                region: RegionCode::parse(DESTINATIONS[journey.destination as usize].region)
                    .expect("a valid region code"),
                from: local_date(journey.left_on),
                to: local_date(journey.back_on),
            };
            let declaration = Declaration::new(
                event_id,
                self.seen.person_ids[journey.person as usize],
                local_time(day, TRAVEL_DECLARED_AT),
                BTreeSet::new(),
                None,
                vec![travel],
            )
            .expect("a trip's dates are in order");
            self.facts_of(journey.person).declarations.push(declaration);
            changed.insert(journey.person);
        }
        for ping in &today.movement.pings {
            let event_id = self.event_id();
            let region = self.seen.cell_regions[ping.cell as usize];
            self.facts_of(ping.person).stays.push(RegionStay {
                region,
                from: local_date(day),
                to: local_date(day),
                source: StaySource::Itinerary,
                event_id,
            });
            changed.insert(ping.person);
        }
        for purchase in &run.health.purchases[today.today.purchases.clone()] {
            let event_id = self.event_id();
            self.facts_of(purchase.person)
                .pharmacy_purchases
                .push(PharmacyPurchase {
                    event_id,
                    medicine: purchase.medicine,
                    purchased_at: local_time(day, PURCHASED_AT),
                });
            changed.insert(purchase.person);
        }
        let mut confirmed = Vec::new();
        while let Some(result) = run.health.results.get(self.next_result).copied() {
            if result.sampled_day + 1 > day {
                break;
            }
            self.next_result += 1;
            let event_id = self.event_id();
            let fact = TestResult {
                event_id,
                kind: TestKind::Pcr,
                outcome: if result.positive {
                    TestOutcome::Positive
                } else {
                    TestOutcome::Negative
                },
                sampled_at: local_time(result.sampled_day, SAMPLED_AT),
                reported_at: local_time(result.sampled_day + 1, SAMPLED_AT),
            };
            self.facts_of(result.person).test_results.push(fact);
            changed.insert(result.person);
            if self.in_hospital[result.person as usize] {
                continue;
            }
            if !result.positive {
                self.awaiting_confirmation.remove(&result.person);
            } else if self.awaiting_confirmation.remove(&result.person) {
                confirmed.push((result.person, fact));
            } else {
                self.awaiting_confirmation.insert(result.person);
                run.health.request_sample(result.person, day + 1);
            }
        }
        for (person, result) in confirmed {
            self.register_case(person, day, &result, now, &mut changed);
        }
        for index in 0..self.cases.len() {
            let (person, case, registered) = self.cases[index];
            if registered + RELEASED_AFTER_DAYS == day {
                self.facts_of(person).cases[case].released_at = Some(now);
                self.in_hospital[person as usize] = false;
                changed.insert(person);
            }
        }

        let due: Vec<u32> = self
            .watched
            .iter()
            .copied()
            .filter(|&person| self.valid_until[person as usize].is_some_and(|until| until <= now))
            .collect();
        changed.extend(due);
        for person in changed {
            self.rate(person, day, now, run);
        }
    }

    /// Registers a confirmed case for `person`'s positive `result` and traces it.
    fn register_case(
        &mut self,
        person: u32,
        day: u32,
        result: &TestResult,
        now: Timestamp,
        changed: &mut BTreeSet<u32>,
    ) {
        let looked_back = SignedDuration::from_hours(24 * i64::from(INFECTED_DAYS));
        let facts = self.facts_of(person);
        let onset = facts
            .declarations
            .iter()
            .map(Declaration::declared_at)
            .filter(|&at| {
                at <= result.sampled_at && result.sampled_at.duration_since(at) <= looked_back
            })
            .min()
            .unwrap_or(result.sampled_at);
        let record = CaseRecord {
            case: CaseId::from_bytes(self.rng.random()),
            status: CaseStatus::Confirmed,
            since: result.reported_at,
            onset,
            isolated_at: result.reported_at,
            released_at: None,
        };
        let facts = self.facts_of(person);
        facts.cases.push(record);
        let position = facts.cases.len() - 1;
        self.cases.push((person, position, day));
        self.in_hospital[person as usize] = true;
        changed.insert(person);

        let traced = trace::trace(
            &self.seen,
            self.seen.person_ids[person as usize],
            &record,
            self.tracing,
            now,
        )
        .unwrap_or_else(|never: Infallible| match never {});
        for found in traced.contacts {
            let Some(&contact) = self.seen.person_index.get(&found.person) else {
                continue;
            };
            match found.degree {
                healthcode_core::rating::ContactDegree::Close => self.close_contacts += 1,
                healthcode_core::rating::ContactDegree::Secondary => self.secondary_contacts += 1,
            }
            let id = ContactId::from_bytes(self.rng.random());
            self.facts_of(contact).contacts.push(Contact {
                contact: id,
                case: record.case,
                degree: found.degree,
                setting: found.setting,
                first_exposure: found.first_exposure,
                last_exposure: found.last_exposure,
                together: found.together,
                found_at: now,
                dismissed_at: None,
            });
            changed.insert(contact);
        }
    }

    /// Rates `person` at `now` and acts on the rating's offers of a test.
    fn rate(&mut self, person: u32, day: u32, now: Timestamp, run: &mut CityRun) {
        let (Some(facts), Some(policy)) = (self.facts[person as usize].as_deref(), self.policy)
        else {
            return;
        };
        let rating = rate(facts, policy, now);
        let index = person as usize;
        self.colour[index] = rating.colour;
        self.valid_until[index] = rating.valid_until;
        if rating.colour != Colour::Green || rating.valid_until.is_some() {
            self.watched.insert(person);
        } else {
            self.watched.remove(&person);
        }
        let offer = rating.next_steps.iter().find_map(|step| match step {
            NextStep::NegativeTestAfter { after, .. } => Some(*after),
            NextStep::DeclareOrTest { purchased_at } => Some(*purchased_at),
            _ => None,
        });
        let Some(after) = offer else {
            return;
        };
        if self.offer_acted_on.insert(person, after) == Some(after) {
            return;
        }
        if self.rng.random_bool(TAKES_OFFERED_TEST) {
            let mut sample_day = day + 1;
            while local_time(sample_day, SAMPLED_AT) <= after {
                sample_day += 1;
            }
            run.health.request_sample(person, sample_day);
            self.tests_asked += 1;
        }
    }
}

/// The region-risk list officials publish on day 0: the listed [`DESTINATIONS`].
fn published_list() -> RegionRiskList {
    RegionRiskList {
        version: 1,
        published_at: Some(local_time(0, 0)),
        entries: DESTINATIONS
            .iter()
            .filter_map(|destination| {
                let region = RegionCode::parse(destination.region).expect("a valid region code");
                destination.level.map(|level| (region, level))
            })
            .collect(),
    }
}

/// What the system has seen of where people were: the scanned check-ins of the last
/// [`RETAINED_DAYS`], and the households, answering tracing's questions.
struct Seen {
    person_ids: Vec<PersonId>,
    person_index: HashMap<PersonId, u32>,
    venue_ids: Vec<VenueId>,
    venue_kinds: Vec<VenueKind>,
    venue_index: HashMap<VenueId, u32>,
    /// Where each household's members start (they are contiguous), and one past the last.
    household_starts: Vec<u32>,
    /// The region each cell serves.
    cell_regions: Vec<RegionCode>,
    days: VecDeque<SeenDay>,
}

/// One day's scanned check-ins, sorted by venue, with their positions sorted by person; and
/// the day's trips and boardings, sorted by trip, with their positions sorted by person.
struct SeenDay {
    day: u32,
    visits: Vec<Visit>,
    by_person: Vec<u32>,
    trips: Vec<Trip>,
    trip_index: HashMap<TripId, u32>,
    rides: Vec<SimRide>,
    rides_by_person: Vec<u32>,
}

impl Seen {
    fn new(population: &Population, city: &City, mobility: &Mobility) -> Seen {
        let person_ids: Vec<PersonId> = population
            .residents
            .iter()
            .map(|resident| PersonId::from_uuid(resident.person_id))
            .collect();
        let venue_ids: Vec<VenueId> = city
            .venues
            .iter()
            .map(|venue| VenueId::from_uuid(venue.venue_id))
            .collect();
        Seen {
            person_index: person_ids
                .iter()
                .enumerate()
                .map(|(index, &id)| (id, index as u32))
                .collect(),
            person_ids,
            venue_index: venue_ids
                .iter()
                .enumerate()
                .map(|(index, &id)| (id, index as u32))
                .collect(),
            venue_ids,
            venue_kinds: city.venues.iter().map(|venue| venue.kind).collect(),
            household_starts: population.household_starts(),
            cell_regions: mobility
                .cells
                .iter()
                .map(|cell| RegionCode::parse(cell.region).expect("a valid region code"))
                .collect(),
            days: VecDeque::with_capacity(RETAINED_DAYS + 1),
        }
    }

    fn add_day(&mut self, day: u32, today: &crate::Day) {
        let visits: Vec<Visit> = today
            .check_ins
            .iter()
            .map(|&(visit, _)| today.visits[visit])
            .collect();
        let mut by_person: Vec<u32> = (0..visits.len() as u32).collect();
        by_person.sort_by_key(|&index| visits[index as usize].person);
        let movement = &today.movement;
        let rides = movement.rides.clone();
        let mut rides_by_person: Vec<u32> = (0..rides.len() as u32).collect();
        rides_by_person.sort_by_key(|&index| rides[index as usize].person);
        self.days.push_back(SeenDay {
            day,
            visits,
            by_person,
            trip_index: movement
                .trips
                .iter()
                .enumerate()
                .map(|(index, trip)| (TripId::from_uuid(trip.trip_id), index as u32))
                .collect(),
            trips: movement.trips.clone(),
            rides,
            rides_by_person,
        });
        if self.days.len() > RETAINED_DAYS {
            self.days.pop_front();
        }
    }

    /// The retained days whose local calendar day meets `during`: a visit begins and ends on
    /// one day.
    fn days_meeting(&self, during: Interval) -> impl Iterator<Item = &SeenDay> {
        self.days.iter().filter(move |seen| {
            local_time(seen.day, 0) < during.to() && during.from() < local_time(seen.day + 1, 0)
        })
    }

    fn traced_ride(&self, seen: &SeenDay, ride: &SimRide) -> Ride {
        let trip = &seen.trips[ride.trip as usize];
        Ride {
            person: self.person_ids[ride.person as usize],
            trip: TripId::from_uuid(trip.trip_id),
            mode: trip.mode,
            boarded: local_time(seen.day, trip.departs),
            alighted: (trip.mode != TransitMode::Bus)
                .then(|| local_time(seen.day, trip.departs + trip.minutes)),
            seat: ride.seat.map(|(row, letter)| {
                Seat::new(row, char::from(b'A' + letter)).expect("a seat of the plane")
            }),
        }
    }

    fn traced(&self, day: u32, visit: &Visit) -> TracedVisit {
        TracedVisit {
            person: self.person_ids[visit.person as usize],
            venue: self.venue_ids[visit.venue as usize],
            kind: self.venue_kinds[visit.venue as usize],
            entered: local_time(day, visit.from),
            left: Some(local_time(day, visit.until)),
        }
    }
}

impl VisitIndex for Seen {
    type Error = Infallible;

    fn visits_of(
        &self,
        person: PersonId,
        entered: Interval,
    ) -> Result<Vec<TracedVisit>, Infallible> {
        let Some(&person) = self.person_index.get(&person) else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        for seen in self.days_meeting(entered) {
            let first = seen
                .by_person
                .partition_point(|&index| seen.visits[index as usize].person < person);
            for &index in &seen.by_person[first..] {
                let visit = &seen.visits[index as usize];
                if visit.person != person {
                    break;
                }
                let traced = self.traced(seen.day, visit);
                if entered.from() <= traced.entered && traced.entered < entered.to() {
                    found.push(traced);
                }
            }
        }
        Ok(found)
    }

    fn visits_at(
        &self,
        venue: VenueId,
        during: Interval,
        _policy: &TracingPolicy,
    ) -> Result<Vec<TracedVisit>, Infallible> {
        let Some(&venue) = self.venue_index.get(&venue) else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        for seen in self.days_meeting(during) {
            let first = seen.visits.partition_point(|visit| visit.venue < venue);
            let last = seen.visits.partition_point(|visit| visit.venue <= venue);
            found.extend(
                seen.visits[first..last]
                    .iter()
                    .map(|visit| self.traced(seen.day, visit)),
            );
        }
        Ok(found)
    }

    fn rides_of(&self, person: PersonId, boarded: Interval) -> Result<Vec<Ride>, Infallible> {
        let Some(&person) = self.person_index.get(&person) else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        for seen in self.days_meeting(boarded) {
            let first = seen
                .rides_by_person
                .partition_point(|&index| seen.rides[index as usize].person < person);
            for &index in &seen.rides_by_person[first..] {
                let ride = &seen.rides[index as usize];
                if ride.person != person {
                    break;
                }
                let traced = self.traced_ride(seen, ride);
                if boarded.from() <= traced.boarded && traced.boarded < boarded.to() {
                    found.push(traced);
                }
            }
        }
        Ok(found)
    }

    fn rides_on(&self, trip: TripId) -> Result<Vec<Ride>, Infallible> {
        for seen in &self.days {
            if let Some(&index) = seen.trip_index.get(&trip) {
                let first = seen.rides.partition_point(|ride| ride.trip < index);
                let last = seen.rides.partition_point(|ride| ride.trip <= index);
                return Ok(seen.rides[first..last]
                    .iter()
                    .map(|ride| self.traced_ride(seen, ride))
                    .collect());
            }
        }
        Ok(Vec::new())
    }

    fn household_members(&self, person: PersonId) -> Result<Vec<PersonId>, Infallible> {
        let Some(&person) = self.person_index.get(&person) else {
            return Ok(Vec::new());
        };
        let household = self
            .household_starts
            .partition_point(|&start| start <= person)
            - 1;
        Ok(
            (self.household_starts[household]..self.household_starts[household + 1])
                .filter(|&member| member != person)
                .map(|member| self.person_ids[member as usize])
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_system_has_seen_answers_tracing_as_a_search_of_every_check_in_and_boarding_would() {
        let scenario = Scenario {
            residents: 3000,
            days: 3,
            seed: 3,
            year: 2026,
            mode: Mode::City { skipped_scans: 0.3 },
        };
        let mut run = CityRun::start(&scenario, 0.3);
        let nobody = vec![Isolation::None; run.population.len()];
        let mut seen = Seen::new(&run.population, &run.city, &run.mobility);
        let mut all: Vec<TracedVisit> = Vec::new();
        for day in 0..3 {
            let today = run.day(day, &nobody);
            seen.add_day(day, &today);
            all.extend(
                today
                    .check_ins
                    .iter()
                    .map(|&(visit, _)| seen.traced(day, &today.visits[visit])),
            );
        }
        let key = |visit: &TracedVisit| (visit.entered, visit.venue, visit.person);
        let policy = TracingPolicy::default();
        let mut rng = stream(9, 1);
        for _ in 0..300 {
            let from = local_time(0, 0) + SignedDuration::from_mins(rng.random_range(0..4 * 1440));
            let during = Interval::new(
                from,
                from + SignedDuration::from_mins(rng.random_range(1..1440)),
            )
            .unwrap();
            let probe = all[rng.random_range(0..all.len())];

            let mut expected: Vec<TracedVisit> = all
                .iter()
                .filter(|visit| visit.person == probe.person)
                .filter(|visit| during.from() <= visit.entered && visit.entered < during.to())
                .copied()
                .collect();
            let mut found = seen.visits_of(probe.person, during).unwrap();
            expected.sort_by_key(key);
            found.sort_by_key(key);
            assert_eq!(found, expected);

            let at_venue = seen.visits_at(probe.venue, during, &policy).unwrap();
            assert!(at_venue.iter().all(|visit| visit.venue == probe.venue));
            for visit in all.iter().filter(|visit| {
                visit.venue == probe.venue
                    && visit.entered < during.to()
                    && during.from() < visit.left.unwrap()
            }) {
                assert!(at_venue.contains(visit), "{visit:?} missing");
            }
        }

        let rides: Vec<Ride> = seen
            .days
            .iter()
            .flat_map(|day| day.rides.iter().map(|ride| seen.traced_ride(day, ride)))
            .collect();
        assert!(rides.iter().any(|ride| ride.mode == TransitMode::Bus));
        let ride_key = |ride: &Ride| (ride.boarded, ride.trip, ride.person);
        for _ in 0..300 {
            let from = local_time(0, 0) + SignedDuration::from_mins(rng.random_range(0..4 * 1440));
            let boarded = Interval::new(
                from,
                from + SignedDuration::from_mins(rng.random_range(1..1440)),
            )
            .unwrap();
            let probe = rides[rng.random_range(0..rides.len())];
            let mut expected: Vec<Ride> = rides
                .iter()
                .filter(|ride| ride.person == probe.person)
                .filter(|ride| boarded.from() <= ride.boarded && ride.boarded < boarded.to())
                .copied()
                .collect();
            let mut found = seen.rides_of(probe.person, boarded).unwrap();
            expected.sort_by_key(ride_key);
            found.sort_by_key(ride_key);
            assert_eq!(found, expected);

            let mut expected: Vec<Ride> = rides
                .iter()
                .filter(|ride| ride.trip == probe.trip)
                .copied()
                .collect();
            let mut found = seen.rides_on(probe.trip).unwrap();
            expected.sort_by_key(ride_key);
            found.sort_by_key(ride_key);
            assert_eq!(found, expected);
        }

        let starts = run.population.household_starts();
        let household = (0..starts.len() - 1)
            .find(|&index| starts[index + 1] - starts[index] >= 3)
            .unwrap();
        let members: Vec<PersonId> = (starts[household]..starts[household + 1])
            .map(|member| seen.person_ids[member as usize])
            .collect();
        let found = seen.household_members(members[0]).unwrap();
        assert_eq!(found, members[1..]);
    }
}
