//! EU certificate signers: a document signer certificate (X.509, as the EU gateway and the
//! test vectors carry it) read into the [`TrustedKey`] a verifier looks up.
//!
//! Only what verification needs is read: the key, the key id (the first 8 bytes of the
//! SHA-256 of the certificate's DER), who it belongs to, its validity and which kinds of
//! certificate it may sign. The certificate's own signature and chain are never checked here:
//! trust comes from whoever adds the signer to the trust store. Extensions other than the
//! extended key usage are never decoded, so a signer whose other extensions break strict DER
//! (as Finland's test signers do) is still read.

use jiff::Timestamp;
use x509_cert::Certificate;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, Encode, Tag, Tagged};
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::name::Name;

use crate::cose::{Algorithm, PublicKey, kid_of};
use crate::trust::{DccKind, TrustedKey};

const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EXTENDED_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const COUNTRY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");
const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// The extended key usage OIDs of the kinds a signer may sign, in both spellings found in
/// the wild: the specification's `1.3.6.1.4.1.1847.2021.1.x` and the `…4.1.0.1847…` form that
/// many issuers (and the EU's own negative test vectors) use.
const KIND_OIDS: [(ObjectIdentifier, DccKind); 6] = [
    (
        ObjectIdentifier::new_unwrap("1.3.6.1.4.1.1847.2021.1.1"),
        DccKind::Test,
    ),
    (
        ObjectIdentifier::new_unwrap("1.3.6.1.4.1.1847.2021.1.2"),
        DccKind::Vaccination,
    ),
    (
        ObjectIdentifier::new_unwrap("1.3.6.1.4.1.1847.2021.1.3"),
        DccKind::Recovery,
    ),
    (
        ObjectIdentifier::new_unwrap("1.3.6.1.4.1.0.1847.2021.1.1"),
        DccKind::Test,
    ),
    (
        ObjectIdentifier::new_unwrap("1.3.6.1.4.1.0.1847.2021.1.2"),
        DccKind::Vaccination,
    ),
    (
        ObjectIdentifier::new_unwrap("1.3.6.1.4.1.0.1847.2021.1.3"),
        DccKind::Recovery,
    ),
];

/// A document signer certificate, read. Its key is one a verifier can check signatures
/// with (ES256 on P-256, or PS256 on RSA).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerCertificate {
    /// The key as the trust store holds it, trusted until it is removed: when a signer's
    /// certificates run out matters to the certificates it signed, not to the key.
    pub key: TrustedKey,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
}

/// Why a signer certificate could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignerError {
    #[error("not a PEM certificate or base64 text")]
    NotText,
    #[error("not an X.509 certificate ({0})")]
    NotCertificate(String),
    #[error(
        "the certificate's key is {0}; EU certificate signers use EC P-256 (ES256) or RSA (PS256)"
    )]
    UnsupportedKey(String),
    #[error("the certificate's subject names neither a country (C) nor a common name (CN)")]
    NoSubjectName,
    #[error("the certificate's validity is out of range")]
    Validity,
}

