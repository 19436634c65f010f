//! Rating scenarios as data: each file in `tests/scenarios/` is a resident's story (events at
//! moments) and checks of the rating at later moments, under the default policy and under
//! `strict-2020` for comparison. Adding a case is adding a file.
//!
//! A check's expected outcome is written `colour [until TIME] [by rule, rule]`, e.g.
//! `yellow by fever` or `red until 2026-02-24T09:00+08:00 by close_contact`. A check may also
//! list `default_steps` the default policy must give and `default_absent_steps` it must not, in
//! the compact form of `step_code` (`turns green on TIME`, `appeal`, …). Every check is also
//! rated with the story's later events given to the engine too: they must change nothing. Run with
//! `UPDATE_EXPECT=1` to rewrite the expectations in the files from what the engine answers;
//! review the diff before committing it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use healthcode_core::rating::{
    AppealId, CaseId, CaseRecord, CaseStatus, Colour, Contact, ContactDegree, ContactId,
    ContactSetting, Facts, HealthReport, Language, Medicine, NextStep, Override, OverrideId,
    PharmacyPurchase, Policy, Rating, RegionRiskList, Reporter, RiskLevel, TestKind, TestOutcome,
    TestResult, rate,
};
use healthcode_core::{
    Declaration, EventId, PersonId, RegionCode, StaffId, Symptom, Temperature, Timestamp,
    TravelEntry, TripId, VenueId,
};
use jiff::SignedDuration;
use jiff::tz::{Offset, TimeZone};
use serde::Deserialize;

const POLICIES: [(&str, &str); 2] = [
    ("default", include_str!("../../../../policies/default.toml")),
    (
        "strict_2020",
        include_str!("../../../../policies/strict-2020.toml"),
    ),
];

#[test]
fn every_scenario_gives_the_expected_ratings_under_both_policies() {
    let policies: Vec<(&str, Policy)> = POLICIES
        .iter()
        .map(|(key, source)| {
            let policy =
                Policy::parse(source).unwrap_or_else(|errors| panic!("{key} policy: {errors}"));
            (*key, policy)
        })
        .collect();
    let files = scenario_files();
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let scenario: Scenario =
            toml::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        let mut actual: Vec<BTreeMap<&str, String>> = Vec::new();
        for (check_index, check) in scenario.check.iter().enumerate() {
            let now = check.at.timestamp();
            let mut answers = BTreeMap::new();
            for (key, policy) in &policies {
                let facts = scenario.facts_at(now);
                let rating = rate(&facts, policy, now);
                assert_rating_explains_itself(&rating, path);
                let outcome = outcome(&rating);
                let expected = match *key {
                    "default" => check.default.as_deref(),
                    _ => check.strict_2020.as_deref(),
                };
                if expected != Some(outcome.as_str()) && !update {
                    failures.push(format!(
                        "{} check {} (at {}) under {key}: expected {:?}, engine says {outcome:?}",
                        path.display(),
                        check_index + 1,
                        check.at.0,
                        expected.unwrap_or("(nothing written)")
                    ));
                }
                // The engine ignores facts dated after the moment of rating: giving it every
                // event of the story, later ones too, must not change the rating.
                let with_later_events = rate(&scenario.facts(Timestamp::MAX, now), policy, now);
                if with_later_events != rating {
                    failures.push(format!(
                        "{} check {} under {key}: events after the check change the rating to {:?}",
                        path.display(),
                        check_index + 1,
                        self::outcome(&with_later_events)
                    ));
                }
                if *key == "default" {
                    let steps: Vec<String> = rating.next_steps.iter().map(step_code).collect();
                    for step in &check.default_steps {
                        if !steps.contains(step) {
                            failures.push(format!(
                                "{} check {}: expected next step {step:?} among {steps:?}",
                                path.display(),
                                check_index + 1
                            ));
                        }
                    }
                    for step in &check.default_absent_steps {
                        if steps.contains(step) {
                            failures.push(format!(
                                "{} check {}: next step {step:?} should be gone from {steps:?}",
                                path.display(),
                                check_index + 1
                            ));
                        }
                    }
                }
                answers.insert(*key, outcome);
            }
            actual.push(answers);
        }
        if update {
            let rewritten = rewrite_expectations(&text, &actual);
            if rewritten != text {
                std::fs::write(path, rewritten).unwrap();
            }
        }
    }
    assert!(
        files.len() >= 40,
        "there should be at least 40 scenarios, found {}",
        files.len()
    );
    assert!(
        failures.is_empty(),
        "{} scenario checks failed (UPDATE_EXPECT=1 rewrites the files):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_rule_of_the_default_policy_is_the_reason_in_some_scenario() {
    let default = Policy::parse(POLICIES[0].1).unwrap();
    let mut seen = BTreeSet::new();
    for path in scenario_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let scenario: Scenario = toml::from_str(&text).unwrap();
        for check in &scenario.check {
            let now = check.at.timestamp();
            let rating = rate(&scenario.facts_at(now), &default, now);
            seen.extend(rating.rule_ids().into_iter().map(str::to_owned));
        }
    }
    for rule in &default.rules {
        assert!(
            seen.contains(rule.id.as_str()),
            "no scenario has rule {} among its reasons",
            rule.id
        );
    }
    assert!(seen.contains("override"), "no scenario has an override");
}

