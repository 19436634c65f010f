//! The JSON shapes of ratings, appeals, overrides, the region-risk list and policies.
//!
//! Responses are built from the engine's structured ratings; texts for people are rendered in
//! the language the caller asked for. Appeal statements and officials' reasons are personal
//! data: they go over the wire to the people entitled to them, and never into `Debug` output.

use std::collections::BTreeMap;
use std::fmt;

use healthcode_core::rating::{
    Appeal, AppealId, AppealOutcome, AppealRecord, Colour, Evidence, Language, MAX_STATEMENT_CHARS,
    NextStep, OverrideId, Policy, PolicyVersion, Rating, RatingCause, RatingRecord, Reason,
    RegionRiskList, RiskLevel, Until,
};
use healthcode_core::{PersonId, RegionCode, Timestamp};
use healthcode_store::{PolicyActivation, StoredPolicy};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{ActorView, FieldError, parse_timestamp, parse_uuid};
use crate::policies::{Activation, ColourPair, DiffSample, PolicyCatalogue, PolicyDiff};
use crate::rating_service::{DecidedAppeal, QueuedAppeal, RerateReport};

// ---------------------------------------------------------------------------------------------
// Language
// ---------------------------------------------------------------------------------------------

/// The language of the texts in an answer.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LanguageQuery {
    /// `en` or `zh-CN`. When absent, the `Accept-Language` header decides, then English.
    #[param(example = "zh-CN")]
    pub lang: Option<String>,
}

/// The language asked for by a `lang` parameter, else by an `Accept-Language` header, else
/// English. An unknown `lang` is an error; an `Accept-Language` naming no language we write in
/// is not (the header is a preference).
pub fn choose_language(
    lang: Option<&str>,
    accept_language: Option<&str>,
) -> Result<Language, FieldError> {
    if let Some(lang) = lang.map(str::trim).filter(|lang| !lang.is_empty()) {
        return Language::ALL
            .into_iter()
            .find(|language| language.code().eq_ignore_ascii_case(lang))
            .ok_or_else(|| {
                FieldError::new(
                    "lang",
                    format_args!(
                        "should be one of: {}",
                        Language::ALL.map(Language::code).join(", ")
                    ),
                )
            });
    }
    Ok(accept_language
        .and_then(language_from_accept_header)
        .unwrap_or(Language::English))
}

