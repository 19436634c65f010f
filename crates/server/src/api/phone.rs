//! The JSON (and CSV) shapes of phone-network data: cells and cell pings from mobile networks,
//! the resident's itinerary, and officials' proximity searches with their candidates and
//! reviews.
//!
//! Ping rows name residents by their resident ID number, which the server resolves to a
//! person; `Debug` never shows it. Candidates are shown by person id and masked name only. A
//! search's stated purpose and a review's reason are personal data: they go over the wire to
//! officials, never into `Debug` output.

use std::fmt;

use healthcode_core::phone::proximity::{
    CandidateReview, CandidateStay, MAX_PURPOSE_CHARS, ProximityCandidate, ProximityQuery,
    ProximityQueryError, ProximitySearch, ProximitySearchId, ProximitySearchRecord, ReviewDecision,
};
use healthcode_core::rating::{CaseId, Language};
use healthcode_core::{
    Cell, CellId, CellPing, City, CityDay, GeoPoint, GeoPointError, Itinerary, PersonId,
    RegionCode, StaffId, Timestamp,
};
use healthcode_store::PhonePurgeReport;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::feeds::{RowCheck, check_rows, not_after_now, parse_resident_id};
use super::{FeedRow, FieldError, RowError, parse_event_id, parse_timestamp, parse_uuid};

// ---------------------------------------------------------------------------------------------
// Cells
// ---------------------------------------------------------------------------------------------

/// One cell of a mobile network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CellRow {
    /// The cell's global identity, `MCC-MNC-AREA-CELL`.
    #[schema(example = "460-00-4101-17")]
    pub cell_id: String,
    /// WGS 84 degrees.
    #[schema(example = 30.2741)]
    pub latitude: Degrees,
    #[schema(example = 120.1551)]
    pub longitude: Degrees,
    /// The city the cell serves (GB/T 2260, e.g. 330100), or a district of it (330106), which
    /// stands for its city.
    #[schema(example = "330100")]
    pub city: String,
}

/// A coordinate in degrees: a JSON number, or text as a CSV file has it (`30.2741`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Degrees {
    Number(f64),
    Text(String),
}

impl Degrees {
    fn parse(&self, field: &str) -> Result<f64, FieldError> {
        match self {
            Degrees::Number(degrees) => Ok(*degrees),
            Degrees::Text(text) => text
                .trim()
                .parse()
                .map_err(|_| FieldError::new(field, "should be decimal degrees, such as 30.2741")),
        }
    }
}

impl From<f64> for Degrees {
    fn from(degrees: f64) -> Degrees {
        Degrees::Number(degrees)
    }
}

/// Cells in bulk.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CellBatch {
    pub cells: Vec<CellRow>,
}

/// One cell, or `{"cells": […]}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum CellsRequest {
    Many(CellBatch),
    One(CellRow),
}

/// Checks cell rows registered at `now`: each valid row as its index and cell, and every bad
/// field of every row.
pub fn cells_from_rows(rows: &[CellRow], now: Timestamp) -> (Vec<(usize, Cell)>, Vec<RowError>) {
    let mut cells = Vec::with_capacity(rows.len());
    let mut errors = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let mut field_errors = Vec::new();
        let id = keep(
            &mut field_errors,
            index,
            parse_cell_id("cell_id", &row.cell_id),
        );
        let location = keep(
            &mut field_errors,
            index,
            row.latitude
                .parse("latitude")
                .and_then(|latitude| parse_location(latitude, row.longitude.parse("longitude")?)),
        );
        let city = keep(
            &mut field_errors,
            index,
            RegionCode::parse(row.city.trim())
                .map_err(|error| FieldError::new("city", error))
                .and_then(|region| {
                    City::of(region).map_err(|error| FieldError::new("city", error))
                }),
        );
        match (id, location, city) {
            (Some(id), Some(location), Some(city)) if field_errors.is_empty() => cells.push((
                index,
                Cell {
                    id,
                    location,
                    city,
                    registered_at: now,
                },
            )),
            _ => errors.extend(field_errors),
        }
    }
    (cells, errors)
}

/// The value, or `None` with its error recorded against row `index`.
fn keep<T>(errors: &mut Vec<RowError>, index: usize, result: Result<T, FieldError>) -> Option<T> {
    result
        .map_err(|error| errors.push(RowError::new(index, error.field, error.message)))
        .ok()
}

