//! The JSON shapes of the HTTP API and their conversion into domain types.
//!
//! Requests carry text exactly as clients (or CSV files) send it; converting a request into a
//! domain type is where input is checked, and every error names the field to fix. Responses are
//! built from domain types. Domain types never derive `Serialize`: this module is the only place
//! that decides what goes over the wire.
//!
//! This module must never touch the store or hold business rules beyond parsing; a request's
//! `Debug` output never shows personal data or secrets.

use std::collections::BTreeSet;
use std::fmt;

use healthcode_core::rating::PolicyError;
use healthcode_core::{
    Actor, AuditAction, AuditRecord, CheckIn, CheckInSource, Date, Declaration, DeclarationError,
    EventId, GeoPoint, OpeningHours, Person, PersonId, PersonName, PhoneNumber, Purpose,
    RegionCode, ResidentId, Role, StaffAccount, Symptom, Temperature, Timestamp, TravelEntry,
    Venue, VenueId, VenueKind,
};
use healthcode_store::{AuditChainReport, AuditQuery, IngestReport};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

mod cases;
mod consent;
mod dashboard;
mod feeds;
mod pass;
mod phone;
mod rating;
mod venue;

pub use cases::*;
pub use consent::*;
pub use dashboard::*;
pub use feeds::*;
pub use pass::*;
pub use phone::*;
pub use rating::*;
pub use venue::*;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// A problem with one field of a request: which field, and what to fix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// The field, as a path into the request: `resident_id`, `travel[0].from`.
    pub field: String,
    /// What is wrong and what would be right.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl fmt::Display) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A problem with one field of one row of a batch or a CSV file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RowError {
    /// The row's position, counted from 0 (in a CSV file, the first row after the header).
    pub index: usize,
    /// In an uploaded CSV file: the line the row is on, the header being line 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub field: String,
    pub message: String,
}

impl RowError {
    pub fn new(index: usize, field: impl Into<String>, message: impl fmt::Display) -> RowError {
        RowError {
            index,
            line: None,
            field: field.into(),
            message: message.to_string(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}: {}", self.field, self.message),
            None => write!(f, "row {}: {}: {}", self.index, self.field, self.message),
        }
    }
}

/// One problem in an uploaded policy file, where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PolicyErrorView {
    /// Counted from 1.
    pub line: usize,
    /// Counted from 1, in characters.
    pub column: usize,
    pub message: String,
}

impl From<&PolicyError> for PolicyErrorView {
    fn from(error: &PolicyError) -> PolicyErrorView {
        PolicyErrorView {
            line: error.line,
            column: error.column,
            message: error.message.clone(),
        }
    }
}

/// The body of every error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable snake_case code, e.g. `already_enrolled`.
    #[schema(example = "invalid_field")]
    pub code: String,
    /// What to fix, for a human.
    #[schema(example = "resident_id: check digit should be 6, found 4")]
    pub message: String,
    /// The request field the error is about, if it is about one.
    pub field: Option<String>,
    /// For batches: every invalid row.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<RowError>,
    /// For an invalid policy file: every problem, with its line and column.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy_errors: Vec<PolicyErrorView>,
}

/// The body of the probes' answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusResponse {
    #[schema(example = "ok")]
    pub status: String,
}

// ---------------------------------------------------------------------------------------------
// Sessions and staff
// ---------------------------------------------------------------------------------------------

/// A staff member's sign-in.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    #[schema(example = "official.li")]
    pub username: String,
    pub password: String,
}

impl fmt::Debug for SessionRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRequest")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// A bearer token for `Authorization: Bearer …`, shown once.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionResponse {
    pub token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    #[schema(example = "health_official")]
    pub role: String,
    pub expires_at: Timestamp,
}

impl fmt::Debug for SessionResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionResponse")
            .field("role", &self.role)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A new staff account.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStaffRequest {
    #[schema(example = "official.li")]
    pub username: String,
    /// At least 12 characters.
    pub password: String,
    #[schema(example = "health_official")]
    pub role: String,
}

