//! A region's trust list: the public keys its passes may be signed with, signed by the
//! region's trust anchor, a long-lived key whose public half other regions pin when they
//! first import the list (mutual recognition, as the EU gateway's trust anchor works).
//!
//! ```text
//! COSE_Sign1 by the anchor over
//! { 1: issuer, 2: issued at (seconds),
//!   3: [ { 1: kid, 2: algorithm name, 3: public key, 4: trusted until (seconds) or null } … ] }
//! ```

use coset::cbor::value::Value;
use jiff::Timestamp;

use crate::claims::{Map, time};
use crate::cose::{Algorithm, PublicKey, Signed, SigningKey, hex};
use crate::dcc::decode_cbor;
use crate::trust::TrustedKey;

/// One key of a trust list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedKey {
    pub kid: Vec<u8>,
    pub key: PublicKey,
    pub trusted_until: Option<Timestamp>,
}

/// A trust list's contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustList {
    pub issuer: String,
    pub issued_at: Timestamp,
    pub keys: Vec<ListedKey>,
}

/// Why a trust list was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TrustListError {
    #[error("not a signed trust list: {0}")]
    Structure(String),
    #[error("the trust list is not signed by the anchor given (key {kid})")]
    NotSignedByAnchor { kid: String },
    #[error("the trust list's contents cannot be read: {0}")]
    Contents(String),
}

impl TrustList {
    /// The list signed by `anchor`.
    pub fn sign(&self, anchor: &SigningKey) -> Vec<u8> {
        let int = |value: i64| Value::Integer(value.into());
        let keys = self
            .keys
            .iter()
            .map(|listed| {
                Value::Map(vec![
                    (int(1), Value::Bytes(listed.kid.clone())),
                    (int(2), Value::Text(listed.key.algorithm.name().to_owned())),
                    (int(3), Value::Bytes(listed.key.bytes.clone())),
                    (
                        int(4),
                        listed
                            .trusted_until
                            .map_or(Value::Null, |until| int(until.as_second())),
                    ),
                ])
            })
            .collect();
        let list = Value::Map(vec![
            (int(1), Value::Text(self.issuer.clone())),
            (int(2), int(self.issued_at.as_second())),
            (int(3), Value::Array(keys)),
        ]);
        let mut payload = Vec::new();
        ciborium::ser::into_writer(&list, &mut payload).expect("writing to a Vec cannot fail");
        anchor.sign(payload)
    }

    /// Reads a signed list, checking its signature against the pinned `anchor`.
    pub fn open(signed: &[u8], anchor: &PublicKey) -> Result<TrustList, TrustListError> {
        let signed =
            Signed::parse(signed).map_err(|error| TrustListError::Structure(error.to_string()))?;
        if !signed.verifies_with(anchor) {
            return Err(TrustListError::NotSignedByAnchor {
                kid: hex(&signed.kid),
            });
        }
        TrustList::from_cbor(signed.payload()).map_err(TrustListError::Contents)
    }

    fn from_cbor(payload: &[u8]) -> Result<TrustList, String> {
        let value = decode_cbor(payload)?;
        let list = Map::of(&value, "the list")?;
        let Value::Array(listed) = list.get(3, "the keys")? else {
            return Err("the keys are not a list".into());
        };
        let keys = listed
            .iter()
            .map(|entry| {
                let entry = Map::of(entry, "a key")?;
                let name = entry.text(2, "a key's algorithm")?;
                let algorithm = Algorithm::parse(name)
                    .ok_or_else(|| format!("algorithm {name:?} is not supported"))?;
                let trusted_until = match entry.get(4, "a key's end of trust")? {
                    Value::Null => None,
                    value => Some(time(value, "a key's end of trust")?),
                };
                Ok(ListedKey {
                    kid: entry.bytes(1, "a key id")?.to_vec(),
                    key: PublicKey {
                        algorithm,
                        bytes: entry.bytes(3, "a public key")?.to_vec(),
                    },
                    trusted_until,
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(TrustList {
            issuer: list.text(1, "the issuer")?.to_owned(),
            issued_at: time(list.get(2, "the issue time")?, "the issue time")?,
            keys,
        })
    }

    /// The keys as a verifier trusts them, named by the list's issuer.
    pub fn trusted_keys(&self) -> impl Iterator<Item = TrustedKey> + '_ {
        self.keys.iter().map(|listed| TrustedKey {
            issuer: self.issuer.clone(),
            kid: listed.kid.clone(),
            key: listed.key.clone(),
            trusted_until: listed.trusted_until,
            kinds: None,
        })
    }
}
