//! Residents enrolled in the system.
//!
//! A person is known inside the system by a random `PersonId`; the resident ID number, the name
//! and the phone are personal data that the store keeps encrypted. None of them ever appears in
//! `Debug` output, so a stray `{:?}` in a log line cannot leak them.

use std::fmt;

use jiff::Timestamp;

use crate::event::uuid_id;
use crate::resident_id::ResidentId;

uuid_id!(
    /// The internal identifier of a person: random, meaningless outside the system, and the only
    /// identifier events carry.
    PersonId
);

/// A resident as enrolled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub id: PersonId,
    pub resident_id: ResidentId,
    pub name: PersonName,
    pub phone: PhoneNumber,
    pub enrolled_at: Timestamp,
}

/// Every `PersonName` has 1 to 64 characters after trimming and no control characters.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("should not be empty")]
    Empty,
    #[error("should be at most 64 characters")]
    TooLong,
    #[error("should not contain control characters")]
    ControlCharacter,
}

impl PersonName {
    pub fn parse(text: &str) -> Result<PersonName, NameError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(NameError::Empty);
        }
        if text.chars().count() > 64 {
            return Err(NameError::TooLong);
        }
        if text.chars().any(char::is_control) {
            return Err(NameError::ControlCharacter);
        }
        Ok(PersonName(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form shown to checkpoint workers: first and last character kept, the rest starred
    /// (张*明, 李*, 欧**华).
    pub fn masked(&self) -> String {
        let characters: Vec<char> = self.0.chars().collect();
        match characters.as_slice() {
            [] => String::new(),
            [_] => "*".to_owned(),
            [first, _] => format!("{first}*"),
            [first, middle @ .., last] => {
                format!("{first}{}{last}", "*".repeat(middle.len()))
            }
        }
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PersonName").field(&self.masked()).finish()
    }
}

/// Every `PhoneNumber` is either a mainland mobile number (11 digits starting 13–19) or an
/// international number in E.164 form (`+` and 8 to 15 digits). Spaces and hyphens are dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("should be an 11-digit mobile number starting 13–19, or + and 8 to 15 digits")]
    Format,
}

impl PhoneNumber {
    pub fn parse(text: &str) -> Result<PhoneNumber, PhoneError> {
        let compact: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let (international, digits) = match compact.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, compact.as_str()),
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneError::Format);
        }
        let valid = if international {
            (8..=15).contains(&digits.len()) && !digits.starts_with('0')
        } else {
            digits.len() == 11 && digits.starts_with('1') && digits.as_bytes()[1] >= b'3'
        };
        if !valid {
            return Err(PhoneError::Format);
        }
        Ok(PhoneNumber(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last four digits kept, the rest starred except a leading `+` and three digits.
    pub fn masked(&self) -> String {
        let keep_front = if self.0.starts_with('+') { 4 } else { 3 };
        let length = self.0.len();
        format!(
            "{}{}{}",
            &self.0[..keep_front],
            "*".repeat(length - keep_front - 4),
            &self.0[length - 4..]
        )
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PhoneNumber").field(&self.masked()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_masked_keeping_first_and_last_character() {
        let cases = [
            ("张三明", "张*明"),
            ("李四", "李*"),
            ("欧阳春华", "欧**华"),
            ("Ann", "A*n"),
            ("王", "*"),
        ];
        for (name, masked) in cases {
            assert_eq!(PersonName::parse(name).unwrap().masked(), masked, "{name}");
        }
    }

    #[test]
    fn names_must_be_present_short_and_printable() {
        assert_eq!(PersonName::parse("  "), Err(NameError::Empty));
        assert_eq!(PersonName::parse(&"a".repeat(65)), Err(NameError::TooLong));
        assert_eq!(
            PersonName::parse("a\u{7}b"),
            Err(NameError::ControlCharacter)
        );
        assert_eq!(PersonName::parse(" 张三 ").unwrap().as_str(), "张三");
    }

    #[test]
    fn phones_are_mainland_mobiles_or_e164() {
        assert_eq!(
            PhoneNumber::parse("138 0013-8000").unwrap().as_str(),
            "13800138000"
        );
        assert_eq!(
            PhoneNumber::parse("+85291234567").unwrap().as_str(),
            "+85291234567"
        );
        for bad in [
            "12800138000",
            "1380013800",
            "+0123456789",
            "phone",
            "+1234567",
        ] {
            assert_eq!(PhoneNumber::parse(bad), Err(PhoneError::Format), "{bad}");
        }
    }

    #[test]
    fn debug_output_never_shows_a_full_name_or_phone() {
        let phone = PhoneNumber::parse("13800138000").unwrap();
        assert_eq!(phone.masked(), "138****8000");
        assert_eq!(format!("{phone:?}"), "PhoneNumber(\"138****8000\")");
        let name = PersonName::parse("张三明").unwrap();
        assert_eq!(format!("{name:?}"), "PersonName(\"张*明\")");
    }
}
