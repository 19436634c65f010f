//! What a run writes into its output folder. What the system may see:
//!
//! ```text
//! residents.csv         person_id, resident_id, name, phone, age, sex, household, district
//! venues.csv            venue_id, name, kind, district, latitude, longitude, opening_hours
//!                       (city mode; the fields of POST /v1/venues)
//! check_ins.csv         event_id, venue_id, person_id, entered, left, source
//!                       (city mode; the format `healthcode import checkins` reads)
//! declarations.csv      event_id, person_id, declared_at, symptoms, temperature_celsius
//!                       (city mode; symptoms as codes separated by `;`)
//! test_results.csv      event_id, resident_id, kind, outcome, sampled_at, reported_at
//!                       (city mode; the format `healthcode import test-results` reads)
//! pharmacy_purchases.csv  event_id, resident_id, medicine, purchased_at
//!                       (city mode; the format `healthcode import pharmacy-purchases` reads)
//! ```
//!
//! The ground truth, never read by the system, and the summary:
//!
//! ```text
//! truth/infections.csv  person_id, day, infector_id, setting, venue_id
//! truth/illnesses.csv   person_id, onset_day, cause, declared  (cause: covid or cold)
//! summary.json          the scenario and its outcome, as `simulate --json` prints it
//! ```
//!
//! CSV files have a header line and one row per record, in a fixed order; days count from 0,
//! day 0 being Monday 2 March 2026 in UTC+8, and times are RFC 3339 in UTC; an index case has
//! an empty `infector_id` and the setting `index`; `venue_id` is empty except for infections
//! at a workplace, school (`work_or_school`) or venue (`venue`). Well-mixed infections have the
//! setting `well_mixed`.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use healthcode_core::ResidentId;
use serde::Serialize;

use crate::city::{City, Visit};
use crate::health::{DECLARED_AT, Episode, PURCHASED_AT, Purchase, SAMPLED_AT, TestResult};
use crate::population::Population;
use crate::well_mixed::{self, Outcome};
use crate::{CityRun, Scenario, local_time};

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
    /// `well_mixed` or `city`.
    pub mode: &'static str,
    pub seed: u64,
    pub residents: usize,
    pub households: usize,
    pub days: u32,
    /// Days simulated: `days`, or fewer when a well-mixed epidemic was over sooner.
    pub days_run: u32,
    pub index_cases: usize,
    /// Everyone ever infected, index cases included.
    pub infected: usize,
    pub attack_rate: f64,
    /// Well-mixed: the reproduction number, and the attack rate the SIR final-size relation
    /// predicts for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r0: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_size_relation: Option<f64>,
    /// City: venues, check-ins written, the share of visits not scanned, and infections by
    /// setting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub venues: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_ins: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped_scans: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub infections_by_setting: Option<BTreeMap<&'static str, usize>>,
    /// City: episodes of illness by cause, declarations, tests, positive tests and pharmacy
    /// sales of fever or cough medicine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub illnesses_by_cause: Option<BTreeMap<&'static str, usize>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declarations: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tests: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub positive_tests: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pharmacy_purchases: Option<u64>,
}

/// Writes a well-mixed run into `out`.
pub fn write_well_mixed(
    out: &Path,
    scenario: &Scenario,
    r0: f64,
    population: &Population,
    outcome: &Outcome,
) -> Result<Summary, OutputError> {
    let truth = make_folders(out)?;
    write_residents(out, population)?;
    let mut infections = Table::create(truth.join("infections.csv"), INFECTION_HEADER)?;
    let id = |index: u32| population.residents[index as usize].person_id.to_string();
    for infection in &outcome.infections {
        let (infector, setting) = match infection.infector {
            Some(infector) => (id(infector), "well_mixed"),
            None => (String::new(), "index"),
        };
        infections.row([
            id(infection.person).as_str(),
            &infection.day.to_string(),
            &infector,
            setting,
            "",
        ])?;
    }
    infections.finish()?;
    let summary = Summary {
        mode: "well_mixed",
        seed: scenario.seed,
        residents: population.len(),
        households: households(population),
        days: scenario.days,
        days_run: outcome.days_run,
        index_cases: outcome
            .infections
            .iter()
            .filter(|infection| infection.infector.is_none())
            .count(),
        infected: outcome.infections.len(),
        attack_rate: outcome.attack_rate(population.len()),
        r0: Some(r0),
        final_size_relation: Some(well_mixed::final_size(r0)),
        venues: None,
        check_ins: None,
        skipped_scans: None,
        infections_by_setting: None,
        illnesses_by_cause: None,
        declarations: None,
        tests: None,
        positive_tests: None,
        pharmacy_purchases: None,
    };
    write_summary(out, &summary)?;
    Ok(summary)
}

const INFECTION_HEADER: [&str; 5] = ["person_id", "day", "infector_id", "setting", "venue_id"];