impl SignerCertificate {
    /// Reads a certificate from its DER encoding.
    pub fn from_der(der: &[u8]) -> Result<SignerCertificate, SignerError> {
        let certificate = Certificate::from_der(der)
            .map_err(|error| SignerError::NotCertificate(error.to_string()))?;
        let tbs = &certificate.tbs_certificate;
        let spki = &tbs.subject_public_key_info;
        let algorithm = key_algorithm(&spki.algorithm.oid, spki.algorithm.parameters.as_ref())?;
        let spki_der = spki
            .to_der()
            .map_err(|error| SignerError::NotCertificate(error.to_string()))?;
        let issuer = subject_attribute(&tbs.subject, COUNTRY)
            .or_else(|| subject_attribute(&tbs.subject, COMMON_NAME))
            .ok_or(SignerError::NoSubjectName)?;
        let extended_key_usage = tbs
            .extensions
            .iter()
            .flatten()
            .find(|extension| extension.extn_id == EXTENDED_KEY_USAGE)
            .map(|extension| {
                ExtendedKeyUsage::from_der(extension.extn_value.as_bytes())
                    .map(|usage| usage.0)
                    .ok()
            });
        let kinds = match extended_key_usage {
            Some(Some(oids)) => kinds_allowed(&oids),
            // No extended key usage, or one that cannot be read: no restriction.
            Some(None) | None => None,
        };
        Ok(SignerCertificate {
            key: TrustedKey {
                issuer,
                kid: kid_of(der),
                key: PublicKey {
                    algorithm,
                    bytes: spki_der,
                },
                trusted_until: None,
                kinds,
            },
            not_before: timestamp(tbs.validity.not_before.to_unix_duration())?,
            not_after: timestamp(tbs.validity.not_after.to_unix_duration())?,
        })
    }

    /// Reads a certificate from PEM (`-----BEGIN CERTIFICATE-----`) or from bare base64 of
    /// its DER, as trust lists and the test vectors carry it. Line breaks are ignored.
    pub fn from_pem_or_base64(text: &str) -> Result<SignerCertificate, SignerError> {
        const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
        const END: &str = "-----END CERTIFICATE-----";
        let body = match text.find(BEGIN) {
            Some(start) => {
                let rest = &text[start + BEGIN.len()..];
                let end = rest.find(END).ok_or(SignerError::NotText)?;
                &rest[..end]
            }
            None => text,
        };
        let der = base64_decode(body).ok_or(SignerError::NotText)?;
        SignerCertificate::from_der(&der)
    }
}

/// The kinds a signer whose certificate lists `oids` as extended key usage may sign: those
/// whose OID (either spelling) is listed, or every kind (`None`) when no DCC OID is listed at
/// all, as the EU's reference verifiers read it (a certificate for TLS only, or an empty
/// list, restricts nothing).
pub fn kinds_allowed(oids: &[ObjectIdentifier]) -> Option<Vec<DccKind>> {
    let kinds: Vec<DccKind> = DccKind::ALL
        .into_iter()
        .filter(|kind| {
            KIND_OIDS
                .iter()
                .any(|(oid, named)| named == kind && oids.contains(oid))
        })
        .collect();
    if kinds.is_empty() { None } else { Some(kinds) }
}

fn key_algorithm(
    oid: &ObjectIdentifier,
    parameters: Option<&x509_cert::der::Any>,
) -> Result<Algorithm, SignerError> {
    if *oid == RSA_ENCRYPTION {
        return Ok(Algorithm::Ps256);
    }
    if *oid != EC_PUBLIC_KEY {
        return Err(SignerError::UnsupportedKey(format!(
            "of type {}",
            key_type_name(oid)
        )));
    }
    let curve = parameters
        .and_then(|parameters| parameters.decode_as::<ObjectIdentifier>().ok())
        .ok_or_else(|| SignerError::UnsupportedKey("EC without a named curve".into()))?;
    if curve == P256 {
        Ok(Algorithm::Es256)
    } else {
        Err(SignerError::UnsupportedKey(format!(
            "EC on curve {}",
            curve_name(&curve)
        )))
    }
}

fn key_type_name(oid: &ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.2.840.113549.1.1.10" => "RSASSA-PSS (1.2.840.113549.1.1.10)".into(),
        "1.3.101.112" => "Ed25519 (1.3.101.112)".into(),
        "1.3.101.113" => "Ed448 (1.3.101.113)".into(),
        "1.2.840.10040.4.1" => "DSA (1.2.840.10040.4.1)".into(),
        other => other.into(),
    }
}

fn curve_name(oid: &ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.3.132.0.34" => "P-384 (1.3.132.0.34)".into(),
        "1.3.132.0.35" => "P-521 (1.3.132.0.35)".into(),
        "1.3.132.0.10" => "secp256k1 (1.3.132.0.10)".into(),
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1 (1.3.36.3.3.2.8.1.1.7)".into(),
        other => other.into(),
    }
}

