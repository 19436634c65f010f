//! `healthcode simulate`: a synthetic city and its epidemic, written to a folder with its
//! ground truth kept apart (see `healthcode_sim::output` for the files).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use healthcode_sim::{Mode, Scenario, simulate};
use indicatif::{ProgressBar, ProgressStyle};

/// The city and epidemic to simulate, shared by `simulate` and `evaluate`.
#[derive(Debug, Args)]
pub struct CityArgs {
    /// How many residents the city has.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub residents: usize,
    /// The most days to simulate; a well-mixed run ends sooner when the epidemic is over.
    #[arg(long, value_name = "D", default_value_t = 60)]
    pub days: u32,
    /// The seed: the same seed gives the same city, epidemic and output.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// The share of visits nobody scans in for: the visit happens, no check-in is recorded.
    #[arg(long, value_name = "SHARE", default_value_t = 0.1, value_parser = parse_share)]
    pub skipped_scans: f64,
}

impl CityArgs {
    /// The scenario in city mode.
    pub fn city(&self) -> Scenario {
        Scenario {
            residents: self.residents,
            days: self.days,
            seed: self.seed,
            year: 2026,
            mode: Mode::City {
                skipped_scans: self.skipped_scans,
            },
        }
    }
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    city: CityArgs,
    /// The folder to write into (made if need be).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Everyone meets everyone, at the rate that gives `--r0`, instead of the city's daily life
    /// (homes, workplaces, schools, shops, restaurants and gyms).
    #[arg(long, requires = "r0", conflicts_with = "skipped_scans")]
    well_mixed: bool,
    /// The basic reproduction number of the well-mixed epidemic.
    #[arg(long, value_name = "R", value_parser = parse_r0, requires = "well_mixed")]
    r0: Option<f64>,
    /// Print the summary as JSON (including `attack_rate`), and no progress bar.
    #[arg(long)]
    json: bool,
}

fn parse_r0(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(r0) if r0.is_finite() && r0 > 0.0 && r0 <= 50.0 => Ok(r0),
        _ => Err(format!(
            "{text:?} is not a reproduction number: give a number above 0, up to 50"
        )),
    }
}

fn parse_share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(share) if (0.0..=1.0).contains(&share) => Ok(share),
        _ => Err(format!(
            "{text:?} is not a share: give a number from 0 to 1"
        )),
    }
}

/// A progress bar over `days` simulated days, hidden when the output is JSON.
pub fn days_progress(hidden: bool, days: u64) -> ProgressBar {
    let progress = if hidden {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(days)
    };
    progress.set_style(
        ProgressStyle::with_template("{spinner} day {pos}/{len} [{bar:40}] ({eta})")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    progress
}

pub fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let mut scenario = args.city.city();
    if args.well_mixed {
        scenario.mode = Mode::WellMixed {
            r0: args.r0.context("--well-mixed needs --r0")?,
        };
    }
    let progress = days_progress(args.json, u64::from(scenario.days));
    let summary = simulate(&scenario, &args.out, |day| {
        progress.set_position(u64::from(day))
    })
    .with_context(|| format!("writing the simulation into {}", args.out.display()))?;
    progress.finish_and_clear();
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        println!(
            "{} residents in {} households, {} days (over after {}): {} infected, attack rate {:.2}%",
            summary.residents,
            summary.households,
            summary.days,
            summary.days_run,
            summary.infected,
            summary.attack_rate * 100.0,
        );
        if let (Some(r0), Some(predicted)) = (summary.r0, summary.final_size_relation) {
            println!(
                "the final-size relation gives {:.2}% for R0 {r0}",
                predicted * 100.0
            );
        }
        if let (Some(venues), Some(check_ins)) = (summary.venues, summary.check_ins) {
            println!("{venues} venues, {check_ins} check-ins written");
        }
        for (setting, count) in summary.infections_by_setting.iter().flatten() {
            println!("  infected at {setting}: {count}");
        }
        for (cause, count) in summary.illnesses_by_cause.iter().flatten() {
            println!("  fell ill with {cause}: {count}");
        }
        if let (Some(declarations), Some(tests), Some(positive)) =
            (summary.declarations, summary.tests, summary.positive_tests)
        {
            println!("{declarations} declarations of symptoms, {tests} tests, {positive} positive");
        }
        if let Some(purchases) = summary.pharmacy_purchases {
            println!("{purchases} sales of fever or cough medicine reported");
        }
        println!("wrote {}", args.out.display());
    }
    Ok(())
}
