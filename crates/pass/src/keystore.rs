//! The pass keys of a data directory, in `<data dir>/pass-keys/` (mode 0700): the trust
//! anchor that signs the region's trust list and its venues' poster codes, the signing keys of
//! passes (one active, retired ones kept for an overlap so that passes they signed and cached
//! trust lists run out first), the trust lists of other regions imported with their pinned
//! anchors, and the EU certificate signers trusted.
//!
//! ```text
//! pass-keys/
//!   keys.json              which keys exist, which is active, when each was retired
//!   <kid>.pk8              each private key, PKCS#8, mode 0600
//!   trusted/<issuer>.anchor   another region's pinned anchor (algorithm:hex)
//!   trusted/<issuer>.cose     its latest imported trust list, as signed
//!   trusted/dcc-<kid>.pem     an EU certificate signer's X.509 certificate
//! ```
//!
//! Keys are made on first run, in a staging directory renamed into place in one step, so a
//! half-made key set is never seen. This module never prints, logs or returns private keys.

use std::ffi::OsStr;
use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::cose::{Algorithm, KeyError, PublicKey, SigningKey, hex, unhex};
use crate::dcc::signer::{SignerCertificate, SignerError};
use crate::trust::{TrustStore, TrustedKey};
use crate::trust_list::{ListedKey, TrustList, TrustListError};
use crate::venue_code::VenueCode;
use crate::verify::Verifier;

/// The directory, inside the data directory, of the pass keys.
pub const PASS_KEY_DIRECTORY: &str = "pass-keys";
const STATE_FILE: &str = "keys.json";
const TRUSTED_DIRECTORY: &str = "trusted";
const GROUP_AND_OTHER_BITS: u32 = 0o077;

