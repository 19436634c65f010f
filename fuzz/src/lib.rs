//! What the fuzz targets and the seed writer share: fixed keys, the verifier and the venue-code
//! anchors that trust them, a fixed clock, and sample claims.
//!
//! The keys are made on first use into `keys/` (ignored by git, like the corpus) and read from
//! there afterwards, so that a pass the seed writer signs still verifies in the fuzzing process
//! (and in a rerun of a crash). They sign nothing outside this package.

use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use healthcode_core::ResidentId;
use healthcode_core::rating::Colour;
use healthcode_pass::claims::SALT_LENGTH;
use healthcode_pass::{
    Algorithm, DccKind, Holder, PassClaims, PublicKey, SigningKey, TrustStore, TrustedKey, Verifier,
};
use jiff::{SignedDuration, Timestamp};

/// The region whose ES256 key the verifier trusts for every kind of certificate.
pub const ES256_ISSUER: &str = "330100";
/// The region whose EdDSA key the verifier trusts, for vaccination certificates only, so that
/// the key-usage check is reached too.
pub const EDDSA_ISSUER: &str = "310000";

/// The fixed keys: two pass signers, and the anchor of [`ES256_ISSUER`]'s region, which signs
/// its trust list and its venues' poster codes.
#[derive(Debug)]
pub struct Keys {
    pub es256: SigningKey,
    pub eddsa: SigningKey,
    pub anchor: SigningKey,
    pub anchor_public: PublicKey,
}

pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let anchor = key_file("anchor", Algorithm::EdDsa);
        Keys {
            es256: key_file("es256", Algorithm::Es256),
            eddsa: key_file("eddsa", Algorithm::EdDsa),
            anchor_public: anchor.public_key(),
            anchor,
        }
    })
}

/// The key `keys/<name>.pk8` of this package, made on first use. A new key is written to a
/// file of its own and renamed into place, so processes starting together agree on one.
fn key_file(name: &str, algorithm: Algorithm) -> SigningKey {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys");
    let path = dir.join(format!("{name}.pk8"));
    if !path.exists() {
        fs::create_dir_all(&dir).expect("the keys folder can be made");
        let (_, pkcs8) = SigningKey::generate(algorithm).expect("a key is generated");
        let staging = dir.join(format!("{name}.{}.new", std::process::id()));
        fs::write(&staging, pkcs8).expect("the new key is written");
        // The first link wins; a later one finds the file there and keeps it.
        if fs::hard_link(&staging, &path).is_err() && !path.exists() {
            panic!("cannot place {}", path.display());
        }
        let _ = fs::remove_file(&staging);
    }
    let pkcs8 = fs::read(&path).expect("the key file is readable");
    SigningKey::from_pkcs8(algorithm, &pkcs8).expect("the key file holds a PKCS#8 key")
}

/// The moment every target verifies at: 2026-01-01T00:01:00Z.
pub fn now() -> Timestamp {
    issued_at() + SignedDuration::from_mins(1)
}

/// When the sample passes were issued: 2026-01-01T00:00:00Z.
pub fn issued_at() -> Timestamp {
    Timestamp::from_second(1_767_225_600).expect("a valid time")
}

/// A verifier trusting the ES256 key for everything and the EdDSA key for a year, for
/// vaccination certificates only.
pub fn verifier() -> &'static Verifier {
    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        let keys = keys();
        let mut trust = TrustStore::new();
        trust.add(TrustedKey::issued_by(ES256_ISSUER, keys.es256.public_key()));
        trust.add(TrustedKey {
            trusted_until: Some(now() + SignedDuration::from_hours(24 * 365)),
            kinds: Some(vec![DccKind::Vaccination]),
            ..TrustedKey::issued_by(EDDSA_ISSUER, keys.eddsa.public_key())
        });
        Verifier::new(trust)
    })
}

/// The anchors a resident's phone checks venue codes against: the fixed anchor, as
/// [`ES256_ISSUER`]'s.
pub fn anchors() -> &'static [(String, PublicKey)] {
    static ANCHORS: OnceLock<Vec<(String, PublicKey)>> = OnceLock::new();
    ANCHORS.get_or_init(|| vec![(ES256_ISSUER.to_owned(), keys().anchor_public.clone())])
}

/// The claims of a pass of `colour` valid for `minutes` from [`issued_at`].
pub fn sample_claims(colour: Colour, minutes: i64) -> PassClaims {
    let resident = ResidentId::with_check_character("33010619800101123").expect("a valid ID");
    PassClaims {
        issuer: ES256_ISSUER.into(),
        issued_at: issued_at(),
        expires: issued_at() + SignedDuration::from_mins(minutes),
        colour,
        colour_valid_until: (colour != Colour::Green)
            .then(|| issued_at() + SignedDuration::from_hours(24 * 14)),
        rating_version: 7,
        holder: Holder::bind(&resident, "张*明".into(), [3; SALT_LENGTH]),
    }
}