impl fmt::Debug for CreateStaffRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateStaffRequest")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl CreateStaffRequest {
    /// The requested role; a resident cannot hold a staff account.
    pub fn role(&self) -> Result<Role, FieldError> {
        match Role::parse(&self.role) {
            Ok(Role::Resident) | Err(_) => Err(FieldError::new(
                "role",
                format_args!(
                    "should be one of: {}",
                    Role::STAFF.map(Role::code).join(", ")
                ),
            )),
            Ok(role) => Ok(role),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct StaffView {
    pub staff_id: Uuid,
    pub username: String,
    pub role: String,
    pub created_at: Timestamp,
}

impl From<&StaffAccount> for StaffView {
    fn from(account: &StaffAccount) -> StaffView {
        StaffView {
            staff_id: account.id.as_uuid(),
            username: account.username.to_string(),
            role: account.role.code().to_owned(),
            created_at: account.created_at,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Residents
// ---------------------------------------------------------------------------------------------

/// A resident's enrolment.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// A UUID chosen by the client; a resend gets 200, the same person and a new device token.
    #[schema(format = Uuid, example = "2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04")]
    pub event_id: String,
    /// The 18-character resident ID number.
    #[schema(example = "330106199001011256")]
    pub resident_id: String,
    #[schema(example = "张三明")]
    pub name: String,
    #[schema(example = "13800138000")]
    pub phone: String,
}

impl fmt::Debug for EnrolRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrolRequest")
            .field("event_id", &self.event_id)
            .finish_non_exhaustive()
    }
}

/// An enrolment request that has been checked: every part is valid.
#[derive(Clone, Debug)]
pub struct NewResident {
    pub event_id: EventId,
    pub resident_id: ResidentId,
    pub name: PersonName,
    pub phone: PhoneNumber,
}

impl TryFrom<EnrolRequest> for NewResident {
    type Error = FieldError;

    fn try_from(request: EnrolRequest) -> Result<NewResident, FieldError> {
        Ok(NewResident {
            event_id: parse_event_id("event_id", &request.event_id)?,
            resident_id: ResidentId::parse(&request.resident_id)
                .map_err(|e| FieldError::new("resident_id", e))?,
            name: PersonName::parse(&request.name).map_err(|e| FieldError::new("name", e))?,
            phone: PhoneNumber::parse(&request.phone).map_err(|e| FieldError::new("phone", e))?,
        })
    }
}

/// What an enrolled resident's device keeps. The device token is shown only in this response.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct EnrolResponse {
    pub person_id: Uuid,
    /// The bearer token of the resident's device, for `Authorization: Bearer …`.
    pub device_token: String,
    #[schema(example = "330106********1256")]
    pub masked_resident_id: String,
}

impl fmt::Debug for EnrolResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrolResponse")
            .field("person_id", &self.person_id)
            .field("masked_resident_id", &self.masked_resident_id)
            .finish_non_exhaustive()
    }
}

/// A resident's profile. The resident ID number is only ever shown masked.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct Profile {
    pub person_id: Uuid,
    #[schema(example = "330106********1256")]
    pub masked_resident_id: String,
    pub name: String,
    pub phone: String,
    /// Only the year: the full birth date would reveal the digits the mask hides.
    pub birth_year: i16,
    /// The region code of the ID number's issuing district.
    #[schema(example = "330106")]
    pub region: String,
    pub enrolled_at: Timestamp,
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("person_id", &self.person_id)
            .finish_non_exhaustive()
    }
}

impl From<&Person> for Profile {
    fn from(person: &Person) -> Profile {
        Profile {
            person_id: person.id.as_uuid(),
            masked_resident_id: person.resident_id.masked(),
            name: person.name.as_str().to_owned(),
            phone: person.phone.as_str().to_owned(),
            birth_year: person.resident_id.birth_date().year(),
            region: person.resident_id.region().to_string(),
            enrolled_at: person.enrolled_at,
        }
    }
}

/// Why a health official reads a resident's record. Required.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PurposeQuery {
    /// The purpose of the access: `case_investigation`.
    #[param(example = "case_investigation")]
    pub purpose: Option<String>,
}

impl PurposeQuery {
    /// The named purpose, which must be one of `allowed`.
    pub fn purpose(&self, allowed: &[Purpose]) -> Result<Purpose, FieldError> {
        let codes = allowed
            .iter()
            .map(|p| p.code())
            .collect::<Vec<_>>()
            .join(", ");
        let text = self.purpose.as_deref().ok_or_else(|| {
            FieldError::new(
                "purpose",
                format_args!("is required; say why you read this record: {codes}"),
            )
        })?;
        Purpose::parse(text)
            .ok()
            .filter(|purpose| allowed.contains(purpose))
            .ok_or_else(|| FieldError::new("purpose", format_args!("should be one of: {codes}")))
    }
}