/// What went wrong with the pass keys, and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    #[error("cannot {doing} {path}: {source}")]
    Io {
        doing: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error(
        "{path} can be read by other users (mode {mode:03o}); run `chmod 600 {path}` (or 700 for the directory) and check who may have copied it"
    )]
    NotPrivate { path: PathBuf, mode: u32 },
    #[error("{path} is damaged: {detail}")]
    Damaged { path: PathBuf, detail: String },
    #[error("{0}")]
    Key(#[from] KeyError),
    #[error("{0}")]
    TrustList(#[from] TrustListError),
    #[error("{0}")]
    Signer(#[from] SignerError),
    #[error(
        "the trust list of {issuer} is signed by another anchor than the one pinned when it was first imported; if {issuer} really changed its anchor, remove {path} and import again"
    )]
    AnchorChanged { issuer: String, path: PathBuf },
    #[error(
        "the trust list of {issuer} is older than the one already imported (issued {issued_at}, have {have})"
    )]
    OlderList {
        issuer: String,
        issued_at: Timestamp,
        have: Timestamp,
    },
    #[error(
        "the trust list is this region's own ({issuer}); only other regions' lists are imported"
    )]
    OwnList { issuer: String },
    #[error("{0:?} is not an issuer name: use letters, digits, '-' and '_'")]
    BadIssuer(String),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct State {
    anchor: KeyEntry,
    active: String,
    signing: Vec<KeyEntry>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct KeyEntry {
    kid: String,
    algorithm: String,
    created_at: Timestamp,
    retired_at: Option<Timestamp>,
    /// A retired key stays in the trust list until then.
    trusted_until: Option<Timestamp>,
}

/// The pass keys of one data directory.
#[derive(Debug)]
pub struct PassKeys {
    dir: PathBuf,
    state: State,
    anchor: SigningKey,
    signing: Vec<SigningKey>,
}

impl PassKeys {
    /// Opens the pass keys of `data_dir`, making the anchor and a first signing key of
    /// `algorithm` on first run.
    pub fn open_or_create(
        data_dir: &Path,
        algorithm: Algorithm,
        now: Timestamp,
    ) -> Result<PassKeys, KeyStoreError> {
        let dir = data_dir.join(PASS_KEY_DIRECTORY);
        if !dir.exists() {
            create(data_dir, &dir, algorithm, now)?;
        }
        PassKeys::open(&dir)
    }

    fn open(dir: &Path) -> Result<PassKeys, KeyStoreError> {
        check_private(dir)?;
        let state_path = dir.join(STATE_FILE);
        let text = read(&state_path)?;
        let state: State =
            serde_json::from_slice(&text).map_err(|error| KeyStoreError::Damaged {
                path: state_path.clone(),
                detail: error.to_string(),
            })?;
        let anchor = read_key(dir, &state.anchor)?;
        let signing = state
            .signing
            .iter()
            .map(|entry| read_key(dir, entry))
            .collect::<Result<Vec<_>, _>>()?;
        if !state.signing.iter().any(|entry| entry.kid == state.active) {
            return Err(KeyStoreError::Damaged {
                path: state_path,
                detail: format!("the active key {} is not listed", state.active),
            });
        }
        Ok(PassKeys {
            dir: dir.to_owned(),
            state,
            anchor,
            signing,
        })
    }

    /// The key new passes are signed with.
    pub fn active(&self) -> &SigningKey {
        self.signing
            .iter()
            .find(|key| hex(key.kid()) == self.state.active)
            .expect("the active key is checked on open")
    }

    /// The public half of the trust anchor, for other regions to pin.
    pub fn anchor(&self) -> PublicKey {
        self.anchor.public_key()
    }

    /// Makes a new signing key of `algorithm` the active one. The one it replaces stays in
    /// the trust list for `overlap`, so that passes it signed and trust lists cached offline
    /// run out first.
    pub fn rotate(
        &mut self,
        algorithm: Algorithm,
        now: Timestamp,
        overlap: SignedDuration,
    ) -> Result<&SigningKey, KeyStoreError> {
        let (key, pkcs8) = SigningKey::generate(algorithm)?;
        write_private(&self.dir.join(format!("{}.pk8", hex(key.kid()))), &pkcs8)?;
        let mut state = self.state.clone();
        let until = now.saturating_add(overlap).unwrap_or(now);
        for entry in &mut state.signing {
            if entry.retired_at.is_none() {
                entry.retired_at = Some(now);
                entry.trusted_until = Some(until);
            }
        }
        state.signing.push(entry_of(&key, now));
        state.active = hex(key.kid());
        write_state(&self.dir, &state)?;
        self.state = state;
        self.signing.push(key);
        Ok(self.active())
    }

    /// This region's keys still trusted at `now`: the active one and those retired less than
    /// their overlap ago.
    pub fn own_keys(&self, issuer: &str, now: Timestamp) -> Vec<TrustedKey> {
        self.state
            .signing
            .iter()
            .zip(&self.signing)
            .filter(|(entry, _)| entry.trusted_until.is_none_or(|until| now <= until))
            .map(|(entry, key)| TrustedKey {
                issuer: issuer.to_owned(),
                kid: key.kid().to_vec(),
                key: key.public_key(),
                trusted_until: entry.trusted_until,
                kinds: None,
            })
            .collect()
    }

    /// This region's trust list at `now`, signed by its anchor.
    pub fn signed_trust_list(&self, issuer: &str, now: Timestamp) -> Vec<u8> {
        let list = TrustList {
            issuer: issuer.to_owned(),
            issued_at: now,
            keys: self
                .own_keys(issuer, now)
                .into_iter()
                .map(|key| ListedKey {
                    kid: key.kid,
                    key: key.key,
                    trusted_until: key.trusted_until,
                })
                .collect(),
        };
        list.sign(&self.anchor)
    }

    /// Imports another region's signed trust list. The first import of an issuer pins
    /// `anchor`; later imports must be signed by the pinned anchor and be newer.
    pub fn import_trust_list(
        &self,
        own_issuer: &str,
        signed: &[u8],
        anchor: &PublicKey,
    ) -> Result<TrustList, KeyStoreError> {
        let list = TrustList::open(signed, anchor)?;
        if list.issuer == own_issuer {
            return Err(KeyStoreError::OwnList {
                issuer: list.issuer,
            });
        }
        check_issuer_name(&list.issuer)?;
        let trusted = self.trusted_directory()?;
        let anchor_path = trusted.join(format!("{}.anchor", list.issuer));
        let list_path = trusted.join(format!("{}.cose", list.issuer));
        if anchor_path.exists() {
            let pinned = read_anchor(&anchor_path)?;
            if pinned != *anchor {
                return Err(KeyStoreError::AnchorChanged {
                    issuer: list.issuer,
                    path: anchor_path,
                });
            }
            if list_path.exists() {
                let have = TrustList::open(&read(&list_path)?, &pinned)?;
                if list.issued_at < have.issued_at {
                    return Err(KeyStoreError::OlderList {
                        issuer: list.issuer,
                        issued_at: list.issued_at,
                        have: have.issued_at,
                    });
                }
            }
        } else {
            replace(&anchor_path, format_public_key(anchor).as_bytes())?;
        }
        replace(&list_path, signed)?;
        Ok(list)
    }

    /// The trust lists imported from other regions, each checked against its pinned anchor.
    pub fn imported_trust_lists(&self) -> Result<Vec<TrustList>, KeyStoreError> {
        self.trusted_files("cose")?
            .into_iter()
            .map(|path| {
                let anchor = read_anchor(&path.with_extension("anchor"))?;
                Ok(TrustList::open(&read(&path)?, &anchor)?)
            })
            .collect()
    }

    /// The anchors a venue's poster code may be signed by, each with its region: this
    /// region's own, as `own_issuer`, and every other region's pinned on import.
    pub fn anchors(&self, own_issuer: &str) -> Result<Vec<(String, PublicKey)>, KeyStoreError> {
        let mut anchors = vec![(own_issuer.to_owned(), self.anchor())];
        for path in self.trusted_files("anchor")? {
            let issuer = path
                .file_stem()
                .and_then(OsStr::to_str)
                .filter(|name| check_issuer_name(name).is_ok())
                .ok_or_else(|| KeyStoreError::Damaged {
                    path: path.clone(),
                    detail: "not named after an issuer".into(),
                })?;
            anchors.push((issuer.to_owned(), read_anchor(&path)?));
        }
        Ok(anchors)
    }

    /// The text of a venue's poster code, signed with this region's anchor rather than a pass
    /// key: posters stay up for months, longer than a pass key is used.
    pub fn venue_code(
        &self,
        issuer: &str,
        venue: [u8; 16],
        name: &str,
        district: &str,
        now: Timestamp,
    ) -> String {
        VenueCode {
            issuer: issuer.to_owned(),
            issued_at: Timestamp::from_second(now.as_second())
                .expect("a timestamp's whole seconds are a timestamp"),
            venue,
            name: name.to_owned(),
            district: district.to_owned(),
        }
        .sign(&self.anchor)
    }

    /// The files of `trusted/` ending in `.<extension>`, sorted; none before the first import.
    fn trusted_files(&self, extension: &str) -> Result<Vec<PathBuf>, KeyStoreError> {
        let trusted = self.dir.join(TRUSTED_DIRECTORY);
        let entries = match fs::read_dir(&trusted) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(io_error("read", &trusted, source)),
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == extension))
            .collect();
        paths.sort();
        Ok(paths)
    }

    /// Trusts an EU certificate signer from its X.509 certificate (PEM, or base64 of its DER),
    /// kept as `trusted/dcc-<kid>.pem` until removed. Adding a trusted signer again changes
    /// nothing.
    pub fn add_dcc_signer(&self, certificate: &str) -> Result<SignerCertificate, KeyStoreError> {
        let signer = SignerCertificate::from_pem_or_base64(certificate)?;
        let trusted = self.trusted_directory()?;
        replace(
            &trusted.join(format!("dcc-{}.pem", signer.key.kid_hex())),
            certificate.trim().as_bytes(),
        )?;
        Ok(signer)
    }

    /// Stops trusting the EU certificate signer with key id `kid` (hex); false if it was not
    /// trusted.
    pub fn remove_dcc_signer(&self, kid: &str) -> Result<bool, KeyStoreError> {
        let Some(kid) = unhex(kid) else {
            return Ok(false);
        };
        let path = self
            .dir
            .join(TRUSTED_DIRECTORY)
            .join(format!("dcc-{}.pem", hex(&kid)));
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(io_error("remove", &path, source)),
        }
    }

    /// The EU certificate signers trusted, by key id.
    pub fn dcc_signers(&self) -> Result<Vec<SignerCertificate>, KeyStoreError> {
        self.trusted_files("pem")?
            .into_iter()
            .map(|path| {
                let text = String::from_utf8_lossy(&read(&path)?).into_owned();
                SignerCertificate::from_pem_or_base64(&text).map_err(|error| {
                    KeyStoreError::Damaged {
                        path,
                        detail: error.to_string(),
                    }
                })
            })
            .collect()
    }

    /// A verifier trusting this region's keys, every imported region's and the EU certificate
    /// signers added.
    pub fn verifier(&self, issuer: &str, now: Timestamp) -> Result<Verifier, KeyStoreError> {
        let mut trust = TrustStore::new();
        trust.extend(self.own_keys(issuer, now));
        for list in self.imported_trust_lists()? {
            trust.extend(list.trusted_keys());
        }
        trust.extend(self.dcc_signers()?.into_iter().map(|signer| signer.key));
        Ok(Verifier::new(trust))
    }

    /// The folder of other regions' anchors and lists and of EU signers, made if need be.
    fn trusted_directory(&self) -> Result<PathBuf, KeyStoreError> {
        let trusted = self.dir.join(TRUSTED_DIRECTORY);
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&trusted)
            .map_err(|source| io_error("create", &trusted, source))?;
        Ok(trusted)
    }
}

