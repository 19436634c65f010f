//! The JSON (and CSV) shapes of the data feeds: laboratory results, pharmacy purchases and the
//! daily health reports of employers and residential communities.
//!
//! Rows are flat and all text, so that every bad field of every row can be reported at once,
//! by row and field (and, in a CSV file, by line). Rows name residents by their resident ID
//! number, which the server resolves to a person; `Debug` never shows it.

use std::collections::BTreeSet;
use std::fmt;

use healthcode_core::rating::{
    HealthReport, Medicine, PharmacyPurchase, Reporter, TestKind, TestOutcome, TestResult,
};
use healthcode_core::{
    EventId, HouseholdCode, ResidentId, Seat, Symptom, Temperature, Timestamp, TransitMode, Trip,
    TripId,
};
use healthcode_store::IngestReport;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{FieldError, RowError, parse_date, parse_event_id, parse_timestamp};
use crate::error::ApiError;

/// One row of a feed, checked: the resident it is about and the fact it reports.
#[derive(Clone, Debug)]
pub struct FeedRow<T> {
    pub index: usize,
    pub event_id: EventId,
    pub resident_id: ResidentId,
    pub fact: T,
}

/// Collects the field errors of one row while its fields are parsed.
pub(super) struct RowCheck {
    index: usize,
    errors: Vec<RowError>,
}

impl RowCheck {
    /// The value, or `None` with the error recorded.
    pub(super) fn keep<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|error| self.error(error)).ok()
    }

    pub(super) fn error(&mut self, error: FieldError) {
        self.errors
            .push(RowError::new(self.index, error.field, error.message));
    }
}

pub(super) fn parse_resident_id(text: &str) -> Result<ResidentId, FieldError> {
    ResidentId::parse(text.trim()).map_err(|e| FieldError::new("resident_id", e))
}

pub(super) fn not_after_now(
    field: &str,
    at: Timestamp,
    now: Timestamp,
) -> Result<Timestamp, FieldError> {
    if at > now {
        return Err(FieldError::new(
            field,
            format_args!("should not be later than now ({now}); check the sender's clock"),
        ));
    }
    Ok(at)
}

/// Converts rows with `check`, reporting every bad field of every row.
pub(super) fn check_rows<R, T>(
    rows: &[R],
    mut check: impl FnMut(&R, &mut RowCheck) -> Option<(EventId, ResidentId, T)>,
) -> (Vec<FeedRow<T>>, Vec<RowError>) {
    let mut checked = Vec::with_capacity(rows.len());
    let mut errors = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let mut row_check = RowCheck {
            index,
            errors: Vec::new(),
        };
        let result = check(row, &mut row_check);
        match result {
            Some((event_id, resident_id, fact)) if row_check.errors.is_empty() => {
                checked.push(FeedRow {
                    index,
                    event_id,
                    resident_id,
                    fact,
                });
            }
            _ => errors.extend(row_check.errors),
        }
    }
    (checked, errors)
}

/// Reads a body that is either one row or `{"<list>": [rows…]}`, naming the offending field
/// (`results[3].kind`) when the shape is wrong.
pub fn one_or_many<T: DeserializeOwned>(
    body: serde_json::Value,
    list: &'static str,
) -> Result<Vec<T>, ApiError> {
    let shape_error = |error: serde_path_to_error::Error<serde_json::Error>, prefix: &str| {
        let path = error.path().to_string();
        let path = match (prefix, path.as_str()) {
            ("", path) => path.to_owned(),
            (prefix, ".") => prefix.to_owned(),
            (prefix, path) if path.starts_with('[') => format!("{prefix}{path}"),
            (prefix, path) => format!("{prefix}.{path}"),
        };
        crate::extract::shape_error(&path, error.inner())
    };
    match body {
        serde_json::Value::Object(mut object) if object.contains_key(list) => {
            if object.len() > 1 {
                let other = object
                    .keys()
                    .find(|key| *key != list)
                    .cloned()
                    .unwrap_or_default();
                return Err(ApiError::InvalidBody {
                    message: format!("{other}: unknown field; a batch holds only `{list}`"),
                    field: Some(other),
                });
            }
            let rows = object.remove(list).unwrap_or_default();
            serde_path_to_error::deserialize(rows).map_err(|error| shape_error(error, list))
        }
        one => serde_path_to_error::deserialize(one)
            .map(|row| vec![row])
            .map_err(|error| shape_error(error, "")),
    }
}

