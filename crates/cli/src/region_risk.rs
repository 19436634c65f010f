//! `healthcode region-risk …`: the region-risk list officials publish — show a version, publish
//! a new one from a file.
//!
//! A list file is CSV with the header `region,level`, JSON `{"entries": [{"region", "level"}]}`
//! (the body of `PUT /v1/region-risk`), or TOML with one `[[entries]]` table per region. It is
//! read and checked whole before anything is published: every bad entry is reported with its
//! line number and field, and then nothing is published. A valid file goes through the server's
//! library function, which stores the next version and rates every resident again under the
//! active policy. Region codes and levels are not personal data; of residents, this module
//! prints only counts.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use healthcode_core::rating::{RegionRiskList, RiskLevel};
use healthcode_core::{Access, Actor, RegionCode};
use healthcode_server::ApiError;
use healthcode_server::api::{
    PublishedRegionRiskList, RegionRiskEntry, RegionRiskListView, RerateView,
};
use healthcode_server::clock::{Clock, SystemClock};
use healthcode_server::endpoints::Endpoint;
use healthcode_server::policies::DefaultPolicy;
use healthcode_server::rating_service::{self, RerateReport};
use healthcode_store::Store;
use indicatif::ProgressBar;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::config::Config;
use crate::import::{
    ImportError, ImportFormat, LineError, json_message, line_errors_json, print_line_errors,
    read_rows,
};
use crate::ratings::{active_policy, note_default_policy};
use crate::thousands;

