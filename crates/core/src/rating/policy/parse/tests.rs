//! Policy files as data: the shipped ones must read, and each broken one must be refused with
//! every problem at its line and column.

use std::collections::BTreeSet;

use jiff::SignedDuration;
use jiff::tz::Offset;

use crate::declaration::Symptom;
use crate::rating::Colour;
use crate::rating::facts::RiskLevel;
use crate::rating::policy::{
    Lasting, NegativeTestEffect, Policy, PolicyVersion, RegionScope, SymptomSet, Trigger,
};
use crate::trace::TracingPolicy;
use crate::transit::TransitMode;
use crate::venue::VenueKind;

const DEFAULT: &str = include_str!("../../../../../../policies/default.toml");
const STRICT_2020: &str = include_str!("../../../../../../policies/strict-2020.toml");

/// A valid `[policy]` table, put before every snippet below that does not start with its own.
/// Line numbers in the expectations count from the snippet's first line, not the file's.
const HEADER: &str = r#"[policy]
name = "test"
version = 1
utc_offset = "+08:00"
core_symptoms = ["fever", "dry_cough", "sore_throat"]
"#;

fn days(days: i64) -> SignedDuration {
    SignedDuration::from_hours(days * 24)
}

fn parse_ok(source: &str) -> Policy {
    match Policy::parse(source) {
        Ok(policy) => policy,
        Err(errors) => panic!("the policy should read, but:\n{errors}\n---\n{source}"),
    }
}

/// The snippet as a whole file, and how many lines come before the snippet.
fn whole_file(snippet: &str) -> (String, usize) {
    let snippet = snippet.strip_prefix('\n').unwrap_or(snippet);
    if snippet.starts_with("[policy]") {
        (snippet.to_owned(), 0)
    } else {
        (format!("{HEADER}{snippet}"), HEADER.lines().count())
    }
}

/// Each expectation is `line:column: fragment`; the errors must be exactly these, in order.
fn check_refused(snippet: &str, expected: &[&str]) {
    let (source, lines_before) = whole_file(snippet);
    let errors = match Policy::parse(&source) {
        Ok(_) => panic!("the policy should be refused:\n{source}"),
        Err(errors) => errors.0,
    };
    let found: Vec<String> = errors
        .iter()
        .map(|error| {
            let line = error.line as i64 - lines_before as i64;
            format!("{line}:{}: {}", error.column, error.message)
        })
        .collect();
    let report = format!("found:\n{}\n---\n{source}", found.join("\n"));
    assert_eq!(found.len(), expected.len(), "{report}");
    for (found, expected) in found.iter().zip(expected) {
        let (position, fragment) = expected.split_once(": ").unwrap();
        assert!(
            found.starts_with(&format!("{position}: ")) && found.contains(fragment),
            "expected {expected:?}\n{report}"
        );
    }
}

#[test]
fn the_default_policy_reads() {
    let policy = parse_ok(DEFAULT);
    assert_eq!(policy.version, PolicyVersion::parse("default@1").unwrap());
    assert_eq!(policy.utc_offset, Offset::constant(8));
    assert_eq!(policy.pharmacy_prompt, days(3));
    let ids: Vec<&str> = policy.rules.iter().map(|rule| rule.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "confirmed_case",
            "suspected_case",
            "close_contact",
            "secondary_contact",
            "positive_test",
            "high_risk_region",
            "medium_risk_region",
            "fever",
            "two_core_symptoms",
            "medicine_with_symptoms",
        ]
    );
    let close_contact = &policy.rules[2];
    assert_eq!(close_contact.trigger, Trigger::CloseContact);
    assert_eq!(close_contact.colour, Colour::Red);
    assert_eq!(close_contact.lasts, Lasting::For(days(14)));
    assert_eq!(
        close_contact.negative_test,
        Some(NegativeTestEffect {
            downgrade_to: Colour::Yellow,
            sampled_after: days(7),
        })
    );
    let medium = &policy.rules[6];
    assert_eq!(
        medium.trigger,
        Trigger::RiskRegion {
            levels: BTreeSet::from([RiskLevel::Medium]),
            within: days(14),
            scope: RegionScope::Region,
        }
    );
    assert_eq!(medium.colour, Colour::Yellow);
    let fever = &policy.rules[7];
    assert_eq!(fever.trigger, Trigger::Fever { min_tenths: 373 });
    assert_eq!(fever.lasts, Lasting::UntilNegativeTest);
    assert_eq!(
        fever.negative_test,
        Some(NegativeTestEffect {
            downgrade_to: Colour::Green,
            sampled_after: SignedDuration::ZERO,
        })
    );
    assert_eq!(
        policy.rules[8].trigger,
        Trigger::Symptoms {
            of: SymptomSet::Core,
            min_count: 2,
        }
    );
    // The file writes out every tracing default, so the two cannot drift apart unseen.
    assert_eq!(policy.tracing, TracingPolicy::default());
}

#[test]
fn a_single_mild_symptom_is_not_a_core_symptom_of_the_default_policy() {
    let policy = parse_ok(DEFAULT);
    assert_eq!(
        policy.core_symptoms,
        BTreeSet::from([
            Symptom::Fever,
            Symptom::DryCough,
            Symptom::ShortnessOfBreath,
            Symptom::LossOfTasteOrSmell,
            Symptom::SoreThroat,
        ])
    );
    for mild in [Symptom::StuffyNose, Symptom::RunnyNose, Symptom::Fatigue] {
        assert!(!policy.core_symptoms.contains(&mild), "{mild:?}");
    }
}