/// What a feed upload did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FeedResponse {
    pub received: u64,
    pub stored: u64,
    /// Rows whose event id had been stored before; they changed nothing.
    pub duplicates: u64,
    /// Residents rated again because of the upload.
    pub people_rated: u64,
}

impl FeedResponse {
    pub fn new(received: usize, report: IngestReport, people_rated: u64) -> FeedResponse {
        FeedResponse {
            received: received as u64,
            stored: report.stored,
            duplicates: report.duplicates,
            people_rated,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Laboratory results
// ---------------------------------------------------------------------------------------------

/// One laboratory result.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabResultRow {
    /// A UUID chosen by the laboratory; a resend with the same id is stored once.
    #[schema(format = Uuid)]
    pub event_id: String,
    /// The tested resident's 18-character ID number.
    #[schema(example = "330106199001011256")]
    pub resident_id: String,
    /// `pcr` or `antigen`.
    #[schema(example = "pcr")]
    pub kind: String,
    /// `positive`, `negative` or `inconclusive`.
    #[schema(example = "negative")]
    pub outcome: String,
    /// When the sample was taken (RFC 3339).
    pub sampled_at: String,
    /// When the laboratory reported the result (RFC 3339), not later than now.
    pub reported_at: String,
}

impl fmt::Debug for LabResultRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LabResultRow")
            .field("event_id", &self.event_id)
            .finish_non_exhaustive()
    }
}

/// Laboratory results in bulk.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabResultBatch {
    pub results: Vec<LabResultRow>,
}

/// One result, or `{"results": […]}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum LabResultsRequest {
    Many(LabResultBatch),
    One(LabResultRow),
}

/// Checks laboratory rows received at `now`.
pub fn lab_results_from_rows(
    rows: &[LabResultRow],
    now: Timestamp,
) -> (Vec<FeedRow<TestResult>>, Vec<RowError>) {
    check_rows(rows, |row, check| {
        let event_id = check.keep(parse_event_id("event_id", &row.event_id));
        let resident_id = check.keep(parse_resident_id(&row.resident_id));
        let kind =
            check.keep(TestKind::parse(row.kind.trim()).map_err(|e| FieldError::new("kind", e)));
        let outcome = check.keep(
            TestOutcome::parse(row.outcome.trim()).map_err(|e| FieldError::new("outcome", e)),
        );
        let sampled_at = check.keep(parse_timestamp("sampled_at", &row.sampled_at));
        let reported_at = check.keep(
            parse_timestamp("reported_at", &row.reported_at)
                .and_then(|at| not_after_now("reported_at", at, now)),
        );
        if let (Some(sampled), Some(reported)) = (sampled_at, reported_at) {
            if sampled > reported {
                check.error(FieldError::new(
                    "sampled_at",
                    "should be on or before reported_at",
                ));
            }
        }
        let (event_id, resident_id) = (event_id?, resident_id?);
        Some((
            event_id,
            resident_id,
            TestResult {
                event_id,
                kind: kind?,
                outcome: outcome?,
                sampled_at: sampled_at?,
                reported_at: reported_at?,
            },
        ))
    })
}

// ---------------------------------------------------------------------------------------------
// Pharmacy purchases
// ---------------------------------------------------------------------------------------------

/// One pharmacy report of a purchase of fever or cough medicine.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PharmacyPurchaseRow {
    /// A UUID chosen by the pharmacy; a resend with the same id is stored once.
    #[schema(format = Uuid)]
    pub event_id: String,
    /// The buyer's 18-character ID number.
    #[schema(example = "330106199001011256")]
    pub resident_id: String,
    /// `fever_reducer`, `cough_medicine` or `antiviral`.
    #[schema(example = "fever_reducer")]
    pub medicine: String,
    /// RFC 3339, not later than now.
    pub purchased_at: String,
}

impl fmt::Debug for PharmacyPurchaseRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PharmacyPurchaseRow")
            .field("event_id", &self.event_id)
            .finish_non_exhaustive()
    }
}

/// Pharmacy reports in bulk.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PharmacyPurchaseBatch {
    pub purchases: Vec<PharmacyPurchaseRow>,
}

/// One purchase, or `{"purchases": […]}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum PharmacyPurchasesRequest {
    Many(PharmacyPurchaseBatch),
    One(PharmacyPurchaseRow),
}