/// A public key as text: `ES256:` and the key's bytes in hex.
pub fn format_public_key(key: &PublicKey) -> String {
    format!("{}:{}", key.algorithm.name(), hex(&key.bytes))
}

/// Reads [`format_public_key`]'s text.
pub fn parse_public_key(text: &str) -> Option<PublicKey> {
    let (algorithm, bytes) = text.trim().split_once(':')?;
    Some(PublicKey {
        algorithm: Algorithm::parse(algorithm)?,
        bytes: unhex(bytes)?,
    })
}

/// Reads another region's anchor, pinned when its trust list was first imported.
fn read_anchor(path: &Path) -> Result<PublicKey, KeyStoreError> {
    parse_public_key(&String::from_utf8_lossy(&read(path)?)).ok_or_else(|| KeyStoreError::Damaged {
        path: path.to_owned(),
        detail: "not a public key".into(),
    })
}

fn check_issuer_name(issuer: &str) -> Result<(), KeyStoreError> {
    let fine = !issuer.is_empty()
        && issuer.len() <= 64
        && issuer
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
    if fine {
        Ok(())
    } else {
        Err(KeyStoreError::BadIssuer(issuer.to_owned()))
    }
}

fn entry_of(key: &SigningKey, now: Timestamp) -> KeyEntry {
    KeyEntry {
        kid: hex(key.kid()),
        algorithm: key.algorithm().name().to_owned(),
        created_at: now,
        retired_at: None,
        trusted_until: None,
    }
}

