//! The JSON shapes of signed passes: a resident's pass, a checkpoint's scan and the verdict it
//! answers with, and a resident's check-in by a venue's poster code.
//!
//! A verdict shows what a checkpoint needs to compare the pass with the person: the colour,
//! the masked name and the birth year. A scan request's `Debug` never shows the pass or the
//! photo.

use std::fmt;

use healthcode_pass::{Contents, Invalid, PassClaims, Verified};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::WriteResponse;

/// How a pass is answered: as JSON, or as its QR code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PassFormat {
    /// The pass's text, colour and times.
    #[default]
    Json,
    /// The QR code as a PNG image.
    Png,
    /// The QR code as an SVG image.
    Svg,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PassQuery {
    /// `json` (the default), `png` or `svg`.
    #[param(inline)]
    pub format: Option<PassFormat>,
}

/// A resident's pass, freshly issued: the text their QR code holds, and what it says.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PassView {
    /// The QR code's text, starting `HCODE1:`.
    pub text: String,
    pub issuer: String,
    pub colour: String,
    /// When the colour runs out if nothing new happens.
    pub colour_valid_until: Option<Timestamp>,
    pub issued_at: Timestamp,
    /// Fetch a new pass before then.
    pub expires: Timestamp,
    /// The rating the pass shows: a checkpoint online refuses it once a newer rating exists.
    pub rating_version: u64,
}

impl PassView {
    pub fn new(text: &str, claims: &PassClaims) -> PassView {
        PassView {
            text: text.to_owned(),
            issuer: claims.issuer.clone(),
            colour: claims.colour.code().to_owned(),
            colour_valid_until: claims.colour_valid_until,
            issued_at: claims.issued_at,
            expires: claims.expires,
            rating_version: claims.rating_version,
        }
    }
}

/// A pass scanned at a checkpoint or a venue's door: its text, or a photo of its QR code.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    /// Where the scan happens: a registered venue (a gate or road checkpoint is registered as
    /// a venue of kind `highway_checkpoint`).
    #[schema(format = Uuid)]
    pub venue_id: String,
    /// The QR code's text (`HCODE1:…` or `HC1:…`). Give this or `image`.
    pub text: Option<String>,
    /// A photo of the QR code, PNG or JPEG, in standard Base64. Give this or `text`.
    pub image: Option<String>,
    /// A UUID chosen by the scanner for the visit it logs; a resend logs nothing new. A new
    /// one is made if absent.
    #[schema(format = Uuid)]
    pub event_id: Option<String>,
    /// The holder's temperature taken at the scan, in degrees Celsius (34.0 to 43.0). When the
    /// visit is logged it is kept as a daily health report on the holder, filed by the
    /// checkpoint, which the rating engine reads like any other (a fever turns them yellow
    /// under the default policy).
    #[serde(default)]
    #[schema(example = 36.6)]
    pub temperature: Option<f64>,
}

impl fmt::Debug for ScanRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScanRequest")
            .field("venue_id", &self.venue_id)
            .field("text", &self.text.as_ref().map(|_| "<pass>"))
            .field("image", &self.image.as_ref().map(|_| "<photo>"))
            .field("event_id", &self.event_id)
            .field("temperature", &self.temperature.map(|_| "<measured>"))
            .finish()
    }
}

/// A verdict: valid with the fields a checkpoint shows, or invalid with the step that failed.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VerdictView {
    pub valid: bool,
    /// Why it is invalid: `picture`, `prefix`, `base45`, `zlib`, `cose_structure`,
    /// `unknown_key`, `bad_signature`, `claims`, `key_usage`, `not_yet_valid`, `expired` or
    /// `revoked`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The reason in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The region whose trust list holds the signing key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The signing key's id, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// `health_code` or `eu_dcc`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub colour_valid_until: Option<Timestamp>,
    /// The holder's masked name, such as 张*明.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_year: Option<i16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<Timestamp>,
    /// An EU certificate's payload as JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<serde_json::Value>,
}

