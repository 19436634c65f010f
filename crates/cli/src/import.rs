//! Bulk import of check-ins from files, for venues and feeds that deliver them offline.
//!
//! A file is read and checked whole before anything is stored: every invalid line is reported
//! with its line number, field and what to fix, and then nothing is imported. A valid file is
//! stored in one transaction, so a failure part-way leaves the store as it was. Rows use the
//! HTTP API's check-in shape and go through the same conversion as the batch endpoint.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::Context;
use clap::ValueEnum;
use healthcode_core::{Access, Actor, Purpose};
use healthcode_server::api::{CheckInRequest, check_ins_from_requests};
use healthcode_server::clock::{Clock, SystemClock};
use healthcode_server::service::{IngestError, ingest_check_in_rows};
use healthcode_store::{IngestReport, Store, StoreError};
use indicatif::{ProgressBar, ProgressStyle};

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
}

/// Reads, checks and stores the check-ins of a file. `progress` follows the bytes read.
pub fn import_check_ins(
    store: &dyn Store,
    clock: &dyn Clock,
    path: &Path,
    format: ImportFormat,
    progress: &ProgressBar,
) -> Result<(u64, IngestReport), ImportError> {
    let (requests, line_numbers, mut errors) = match format {
        ImportFormat::Csv => read_csv(path, progress)?,
        ImportFormat::Jsonl => read_json_lines(path, progress)?,
    };
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
fn invalid_lines(errors: &[LineError]) -> usize {
    let mut lines: Vec<u64> = errors.iter().map(|error| error.line).collect();
    lines.sort_unstable();
    lines.dedup();
    lines.len()
}

/// Rows read, the line number of each, and the lines that could not be read as rows.
type Rows = (Vec<CheckInRequest>, Vec<u64>, Vec<LineError>);

fn read_csv(path: &Path, progress: &ProgressBar) -> Result<Rows, ImportError> {
    let file = File::open(path).map_err(|error| ImportError::Read(error.to_string()))?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(file);
    let mut requests = Vec::new();
    let mut line_numbers = Vec::new();
    let mut errors = Vec::new();
    let mut record = csv::StringRecord::new();
    let headers = reader
        .headers()
        .map_err(|error| ImportError::Read(error.to_string()))?
        .clone();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, csv::Position::line);
                progress.set_position(record.position().map_or(0, csv::Position::byte));
                match record.deserialize::<CheckInRequest>(Some(&headers)) {
                    Ok(request) => {
                        requests.push(request);
                        line_numbers.push(line);
                    }
                    Err(error) => errors.push(LineError {
                        line,
                        field: None,
                        message: csv_message(&error),
                    }),
                }
            }
            Err(error) => {
                let line = error.position().map_or(0, csv::Position::line);
                errors.push(LineError {
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
    Ok((requests, line_numbers, errors))
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

fn read_json_lines(path: &Path, progress: &ProgressBar) -> Result<Rows, ImportError> {
    let file = File::open(path).map_err(|error| ImportError::Read(error.to_string()))?;
    let mut requests = Vec::new();
    let mut line_numbers = Vec::new();
    let mut errors = Vec::new();
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
        match serde_json::from_str::<CheckInRequest>(&line) {
            Ok(request) => {
                requests.push(request);
                line_numbers.push(line_number);
            }
            Err(error) => errors.push(LineError {
                line: line_number,
                field: None,
                message: format!("not a check-in object: {error}"),
            }),
        }
    }
    Ok((requests, line_numbers, errors))
}

/// `healthcode import checkins`: imports a file and prints the outcome.
pub fn run(
    config: &Config,
    path: &Path,
    format: Option<ImportFormat>,
    json: bool,
) -> anyhow::Result<()> {
    let format = format.or_else(|| ImportFormat::from_extension(path)).with_context(|| {
        format!("cannot tell the format of {} from its extension; pass --format csv or --format jsonl", path.display())
    })?;
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    let store = crate::open_store(&config.data_dir)?;
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
        Err(ImportError::InvalidLines { lines, errors }) => {
            if json {
                let errors: Vec<_> = errors
                    .iter()
                    .map(|error| serde_json::json!({"line": error.line, "field": error.field, "message": error.message}))
                    .collect();
                println!(
                    "{}",
                    serde_json::json!({"lines": lines, "stored": 0, "errors": errors})
                );
            } else {
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
            anyhow::bail!(
                "{} of {lines} lines are invalid; nothing was imported",
                invalid_lines(&errors)
            )
        }
        Err(other) => Err(other).with_context(|| format!("importing {}", path.display())),
    }
}
