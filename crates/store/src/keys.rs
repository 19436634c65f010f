//! The keys that protect personal data at rest, and the two things done with them: a keyed hash
//! of the resident ID number (so a person can be looked up without storing the number) and
//! authenticated encryption of personal fields (so they can be shown to those entitled to them).
//!
//! The keys live in `<data dir>/keys/`, one random 32-byte file each, readable by the owner only.
//! They are created on first run and never rotated by this module. Both are written and flushed
//! into a uniquely named staging directory beside `keys/` (`.keys.<random>.new`), which is then
//! renamed to `keys/` in one step. The rename cannot replace a `keys/` that holds files, so when
//! several processes create keys at once exactly one pair is published and the others read it:
//! nobody sees one key without the other, or uses a key that another process replaced.
//!
//! This module must never print, log or return a key, and never implements cryptography itself:
//! HMAC-SHA-256 comes from `hmac` + `sha2`, XChaCha20-Poly1305 from `chacha20poly1305`.
//!
//! A sealed field is `version (1 byte) ‖ nonce (24 bytes) ‖ ciphertext and tag`. The associated
//! data binds it to the column it was written to and the row that owns it, so a ciphertext copied
//! into another row or column does not open.

use std::fmt;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use healthcode_core::ResidentId;
use hmac::{Hmac, Mac};
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::Sha256;

/// The name of the directory, inside the data directory, that holds the key files.
pub const KEY_DIRECTORY: &str = "keys";
/// The key of the resident ID look-up hash.
const LOOKUP_KEY_FILE: &str = "resident-id-lookup.key";
/// The key that seals personal fields.
const SEALING_KEY_FILE: &str = "personal-data-sealing.key";

const KEY_LENGTH: usize = 32;
const NONCE_LENGTH: usize = 24;
/// The first byte of every sealed field; a new format gets a new number.
const SEALED_FORMAT_VERSION: u8 = 1;
/// Permission bits that let anyone but the owner in.
const GROUP_AND_OTHER_BITS: u32 = 0o077;

/// The two secret keys of a data directory. Holding a `KeyRing` means both keys were read from
/// (or created as) owner-only files of the right length.
///
/// `Debug` shows no key material.
pub struct KeyRing {
    /// HMAC-SHA-256 keyed once with the look-up key; cloned for each hash.
    lookup: Hmac<Sha256>,
    sealing: XChaCha20Poly1305,
}

/// What is wrong with the keys or a sealed field, and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot {doing} {path}: {source}")]
    Io {
        doing: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "key file {path} can be read by other users (mode {mode:03o}); run `chmod 600 {path}` and check who may have copied it"
    )]
    KeyFileNotPrivate { path: PathBuf, mode: u32 },
    #[error(
        "key directory {path} is open to other users (mode {mode:03o}); run `chmod 700 {path}`"
    )]
    KeyDirectoryNotPrivate { path: PathBuf, mode: u32 },
    #[error(
        "key file {path} should hold exactly {KEY_LENGTH} bytes but holds {found}; restore it from a backup"
    )]
    WrongKeyLength { path: PathBuf, found: u64 },
    #[error(
        "key file {missing} is missing but {present} exists; restore {missing} from a backup (a new key could not read the data sealed with the old one)"
    )]
    MissingKey { present: PathBuf, missing: PathBuf },
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
    #[error("sealed {field} has unknown format version {version}; use a newer healthcode")]
    UnknownSealedFormat { field: String, version: u8 },
    #[error(
        "sealed {field} does not open: it was altered, moved from another row, or sealed with other keys"
    )]
    SealedFieldDoesNotOpen { field: String },
}

impl KeyRing {
    /// Opens the key ring of a data directory, creating `keys/` (mode 0700) and both key files
    /// (mode 0600) on first run. Refuses key files that other users can read, or that have the
    /// wrong length, and refuses to replace one key while the other exists.
    ///
    /// Safe to call from several threads or processes at once on the same fresh directory: they
    /// all end up with the same keys.
    pub fn open_or_create(data_dir: &Path) -> Result<KeyRing, KeyError> {
        let key_dir = data_dir.join(KEY_DIRECTORY);
        if !keys_exist(&key_dir)? {
            create_key_directory(data_dir, &key_dir)?;
        }
        let lookup_key = read_key_file(&key_dir.join(LOOKUP_KEY_FILE))?;
        let sealing_key = read_key_file(&key_dir.join(SEALING_KEY_FILE))?;
        Ok(KeyRing {
            lookup: <Hmac<Sha256> as Mac>::new_from_slice(&lookup_key)
                .expect("HMAC accepts keys of any length"),
            sealing: XChaCha20Poly1305::new(&sealing_key.into()),
        })
    }