fn create(
    data_dir: &Path,
    dir: &Path,
    algorithm: Algorithm,
    now: Timestamp,
) -> Result<(), KeyStoreError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data_dir)
        .map_err(|source| io_error("create", data_dir, source))?;
    let (anchor, anchor_pkcs8) = SigningKey::generate(Algorithm::Es256)?;
    let (signing, signing_pkcs8) = SigningKey::generate(algorithm)?;
    let staging = data_dir.join(format!(
        ".{PASS_KEY_DIRECTORY}.{}.new",
        hex(&signing.kid()[..4])
    ));
    DirBuilder::new()
        .mode(0o700)
        .create(&staging)
        .map_err(|source| io_error("create", &staging, source))?;
    write_private(
        &staging.join(format!("{}.pk8", hex(anchor.kid()))),
        &anchor_pkcs8,
    )?;
    write_private(
        &staging.join(format!("{}.pk8", hex(signing.kid()))),
        &signing_pkcs8,
    )?;
    let state = State {
        anchor: entry_of(&anchor, now),
        active: hex(signing.kid()),
        signing: vec![entry_of(&signing, now)],
    };
    write_state(&staging, &state)?;
    match fs::rename(&staging, dir) {
        Ok(()) => Ok(()),
        // Another process published its keys first: use those.
        Err(_) if dir.join(STATE_FILE).exists() => {
            let _ = fs::remove_dir_all(&staging);
            Ok(())
        }
        Err(source) => Err(io_error("publish", dir, source)),
    }
}

