//! The EU's DCC test vectors (`eu-digital-green-certificates/dgc-testdata`), run through this
//! crate's own code: every stage a vector names is checked with the function the verifier
//! uses for it ([`container::unprefix`], [`container::base45_decode`], [`container::inflate`],
//! [`Signed::parse`] and [`Signed::verifies_with`], [`DccContents::from_cwt`],
//! [`qr::decode_image`], [`SignerCertificate`], [`verify::within`](crate::verify::within)), so
//! the vectors test the real verifier, not a copy of it.
//!
//! The input is a folder of per-country folders holding one JSON file per vector, and
//! optionally `known_issues.csv` (expectations known to be wrong upstream). Each
//! `EXPECTED*` key a vector sets is compared with what the code does; `true` means the step
//! must succeed, `false` that it must fail. A key whose fields are absent is skipped, as the
//! upstream runner skips it. What each key checks here, and why:
//!
//! * `PICTUREDECODE`: the QR code in the PNG `2DCODE` (base64) reads as exactly `PREFIX`.
//! * `UNPREFIX`: `PREFIX` starts with `HC1:` and the rest is exactly `BASE45`.
//! * `B45DECODE`: `BASE45` decodes to the bytes of `COMPRESSED` (hex of either case).
//! * `COMPRESSION`: `COMPRESSED` inflates (strict zlib) to the bytes of `COSE`.
//! * `VERIFY`: `COSE` parses, its key id is the signer certificate's (the first 8 bytes of the
//!   SHA-256 of its DER) and its signature verifies with the certificate's key.
//! * `DECODE`: the payload of `COSE` reads as certificate claims and equals `CBOR` as a CBOR
//!   value (map order free). `CBOR` holds either the whole claims map (when it has the key
//!   `-260`) or only the certificate (`-260` / `1`); it is compared at its own level.
//! * `VALIDJSON`: the whole chain from `PREFIX` (or, without it, from `2DCODE`) decodes to a
//!   certificate equal to `JSON` as a value, as the vectors' README defines it. Values are
//!   compared as JSON values (object order free, numbers by value), and two strings are equal
//!   when they are the same text or the same instant in RFC 3339 (`…:56Z` and `…:56+00:00`
//!   are one instant; PT/4 writes the test's sample time one way in `JSON` and the other in
//!   the signed payload). The upstream Python runner compares `CBOR` with `JSON` instead; that
//!   is not the README's whole chain, and on the local data it agrees no better: where `JSON`
//!   differs from the signed payload (the names, and one date of birth, of PL/1 and PL/5 in
//!   the shared copy, unlike the upstream repository's), `CBOR` equals the signed certificate
//!   too. No rule faithful to the README agrees with those two; they fail.
//! * `EXPIRATIONCHECK`: the signed claims' `iat <= VALIDATIONCLOCK <= exp`, both ends included,
//!   as the verifier checks a certificate ([`verify::within`](crate::verify::within); times
//!   written as floats lose their fraction of a second, as [`DccContents::from_cwt`] reads
//!   them). The
//!   upstream runner also requires the signer certificate's validity to cover `iat` and `exp`;
//!   that is a property of the signer, not of the certificate, and one vector (PL/6, whose
//!   certificate is deliberately the wrong signer) expects `true` where it does not hold.
//! * `KEYUSAGE`: the signer certificate's extended key usage allows every kind of entry the
//!   signed certificate holds: the OIDs `1.3.6.1.4.1.1847.2021.1.{1,2,3}` (or the
//!   `…4.1.0.1847…` spelling) for test, vaccination and recovery; a certificate naming none of
//!   them allows every kind ([`signer::kinds_allowed`](super::signer::kinds_allowed)). The
//!   signature is not part of it (that is `VERIFY`): the README says "can be verified, and the
//!   key usage … matches", but PL/6 pairs a certificate with a signer that did not sign it
//!   (`VERIFY` false) and still expects `KEYUSAGE` true, as the upstream runner, which never
//!   verifies here, agrees.
//!
//! `SCHEMAVALIDATION` is not checked: this crate does not validate certificates against the
//! DCC JSON schema. `VALIDOBJECT` and `ENCODE` test issuing from JSON, which this crate does not
//! do for EU certificates, and are not checked either; unknown keys (such as the misspelt
//! `EXPTECTEDEXPIRED`) are ignored.
//!
//! `VALIDATIONCLOCK` is read in every shape the vectors use: RFC 3339 with `Z` or an offset
//! (with or without a colon, `+0200`), up to nine fractional digits, and without any offset
//! (read as UTC).
//!
//! `known_issues.csv` (`test_name,country,test_set,reason`) names tests of the upstream
//! runner; each maps to the expectation it checks (`test_verification_check` to `VERIFY`,
//! `test_cbor_json` to `VALIDJSON`, `test_cose_json` and `test_cose_cbor` to `DECODE`, and so
//! on; an empty test name covers every expectation). An empty `test_set` covers the whole
//! country. A disagreement on a known issue is reported as known and does not fail its file.
//!
//! The runner never panics on any input and never prints a vector's personal data: reasons
//! name fields and JSON paths, never their values.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use coset::cbor::value::Value;
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde_json::Value as Json;

