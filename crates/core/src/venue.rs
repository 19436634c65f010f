//! Venues: places where people check in (shops, stations, offices, residential compounds, …).

use std::fmt;

use jiff::Timestamp;
use jiff::civil::{Time, Weekday};

use crate::event::uuid_id;
use crate::region::RegionCode;
use crate::vocabulary::vocabulary;

uuid_id!(
    /// The identifier of a venue, chosen by the client that registers it (so that registering is
    /// idempotent) and printed in the venue's QR poster.
    VenueId
);

/// A registered venue. Venues are not personal data.
#[derive(Clone, Debug, PartialEq)]
pub struct Venue {
    pub id: VenueId,
    pub name: String,
    pub kind: VenueKind,
    pub district: RegionCode,
    pub location: GeoPoint,
    pub opening_hours: OpeningHours,
    pub registered_at: Timestamp,
}

vocabulary! {
    /// What sort of place a venue is. The tracing policy sets a default stay per kind.
    pub enum VenueKind {
        Shop => "shop",
        Supermarket => "supermarket",
        Market => "market",
        Mall => "mall",
        Restaurant => "restaurant",
        Office => "office",
        Factory => "factory",
        School => "school",
        Hospital => "hospital",
        Clinic => "clinic",
        Pharmacy => "pharmacy",
        Hotel => "hotel",
        Gym => "gym",
        PlaceOfWorship => "place_of_worship",
        ResidentialCompound => "residential_compound",
        SubwayStation => "subway_station",
        BusStation => "bus_station",
        RailwayStation => "railway_station",
        Airport => "airport",
        HighwayCheckpoint => "highway_checkpoint",
    }
}

/// Every `GeoPoint` has a latitude in [-90, 90] and a longitude in [-180, 180] (WGS 84 degrees).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GeoPoint {
    latitude: f64,
    longitude: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GeoPointError {
    #[error("latitude should be between -90 and 90 degrees")]
    Latitude,
    #[error("longitude should be between -180 and 180 degrees")]
    Longitude,
}

impl GeoPoint {
    pub fn new(latitude: f64, longitude: f64) -> Result<GeoPoint, GeoPointError> {
        if !(-90.0..=90.0).contains(&latitude) {
            return Err(GeoPointError::Latitude);
        }
        if !(-180.0..=180.0).contains(&longitude) {
            return Err(GeoPointError::Longitude);
        }
        Ok(GeoPoint {
            latitude,
            longitude,
        })
    }

    pub fn latitude(&self) -> f64 {
        self.latitude
    }

    pub fn longitude(&self) -> f64 {
        self.longitude
    }

    /// The great-circle distance to `other` in metres, by the haversine formula on a sphere of
    /// the Earth's mean radius (6,371,008.8 m): within 0.5% of the ellipsoid's distance, far
    /// finer than a cell's reach.
    pub fn distance_metres(&self, other: GeoPoint) -> f64 {
        const EARTH_MEAN_RADIUS_METRES: f64 = 6_371_008.8;
        let (latitude_a, latitude_b) = (self.latitude.to_radians(), other.latitude.to_radians());
        let half_latitude = (latitude_b - latitude_a) / 2.0;
        let half_longitude = (other.longitude - self.longitude).to_radians() / 2.0;
        let haversine = half_latitude.sin().powi(2)
            + latitude_a.cos() * latitude_b.cos() * half_longitude.sin().powi(2);
        2.0 * EARTH_MEAN_RADIUS_METRES * haversine.sqrt().min(1.0).asin()
    }
}

/// When a venue is open, in local civil time: either always, or a list of rules such as
/// `Mo-Fr 09:00-21:00; Sa,Su 10:00-22:00`. A closing time at or before the opening time means the
/// period runs past midnight.
///
/// Every `OpeningHours` has at least one rule or is `24/7`, and formats back to text that parses
/// to the same value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpeningHours(Vec<OpeningRule>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct OpeningRule {
    /// Monday first.
    days: [bool; 7],
    opens: Time,
    closes: Time,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpeningHoursError {
    #[error("should be 24/7 or rules such as \"Mo-Fr 09:00-21:00; Sa,Su 10:00-22:00\"")]
    Empty,
    #[error("rule {rule}: {problem}")]
    Rule { rule: usize, problem: String },
}

