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
//! travel_declarations.csv  event_id, person_id, declared_at, region, from, to
//!                       (city mode; a trip out of the city, dates inclusive)
//! test_results.csv      event_id, resident_id, kind, outcome, sampled_at, reported_at
//!                       (city mode; the format `healthcode import test-results` reads)
//! pharmacy_purchases.csv  event_id, resident_id, medicine, purchased_at
//!                       (city mode; the format `healthcode import pharmacy-purchases` reads)
//! boardings.csv         event_id, trip_id, mode, trip_code, departs_at, resident_id, seat,
//!                       boarded_at, alighted_at
//!                       (city mode; the format `healthcode import boardings` reads)
//! cells.csv             cell_id, latitude, longitude, city
//!                       (city mode; the format `healthcode import cells` reads)
//! cell_pings.csv        event_id, resident_id, cell_id, seen_at
//!                       (city mode; the format `healthcode import cell-pings` reads)
//! region_risk.csv       region, level
//!                       (city mode; the list officials publish, for `healthcode region-risk
//!                       publish`)
//! ```
//!
//! The ground truth, never read by the system, and the summary:
//!
//! ```text
//! truth/infections.csv  person_id, day, infector_id, setting, venue_id, trip_id, region
//! truth/illnesses.csv   person_id, onset_day, cause, declared  (cause: covid or cold)
//! truth/journeys.csv    person_id, region, left_on, back_on, declared
//! summary.json          the scenario and its outcome, as `simulate --json` prints it
//! ```
//!
//! CSV files have a header line and one row per record, in a fixed order; days count from 0,
//! day 0 being Monday 2 March 2026 in UTC+8, and times are RFC 3339 in UTC; an index case has
//! an empty `infector_id` and the setting `index`; `venue_id` is empty except for infections
//! at a workplace, school (`work_or_school`) or venue (`venue`), `trip_id` except on a bus or
//! flight (`transit`), `region` except away from the city (`travel`, with no infector).
//! Well-mixed infections have the setting `well_mixed`.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use healthcode_core::{ResidentId, TransitMode};
use serde::Serialize;

use crate::city::{City, Visit};
use crate::health::{DECLARED_AT, Episode, PURCHASED_AT, Purchase, SAMPLED_AT, TestResult};
use crate::mobility::{DESTINATIONS, Journey, Mobility, Ping, Ride, TRAVEL_DECLARED_AT, Trip};
use crate::population::Population;
use crate::well_mixed::{self, Outcome};
use crate::{CityRun, Day, Scenario, local_date, local_time};

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
    /// City: bus and flight boardings, cell pings, trips out of the city (in the ground truth)
    /// and their declarations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boardings: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell_pings: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journeys: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub travel_declarations: Option<u64>,
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
            "",
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
        boardings: None,
        cell_pings: None,
        journeys: None,
        travel_declarations: None,
    };
    write_summary(out, &summary)?;
    Ok(summary)
}

const INFECTION_HEADER: [&str; 7] = [
    "person_id",
    "day",
    "infector_id",
    "setting",
    "venue_id",
    "trip_id",
    "region",
];

/// One day's events for the files, each with its event id.
#[derive(Debug)]
pub struct DayRecords {
    day: u32,
    day_events: Day,
    boarding_ids: Vec<uuid::Uuid>,
    ping_ids: Vec<uuid::Uuid>,
    travel_ids: Vec<uuid::Uuid>,
    declarations: Vec<(Episode, uuid::Uuid)>,
    results: Vec<(TestResult, uuid::Uuid)>,
    purchases: Vec<(Purchase, uuid::Uuid)>,
}

impl DayRecords {
    /// The records of `today`, day `day` of `run`, with event ids drawn from `run`'s streams.
    pub fn of(day: u32, today: Day, run: &mut CityRun) -> DayRecords {
        let movement = &today.movement;
        let boarding_ids = movement
            .rides
            .iter()
            .map(|_| run.next_movement_id())
            .collect();
        let ping_ids = movement
            .pings
            .iter()
            .map(|_| run.next_movement_id())
            .collect();
        let travel_ids = movement
            .returned
            .iter()
            .map(|_| run.next_movement_id())
            .collect();
        let mut declarations = Vec::new();
        for episode in today.today.episodes.clone() {
            let event_id = run.next_event_id();
            let episode = &run.health.episodes[episode];
            if episode.declared {
                declarations.push((episode.clone(), event_id));
            }
        }
        let results = today
            .today
            .results
            .clone()
            .map(|result| (run.health.results[result], run.next_event_id()))
            .collect();
        let purchases = today
            .today
            .purchases
            .clone()
            .map(|purchase| (run.health.purchases[purchase], run.next_event_id()))
            .collect();
        DayRecords {
            day,
            day_events: today,
            boarding_ids,
            ping_ids,
            travel_ids,
            declarations,
            results,
            purchases,
        }
    }