use crate::container::{self, Kind};
use crate::cose::{Signed, hex, unhex};
use crate::dcc::signer::{SignerCertificate, base64_decode};
use crate::dcc::{DccContents, HCERT, HCERT_DCC, claim, decode_cbor};
use crate::qr;
use crate::verify::within;

/// The largest vector file read; real ones are under 100 KB.
const MAX_VECTOR_BYTES: u64 = 16 * 1024 * 1024;
/// How many differing JSON paths a reason names.
const MAX_PATHS_NAMED: usize = 5;

/// A step a vector may expect to succeed or fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Expectation {
    PictureDecode,
    Unprefix,
    B45Decode,
    Compression,
    Verify,
    Decode,
    ValidJson,
    ExpirationCheck,
    KeyUsage,
}

impl Expectation {
    pub const ALL: [Expectation; 9] = [
        Expectation::PictureDecode,
        Expectation::Unprefix,
        Expectation::B45Decode,
        Expectation::Compression,
        Expectation::Verify,
        Expectation::Decode,
        Expectation::ValidJson,
        Expectation::ExpirationCheck,
        Expectation::KeyUsage,
    ];

    /// The name after `EXPECTED` in a vector's `EXPECTEDRESULTS`.
    pub fn name(self) -> &'static str {
        match self {
            Expectation::PictureDecode => "PICTUREDECODE",
            Expectation::Unprefix => "UNPREFIX",
            Expectation::B45Decode => "B45DECODE",
            Expectation::Compression => "COMPRESSION",
            Expectation::Verify => "VERIFY",
            Expectation::Decode => "DECODE",
            Expectation::ValidJson => "VALIDJSON",
            Expectation::ExpirationCheck => "EXPIRATIONCHECK",
            Expectation::KeyUsage => "KEYUSAGE",
        }
    }

    /// The expectations a test of the upstream Python runner checks, as `known_issues.csv`
    /// names them. Schema validation (`test_cose_schema`) is not checked here, so it covers
    /// nothing.
    fn of_upstream_test(test_name: &str) -> &'static [Expectation] {
        match test_name {
            "" => &Expectation::ALL,
            "test_picture_decode" => &[Expectation::PictureDecode],
            "test_un_prefix" => &[Expectation::Unprefix],
            "test_b45decode" => &[Expectation::B45Decode],
            "test_compression" => &[Expectation::Compression],
            "test_verification_check" => &[Expectation::Verify],
            "test_cose_cbor" | "test_cose_json" => &[Expectation::Decode],
            "test_cbor_json" => &[Expectation::ValidJson],
            "test_expiration_check" => &[Expectation::ExpirationCheck],
            "test_expected_key_usage" => &[Expectation::KeyUsage],
            _ => &[],
        }
    }

    /// The field the step needs that `vector` lacks, if any.
    fn missing_field(self, vector: &Vector<'_>) -> Option<&'static str> {
        let needs: &[&'static str] = match self {
            Expectation::PictureDecode => &["2DCODE", "PREFIX"],
            Expectation::Unprefix => &["PREFIX", "BASE45"],
            Expectation::B45Decode => &["BASE45", "COMPRESSED"],
            Expectation::Compression => &["COMPRESSED", "COSE"],
            Expectation::Verify | Expectation::KeyUsage => &["COSE", "TESTCTX.CERTIFICATE"],
            Expectation::Decode => &["COSE", "CBOR"],
            Expectation::ValidJson => {
                if !vector.has("PREFIX") && !vector.has("2DCODE") {
                    return Some("PREFIX");
                }
                &["JSON"]
            }
            Expectation::ExpirationCheck => &["COSE", "TESTCTX.VALIDATIONCLOCK"],
        };
        needs.iter().copied().find(|field| !vector.has(field))
    }

    /// Runs the step: `Ok` when it succeeds, otherwise why it failed.
    fn run(self, vector: &Vector<'_>) -> Result<(), String> {
        match self {
            Expectation::PictureDecode => picture_decode(vector),
            Expectation::Unprefix => unprefix(vector),
            Expectation::B45Decode => b45_decode(vector),
            Expectation::Compression => compression(vector),
            Expectation::Verify => verify(vector),
            Expectation::Decode => decode(vector),
            Expectation::ValidJson => valid_json(vector),
            Expectation::ExpirationCheck => expiration_check(vector),
            Expectation::KeyUsage => key_usage(vector),
        }
    }
}

