//! Phone-network data: the cells a mobile network registers, the pings it reports (a person's
//! phone seen by a cell at a moment), their reduction to daily stays, and the itinerary of
//! cities a person stayed in, which residents see as the carriers' itinerary card and the
//! rating engine reads as region stays. Proximity searches over daily stays live in
//! [`proximity`].
//!
//! Raw pings are kept only briefly; what lasts is the reduction: per person, civil day and
//! cell, the first and last time the phone was seen there ([`DailyStay`]), and per person, day
//! and city the same over the city's cells ([`CityDay`]). The civil day is read in a fixed
//! offset from UTC, the active policy's, passed in by the caller.
//!
//! Everything here is pure: identifiers of city days are derived by the caller (see
//! [`city_days`]), and "today" comes in as an argument.

pub mod proximity;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use jiff::tz::Offset;
use jiff::{SignedDuration, Timestamp};

use crate::event::EventId;
use crate::person::PersonId;
use crate::rating::{Language, RegionStay, StaySource};
use crate::region::RegionCode;
use crate::venue::GeoPoint;

/// How many days an itinerary covers: today and the 13 days before it, the incubation period
/// the carriers' itinerary cards of 2020 showed.
pub const ITINERARY_DAYS: i32 = 14;

/// Every `CellId` is a cell's global identity as its network gives it, written
/// `MCC-MNC-AREA-CELL`: a three-digit mobile country code, a two- or three-digit network code,
/// the location or tracking area code (1 to 8 digits) and the cell's identity (1 to 12 digits),
/// e.g. `460-00-1234-5678`. The text is kept exactly as given.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellId(String);

/// Why a text is not a cell id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CellIdError {
    #[error("should be MCC-MNC-AREA-CELL, four groups of digits such as 460-00-1234-5678")]
    Shape,
    #[error("the mobile country code (first group) should be 3 digits, such as 460")]
    CountryCode,
    #[error("the network code (second group) should be 2 or 3 digits, such as 00")]
    NetworkCode,
    #[error("the area code (third group) should be 1 to 8 digits")]
    AreaCode,
    #[error("the cell identity (fourth group) should be 1 to 12 digits")]
    CellIdentity,
}

impl CellId {
    pub fn parse(text: &str) -> Result<CellId, CellIdError> {
        let groups: Vec<&str> = text.split('-').collect();
        let [country, network, area, cell] = groups[..] else {
            return Err(CellIdError::Shape);
        };
        let digits = |group: &str, lengths: std::ops::RangeInclusive<usize>| {
            lengths.contains(&group.len()) && group.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(country, 3..=3) {
            return Err(CellIdError::CountryCode);
        }
        if !digits(network, 2..=3) {
            return Err(CellIdError::NetworkCode);
        }
        if !digits(area, 1..=8) {
            return Err(CellIdError::AreaCode);
        }
        if !digits(cell, 1..=12) {
            return Err(CellIdError::CellIdentity);
        }
        Ok(CellId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CellId {
    type Err = CellIdError;

    fn from_str(text: &str) -> Result<CellId, CellIdError> {
        CellId::parse(text)
    }
}

impl fmt::Display for CellId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Every `City` is the code of a prefecture-level division of GB/T 2260: six digits ending in
/// `00` whose middle two are not `00` (330100 for Hangzhou, 310100 for Shanghai's districts).
/// A district's code names its city: 330106 gives 330100. A province-level code names no city
/// and is refused, for the four municipalities too (Beijing's city code is 110100).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct City(RegionCode);

/// Why a region code names no city.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{region} is a province-level code; give the city (its first four digits then 00, such as 330100) or a district in it"
)]
pub struct CityError {
    pub region: RegionCode,
}

impl City {
    /// The city `region` is or lies in: a city code as it is, a district's code mapped to its
    /// city.
    pub fn of(region: RegionCode) -> Result<City, CityError> {
        let code = region.as_number();
        if code % 10_000 == 0 {
            return Err(CityError { region });
        }
        let city = RegionCode::from_number(code / 100 * 100)
            .expect("a code's city shares its valid province prefix");
        Ok(City(city))
    }

    pub fn region(&self) -> RegionCode {
        self.0
    }
}

impl fmt::Display for City {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A cell of a mobile network: where its antenna stands and the city it serves. Cells are not
/// personal data.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub id: CellId,
    pub location: GeoPoint,
    pub city: City,
    pub registered_at: Timestamp,
}

impl Cell {
    /// Whether `other` registers the same cell in the same place and city: a resend of the
    /// same registration, whenever it was made.
    pub fn same_registration(&self, other: &Cell) -> bool {
        self.id == other.id && self.location == other.location && self.city == other.city
    }
}

/// A mobile network's report that a person's phone was seen by a cell at a moment. The person
/// goes beside it (`(PersonId, CellPing)`), as with other facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellPing {
    /// Chosen by the network, so that a resend stores nothing.
    pub event_id: EventId,
    pub cell: CellId,
    pub seen_at: Timestamp,
}

/// A person's presence in one cell on one civil day: when their phone was first and last seen
/// there. Every `DailyStay` built here has `first_seen <= last_seen`, both on `day`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DailyStay {
    pub person: PersonId,
    pub day: Date,
    pub cell: CellId,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
}