/// The most preferred language of an `Accept-Language` header that we write in. Any Chinese
/// gets Simplified Chinese, the only Chinese script the texts are written in.
fn language_from_accept_header(header: &str) -> Option<Language> {
    let mut ranges: Vec<(&str, f32)> = header
        .split(',')
        .filter_map(|range| {
            let mut parts = range.split(';');
            let tag = parts.next()?.trim();
            let quality = parts
                .find_map(|parameter| parameter.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            (!tag.is_empty() && quality > 0.0).then_some((tag, quality))
        })
        .collect();
    // Stable: among equal qualities the header's order decides.
    ranges.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranges.into_iter().find_map(|(tag, _)| {
        let primary = tag.split('-').next().unwrap_or(tag);
        if primary.eq_ignore_ascii_case("zh") {
            Some(Language::SimplifiedChinese)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Language::English)
        } else {
            None
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------

/// A resident's colour now, with its reasons and what would change it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct StatusView {
    pub person_id: Uuid,
    #[schema(example = "yellow")]
    pub colour: String,
    /// When the colour changes if nothing new happens; absent when only an event (a release,
    /// a negative test) can change it, or when it is green.
    pub valid_until: Option<Timestamp>,
    #[schema(example = "default@1")]
    pub policy_version: String,
    pub rated_at: Timestamp,
    /// The language of the texts: `en` or `zh-CN`.
    #[schema(example = "en")]
    pub language: String,
    /// Strongest first.
    pub reasons: Vec<ReasonView>,
    pub next_steps: Vec<NextStepView>,
}

impl StatusView {
    pub fn new(person: PersonId, rating: &Rating, language: Language) -> StatusView {
        StatusView {
            person_id: person.as_uuid(),
            colour: rating.colour.code().to_owned(),
            valid_until: rating.valid_until,
            policy_version: rating.policy_version.to_string(),
            rated_at: rating.rated_at,
            language: language.code().to_owned(),
            reasons: reason_views(rating, language),
            next_steps: rating
                .next_steps
                .iter()
                .map(|step| NextStepView::new(step, rating, language))
                .collect(),
        }
    }
}

fn reason_views(rating: &Rating, language: Language) -> Vec<ReasonView> {
    rating
        .reasons
        .iter()
        .map(|reason| ReasonView::new(reason, rating, language))
        .collect()
}

/// One reason of a colour: the rule, until when it holds, in plain language, and the facts it
/// rests on.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReasonView {
    /// The rule's id in the policy; `override` for an official's override.
    #[schema(example = "fever")]
    pub rule_id: String,
    pub policy_version: String,
    /// The colour this reason asks for.
    pub colour: String,
    pub since: Timestamp,
    pub until: UntilView,
    /// The reason in plain language.
    pub text: String,
    pub evidence: Vec<EvidenceView>,
}

impl ReasonView {
    fn new(reason: &Reason, rating: &Rating, language: Language) -> ReasonView {
        ReasonView {
            rule_id: reason.rule_id.to_string(),
            policy_version: reason.policy_version.to_string(),
            colour: reason.colour.code().to_owned(),
            since: reason.since,
            until: UntilView::from(reason.until),
            text: reason.text(language, rating.offset),
            evidence: reason.evidence.iter().map(EvidenceView::from).collect(),
        }
    }
}

/// Until when a reason holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UntilView {
    /// `at` (until `at`, if nothing new happens), `released` (until an official releases the
    /// case) or `negative_test_after` (until a negative test sampled after `at`).
    pub kind: String,
    pub at: Option<Timestamp>,
}

impl From<Until> for UntilView {
    fn from(until: Until) -> UntilView {
        let (kind, at) = match until {
            Until::At(at) => ("at", Some(at)),
            Until::Released => ("released", None),
            Until::NegativeTestAfter(at) => ("negative_test_after", Some(at)),
        };
        UntilView {
            kind: kind.to_owned(),
            at,
        }
    }
}

/// A fact a reason rests on, by reference. Which fields are present depends on `kind`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EvidenceView {
    /// `declaration`, `health_report`, `test_result`, `pharmacy_purchase`, `stay`, `contact`,
    /// `case` or `override`.
    pub kind: String,
    /// The event the fact came from (declarations, reports, tests, purchases, stays).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appeal_id: Option<Uuid>,
    /// When: the declaration or report, the sample, the purchase, the last exposure, the case's
    /// registration, the override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
    /// A health report's reporter: `employer`, `community` or `checkpoint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<String>,
    /// A test's outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medicine: Option<String>,
    /// A stay's region, and the listed region that covers it, with its level and the list's
    /// version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listed_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_version: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<healthcode_core::Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<healthcode_core::Date>,
    /// Where a stay is known from (`declared`, `itinerary`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Where a contact met the case: `venue`, `trip`, `household` or `nearby`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setting: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_id: Option<Uuid>,
    /// The trip a contact shared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trip_id: Option<Uuid>,
    /// A case's status: `suspected` or `confirmed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The official who set an override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_by: Option<Uuid>,
}

impl From<&Evidence> for EvidenceView {
    fn from(evidence: &Evidence) -> EvidenceView {
        let kind = |kind: &str| EvidenceView {
            kind: kind.to_owned(),
            ..EvidenceView::default()
        };
        match evidence {
            Evidence::Declaration { event_id, at } => EvidenceView {
                event_id: Some(event_id.as_uuid()),
                at: Some(*at),
                ..kind("declaration")
            },
            Evidence::HealthReport {
                event_id,
                reporter,
                at,
            } => EvidenceView {
                event_id: Some(event_id.as_uuid()),
                reporter: Some(reporter.code().to_owned()),
                at: Some(*at),
                ..kind("health_report")
            },
            Evidence::TestResult {
                event_id,
                outcome,
                sampled_at,
            } => EvidenceView {
                event_id: Some(event_id.as_uuid()),
                outcome: Some(outcome.code().to_owned()),
                at: Some(*sampled_at),
                ..kind("test_result")
            },
            Evidence::PharmacyPurchase {
                event_id,
                medicine,
                at,
            } => EvidenceView {
                event_id: Some(event_id.as_uuid()),
                medicine: Some(medicine.code().to_owned()),
                at: Some(*at),
                ..kind("pharmacy_purchase")
            },
            Evidence::Stay {
                event_id,
                region,
                listed_region,
                level,
                list_version,
                from,
                to,
                source,
            } => EvidenceView {
                event_id: Some(event_id.as_uuid()),
                region: Some(region.to_string()),
                listed_region: Some(listed_region.to_string()),
                level: Some(level.code().to_owned()),
                list_version: Some(*list_version),
                from: Some(*from),
                to: Some(*to),
                source: Some(source.code().to_owned()),
                ..kind("stay")
            },
            Evidence::Contact {
                contact,
                case,
                setting,
                last_exposure,
            } => {
                use healthcode_core::rating::ContactSetting;
                let (setting, venue_id, trip_id) = match setting {
                    ContactSetting::Venue(venue) => ("venue", Some(venue.as_uuid()), None),
                    ContactSetting::Trip(trip) => ("trip", None, Some(trip.as_uuid())),
                    ContactSetting::Household => ("household", None, None),
                    ContactSetting::Nearby => ("nearby", None, None),
                };
                EvidenceView {
                    contact_id: Some(contact.as_uuid()),
                    case_id: Some(case.as_uuid()),
                    setting: Some(setting.to_owned()),
                    venue_id,
                    trip_id,
                    at: Some(*last_exposure),
                    ..kind("contact")
                }
            }
            Evidence::Case {
                case,
                status,
                since,
            } => EvidenceView {
                case_id: Some(case.as_uuid()),
                status: Some(status.code().to_owned()),
                at: Some(*since),
                ..kind("case")
            },
            Evidence::Override {
                id,
                set_by,
                set_at,
                appeal,
            } => EvidenceView {
                override_id: Some(id.as_uuid()),
                set_by: Some(set_by.as_uuid()),
                at: Some(*set_at),
                appeal_id: appeal.map(|appeal| appeal.as_uuid()),
                ..kind("override")
            },
        }
    }
}

