//! A synthetic city and its epidemic, deterministic by seed, with a ground truth kept apart
//! from what the system sees: the data of every test, benchmark and demo, and the yardstick of
//! rule sets.
//!
//! - [`population`]: residents in households, with ages and valid synthetic ID numbers;
//! - [`city`]: venues, workplaces and schools, and each day's visits;
//! - [`spread`]: the epidemic in homes, workplaces, schools and venues;
//! - [`mobility`]: buses to work, trips out of the city by air, cell towers and what they see;
//! - [`health`]: symptoms (of COVID-19 and of colds), declarations and laboratory tests;
//! - [`run`]: the city's life and epidemic, one day at a time;
//! - [`evaluate`]: a rating policy put to work on the city through the real rating and
//!   tracing engines, and judged against the ground truth;
//! - [`well_mixed`]: the epidemic when everyone meets everyone, checked against the SIR
//!   final-size relation;
//! - [`output`]: what a run writes: what the system may see (residents, venues, check-ins),
//!   the ground truth under `truth/`, and a summary.
//!
//! Every random draw comes from ChaCha8 streams seeded by [`Scenario::seed`], one stream per
//! part (the population, the city, daily life, the epidemic, residents' compliance, the
//! system's identifiers), so the same seed gives byte-identical output on every machine, and
//! changing one part's draws does not shift another's.

pub mod city;
pub mod evaluate;
pub mod health;
pub mod mobility;
pub mod output;
pub mod population;
pub mod run;
pub mod spread;
pub mod well_mixed;

use std::path::Path;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

pub use output::{OutputError, Summary};
pub use population::{Population, Resident};
pub use run::{CityRun, Day, local_date, local_time};
pub use spread::Isolation;

const POPULATION_STREAM: u64 = 1;
const EPIDEMIC_STREAM: u64 = 2;
const CITY_STREAM: u64 = 3;
const DAILY_LIFE_STREAM: u64 = 4;
const SCAN_STREAM: u64 = 5;
const HEALTH_STREAM: u64 = 6;
const HEALTH_ID_STREAM: u64 = 7;
const BEHAVIOUR_STREAM: u64 = 8;
const SYSTEM_STREAM: u64 = 9;
const MOBILITY_STREAM: u64 = 10;
const MOVEMENT_ID_STREAM: u64 = 11;

/// What to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub residents: usize,
    /// The most days to run; a well-mixed run ends sooner when the epidemic is over.
    pub days: u32,
    pub seed: u64,
    /// The year of the first day, which ages and birth dates count from.
    pub year: i16,
    pub mode: Mode,
}

/// How people meet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// Everyone meets everyone, with this basic reproduction number.
    WellMixed { r0: f64 },
    /// Daily life in the city: homes, workplaces, schools and venues. `skipped_scans` is the
    /// share of visits nobody scans in for (no check-in is recorded, but the visit happens).
    City { skipped_scans: f64 },
}

/// Runs `scenario` and writes its output into `out` (made if need be): see [`output`].
/// `on_day` is called after each simulated day with its number.
pub fn simulate(
    scenario: &Scenario,
    out: &Path,
    mut on_day: impl FnMut(u32),
) -> Result<Summary, OutputError> {
    match scenario.mode {
        Mode::WellMixed { r0 } => {
            let population = Population::generate(
                scenario.residents,
                scenario.year,
                &mut stream(scenario.seed, POPULATION_STREAM),
            );
            let outcome = well_mixed::run(
                population.len(),
                r0,
                scenario.days,
                &mut stream(scenario.seed, EPIDEMIC_STREAM),
                on_day,
            );
            output::write_well_mixed(out, scenario, r0, &population, &outcome)
        }
        Mode::City { skipped_scans } => {
            let mut run = CityRun::start(scenario, skipped_scans);
            let nobody_isolated = vec![Isolation::None; run.population.len()];
            let writer =
                output::CityWriter::create(out, &run.population, &run.city, &run.mobility)?;
            let mut journeys = Vec::new();
            // The files are written on a thread of their own while the next day is simulated.
            let (days, written) = std::sync::mpsc::sync_channel::<output::DayRecords>(2);
            std::thread::scope(|scope| {
                let writing = scope.spawn(move || {
                    let mut writer = writer;
                    for records in written {
                        records.write(&mut writer)?;
                    }
                    Ok::<_, OutputError>(writer)
                });
                for day in 0..scenario.days {
                    let today = run.day(day, &nobody_isolated);
                    journeys.extend_from_slice(&today.movement.returned);
                    let records = output::DayRecords::of(day, today, &mut run);
                    if days.send(records).is_err() {
                        // The writer stopped on an error, which joining it answers.
                        break;
                    }
                    on_day(day + 1);
                }
                drop(days);
                let writer = writing.join().expect("writing the files does not panic")?;
                writer.finish(scenario, skipped_scans, &run, &journeys)
            })
        }
    }
}

/// The random stream `stream` of `seed`.
fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}