    /// Writes the day into the files.
    pub fn write(self, writer: &mut CityWriter) -> Result<(), OutputError> {
        let (day, today) = (self.day, &self.day_events);
        for &(visit, event_id) in &today.check_ins {
            writer.check_in(day, &today.visits[visit], event_id)?;
        }
        let movement = &today.movement;
        for (ride, &event_id) in movement.rides.iter().zip(&self.boarding_ids) {
            writer.boarding(day, &movement.trips[ride.trip as usize], ride, event_id)?;
        }
        for (ping, &event_id) in movement.pings.iter().zip(&self.ping_ids) {
            writer.ping(day, ping, event_id)?;
        }
        for (journey, &event_id) in movement.returned.iter().zip(&self.travel_ids) {
            if journey.declared {
                writer.travel_declaration(journey, event_id)?;
            }
        }
        for (episode, event_id) in &self.declarations {
            writer.declaration(episode, *event_id)?;
        }
        for (result, event_id) in &self.results {
            writer.test_result(result, *event_id)?;
        }
        for (purchase, event_id) in &self.purchases {
            writer.purchase(purchase, *event_id)?;
        }
        Ok(())
    }
}

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
    boardings: Table,
    pings: Table,
    travel: Table,
    cell_ids: Vec<String>,
    times: DayTimes,
}

/// Every minute of one day, written as the files write times: most rows of a day share them.
#[derive(Debug, Default)]
struct DayTimes {
    day: Option<u32>,
    minutes: Vec<String>,
}

impl DayTimes {
    /// Makes `at` answer for `day`.
    fn prepare(&mut self, day: u32) {
        if self.day != Some(day) {
            self.day = Some(day);
            self.minutes = (0..24 * 60)
                .map(|minute| local_time(day, minute).to_string())
                .collect();
        }
    }

    /// The time `minutes` after local midnight of the prepared day.
    fn at(&self, minutes: u16) -> &str {
        &self.minutes[usize::from(minutes)]
    }
}

