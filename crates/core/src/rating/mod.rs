//! The rating engine: from a resident's facts and a policy to a colour that explains itself.
//!
//! [`rate`] is a pure, total function: any facts, any valid policy and any moment give a
//! [`Rating`] — its colour, until when it holds, the reasons (each naming its rule, the policy
//! version and the evidence) and concrete next steps. It never panics and never looks anything
//! up; the facts come in whole.
//!
//! Policies are data ([`Policy::parse`] reads and checks a TOML rule file); texts for people are
//! rendered from the structured reasons in English or Simplified Chinese ([`Language`]).

mod engine;
pub mod facts;
pub mod history;
pub mod policy;
mod text;

use jiff::Timestamp;
use jiff::tz::Offset;

use crate::event::EventId;
use crate::region::RegionCode;
use crate::vocabulary::vocabulary;

pub use engine::rate;
pub use facts::{
    AppealId, CaseId, CaseRecord, CaseStatus, Contact, ContactDegree, ContactId, ContactSetting,
    Facts, HealthReport, Medicine, Override, OverrideId, PharmacyPurchase, RegionRiskList,
    RegionStay, Reporter, RiskLevel, StaySource, TestKind, TestOutcome, TestResult,
};
pub use history::{
    Appeal, AppealDecision, AppealOutcome, AppealRecord, LatestRating, MAX_STATEMENT_CHARS,
    RatingCause, RatingRecord,
};
pub use policy::{Policy, PolicyError, PolicyErrors, PolicyName, PolicyVersion, RuleId};

vocabulary! {
    /// The colours of the health code, from least to most restrictive.
    pub enum Colour {
        Green => "green",
        Yellow => "yellow",
        Red => "red",
    }
}

vocabulary! {
    /// The languages texts for people are written in.
    pub enum Language {
        English => "en",
        SimplifiedChinese => "zh-CN",
    }
}

/// A resident's colour at a moment, with everything needed to understand and challenge it.
///
/// Every rating that is not green has at least one reason, and every reason has evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rating {
    pub colour: Colour,
    /// When the colour changes if nothing new happens; `None` when only an event can change it
    /// (a release, a negative test) or when it is green.
    pub valid_until: Option<Timestamp>,
    pub policy_version: PolicyVersion,
    pub rated_at: Timestamp,
    /// Strongest first: the reasons of the colour, then any weaker ones still running.
    pub reasons: Vec<Reason>,
    pub next_steps: Vec<NextStep>,
    /// The policy's offset from UTC, in which texts give dates and times.
    pub offset: Offset,
}

impl Rating {
    /// The rule ids of the reasons, in order: what scenarios and history compare.
    pub fn rule_ids(&self) -> Vec<&str> {
        self.reasons
            .iter()
            .map(|reason| reason.rule_id.as_str())
            .collect()
    }
}

/// Why a rating has a colour: one rule of the policy (or an official's override) that applies,
/// with the facts it applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    /// The rule's id; `override` for an official's override.
    pub rule_id: RuleId,
    pub policy_version: PolicyVersion,
    /// The colour this reason asks for (after any downgrade by a negative test).
    pub colour: Colour,
    pub since: Timestamp,
    pub until: Until,
    /// What the rule is about, for the text.
    pub finding: Finding,
    /// The facts the rule applies to; never empty.
    pub evidence: Vec<Evidence>,
}

/// Until when a reason holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Until {
    /// Until this moment, if nothing new happens.
    At(Timestamp),
    /// Until a health official releases the case.
    Released,
    /// Until a negative test taken after this moment.
    NegativeTestAfter(Timestamp),
}

/// What a reason found, in the terms its text is written from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    ConfirmedCase,
    SuspectedCase,
    CloseContact,
    SecondaryContact,
    PositiveTest,
    /// A stay in a listed region at or above the rule's levels.
    RiskRegion {
        level: RiskLevel,
    },
    /// A temperature at or above the threshold, in tenths of a degree.
    Fever {
        threshold_tenths: i16,
    },
    /// At least `min_count` of the rule's symptoms declared or reported at once.
    Symptoms {
        min_count: u8,
    },
    /// Fever or cough medicine bought around a declaration of symptoms.
    MedicineWithSymptoms,
    /// A negative test lowered the rule's colour from `from`.
    Downgraded {
        from: Colour,
        inner: Box<Finding>,
    },
    /// An official's override, with the official's written reason.
    Override {
        reason: String,
    },
}

/// A fact a reason rests on, by reference: the resident can check each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evidence {
    Declaration {
        event_id: EventId,
        at: Timestamp,
    },
    HealthReport {
        event_id: EventId,
        reporter: Reporter,
        at: Timestamp,
    },
    TestResult {
        event_id: EventId,
        outcome: TestOutcome,
        sampled_at: Timestamp,
    },
    PharmacyPurchase {
        event_id: EventId,
        medicine: Medicine,
        at: Timestamp,
    },
    Stay {
        event_id: EventId,
        region: RegionCode,
        listed_region: RegionCode,
        level: RiskLevel,
        list_version: u32,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
        source: StaySource,
    },
    Contact {
        contact: ContactId,
        case: CaseId,
        setting: ContactSetting,
        last_exposure: Timestamp,
    },
    Case {
        case: CaseId,
        status: CaseStatus,
        since: Timestamp,
    },
    Override {
        id: OverrideId,
        set_by: crate::access::StaffId,
        set_at: Timestamp,
        appeal: Option<AppealId>,
    },
}

/// Something concrete that would change the rating, or will.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// A negative test sampled after `after` would make the colour `colour`.
    NegativeTestAfter { after: Timestamp, colour: Colour },
    /// If nothing changes, the colour becomes `colour` at `at`.
    TurnsOn { at: Timestamp, colour: Colour },
    /// The colour holds until a health official releases the case.
    AwaitRelease,
    /// Medicine was bought on `at`; the resident should declare their health or take a test.
    DeclareOrTest { purchased_at: Timestamp },
    /// An official's override ends at `at`; from then on the rules decide, which today would
    /// give `colour`.
    OverrideEnds { at: Timestamp, colour: Colour },
    /// The resident may appeal the rating to a health official.
    Appeal,
}

impl Reason {
    /// The reason in plain language.
    pub fn text(&self, language: Language, offset: Offset) -> String {
        text::reason(self, language, offset)
    }
}

impl NextStep {
    /// The step in plain language.
    pub fn text(&self, language: Language, offset: Offset) -> String {
        text::next_step(self, language, offset)
    }
}