#[derive(Debug, Subcommand)]
pub enum RegionRiskCommand {
    /// Show the list in force, or a published version of it.
    Show {
        /// The version to show; by default the one in force (version 0, empty, before any is
        /// published).
        #[arg(long, value_name = "N")]
        version: Option<u32>,
        /// Print the list as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Publish a new version of the list from a file, and rate every resident again under it.
    ///
    /// The file is the whole list: it replaces the one in force. CSV with the header
    /// `region,level`; JSON {"entries": [{"region": "420100", "level": "high"}]}; or TOML with
    /// one [[entries]] table (region = "420100", level = "high") per region. Levels: low,
    /// medium, high. Every bad entry is reported with its line, and then nothing is published.
    Publish {
        /// The list file.
        file: PathBuf,
        /// The file's format; by default taken from its extension (.csv, .json or .toml).
        #[arg(long, value_enum)]
        format: Option<ListFormat>,
        /// Print the published list and the re-rating as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The formats a region-risk list file may be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Comma-separated values with the header row `region,level`.
    Csv,
    /// {"entries": [{"region": …, "level": …}]}, as sent to `PUT /v1/region-risk`.
    Json,
    /// One [[entries]] table with `region` and `level` per listed region.
    Toml,
}

impl ListFormat {
    /// The format given on the command line, or else the one the file's extension names.
    fn of(path: &Path, given: Option<ListFormat>) -> anyhow::Result<ListFormat> {
        let by_extension = || match path.extension()?.to_str()? {
            "csv" => Some(ListFormat::Csv),
            "json" => Some(ListFormat::Json),
            "toml" => Some(ListFormat::Toml),
            _ => None,
        };
        given.or_else(by_extension).with_context(|| {
            format!(
                "cannot tell the format of {} from its extension; pass --format csv, json or toml",
                path.display()
            )
        })
    }
}

/// Why a list file cannot be published.
#[derive(Debug, thiserror::Error)]
pub enum ListFileError {
    #[error("reading the file: {0}")]
    Read(String),
    #[error("{} in {entries} entries; nothing was published", problems(errors.len()))]
    InvalidEntries {
        entries: u64,
        errors: Vec<LineError>,
    },
}

fn problems(count: usize) -> String {
    match count {
        1 => "1 problem".to_owned(),
        count => format!("{count} problems"),
    }
}

/// Runs a `healthcode region-risk` command.
pub fn run(config: &Config, command: RegionRiskCommand) -> anyhow::Result<()> {
    match command {
        RegionRiskCommand::Show { version, json } => show(config, version, json),
        RegionRiskCommand::Publish { file, format, json } => publish(config, &file, format, json),
    }
}

/// `healthcode region-risk show [--version N]`.
fn show(config: &Config, version: Option<u32>, json: bool) -> anyhow::Result<()> {
    let store = crate::open_store(&config.data_dir)?;
    let list = match rating_service::region_risk_list(&store, version) {
        Ok(list) => list,
        Err(ApiError::NotFound { .. }) => {
            let latest = rating_service::region_risk_list(&store, None)?.version;
            anyhow::bail!(
                "no region-risk list version {} is published; the latest is version {latest}",
                version.unwrap_or_default()
            );
        }
        Err(other) => return Err(other.into()),
    };
    if json {
        println!(
            "{}",
            serde_json::to_string(&RegionRiskListView::from(&list))?
        );
    } else {
        print!("{}", list_text(&list));
    }
    Ok(())
}

fn list_text(list: &RegionRiskList) -> String {
    let Some(published_at) = list.published_at else {
        return format!(
            "Region-risk list version {}: none is published yet, so no region is listed.\n",
            list.version
        );
    };
    let regions = match list.entries.len() {
        1 => "1 region".to_owned(),
        count => format!("{count} regions"),
    };
    let published_at = published_at
        .round(jiff::Unit::Second)
        .unwrap_or(published_at);
    let mut out = format!(
        "Region-risk list version {}, published {published_at}: {regions}.\n",
        list.version
    );
    for (region, level) in &list.entries {
        out.push_str(&format!("  {region}  {}\n", level.code()));
    }
    out
}

/// `healthcode region-risk publish FILE`.
fn publish(
    config: &Config,
    file: &Path,
    format: Option<ListFormat>,
    json: bool,
) -> anyhow::Result<()> {
    let format = ListFormat::of(file, format)?;
    // The file is checked before the store is opened: a mistake in it needs no data directory.
    let entries = match read_region_risk_file(file, format) {
        Ok(entries) => entries,
        Err(ListFileError::InvalidEntries { entries, errors }) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "entries": entries,
                        "published": false,
                        "errors": line_errors_json(&errors),
                    })
                );
            } else {
                print_line_errors(&errors);
            }
            return Err(ListFileError::InvalidEntries { entries, errors })
                .with_context(|| format!("{} is not a valid region-risk list", file.display()));
        }
        Err(other) => {
            return Err(other).with_context(|| format!("publishing {}", file.display()));
        }
    };
    let store = crate::open_store(&config.data_dir)?;
    let (list, rerated, default) = publish_entries(&store, &SystemClock, &entries)?;
    note_default_policy(&default);
    if json {
        let answer = PublishedRegionRiskList {
            list: RegionRiskListView::from(&list),
            rerated: RerateView::from(&rerated),
        };
        println!("{}", serde_json::to_string(&answer)?);
    } else {
        println!(
            "Published region-risk list version {} ({} regions): rated {} residents again, {} ratings changed.",
            list.version,
            thousands(list.entries.len() as u64),
            thousands(rerated.people),
            thousands(rerated.changed)
        );
    }
    Ok(())
}

/// Publishes checked entries as the next version of the list, under the active policy (the
/// shipped default is activated first if none ever was), and rates every resident again.
/// Answers the list, the re-rating and what was done about the policy.
pub(crate) fn publish_entries(
    store: &dyn Store,
    clock: &dyn Clock,
    entries: &BTreeMap<RegionCode, RiskLevel>,
) -> anyhow::Result<(RegionRiskList, RerateReport, DefaultPolicy)> {
    let now = clock.now();
    let (policy, default) = active_policy(store, now)?;
    // As over HTTP, publishing is audited under the purpose of rating: it re-rates everyone.
    let access = Access::new(
        Actor::LocalOperator,
        Endpoint::PublishRegionRiskList.purpose(),
        now,
    );
    let (list, rerated) =
        rating_service::publish_region_risk_list(store, &access, &policy, entries)
            .context("publishing the region-risk list")?;
    Ok((list, rerated, default))
}