// ---------------------------------------------------------------------------------------------
// Declarations
// ---------------------------------------------------------------------------------------------

/// A health declaration by the signed-in resident.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationRequest {
    /// A UUID chosen by the client; a resend with the same id is stored once.
    #[schema(format = Uuid)]
    pub event_id: String,
    /// Codes from the symptom vocabulary, e.g. `dry_cough`.
    #[serde(default)]
    pub symptoms: Vec<String>,
    #[schema(example = 36.6)]
    pub temperature_celsius: Option<f64>,
    #[serde(default)]
    pub travel: Vec<TravelRequest>,
}

/// A stay in a region, both dates included.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TravelRequest {
    #[schema(example = "420100")]
    pub region: String,
    #[schema(example = "2026-02-01")]
    pub from: String,
    #[schema(example = "2026-02-03")]
    pub to: String,
}

impl DeclarationRequest {
    /// The declaration of `person` made at `declared_at`.
    pub fn into_declaration(
        self,
        person: PersonId,
        declared_at: Timestamp,
    ) -> Result<Declaration, FieldError> {
        let event_id = parse_event_id("event_id", &self.event_id)?;
        let symptoms = self
            .symptoms
            .iter()
            .enumerate()
            .map(|(index, code)| {
                Symptom::parse(code).map_err(|e| {
                    FieldError::new(format!("symptoms[{index}]"), format_args!("\"{code}\" {e}"))
                })
            })
            .collect::<Result<BTreeSet<Symptom>, FieldError>>()?;
        let temperature = self
            .temperature_celsius
            .map(Temperature::from_celsius)
            .transpose()
            .map_err(|e| FieldError::new("temperature_celsius", e))?;
        let travel = self
            .travel
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                Ok(TravelEntry {
                    region: RegionCode::parse(&entry.region)
                        .map_err(|e| FieldError::new(format!("travel[{index}].region"), e))?,
                    from: parse_date(&format!("travel[{index}].from"), &entry.from)?,
                    to: parse_date(&format!("travel[{index}].to"), &entry.to)?,
                })
            })
            .collect::<Result<Vec<TravelEntry>, FieldError>>()?;
        Declaration::new(event_id, person, declared_at, symptoms, temperature, travel).map_err(
            |e| match e {
                DeclarationError::TravelPeriod { index } => {
                    FieldError::new(format!("travel[{index}].from"), "should be on or before to")
                }
                DeclarationError::TooMuchTravel => FieldError::new("travel", e),
            },
        )
    }
}