/// What one expectation of one vector came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub expectation: Expectation,
    pub expected: bool,
    /// `Ok` when the step succeeded, otherwise why it failed.
    pub result: Result<(), String>,
    /// The reason `known_issues.csv` gives, when it lists this expectation of this vector.
    pub known_issue: Option<String>,
}

impl Outcome {
    pub fn agrees(&self) -> bool {
        self.result.is_ok() == self.expected
    }

    fn disagreement(&self) -> String {
        let why = match &self.result {
            Ok(()) => "the step succeeded",
            Err(reason) => reason,
        };
        format!(
            "{} expected {}, got {} ({why})",
            self.expectation.name(),
            self.expected,
            self.result.is_ok()
        )
    }
}

/// What one vector file came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileResult {
    /// The file as `COUNTRY/NAME.json`.
    pub name: String,
    pub outcomes: Vec<Outcome>,
    /// Expectations set without a field they need, with the field.
    pub skipped: Vec<(Expectation, &'static str)>,
    /// Why the file could not be read as a vector, if it could not.
    pub unreadable: Option<String>,
}

impl FileResult {
    /// Whether every expectation agrees, known issues excepted.
    pub fn passed(&self) -> bool {
        self.unreadable.is_none()
            && self
                .outcomes
                .iter()
                .all(|outcome| outcome.agrees() || outcome.known_issue.is_some())
    }

    /// `NAME: what disagreed (why); …` for a file that did not pass.
    fn failing_line(&self) -> Option<String> {
        if let Some(reason) = &self.unreadable {
            return Some(format!("{}: {reason}", self.name));
        }
        let disagreements: Vec<String> = self
            .outcomes
            .iter()
            .filter(|outcome| !outcome.agrees() && outcome.known_issue.is_none())
            .map(Outcome::disagreement)
            .collect();
        (!disagreements.is_empty()).then(|| format!("{}: {}", self.name, disagreements.join("; ")))
    }
}

/// The results of a folder of vectors. Its `Display` is one line per failing file, then
/// `N passed, M failed` (counting files).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub files: Vec<FileResult>,
}

impl Report {
    pub fn passed(&self) -> usize {
        self.files.iter().filter(|file| file.passed()).count()
    }

    pub fn failed(&self) -> usize {
        self.files.len() - self.passed()
    }

    /// One line per file that did not pass, saying which expectations disagreed and why.
    pub fn failing_lines(&self) -> Vec<String> {
        self.files
            .iter()
            .filter_map(FileResult::failing_line)
            .collect()
    }

    /// One line per disagreement excused by `known_issues.csv`, with the issue.
    pub fn known_disagreements(&self) -> Vec<String> {
        self.files
            .iter()
            .flat_map(|file| {
                file.outcomes.iter().filter_map(|outcome| {
                    let issue = outcome.known_issue.as_ref()?;
                    (!outcome.agrees()).then(|| {
                        format!("{}: {} (known: {issue})", file.name, outcome.disagreement())
                    })
                })
            })
            .collect()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in self.failing_lines() {
            writeln!(f, "{line}")?;
        }
        write!(f, "{} passed, {} failed", self.passed(), self.failed())
    }
}

/// Why a folder of vectors could not be run at all (a single bad vector is a failed file,
/// not an error).
#[derive(Debug, thiserror::Error)]
pub enum VectorsError {
    #[error("cannot read the folder {path}: {source}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {path}: {reason}")]
    KnownIssues { path: PathBuf, reason: String },
}

/// Runs every vector (`*/*.json`) in `dir`, honouring `dir/known_issues.csv` when present.
pub fn run(dir: &Path) -> Result<Report, VectorsError> {
    let folder_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| VectorsError::Folder { path, source }
    };
    let known_issues = read_known_issues(&dir.join("known_issues.csv"))?;
    let mut countries: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .map_err(folder_error(dir))?
        .filter_map(Result::ok)
        .map(|entry| {
            (
                entry.file_name().to_string_lossy().into_owned(),
                entry.path(),
            )
        })
        .filter(|(name, path)| !name.starts_with('.') && path.is_dir())
        .collect();
    countries.sort_by(|a, b| natural_order(&a.0, &b.0));
    let mut files = Vec::new();
    for (country, folder) in countries {
        let mut vectors: Vec<(String, PathBuf)> = std::fs::read_dir(&folder)
            .map_err(folder_error(&folder))?
            .filter_map(Result::ok)
            .map(|entry| {
                (
                    entry.file_name().to_string_lossy().into_owned(),
                    entry.path(),
                )
            })
            .filter(|(name, path)| name.ends_with(".json") && path.is_file())
            .collect();
        vectors.sort_by(|a, b| natural_order(&a.0, &b.0));
        for (file_name, path) in vectors {
            let test_set = file_name.trim_end_matches(".json");
            let known = |expectation: Expectation| {
                known_issues
                    .iter()
                    .find(|issue| issue.covers(&country, test_set, expectation))
                    .map(|issue| issue.reason.clone())
            };
            files.push(run_file(&format!("{country}/{file_name}"), &path, known));
        }
    }
    Ok(Report { files })
}