#[test]
fn the_strict_2020_policy_reads_and_turns_red_without_a_way_out() {
    let policy = parse_ok(STRICT_2020);
    assert_eq!(
        policy.version,
        PolicyVersion::parse("strict-2020@1").unwrap()
    );
    assert!(policy.rules.iter().all(|rule| rule.negative_test.is_none()));
    let any_symptom = &policy.rules[0];
    assert_eq!(
        any_symptom.trigger,
        Trigger::Symptoms {
            of: SymptomSet::Any,
            min_count: 1,
        }
    );
    assert_eq!(any_symptom.colour, Colour::Red);
    assert_eq!(any_symptom.lasts, Lasting::For(days(14)));
    let province = policy
        .rules
        .iter()
        .find(|rule| matches!(rule.trigger, Trigger::RiskRegion { .. }))
        .unwrap();
    assert_eq!(
        province.trigger,
        Trigger::RiskRegion {
            levels: BTreeSet::from(RiskLevel::ALL),
            within: days(14),
            scope: RegionScope::Province,
        }
    );
    assert!(
        !policy
            .rules
            .iter()
            .any(|rule| matches!(rule.trigger, Trigger::MedicineWithSymptoms { .. }))
    );
    assert_eq!(
        policy.tracing,
        TracingPolicy {
            infectious_before: days(4),
            min_overlap: SignedDuration::from_mins(1),
            flight_seat_rows: None,
            ..TracingPolicy::default()
        }
    );
}

/// A rule to end tracing snippets with, since a policy needs one.
const A_RULE: &str = r#"
[[rule]]
id = "close_contact"
when = "close_contact"
colour = "red"
for = "14d"
"#;

#[test]
fn a_policy_without_a_tracing_table_traces_with_the_defaults() {
    let policy = parse_ok(&whole_file(A_RULE).0);
    assert_eq!(policy.tracing, TracingPolicy::default());
}

#[test]
fn a_tracing_table_changes_only_what_it_lists() {
    let snippet = format!(
        r#"
[tracing]
min_overlap = "10m"
flight_seat_rows = "all"

[tracing.default_stays]
gym = "2h"
residential_compound = "1m"

[tracing.default_rides]
bus = "45m"
{A_RULE}"#
    );
    let policy = parse_ok(&whole_file(&snippet).0);
    let mut expected = TracingPolicy {
        min_overlap: SignedDuration::from_mins(10),
        flight_seat_rows: None,
        ..TracingPolicy::default()
    };
    expected
        .default_stays
        .insert(VenueKind::Gym, SignedDuration::from_hours(2));
    expected
        .default_stays
        .insert(VenueKind::ResidentialCompound, SignedDuration::from_mins(1));
    expected
        .default_rides
        .insert(TransitMode::Bus, SignedDuration::from_mins(45));
    assert_eq!(policy.tracing, expected);
}

#[test]
fn flight_seat_rows_is_a_number_of_rows_from_0_to_100_or_all() {
    for (written, expected) in [
        ("0", Some(0)),
        ("2", Some(2)),
        ("100", Some(100)),
        ("\"all\"", None),
    ] {
        let snippet = format!("[tracing]\nflight_seat_rows = {written}\n{A_RULE}");
        let policy = parse_ok(&whole_file(&snippet).0);
        assert_eq!(policy.tracing.flight_seat_rows, expected, "{written}");
    }
    for (written, found) in [
        ("101", "101"),
        ("-1", "-1"),
        ("\"none\"", "\"none\""),
        ("\"All\"", "\"All\""),
    ] {
        let snippet = format!("[tracing]\nflight_seat_rows = {written}\n{A_RULE}");
        check_refused(
            &snippet,
            &[&format!(
                r#"2:20: tracing.flight_seat_rows should be a whole number of rows from 0 to 100, or "all" for the whole flight, found {found}"#
            )],
        );
    }
    check_refused(
        &format!("[tracing]\nflight_seat_rows = 99999999999999999999\n{A_RULE}"),
        &[
            r#"2:20: tracing.flight_seat_rows should be a whole number of rows, such as 2, or "all", found 99999999999999999999, which is too large"#,
        ],
    );
}

#[test]
fn a_tracing_key_that_is_not_a_table_is_refused() {
    let source = format!("tracing = 3\n{HEADER}{A_RULE}");
    let errors = Policy::parse(&source).unwrap_err().0;
    let found: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        found,
        [
            r#"line 1, column 11: tracing should be a [tracing] table, such as min_overlap = "15m", found the whole number 3"#
        ]
    );
}

/// Policies that must read: the edges of what the checks allow.
const ACCEPTED: &[&str] = &[
    // The smallest policy; `sampled_after` may be zero and a whole temperature has no decimal.
    r#"
[[rule]]
id = "fever"
when = "fever"
min_temperature = 38
colour = "yellow"
negative_test = { downgrade_to = "green", sampled_after = "0m" }
"#,
    // The longest durations, in each unit.
    r#"
[[rule]]
id = "in_days"
when = "close_contact"
colour = "red"
for = "365d"

[[rule]]
id = "in_hours"
when = "secondary_contact"
colour = "yellow"
for = "8760h"

[[rule]]
id = "in_minutes"
when = "positive_test"
colour = "red"
for = "525600m"
"#,
    // A negative test ends the wide rule but not the narrow one, so the narrow one can matter.
    r#"
[[rule]]
id = "fever"
when = "fever"
min_temperature = 37.3
colour = "yellow"
negative_test = { downgrade_to = "green" }

[[rule]]
id = "high_fever"
when = "fever"
min_temperature = 38.5
colour = "yellow"
for = "3d"
"#,
    // A province and a region are judged differently, so neither rule covers the other.
    r#"
[[rule]]
id = "province"
when = "risk_region"
scope = "province"
levels = ["low", "medium", "high"]
within = "14d"
colour = "red"
for = "14d"

[[rule]]
id = "region"
when = "risk_region"
levels = ["high"]
within = "14d"
colour = "red"
for = "14d"
"#,
    // A narrower rule that asks for more, or lasts longer, is not hidden.
    r#"
[[rule]]
id = "one_symptom"
when = "symptoms"
of = "any"
min_count = 1
colour = "yellow"
for = "7d"

[[rule]]
id = "two_core_symptoms"
when = "symptoms"
of = "core"
min_count = 2
colour = "red"
for = "7d"

[[rule]]
id = "three_core_symptoms"
when = "symptoms"
of = "core"
min_count = 3
colour = "yellow"
for = "14d"
"#,
    // Offsets at the ends of the range, and with minutes.
    r#"
[policy]
name = "far-east"
version = 2
utc_offset = "+14:00"
core_symptoms = ["fever"]

[[rule]]
id = "positive_test"
when = "positive_test"
colour = "red"
for = "14d"
"#,
    r#"
[policy]
name = "far-west"
version = 1
utc_offset = "-12:00"
core_symptoms = ["fever"]

[[rule]]
id = "positive_test"
when = "positive_test"
colour = "red"
for = "14d"
"#,
    // The longest durations in [tracing], and a minimum as long as the longest stay.
    r#"
[tracing]
infectious_before = "365d"
min_overlap = "365d"
longest_stay = "365d"
contact_check_within = "8760h"

[tracing.default_stays]
hotel = "365d"

[tracing.default_rides]
train = "365d"

[[rule]]
id = "close_contact"
when = "close_contact"
colour = "red"
for = "14d"
"#,
    // Stays and rides exactly as long as the longest stay, written as an inline table and as
    // a dotted key; then [tracing.default_stays] without [tracing].
    r#"
[tracing]
longest_stay = "8h"
default_stays = { hotel = "8h", school = "480m" }
default_rides.flight = "8h"

[[rule]]
id = "close_contact"
when = "close_contact"
colour = "red"
for = "14d"
"#,
    r#"
[tracing.default_stays]
shop = "1m"

[[rule]]
id = "close_contact"
when = "close_contact"
colour = "red"
for = "14d"
"#,
    r#"
[policy]
name = "kathmandu"
version = 1
utc_offset = "+05:45"
core_symptoms = ["fever"]

[[rule]]
id = "positive_test"
when = "positive_test"
colour = "red"
for = "14d"
"#,
];