/// A point, or an error naming the coordinate out of range.
fn parse_location(latitude: f64, longitude: f64) -> Result<GeoPoint, FieldError> {
    GeoPoint::new(latitude, longitude).map_err(|error| {
        let field = match error {
            GeoPointError::Latitude => "latitude",
            GeoPointError::Longitude => "longitude",
        };
        FieldError::new(field, error)
    })
}

fn parse_cell_id(field: &str, text: &str) -> Result<CellId, FieldError> {
    CellId::parse(text.trim()).map_err(|error| FieldError::new(field, error))
}

// ---------------------------------------------------------------------------------------------
// Cell pings
// ---------------------------------------------------------------------------------------------

/// One ping: a resident's phone seen by a cell.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CellPingRow {
    /// A UUID chosen by the network; a resend with the same id is stored once.
    #[schema(format = Uuid)]
    pub event_id: String,
    /// The phone's holder's 18-character ID number, from the real-name registration.
    #[schema(example = "330106199001011256")]
    pub resident_id: String,
    #[schema(example = "460-00-4101-17")]
    pub cell_id: String,
    /// When the cell saw the phone (RFC 3339), not later than now.
    pub seen_at: String,
}

impl fmt::Debug for CellPingRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CellPingRow")
            .field("event_id", &self.event_id)
            .finish_non_exhaustive()
    }
}

/// Cell pings in bulk.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CellPingBatch {
    pub pings: Vec<CellPingRow>,
}

/// One ping, or `{"pings": […]}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum CellPingsRequest {
    Many(CellPingBatch),
    One(CellPingRow),
}

/// Checks ping rows received at `now`. A ping seen before `oldest` (the start of the daily
/// stays' retention) is refused: nothing of it would be kept.
pub fn cell_pings_from_rows(
    rows: &[CellPingRow],
    now: Timestamp,
    oldest: Timestamp,
) -> (Vec<FeedRow<CellPing>>, Vec<RowError>) {
    check_rows(rows, |row, check: &mut RowCheck| {
        let event_id = check.keep(parse_event_id("event_id", &row.event_id));
        let resident_id = check.keep(parse_resident_id(&row.resident_id));
        let cell = check.keep(parse_cell_id("cell_id", &row.cell_id));
        let seen_at = check.keep(
            parse_timestamp("seen_at", &row.seen_at)
                .and_then(|at| not_after_now("seen_at", at, now))
                .and_then(|at| {
                    if at < oldest {
                        Err(FieldError::new(
                            "seen_at",
                            format_args!(
                                "is older than daily stays are kept (from {oldest}); it would be deleted at once"
                            ),
                        ))
                    } else {
                        Ok(at)
                    }
                }),
        );
        let (event_id, resident_id) = (event_id?, resident_id?);
        Some((
            event_id,
            resident_id,
            CellPing {
                event_id,
                cell: cell?,
                seen_at: seen_at?,
            },
        ))
    })
}

// ---------------------------------------------------------------------------------------------
// Itinerary
// ---------------------------------------------------------------------------------------------

/// A resident's itinerary: the cities their phone was seen in on each of the last 14 days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ItineraryView {
    pub person_id: Uuid,
    /// The first day, 13 days before `to`.
    #[schema(value_type = String, example = "2026-01-28")]
    pub from: String,
    /// Today, in the region's offset from UTC.
    #[schema(value_type = String, example = "2026-02-10")]
    pub to: String,
    /// Every day from `from` to `to`, oldest first; a day with no cities had no pings.
    pub days: Vec<ItineraryDayView>,
    /// Every city of the itinerary once, in the order first arrived in.
    pub cities: Vec<String>,
    /// The itinerary in one sentence, in the language asked for.
    pub summary: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ItineraryDayView {
    #[schema(value_type = String, example = "2026-02-09")]
    pub day: String,
    /// In the order arrived in.
    pub cities: Vec<CityStayView>,
}

/// A day in a city: when the phone was first and last seen there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CityStayView {
    #[schema(example = "330100")]
    pub city: String,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// Names this day in this city; a rating's evidence of a stay from the itinerary carries
    /// the same id.
    pub event_id: Uuid,
}

impl From<&CityDay> for CityStayView {
    fn from(day: &CityDay) -> CityStayView {
        CityStayView {
            city: day.city.to_string(),
            first_seen: day.first_seen,
            last_seen: day.last_seen,
            event_id: day.event_id.as_uuid(),
        }
    }
}

