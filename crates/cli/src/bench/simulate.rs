//! `healthcode bench simulate`: how many person-days a second the simulator runs with every
//! event written to files, against the same city simulated without writing anything (the
//! peer, in the same process, round by round), with the process's peak memory.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use healthcode_sim::{CityRun, Isolation, Mode, Scenario, Summary, simulate};
use serde::Serialize;

use super::median;

#[derive(Debug, Args)]
pub struct SimulateOptions {
    #[arg(long, default_value_t = 1_000_000)]
    residents: usize,
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// Rounds; the peer and the full run alternate round by round, and medians are reported.
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// Where to write each round's files (a fresh folder inside, deleted after the round); by
    /// default the system's temporary folder.
    #[arg(long, value_name = "DIR")]
    scratch: Option<PathBuf>,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

/// Medians over the rounds.
#[derive(Debug, Serialize)]
struct Figures {
    residents: usize,
    days: u32,
    rounds: u32,
    /// Simulating and writing every file.
    full_seconds: f64,
    full_person_days_per_second: f64,
    /// Simulating the same city without writing anything.
    peer_seconds: f64,
    peer_person_days_per_second: f64,
    full_over_peer: f64,
    /// The most memory the process held (VmHWM), in MiB.
    peak_mib: Option<f64>,
    bytes_written: u64,
    summary: Summary,
}

pub fn run(options: &SimulateOptions) -> anyhow::Result<()> {
    anyhow::ensure!(
        options.residents > 0 && options.days > 0 && options.rounds > 0,
        "nothing to measure"
    );
    let scenario = Scenario {
        residents: options.residents,
        days: options.days,
        seed: 1,
        year: 2026,
        mode: Mode::City { skipped_scans: 0.1 },
    };
    let scratch = options.scratch.clone().unwrap_or_else(std::env::temp_dir);
    let (mut full, mut peer) = (Vec::new(), Vec::new());
    let mut written = None;
    for round in 0..options.rounds {
        let started = Instant::now();
        let mut run = CityRun::start(&scenario, 0.1);
        let nobody = vec![Isolation::None; options.residents];
        for day in 0..options.days {
            std::hint::black_box(run.day(day, &nobody));
        }
        drop(run);
        peer.push(started.elapsed().as_secs_f64());

        let folder = tempfile::Builder::new()
            .prefix("healthcode-bench-simulate-")
            .tempdir_in(&scratch)
            .with_context(|| format!("making a folder in {}", scratch.display()))?;
        let started = Instant::now();
        let summary = simulate(&scenario, folder.path(), |_| {})?;
        full.push(started.elapsed().as_secs_f64());
        written = Some((summary, folder_size(folder.path())?));
        if !options.json {
            eprintln!(
                "round {}: full {:.1} s, peer {:.1} s",
                round + 1,
                full[round as usize],
                peer[round as usize]
            );
        }
    }
    let (summary, bytes_written) = written.expect("at least one round");
    let person_days = options.residents as f64 * f64::from(options.days);
    let (full_seconds, peer_seconds) = (median(&mut full), median(&mut peer));
    let figures = Figures {
        residents: options.residents,
        days: options.days,
        rounds: options.rounds,
        full_seconds,
        full_person_days_per_second: person_days / full_seconds,
        peer_seconds,
        peer_person_days_per_second: person_days / peer_seconds,
        full_over_peer: full_seconds / peer_seconds,
        peak_mib: peak_memory_mib(),
        bytes_written,
        summary,
    };
    if options.json {
        println!("{}", serde_json::to_string(&figures)?);
        return Ok(());
    }
    println!(
        "{} residents × {} days, {} rounds, medians:",
        figures.residents, figures.days, figures.rounds
    );
    println!(
        "  with every file written: {:>7.1} s, {:>10.0} person-days a second",
        figures.full_seconds, figures.full_person_days_per_second
    );
    println!(
        "  simulated only (peer):   {:>7.1} s, {:>10.0} person-days a second",
        figures.peer_seconds, figures.peer_person_days_per_second
    );
    println!("  full over peer: {:.2}", figures.full_over_peer);
    let summary = &figures.summary;
    println!(
        "  written: {:.1} GB ({} check-ins, {} boardings, {} cell pings, {} declarations, {} tests)",
        figures.bytes_written as f64 / 1e9,
        summary.check_ins.unwrap_or(0),
        summary.boardings.unwrap_or(0),
        summary.cell_pings.unwrap_or(0),
        summary.declarations.unwrap_or(0) + summary.travel_declarations.unwrap_or(0),
        summary.tests.unwrap_or(0),
    );
    match figures.peak_mib {
        Some(peak) => println!("  peak memory of the process: {peak:.0} MiB"),
        None => println!("  peak memory of the process: not known on this system"),
    }
    Ok(())
}

/// The bytes of every file under `folder`.
fn folder_size(folder: &std::path::Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let metadata = entry.metadata()?;
        total += if metadata.is_dir() {
            folder_size(&entry.path())?
        } else {
            metadata.len()
        };
    }
    Ok(total)
}

/// The process's peak resident memory in MiB, from `/proc/self/status` where there is one.
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
