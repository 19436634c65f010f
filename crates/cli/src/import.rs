//! Bulk import from files, for venues and feeds that deliver records offline: check-ins here,
//! the rating engine's data feeds (laboratory results, pharmacy purchases, daily health
//! reports, cell pings) in [`feeds`], and mobile networks' cells in [`cells`].
//!
//! A file is read and checked whole before anything is stored: every invalid line is reported
//! with its line number, field and what to fix, and then nothing is imported. A valid file is
//! stored in one transaction, so a failure part-way leaves the store as it was. Rows use the
//! HTTP API's shapes and go through the same conversion and the same library functions as the
//! batch endpoints. Messages about a line never quote its content: a row may hold a resident's
//! ID number.

pub mod cells;
pub mod feeds;

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::Context;
use clap::ValueEnum;
use healthcode_core::{Access, Actor, Purpose};
use healthcode_server::ApiError;
use healthcode_server::api::{CheckInRequest, RowError, check_ins_from_requests};
use healthcode_server::clock::{Clock, SystemClock};
use healthcode_server::service::{IngestError, ingest_check_in_rows};
use healthcode_store::{IngestReport, Store, StoreError};
use indicatif::{ProgressBar, ProgressStyle};
use serde::de::DeserializeOwned;

use crate::config::Config;

/// How many line errors are printed before the rest are only counted.
const ERRORS_SHOWN: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// Comma-separated values with a header row naming the fields.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

impl ImportFormat {
    fn from_extension(path: &Path) -> Option<ImportFormat> {
        match path.extension()?.to_str()? {
            "csv" => Some(ImportFormat::Csv),
            "jsonl" | "ndjson" => Some(ImportFormat::Jsonl),
            _ => None,
        }
    }

    /// The format given on the command line, or else the one the file's extension names.
    fn of(path: &Path, given: Option<ImportFormat>) -> anyhow::Result<ImportFormat> {
        given.or_else(|| ImportFormat::from_extension(path)).with_context(|| {
            format!(
                "cannot tell the format of {} from its extension; pass --format csv or --format jsonl",
                path.display()
            )
        })
    }
}

/// A line of the file that cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: u64,
    pub field: Option<String>,
    pub message: String,
}

/// Why an import stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(
        "{} of {lines} lines are invalid; nothing was imported",
        invalid_lines(errors)
    )]
    InvalidLines { lines: u64, errors: Vec<LineError> },
    #[error("reading the file: {0}")]
    Read(String),
    #[error(transparent)]
    Store(StoreError),
    /// Refused or failed for another reason than its lines, e.g. the store failed.
    #[error(transparent)]
    Feed(ApiError),
}

/// Reads, checks and stores the check-ins of a file. `progress` follows the bytes read.
pub fn import_check_ins(
    store: &dyn Store,
    clock: &dyn Clock,
    path: &Path,
    format: ImportFormat,
    progress: &ProgressBar,
) -> Result<(u64, IngestReport), ImportError> {
    let rows = read_rows::<CheckInRequest>(path, format, progress, "check-in")?;
    store_check_ins(store, clock, rows, progress)
}

/// Checks and stores the check-ins read from a file, as [`import_check_ins`] does once it has
/// read them: every error is placed on its line of the file, and nothing is stored unless all
/// are valid. For a caller that reads the file itself.
pub(crate) fn store_check_ins(
    store: &dyn Store,
    clock: &dyn Clock,
    rows: Rows<CheckInRequest>,
    progress: &ProgressBar,
) -> Result<(u64, IngestReport), ImportError> {
    let Rows {
        rows: requests,
        lines: line_numbers,
        mut errors,
    } = rows;
    if !errors.is_empty() {
        // Lines that could not even be read as rows are already known to be bad; check the rest
        // too, so that one run reports every line that needs fixing.
        let lines = (requests.len() + errors.len()) as u64;
        if let Err(rows) = check_ins_from_requests(requests) {
            errors.extend(rows.into_iter().map(|row| LineError {
                line: line_numbers[row.index],
                field: Some(row.field),
                message: row.message,
            }));
        }
        errors.sort_by_key(|error| error.line);
        return Err(ImportError::InvalidLines { lines, errors });
    }
    let lines = requests.len() as u64;
    progress.set_message("storing");
    let access = Access::new(Actor::LocalOperator, Purpose::BulkImport, clock.now());
    let report = ingest_check_in_rows(store, &access, requests).map_err(|error| {
        let errors = match error {
            IngestError::InvalidRows(rows) => rows
                .into_iter()
                .map(|row| LineError {
                    line: line_numbers[row.index],
                    field: Some(row.field),
                    message: row.message,
                })
                .collect(),
            IngestError::UnknownReference { index, field, what } => vec![LineError {
                line: line_numbers[index],
                field: Some(field.to_owned()),
                message: format!("no {what} with this id is registered"),
            }],
            IngestError::Store(error) => return ImportError::Store(error),
        };
        ImportError::InvalidLines { lines, errors }
    })?;
    Ok((lines, report))
}