/// Reads and checks a region-risk list file: the entries by region, or every problem with the
/// line it is on.
pub fn read_region_risk_file(
    path: &Path,
    format: ListFormat,
) -> Result<BTreeMap<RegionCode, RiskLevel>, ListFileError> {
    let written = match format {
        ListFormat::Csv => read_csv(path)?,
        ListFormat::Json | ListFormat::Toml => {
            let source = std::fs::read_to_string(path)
                .map_err(|error| ListFileError::Read(error.to_string()))?;
            if format == ListFormat::Json {
                read_json(&source)
            } else {
                read_toml(&source)
            }
        }
    };
    checked(written)
}

/// A field of an entry as written, and the line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Written {
    line: u64,
    text: String,
}

/// An entry as written in a file, before its texts are parsed: each field that was written as
/// text. A field missing or of another type is already a problem of its own; the other field is
/// still checked, so that one run reports everything to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
struct WrittenEntry {
    region: Option<Written>,
    level: Option<Written>,
}

/// What a file holds: the entries that could be read, the problems of those that could not, and
/// how many entries there are in all.
#[derive(Debug, Default)]
struct WrittenList {
    entries: Vec<WrittenEntry>,
    errors: Vec<LineError>,
    count: u64,
}

impl WrittenList {
    /// A file that could not be read as a list at all.
    fn unreadable(line: u64, message: String) -> WrittenList {
        WrittenList {
            entries: Vec::new(),
            errors: vec![LineError {
                line,
                field: None,
                message,
            }],
            count: 0,
        }
    }

    /// Adds an entry on `line` from its fields: each field's name, the line its value is on,
    /// and the value if it is a string.
    fn push(&mut self, line: u64, fields: impl IntoIterator<Item = (String, u64, Option<String>)>) {
        self.count += 1;
        // For each field of an entry: whether it was written, and its text if it is one.
        let mut region = (false, None);
        let mut level = (false, None);
        for (name, value_line, text) in fields {
            let (slot, example) = match name.as_str() {
                "region" => (&mut region, "\"420100\""),
                "level" => (&mut level, "\"high\""),
                _ => {
                    self.errors.push(LineError {
                        line: value_line,
                        field: Some(name),
                        message: "is not a field of an entry; an entry has a region and a level"
                            .to_owned(),
                    });
                    continue;
                }
            };
            slot.0 = true;
            match text {
                Some(text) => {
                    slot.1 = Some(Written {
                        line: value_line,
                        text,
                    });
                }
                None => self.errors.push(LineError {
                    line: value_line,
                    field: Some(name),
                    message: format!("should be a string such as {example}"),
                }),
            }
        }
        for (name, (written, _)) in [("region", &region), ("level", &level)] {
            if !written {
                self.errors.push(LineError {
                    line,
                    field: Some(name.to_owned()),
                    message: "is missing; every entry has a region and a level".to_owned(),
                });
            }
        }
        self.entries.push(WrittenEntry {
            region: region.1,
            level: level.1,
        });
    }
}

fn read_csv(path: &Path) -> Result<WrittenList, ListFileError> {
    let rows = read_rows::<RegionRiskEntry>(
        path,
        ImportFormat::Csv,
        &ProgressBar::hidden(),
        "region-risk entry",
    )
    .map_err(|error| match error {
        ImportError::Read(message) => ListFileError::Read(message),
        other => ListFileError::Read(other.to_string()),
    })?;
    let count = rows.line_count();
    let entries = rows
        .rows
        .into_iter()
        .zip(rows.lines)
        .map(|(entry, line)| WrittenEntry {
            region: Some(Written {
                line,
                text: entry.region,
            }),
            level: Some(Written {
                line,
                text: entry.level,
            }),
        })
        .collect();
    Ok(WrittenList {
        entries,
        errors: rows.errors,
        count,
    })
}

/// The line of `source` that byte `offset` is on, from 1.
fn line_at(source: &str, offset: usize) -> u64 {
    let before = source.get(..offset).unwrap_or(source);
    before.bytes().filter(|&byte| byte == b'\n').count() as u64 + 1
}

/// The line of `source` that `part`, a slice of it, starts on.
fn line_of(source: &str, part: &str) -> u64 {
    let offset = (part.as_ptr() as usize).saturating_sub(source.as_ptr() as usize);
    line_at(source, offset)
}

