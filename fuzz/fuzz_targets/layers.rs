//! Each reader that runs on untrusted bytes, fed the input directly, so that the fuzzer need
//! not get past the layers (and the signature) in front of it: the text layers, COSE_Sign1,
//! pass claims, certificate claims and their JSON, venue code claims, signed trust lists, signer
//! certificates and pinned anchor keys. Where a reader accepts the input, what it read must survive a round
//! trip through the matching writer.

#![no_main]

use healthcode_pass::VenueCode;
use healthcode_pass::claims::PassClaims;
use healthcode_pass::container;
use healthcode_pass::cose::Signed;
use healthcode_pass::dcc::signer::SignerCertificate;
use healthcode_pass::dcc::{DccContents, decode_cbor, to_json};
use healthcode_pass::keystore::{format_public_key, parse_public_key};
use healthcode_pass::trust::DccKind;
use healthcode_pass::trust_list::TrustList;
use healthcode_pass_fuzz::keys;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let keys = keys();
    let text = String::from_utf8_lossy(bytes);

    if let Ok((kind, cose)) = container::unwrap(&text) {
        let rewrapped = container::wrap(kind, &cose);
        assert_eq!(container::unwrap(&rewrapped).ok(), Some((kind, cose)));
    }
    let _ = container::inflate(bytes);

    if let Ok(signed) = Signed::parse(bytes) {
        let _ = signed.signed_bytes_and_signature();
        for key in [&keys.es256, &keys.eddsa] {
            let _ = signed.verifies_with(&key.public_key());
        }
    }

    if let Ok(claims) = PassClaims::from_cbor(bytes) {
        assert_eq!(PassClaims::from_cbor(&claims.to_cbor()), Ok(claims));
    }

    if let Ok(code) = VenueCode::from_cbor(bytes) {
        assert_eq!(VenueCode::from_cbor(&code.to_cbor()), Ok(code));
    }

    if let Ok(certificate) = DccContents::from_cwt(bytes) {
        let _ = (certificate.kinds(), certificate.name());
        let _ = certificate.kind_not_allowed(Some(&[DccKind::Vaccination]));
    }
    if let Ok(value) = decode_cbor(bytes) {
        let _ = to_json(&value);
    }

    let _ = TrustList::open(bytes, &keys.anchor_public);

    let _ = SignerCertificate::from_der(bytes);
    let _ = SignerCertificate::from_pem_or_base64(&text);

    if let Some(key) = parse_public_key(&text) {
        assert_eq!(parse_public_key(&format_public_key(&key)), Some(key));
    }
});
