//! Bulk import of the rating engine's data feeds: laboratory test results, pharmacy purchases,
//! the daily health reports of employers and residential communities, and mobile networks'
//! cell pings.
//!
//! Files are CSV with a header row, or JSON lines, in the API's row shapes (a health report's
//! CSV has the header `event_id,resident_id,day,temperature,symptoms`, symptoms separated by
//! `;`). The rows go through the server's feed functions, which check them, resolve residents
//! by ID number, store everything in one transaction or nothing, and rate each resident the
//! file is about again under the active policy. Every bad line is reported with its line
//! number: a line that cannot be read as a row, a bad field, or a resident who is not enrolled.
//! Nothing here prints or logs a row's content: rows hold residents' ID numbers.

use std::path::Path;

use anyhow::Context;
use healthcode_core::rating::{Policy, Reporter};
use healthcode_core::{Access, Actor, Timestamp};
use healthcode_server::ApiError;
use healthcode_server::api::{
    BoardingRow, CellPingRow, FeedResponse, HealthReportRow, HealthReportUpload, HouseholdRow,
    LabResultRow, PharmacyPurchaseRow, RowError, boardings_from_rows, cell_pings_from_rows,
    health_reports_from_rows, household_members_from_rows, lab_results_from_rows,
    pharmacy_purchases_from_rows,
};
use healthcode_server::clock::{Clock, SystemClock};
use healthcode_server::endpoints::Endpoint;
use healthcode_server::feeds;
use healthcode_server::phone_service::{self, Retention};
use healthcode_server::policies::DefaultPolicy;
use healthcode_store::Store;
use indicatif::ProgressBar;

use super::{ImportError, ImportFormat, LineError, Rows, progress_bar, read_rows, refused};
use crate::config::Config;
use crate::ratings::{active_policy, note_default_policy};

/// Which feed a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    /// Laboratory results, in the shape of `POST /v1/lab/results`.
    TestResults,
    /// Pharmacy reports of medicine purchases, in the shape of `POST /v1/pharmacy/purchases`.
    PharmacyPurchases,
    /// A daily health report filed by an employer or a community, in the shape of
    /// `POST /v1/health-reports`.
    HealthReports(Reporter),
    /// A mobile network's cell pings, in the shape of `POST /v1/cell-pings`, kept as the
    /// retention says.
    CellPings(Retention),
    /// A transit operator's real-name boardings, in the shape of `POST /v1/transit/boardings`.
    Boardings,
    /// A community's household register, in the shape of `POST /v1/households`.
    Households,
}

impl Feed {
    /// A row of the feed, in messages.
    fn row_name(self) -> &'static str {
        match self {
            Feed::TestResults => "test result",
            Feed::PharmacyPurchases => "pharmacy purchase",
            Feed::HealthReports(_) => "health report",
            Feed::CellPings(_) => "cell ping",
            Feed::Boardings => "boarding",
            Feed::Households => "household member",
        }
    }

    /// The endpoint the feed arrives on over HTTP: a file is audited under the same purpose.
    fn endpoint(self) -> Endpoint {
        match self {
            Feed::TestResults => Endpoint::IngestLabResults,
            Feed::PharmacyPurchases => Endpoint::IngestPharmacyPurchases,
            Feed::HealthReports(_) => Endpoint::IngestHealthReports,
            Feed::CellPings(_) => Endpoint::IngestCellPings,
            Feed::Boardings => Endpoint::IngestBoardings,
            Feed::Households => Endpoint::RegisterHouseholds,
        }
    }
}

/// What importing a feed file did.
#[derive(Debug)]
pub struct FeedImport {
    /// Lines that held a row.
    pub lines: u64,
    pub response: FeedResponse,
    /// Whether the shipped default policy had to be activated first.
    pub default_policy: DefaultPolicy,
}