#[test]
fn policies_at_the_edges_of_the_checks_read() {
    for snippet in ACCEPTED {
        parse_ok(&whole_file(snippet).0);
    }
}

/// Broken policies and every error each must give, as `line:column: part of the message`.
const REFUSED: &[(&str, &[&str])] = &[
    // [tracing]: values of the wrong type, bad durations, unknown keys, kinds and modes, all
    // at once.
    (
        r#"
[tracing]
infectious_before = 2
min_overlap = "15 minutes"
longest_stay = "0d"
contact_check_within = "366d"
flight_seat_rows = true
min_overlapp = "15m"

[tracing.default_stays]
castle = "1h"
shop = 20
gym = "0m"

[tracing.default_rides]
boat = "1h"
bus = "30"

[[rule]]
id = "close_contact"
when = "close_contact"
colour = "red"
for = "14d"
"#,
        &[
            r#"2:21: tracing.infectious_before should be a duration in quotes, such as "14d", "36h" or "90m", found the whole number 2"#,
            r#"3:15: tracing.min_overlap should be a duration such as 14d, 36h or 90m, found "15 minutes""#,
            r#"4:16: tracing.longest_stay should be longer than 0, found "0d""#,
            r#"5:24: tracing.contact_check_within should be at most 365d, found "366d""#,
            r#"6:20: tracing.flight_seat_rows should be a whole number of rows, such as 2, or "all", found true"#,
            r#"7:1: unknown key "min_overlapp" in [tracing], should be one of: infectious_before, min_overlap, longest_stay, contact_check_within, flight_seat_rows, default_stays, default_rides"#,
            r#"10:1: tracing.default_stays: unknown venue kind "castle", should be one of: shop, supermarket, market, mall, restaurant, office, factory, school, hospital, clinic, pharmacy, hotel, gym, place_of_worship, residential_compound, subway_station, bus_station, railway_station, airport, highway_checkpoint"#,
            r#"11:8: tracing.default_stays.shop should be a duration in quotes, such as "14d", "36h" or "90m", found the whole number 20"#,
            r#"12:7: tracing.default_stays.gym should be longer than 0, found "0m""#,
            r#"15:1: tracing.default_rides: unknown transit mode "boat", should be one of: flight, train, bus, taxi"#,
            r#"16:7: tracing.default_rides.bus should be a duration such as 14d, 36h or 90m, found "30""#,
        ],
    ),
    // Nothing may need longer than the longest stay: the minimum overlap, a listed default,
    // or a default the table leaves as it is.
    (
        r#"
[tracing]
min_overlap = "2h"
longest_stay = "1h"

[tracing.default_stays]
mall = "90m"
office = "1h"
factory = "45m"

[tracing.default_rides]
taxi = "61m"

[[rule]]
id = "close_contact"
when = "close_contact"
colour = "red"
for = "14d"
"#,
        &[
            r#"2:15: tracing.min_overlap should be at most longest_stay (1h), found "2h": no visit counts for longer than longest_stay"#,
            r#"3:16: tracing.longest_stay "1h" is shorter than the default of school (7h), hospital (2h), hotel (12h), gym (90m), place_of_worship (90m), airport (2h), flight (3h), train (2h); list each under [tracing.default_stays] or [tracing.default_rides] with at most 1h, or lengthen longest_stay"#,
            r#"6:8: tracing.default_stays.mall should be at most longest_stay (1h), found "90m": nothing counts for longer than longest_stay"#,
            r#"11:8: tracing.default_rides.taxi should be at most longest_stay (1h), found "61m""#,
        ],
    ),
    // Without longest_stay, the default day is the limit. A line meant for [tracing] but
    // written under [tracing.default_stays] is an unknown venue kind, and the table's other
    // lines are still checked.
    (
        r#"
[tracing]
min_overlap = "25h"

[tracing.default_stays]
hotel = "2d"
default_rides = "30m"

[[rule]]
id = "close_contact"
when = "close_contact"
colour = "red"
for = "14d"
"#,
        &[
            r#"2:15: tracing.min_overlap should be at most longest_stay (1d), found "25h""#,
            r#"5:9: tracing.default_stays.hotel should be at most longest_stay (1d), found "2d""#,
            r#"6:1: tracing.default_stays: unknown venue kind "default_rides""#,
        ],
    ),
    (
        r#"
[tracing]
default_stays = "30m"
default_rides = ["bus"]

[[rule]]
id = "close_contact"
when = "close_contact"
colour = "red"
for = "14d"
"#,
        &[
            r#"2:17: tracing.default_stays should be a [tracing.default_stays] table of venue kinds, such as shop = "20m", found the text "30m""#,
            r#"3:17: tracing.default_rides should be a [tracing.default_rides] table of transit modes, such as bus = "30m", found a list"#,
        ],
    ),
    // Unknown keys, missing keys and values of the wrong type, each with what to write instead.
    (
        r#"
[[rule]]
id = "a"
when = "close_contact"
colr = "red"
for = "14d"
"#,
        &[
            r#"1:1: rule "a": colour is missing; give "yellow" or "red""#,
            r#"4:1: rule "a": unknown key "colr", should be one of: id, when, colour, for, until, negative_test"#,
        ],
    ),
    (
        r#"
[[rule]]
id = "a"
when = "close_contact"
colour = "red"
for = 14
"#,
        &[
            r#"5:7: rule "a": for should be a duration in quotes, such as "14d", "36h" or "90m", found the whole number 14"#,
        ],
    ),
    (
        r#"
[[rule]]
id = "a"
when = "close_contact"
for = "14d"
"#,
        &[r#"1:1: rule "a": colour is missing; give "yellow" or "red""#],
    ),
    (
        r#"
[[rule]]
id = "a"
when = "close_contact"
colour = "red"
for = "14d"
negative_test = { downgrade_to = "yellow", after = "7d" }
"#,
        &[
            r#"6:44: rule "a": unknown key "after" in negative_test, should be one of: downgrade_to, sampled_after"#,
        ],
    ),
    (
        r#"
[[rule]]
id = "a"
when = "symptoms"
of = 2
min_count = 2
colour = "yellow"
for = "7d"
"#,
        &[
            r#"4:6: rule "a": of should be "core", "any" or a list of symptoms, found the whole number 2"#,
        ],
    ),
    (
        r#"
[rule]
id = "a"
"#,
        &["1:1: rule should be a list of [[rule]] tables, found a table"],
    ),
    (
        r#"
[policy]
name = "test"
version = 1
core_symptoms = ["fever"]
"#,
        &[
            r#"1:1: utc_offset is missing; give an offset from UTC in quotes, such as "+08:00""#,
            "1:1: a policy needs at least one [[rule]]",
        ],
    ),
    (
        r#"
[policy]
name = "test"
version = "1"
"#,
        &[
            "1:1: utc_offset is missing",
            "1:1: core_symptoms is missing",
            "1:1: a policy needs at least one [[rule]]",
            r#"3:11: version should be a positive whole number, such as 1, found the text "1""#,
        ],
    ),
    (
        r#"
[policy]
name = = "test"
"#,
        &["2:8: extra `=`"],
    ),
    // Values of the wrong type, each reported, in every table.
    (
        r#"
[policy]
name = 1
version = 1.5
title = ["a"]
utc_offset = 8
core_symptoms = ["fever", 2]
pharmacy_prompt = 3
colour = "red"

[[rule]]
id = "close_contact"
when = "close_contact"
colour = "red"
for = "14d"
"#,
        &[
            r#"2:8: name should be a policy name in quotes, such as "default", found the whole number 1"#,
            "3:11: version should be a positive whole number, such as 1, found the number 1.5",
            "4:9: title should be one line of text in quotes, found a list",
            r#"5:14: utc_offset should be an offset from UTC in quotes, such as "+08:00", found the whole number 8"#,
            r#"6:27: core_symptoms should list symptoms in quotes, such as "fever", found the whole number 2"#,
            r#"7:19: pharmacy_prompt should be a duration in quotes, such as "14d", "36h" or "90m", found the whole number 3"#,
            r#"8:1: unknown key "colour" in [policy], should be one of: name, version, title, utc_offset, core_symptoms, pharmacy_prompt"#,
        ],
    ),
    // A key of the wrong type is not also missing; a key the trigger does not take is not read;
    // with an unknown trigger the keys of every trigger are read.
    (
        r#"
[[rule]]
id = "region"
when = "risk_region"
levels = "high"
within = 14
scope = ["province"]
colour = "red"
for = "14d"

[[rule]]
id = "fever"
when = "fever"
min_temperature = "37.3"
min_count = "2"
colour = "yellow"
negative_test = { downgrade_to = "green" }

[[rule]]
id = "symptoms"
when = "symptomz"
of = ["fever", 1]
min_count = "2"
colour = "yellow"
negative_test = "green"
"#,
        &[
            r#"4:10: rule "region": levels should be a list of levels, such as ["medium", "high"], found the text "high""#,
            r#"5:10: rule "region": within should be a duration in quotes, such as "14d", "36h" or "90m", found the whole number 14"#,
            r#"6:9: rule "region": scope should be "region" or "province", found a list"#,
            r#"13:19: rule "fever": min_temperature should be a temperature in °C, such as 37.3, found the text "37.3""#,
            r#"14:13: rule "fever": min_count does not apply to fever, which takes min_temperature"#,
            r#"20:8: rule "symptoms": when should be one of: confirmed_case"#,
            r#"21:16: rule "symptoms": of should list symptoms in quotes, such as "fever", found the whole number 1"#,
            r#"22:13: rule "symptoms": min_count should be a whole number, such as 2, found the text "2""#,
            r#"24:17: rule "symptoms": negative_test should be a table such as { downgrade_to = "green" }, found the text "green""#,
        ],
    ),
    // The [policy] table: every problem at once.
    (
        r#"
[policy]
name = "Default"
version = 0
title = """two
lines"""
utc_offset = "8:00"
core_symptoms = ["fever", "sneezing", "fever"]
pharmacy_prompt = "0m"

[[rule]]
id = "close_contact"
when = "close_contact"
colour = "red"
for = "14d"
"#,
        &[
            r#"2:8: name should be 1 to 40 characters from a–z, 0–9 and -, starting with a letter, found "Default""#,
            "3:11: version should be a positive whole number, found 0",
            "4:9: title should be one line",
            r#"6:14: utc_offset should be an offset from UTC between -12:00 and +14:00 such as +08:00 or -05:30, found "8:00""#,
            r#"7:27: core_symptoms: unknown symptom "sneezing", should be one of: fever, dry_cough, fatigue"#,
            r#"7:39: core_symptoms lists "fever" twice"#,
            r#"8:19: pharmacy_prompt should be longer than 0, found "0m""#,
        ],
    ),
    (
        r#"
[policy]
name = "test"
version = 4294967296
utc_offset = "+08:00"
core_symptoms = []

[[rule]]
id = "close_contact"
when = "close_contact"
colour = "red"
for = "14d"
"#,
        &[
            "3:11: version should be a positive whole number, found 4294967296",
            "5:17: core_symptoms should list at least one symptom",
        ],
    ),
    (
        r#"
[policy]
name = "test"
version = 1
utc_offset = "+08:00"
core_symptoms = ["fever"]
"#,
        &["1:1: a policy needs at least one [[rule]]"],
    ),
    // Rule ids: malformed, reserved, repeated.
    (
        r#"
[policy]
name = "test"
version = 1
utc_offset = "+08:00"
core_symptoms = ["fever"]

[[rule]]
id = "Close contact"
when = "close_contact"
colour = "red"
for = "14d"

[[rule]]
id = "override"
when = "secondary_contact"
colour = "yellow"
for = "7d"

[[rule]]
id = "positive_test"
when = "positive_test"
colour = "red"
for = "14d"

[[rule]]
id = "positive_test"
when = "confirmed_case"
colour = "red"
until = "released"
"#,
        &[
            r#"8:6: rule id "Close contact" should be 1 to 60 characters from a–z, 0–9 and _"#,
            r#"14:6: rule id "override": override is reserved for officials' overrides; choose another"#,
            r#"26:6: rule id "positive_test" is already used on line 20; rule ids must be unique"#,
        ],
    ),
    // Colours: green can never change a rating.
    (
        r#"
[[rule]]
id = "contact_green"
when = "close_contact"
colour = "green"
for = "14d"

[[rule]]
id = "contact_blue"
when = "secondary_contact"
colour = "blue"
for = "7d"
"#,
        &[
            r#"4:10: rule "contact_green": colour green is unreachable"#,
            r#"10:10: rule "contact_blue": colour should be yellow or red, found "blue""#,
        ],
    ),
    // How long a rule lasts.
    (
        r#"
[[rule]]
id = "both"
when = "confirmed_case"
colour = "red"
for = "14d"
until = "released"

[[rule]]
id = "until_test"
when = "suspected_case"
colour = "yellow"
until = "negative_test"

[[rule]]
id = "released_contact"
when = "close_contact"
colour = "red"
until = "released"

[[rule]]
id = "endless"
when = "positive_test"
colour = "red"

[[rule]]
id = "endless_yellow"
when = "fever"
min_temperature = 37.3
colour = "red"
negative_test = { downgrade_to = "yellow" }
"#,
        &[
            r#"6:9: rule "both": give either for or until, not both"#,
            r#"12:9: rule "until_test": until should be "released", found "negative_test""#,
            r#"18:9: rule "released_contact": until = "released" applies only to confirmed_case and suspected_case, not close_contact"#,
            r#"21:6: rule "endless": the rule never ends"#,
            r#"26:6: rule "endless_yellow": the rule never ends"#,
        ],
    ),
    // Negative tests.
    (
        r#"
[[rule]]
id = "contact"
when = "close_contact"
colour = "yellow"
for = "14d"
negative_test = { downgrade_to = "yellow" }

[[rule]]
id = "positive"
when = "positive_test"
colour = "red"
for = "14d"
negative_test = { downgrade_to = "purple", sampled_after = "1w" }
"#,
        &[
            r#"6:34: rule "contact": negative_test.downgrade_to yellow contradicts the rule's colour yellow"#,
            r#"13:34: rule "positive": negative_test.downgrade_to should be green or yellow, found "purple""#,
            r#"13:60: rule "positive": negative_test.sampled_after should be a duration such as 14d, 36h or 90m, found "1w""#,
        ],
    ),
    // Durations, in each key that takes one.
    (
        r#"
[[rule]]
id = "fever"
when = "fever"
min_temperature = 37.3
colour = "yellow"
for = "14"

[[rule]]
id = "region"
when = "risk_region"
levels = ["high"]
within = "0d"
colour = "red"
for = "14d"

[[rule]]
id = "medicine"
when = "medicine_with_symptoms"
of = "core"
min_count = 1
within = "366d"
colour = "yellow"
for = "7d"
"#,
        &[
            r#"6:7: rule "fever": for should be a duration such as 14d, 36h or 90m, found "14""#,
            r#"12:10: rule "region": within should be longer than 0, found "0d""#,
            r#"21:10: rule "medicine": within should be at most 365d, found "366d""#,
        ],
    ),
    // Keys a trigger does not take, keys it needs, triggers that do not exist.
    (
        r#"
[[rule]]
id = "fever"
when = "fever"
min_temperature = 37.3
levels = ["high"]
colour = "yellow"
for = "7d"

[[rule]]
id = "symptoms"
when = "symptoms"
of = "core"
min_count = 2
min_temperature = 38.0
colour = "yellow"
for = "7d"

[[rule]]
id = "contact"
when = "close_contact"
within = "14d"
colour = "red"
for = "14d"

[[rule]]
id = "region"
when = "risk_region"
levels = ["high"]
colour = "red"
for = "14d"

[[rule]]
id = "typo"
when = "close_contacts"
colour = "red"
for = "14d"
"#,
        &[
            r#"5:10: rule "fever": levels does not apply to fever, which takes min_temperature"#,
            r#"14:19: rule "symptoms": min_temperature does not apply to symptoms, which takes of, min_count"#,
            r#"21:10: rule "contact": within does not apply to close_contact, which takes no further keys"#,
            r#"27:8: rule "region": risk_region needs within"#,
            r#"34:8: rule "typo": when should be one of: confirmed_case, suspected_case, close_contact"#,
        ],
    ),
    // Temperatures, symptoms and counts.
    (
        r#"
[[rule]]
id = "low_fever"
when = "fever"
min_temperature = 34.9
colour = "yellow"
for = "7d"

[[rule]]
id = "high_fever"
when = "fever"
min_temperature = 42.1
colour = "red"
for = "7d"

[[rule]]
id = "precise_fever"
when = "fever"
min_temperature = 37.25
colour = "yellow"
for = "7d"

[[rule]]
id = "no_symptom"
when = "symptoms"
of = "core"
min_count = 0
colour = "yellow"
for = "7d"

[[rule]]
id = "too_many_listed"
when = "symptoms"
of = ["fever", "dry_cough"]
min_count = 3
colour = "yellow"
for = "7d"

[[rule]]
id = "too_many_core"
when = "medicine_with_symptoms"
of = "core"
min_count = 4
within = "3d"
colour = "yellow"
for = "7d"

[[rule]]
id = "unknown_symptom"
when = "symptoms"
of = ["fever", "sneezing", "fever"]
min_count = 1
colour = "yellow"
for = "7d"

[[rule]]
id = "unknown_set"
when = "symptoms"
of = "all"
min_count = 1
colour = "yellow"
for = "7d"

[[rule]]
id = "empty_set"
when = "symptoms"
of = []
min_count = 1
colour = "yellow"
for = "7d"
"#,
        &[
            r#"4:19: rule "low_fever": min_temperature should be between 35.0 and 42.0 °C, found 34.9"#,
            r#"11:19: rule "high_fever": min_temperature should be between 35.0 and 42.0 °C, found 42.1"#,
            r#"18:19: rule "precise_fever": min_temperature should have one decimal, such as 37.3, found 37.25"#,
            r#"26:13: rule "no_symptom": min_count should be at least 1, found 0"#,
            r#"34:13: rule "too_many_listed": min_count should be at most 2, the number of symptoms in of, found 3"#,
            r#"42:13: rule "too_many_core": min_count should be at most 3, the number of symptoms in of, found 4"#,
            r#"50:16: rule "unknown_symptom": of: unknown symptom "sneezing", should be one of: fever"#,
            r#"50:28: rule "unknown_symptom": of lists "fever" twice"#,
            r#"58:6: rule "unknown_set": of should be "core", "any" or a list of symptoms, found "all""#,
            r#"66:6: rule "empty_set": of should list at least one symptom"#,
        ],
    ),
    // Region levels and scope.
    (
        r#"
[[rule]]
id = "no_level"
when = "risk_region"
levels = []
within = "14d"
colour = "red"
for = "14d"

[[rule]]
id = "bad_level"
when = "risk_region"
levels = ["severe", "high", "high"]
within = "14d"
scope = "country"
colour = "red"
for = "14d"
"#,
        &[
            r#"4:10: rule "no_level": levels should list at least one of low, medium, high"#,
            r#"12:11: rule "bad_level": levels: unknown level "severe", should be one of: low, medium, high"#,
            r#"12:29: rule "bad_level": levels lists "high" twice"#,
            r#"14:9: rule "bad_level": scope should be "region" or "province", found "country""#,
        ],
    ),
    // Contradictory: the same conditions, different effects.
    (
        r#"
[[rule]]
id = "contact_red"
when = "close_contact"
colour = "red"
for = "14d"

[[rule]]
id = "contact_yellow"
when = "close_contact"
colour = "yellow"
for = "7d"
"#,
        &[
            r#"8:6: rules "contact_red" and "contact_yellow" both apply to close_contact with the same conditions but ask for red for 14d and yellow for 7d"#,
        ],
    ),
    (
        r#"
[[rule]]
id = "contact"
when = "close_contact"
colour = "red"
for = "14d"
negative_test = { downgrade_to = "yellow", sampled_after = "7d" }

[[rule]]
id = "contact_strict"
when = "close_contact"
colour = "red"
for = "14d"
"#,
        &[
            r#"9:6: rules "contact" and "contact_strict" both apply to close_contact with the same conditions but ask for red for 14d (lowered to yellow by a negative test sampled 7d after the trigger) and red for 14d"#,
        ],
    ),
    // `core` and a list of the core symptoms are the same conditions.
    (
        r#"
[[rule]]
id = "core_pair"
when = "symptoms"
of = "core"
min_count = 2
colour = "yellow"
negative_test = { downgrade_to = "green" }

[[rule]]
id = "listed_pair"
when = "symptoms"
of = ["sore_throat", "dry_cough", "fever"]
min_count = 2
colour = "yellow"
for = "7d"
"#,
        &[
            r#"10:6: rules "core_pair" and "listed_pair" both apply to symptoms with the same conditions but ask for yellow until a negative test and yellow for 7d"#,
        ],
    ),
    // Duplicates: everything the same, however written.
    (
        r#"
[[rule]]
id = "positive"
when = "positive_test"
colour = "red"
for = "14d"

[[rule]]
id = "positive_again"
when = "positive_test"
colour = "red"
for = "336h"
"#,
        &[
            r#"8:6: rules "positive" and "positive_again" are duplicates: both apply to positive_test with the same conditions and ask for red for 14d; remove one"#,
        ],
    ),
    // Unreachable: a wider rule asks for as much, for as long.
    (
        r#"
[[rule]]
id = "fever"
when = "fever"
min_temperature = 37.3
colour = "red"
for = "14d"

[[rule]]
id = "high_fever"
when = "fever"
min_temperature = 38.5
colour = "yellow"
for = "7d"
"#,
        &[
            r#"9:6: rule "high_fever" can never change a rating (unreachable): rule "fever" applies whenever it does and asks for red for 14d"#,
        ],
    ),
    // The wider rule may come later, and its set of symptoms may be larger.
    (
        r#"
[[rule]]
id = "two_listed"
when = "symptoms"
of = ["fever", "dry_cough"]
min_count = 2
colour = "yellow"
for = "7d"

[[rule]]
id = "one_core"
when = "symptoms"
of = "core"
min_count = 1
colour = "yellow"
for = "7d"
"#,
        &[
            r#"2:6: rule "two_listed" can never change a rating (unreachable): rule "one_core" applies whenever it does"#,
        ],
    ),
    (
        r#"
[[rule]]
id = "medicine"
when = "medicine_with_symptoms"
of = "any"
min_count = 1
within = "3d"
colour = "yellow"
for = "7d"

[[rule]]
id = "medicine_soon"
when = "medicine_with_symptoms"
of = "core"
min_count = 1
within = "1d"
colour = "yellow"
for = "7d"

[[rule]]
id = "medium_or_high"
when = "risk_region"
levels = ["medium", "high"]
within = "14d"
colour = "red"
for = "14d"

[[rule]]
id = "high"
when = "risk_region"
levels = ["high"]
within = "7d"
colour = "red"
for = "14d"
"#,
        &[
            r#"11:6: rule "medicine_soon" can never change a rating (unreachable): rule "medicine""#,
            r#"28:6: rule "high" can never change a rating (unreachable): rule "medium_or_high""#,
        ],
    ),
    // A negative test that lowers the wide rule only to the narrow rule's colour still hides it.
    (
        r#"
[[rule]]
id = "fever"
when = "fever"
min_temperature = 37.3
colour = "red"
for = "14d"
negative_test = { downgrade_to = "yellow" }

[[rule]]
id = "high_fever"
when = "fever"
min_temperature = 38.5
colour = "yellow"
for = "14d"
"#,
        &[
            r#"10:6: rule "high_fever" can never change a rating (unreachable): rule "fever" applies whenever it does and asks for red for 14d (lowered to yellow by a negative test)"#,
        ],
    ),
];

#[test]
fn broken_policies_are_refused_with_each_problem_at_its_line_and_column() {
    for (snippet, expected) in REFUSED {
        check_refused(snippet, expected);
    }
}

/// Duration texts and what `for` makes of them: `None` if accepted.
const DURATIONS: &[(&str, Option<&str>)] = &[
    ("14d", None),
    ("36h", None),
    ("90m", None),
    ("365d", None),
    ("8760h", None),
    ("525600m", None),
    ("14", Some("should be a duration such as 14d, 36h or 90m")),
    ("d", Some("should be a duration such as 14d, 36h or 90m")),
    ("", Some("should be a duration such as 14d, 36h or 90m")),
    ("2w", Some("should be a duration such as 14d, 36h or 90m")),
    ("-1d", Some("should be a duration such as 14d, 36h or 90m")),
    ("+1d", Some("should be a duration such as 14d, 36h or 90m")),
    ("1.5d", Some("should be a duration such as 14d, 36h or 90m")),
    ("14 d", Some("should be a duration such as 14d, 36h or 90m")),
    ("14D", Some("should be a duration such as 14d, 36h or 90m")),
    (
        "１４d",
        Some("should be a duration such as 14d, 36h or 90m"),
    ),
    ("0d", Some("should be longer than 0")),
    ("0m", Some("should be longer than 0")),
    ("366d", Some("should be at most 365d")),
    ("8761h", Some("should be at most 365d")),
    ("525601m", Some("should be at most 365d")),
    ("99999999999999999999d", Some("should be at most 365d")),
];

#[test]
fn durations_are_a_positive_whole_number_of_days_hours_or_minutes_up_to_a_year() {
    for (written, expected) in DURATIONS {
        let snippet = format!(
            "[[rule]]\nid = \"contact\"\nwhen = \"close_contact\"\ncolour = \"red\"\nfor = \"{written}\"\n"
        );
        match expected {
            None => {
                parse_ok(&whole_file(&snippet).0);
            }
            Some(fragment) => check_refused(
                &snippet,
                &[&format!(
                    r#"5:7: rule "contact": for {fragment}, found "{written}""#
                )],
            ),
        }
    }
}

#[test]
fn utc_offsets_are_a_sign_hours_and_minutes_within_the_earths_range() {
    for written in [
        "8",
        "+8:00",
        "08:00",
        "+08",
        "+0800",
        "+08:00:00",
        "+15:00",
        "-13:00",
        "+08:60",
        "UTC",
        "+０８:00",
    ] {
        let snippet = format!(
            "[policy]\nname = \"test\"\nversion = 1\nutc_offset = \"{written}\"\ncore_symptoms = [\"fever\"]\n\n[[rule]]\nid = \"positive_test\"\nwhen = \"positive_test\"\ncolour = \"red\"\nfor = \"14d\"\n"
        );
        check_refused(
            &snippet,
            &[&format!(
                r#"4:14: utc_offset should be an offset from UTC between -12:00 and +14:00 such as +08:00 or -05:30, found "{written}""#
            )],
        );
    }
}

#[test]
fn every_problem_is_reported_at_once_in_the_order_of_the_file() {
    let snippet = r#"
[policy]
name = "test"
version = 1
utc_offset = "+08:00"
core_symptoms = ["fever", "dry_cough"]
pharmacy_prompt = "3 days"

[[rule]]
id = "fever"
when = "fever"
min_temperature = 37.3
colour = "yellow"
for = "14"

[[rule]]
id = "contact"
when = "close_contact"
colour = "red"
for = "14d"

[[rule]]
id = "contact_again"
when = "close_contact"
colour = "yellow"
for = "7d"

[[rule]]
id = "symptoms"
when = "symptoms"
of = ["fever", "cough"]
min_count = 1
colour = "green"
for = "7d"
"#;
    check_refused(
        snippet,
        &[
            r#"6:19: pharmacy_prompt should be a duration such as 14d, 36h or 90m, found "3 days""#,
            r#"13:7: rule "fever": for should be a duration"#,
            r#"22:6: rules "contact" and "contact_again" both apply to close_contact"#,
            r#"30:16: rule "symptoms": of: unknown symptom "cough""#,
            r#"32:10: rule "symptoms": colour green is unreachable"#,
        ],
    );
}

#[test]
fn an_unknown_key_a_bad_duration_a_wrong_type_and_an_unreachable_rule_are_all_reported() {
    let snippet = r#"
[policy]
name = "test"
version = 1
utc_offset = "+08:00"
core_symptoms = ["fever", "dry_cough"]

[[rule]]
id = "contact"
when = "close_contact"
colour = "red"
for = "14d"
negative_tset = { downgrade_to = "yellow" }

[[rule]]
id = "secondary_contact"
when = "secondary_contact"
colour = "yellow"
for = "7 days"

[[rule]]
id = "positive_test"
when = "positive_test"
colour = "red"
for = 14

[[rule]]
id = "fever"
when = "fever"
min_temperature = 37.3
colour = "red"
for = "14d"

[[rule]]
id = "high_fever"
when = "fever"
min_temperature = 38.5
colour = "yellow"
for = "7d"
"#;
    check_refused(
        snippet,
        &[
            r#"12:1: rule "contact": unknown key "negative_tset", should be one of: id, when, colour, for, until, negative_test"#,
            r#"18:7: rule "secondary_contact": for should be a duration such as 14d, 36h or 90m, found "7 days""#,
            r#"24:7: rule "positive_test": for should be a duration in quotes, such as "14d", "36h" or "90m", found the whole number 14"#,
            r#"34:6: rule "high_fever" can never change a rating (unreachable): rule "fever" applies whenever it does"#,
        ],
    );
}

#[test]
fn two_rules_each_with_an_unknown_key_are_both_reported() {
    let snippet = r#"
[[rule]]
id = "contact"
when = "close_contact"
colour = "red"
for = "14d"
sampled_after = "7d"

[[rule]]
id = "fever"
when = "fever"
min_temprature = 37.3
colour = "yellow"
negative_test = { downgrade_to = "green" }
"#;
    check_refused(
        snippet,
        &[
            r#"6:1: rule "contact": unknown key "sampled_after", should be one of: id, when, colour, for, until, negative_test"#,
            r#"10:8: rule "fever": fever needs min_temperature"#,
            r#"11:1: rule "fever": unknown key "min_temprature", should be one of: id, when, colour, for, until, negative_test, min_temperature"#,
        ],
    );
}

#[test]
fn a_rule_with_any_problem_is_not_compared_with_the_others() {
    // Without its misspelt key the second rule would contradict the first; with it, what the
    // second rule asks for is unknown, so only the key is reported.
    let snippet = r#"
[[rule]]
id = "contact"
when = "close_contact"
colour = "red"
for = "14d"

[[rule]]
id = "contact_tested"
when = "close_contact"
colour = "red"
for = "14d"
negativ_test = { downgrade_to = "yellow" }

[[rule]]
id = "positive_test"
when = "positive_test"
colour = "red"
for = ["14d"]
"#;
    check_refused(
        snippet,
        &[
            r#"12:1: rule "contact_tested": unknown key "negativ_test""#,
            r#"18:7: rule "positive_test": for should be a duration in quotes"#,
        ],
    );
}

#[test]
fn a_file_without_a_policy_table_and_a_rule_without_an_id_are_reported_together() {
    let source = "[[rule]]\nwhen = \"close_contact\"\ncolour = \"red\"\nfor = \"14d\"\n\n[[rules]]\nid = \"fever\"\n";
    let errors = Policy::parse(source).unwrap_err().0;
    let found: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        found,
        [
            "line 1, column 1: policy is missing; give a [policy] table with name, version, \
             utc_offset and core_symptoms",
            "line 1, column 1: rule number 1: id is missing; give a rule id in quotes, such as \
             \"close_contact\"",
            "line 6, column 3: unknown key \"rules\", should be one of: policy, rule, tracing",
        ]
    );
}

