//! `healthcode simulate`: a synthetic city and its epidemic, written to a folder with its
//! ground truth kept apart (see `healthcode_sim::output` for the files).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use healthcode_sim::{Scenario, simulate};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// How many residents the city has.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    residents: usize,
    /// The most days to simulate; a run ends sooner when the epidemic is over.
    #[arg(long, value_name = "D", default_value_t = 60)]
    days: u32,
    /// The seed: the same seed writes the same bytes.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// The folder to write into (made if need be).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Everyone meets everyone, at the rate that gives `--r0`. This is the only mode so far;
    /// the city's daily life (homes, work, school, venues, transit) is not simulated yet.
    #[arg(long, required = true, requires = "r0")]
    well_mixed: bool,
    /// The basic reproduction number of the well-mixed epidemic.
    #[arg(long, value_name = "R", value_parser = parse_r0)]
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

pub fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let scenario = Scenario {
        residents: args.residents,
        days: args.days,
        seed: args.seed,
        year: 2026,
        r0: args.r0.context("--well-mixed needs --r0")?,
    };
    let progress = if args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(u64::from(args.days))
    };
    progress.set_style(
        ProgressStyle::with_template("{spinner} day {pos}/{len} [{bar:40}] ({eta})")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    let summary = simulate(&scenario, &args.out, |day| {
        progress.set_position(u64::from(day))
    })
    .with_context(|| format!("writing the simulation into {}", args.out.display()))?;
    progress.finish_and_clear();
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        println!(
            "{} residents in {} households, {} days (over after {}): {} infected, attack rate {:.2}% (the final-size relation gives {:.2}% for R0 {})",
            summary.residents,
            summary.households,
            summary.days,
            summary.days_run,
            summary.infected,
            summary.attack_rate * 100.0,
            summary.final_size_relation * 100.0,
            summary.r0
        );
        println!("wrote {}", args.out.display());
    }
    Ok(())
}