/// How many distinct lines the errors are on (a line can have several bad fields).
pub(crate) fn invalid_lines(errors: &[LineError]) -> usize {
    let mut lines: Vec<u64> = errors.iter().map(|error| error.line).collect();
    lines.sort_unstable();
    lines.dedup();
    lines.len()
}

/// The rows of a file that could be read, the line each is on, and the lines that could not be
/// read as rows.
#[derive(Debug)]
pub(crate) struct Rows<T> {
    pub(crate) rows: Vec<T>,
    pub(crate) lines: Vec<u64>,
    pub(crate) errors: Vec<LineError>,
}

impl<T> Rows<T> {
    /// How many lines held a row, readable or not.
    pub(crate) fn line_count(&self) -> u64 {
        (self.rows.len() + self.errors.len()) as u64
    }

    /// Places an error about `rows[index]` on the row's line in the file.
    pub(crate) fn line_error(&self, error: RowError) -> LineError {
        LineError {
            line: error
                .line
                .or_else(|| self.lines.get(error.index).copied())
                .unwrap_or(0),
            field: Some(error.field),
            message: error.message,
        }
    }
}

/// Reads every row of a file; `what` names a row in messages ("check-in").
pub(crate) fn read_rows<T: DeserializeOwned>(
    path: &Path,
    format: ImportFormat,
    progress: &ProgressBar,
    what: &str,
) -> Result<Rows<T>, ImportError> {
    match format {
        ImportFormat::Csv => read_csv(path, progress),
        ImportFormat::Jsonl => read_json_lines(path, progress, what),
    }
}

fn read_csv<T: DeserializeOwned>(
    path: &Path,
    progress: &ProgressBar,
) -> Result<Rows<T>, ImportError> {
    let file = File::open(path).map_err(|error| ImportError::Read(error.to_string()))?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(file);
    let mut rows = Rows {
        rows: Vec::new(),
        lines: Vec::new(),
        errors: Vec::new(),
    };
    let headers = reader
        .headers()
        .map_err(|error| ImportError::Read(error.to_string()))?
        .clone();
    // The rows imported from CSV are flat and all text, so the header itself reads as a row
    // exactly when it names the row's fields. A wrong header is then one error on line 1
    // rather than the same error on every line.
    if let Err(error) = headers.deserialize::<T>(Some(&headers)) {
        rows.errors.push(LineError {
            line: 1,
            field: Some("header".to_owned()),
            message: csv_message(&error),
        });
        return Ok(rows);
    }
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, csv::Position::line);
                progress.set_position(record.position().map_or(0, csv::Position::byte));
                match record.deserialize::<T>(Some(&headers)) {
                    Ok(row) => {
                        rows.rows.push(row);
                        rows.lines.push(line);
                    }
                    Err(error) => rows.errors.push(LineError {
                        line,
                        field: None,
                        message: csv_message(&error),
                    }),
                }
            }
            Err(error) => {
                let line = error.position().map_or(0, csv::Position::line);
                rows.errors.push(LineError {
                    line,
                    field: None,
                    message: csv_message(&error),
                });
                if !matches!(error.kind(), csv::ErrorKind::UnequalLengths { .. }) {
                    break;
                }
            }
        }
    }
    Ok(rows)
}

fn csv_message(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Deserialize { err, .. } => match err.field() {
            Some(index) => format!("column {}: {}", index + 1, err.kind()),
            None => err.kind().to_string(),
        },
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("has {len} fields, the header has {expected_len}")
        }
        _ => error.to_string(),
    }
}