/// A file is imported whole, in one transaction, however long: the batch limit of the HTTP API
/// bounds request bodies, which a local file is not.
pub(super) const NO_ROW_LIMIT: usize = usize::MAX;

/// Reads, checks and stores the rows of a feed file and re-rates the residents it is about.
/// `progress` follows the bytes read.
pub fn import_feed(
    store: &dyn Store,
    clock: &dyn Clock,
    path: &Path,
    format: ImportFormat,
    feed: Feed,
    progress: &ProgressBar,
) -> Result<FeedImport, ImportError> {
    let now = clock.now();
    match feed {
        Feed::TestResults => {
            let rows = read_rows(path, format, progress, feed.row_name())?;
            store_lab_results(store, clock, rows, progress)
        }
        Feed::PharmacyPurchases => {
            let rows = read_rows(path, format, progress, feed.row_name())?;
            store_pharmacy_purchases(store, clock, rows, progress)
        }
        Feed::Boardings => {
            let rows = read_rows(path, format, progress, feed.row_name())?;
            store_boardings(store, clock, rows, progress)
        }
        Feed::Households => {
            let rows = read_rows(path, format, progress, feed.row_name())?;
            store_households(store, clock, rows, progress)
        }
        Feed::CellPings(retention) => {
            let rows = read_rows(path, format, progress, feed.row_name())?;
            store_cell_pings(store, clock, retention, rows, progress)
        }
        Feed::HealthReports(reporter) => {
            let (upload, upload_errors) = read_health_report(path, format, progress)?;
            let lines = (upload.rows.len() + upload_errors.len()) as u64;
            // Rows are located by the upload itself (`HealthReportUpload::locate`); these rows
            // only place what it leaves unplaced.
            let placed = Rows::<()> {
                rows: Vec::new(),
                lines: upload.positions.iter().map(|&(_, line)| line).collect(),
                errors: Vec::new(),
            };
            if !upload_errors.is_empty() {
                let (_, errors) = health_reports_from_rows(&upload.rows, reporter, now);
                let mut errors: Vec<LineError> = errors
                    .into_iter()
                    .map(|error| upload.locate(error))
                    .chain(upload_errors)
                    .map(|error| placed.line_error(error))
                    .collect();
                errors.sort_by_key(|error| error.line);
                return Err(ImportError::InvalidLines { lines, errors });
            }
            store_feed(
                store,
                now,
                feed,
                lines,
                &placed,
                progress,
                |access, policy| {
                    feeds::ingest_health_reports(
                        store,
                        access,
                        policy,
                        reporter,
                        &upload,
                        Vec::new(),
                        NO_ROW_LIMIT,
                    )
                },
            )
        }
    }
}

/// A file with lines that could not be read as rows: those lines and every bad field of the
/// rows that could be read, `errors` being about `rows.rows`. The store is not touched.
pub(super) fn unreadable<T>(rows: Rows<T>, errors: Vec<RowError>) -> ImportError {
    let lines = rows.line_count();
    let mut all: Vec<LineError> = errors
        .into_iter()
        .map(|error| rows.line_error(error))
        .collect();
    all.extend(rows.errors);
    all.sort_by_key(|error| error.line);
    ImportError::InvalidLines { lines, errors: all }
}

/// Stores laboratory results read from a feed file, as [`import_feed`] does once it has read
/// them: for a caller that reads the file itself.
pub(crate) fn store_lab_results(
    store: &dyn Store,
    clock: &dyn Clock,
    rows: Rows<LabResultRow>,
    progress: &ProgressBar,
) -> Result<FeedImport, ImportError> {
    let now = clock.now();
    store_rows(
        store,
        rows,
        progress,
        Feed::TestResults,
        now,
        |rows| lab_results_from_rows(rows, now).1,
        |access, policy, list| feeds::ingest_lab_results(store, access, policy, list, NO_ROW_LIMIT),
    )
}