impl VerdictView {
    pub fn new(verdict: &Result<Verified, Invalid>) -> VerdictView {
        let mut view = VerdictView {
            valid: verdict.is_ok(),
            reason: None,
            message: None,
            issuer: None,
            kid: None,
            kind: None,
            colour: None,
            colour_valid_until: None,
            holder: None,
            birth_year: None,
            expires: None,
            certificate: None,
        };
        match verdict {
            Err(invalid) => {
                view.reason = Some(invalid.code().to_owned());
                view.message = Some(invalid.to_string());
            }
            Ok(verified) => {
                view.issuer = Some(verified.issuer.clone());
                view.kid = Some(verified.kid.clone());
                match &verified.contents {
                    Contents::HealthCode(claims) => {
                        view.kind = Some("health_code".to_owned());
                        view.colour = Some(claims.colour.code().to_owned());
                        view.colour_valid_until = claims.colour_valid_until;
                        view.holder = Some(claims.holder.masked_name.clone());
                        view.birth_year = Some(claims.holder.birth_year);
                        view.expires = Some(claims.expires);
                    }
                    Contents::Dcc(certificate) => {
                        view.kind = Some("eu_dcc".to_owned());
                        view.expires = Some(certificate.expires);
                        view.certificate = Some(certificate.certificate.clone());
                    }
                }
            }
        }
        view
    }
}

/// What a scan found, and whether the visit was logged.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ScanResponse {
    pub verdict: VerdictView,
    /// The visit logged as a check-in at the scan's venue, when the pass is valid and was
    /// issued here.
    pub check_in: Option<WriteResponse>,
    /// Why no visit was logged, when none was.
    pub not_logged: Option<String>,
    /// The temperature given, kept as a health report on the holder (reporter `checkpoint`,
    /// under the visit's event id), when the visit was logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature_report: Option<WriteResponse>,
    /// The holder's colour once the temperature was counted, when one was kept: it may differ
    /// from the colour the pass shows (a fever), and then a new pass shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour_now: Option<String>,
}

impl ScanResponse {
    /// The answer to a scan, from what it found.
    pub fn new(scanned: crate::pass_service::Scanned) -> ScanResponse {
        let (temperature_report, colour_now) = match scanned.temperature {
            Some((written, colour)) => (Some(written), Some(colour.code().to_owned())),
            None => (None, None),
        };
        ScanResponse {
            verdict: VerdictView::new(&scanned.verdict),
            not_logged: scanned.check_in.as_ref().err().map(|why| (*why).to_owned()),
            check_in: scanned.check_in.ok(),
            temperature_report,
            colour_now,
        }
    }
}

/// The temperature a scan took, checked: degrees Celsius within the range a person can have.
pub(crate) fn scan_temperature(
    request: &ScanRequest,
) -> Result<Option<healthcode_core::Temperature>, super::FieldError> {
    request
        .temperature
        .map(healthcode_core::Temperature::from_celsius)
        .transpose()
        .map_err(|error| super::FieldError::new("temperature", error))
}

/// The id of a visit a scan logs: the scanner's, or a new time-ordered one.
pub(crate) fn scan_event_id(
    request: &ScanRequest,
) -> Result<healthcode_core::EventId, super::FieldError> {
    match &request.event_id {
        Some(text) => super::parse_event_id("event_id", text),
        None => Ok(healthcode_core::EventId::from_uuid(Uuid::now_v7())
            .expect("a time-ordered UUID is never nil")),
    }
}

/// A resident's check-in at a venue, by the code on its poster.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VenueCheckInRequest {
    /// A UUID chosen by the device; a resend stores nothing new.
    #[schema(format = Uuid)]
    pub event_id: String,
    /// The text of the poster's QR code, starting `HCVENUE1:`.
    pub code: String,
}