fn read_key(dir: &Path, entry: &KeyEntry) -> Result<SigningKey, KeyStoreError> {
    let path = dir.join(format!("{}.pk8", entry.kid));
    check_private(&path)?;
    let algorithm = Algorithm::parse(&entry.algorithm).ok_or_else(|| KeyStoreError::Damaged {
        path: dir.join(STATE_FILE),
        detail: format!("unknown algorithm {:?}", entry.algorithm),
    })?;
    let key = SigningKey::from_pkcs8(algorithm, &read(&path)?)?;
    if hex(key.kid()) != entry.kid {
        return Err(KeyStoreError::Damaged {
            path,
            detail: "the key does not match its key id".into(),
        });
    }
    Ok(key)
}

fn check_private(path: &Path) -> Result<(), KeyStoreError> {
    let mode = fs::metadata(path)
        .map_err(|source| io_error("read", path, source))?
        .permissions()
        .mode();
    if mode & GROUP_AND_OTHER_BITS != 0 {
        return Err(KeyStoreError::NotPrivate {
            path: path.to_owned(),
            mode: mode & 0o777,
        });
    }
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>, KeyStoreError> {
    fs::read(path).map_err(|source| io_error("read", path, source))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), KeyStoreError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|source| io_error("create", path, source))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|source| io_error("write", path, source))
}

/// Writes `bytes` to a fresh file beside `path` and renames it over `path`.
fn replace(path: &Path, bytes: &[u8]) -> Result<(), KeyStoreError> {
    let staging = path.with_extension("new");
    let _ = fs::remove_file(&staging);
    write_private(&staging, bytes)?;
    fs::rename(&staging, path).map_err(|source| io_error("replace", path, source))
}

fn write_state(dir: &Path, state: &State) -> Result<(), KeyStoreError> {
    let text = serde_json::to_vec_pretty(state).expect("the key state always serialises");
    replace(&dir.join(STATE_FILE), &text)
}