/// Something concrete that would change the colour, or will.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct NextStepView {
    /// `negative_test_after`, `turns_on`, `await_release`, `declare_or_test`, `override_ends`
    /// or `appeal`.
    pub kind: String,
    /// The step in plain language.
    pub text: String,
    /// The moment the step is about: the test must be sampled after it, the colour turns then,
    /// the purchase was made then, the override ends then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
    /// The colour the step leads to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
}

impl NextStepView {
    fn new(step: &NextStep, rating: &Rating, language: Language) -> NextStepView {
        let (kind, at, colour) = match step {
            NextStep::NegativeTestAfter { after, colour } => {
                ("negative_test_after", Some(*after), Some(*colour))
            }
            NextStep::TurnsOn { at, colour } => ("turns_on", Some(*at), Some(*colour)),
            NextStep::AwaitRelease => ("await_release", None, None),
            NextStep::DeclareOrTest { purchased_at } => {
                ("declare_or_test", Some(*purchased_at), None)
            }
            NextStep::OverrideEnds { at, colour } => ("override_ends", Some(*at), Some(*colour)),
            NextStep::Appeal => ("appeal", None, None),
        };
        NextStepView {
            kind: kind.to_owned(),
            text: step.text(language, rating.offset),
            at,
            colour: colour.map(|colour| colour.code().to_owned()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rating history
// ---------------------------------------------------------------------------------------------

/// One entry of a resident's rating history.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RatingRecordView {
    /// Increasing with time; appeals name a rating by it.
    pub sequence: u64,
    pub colour: String,
    pub valid_until: Option<Timestamp>,
    pub policy_version: String,
    /// The reasons' rule ids, strongest first.
    pub rule_ids: Vec<String>,
    pub rated_at: Timestamp,
    pub cause: CauseView,
}

impl From<&RatingRecord> for RatingRecordView {
    fn from(record: &RatingRecord) -> RatingRecordView {
        RatingRecordView {
            sequence: record.sequence,
            colour: record.colour.code().to_owned(),
            valid_until: record.valid_until,
            policy_version: record.policy_version.to_string(),
            rule_ids: record.rule_ids.iter().map(ToString::to_string).collect(),
            rated_at: record.rated_at,
            cause: CauseView::from(&record.cause),
        }
    }
}

/// What made the system rate a resident again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CauseView {
    /// `event`, `expiry`, `policy_activated`, `region_risk_list_changed`, `override` or
    /// `request`.
    #[schema(example = "event")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_version: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_id: Option<Uuid>,
}

impl From<&RatingCause> for CauseView {
    fn from(cause: &RatingCause) -> CauseView {
        let kind = |kind: &str| CauseView {
            kind: kind.to_owned(),
            event_id: None,
            policy_version: None,
            list_version: None,
            override_id: None,
        };
        match cause {
            RatingCause::Event(event) => CauseView {
                event_id: Some(event.as_uuid()),
                ..kind("event")
            },
            RatingCause::Expiry => kind("expiry"),
            RatingCause::PolicyActivated(version) => CauseView {
                policy_version: Some(version.to_string()),
                ..kind("policy_activated")
            },
            RatingCause::RegionRiskListChanged(version) => CauseView {
                list_version: Some(*version),
                ..kind("region_risk_list_changed")
            },
            RatingCause::Override(id) => CauseView {
                override_id: Some(id.as_uuid()),
                ..kind("override")
            },
            RatingCause::Request => kind("request"),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RatingHistory {
    /// Oldest first.
    pub ratings: Vec<RatingRecordView>,
}

// ---------------------------------------------------------------------------------------------
// Appeals
// ---------------------------------------------------------------------------------------------

/// A resident's appeal against their latest rating.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealRequest {
    /// A UUID chosen by the client; a resend with the same id is stored once.
    #[schema(format = Uuid)]
    pub appeal_id: String,
    /// Why the rating is wrong, in the resident's own words: 1 to 2,000 characters.
    pub statement: String,
}

impl fmt::Debug for AppealRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppealRequest")
            .field("appeal_id", &self.appeal_id)
            .finish_non_exhaustive()
    }
}

impl AppealRequest {
    /// The appeal's id and its statement, trimmed.
    pub fn parse(&self) -> Result<(AppealId, String), FieldError> {
        let id = parse_uuid("appeal_id", &self.appeal_id).map(AppealId::from_uuid)?;
        Ok((id, written_text("statement", &self.statement)?))
    }
}

/// A written text of 1 to [`MAX_STATEMENT_CHARS`] characters, trimmed.
pub(crate) fn written_text(field: &str, text: &str) -> Result<String, FieldError> {
    let text = text.trim();
    let length = text.chars().count();
    if length == 0 || length > MAX_STATEMENT_CHARS {
        return Err(FieldError::new(
            field,
            format_args!("should be 1 to {MAX_STATEMENT_CHARS} characters, found {length}"),
        ));
    }
    Ok(text.to_owned())
}

/// The answer to a filed appeal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FiledAppeal {
    pub appeal_id: Uuid,
    /// The sequence of the rating appealed against.
    pub rating: u64,
    /// True when this appeal id had already been filed; nothing changed.
    pub duplicate: bool,
}

/// An appeal as its resident sees it: what they wrote and what was decided.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct AppealView {
    pub appeal_id: Uuid,
    /// The sequence of the rating appealed against.
    pub rating: u64,
    pub statement: String,
    pub filed_at: Timestamp,
    /// Absent while the appeal waits for an official.
    pub decision: Option<DecisionView>,
}