/// Stores pharmacy purchases read from a feed file, as [`import_feed`] does once it has read
/// them.
pub(crate) fn store_pharmacy_purchases(
    store: &dyn Store,
    clock: &dyn Clock,
    rows: Rows<PharmacyPurchaseRow>,
    progress: &ProgressBar,
) -> Result<FeedImport, ImportError> {
    let now = clock.now();
    store_rows(
        store,
        rows,
        progress,
        Feed::PharmacyPurchases,
        now,
        |rows| pharmacy_purchases_from_rows(rows, now).1,
        |access, policy, list| {
            feeds::ingest_pharmacy_purchases(store, access, policy, list, NO_ROW_LIMIT)
        },
    )
}

/// Stores transit boardings read from a feed file, as [`import_feed`] does once it has read
/// them.
pub(crate) fn store_boardings(
    store: &dyn Store,
    clock: &dyn Clock,
    rows: Rows<BoardingRow>,
    progress: &ProgressBar,
) -> Result<FeedImport, ImportError> {
    let now = clock.now();
    store_rows(
        store,
        rows,
        progress,
        Feed::Boardings,
        now,
        |rows| boardings_from_rows(rows, now).1,
        |access, policy, list| feeds::ingest_boardings(store, access, policy, list, NO_ROW_LIMIT),
    )
}

/// Stores cell pings read from a feed file, kept as `retention` says, as [`import_feed`] does
/// once it has read them.
pub(crate) fn store_cell_pings(
    store: &dyn Store,
    clock: &dyn Clock,
    retention: Retention,
    rows: Rows<CellPingRow>,
    progress: &ProgressBar,
) -> Result<FeedImport, ImportError> {
    let now = clock.now();
    store_rows(
        store,
        rows,
        progress,
        Feed::CellPings(retention),
        now,
        |rows| cell_pings_from_rows(rows, now, retention.stays_before(now)).1,
        |access, policy, list| {
            phone_service::ingest_cell_pings(store, access, policy, retention, list, NO_ROW_LIMIT)
        },
    )
}

/// Registers the household members read from a feed file, as [`import_feed`] does once it has
/// read them.
pub(crate) fn store_households(
    store: &dyn Store,
    clock: &dyn Clock,
    rows: Rows<HouseholdRow>,
    progress: &ProgressBar,
) -> Result<FeedImport, ImportError> {
    store_rows(
        store,
        rows,
        progress,
        Feed::Households,
        clock.now(),
        |rows| household_members_from_rows(rows).1,
        |access, _, list| feeds::register_households(store, access, list, NO_ROW_LIMIT),
    )
}

/// Stores the rows read from a feed file with `ingest`, under the active policy, once every
/// line has been read as a row (`rows.lines` places the rows `ingest` reports as bad);
/// otherwise reports the unreadable lines together with what `check` finds wrong in the rows
/// that were read.
fn store_rows<R>(
    store: &dyn Store,
    mut rows: Rows<R>,
    progress: &ProgressBar,
    feed: Feed,
    now: Timestamp,
    check: impl FnOnce(&[R]) -> Vec<RowError>,
    ingest: impl FnOnce(&Access, &Policy, Vec<R>) -> Result<FeedResponse, ApiError>,
) -> Result<FeedImport, ImportError> {
    if !rows.errors.is_empty() {
        let errors = check(&rows.rows);
        return Err(unreadable(rows, errors));
    }
    let lines = rows.line_count();
    let list = std::mem::take(&mut rows.rows);
    store_feed(
        store,
        now,
        feed,
        lines,
        &rows,
        progress,
        |access, policy| ingest(access, policy, list),
    )
}

