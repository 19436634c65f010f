//! Configuration of the `healthcode` command: built-in defaults, then an optional TOML file,
//! then `HEALTHCODE_…` environment variables, then command-line flags, each overriding the last.
//!
//! Configuration is loaded once here and passed down explicitly; nothing reads it globally.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use healthcode_server::{PASS_CONFIG_DOCS, PassConfig, SERVER_CONFIG_DOCS, ServerConfig};
use serde::{Deserialize, Serialize};

/// The prefix of environment variables that override configuration keys. A double underscore
/// separates a table from its key: `HEALTHCODE_SERVER__REQUEST_TIMEOUT_SECS`.
pub const ENV_PREFIX: &str = "HEALTHCODE";

/// Environment variables with the prefix that are flags of the command, not configuration keys.
const ENV_NOT_CONFIG: &[&str] = &["HEALTHCODE_CONFIG"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub log: LogConfig,
    pub server: ServerConfig,
    pub pass: PassConfig,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    pub filter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            data_dir: PathBuf::from("./healthcode-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            log: LogConfig::default(),
            server: ServerConfig::default(),
            pass: PassConfig::default(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> LogConfig {
        LogConfig {
            format: LogFormat::Text,
            filter: "info".to_owned(),
        }
    }
}

/// Every configuration key with its meaning, in the order `print-default` shows them.
const CONFIG_DOCS: &[(&str, &str)] = &[
    (
        "data_dir",
        "Directory of the embedded database and the keys that protect personal data.",
    ),
    ("listen", "Address and port the HTTP server listens on."),
    (
        "log.format",
        "Log line format: \"text\" for people, \"json\" for log collectors.",
    ),
    (
        "log.filter",
        "Which log lines to keep, as a tracing filter (e.g. \"info\", \"debug,hyper=info\").",
    ),
];

impl Config {
    /// Loads defaults, then `file` if given, then the process environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let environment: HashMap<String, String> = std::env::vars()
            .filter(|(key, _)| {
                key.starts_with(ENV_PREFIX) && !ENV_NOT_CONFIG.contains(&key.as_str())
            })
            .collect();
        Config::load_from(file, environment)
    }

    fn load_from(
        file: Option<&Path>,
        environment: HashMap<String, String>,
    ) -> anyhow::Result<Config> {
        let mut builder = config::Config::builder();
        if let Some(file) = file {
            anyhow::ensure!(
                file.is_file(),
                "configuration file {} does not exist",
                file.display()
            );
            builder = builder.add_source(config::File::from(file).format(config::FileFormat::Toml));
        }
        builder = builder.add_source(
            config::Environment::with_prefix(ENV_PREFIX)
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .source(Some(environment)),
        );
        let layered = builder.build().context("reading configuration")?;
        layered
            .try_deserialize()
            .context("configuration is invalid")
    }

    /// The default configuration as a commented TOML file: every key, its default and meaning.
    pub fn default_toml() -> String {
        let defaults =
            toml::Table::try_from(Config::default()).expect("defaults serialize to TOML");
        let mut out = String::from(
            "# healthcode configuration: every key with its default value and meaning.\n\
             # Pass a file with --config FILE. Environment variables override the file:\n\
             # HEALTHCODE_<KEY>, with a double underscore between a table and its key, e.g.\n\
             # HEALTHCODE_LISTEN=0.0.0.0:8080 or HEALTHCODE_SERVER__REQUEST_TIMEOUT_SECS=60.\n",
        );
        let (scalars, tables): (Vec<_>, Vec<_>) =
            defaults.iter().partition(|(_, value)| !value.is_table());
        for (key, value) in scalars {
            out.push_str(&format!("\n# {}\n{key} = {value}\n", doc_of(key)));
        }
        for (table, value) in tables {
            out.push_str(&format!("\n[{table}]\n"));
            for (key, value) in value.as_table().expect("partitioned on is_table") {
                out.push_str(&format!(
                    "# {}\n{key} = {value}\n",
                    doc_of(&format!("{table}.{key}"))
                ));
            }
        }
        out
    }
}

fn doc_of(key: &str) -> &'static str {
    let server_docs = SERVER_CONFIG_DOCS
        .iter()
        .filter_map(|(server_key, doc)| (format!("server.{server_key}") == key).then_some(*doc));
    let pass_docs = PASS_CONFIG_DOCS
        .iter()
        .filter_map(|(pass_key, doc)| (format!("pass.{pass_key}") == key).then_some(*doc));
    CONFIG_DOCS
        .iter()
        .filter_map(|(config_key, doc)| (*config_key == key).then_some(*doc))
        .chain(server_docs)
        .chain(pass_docs)
        .next()
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_configuration_key_has_a_meaning() {
        let defaults = toml::Table::try_from(Config::default()).unwrap();
        for (key, value) in &defaults {
            let keys: Vec<String> = match value.as_table() {
                Some(table) => table.keys().map(|inner| format!("{key}.{inner}")).collect(),
                None => vec![key.clone()],
            };
            for key in keys {
                assert!(
                    !doc_of(&key).is_empty(),
                    "{key} has no meaning in CONFIG_DOCS"
                );
            }
        }
    }

    #[test]
    fn the_printed_default_configuration_reads_back_as_the_defaults() {
        let printed = Config::default_toml();
        let parsed: Config = toml::from_str(&printed).unwrap();
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn environment_variables_override_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("healthcode.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\n[log]\nformat = \"json\"\n",
        )
        .unwrap();
        let environment = HashMap::from([
            ("HEALTHCODE_LISTEN".to_owned(), "0.0.0.0:8081".to_owned()),
            (
                "HEALTHCODE_SERVER__BATCH_MAX_EVENTS".to_owned(),
                "500".to_owned(),
            ),
        ]);
        let config = Config::load_from(Some(&file), environment).unwrap();
        assert_eq!(config.listen, "0.0.0.0:8081".parse().unwrap());
        assert_eq!(config.log.format, LogFormat::Json);
        assert_eq!(config.server.batch_max_events, 500);
        assert_eq!(config.data_dir, Config::default().data_dir);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("healthcode.toml");
        std::fs::write(&file, "lisen = \"127.0.0.1:9000\"\n").unwrap();
        let error = Config::load_from(Some(&file), HashMap::new()).unwrap_err();
        assert!(format!("{error:#}").contains("lisen"), "{error:#}");
    }
}
