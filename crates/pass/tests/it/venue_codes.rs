//! Venues' poster codes signed with a region's anchor, opened against the anchors a phone
//! trusts, kept apart from passes, and drawn on an A4 poster whose QR code reads back.

use std::io::Cursor;

use crate::mutations::assert_every_single_character_change_is_caught;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use coset::{CoseSign1Builder, HeaderBuilder, TaggedCborSerializable, iana};
use healthcode_core::ResidentId;
use healthcode_core::rating::Colour;
use healthcode_pass::claims::SALT_LENGTH;
use healthcode_pass::container::{self, Kind};
use healthcode_pass::poster::{self, Poster};
use healthcode_pass::venue_code::VENUE_CODE_PREFIX;
use healthcode_pass::{
    Algorithm, Holder, Invalid, PassClaims, PassKeys, PublicKey, SigningKey, TrustStore,
    TrustedKey, VenueCode, Verifier, qr,
};
use image::{GrayImage, ImageFormat, Luma};
use jiff::{SignedDuration, Timestamp};

fn issued_at() -> Timestamp {
    Timestamp::from_second(1_767_225_600).unwrap()
}

fn venue_code() -> VenueCode {
    VenueCode {
        issuer: "330100".into(),
        issued_at: issued_at(),
        venue: [0x42; 16],
        name: "知味观 Zhiweiguan".into(),
        district: "330102".into(),
    }
}

fn anchor() -> SigningKey {
    SigningKey::generate(Algorithm::Es256).unwrap().0
}

fn anchors_of(issuer: &str, anchor: &SigningKey) -> Vec<(String, PublicKey)> {
    vec![(issuer.to_owned(), anchor.public_key())]
}

fn code_of(result: Result<VenueCode, Invalid>) -> &'static str {
    match result {
        Ok(code) => panic!("opened: {code:?}"),
        Err(invalid) => invalid.code(),
    }
}

#[test]
fn a_venue_code_signed_with_a_regions_anchor_opens_with_that_anchor_as_it_was() {
    let anchor = anchor();
    let (other_region, _) = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let text = venue_code().sign(&anchor);
    assert!(text.starts_with(VENUE_CODE_PREFIX), "{text}");
    let anchors = vec![
        ("440300".to_owned(), other_region.public_key()),
        ("330100".to_owned(), anchor.public_key()),
    ];
    let opened = VenueCode::open(&text, &anchors).unwrap();
    assert_eq!(opened, venue_code());
    assert_eq!(opened.issuer, "330100");
    assert_eq!(opened.venue, [0x42; 16]);
    assert_eq!(opened.name, "知味观 Zhiweiguan");
    assert_eq!(opened.district, "330102");
    // Scanners add white space around what they read.
    assert_eq!(
        VenueCode::open(&format!(" {text}\n"), &anchors).unwrap(),
        venue_code()
    );
}

#[test]
fn a_venue_code_signed_by_an_anchor_not_trusted_is_an_unknown_key() {
    let (signer, trusted) = (anchor(), anchor());
    let text = venue_code().sign(&signer);
    assert_eq!(
        code_of(VenueCode::open(&text, &anchors_of("330100", &trusted))),
        "unknown_key"
    );
    assert_eq!(code_of(VenueCode::open(&text, &[])), "unknown_key");
}

#[test]
fn a_venue_code_naming_a_trusted_anchors_key_id_but_signed_by_another_key_is_a_bad_signature() {
    let trusted = anchor();
    let (forger, forger_pkcs8) = SigningKey::generate(Algorithm::Es256).unwrap();
    let forger_pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &forger_pkcs8).unwrap();
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .key_id(trusted.kid().to_vec())
        .build();
    let forged = CoseSign1Builder::new()
        .protected(protected)
        .payload(venue_code().to_cbor())
        .create_signature(b"", |signed| {
            forger_pair
                .sign(&SystemRandom::new(), signed)
                .unwrap()
                .as_ref()
                .to_vec()
        })
        .build()
        .to_tagged_vec()
        .unwrap();
    let text = container::wrap(Kind::Venue, &forged);
    let anchors = anchors_of("330100", &trusted);
    match VenueCode::open(&text, &anchors) {
        Err(Invalid::BadSignature { issuer, .. }) => assert_eq!(issuer, "330100"),
        other => panic!("{other:?}"),
    }
    // The same claims under the forger's own key id are not even tried against the anchor.
    let honest_forgery = venue_code().sign(&forger);
    assert_eq!(
        code_of(VenueCode::open(&honest_forgery, &anchors)),
        "unknown_key"
    );
}

