//! The JSON shapes of residents' consents and employers' close-contact checks, and of the
//! quarantine follow-up.
//!
//! A consent's token appears in exactly one response, the one that issues it; a consent view
//! never carries it. A check's answer is one boolean. `Debug` never shows a token, an ID number,
//! a name or a phone.

use std::collections::BTreeSet;
use std::fmt;

use healthcode_core::consent::{ConsentId, ConsentTerms};
use healthcode_core::follow_up::FollowUpCheck;
use healthcode_core::{
    Date, Person, PersonId, ResidentId, Symptom, Temperature, Timestamp, Username,
};
use healthcode_store::ConsentRecord;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{FieldError, parse_date, parse_event_id, parse_uuid};

// ---------------------------------------------------------------------------------------------
// Consents
// ---------------------------------------------------------------------------------------------

/// A resident's consent to one employer's close-contact checks.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// A UUID chosen by the device. A resend answers the same consent with a new token, which
    /// replaces the first one.
    #[schema(format = Uuid)]
    pub consent_id: String,
    /// The username of the employer's staff account, as the employer gives it.
    #[schema(example = "hr.westlake")]
    pub employer: String,
    /// How many days the consent lasts: 1 to 30; 7 if absent.
    #[schema(example = 7)]
    pub valid_days: Option<u32>,
    /// How many checks the employer may make with it: 1 to 30; 1 if absent.
    #[schema(example = 1)]
    pub checks: Option<u32>,
}

/// A consent request that has been checked.
#[derive(Clone, Debug)]
pub struct NewConsent {
    pub id: ConsentId,
    pub employer: Username,
    pub terms: ConsentTerms,
}

impl TryFrom<ConsentRequest> for NewConsent {
    type Error = FieldError;

    fn try_from(request: ConsentRequest) -> Result<NewConsent, FieldError> {
        let id = ConsentId::from_uuid(parse_event_id("consent_id", &request.consent_id)?.as_uuid());
        let employer = Username::parse(request.employer.trim())
            .map_err(|error| FieldError::new("employer", error))?;
        let terms = ConsentTerms::new(request.valid_days, request.checks).map_err(|error| {
            let field = match error {
                healthcode_core::consent::ConsentTermsError::Days => "valid_days",
                healthcode_core::consent::ConsentTermsError::Checks => "checks",
            };
            FieldError::new(field, error)
        })?;
        Ok(NewConsent {
            id,
            employer,
            terms,
        })
    }
}

/// A consent as its resident sees it. Never its token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConsentView {
    pub consent_id: Uuid,
    /// The employer's username.
    pub employer: String,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// How many checks it allows.
    pub max_checks: u32,
    /// How many checks the employer made with it.
    pub checks_made: u32,
    /// `active`, `expired`, `revoked` or `used_up`, now.
    #[schema(example = "active")]
    pub state: String,
}

impl ConsentView {
    /// The consent as it stands at `now`.
    pub fn new(record: &ConsentRecord, now: Timestamp) -> ConsentView {
        let consent = &record.consent;
        ConsentView {
            consent_id: consent.id.as_uuid(),
            employer: record.employer.to_string(),
            issued_at: consent.issued_at,
            expires_at: consent.expires_at,
            revoked_at: consent.revoked_at,
            max_checks: consent.max_checks,
            checks_made: consent.checks_made,
            state: consent.state(now).code().to_owned(),
        }
    }
}

/// A new consent and its token. The token is shown here only: give it to the employer.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct IssuedConsent {
    pub consent: ConsentView,
    /// What the employer presents with your ID number. It works only for the employer named,
    /// until the consent expires, is revoked or its checks are used up.
    pub token: String,
}

impl fmt::Debug for IssuedConsent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedConsent")
            .field("consent", &self.consent)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsentList {
    /// Oldest first.
    pub consents: Vec<ConsentView>,
}

/// An employer's close-contact check of an employee who consented.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseContactCheckRequest {
    /// The employee's 18-character resident ID number.
    #[schema(example = "330106199001011256")]
    pub resident_id: String,
    /// The consent token the employee gave.
    pub token: String,
}

impl fmt::Debug for CloseContactCheckRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloseContactCheckRequest")
            .finish_non_exhaustive()
    }
}

/// The whole answer to a check: nothing about the person but this.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CloseContactCheckResponse {
    /// Whether the employee was a close contact of a case within the active policy's window
    /// (14 days by default), or is a confirmed case not yet released.
    pub close_contact: bool,
}

// ---------------------------------------------------------------------------------------------
// Quarantine follow-up
// ---------------------------------------------------------------------------------------------

