//! Resident identity card numbers (GB 11643-1999).
//!
//! Eighteen characters: a six-digit region code, an eight-digit birth date, a three-digit
//! sequence number (odd for men, even for women) and a check digit computed with ISO 7064
//! MOD 11-2, where a value of ten is written `X`.

use std::fmt;

use jiff::civil::Date;

use crate::region::{RegionCode, RegionCodeError};

/// Weights of the first seventeen characters in the MOD 11-2 checksum (2^(17-i) mod 11).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each value of the weighted sum modulo 11.
const CHECK_CHARACTERS: [u8; 11] = *b"10X98765432";

/// Every `ResidentId` is 18 characters long, opens with a known region code and a real calendar
/// date, and ends with the correct check character (an upper-case `X` for ten).
///
/// It never appears in logs: `Debug` prints only the masked form.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

/// What is wrong with a resident ID number, in terms the person typing it can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    #[error("should be 18 characters, found {found}")]
    Length { found: usize },
    #[error("the first 17 characters should be digits")]
    NotDigits,
    #[error("the last character should be a digit or X")]
    BadCheckCharacter,
    #[error("region code (characters 1–6): {0}")]
    Region(RegionCodeError),
    // The digits are not repeated: error messages can end up in logs.
    #[error("birth date (characters 7–14) is not a real date")]
    BirthDate,
    #[error("birth date (characters 7–14) should be on or after 1900-01-01")]
    BirthDateTooEarly,
    #[error("check digit should be {expected}, found {found}")]
    CheckDigit { expected: char, found: char },
}

impl ResidentId {
    /// Parses an ID number; a lower-case `x` is accepted and stored upper-case.
    pub fn parse(text: &str) -> Result<ResidentId, ResidentIdError> {
        let text = text.trim();
        let found = text.chars().count();
        if found != 18 {
            return Err(ResidentIdError::Length { found });
        }
        let bytes = text.as_bytes();
        if !bytes[..17].iter().all(u8::is_ascii_digit) {
            return Err(ResidentIdError::NotDigits);
        }
        let last = bytes[17].to_ascii_uppercase();
        if !(last.is_ascii_digit() || last == b'X') {
            return Err(ResidentIdError::BadCheckCharacter);
        }
        RegionCode::parse(&text[..6]).map_err(ResidentIdError::Region)?;
        birth_date_of(&text[6..14])?;
        let expected = check_character(&bytes[..17]);
        if expected != last {
            return Err(ResidentIdError::CheckDigit {
                expected: expected as char,
                found: last as char,
            });
        }
        let mut normalised = text[..17].to_owned();
        normalised.push(last as char);
        Ok(ResidentId(normalised))
    }

    /// Completes seventeen digits with their check character. Used by tools that generate
    /// synthetic residents; the result is a valid `ResidentId`.
    pub fn with_check_character(first_seventeen: &str) -> Result<ResidentId, ResidentIdError> {
        if first_seventeen.len() != 17 || !first_seventeen.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ResidentIdError::NotDigits);
        }
        let check = check_character(first_seventeen.as_bytes()) as char;
        ResidentId::parse(&format!("{first_seventeen}{check}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn region(&self) -> RegionCode {
        RegionCode::parse(&self.0[..6]).expect("validated on parse")
    }

    pub fn birth_date(&self) -> Date {
        birth_date_of(&self.0[6..14]).expect("validated on parse")
    }

    /// The form shown on screens: the first six and last four characters, the rest starred,
    /// e.g. `330106********123X`.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }
}

fn check_character(first_seventeen: &[u8]) -> u8 {
    let sum: u32 = first_seventeen
        .iter()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    CHECK_CHARACTERS[(sum % 11) as usize]
}

fn birth_date_of(text: &str) -> Result<Date, ResidentIdError> {
    let bad = || ResidentIdError::BirthDate;
    let year: i16 = text[..4].parse().map_err(|_| bad())?;
    let month: i8 = text[4..6].parse().map_err(|_| bad())?;
    let day: i8 = text[6..8].parse().map_err(|_| bad())?;
    let date = Date::new(year, month, day).map_err(|_| bad())?;
    if year < 1900 {
        return Err(ResidentIdError::BirthDateTooEarly);
    }
    Ok(date)
}

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ResidentId").field(&self.masked()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (input, expected outcome) pairs; the valid numbers are synthetic.
    const CASES: &[(&str, Result<&str, &str>)] = &[
        ("11010519491231002X", Ok("11010519491231002X")),
        ("11010519491231002x", Ok("11010519491231002X")),
        (
            "440524188001010014",
            Err("birth date (characters 7–14) should be on or after 1900-01-01"),
        ),
        (
            "330106199001011254",
            Err("check digit should be 6, found 4"),
        ),
        ("330106199001011256", Ok("330106199001011256")),
        ("33010619900101123X", Ok("33010619900101123X")),
        (
            "33010619900101125",
            Err("should be 18 characters, found 17"),
        ),
        (
            "3301061990010112561",
            Err("should be 18 characters, found 19"),
        ),
        (
            "33010619900101125A",
            Err("the last character should be a digit or X"),
        ),
        (
            "3301061990A1011256",
            Err("the first 17 characters should be digits"),
        ),
        (
            "990106199001011256",
            Err(
                "region code (characters 1–6): 99 is not a province-level code; the first two digits should be one of 11–15, 21–23, 31–37, 41–46, 50–54, 61–65, 71, 81 or 82",
            ),
        ),
        (
            "330106199002301256",
            Err("birth date (characters 7–14) is not a real date"),
        ),
    ];

    #[test]
    fn resident_ids_are_checked_part_by_part() {
        for (input, expected) in CASES {
            let actual = ResidentId::parse(input)
                .map(|id| id.as_str().to_owned())
                .map_err(|e| e.to_string());
            let expected = expected.map(str::to_owned).map_err(str::to_owned);
            assert_eq!(actual, expected, "input {input}");
        }
    }

    #[test]
    fn a_check_digit_of_ten_is_written_x() {
        let id = ResidentId::with_check_character("11010519491231002").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn resident_ids_expose_region_and_birth_date_and_mask_the_middle() {
        let id = ResidentId::parse("330106199001011256").unwrap();
        assert_eq!(id.region().to_string(), "330106");
        assert_eq!(id.birth_date(), Date::new(1990, 1, 1).unwrap());
        assert_eq!(id.masked(), "330106********1256");
        assert_eq!(format!("{id:?}"), "ResidentId(\"330106********1256\")");
    }
}
