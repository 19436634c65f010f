//! The server's settings: limits and lifetimes an operator may tune.
//!
//! Settings are passed explicitly to [`crate::router`]; nothing here reads files or the
//! environment (that is the CLI's job), and nothing is global.

use healthcode_pass::Algorithm;
use serde::{Deserialize, Serialize};

/// Limits and lifetimes of the HTTP API. Every field has a default, so an empty configuration
/// file is a valid one; unknown keys are refused so that a misspelt key is not silently ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Seconds a request may take before it is answered 503 `timeout`.
    pub request_timeout_secs: u64,
    /// Largest request body accepted by every endpoint except the batch endpoints, in bytes.
    pub body_limit_bytes: usize,
    /// Largest request body accepted by the batch endpoints (check-ins, laboratory results,
    /// pharmacy purchases, health reports, cells, cell pings), in bytes.
    pub batch_body_limit_bytes: usize,
    /// Most rows accepted in one batch.
    pub batch_max_events: usize,
    /// Hours a staff sign-in token stays valid.
    pub staff_token_ttl_hours: u32,
    /// Seconds between two passes of the background task that re-rates residents whose
    /// rating has run out.
    pub rerate_interval_secs: u64,
    /// Days a mobile network's raw cell pings are kept; they are reduced to daily stays as
    /// they arrive, so only resends need them.
    pub cell_ping_retention_days: u32,
    /// Days daily stays (and the itinerary's city days, and proximity candidates' copies of
    /// them) are kept after the last ping of the stay. At least 14 keeps whole itineraries.
    pub daily_stay_retention_days: u32,
    /// Seconds between two passes of the background task that deletes phone data past its
    /// retention.
    pub retention_interval_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            request_timeout_secs: 30,
            body_limit_bytes: 64 * 1024,
            // A check-in row is about 250 bytes of JSON; 8 MiB leaves room for 10,000 of them
            // with generous whitespace.
            batch_body_limit_bytes: 8 * 1024 * 1024,
            batch_max_events: 10_000,
            staff_token_ttl_hours: 12,
            rerate_interval_secs: 60,
            cell_ping_retention_days: 3,
            daily_stay_retention_days: 30,
            retention_interval_secs: 3_600,
        }
    }
}

/// Every configuration key with its meaning, in the order of [`ServerConfig`]'s fields, so the
/// CLI can print each key with its default and what it does.
pub const SERVER_CONFIG_DOCS: &[(&str, &str)] = &[
    (
        "request_timeout_secs",
        "Seconds a request may take before it is answered 503 `timeout`.",
    ),
    (
        "body_limit_bytes",
        "Largest request body accepted by every endpoint except the batch endpoints, in bytes.",
    ),
    (
        "batch_body_limit_bytes",
        "Largest request body accepted by the batch endpoints (check-ins, laboratory results, \
         pharmacy purchases, health reports, cells, cell pings), in bytes.",
    ),
    ("batch_max_events", "Most rows accepted in one batch."),
    (
        "staff_token_ttl_hours",
        "Hours a staff sign-in token stays valid.",
    ),
    (
        "rerate_interval_secs",
        "Seconds between two passes of the background task that re-rates residents whose \
         rating has run out.",
    ),
    (
        "cell_ping_retention_days",
        "Days a mobile network's raw cell pings are kept; they are reduced to daily stays as \
         they arrive, so only resends need them.",
    ),
    (
        "daily_stay_retention_days",
        "Days daily stays (and the itinerary's city days, and proximity candidates' copies of \
         them) are kept after the last ping of the stay. At least 14 keeps whole itineraries.",
    ),
    (
        "retention_interval_secs",
        "Seconds between two passes of the background task that deletes phone data past its \
         retention.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_configuration_key_has_a_documented_meaning_and_no_documentation_is_stale() {
        let serialized = serde_json::to_value(ServerConfig::default()).unwrap();
        let keys: Vec<&str> = serialized
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut documented: Vec<&str> = SERVER_CONFIG_DOCS.iter().map(|(key, _)| *key).collect();
        let mut sorted_keys = keys.clone();
        sorted_keys.sort_unstable();
        documented.sort_unstable();
        assert_eq!(sorted_keys, documented);
        assert!(
            SERVER_CONFIG_DOCS
                .iter()
                .all(|(_, meaning)| !meaning.is_empty())
        );
    }

    #[test]
    fn an_empty_configuration_means_the_defaults_and_unknown_keys_are_refused() {
        let empty: ServerConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, ServerConfig::default());
        let misspelt = serde_json::from_str::<ServerConfig>(r#"{"body_limit": 10}"#);
        assert!(
            misspelt
                .unwrap_err()
                .to_string()
                .contains("unknown field `body_limit`")
        );
    }

    #[test]
    fn the_default_batch_body_limit_holds_the_default_largest_batch() {
        let config = ServerConfig::default();
        assert!(config.batch_body_limit_bytes >= config.batch_max_events * 250);
    }
}

/// How passes are issued: by whom, signed how, valid how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PassConfig {
    /// The issuing region's code, which passes and the trust list name as their issuer.
    pub issuer: String,
    /// Seconds a pass is valid after it is issued; the resident's app fetches a new one
    /// before then.
    pub lifetime_secs: u32,
    /// The algorithm of signing keys made on first run and by rotation: "ES256" or "EdDSA".
    pub algorithm: String,
    /// Hours a retired signing key stays in the trust list after a rotation, so that passes
    /// it signed and trust lists cached by offline checkpoints run out first.
    pub rotation_overlap_hours: u32,
}

impl Default for PassConfig {
    fn default() -> PassConfig {
        PassConfig {
            issuer: "330100".to_owned(),
            lifetime_secs: 300,
            algorithm: "ES256".to_owned(),
            rotation_overlap_hours: 24,
        }
    }
}

impl PassConfig {
    /// The algorithm of new signing keys, from [`PassConfig::algorithm`].
    pub fn signing_algorithm(&self) -> Result<Algorithm, String> {
        parse_signing_algorithm(&self.algorithm)
    }
}

/// A signing algorithm of passes by name: `ES256` or `EdDSA` (PS256 is only verified, in EU
/// certificates).
pub fn parse_signing_algorithm(name: &str) -> Result<Algorithm, String> {
    match Algorithm::parse(name) {
        Some(algorithm @ (Algorithm::Es256 | Algorithm::EdDsa)) => Ok(algorithm),
        _ => Err(format!(
            "{name:?} is not a signing algorithm: use ES256 or EdDSA"
        )),
    }
}

/// Every pass configuration key with its meaning, in the order of [`PassConfig`]'s fields.
pub const PASS_CONFIG_DOCS: &[(&str, &str)] = &[
    (
        "issuer",
        "The issuing region's code, which passes and the trust list name as their issuer.",
    ),
    (
        "lifetime_secs",
        "Seconds a pass is valid after it is issued; the resident's app fetches a new one \
         before then.",
    ),
    (
        "algorithm",
        "The algorithm of signing keys made on first run and by rotation: \"ES256\" or \
         \"EdDSA\".",
    ),
    (
        "rotation_overlap_hours",
        "Hours a retired signing key stays in the trust list after a rotation, so that passes \
         it signed and trust lists cached by offline checkpoints run out first.",
    ),
];