/// Checks pharmacy rows received at `now`.
pub fn pharmacy_purchases_from_rows(
    rows: &[PharmacyPurchaseRow],
    now: Timestamp,
) -> (Vec<FeedRow<PharmacyPurchase>>, Vec<RowError>) {
    check_rows(rows, |row, check| {
        let event_id = check.keep(parse_event_id("event_id", &row.event_id));
        let resident_id = check.keep(parse_resident_id(&row.resident_id));
        let medicine = check
            .keep(Medicine::parse(row.medicine.trim()).map_err(|e| FieldError::new("medicine", e)));
        let purchased_at = check.keep(
            parse_timestamp("purchased_at", &row.purchased_at)
                .and_then(|at| not_after_now("purchased_at", at, now)),
        );
        let (event_id, resident_id) = (event_id?, resident_id?);
        Some((
            event_id,
            resident_id,
            PharmacyPurchase {
                event_id,
                medicine: medicine?,
                purchased_at: purchased_at?,
            },
        ))
    })
}

// ---------------------------------------------------------------------------------------------
// Daily health reports
// ---------------------------------------------------------------------------------------------

/// One row of a daily health report filed by an employer or a residential community.
#[derive(Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthReportRow {
    /// A UUID chosen by the reporter; a resend with the same id is stored once.
    #[schema(format = Uuid)]
    pub event_id: String,
    /// The resident's 18-character ID number.
    #[schema(example = "330106199001011256")]
    pub resident_id: String,
    /// The day the report is about.
    #[schema(example = "2026-02-10")]
    pub day: String,
    /// Degrees Celsius, if measured.
    #[schema(example = 36.6)]
    pub temperature: Option<f64>,
    /// Codes from the symptom vocabulary, e.g. `dry_cough`.
    #[serde(default)]
    pub symptoms: Vec<String>,
}

impl fmt::Debug for HealthReportRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthReportRow")
            .field("event_id", &self.event_id)
            .finish_non_exhaustive()
    }
}

/// A daily health report as JSON. As CSV (`Content-Type: text/csv`) the header is
/// `event_id,resident_id,day,temperature,symptoms`, with symptoms separated by `;`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthReportBatch {
    pub reports: Vec<HealthReportRow>,
}

/// The columns of a health report CSV file, in order.
pub const HEALTH_REPORT_CSV_HEADER: [&str; 5] =
    ["event_id", "resident_id", "day", "temperature", "symptoms"];

/// Rows of a health report, and for a CSV file where each row is.
#[derive(Clone, Debug, Default)]
pub struct HealthReportUpload {
    pub rows: Vec<HealthReportRow>,
    /// For a CSV file, each row's position among the file's rows (from 0) and its line (the
    /// header being line 1); empty for JSON, where a row's position is its index in `rows`.
    pub positions: Vec<(usize, u64)>,
}

impl HealthReportUpload {
    /// Reads a CSV health report. Lines that cannot be read as rows, and cells that are not
    /// numbers where numbers belong, are reported with their line; the other rows are kept so
    /// that they can be checked too.
    pub fn from_csv(bytes: &[u8]) -> (HealthReportUpload, Vec<RowError>) {
        let mut upload = HealthReportUpload::default();
        let mut errors = Vec::new();
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let header_error = |message: String| RowError {
            index: 0,
            line: Some(1),
            field: "header".to_owned(),
            message,
        };
        let columns: Vec<String> = match reader.headers() {
            Ok(headers) => headers.iter().map(str::to_owned).collect(),
            Err(error) => return (upload, vec![header_error(error.to_string())]),
        };
        if columns != HEALTH_REPORT_CSV_HEADER {
            let message = format!(
                "should be {}, found {}",
                HEALTH_REPORT_CSV_HEADER.join(","),
                columns.join(",")
            );
            return (upload, vec![header_error(message)]);
        }
        let mut record = csv::StringRecord::new();
        let mut index = 0;
        loop {
            let line = reader.position().line() + 1;
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    let line = record.position().map_or(line, csv::Position::line);
                    let cell = |column: usize| record.get(column).unwrap_or_default();
                    let temperature = match cell(3) {
                        "" => Ok(None),
                        text => text.parse::<f64>().map(Some).map_err(|_| {
                            FieldError::new(
                                "temperature",
                                "should be degrees Celsius, such as 37.8, or empty",
                            )
                        }),
                    };
                    match temperature {
                        Ok(temperature) => {
                            upload.rows.push(HealthReportRow {
                                event_id: cell(0).to_owned(),
                                resident_id: cell(1).to_owned(),
                                day: cell(2).to_owned(),
                                temperature,
                                symptoms: cell(4)
                                    .split(';')
                                    .map(str::trim)
                                    .filter(|symptom| !symptom.is_empty())
                                    .map(str::to_owned)
                                    .collect(),
                            });
                            upload.positions.push((index, line));
                        }
                        Err(error) => errors.push(RowError {
                            index,
                            line: Some(line),
                            field: error.field,
                            message: error.message,
                        }),
                    }
                }
                Err(error) => {
                    let line = error.position().map_or(line, csv::Position::line);
                    errors.push(RowError {
                        index,
                        line: Some(line),
                        field: "row".to_owned(),
                        message: csv_error_message(&error),
                    });
                    if !matches!(error.kind(), csv::ErrorKind::UnequalLengths { .. }) {
                        // Anything but a short or long row leaves the reader unable to go on.
                        break;
                    }
                }
            }
            index += 1;
        }
        (upload, errors)
    }

    /// Places an error about `rows[index]` where the row is in the file.
    pub fn locate(&self, mut error: RowError) -> RowError {
        if let Some(&(index, line)) = self.positions.get(error.index) {
            error.index = index;
            error.line = Some(line);
        }
        error
    }
}