/// Writes a city run as it goes: the residents and venues first, then each day's check-ins,
/// then the ground truth and the summary.
#[derive(Debug)]
pub struct CityWriter {
    out: PathBuf,
    /// Each resident's person id and resident ID number, and each venue's id, as written.
    person_ids: Vec<String>,
    resident_ids: Vec<ResidentId>,
    venue_ids: Vec<String>,
    check_ins: Table,
    declarations: Table,
    results: Table,
    positive: u64,
    purchases: Table,
}

impl CityWriter {
    pub fn create(
        out: &Path,
        population: &Population,
        city: &City,
    ) -> Result<CityWriter, OutputError> {
        make_folders(out)?;
        write_residents(out, population)?;
        let mut venues = Table::create(
            out.join("venues.csv"),
            [
                "venue_id",
                "name",
                "kind",
                "district",
                "latitude",
                "longitude",
                "opening_hours",
            ],
        )?;
        for venue in &city.venues {
            venues.row([
                venue.venue_id.to_string().as_str(),
                &venue.name,
                venue.kind.code(),
                crate::population::DISTRICTS[venue.district],
                &format!("{:.5}", venue.latitude),
                &format!("{:.5}", venue.longitude),
                venue.opening_hours,
            ])?;
        }
        venues.finish()?;
        Ok(CityWriter {
            out: out.to_owned(),
            person_ids: population
                .residents
                .iter()
                .map(|resident| resident.person_id.to_string())
                .collect(),
            resident_ids: population
                .residents
                .iter()
                .map(|resident| resident.resident_id.clone())
                .collect(),
            venue_ids: city
                .venues
                .iter()
                .map(|venue| venue.venue_id.to_string())
                .collect(),
            check_ins: Table::create(
                out.join("check_ins.csv"),
                [
                    "event_id",
                    "venue_id",
                    "person_id",
                    "entered",
                    "left",
                    "source",
                ],
            )?,
            declarations: Table::create(
                out.join("declarations.csv"),
                [
                    "event_id",
                    "person_id",
                    "declared_at",
                    "symptoms",
                    "temperature_celsius",
                ],
            )?,
            results: Table::create(
                out.join("test_results.csv"),
                [
                    "event_id",
                    "resident_id",
                    "kind",
                    "outcome",
                    "sampled_at",
                    "reported_at",
                ],
            )?,
            positive: 0,
            purchases: Table::create(
                out.join("pharmacy_purchases.csv"),
                ["event_id", "resident_id", "medicine", "purchased_at"],
            )?,
        })
    }

    /// Writes a declaration of `episode`'s symptoms, at 08:00 on its first day.
    pub fn declaration(
        &mut self,
        episode: &Episode,
        event_id: uuid::Uuid,
    ) -> Result<(), OutputError> {
        let symptoms: Vec<&str> = episode
            .symptoms
            .iter()
            .map(|symptom| symptom.code())
            .collect();
        let row = [
            event_id.to_string(),
            self.person_ids[episode.person as usize].clone(),
            local_time(episode.onset_day, DECLARED_AT).to_string(),
            symptoms.join(";"),
            format!("{:.1}", episode.temperature),
        ];
        self.declarations.row(&row)
    }

    /// Writes a laboratory result: sampled at 10:00, reported a day later.
    pub fn test_result(
        &mut self,
        result: &TestResult,
        event_id: uuid::Uuid,
    ) -> Result<(), OutputError> {
        let row = [
            event_id.to_string(),
            self.resident_ids[result.person as usize]
                .as_str()
                .to_owned(),
            "pcr".to_owned(),
            if result.positive {
                "positive"
            } else {
                "negative"
            }
            .to_owned(),
            local_time(result.sampled_day, SAMPLED_AT).to_string(),
            local_time(result.sampled_day + 1, SAMPLED_AT).to_string(),
        ];
        self.results.row(&row)?;
        self.positive += u64::from(result.positive);
        Ok(())
    }

    /// Writes a pharmacy's report of a sale, at 19:00.
    pub fn purchase(
        &mut self,
        purchase: &Purchase,
        event_id: uuid::Uuid,
    ) -> Result<(), OutputError> {
        let row = [
            event_id.to_string(),
            self.resident_ids[purchase.person as usize]
                .as_str()
                .to_owned(),
            purchase.medicine.code().to_owned(),
            local_time(purchase.day, PURCHASED_AT).to_string(),
        ];
        self.purchases.row(&row)
    }

    /// Writes the check-in of `visit` on `day`.
    pub fn check_in(
        &mut self,
        day: u32,
        visit: &Visit,
        event_id: uuid::Uuid,
    ) -> Result<(), OutputError> {
        let at = |minutes: u16| local_time(day, minutes);
        let row = [
            event_id.to_string(),
            self.venue_ids[visit.venue as usize].clone(),
            self.person_ids[visit.person as usize].clone(),
            at(visit.from).to_string(),
            at(visit.until).to_string(),
            "person_scans_venue".to_owned(),
        ];
        self.check_ins.row(&row)
    }

