//! Writes the seed corpora of the fuzz targets into `corpus/<target>/` (run from `fuzz/`):
//! passes, trust lists and venue codes signed with the fixed keys, and the EU DCC test vectors' texts,
//! COSE structures and CWT payloads, read from the folder given (default
//! `../../shared/testdata/dcc`; a missing folder only leaves those seeds out).
//!
//! ```text
//! cargo run --example seeds [-- DCC_TESTDATA_DIR]
//! ```

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use healthcode_core::rating::Colour;
use healthcode_pass::VenueCode;
use healthcode_pass::container::{self, Kind};
use healthcode_pass::cose::{Signed, unhex};
use healthcode_pass::trust_list::{ListedKey, TrustList};
use healthcode_pass_fuzz::{
    EDDSA_ISSUER, ES256_ISSUER, anchors, issued_at, keys, now, sample_claims, verifier,
};

const DEFAULT_TESTDATA: &str = "../../shared/testdata/dcc";

fn main() -> ExitCode {
    match try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn try_main() -> std::io::Result<()> {
    let testdata = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from(DEFAULT_TESTDATA), PathBuf::from);
    let mut corpora = Corpora::default();
    own_passes(&mut corpora);
    trust_list(&mut corpora);
    venue_codes(&mut corpora);
    if testdata.is_dir() {
        vectors(&testdata, &mut corpora)?;
    } else {
        eprintln!(
            "{} is not a folder: no DCC vector seeds",
            testdata.display()
        );
    }
    corpora.write(Path::new("corpus"))
}

/// The seeds of each target, named.
#[derive(Default)]
struct Corpora {
    verify: Vec<(String, Vec<u8>)>,
    layers: Vec<(String, Vec<u8>)>,
    signed_claims: Vec<(String, Vec<u8>)>,
}

impl Corpora {
    fn write(&self, root: &Path) -> std::io::Result<()> {
        for (target, seeds) in [
            ("verify", &self.verify),
            ("layers", &self.layers),
            ("signed_claims", &self.signed_claims),
        ] {
            let folder = root.join(target);
            fs::create_dir_all(&folder)?;
            for (name, bytes) in seeds {
                fs::write(folder.join(format!("seed-{name}")), bytes)?;
            }
            println!("{}: {} seeds", folder.display(), seeds.len());
        }
        Ok(())
    }
}

/// Passes of each colour under both keys, one expired, and a certificate signed by a key
/// that may sign vaccinations only.
fn own_passes(corpora: &mut Corpora) {
    let keys = keys();
    for (key, algorithm) in [(&keys.es256, "es256"), (&keys.eddsa, "eddsa")] {
        for (colour, minutes) in [(Colour::Green, 5), (Colour::Yellow, 5), (Colour::Red, 0)] {
            let claims = sample_claims(colour, minutes);
            let name = format!("pass-{algorithm}-{}-{minutes}min", colour.code());
            let payload = claims.to_cbor();
            let cose = key.sign(payload.clone());
            let text = claims.issue(key);
            // A seed that fails for another reason than intended would only waste the fuzzer's
            // time, so check each against the verifier the target uses.
            let verdict = verifier().verify(&text, now());
            assert_eq!(verdict.is_ok(), minutes > 0, "{name}: {verdict:?}");
            corpora.verify.push((name.clone(), text.into_bytes()));
            corpora.layers.push((format!("{name}-cose"), cose));
            corpora
                .layers
                .push((format!("{name}-claims"), payload.clone()));
            corpora.signed_claims.push((name, payload));
        }
    }
}

/// A trust list signed by the anchor, listing both pass keys.
fn trust_list(corpora: &mut Corpora) {
    let keys = keys();
    let list = TrustList {
        issuer: EDDSA_ISSUER.into(),
        issued_at: issued_at(),
        keys: [(&keys.es256, None), (&keys.eddsa, Some(issued_at()))]
            .into_iter()
            .map(|(key, trusted_until)| ListedKey {
                kid: key.kid().to_vec(),
                key: key.public_key(),
                trusted_until,
            })
            .collect(),
    };
    let signed = list.sign(&keys.anchor);
    let payload = Signed::parse(&signed)
        .expect("a list signed here parses")
        .payload()
        .to_vec();
    corpora.layers.push(("trust-list".into(), signed));
    corpora.signed_claims.push(("trust-list".into(), payload));
}

/// Venue codes signed by the anchor: one of its own region, and one naming another region.
fn venue_codes(corpora: &mut Corpora) {
    for issuer in [ES256_ISSUER, EDDSA_ISSUER] {
        let code = VenueCode {
            issuer: issuer.into(),
            issued_at: issued_at(),
            venue: [5; 16],
            name: "西湖边小吃店".into(),
            district: "330106".into(),
        };
        let text = code.sign(&keys().anchor);
        let opened = VenueCode::open(&text, anchors());
        assert_eq!(
            opened.is_ok(),
            issuer == ES256_ISSUER,
            "{issuer}: {opened:?}"
        );
        let name = format!("venue-{issuer}");
        let (_, cose) = container::unwrap(&text).expect("a code signed here unwraps");
        corpora.verify.push((name.clone(), text.into_bytes()));
        corpora.layers.push((format!("{name}-cose"), cose));
        corpora
            .layers
            .push((format!("{name}-claims"), code.to_cbor()));
        corpora.signed_claims.push((name, code.to_cbor()));
    }
}

/// Every vector's `HC1:` text; its COSE structure and CWT payload where it gives them; and
/// the payload signed again with the EdDSA key, so that `verify` gets certificates it trusts.
fn vectors(testdata: &Path, corpora: &mut Corpora) -> std::io::Result<()> {
    let mut files = Vec::new();
    json_files(testdata, &mut files)?;
    files.sort();
    for file in files {
        let Ok(vector) = serde_json::from_slice::<serde_json::Value>(&fs::read(&file)?) else {
            continue;
        };
        let name = file
            .strip_prefix(testdata)
            .unwrap_or(&file)
            .with_extension("")
            .to_string_lossy()
            .replace(['/', '\\', ' '], "-");
        let field = |key: &str| vector.get(key).and_then(serde_json::Value::as_str);
        if let Some(prefix) = field("PREFIX").filter(|text| !text.is_empty()) {
            corpora
                .verify
                .push((format!("dcc-{name}"), prefix.as_bytes().to_vec()));
            corpora
                .layers
                .push((format!("dcc-{name}-text"), prefix.as_bytes().to_vec()));
        }
        if let Some(cose) = field("COSE").and_then(unhex) {
            corpora.layers.push((format!("dcc-{name}-cose"), cose));
        }
        if let Some(cwt) = field("CBOR").and_then(unhex) {
            let resigned = container::wrap(Kind::Dcc, &keys().eddsa.sign(cwt.clone()));
            corpora
                .verify
                .push((format!("dcc-{name}-resigned"), resigned.into_bytes()));
            corpora
                .layers
                .push((format!("dcc-{name}-cwt"), cwt.clone()));
            corpora.signed_claims.push((format!("dcc-{name}"), cwt));
        }
    }
    Ok(())
}

fn json_files(folder: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(folder)? {
        let path = entry?.path();
        if path.is_dir() {
            json_files(&path, files)?;
        } else if path
            .extension()
            .is_some_and(|extension| extension == "json")
        {
            files.push(path);
        }
    }
    Ok(())
}