#[test]
fn a_syntax_error_is_reported_alone() {
    let source = format!("{HEADER}[[rule]]\nid = \"a\"\nwhen = close_contact\ncolr = \"red\"\n");
    let errors = Policy::parse(&source).unwrap_err().0;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].line, errors[0].column), (8, 8), "{errors:?}");
}

#[test]
fn lines_and_columns_count_characters_not_bytes() {
    // Comments and values in Chinese before the problems: columns count characters, so "咳嗽"
    // is two columns wide although it is six bytes long.
    let snippet = r#"
# 规则：两种核心症状 — two core symptoms
[[rule]]
id = "symptoms"
when = "symptoms"
of = [
  "fever", # 发热
  "咳嗽", "乏力", # 咳嗽 is a cough, 乏力 fatigue
]
min_count = 2
colour = "yellow"
for = "7d"
"#;
    check_refused(
        snippet,
        &[
            r#"7:3: rule "symptoms": of: unknown symptom "咳嗽""#,
            r#"7:9: rule "symptoms": of: unknown symptom "乏力""#,
        ],
    );
}

#[test]
fn a_problem_after_a_wide_character_on_its_line_is_at_the_right_column() {
    let source = "[policy]\nname = \"test\"\nversion = 1\ntitle = \"健康码\" \nutc_offset = \"+08:00\"\ncore_symptoms = [\"fever\"]\n\n[[rule]]\nid = \"体温\"\nwhen = \"positive_test\"\ncolour = \"red\"\nfor = \"14d\"\n";
    let errors = Policy::parse(source).unwrap_err().0;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].line, errors[0].column), (9, 6));

    // `core_symptoms = [` is 17 characters and `"发热", "fever", ` 15 more.
    let source = "[policy]\nname = \"test\"\nversion = 1\nutc_offset = \"+08:00\"\ncore_symptoms = [\"发热\", \"fever\", \"咳嗽\"]\n\n[[rule]]\nid = \"contact\"\nwhen = \"close_contact\"\ncolour = \"red\"\nfor = \"14d\"\n";
    let errors = Policy::parse(source).unwrap_err().0;
    let positions: Vec<(usize, usize)> = errors
        .iter()
        .map(|error| (error.line, error.column))
        .collect();
    assert_eq!(positions, [(5, 18), (5, 33)], "{errors:?}");
}

