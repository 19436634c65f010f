//! COSE_Sign1 signatures (RFC 9052) over pass payloads: the algorithms this system signs and
//! verifies with, signing keys, public keys, and reading a Sign1 structure as issuers write
//! it (tagged, untagged, or inside a CWT tag; key id and algorithm in either header).
//!
//! Signatures come from `aws-lc-rs`; nothing here implements cryptography.

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, ED25519, EcdsaKeyPair,
    Ed25519KeyPair, KeyPair, RSA_PSS_2048_8192_SHA256, UnparsedPublicKey,
};
use coset::cbor::value::Value;
use coset::{
    AsCborValue, CoseSign1, CoseSign1Builder, HeaderBuilder, RegisteredLabelWithPrivate, iana,
};

use crate::dcc::decode_cbor;
use crate::verdict::Invalid;

/// CBOR tag of a COSE_Sign1 structure.
const COSE_SIGN1_TAG: u64 = 18;
/// CBOR tag of a CBOR Web Token, which some issuers wrap around the Sign1 tag.
const CWT_TAG: u64 = 61;
/// Deepest nesting accepted in untrusted CBOR.
pub(crate) const CBOR_DEPTH: usize = 32;

/// A signature algorithm: the two this system signs with, and PS256, which EU certificates
/// may be signed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// ECDSA on P-256 with SHA-256 (COSE -7), the default.
    Es256,
    /// Ed25519 (COSE -8).
    EdDsa,
    /// RSASSA-PSS with SHA-256 (COSE -37); verified only.
    Ps256,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Es256 => "ES256",
            Algorithm::EdDsa => "EdDSA",
            Algorithm::Ps256 => "PS256",
        }
    }

    pub fn parse(name: &str) -> Option<Algorithm> {
        [Algorithm::Es256, Algorithm::EdDsa, Algorithm::Ps256]
            .into_iter()
            .find(|algorithm| algorithm.name().eq_ignore_ascii_case(name))
    }

    fn iana(self) -> iana::Algorithm {
        match self {
            Algorithm::Es256 => iana::Algorithm::ES256,
            Algorithm::EdDsa => iana::Algorithm::EdDSA,
            Algorithm::Ps256 => iana::Algorithm::PS256,
        }
    }

    fn from_iana(algorithm: &coset::Algorithm) -> Option<Algorithm> {
        match algorithm {
            RegisteredLabelWithPrivate::Assigned(iana::Algorithm::ES256) => Some(Algorithm::Es256),
            RegisteredLabelWithPrivate::Assigned(iana::Algorithm::EdDSA) => Some(Algorithm::EdDsa),
            RegisteredLabelWithPrivate::Assigned(iana::Algorithm::PS256) => Some(Algorithm::Ps256),
            _ => None,
        }
    }

    fn verification(self) -> &'static dyn signature::VerificationAlgorithm {
        match self {
            Algorithm::Es256 => &ECDSA_P256_SHA256_FIXED,
            Algorithm::EdDsa => &ED25519,
            Algorithm::Ps256 => &RSA_PSS_2048_8192_SHA256,
        }
    }
}

/// A public key as a trust list carries it: the algorithm and the key's bytes in the form
/// `aws-lc-rs` reads (an X.509 SubjectPublicKeyInfo, an uncompressed P-256 point, a raw Ed25519
/// key or a PKCS#1 RSA key).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PublicKey {
    pub algorithm: Algorithm,
    pub bytes: Vec<u8>,
}

impl PublicKey {
    /// Checks `signature` over `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(self.algorithm.verification(), &self.bytes)
            .verify(message, signature)
            .is_ok()
    }

    /// The key id this system gives its own keys: the first 8 bytes of the SHA-256 of the
    /// key's bytes (EU certificates use the same digest over the signer's certificate).
    pub fn kid(&self) -> Vec<u8> {
        kid_of(&self.bytes)
    }
}

/// The first 8 bytes of the SHA-256 of `bytes`: a key id.
pub fn kid_of(bytes: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, bytes).as_ref()[..8].to_vec()
}

