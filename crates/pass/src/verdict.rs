//! What a verifier answers: valid, with the fields a checkpoint shows, or invalid, with the
//! exact step that failed. A venue's poster code is refused for the same reasons.

use jiff::Timestamp;

use crate::claims::PassClaims;
use crate::dcc::DccContents;

/// Why a pass or certificate is refused, in the order the steps run: the first step that fails
/// is the reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    /// No QR code could be read from the picture.
    #[error("no QR code could be read from the picture ({0})")]
    Picture(String),
    /// The text does not start with a prefix this system writes or reads (`HCODE1:`, `HC1:`
    /// or `HCVENUE1:`).
    #[error(
        "not a code this system reads: the text does not start with HCODE1:, HC1: or HCVENUE1:"
    )]
    Prefix,
    /// A venue's poster code (`HCVENUE1:`) was given where a pass or certificate is checked.
    #[error("not a pass: this is a venue's poster code, scanned to check in there")]
    NotAPass,
    /// A pass or certificate was given where a venue's poster code is read.
    #[error("not a venue code: this is a pass or certificate, not a venue's poster code")]
    NotAVenueCode,
    /// The text after the prefix is not Base45.
    #[error("damaged: the text after the prefix is not Base45 ({0})")]
    Base45(String),
    /// The decoded bytes are not a zlib stream (or inflate to more than a pass can hold).
    #[error("damaged: the decoded bytes do not inflate with zlib ({0})")]
    Zlib(String),
    /// The inflated bytes are not a COSE_Sign1 structure this verifier can check.
    #[error("damaged: not a COSE_Sign1 signature structure ({0})")]
    CoseStructure(String),
    /// No trusted issuer has a key with this key id (hex) for this algorithm.
    #[error("unknown key: no trusted issuer has key {kid}")]
    UnknownKey { kid: String },
    /// A trusted key was found, but the signature does not verify with it.
    #[error("bad signature: the signature does not match key {kid} of {issuer}")]
    BadSignature { kid: String, issuer: String },
    /// The signature is good, but the signed claims cannot be read.
    #[error("unreadable claims: {0}")]
    Claims(String),
    /// The pass ran out at `at`.
    #[error("expired at {at}")]
    Expired { at: Timestamp },
    /// The pass was issued after now (at `from`): a clock is wrong, or it was forged.
    #[error("not yet valid: issued at {from}")]
    NotYetValid { from: Timestamp },
    /// The resident's rating changed after this pass was issued; only an online check knows.
    #[error("revoked: the holder's colour has changed since this pass was issued")]
    Revoked,
    /// The signer's certificate does not allow this kind of certificate (EU DCC key usage).
    #[error("the signer may not sign {kind} certificates")]
    KeyUsage { kind: String },
}

impl Invalid {
    /// A stable snake_case code for the reason, for JSON and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Invalid::Picture(_) => "picture",
            Invalid::Prefix => "prefix",
            Invalid::NotAPass => "not_a_pass",
            Invalid::NotAVenueCode => "not_a_venue_code",
            Invalid::Base45(_) => "base45",
            Invalid::Zlib(_) => "zlib",
            Invalid::CoseStructure(_) => "cose_structure",
            Invalid::UnknownKey { .. } => "unknown_key",
            Invalid::BadSignature { .. } => "bad_signature",
            Invalid::Claims(_) => "claims",
            Invalid::Expired { .. } => "expired",
            Invalid::NotYetValid { .. } => "not_yet_valid",
            Invalid::Revoked => "revoked",
            Invalid::KeyUsage { .. } => "key_usage",
        }
    }
}

/// A verified pass or certificate: who issued it, with which key, and what it says.
#[derive(Clone, Debug, PartialEq)]
pub struct Verified {
    /// The issuer named by the trust list that holds the key (not by the pass itself).
    pub issuer: String,
    /// The key id, hex.
    pub kid: String,
    pub contents: Contents,
}

/// What a verified text carries.
#[derive(Clone, Debug, PartialEq)]
pub enum Contents {
    /// A health-code pass (`HCODE1:`).
    HealthCode(PassClaims),
    /// An EU Digital COVID Certificate (`HC1:`).
    Dcc(DccContents),
}

/// A verifier's answer.
pub type Verdict = Result<Verified, Invalid>;
