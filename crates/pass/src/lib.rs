//! Signed health passes: issue and verify, QR codes, trust lists, and EU Digital COVID
//! Certificates.
//!
//! A pass is CBOR claims ([`claims`]) signed as COSE_Sign1 ([`cose`]), compressed with zlib,
//! Base45-encoded and prefixed `HCODE1:` ([`container`]): the layering of the EU Digital COVID
//! Certificate (`HC1:`), so one [`verify::Verifier`] reads both ([`dcc`]). Keys are looked up
//! in a [`trust::TrustStore`]. Cryptography comes from `aws-lc-rs`, COSE from `coset`, CBOR
//! from `ciborium`, zlib from `flate2`, Base45 from `base45`, QR codes from `qrcode` and
//! `rqrr` ([`qr`]); nothing here implements them.
//!
//! A venue's poster carries a code of its own ([`venue_code`], `HCVENUE1:`): the same layers,
//! signed with the region's long-lived trust anchor instead of a pass key, scanned by residents
//! to check in, and refused by the verifier as not a pass. [`poster`] draws it on a printable
//! A4 page.

pub mod claims;
pub mod container;
pub mod cose;
pub mod dcc;
pub mod keystore;
pub mod poster;
pub mod qr;
pub mod trust;
pub mod trust_list;
pub mod venue_code;
pub mod verdict;
pub mod verify;

pub use claims::{Holder, PassClaims};
pub use cose::{Algorithm, PublicKey, SigningKey};
pub use keystore::PassKeys;
pub use trust::{DccKind, TrustStore, TrustedKey};
pub use venue_code::VenueCode;
pub use verdict::{Contents, Invalid, Verdict, Verified};
pub use verify::Verifier;