impl ItineraryView {
    pub fn new(person: PersonId, itinerary: &Itinerary, language: Language) -> ItineraryView {
        ItineraryView {
            person_id: person.as_uuid(),
            from: itinerary.from.to_string(),
            to: itinerary.to.to_string(),
            days: itinerary
                .days
                .iter()
                .map(|day| ItineraryDayView {
                    day: day.day.to_string(),
                    cities: day.cities.iter().map(CityStayView::from).collect(),
                })
                .collect(),
            cities: itinerary.cities().iter().map(City::to_string).collect(),
            summary: itinerary.summary(language),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Retention
// ---------------------------------------------------------------------------------------------

/// What a retention purge deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PurgeView {
    pub pings: u64,
    pub daily_stays: u64,
    pub city_days: u64,
    pub candidate_stays: u64,
    /// Raw pings seen before this moment were deleted.
    pub pings_before: Timestamp,
    /// Stays last seen before this moment were deleted.
    pub stays_before: Timestamp,
}

impl PurgeView {
    pub fn new(
        report: &PhonePurgeReport,
        pings_before: Timestamp,
        stays_before: Timestamp,
    ) -> PurgeView {
        PurgeView {
            pings: report.pings,
            daily_stays: report.daily_stays,
            city_days: report.city_days,
            candidate_stays: report.candidate_stays,
            pings_before,
            stays_before,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Proximity searches
// ---------------------------------------------------------------------------------------------

/// An official's proximity search: a place, a radius, a time window, an open case and why.
#[derive(Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProximitySearchRequest {
    /// A UUID chosen by the client; a resend answers the stored search and searches nothing
    /// again.
    #[schema(format = Uuid)]
    pub search_id: String,
    /// The open case the search serves (recorded and not released).
    #[schema(format = Uuid)]
    pub case_id: String,
    #[schema(example = 30.2741)]
    pub latitude: f64,
    #[schema(example = 120.1551)]
    pub longitude: f64,
    /// At most 5,000 metres.
    #[schema(example = 300)]
    pub radius_metres: u32,
    /// The window's start (RFC 3339).
    pub from: String,
    /// The window's end (RFC 3339), at most 14 days after its start.
    pub until: String,
    /// Why this search is needed, 1 to 2,000 characters: required, stored sealed, and shown to
    /// officials and auditors' reviews of the search.
    #[serde(default)]
    pub purpose: String,
}

impl fmt::Debug for ProximitySearchRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProximitySearchRequest")
            .field("search_id", &self.search_id)
            .field("case_id", &self.case_id)
            .finish_non_exhaustive()
    }
}

impl ProximitySearchRequest {
    /// The search, run by `searched_by` at `now`. The purpose is checked first: a search
    /// without one is refused whatever else it says.
    pub fn parse(
        &self,
        searched_by: StaffId,
        now: Timestamp,
    ) -> Result<ProximitySearch, FieldError> {
        let purpose = written("purpose", &self.purpose, "state why this search is needed")?;
        let id = parse_uuid("search_id", &self.search_id).map(ProximitySearchId::from_uuid)?;
        let case = parse_uuid("case_id", &self.case_id).map(CaseId::from_uuid)?;
        let centre = parse_location(self.latitude, self.longitude)?;
        let from = parse_timestamp("from", &self.from)?;
        let until = parse_timestamp("until", &self.until)?;
        let query =
            ProximityQuery::new(centre, self.radius_metres, from, until).map_err(|error| {
                let field = match error {
                    ProximityQueryError::Radius { .. } => "radius_metres",
                    ProximityQueryError::WindowBackwards
                    | ProximityQueryError::WindowTooLong { .. } => "until",
                };
                FieldError::new(field, error)
            })?;
        Ok(ProximitySearch {
            id,
            case,
            query,
            purpose,
            searched_by,
            searched_at: now,
        })
    }
}

/// A text of 1 to [`MAX_PURPOSE_CHARS`] characters, trimmed; `missing` says what to write.
fn written(field: &str, text: &str, missing: &str) -> Result<String, FieldError> {
    let text = text.trim();
    let length = text.chars().count();
    if length == 0 {
        return Err(FieldError::new(
            field,
            format_args!("is required: {missing} (1 to {MAX_PURPOSE_CHARS} characters)"),
        ));
    }
    if length > MAX_PURPOSE_CHARS {
        return Err(FieldError::new(
            field,
            format_args!("should be at most {MAX_PURPOSE_CHARS} characters, found {length}"),
        ));
    }
    Ok(text.to_owned())
}

/// A stored search with its candidates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProximitySearchView {
    pub search_id: Uuid,
    pub case_id: Uuid,
    pub latitude: f64,
    pub longitude: f64,
    pub radius_metres: u32,
    pub from: Timestamp,
    pub until: Timestamp,
    /// The official's stated purpose.
    pub purpose: String,
    /// The staff account that searched.
    pub searched_by: Uuid,
    pub searched_at: Timestamp,
    /// True if this answers a resend of a stored search.
    pub duplicate: bool,
    /// In person id order. Candidates are not contacts until an official confirms them.
    pub candidates: Vec<CandidateView>,
}

/// A person a search found: their id, their masked name, the stays that placed them there
/// and their review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CandidateView {
    pub person_id: Uuid,
    /// First and last character only, e.g. `张*明`.
    pub masked_name: String,
    /// Empty once the stays have passed their retention.
    pub stays: Vec<CandidateStayView>,
    /// `pending`, `confirmed` or `rejected`.
    #[schema(example = "pending")]
    pub state: String,
    pub review: Option<ReviewView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CandidateStayView {
    pub cell_id: String,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
}

/// An official's review of a candidate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReviewView {
    /// `confirm` or `reject`.
    pub decision: String,
    pub reason: String,
    pub reviewed_by: Uuid,
    pub reviewed_at: Timestamp,
    /// The close contact a confirmation recorded.
    pub contact_id: Option<Uuid>,
}

