//! Policies: versioned rule files that map facts to colours and durations.
//!
//! A policy is TOML. [`Policy::parse`] reads it and checks it whole; a policy that parses is
//! one the engine can run: its durations are positive, its rules neither contradict each other
//! nor hide behind one another, and every rule can end. Errors name the line and column, and
//! all of them are reported at once, in the order of the file: unknown keys, missing keys,
//! values of the wrong type and every check below. Only a TOML syntax error is reported alone,
//! as nothing after it can be read.
//!
//! ```toml
//! [policy]
//! name = "default"            # a–z, 0–9, `-`; with the version it names the policy
//! version = 1                 # a positive integer
//! title = "…"                 # optional, one line
//! utc_offset = "+08:00"       # the offset texts give times in
//! core_symptoms = ["fever", "dry_cough", …]   # what `of = "core"` means
//! pharmacy_prompt = "3d"      # how long a medicine purchase prompts to declare or test
//!
//! [[rule]]
//! id = "close_contact"        # unique in the file, a–z, 0–9, `_`
//! when = "close_contact"      # the trigger, see below
//! colour = "red"              # yellow or red
//! for = "14d"                 # how long it holds, from the trigger's time (d, h or m)
//! until = "released"          # instead of `for`, for cases: until an official releases
//! negative_test = { downgrade_to = "yellow", sampled_after = "7d" }
//! ```
//!
//! Triggers (`when`) and the keys they take:
//! - `confirmed_case`, `suspected_case` — from the case's registration;
//! - `close_contact`, `secondary_contact` — from the last exposure;
//! - `positive_test` — from the sample;
//! - `risk_region` — `levels` (list of `low`, `medium`, `high`), `within` (how far back a stay
//!   counts), `scope` (`region`, the default, or `province`: any listed region in the
//!   province); from the end of the stay;
//! - `fever` — `min_temperature` (°C, one decimal); from the declaration or report;
//! - `symptoms` — `of` (`core`, `any`, or a list of symptoms) and `min_count`; from the
//!   declaration or report;
//! - `medicine_with_symptoms` — `of`, `min_count` and `within`: a medicine purchase within
//!   `within` of a declaration or report with that many symptoms; from the later of the two.
//!
//! A rule without `for` or `until` holds until a negative test clears it, and must then have
//! `negative_test = { downgrade_to = "green" }`. `sampled_after` (default `0m`) is how long after
//! the trigger's time the sample must be taken; `downgrade_to` must be below the rule's colour.
//!
//! Durations are a whole number and a unit, `d`, `h` or `m` (`14d`, `36h`, `90m`), more than
//! zero (`sampled_after` may be `0m`) and at most `365d`. `pharmacy_prompt` defaults to `3d`.
//! `min_temperature` is between 35.0 and 42.0; `min_count` is at least 1 and at most the number
//! of symptoms in `of`. A policy has at least one rule; a key a rule's trigger does not take is
//! an error, like any unknown key.
//!
//! Rules are compared with each other. Two rules with the same trigger and the same conditions
//! (`of = "core"` and a list of the core symptoms are the same) are duplicates, or contradictory
//! if they ask for different colours, durations or negative-test effects. A rule is unreachable,
//! and refused, when another rule applies whenever it does (the same trigger with a lower or
//! equal `min_temperature`; a superset of its symptoms with a lower or equal `min_count` and, for
//! medicine, a `within` at least as long; a superset of its `levels` with the same `scope` and a
//! `within` at least as long) and asks for a colour at least as high, for at least as long
//! (`until` and a rule that a negative test ends count as longest), and a negative test never
//! lowers it below the first: such a rule could never change a rating.
//!
//! An optional `[tracing]` table says how cases are traced (see [`crate::trace`]). Every key is
//! optional and keeps its default when left out; without the table every default holds. The
//! values shown are the defaults:
//!
//! ```toml
//! [tracing]
//! infectious_before = "2d"     # the window opens this long before onset (or the first
//!                              # positive sample) and closes at isolation
//! min_overlap = "15m"          # how long visits to one venue must overlap inside the window
//! longest_stay = "1d"          # no visit or ride counts for longer: a later check-out is
//!                              # taken as forgotten
//! flight_seat_rows = 2         # on a flight where both seats are known, only this many rows
//!                              # either side of the case (0 to 100: 0 is the same row), or
//!                              # "all" for the whole flight
//! contact_check_within = "14d" # how far back an employer's close-contact check looks
//!
//! [tracing.default_stays]      # how long a check-in without a check-out lasts, by venue kind
//! shop = "20m"                 # any kind of `VenueKind`: shop, supermarket, market, mall,
//! office = "8h"                # restaurant, office, …; a kind not listed keeps its default
//!
//! [tracing.default_rides]      # how long a boarding without an alighting lasts, by mode
//! bus = "30m"                  # flight, train, bus or taxi; a mode not listed keeps its default
//! ```
//!
//! The built-in default stays and rides are `crate::trace::DEFAULT_STAYS` and `DEFAULT_RIDES`;
//! `policies/default.toml` writes every one of them out. Each duration is written as above,
//! more than zero and at most `365d`. `min_overlap` and every default stay and ride, listed or
//! kept, must be at most `longest_stay`: nothing counts for longer, so a longer one could never
//! be reached. A venue kind or transit mode that does not exist is refused, naming those that
//! do; so is any other unknown key.