/// Stores a feed whose lines all read as rows, through `ingest`, under the active policy;
/// `rows.lines` places the rows `ingest` reports as bad.
fn store_feed<T>(
    store: &dyn Store,
    now: Timestamp,
    feed: Feed,
    lines: u64,
    rows: &Rows<T>,
    progress: &ProgressBar,
    ingest: impl FnOnce(&Access, &Policy) -> Result<FeedResponse, ApiError>,
) -> Result<FeedImport, ImportError> {
    progress.set_message("storing");
    let (policy, default_policy) = active_policy(store, now).map_err(ImportError::Store)?;
    let access = Access::new(Actor::LocalOperator, feed.endpoint().purpose(), now);
    match ingest(&access, &policy) {
        Ok(response) => Ok(FeedImport {
            lines,
            response,
            default_policy,
        }),
        Err(ApiError::InvalidRows { rows: errors, .. }) => {
            let mut errors: Vec<LineError> = errors
                .into_iter()
                .map(|error| rows.line_error(error))
                .collect();
            errors.sort_by_key(|error| error.line);
            Err(ImportError::InvalidLines { lines, errors })
        }
        Err(other) => Err(ImportError::Feed(other)),
    }
}

/// Reads a health report file: CSV through the server's reader (the same as for an upload),
/// JSON lines row by row. Answers the rows, placed on their lines, and the lines that could
/// not be read as rows.
fn read_health_report(
    path: &Path,
    format: ImportFormat,
    progress: &ProgressBar,
) -> Result<(HealthReportUpload, Vec<RowError>), ImportError> {
    match format {
        ImportFormat::Csv => {
            let bytes =
                std::fs::read(path).map_err(|error| ImportError::Read(error.to_string()))?;
            progress.set_position(bytes.len() as u64);
            Ok(HealthReportUpload::from_csv(&bytes))
        }
        ImportFormat::Jsonl => {
            let rows = read_rows::<HealthReportRow>(path, format, progress, "health report")?;
            // A row's position is its place among the lines that hold rows, readable or not.
            let mut row_lines: Vec<u64> = rows
                .lines
                .iter()
                .copied()
                .chain(rows.errors.iter().map(|error| error.line))
                .collect();
            row_lines.sort_unstable();
            let position = |line: u64| row_lines.binary_search(&line).unwrap_or_default();
            let upload = HealthReportUpload {
                positions: rows
                    .lines
                    .iter()
                    .map(|&line| (position(line), line))
                    .collect(),
                rows: rows.rows,
            };
            let errors = rows
                .errors
                .into_iter()
                .map(|error| RowError {
                    index: position(error.line),
                    line: Some(error.line),
                    field: error.field.unwrap_or_else(|| "row".to_owned()),
                    message: error.message,
                })
                .collect();
            Ok((upload, errors))
        }
    }
}

/// `healthcode import test-results | pharmacy-purchases | health-reports`: imports a file and
/// prints the outcome.
pub fn run(
    config: &Config,
    path: &Path,
    format: Option<ImportFormat>,
    feed: Feed,
    json: bool,
) -> anyhow::Result<()> {
    let format = ImportFormat::of(path, format)?;
    let progress = progress_bar(path, json)?;
    let store = crate::open_store(&config.data_dir)?;
    let outcome = import_feed(&store, &SystemClock, path, format, feed, &progress);
    progress.finish_and_clear();
    match outcome {
        Ok(import) => {
            note_default_policy(&import.default_policy);
            let response = &import.response;
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "lines": import.lines,
                        "received": response.received,
                        "stored": response.stored,
                        "duplicates": response.duplicates,
                        "people_rated": response.people_rated,
                    })
                );
            } else {
                let noun = feed.row_name();
                let plural = if import.lines == 1 { "" } else { "s" };
                println!(
                    "Imported {} {noun}{plural}: {} stored, {} already present; {} residents rated again.",
                    import.lines, response.stored, response.duplicates, response.people_rated
                );
            }
            Ok(())
        }
        Err(ImportError::InvalidLines { lines, errors }) => Err(refused(lines, &errors, json)),
        Err(other) => Err(other).with_context(|| format!("importing {}", path.display())),
    }
}