/// A CSV reading error in words that do not quote the file.
fn csv_error_message(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("should have {expected_len} columns, found {len}")
        }
        csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".to_owned(),
        _ => "could not be read as CSV".to_owned(),
    }
}

/// Checks health report rows filed by `reporter` at `now`.
pub fn health_reports_from_rows(
    rows: &[HealthReportRow],
    reporter: Reporter,
    now: Timestamp,
) -> (Vec<FeedRow<HealthReport>>, Vec<RowError>) {
    check_rows(rows, |row, check| {
        let event_id = check.keep(parse_event_id("event_id", &row.event_id));
        let resident_id = check.keep(parse_resident_id(&row.resident_id));
        let day = check.keep(parse_date("day", &row.day));
        let temperature = check.keep(
            row.temperature
                .map(Temperature::from_celsius)
                .transpose()
                .map_err(|e| FieldError::new("temperature", e)),
        );
        let mut symptoms = BTreeSet::new();
        for (index, code) in row.symptoms.iter().enumerate() {
            if let Some(symptom) = check.keep(Symptom::parse(code.trim()).map_err(|e| {
                FieldError::new(format!("symptoms[{index}]"), format_args!("\"{code}\" {e}"))
            })) {
                symptoms.insert(symptom);
            }
        }
        let (event_id, resident_id) = (event_id?, resident_id?);
        Some((
            event_id,
            resident_id,
            HealthReport {
                event_id,
                reporter,
                day: day?,
                reported_at: now,
                temperature: temperature?,
                symptoms,
            },
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-02-10T08:00:00Z";

    fn lab_row() -> LabResultRow {
        LabResultRow {
            event_id: "2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04".into(),
            resident_id: "330106199001011256".into(),
            kind: "pcr".into(),
            outcome: "negative".into(),
            sampled_at: "2026-02-09T08:00:00Z".into(),
            reported_at: "2026-02-10T07:00:00Z".into(),
        }
    }

    #[test]
    fn a_body_is_one_row_or_a_named_list_of_rows() {
        let one = serde_json::to_value(lab_row()).unwrap();
        let rows: Vec<LabResultRow> = one_or_many(one, "results").unwrap();
        assert_eq!(rows.len(), 1);
        let many = serde_json::json!({"results": [lab_row(), lab_row()]});
        let rows: Vec<LabResultRow> = one_or_many(many, "results").unwrap();
        assert_eq!(rows.len(), 2);
        let wrong = serde_json::json!({"results": [lab_row(), {"event_id": 1}]});
        let error = one_or_many::<LabResultRow>(wrong, "results").unwrap_err();
        assert_eq!(error.field().as_deref(), Some("results[1].event_id"));
    }

    #[test]
    fn every_bad_field_of_every_laboratory_row_is_reported() {
        let now = NOW.parse().unwrap();
        let mut bad = lab_row();
        bad.kind = "smell".into();
        bad.resident_id = "330106199001011254".into();
        let mut backwards = lab_row();
        backwards.sampled_at = "2026-02-10T07:30:00Z".into();
        backwards.reported_at = "2026-02-10T07:00:00Z".into();
        let mut future = lab_row();
        future.reported_at = "2026-02-11T07:00:00Z".into();
        let (rows, errors) = lab_results_from_rows(&[lab_row(), bad, backwards, future], now);
        assert_eq!(rows.len(), 1);
        let found: Vec<(usize, &str)> =
            errors.iter().map(|e| (e.index, e.field.as_str())).collect();
        assert_eq!(
            found,
            [
                (1, "resident_id"),
                (1, "kind"),
                (2, "sampled_at"),
                (3, "reported_at")
            ]
        );
        assert!(!format!("{:?}", lab_row()).contains("330106199001011256"));
    }

    #[test]
    fn a_csv_health_report_reports_bad_rows_by_line() {
        let file = "event_id,resident_id,day,temperature,symptoms\n\
            2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04,330106199001011256,2026-02-10,38.2,fever;dry_cough\n\
            3f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04,330106199001011256,2026-02-10,hot,\n\
            4f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04,330106199001011256\n\
            5f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04,330106199001011256,2026-02-10,,sneezing\n";
        let (upload, errors) = HealthReportUpload::from_csv(file.as_bytes());
        let found: Vec<(Option<u64>, &str)> =
            errors.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(found, [(Some(3), "temperature"), (Some(4), "row")]);
        assert_eq!(upload.positions, [(0, 2), (3, 5)]);
        assert_eq!(upload.rows[0].symptoms, ["fever", "dry_cough"]);
        assert_eq!(upload.rows[0].temperature, Some(38.2));
        let (rows, errors) =
            health_reports_from_rows(&upload.rows, Reporter::Employer, NOW.parse().unwrap());
        assert_eq!(rows.len(), 1);
        assert_eq!(errors.len(), 1);
        let located = upload.locate(errors[0].clone());
        assert_eq!(
            (located.index, located.line, located.field.as_str()),
            (3, Some(5), "symptoms[0]")
        );
    }

    #[test]
    fn a_csv_health_report_with_another_header_is_refused_at_line_one() {
        let (upload, errors) = HealthReportUpload::from_csv(b"id,who,day\n1,2,3\n");
        assert!(upload.rows.is_empty());
        assert_eq!(errors[0].line, Some(1));
        assert_eq!(errors[0].field, "header");
    }
}

// ---------------------------------------------------------------------------------------------
// Transit boardings
// ---------------------------------------------------------------------------------------------

/// One real-name boarding reported by a transit operator: who rode which trip, when, where.
#[derive(Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardingRow {
    /// A UUID chosen by the operator; a resend with the same id is stored once.
    #[schema(format = Uuid)]
    pub event_id: String,
    /// The operator's UUID for the trip (one flight on one day, one run of a bus); every
    /// boarding of the trip names it with the same mode, code and departure.
    #[schema(format = Uuid)]
    pub trip_id: String,
    /// `flight`, `train`, `bus` or `taxi`.
    #[schema(example = "flight")]
    pub mode: String,
    /// The service's code: a flight number, a train number, a bus line, a taxi's plate.
    #[schema(example = "CA1501")]
    pub trip_code: String,
    /// When the trip departs (RFC 3339).
    pub departs_at: String,
    /// The rider's 18-character ID number.
    #[schema(example = "330106199001011256")]
    pub resident_id: String,
    /// The seat, such as `12C`, where seats are assigned.
    #[serde(default)]
    pub seat: Option<String>,
    /// RFC 3339, not later than now.
    pub boarded_at: String,
    /// RFC 3339, after `boarded_at`, if the operator knows it (a bus card is tapped only on
    /// boarding).
    #[serde(default)]
    pub alighted_at: Option<String>,
}

impl fmt::Debug for BoardingRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoardingRow")
            .field("event_id", &self.event_id)
            .field("trip_id", &self.trip_id)
            .finish_non_exhaustive()
    }
}

/// Boardings in bulk.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardingBatch {
    pub boardings: Vec<BoardingRow>,
}

