//! Households: the people registered at one home, whom tracing treats as close contacts of
//! each other.

use std::fmt;

/// The registry's code for a household (a household register number or a community's own
/// code). It names a home, not a person, and says nothing about who lives there.
///
/// Every `HouseholdCode` is 1 to 64 characters from A–Z, a–z, 0–9, `-`, `_`, `.`, `:` and `/`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HouseholdCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("should be 1 to 64 characters from A–Z, a–z, 0–9, '-', '_', '.', ':' and '/'")]
pub struct HouseholdCodeError;

impl HouseholdCode {
    pub fn parse(text: &str) -> Result<HouseholdCode, HouseholdCodeError> {
        let valid_characters = text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'/'));
        if text.is_empty() || text.len() > 64 || !valid_characters {
            return Err(HouseholdCodeError);
        }
        Ok(HouseholdCode(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HouseholdCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn household_codes_are_short_registry_codes() {
        for text in ["330102-0001234", "HZ/SC/12:3", "a.b_c"] {
            assert_eq!(HouseholdCode::parse(text).unwrap().as_str(), text);
        }
        for text in ["", "with space", "户口123", &"1".repeat(65)] {
            assert_eq!(
                HouseholdCode::parse(text),
                Err(HouseholdCodeError),
                "{text:?}"
            );
        }
    }
}