#[test]
fn every_cut_of_the_default_policy_is_read_or_refused_with_a_located_error() {
    let lines: Vec<&str> = DEFAULT.lines().collect();
    let mut sources: Vec<String> = DEFAULT
        .char_indices()
        .map(|(offset, _)| DEFAULT[..offset].to_owned())
        .collect();
    sources.extend((0..lines.len()).map(|skipped| {
        let kept: Vec<&str> = (lines.iter().enumerate())
            .filter(|(index, _)| *index != skipped)
            .map(|(_, line)| *line)
            .collect();
        kept.join("\n")
    }));
    for source in sources {
        if let Err(errors) = Policy::parse(&source) {
            assert!(!errors.0.is_empty(), "no error for:\n{source}");
            let line_count = source.lines().count().max(1);
            for error in &errors.0 {
                assert!(
                    (1..=line_count + 1).contains(&error.line) && error.column >= 1,
                    "{error} is outside:\n{source}"
                );
            }
        }
    }
}

#[test]
fn windows_line_endings_read_and_locate_the_same() {
    let policy = parse_ok(&DEFAULT.replace('\n', "\r\n"));
    assert_eq!(policy, parse_ok(DEFAULT));
    let source = format!("{HEADER}[[rule]]\nid = \"contact\"\nwhen = \"close_contact\"\ncolour = \"red\"\nfor = \"2w\"\n")
        .replace('\n', "\r\n");
    let errors = Policy::parse(&source).unwrap_err().0;
    assert_eq!((errors[0].line, errors[0].column), (10, 7), "{errors:?}");
}