impl fmt::Debug for AppealView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppealView")
            .field("appeal_id", &self.appeal_id)
            .field("rating", &self.rating)
            .finish_non_exhaustive()
    }
}

impl From<&AppealRecord> for AppealView {
    fn from(record: &AppealRecord) -> AppealView {
        AppealView {
            appeal_id: record.appeal.id.as_uuid(),
            rating: record.appeal.rating,
            statement: record.appeal.statement.clone(),
            filed_at: record.appeal.filed_at,
            decision: record.decision.as_ref().map(|decision| DecisionView {
                outcome: outcome_code(&decision.outcome).to_owned(),
                reason: decision.reason.clone(),
                decided_at: decision.decided_at,
                decided_by: decision.decided_by.as_uuid(),
                colour: amended(&decision.outcome).map(|o| o.colour.code().to_owned()),
                expires_at: amended(&decision.outcome).map(|o| o.expires_at),
                override_id: amended(&decision.outcome).map(|o| o.id.as_uuid()),
            }),
        }
    }
}

fn outcome_code(outcome: &AppealOutcome) -> &'static str {
    match outcome {
        AppealOutcome::Uphold => "uphold",
        AppealOutcome::Amend(_) => "amend",
    }
}

fn amended(outcome: &AppealOutcome) -> Option<&healthcode_core::rating::Override> {
    match outcome {
        AppealOutcome::Uphold => None,
        AppealOutcome::Amend(override_) => Some(override_),
    }
}

/// An official's decision on an appeal, with the written reason.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct DecisionView {
    /// `uphold` (the rating stands) or `amend` (an override changes the colour).
    pub outcome: String,
    /// The official's reason, written for the resident.
    pub reason: String,
    pub decided_at: Timestamp,
    /// The official who decided.
    pub decided_by: Uuid,
    /// For `amend`: the colour set, until when, and the override that sets it.
    pub colour: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub override_id: Option<Uuid>,
}

impl fmt::Debug for DecisionView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecisionView")
            .field("outcome", &self.outcome)
            .field("decided_at", &self.decided_at)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AppealList {
    /// Oldest first.
    pub appeals: Vec<AppealView>,
}

/// The appeal queue's parameters.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// `en` or `zh-CN`, for the reasons' texts.
    pub lang: Option<String>,
    /// At most this many appeals (1 to 1,000; 100 when absent).
    pub limit: Option<String>,
}

/// The most appeals one read of the queue returns.
pub const MAX_QUEUE_LIMIT: u32 = 1_000;

