//! The first step of checking a policy: the parsed TOML document, walked table by table into raw
//! structs that mirror the file and keep the span of every value.
//!
//! Here each key is checked for its type, and unknown keys and missing keys are reported; reading
//! goes on after every problem, so that one run names them all. Values are not judged here — a
//! duration is any string — that is the work of the checks in [`super`]. A value of the wrong
//! type is read as [`Field::Broken`] and the checks leave it alone, so that no problem is
//! reported twice and none is reported about a value that could not be read.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{Problems, Required, TriggerKind};

/// A key's value as read.
pub(super) enum Field<T> {
    Absent,
    /// Given, with a value of the wrong type at this span; the problem is reported.
    Broken(Range<usize>),
    Given(T),
}

impl<T> Field<T> {
    pub(super) fn given(&self) -> Option<&T> {
        match self {
            Field::Given(value) => Some(value),
            Field::Absent | Field::Broken(_) => None,
        }
    }

    pub(super) fn is_absent(&self) -> bool {
        matches!(self, Field::Absent)
    }

    fn map<U>(self, read: impl FnOnce(T) -> U) -> Field<U> {
        match self {
            Field::Absent => Field::Absent,
            Field::Broken(span) => Field::Broken(span),
            Field::Given(value) => Field::Given(read(value)),
        }
    }
}

impl<T> Field<Spanned<T>> {
    /// Where the key's value is written, whether or not it could be read.
    pub(super) fn span(&self) -> Option<Range<usize>> {
        match self {
            Field::Absent => None,
            Field::Broken(span) => Some(span.clone()),
            Field::Given(value) => Some(value.span()),
        }
    }
}

/// The whole file.
pub(super) struct RawFile {
    pub(super) header: Field<RawHeader>,
    /// Where `[policy]` is written, or the file's start if it is not.
    pub(super) header_at: Range<usize>,
    /// The `[[rule]]` tables that could be read as tables.
    pub(super) rules: Vec<RawRule>,
    /// Whether the file gives no rule at all: no `rule` key, or an empty list.
    pub(super) without_rules: bool,
    pub(super) tracing: Field<RawTracing>,
}

/// `[policy]`.
pub(super) struct RawHeader {
    pub(super) name: Field<Spanned<String>>,
    pub(super) version: Field<Spanned<i64>>,
    pub(super) title: Field<Spanned<String>>,
    pub(super) utc_offset: Field<Spanned<String>>,
    pub(super) core_symptoms: Field<Spanned<Vec<Spanned<String>>>>,
    pub(super) pharmacy_prompt: Field<Spanned<String>>,
}

/// `[tracing]`.
pub(super) struct RawTracing {
    pub(super) infectious_before: Field<Spanned<String>>,
    pub(super) min_overlap: Field<Spanned<String>>,
    pub(super) longest_stay: Field<Spanned<String>>,
    pub(super) contact_check_within: Field<Spanned<String>>,
    pub(super) flight_seat_rows: Field<Spanned<RawSeatRows>>,
    /// `[tracing.default_stays]`, one entry per line.
    pub(super) default_stays: Field<Vec<RawDefault>>,
    /// `[tracing.default_rides]`, one entry per line.
    pub(super) default_rides: Field<Vec<RawDefault>>,
}

/// `flight_seat_rows`: a number of rows, or a word (`"all"`).
pub(super) enum RawSeatRows {
    Rows(i64),
    Named(String),
}

/// One line of `[tracing.default_stays]` or `[tracing.default_rides]`: a code (venue kind or
/// transit mode, not yet judged) and how long it lasts.
pub(super) struct RawDefault {
    pub(super) code: Spanned<String>,
    pub(super) lasts: Field<Spanned<String>>,
}