    /// Writes the ground truth and the summary.
    pub fn finish(
        self,
        scenario: &Scenario,
        skipped_scans: f64,
        run: &CityRun,
    ) -> Result<Summary, OutputError> {
        let (spread, health) = (&run.spread, &run.health);
        let check_ins = self.check_ins.finish()?;
        let declarations = self.declarations.finish()?;
        let tests = self.results.finish()?;
        let purchases = self.purchases.finish()?;
        let truth = self.out.join("truth");
        let mut illnesses = Table::create(
            truth.join("illnesses.csv"),
            ["person_id", "onset_day", "cause", "declared"],
        )?;
        let mut by_cause = BTreeMap::new();
        for episode in &health.episodes {
            *by_cause.entry(episode.cause.code()).or_insert(0) += 1;
            illnesses.row([
                self.person_ids[episode.person as usize].as_str(),
                &episode.onset_day.to_string(),
                episode.cause.code(),
                if episode.declared { "true" } else { "false" },
            ])?;
        }
        illnesses.finish()?;
        let mut infections = Table::create(truth.join("infections.csv"), INFECTION_HEADER)?;
        let id = |index: u32| self.person_ids[index as usize].clone();
        let mut by_setting = BTreeMap::new();
        for infection in &spread.infections {
            *by_setting.entry(infection.setting.code()).or_insert(0) += 1;
            let venue = infection
                .setting
                .venue()
                .map(|venue| self.venue_ids[venue as usize].clone())
                .unwrap_or_default();
            infections.row([
                id(infection.person).as_str(),
                &infection.day.to_string(),
                &infection.infector.map(id).unwrap_or_default(),
                infection.setting.code(),
                &venue,
            ])?;
        }
        infections.finish()?;
        let summary = Summary {
            mode: "city",
            seed: scenario.seed,
            residents: run.population.len(),
            households: households(&run.population),
            days: scenario.days,
            days_run: scenario.days,
            index_cases: by_setting.get("index").copied().unwrap_or(0),
            infected: spread.infections.len(),
            attack_rate: spread.infections.len() as f64 / run.population.len().max(1) as f64,
            r0: None,
            final_size_relation: None,
            venues: Some(self.venue_ids.len()),
            check_ins: Some(check_ins),
            skipped_scans: Some(skipped_scans),
            infections_by_setting: Some(by_setting),
            illnesses_by_cause: Some(by_cause),
            declarations: Some(declarations),
            tests: Some(tests),
            positive_tests: Some(self.positive),
            pharmacy_purchases: Some(purchases),
        };
        write_summary(&self.out, &summary)?;
        Ok(summary)
    }
}

fn make_folders(out: &Path) -> Result<PathBuf, OutputError> {
    let truth = out.join("truth");
    fs::create_dir_all(&truth).map_err(|source| OutputError::Io {
        path: truth.clone(),
        source,
    })?;
    Ok(truth)
}

fn households(population: &Population) -> usize {
    population
        .residents
        .last()
        .map_or(0, |last| last.household as usize + 1)
}

fn write_residents(out: &Path, population: &Population) -> Result<(), OutputError> {
    let mut residents = Table::create(
        out.join("residents.csv"),
        [
            "person_id",
            "resident_id",
            "name",
            "phone",
            "age",
            "sex",
            "household",
            "district",
        ],
    )?;
    for resident in &population.residents {
        residents.row([
            resident.person_id.to_string().as_str(),
            resident.resident_id.as_str(),
            resident.name.as_str(),
            resident.phone.as_str(),
            &resident.age.to_string(),
            resident.sex.code(),
            &resident.household.to_string(),
            crate::population::DISTRICTS[resident.district],
        ])?;
    }
    residents.finish().map(|_| ())
}

fn write_summary(out: &Path, summary: &Summary) -> Result<(), OutputError> {
    let path = out.join("summary.json");
    let mut text = serde_json::to_string_pretty(summary).expect("a summary always serialises");
    text.push('\n');
    fs::write(&path, text).map_err(|source| OutputError::Io { path, source })
}

/// One CSV file being written: where (for errors), its writer, and how many rows it holds
/// below its header.
#[derive(Debug)]
struct Table {
    path: PathBuf,
    writer: csv::Writer<fs::File>,
    rows: u64,
}

impl Table {
    fn create<const N: usize>(path: PathBuf, header: [&str; N]) -> Result<Table, OutputError> {
        let writer = csv::Writer::from_path(&path).map_err(|source| OutputError::Csv {
            path: path.clone(),
            source,
        })?;
        let mut table = Table {
            path,
            writer,
            rows: 0,
        };
        table.write(header)?;
        Ok(table)
    }

    fn row<I, T>(&mut self, row: I) -> Result<(), OutputError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.write(row)?;
        self.rows += 1;
        Ok(())
    }

    fn write<I, T>(&mut self, row: I) -> Result<(), OutputError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.writer
            .write_record(row)
            .map_err(|source| OutputError::Csv {
                path: self.path.clone(),
                source,
            })
    }

    /// Flushes the file, answering its rows.
    fn finish(mut self) -> Result<u64, OutputError> {
        self.writer.flush().map_err(|source| OutputError::Io {
            path: self.path,
            source,
        })?;
        Ok(self.rows)
    }
}
