//! Reading and checking policy files.
//!
//! Three steps. The TOML is parsed into a document that keeps the span of every key and value;
//! a syntax error stops there and is reported alone, because the document cannot be read. Then
//! [`read`] walks the document into raw structs that mirror the file, reporting unknown keys,
//! missing keys and values of the wrong type. Then every value that could be read is checked and
//! compiled into the types of [`super`], and the rules that passed their own checks are compared
//! with each other. Every step after parsing goes on after a problem and collects all it finds,
//! so that an author fixes a file in one round; only a problem that makes another meaningless
//! hides it (a rule with a broken value is not compared with the others).
//!
//! This module reads only the string it is given; it never opens a file.

mod read;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use jiff::SignedDuration;
use jiff::tz::Offset;
use toml::Spanned;
use toml::de::DeTable;

use crate::declaration::Symptom;
use crate::rating::Colour;
use crate::rating::facts::RiskLevel;
use crate::trace::TracingPolicy;
use crate::transit::TransitMode;
use crate::venue::VenueKind;
use crate::vocabulary::{UnknownCode, vocabulary};

use self::read::{
    Field, RawDefault, RawFile, RawNegativeTest, RawRule, RawSeatRows, RawSymptomSet, RawTracing,
};
use super::{
    Lasting, NegativeTestEffect, Policy, PolicyError, PolicyErrors, PolicyName, PolicyVersion,
    RegionScope, Rule, RuleId, RuleIdError, SymptomSet, Trigger,
};

#[cfg(test)]
mod tests;

/// The longest duration a policy may give anywhere: a year.
const LONGEST: SignedDuration = SignedDuration::from_hours(365 * 24);
/// `pharmacy_prompt` when the file does not say.
const DEFAULT_PHARMACY_PROMPT: SignedDuration = SignedDuration::from_hours(3 * 24);
/// Fever thresholds outside this range are typing mistakes: below it everyone has a fever, above
/// it nobody who can still declare does.
const LOWEST_FEVER_TENTHS: i16 = 350;
const HIGHEST_FEVER_TENTHS: i16 = 420;
/// `flight_seat_rows` beyond this is a typing mistake: no aircraft has that many rows, so the
/// author means the whole flight and should say `"all"`.
const MOST_SEAT_ROWS: i64 = 100;

