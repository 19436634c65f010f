//! A synthetic city and its epidemic, deterministic by seed, with a ground truth kept apart
//! from what the system sees: the data of every test, benchmark and demo, and the yardstick of
//! rule sets.
//!
//! - [`population`]: residents in households, with ages and valid synthetic ID numbers;
//! - [`well_mixed`]: the epidemic when everyone meets everyone, checked against the SIR
//!   final-size relation;
//! - [`output`]: what a run writes: the residents (what the system may see), the ground truth
//!   under `truth/`, and a summary.
//!
//! Every random draw comes from ChaCha8 streams seeded by [`Scenario::seed`], one stream per
//! part (the population, the epidemic), so the same seed gives byte-identical output on every
//! machine, and changing one part's draws does not shift another's.

pub mod output;
pub mod population;
pub mod well_mixed;

use std::path::Path;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

pub use output::{OutputError, Summary};
pub use population::{Population, Resident};

/// The random stream of the population.
const POPULATION_STREAM: u64 = 1;
/// The random stream of the epidemic.
const EPIDEMIC_STREAM: u64 = 2;

/// What to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub residents: usize,
    /// The most days to run; a run ends sooner when the epidemic is over.
    pub days: u32,
    pub seed: u64,
    /// The year of the first day, which ages and birth dates count from.
    pub year: i16,
    /// The only mode so far: everyone meets everyone, with this basic reproduction number.
    pub r0: f64,
}

/// Runs `scenario` and writes its output into `out` (made if need be): see [`output`].
/// `on_day` is called after each simulated day with its number.
pub fn simulate(
    scenario: &Scenario,
    out: &Path,
    on_day: impl FnMut(u32),
) -> Result<Summary, OutputError> {
    let mut population_rng = stream(scenario.seed, POPULATION_STREAM);
    let population = Population::generate(scenario.residents, scenario.year, &mut population_rng);
    let mut epidemic_rng = stream(scenario.seed, EPIDEMIC_STREAM);
    let outcome = well_mixed::run(
        population.len(),
        scenario.r0,
        scenario.days,
        &mut epidemic_rng,
        on_day,
    );
    output::write(out, scenario, &population, &outcome)
}

/// The random stream `stream` of `seed`.
fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}
