//! A venue's own signed QR code, printed on its poster ([`crate::poster`]): residents scan it
//! to check in there, and the signature lets their phone refuse a fake poster that points
//! somewhere else.
//!
//! Posters stay on the wall for months, so a venue code is signed with the region's trust
//! anchor (long-lived, pinned by every verifier of the region and by the regions that import
//! its trust list), never with the rotating pass keys, and it does not expire. It is wrapped in
//! the same layers as a pass ([`crate::container`]) under its own prefix, `HCVENUE1:`:
//!
//! ```text
//! COSE_Sign1 by the region's anchor over
//! { 1: issuer region, 6: issued at,
//!   -65538: { 1: venue id (16 bytes), 2: venue name, 3: district code } }
//! ```
//!
//! Times are whole seconds since the Unix epoch. Every key is read strictly: a missing,
//! repeated or unknown key is refused, so a new field comes with a new prefix (`HCVENUE2:`),
//! never as a poster that older phones read in part. A venue code says nothing about a person
//! and is never accepted as a pass: [`crate::verify::Verifier`] refuses it at its prefix.

use coset::cbor::value::Value;
use jiff::Timestamp;

use crate::claims::{ISSUED_AT, ISSUER, Map, time};
use crate::container::{self, Kind};
use crate::cose::{PublicKey, Signed, SigningKey, hex};
use crate::dcc::decode_cbor;
use crate::verdict::Invalid;

pub use crate::container::VENUE_CODE_PREFIX;

/// The private claim holding the venue's fields (next to the pass's `-65537`).
pub const VENUE_CLAIM: i64 = -65538;

const VENUE_ID: i64 = 1;
const NAME: i64 = 2;
const DISTRICT: i64 = 3;

/// What a venue's poster code says. Once opened, it was signed by the anchor of the region it
/// names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VenueCode {
    /// The region whose anchor signs the code, as its trust list names it.
    pub issuer: String,
    /// Whole seconds: a finer part is not signed.
    pub issued_at: Timestamp,
    /// The venue's id: the bytes of its UUID (`healthcode_core::venue::VenueId::as_bytes`).
    pub venue: [u8; 16],
    pub name: String,
    /// The code of the district the venue is in.
    pub district: String,
}

impl VenueCode {
    /// The text of the poster's QR code: these claims signed with the region's `anchor` and
    /// wrapped as `HCVENUE1:` text.
    pub fn sign(&self, anchor: &SigningKey) -> String {
        container::wrap(Kind::Venue, &anchor.sign(self.to_cbor()))
    }

    /// Reads a venue code's text, checked against `anchors`: pairs of a region and its anchor's
    /// public key (see [`crate::PassKeys::anchors`]). The first step that fails is the reason,
    /// in the order a pass is verified: prefix (a pass or certificate is not a venue code),
    /// Base45, zlib, COSE structure, key, signature, claims (including a code that names
    /// another region than the one whose anchor signed it).
    pub fn open(text: &str, anchors: &[(String, PublicKey)]) -> Result<VenueCode, Invalid> {
        let (kind, rest) = container::unprefix(text)?;
        if kind != Kind::Venue {
            return Err(Invalid::NotAVenueCode);
        }
        let signed = Signed::parse(&container::unwrap_body(rest)?)?;
        let (signer, signer_key) = signer(&signed, anchors)?;
        let code = VenueCode::from_cbor(signed.payload()).map_err(Invalid::Claims)?;
        // The same anchor may be listed under several names; any of them may be the one named.
        let names_its_signer = anchors
            .iter()
            .any(|(issuer, key)| key == signer_key && *issuer == code.issuer);
        if !names_its_signer {
            return Err(Invalid::Claims(format!(
                "the code names region {:?}, but it is signed by the anchor of region {signer:?}",
                code.issuer
            )));
        }
        Ok(code)
    }

    /// The CBOR encoding, the payload that is signed.
    pub fn to_cbor(&self) -> Vec<u8> {
        let int = |value: i64| Value::Integer(value.into());
        let fields = vec![
            (int(VENUE_ID), Value::Bytes(self.venue.to_vec())),
            (int(NAME), Value::Text(self.name.clone())),
            (int(DISTRICT), Value::Text(self.district.clone())),
        ];
        let claims = Value::Map(vec![
            (int(ISSUER), Value::Text(self.issuer.clone())),
            (int(ISSUED_AT), int(self.issued_at.as_second())),
            (int(VENUE_CLAIM), Value::Map(fields)),
        ]);
        let mut bytes = Vec::new();
        ciborium::ser::into_writer(&claims, &mut bytes).expect("writing to a Vec cannot fail");
        bytes
    }

