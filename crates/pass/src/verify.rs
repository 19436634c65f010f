//! The verifier: from the text of a QR code (or a photo of it) to a verdict, offline, against
//! a trust store. It reads this system's passes (`HCODE1:`) and EU Digital COVID Certificates
//! (`HC1:`) alike; only the claims differ.

use jiff::Timestamp;

use crate::claims::PassClaims;
use crate::container::{self, Kind};
use crate::cose::{Signed, hex};
use crate::dcc::DccContents;
use crate::qr;
use crate::trust::{TrustStore, TrustedKey};
use crate::verdict::{Contents, Invalid, Verdict, Verified};

/// Verifies passes and certificates against the keys it trusts.
#[derive(Clone, Debug, Default)]
pub struct Verifier {
    trust: TrustStore,
}

impl Verifier {
    pub fn new(trust: TrustStore) -> Verifier {
        Verifier { trust }
    }

    pub fn trust(&self) -> &TrustStore {
        &self.trust
    }

    /// Verifies the text of a QR code at `now`. The first step that fails is the reason:
    /// prefix (a venue's poster code is not a pass), Base45, zlib, COSE structure, key,
    /// signature, claims, key usage, validity.
    pub fn verify(&self, text: &str, now: Timestamp) -> Verdict {
        let (kind, rest) = container::unprefix(text)?;
        if kind == Kind::Venue {
            return Err(Invalid::NotAPass);
        }
        let signed = Signed::parse(&container::unwrap_body(rest)?)?;
        let key = self.signer(&signed, now)?;
        let (contents, issued_at, expires) = match kind {
            Kind::HealthCode => {
                let claims = PassClaims::from_cbor(signed.payload()).map_err(Invalid::Claims)?;
                let times = (claims.issued_at, claims.expires);
                (Contents::HealthCode(claims), times.0, times.1)
            }
            Kind::Dcc => {
                let certificate =
                    DccContents::from_cwt(signed.payload()).map_err(Invalid::Claims)?;
                if let Some(kind) = certificate.kind_not_allowed(key.kinds.as_deref()) {
                    return Err(Invalid::KeyUsage {
                        kind: kind.name().to_owned(),
                    });
                }
                let times = (certificate.issued_at, certificate.expires);
                (Contents::Dcc(certificate), times.0, times.1)
            }
            Kind::Venue => unreachable!("refused at its prefix above"),
        };
        within(issued_at, expires, now)?;
        Ok(Verified {
            issuer: key.issuer.clone(),
            kid: key.kid_hex(),
            contents,
        })
    }

    /// Verifies a photo of a QR code (PNG or JPEG).
    pub fn verify_image(&self, image: &[u8], now: Timestamp) -> Verdict {
        let text = qr::decode_image(image).map_err(|error| Invalid::Picture(error.to_string()))?;
        self.verify(&text, now)
    }

    /// The trusted key whose signature `signed` carries.
    fn signer(&self, signed: &Signed, now: Timestamp) -> Result<&TrustedKey, Invalid> {
        let mut candidates = self
            .trust
            .by_kid(&signed.kid, now)
            .filter(|key| key.key.algorithm == signed.algorithm)
            .peekable();
        let Some(first) = candidates.peek().copied() else {
            return Err(Invalid::UnknownKey {
                kid: hex(&signed.kid),
            });
        };
        candidates
            .find(|key| signed.verifies_with(&key.key))
            .ok_or_else(|| Invalid::BadSignature {
                kid: first.kid_hex(),
                issuer: first.issuer.clone(),
            })
    }
}

/// Whether `now` lies from `issued_at` to `expires`, both included.
pub fn within(issued_at: Timestamp, expires: Timestamp, now: Timestamp) -> Result<(), Invalid> {
    if now < issued_at {
        return Err(Invalid::NotYetValid { from: issued_at });
    }
    if now > expires {
        return Err(Invalid::Expired { at: expires });
    }
    Ok(())
}

/// The online check of a verified pass: refused as revoked when the holder's latest rating is
/// newer than the one the pass shows.
pub fn check_not_revoked(claims: &PassClaims, latest_rating_version: u64) -> Result<(), Invalid> {
    if latest_rating_version > claims.rating_version {
        return Err(Invalid::Revoked);
    }
    Ok(())
}
