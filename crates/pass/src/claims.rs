//! What a health-code pass says, as CBOR Web Token claims (RFC 8392): the standard issuer
//! (1), expiry (4) and issue time (6), and one private claim holding the colour and the
//! holder binding. The key id travels in the COSE protected header, as in EU certificates.
//!
//! ```text
//! { 1: issuer region, 4: expires, 6: issued at,
//!   -65537: { 1: colour, 2: colour valid until or null, 3: rating version,
//!             4: masked name, 5: birth year, 6: salt (16 bytes),
//!             7: SHA-256(salt ‖ resident ID number) } }
//! ```
//!
//! Times are whole seconds since the Unix epoch. The holder binding shows only what a
//! checkpoint needs to compare the pass with the person: the masked name, the birth year, and
//! a salted hash that matches the ID card they present, but from which the number cannot be
//! listed (a fresh salt for every pass).

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest;
use coset::cbor::value::{Integer, Value};
use healthcode_core::ResidentId;
use healthcode_core::rating::Colour;
use jiff::Timestamp;

use crate::container::{self, Kind};
use crate::cose::SigningKey;
use crate::dcc::decode_cbor;

pub(crate) const ISSUER: i64 = 1;
const EXPIRES: i64 = 4;
pub(crate) const ISSUED_AT: i64 = 6;
/// The private claim holding this system's fields (private claim keys are below -65536).
pub const HEALTH_CODE_CLAIM: i64 = -65537;

const COLOUR: i64 = 1;
const COLOUR_VALID_UNTIL: i64 = 2;
const RATING_VERSION: i64 = 3;
const MASKED_NAME: i64 = 4;
const BIRTH_YEAR: i64 = 5;
const SALT: i64 = 6;
const ID_HASH: i64 = 7;

pub const SALT_LENGTH: usize = 16;

/// The claims of one pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassClaims {
    /// The issuing region's code, as its trust list names it.
    pub issuer: String,
    pub issued_at: Timestamp,
    pub expires: Timestamp,
    pub colour: Colour,
    /// When the colour runs out if nothing new happens; `None` as in the rating.
    pub colour_valid_until: Option<Timestamp>,
    /// The sequence of the rating the pass shows: an online check refuses a pass whose rating
    /// is no longer the holder's latest.
    pub rating_version: u64,
    pub holder: Holder,
}

/// Who may carry a pass, as much as a checkpoint needs to tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    /// Such as 张*明: first and last characters only.
    pub masked_name: String,
    pub birth_year: i16,
    pub salt: [u8; SALT_LENGTH],
    pub id_hash: [u8; 32],
}

impl Holder {
    /// Binds a pass to `resident` with a fresh `salt`.
    pub fn bind(resident: &ResidentId, masked_name: String, salt: [u8; SALT_LENGTH]) -> Holder {
        Holder {
            masked_name,
            birth_year: resident.birth_date().year(),
            salt,
            id_hash: id_hash(&salt, resident),
        }
    }

    /// Whether the ID card a person presents is the one this pass was issued to.
    pub fn is(&self, resident: &ResidentId) -> bool {
        verify_slices_are_equal(&id_hash(&self.salt, resident), &self.id_hash).is_ok()
    }
}

fn id_hash(salt: &[u8; SALT_LENGTH], resident: &ResidentId) -> [u8; 32] {
    let mut context = digest::Context::new(&digest::SHA256);
    context.update(salt);
    context.update(resident.as_str().as_bytes());
    context
        .finish()
        .as_ref()
        .try_into()
        .expect("SHA-256 has 32 bytes")
}

impl PassClaims {
    /// The pass: these claims signed with `key` and wrapped as `HCODE1:` text.
    pub fn issue(&self, key: &SigningKey) -> String {
        container::wrap(Kind::HealthCode, &key.sign(self.to_cbor()))
    }