mod parse;

use std::collections::BTreeSet;
use std::fmt;

use jiff::SignedDuration;
use jiff::tz::Offset;

use crate::declaration::Symptom;
use crate::trace::TracingPolicy;

use super::Colour;
use super::facts::RiskLevel;

/// A checked policy, ready to run.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub version: PolicyVersion,
    pub title: Option<String>,
    pub utc_offset: Offset,
    pub core_symptoms: BTreeSet<Symptom>,
    pub pharmacy_prompt: SignedDuration,
    pub rules: Vec<Rule>,
    /// How cases are traced (the `[tracing]` table).
    pub tracing: TracingPolicy,
}

impl Policy {
    /// Reads and checks a policy file. Every error found is reported, each with its line and
    /// column in `source`.
    pub fn parse(source: &str) -> Result<Policy, PolicyErrors> {
        parse::parse(source)
    }
}

/// One rule: when its trigger holds, the resident's colour is at least `colour` for as long as
/// `lasts` says, unless a negative test lowers it.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub id: RuleId,
    pub trigger: Trigger,
    pub colour: Colour,
    pub lasts: Lasting,
    pub negative_test: Option<NegativeTestEffect>,
}

/// The facts a rule applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    ConfirmedCase,
    SuspectedCase,
    CloseContact,
    SecondaryContact,
    PositiveTest,
    RiskRegion {
        levels: BTreeSet<RiskLevel>,
        within: SignedDuration,
        scope: RegionScope,
    },
    Fever {
        min_tenths: i16,
    },
    Symptoms {
        of: SymptomSet,
        min_count: u8,
    },
    MedicineWithSymptoms {
        of: SymptomSet,
        min_count: u8,
        within: SignedDuration,
    },
}

/// How a region-risk rule matches a stay against the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionScope {
    /// The stay's region, or a listed region above it.
    Region,
    /// Any listed region in the stay's province.
    Province,
}

/// Which symptoms a rule counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SymptomSet {
    /// The policy's `core_symptoms`.
    Core,
    /// Every symptom.
    Any,
    Listed(BTreeSet<Symptom>),
}

/// How long a rule holds once triggered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lasting {
    For(SignedDuration),
    /// Until an official releases the case (case triggers only).
    UntilReleased,
    /// Until a negative test clears it.
    UntilNegativeTest,
}

/// What a negative test does to a rule: a test sampled at least `sampled_after` after the
/// trigger's time, once reported, lowers the rule's colour to `downgrade_to` (green clears it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NegativeTestEffect {
    pub downgrade_to: Colour,
    pub sampled_after: SignedDuration,
}

/// Every `PolicyName` is 1 to 40 characters from a–z, 0–9 and `-`, starting with a letter.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyName(String);

impl PolicyName {
    pub fn parse(text: &str) -> Result<PolicyName, PolicyNameError> {
        let mut chars = text.chars();
        let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_lowercase());
        let valid = starts_with_letter
            && text.len() <= 40
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if valid {
            Ok(PolicyName(text.to_owned()))
        } else {
            Err(PolicyNameError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("should be 1 to 40 characters from a–z, 0–9 and -, starting with a letter")]
pub struct PolicyNameError;

/// A policy's name and version, written `default@3`: what every reason and stored rating names.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyVersion {
    pub name: PolicyName,
    pub version: u32,
}

impl PolicyVersion {
    /// Reads `name@version`.
    pub fn parse(text: &str) -> Result<PolicyVersion, PolicyVersionError> {
        let (name, version) = text.split_once('@').ok_or(PolicyVersionError)?;
        let name = PolicyName::parse(name).map_err(|_| PolicyVersionError)?;
        let version: u32 = version.parse().map_err(|_| PolicyVersionError)?;
        if version == 0 || version.to_string() != text.split_once('@').unwrap_or_default().1 {
            return Err(PolicyVersionError);
        }
        Ok(PolicyVersion { name, version })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("should be a policy name and a positive version, such as default@3")]
pub struct PolicyVersionError;

impl fmt::Display for PolicyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name.0, self.version)
    }
}

/// Every `RuleId` is 1 to 60 characters from a–z, 0–9 and `_`, starting with a letter.
/// `override` is reserved for officials' overrides.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleId(String);

impl RuleId {
    /// The id every override's reason carries.
    pub fn override_id() -> RuleId {
        RuleId("override".to_owned())
    }

    pub fn parse(text: &str) -> Result<RuleId, RuleIdError> {
        let starts_with_letter = text.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        let valid = starts_with_letter
            && text.len() <= 60
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(RuleIdError::Malformed);
        }
        if text == "override" {
            return Err(RuleIdError::Reserved);
        }
        Ok(RuleId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleIdError {
    #[error("should be 1 to 60 characters from a–z, 0–9 and _, starting with a letter")]
    Malformed,
    #[error("override is reserved for officials' overrides")]
    Reserved,
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One problem in a policy file, where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

/// Every problem found in a policy file, in the order of the file; never empty.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct PolicyErrors(pub Vec<PolicyError>);

impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}