/// Every rating that is not green has a reason, every reason has evidence and a text in both
/// languages, and every next step has a text.
fn assert_rating_explains_itself(rating: &Rating, path: &Path) {
    if rating.colour != Colour::Green {
        assert!(!rating.reasons.is_empty(), "{}: {rating:?}", path.display());
    }
    for reason in &rating.reasons {
        assert!(
            !reason.evidence.is_empty(),
            "{}: {reason:?}",
            path.display()
        );
        for language in Language::ALL {
            assert!(!reason.text(language, rating.offset).is_empty());
        }
    }
    for step in &rating.next_steps {
        for language in Language::ALL {
            assert!(!step.text(language, rating.offset).is_empty());
        }
    }
}

fn scenario_files() -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    files
}

fn shanghai() -> TimeZone {
    TimeZone::fixed(Offset::constant(8))
}

fn moment(at: Timestamp) -> String {
    at.to_zoned(shanghai())
        .strftime("%Y-%m-%dT%H:%M%:z")
        .to_string()
}

/// A rating in the compact form scenario files write.
fn outcome(rating: &Rating) -> String {
    let mut text = rating.colour.code().to_owned();
    if let Some(until) = rating.valid_until {
        text.push_str(" until ");
        text.push_str(&moment(until));
    }
    let rules = rating.rule_ids();
    if !rules.is_empty() {
        text.push_str(" by ");
        text.push_str(&rules.join(", "));
    }
    text
}

fn step_code(step: &NextStep) -> String {
    match step {
        NextStep::NegativeTestAfter { after, colour } => {
            format!(
                "negative test after {} makes {}",
                moment(*after),
                colour.code()
            )
        }
        NextStep::TurnsOn { at, colour } => format!("turns {} on {}", colour.code(), moment(*at)),
        NextStep::AwaitRelease => "await release".to_owned(),
        NextStep::DeclareOrTest { purchased_at } => {
            format!(
                "declare or test after purchase on {}",
                moment(*purchased_at)
            )
        }
        NextStep::OverrideEnds { at, colour } => {
            format!("override ends {} then {}", moment(*at), colour.code())
        }
        NextStep::Appeal => "appeal".to_owned(),
    }
}

/// Rewrites the `default = …` and `strict_2020 = …` lines of each `[[check]]` block, adding
/// them at the end of the block where missing.
fn rewrite_expectations(text: &str, actual: &[BTreeMap<&str, String>]) -> String {
    const KEYS: [&str; 2] = ["default", "strict_2020"];
    let mut out: Vec<String> = Vec::new();
    let mut checks_seen = 0;
    let mut current: Option<usize> = None;
    let mut missing: Vec<&str> = Vec::new();
    let flush = |out: &mut Vec<String>, current: Option<usize>, missing: &mut Vec<&str>| {
        let Some(index) = current else { return };
        let blank_lines = out
            .iter()
            .rev()
            .take_while(|line| line.trim().is_empty())
            .count();
        let tail = out.split_off(out.len() - blank_lines);
        for key in missing.drain(..) {
            out.push(format!("{key} = {:?}", actual[index][key]));
        }
        out.extend(tail);
    };
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            flush(&mut out, current, &mut missing);
            current = None;
            if trimmed.starts_with("[[check]]") {
                current = Some(checks_seen);
                checks_seen += 1;
                missing = KEYS.to_vec();
            }
            out.push(line.to_owned());
            continue;
        }
        if let Some(index) = current
            && let Some(key) = KEYS
                .into_iter()
                .find(|key| trimmed.starts_with(&format!("{key} =")))
        {
            missing.retain(|missing| *missing != key);
            out.push(format!("{key} = {:?}", actual[index][key]));
            continue;
        }
        out.push(line.to_owned());
    }
    flush(&mut out, current, &mut missing);
    let mut rewritten = out.join("\n");
    rewritten.push('\n');
    rewritten
}