#[test]
fn a_venue_code_naming_another_region_than_its_signers_is_refused_as_claims() {
    let anchor = anchor();
    let elsewhere = VenueCode {
        issuer: "440300".into(),
        ..venue_code()
    };
    let text = elsewhere.sign(&anchor);
    match VenueCode::open(&text, &anchors_of("330100", &anchor)) {
        Err(Invalid::Claims(message)) => {
            assert!(message.contains("names region \"440300\""), "{message}");
            assert!(message.contains("anchor of region \"330100\""), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_pass_is_not_a_venue_code_and_a_venue_code_is_not_a_pass() {
    let key = anchor();
    let resident = ResidentId::with_check_character("33010619800101123").unwrap();
    let pass = PassClaims {
        issuer: "330100".into(),
        issued_at: issued_at(),
        expires: issued_at() + SignedDuration::from_mins(5),
        colour: Colour::Green,
        colour_valid_until: None,
        rating_version: 1,
        holder: Holder::bind(&resident, "张*明".into(), [3; SALT_LENGTH]),
    }
    .issue(&key);
    let anchors = anchors_of("330100", &key);
    let refused = VenueCode::open(&pass, &anchors).unwrap_err();
    assert_eq!(refused, Invalid::NotAVenueCode);
    assert!(refused.to_string().contains("not a venue"), "{refused}");
    let certificate = format!("{}{}", container::DCC_PREFIX, &pass["HCODE1:".len()..]);
    assert_eq!(
        code_of(VenueCode::open(&certificate, &anchors)),
        "not_a_venue_code"
    );
    assert_eq!(
        code_of(VenueCode::open("https://example.com/", &anchors)),
        "prefix"
    );

    // Refused by its kind even by a verifier that trusts the key that signed it.
    let mut trust = TrustStore::new();
    trust.add(TrustedKey::issued_by("330100", key.public_key()));
    let verifier = Verifier::new(trust);
    let code = venue_code().sign(&key);
    let refused = verifier.verify(&code, issued_at()).unwrap_err();
    assert_eq!(refused, Invalid::NotAPass);
    assert_eq!(refused.code(), "not_a_pass");
    assert!(refused.to_string().contains("poster"), "{refused}");
    let photo = qr::png(&code).unwrap();
    assert_eq!(
        verifier.verify_image(&photo, issued_at()),
        Err(Invalid::NotAPass)
    );
}

#[test]
fn every_single_character_changed_in_a_venue_code_is_refused_or_leaves_what_was_signed() {
    let anchor = anchor();
    let anchors = anchors_of("330100", &anchor);
    assert_every_single_character_change_is_caught(
        &venue_code().sign(&anchor),
        VENUE_CODE_PREFIX.len(),
        "venue code",
        |changed| VenueCode::open(changed, &anchors).map(|_| ()),
    );
}

#[test]
fn pass_keys_sign_venue_codes_with_their_anchor_and_open_them_with_every_pinned_anchor() {
    let (ours_dir, theirs_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let ours = PassKeys::open_or_create(ours_dir.path(), Algorithm::EdDsa, issued_at()).unwrap();
    let theirs =
        PassKeys::open_or_create(theirs_dir.path(), Algorithm::Es256, issued_at()).unwrap();
    assert_eq!(
        ours.anchors("330100").unwrap(),
        vec![("330100".to_owned(), ours.anchor())]
    );
    ours.import_trust_list(
        "330100",
        &theirs.signed_trust_list("440300", issued_at()),
        &theirs.anchor(),
    )
    .unwrap();
    let anchors = ours.anchors("330100").unwrap();
    assert_eq!(
        anchors,
        vec![
            ("330100".to_owned(), ours.anchor()),
            ("440300".to_owned(), theirs.anchor()),
        ]
    );

    let now = issued_at() + SignedDuration::from_millis(1_500);
    let venue = [7; 16];
    let own = ours.venue_code("330100", venue, "Tom & Jerry's <Café>", "330106", now);
    let opened = VenueCode::open(&own, &anchors).unwrap();
    assert_eq!(opened.issuer, "330100");
    assert_eq!(opened.venue, venue);
    assert_eq!(opened.name, "Tom & Jerry's <Café>");
    assert_eq!(opened.district, "330106");
    assert_eq!(opened.issued_at, issued_at() + SignedDuration::from_secs(1));
    // Signed by the anchor, not by the pass key a rotation would retire.
    assert!(VenueCode::open(&own, &anchors_of("330100", ours.active())).is_err());

    let imported = theirs.venue_code("440300", venue, "华强北", "440304", now);
    assert_eq!(
        VenueCode::open(&imported, &anchors).unwrap().issuer,
        "440300"
    );
    // Their anchor does not vouch for a venue that claims to be ours.
    let impostor = theirs.venue_code("330100", venue, "华强北", "440304", now);
    assert_eq!(code_of(VenueCode::open(&impostor, &anchors)), "claims");
}

/// The poster's QR path drawn as the black modules of a PNG, with a white quiet zone of four
/// modules: what a phone sees of the printed code, read from the document itself.
fn rasterise_modules(path: &str, width: u32) -> Vec<u8> {
    const PIXELS: u32 = 6;
    let side = (width + 8) * PIXELS;
    let mut image = GrayImage::from_pixel(side, side, Luma([255]));
    for module in path.split('M').filter(|module| !module.is_empty()) {
        let corner = module
            .strip_suffix("h1v1h-1z")
            .expect("a one-module square");
        let (x, y) = corner.split_once(' ').unwrap();
        let (x, y): (u32, u32) = (x.parse().unwrap(), y.parse().unwrap());
        assert!(x < width && y < width, "module {x} {y} outside the code");
        for dx in 0..PIXELS {
            for dy in 0..PIXELS {
                image.put_pixel((x + 4) * PIXELS + dx, (y + 4) * PIXELS + dy, Luma([0]));
            }
        }
    }
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .unwrap();
    png
}

/// The value of `attribute` in the first element of `svg` that has it.
fn attribute<'a>(svg: &'a str, element: &str, attribute: &str) -> &'a str {
    let start = svg.find(element).expect(element);
    let tail = &svg[start..];
    let tail =
        &tail[tail.find(&format!(" {attribute}=\"")).expect(attribute) + attribute.len() + 3..];
    &tail[..tail.find('"').unwrap()]
}

#[test]
fn a_poster_is_an_a4_page_whose_qr_code_reads_back_as_the_venue_code() {
    let anchor = anchor();
    let code = venue_code().sign(&anchor);
    let venue_id = "42424242-4242-4242-4242-424242424242";
    let svg = poster::a4_svg(&Poster {
        venue_name: "知味观 Zhiweiguan",
        district: "330102",
        issuer: "330100",
        venue_id,
        code: &code,
    })
    .unwrap();
    assert!(svg.contains(r#"width="210mm" height="297mm" viewBox="0 0 210 297""#));
    for text in [
        "Scan to check in",
        "扫码登记",
        "知味观 Zhiweiguan",
        "330102",
        venue_id,
        "Signed by region 330100. If your phone says this code is not valid, tell the staff.",
    ] {
        assert!(svg.contains(text), "{text}");
    }

    let (path, width) = qr::svg_modules(&code).unwrap();
    let drawn = attribute(&svg, "<path", "d");
    assert_eq!(drawn, path);
    assert_eq!(svg.matches(&path).count(), 1);
    let png = rasterise_modules(drawn, width as u32);
    assert_eq!(qr::decode_image(&png).unwrap(), code);
    assert_eq!(
        VenueCode::open(
            &qr::decode_image(&png).unwrap(),
            &anchors_of("330100", &anchor)
        )
        .unwrap(),
        venue_code()
    );

    // About 120 mm wide with its quiet zone, centred on the page.
    let transform = attribute(&svg, "<path", "transform");
    let scale: f64 = transform
        .split("scale(")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap()
        .parse()
        .unwrap();
    let side = scale * (width + 8) as f64;
    assert!((side - 120.0).abs() < 0.01, "{side}");
    let left: f64 = transform["translate(".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((left + side / 2.0 - 105.0).abs() < 0.01, "{transform}");
}

#[test]
fn a_poster_escapes_every_text_it_is_given() {
    let code = venue_code().sign(&anchor());
    let svg = poster::a4_svg(&Poster {
        venue_name: "Tom & Jerry's <Café>",
        district: "<b>330102</b>",
        issuer: "330100\"",
        venue_id: "1 & 2",
        code: &code,
    })
    .unwrap();
    assert!(svg.contains("Tom &amp; Jerry&apos;s &lt;Café&gt;"), "{svg}");
    assert!(svg.contains("&lt;b&gt;330102&lt;/b&gt;"));
    assert!(svg.contains("region 330100&quot;."));
    assert!(svg.contains("1 &amp; 2"));
    for raw in ["<Café>", "Jerry's", "<b>", "330100\"", "1 & 2"] {
        assert!(!svg.contains(raw), "{raw} is not escaped");
    }
}

#[test]
fn a_poster_of_a_code_too_long_for_a_qr_code_is_refused() {
    let code = format!("{VENUE_CODE_PREFIX}{}", "A".repeat(5_000));
    let poster = Poster {
        venue_name: "x",
        district: "330102",
        issuer: "330100",
        venue_id: "1",
        code: &code,
    };
    assert!(matches!(poster::a4_svg(&poster), Err(qr::QrError::TooLong)));
}
