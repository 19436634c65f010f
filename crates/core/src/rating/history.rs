//! Ratings as history, and the appeals residents file against them.
//!
//! A stored rating is never overwritten: each change of colour, validity, policy or reasons is a
//! new entry naming what caused it.

use jiff::Timestamp;

use crate::access::StaffId;
use crate::event::EventId;
use crate::person::PersonId;

use super::facts::{AppealId, Override, OverrideId};
use super::{Colour, PolicyVersion, Rating, RuleId};

/// What made the system rate a resident again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RatingCause {
    /// A new event about the resident (declaration, test result, report, case, contact).
    Event(EventId),
    /// The previous rating's `valid_until` passed.
    Expiry,
    /// A policy was activated (or rolled back to).
    PolicyActivated(PolicyVersion),
    /// Officials published a new version of the region-risk list.
    RegionRiskListChanged(u32),
    /// An official set an override.
    Override(OverrideId),
    /// The resident asked for their status and no rating was stored yet, or it was stale.
    Request,
}

/// One entry of a resident's rating history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RatingRecord {
    /// Numbered from 1 per store, increasing with time.
    pub sequence: u64,
    pub person: PersonId,
    pub colour: Colour,
    pub valid_until: Option<Timestamp>,
    pub policy_version: PolicyVersion,
    /// The reasons' rule ids, strongest first.
    pub rule_ids: Vec<RuleId>,
    pub rated_at: Timestamp,
    pub cause: RatingCause,
}

/// What a resident's latest stored rating shows them, as the store keeps it beside the history
/// so that re-rating everyone can tell, without reading the history, whose rating changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LatestRating {
    /// The rating's entry in the history.
    pub sequence: u64,
    pub colour: Colour,
    pub valid_until: Option<Timestamp>,
    /// The reasons' rule ids, strongest first.
    pub rule_ids: Vec<RuleId>,
}

impl Rating {
    /// Whether this rating shows the resident what their latest stored rating shows: the same
    /// colour, validity and rule ids. Only a rating that does not is a new entry of their
    /// history; the policy version alone is not something the resident sees, so a new policy
    /// that rates a resident as the old one did changes nothing. This is the one definition of
    /// "changed" that the store and re-rating share.
    pub fn shows_the_same_as(&self, latest: &LatestRating) -> bool {
        self.colour == latest.colour
            && self.valid_until == latest.valid_until
            && self.reasons.len() == latest.rule_ids.len()
            && self
                .reasons
                .iter()
                .zip(&latest.rule_ids)
                .all(|(reason, rule_id)| reason.rule_id == *rule_id)
    }
}

/// A resident's appeal against their rating, in their own words.
#[derive(Clone, PartialEq, Eq)]
pub struct Appeal {
    pub id: AppealId,
    pub person: PersonId,
    /// The rating appealed against (its sequence in the history).
    pub rating: u64,
    /// The resident's statement: personal data, never logged.
    pub statement: String,
    pub filed_at: Timestamp,
}

impl std::fmt::Debug for Appeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Appeal")
            .field("id", &self.id)
            .field("person", &self.person)
            .field("rating", &self.rating)
            .field("filed_at", &self.filed_at)
            .finish_non_exhaustive()
    }
}

/// What an official decided on an appeal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppealOutcome {
    /// The rating stands.
    Uphold,
    /// The colour is changed by an override that names the appeal.
    Amend(Override),
}

/// An official's decision on an appeal, with the written reason the resident sees.
#[derive(Clone, PartialEq, Eq)]
pub struct AppealDecision {
    pub appeal: AppealId,
    pub outcome: AppealOutcome,
    pub reason: String,
    pub decided_by: StaffId,
    pub decided_at: Timestamp,
}

impl std::fmt::Debug for AppealDecision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppealDecision")
            .field("appeal", &self.appeal)
            .field("decided_by", &self.decided_by)
            .field("decided_at", &self.decided_at)
            .finish_non_exhaustive()
    }
}

/// An appeal with its decision, once there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppealRecord {
    pub appeal: Appeal,
    pub decision: Option<AppealDecision>,
}

/// The longest appeal statement or written reason, in characters.
pub const MAX_STATEMENT_CHARS: usize = 2_000;
