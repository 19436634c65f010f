//! What a run writes into its output folder:
//!
//! ```text
//! residents.csv             person_id, resident_id, age, sex, household, district
//!                           (what the system may see: who lives in the city)
//! truth/infections.csv      person_id, day, infector_id, setting
//!                           (the ground truth: never read by the system)
//! summary.json              the scenario and its outcome, as `--json` prints it
//! ```
//!
//! CSV files have a header line and one row per record, in a fixed order; days count from 0;
//! an index case has an empty `infector_id` and the setting `index`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::Scenario;
use crate::population::Population;
use crate::well_mixed::{self, Outcome};

/// Why the output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("cannot write {path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
}

/// The scenario and what came of it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub mode: &'static str,
    pub seed: u64,
    pub residents: usize,
    pub households: usize,
    pub days: u32,
    /// Days simulated before the epidemic was over (or `days`).
    pub days_run: u32,
    pub r0: f64,
    pub index_cases: usize,
    /// Everyone ever infected, index cases included.
    pub infected: usize,
    pub attack_rate: f64,
    /// The attack rate the SIR final-size relation predicts for `r0`.
    pub final_size_relation: f64,
}

/// Writes the run into `out`.
pub fn write(
    out: &Path,
    scenario: &Scenario,
    population: &Population,
    outcome: &Outcome,
) -> Result<Summary, OutputError> {
    let truth = out.join("truth");
    fs::create_dir_all(&truth).map_err(|source| OutputError::Io {
        path: truth.clone(),
        source,
    })?;

    let path = out.join("residents.csv");
    let mut residents = csv_writer(&path)?;
    let csv_error = |path: &Path| {
        let path = path.to_owned();
        move |source| OutputError::Csv { path, source }
    };
    residents
        .write_record([
            "person_id",
            "resident_id",
            "age",
            "sex",
            "household",
            "district",
        ])
        .map_err(csv_error(&path))?;
    for resident in &population.residents {
        residents
            .write_record([
                resident.person_id.to_string().as_str(),
                resident.resident_id.as_str(),
                &resident.age.to_string(),
                resident.sex.code(),
                &resident.household.to_string(),
                resident.district,
            ])
            .map_err(csv_error(&path))?;
    }
    finish(residents, &path)?;

    let path = truth.join("infections.csv");
    let mut infections = csv_writer(&path)?;
    infections
        .write_record(["person_id", "day", "infector_id", "setting"])
        .map_err(csv_error(&path))?;
    let id = |index: u32| population.residents[index as usize].person_id.to_string();
    for infection in &outcome.infections {
        let (infector, setting) = match infection.infector {
            Some(infector) => (id(infector), "well_mixed"),
            None => (String::new(), "index"),
        };
        infections
            .write_record([
                id(infection.person).as_str(),
                &infection.day.to_string(),
                &infector,
                setting,
            ])
            .map_err(csv_error(&path))?;
    }
    finish(infections, &path)?;

    let summary = Summary {
        mode: "well_mixed",
        seed: scenario.seed,
        residents: population.len(),
        households: population
            .residents
            .last()
            .map_or(0, |last| last.household as usize + 1),
        days: scenario.days,
        days_run: outcome.days_run,
        r0: scenario.r0,
        index_cases: outcome
            .infections
            .iter()
            .filter(|infection| infection.infector.is_none())
            .count(),
        infected: outcome.infections.len(),
        attack_rate: outcome.attack_rate(population.len()),
        final_size_relation: well_mixed::final_size(scenario.r0),
    };
    let path = out.join("summary.json");
    let mut text = serde_json::to_string_pretty(&summary).expect("a summary always serialises");
    text.push('\n');
    fs::write(&path, text).map_err(|source| OutputError::Io { path, source })?;
    Ok(summary)
}

fn csv_writer(path: &Path) -> Result<csv::Writer<fs::File>, OutputError> {
    csv::Writer::from_path(path).map_err(|source| OutputError::Csv {
        path: path.to_owned(),
        source,
    })
}

fn finish(mut writer: csv::Writer<fs::File>, path: &Path) -> Result<(), OutputError> {
    writer.flush().map_err(|source| OutputError::Io {
        path: path.to_owned(),
        source,
    })
}
