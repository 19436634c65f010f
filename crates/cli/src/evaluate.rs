//! `healthcode evaluate`: runs the same simulated city under each policy, and once with no
//! intervention, and compares how well the colours matched the true infections (see
//! `healthcode_sim::evaluate` for the model and the measures).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use healthcode_core::rating::Policy;
use healthcode_sim::evaluate::{DayCount, Evaluation, evaluate};
use plotters::prelude::*;
use serde::Serialize;

use crate::policy::load_policy_file;
use crate::simulate::{CityArgs, days_progress};

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// A policy file to evaluate; give one or more.
    #[arg(long = "policy", value_name = "FILE", required = true)]
    policies: Vec<PathBuf>,
    #[command(flatten)]
    city: CityArgs,
    /// A folder to draw the charts into (made if need be): `epidemic.svg`, new infections per
    /// day under each policy, and `colours-NAME-VERSION.svg`, the share of residents yellow
    /// and red each day.
    #[arg(long, value_name = "DIR")]
    charts: Option<PathBuf>,
    /// Print the comparison as JSON, with every day's counts, and no progress bar.
    #[arg(long)]
    json: bool,
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct Report<'a> {
    residents: usize,
    days: u32,
    seed: u64,
    skipped_scans: f64,
    no_intervention: Measured<'a>,
    policies: Vec<Measured<'a>>,
}

/// One run with its measures worked out.
#[derive(Debug, Serialize)]
struct Measured<'a> {
    #[serde(flatten)]
    evaluation: &'a Evaluation,
    red_precision: Option<f64>,
    red_recall: Option<f64>,
    red_or_yellow_precision: Option<f64>,
    red_or_yellow_recall: Option<f64>,
    /// Infections as a share of those with no intervention.
    infections_relative: Option<f64>,
}

impl<'a> Measured<'a> {
    fn of(evaluation: &'a Evaluation, none: &Evaluation) -> Measured<'a> {
        Measured {
            evaluation,
            red_precision: evaluation.red.precision(),
            red_recall: evaluation.red.recall(),
            red_or_yellow_precision: evaluation.red_or_yellow.precision(),
            red_or_yellow_recall: evaluation.red_or_yellow.recall(),
            infections_relative: (none.infections > 0)
                .then(|| evaluation.infections as f64 / none.infections as f64),
        }
    }
}

pub fn run(args: EvaluateArgs) -> anyhow::Result<()> {
    let policies: Vec<Policy> = args
        .policies
        .iter()
        .map(|file| load_policy_file(file))
        .collect::<anyhow::Result<_>>()?;
    let scenario = args.city.city();
    let runs = 1 + policies.len() as u64;
    let progress = days_progress(args.json, runs * u64::from(scenario.days));
    let mut done = 0;
    let mut evaluate_under = |policy: Option<&Policy>| {
        let evaluation = evaluate(&scenario, policy, |day| {
            progress.set_position(done + u64::from(day))
        })
        .expect("the scenario is a city");
        done += u64::from(scenario.days);
        evaluation
    };
    let none = evaluate_under(None);
    let evaluations: Vec<Evaluation> = policies
        .iter()
        .map(|policy| evaluate_under(Some(policy)))
        .collect();
    progress.finish_and_clear();

    if let Some(folder) = &args.charts {
        draw_charts(folder, &none, &evaluations)
            .with_context(|| format!("drawing the charts into {}", folder.display()))?;
    }
    if args.json {
        let report = Report {
            residents: scenario.residents,
            days: scenario.days,
            seed: scenario.seed,
            skipped_scans: args.city.skipped_scans,
            no_intervention: Measured::of(&none, &none),
            policies: evaluations
                .iter()
                .map(|evaluation| Measured::of(evaluation, &none))
                .collect(),
        };
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", table(&args.city, &none, &evaluations));
        if let Some(folder) = &args.charts {
            println!("charts drawn into {}", folder.display());
        }
    }
    Ok(())
}

/// The comparison as a table, one policy a row.
fn table(city: &CityArgs, none: &Evaluation, evaluations: &[Evaluation]) -> String {
    let mut text = format!(
        "{} residents, {} days, seed {}: {} infected with no intervention\n\n",
        city.residents, city.days, city.seed, none.infections
    );
    text.push_str(&format!(
        "{:<22} {:>21} {:>21} {:>12} {:>17} {:>10} {:>7} {:>9}\n",
        "", "red", "red or yellow", "isolation", "infections", "justified", "", "contacts"
    ));
    text.push_str(&format!(
        "{:<22} {:>10} {:>10} {:>10} {:>10} {:>12} {:>17} {:>10} {:>7} {:>9}\n",
        "policy",
        "precision",
        "recall",
        "precision",
        "recall",
        "person-days",
        "(vs none)",
        "appeals",
        "cases",
        "traced"
    ));
    for evaluation in evaluations {
        let relative = if none.infections > 0 {
            format!(
                "{:.0}%",
                100.0 * evaluation.infections as f64 / none.infections as f64
            )
        } else {
            "-".to_owned()
        };
        text.push_str(&format!(
            "{:<22} {:>10} {:>10} {:>10} {:>10} {:>12} {:>17} {:>10} {:>7} {:>9}\n",
            evaluation.policy.as_deref().unwrap_or("none"),
            share(evaluation.red.precision()),
            share(evaluation.red.recall()),
            share(evaluation.red_or_yellow.precision()),
            share(evaluation.red_or_yellow.recall()),
            evaluation.isolation_person_days,
            format!("{} ({relative})", evaluation.infections),
            evaluation.justified_appeals,
            evaluation.cases,
            evaluation.close_contacts + evaluation.secondary_contacts,
        ));
    }
    text.push_str(
        "\nPrecision: the share of red (or red-or-yellow) person-days that were infected; recall: the share\n\
         of infected person-days that were red (or red or yellow); infected means within 14 days of infection.\n\
         A justified appeal is a spell of yellow or red of someone never infected during it.\n",
    );
    text
}

fn share(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |value| format!("{value:.3}"))
}