const DAY_CODES: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

impl OpeningHours {
    pub fn always() -> OpeningHours {
        OpeningHours(Vec::new())
    }

    pub fn parse(text: &str) -> Result<OpeningHours, OpeningHoursError> {
        let text = text.trim();
        if text == "24/7" {
            return Ok(OpeningHours::always());
        }
        let rules: Vec<OpeningRule> = text
            .split(';')
            .map(str::trim)
            .filter(|rule| !rule.is_empty())
            .enumerate()
            .map(|(index, rule)| {
                parse_rule(rule).map_err(|problem| OpeningHoursError::Rule {
                    rule: index + 1,
                    problem,
                })
            })
            .collect::<Result<_, _>>()?;
        if rules.is_empty() {
            return Err(OpeningHoursError::Empty);
        }
        Ok(OpeningHours(rules))
    }

    pub fn is_always_open(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the venue is open at a local civil date and time.
    pub fn is_open_at(&self, at: jiff::civil::DateTime) -> bool {
        if self.is_always_open() {
            return true;
        }
        let today = weekday_index(at.weekday());
        let yesterday = (today + 6) % 7;
        let time = at.time();
        self.0.iter().any(|rule| {
            if rule.opens < rule.closes {
                rule.days[today] && rule.opens <= time && time < rule.closes
            } else {
                (rule.days[today] && time >= rule.opens)
                    || (rule.days[yesterday] && time < rule.closes)
            }
        })
    }
}

fn weekday_index(day: Weekday) -> usize {
    day.to_monday_zero_offset() as usize
}

fn parse_rule(rule: &str) -> Result<OpeningRule, String> {
    let (days_text, hours_text) = rule
        .split_once(' ')
        .ok_or_else(|| format!("\"{rule}\" should be days then hours, e.g. Mo-Fr 09:00-18:00"))?;
    let mut days = [false; 7];
    for part in days_text.split(',') {
        let (first, last) = match part.split_once('-') {
            Some((first, last)) => (day_index(first)?, day_index(last)?),
            None => {
                let day = day_index(part)?;
                (day, day)
            }
        };
        let mut day = first;
        loop {
            days[day] = true;
            if day == last {
                break;
            }
            day = (day + 1) % 7;
        }
    }
    let (opens, closes) = hours_text
        .trim()
        .split_once('-')
        .ok_or_else(|| format!("hours \"{hours_text}\" should look like 09:00-18:00"))?;
    let opens = parse_time(opens)?;
    let closes = parse_time(closes)?;
    if opens == closes {
        return Err("opening and closing times should differ; use 24/7 for always open".to_owned());
    }
    Ok(OpeningRule {
        days,
        opens,
        closes,
    })
}

fn day_index(code: &str) -> Result<usize, String> {
    DAY_CODES
        .iter()
        .position(|day| *day == code.trim())
        .ok_or_else(|| format!("\"{code}\" should be one of {}", DAY_CODES.join(", ")))
}

fn parse_time(text: &str) -> Result<Time, String> {
    let text = text.trim();
    let invalid = || format!("\"{text}\" should be a time such as 09:30 (24-hour clock)");
    let (hour, minute) = text.split_once(':').ok_or_else(invalid)?;
    if hour.len() != 2 || minute.len() != 2 {
        return Err(invalid());
    }
    let hour: i8 = hour.parse().map_err(|_| invalid())?;
    let minute: i8 = minute.parse().map_err(|_| invalid())?;
    Time::new(hour, minute, 0, 0).map_err(|_| invalid())
}

impl fmt::Display for OpeningHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_always_open() {
            return f.write_str("24/7");
        }
        for (index, rule) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            let days: Vec<&str> = (0..7)
                .filter(|&d| rule.days[d])
                .map(|d| DAY_CODES[d])
                .collect();
            write!(
                f,
                "{} {}-{}",
                days.join(","),
                rule.opens.strftime("%H:%M"),
                rule.closes.strftime("%H:%M")
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn opening_hours_parse_ranges_lists_and_round_trip() {
        let hours = OpeningHours::parse("Mo-Fr 09:00-21:00; Sa,Su 10:00-22:00").unwrap();
        assert_eq!(
            hours.to_string(),
            "Mo,Tu,We,Th,Fr 09:00-21:00; Sa,Su 10:00-22:00"
        );
        assert_eq!(OpeningHours::parse(&hours.to_string()).unwrap(), hours);
        assert_eq!(OpeningHours::parse("24/7").unwrap().to_string(), "24/7");
    }

    #[test]
    fn opening_hours_errors_name_the_rule_and_the_problem() {
        assert_eq!(
            OpeningHours::parse("Mo-Fr 09:00-21:00; Xx 10:00-12:00")
                .unwrap_err()
                .to_string(),
            "rule 2: \"Xx\" should be one of Mo, Tu, We, Th, Fr, Sa, Su"
        );
        assert_eq!(
            OpeningHours::parse("Mo 9-12").unwrap_err().to_string(),
            "rule 1: \"9\" should be a time such as 09:30 (24-hour clock)"
        );
        assert_eq!(
            OpeningHours::parse(" ; ").unwrap_err(),
            OpeningHoursError::Empty
        );
    }

    #[test]
    fn a_period_closing_after_midnight_belongs_to_the_day_it_opened() {
        let bar = OpeningHours::parse("Fr 20:00-02:00").unwrap();
        // 2026-11-20 is a Friday.
        assert!(bar.is_open_at(date(2026, 11, 20).at(23, 0, 0, 0)));
        assert!(bar.is_open_at(date(2026, 11, 21).at(1, 30, 0, 0)));
        assert!(!bar.is_open_at(date(2026, 11, 21).at(3, 0, 0, 0)));
        assert!(!bar.is_open_at(date(2026, 11, 20).at(1, 30, 0, 0)));
    }

    #[test]
    fn venue_kinds_round_trip_through_their_codes() {
        for kind in VenueKind::ALL {
            assert_eq!(VenueKind::parse(kind.code()), Ok(kind));
        }
        assert!(
            VenueKind::parse("castle")
                .unwrap_err()
                .to_string()
                .starts_with("should be one of: shop,")
        );
    }

    #[test]
    fn distances_are_great_circle_metres() {
        let wulin = GeoPoint::new(30.2741, 120.1551).unwrap();
        assert_eq!(wulin.distance_metres(wulin), 0.0);
        // One degree of latitude is about 111.2 km.
        let north = GeoPoint::new(31.2741, 120.1551).unwrap();
        assert!((wulin.distance_metres(north) - 111_195.0).abs() < 10.0);
        // Hangzhou to Shanghai (People's Square), about 165 km, either way round.
        let shanghai = GeoPoint::new(31.2304, 121.4737).unwrap();
        let distance = wulin.distance_metres(shanghai);
        assert!((160_000.0..170_000.0).contains(&distance), "{distance}");
        assert_eq!(distance, shanghai.distance_metres(wulin));
        // Across the antimeridian the short way round.
        let east = GeoPoint::new(0.0, 179.9).unwrap();
        let west = GeoPoint::new(0.0, -179.9).unwrap();
        assert!((east.distance_metres(west) - 22_239.0).abs() < 10.0);
    }

    #[test]
    fn geo_points_reject_out_of_range_coordinates() {
        assert!(GeoPoint::new(30.27, 120.15).is_ok());
        assert_eq!(GeoPoint::new(91.0, 0.0), Err(GeoPointError::Latitude));
        assert_eq!(GeoPoint::new(0.0, 181.0), Err(GeoPointError::Longitude));
        assert_eq!(GeoPoint::new(f64::NAN, 0.0), Err(GeoPointError::Latitude));
    }
}