impl CityWriter {
    pub fn create(
        out: &Path,
        population: &Population,
        city: &City,
        mobility: &Mobility,
    ) -> Result<CityWriter, OutputError> {
        make_folders(out)?;
        write_residents(out, population)?;
        let mut cells = Table::create(
            out.join("cells.csv"),
            ["cell_id", "latitude", "longitude", "city"],
        )?;
        for cell in &mobility.cells {
            cells.row([
                cell.cell_id.as_str(),
                &format!("{:.5}", cell.latitude),
                &format!("{:.5}", cell.longitude),
                cell.region,
            ])?;
        }
        cells.finish()?;
        let mut risk = Table::create(out.join("region_risk.csv"), ["region", "level"])?;
        for destination in &DESTINATIONS {
            if let Some(level) = destination.level {
                risk.row([destination.region, level.code()])?;
            }
        }
        risk.finish()?;
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
            check_ins: Table::plain(
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
            boardings: Table::plain(
                out.join("boardings.csv"),
                [
                    "event_id",
                    "trip_id",
                    "mode",
                    "trip_code",
                    "departs_at",
                    "resident_id",
                    "seat",
                    "boarded_at",
                    "alighted_at",
                ],
            )?,
            pings: Table::plain(
                out.join("cell_pings.csv"),
                ["event_id", "resident_id", "cell_id", "seen_at"],
            )?,
            travel: Table::create(
                out.join("travel_declarations.csv"),
                [
                    "event_id",
                    "person_id",
                    "declared_at",
                    "region",
                    "from",
                    "to",
                ],
            )?,
            cell_ids: mobility
                .cells
                .iter()
                .map(|cell| cell.cell_id.clone())
                .collect(),
            times: DayTimes::default(),
        })
    }

    /// Writes a boarding of one of the day's trips: a bus card's tap as the bus departs, or a
    /// flight's passenger with a seat, boarding as it departs and alighting as it lands.
    pub fn boarding(
        &mut self,
        day: u32,
        trip: &Trip,
        ride: &Ride,
        event_id: uuid::Uuid,
    ) -> Result<(), OutputError> {
        self.times.prepare(day);
        let departs = self.times.at(trip.departs);
        let seat = ride.seat.map_or_else(String::new, |(row, letter)| {
            format!("{row}{}", char::from(b'A' + letter))
        });
        let alighted = match trip.mode {
            TransitMode::Bus => "",
            _ => self.times.at(trip.departs + trip.minutes),
        };
        let mut id = uuid::Uuid::encode_buffer();
        let mut trip_id = uuid::Uuid::encode_buffer();
        self.boardings.row([
            event_id.hyphenated().encode_lower(&mut id) as &str,
            trip.trip_id.hyphenated().encode_lower(&mut trip_id),
            trip.mode.code(),
            &trip.code,
            departs,
            self.resident_ids[ride.person as usize].as_str(),
            &seat,
            departs,
            alighted,
        ])
    }

    /// Writes a cell's sighting of a phone.
    pub fn ping(&mut self, day: u32, ping: &Ping, event_id: uuid::Uuid) -> Result<(), OutputError> {
        self.times.prepare(day);
        let mut id = uuid::Uuid::encode_buffer();
        self.pings.row([
            event_id.hyphenated().encode_lower(&mut id) as &str,
            self.resident_ids[ping.person as usize].as_str(),
            &self.cell_ids[ping.cell as usize],
            self.times.at(ping.minutes),
        ])
    }

    /// Writes the declaration of a trip out of the city, on the evening the resident is back.
    pub fn travel_declaration(
        &mut self,
        journey: &Journey,
        event_id: uuid::Uuid,
    ) -> Result<(), OutputError> {
        self.travel.row([
            event_id.to_string().as_str(),
            &self.person_ids[journey.person as usize],
            &local_time(journey.back_on, TRAVEL_DECLARED_AT).to_string(),
            DESTINATIONS[journey.destination as usize].region,
            &local_date(journey.left_on).to_string(),
            &local_date(journey.back_on).to_string(),
        ])
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
        self.times.prepare(day);
        let mut id = uuid::Uuid::encode_buffer();
        self.check_ins.row([
            event_id.hyphenated().encode_lower(&mut id) as &str,
            &self.venue_ids[visit.venue as usize],
            &self.person_ids[visit.person as usize],
            self.times.at(visit.from),
            self.times.at(visit.until),
            "person_scans_venue",
        ])
    }

    /// Writes the ground truth and the summary.
    pub fn finish(
        self,
        scenario: &Scenario,
        skipped_scans: f64,
        run: &CityRun,
        journeys_made: &[Journey],
    ) -> Result<Summary, OutputError> {
        let (spread, health) = (&run.spread, &run.health);
        let check_ins = self.check_ins.finish()?;
        let boardings = self.boardings.finish()?;
        let pings = self.pings.finish()?;
        let travel_declarations = self.travel.finish()?;
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
            let trip = infection
                .setting
                .trip()
                .map(|trip| trip.to_string())
                .unwrap_or_default();
            let region = infection
                .setting
                .destination()
                .map_or("", |destination| DESTINATIONS[destination as usize].region);
            infections.row([
                id(infection.person).as_str(),
                &infection.day.to_string(),
                &infection.infector.map(id).unwrap_or_default(),
                infection.setting.code(),
                &venue,
                &trip,
                region,
            ])?;
        }
        infections.finish()?;
        let mut journeys = Table::create(
            truth.join("journeys.csv"),
            ["person_id", "region", "left_on", "back_on", "declared"],
        )?;
        for journey in journeys_made {
            journeys.row([
                self.person_ids[journey.person as usize].as_str(),
                DESTINATIONS[journey.destination as usize].region,
                &journey.left_on.to_string(),
                &journey.back_on.to_string(),
                if journey.declared { "true" } else { "false" },
            ])?;
        }
        let journeys = journeys.finish()?;
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
            boardings: Some(boardings),
            cell_pings: Some(pings),
            journeys: Some(journeys),
            travel_declarations: Some(travel_declarations),
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
        Table::with_quoting(path, header, csv::QuoteStyle::Necessary)
    }

    /// A table whose fields never need quoting: UUIDs, codes, numbers and times, nothing a
    /// person or an operator wrote. The busiest files skip looking for characters to quote.
    fn plain<const N: usize>(path: PathBuf, header: [&str; N]) -> Result<Table, OutputError> {
        Table::with_quoting(path, header, csv::QuoteStyle::Never)
    }

    fn with_quoting<const N: usize>(
        path: PathBuf,
        header: [&str; N],
        quoting: csv::QuoteStyle,
    ) -> Result<Table, OutputError> {
        let file = fs::File::create(&path).map_err(|source| OutputError::Io {
            path: path.clone(),
            source,
        })?;
        let writer = csv::WriterBuilder::new()
            .quote_style(quoting)
            .buffer_capacity(1 << 20)
            .from_writer(file);
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
