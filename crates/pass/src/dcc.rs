//! EU Digital COVID Certificates: the claims of an `HC1:` certificate (CWT issuer, issue time,
//! expiry, and the certificate itself under `-260` / `1`) read as JSON.

pub mod signer;
pub mod vectors;

use coset::cbor::value::Value;
use jiff::Timestamp;

use crate::cose::CBOR_DEPTH;
use crate::trust::DccKind;

const ISSUER: i128 = 1;
const EXPIRES: i128 = 4;
const ISSUED_AT: i128 = 6;
pub(crate) const HCERT: i128 = -260;
pub(crate) const HCERT_DCC: i128 = 1;

/// A certificate's claims.
#[derive(Clone, Debug, PartialEq)]
pub struct DccContents {
    /// The issuing country, as the CWT names it (the trust list's name is what is shown).
    pub issuer: Option<String>,
    pub issued_at: Timestamp,
    pub expires: Timestamp,
    /// The certificate (`ver`, `nam`, `dob`, and `v`, `t` or `r` entries) as JSON.
    pub certificate: serde_json::Value,
}

impl DccContents {
    /// Reads the claims of a verified payload.
    pub fn from_cwt(payload: &[u8]) -> Result<DccContents, String> {
        let claims = decode_cbor(payload)?;
        let Value::Map(entries) = &claims else {
            return Err("the claims are not a map".into());
        };
        let issuer = match claim(entries, ISSUER) {
            Some(Value::Text(text)) => Some(text.clone()),
            Some(_) => return Err("the issuer is not text".into()),
            None => None,
        };
        let time = |key: i128, what: &str| -> Result<Timestamp, String> {
            let seconds = match claim(entries, key) {
                Some(Value::Integer(integer)) => i64::try_from(i128::from(*integer))
                    .map_err(|_| format!("{what} is out of range"))?,
                // Some issuers write times as floats; the fraction of a second is dropped.
                Some(Value::Float(float)) if float.is_finite() => float.floor() as i64,
                Some(_) => return Err(format!("{what} is not a number")),
                None => return Err(format!("{what} is missing")),
            };
            Timestamp::from_second(seconds).map_err(|_| format!("{what} is out of range"))
        };
        let hcert = match claim(entries, HCERT) {
            Some(Value::Map(hcert)) => hcert,
            Some(_) => return Err("the health certificate claim (-260) is not a map".into()),
            None => return Err("the health certificate claim (-260) is missing".into()),
        };
        let certificate = claim(hcert, HCERT_DCC)
            .ok_or("the health certificate claim holds no certificate (1)")?;
        Ok(DccContents {
            issuer,
            issued_at: time(ISSUED_AT, "the issue time")?,
            expires: time(EXPIRES, "the expiry")?,
            certificate: to_json(certificate)?,
        })
    }

    /// The kinds of entry the certificate holds (`v`, `t`, `r`).
    pub fn kinds(&self) -> Vec<DccKind> {
        DccKind::ALL
            .into_iter()
            .filter(|kind| {
                self.certificate
                    .get(kind.entry_key())
                    .is_some_and(|entries| !entries.is_null())
            })
            .collect()
    }

    /// The first kind the certificate holds that a signer allowed only `allowed` kinds may
    /// not sign (`None` allows every kind).
    pub fn kind_not_allowed(&self, allowed: Option<&[DccKind]>) -> Option<DccKind> {
        let allowed = allowed?;
        self.kinds()
            .into_iter()
            .find(|kind| !allowed.contains(kind))
    }

    /// The holder's name as the certificate writes it (family name, given name).
    pub fn name(&self) -> Option<String> {
        let name = self.certificate.get("nam")?;
        let part = |key: &str| name.get(key).and_then(serde_json::Value::as_str);
        match (part("fn"), part("gn")) {
            (Some(family), Some(given)) => Some(format!("{family}, {given}")),
            (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
            (None, None) => None,
        }
    }
}

/// Decodes untrusted CBOR with a depth limit, refusing trailing bytes.
pub fn decode_cbor(bytes: &[u8]) -> Result<Value, String> {
    let mut reader = bytes;
    let value: Value = ciborium::de::from_reader_with_recursion_limit(&mut reader, CBOR_DEPTH)
        .map_err(|error| format!("not CBOR: {error}"))?;
    if !reader.is_empty() {
        return Err("bytes follow the CBOR value".into());
    }
    Ok(value)
}

/// The value under integer key `key` in a CBOR map's entries.
pub(crate) fn claim(entries: &[(Value, Value)], key: i128) -> Option<&Value> {
    entries.iter().find_map(|(k, value)| match k {
        Value::Integer(k) if i128::from(*k) == key => Some(value),
        _ => None,
    })
}

/// CBOR as JSON: text keys only; date tags (0, 1004) give their text; bytes and other tags
/// have no JSON form and are refused.
pub fn to_json(value: &Value) -> Result<serde_json::Value, String> {
    Ok(match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(bool) => serde_json::Value::Bool(*bool),
        Value::Text(text) => serde_json::Value::String(text.clone()),
        Value::Integer(integer) => {
            let integer = i128::from(*integer);
            if let Ok(signed) = i64::try_from(integer) {
                signed.into()
            } else if let Ok(unsigned) = u64::try_from(integer) {
                unsigned.into()
            } else {
                return Err("an integer is out of JSON's range".into());
            }
        }
        Value::Float(float) => serde_json::Number::from_f64(*float)
            .map(serde_json::Value::Number)
            .ok_or("a number is not finite")?,
        Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Value::Map(entries) => {
            let mut object = serde_json::Map::new();
            for (key, value) in entries {
                let Value::Text(key) = key else {
                    return Err("a map key is not text".into());
                };
                if object.insert(key.clone(), to_json(value)?).is_some() {
                    return Err(format!("the key {key:?} is given twice"));
                }
            }
            serde_json::Value::Object(object)
        }
        Value::Tag(0 | 1004, inner) if matches!(**inner, Value::Text(_)) => to_json(inner)?,
        Value::Tag(tag, _) => return Err(format!("CBOR tag {tag} has no JSON form")),
        Value::Bytes(_) => return Err("a byte string has no JSON form".into()),
        _ => return Err("a CBOR value has no JSON form".into()),
    })
}