/// The answer to a write: whether it was stored now or had been stored before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WriteResponse {
    pub event_id: Uuid,
    /// True when this event id had already been stored; nothing changed.
    pub duplicate: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DeclarationView {
    pub event_id: Uuid,
    pub declared_at: Timestamp,
    pub symptoms: Vec<String>,
    pub temperature_celsius: Option<f64>,
    pub travel: Vec<TravelView>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TravelView {
    pub region: String,
    pub from: Date,
    pub to: Date,
}

impl From<&Declaration> for DeclarationView {
    fn from(declaration: &Declaration) -> DeclarationView {
        DeclarationView {
            event_id: declaration.event_id().as_uuid(),
            declared_at: declaration.declared_at(),
            symptoms: declaration
                .symptoms()
                .iter()
                .map(|s| s.code().to_owned())
                .collect(),
            temperature_celsius: declaration.temperature().map(Temperature::celsius),
            travel: declaration
                .travel()
                .iter()
                .map(|entry| TravelView {
                    region: entry.region.to_string(),
                    from: entry.from,
                    to: entry.to,
                })
                .collect(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DeclarationList {
    /// Oldest first.
    pub declarations: Vec<DeclarationView>,
}

// ---------------------------------------------------------------------------------------------
// Venues
// ---------------------------------------------------------------------------------------------

/// A venue's registration. Venues are not personal data.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VenueRequest {
    /// A UUID chosen by the client; it is printed in the venue's QR poster.
    #[schema(format = Uuid)]
    pub venue_id: String,
    #[schema(example = "Wulin Square Noodles")]
    pub name: String,
    #[schema(example = "restaurant")]
    pub kind: String,
    /// The district's six-digit region code.
    #[schema(example = "330106")]
    pub district: String,
    #[schema(example = 30.27)]
    pub latitude: f64,
    #[schema(example = 120.16)]
    pub longitude: f64,
    #[schema(example = "Mo-Fr 09:00-21:00; Sa,Su 10:00-22:00")]
    pub opening_hours: String,
}

/// The longest venue name accepted.
pub const MAX_VENUE_NAME_CHARACTERS: usize = 100;

impl VenueRequest {
    /// The venue as registered at `registered_at`.
    pub fn into_venue(self, registered_at: Timestamp) -> Result<Venue, FieldError> {
        let id = parse_uuid("venue_id", &self.venue_id).map(VenueId::from_uuid)?;
        let name = self.name.trim();
        if name.is_empty()
            || name.chars().count() > MAX_VENUE_NAME_CHARACTERS
            || name.chars().any(char::is_control)
        {
            return Err(FieldError::new(
                "name",
                format_args!("should be 1 to {MAX_VENUE_NAME_CHARACTERS} printable characters"),
            ));
        }
        let kind = VenueKind::parse(&self.kind).map_err(|e| FieldError::new("kind", e))?;
        let district =
            RegionCode::parse(&self.district).map_err(|e| FieldError::new("district", e))?;
        let location = GeoPoint::new(self.latitude, self.longitude).map_err(|e| match e {
            healthcode_core::GeoPointError::Latitude => {
                FieldError::new("latitude", "should be between -90 and 90 degrees")
            }
            healthcode_core::GeoPointError::Longitude => {
                FieldError::new("longitude", "should be between -180 and 180 degrees")
            }
        })?;
        let opening_hours = OpeningHours::parse(&self.opening_hours)
            .map_err(|e| FieldError::new("opening_hours", e))?;
        Ok(Venue {
            id,
            name: name.to_owned(),
            kind,
            district,
            location,
            opening_hours,
            registered_at,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RegisteredVenue {
    pub venue_id: Uuid,
    /// True when this venue id had already been registered; nothing changed.
    pub duplicate: bool,
}

/// A venue as shown on its poster.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VenueView {
    pub venue_id: Uuid,
    pub name: String,
    pub kind: String,
    pub district: String,
    pub latitude: f64,
    pub longitude: f64,
    pub opening_hours: String,
    pub registered_at: Timestamp,
}

impl From<&Venue> for VenueView {
    fn from(venue: &Venue) -> VenueView {
        VenueView {
            venue_id: venue.id.as_uuid(),
            name: venue.name.clone(),
            kind: venue.kind.code().to_owned(),
            district: venue.district.to_string(),
            latitude: venue.location.latitude(),
            longitude: venue.location.longitude(),
            opening_hours: venue.opening_hours.to_string(),
            registered_at: venue.registered_at,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Check-ins
// ---------------------------------------------------------------------------------------------

/// One check-in. Flat, and all text, so that a CSV row with the same header deserializes into
/// it and every bad field of every row can be reported at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInRequest {
    /// A UUID chosen by the client that saw the visit; a resend with the same id is stored
    /// once. Use time-ordered UUIDs (version 7): they keep bulk ingest fast. Any version works.
    #[schema(format = Uuid, example = "019a8b6e-3c40-7d2e-9f3a-5d2b8c7e1a04")]
    pub event_id: String,
    #[schema(format = Uuid)]
    pub venue_id: String,
    #[schema(format = Uuid)]
    pub person_id: String,
    /// RFC 3339, e.g. `2026-02-10T09:00:00+08:00`.
    #[schema(example = "2026-02-10T09:00:00+08:00")]
    pub entered: String,
    /// RFC 3339; absent or empty when the person has not left (yet).
    #[serde(default)]
    pub left: Option<String>,
    /// `venue_scans_person`, `person_scans_venue` or `checkpoint`.
    #[schema(example = "person_scans_venue")]
    pub source: String,
}

impl TryFrom<&CheckInRequest> for CheckIn {
    /// Every bad field of the row, not only the first.
    type Error = Vec<FieldError>;

    fn try_from(request: &CheckInRequest) -> Result<CheckIn, Vec<FieldError>> {
        fn keep<T>(errors: &mut Vec<FieldError>, result: Result<T, FieldError>) -> Option<T> {
            result.map_err(|error| errors.push(error)).ok()
        }
        let mut errors = Vec::new();
        let event_id = keep(&mut errors, parse_event_id("event_id", &request.event_id));
        let venue = keep(
            &mut errors,
            parse_uuid("venue_id", &request.venue_id).map(VenueId::from_uuid),
        );
        let person = keep(
            &mut errors,
            parse_uuid("person_id", &request.person_id).map(PersonId::from_uuid),
        );
        let entered = keep(&mut errors, parse_timestamp("entered", &request.entered));
        let left = keep(
            &mut errors,
            match request.left.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(text) => parse_timestamp("left", text).map(Some),
            },
        );
        let source = keep(
            &mut errors,
            CheckInSource::parse(request.source.trim()).map_err(|e| FieldError::new("source", e)),
        );
        let (Some(event_id), Some(venue), Some(person), Some(entered), Some(left), Some(source)) =
            (event_id, venue, person, entered, left, source)
        else {
            return Err(errors);
        };
        CheckIn::new(event_id, venue, person, entered, left, source)
            .map_err(|e| vec![FieldError::new("left", e)])
    }
}

/// The request that would record `check_in`: for clients, load generators and exports.
impl From<&CheckIn> for CheckInRequest {
    fn from(check_in: &CheckIn) -> CheckInRequest {
        CheckInRequest {
            event_id: check_in.event_id().to_string(),
            venue_id: check_in.venue().to_string(),
            person_id: check_in.person().to_string(),
            entered: check_in.entered().to_string(),
            left: check_in.left().map(|left| left.to_string()),
            source: check_in.source().code().to_owned(),
        }
    }
}

/// Converts rows of a batch or a CSV file into check-ins, or reports every invalid field of
/// every row (rows counted from 0). Used by `POST /v1/check-ins/batch` and `healthcode import`.
pub fn check_ins_from_requests(rows: Vec<CheckInRequest>) -> Result<Vec<CheckIn>, Vec<RowError>> {
    let mut check_ins = Vec::with_capacity(rows.len());
    let mut errors = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        match CheckIn::try_from(row) {
            Ok(check_in) => check_ins.push(check_in),
            Err(field_errors) => errors.extend(
                field_errors
                    .into_iter()
                    .map(|e| RowError::new(index, e.field, e.message)),
            ),
        }
    }
    if errors.is_empty() {
        Ok(check_ins)
    } else {
        Err(errors)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckInView {
    pub event_id: Uuid,
    pub venue_id: Uuid,
    pub person_id: Uuid,
    pub entered: Timestamp,
    pub left: Option<Timestamp>,
    pub source: String,
}

impl From<&CheckIn> for CheckInView {
    fn from(check_in: &CheckIn) -> CheckInView {
        CheckInView {
            event_id: check_in.event_id().as_uuid(),
            venue_id: check_in.venue().as_uuid(),
            person_id: check_in.person().as_uuid(),
            entered: check_in.entered(),
            left: check_in.left(),
            source: check_in.source().code().to_owned(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckInList {
    /// By time entered.
    pub check_ins: Vec<CheckInView>,
}

/// Check-ins delivered in bulk by a venue or a checkpoint.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    pub events: Vec<CheckInRequest>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BatchResponse {
    pub received: u64,
    pub stored: u64,
    pub duplicates: u64,
}

impl BatchResponse {
    pub fn new(received: usize, report: IngestReport) -> BatchResponse {
        BatchResponse {
            received: received as u64,
            stored: report.stored,
            duplicates: report.duplicates,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Audit
// ---------------------------------------------------------------------------------------------

/// Filters of an audit log read. All are optional; absent ones match everything.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQueryParams {
    /// The person whose data was touched.
    pub subject: Option<String>,
    /// A purpose code, e.g. `case_investigation`.
    pub purpose: Option<String>,
    /// An action code, e.g. `read_person`.
    pub action: Option<String>,
    /// RFC 3339; records at or after this time.
    pub since: Option<String>,
    /// RFC 3339; records before this time.
    pub until: Option<String>,
    /// Only records with a higher sequence number (for paging).
    pub after_sequence: Option<String>,
    /// At most this many records (capped at 10,000).
    pub limit: Option<String>,
}

impl TryFrom<AuditQueryParams> for AuditQuery {
    type Error = FieldError;

    fn try_from(params: AuditQueryParams) -> Result<AuditQuery, FieldError> {
        fn optional<T>(
            text: Option<String>,
            parse: impl FnOnce(&str) -> Result<T, FieldError>,
        ) -> Result<Option<T>, FieldError> {
            text.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(parse)
                .transpose()
        }
        Ok(AuditQuery {
            subject: optional(params.subject, |t| {
                parse_uuid("subject", t).map(PersonId::from_uuid)
            })?,
            purpose: optional(params.purpose, |t| {
                Purpose::parse(t).map_err(|e| FieldError::new("purpose", e))
            })?,
            action: optional(params.action, |t| {
                AuditAction::parse(t).map_err(|e| FieldError::new("action", e))
            })?,
            since: optional(params.since, |t| parse_timestamp("since", t))?,
            until: optional(params.until, |t| parse_timestamp("until", t))?,
            after_sequence: optional(params.after_sequence, |t| {
                t.parse()
                    .map_err(|_| FieldError::new("after_sequence", "should be a whole number"))
            })?,
            limit: optional(params.limit, |t| {
                t.parse::<u32>()
                    .ok()
                    .filter(|limit| (1..=AuditQuery::MAX_LIMIT).contains(limit))
                    .ok_or_else(|| {
                        FieldError::new(
                            "limit",
                            format_args!(
                                "should be a whole number from 1 to {}",
                                AuditQuery::MAX_LIMIT
                            ),
                        )
                    })
            })?,
        })
    }
}

/// On whose behalf an access was made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ActorView {
    /// `public`, `resident`, `staff` or `local_operator`.
    pub kind: String,
    pub person_id: Option<Uuid>,
    pub staff_id: Option<Uuid>,
    pub role: Option<String>,
}

impl From<&Actor> for ActorView {
    fn from(actor: &Actor) -> ActorView {
        let role = actor.role().map(|role| role.code().to_owned());
        match actor {
            Actor::Public => ActorView {
                kind: "public".into(),
                person_id: None,
                staff_id: None,
                role,
            },
            Actor::Resident(person) => ActorView {
                kind: "resident".into(),
                person_id: Some(person.as_uuid()),
                staff_id: None,
                role,
            },
            Actor::Staff { id, .. } => ActorView {
                kind: "staff".into(),
                person_id: None,
                staff_id: Some(id.as_uuid()),
                role,
            },
            Actor::LocalOperator => ActorView {
                kind: "local_operator".into(),
                person_id: None,
                staff_id: None,
                role,
            },
            Actor::System => ActorView {
                kind: "system".into(),
                person_id: None,
                staff_id: None,
                role,
            },
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditRecordView {
    pub sequence: u64,
    pub at: Timestamp,
    pub actor: ActorView,
    pub purpose: String,
    pub action: String,
    pub subject: Option<Uuid>,
    pub records: u64,
    pub outcome: String,
    /// The record's chain hash, hexadecimal.
    pub hash: String,
}

impl From<&AuditRecord> for AuditRecordView {
    fn from(record: &AuditRecord) -> AuditRecordView {
        AuditRecordView {
            sequence: record.sequence,
            at: record.at,
            actor: ActorView::from(&record.actor),
            purpose: record.purpose.code().to_owned(),
            action: record.action.code().to_owned(),
            subject: record.subject.map(|person| person.as_uuid()),
            records: record.records,
            outcome: record.outcome.code().to_owned(),
            hash: record
                .hash
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditLog {
    /// Oldest first.
    pub records: Vec<AuditRecordView>,
}

/// One access to the signed-in resident's data, as they see it: when, by whom, why, what, and
/// how it ended. Staff are named by their role only, never by their account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OwnAccessRecordView {
    /// The record's place in the audit log, for questions about it.
    pub sequence: u64,
    pub at: Timestamp,
    /// `you`, `staff`, `resident` (another resident, refused), `system` (healthcode applying
    /// the active policy), `public` (enrolment) or `local_operator` (the command line).
    #[schema(example = "staff")]
    pub by: String,
    /// The role of `staff`, e.g. `health_official`.
    pub role: Option<String>,
    #[schema(example = "case_investigation")]
    pub purpose: String,
    #[schema(example = "read_facts")]
    pub action: String,
    pub records: u64,
    #[schema(example = "success")]
    pub outcome: String,
}

impl OwnAccessRecordView {
    /// The record as `viewer`, its subject, sees it.
    pub fn new(record: &AuditRecord, viewer: PersonId) -> OwnAccessRecordView {
        let (by, role) = match record.actor {
            Actor::Resident(person) if person == viewer => ("you", None),
            Actor::Resident(_) => ("resident", None),
            Actor::Staff { role, .. } => ("staff", Some(role.code().to_owned())),
            Actor::Public => ("public", None),
            Actor::LocalOperator => ("local_operator", None),
            Actor::System => ("system", None),
        };
        OwnAccessRecordView {
            sequence: record.sequence,
            at: record.at,
            by: by.to_owned(),
            role,
            purpose: record.purpose.code().to_owned(),
            action: record.action.code().to_owned(),
            records: record.records,
            outcome: record.outcome.code().to_owned(),
        }
    }
}

/// The accesses to the signed-in resident's data.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OwnAccessLog {
    /// The first moment covered: the log answers the last [`OWN_ACCESS_LOG_DAYS`] days.
    pub since: Timestamp,
    /// Oldest first.
    pub records: Vec<OwnAccessRecordView>,
}

/// How many days back a resident's own access log reaches.
pub const OWN_ACCESS_LOG_DAYS: i64 = 90;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditChainView {
    pub records: u64,
    /// The sequence number of the first record whose hash does not match, if any.
    pub first_break: Option<u64>,
    pub intact: bool,
}

impl From<&AuditChainReport> for AuditChainView {
    fn from(report: &AuditChainReport) -> AuditChainView {
        AuditChainView {
            records: report.records,
            first_break: report.first_break,
            intact: report.first_break.is_none(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Field parsers
// ---------------------------------------------------------------------------------------------

pub(crate) fn parse_event_id(field: &str, text: &str) -> Result<EventId, FieldError> {
    text.trim().parse().map_err(|e| FieldError::new(field, e))
}

/// Parses a UUID path parameter or field, naming it on failure.
pub fn parse_uuid(field: &str, text: &str) -> Result<Uuid, FieldError> {
    Uuid::parse_str(text.trim()).map_err(|_| {
        FieldError::new(
            field,
            "should be a UUID such as 2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04",
        )
    })
}

pub(crate) fn parse_timestamp(field: &str, text: &str) -> Result<Timestamp, FieldError> {
    text.trim().parse().map_err(|_| {
        FieldError::new(
            field,
            "should be an RFC 3339 time with an offset, such as 2026-02-10T09:00:00+08:00",
        )
    })
}

pub(crate) fn parse_date(field: &str, text: &str) -> Result<Date, FieldError> {
    text.trim()
        .parse()
        .map_err(|_| FieldError::new(field, "should be a date such as 2026-02-10"))
}

/// An offset from UTC as RFC 3339 writes it: `+08:00` (the API's answers and the pages'
/// scripts read it so).
pub fn offset_text(offset: jiff::tz::Offset) -> String {
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(event_id: &str, entered: &str, source: &str) -> CheckInRequest {
        CheckInRequest {
            event_id: event_id.into(),
            venue_id: "6f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04".into(),
            person_id: "7f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04".into(),
            entered: entered.into(),
            left: Some(String::new()),
            source: source.into(),
        }
    }

    #[test]
    fn batch_rows_report_every_bad_field_of_every_row() {
        let good = row(
            "2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04",
            "2026-02-10T09:00:00+08:00",
            "checkpoint",
        );
        let bad = row("nope", "yesterday", "pigeon");
        let errors = check_ins_from_requests(vec![good.clone(), bad, good]).unwrap_err();
        let found: Vec<(usize, &str)> =
            errors.iter().map(|e| (e.index, e.field.as_str())).collect();
        assert_eq!(found, [(1, "event_id"), (1, "entered"), (1, "source")]);
        assert!(errors[2].message.contains("checkpoint"));
    }

    #[test]
    fn a_check_in_converts_to_a_request_and_back_unchanged() {
        let request = row(
            "2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04",
            "2026-02-10T09:00:00.123Z",
            "person_scans_venue",
        );
        let check_in = CheckIn::try_from(&request).unwrap();
        assert_eq!(
            CheckIn::try_from(&CheckInRequest::from(&check_in)).unwrap(),
            check_in
        );
    }

    #[test]
    fn an_empty_left_column_means_not_left_yet() {
        let good = row(
            "2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04",
            "2026-02-10T09:00:00+08:00",
            "checkpoint",
        );
        let check_ins = check_ins_from_requests(vec![good]).unwrap();
        assert_eq!(check_ins[0].left(), None);
        assert_eq!(
            check_ins[0].entered(),
            "2026-02-10T01:00:00Z".parse::<Timestamp>().unwrap()
        );
    }

    #[test]
    fn a_csv_file_with_the_same_header_deserializes_into_check_in_requests() {
        let file = "event_id,venue_id,person_id,entered,left,source\n\
            2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04,6f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04,7f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04,2026-02-10T09:00:00+08:00,,checkpoint\n\
            3f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04,6f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04,7f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04,2026-02-10T09:00:00+08:00,2026-02-10T10:00:00+08:00,venue_scans_person\n";
        let rows: Vec<CheckInRequest> = csv::Reader::from_reader(file.as_bytes())
            .deserialize()
            .collect::<Result<_, _>>()
            .unwrap();
        let check_ins = check_ins_from_requests(rows).unwrap();
        assert_eq!(check_ins.len(), 2);
        assert_eq!(check_ins[0].left(), None);
        assert_eq!(check_ins[1].source(), CheckInSource::VenueScansPerson);
    }

    #[test]
    fn enrolment_errors_say_which_part_of_the_id_is_wrong() {
        let request = EnrolRequest {
            event_id: "2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04".into(),
            resident_id: "330106199001011254".into(),
            name: "张三明".into(),
            phone: "13800138000".into(),
        };
        let error = NewResident::try_from(request).unwrap_err();
        assert_eq!(error.field, "resident_id");
        assert_eq!(error.message, "check digit should be 6, found 4");
        assert!(!format!("{error:?}").contains("张三明"));
    }

    #[test]
    fn an_unknown_symptom_lists_the_vocabulary() {
        let request = DeclarationRequest {
            event_id: "2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04".into(),
            symptoms: vec!["fever".into(), "sneezing".into()],
            temperature_celsius: None,
            travel: vec![],
        };
        let error = request
            .into_declaration(
                PersonId::from_bytes([1; 16]),
                "2026-02-10T09:00:00Z".parse().unwrap(),
            )
            .unwrap_err();
        assert_eq!(error.field, "symptoms[1]");
        assert!(
            error
                .message
                .contains("\"sneezing\" should be one of: fever, dry_cough"),
            "{error}"
        );
    }

    #[test]
    fn audit_filters_name_the_field_that_does_not_parse() {
        let params = AuditQueryParams {
            limit: Some("0".into()),
            ..AuditQueryParams::default()
        };
        assert_eq!(AuditQuery::try_from(params).unwrap_err().field, "limit");
        let params = AuditQueryParams {
            action: Some("read_person".into()),
            ..AuditQueryParams::default()
        };
        assert_eq!(
            AuditQuery::try_from(params).unwrap().action,
            Some(AuditAction::ReadPerson)
        );
    }

    #[test]
    fn requests_with_personal_data_or_secrets_do_not_show_them_in_debug_output() {
        let request = SessionRequest {
            username: "official.li".into(),
            password: "hunter2hunter2".into(),
        };
        assert!(!format!("{request:?}").contains("hunter2"));
    }

    #[test]
    fn offsets_are_written_with_hours_and_minutes() {
        assert_eq!(offset_text(jiff::tz::Offset::constant(8)), "+08:00");
        assert_eq!(offset_text(jiff::tz::Offset::UTC), "+00:00");
        assert_eq!(
            offset_text(jiff::tz::Offset::from_seconds(-(3 * 3600 + 1800)).unwrap()),
            "-03:30"
        );
    }
}