fn io_error(doing: &'static str, path: &Path, source: io::Error) -> KeyStoreError {
    KeyStoreError::Io {
        doing,
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::from_second(1_700_000_000).unwrap()
    }

    #[test]
    fn keys_are_made_once_private_and_read_back_the_same() {
        let data = tempfile::tempdir().unwrap();
        let keys = PassKeys::open_or_create(data.path(), Algorithm::Es256, now()).unwrap();
        let again = PassKeys::open_or_create(data.path(), Algorithm::EdDsa, now()).unwrap();
        assert_eq!(keys.active().public_key(), again.active().public_key());
        assert_eq!(again.active().algorithm(), Algorithm::Es256);
        let dir = data.path().join(PASS_KEY_DIRECTORY);
        for entry in fs::read_dir(&dir).unwrap() {
            let mode = entry.unwrap().metadata().unwrap().permissions().mode();
            assert_eq!(mode & GROUP_AND_OTHER_BITS, 0);
        }
    }

    #[test]
    fn a_key_file_others_can_read_is_refused() {
        let data = tempfile::tempdir().unwrap();
        let keys = PassKeys::open_or_create(data.path(), Algorithm::Es256, now()).unwrap();
        let path = data
            .path()
            .join(PASS_KEY_DIRECTORY)
            .join(format!("{}.pk8", hex(keys.active().kid())));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let error = PassKeys::open_or_create(data.path(), Algorithm::Es256, now()).unwrap_err();
        assert!(matches!(error, KeyStoreError::NotPrivate { .. }), "{error}");
    }

    #[test]
    fn a_rotated_key_stays_trusted_for_the_overlap_and_then_leaves_the_list() {
        let data = tempfile::tempdir().unwrap();
        let mut keys = PassKeys::open_or_create(data.path(), Algorithm::Es256, now()).unwrap();
        let old = keys.active().kid().to_vec();
        let overlap = SignedDuration::from_hours(24);
        let new = keys
            .rotate(Algorithm::EdDsa, now(), overlap)
            .unwrap()
            .kid()
            .to_vec();
        let kids = |at: Timestamp| -> Vec<Vec<u8>> {
            let keys = PassKeys::open_or_create(data.path(), Algorithm::Es256, at).unwrap();
            keys.own_keys("330100", at)
                .into_iter()
                .map(|key| key.kid)
                .collect()
        };
        assert_eq!(kids(now()), vec![old.clone(), new.clone()]);
        assert_eq!(kids(now() + overlap), vec![old, new.clone()]);
        assert_eq!(
            kids(now() + overlap + SignedDuration::from_secs(1)),
            vec![new]
        );
    }

    #[test]
    fn another_regions_list_is_pinned_to_its_anchor_on_first_import() {
        let ours = tempfile::tempdir().unwrap();
        let theirs = tempfile::tempdir().unwrap();
        let ours = PassKeys::open_or_create(ours.path(), Algorithm::Es256, now()).unwrap();
        let theirs = PassKeys::open_or_create(theirs.path(), Algorithm::EdDsa, now()).unwrap();
        let list = theirs.signed_trust_list("440300", now());
        let imported = ours
            .import_trust_list("330100", &list, &theirs.anchor())
            .unwrap();
        assert_eq!(imported.issuer, "440300");
        let verifier = ours.verifier("330100", now()).unwrap();
        assert_eq!(verifier.trust().len(), 2);

        // Signed by another anchor than the pinned one: refused, even if it verifies.
        let impostor = tempfile::tempdir().unwrap();
        let impostor = PassKeys::open_or_create(impostor.path(), Algorithm::Es256, now()).unwrap();
        let forged = impostor.signed_trust_list("440300", now());
        let error = ours
            .import_trust_list("330100", &forged, &impostor.anchor())
            .unwrap_err();
        assert!(
            matches!(error, KeyStoreError::AnchorChanged { .. }),
            "{error}"
        );
        // Checked against the wrong anchor: refused.
        let error = ours
            .import_trust_list("330100", &forged, &theirs.anchor())
            .unwrap_err();
        assert!(matches!(error, KeyStoreError::TrustList(_)), "{error}");
        // An older list than the one imported: refused.
        let older = theirs.signed_trust_list("440300", now() - SignedDuration::from_hours(1));
        let error = ours
            .import_trust_list("330100", &older, &theirs.anchor())
            .unwrap_err();
        assert!(matches!(error, KeyStoreError::OlderList { .. }), "{error}");
        // Our own list is not imported.
        let own = ours.signed_trust_list("330100", now());
        let error = ours
            .import_trust_list("330100", &own, &ours.anchor())
            .unwrap_err();
        assert!(matches!(error, KeyStoreError::OwnList { .. }), "{error}");
    }

    #[test]
    fn public_keys_read_back_from_their_text() {
        let (key, _) = SigningKey::generate(Algorithm::EdDsa).unwrap();
        let text = format_public_key(&key.public_key());
        assert!(text.starts_with("EdDSA:"));
        assert_eq!(parse_public_key(&text), Some(key.public_key()));
        assert_eq!(parse_public_key("RS1:00"), None);
    }
}