    /// Reads the claims from a verified payload; the error says which claim is missing, wrong,
    /// repeated or unknown.
    pub fn from_cbor(bytes: &[u8]) -> Result<VenueCode, String> {
        let value = decode_cbor(bytes)?;
        let claims = Map::of(&value, "the claims")?;
        claims.only(&[ISSUER, ISSUED_AT, VENUE_CLAIM], "the claims")?;
        let fields = Map::of(
            claims.get(VENUE_CLAIM, "the venue claim")?,
            "the venue claim",
        )?;
        fields.only(&[VENUE_ID, NAME, DISTRICT], "the venue claim")?;
        let venue = fields.bytes(VENUE_ID, "the venue id")?;
        Ok(VenueCode {
            issuer: claims.text(ISSUER, "the issuer")?.to_owned(),
            issued_at: time(claims.get(ISSUED_AT, "the issue time")?, "the issue time")?,
            venue: venue
                .try_into()
                .map_err(|_| "the venue id is not 16 bytes".to_owned())?,
            name: fields.text(NAME, "the venue name")?.to_owned(),
            district: fields.text(DISTRICT, "the district")?.to_owned(),
        })
    }
}

/// The anchor whose signature `signed` carries, with its region.
fn signer<'a>(
    signed: &Signed,
    anchors: &'a [(String, PublicKey)],
) -> Result<(&'a str, &'a PublicKey), Invalid> {
    let mut candidates = anchors
        .iter()
        .filter(|(_, key)| key.algorithm == signed.algorithm && key.kid() == signed.kid)
        .peekable();
    let Some((first_issuer, first_key)) = candidates.peek().copied() else {
        return Err(Invalid::UnknownKey {
            kid: hex(&signed.kid),
        });
    };
    candidates
        .find(|(_, key)| signed.verifies_with(key))
        .map(|(issuer, key)| (issuer.as_str(), key))
        .ok_or_else(|| Invalid::BadSignature {
            kid: hex(&first_key.kid()),
            issuer: first_issuer.clone(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> VenueCode {
        VenueCode {
            issuer: "330100".into(),
            issued_at: Timestamp::from_second(1_767_225_600).unwrap(),
            venue: [5; 16],
            name: "西湖边小吃店".into(),
            district: "330106".into(),
        }
    }

    fn encode(value: &Value) -> Vec<u8> {
        let mut bytes = Vec::new();
        ciborium::ser::into_writer(value, &mut bytes).unwrap();
        bytes
    }

    #[test]
    fn claims_read_back_from_their_cbor_as_they_were() {
        assert_eq!(VenueCode::from_cbor(&code().to_cbor()).unwrap(), code());
    }

    #[test]
    fn a_missing_repeated_unknown_or_mistyped_claim_is_named() {
        let int = |value: i64| Value::Integer(value.into());
        let fields = |extra: Vec<(Value, Value)>| {
            let mut fields = vec![
                (int(VENUE_ID), Value::Bytes(vec![5; 16])),
                (int(NAME), Value::Text("小吃店".into())),
                (int(DISTRICT), Value::Text("330106".into())),
            ];
            fields.extend(extra);
            Value::Map(fields)
        };
        let claims = |venue: Value, extra: Vec<(Value, Value)>| {
            let mut claims = vec![
                (int(ISSUER), Value::Text("330100".into())),
                (int(ISSUED_AT), int(1_767_225_600)),
                (int(VENUE_CLAIM), venue),
            ];
            claims.extend(extra);
            Value::Map(claims)
        };
        let cases: Vec<(Value, &str)> = vec![
            (Value::Array(vec![]), "the claims is not a map"),
            (
                claims(fields(vec![]), vec![(int(4), int(1_767_225_900))]),
                "the claims has an unknown key 4",
            ),
            (
                claims(fields(vec![]), vec![(Value::Text("iss".into()), int(1))]),
                "the claims has a key that is not an integer",
            ),
            (
                claims(
                    fields(vec![]),
                    vec![(int(ISSUER), Value::Text("440300".into()))],
                ),
                "the issuer is given twice",
            ),
            (
                claims(fields(vec![(int(4), Value::Null)]), vec![]),
                "the venue claim has an unknown key 4",
            ),
            (
                claims(
                    fields(vec![(int(NAME), Value::Text("别处".into()))]),
                    vec![],
                ),
                "the venue name is given twice",
            ),
            (
                claims(Value::Map(vec![]), vec![]),
                "the venue id is missing",
            ),
            (
                Value::Map(vec![(int(ISSUER), Value::Text("330100".into()))]),
                "the venue claim is missing",
            ),
            (
                claims(
                    Value::Map(vec![
                        (int(VENUE_ID), Value::Bytes(vec![5; 15])),
                        (int(NAME), Value::Text("小吃店".into())),
                        (int(DISTRICT), Value::Text("330106".into())),
                    ]),
                    vec![],
                ),
                "the venue id is not 16 bytes",
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(VenueCode::from_cbor(&encode(&value)).unwrap_err(), expected);
        }
    }
}