    /// The CBOR encoding, the payload that is signed.
    pub fn to_cbor(&self) -> Vec<u8> {
        let int = |value: i64| Value::Integer(value.into());
        let time = |at: Timestamp| int(at.as_second());
        let holder = &self.holder;
        let fields = vec![
            (int(COLOUR), Value::Text(self.colour.code().to_owned())),
            (
                int(COLOUR_VALID_UNTIL),
                self.colour_valid_until.map_or(Value::Null, time),
            ),
            (
                int(RATING_VERSION),
                Value::Integer(self.rating_version.into()),
            ),
            (int(MASKED_NAME), Value::Text(holder.masked_name.clone())),
            (int(BIRTH_YEAR), int(holder.birth_year.into())),
            (int(SALT), Value::Bytes(holder.salt.to_vec())),
            (int(ID_HASH), Value::Bytes(holder.id_hash.to_vec())),
        ];
        let claims = Value::Map(vec![
            (int(ISSUER), Value::Text(self.issuer.clone())),
            (int(EXPIRES), time(self.expires)),
            (int(ISSUED_AT), time(self.issued_at)),
            (int(HEALTH_CODE_CLAIM), Value::Map(fields)),
        ]);
        let mut bytes = Vec::new();
        ciborium::ser::into_writer(&claims, &mut bytes).expect("writing to a Vec cannot fail");
        bytes
    }

    /// Reads claims from a verified payload; the error says which claim is missing or wrong.
    pub fn from_cbor(bytes: &[u8]) -> Result<PassClaims, String> {
        let value = decode_cbor(bytes)?;
        let claims = Map::of(&value, "the claims")?;
        let fields = Map::of(
            claims.get(HEALTH_CODE_CLAIM, "the health-code claim")?,
            "the health-code claim",
        )?;
        let colour_code = fields.text(COLOUR, "the colour")?;
        let colour =
            Colour::parse(colour_code).map_err(|_| format!("unknown colour {colour_code:?}"))?;
        let colour_valid_until = match fields.get(COLOUR_VALID_UNTIL, "the colour's validity")? {
            Value::Null => None,
            value => Some(time(value, "the colour's validity")?),
        };
        let salt = fields.bytes(SALT, "the salt")?;
        let id_hash = fields.bytes(ID_HASH, "the ID hash")?;
        Ok(PassClaims {
            issuer: claims.text(ISSUER, "the issuer")?.to_owned(),
            issued_at: time(claims.get(ISSUED_AT, "the issue time")?, "the issue time")?,
            expires: time(claims.get(EXPIRES, "the expiry")?, "the expiry")?,
            colour,
            colour_valid_until,
            rating_version: integer(
                fields.get(RATING_VERSION, "the rating version")?,
                "the rating version",
            )?,
            holder: Holder {
                masked_name: fields.text(MASKED_NAME, "the masked name")?.to_owned(),
                birth_year: integer(fields.get(BIRTH_YEAR, "the birth year")?, "the birth year")?,
                salt: salt
                    .try_into()
                    .map_err(|_| format!("the salt is not {SALT_LENGTH} bytes"))?,
                id_hash: id_hash
                    .try_into()
                    .map_err(|_| "the ID hash is not 32 bytes".to_owned())?,
            },
        })
    }
}

/// A CBOR map with integer keys, read strictly: every key once. Claims and trust lists are
/// read through it.
pub(crate) struct Map<'a>(&'a [(Value, Value)]);

impl<'a> Map<'a> {
    pub(crate) fn of(value: &'a Value, what: &str) -> Result<Map<'a>, String> {
        match value {
            Value::Map(entries) => Ok(Map(entries)),
            _ => Err(format!("{what} is not a map")),
        }
    }

    pub(crate) fn get(&self, key: i64, what: &str) -> Result<&'a Value, String> {
        let mut found = self
            .0
            .iter()
            .filter(|(k, _)| matches!(k, Value::Integer(k) if i128::from(*k) == i128::from(key)));
        match (found.next(), found.next()) {
            (Some((_, value)), None) => Ok(value),
            (None, _) => Err(format!("{what} is missing")),
            (Some(_), Some(_)) => Err(format!("{what} is given twice")),
        }
    }