fn run_file(
    name: &str,
    path: &Path,
    known_issue: impl Fn(Expectation) -> Option<String>,
) -> FileResult {
    let mut result = FileResult {
        name: name.to_owned(),
        outcomes: Vec::new(),
        skipped: Vec::new(),
        unreadable: None,
    };
    let json = match read_vector(path) {
        Ok(json) => json,
        Err(reason) => {
            result.unreadable = Some(reason);
            return result;
        }
    };
    let Some(fields) = json.as_object() else {
        result.unreadable = Some("not a JSON object".into());
        return result;
    };
    let Some(expected_results) = fields.get("EXPECTEDRESULTS").and_then(Json::as_object) else {
        result.unreadable = Some("no EXPECTEDRESULTS object".into());
        return result;
    };
    let vector = Vector { fields };
    for expectation in Expectation::ALL {
        let key = format!("EXPECTED{}", expectation.name());
        let Some(expected) = expected_results.get(&key) else {
            continue;
        };
        let Some(expected) = expected.as_bool() else {
            result.unreadable = Some(format!("{key} is not true or false"));
            return result;
        };
        if let Some(field) = expectation.missing_field(&vector) {
            result.skipped.push((expectation, field));
            continue;
        }
        result.outcomes.push(Outcome {
            expectation,
            expected,
            result: expectation.run(&vector),
            known_issue: known_issue(expectation),
        });
    }
    result
}

fn read_vector(path: &Path) -> Result<Json, String> {
    let file = std::fs::File::open(path).map_err(|error| format!("cannot be opened ({error})"))?;
    let mut bytes = Vec::new();
    file.take(MAX_VECTOR_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| format!("cannot be read ({error})"))?;
    if bytes.len() as u64 > MAX_VECTOR_BYTES {
        return Err(format!("larger than {MAX_VECTOR_BYTES} bytes"));
    }
    serde_json::from_slice(&bytes).map_err(|error| format!("not JSON ({error})"))
}

/// A vector's fields, read leniently: a field of the wrong type fails the step that needs it.
struct Vector<'a> {
    fields: &'a serde_json::Map<String, Json>,
}

impl Vector<'_> {
    /// The field `name`; `TESTCTX.X` names field `X` inside `TESTCTX`.
    fn field(&self, name: &str) -> Option<&Json> {
        match name.split_once('.') {
            Some((outer, inner)) => self.fields.get(outer)?.get(inner),
            None => self.fields.get(name),
        }
    }

    fn has(&self, name: &str) -> bool {
        self.field(name).is_some_and(|value| !value.is_null())
    }

    fn text(&self, name: &str) -> Result<&str, String> {
        self.field(name)
            .and_then(Json::as_str)
            .ok_or_else(|| format!("{name} is not text"))
    }

    fn hex(&self, name: &str) -> Result<Vec<u8>, String> {
        unhex(self.text(name)?).ok_or_else(|| format!("{name} is not hex"))
    }

    fn signed(&self) -> Result<Signed, String> {
        Signed::parse(&self.hex("COSE")?).map_err(|error| error.to_string())
    }

    fn contents(&self, signed: &Signed) -> Result<DccContents, String> {
        DccContents::from_cwt(signed.payload())
            .map_err(|error| format!("the claims cannot be read: {error}"))
    }

    fn signer(&self) -> Result<SignerCertificate, String> {
        SignerCertificate::from_pem_or_base64(self.text("TESTCTX.CERTIFICATE")?)
            .map_err(|error| format!("the signer certificate cannot be read: {error}"))
    }
}

fn picture_decode(vector: &Vector<'_>) -> Result<(), String> {
    let png = base64_decode(vector.text("2DCODE")?).ok_or("2DCODE is not base64")?;
    let text = qr::decode_image(&png).map_err(|error| error.to_string())?;
    if text == vector.text("PREFIX")? {
        Ok(())
    } else {
        Err("the QR code holds other text than PREFIX".into())
    }
}

fn unprefix(vector: &Vector<'_>) -> Result<(), String> {
    match container::unprefix(vector.text("PREFIX")?) {
        Ok((Kind::Dcc, rest)) if rest == vector.text("BASE45")? => Ok(()),
        Ok((Kind::Dcc, _)) => Err("the text after HC1: differs from BASE45".into()),
        Ok((kind @ (Kind::HealthCode | Kind::Venue), _)) => {
            Err(format!("the prefix is {}, not HC1:", kind.prefix()))
        }
        Err(invalid) => Err(invalid.to_string()),
    }
}