fn read_json(source: &str) -> WrittenList {
    // Entries and their values are kept as the raw text they were written as: a raw value
    // borrowed from the file says where in the file it is, and so on which line.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct ListFile<'a> {
        #[serde(borrow)]
        entries: Vec<&'a RawValue>,
    }
    let file: ListFile = match serde_json::from_str(source) {
        Ok(file) => file,
        Err(error) => return WrittenList::unreadable(error.line() as u64, json_message(&error)),
    };
    let mut list = WrittenList::default();
    for entry in file.entries {
        let line = line_of(source, entry.get());
        match serde_json::from_str::<BTreeMap<String, &RawValue>>(entry.get()) {
            Ok(fields) => list.push(
                line,
                fields.into_iter().map(|(name, value)| {
                    let text = serde_json::from_str::<String>(value.get()).ok();
                    (name, line_of(source, value.get()), text)
                }),
            ),
            Err(_) => {
                list.count += 1;
                list.errors.push(LineError {
                    line,
                    field: None,
                    message: "an entry should be an object such as {\"region\": \"420100\", \"level\": \"high\"}".to_owned(),
                });
            }
        }
    }
    list
}

fn read_toml(source: &str) -> WrittenList {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct ListFile {
        entries: Vec<toml::Spanned<BTreeMap<String, toml::Spanned<toml::Value>>>>,
    }
    let file: ListFile = match toml::from_str(source) {
        Ok(file) => file,
        Err(error) => {
            let line = error.span().map_or(1, |span| line_at(source, span.start));
            return WrittenList::unreadable(line, error.message().to_owned());
        }
    };
    let mut list = WrittenList::default();
    for entry in file.entries {
        let line = line_at(source, entry.span().start);
        list.push(
            line,
            entry.into_inner().into_iter().map(|(name, value)| {
                let value_line = line_at(source, value.span().start);
                let text = value.get_ref().as_str().map(str::to_owned);
                (name, value_line, text)
            }),
        );
    }
    list
}