impl QueueQuery {
    pub fn limit(&self) -> Result<u32, FieldError> {
        match self.limit.as_deref().map(str::trim) {
            None | Some("") => Ok(100),
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|limit| (1..=MAX_QUEUE_LIMIT).contains(limit))
                .ok_or_else(|| {
                    FieldError::new(
                        "limit",
                        format_args!("should be a whole number from 1 to {MAX_QUEUE_LIMIT}"),
                    )
                }),
        }
    }
}

/// An undecided appeal, with the rating it is against and that rating's reasons.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct QueuedAppealView {
    pub appeal_id: Uuid,
    pub person_id: Uuid,
    pub filed_at: Timestamp,
    pub statement: String,
    /// The rating appealed against, as stored.
    pub rating: Option<RatingRecordView>,
    /// That rating's reasons with their evidence, worked out again from the resident's facts
    /// as they stood at the rating's time, under the rating's policy.
    pub reasons: Vec<ReasonView>,
}

impl fmt::Debug for QueuedAppealView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueuedAppealView")
            .field("appeal_id", &self.appeal_id)
            .field("person_id", &self.person_id)
            .finish_non_exhaustive()
    }
}

impl QueuedAppealView {
    pub fn new(queued: &QueuedAppeal, language: Language) -> QueuedAppealView {
        let Appeal {
            id,
            person,
            statement,
            filed_at,
            ..
        } = &queued.appeal;
        QueuedAppealView {
            appeal_id: id.as_uuid(),
            person_id: person.as_uuid(),
            filed_at: *filed_at,
            statement: statement.clone(),
            rating: queued.rating.as_ref().map(RatingRecordView::from),
            reasons: queued
                .recomputed
                .as_ref()
                .map(|rating| reason_views(rating, language))
                .unwrap_or_default(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AppealQueue {
    /// Oldest first.
    pub appeals: Vec<QueuedAppealView>,
}

/// A health official's decision on an appeal.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `uphold` or `amend`.
    #[schema(example = "amend")]
    pub outcome: String,
    /// Why, written for the resident: 1 to 2,000 characters.
    pub reason: String,
    /// For `amend` only, and then required: the colour to set.
    #[schema(example = "green")]
    pub colour: Option<String>,
    /// For `amend` only, and then required: when the override ends (RFC 3339, in the future).
    pub expires_at: Option<String>,
}

impl fmt::Debug for DecisionRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecisionRequest")
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

/// What an official decided, checked.
#[derive(Clone, PartialEq, Eq)]
pub struct Decision {
    pub verdict: Verdict,
    pub reason: String,
}

impl fmt::Debug for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decision")
            .field("verdict", &self.verdict)
            .finish_non_exhaustive()
    }
}

/// Uphold, or amend to a colour until a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Uphold,
    Amend {
        colour: Colour,
        expires_at: Timestamp,
    },
}

impl DecisionRequest {
    /// The decision, as made at `now`: an amendment's expiry must be after `now`.
    pub fn parse(&self, now: Timestamp) -> Result<Decision, FieldError> {
        let reason = written_text("reason", &self.reason)?;
        let verdict = match self.outcome.trim() {
            "uphold" => {
                if self.colour.is_some() {
                    return Err(FieldError::new("colour", "is only for an amend"));
                }
                if self.expires_at.is_some() {
                    return Err(FieldError::new("expires_at", "is only for an amend"));
                }
                Verdict::Uphold
            }
            "amend" => {
                let colour = self.colour.as_deref().ok_or_else(|| {
                    FieldError::new("colour", "is required to amend: green, yellow or red")
                })?;
                let expires_at = self.expires_at.as_deref().ok_or_else(|| {
                    FieldError::new("expires_at", "is required to amend: an override ends")
                })?;
                Verdict::Amend {
                    colour: parse_colour("colour", colour)?,
                    expires_at: future_time("expires_at", expires_at, now)?,
                }
            }
            _ => {
                return Err(FieldError::new(
                    "outcome",
                    "should be one of: uphold, amend",
                ));
            }
        };
        Ok(Decision { verdict, reason })
    }
}

/// The answer to a decision.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DecisionResponse {
    pub appeal_id: Uuid,
    pub person_id: Uuid,
    pub outcome: String,
    pub decided_at: Timestamp,
    /// For `amend`: the override that sets the colour, and the resident's colour now.
    pub override_id: Option<Uuid>,
    pub colour: Option<String>,
}