    /// The keyed hash under which a resident ID number is looked up. Without the key, the hash
    /// cannot be recomputed from the (small) space of valid ID numbers.
    pub fn resident_id_hash(&self, resident_id: &ResidentId) -> [u8; 32] {
        let mut mac = self.lookup.clone();
        mac.update(resident_id.as_str().as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Encrypts `plaintext` for storage in column `field` of the row whose id is `owner`.
    pub fn seal(&self, field: &str, owner: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LENGTH];
        // The thread-local generator is a CSPRNG seeded from the OS; 24-byte nonces make random
        // choice safe for any realistic number of fields.
        rand::fill(&mut nonce);
        let aad = associated_data(field, owner);
        let ciphertext = self
            .sealing
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .expect("XChaCha20-Poly1305 only fails on plaintexts of 256 GiB or more");
        let mut sealed = Vec::with_capacity(1 + NONCE_LENGTH + ciphertext.len());
        sealed.push(SEALED_FORMAT_VERSION);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// Decrypts what [`KeyRing::seal`] produced for the same `field` and `owner`.
    pub fn open(&self, field: &str, owner: &[u8], sealed: &[u8]) -> Result<Vec<u8>, KeyError> {
        let does_not_open = || KeyError::SealedFieldDoesNotOpen {
            field: field.to_owned(),
        };
        let (&version, rest) = sealed.split_first().ok_or_else(does_not_open)?;
        if version != SEALED_FORMAT_VERSION {
            return Err(KeyError::UnknownSealedFormat {
                field: field.to_owned(),
                version,
            });
        }
        if rest.len() < NONCE_LENGTH {
            return Err(does_not_open());
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LENGTH);
        let aad = associated_data(field, owner);
        self.sealing
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| does_not_open())
    }
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing").finish_non_exhaustive()
    }
}

/// Length-prefixed, so that no (field, owner) pair encodes like another.
fn associated_data(field: &str, owner: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(1 + 8 + field.len() + owner.len());
    aad.push(SEALED_FORMAT_VERSION);
    aad.extend_from_slice(&(field.len() as u32).to_be_bytes());
    aad.extend_from_slice(field.as_bytes());
    aad.extend_from_slice(&(owner.len() as u32).to_be_bytes());
    aad.extend_from_slice(owner);
    aad
}

fn exists(path: &Path) -> Result<bool, KeyError> {
    path.try_exists().map_err(|source| KeyError::Io {
        doing: "check",
        path: path.to_owned(),
        source,
    })
}

/// Whether `key_dir` holds both keys. False if it does not exist or holds neither; an error if
/// it is open to other users or holds one key without the other.
fn keys_exist(key_dir: &Path) -> Result<bool, KeyError> {
    if !exists(key_dir)? {
        return Ok(false);
    }
    check_private_directory(key_dir)?;
    let lookup_path = key_dir.join(LOOKUP_KEY_FILE);
    let sealing_path = key_dir.join(SEALING_KEY_FILE);
    match (exists(&lookup_path)?, exists(&sealing_path)?) {
        (true, true) => Ok(true),
        (false, false) => Ok(false),
        (true, false) => Err(KeyError::MissingKey {
            present: lookup_path,
            missing: sealing_path,
        }),
        (false, true) => Err(KeyError::MissingKey {
            present: sealing_path,
            missing: lookup_path,
        }),
    }
}