/// One boarding, or `{"boardings": […]}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum BoardingsRequest {
    Many(BoardingBatch),
    One(BoardingRow),
}

/// A boarding row, checked: the trip it names and the ride, without the rider, whom the
/// server finds by ID number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiddenTrip {
    pub event_id: EventId,
    pub trip: Trip,
    pub seat: Option<Seat>,
    pub boarded: Timestamp,
    pub alighted: Option<Timestamp>,
}

/// Checks boarding rows received at `now`. Rows naming one trip must agree on its mode, code
/// and departure.
pub fn boardings_from_rows(
    rows: &[BoardingRow],
    now: Timestamp,
) -> (Vec<FeedRow<RiddenTrip>>, Vec<RowError>) {
    let mut trips: std::collections::HashMap<TripId, Trip> = std::collections::HashMap::new();
    check_rows(rows, |row, check| {
        let event_id = check.keep(parse_event_id("event_id", &row.event_id));
        let resident_id = check.keep(parse_resident_id(&row.resident_id));
        let trip_id = check.keep(
            uuid::Uuid::parse_str(row.trip_id.trim())
                .map(TripId::from_uuid)
                .map_err(|_| FieldError::new("trip_id", "should be a UUID")),
        );
        let mode =
            check.keep(TransitMode::parse(row.mode.trim()).map_err(|e| FieldError::new("mode", e)));
        let departs_at = check.keep(parse_timestamp("departs_at", &row.departs_at));
        let seat = match &row.seat {
            Some(seat) => check
                .keep(
                    seat.trim()
                        .parse::<Seat>()
                        .map_err(|e| FieldError::new("seat", e)),
                )
                .map(Some),
            None => Some(None),
        };
        let boarded = check.keep(
            parse_timestamp("boarded_at", &row.boarded_at)
                .and_then(|at| not_after_now("boarded_at", at, now)),
        );
        let alighted = match &row.alighted_at {
            Some(text) => check.keep(parse_timestamp("alighted_at", text)).map(Some),
            None => Some(None),
        };
        if let (Some(boarded), Some(Some(alighted))) = (boarded, alighted) {
            if alighted <= boarded {
                check.error(FieldError::new("alighted_at", "should be after boarded_at"));
            }
        }
        let trip = match (trip_id, mode, departs_at) {
            (Some(id), Some(mode), Some(departs_at)) => check.keep(
                Trip::new(id, mode, row.trip_code.trim(), departs_at)
                    .map_err(|e| FieldError::new("trip_code", e)),
            ),
            _ => None,
        };
        if let Some(trip) = &trip {
            let first = trips.entry(trip.id).or_insert_with(|| trip.clone());
            if first != trip {
                check.error(FieldError::new(
                    "trip_id",
                    "an earlier row names this trip with another mode, code or departure",
                ));
            }
        }
        let (event_id, resident_id) = (event_id?, resident_id?);
        Some((
            event_id,
            resident_id,
            RiddenTrip {
                event_id,
                trip: trip?,
                seat: seat?,
                boarded: boarded?,
                alighted: alighted?,
            },
        ))
    })
}

