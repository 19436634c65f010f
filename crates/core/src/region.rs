//! Administrative region codes (GB/T 2260), the six digits that open a resident ID number and
//! name a district.

use std::fmt;
use std::str::FromStr;

/// The two-digit province-level prefixes of GB/T 2260.
const PROVINCE_PREFIXES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// Every `RegionCode` is six ASCII digits whose first two name a province-level division.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionCode(u32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    #[error("should be six digits, such as 330106")]
    NotSixDigits,
    #[error(
        "{prefix:02} is not a province-level code; the first two digits should be one of 11–15, 21–23, 31–37, 41–46, 50–54, 61–65, 71, 81 or 82"
    )]
    UnknownProvince { prefix: u8 },
}

impl RegionCode {
    pub fn parse(text: &str) -> Result<RegionCode, RegionCodeError> {
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegionCodeError::NotSixDigits);
        }
        let value: u32 = text.parse().map_err(|_| RegionCodeError::NotSixDigits)?;
        RegionCode::from_number(value)
    }

    pub fn from_number(value: u32) -> Result<RegionCode, RegionCodeError> {
        if value > 999_999 {
            return Err(RegionCodeError::NotSixDigits);
        }
        let prefix = (value / 10_000) as u8;
        if !PROVINCE_PREFIXES.contains(&prefix) {
            return Err(RegionCodeError::UnknownProvince { prefix });
        }
        Ok(RegionCode(value))
    }

    pub fn as_number(&self) -> u32 {
        self.0
    }

    /// The province-level division this region belongs to, e.g. 330000 for 330106.
    pub fn province(&self) -> RegionCode {
        RegionCode(self.0 / 10_000 * 10_000)
    }
}

impl FromStr for RegionCode {
    type Err = RegionCodeError;

    fn from_str(text: &str) -> Result<RegionCode, RegionCodeError> {
        RegionCode::parse(text)
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes_need_six_digits_and_a_known_province() {
        assert_eq!(RegionCode::parse("330106").unwrap().to_string(), "330106");
        assert_eq!(
            RegionCode::parse("330106").unwrap().province().to_string(),
            "330000"
        );
        assert_eq!(
            RegionCode::parse("33010"),
            Err(RegionCodeError::NotSixDigits)
        );
        assert_eq!(
            RegionCode::parse("33010a"),
            Err(RegionCodeError::NotSixDigits)
        );
        assert_eq!(
            RegionCode::parse("990101"),
            Err(RegionCodeError::UnknownProvince { prefix: 99 })
        );
    }
}