    /// Refuses a key not among `known`: for formats that change under a new prefix rather
    /// than by growing new keys.
    pub(crate) fn only(&self, known: &[i64], what: &str) -> Result<(), String> {
        for (key, _) in self.0 {
            let Value::Integer(key) = key else {
                return Err(format!("{what} has a key that is not an integer"));
            };
            let key = i128::from(*key);
            if !known.iter().any(|known| i128::from(*known) == key) {
                return Err(format!("{what} has an unknown key {key}"));
            }
        }
        Ok(())
    }

    pub(crate) fn text(&self, key: i64, what: &str) -> Result<&'a str, String> {
        match self.get(key, what)? {
            Value::Text(text) => Ok(text),
            _ => Err(format!("{what} is not text")),
        }
    }

    pub(crate) fn bytes(&self, key: i64, what: &str) -> Result<&'a [u8], String> {
        match self.get(key, what)? {
            Value::Bytes(bytes) => Ok(bytes),
            _ => Err(format!("{what} is not a byte string")),
        }
    }
}

fn integer<T: TryFrom<Integer>>(value: &Value, what: &str) -> Result<T, String> {
    match value {
        Value::Integer(integer) => {
            T::try_from(*integer).map_err(|_| format!("{what} is out of range"))
        }
        _ => Err(format!("{what} is not an integer")),
    }
}

pub(crate) fn time(value: &Value, what: &str) -> Result<Timestamp, String> {
    let seconds: i64 = integer(value, what)?;
    Timestamp::from_second(seconds).map_err(|_| format!("{what} is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resident() -> ResidentId {
        ResidentId::parse("11010519491231002X").unwrap()
    }

    fn claims() -> PassClaims {
        PassClaims {
            issuer: "330100".into(),
            issued_at: Timestamp::from_second(1_700_000_000).unwrap(),
            expires: Timestamp::from_second(1_700_000_300).unwrap(),
            colour: Colour::Yellow,
            colour_valid_until: Some(Timestamp::from_second(1_700_600_000).unwrap()),
            rating_version: 42,
            holder: Holder::bind(&resident(), "张*明".into(), [7; SALT_LENGTH]),
        }
    }

    #[test]
    fn claims_read_back_from_their_cbor_as_they_were() {
        let claims = claims();
        assert_eq!(PassClaims::from_cbor(&claims.to_cbor()).unwrap(), claims);
        let green = PassClaims {
            colour: Colour::Green,
            colour_valid_until: None,
            ..claims
        };
        assert_eq!(PassClaims::from_cbor(&green.to_cbor()).unwrap(), green);
    }

    #[test]
    fn the_holder_binding_matches_the_holders_id_card_and_no_other() {
        let holder = claims().holder;
        assert_eq!(holder.birth_year, 1949);
        assert!(holder.is(&resident()));
        assert!(!holder.is(&ResidentId::with_check_character("44052419800101001").unwrap()));
        let other_salt = Holder::bind(&resident(), "张*明".into(), [8; SALT_LENGTH]);
        assert_ne!(other_salt.id_hash, holder.id_hash);
    }

    #[test]
    fn a_missing_or_mistyped_claim_is_named() {
        let cases: Vec<(Value, &str)> = vec![
            (Value::Integer(1.into()), "the claims is not a map"),
            (Value::Map(vec![]), "the health-code claim is missing"),
        ];
        for (value, expected) in cases {
            let mut bytes = Vec::new();
            ciborium::ser::into_writer(&value, &mut bytes).unwrap();
            assert_eq!(PassClaims::from_cbor(&bytes).unwrap_err(), expected);
        }
    }
}