/// A moment written with its offset, e.g. `2026-02-10T09:00+08:00`.
#[derive(Debug, Clone, Copy)]
struct Moment(Timestamp);

impl Moment {
    fn timestamp(self) -> Timestamp {
        self.0
    }
}

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
struct Scenario {
    #[allow(dead_code)]
    description: String,
    #[serde(default)]
    event: Vec<Event>,
    check: Vec<Check>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Check {
    at: Moment,
    default: Option<String>,
    strict_2020: Option<String>,
    /// Next steps the default policy must give, in the compact form of `step_code`.
    #[serde(default)]
    default_steps: Vec<String>,
    /// Next steps the default policy must not give, in the same form.
    #[serde(default)]
    default_absent_steps: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Event {
    at: Moment,
    declaration: Option<DeclarationEvent>,
    report: Option<ReportEvent>,
    test: Option<TestEvent>,
    purchase: Option<PurchaseEvent>,
    case: Option<CaseEvent>,
    release: Option<Named>,
    contact: Option<ContactEvent>,
    dismiss: Option<Named>,
    #[serde(rename = "override")]
    override_: Option<OverrideEvent>,
    appeal: Option<Named>,
    decision: Option<DecisionEvent>,
    region_list: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeclarationEvent {
    temperature: Option<f64>,
    #[serde(default)]
    symptoms: Vec<String>,
    #[serde(default)]
    travel: Vec<TravelEvent>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TravelEvent {
    region: String,
    from: String,
    to: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportEvent {
    reporter: String,
    temperature: Option<f64>,
    #[serde(default)]
    symptoms: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestEvent {
    outcome: String,
    #[serde(default = "pcr")]
    kind: String,
    /// Defaults to the event's moment; the result is reported at the event's moment.
    sampled_at: Option<Moment>,
}

fn pcr() -> String {
    "pcr".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PurchaseEvent {
    medicine: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseEvent {
    id: String,
    status: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Named {
    id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactEvent {
    id: String,
    degree: String,
    /// `venue`, `trip` or `household`.
    setting: String,
    last_exposure: Moment,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OverrideEvent {
    colour: String,
    reason: String,
    expires_at: Moment,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionEvent {
    /// The appeal's name.
    id: String,
    /// `uphold` or `amend`.
    outcome: String,
    reason: String,
    colour: Option<String>,
    expires_at: Option<Moment>,
}

/// Stable identifiers from the names scenario files use.
fn uuid_of(kind: u8, name: &str) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    bytes[0] = kind;
    for (index, byte) in name.bytes().enumerate() {
        bytes[1 + index % 15] ^= byte.wrapping_add(index as u8);
    }
    bytes[15] |= 1;
    bytes
}

fn date(text: &str) -> jiff::civil::Date {
    text.parse()
        .unwrap_or_else(|error| panic!("date {text}: {error}"))
}

impl Scenario {
    /// The facts as the store would gather them at `now`: events up to `now`, in order.
    fn facts_at(&self, now: Timestamp) -> Facts {
        self.facts(now, now)
    }

    /// The facts of the events up to `gathered_at`, with the region-risk list in force at
    /// `now` (the list is not a resident's fact: the store always gives the one in force).
    fn facts(&self, gathered_at: Timestamp, now: Timestamp) -> Facts {
        let person = PersonId::from_bytes([7; 16]);
        let official = StaffId::from_bytes([9; 16]);
        let mut facts = Facts::default();
        let mut region_list = RegionRiskList::default();
        let mut appeals = BTreeSet::new();
        for (index, event) in self.event.iter().enumerate() {
            let at = event.at.timestamp();
            if at > gathered_at {
                continue;
            }
            let event_id = EventId::from_bytes(uuid_of(1, &format!("event {index}"))).unwrap();
            if let Some(declaration) = &event.declaration {
                let symptoms = symptoms(&declaration.symptoms);
                let temperature = declaration
                    .temperature
                    .map(|celsius| Temperature::from_celsius(celsius).unwrap());
                let travel = declaration
                    .travel
                    .iter()
                    .map(|entry| TravelEntry {
                        region: RegionCode::parse(&entry.region).unwrap(),
                        from: date(&entry.from),
                        to: date(&entry.to),
                    })
                    .collect();
                facts.declarations.push(
                    Declaration::new(event_id, person, at, symptoms, temperature, travel).unwrap(),
                );
            }
            if let Some(report) = &event.report {
                facts.health_reports.push(HealthReport {
                    event_id,
                    reporter: Reporter::parse(&report.reporter).unwrap(),
                    day: at.to_zoned(shanghai()).date(),
                    reported_at: at,
                    temperature: report
                        .temperature
                        .map(|celsius| Temperature::from_celsius(celsius).unwrap()),
                    symptoms: symptoms(&report.symptoms),
                });
            }
            if let Some(test) = &event.test {
                facts.test_results.push(TestResult {
                    event_id,
                    kind: TestKind::parse(&test.kind).unwrap(),
                    outcome: TestOutcome::parse(&test.outcome).unwrap(),
                    sampled_at: test.sampled_at.map_or(at, Moment::timestamp),
                    reported_at: at,
                });
            }
            if let Some(purchase) = &event.purchase {
                facts.pharmacy_purchases.push(PharmacyPurchase {
                    event_id,
                    medicine: Medicine::parse(&purchase.medicine).unwrap(),
                    purchased_at: at,
                });
            }
            if let Some(case) = &event.case {
                facts.cases.push(CaseRecord {
                    case: CaseId::from_bytes(uuid_of(2, &case.id)),
                    status: CaseStatus::parse(&case.status).unwrap(),
                    since: at,
                    onset: at,
                    isolated_at: at,
                    released_at: None,
                });
            }
            if let Some(release) = &event.release {
                let case = CaseId::from_bytes(uuid_of(2, &release.id));
                for record in facts.cases.iter_mut().filter(|record| record.case == case) {
                    record.released_at = Some(at);
                }
            }
            if let Some(contact) = &event.contact {
                let setting = match contact.setting.as_str() {
                    "venue" => ContactSetting::Venue(VenueId::from_bytes(uuid_of(3, "venue"))),
                    "trip" => ContactSetting::Trip(TripId::from_bytes(uuid_of(5, "trip"))),
                    "household" => ContactSetting::Household,
                    other => panic!("setting {other}: should be venue, trip or household"),
                };
                let last_exposure = contact.last_exposure.timestamp();
                facts.contacts.push(Contact {
                    contact: ContactId::from_bytes(uuid_of(4, &contact.id)),
                    case: CaseId::from_bytes(uuid_of(2, "source case")),
                    degree: ContactDegree::parse(&contact.degree).unwrap(),
                    setting,
                    first_exposure: last_exposure,
                    last_exposure,
                    together: SignedDuration::from_mins(15),
                    found_at: at,
                    dismissed_at: None,
                });
            }
            if let Some(dismiss) = &event.dismiss {
                let contact = ContactId::from_bytes(uuid_of(4, &dismiss.id));
                for record in facts.contacts.iter_mut().filter(|c| c.contact == contact) {
                    record.dismissed_at = Some(at);
                }
            }
            if let Some(decision) = &event.override_ {
                facts.overrides.push(Override {
                    id: OverrideId::from_bytes(uuid_of(5, &format!("override {index}"))),
                    colour: Colour::parse(&decision.colour).unwrap(),
                    reason: decision.reason.clone(),
                    set_by: official,
                    set_at: at,
                    expires_at: decision.expires_at.timestamp(),
                    appeal: None,
                });
            }
            // An appeal alone changes nothing: the rating stands until an official decides.
            if let Some(appeal) = &event.appeal {
                appeals.insert(appeal.id.as_str());
            }
            if let Some(decision) = &event.decision {
                assert!(
                    appeals.contains(decision.id.as_str()),
                    "decision on appeal {} comes before the appeal",
                    decision.id
                );
                match decision.outcome.as_str() {
                    "uphold" => {}
                    "amend" => facts.overrides.push(Override {
                        id: OverrideId::from_bytes(uuid_of(5, &format!("decision {index}"))),
                        colour: Colour::parse(decision.colour.as_deref().unwrap()).unwrap(),
                        reason: decision.reason.clone(),
                        set_by: official,
                        set_at: at,
                        expires_at: decision.expires_at.unwrap().timestamp(),
                        appeal: Some(AppealId::from_bytes(uuid_of(6, &decision.id))),
                    }),
                    other => panic!("decision {other}: should be uphold or amend"),
                }
            }
            if let Some(entries) = &event.region_list
                && at <= now
            {
                region_list = RegionRiskList {
                    version: region_list.version + 1,
                    published_at: Some(at),
                    entries: entries
                        .iter()
                        .map(|(code, level)| {
                            (
                                RegionCode::parse(code).unwrap(),
                                RiskLevel::parse(level).unwrap(),
                            )
                        })
                        .collect(),
                };
            }
        }
        facts.region_risk = Arc::new(region_list);
        facts
    }
}

fn symptoms(codes: &[String]) -> BTreeSet<Symptom> {
    codes
        .iter()
        .map(|code| Symptom::parse(code).unwrap_or_else(|error| panic!("{code}: {error}")))
        .collect()
}
