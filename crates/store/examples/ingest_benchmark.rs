//! Measures bulk check-in ingest: the SQLite store against a raw rusqlite peer on the same rows.
//!
//! `cargo run --release -p healthcode-store --example ingest_benchmark [check-ins] [persons]`
//! (defaults: 500,000 check-ins over 20,000 persons and 2,000 venues, batches of 10,000).
//! `healthcode bench ingest` runs the same measurement.

use std::process::ExitCode;

use healthcode_store::sqlite::bench::{IngestBenchmark, run_ingest_benchmark};

fn main() -> ExitCode {
    let mut config = IngestBenchmark::default();
    let mut arguments = std::env::args().skip(1);
    if let Some(check_ins) = arguments.next() {
        config.check_ins = check_ins.parse().expect("check-ins should be a number");
    }
    if let Some(persons) = arguments.next() {
        config.persons = persons.parse().expect("persons should be a number");
    }
    let work_dir = tempfile::tempdir().expect("a temporary directory");
    match run_ingest_benchmark(work_dir.path(), &config) {
        Ok(report) => {
            println!("{config:?}");
            println!(
                "store: {:>10.0} check-ins/s ({:.2} s)",
                report.store_rows_per_second(),
                report.store_elapsed.as_secs_f64()
            );
            println!(
                "raw:   {:>10.0} check-ins/s ({:.2} s)",
                report.raw_rows_per_second(),
                report.raw_elapsed.as_secs_f64()
            );
            println!("store/raw: {:.2}", report.store_to_raw_ratio());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("benchmark failed: {error}");
            ExitCode::FAILURE
        }
    }
}