impl From<&CandidateReview> for ReviewView {
    fn from(review: &CandidateReview) -> ReviewView {
        ReviewView {
            decision: review.decision.code().to_owned(),
            reason: review.reason.clone(),
            reviewed_by: review.reviewed_by.as_uuid(),
            reviewed_at: review.reviewed_at,
            contact_id: review.contact.map(|contact| contact.as_uuid()),
        }
    }
}

impl From<&CandidateStay> for CandidateStayView {
    fn from(stay: &CandidateStay) -> CandidateStayView {
        CandidateStayView {
            cell_id: stay.cell.to_string(),
            first_seen: stay.first_seen,
            last_seen: stay.last_seen,
        }
    }
}

impl From<&ProximityCandidate> for CandidateView {
    fn from(candidate: &ProximityCandidate) -> CandidateView {
        let state = match candidate.review.as_ref().map(|review| review.decision) {
            None => "pending",
            Some(ReviewDecision::Confirm) => "confirmed",
            Some(ReviewDecision::Reject) => "rejected",
        };
        CandidateView {
            person_id: candidate.person.as_uuid(),
            masked_name: candidate.name.masked(),
            stays: candidate
                .stays
                .iter()
                .map(CandidateStayView::from)
                .collect(),
            state: state.to_owned(),
            review: candidate.review.as_ref().map(ReviewView::from),
        }
    }
}

impl ProximitySearchView {
    pub fn new(record: &ProximitySearchRecord, duplicate: bool) -> ProximitySearchView {
        let search = &record.search;
        ProximitySearchView {
            search_id: search.id.as_uuid(),
            case_id: search.case.as_uuid(),
            latitude: search.query.centre().latitude(),
            longitude: search.query.centre().longitude(),
            radius_metres: search.query.radius_metres(),
            from: search.query.from(),
            until: search.query.until(),
            purpose: search.purpose.clone(),
            searched_by: search.searched_by.as_uuid(),
            searched_at: search.searched_at,
            duplicate,
            candidates: record.candidates.iter().map(CandidateView::from).collect(),
        }
    }
}

/// An official's review of a candidate.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// `confirm` (a close contact of the search's case) or `reject`.
    #[schema(example = "confirm")]
    pub decision: String,
    /// Why, 1 to 2,000 characters; stored sealed.
    #[serde(default)]
    pub reason: String,
}

impl fmt::Debug for ReviewRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReviewRequest")
            .field("decision", &self.decision)
            .finish_non_exhaustive()
    }
}

impl ReviewRequest {
    pub fn parse(&self) -> Result<(ReviewDecision, String), FieldError> {
        let decision = ReviewDecision::parse(self.decision.trim())
            .map_err(|error| FieldError::new("decision", error))?;
        let reason = written("reason", &self.reason, "say why")?;
        Ok((decision, reason))
    }
}