/// A private signing key, read from or written as PKCS#8. `Debug` shows only the algorithm
/// and key id.
pub struct SigningKey {
    algorithm: Algorithm,
    pair: Pair,
    kid: Vec<u8>,
}

enum Pair {
    Es256(EcdsaKeyPair),
    EdDsa(Ed25519KeyPair),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm)
            .field("kid", &hex(&self.kid))
            .finish_non_exhaustive()
    }
}

/// Why a signing key could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0} keys can verify but not sign here")]
    CannotSign(&'static str),
    #[error("the key file is not a PKCS#8 {0} private key")]
    NotPkcs8(&'static str),
    #[error("the system's random source failed")]
    Random,
}

impl SigningKey {
    /// Generates a new key; answers it with its PKCS#8 encoding, to be stored.
    pub fn generate(algorithm: Algorithm) -> Result<(SigningKey, Vec<u8>), KeyError> {
        let random = SystemRandom::new();
        let pkcs8 = match algorithm {
            Algorithm::Es256 => {
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &random)
                    .map_err(|_| KeyError::Random)?
            }
            Algorithm::EdDsa => {
                Ed25519KeyPair::generate_pkcs8(&random).map_err(|_| KeyError::Random)?
            }
            Algorithm::Ps256 => return Err(KeyError::CannotSign("PS256")),
        };
        let bytes = pkcs8.as_ref().to_vec();
        Ok((SigningKey::from_pkcs8(algorithm, &bytes)?, bytes))
    }

    /// Reads a PKCS#8 private key of `algorithm`.
    pub fn from_pkcs8(algorithm: Algorithm, pkcs8: &[u8]) -> Result<SigningKey, KeyError> {
        let pair = match algorithm {
            Algorithm::Es256 => Pair::Es256(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
                    .map_err(|_| KeyError::NotPkcs8("ES256"))?,
            ),
            Algorithm::EdDsa => Pair::EdDsa(
                Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|_| KeyError::NotPkcs8("EdDSA"))?,
            ),
            Algorithm::Ps256 => return Err(KeyError::CannotSign("PS256")),
        };
        let mut key = SigningKey {
            algorithm,
            pair,
            kid: Vec::new(),
        };
        key.kid = key.public_key().kid();
        Ok(key)
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn kid(&self) -> &[u8] {
        &self.kid
    }

    pub fn public_key(&self) -> PublicKey {
        let bytes = match &self.pair {
            Pair::Es256(pair) => pair.public_key().as_ref().to_vec(),
            Pair::EdDsa(pair) => pair.public_key().as_ref().to_vec(),
        };
        PublicKey {
            algorithm: self.algorithm,
            bytes,
        }
    }

    fn sign_bytes(&self, message: &[u8]) -> Vec<u8> {
        match &self.pair {
            Pair::Es256(pair) => pair
                .sign(&SystemRandom::new(), message)
                .expect("ECDSA signing fails only when the system's random source does")
                .as_ref()
                .to_vec(),
            Pair::EdDsa(pair) => pair.sign(message).as_ref().to_vec(),
        }
    }

    /// Signs `payload` as a tagged COSE_Sign1 with the algorithm and key id in the protected
    /// header.
    pub fn sign(&self, payload: Vec<u8>) -> Vec<u8> {
        let protected = HeaderBuilder::new()
            .algorithm(self.algorithm.iana())
            .key_id(self.kid.clone())
            .build();
        let sign1 = CoseSign1Builder::new()
            .protected(protected)
            .payload(payload)
            .create_signature(b"", |tbs| self.sign_bytes(tbs))
            .build();
        coset::TaggedCborSerializable::to_tagged_vec(sign1)
            .expect("a COSE_Sign1 built here always encodes")
    }
}

/// A Sign1 structure read from untrusted bytes, with what verification needs from it.
#[derive(Debug)]
pub struct Signed {
    sign1: CoseSign1,
    /// The algorithm named in the protected header, or else in the unprotected one.
    pub algorithm: Algorithm,
    /// The key id named in the protected header, or else in the unprotected one (may be empty).
    pub kid: Vec<u8>,
}