impl DailyStay {
    /// Widens this stay to cover `first_seen..=last_seen` too.
    pub fn widen(&mut self, first_seen: Timestamp, last_seen: Timestamp) {
        self.first_seen = self.first_seen.min(first_seen);
        self.last_seen = self.last_seen.max(last_seen);
    }
}

/// The civil day of `at` at `offset` from UTC.
pub fn day_of(at: Timestamp, offset: Offset) -> Date {
    offset.to_datetime(at).date()
}

/// Reduces pings to daily stays: one per person, civil day (at `offset`) and cell, from the
/// first to the last ping of that day in that cell. The stays come sorted by person, day and
/// cell. Reducing a resend with the stays changes nothing, so the caller may reduce only the
/// pings it has not seen before and widen stored stays with the result.
pub fn daily_stays<'a>(
    pings: impl IntoIterator<Item = (PersonId, &'a CellPing)>,
    offset: Offset,
) -> Vec<DailyStay> {
    let mut stays: BTreeMap<(PersonId, Date, &CellId), DailyStay> = BTreeMap::new();
    for (person, ping) in pings {
        let day = day_of(ping.seen_at, offset);
        stays
            .entry((person, day, &ping.cell))
            .and_modify(|stay| stay.widen(ping.seen_at, ping.seen_at))
            .or_insert_with(|| DailyStay {
                person,
                day,
                cell: ping.cell.clone(),
                first_seen: ping.seen_at,
                last_seen: ping.seen_at,
            });
    }
    stays.into_values().collect()
}

/// A person's presence in one city on one civil day, over every cell of the city that saw
/// them: one entry of their itinerary. `event_id` names it, the same for every reduction of
/// the same person, day and city, so that a rating's evidence points at something stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CityDay {
    pub day: Date,
    pub city: City,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub event_id: EventId,
}

impl CityDay {
    /// The stay as a fact for the rating engine: the city, from and to its day.
    pub fn region_stay(&self) -> RegionStay {
        RegionStay {
            region: self.city.region(),
            from: self.day,
            to: self.day,
            source: StaySource::Itinerary,
            event_id: self.event_id,
        }
    }
}

/// Gathers daily stays into city days: per person, day and city, from the first to the last
/// time any cell of the city saw them. `city_of` gives a cell's city (stays in cells it does
/// not know are left out); `event_id` names a person's day in a city, and must answer the same
/// for the same arguments. The answer is sorted by person, day and city.
pub fn city_days(
    stays: &[DailyStay],
    city_of: impl Fn(&CellId) -> Option<City>,
    event_id: impl Fn(PersonId, Date, City) -> EventId,
) -> Vec<(PersonId, CityDay)> {
    let mut days: BTreeMap<(PersonId, Date, City), (Timestamp, Timestamp)> = BTreeMap::new();
    for stay in stays {
        let Some(city) = city_of(&stay.cell) else {
            continue;
        };
        days.entry((stay.person, stay.day, city))
            .and_modify(|(first, last)| {
                *first = (*first).min(stay.first_seen);
                *last = (*last).max(stay.last_seen);
            })
            .or_insert((stay.first_seen, stay.last_seen));
    }
    days.into_iter()
        .map(|((person, day, city), (first_seen, last_seen))| {
            let city_day = CityDay {
                day,
                city,
                first_seen,
                last_seen,
                event_id: event_id(person, day, city),
            };
            (person, city_day)
        })
        .collect()
}