/// A community worker's daily check of a resident in isolation. Name the resident by
/// `person_id` (as the list of missed checks gives it) or by `resident_id`, not both.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpCheckRequest {
    /// A UUID chosen by the worker's device; a resend with the same id is stored once.
    #[schema(format = Uuid)]
    pub event_id: String,
    #[schema(format = Uuid)]
    pub person_id: Option<String>,
    /// The resident's 18-character ID number.
    #[schema(example = "330106199001011256")]
    pub resident_id: Option<String>,
    /// The day the check is about, in the policy's offset from UTC; not after today.
    #[schema(example = "2026-02-10")]
    pub day: String,
    /// The temperature measured, in degrees Celsius.
    #[schema(example = 36.6)]
    pub temperature: f64,
    /// Codes from the symptom vocabulary, e.g. `dry_cough`.
    #[serde(default)]
    pub symptoms: Vec<String>,
}

impl fmt::Debug for FollowUpCheckRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FollowUpCheckRequest")
            .field("event_id", &self.event_id)
            .finish_non_exhaustive()
    }
}

/// Whom a follow-up check is about, as the worker named them.
#[derive(Clone, Debug)]
pub enum CheckedResident {
    Person(PersonId),
    ResidentId(ResidentId),
}

impl FollowUpCheckRequest {
    /// The check recorded at `checked_at`, and whom it is about.
    pub fn into_check(
        self,
        checked_at: Timestamp,
    ) -> Result<(CheckedResident, FollowUpCheck), FieldError> {
        let event_id = parse_event_id("event_id", &self.event_id)?;
        let resident = match (&self.person_id, &self.resident_id) {
            (Some(person), None) => {
                CheckedResident::Person(PersonId::from_uuid(parse_uuid("person_id", person)?))
            }
            (None, Some(resident_id)) => CheckedResident::ResidentId(
                ResidentId::parse(resident_id.trim())
                    .map_err(|error| FieldError::new("resident_id", error))?,
            ),
            (Some(_), Some(_)) => {
                return Err(FieldError::new(
                    "resident_id",
                    "give person_id or resident_id, not both",
                ));
            }
            (None, None) => {
                return Err(FieldError::new(
                    "person_id",
                    "is required, or resident_id instead",
                ));
            }
        };
        let day = parse_date("day", &self.day)?;
        let temperature = Temperature::from_celsius(self.temperature)
            .map_err(|error| FieldError::new("temperature", error))?;
        let symptoms = self
            .symptoms
            .iter()
            .enumerate()
            .map(|(index, code)| {
                Symptom::parse(code.trim()).map_err(|error| {
                    FieldError::new(
                        format!("symptoms[{index}]"),
                        format_args!("\"{code}\" {error}"),
                    )
                })
            })
            .collect::<Result<BTreeSet<Symptom>, FieldError>>()?;
        Ok((
            resident,
            FollowUpCheck {
                event_id,
                day,
                checked_at,
                temperature,
                symptoms,
            },
        ))
    }
}

/// The answer to a follow-up check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FollowUpCheckResponse {
    pub event_id: Uuid,
    /// The resident checked, also when named by ID number.
    pub person_id: Uuid,
    /// True when this event id had already been stored; nothing changed.
    pub duplicate: bool,
}

/// Which day's missed checks to list.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MissedChecksQuery {
    /// A day in the policy's offset from UTC, not after today; yesterday if absent.
    #[param(example = "2026-02-10")]
    pub day: Option<String>,
}

impl MissedChecksQuery {
    pub fn day(&self) -> Result<Option<Date>, FieldError> {
        self.day
            .as_deref()
            .map(|day| parse_date("day", day))
            .transpose()
    }
}

/// A resident in isolation whom nobody checked on the day: what a worker needs to visit them.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct MissedCheckView {
    pub person_id: Uuid,
    #[schema(example = "330106********1256")]
    pub masked_resident_id: String,
    pub name: String,
    pub phone: String,
}

impl fmt::Debug for MissedCheckView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MissedCheckView")
            .field("person_id", &self.person_id)
            .finish_non_exhaustive()
    }
}

impl From<&Person> for MissedCheckView {
    fn from(person: &Person) -> MissedCheckView {
        MissedCheckView {
            person_id: person.id.as_uuid(),
            masked_resident_id: person.resident_id.masked(),
            name: person.name.as_str().to_owned(),
            phone: person.phone.as_str().to_owned(),
        }
    }
}

/// The residents in isolation now who had no check on `day`: no community worker's check and
/// no declaration of their own that day.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MissedChecks {
    pub day: Date,
    /// In person id order.
    pub residents: Vec<MissedCheckView>,
}