impl Signed {
    /// Reads a COSE_Sign1 structure: tagged 18, untagged, or wrapped in a CWT tag 61.
    pub fn parse(bytes: &[u8]) -> Result<Signed, Invalid> {
        let structure = |detail: String| Invalid::CoseStructure(detail);
        let mut value = decode_cbor(bytes).map_err(structure)?;
        if let Value::Tag(CWT_TAG, inner) = value {
            value = *inner;
        }
        if let Value::Tag(tag, inner) = value {
            if tag != COSE_SIGN1_TAG {
                return Err(structure(format!("tagged {tag}, not as a COSE_Sign1 (18)")));
            }
            value = *inner;
        }
        let sign1 =
            CoseSign1::from_cbor_value(value).map_err(|error| structure(format!("{error:?}")))?;
        if sign1.payload.is_none() {
            return Err(structure("the payload is detached".into()));
        }
        let alg = sign1
            .protected
            .header
            .alg
            .as_ref()
            .or(sign1.unprotected.alg.as_ref())
            .ok_or_else(|| structure("no algorithm is named".into()))?;
        let algorithm = Algorithm::from_iana(alg)
            .ok_or_else(|| structure(format!("algorithm {alg:?} is not supported")))?;
        let kid = if sign1.protected.header.key_id.is_empty() {
            sign1.unprotected.key_id.clone()
        } else {
            sign1.protected.header.key_id.clone()
        };
        Ok(Signed {
            sign1,
            algorithm,
            kid,
        })
    }

    /// The signed payload, unverified until [`Signed::verifies_with`] says so.
    pub fn payload(&self) -> &[u8] {
        self.sign1.payload.as_deref().unwrap_or_default()
    }

    /// The bytes the signature covers (the COSE Sig_structure) and the signature: what a bare
    /// signature check is given.
    pub fn signed_bytes_and_signature(&self) -> (Vec<u8>, &[u8]) {
        (self.sign1.tbs_data(b""), &self.sign1.signature)
    }

    /// Whether the signature verifies with `key` (whose algorithm must be the one named).
    pub fn verifies_with(&self, key: &PublicKey) -> bool {
        key.algorithm == self.algorithm
            && key.verifies(&self.sign1.tbs_data(b""), &self.sign1.signature)
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Bytes from hex, either case; `None` for anything else.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.len() % 2 != 0 || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_own_key_and_no_other_for_both_algorithms() {
        for algorithm in [Algorithm::Es256, Algorithm::EdDsa] {
            let (key, pkcs8) = SigningKey::generate(algorithm).unwrap();
            let (other, _) = SigningKey::generate(algorithm).unwrap();
            let signed = Signed::parse(&key.sign(b"claims".to_vec())).unwrap();
            assert_eq!(signed.algorithm, algorithm);
            assert_eq!(signed.kid, key.kid());
            assert_eq!(signed.payload(), b"claims");
            assert!(signed.verifies_with(&key.public_key()));
            assert!(!signed.verifies_with(&other.public_key()));
            let reread = SigningKey::from_pkcs8(algorithm, &pkcs8).unwrap();
            assert_eq!(reread.public_key(), key.public_key());
        }
    }

    #[test]
    fn a_key_of_another_algorithm_never_verifies() {
        let (es256, _) = SigningKey::generate(Algorithm::Es256).unwrap();
        let (eddsa, _) = SigningKey::generate(Algorithm::EdDsa).unwrap();
        let signed = Signed::parse(&es256.sign(b"claims".to_vec())).unwrap();
        assert!(!signed.verifies_with(&eddsa.public_key()));
    }

    #[test]
    fn bytes_that_are_not_a_sign1_structure_are_refused_as_such() {
        for bytes in [&b""[..], b"\x01", b"\xd2\x01", b"\x80", b"\xd8\x3d\xd2\x80"] {
            assert!(
                matches!(Signed::parse(bytes), Err(Invalid::CoseStructure(_))),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn hex_reads_back_what_it_writes_in_either_case() {
        assert_eq!(hex(&[0, 0xab, 0x10]), "00ab10");
        assert_eq!(unhex("00AB10"), Some(vec![0, 0xab, 0x10]));
        assert_eq!(unhex("0g"), None);
        assert_eq!(unhex("abc"), None);
    }
}