impl From<&DecidedAppeal> for DecisionResponse {
    fn from(decided: &DecidedAppeal) -> DecisionResponse {
        DecisionResponse {
            appeal_id: decided.decision.appeal.as_uuid(),
            person_id: decided.person.as_uuid(),
            outcome: outcome_code(&decided.decision.outcome).to_owned(),
            decided_at: decided.decision.decided_at,
            override_id: amended(&decided.decision.outcome).map(|o| o.id.as_uuid()),
            colour: decided.colour.map(|colour| colour.code().to_owned()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Overrides
// ---------------------------------------------------------------------------------------------

/// A health official's override of a resident's colour: always with a reason and an expiry.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideRequest {
    /// A UUID chosen by the client; a resend with the same id is stored once.
    #[schema(format = Uuid)]
    pub override_id: String,
    #[schema(example = "green")]
    pub colour: String,
    /// Why, written for the resident: 1 to 2,000 characters. Required.
    pub reason: String,
    /// When the override ends (RFC 3339, in the future). Required.
    pub expires_at: String,
}

impl fmt::Debug for OverrideRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OverrideRequest")
            .field("override_id", &self.override_id)
            .field("colour", &self.colour)
            .finish_non_exhaustive()
    }
}

/// An override request, checked.
#[derive(Clone, PartialEq, Eq)]
pub struct NewOverride {
    pub id: OverrideId,
    pub colour: Colour,
    pub reason: String,
    pub expires_at: Timestamp,
}

impl fmt::Debug for NewOverride {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewOverride")
            .field("id", &self.id)
            .field("colour", &self.colour)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl OverrideRequest {
    /// The override, as set at `now`: its expiry must be after `now`.
    pub fn parse(&self, now: Timestamp) -> Result<NewOverride, FieldError> {
        Ok(NewOverride {
            id: parse_uuid("override_id", &self.override_id).map(OverrideId::from_uuid)?,
            colour: parse_colour("colour", &self.colour)?,
            reason: written_text("reason", &self.reason)?,
            expires_at: future_time("expires_at", &self.expires_at, now)?,
        })
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OverrideResponse {
    pub override_id: Uuid,
    /// True when this override id had already been set; nothing changed.
    pub duplicate: bool,
    /// The resident's colour after the override.
    pub colour: String,
}

fn parse_colour(field: &str, text: &str) -> Result<Colour, FieldError> {
    Colour::parse(text.trim()).map_err(|e| FieldError::new(field, e))
}

fn future_time(field: &str, text: &str, now: Timestamp) -> Result<Timestamp, FieldError> {
    let at = parse_timestamp(field, text)?;
    if at <= now {
        return Err(FieldError::new(
            field,
            format_args!("should be in the future (it is now {now})"),
        ));
    }
    Ok(at)
}

// ---------------------------------------------------------------------------------------------
// Region-risk list
// ---------------------------------------------------------------------------------------------

/// A version of the region-risk list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RegionRiskListView {
    /// 0 for the empty list in force before officials publish one.
    pub version: u32,
    pub published_at: Option<Timestamp>,
    /// By region code.
    pub entries: Vec<RegionRiskEntry>,
}

impl From<&RegionRiskList> for RegionRiskListView {
    fn from(list: &RegionRiskList) -> RegionRiskListView {
        RegionRiskListView {
            version: list.version,
            published_at: list.published_at,
            entries: list
                .entries
                .iter()
                .map(|(region, level)| RegionRiskEntry {
                    region: region.to_string(),
                    level: level.code().to_owned(),
                })
                .collect(),
        }
    }
}

/// A listed region: a province (`420000`), a city (`420100`) or a district code, covering the
/// regions beneath it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionRiskEntry {
    #[schema(example = "420100")]
    pub region: String,
    /// `low`, `medium` or `high`.
    #[schema(example = "high")]
    pub level: String,
}

/// A new version of the region-risk list: the whole list, replacing the one in force.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionRiskRequest {
    pub entries: Vec<RegionRiskEntry>,
}

impl RegionRiskRequest {
    /// The entries by region; a region listed twice is an error.
    pub fn parse(&self) -> Result<BTreeMap<RegionCode, RiskLevel>, FieldError> {
        let mut entries = BTreeMap::new();
        for (index, entry) in self.entries.iter().enumerate() {
            let region = RegionCode::parse(entry.region.trim())
                .map_err(|e| FieldError::new(format!("entries[{index}].region"), e))?;
            let level = RiskLevel::parse(entry.level.trim())
                .map_err(|e| FieldError::new(format!("entries[{index}].level"), e))?;
            if entries.insert(region, level).is_some() {
                return Err(FieldError::new(
                    format!("entries[{index}].region"),
                    "is listed twice; list each region once",
                ));
            }
        }
        Ok(entries)
    }
}

/// A published version of the list, and the re-rating it caused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublishedRegionRiskList {
    pub list: RegionRiskListView,
    pub rerated: RerateView,
}