/// A named line of (day, value) points, in its colour.
type Line = (String, RGBColor, Vec<(u32, f64)>);

const YELLOW: RGBColor = RGBColor(230, 170, 0);
const RED_LINE: RGBColor = RGBColor(214, 39, 40);

/// Line colours for the runs, no intervention first.
const PALETTE: [RGBColor; 6] = [
    RGBColor(90, 90, 90),
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

fn draw_charts(folder: &Path, none: &Evaluation, evaluations: &[Evaluation]) -> anyhow::Result<()> {
    std::fs::create_dir_all(folder)?;
    let runs: Vec<&Evaluation> = std::iter::once(none).chain(evaluations).collect();
    let lines: Vec<Line> = runs
        .iter()
        .enumerate()
        .map(|(index, run)| {
            (
                run.policy
                    .clone()
                    .unwrap_or_else(|| "no intervention".to_owned()),
                PALETTE[index % PALETTE.len()],
                run.daily
                    .iter()
                    .map(|day| (day.day, f64::from(day.new_infections)))
                    .collect(),
            )
        })
        .collect();
    line_chart(
        &folder.join("epidemic.svg"),
        "New infections per day",
        "new infections",
        &lines,
    )?;
    for evaluation in evaluations {
        let name = evaluation.policy.as_deref().unwrap_or("none");
        let residents = |day: &DayCount| f64::from(day.green + day.yellow + day.red).max(1.0);
        let series = |pick: fn(&DayCount) -> u32| -> Vec<(u32, f64)> {
            evaluation
                .daily
                .iter()
                .map(|day| (day.day, 100.0 * f64::from(pick(day)) / residents(day)))
                .collect()
        };
        line_chart(
            &folder.join(format!("colours-{}.svg", name.replace('@', "-"))),
            &format!("Residents yellow and red under {name}"),
            "% of residents",
            &[
                ("yellow".to_owned(), YELLOW, series(|day| day.yellow)),
                ("red".to_owned(), RED_LINE, series(|day| day.red)),
                (
                    "infected (truth)".to_owned(),
                    PALETTE[0],
                    series(|day| day.infected),
                ),
            ],
        )?;
    }
    Ok(())
}

/// Draws lines into an SVG file.
fn line_chart(path: &Path, title: &str, unit: &str, lines: &[Line]) -> anyhow::Result<()> {
    let days = lines
        .iter()
        .flat_map(|(_, _, points)| points.iter().map(|(day, _)| *day + 1))
        .max()
        .unwrap_or(1);
    let highest = lines
        .iter()
        .flat_map(|(_, _, points)| points.iter().map(|(_, value)| *value))
        .fold(0.0_f64, f64::max);
    let root = SVGBackend::new(path, (900, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0u32..days, 0.0..(highest * 1.05).max(1.0))?;
    chart
        .configure_mesh()
        .x_desc("day")
        .y_desc(unit)
        .light_line_style(WHITE)
        .draw()?;
    for &(ref name, colour, ref points) in lines {
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                colour.stroke_width(2),
            ))?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