fn b45_decode(vector: &Vector<'_>) -> Result<(), String> {
    let compressed = vector.hex("COMPRESSED")?;
    let decoded =
        container::base45_decode(vector.text("BASE45")?).map_err(|error| error.to_string())?;
    if decoded == compressed {
        Ok(())
    } else {
        Err("the decoded bytes differ from COMPRESSED".into())
    }
}

fn compression(vector: &Vector<'_>) -> Result<(), String> {
    let cose = vector.hex("COSE")?;
    let inflated =
        container::inflate(&vector.hex("COMPRESSED")?).map_err(|error| error.to_string())?;
    if inflated == cose {
        Ok(())
    } else {
        Err("the inflated bytes differ from COSE".into())
    }
}

/// Whether `COSE` names the signer certificate's key id and its signature verifies with the
/// certificate's key.
fn verify(vector: &Vector<'_>) -> Result<(), String> {
    let signer = vector.signer()?;
    let signed = vector.signed()?;
    if signed.kid != signer.key.kid {
        return Err(format!(
            "the key id is {}, the signer certificate's is {}",
            if signed.kid.is_empty() {
                "missing".to_owned()
            } else {
                hex(&signed.kid)
            },
            signer.key.kid_hex()
        ));
    }
    if signed.algorithm != signer.key.key.algorithm {
        return Err(format!(
            "signed with {}, but the signer certificate's key is for {}",
            signed.algorithm.name(),
            signer.key.key.algorithm.name()
        ));
    }
    if !signed.verifies_with(&signer.key.key) {
        return Err("the signature does not verify with the signer certificate's key".into());
    }
    Ok(())
}

fn decode(vector: &Vector<'_>) -> Result<(), String> {
    let signed = vector.signed()?;
    vector.contents(&signed)?;
    let claims = decode_cbor(signed.payload())?;
    let expected = decode_cbor(&vector.hex("CBOR")?).map_err(|error| format!("CBOR: {error}"))?;
    let whole_claims = matches!(&expected, Value::Map(entries) if claim(entries, HCERT).is_some());
    let got = if whole_claims {
        Some(&claims)
    } else {
        certificate_of(&claims)
    };
    match got {
        Some(got) if same_cbor(got, &expected) => Ok(()),
        _ if whole_claims => Err("the claims differ from CBOR".into()),
        _ => Err("the certificate (-260 / 1) differs from CBOR".into()),
    }
}

/// The certificate (`-260` / `1`) in a claims map.
fn certificate_of(claims: &Value) -> Option<&Value> {
    let Value::Map(entries) = claims else {
        return None;
    };
    let Value::Map(hcert) = claim(entries, HCERT)? else {
        return None;
    };
    claim(hcert, HCERT_DCC)
}

fn valid_json(vector: &Vector<'_>) -> Result<(), String> {
    let text = if vector.has("PREFIX") {
        vector.text("PREFIX")?.to_owned()
    } else {
        let png = base64_decode(vector.text("2DCODE")?).ok_or("2DCODE is not base64")?;
        qr::decode_image(&png).map_err(|error| error.to_string())?
    };
    let (kind, cose) = container::unwrap(&text).map_err(|error| error.to_string())?;
    if kind != Kind::Dcc {
        return Err("the prefix is HCODE1:, not HC1:".into());
    }
    let signed = Signed::parse(&cose).map_err(|error| error.to_string())?;
    let contents = vector.contents(&signed)?;
    let expected = vector.field("JSON").unwrap_or(&Json::Null);
    let mut paths = Vec::new();
    json_differences(
        &contents.certificate,
        expected,
        &mut String::new(),
        &mut paths,
    );
    if paths.is_empty() {
        return Ok(());
    }
    let mut named = paths
        .iter()
        .take(MAX_PATHS_NAMED)
        .map(|path| if path.is_empty() { "/" } else { path })
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > MAX_PATHS_NAMED {
        named.push_str(&format!(" and {} more", paths.len() - MAX_PATHS_NAMED));
    }
    Err(format!("the JSON differs at {named}"))
}

fn expiration_check(vector: &Vector<'_>) -> Result<(), String> {
    let now = parse_clock(vector.text("TESTCTX.VALIDATIONCLOCK")?)?;
    let contents = vector.contents(&vector.signed()?)?;
    within(contents.issued_at, contents.expires, now).map_err(|invalid| invalid.to_string())
}

fn key_usage(vector: &Vector<'_>) -> Result<(), String> {
    let signer = vector.signer()?;
    let contents = vector.contents(&vector.signed()?)?;
    match contents.kind_not_allowed(signer.key.kinds.as_deref()) {
        Some(kind) => Err(format!(
            "the signer certificate's key usage does not allow {} certificates",
            kind.name()
        )),
        None => Ok(()),
    }
}

