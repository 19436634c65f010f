//! The input as a payload signed by a trusted key: as the claims of an `HCODE1:` pass and of
//! an `HC1:` certificate (signed by the EdDSA pass key, which may sign vaccination
//! certificates only), and signed by the anchor as a trust list and as a venue's poster code.
//! This reaches what runs after a good signature, which random text never does. A payload
//! signed by a trusted key must never be refused before its claims are read.

#![no_main]

use healthcode_pass::VenueCode;
use healthcode_pass::container::{self, DCC_PREFIX, HEALTH_CODE_PREFIX, Kind};
use healthcode_pass::trust_list::{TrustList, TrustListError};
use healthcode_pass::verdict::Invalid;
use healthcode_pass_fuzz::{anchors, keys, now, verifier};
use libfuzzer_sys::fuzz_target;

/// Payloads above this could inflate past what a pass may hold, and be refused as zlib bombs.
const MAX_PAYLOAD: usize = 32 * 1024;

fuzz_target!(|payload: &[u8]| {
    if payload.len() > MAX_PAYLOAD {
        return;
    }
    let keys = keys();

    // Only the prefix differs between a pass and a certificate, so one signature and one
    // deflate (the slow steps) serve both. EdDSA, because ES256 signing is far slower.
    let pass = container::wrap(Kind::HealthCode, &keys.eddsa.sign(payload.to_vec()));
    let certificate = pass.replacen(HEALTH_CODE_PREFIX, DCC_PREFIX, 1);
    for text in [pass, certificate] {
        match verifier().verify(&text, now()) {
            Ok(_)
            | Err(
                Invalid::Claims(_)
                | Invalid::Expired { .. }
                | Invalid::NotYetValid { .. }
                | Invalid::KeyUsage { .. },
            ) => {}
            Err(other) => panic!("a payload signed by a trusted key was refused: {other:?}"),
        }
    }

    let by_anchor = keys.anchor.sign(payload.to_vec());
    match TrustList::open(&by_anchor, &keys.anchor_public) {
        Ok(_) | Err(TrustListError::Contents(_)) => {}
        Err(other) => panic!("a trust list signed by the anchor was refused: {other:?}"),
    }
    match VenueCode::open(&container::wrap(Kind::Venue, &by_anchor), anchors()) {
        Ok(_) | Err(Invalid::Claims(_)) => {}
        Err(other) => panic!("a venue code signed by the anchor was refused: {other:?}"),
    }
});
