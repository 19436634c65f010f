//! The readers of scanned text, end to end, on any text: the verifier (prefix, Base45, zlib,
//! COSE, key look-up, signature, claims, key usage, validity) and a phone's reader of venue
//! poster codes. Each must answer every input and never panic.

#![no_main]

use healthcode_pass::VenueCode;
use healthcode_pass_fuzz::{anchors, now, verifier};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes);
    let verdict = verifier().verify(&text, now()).map(|_| ());
    let venue = VenueCode::open(&text, anchors()).map(|_| ());
    for invalid in [verdict, venue].into_iter().filter_map(Result::err) {
        // Every reason has a code and a message; making them must not panic either.
        let _ = (invalid.code(), invalid.to_string());
    }
});
