//! `healthcode bench ingest`: how fast bulk check-ins go into the embedded store;
//! `healthcode bench rerate` ([`rerate`]): how fast a population is re-rated;
//! `healthcode bench trace` ([`trace`]): how fast cases are traced and their contacts re-rated.
//!
//! Three paths are measured in one run, on the same rows and the same schema, so that the
//! figures are ratios against a peer rather than absolute numbers on a shared, noisy machine:
//! the store's batch ingest (`Store::ingest_check_ins`), a raw rusqlite peer that inserts the
//! same rows with a plain prepared statement, and the HTTP batch endpoint of a server running
//! in this process. Each store measurement starts from a fresh data directory with the same
//! residents and venues, and the two store paths alternate so that drift hits both alike.

pub mod pass;
pub mod rerate;
pub mod trace;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, ValueEnum};
use healthcode_core::{Access, Actor, CheckIn, Purpose, Role, Timestamp};
use healthcode_server::api::CheckInRequest;
use healthcode_server::clock::{Clock, SystemClock};
use healthcode_store::sqlite::bench::{
    Arrival, Population, RawPeer, seed_population, synthetic_check_ins,
};
use healthcode_store::{SqliteStore, Store};

/// The staff account that posts batches in the HTTP measurement.
const FEED_USERNAME: &str = "bench.feed";

#[derive(Debug, Clone, Args)]
pub struct IngestOptions {
    /// Check-ins per measurement.
    #[arg(long, default_value_t = 500_000)]
    rows: usize,
    /// Check-ins per batch (one transaction, one HTTP request).
    #[arg(long, default_value_t = 10_000)]
    batch: usize,
    /// Residents the check-ins are spread over.
    #[arg(long, default_value_t = 20_000)]
    residents: usize,
    /// Venues the check-ins are spread over.
    #[arg(long, default_value_t = 2_000)]
    venues: usize,
    /// How many times each path is measured; medians are reported.
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// How the check-ins arrive: `feed` (in order of entry, time-ordered event ids, as from a
    /// live feed) or `shuffled` (random times and random event ids, the indexes' worst case).
    #[arg(long, value_enum, default_value_t = Workload::Feed)]
    workload: Workload,
    /// Seed of the generated rows.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

/// The figures of one run, in check-ins per second (medians over the repeats).
#[derive(Debug, Clone, serde::Serialize)]
pub struct IngestFigures {
    pub rows: usize,
    pub batch: usize,
    pub workload: Workload,
    pub repeats: usize,
    pub store_rate: f64,
    pub raw_rate: f64,
    /// Median over the repeats of (store rate / raw rate) measured back to back.
    pub store_to_raw_ratio: f64,
    pub http_rate: f64,
    pub http_to_raw_ratio: f64,
}

/// The arrival patterns `--workload` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Workload {
    Feed,
    Shuffled,
}

/// The residents, venues and check-ins of one run, generated from a seed.
struct Rows {
    population: Population,
    check_ins: Vec<CheckIn>,
}

impl Rows {
    fn generate(options: &IngestOptions) -> Rows {
        let population = Population::generate(options.residents, options.venues, options.seed);
        let arrival = match options.workload {
            Workload::Feed => Arrival::Feed,
            Workload::Shuffled => Arrival::Shuffled,
        };
        let start: Timestamp = "2026-02-01T00:00:00Z".parse().expect("a valid timestamp");
        let check_ins =
            synthetic_check_ins(&population, options.rows, start, options.seed, arrival);
        Rows {
            population,
            check_ins,
        }
    }

    /// A fresh data directory holding the population and no check-ins.
    fn prepare(&self, dir: &Path) -> anyhow::Result<SqliteStore> {
        let store = SqliteStore::open(dir).context("opening a bench store")?;
        let access = Access::new(Actor::LocalOperator, Purpose::BulkImport, SystemClock.now());
        seed_population(&store, &access, &self.population).context("storing the population")?;
        Ok(store)
    }
}

