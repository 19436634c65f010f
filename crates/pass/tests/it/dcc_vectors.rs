//! The EU's DCC test vectors, read from the shared test data (never copied into the project),
//! run through the crate's verifier code by `dcc::vectors::run`.

use std::path::PathBuf;

use healthcode_pass::cose::unhex;
use healthcode_pass::dcc::{DccContents, decode_cbor, to_json, vectors};
use healthcode_pass::{Algorithm, Contents, PassKeys};
use jiff::Timestamp;

fn vectors_folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/dcc")
}

/// The folder of test vectors, or `None` (with the reason printed) when it is absent outside
/// CI. The vectors live outside the repository; CI provides them and must not skip.
fn vectors_or_skip() -> Option<PathBuf> {
    let folder = vectors_folder();
    if folder.is_dir() {
        return Some(folder);
    }
    assert_ne!(
        std::env::var("CI").as_deref(),
        Ok("true"),
        "the DCC test vectors are missing from {}",
        folder.display()
    );
    eprintln!(
        "skipped: no DCC test vectors at {} (CI=true makes this a failure)",
        folder.display()
    );
    None
}

#[test]
fn every_eu_test_vector_agrees_with_the_verifier_except_known_issues_and_vectors_contradicting_themselves()
 {
    let Some(folder) = vectors_or_skip() else {
        return;
    };
    let vector_files = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .flat_map(|country| std::fs::read_dir(country).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "json"))
        .count();
    let report = vectors::run(&folder).unwrap();
    assert!(vector_files > 0, "no vector files in {}", folder.display());
    assert_eq!(report.files.len(), vector_files, "\n{report}");
    // A vector whose own `JSON` differs from its own `CBOR` (the signed payload) contradicts
    // itself: its VALIDJSON cannot agree, and the runner is right to say so. Every other
    // disagreement is a failure of the verifier.
    for file in report.files.iter().filter(|file| !file.passed()) {
        let vector: serde_json::Value =
            serde_json::from_slice(&std::fs::read(folder.join(&file.name)).unwrap()).unwrap();
        for outcome in file
            .outcomes
            .iter()
            .filter(|outcome| !outcome.agrees() && outcome.known_issue.is_none())
        {
            assert_eq!(
                outcome.expectation.name(),
                "VALIDJSON",
                "{}: {outcome:?}\n{report}",
                file.name
            );
            assert_ne!(
                Some(&vector["JSON"]),
                own_cbor_as_json(&vector).as_ref(),
                "{} disagrees although its JSON and CBOR agree\n{report}",
                file.name
            );
        }
    }
    assert!(report.failed() <= 2, "\n{report}");
}

/// The vector's `CBOR` field as JSON: the certificate, whether the field holds it alone or the
/// whole claims around it.
fn own_cbor_as_json(vector: &serde_json::Value) -> Option<serde_json::Value> {
    let bytes = unhex(vector["CBOR"].as_str()?)?;
    if let Ok(contents) = DccContents::from_cwt(&bytes) {
        return Some(contents.certificate);
    }
    to_json(&decode_cbor(&bytes).ok()?).ok()
}

#[test]
fn an_eu_certificate_verifies_once_its_signer_is_added_to_the_pass_keys_and_not_after_removal() {
    let Some(folder) = vectors_or_skip() else {
        return;
    };
    let vector: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("BE/1.json")).unwrap()).unwrap();
    assert_eq!(vector["EXPECTEDRESULTS"]["EXPECTEDVERIFY"], true);
    let text = vector["PREFIX"].as_str().unwrap();
    let now: Timestamp = vector["TESTCTX"]["VALIDATIONCLOCK"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let keys = PassKeys::open_or_create(data.path(), Algorithm::Es256, now).unwrap();
    let verify = |keys: &PassKeys| keys.verifier("330100", now).unwrap().verify(text, now);
    assert_eq!(
        verify(&keys).unwrap_err().code(),
        "unknown_key",
        "no EU signer is trusted at first"
    );

    let certificate = vector["TESTCTX"]["CERTIFICATE"].as_str().unwrap();
    let signer = keys.add_dcc_signer(certificate).unwrap();
    assert_eq!(
        keys.add_dcc_signer(certificate).unwrap(),
        signer,
        "adding again is harmless"
    );
    assert_eq!(keys.dcc_signers().unwrap(), vec![signer.clone()]);
    let verified = verify(&keys).expect("the certificate verifies with its signer");
    assert_eq!(verified.issuer, signer.key.issuer);
    assert!(matches!(verified.contents, Contents::Dcc(_)));

    assert!(keys.remove_dcc_signer(&signer.key.kid_hex()).unwrap());
    assert!(!keys.remove_dcc_signer(&signer.key.kid_hex()).unwrap());
    assert_eq!(verify(&keys).unwrap_err().code(), "unknown_key");
    assert!(keys.add_dcc_signer("not a certificate").is_err());
}