fn read_json_lines<T: DeserializeOwned>(
    path: &Path,
    progress: &ProgressBar,
    what: &str,
) -> Result<Rows<T>, ImportError> {
    let file = File::open(path).map_err(|error| ImportError::Read(error.to_string()))?;
    let mut rows = Rows {
        rows: Vec::new(),
        lines: Vec::new(),
        errors: Vec::new(),
    };
    let mut bytes_read = 0;
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line_number = index as u64 + 1;
        let line =
            line.map_err(|error| ImportError::Read(format!("line {line_number}: {error}")))?;
        bytes_read += line.len() as u64 + 1;
        progress.set_position(bytes_read);
        if line.trim().is_empty() {
            continue;
        }
        let mut deserializer = serde_json::Deserializer::from_str(&line);
        let parsed = serde_path_to_error::deserialize::<_, T>(&mut deserializer)
            .map_err(|error| {
                // `.` is the row itself, `?` a place the JSON broke off before a field.
                let path = error.path().to_string();
                let field = (path != "." && path != "?").then_some(path);
                (field, error.into_inner())
            })
            .and_then(|row| {
                deserializer
                    .end()
                    .map(|()| row)
                    .map_err(|error| (None, error))
            });
        match parsed {
            Ok(row) => {
                rows.rows.push(row);
                rows.lines.push(line_number);
            }
            Err((field, error)) => rows.errors.push(LineError {
                line: line_number,
                field,
                message: format!("not a {what} object: {}", json_message(&error)),
            }),
        }
    }
    Ok(rows)
}

/// A JSON error in words that do not quote the line: serde names the offending value in
/// "invalid type" and "invalid value" errors, and that value may be an ID number.
pub(crate) fn json_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let text = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(message, _)| message);
    let text = match text.split_once(", expected ") {
        Some((found, expected))
            if found.starts_with("invalid type") || found.starts_with("invalid value") =>
        {
            format!("expected {expected}")
        }
        _ => text.to_owned(),
    };
    format!("{text} (column {})", error.column())
}

/// A progress bar over the bytes of a file, hidden when the output is JSON.
pub(crate) fn progress_bar(path: &Path, json: bool) -> anyhow::Result<ProgressBar> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    let progress = if json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(size)
    };
    progress.set_style(
        ProgressStyle::with_template("{spinner} {msg:10} [{bar:40}] {bytes}/{total_bytes} ({eta})")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    progress.set_message("checking");
    Ok(progress)
}

/// Prints the invalid lines of a refused file (to standard error, or as JSON to standard
/// output) and answers the error the command ends with.
pub(crate) fn refused(lines: u64, errors: &[LineError], json: bool) -> anyhow::Error {
    if json {
        println!(
            "{}",
            serde_json::json!({"lines": lines, "stored": 0, "errors": line_errors_json(errors)})
        );
    } else {
        print_line_errors(errors);
    }
    anyhow::anyhow!(
        "{} of {lines} lines are invalid; nothing was imported",
        invalid_lines(errors)
    )
}

/// The errors of a file as JSON: `[{line, field, message}]`.
pub(crate) fn line_errors_json(errors: &[LineError]) -> Vec<serde_json::Value> {
    errors
        .iter()
        .map(|error| serde_json::json!({"line": error.line, "field": error.field, "message": error.message}))
        .collect()
}

/// Prints the errors of a file on standard error as `line N: field: message`, the first
/// [`ERRORS_SHOWN`] of them.
pub(crate) fn print_line_errors(errors: &[LineError]) {
    for error in errors.iter().take(ERRORS_SHOWN) {
        match &error.field {
            Some(field) => eprintln!("line {}: {field}: {}", error.line, error.message),
            None => eprintln!("line {}: {}", error.line, error.message),
        }
    }
    if errors.len() > ERRORS_SHOWN {
        eprintln!("… and {} more invalid lines", errors.len() - ERRORS_SHOWN);
    }
}

/// `healthcode import checkins`: imports a file and prints the outcome.
pub fn run(
    config: &Config,
    path: &Path,
    format: Option<ImportFormat>,
    json: bool,
) -> anyhow::Result<()> {
    let format = ImportFormat::of(path, format)?;
    let progress = progress_bar(path, json)?;
    let store = crate::open_store(&config.data_dir)?;
    let outcome = import_check_ins(&store, &SystemClock, path, format, &progress);
    progress.finish_and_clear();
    match outcome {
        Ok((lines, report)) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"lines": lines, "stored": report.stored, "duplicates": report.duplicates})
                );
            } else {
                let noun = if lines == 1 { "check-in" } else { "check-ins" };
                println!(
                    "Imported {lines} {noun}: {} stored, {} already present.",
                    report.stored, report.duplicates
                );
            }
            Ok(())
        }
        Err(ImportError::InvalidLines { lines, errors }) => Err(refused(lines, &errors, json)),
        Err(other) => Err(other).with_context(|| format!("importing {}", path.display())),
    }
}