pub(super) fn parse(source: &str) -> Result<Policy, PolicyErrors> {
    let document = match DeTable::parse(source) {
        Ok(document) => document,
        Err(error) => {
            let offset = error.span().map_or(0, |span| span.start);
            let error = locate(source, offset, error.message().to_owned());
            return Err(PolicyErrors(vec![error]));
        }
    };
    let mut problems = Problems::default();
    let raw = read::read_file(&document, &mut problems);
    let policy = compile(raw, source, &mut problems);
    match policy {
        Some(policy) if problems.found.is_empty() => Ok(policy),
        _ => {
            // Every part that fails to compile reports why; this only keeps the promise that the
            // errors are never empty should a check forget to.
            if problems.found.is_empty() {
                problems.at(0..0, "the policy could not be read");
            }
            Err(problems.into_errors(source))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What the file may say.

vocabulary! {
    /// What `when` may say.
    pub enum TriggerKind {
        ConfirmedCase => "confirmed_case",
        SuspectedCase => "suspected_case",
        CloseContact => "close_contact",
        SecondaryContact => "secondary_contact",
        PositiveTest => "positive_test",
        RiskRegion => "risk_region",
        Fever => "fever",
        Symptoms => "symptoms",
        MedicineWithSymptoms => "medicine_with_symptoms",
    }
}

impl TriggerKind {
    /// The keys beyond the common ones that this trigger takes, and whether each is required.
    fn keys(self) -> &'static [(&'static str, Required)] {
        use Required::{Optional, Yes};
        match self {
            TriggerKind::ConfirmedCase
            | TriggerKind::SuspectedCase
            | TriggerKind::CloseContact
            | TriggerKind::SecondaryContact
            | TriggerKind::PositiveTest => &[],
            TriggerKind::RiskRegion => &[("levels", Yes), ("within", Yes), ("scope", Optional)],
            TriggerKind::Fever => &[("min_temperature", Yes)],
            TriggerKind::Symptoms => &[("of", Yes), ("min_count", Yes)],
            TriggerKind::MedicineWithSymptoms => {
                &[("of", Yes), ("min_count", Yes), ("within", Yes)]
            }
        }
    }

    /// Cases are the only triggers an official ends by releasing them.
    fn is_case(self) -> bool {
        matches!(
            self,
            TriggerKind::ConfirmedCase | TriggerKind::SuspectedCase
        )
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Required {
    Yes,
    Optional,
}

// ---------------------------------------------------------------------------------------------
// Problems, by position.

#[derive(Default)]
struct Problems {
    /// Byte offset into the source, and the message.
    found: Vec<(usize, String)>,
}

impl Problems {
    fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.found.push((span.start, message.into()));
    }

    fn count(&self) -> usize {
        self.found.len()
    }

    fn into_errors(mut self, source: &str) -> PolicyErrors {
        // Stable: problems at the same place keep the order they were found in.
        self.found.sort_by_key(|(offset, _)| *offset);
        PolicyErrors(
            self.found
                .into_iter()
                .map(|(offset, message)| locate(source, offset, message))
                .collect(),
        )
    }
}

/// The 1-based line and column (in characters) of a byte offset.
fn locate(source: &str, offset: usize, message: String) -> PolicyError {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    PolicyError {
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
        message,
    }
}

// ---------------------------------------------------------------------------------------------
// From the file as written to a checked policy.

/// A rule that passed its own checks, with what the checks between rules point at.
struct CheckedRule {
    rule: Rule,
    id_span: Range<usize>,
}

fn compile(raw: RawFile, source: &str, problems: &mut Problems) -> Option<Policy> {
    let header = raw.header.given();
    let name =
        header
            .and_then(|header| header.name.given())
            .and_then(|name| match PolicyName::parse(name.get_ref()) {
                Ok(parsed) => Some(parsed),
                Err(error) => {
                    problems.at(
                        name.span(),
                        format!("name {error}, found {:?}", name.get_ref()),
                    );
                    None
                }
            });
    let version = header
        .and_then(|header| header.version.given())
        .and_then(|version| {
            let positive = u32::try_from(*version.get_ref())
                .ok()
                .filter(|version| *version > 0);
            if positive.is_none() {
                problems.at(
                    version.span(),
                    format!(
                        "version should be a positive whole number, found {}",
                        version.get_ref()
                    ),
                );
            }
            positive
        });
    let title = match header.map(|header| &header.title) {
        None | Some(Field::Absent) => Some(None),
        Some(Field::Broken(_)) => None,
        Some(Field::Given(title)) => {
            if title.get_ref().contains(['\n', '\r']) {
                problems.at(title.span(), "title should be one line");
            }
            Some(Some(title.get_ref().clone()))
        }
    };
    let utc_offset = header
        .and_then(|header| header.utc_offset.given())
        .and_then(|text| utc_offset(text, problems));
    let core_symptoms = header
        .and_then(|header| header.core_symptoms.given())
        .and_then(|listed| core_symptoms(listed, problems));
    let pharmacy_prompt = match header.map(|header| &header.pharmacy_prompt) {
        None | Some(Field::Broken(_)) => None,
        Some(Field::Absent) => Some(DEFAULT_PHARMACY_PROMPT),
        Some(Field::Given(text)) => duration("", "pharmacy_prompt", text, Zero::Refused, problems),
    };

    if raw.without_rules {
        problems.at(
            raw.header_at,
            "a policy needs at least one [[rule]]; without rules everyone would be green",
        );
    }
    let mut seen_ids: Vec<(String, Range<usize>)> = Vec::new();
    let mut rules = Vec::new();
    for raw_rule in raw.rules {
        if let Some(id) = raw_rule.id.given() {
            let written = id.get_ref();
            if let Some((_, first)) = seen_ids.iter().find(|(seen, _)| seen == written) {
                problems.at(
                    id.span(),
                    format!(
                        "rule id {written:?} is already used on line {}; rule ids must be unique",
                        locate(source, first.start, String::new()).line
                    ),
                );
            }
            seen_ids.push((written.clone(), id.span()));
        }
        if let Some(rule) = compile_rule(raw_rule, core_symptoms.as_ref(), problems) {
            rules.push(rule);
        }
    }
    // Comparing rules needs what `core` means; without it the comparison would mislead.
    if let Some(core) = &core_symptoms {
        compare_rules(&rules, core, problems);
    }
    let tracing = match &raw.tracing {
        Field::Absent => Some(TracingPolicy::default()),
        Field::Broken(_) => None,
        Field::Given(tracing) => compile_tracing(tracing, problems),
    };

    Some(Policy {
        version: PolicyVersion {
            name: name?,
            version: version?,
        },
        title: title?,
        utc_offset: utc_offset?,
        core_symptoms: core_symptoms?,
        pharmacy_prompt: pharmacy_prompt?,
        rules: rules.into_iter().map(|checked| checked.rule).collect(),
        tracing: tracing?,
    })
}

fn utc_offset(text: &Spanned<String>, problems: &mut Problems) -> Option<Offset> {
    let parsed = parse_utc_offset(text.get_ref());
    if parsed.is_none() {
        problems.at(
            text.span(),
            format!(
                "utc_offset should be an offset from UTC between -12:00 and +14:00 such as \
                 +08:00 or -05:30, found {:?}",
                text.get_ref()
            ),
        );
    }
    parsed
}

fn parse_utc_offset(text: &str) -> Option<Offset> {
    let bytes = text.as_bytes();
    let sign = match bytes.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = [1, 2, 4, 5].map(|index| bytes.get(index).filter(|byte| byte.is_ascii_digit()));
    if bytes.len() != 6 || bytes[3] != b':' || digits.iter().any(Option::is_none) {
        return None;
    }
    let digit = |index: usize| i32::from(bytes[index] - b'0');
    let hours = digit(1) * 10 + digit(2);
    let minutes = digit(4) * 10 + digit(5);
    let seconds = sign * (hours * 3600 + minutes * 60);
    if minutes > 59 || !(-12 * 3600..=14 * 3600).contains(&seconds) {
        return None;
    }
    Offset::from_seconds(seconds).ok()
}

fn core_symptoms(
    listed: &Spanned<Vec<Spanned<String>>>,
    problems: &mut Problems,
) -> Option<BTreeSet<Symptom>> {
    if listed.get_ref().is_empty() {
        problems.at(
            listed.span(),
            "core_symptoms should list at least one symptom: it is what `of = \"core\"` counts",
        );
        return None;
    }
    symptoms("", "core_symptoms", listed.get_ref(), problems)
}

/// A list of symptom codes; `None` if any is unknown or repeated.
fn symptoms(
    context: &str,
    key: &str,
    listed: &[Spanned<String>],
    problems: &mut Problems,
) -> Option<BTreeSet<Symptom>> {
    let before = problems.count();
    let mut symptoms = BTreeSet::new();
    for code in listed {
        match Symptom::parse(code.get_ref()) {
            Ok(symptom) => {
                if !symptoms.insert(symptom) {
                    problems.at(
                        code.span(),
                        format!("{context}{key} lists {:?} twice", code.get_ref()),
                    );
                }
            }
            Err(error) => problems.at(
                code.span(),
                format!(
                    "{context}{key}: unknown symptom {:?}, {error}",
                    code.get_ref()
                ),
            ),
        }
    }
    (problems.count() == before).then_some(symptoms)
}

/// Whether a duration of zero makes sense for a key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Zero {
    Allowed,
    Refused,
}

/// `<n>d`, `<n>h` or `<n>m`, at most a year.
fn duration(
    context: &str,
    key: &str,
    text: &Spanned<String>,
    zero: Zero,
    problems: &mut Problems,
) -> Option<SignedDuration> {
    let written = text.get_ref();
    let parsed = parse_duration(written);
    let problem = match parsed {
        None => format!(
            "{context}{key} should be a duration such as 14d, 36h or 90m, found {written:?}"
        ),
        Some(duration) if duration > LONGEST => {
            format!("{context}{key} should be at most 365d, found {written:?}")
        }
        Some(duration) if duration.is_zero() && zero == Zero::Refused => {
            format!("{context}{key} should be longer than 0, found {written:?}")
        }
        Some(duration) => return Some(duration),
    };
    problems.at(text.span(), problem);
    None
}

fn parse_duration(text: &str) -> Option<SignedDuration> {
    let unit_at = text.len().checked_sub(1)?;
    let (number, unit) = (text.get(..unit_at)?, text.get(unit_at..)?);
    if number.is_empty() || !number.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let seconds_per_unit: i64 = match unit {
        "d" => 24 * 3600,
        "h" => 3600,
        "m" => 60,
        _ => return None,
    };
    // A number too large for the arithmetic is certainly longer than a year.
    let count: i64 = number.parse().unwrap_or(i64::MAX / seconds_per_unit);
    let seconds = count.saturating_mul(seconds_per_unit);
    Some(SignedDuration::from_secs(seconds))
}

/// How a duration is written back in messages: the largest whole unit.
fn written_duration(duration: SignedDuration) -> String {
    let seconds = duration.as_secs();
    if seconds == 0 {
        "0m".to_owned()
    } else if seconds % (24 * 3600) == 0 {
        format!("{}d", seconds / (24 * 3600))
    } else if seconds % 3600 == 0 {
        format!("{}h", seconds / 3600)
    } else {
        format!("{}m", seconds / 60)
    }
}

/// A colour code; `allowed` says which colours make sense where it is written.
fn colour(
    context: &str,
    key: &str,
    text: &Spanned<String>,
    allowed: &str,
    problems: &mut Problems,
) -> Option<Colour> {
    let parsed = Colour::parse(text.get_ref()).ok();
    if parsed.is_none() {
        problems.at(
            text.span(),
            format!(
                "{context}{key} should be {allowed}, found {:?}",
                text.get_ref()
            ),
        );
    }
    parsed
}

// ---------------------------------------------------------------------------------------------
// The `[tracing]` table.

/// What messages about `[tracing]` name its keys with.
const TRACING: &str = "tracing.";

fn compile_tracing(raw: &RawTracing, problems: &mut Problems) -> Option<TracingPolicy> {
    let built_in = TracingPolicy::default();
    let before = problems.count();
    let mut duration_or =
        |field: &Field<Spanned<String>>, key: &str, default: SignedDuration| match field {
            Field::Absent => Some(default),
            Field::Broken(_) => None,
            Field::Given(text) => duration(TRACING, key, text, Zero::Refused, problems),
        };
    let infectious_before = duration_or(
        &raw.infectious_before,
        "infectious_before",
        built_in.infectious_before,
    );
    let min_overlap = duration_or(&raw.min_overlap, "min_overlap", built_in.min_overlap);
    let longest_stay = duration_or(&raw.longest_stay, "longest_stay", built_in.longest_stay);
    let contact_check_within = duration_or(
        &raw.contact_check_within,
        "contact_check_within",
        built_in.contact_check_within,
    );
    let flight_seat_rows = match &raw.flight_seat_rows {
        Field::Absent => Some(built_in.flight_seat_rows),
        Field::Broken(_) => None,
        Field::Given(rows) => seat_rows(rows, problems),
    };
    let stays = defaults_by_code(
        &raw.default_stays,
        "default_stays",
        "venue kind",
        &built_in.default_stays,
        VenueKind::parse,
        problems,
    );
    let rides = defaults_by_code(
        &raw.default_rides,
        "default_rides",
        "transit mode",
        &built_in.default_rides,
        TransitMode::parse,
        problems,
    );

    // Nothing counts for longer than `longest_stay`: a minimum or a default beyond it could
    // never be reached, and would silently mean `longest_stay` instead.
    if let Some(longest) = longest_stay {
        let longest_written = written_duration(longest);
        if let (Some(min_overlap), Field::Given(text)) = (min_overlap, &raw.min_overlap)
            && min_overlap > longest
        {
            problems.at(
                text.span(),
                format!(
                    "{TRACING}min_overlap should be at most longest_stay ({longest_written}), \
                     found {:?}: no visit counts for longer than longest_stay, so nobody \
                     would ever be together long enough",
                    text.get_ref()
                ),
            );
        }
        let mut unlisted = Vec::new();
        if let Some(stays) = &stays {
            stays.check_against(
                longest,
                "default_stays",
                VenueKind::code,
                &mut unlisted,
                problems,
            );
        }
        if let Some(rides) = &rides {
            rides.check_against(
                longest,
                "default_rides",
                TransitMode::code,
                &mut unlisted,
                problems,
            );
        }
        if let (false, Field::Given(text)) = (unlisted.is_empty(), &raw.longest_stay) {
            problems.at(
                text.span(),
                format!(
                    "{TRACING}longest_stay {:?} is shorter than the default of {}; list each \
                     under [tracing.default_stays] or [tracing.default_rides] with at most \
                     {longest_written}, or lengthen longest_stay",
                    text.get_ref(),
                    unlisted.join(", ")
                ),
            );
        }
    }

    // A value of the wrong type, reported while reading, is left out above; `parse` refuses the
    // policy for it all the same.
    if problems.count() > before {
        return None;
    }
    Some(TracingPolicy {
        infectious_before: infectious_before?,
        min_overlap: min_overlap?,
        longest_stay: longest_stay?,
        default_stays: stays?.all,
        default_rides: rides?.all,
        flight_seat_rows: flight_seat_rows?,
        contact_check_within: contact_check_within?,
    })
}

/// `flight_seat_rows`: `Some(rows)` narrows flights to that many rows either side of the case,
/// `None` counts the whole flight.
fn seat_rows(written: &Spanned<RawSeatRows>, problems: &mut Problems) -> Option<Option<u16>> {
    let found = match written.get_ref() {
        RawSeatRows::Named(word) if word == "all" => return Some(None),
        RawSeatRows::Rows(rows) if (0..=MOST_SEAT_ROWS).contains(rows) => {
            return Some(u16::try_from(*rows).ok());
        }
        RawSeatRows::Named(word) => format!("{word:?}"),
        RawSeatRows::Rows(rows) => rows.to_string(),
    };
    problems.at(
        written.span(),
        format!(
            "{TRACING}flight_seat_rows should be a whole number of rows from 0 to \
             {MOST_SEAT_ROWS}, or \"all\" for the whole flight, found {found}"
        ),
    );
    None
}

/// The defaults of one vocabulary (venue kinds or transit modes) once a policy's table is
/// read over the built-in ones.
struct Defaults<K> {
    /// Every code's duration: the table's where it lists the code, the built-in one otherwise.
    all: BTreeMap<K, SignedDuration>,
    /// The codes the table lists, with each one's duration as written.
    listed: BTreeMap<K, Spanned<String>>,
}

impl<K: Copy + Ord> Defaults<K> {
    /// Reports each listed default longer than `longest` at its value, and adds each built-in
    /// one the table leaves longer than `longest` to `unlisted`, as `code (duration)`.
    fn check_against(
        &self,
        longest: SignedDuration,
        key: &str,
        code: fn(K) -> &'static str,
        unlisted: &mut Vec<String>,
        problems: &mut Problems,
    ) {
        for (&which, &lasts) in self.all.iter().filter(|(_, lasts)| **lasts > longest) {
            match self.listed.get(&which) {
                Some(text) => problems.at(
                    text.span(),
                    format!(
                        "{TRACING}{key}.{} should be at most longest_stay ({}), found {:?}: \
                         nothing counts for longer than longest_stay",
                        code(which),
                        written_duration(longest),
                        text.get_ref()
                    ),
                ),
                None => unlisted.push(format!("{} ({})", code(which), written_duration(lasts))),
            }
        }
    }
}

/// `[tracing.default_stays]` or `[tracing.default_rides]` over the built-in defaults: each
/// code must be in the vocabulary, and each duration valid. A line with a problem is reported
/// and left out, so that the others are still checked against `longest_stay`; `None` only when
/// the table itself could not be read.
fn defaults_by_code<K: Copy + Ord>(
    raw: &Field<Vec<RawDefault>>,
    key: &str,
    noun: &str,
    built_in: &BTreeMap<K, SignedDuration>,
    parse: fn(&str) -> Result<K, UnknownCode>,
    problems: &mut Problems,
) -> Option<Defaults<K>> {
    let listed_lines = match raw {
        Field::Absent => &[][..],
        Field::Broken(_) => return None,
        Field::Given(listed) => listed.as_slice(),
    };
    let mut defaults = Defaults {
        all: built_in.clone(),
        listed: BTreeMap::new(),
    };
    let context = format!("{TRACING}{key}.");
    for line in listed_lines {
        let written = line.code.get_ref();
        let which = match parse(written) {
            Ok(which) => Some(which),
            Err(error) => {
                problems.at(
                    line.code.span(),
                    format!("{TRACING}{key}: unknown {noun} {written:?}, {error}"),
                );
                None
            }
        };
        let lasts = line
            .lasts
            .given()
            .and_then(|text| duration(&context, written, text, Zero::Refused, problems));
        if let (Some(which), Some(lasts), Field::Given(text)) = (which, lasts, &line.lasts) {
            defaults.all.insert(which, lasts);
            defaults.listed.insert(which, text.clone());
        }
    }
    Some(defaults)
}

fn compile_rule(
    raw: RawRule,
    core: Option<&BTreeSet<Symptom>>,
    problems: &mut Problems,
) -> Option<CheckedRule> {
    let before = problems.count();
    let context = raw.context.as_str();

    let id = raw
        .id
        .given()
        .and_then(|id| match RuleId::parse(id.get_ref()) {
            Ok(parsed) => Some(parsed),
            Err(RuleIdError::Malformed) => {
                problems.at(
                    id.span(),
                    format!("rule id {:?} {}", id.get_ref(), RuleIdError::Malformed),
                );
                None
            }
            Err(RuleIdError::Reserved) => {
                problems.at(
                    id.span(),
                    format!(
                        "rule id {:?}: {}; choose another",
                        id.get_ref(),
                        RuleIdError::Reserved
                    ),
                );
                None
            }
        });

    let kind = raw
        .when
        .given()
        .and_then(|when| match TriggerKind::parse(when.get_ref()) {
            Ok(kind) => Some(kind),
            Err(error) => {
                problems.at(
                    when.span(),
                    format!("{context}when {error}, found {:?}", when.get_ref()),
                );
                None
            }
        });

    let colour = raw.colour.given().and_then(|written| {
        match colour(context, "colour", written, "yellow or red", problems) {
            Some(Colour::Green) => {
                problems.at(
                    written.span(),
                    format!(
                        "{context}colour green is unreachable: every rating starts green, so a \
                         green rule can never change one; use yellow or red"
                    ),
                );
                None
            }
            colour => colour,
        }
    });

    let negative_test = raw
        .negative_test
        .given()
        .and_then(|effect| negative_test(context, effect, colour, problems));

    let lasts = lasting(context, &raw, kind, negative_test, problems);
    let trigger = trigger(context, &raw, kind, core, problems);

    // A rule with any problem, even one found while reading it, is left out of the comparison
    // with the others: what it asks for is not known.
    if problems.count() > before || !raw.read_cleanly {
        return None;
    }
    Some(CheckedRule {
        rule: Rule {
            id: id?,
            trigger: trigger?,
            colour: colour?,
            lasts: lasts?,
            negative_test,
        },
        id_span: raw.at,
    })
}

fn negative_test(
    context: &str,
    raw: &RawNegativeTest,
    rule_colour: Option<Colour>,
    problems: &mut Problems,
) -> Option<NegativeTestEffect> {
    let downgrade_to = raw.downgrade_to.given().and_then(|written| {
        let downgrade_to = colour(
            context,
            "negative_test.downgrade_to",
            written,
            "green or yellow",
            problems,
        )?;
        if let Some(rule_colour) = rule_colour
            && downgrade_to >= rule_colour
        {
            problems.at(
                written.span(),
                format!(
                    "{context}negative_test.downgrade_to {} contradicts the rule's colour {}: \
                     a negative test can only lower it, so use a colour below {}",
                    downgrade_to.code(),
                    rule_colour.code(),
                    rule_colour.code()
                ),
            );
        }
        Some(downgrade_to)
    });
    let sampled_after = match &raw.sampled_after {
        Field::Given(text) => duration(
            context,
            "negative_test.sampled_after",
            text,
            Zero::Allowed,
            problems,
        ),
        Field::Absent => Some(SignedDuration::ZERO),
        Field::Broken(_) => None,
    };
    Some(NegativeTestEffect {
        downgrade_to: downgrade_to?,
        sampled_after: sampled_after?,
    })
}

fn lasting(
    context: &str,
    raw: &RawRule,
    kind: Option<TriggerKind>,
    negative_test: Option<NegativeTestEffect>,
    problems: &mut Problems,
) -> Option<Lasting> {
    if let (Some(_), Some(until)) = (raw.lasts_for.span(), raw.until.span()) {
        problems.at(
            until,
            format!("{context}give either for or until, not both"),
        );
        return None;
    }
    if let Some(lasts_for) = raw.lasts_for.given() {
        return duration(context, "for", lasts_for, Zero::Refused, problems).map(Lasting::For);
    }
    if let Some(until) = raw.until.given() {
        if until.get_ref() != "released" {
            problems.at(
                until.span(),
                format!(
                    "{context}until should be \"released\", found {:?}; for a rule that a \
                     negative test ends, leave out for and until and give \
                     negative_test = {{ downgrade_to = \"green\" }}",
                    until.get_ref()
                ),
            );
            return None;
        }
        return match kind {
            Some(kind) if !kind.is_case() => {
                problems.at(
                    until.span(),
                    format!(
                        "{context}until = \"released\" applies only to confirmed_case and \
                         suspected_case, not {}; give for instead",
                        kind.code()
                    ),
                );
                None
            }
            _ => Some(Lasting::UntilReleased),
        };
    }
    // `for` or `until` of the wrong type; that problem is reported.
    if !raw.lasts_for.is_absent() || !raw.until.is_absent() {
        return None;
    }
    match (&raw.negative_test, negative_test) {
        (_, Some(effect)) if effect.downgrade_to == Colour::Green => {
            Some(Lasting::UntilNegativeTest)
        }
        // The effect was not read or did not compile; its own problem is already reported.
        (Field::Given(_) | Field::Broken(_), None) => None,
        _ => {
            problems.at(
                raw.at.clone(),
                format!(
                    "{context}the rule never ends: give for, until = \"released\" (cases \
                     only), or negative_test = {{ downgrade_to = \"green\" }} so that a \
                     negative test ends it"
                ),
            );
            None
        }
    }
}

/// The rule's trigger with its conditions. Without a known trigger only the values of the keys
/// the rule gives are checked.
fn trigger(
    context: &str,
    raw: &RawRule,
    kind: Option<TriggerKind>,
    core: Option<&BTreeSet<Symptom>>,
    problems: &mut Problems,
) -> Option<Trigger> {
    let before = problems.count();
    if let Some(kind) = kind {
        let takes = kind.keys();
        let taken_keys = if takes.is_empty() {
            "no further keys".to_owned()
        } else {
            takes
                .iter()
                .map(|(key, _)| *key)
                .collect::<Vec<_>>()
                .join(", ")
        };
        for (key, span) in &raw.not_taken {
            problems.at(
                span.clone(),
                format!(
                    "{context}{key} does not apply to {}, which takes {taken_keys}",
                    kind.code()
                ),
            );
        }
        // A key given with a value of the wrong type is not missing; its problem is reported.
        let absent = [
            ("levels", raw.levels.is_absent()),
            ("within", raw.within.is_absent()),
            ("scope", raw.scope.is_absent()),
            ("min_temperature", raw.min_temperature.is_absent()),
            ("of", raw.of.is_absent()),
            ("min_count", raw.min_count.is_absent()),
        ];
        let when = raw.when.span().unwrap_or_else(|| raw.at.clone());
        for (key, required) in takes {
            let missing = absent
                .iter()
                .any(|(absent_key, is_absent)| absent_key == key && *is_absent);
            if *required == Required::Yes && missing {
                problems.at(
                    when.clone(),
                    format!("{context}{} needs {key}", kind.code()),
                );
            }
        }
    }

    // Each condition given is checked, whether or not the trigger could be.
    let levels = raw
        .levels
        .given()
        .and_then(|listed| levels(context, listed, problems));
    let within = raw
        .within
        .given()
        .and_then(|text| duration(context, "within", text, Zero::Refused, problems));
    let scope = match &raw.scope {
        Field::Absent => Some(RegionScope::Region),
        Field::Broken(_) => None,
        Field::Given(scope) => match scope.get_ref().as_str() {
            "region" => Some(RegionScope::Region),
            "province" => Some(RegionScope::Province),
            written => {
                problems.at(
                    scope.span(),
                    format!(
                        "{context}scope should be \"region\" or \"province\", found {written:?}"
                    ),
                );
                None
            }
        },
    };
    let min_tenths = raw
        .min_temperature
        .given()
        .and_then(|celsius| fever_threshold(context, celsius, problems));
    let symptoms = symptom_condition(context, raw, core, problems);

    if problems.count() > before {
        return None;
    }
    match kind? {
        TriggerKind::ConfirmedCase => Some(Trigger::ConfirmedCase),
        TriggerKind::SuspectedCase => Some(Trigger::SuspectedCase),
        TriggerKind::CloseContact => Some(Trigger::CloseContact),
        TriggerKind::SecondaryContact => Some(Trigger::SecondaryContact),
        TriggerKind::PositiveTest => Some(Trigger::PositiveTest),
        TriggerKind::RiskRegion => Some(Trigger::RiskRegion {
            levels: levels?,
            within: within?,
            scope: scope?,
        }),
        TriggerKind::Fever => Some(Trigger::Fever {
            min_tenths: min_tenths?,
        }),
        TriggerKind::Symptoms => {
            let (of, min_count) = symptoms?;
            Some(Trigger::Symptoms { of, min_count })
        }
        TriggerKind::MedicineWithSymptoms => {
            let (of, min_count) = symptoms?;
            Some(Trigger::MedicineWithSymptoms {
                of,
                min_count,
                within: within?,
            })
        }
    }
}

fn levels(
    context: &str,
    listed: &Spanned<Vec<Spanned<String>>>,
    problems: &mut Problems,
) -> Option<BTreeSet<RiskLevel>> {
    if listed.get_ref().is_empty() {
        problems.at(
            listed.span(),
            format!("{context}levels should list at least one of low, medium, high"),
        );
        return None;
    }
    let before = problems.count();
    let mut levels = BTreeSet::new();
    for code in listed.get_ref() {
        match RiskLevel::parse(code.get_ref()) {
            Ok(level) => {
                if !levels.insert(level) {
                    problems.at(
                        code.span(),
                        format!("{context}levels lists {:?} twice", code.get_ref()),
                    );
                }
            }
            Err(error) => problems.at(
                code.span(),
                format!(
                    "{context}levels: unknown level {:?}, {error}",
                    code.get_ref()
                ),
            ),
        }
    }
    (problems.count() == before).then_some(levels)
}

fn fever_threshold(context: &str, celsius: &Spanned<f64>, problems: &mut Problems) -> Option<i16> {
    let written = *celsius.get_ref();
    let tenths = (written * 10.0).round();
    let problem = if !written.is_finite()
        || tenths < f64::from(LOWEST_FEVER_TENTHS)
        || tenths > f64::from(HIGHEST_FEVER_TENTHS)
    {
        format!("{context}min_temperature should be between 35.0 and 42.0 °C, found {written}")
    } else if (written * 10.0 - tenths).abs() > 1e-6 {
        format!("{context}min_temperature should have one decimal, such as 37.3, found {written}")
    } else {
        // In range, so the conversion is exact.
        return Some(tenths as i16);
    };
    problems.at(celsius.span(), problem);
    None
}

/// `of` and `min_count`, each checked, and against each other if both can be.
fn symptom_condition(
    context: &str,
    raw: &RawRule,
    core: Option<&BTreeSet<Symptom>>,
    problems: &mut Problems,
) -> Option<(SymptomSet, u8)> {
    let set = raw.of.given().and_then(|of| match of.get_ref() {
        RawSymptomSet::Named(name) if name == "core" => Some(SymptomSet::Core),
        RawSymptomSet::Named(name) if name == "any" => Some(SymptomSet::Any),
        RawSymptomSet::Named(name) => {
            problems.at(
                of.span(),
                format!(
                    "{context}of should be \"core\", \"any\" or a list of symptoms, found {name:?}"
                ),
            );
            None
        }
        RawSymptomSet::Listed(listed) if listed.is_empty() => {
            problems.at(
                of.span(),
                format!("{context}of should list at least one symptom"),
            );
            None
        }
        RawSymptomSet::Listed(listed) => {
            symptoms(context, "of", listed, problems).map(SymptomSet::Listed)
        }
    });
    let min_count = raw.min_count.given()?;
    let written = *min_count.get_ref();
    if written < 1 {
        problems.at(
            min_count.span(),
            format!("{context}min_count should be at least 1, found {written}"),
        );
        return None;
    }
    let set = set?;
    // Without a valid core list the number of core symptoms is unknown; its problem is reported.
    let available = resolve(&set, core?).len();
    if written > available as i64 {
        problems.at(
            min_count.span(),
            format!(
                "{context}min_count should be at most {available}, the number of symptoms in \
                 of, found {written}"
            ),
        );
        return None;
    }
    Some((set, u8::try_from(written).ok()?))
}

fn resolve(set: &SymptomSet, core: &BTreeSet<Symptom>) -> BTreeSet<Symptom> {
    match set {
        SymptomSet::Core => core.clone(),
        SymptomSet::Any => Symptom::ALL.into_iter().collect(),
        SymptomSet::Listed(listed) => listed.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Rules against each other.

/// Reports rules that contradict or repeat another with the same conditions, and rules that
/// another always covers. Each rule is reported at most once, at its id.
fn compare_rules(rules: &[CheckedRule], core: &BTreeSet<Symptom>, problems: &mut Problems) {
    for (later_index, later) in rules.iter().enumerate() {
        let twin = rules[..later_index]
            .iter()
            .find(|earlier| same_conditions(&earlier.rule.trigger, &later.rule.trigger, core));
        if let Some(earlier) = twin {
            let (a, b) = (&earlier.rule, &later.rule);
            let message = if same_effect(a, b) {
                format!(
                    "rules {:?} and {:?} are duplicates: both apply to {} with the same \
                     conditions and ask for {}; remove one",
                    a.id.as_str(),
                    b.id.as_str(),
                    trigger_code(&a.trigger),
                    effect(a)
                )
            } else {
                format!(
                    "rules {:?} and {:?} both apply to {} with the same conditions but ask for \
                     {} and {} (contradictory); keep one, or make their conditions differ",
                    a.id.as_str(),
                    b.id.as_str(),
                    trigger_code(&a.trigger),
                    effect(a),
                    effect(b)
                )
            };
            problems.at(later.id_span.clone(), message);
            continue;
        }
        // A rule with the same conditions is reported with the later of the two, above.
        let hider = rules.iter().find(|wider| {
            !same_conditions(&wider.rule.trigger, &later.rule.trigger, core)
                && hides(&wider.rule, &later.rule, core)
        });
        if let Some(wider) = hider {
            problems.at(
                later.id_span.clone(),
                format!(
                    "rule {:?} can never change a rating (unreachable): rule {:?} applies \
                     whenever it does and asks for {}, at least as high for at least as long; \
                     remove {:?}, or narrow {:?}",
                    later.rule.id.as_str(),
                    wider.rule.id.as_str(),
                    effect(&wider.rule),
                    later.rule.id.as_str(),
                    wider.rule.id.as_str()
                ),
            );
        }
    }
}

fn trigger_code(trigger: &Trigger) -> &'static str {
    let kind = match trigger {
        Trigger::ConfirmedCase => TriggerKind::ConfirmedCase,
        Trigger::SuspectedCase => TriggerKind::SuspectedCase,
        Trigger::CloseContact => TriggerKind::CloseContact,
        Trigger::SecondaryContact => TriggerKind::SecondaryContact,
        Trigger::PositiveTest => TriggerKind::PositiveTest,
        Trigger::RiskRegion { .. } => TriggerKind::RiskRegion,
        Trigger::Fever { .. } => TriggerKind::Fever,
        Trigger::Symptoms { .. } => TriggerKind::Symptoms,
        Trigger::MedicineWithSymptoms { .. } => TriggerKind::MedicineWithSymptoms,
    };
    kind.code()
}

/// Whether two triggers apply to exactly the same facts; `core` and a list of the same symptoms
/// are the same.
fn same_conditions(a: &Trigger, b: &Trigger, core: &BTreeSet<Symptom>) -> bool {
    narrower_or_same(a, b, core) && narrower_or_same(b, a, core)
}

/// Whether `narrow` applies only where `wide` applies too.
fn narrower_or_same(narrow: &Trigger, wide: &Trigger, core: &BTreeSet<Symptom>) -> bool {
    match (narrow, wide) {
        (Trigger::ConfirmedCase, Trigger::ConfirmedCase)
        | (Trigger::SuspectedCase, Trigger::SuspectedCase)
        | (Trigger::CloseContact, Trigger::CloseContact)
        | (Trigger::SecondaryContact, Trigger::SecondaryContact)
        | (Trigger::PositiveTest, Trigger::PositiveTest) => true,
        (
            Trigger::RiskRegion {
                levels: narrow_levels,
                within: narrow_within,
                scope: narrow_scope,
            },
            Trigger::RiskRegion {
                levels: wide_levels,
                within: wide_within,
                scope: wide_scope,
            },
        ) => {
            narrow_levels.is_subset(wide_levels)
                && narrow_scope == wide_scope
                && narrow_within <= wide_within
        }
        (
            Trigger::Fever {
                min_tenths: narrow_min,
            },
            Trigger::Fever {
                min_tenths: wide_min,
            },
        ) => narrow_min >= wide_min,
        (
            Trigger::Symptoms {
                of: narrow_of,
                min_count: narrow_count,
            },
            Trigger::Symptoms {
                of: wide_of,
                min_count: wide_count,
            },
        ) => {
            // Enough of a subset of the wide rule's symptoms are enough of the wide rule's.
            resolve(narrow_of, core).is_subset(&resolve(wide_of, core))
                && narrow_count >= wide_count
        }
        (
            Trigger::MedicineWithSymptoms {
                of: narrow_of,
                min_count: narrow_count,
                within: narrow_within,
            },
            Trigger::MedicineWithSymptoms {
                of: wide_of,
                min_count: wide_count,
                within: wide_within,
            },
        ) => {
            resolve(narrow_of, core).is_subset(&resolve(wide_of, core))
                && narrow_count >= wide_count
                && narrow_within <= wide_within
        }
        _ => false,
    }
}

fn same_effect(a: &Rule, b: &Rule) -> bool {
    a.colour == b.colour && a.lasts == b.lasts && a.negative_test == b.negative_test
}

/// Whether `wide` makes `narrow` useless: wherever `narrow` applies, `wide` applies too and asks
/// for at least the same colour, at every moment for as long as `narrow` holds — including after
/// any negative test.
fn hides(wide: &Rule, narrow: &Rule, core: &BTreeSet<Symptom>) -> bool {
    narrower_or_same(&narrow.trigger, &wide.trigger, core)
        && wide.colour >= narrow.colour
        && lasts_at_least_as_long(wide.lasts, narrow.lasts)
        && stays_at_least_as_high_after_a_negative_test(wide, narrow)
}

fn lasts_at_least_as_long(wide: Lasting, narrow: Lasting) -> bool {
    match (wide, narrow) {
        (Lasting::For(wide), Lasting::For(narrow)) => wide >= narrow,
        (Lasting::For(_), Lasting::UntilReleased | Lasting::UntilNegativeTest) => false,
        // Open-ended rules are the longest; what a negative test does is compared apart.
        (Lasting::UntilReleased | Lasting::UntilNegativeTest, _) => true,
    }
}

fn stays_at_least_as_high_after_a_negative_test(wide: &Rule, narrow: &Rule) -> bool {
    let Some(wide_effect) = wide.negative_test else {
        return true;
    };
    match narrow.negative_test {
        // A test that lowers the wide rule leaves the narrow one at its colour.
        None => wide_effect.downgrade_to >= narrow.colour,
        Some(narrow_effect) => {
            // Between the two `sampled_after`s only the wide rule is lowered.
            let lowered_first_is_still_enough = wide_effect.sampled_after
                >= narrow_effect.sampled_after
                || wide_effect.downgrade_to >= narrow.colour;
            lowered_first_is_still_enough && wide_effect.downgrade_to >= narrow_effect.downgrade_to
        }
    }
}

/// What a rule asks for, as messages write it: `red for 14d`, `yellow until a negative test`.
fn effect(rule: &Rule) -> String {
    let colour = rule.colour.code();
    let lasting = match rule.lasts {
        Lasting::For(duration) => format!("for {}", written_duration(duration)),
        Lasting::UntilReleased => "until released".to_owned(),
        Lasting::UntilNegativeTest => "until a negative test".to_owned(),
    };
    let sampled_after = |effect: NegativeTestEffect| {
        if effect.sampled_after.is_zero() {
            String::new()
        } else {
            format!(
                " sampled {} after the trigger",
                written_duration(effect.sampled_after)
            )
        }
    };
    match (rule.lasts, rule.negative_test) {
        (_, None) => format!("{colour} {lasting}"),
        (Lasting::UntilNegativeTest, Some(test)) => {
            format!("{colour} {lasting}{}", sampled_after(test))
        }
        (_, Some(test)) => format!(
            "{colour} {lasting} (lowered to {} by a negative test{})",
            test.downgrade_to.code(),
            sampled_after(test)
        ),
    }
}