/// Parses the entries' texts: the list by region, or every problem, in line order.
fn checked(written: WrittenList) -> Result<BTreeMap<RegionCode, RiskLevel>, ListFileError> {
    let WrittenList {
        entries,
        mut errors,
        count,
    } = written;
    let mut listed: BTreeMap<RegionCode, (RiskLevel, u64)> = BTreeMap::new();
    for WrittenEntry { region, level } in entries {
        let region = region.and_then(|region| {
            RegionCode::parse(region.text.trim())
                .map(|code| (code, region.line))
                .map_err(|error| {
                    errors.push(LineError {
                        line: region.line,
                        field: Some("region".to_owned()),
                        message: error.to_string(),
                    });
                })
                .ok()
        });
        let level = level.and_then(|level| {
            RiskLevel::parse(level.text.trim())
                .map_err(|error| {
                    errors.push(LineError {
                        line: level.line,
                        field: Some("level".to_owned()),
                        message: error.to_string(),
                    });
                })
                .ok()
        });
        let (Some((code, line)), Some(level)) = (region, level) else {
            continue;
        };
        match listed.entry(code) {
            Entry::Vacant(vacant) => {
                vacant.insert((level, line));
            }
            Entry::Occupied(first) => errors.push(LineError {
                line,
                field: Some("region".to_owned()),
                message: format!(
                    "{code} is already listed on line {}; list each region once",
                    first.get().1
                ),
            }),
        }
    }
    if errors.is_empty() {
        return Ok(listed
            .into_iter()
            .map(|(region, (level, _))| (region, level))
            .collect());
    }
    errors.sort_by_key(|error| error.line);
    Err(ListFileError::InvalidEntries {
        entries: count,
        errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `source` to a file and reads it as a list in `format`.
    fn read(source: &str, format: ListFormat) -> Result<Vec<(String, String)>, Vec<String>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list");
        std::fs::write(&path, source).unwrap();
        match read_region_risk_file(&path, format) {
            Ok(entries) => Ok(entries
                .into_iter()
                .map(|(region, level)| (region.to_string(), level.code().to_owned()))
                .collect()),
            Err(ListFileError::InvalidEntries { errors, .. }) => Err(errors
                .into_iter()
                .map(|error| match error.field {
                    Some(field) => format!("{}: {field}: {}", error.line, error.message),
                    None => format!("{}: {}", error.line, error.message),
                })
                .collect()),
            Err(other) => panic!("{other}"),
        }
    }

    fn listed(entries: &[(&str, &str)]) -> Vec<(String, String)> {
        entries
            .iter()
            .map(|(region, level)| ((*region).to_owned(), (*level).to_owned()))
            .collect()
    }

    #[test]
    fn the_same_list_reads_alike_from_csv_json_and_toml() {
        let expected = listed(&[("330100", "medium"), ("420100", "high")]);
        let csv = "region,level\n420100,high\n330100,medium\n";
        let json = r#"{"entries": [
            {"region": "420100", "level": "high"},
            {"region": "330100", "level": "medium"}
        ]}"#;
        let toml = "[[entries]]\nregion = \"420100\"\nlevel = \"high\"\n\n\
                    [[entries]]\nregion = \"330100\"\nlevel = \"medium\"\n";
        assert_eq!(read(csv, ListFormat::Csv), Ok(expected.clone()));
        assert_eq!(read(json, ListFormat::Json), Ok(expected.clone()));
        assert_eq!(read(toml, ListFormat::Toml), Ok(expected));
    }

    #[test]
    fn every_bad_json_entry_is_reported_on_the_line_of_its_field() {
        let json = r#"{"entries": [
            {"region": "420100", "level": "high"},
            {"region": "4201", "level": "high"},
            {
                "region": 330100,
                "level": "severe"
            },
            {"level": "low"},
            {"region": "110000", "level": "low", "note": "capital"},
            "420100"
        ]}"#;
        assert_eq!(
            read(json, ListFormat::Json),
            Err(vec![
                "3: region: should be six digits, such as 330106".to_owned(),
                "5: region: should be a string such as \"420100\"".to_owned(),
                "6: level: should be one of: low, medium, high".to_owned(),
                "8: region: is missing; every entry has a region and a level".to_owned(),
                "9: note: is not a field of an entry; an entry has a region and a level"
                    .to_owned(),
                "10: an entry should be an object such as {\"region\": \"420100\", \"level\": \"high\"}"
                    .to_owned(),
            ])
        );
    }

    #[test]
    fn every_bad_toml_entry_is_reported_on_the_line_of_its_field() {
        let toml = "[[entries]]\nregion = \"420100\"\nlevel = \"high\"\n\n\
                    [[entries]]\nregion = 330100\nlevel = \"severe\"\n\n\
                    [[entries]]\nregion = \"420100\"\nlevel = \"low\"\n";
        assert_eq!(
            read(toml, ListFormat::Toml),
            Err(vec![
                "6: region: should be a string such as \"420100\"".to_owned(),
                "7: level: should be one of: low, medium, high".to_owned(),
                "10: region: 420100 is already listed on line 2; list each region once".to_owned(),
            ])
        );
    }

    #[test]
    fn a_file_that_is_not_a_list_is_one_error_on_the_line_where_it_breaks() {
        assert_eq!(
            read(
                "{\"entries\": [\n  {\"region\": \"420100\",, }\n]}",
                ListFormat::Json
            ),
            Err(vec!["2: key must be a string (column 23)".to_owned()])
        );
        let broken_toml = read(
            "[[entries]]\nregion = \"420100\nlevel = \"high\"\n",
            ListFormat::Toml,
        );
        assert!(
            broken_toml
                .as_ref()
                .is_err_and(|errors| errors.len() == 1 && errors[0].starts_with("2: ")),
            "{broken_toml:?}"
        );
        assert_eq!(
            read("region,risk\n420100,high\n", ListFormat::Csv)
                .unwrap_err()
                .len(),
            1
        );
    }

    #[test]
    fn a_header_alone_is_the_empty_list() {
        assert_eq!(read("region,level\n", ListFormat::Csv), Ok(Vec::new()));
    }
}