/// The first value of attribute `oid` in `name` that is a string.
fn subject_attribute(name: &Name, oid: ObjectIdentifier) -> Option<String> {
    name.0
        .iter()
        .flat_map(|relative| relative.0.iter())
        .filter(|attribute| attribute.oid == oid)
        .find_map(|attribute| {
            let text_tags = [
                Tag::Utf8String,
                Tag::PrintableString,
                Tag::Ia5String,
                Tag::TeletexString,
            ];
            if !text_tags.contains(&attribute.value.tag()) {
                return None;
            }
            let text = std::str::from_utf8(attribute.value.value()).ok()?.trim();
            (!text.is_empty()).then(|| text.to_owned())
        })
}

fn timestamp(since_epoch: std::time::Duration) -> Result<Timestamp, SignerError> {
    let seconds = i64::try_from(since_epoch.as_secs()).map_err(|_| SignerError::Validity)?;
    Timestamp::from_second(seconds).map_err(|_| SignerError::Validity)
}

/// Bytes from standard base64 (padding optional), ASCII whitespace ignored; `None` for
/// anything else: the signer certificates and QR pictures of EU trust lists and test vectors.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const STANDARD_PADDING_OPTIONAL: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD_PADDING_OPTIONAL.decode(compact).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Self-signed certificates made with OpenSSL 3 for these tests (no vector is copied):
    /// P-256 with subject `C=XX, CN=Test Signer` and the vaccination OID (`.0.` spelling) as
    /// extended key usage; P-384 with only `CN=Curve Signer`; RSA-2048 with `CN=RSA Signer`
    /// for TLS servers only (`serverAuth`).
    const P256_VACCINATION_SIGNER: &str = "MIIBrjCCAVSgAwIBAgIBATAKBggqhkjOPQQDAjAjMQswCQYDVQQGEwJYWDEUMBIGA1UEAwwLVGVzdCBTaWduZXIwHhcNMjYxMTIyMjIzOTAwWhcNMjgxMTIxMjIzOTAwWjAjMQswCQYDVQQGEwJYWDEUMBIGA1UEAwwLVGVzdCBTaWduZXIwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQlsFuvhjO9qd9zzlvRJKpAz+2bQOseOtMF42N/Xt3LG/FWyPhNec9X8rCbrJi1LCXrWHWnzGyUUbvDirzy/AZVo3kwdzAdBgNVHQ4EFgQUXdIfBz68vKcjoZfmOl5Y3aJSsH4wHwYDVR0jBBgwFoAUXdIfBz68vKcjoZfmOl5Y3aJSsH4wDwYDVR0TAQH/BAUwAwEB/zAXBgNVHSUEEDAOBgwrBgEEAQCON49lAQIwCwYDVR0PBAQDAgeAMAoGCCqGSM49BAMCA0gAMEUCIEFDnt0EDeFFa12GbRmAIxh3nwe4hqw15uZAnnKDuFoZAiEAh/JTYb6FUa7cywj38+weYx8BHOpOgPVpyduJyCL06Qo=";
    const P384_SIGNER: &str = "MIIBrDCCATOgAwIBAgIBAjAKBggqhkjOPQQDAjAXMRUwEwYDVQQDDAxDdXJ2ZSBTaWduZXIwHhcNMjYxMTIyMjIzOTAwWhcNMjgxMTIxMjIzOTAwWjAXMRUwEwYDVQQDDAxDdXJ2ZSBTaWduZXIwdjAQBgcqhkjOPQIBBgUrgQQAIgNiAASQIxT4CHcoKnzWhJ8FC1Gk/tjLGG4/ok3kjx8++kC0aY0rJLxXlyWIoQKze5stX3cRMSXTFyOOCWuhqaBRsxg61rLgkxWKiwRfrX8S9NWHbnHka711Ed36NgrJ36QWLkmjUzBRMB0GA1UdDgQWBBQ9b7sdWmWszFaLtidPGnfD1e5sejAfBgNVHSMEGDAWgBQ9b7sdWmWszFaLtidPGnfD1e5sejAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA2cAMGQCMAGuHETRBdxxuf8CJigqS3V3B2cmnbd58UzOhq/7jYh/Xq2pnizrHvvfdhTLEBiCfgIwNiBYzodeT1A7N6BVWm6QMjdrf7cPdSqfUmztAbL6wB1lTW0TtQCWBxQqHm2rs46X";
    const RSA_SERVER_AUTH_SIGNER: &str = "MIIDDTCCAfWgAwIBAgIBAzANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDDApSU0EgU2lnbmVyMB4XDTI2MTEyMjIyMzkwMVoXDTI4MTEyMTIyMzkwMVowFTETMBEGA1UEAwwKUlNBIFNpZ25lcjCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAJGTr+INBwjjMCLN1b/efUSs6uaLPQJmCt8EBqMKH8J8HpojU/G2S+DzEveL9146WLnfF8pVVM//Icv1/f+259KNo6xGYh1OYXOcCULGBzaEqNFswEOKMSvET90nE8OUPGfpZdF/wYC8YFJ5aYmdRGaUqq0ftKLBB14+0QCEmNrawI1jl1sXKzuMZW0j2uEUr/29J1El8BxMo9Yw4qWLdt8Qm7WeiGENQ/aKN1vKPE0B6PacxJ5+XJTCU/23FUywy/VpnOKZ7noha9Mt5nnqfGrUBjl5oPWnWxcSbRuaNyzk5Ib9jzizUauLdxeNKj3W9xGrkWJW61tiklcsLqvUz08CAwEAAaNoMGYwHQYDVR0OBBYEFGTiSDFh9sHk+r+SOQowH6t0iXpVMB8GA1UdIwQYMBaAFGTiSDFh9sHk+r+SOQowH6t0iXpVMA8GA1UdEwEB/wQFMAMBAf8wEwYDVR0lBAwwCgYIKwYBBQUHAwEwDQYJKoZIhvcNAQELBQADggEBAEHMl1N03+zHbmyDU9Fn4VwuJic+ifpFklZJB8/0EbbirTeS5YMbcdP82blNUkfrPa+Ie1/LyZKCS9lfGg1it4h9PiZw0t4WIB2I9B6YQ9yOz/18FVZa0L5QiFndtcJ1OqStSt3+BBFrs+SLCznYtY55eARZN8WEEvm/208pgMn/OmkGlKUdUnJvHlhPG/HgYXbKp3Rfff9g6ZUdQg/k8LXeqnagSiGbvdoKps036We6XE9yPdoVKG1FO0wO99LcHZG8vf3g/V2l2PUQakZsIr7hPuhO3Gpv7RK8Rda+BWw9A3MeT33/zmjuY7hYZF52fuzqkVZlO9jrRp+h+yuM9wM=";

    fn oid(text: &str) -> ObjectIdentifier {
        ObjectIdentifier::new(text).unwrap()
    }

    #[test]
    fn either_spelling_of_a_kind_oid_allows_that_kind_only() {
        assert_eq!(
            kinds_allowed(&[oid("1.3.6.1.4.1.1847.2021.1.1")]),
            Some(vec![DccKind::Test])
        );
        assert_eq!(
            kinds_allowed(&[
                oid("1.3.6.1.4.1.0.1847.2021.1.3"),
                oid("1.3.6.1.4.1.0.1847.2021.1.2")
            ]),
            Some(vec![DccKind::Vaccination, DccKind::Recovery])
        );
    }

    #[test]
    fn a_usage_without_any_kind_oid_allows_every_kind() {
        assert_eq!(kinds_allowed(&[]), None);
        let server_auth = oid("1.3.6.1.5.5.7.3.1");
        assert_eq!(kinds_allowed(&[server_auth]), None);
        let kind_and_server_auth = [server_auth, oid("1.3.6.1.4.1.1847.2021.1.2")];
        assert_eq!(
            kinds_allowed(&kind_and_server_auth),
            Some(vec![DccKind::Vaccination])
        );
    }

    #[test]
    fn base64_reads_with_or_without_padding_and_refuses_anything_else() {
        assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
        assert_eq!(base64_decode("aGk").unwrap(), b"hi");
        assert_eq!(base64_decode("aG\nk=\n").unwrap(), b"hi");
        assert_eq!(base64_decode("aGVsbG8h").unwrap(), b"hello!");
        assert_eq!(base64_decode("").unwrap(), b"");
        assert_eq!(base64_decode("aGk=="), None);
        assert_eq!(base64_decode("aGl="), None, "non-zero leftover bits");
        assert_eq!(base64_decode("a"), None);
        assert_eq!(base64_decode("aG=k"), None);
        assert_eq!(base64_decode("aG-k"), None);
    }

    #[test]
    fn text_that_is_not_a_certificate_is_refused_with_a_reason() {
        assert_eq!(
            SignerCertificate::from_pem_or_base64("not base64!"),
            Err(SignerError::NotText)
        );
        assert!(matches!(
            SignerCertificate::from_pem_or_base64("aGVsbG8h"),
            Err(SignerError::NotCertificate(_))
        ));
        assert!(matches!(
            SignerCertificate::from_der(&[0x30, 0x03, 0x02, 0x01]),
            Err(SignerError::NotCertificate(_))
        ));
        assert_eq!(
            SignerCertificate::from_pem_or_base64("-----BEGIN CERTIFICATE-----\nMIIB"),
            Err(SignerError::NotText)
        );
    }

    #[test]
    fn a_p256_signer_reads_as_an_es256_key_of_its_country_with_its_kinds() {
        let der = base64_decode(P256_VACCINATION_SIGNER).unwrap();
        let signer = SignerCertificate::from_der(&der).unwrap();
        assert_eq!(signer.key.issuer, "XX");
        assert_eq!(signer.key.kid, kid_of(&der));
        assert_eq!(signer.key.key.algorithm, Algorithm::Es256);
        assert_eq!(signer.key.kinds, Some(vec![DccKind::Vaccination]));
        assert_eq!(signer.key.trusted_until, None);
        assert_eq!(signer.key.kid_hex(), "5b4aa4cffb6de7c9");
        assert_eq!(signer.not_before.to_string(), "2026-11-22T22:39:00Z");
        assert_eq!(signer.not_after.to_string(), "2028-11-21T22:39:00Z");
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n{}\n-----END CERTIFICATE-----\n",
            &P256_VACCINATION_SIGNER[..64],
            &P256_VACCINATION_SIGNER[64..]
        );
        assert_eq!(SignerCertificate::from_pem_or_base64(&pem).unwrap(), signer);
    }

    #[test]
    fn an_rsa_signer_reads_as_ps256_named_by_its_common_name_for_every_kind() {
        let signer = SignerCertificate::from_pem_or_base64(RSA_SERVER_AUTH_SIGNER).unwrap();
        assert_eq!(signer.key.issuer, "RSA Signer");
        assert_eq!(signer.key.key.algorithm, Algorithm::Ps256);
        assert_eq!(signer.key.kid_hex(), "1f5f22827c84fb0b");
        assert_eq!(signer.key.kinds, None);
    }

    #[test]
    fn a_signer_on_another_curve_is_refused_naming_the_curve() {
        let error = SignerCertificate::from_pem_or_base64(P384_SIGNER).unwrap_err();
        assert_eq!(
            error,
            SignerError::UnsupportedKey("EC on curve P-384 (1.3.132.0.34)".into())
        );
        assert!(error.to_string().contains("P-384"));
    }
}