/// The cities a person stayed in on each of the [`ITINERARY_DAYS`] days up to and including
/// `to`, oldest first: every day is listed, with no cities when the phone was not seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Itinerary {
    pub from: Date,
    pub to: Date,
    pub days: Vec<ItineraryDay>,
}

/// One day of an itinerary: the cities the person stayed in, in the order they arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItineraryDay {
    pub day: Date,
    pub cities: Vec<CityDay>,
}

impl Itinerary {
    /// The first day of the itinerary that ends on `to`.
    pub fn first_day(to: Date) -> Date {
        to.checked_sub(jiff::Span::new().days(i64::from(ITINERARY_DAYS - 1)))
            .unwrap_or(Date::MIN)
    }

    /// The itinerary of the [`ITINERARY_DAYS`] days ending on `to` (today, in the region's
    /// offset), from a person's city days; city days outside those days are left out.
    pub fn of(city_days: &[CityDay], to: Date) -> Itinerary {
        let from = Itinerary::first_day(to);
        let mut days = Vec::with_capacity(ITINERARY_DAYS as usize);
        let mut day = from;
        while day <= to {
            let mut cities: Vec<CityDay> = city_days
                .iter()
                .filter(|city_day| city_day.day == day)
                .copied()
                .collect();
            cities.sort_by_key(|city_day| (city_day.first_seen, city_day.city));
            days.push(ItineraryDay { day, cities });
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        Itinerary { from, to, days }
    }

    /// Every city of the itinerary once, in the order first arrived in.
    pub fn cities(&self) -> Vec<City> {
        let mut cities: Vec<City> = Vec::new();
        for city in self.days.iter().flat_map(|day| &day.cities) {
            if !cities.contains(&city.city) {
                cities.push(city.city);
            }
        }
        cities
    }

    /// The itinerary in one sentence, as the carriers' card put it.
    pub fn summary(&self, language: Language) -> String {
        let cities: Vec<String> = self.cities().iter().map(City::to_string).collect();
        let (from, to) = (self.from, self.to);
        match (language, cities.is_empty()) {
            (Language::English, true) => {
                format!("From {from} to {to} your phone was not seen in any city.")
            }
            (Language::English, false) => format!(
                "From {from} to {to} you stayed in or passed through: {}.",
                cities.join(", ")
            ),
            (Language::SimplifiedChinese, true) => {
                format!("{from}至{to}期间，未发现您的手机到达或途经任何城市。")
            }
            (Language::SimplifiedChinese, false) => {
                format!("您于{from}至{to}期间到达或途经：{}。", cities.join("、"))
            }
        }
    }
}

/// The length of `[first, last]`, never negative.
pub(crate) fn span(first: Timestamp, last: Timestamp) -> SignedDuration {
    last.duration_since(first).max(SignedDuration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn person(byte: u8) -> PersonId {
        PersonId::from_bytes([byte; 16])
    }

    fn cell(text: &str) -> CellId {
        CellId::parse(text).unwrap()
    }

    fn ping(cell_id: &str, seen_at: &str, serial: u8) -> CellPing {
        CellPing {
            event_id: EventId::from_bytes([serial; 16]).unwrap(),
            cell: cell(cell_id),
            seen_at: at(seen_at),
        }
    }

    fn city(code: &str) -> City {
        City::of(RegionCode::parse(code).unwrap()).unwrap()
    }

    fn event_id_of(person: PersonId, day: Date, city: City) -> EventId {
        let mut bytes = *person.as_bytes();
        bytes[0] = day.day() as u8;
        bytes[1] = (city.region().as_number() / 100 % 100) as u8;
        EventId::from_bytes(bytes).unwrap()
    }

    #[test]
    fn cell_ids_are_four_groups_of_digits() {
        assert_eq!(cell("460-00-1234-5678").as_str(), "460-00-1234-5678");
        assert!(CellId::parse("460-011-1-123456789012").is_ok());
        assert_eq!(CellId::parse("460-00-1234"), Err(CellIdError::Shape));
        assert_eq!(CellId::parse("460-00-1234-5678-9"), Err(CellIdError::Shape));
        assert_eq!(
            CellId::parse("46-00-1234-5678"),
            Err(CellIdError::CountryCode)
        );
        assert_eq!(
            CellId::parse("460-0-1234-5678"),
            Err(CellIdError::NetworkCode)
        );
        assert_eq!(CellId::parse("460-00--5678"), Err(CellIdError::AreaCode));
        assert_eq!(
            CellId::parse("460-00-1234-56a8"),
            Err(CellIdError::CellIdentity)
        );
        assert_eq!(
            CellId::parse(" 460-00-1234-5678"),
            Err(CellIdError::CountryCode)
        );
    }

    #[test]
    fn a_district_names_its_city_and_a_province_names_none() {
        assert_eq!(city("330106").to_string(), "330100");
        assert_eq!(city("330100").to_string(), "330100");
        assert_eq!(city("110105").to_string(), "110100");
        let province = RegionCode::parse("330000").unwrap();
        assert_eq!(City::of(province), Err(CityError { region: province }));
        assert!(
            City::of(RegionCode::parse("110000").unwrap())
                .unwrap_err()
                .to_string()
                .contains("such as 330100")
        );
    }

    #[test]
    fn pings_reduce_to_one_stay_per_person_day_and_cell_from_first_to_last_ping() {
        let (zhang, li) = (person(1), person(2));
        let pings = [
            (zhang, ping("460-00-1-1", "2026-02-10T09:00:00+08:00", 1)),
            (zhang, ping("460-00-1-1", "2026-02-10T18:30:00+08:00", 2)),
            (zhang, ping("460-00-1-1", "2026-02-10T12:00:00+08:00", 3)),
            (zhang, ping("460-00-1-2", "2026-02-10T13:00:00+08:00", 4)),
            (li, ping("460-00-1-1", "2026-02-10T10:00:00+08:00", 5)),
        ];
        let stays = daily_stays(
            pings.iter().map(|(person, ping)| (*person, ping)),
            Offset::constant(8),
        );
        let summary: Vec<(PersonId, &str, Timestamp, Timestamp)> = stays
            .iter()
            .map(|stay| {
                (
                    stay.person,
                    stay.cell.as_str(),
                    stay.first_seen,
                    stay.last_seen,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    zhang,
                    "460-00-1-1",
                    at("2026-02-10T01:00:00Z"),
                    at("2026-02-10T10:30:00Z")
                ),
                (
                    zhang,
                    "460-00-1-2",
                    at("2026-02-10T05:00:00Z"),
                    at("2026-02-10T05:00:00Z")
                ),
                (
                    li,
                    "460-00-1-1",
                    at("2026-02-10T02:00:00Z"),
                    at("2026-02-10T02:00:00Z")
                ),
            ]
        );
        assert!(stays.iter().all(|stay| stay.day == date(2026, 2, 10)));
    }

    #[test]
    fn the_day_of_a_stay_is_the_civil_day_in_the_regions_offset() {
        let zhang = person(1);
        // 23:30 and 00:30 in Beijing time are two days; in UTC they are the same day.
        let pings = [
            ping("460-00-1-1", "2026-02-10T23:30:00+08:00", 1),
            ping("460-00-1-1", "2026-02-11T00:30:00+08:00", 2),
        ];
        let in_beijing = daily_stays(pings.iter().map(|p| (zhang, p)), Offset::constant(8));
        let days: Vec<Date> = in_beijing.iter().map(|stay| stay.day).collect();
        assert_eq!(days, [date(2026, 2, 10), date(2026, 2, 11)]);
        let in_utc = daily_stays(pings.iter().map(|p| (zhang, p)), Offset::UTC);
        assert_eq!(in_utc.len(), 1);
        assert_eq!(in_utc[0].day, date(2026, 2, 10));
        assert_eq!(
            (in_utc[0].first_seen, in_utc[0].last_seen),
            (at("2026-02-10T15:30:00Z"), at("2026-02-10T16:30:00Z"))
        );
    }

    #[test]
    fn reducing_a_ping_again_changes_no_stay() {
        let zhang = person(1);
        let pings = [
            ping("460-00-1-1", "2026-02-10T09:00:00+08:00", 1),
            ping("460-00-1-1", "2026-02-10T17:00:00+08:00", 2),
        ];
        let mut stays = daily_stays(pings.iter().map(|p| (zhang, p)), Offset::constant(8));
        let again = daily_stays([(zhang, &pings[0])], Offset::constant(8));
        let before = stays.clone();
        stays[0].widen(again[0].first_seen, again[0].last_seen);
        assert_eq!(stays, before);
    }

    #[test]
    fn city_days_merge_the_cells_of_a_city_and_keep_cities_apart() {
        let zhang = person(1);
        let pings = [
            ping("460-00-1-1", "2026-02-10T09:00:00+08:00", 1),
            ping("460-00-1-2", "2026-02-10T11:00:00+08:00", 2),
            ping("460-00-2-1", "2026-02-10T15:00:00+08:00", 3),
            ping("460-00-9-9", "2026-02-10T16:00:00+08:00", 4),
        ];
        let stays = daily_stays(pings.iter().map(|p| (zhang, p)), Offset::constant(8));
        let city_of = |cell: &CellId| match cell.as_str() {
            "460-00-1-1" | "460-00-1-2" => Some(city("330106")),
            "460-00-2-1" => Some(city("310101")),
            _ => None,
        };
        let days = city_days(&stays, city_of, event_id_of);
        let summary: Vec<(String, Timestamp, Timestamp)> = days
            .iter()
            .map(|(_, day)| (day.city.to_string(), day.first_seen, day.last_seen))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "310100".to_owned(),
                    at("2026-02-10T07:00:00Z"),
                    at("2026-02-10T07:00:00Z")
                ),
                (
                    "330100".to_owned(),
                    at("2026-02-10T01:00:00Z"),
                    at("2026-02-10T03:00:00Z")
                ),
            ]
        );
        let hangzhou = days[1].1;
        assert_eq!(
            hangzhou.event_id,
            event_id_of(zhang, date(2026, 2, 10), city("330100"))
        );
        assert_eq!(
            hangzhou.region_stay(),
            RegionStay {
                region: RegionCode::parse("330100").unwrap(),
                from: date(2026, 2, 10),
                to: date(2026, 2, 10),
                source: StaySource::Itinerary,
                event_id: hangzhou.event_id,
            }
        );
    }

    fn city_day(day: Date, code: &str, first_seen: &str) -> CityDay {
        CityDay {
            day,
            city: city(code),
            first_seen: at(first_seen),
            last_seen: at(first_seen),
            event_id: event_id_of(person(1), day, city(code)),
        }
    }

    #[test]
    fn an_itinerary_lists_each_of_the_last_fourteen_days_with_its_cities_in_order_of_arrival() {
        let today = date(2026, 2, 10);
        let days = [
            city_day(date(2026, 1, 27), "420100", "2026-01-27T08:00:00Z"),
            city_day(date(2026, 1, 28), "330100", "2026-01-28T08:00:00Z"),
            city_day(date(2026, 2, 9), "330100", "2026-02-09T09:00:00Z"),
            city_day(date(2026, 2, 9), "310100", "2026-02-09T01:00:00Z"),
            city_day(date(2026, 2, 11), "440300", "2026-02-11T01:00:00Z"),
        ];
        let itinerary = Itinerary::of(&days, today);
        assert_eq!(itinerary.from, date(2026, 1, 28));
        assert_eq!(itinerary.to, today);
        assert_eq!(itinerary.days.len(), ITINERARY_DAYS as usize);
        assert_eq!(itinerary.days[0].day, date(2026, 1, 28));
        assert_eq!(itinerary.days[13].day, today);
        let cities_of = |index: usize| -> Vec<String> {
            itinerary.days[index]
                .cities
                .iter()
                .map(|city| city.city.to_string())
                .collect()
        };
        assert_eq!(cities_of(0), ["330100"]);
        assert_eq!(cities_of(12), ["310100", "330100"]);
        assert!(cities_of(13).is_empty());
        assert_eq!(
            itinerary.summary(Language::English),
            "From 2026-01-28 to 2026-02-10 you stayed in or passed through: 330100, 310100."
        );
        assert_eq!(
            itinerary.summary(Language::SimplifiedChinese),
            "您于2026-01-28至2026-02-10期间到达或途经：330100、310100。"
        );
        assert_eq!(
            Itinerary::of(&[], today).summary(Language::English),
            "From 2026-01-28 to 2026-02-10 your phone was not seen in any city."
        );
    }
}
