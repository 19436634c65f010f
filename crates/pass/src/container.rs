//! The layers around a signed pass, outermost first: a text prefix, Base45, zlib. The same
//! layering as the EU Digital COVID Certificate, so one reader peels both, and as a venue's
//! poster code, which only the prefix tells apart from a pass.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::bufread::ZlibDecoder;
use flate2::write::ZlibEncoder;

use crate::verdict::Invalid;

/// The prefix of this system's passes.
pub const HEALTH_CODE_PREFIX: &str = "HCODE1:";
/// The prefix of EU Digital COVID Certificates.
pub const DCC_PREFIX: &str = "HC1:";
/// The prefix of a venue's signed poster code ([`crate::venue_code`]).
pub const VENUE_CODE_PREFIX: &str = "HCVENUE1:";

/// The most bytes a pass may inflate to: a QR code holds under 3 KB, so anything near this is
/// a compression bomb, not a pass.
pub const MAX_INFLATED: u64 = 64 * 1024;

/// Which kind of text a prefix announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    HealthCode,
    Dcc,
    /// A venue's poster code: signed like a pass, but not one.
    Venue,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::HealthCode, Kind::Dcc, Kind::Venue];

    pub fn prefix(self) -> &'static str {
        match self {
            Kind::HealthCode => HEALTH_CODE_PREFIX,
            Kind::Dcc => DCC_PREFIX,
            Kind::Venue => VENUE_CODE_PREFIX,
        }
    }
}

/// Splits the prefix off `text` (surrounding whitespace, as scanners add it, is ignored).
pub fn unprefix(text: &str) -> Result<(Kind, &str), Invalid> {
    let text = text.trim();
    for kind in Kind::ALL {
        if let Some(rest) = text.strip_prefix(kind.prefix()) {
            return Ok((kind, rest));
        }
    }
    Err(Invalid::Prefix)
}

/// Decodes Base45 text.
pub fn base45_decode(text: &str) -> Result<Vec<u8>, Invalid> {
    base45::decode(text).map_err(|error| Invalid::Base45(error.to_string()))
}

/// Inflates a zlib stream, refusing trailing bytes and anything over [`MAX_INFLATED`].
pub fn inflate(compressed: &[u8]) -> Result<Vec<u8>, Invalid> {
    let mut decoder = ZlibDecoder::new(compressed);
    let mut inflated = Vec::new();
    (&mut decoder)
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut inflated)
        .map_err(|error| Invalid::Zlib(error.to_string()))?;
    if inflated.len() as u64 > MAX_INFLATED {
        return Err(Invalid::Zlib(format!(
            "inflates to more than {MAX_INFLATED} bytes"
        )));
    }
    if !decoder.into_inner().is_empty() {
        return Err(Invalid::Zlib("bytes follow the end of the stream".into()));
    }
    Ok(inflated)
}

/// Compresses `bytes` with zlib at the best level.
pub fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
    encoder
        .write_all(bytes)
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

/// Wraps signed COSE bytes as text: zlib, Base45, prefix.
pub fn wrap(kind: Kind, cose: &[u8]) -> String {
    let mut text = String::from(kind.prefix());
    text.push_str(&base45::encode(deflate(cose)));
    text
}

/// Peels every layer off `text`: the kind its prefix names and the COSE bytes inside.
pub fn unwrap(text: &str) -> Result<(Kind, Vec<u8>), Invalid> {
    let (kind, rest) = unprefix(text)?;
    Ok((kind, unwrap_body(rest)?))
}

/// Peels the layers under the prefix off the rest of the text (as [`unprefix`] answers it):
/// for readers that refuse a kind before they decode it.
pub fn unwrap_body(after_prefix: &str) -> Result<Vec<u8>, Invalid> {
    inflate(&base45_decode(after_prefix)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_bytes_unwrap_to_themselves_with_their_kind() {
        for kind in Kind::ALL {
            let text = wrap(kind, b"signed bytes");
            assert!(text.starts_with(kind.prefix()));
            assert_eq!(unwrap(&text).unwrap(), (kind, b"signed bytes".to_vec()));
        }
    }

    #[test]
    fn each_damaged_layer_is_named_as_the_reason() {
        let good = wrap(Kind::HealthCode, b"signed bytes");
        let cases: Vec<(String, &str)> = vec![
            (good.replacen("HCODE1:", "HCODE2:", 1), "prefix"),
            (format!("{good}a"), "base45"),
            (format!("HCODE1:{}", base45::encode(b"not zlib")), "zlib"),
        ];
        for (text, expected) in cases {
            assert_eq!(unwrap(&text).unwrap_err().code(), expected, "{text}");
        }
    }

    #[test]
    fn a_compression_bomb_is_refused_before_it_is_inflated_whole() {
        let bomb = deflate(&vec![0u8; (MAX_INFLATED as usize) * 4]);
        assert!(matches!(inflate(&bomb), Err(Invalid::Zlib(_))));
    }

    #[test]
    fn bytes_after_the_zlib_stream_are_refused() {
        let mut compressed = deflate(b"signed bytes");
        compressed.push(0);
        assert!(matches!(inflate(&compressed), Err(Invalid::Zlib(_))));
    }
}
