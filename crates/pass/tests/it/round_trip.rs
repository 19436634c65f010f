//! Passes issued, drawn as QR codes, read back and verified; and every way a pass can be
//! damaged or forged refused with its reason.

use healthcode_core::ResidentId;
use healthcode_core::rating::Colour;
use healthcode_pass::claims::SALT_LENGTH;
use healthcode_pass::container;
use healthcode_pass::verify::check_not_revoked;
use healthcode_pass::{
    Algorithm, Contents, Holder, Invalid, PassClaims, SigningKey, TrustStore, TrustedKey, Verifier,
    qr,
};
use jiff::{SignedDuration, Timestamp};

use crate::mutations::assert_every_single_character_change_is_caught;

fn issued_at() -> Timestamp {
    Timestamp::from_second(1_767_225_600).unwrap()
}

fn claims() -> PassClaims {
    let resident = ResidentId::with_check_character("33010619800101123").unwrap();
    PassClaims {
        issuer: "330100".into(),
        issued_at: issued_at(),
        expires: issued_at() + SignedDuration::from_mins(5),
        colour: Colour::Green,
        colour_valid_until: None,
        rating_version: 7,
        holder: Holder::bind(&resident, "张*明".into(), [3; SALT_LENGTH]),
    }
}

fn trusting(key: &SigningKey) -> Verifier {
    let mut trust = TrustStore::new();
    trust.add(TrustedKey::issued_by("330100", key.public_key()));
    Verifier::new(trust)
}

fn now() -> Timestamp {
    issued_at() + SignedDuration::from_mins(1)
}

#[test]
fn a_pass_issued_drawn_and_photographed_verifies_with_its_claims_under_both_algorithms() {
    for algorithm in [Algorithm::Es256, Algorithm::EdDsa] {
        let (key, _) = SigningKey::generate(algorithm).unwrap();
        let text = claims().issue(&key);
        assert!(text.starts_with("HCODE1:"), "{text}");
        let png = qr::png(&text).unwrap();
        let verified = trusting(&key).verify_image(&png, now()).unwrap();
        assert_eq!(verified.issuer, "330100");
        assert_eq!(verified.contents, Contents::HealthCode(claims()));
        let svg = qr::svg(&text, 400).unwrap();
        assert!(svg.contains("<svg"), "{algorithm:?}");
    }
}

#[test]
fn every_single_character_changed_is_refused_unless_what_was_signed_is_unchanged() {
    for algorithm in [Algorithm::Es256, Algorithm::EdDsa] {
        let (key, _) = SigningKey::generate(algorithm).unwrap();
        let verifier = trusting(&key);
        assert_every_single_character_change_is_caught(
            &claims().issue(&key),
            container::HEALTH_CODE_PREFIX.len(),
            &format!("{algorithm:?}"),
            |changed| verifier.verify(changed, now()).map(|_| ()),
        );
    }
}

#[test]
fn a_pass_signed_with_a_key_outside_the_trust_list_is_an_unknown_key() {
    let (trusted, _) = SigningKey::generate(Algorithm::Es256).unwrap();
    let (outsider, _) = SigningKey::generate(Algorithm::Es256).unwrap();
    let verdict = trusting(&trusted).verify(&claims().issue(&outsider), now());
    assert!(
        matches!(verdict, Err(Invalid::UnknownKey { .. })),
        "{verdict:?}"
    );
}

#[test]
fn a_pass_whose_key_id_names_a_trusted_key_but_was_signed_by_another_is_a_bad_signature() {
    let (trusted, _) = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let (forger, _) = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let mut trust = TrustStore::new();
    trust.add(TrustedKey {
        issuer: "330100".into(),
        kid: forger.kid().to_vec(),
        key: trusted.public_key(),
        trusted_until: None,
        kinds: None,
    });
    let verdict = Verifier::new(trust).verify(&claims().issue(&forger), now());
    assert!(
        matches!(verdict, Err(Invalid::BadSignature { .. })),
        "{verdict:?}"
    );
}

#[test]
fn a_pass_is_valid_from_its_issue_to_its_expiry_both_included() {
    let (key, _) = SigningKey::generate(Algorithm::Es256).unwrap();
    let verifier = trusting(&key);
    let text = claims().issue(&key);
    let second = SignedDuration::from_secs(1);
    let expires = claims().expires;
    let cases = [
        (issued_at() - second, Some("not_yet_valid")),
        (issued_at(), None),
        (expires, None),
        (expires + second, Some("expired")),
    ];
    for (at, expected) in cases {
        let verdict = verifier.verify(&text, at);
        assert_eq!(
            verdict.err().map(|invalid| invalid.code()),
            expected,
            "at {at}"
        );
    }
}

#[test]
fn a_retired_key_is_trusted_until_its_overlap_ends() {
    let (key, _) = SigningKey::generate(Algorithm::Es256).unwrap();
    let until = now();
    let mut trust = TrustStore::new();
    trust.add(TrustedKey {
        issuer: "330100".into(),
        kid: key.kid().to_vec(),
        key: key.public_key(),
        trusted_until: Some(until),
        kinds: None,
    });
    let verifier = Verifier::new(trust);
    let text = claims().issue(&key);
    assert!(verifier.verify(&text, until).is_ok());
    let later = until + SignedDuration::from_secs(1);
    assert!(matches!(
        verifier.verify(&text, later),
        Err(Invalid::UnknownKey { .. })
    ));
}

#[test]
fn an_online_check_refuses_a_pass_showing_an_older_rating_as_revoked() {
    let claims = claims();
    assert_eq!(check_not_revoked(&claims, 7), Ok(()));
    assert_eq!(check_not_revoked(&claims, 8), Err(Invalid::Revoked));
}

#[test]
fn a_photo_without_a_code_is_refused_as_a_picture() {
    let (key, _) = SigningKey::generate(Algorithm::Es256).unwrap();
    let verdict = trusting(&key).verify_image(b"\x89PNG but not really", now());
    assert!(matches!(verdict, Err(Invalid::Picture(_))), "{verdict:?}");
}
