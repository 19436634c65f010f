//! Tracing scenarios as data: `tests/tracing/town.toml` is a hand-built town (its people, its
//! venues with their kinds, its trips with their modes), and every other file in
//! `tests/tracing/` is one story in that town: a case, the households, visits and rides around
//! it, and the exact close and secondary contacts each named policy must find. Adding a case is
//! adding a file.
//!
//! A scenario file gives, at its top level, `description`, `now` (the moment of tracing), `case
//! = { person, onset, isolated_at }`, and any of `households` (lists of names), `visits` (`{
//! who, at, entered, left }`, `left` optional: no check-out) and `rides` (`{ who, on, seat,
//! boarded, alighted }`, `seat` and `alighted` optional). An optional `[tracing]` table, written
//! as in a policy file, replaces what it lists of each policy's own. Then one `[expect.NAME]`
//! table per policy file of `policies/` to trace under: the infectious `window` (`FROM to TO`,
//! or `none`) and every `close` and `secondary` contact, one line each:
//!
//! ```text
//! Bo at Lucky Noodles from 2026-03-11T12:45+08:00 to 2026-03-11T13:00+08:00, together 15m
//! Chen on flight CA1501 from … to …, together 2h 30m, via Bo
//! Hui at home from … to …, together 1d 17h, via Chen
//! ```
//!
//! The contacts found must be exactly those listed: none missing, none extra. Run with
//! `UPDATE_EXPECT=1` to rewrite the `[expect.…]` tables (they come last in each file and are
//! rewritten whole) from what tracing answers; review the diff before committing it.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::path::{Path, PathBuf};

use healthcode_core::rating::{
    CaseId, CaseRecord, CaseStatus, ContactDegree, ContactSetting, Policy,
};
use healthcode_core::trace::{
    Interval, Ride, Traced, TracedContact, TracingPolicy, Visit, VisitIndex, infectious_window,
    trace,
};
use healthcode_core::{PersonId, Seat, Timestamp, TransitMode, TripId, VenueId, VenueKind};
use jiff::SignedDuration;
use jiff::tz::{Offset, TimeZone};
use serde::Deserialize;

/// The order an index gives its answers in; tracing must not depend on it.
#[derive(Clone, Copy, Debug)]
pub enum AnswerOrder {
    AsStored,
    Reversed,
    /// A permutation drawn from the seed.
    Shuffled(u64),
}

/// Where people were, in memory: the simplest [`VisitIndex`], answering by scanning.
#[derive(Clone, Debug, Default)]
pub struct MemoryIndex {
    pub visits: Vec<Visit>,
    pub rides: Vec<Ride>,
    pub households: Vec<Vec<PersonId>>,
    pub order: Option<AnswerOrder>,
}

impl MemoryIndex {
    /// The same index answering in another order.
    pub fn answering(&self, order: AnswerOrder) -> MemoryIndex {
        MemoryIndex {
            order: Some(order),
            ..self.clone()
        }
    }

    fn ordered<T>(&self, mut answer: Vec<T>) -> Vec<T> {
        match self.order.unwrap_or(AnswerOrder::AsStored) {
            AnswerOrder::AsStored => {}
            AnswerOrder::Reversed => answer.reverse(),
            AnswerOrder::Shuffled(seed) => shuffle(&mut answer, seed),
        }
        answer
    }
}

/// A Fisher–Yates shuffle driven by a 64-bit linear congruential generator: enough to
/// permute a test's answers reproducibly.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    for last in (1..items.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let pick = ((state >> 33) % (last as u64 + 1)) as usize;
        items.swap(last, pick);
    }
}

fn during(at: Timestamp, interval: Interval) -> bool {
    interval.from() <= at && at < interval.to()
}

impl VisitIndex for MemoryIndex {
    type Error = Infallible;

    fn visits_of(&self, person: PersonId, entered: Interval) -> Result<Vec<Visit>, Infallible> {
        Ok(self.ordered(
            (self.visits.iter())
                .filter(|visit| visit.person == person && during(visit.entered, entered))
                .copied()
                .collect(),
        ))
    }

    /// Exactly the visits whose counted stay meets `during` at all: more than the trait asks
    /// for, so that tracing's own overlap rule is what the scenarios test.
    fn visits_at(
        &self,
        venue: VenueId,
        during: Interval,
        policy: &TracingPolicy,
    ) -> Result<Vec<Visit>, Infallible> {
        Ok(self.ordered(
            (self.visits.iter())
                .filter(|visit| {
                    visit.venue == venue && visit.counted(policy).intersection(&during).is_some()
                })
                .copied()
                .collect(),
        ))
    }