/// The answer to a review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReviewResponse {
    pub person_id: Uuid,
    pub review: ReviewView,
    /// For a confirmation: the resident's colour once re-rated as a close contact.
    #[schema(example = "red")]
    pub colour: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-02-12T08:00:00Z";

    fn search_request() -> ProximitySearchRequest {
        ProximitySearchRequest {
            search_id: "2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04".into(),
            case_id: "3f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04".into(),
            latitude: 30.2741,
            longitude: 120.1551,
            radius_metres: 300,
            from: "2026-02-09T12:00:00+08:00".into(),
            until: "2026-02-09T14:00:00+08:00".into(),
            purpose: "  Case 3 ate at the noodle shop.  ".into(),
        }
    }

    #[test]
    fn a_search_needs_a_purpose_and_names_the_field_beyond_a_limit() {
        let official = StaffId::from_bytes([1; 16]);
        let now = NOW.parse().unwrap();
        let search = search_request().parse(official, now).unwrap();
        assert_eq!(search.purpose, "Case 3 ate at the noodle shop.");
        assert_eq!(search.query.radius_metres(), 300);
        let field_of =
            |request: ProximitySearchRequest| request.parse(official, now).unwrap_err().field;
        assert_eq!(
            field_of(ProximitySearchRequest {
                purpose: "   ".into(),
                radius_metres: 100_000,
                ..search_request()
            }),
            "purpose",
            "the purpose is checked first"
        );
        assert_eq!(
            field_of(ProximitySearchRequest {
                radius_metres: 5_001,
                ..search_request()
            }),
            "radius_metres"
        );
        assert_eq!(
            field_of(ProximitySearchRequest {
                until: "2026-02-24T14:00:00+08:00".into(),
                ..search_request()
            }),
            "until"
        );
        assert_eq!(
            field_of(ProximitySearchRequest {
                latitude: 95.0,
                ..search_request()
            }),
            "latitude"
        );
        assert!(!format!("{:?}", search_request()).contains("noodle"));
    }

    #[test]
    fn every_bad_field_of_every_cell_and_ping_row_is_reported() {
        let now: Timestamp = NOW.parse().unwrap();
        let good = CellRow {
            cell_id: "460-00-4101-17".into(),
            latitude: 30.2741.into(),
            longitude: Degrees::Text("120.1551".into()),
            city: "330106".into(),
        };
        let bad = CellRow {
            cell_id: "4101-17".into(),
            latitude: 30.0.into(),
            longitude: 200.0.into(),
            city: "330000".into(),
        };
        let (cells, errors) = cells_from_rows(&[good, bad], now);
        assert_eq!(cells.len(), 1);
        assert_eq!(cells[0].1.city.to_string(), "330100");
        let fields: Vec<(usize, &str)> = errors
            .iter()
            .map(|error| (error.index, error.field.as_str()))
            .collect();
        assert_eq!(fields, [(1, "cell_id"), (1, "longitude"), (1, "city")]);

        let ping = |seen_at: &str| CellPingRow {
            event_id: "2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04".into(),
            resident_id: "330106199001011256".into(),
            cell_id: "460-00-4101-17".into(),
            seen_at: seen_at.into(),
        };
        let oldest = "2026-01-13T08:00:00Z".parse().unwrap();
        let (rows, errors) = cell_pings_from_rows(
            &[
                ping("2026-02-12T07:00:00Z"),
                ping("2026-02-12T09:00:00Z"),
                ping("2026-01-01T09:00:00Z"),
                CellPingRow {
                    cell_id: "cell 17".into(),
                    ..ping("yesterday")
                },
            ],
            now,
            oldest,
        );
        assert_eq!(rows.len(), 1);
        let fields: Vec<(usize, &str)> = errors
            .iter()
            .map(|error| (error.index, error.field.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                (1, "seen_at"),
                (2, "seen_at"),
                (3, "cell_id"),
                (3, "seen_at")
            ]
        );
        assert!(!format!("{:?}", ping("x")).contains("330106199001011256"));
    }

    #[test]
    fn a_review_is_confirm_or_reject_with_a_reason() {
        let request = |decision: &str, reason: &str| ReviewRequest {
            decision: decision.into(),
            reason: reason.into(),
        };
        assert_eq!(
            request("confirm", " Same table. ").parse().unwrap(),
            (ReviewDecision::Confirm, "Same table.".to_owned())
        );
        assert_eq!(
            request("maybe", "Same table.").parse().unwrap_err().field,
            "decision"
        );
        assert_eq!(request("reject", "").parse().unwrap_err().field, "reason");
    }
}