pub fn run_ingest(options: &IngestOptions) -> anyhow::Result<()> {
    anyhow::ensure!(
        options.rows > 0 && options.batch > 0 && options.repeats > 0,
        "rows, batch and repeats must be positive"
    );
    anyhow::ensure!(
        options.residents > 0 && options.venues > 0,
        "residents and venues must be positive"
    );
    let rows = Rows::generate(options);
    let mut store_rates = Vec::new();
    let mut raw_rates = Vec::new();
    let mut ratios = Vec::new();
    let mut http_rates = Vec::new();
    for repeat in 0..options.repeats {
        // Alternate which path goes first so that warm caches and drift favour neither.
        let (store_rate, raw_rate) = if repeat % 2 == 0 {
            let store_rate = measure_store(&rows, options.batch)?;
            (store_rate, measure_raw(&rows, options.batch)?)
        } else {
            let raw_rate = measure_raw(&rows, options.batch)?;
            (measure_store(&rows, options.batch)?, raw_rate)
        };
        let http_rate = measure_http(&rows, options.batch)?;
        if !options.json {
            eprintln!(
                "repeat {}: store {:.0}/s, raw {:.0}/s, http {:.0}/s",
                repeat + 1,
                store_rate,
                raw_rate,
                http_rate
            );
        }
        store_rates.push(store_rate);
        raw_rates.push(raw_rate);
        ratios.push(store_rate / raw_rate);
        http_rates.push(http_rate);
    }
    let raw_rate = median(&mut raw_rates);
    let http_rate = median(&mut http_rates);
    let figures = IngestFigures {
        rows: options.rows,
        batch: options.batch,
        workload: options.workload,
        repeats: options.repeats,
        store_rate: median(&mut store_rates),
        raw_rate,
        store_to_raw_ratio: median(&mut ratios),
        http_rate,
        http_to_raw_ratio: http_rate / raw_rate,
    };
    if options.json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        println!(
            "check-in ingest, {} rows ({} workload) in batches of {}, median of {}:",
            figures.rows,
            options
                .workload
                .to_possible_value()
                .expect("no variant is skipped")
                .get_name(),
            figures.batch,
            figures.repeats
        );
        println!(
            "  store batch ingest   {:>12.0} check-ins/s",
            figures.store_rate
        );
        println!(
            "  raw rusqlite insert  {:>12.0} check-ins/s",
            figures.raw_rate
        );
        println!(
            "  store / raw          {:>12.2}",
            figures.store_to_raw_ratio
        );
        println!(
            "  HTTP batch endpoint  {:>12.0} check-ins/s",
            figures.http_rate
        );
        println!("  HTTP / raw           {:>12.2}", figures.http_to_raw_ratio);
    }
    Ok(())
}

pub(crate) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 0 {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    }
}

fn rate(rows: usize, elapsed: Duration) -> f64 {
    rows as f64 / elapsed.as_secs_f64()
}

fn measure_store(rows: &Rows, batch: usize) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    let store = rows.prepare(dir.path())?;
    let access = Access::new(Actor::LocalOperator, Purpose::BulkImport, SystemClock.now());
    let started = Instant::now();
    for chunk in rows.check_ins.chunks(batch) {
        let report = store.ingest_check_ins(&access, chunk)?;
        anyhow::ensure!(
            report.stored == chunk.len() as u64,
            "the store skipped rows: {report:?}"
        );
    }
    // Closing is timed too: it finishes copying the log into the database file.
    drop(store);
    Ok(rate(rows.check_ins.len(), started.elapsed()))
}

fn measure_raw(rows: &Rows, batch: usize) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    drop(rows.prepare(dir.path())?);
    let database = dir
        .path()
        .join(healthcode_store::sqlite::DATABASE_FILE_NAME);
    let mut peer = RawPeer::open(&database)?;
    let started = Instant::now();
    for chunk in rows.check_ins.chunks(batch) {
        let stored = peer.insert_check_ins(chunk)?;
        anyhow::ensure!(stored == chunk.len() as u64, "the raw peer skipped rows");
    }
    drop(peer);
    Ok(rate(rows.check_ins.len(), started.elapsed()))
}

fn measure_http(rows: &Rows, batch: usize) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    let store: Arc<dyn Store> = Arc::new(rows.prepare(dir.path())?);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let address = listener.local_addr()?;
        let password = crate::generate_password();
        healthcode_server::accounts::create_staff_account(
            store.as_ref(),
            clock.as_ref(),
            FEED_USERNAME,
            &password,
            Role::CheckpointWorker,
        )?;
        let mut config = healthcode_server::ServerConfig::default();
        config.batch_max_events = config.batch_max_events.max(batch);
        // About 230 bytes of JSON per check-in; leave room.
        config.batch_body_limit_bytes = config.batch_body_limit_bytes.max(batch * 512);
        let passes = healthcode_server::Passes::open(
            dir.path(),
            healthcode_server::PassConfig::default(),
            clock.now(),
        )?;
        let router = healthcode_server::router(store, clock, config, passes);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(healthcode_server::serve(listener, router, async {
            let _ = stopped.await;
        }));
        let token = sign_in(address, &password).await?;
        // Bodies are encoded before the clock starts: the client's work is not the server's.
        let bodies: Vec<Vec<u8>> = rows
            .check_ins
            .chunks(batch)
            .map(|chunk| {
                let events: Vec<CheckInRequest> = chunk.iter().map(CheckInRequest::from).collect();
                serde_json::to_vec(&serde_json::json!({ "events": events }))
            })
            .collect::<Result<_, _>>()?;
        let client = reqwest::Client::new();
        let url = format!("http://{address}/v1/check-ins/batch");
        let started = Instant::now();
        for body in bodies {
            let response = client
                .post(&url)
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await?;
            anyhow::ensure!(
                response.status().is_success(),
                "batch refused: {}",
                response.status()
            );
        }
        // Stopping the server drops the store, which finishes its checkpoint: timed too.
        let _ = stop.send(());
        server.await??;
        Ok(rate(rows.check_ins.len(), started.elapsed()))
    })
}

/// Signs the feed account in over HTTP, as a data feed would.
async fn sign_in(address: SocketAddr, password: &str) -> anyhow::Result<String> {
    let response = reqwest::Client::new()
        .post(format!("http://{address}/v1/sessions"))
        .json(&serde_json::json!({ "username": FEED_USERNAME, "password": password }))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "signing in refused: {}",
        response.status()
    );
    let session: serde_json::Value = response.json().await?;
    session["token"]
        .as_str()
        .map(str::to_owned)
        .context("the session has no token")
}