    fn rides_of(&self, person: PersonId, boarded: Interval) -> Result<Vec<Ride>, Infallible> {
        Ok(self.ordered(
            (self.rides.iter())
                .filter(|ride| ride.person == person && during(ride.boarded, boarded))
                .copied()
                .collect(),
        ))
    }

    fn rides_on(&self, trip: TripId) -> Result<Vec<Ride>, Infallible> {
        Ok(self.ordered(
            (self.rides.iter())
                .filter(|ride| ride.trip == trip)
                .copied()
                .collect(),
        ))
    }

    fn household_members(&self, person: PersonId) -> Result<Vec<PersonId>, Infallible> {
        let members = (self.households.iter())
            .find(|household| household.contains(&person))
            .map(|household| {
                (household.iter())
                    .filter(|member| **member != person)
                    .copied()
                    .collect()
            })
            .unwrap_or_default();
        Ok(self.ordered(members))
    }
}

/// Checks what every answer of tracing must be, whatever the town: the window is the case's,
/// the case is never a contact, nobody is both close and secondary, a secondary contact came
/// through a close contact, and every exposure lies inside its interval.
pub fn assert_well_formed(
    traced: &Traced,
    person: PersonId,
    case: &CaseRecord,
    policy: &TracingPolicy,
) {
    assert_eq!(traced.window, infectious_window(case, policy));
    if traced.window.is_none() {
        assert!(traced.contacts.is_empty(), "{traced:?}");
    }
    let close: BTreeSet<PersonId> = traced.close().map(|contact| contact.person).collect();
    let mut keys = BTreeSet::new();
    for contact in &traced.contacts {
        assert_ne!(contact.person, person, "the case is a contact: {contact:?}");
        assert!(
            keys.insert((contact.person, contact.setting)),
            "a contact twice in one setting: {contact:?}"
        );
        assert!(
            contact.first_exposure < contact.last_exposure,
            "{contact:?}"
        );
        assert!(contact.together.is_positive(), "{contact:?}");
        assert!(
            contact.together <= contact.last_exposure.duration_since(contact.first_exposure),
            "{contact:?}"
        );
        match contact.degree {
            ContactDegree::Close => {
                assert_eq!(contact.via, None, "{contact:?}");
                let window = traced.window.expect("a close contact has a window");
                assert!(
                    window.from() <= contact.first_exposure && contact.last_exposure <= window.to(),
                    "{contact:?} outside {window:?}"
                );
            }
            ContactDegree::Secondary => {
                assert!(
                    !close.contains(&contact.person),
                    "both close and secondary: {contact:?}"
                );
                let via = contact
                    .via
                    .expect("a secondary contact names its close contact");
                assert!(
                    close.contains(&via),
                    "{contact:?} through someone not close"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

#[test]
fn every_tracing_scenario_finds_exactly_the_expected_contacts() {
    let town = Town::load();
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let files = scenario_files();
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        let scenario: Scenario =
            toml::from_str(&text).unwrap_or_else(|error| panic!("{name}: {error}"));
        let built = town.build(&scenario, &name);
        let policies = expected_policies(&text);
        assert!(!policies.is_empty(), "{name}: no [expect.POLICY] table");
        let mut answers = Vec::new();
        for policy_name in &policies {
            let policy = tracing_policy(policy_name, scenario.tracing.as_ref(), &name);
            let now = scenario.now.0;
            let traced = trace(&built.index, built.case_person, &built.case, &policy, now)
                .unwrap_or_else(|never| match never {});
            assert_well_formed(&traced, built.case_person, &built.case, &policy);
            for order in [AnswerOrder::Reversed, AnswerOrder::Shuffled(7)] {
                let again = trace(
                    &built.index.answering(order),
                    built.case_person,
                    &built.case,
                    &policy,
                    now,
                )
                .unwrap_or_else(|never| match never {});
                if again != traced {
                    failures.push(format!(
                        "{name} under {policy_name}: answers in {order:?} order trace differently"
                    ));
                }
            }
            let answer = town.describe(&traced);
            if !update {
                let expected = scenario
                    .expect
                    .get(policy_name)
                    .unwrap_or_else(|| panic!("{name}: [expect.{policy_name}] does not read"));
                failures.extend(
                    compare(expected, &answer)
                        .into_iter()
                        .map(|difference| format!("{name} under {policy_name}: {difference}")),
                );
            }
            answers.push((policy_name.clone(), answer));
        }
        if update {
            let rewritten = rewrite_expectations(&text, &answers);
            if rewritten != text {
                std::fs::write(path, rewritten).unwrap();
            }
        }
    }
    assert!(
        files.len() >= 10,
        "there should be at least 10 tracing scenarios, found {}",
        files.len()
    );
    assert!(
        failures.is_empty(),
        "{} differences from the tracing scenarios (UPDATE_EXPECT=1 rewrites the files):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_setting_and_degree_appears_in_some_scenario() {
    let mut seen = BTreeSet::new();
    for path in scenario_files() {
        let scenario: Scenario = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for expect in scenario.expect.values() {
            for (degree, lines) in [("close", &expect.close), ("secondary", &expect.secondary)] {
                for line in lines {
                    let setting = if line.contains(" at home ") {
                        "household"
                    } else if line.contains(" on ") {
                        "trip"
                    } else {
                        "venue"
                    };
                    seen.insert(format!("{degree} {setting}"));
                }
            }
        }
    }
    for degree in ["close", "secondary"] {
        for setting in ["venue", "trip", "household"] {
            let wanted = format!("{degree} {setting}");
            assert!(
                seen.contains(&wanted),
                "no scenario expects a {wanted} contact"
            );
        }
    }
}

/// What differs between the expectation and the answer, one line per difference.
fn compare(expected: &Expect, answer: &Answer) -> Vec<String> {
    let mut differences = Vec::new();
    if expected.window != answer.window {
        differences.push(format!(
            "window: expected {:?}, tracing says {:?}",
            expected.window, answer.window
        ));
    }
    for (degree, expected, found) in [
        ("close", &expected.close, &answer.close),
        ("secondary", &expected.secondary, &answer.secondary),
    ] {
        for missing in difference(expected, found) {
            differences.push(format!("{degree} contact missing: {missing}"));
        }
        for extra in difference(found, expected) {
            differences.push(format!("{degree} contact not expected: {extra}"));
        }
    }
    differences
}

/// The lines of `from` that `without` lacks, counting repeats.
fn difference(from: &[String], without: &[String]) -> Vec<String> {
    let mut left: Vec<&String> = without.iter().collect();
    let mut lacking = Vec::new();
    for line in from {
        match left.iter().position(|other| *other == line) {
            Some(index) => {
                left.remove(index);
            }
            None => lacking.push(line.clone()),
        }
    }
    lacking
}

fn tracing_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tracing")
}

fn scenario_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(tracing_folder())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .filter(|path| !path.ends_with("town.toml"))
        .collect();
    files.sort();
    files
}

/// The policies a scenario expects answers under, in the order of its `[expect.…]` tables.
fn expected_policies(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("[expect.")?.strip_suffix(']'))
        .map(str::to_owned)
        .collect()
}

/// The tracing part of the policy file `policies/NAME.toml`, with the scenario's `[tracing]`
/// table written over the file's, key by key, and read by the policy parser.
fn tracing_policy(name: &str, overrides: Option<&toml::Table>, scenario: &str) -> TracingPolicy {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../policies")
        .join(format!("{name}.toml"));
    let source = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{scenario}: policy {name}: {error}"));
    let Some(overrides) = overrides else {
        return Policy::parse(&source)
            .unwrap_or_else(|errors| panic!("policy {name}: {errors}"))
            .tracing;
    };
    let mut document: toml::Table = toml::from_str(&source).unwrap();
    let tracing = document
        .entry("tracing")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    merge(tracing.as_table_mut().unwrap(), overrides);
    let merged = toml::to_string(&document).unwrap();
    Policy::parse(&merged)
        .unwrap_or_else(|errors| panic!("{scenario}: [tracing] over policy {name}: {errors}"))
        .tracing
}

/// Writes `over` into `into`, table by table.
fn merge(into: &mut toml::Table, over: &toml::Table) {
    for (key, value) in over {
        match (into.get_mut(key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(over_inner)) => {
                merge(inner, over_inner);
            }
            _ => {
                into.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Rewrites the `[expect.…]` tables, which come last in the file, from the answers.
fn rewrite_expectations(text: &str, answers: &[(String, Answer)]) -> String {
    let kept: Vec<&str> = text
        .lines()
        .take_while(|line| !line.trim_start().starts_with("[expect."))
        .collect();
    let mut out = kept.join("\n");
    out.push('\n');
    for (index, (policy, answer)) in answers.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        out.push_str(&format!("[expect.{policy}]\n"));
        out.push_str(&format!("window = {:?}\n", answer.window));
        for (key, lines) in [("close", &answer.close), ("secondary", &answer.secondary)] {
            if lines.is_empty() {
                out.push_str(&format!("{key} = []\n"));
            } else {
                out.push_str(&format!("{key} = [\n"));
                for line in lines {
                    out.push_str(&format!("    {line:?},\n"));
                }
                out.push_str("]\n");
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The town and the files.

/// A moment written with its offset, e.g. `2026-03-11T12:45+08:00`.
#[derive(Debug, Clone, Copy)]
struct Moment(Timestamp);

impl<'de> Deserialize<'de> for Moment {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Moment, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse::<Timestamp>()
            .map(Moment)
            .map_err(|error| serde::de::Error::custom(format!("{text}: {error}")))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TownFile {
    people: Vec<String>,
    venues: Vec<TownVenue>,
    trips: Vec<TownTrip>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TownVenue {
    name: String,
    kind: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TownTrip {
    name: String,
    mode: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    #[allow(dead_code)]
    description: String,
    now: Moment,
    case: CaseEntry,
    #[serde(default)]
    households: Vec<Vec<String>>,
    #[serde(default)]
    visits: Vec<VisitEntry>,
    #[serde(default)]
    rides: Vec<RideEntry>,
    tracing: Option<toml::Table>,
    expect: BTreeMap<String, Expect>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseEntry {
    person: String,
    onset: Moment,
    isolated_at: Moment,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VisitEntry {
    who: String,
    at: String,
    entered: Moment,
    left: Option<Moment>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RideEntry {
    who: String,
    on: String,
    seat: Option<String>,
    boarded: Moment,
    alighted: Option<Moment>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    window: String,
    close: Vec<String>,
    secondary: Vec<String>,
}

/// What tracing answered, in the form scenario files write, each list sorted.
#[derive(Debug)]
struct Answer {
    window: String,
    close: Vec<String>,
    secondary: Vec<String>,
}

/// The town with an identifier for every name, and the way back.
struct Town {
    people: BTreeMap<String, PersonId>,
    venues: BTreeMap<String, (VenueId, VenueKind)>,
    trips: BTreeMap<String, (TripId, TransitMode)>,
    names: BTreeMap<[u8; 16], String>,
}

/// A built scenario: the index and the case.
struct Built {
    index: MemoryIndex,
    case_person: PersonId,
    case: CaseRecord,
}

/// An identifier of `kind` (1 people, 2 venues, 3 trips) and number. People are numbered from
/// the end of the list, so that their identifiers do not sort like their names.
fn id_bytes(kind: u8, number: usize) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    bytes[0] = kind;
    bytes[8..16].copy_from_slice(&(number as u64).to_be_bytes());
    bytes
}

impl Town {
    fn load() -> Town {
        let text = std::fs::read_to_string(tracing_folder().join("town.toml")).unwrap();
        let file: TownFile = toml::from_str(&text).unwrap_or_else(|error| panic!("town: {error}"));
        let mut names = BTreeMap::new();
        let count = file.people.len();
        let people = (file.people.iter().enumerate())
            .map(|(number, name)| {
                let id = PersonId::from_bytes(id_bytes(1, count - number));
                assert!(names.insert(*id.as_bytes(), name.clone()).is_none());
                (name.clone(), id)
            })
            .collect();
        let venues = (file.venues.iter().enumerate())
            .map(|(number, venue)| {
                let id = VenueId::from_bytes(id_bytes(2, number));
                let kind = VenueKind::parse(&venue.kind)
                    .unwrap_or_else(|error| panic!("town: venue {}: {error}", venue.name));
                assert!(names.insert(*id.as_bytes(), venue.name.clone()).is_none());
                (venue.name.clone(), (id, kind))
            })
            .collect();
        let trips = (file.trips.iter().enumerate())
            .map(|(number, trip)| {
                let id = TripId::from_bytes(id_bytes(3, number));
                let mode = TransitMode::parse(&trip.mode)
                    .unwrap_or_else(|error| panic!("town: trip {}: {error}", trip.name));
                assert!(names.insert(*id.as_bytes(), trip.name.clone()).is_none());
                (trip.name.clone(), (id, mode))
            })
            .collect();
        Town {
            people,
            venues,
            trips,
            names,
        }
    }

    fn person(&self, name: &str, scenario: &str) -> PersonId {
        *self
            .people
            .get(name)
            .unwrap_or_else(|| panic!("{scenario}: {name} does not live in the town"))
    }

    fn build(&self, scenario: &Scenario, name: &str) -> Built {
        let visits = (scenario.visits.iter())
            .map(|entry| {
                let (venue, kind) = *self
                    .venues
                    .get(&entry.at)
                    .unwrap_or_else(|| panic!("{name}: no venue {} in the town", entry.at));
                Visit {
                    person: self.person(&entry.who, name),
                    venue,
                    kind,
                    entered: entry.entered.0,
                    left: entry.left.map(|left| left.0),
                }
            })
            .collect();
        let rides = (scenario.rides.iter())
            .map(|entry| {
                let (trip, mode) = *self
                    .trips
                    .get(&entry.on)
                    .unwrap_or_else(|| panic!("{name}: no trip {} in the town", entry.on));
                Ride {
                    person: self.person(&entry.who, name),
                    trip,
                    mode,
                    boarded: entry.boarded.0,
                    alighted: entry.alighted.map(|alighted| alighted.0),
                    seat: entry.seat.as_deref().map(|seat| {
                        seat.parse::<Seat>()
                            .unwrap_or_else(|error| panic!("{name}: seat {seat}: {error}"))
                    }),
                }
            })
            .collect();
        let households = (scenario.households.iter())
            .map(|members| {
                (members.iter())
                    .map(|member| self.person(member, name))
                    .collect()
            })
            .collect();
        let case = &scenario.case;
        Built {
            index: MemoryIndex {
                visits,
                rides,
                households,
                order: None,
            },
            case_person: self.person(&case.person, name),
            case: CaseRecord {
                case: CaseId::from_bytes(id_bytes(4, 1)),
                status: CaseStatus::Confirmed,
                since: case.isolated_at.0,
                onset: case.onset.0,
                isolated_at: case.isolated_at.0,
                released_at: None,
            },
        }
    }

    fn name_of(&self, bytes: &[u8; 16]) -> &str {
        self.names.get(bytes).map_or("(unknown)", String::as_str)
    }

    fn describe(&self, traced: &Traced) -> Answer {
        let window = traced.window.map_or("none".to_owned(), |window| {
            format!("{} to {}", moment(window.from()), moment(window.to()))
        });
        let mut close: Vec<String> = traced.close().map(|contact| self.line(contact)).collect();
        let mut secondary: Vec<String> = traced
            .secondary()
            .map(|contact| self.line(contact))
            .collect();
        close.sort();
        secondary.sort();
        Answer {
            window,
            close,
            secondary,
        }
    }

    /// A contact as scenario files write it.
    fn line(&self, contact: &TracedContact) -> String {
        let setting = match contact.setting {
            ContactSetting::Venue(venue) => format!("at {}", self.name_of(venue.as_bytes())),
            ContactSetting::Trip(trip) => format!("on {}", self.name_of(trip.as_bytes())),
            ContactSetting::Household => "at home".to_owned(),
            ContactSetting::Nearby => "nearby".to_owned(),
        };
        let mut line = format!(
            "{} {setting} from {} to {}, together {}",
            self.name_of(contact.person.as_bytes()),
            moment(contact.first_exposure),
            moment(contact.last_exposure),
            duration(contact.together)
        );
        if let Some(via) = contact.via {
            line.push_str(&format!(", via {}", self.name_of(via.as_bytes())));
        }
        line
    }
}

/// A moment in the town's offset (+08:00), to the minute, or to the millisecond when it has
/// seconds.
fn moment(at: Timestamp) -> String {
    let zoned = at.to_zoned(TimeZone::fixed(Offset::constant(8)));
    if zoned.second() == 0 && zoned.subsec_nanosecond() == 0 {
        zoned.strftime("%Y-%m-%dT%H:%M%:z").to_string()
    } else {
        zoned.strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
    }
}

/// A duration as `1d 17h`, `2h 30m`, `15m` or `14m 59.999s`.
fn duration(length: SignedDuration) -> String {
    let millis = length.as_millis();
    let parts = [
        (millis / 86_400_000, "d"),
        (millis / 3_600_000 % 24, "h"),
        (millis / 60_000 % 60, "m"),
    ];
    let mut written: Vec<String> = parts
        .iter()
        .filter(|(count, _)| *count != 0)
        .map(|(count, unit)| format!("{count}{unit}"))
        .collect();
    let seconds = millis % 60_000;
    if seconds != 0 {
        if seconds % 1000 == 0 {
            written.push(format!("{}s", seconds / 1000));
        } else {
            written.push(format!("{}.{:03}s", seconds / 1000, seconds % 1000));
        }
    }
    if written.is_empty() {
        "0m".to_owned()
    } else {
        written.join(" ")
    }
}