fn check_private_directory(path: &Path) -> Result<(), KeyError> {
    let metadata = fs::metadata(path).map_err(|source| KeyError::Io {
        doing: "inspect",
        path: path.to_owned(),
        source,
    })?;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & GROUP_AND_OTHER_BITS != 0 {
        return Err(KeyError::KeyDirectoryNotPrivate {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

/// Creates both keys in a staging directory of this call's own and publishes it as `key_dir`
/// with one rename. Writing under a unique name means no other process can overwrite or publish
/// a half-written key; the rename publishes both keys at once, and fails rather than replace a
/// `key_dir` that holds files (it may replace an empty one). When another process published
/// first, this one discards its keys and returns, and the caller reads the published ones.
fn create_key_directory(data_dir: &Path, key_dir: &Path) -> Result<(), KeyError> {
    let staging = data_dir.join(format!(
        ".{KEY_DIRECTORY}.{}.new",
        uuid::Uuid::new_v4().simple()
    ));
    DirBuilder::new()
        .mode(0o700)
        .recursive(false)
        .create(&staging)
        .map_err(|source| KeyError::Io {
            doing: "create directory",
            path: staging.clone(),
            source,
        })?;
    let published = write_key_file(&staging.join(LOOKUP_KEY_FILE))
        .and_then(|()| write_key_file(&staging.join(SEALING_KEY_FILE)))
        .and_then(|()| sync_directory(&staging))
        .and_then(|()| {
            fs::rename(&staging, key_dir).map_err(|source| KeyError::Io {
                doing: "install",
                path: key_dir.to_owned(),
                source,
            })
        });
    let error = match published {
        // Make the rename itself durable.
        Ok(()) => return sync_directory(data_dir),
        Err(error) => error,
    };
    if let Err(cleanup) = fs::remove_dir_all(&staging) {
        // Harmless but untidy: the keys in it were never used.
        tracing::warn!(path = %staging.display(), error = %cleanup, "cannot remove unused keys");
    }
    let lost_the_race = matches!(
        &error,
        KeyError::Io { doing: "install", source, .. }
            if matches!(
                source.kind(),
                io::ErrorKind::AlreadyExists | io::ErrorKind::DirectoryNotEmpty
            )
    );
    // Another process published its keys first; use them. If `key_dir` holds files but no
    // keys, the rename's error says why none could be installed.
    if lost_the_race && keys_exist(key_dir)? {
        return Ok(());
    }
    Err(error)
}

/// Writes a fresh random key to a new file (mode 0600) and flushes it to disk.
fn write_key_file(path: &Path) -> Result<(), KeyError> {
    let mut key = [0u8; KEY_LENGTH];
    OsRng
        .try_fill_bytes(&mut key)
        .map_err(|error| KeyError::Random(error.to_string()))?;
    let io_error = |doing, source| KeyError::Io {
        doing,
        path: path.to_owned(),
        source,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|source| io_error("create", source))?;
    file.write_all(&key)
        .map_err(|source| io_error("write", source))?;
    file.sync_all().map_err(|source| io_error("flush", source))
}

/// Flushes a directory's entries (names created, renamed or removed in it) to disk.
fn sync_directory(path: &Path) -> Result<(), KeyError> {
    File::open(path)
        .and_then(|directory| directory.sync_all())
        .map_err(|source| KeyError::Io {
            doing: "flush",
            path: path.to_owned(),
            source,
        })
}

fn read_key_file(path: &Path) -> Result<[u8; KEY_LENGTH], KeyError> {
    let io_error = |doing, source| KeyError::Io {
        doing,
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(|source| io_error("open", source))?;
    let metadata = file
        .metadata()
        .map_err(|source| io_error("inspect", source))?;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & GROUP_AND_OTHER_BITS != 0 {
        return Err(KeyError::KeyFileNotPrivate {
            path: path.to_owned(),
            mode,
        });
    }
    if metadata.len() != KEY_LENGTH as u64 {
        return Err(KeyError::WrongKeyLength {
            path: path.to_owned(),
            found: metadata.len(),
        });
    }
    let mut key = [0u8; KEY_LENGTH];
    file.read_exact(&mut key)
        .map_err(|source| io_error("read", source))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_ring() -> (KeyRing, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        (KeyRing::open_or_create(dir.path()).unwrap(), dir)
    }

    #[test]
    fn sealed_fields_open_only_in_their_own_column_and_row() {
        let (keys, _dir) = key_ring();
        let sealed = keys.seal("persons.name", b"row-1", "张三明".as_bytes());
        assert_eq!(sealed[0], SEALED_FORMAT_VERSION);
        assert_eq!(
            keys.open("persons.name", b"row-1", &sealed).unwrap(),
            "张三明".as_bytes()
        );
        assert!(matches!(
            keys.open("persons.phone", b"row-1", &sealed),
            Err(KeyError::SealedFieldDoesNotOpen { .. })
        ));
        assert!(keys.open("persons.name", b"row-2", &sealed).is_err());
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(keys.open("persons.name", b"row-1", &flipped).is_err());
        assert!(keys.open("persons.name", b"row-1", &sealed[..10]).is_err());
    }

    #[test]
    fn sealing_the_same_text_twice_gives_different_ciphertexts() {
        let (keys, _dir) = key_ring();
        let first = keys.seal("persons.phone", b"row", b"13800138000");
        let second = keys.seal("persons.phone", b"row", b"13800138000");
        assert_ne!(first, second);
    }

    #[test]
    fn an_unknown_format_version_is_named_in_the_error() {
        let (keys, _dir) = key_ring();
        let mut sealed = keys.seal("persons.name", b"row", b"x");
        sealed[0] = 9;
        let error = keys.open("persons.name", b"row", &sealed).unwrap_err();
        assert_eq!(
            error.to_string(),
            "sealed persons.name has unknown format version 9; use a newer healthcode"
        );
    }

    #[test]
    fn associated_data_does_not_let_field_and_owner_bytes_slide() {
        assert_ne!(associated_data("ab", b"c"), associated_data("a", b"bc"));
    }

    #[test]
    fn resident_id_hashes_are_stable_and_keyed() {
        let id = ResidentId::parse("330106199001011256").unwrap();
        let (keys, dir) = key_ring();
        let reopened = KeyRing::open_or_create(dir.path()).unwrap();
        assert_eq!(keys.resident_id_hash(&id), reopened.resident_id_hash(&id));
        let (other_keys, _other_dir) = key_ring();
        assert_ne!(keys.resident_id_hash(&id), other_keys.resident_id_hash(&id));
    }

    #[test]
    fn debug_output_shows_no_key_material() {
        let (keys, _dir) = key_ring();
        assert_eq!(format!("{keys:?}"), "KeyRing { .. }");
    }

    #[test]
    fn one_key_without_the_other_is_refused_rather_than_replaced() {
        let (_keys, dir) = key_ring();
        let sealing = dir.path().join(KEY_DIRECTORY).join(SEALING_KEY_FILE);
        fs::remove_file(&sealing).unwrap();
        let error = KeyRing::open_or_create(dir.path()).unwrap_err();
        assert!(matches!(error, KeyError::MissingKey { ref missing, .. } if *missing == sealing));
        assert!(!sealing.exists());
    }
}