// ---------------------------------------------------------------------------------------------
// Households
// ---------------------------------------------------------------------------------------------

/// One resident registered at a home: tracing treats the members of one household as close
/// contacts of each other.
#[derive(Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdRow {
    /// The resident's 18-character ID number.
    #[schema(example = "330106199001011256")]
    pub resident_id: String,
    /// The household's code in the registry: 1 to 64 characters from A–Z, a–z, 0–9, `-`, `_`,
    /// `.`, `:` and `/`. Registering a resident again moves them.
    #[schema(example = "330106-0001234")]
    pub household: String,
}

impl fmt::Debug for HouseholdRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HouseholdRow").finish_non_exhaustive()
    }
}

/// Household registrations in bulk.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdBatch {
    pub members: Vec<HouseholdRow>,
}

/// One registration, or `{"members": […]}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum HouseholdsRequest {
    Many(HouseholdBatch),
    One(HouseholdRow),
}

/// Checks household rows: each valid row with its position, and every bad field.
pub fn household_members_from_rows(
    rows: &[HouseholdRow],
) -> (Vec<(usize, ResidentId, HouseholdCode)>, Vec<RowError>) {
    let mut members = Vec::with_capacity(rows.len());
    let mut errors = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let mut check = RowCheck {
            index,
            errors: Vec::new(),
        };
        let resident_id = check.keep(parse_resident_id(&row.resident_id));
        let household = check.keep(
            HouseholdCode::parse(row.household.trim()).map_err(|e| FieldError::new("household", e)),
        );
        match (resident_id, household) {
            (Some(resident_id), Some(household)) => members.push((index, resident_id, household)),
            _ => errors.extend(check.errors),
        }
    }
    (members, errors)
}
