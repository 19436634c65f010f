//! Cases, tracing and contacts: what health officials send and read.

use std::fmt;

use healthcode_core::rating::{CaseId, CaseStatus, ContactId, ContactSetting};
use healthcode_core::trace::{ContactRecord, Interval};
use healthcode_core::{ResidentId, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{FieldError, parse_timestamp, parse_uuid, written_text};

/// An official's registration of a case.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct CaseRequest {
    /// A UUID chosen by the client; a resend with the same id is stored once.
    #[schema(format = Uuid)]
    pub case_id: String,
    /// The resident's 18-character ID number.
    #[schema(example = "330106199001011256")]
    pub resident_id: String,
    /// `suspected` or `confirmed`. A confirmed case is traced at once.
    #[schema(example = "confirmed")]
    pub status: String,
    /// Symptom onset, or the sample of the first positive test if that came first (RFC 3339,
    /// not later than now). The infectious window opens the policy's `infectious_before`
    /// earlier (2 days by default).
    pub onset: String,
    /// When the resident was isolated (RFC 3339, not later than now); the window closes then.
    /// Default: now.
    #[serde(default)]
    pub isolated_at: Option<String>,
}

impl fmt::Debug for CaseRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaseRequest")
            .field("case_id", &self.case_id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// A case registration, checked.
#[derive(Clone, PartialEq, Eq)]
pub struct NewCase {
    pub id: CaseId,
    pub resident_id: ResidentId,
    pub status: CaseStatus,
    pub onset: Timestamp,
    pub isolated_at: Timestamp,
}

impl fmt::Debug for NewCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewCase")
            .field("id", &self.id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl CaseRequest {
    /// The case as registered at `now`.
    pub fn parse(&self, now: Timestamp) -> Result<NewCase, FieldError> {
        Ok(NewCase {
            id: parse_uuid("case_id", &self.case_id).map(CaseId::from_uuid)?,
            resident_id: ResidentId::parse(self.resident_id.trim())
                .map_err(|e| FieldError::new("resident_id", e))?,
            status: CaseStatus::parse(self.status.trim())
                .map_err(|e| FieldError::new("status", e))?,
            onset: past_time("onset", &self.onset, now)?,
            isolated_at: match &self.isolated_at {
                Some(text) => past_time("isolated_at", text, now)?,
                None => now,
            },
        })
    }
}

fn past_time(field: &str, text: &str, now: Timestamp) -> Result<Timestamp, FieldError> {
    let at = parse_timestamp(field, text)?;
    if at > now {
        return Err(FieldError::new(
            field,
            format_args!("should not be in the future (it is now {now})"),
        ));
    }
    Ok(at)
}

/// The answer to a case registration.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CaseResponse {
    pub case_id: Uuid,
    pub person_id: Uuid,
    /// True when this case id had already been registered; nothing changed.
    pub duplicate: bool,
    /// What tracing found, for a confirmed case.
    pub trace: Option<TraceResponse>,
}

/// The infectious window of a case, `[from, to)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WindowView {
    pub from: Timestamp,
    pub to: Timestamp,
}

impl From<Interval> for WindowView {
    fn from(window: Interval) -> WindowView {
        WindowView {
            from: window.from(),
            to: window.to(),
        }
    }
}

/// What tracing a case found, and every contact recorded for it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TraceResponse {
    pub case_id: Uuid,
    pub person_id: Uuid,
    /// The infectious window; absent when the case was isolated before it opened.
    pub window: Option<WindowView>,
    /// Contacts this tracing found that had not been recorded before; they were rated again.
    pub new_contacts: u64,
    /// Every contact recorded for the case, close ones first.
    pub contacts: Vec<ContactView>,
}

/// The contacts recorded for a case.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactList {
    pub case_id: Uuid,
    pub contacts: Vec<ContactView>,
}

/// A contact with its evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ContactView {
    pub contact_id: Uuid,
    pub person_id: Uuid,
    /// `close` or `secondary`.
    pub degree: String,
    /// `venue`, `trip`, `household` or `nearby`.
    pub setting: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trip_id: Option<Uuid>,
    pub first_exposure: Timestamp,
    pub last_exposure: Timestamp,
    /// How long they were together, in whole minutes (rounded down).
    pub together_minutes: i64,
    pub found_at: Timestamp,
    /// For a secondary contact: the close contact they met.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via_person_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dismissal: Option<DismissalView>,
}

/// An official's dismissal of a contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DismissalView {
    pub at: Timestamp,
    /// The official's staff id; absent when dismissed from the command line.
    pub by: Option<Uuid>,
    pub reason: String,
}

impl From<&ContactRecord> for ContactView {
    fn from(record: &ContactRecord) -> ContactView {
        let contact = &record.contact;
        let (setting, venue_id, trip_id) = match contact.setting {
            ContactSetting::Venue(venue) => ("venue", Some(venue.as_uuid()), None),
            ContactSetting::Trip(trip) => ("trip", None, Some(trip.as_uuid())),
            ContactSetting::Household => ("household", None, None),
            ContactSetting::Nearby => ("nearby", None, None),
        };
        ContactView {
            contact_id: contact.contact.as_uuid(),
            person_id: record.person.as_uuid(),
            degree: contact.degree.code().to_owned(),
            setting: setting.to_owned(),
            venue_id,
            trip_id,
            first_exposure: contact.first_exposure,
            last_exposure: contact.last_exposure,
            together_minutes: contact.together.as_mins(),
            found_at: contact.found_at,
            via_person_id: record.via.map(|via| via.as_uuid()),
            dismissal: record.dismissal.as_ref().map(|dismissal| DismissalView {
                at: dismissal.at,
                by: dismissal.by.map(|by| by.as_uuid()),
                reason: dismissal.reason.clone(),
            }),
        }
    }
}

/// An official's dismissal of a contact.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct DismissalRequest {
    /// Why the contact is not one, written for the resident: 1 to 2,000 characters.
    pub reason: String,
}

impl fmt::Debug for DismissalRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DismissalRequest").finish_non_exhaustive()
    }
}

impl DismissalRequest {
    pub fn parse(&self) -> Result<String, FieldError> {
        written_text("reason", &self.reason)
    }
}

/// The answer to a dismissal.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DismissalResponse {
    pub contact_id: Uuid,
    pub person_id: Uuid,
    /// The resident's colour after the dismissal.
    pub colour: String,
}

/// The answer to a release.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReleaseResponse {
    pub case_id: Uuid,
    pub person_id: Uuid,
}

/// Parses a path's contact id.
pub fn parse_contact_id(text: &str) -> Result<ContactId, FieldError> {
    parse_uuid("contact_id", text).map(ContactId::from_uuid)
}

/// Parses a path's case id.
pub fn parse_case_id(text: &str) -> Result<CaseId, FieldError> {
    parse_uuid("case_id", text).map(CaseId::from_uuid)
}