/// How many residents were rated again and how many of their ratings changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RerateView {
    pub people: u64,
    pub changed: u64,
}

impl From<&RerateReport> for RerateView {
    fn from(report: &RerateReport) -> RerateView {
        RerateView {
            people: report.people,
            changed: report.changed,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------

/// A policy file sent as JSON; it may also be sent as the body itself, as `text/plain`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyUpload {
    /// The TOML text of the policy file.
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UploadedPolicy {
    #[schema(example = "default@2")]
    pub version: String,
    pub title: Option<String>,
    pub rules: usize,
    /// True when this version had already been stored with the same text; nothing changed.
    pub duplicate: bool,
}

impl UploadedPolicy {
    pub fn new(policy: &Policy, duplicate: bool) -> UploadedPolicy {
        UploadedPolicy {
            version: policy.version.to_string(),
            title: policy.title.clone(),
            rules: policy.rules.len(),
            duplicate,
        }
    }
}

/// Parses a `name@version` path parameter or field.
pub fn parse_policy_version(field: &str, text: &str) -> Result<PolicyVersion, FieldError> {
    PolicyVersion::parse(text.trim()).map_err(|e| FieldError::new(field, e))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StoredPolicyView {
    pub version: String,
    pub uploaded_at: Timestamp,
    pub uploaded_by: ActorView,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ActivationView {
    pub version: String,
    pub activated_at: Timestamp,
    pub activated_by: ActorView,
}

impl From<&PolicyActivation> for ActivationView {
    fn from(activation: &PolicyActivation) -> ActivationView {
        ActivationView {
            version: activation.version.to_string(),
            activated_at: activation.activated_at,
            activated_by: ActorView::from(&activation.activated_by),
        }
    }
}

/// Every stored policy and every activation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PolicyList {
    /// The active policy's version.
    pub active: Option<String>,
    /// Oldest upload first.
    pub policies: Vec<StoredPolicyView>,
    /// Oldest first; the last is the active policy.
    pub activations: Vec<ActivationView>,
}

impl From<&PolicyCatalogue> for PolicyList {
    fn from(catalogue: &PolicyCatalogue) -> PolicyList {
        let active = catalogue.active();
        PolicyList {
            active: active.map(ToString::to_string),
            policies: catalogue
                .policies
                .iter()
                .map(|policy: &StoredPolicy| StoredPolicyView {
                    version: policy.version.to_string(),
                    uploaded_at: policy.uploaded_at,
                    uploaded_by: ActorView::from(&policy.uploaded_by),
                    active: Some(&policy.version) == active,
                })
                .collect(),
            activations: catalogue
                .activations
                .iter()
                .map(ActivationView::from)
                .collect(),
        }
    }
}

/// A stored policy file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PolicySourceView {
    pub version: String,
    pub active: bool,
    /// The TOML text as uploaded.
    pub source: String,
}

/// Which two stored policies to compare.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiffRequest {
    #[schema(example = "default@1")]
    pub a: String,
    #[schema(example = "strict-2020@1")]
    pub b: String,
}

/// Two policies compared on the current data.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PolicyDiffView {
    pub a: String,
    pub b: String,
    pub evaluated_at: Timestamp,
    /// Residents compared.
    pub people: u64,
    /// Residents whose colour differs.
    pub changed: u64,
    /// Every pair of colours that occurs.
    pub pairs: Vec<ColourPairView>,
}

impl From<&PolicyDiff> for PolicyDiffView {
    fn from(diff: &PolicyDiff) -> PolicyDiffView {
        PolicyDiffView {
            a: diff.a.to_string(),
            b: diff.b.to_string(),
            evaluated_at: diff.evaluated_at,
            people: diff.people,
            changed: diff.changed,
            pairs: diff.pairs.iter().map(ColourPairView::from).collect(),
        }
    }
}

/// The residents with one colour under A and one under B.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ColourPairView {
    pub under_a: String,
    pub under_b: String,
    pub count: u64,
    /// Up to three residents of the pair whose ratings differ, with the reasons under each.
    pub samples: Vec<DiffSampleView>,
}

impl From<&ColourPair> for ColourPairView {
    fn from(pair: &ColourPair) -> ColourPairView {
        ColourPairView {
            under_a: pair.under_a.code().to_owned(),
            under_b: pair.under_b.code().to_owned(),
            count: pair.count,
            samples: pair.samples.iter().map(DiffSampleView::from).collect(),
        }
    }
}

/// One resident's reasons under both policies, named by the pseudonymous person id only.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DiffSampleView {
    pub person_id: Uuid,
    pub under_a: Vec<RuleTextView>,
    pub under_b: Vec<RuleTextView>,
}

