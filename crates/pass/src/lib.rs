//! Signed health passes: issue and verify, QR codes, trust lists, and EU Digital COVID
//! Certificates.
//!
//! A pass is CBOR claims ([`claims`]) signed as COSE_Sign1 ([`cose`]), compressed with zlib,
//! Base45-encoded and prefixed `HCODE1:` ([`container`]): the layering of the EU Digital COVID
//! Certificate (`HC1:`), so one [`verify::Verifier`] reads both ([`dcc`]). Keys are looked up
//! in a [`trust::TrustStore`]. Cryptography comes from `aws-lc-rs`, COSE from `coset`, CBOR
//! from `ciborium`, zlib from `flate2`, Base45 from `base45`, QR codes from `qrcode` and
//! `rqrr` ([`qr`]); nothing here implements them.

pub mod claims;
pub mod container;
pub mod cose;
pub mod dcc;
pub mod keystore;
pub mod qr;
pub mod trust;
pub mod trust_list;
pub mod verdict;
pub mod verify;

pub use claims::{Holder, PassClaims};
pub use cose::{Algorithm, PublicKey, SigningKey};
pub use keystore::PassKeys;
pub use trust::{DccKind, TrustStore, TrustedKey};
pub use verdict::{Contents, Invalid, Verdict, Verified};
pub use verify::Verifier;