/// Reads a vector's `VALIDATIONCLOCK`: RFC 3339 with `Z` or an offset (also `+hhmm` without
/// a colon) and up to nine fractional digits, or a date and time without any offset, read as
/// UTC.
pub fn parse_clock(text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Some(instant) = instant(text) {
        return Ok(instant);
    }
    let time = text
        .split_once(['T', 't', ' '])
        .map_or("", |(_, time)| time);
    if !time.contains(['Z', 'z', '+', '-']) {
        if let Ok(civil) = text.parse::<DateTime>() {
            if let Ok(zoned) = civil.to_zoned(TimeZone::UTC) {
                return Ok(zoned.timestamp());
            }
        }
    }
    Err(format!(
        "the validation clock {text:?} is not a date and time"
    ))
}

/// `text` as an instant when it is an RFC 3339 date and time with `Z` or an offset (`+hh:mm`
/// or `+hhmm`).
fn instant(text: &str) -> Option<Timestamp> {
    if let Ok(instant) = text.parse::<Timestamp>() {
        return Some(instant);
    }
    let bytes = text.as_bytes();
    let offset_start = bytes.len().checked_sub(5)?;
    let offset = &bytes[offset_start..];
    let basic_offset =
        matches!(offset[0], b'+' | b'-') && offset[1..].iter().all(u8::is_ascii_digit);
    if !basic_offset {
        return None;
    }
    // Every byte of the offset is ASCII, so these are character boundaries.
    let (before, minutes) = text.split_at(bytes.len() - 2);
    format!("{before}:{minutes}").parse::<Timestamp>().ok()
}

/// Collects the JSON pointers at which `got` and `expected` differ as values: objects by
/// key set and member, arrays by length and element, numbers by value, strings as text or as
/// the same instant.
fn json_differences(got: &Json, expected: &Json, path: &mut String, differences: &mut Vec<String>) {
    match (got, expected) {
        (Json::Object(got), Json::Object(expected)) => {
            let mut keys: Vec<&String> = got.keys().chain(expected.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let length = path.len();
                path.push('/');
                path.push_str(&key.replace('~', "~0").replace('/', "~1"));
                match (got.get(key), expected.get(key)) {
                    (Some(got), Some(expected)) => {
                        json_differences(got, expected, path, differences);
                    }
                    _ => differences.push(path.clone()),
                }
                path.truncate(length);
            }
        }
        (Json::Array(got), Json::Array(expected)) => {
            if got.len() != expected.len() {
                differences.push(path.clone());
                return;
            }
            for (index, (got, expected)) in got.iter().zip(expected).enumerate() {
                let length = path.len();
                path.push_str(&format!("/{index}"));
                json_differences(got, expected, path, differences);
                path.truncate(length);
            }
        }
        (Json::Number(got), Json::Number(expected)) => {
            let same = match (
                got.as_i64(),
                expected.as_i64(),
                got.as_u64(),
                expected.as_u64(),
            ) {
                (Some(a), Some(b), _, _) => a == b,
                (_, _, Some(a), Some(b)) => a == b,
                _ => got.as_f64() == expected.as_f64(),
            };
            if !same {
                differences.push(path.clone());
            }
        }
        (Json::String(got), Json::String(expected)) => {
            let same_instant =
                || matches!((instant(got), instant(expected)), (Some(a), Some(b)) if a == b);
            if got != expected && !same_instant() {
                differences.push(path.clone());
            }
        }
        (got, expected) => {
            if got != expected {
                differences.push(path.clone());
            }
        }
    }
}

/// Whether two CBOR values are equal with map entries in any order.
fn same_cbor(a: &Value, b: &Value) -> bool {
    canonical(a) == canonical(b)
}

/// `value` with every map's entries sorted by the encoding of their keys.
fn canonical(value: &Value) -> Value {
    match value {
        Value::Map(entries) => {
            let mut sorted: Vec<(Vec<u8>, Value, Value)> = entries
                .iter()
                .map(|(key, value)| {
                    let key = canonical(key);
                    let mut encoded = Vec::new();
                    // Encoding a decoded value into memory does not fail; if it ever did, the
                    // key would sort first and at worst two equal maps compare unequal.
                    let _ = ciborium::ser::into_writer(&key, &mut encoded);
                    (encoded, key, canonical(value))
                })
                .collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Map(
                sorted
                    .into_iter()
                    .map(|(_, key, value)| (key, value))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        Value::Tag(tag, inner) => Value::Tag(*tag, Box::new(canonical(inner))),
        other => other.clone(),
    }
}

/// One line of `known_issues.csv`.
#[derive(Debug)]
struct KnownIssue {
    expectations: &'static [Expectation],
    country: String,
    /// The vector's file name without `.json`; empty for the whole country.
    test_set: String,
    reason: String,
}

impl KnownIssue {
    fn covers(&self, country: &str, test_set: &str, expectation: Expectation) -> bool {
        self.country.eq_ignore_ascii_case(country)
            && (self.test_set.is_empty() || self.test_set == test_set)
            && self.expectations.contains(&expectation)
    }
}

/// Reads `known_issues.csv` (`test_name,country,test_set,reason`, with that header; the
/// reason may hold commas). An absent file lists nothing.
fn read_known_issues(path: &Path) -> Result<Vec<KnownIssue>, VectorsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(VectorsError::KnownIssues {
                path: path.to_path_buf(),
                reason: error.to_string(),
            });
        }
    };
    parse_known_issues(&text).map_err(|reason| VectorsError::KnownIssues {
        path: path.to_path_buf(),
        reason,
    })
}