/// One `[[rule]]`.
pub(super) struct RawRule {
    /// What messages about the rule start with: `rule "close_contact": `.
    pub(super) context: String,
    /// The rule's id, or its header if the id could not be read: where problems of the whole
    /// rule are reported.
    pub(super) at: Range<usize>,
    pub(super) id: Field<Spanned<String>>,
    pub(super) when: Field<Spanned<String>>,
    pub(super) colour: Field<Spanned<String>>,
    pub(super) lasts_for: Field<Spanned<String>>,
    pub(super) until: Field<Spanned<String>>,
    pub(super) negative_test: Field<RawNegativeTest>,
    pub(super) levels: Field<Spanned<Vec<Spanned<String>>>>,
    pub(super) within: Field<Spanned<String>>,
    pub(super) scope: Field<Spanned<String>>,
    pub(super) min_temperature: Field<Spanned<f64>>,
    pub(super) of: Field<Spanned<RawSymptomSet>>,
    pub(super) min_count: Field<Spanned<i64>>,
    /// Keys of other triggers that the rule gives, with the span of each value; their values are
    /// not read, as the key itself is the problem.
    pub(super) not_taken: Vec<(&'static str, Range<usize>)>,
    /// Whether reading found no problem in the rule: no unknown key, none missing, no value of
    /// the wrong type.
    pub(super) read_cleanly: bool,
}

/// `negative_test = { … }`.
pub(super) struct RawNegativeTest {
    pub(super) downgrade_to: Field<Spanned<String>>,
    pub(super) sampled_after: Field<Spanned<String>>,
}

/// `of`: a name (`core`, `any`) or a list of symptoms.
pub(super) enum RawSymptomSet {
    Named(String),
    Listed(Vec<Spanned<String>>),
}

// ---------------------------------------------------------------------------------------------
// The keys of each table, with what their values should be.

/// A key of a table, and what its value should be, as messages say it after "should be".
#[derive(Clone, Copy)]
struct Key {
    name: &'static str,
    expected: &'static str,
    required: Required,
}

const fn key(name: &'static str, required: Required, expected: &'static str) -> Key {
    Key {
        name,
        expected,
        required,
    }
}

const DURATION: &str = r#"a duration in quotes, such as "14d", "36h" or "90m""#;
const SYMPTOM: &str = r#"symptoms in quotes, such as "fever""#;

const POLICY: Key = key(
    "policy",
    Required::Yes,
    "a [policy] table with name, version, utc_offset and core_symptoms",
);
const RULE: Key = key("rule", Required::Optional, "a list of [[rule]] tables");
const TRACING: Key = key(
    "tracing",
    Required::Optional,
    r#"a [tracing] table, such as min_overlap = "15m""#,
);
const FILE_KEYS: [Key; 3] = [POLICY, RULE, TRACING];

const NAME: Key = key(
    "name",
    Required::Yes,
    r#"a policy name in quotes, such as "default""#,
);
const VERSION: Key = key(
    "version",
    Required::Yes,
    "a positive whole number, such as 1",
);
const TITLE: Key = key("title", Required::Optional, "one line of text in quotes");
const UTC_OFFSET: Key = key(
    "utc_offset",
    Required::Yes,
    r#"an offset from UTC in quotes, such as "+08:00""#,
);
const CORE_SYMPTOMS: Key = key(
    "core_symptoms",
    Required::Yes,
    r#"a list of symptoms, such as ["fever", "dry_cough"]"#,
);
const PHARMACY_PROMPT: Key = key("pharmacy_prompt", Required::Optional, DURATION);
const POLICY_KEYS: [Key; 6] = [
    NAME,
    VERSION,
    TITLE,
    UTC_OFFSET,
    CORE_SYMPTOMS,
    PHARMACY_PROMPT,
];

const ID: Key = key(
    "id",
    Required::Yes,
    r#"a rule id in quotes, such as "close_contact""#,
);
const WHEN: Key = key(
    "when",
    Required::Yes,
    r#"a trigger in quotes, such as "close_contact""#,
);
const COLOUR: Key = key("colour", Required::Yes, r#""yellow" or "red""#);
const FOR: Key = key("for", Required::Optional, DURATION);
const UNTIL: Key = key("until", Required::Optional, r#""released""#);
const NEGATIVE_TEST: Key = key(
    "negative_test",
    Required::Optional,
    r#"a table such as { downgrade_to = "green" }"#,
);
const RULE_KEYS: [Key; 6] = [ID, WHEN, COLOUR, FOR, UNTIL, NEGATIVE_TEST];

// Whether a trigger's key is required depends on the trigger; the checks say when one is missing.
const LEVELS: Key = key(
    "levels",
    Required::Optional,
    r#"a list of levels, such as ["medium", "high"]"#,
);
const WITHIN: Key = key("within", Required::Optional, DURATION);
const SCOPE: Key = key("scope", Required::Optional, r#""region" or "province""#);
const MIN_TEMPERATURE: Key = key(
    "min_temperature",
    Required::Optional,
    "a temperature in °C, such as 37.3",
);
const OF: Key = key(
    "of",
    Required::Optional,
    r#""core", "any" or a list of symptoms"#,
);
const MIN_COUNT: Key = key("min_count", Required::Optional, "a whole number, such as 2");
const TRIGGER_KEYS: [Key; 6] = [LEVELS, WITHIN, SCOPE, MIN_TEMPERATURE, OF, MIN_COUNT];

const INFECTIOUS_BEFORE: Key = key("infectious_before", Required::Optional, DURATION);
const MIN_OVERLAP: Key = key("min_overlap", Required::Optional, DURATION);
const LONGEST_STAY: Key = key("longest_stay", Required::Optional, DURATION);
const CONTACT_CHECK_WITHIN: Key = key("contact_check_within", Required::Optional, DURATION);
const FLIGHT_SEAT_ROWS: Key = key(
    "flight_seat_rows",
    Required::Optional,
    r#"a whole number of rows, such as 2, or "all""#,
);
const DEFAULT_STAYS: Key = key(
    "default_stays",
    Required::Optional,
    r#"a [tracing.default_stays] table of venue kinds, such as shop = "20m""#,
);
const DEFAULT_RIDES: Key = key(
    "default_rides",
    Required::Optional,
    r#"a [tracing.default_rides] table of transit modes, such as bus = "30m""#,
);
const TRACING_KEYS: [Key; 7] = [
    INFECTIOUS_BEFORE,
    MIN_OVERLAP,
    LONGEST_STAY,
    CONTACT_CHECK_WITHIN,
    FLIGHT_SEAT_ROWS,
    DEFAULT_STAYS,
    DEFAULT_RIDES,
];

const DOWNGRADE_TO: Key = key("downgrade_to", Required::Yes, r#""green" or "yellow""#);
const SAMPLED_AFTER: Key = key("sampled_after", Required::Optional, DURATION);
const NEGATIVE_TEST_KEYS: [Key; 2] = [DOWNGRADE_TO, SAMPLED_AFTER];

// ---------------------------------------------------------------------------------------------
// Reading.

type Value<'i> = Spanned<DeValue<'i>>;

pub(super) fn read_file(document: &Spanned<DeTable<'_>>, problems: &mut Problems) -> RawFile {
    let file = Table {
        entries: document.get_ref(),
        at: 0..0,
        context: String::new(),
        path: "",
        label: "",
    };
    file.refuse_unknown_keys(&FILE_KEYS, problems);

    let header_at = file
        .entries
        .get(POLICY.name)
        .map_or(0..0, |policy| policy.span());
    let header = file
        .read(POLICY, problems, |value, _| table(value))
        .map(|(at, entries)| {
            let table = Table {
                entries,
                at,
                context: String::new(),
                path: "",
                label: " in [policy]",
            };
            read_header(&table, problems)
        });

    let mut rules = Vec::new();
    let listed = file.read(RULE, problems, |value, _| match value.get_ref() {
        DeValue::Array(listed) => Ok(listed.as_ref()),
        _ => Err(Unread::WrongType),
    });
    let without_rules = match &listed {
        Field::Absent => true,
        Field::Broken(_) => false,
        Field::Given(listed) => listed.is_empty(),
    };
    let listed: &[Value<'_>] = listed.given().copied().unwrap_or_default();
    for (index, value) in listed.iter().enumerate() {
        match table(value) {
            Ok((at, entries)) => rules.push(read_rule(index + 1, at, entries, problems)),
            Err(_) => problems.at(
                value.span(),
                format!(
                    "rule should list tables, each written [[rule]], found {}",
                    found(value.get_ref())
                ),
            ),
        }
    }

    let tracing = file
        .read(TRACING, problems, |value, _| table(value))
        .map(|(at, entries)| {
            let table = Table {
                entries,
                at,
                context: String::new(),
                path: "tracing.",
                label: " in [tracing]",
            };
            read_tracing(&table, problems)
        });

    RawFile {
        header,
        header_at,
        rules,
        without_rules,
        tracing,
    }
}

fn read_header(table: &Table<'_, '_>, problems: &mut Problems) -> RawHeader {
    table.refuse_unknown_keys(&POLICY_KEYS, problems);
    RawHeader {
        name: table.text(NAME, problems),
        version: table.whole_number(VERSION, problems),
        title: table.text(TITLE, problems),
        utc_offset: table.text(UTC_OFFSET, problems),
        core_symptoms: table.texts(CORE_SYMPTOMS, SYMPTOM, problems),
        pharmacy_prompt: table.text(PHARMACY_PROMPT, problems),
    }
}

fn read_tracing(table: &Table<'_, '_>, problems: &mut Problems) -> RawTracing {
    table.refuse_unknown_keys(&TRACING_KEYS, problems);
    RawTracing {
        infectious_before: table.text(INFECTIOUS_BEFORE, problems),
        min_overlap: table.text(MIN_OVERLAP, problems),
        longest_stay: table.text(LONGEST_STAY, problems),
        contact_check_within: table.text(CONTACT_CHECK_WITHIN, problems),
        flight_seat_rows: table.seat_rows(FLIGHT_SEAT_ROWS, problems),
        default_stays: table.defaults(DEFAULT_STAYS, problems),
        default_rides: table.defaults(DEFAULT_RIDES, problems),
    }
}

/// Reads the `number`th rule (from 1).
fn read_rule(
    number: usize,
    header: Range<usize>,
    entries: &DeTable<'_>,
    problems: &mut Problems,
) -> RawRule {
    let before = problems.count();
    let id = entries.get(ID.name);
    let (context, at) = match id.map(|id| (id, id.get_ref())) {
        Some((id, DeValue::String(text))) => (format!("rule {text:?}: "), id.span()),
        _ => (format!("rule number {number}: "), header.clone()),
    };
    let table = Table {
        entries,
        at: header,
        context,
        path: "",
        label: "",
    };

    // The keys a rule takes depend on its trigger; one that is not known yet takes any of them.
    let kind = entries
        .get(WHEN.name)
        .and_then(|when| when.get_ref().as_str())
        .and_then(|when| TriggerKind::parse(when).ok());
    let takes = |trigger_key: &Key| {
        kind.is_none_or(|kind| kind.keys().iter().any(|(key, _)| *key == trigger_key.name))
    };
    let allowed: Vec<Key> = RULE_KEYS
        .into_iter()
        .chain(TRIGGER_KEYS.into_iter().filter(takes))
        .collect();
    let known_keys: Vec<Key> = RULE_KEYS.into_iter().chain(TRIGGER_KEYS).collect();
    // A key of another trigger is reported by the checks, which say which keys the trigger takes.
    table.refuse_unknown_keys_among(&allowed, &known_keys, problems);
    let not_taken = TRIGGER_KEYS
        .iter()
        .filter(|trigger_key| !takes(trigger_key))
        .filter_map(|trigger_key| Some((trigger_key.name, entries.get(trigger_key.name)?.span())))
        .collect();
    let taken = |trigger_key: Key| takes(&trigger_key).then_some(trigger_key);

    RawRule {
        id: table.text(ID, problems),
        when: table.text(WHEN, problems),
        colour: table.text(COLOUR, problems),
        lasts_for: table.text(FOR, problems),
        until: table.text(UNTIL, problems),
        negative_test: read_negative_test(&table, problems),
        levels: taken(LEVELS).map_or(Field::Absent, |key| {
            table.texts(key, "levels in quotes, such as \"high\"", problems)
        }),
        within: taken(WITHIN).map_or(Field::Absent, |key| table.text(key, problems)),
        scope: taken(SCOPE).map_or(Field::Absent, |key| table.text(key, problems)),
        min_temperature: taken(MIN_TEMPERATURE)
            .map_or(Field::Absent, |key| table.number(key, problems)),
        of: taken(OF).map_or(Field::Absent, |key| table.symptom_set(key, problems)),
        min_count: taken(MIN_COUNT).map_or(Field::Absent, |key| table.whole_number(key, problems)),
        not_taken,
        read_cleanly: problems.count() == before,
        context: table.context,
        at,
    }
}

fn read_negative_test(rule: &Table<'_, '_>, problems: &mut Problems) -> Field<RawNegativeTest> {
    rule.read(NEGATIVE_TEST, problems, |value, _| table(value))
        .map(|(at, entries)| {
            let table = Table {
                entries,
                at,
                context: rule.context.clone(),
                path: "negative_test.",
                label: " in negative_test",
            };
            table.refuse_unknown_keys(&NEGATIVE_TEST_KEYS, problems);
            RawNegativeTest {
                downgrade_to: table.text(DOWNGRADE_TO, problems),
                sampled_after: table.text(SAMPLED_AFTER, problems),
            }
        })
}

/// Why a value was not read.
enum Unread {
    /// Its type is wrong; the caller reports what it should be.
    WrongType,
    /// A part of it is wrong, and that is reported.
    Reported,
}

/// One table of the file, read key by key.
struct Table<'t, 'i> {
    entries: &'t DeTable<'i>,
    /// The table's header or opening brace: where a missing key is reported.
    at: Range<usize>,
    /// What messages about the table start with: `rule "close_contact": `, or nothing.
    context: String,
    /// What comes before a key's name in messages: `negative_test.`.
    path: &'static str,
    /// Which table an unknown key is in, if the context does not say: ` in [policy]`.
    label: &'static str,
}

impl<'t, 'i> Table<'t, 'i> {
    fn refuse_unknown_keys(&self, allowed: &[Key], problems: &mut Problems) {
        self.refuse_unknown_keys_among(allowed, allowed, problems);
    }

    /// Reports each key that is not among `known`, naming those `allowed` here.
    fn refuse_unknown_keys_among(&self, allowed: &[Key], known: &[Key], problems: &mut Problems) {
        let allowed_names: Vec<&str> = allowed.iter().map(|key| key.name).collect();
        for (name, _) in self.entries.iter() {
            let (span, name): (_, &str) = (name.span(), name.get_ref());
            if !known.iter().any(|key| key.name == name) {
                problems.at(
                    span,
                    format!(
                        "{}unknown key {name:?}{}, should be one of: {}",
                        self.context,
                        self.label,
                        allowed_names.join(", ")
                    ),
                );
            }
        }
    }

    /// Reads a key's value with `convert`, reporting a missing required key and a value of the
    /// wrong type.
    fn read<T>(
        &self,
        key: Key,
        problems: &mut Problems,
        convert: impl FnOnce(&'t Value<'i>, &mut Problems) -> Result<T, Unread>,
    ) -> Field<T> {
        let Some(value) = self.entries.get(key.name) else {
            if key.required == Required::Yes {
                problems.at(
                    self.at.clone(),
                    format!(
                        "{}{}{} is missing; give {}",
                        self.context, self.path, key.name, key.expected
                    ),
                );
            }
            return Field::Absent;
        };
        match convert(value, problems) {
            Ok(read) => Field::Given(read),
            Err(unread) => {
                if let Unread::WrongType = unread {
                    problems.at(
                        value.span(),
                        format!(
                            "{}{}{} should be {}, found {}",
                            self.context,
                            self.path,
                            key.name,
                            key.expected,
                            found(value.get_ref())
                        ),
                    );
                }
                Field::Broken(value.span())
            }
        }
    }

    fn text(&self, key: Key, problems: &mut Problems) -> Field<Spanned<String>> {
        self.read(key, problems, |value, _| text(value))
    }

    fn whole_number(&self, key: Key, problems: &mut Problems) -> Field<Spanned<i64>> {
        self.read(key, problems, |value, problems| {
            let DeValue::Integer(integer) = value.get_ref() else {
                return Err(Unread::WrongType);
            };
            match i64::from_str_radix(integer.as_str(), integer.radix()) {
                Ok(number) => Ok(Spanned::new(value.span(), number)),
                Err(_) => {
                    problems.at(
                        value.span(),
                        format!(
                            "{}{}{} should be {}, found {integer}, which is too large",
                            self.context, self.path, key.name, key.expected
                        ),
                    );
                    Err(Unread::Reported)
                }
            }
        })
    }

    /// A number, with or without a decimal point.
    fn number(&self, key: Key, problems: &mut Problems) -> Field<Spanned<f64>> {
        self.read(key, problems, |value, _| {
            let number = match value.get_ref() {
                DeValue::Float(float) => float.as_str().parse().ok(),
                DeValue::Integer(integer) => i64::from_str_radix(integer.as_str(), integer.radix())
                    .ok()
                    // Only the range of temperatures matters, and it is far below 2^53.
                    .map(|whole| whole as f64),
                _ => None,
            };
            number
                .map(|number| Spanned::new(value.span(), number))
                .ok_or(Unread::WrongType)
        })
    }

    /// A list of strings; `items` says what they should be.
    fn texts(
        &self,
        key: Key,
        items: &str,
        problems: &mut Problems,
    ) -> Field<Spanned<Vec<Spanned<String>>>> {
        self.read(key, problems, |value, problems| {
            let DeValue::Array(listed) = value.get_ref() else {
                return Err(Unread::WrongType);
            };
            let texts = self.list_items(key, listed.as_ref(), items, problems)?;
            Ok(Spanned::new(value.span(), texts))
        })
    }

    /// A whole number or a word, as `flight_seat_rows` is written.
    fn seat_rows(&self, key: Key, problems: &mut Problems) -> Field<Spanned<RawSeatRows>> {
        self.read(key, problems, |value, problems| {
            let rows = match value.get_ref() {
                DeValue::String(word) => RawSeatRows::Named(word.to_string()),
                DeValue::Integer(integer) => {
                    match i64::from_str_radix(integer.as_str(), integer.radix()) {
                        Ok(number) => RawSeatRows::Rows(number),
                        Err(_) => {
                            problems.at(
                                value.span(),
                                format!(
                                    "{}{}{} should be {}, found {integer}, which is too large",
                                    self.context, self.path, key.name, key.expected
                                ),
                            );
                            return Err(Unread::Reported);
                        }
                    }
                }
                _ => return Err(Unread::WrongType),
            };
            Ok(Spanned::new(value.span(), rows))
        })
    }

    /// A table of codes and durations: `[tracing.default_stays]`. Each value of the wrong type
    /// is reported; the codes are judged by the checks, which know the vocabulary.
    fn defaults(&self, key: Key, problems: &mut Problems) -> Field<Vec<RawDefault>> {
        self.read(key, problems, |value, problems| {
            let (_, entries) = table(value)?;
            let mut defaults = Vec::new();
            for (code, lasts) in entries.iter() {
                let lasts = match text(lasts) {
                    Ok(lasts) => Field::Given(lasts),
                    Err(_) => {
                        problems.at(
                            lasts.span(),
                            format!(
                                "{}{}{}.{} should be {DURATION}, found {}",
                                self.context,
                                self.path,
                                key.name,
                                code.get_ref(),
                                found(lasts.get_ref())
                            ),
                        );
                        Field::Broken(lasts.span())
                    }
                };
                defaults.push(RawDefault {
                    code: Spanned::new(code.span(), code.get_ref().to_string()),
                    lasts,
                });
            }
            Ok(defaults)
        })
    }

    fn symptom_set(&self, key: Key, problems: &mut Problems) -> Field<Spanned<RawSymptomSet>> {
        self.read(key, problems, |value, problems| {
            let set = match value.get_ref() {
                DeValue::String(name) => RawSymptomSet::Named(name.to_string()),
                DeValue::Array(listed) => RawSymptomSet::Listed(self.list_items(
                    key,
                    listed.as_ref(),
                    SYMPTOM,
                    problems,
                )?),
                _ => return Err(Unread::WrongType),
            };
            Ok(Spanned::new(value.span(), set))
        })
    }

    /// The strings of a list, each reported if it is not one.
    fn list_items(
        &self,
        key: Key,
        listed: &[Value<'_>],
        items: &str,
        problems: &mut Problems,
    ) -> Result<Vec<Spanned<String>>, Unread> {
        let mut texts = Vec::new();
        let mut all_read = true;
        for item in listed {
            match text(item) {
                Ok(text) => texts.push(text),
                Err(_) => {
                    all_read = false;
                    problems.at(
                        item.span(),
                        format!(
                            "{}{}{} should list {items}, found {}",
                            self.context,
                            self.path,
                            key.name,
                            found(item.get_ref())
                        ),
                    );
                }
            }
        }
        if all_read {
            Ok(texts)
        } else {
            Err(Unread::Reported)
        }
    }
}

fn text(value: &Value<'_>) -> Result<Spanned<String>, Unread> {
    match value.get_ref() {
        DeValue::String(text) => Ok(Spanned::new(value.span(), text.to_string())),
        _ => Err(Unread::WrongType),
    }
}

/// A table, and where it starts.
fn table<'t, 'i>(value: &'t Value<'i>) -> Result<(Range<usize>, &'t DeTable<'i>), Unread> {
    match value.get_ref() {
        DeValue::Table(entries) => Ok((value.span(), entries)),
        _ => Err(Unread::WrongType),
    }
}

/// A value of the wrong type, as messages describe it after "found".
fn found(value: &DeValue<'_>) -> String {
    /// Long enough for any value a policy means to give; a longer one is cut.
    const LONGEST_QUOTED: usize = 40;
    match value {
        DeValue::String(text) if text.chars().count() > LONGEST_QUOTED => {
            let start: String = text.chars().take(LONGEST_QUOTED).collect();
            format!("the text {start:?}…")
        }
        DeValue::String(text) => format!("the text {text:?}"),
        DeValue::Integer(integer) => format!("the whole number {integer}"),
        DeValue::Float(float) => format!("the number {float}"),
        DeValue::Boolean(boolean) => format!("{boolean}"),
        DeValue::Datetime(datetime) => format!("the date {datetime}"),
        DeValue::Array(_) => "a list".to_owned(),
        DeValue::Table(_) => "a table".to_owned(),
    }
}