impl From<&DiffSample> for DiffSampleView {
    fn from(sample: &DiffSample) -> DiffSampleView {
        let texts = |rating: &Rating| {
            rating
                .reasons
                .iter()
                .map(|reason| RuleTextView {
                    rule_id: reason.rule_id.to_string(),
                    colour: reason.colour.code().to_owned(),
                    text: reason.text(Language::English, rating.offset),
                })
                .collect()
        };
        DiffSampleView {
            person_id: sample.person.as_uuid(),
            under_a: texts(&sample.under_a),
            under_b: texts(&sample.under_b),
        }
    }
}

/// A reason's rule and its text in English.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RuleTextView {
    pub rule_id: String,
    pub colour: String,
    pub text: String,
}

/// What an activation (or a rollback) did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ActivationResponse {
    pub version: String,
    pub activated_at: Timestamp,
    pub rerated: RerateView,
}

impl From<&Activation> for ActivationResponse {
    fn from(activation: &Activation) -> ActivationResponse {
        ActivationResponse {
            version: activation.version.to_string(),
            activated_at: activation.activated_at,
            rerated: RerateView::from(&activation.rerated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lang_parameter_wins_over_the_accept_language_header() {
        assert_eq!(
            choose_language(Some("zh-CN"), Some("en")).unwrap(),
            Language::SimplifiedChinese
        );
        assert_eq!(
            choose_language(Some("en"), Some("zh-CN")).unwrap(),
            Language::English
        );
        assert_eq!(choose_language(Some("fr"), None).unwrap_err().field, "lang");
    }

    #[test]
    fn accept_language_picks_the_most_preferred_language_we_write_in() {
        let pick = |header| choose_language(None, Some(header)).unwrap();
        assert_eq!(pick("zh-CN,zh;q=0.9,en;q=0.8"), Language::SimplifiedChinese);
        assert_eq!(pick("fr-FR, en;q=0.5, zh;q=0.4"), Language::English);
        assert_eq!(pick("en;q=0.3, zh-Hans;q=0.7"), Language::SimplifiedChinese);
        assert_eq!(pick("zh;q=0, en"), Language::English);
        assert_eq!(pick("de, fr"), Language::English);
        assert_eq!(choose_language(None, None).unwrap(), Language::English);
    }

    #[test]
    fn an_amendment_needs_a_colour_and_an_expiry_in_the_future() {
        let now: Timestamp = "2026-02-10T08:00:00Z".parse().unwrap();
        let request = |colour: Option<&str>, expires_at: Option<&str>| DecisionRequest {
            outcome: "amend".into(),
            reason: "The test was negative.".into(),
            colour: colour.map(Into::into),
            expires_at: expires_at.map(Into::into),
        };
        assert_eq!(
            request(None, Some("2026-02-20T00:00:00Z"))
                .parse(now)
                .unwrap_err()
                .field,
            "colour"
        );
        assert_eq!(
            request(Some("green"), None).parse(now).unwrap_err().field,
            "expires_at"
        );
        assert_eq!(
            request(Some("green"), Some("2026-02-09T00:00:00Z"))
                .parse(now)
                .unwrap_err()
                .field,
            "expires_at"
        );
        let decision = request(Some("green"), Some("2026-02-20T00:00:00Z"))
            .parse(now)
            .unwrap();
        assert!(matches!(
            decision.verdict,
            Verdict::Amend {
                colour: Colour::Green,
                ..
            }
        ));
        assert!(!format!("{decision:?}").contains("negative"));
    }

    #[test]
    fn a_statement_must_say_something_and_not_too_much() {
        let request = |statement: String| AppealRequest {
            appeal_id: "2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04".into(),
            statement,
        };
        assert_eq!(
            request("   ".into()).parse().unwrap_err().field,
            "statement"
        );
        assert_eq!(
            request("字".repeat(MAX_STATEMENT_CHARS + 1))
                .parse()
                .unwrap_err()
                .field,
            "statement"
        );
        assert!(request("字".repeat(MAX_STATEMENT_CHARS)).parse().is_ok());
    }

    #[test]
    fn a_region_listed_twice_is_refused() {
        let entry = |region: &str, level: &str| RegionRiskEntry {
            region: region.into(),
            level: level.into(),
        };
        let request = RegionRiskRequest {
            entries: vec![entry("420100", "high"), entry("420100", "medium")],
        };
        assert_eq!(request.parse().unwrap_err().field, "entries[1].region");
        let request = RegionRiskRequest {
            entries: vec![entry("420100", "severe")],
        };
        assert_eq!(request.parse().unwrap_err().field, "entries[0].level");
    }
}
