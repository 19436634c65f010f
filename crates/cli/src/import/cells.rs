//! Bulk import of a mobile network's cells: `cell_id,latitude,longitude,city` in CSV (with a
//! header row) or JSON lines, the shape of `POST /v1/cells`. A file is checked whole, through
//! the server's function: every bad line is reported, a cell registered before in another
//! place or city among them, and then nothing is stored. Cells are not personal data, but the
//! registration is audited as the network's would be, under the purpose `phone_data`.

use std::path::Path;

use anyhow::Context;
use healthcode_core::{Access, Actor};
use healthcode_server::ApiError;
use healthcode_server::api::{BatchResponse, CellRow, cells_from_rows};
use healthcode_server::clock::{Clock, SystemClock};
use healthcode_server::endpoints::Endpoint;
use healthcode_server::phone_service;
use healthcode_store::Store;
use indicatif::ProgressBar;

use super::feeds::{NO_ROW_LIMIT, unreadable};
use super::{ImportError, ImportFormat, LineError, Rows, progress_bar, read_rows, refused};
use crate::config::Config;

/// Reads, checks and registers the cells of a file; answers how many lines held a cell and
/// what the registration did.
pub fn import_cells(
    store: &dyn Store,
    clock: &dyn Clock,
    path: &Path,
    format: ImportFormat,
    progress: &ProgressBar,
) -> Result<(u64, BatchResponse), ImportError> {
    let rows = read_rows::<CellRow>(path, format, progress, "cell")?;
    store_cells(store, clock, rows, progress)
}

/// Checks and registers the cells read from a file, as [`import_cells`] does once it has read
/// them: for a caller that reads the file itself.
pub(crate) fn store_cells(
    store: &dyn Store,
    clock: &dyn Clock,
    mut rows: Rows<CellRow>,
    progress: &ProgressBar,
) -> Result<(u64, BatchResponse), ImportError> {
    let now = clock.now();
    if !rows.errors.is_empty() {
        let (_, errors) = cells_from_rows(&rows.rows, now);
        return Err(unreadable(rows, errors));
    }
    let lines = rows.line_count();
    progress.set_message("storing");
    let access = Access::new(Actor::LocalOperator, Endpoint::RegisterCells.purpose(), now);
    let list = std::mem::take(&mut rows.rows);
    match phone_service::register_cells(store, &access, list, NO_ROW_LIMIT) {
        Ok(response) => Ok((lines, response)),
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

/// `healthcode import cells FILE`: imports a file and prints the outcome.
pub fn run(
    config: &Config,
    path: &Path,
    format: Option<ImportFormat>,
    json: bool,
) -> anyhow::Result<()> {
    let format = ImportFormat::of(path, format)?;
    let progress = progress_bar(path, json)?;
    let store = crate::open_store(&config.data_dir)?;
    let outcome = import_cells(&store, &SystemClock, path, format, &progress);
    progress.finish_and_clear();
    match outcome {
        Ok((lines, response)) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "lines": lines,
                        "stored": response.stored,
                        "duplicates": response.duplicates,
                    })
                );
            } else {
                let noun = if lines == 1 { "cell" } else { "cells" };
                println!(
                    "Imported {lines} {noun}: {} registered, {} already registered.",
                    response.stored, response.duplicates
                );
            }
            Ok(())
        }
        Err(ImportError::InvalidLines { lines, errors }) => Err(refused(lines, &errors, json)),
        Err(other) => Err(other).with_context(|| format!("importing {}", path.display())),
    }
}
