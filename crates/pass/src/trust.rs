//! Whom a verifier trusts: public keys by key id, each with the issuer it belongs to, how long
//! it may be used, and (for EU certificate signers) which kinds of certificate it may sign.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::cose::{PublicKey, hex};

/// The kinds of EU certificate a signer may sign, from its certificate's extended key usage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DccKind {
    Test,
    Vaccination,
    Recovery,
}

impl DccKind {
    pub const ALL: [DccKind; 3] = [DccKind::Test, DccKind::Vaccination, DccKind::Recovery];

    /// The key of the entries of this kind in a certificate's payload (`t`, `v`, `r`).
    pub fn entry_key(self) -> &'static str {
        match self {
            DccKind::Test => "t",
            DccKind::Vaccination => "v",
            DccKind::Recovery => "r",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DccKind::Test => "test",
            DccKind::Vaccination => "vaccination",
            DccKind::Recovery => "recovery",
        }
    }
}

/// One trusted key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedKey {
    /// Who the key belongs to, as shown to the checkpoint: a region code for health-code
    /// issuers, a country code for EU certificate signers.
    pub issuer: String,
    pub kid: Vec<u8>,
    pub key: PublicKey,
    /// Until when the key is trusted (a retired key stays trusted for an overlap, so that
    /// passes it signed run out first); `None`: until it is removed.
    pub trusted_until: Option<Timestamp>,
    /// For EU certificate signers whose certificate names kinds: only those kinds. `None`:
    /// every kind.
    pub kinds: Option<Vec<DccKind>>,
}

/// The keys a verifier accepts, looked up by key id. Key ids are short and may collide, so a
/// key id may name several keys; each is tried.
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    keys: HashMap<Vec<u8>, Vec<TrustedKey>>,
}

impl TrustStore {
    pub fn new() -> TrustStore {
        TrustStore::default()
    }

    /// Adds `key`; the same key under the same issuer is kept once.
    pub fn add(&mut self, key: TrustedKey) {
        let keys = self.keys.entry(key.kid.clone()).or_default();
        if !keys.contains(&key) {
            keys.push(key);
        }
    }

    pub fn extend(&mut self, keys: impl IntoIterator<Item = TrustedKey>) {
        for key in keys {
            self.add(key);
        }
    }

    /// The keys with this key id still trusted at `now`.
    pub fn by_kid(&self, kid: &[u8], now: Timestamp) -> impl Iterator<Item = &TrustedKey> {
        self.keys
            .get(kid)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter(move |key| key.trusted_until.is_none_or(|until| now <= until))
    }

    /// Every key, ordered by issuer and key id.
    pub fn keys(&self) -> Vec<&TrustedKey> {
        let mut keys: Vec<&TrustedKey> = self.keys.values().flatten().collect();
        keys.sort_by(|a, b| (&a.issuer, &a.kid).cmp(&(&b.issuer, &b.kid)));
        keys
    }

    pub fn len(&self) -> usize {
        self.keys.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl TrustedKey {
    /// A key of `issuer`, under the key id this system gives its keys, trusted until removed.
    pub fn issued_by(issuer: &str, key: PublicKey) -> TrustedKey {
        TrustedKey {
            issuer: issuer.to_owned(),
            kid: key.kid(),
            key,
            trusted_until: None,
            kinds: None,
        }
    }

    /// The key id as hex, as reasons name it.
    pub fn kid_hex(&self) -> String {
        hex(&self.kid)
    }
}