fn parse_known_issues(text: &str) -> Result<Vec<KnownIssue>, String> {
    let mut lines = text
        .trim_start_matches('\u{feff}')
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty());
    let header: Vec<&str> = match lines.next() {
        Some((_, header)) => header.split(',').map(str::trim).collect(),
        None => return Ok(Vec::new()),
    };
    if header != ["test_name", "country", "test_set", "reason"] {
        return Err("the header is not test_name,country,test_set,reason".into());
    }
    lines
        .map(|(index, line)| {
            let columns: Vec<&str> = line.splitn(4, ',').map(str::trim).collect();
            let [test_name, country, test_set, reason] = columns[..] else {
                return Err(format!("line {} has fewer than 4 columns", index + 1));
            };
            Ok(KnownIssue {
                expectations: Expectation::of_upstream_test(test_name),
                country: country.to_owned(),
                test_set: test_set.to_owned(),
                reason: reason.to_owned(),
            })
        })
        .collect()
}

/// Orders names with their numbers by value (`2.json` before `10.json`, `CO2` before `CO10`).
fn natural_order(a: &str, b: &str) -> std::cmp::Ordering {
    fn key(name: &str) -> (&str, u64, &str) {
        let digits_start = name
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(name.len());
        let (prefix, rest) = name.split_at(digits_start);
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (digits, suffix) = rest.split_at(digits_end);
        (prefix, digits.parse().unwrap_or(u64::MAX), suffix)
    }
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(text: &str) -> String {
        parse_clock(text).unwrap().to_string()
    }

    #[test]
    fn every_clock_shape_of_the_vectors_reads_as_the_same_instant() {
        let cases = [
            ("2021-05-03T18:00:00Z", "2021-05-03T18:00:00Z"),
            ("2021-05-03T18:00:00.123456Z", "2021-05-03T18:00:00.123456Z"),
            (
                "2021-05-03T18:00:00.1234567Z",
                "2021-05-03T18:00:00.1234567Z",
            ),
            (
                "2021-05-03T18:00:00.123456789Z",
                "2021-05-03T18:00:00.123456789Z",
            ),
            ("2021-05-03T20:00:00+02:00", "2021-05-03T18:00:00Z"),
            ("2021-05-03T20:00:00.123+02:00", "2021-05-03T18:00:00.123Z"),
            (
                "2021-06-09T18:33:10.0361019+03:00",
                "2021-06-09T15:33:10.0361019Z",
            ),
            (
                "2021-05-03T20:00:00.1234+02:00",
                "2021-05-03T18:00:00.1234Z",
            ),
            ("2021-05-03T20:00:00+0200", "2021-05-03T18:00:00Z"),
            ("2021-05-03T16:00:00.500-0200", "2021-05-03T18:00:00.5Z"),
            ("2021-06-08T15:56:26.670297", "2021-06-08T15:56:26.670297Z"),
        ];
        for (text, expected) in cases {
            assert_eq!(clock(text), expected, "{text}");
        }
    }

    #[test]
    fn a_clock_that_is_not_a_date_and_time_is_an_error_not_a_guess() {
        for text in [
            "",
            "yesterday",
            "2021-05-03T20:00:00+2",
            "2021-13-03T20:00:00Z",
            "+0200",
        ] {
            assert!(parse_clock(text).is_err(), "{text}");
        }
    }

    #[test]
    fn json_values_differ_only_where_their_values_do() {
        let got = serde_json::json!({
            "a": 1, "b": [1.5, "x"], "sc": "2021-06-30T12:34:56Z", "dob": "1970-01-01"
        });
        let same = serde_json::json!({
            "b": [1.5, "x"], "a": 1.0, "sc": "2021-06-30T14:34:56+02:00", "dob": "1970-01-01"
        });
        let mut paths = Vec::new();
        json_differences(&got, &same, &mut String::new(), &mut paths);
        assert_eq!(paths, Vec::<String>::new());
        let other = serde_json::json!({
            "a": 2, "b": ["x", 1.5], "c/d": null, "sc": "2021-06-30T12:34:57Z", "dob": "1970-01-02"
        });
        json_differences(&got, &other, &mut String::new(), &mut paths);
        assert_eq!(paths, ["/a", "/b/0", "/b/1", "/c~1d", "/dob", "/sc"]);
    }

    #[test]
    fn cbor_maps_are_equal_in_any_order_but_not_with_other_types() {
        let int = |n: i64| Value::Integer(n.into());
        let a = Value::Map(vec![(int(1), int(2)), (int(-260), Value::Text("x".into()))]);
        let b = Value::Map(vec![(int(-260), Value::Text("x".into())), (int(1), int(2))]);
        let c = Value::Map(vec![
            (int(-260), Value::Text("x".into())),
            (int(1), Value::Float(2.0)),
        ]);
        assert!(same_cbor(&a, &b));
        assert!(!same_cbor(&a, &c));
    }

    #[test]
    fn known_issues_map_upstream_tests_to_expectations_and_empty_sets_to_whole_countries() {
        let issues = parse_known_issues(
            "test_name,country,test_set,reason\n\
             test_verification_check,ES,401,https://example.org/issues/228\n\
             test_expiration_check,FI,,https://example.org/issues/407, see also 406\n\
             test_cose_schema,BG,1,schema\n",
        )
        .unwrap();
        let covered = |country: &str, set: &str, expectation| {
            issues
                .iter()
                .any(|issue| issue.covers(country, set, expectation))
        };
        assert!(covered("ES", "401", Expectation::Verify));
        assert!(!covered("ES", "402", Expectation::Verify));
        assert!(!covered("ES", "401", Expectation::Decode));
        assert!(covered("FI", "7", Expectation::ExpirationCheck));
        assert!(!covered("BG", "1", Expectation::ValidJson));
        assert_eq!(
            issues[1].reason,
            "https://example.org/issues/407, see also 406"
        );
        assert!(parse_known_issues("name,country\nx,y\n").is_err());
        assert!(parse_known_issues("test_name,country,test_set,reason\nx,y\n").is_err());
    }

    #[test]
    fn vector_names_sort_by_their_numbers() {
        let mut names = vec!["CO10.json", "10.json", "CO2.json", "2.json", "B1.json"];
        names.sort_by(|a, b| natural_order(a, b));
        assert_eq!(
            names,
            ["2.json", "10.json", "B1.json", "CO2.json", "CO10.json"]
        );
    }

    #[test]
    fn a_file_that_is_not_a_vector_fails_with_its_reason_and_the_rest_still_run() {
        let dir = tempfile::tempdir().unwrap();
        let country = dir.path().join("XX");
        std::fs::create_dir(&country).unwrap();
        std::fs::write(country.join("1.json"), "{ not json").unwrap();
        std::fs::write(country.join("2.json"), "[]").unwrap();
        std::fs::write(
            country.join("3.json"),
            r#"{"PREFIX": "HL0:ABC", "BASE45": "ABC",
                "EXPECTEDRESULTS": {"EXPECTEDUNPREFIX": false, "EXPECTEDVERIFY": true}}"#,
        )
        .unwrap();
        std::fs::write(
            country.join("4.json"),
            r#"{"PREFIX": "HC1:ABC", "BASE45": "ABD", "COSE": "zz",
                "TESTCTX": {"CERTIFICATE": "AAAA", "VALIDATIONCLOCK": 5},
                "EXPECTEDRESULTS": {"EXPECTEDUNPREFIX": true, "EXPECTEDVERIFY": true,
                    "EXPECTEDEXPIRATIONCHECK": true}}"#,
        )
        .unwrap();
        let report = run(dir.path()).unwrap();
        assert_eq!(report.passed(), 1, "{report}");
        assert_eq!(report.files[2].skipped, [(Expectation::Verify, "COSE")]);
        let lines = report.failing_lines();
        assert!(
            lines[0].starts_with("XX/1.json: not JSON ("),
            "{}",
            lines[0]
        );
        assert_eq!(lines[1], "XX/2.json: not a JSON object");
        assert!(
            lines[2].starts_with(
                "XX/4.json: UNPREFIX expected true, got false (the text after HC1: differs \
                 from BASE45); VERIFY expected true, got false (the signer certificate cannot \
                 be read: not an X.509 certificate ("
            ),
            "{}",
            lines[2]
        );
        assert!(
            lines[2].ends_with(
                "; EXPIRATIONCHECK expected true, got false (TESTCTX.VALIDATIONCLOCK is not text)"
            ),
            "{}",
            lines[2]
        );
        assert!(report.to_string().ends_with("\n1 passed, 3 failed"));
    }

    #[test]
    fn a_missing_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            run(&dir.path().join("absent")),
            Err(VectorsError::Folder { .. })
        ));
    }
}
