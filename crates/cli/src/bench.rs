//! `healthcode bench ingest`: how fast bulk check-ins go into the embedded store;
//! `healthcode bench rerate` ([`rerate`]): how fast a population is re-rated;
//! `healthcode bench trace` ([`trace`]): how fast cases are traced and their contacts re-rated.
//!
//! Every benchmark's residents, venues, check-ins and facts come from the simulator
//! (`healthcode_sim`, turned into the store's types by [`city`]); the store's bench module only
//! writes them.
//!
//! The check-ins of `bench ingest` are those of the simulated city's first days, as many as
//! asked for. Three paths are measured in one run, on the same rows and the same schema, so
//! that the figures are ratios against a peer rather than absolute numbers on a shared, noisy
//! machine: the store's batch ingest (`Store::ingest_check_ins`), a raw rusqlite peer that
//! inserts the same rows with a plain prepared statement, and the HTTP batch endpoint of a
//! server running in this process. Each store measurement starts from a fresh data directory
//! with the same residents and venues, and the two store paths alternate so that drift hits
//! both alike.

pub mod city;
pub mod pass;
pub mod rerate;
pub mod simulate;
pub mod trace;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, ValueEnum};
use healthcode_core::{Access, Actor, CheckIn, Purpose, Role};
use healthcode_server::api::CheckInRequest;
use healthcode_server::clock::{Clock, SystemClock};
use healthcode_sim::{CityRun, Isolation};
use healthcode_store::sqlite::bench::{RawPeer, seed_population};
use healthcode_store::{SqliteStore, Store};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use self::city::{EventIds, Registered};

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
    /// Residents of the simulated city whose check-ins are stored (its venues follow from
    /// them: workplaces, school classes, shops, restaurants, gyms).
    #[arg(long, default_value_t = 20_000)]
    residents: usize,
    /// How many times each path is measured; medians are reported.
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// How the check-ins arrive: `feed` (in order of entry, time-ordered event ids, as from a
    /// live feed) or `shuffled` (the same days' check-ins in random order with random event
    /// ids, the indexes' worst case).
    #[arg(long, value_enum, default_value_t = Workload::Feed)]
    workload: Workload,
    /// Seed of the simulated city.
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
    pub residents: usize,
    pub venues: usize,
    /// Simulated days whose check-ins were stored (the last perhaps in part).
    pub days: u32,
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

/// The most simulated days drawn for the check-ins asked for.
const MOST_DAYS: u32 = 3_650;

/// The residents, venues and check-ins of one run, from the simulated city.
struct Rows {
    city: Registered,
    check_ins: Vec<CheckIn>,
    /// Simulated days the check-ins come from.
    days: u32,
}

impl Rows {
    /// The simulated city of `options.residents` residents and the check-ins of its first days,
    /// `options.rows` of them, arriving as `options.workload` says.
    fn generate(options: &IngestOptions) -> anyhow::Result<Rows> {
        let mut run = CityRun::start(
            &city::scenario(options.residents, MOST_DAYS, options.seed),
            city::SKIPPED_SCANS,
        );
        let city = Registered::of(&run);
        let ids = match options.workload {
            Workload::Feed => EventIds::TimeOrdered,
            Workload::Shuffled => EventIds::Random,
        };
        let nobody = vec![Isolation::None; run.population.len()];
        let mut check_ins = Vec::with_capacity(options.rows);
        let mut days = 0;
        while check_ins.len() < options.rows {
            anyhow::ensure!(
                days < MOST_DAYS,
                "{} residents make only {} check-ins in {MOST_DAYS} days: give more residents \
                 or fewer rows",
                options.residents,
                check_ins.len()
            );
            let today = run.day(days, &nobody);
            let mut day = city.check_ins(days, &today, ids);
            day.sort_unstable_by_key(|check_in| (check_in.entered(), check_in.event_id()));
            check_ins.extend(day);
            days += 1;
        }
        check_ins.truncate(options.rows);
        if options.workload == Workload::Shuffled {
            check_ins.shuffle(&mut StdRng::seed_from_u64(options.seed));
        }
        Ok(Rows {
            city,
            check_ins,
            days,
        })
    }

    /// A fresh data directory holding the residents and venues and no check-ins.
    fn prepare(&self, dir: &Path) -> anyhow::Result<SqliteStore> {
        let store = SqliteStore::open(dir).context("opening a bench store")?;
        let access = Access::new(Actor::LocalOperator, Purpose::BulkImport, SystemClock.now());
        seed_population(&store, &access, &self.city.persons, &self.city.venues)
            .context("storing the residents and venues")?;
        Ok(store)
    }
}

pub fn run_ingest(options: &IngestOptions) -> anyhow::Result<()> {
    anyhow::ensure!(
        options.rows > 0 && options.batch > 0 && options.repeats > 0,
        "rows, batch and repeats must be positive"
    );
    anyhow::ensure!(options.residents > 0, "residents must be positive");
    let started = Instant::now();
    let rows = Rows::generate(options)?;
    if !options.json {
        eprintln!(
            "drew {} check-ins over {} days of a simulated city of {} residents and {} venues in \
             {:.1} s",
            rows.check_ins.len(),
            rows.days,
            rows.city.persons.len(),
            rows.city.venues.len(),
            started.elapsed().as_secs_f64()
        );
    }
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
        residents: rows.city.persons.len(),
        venues: rows.city.venues.len(),
        days: rows.days,
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
            "check-in ingest, {} rows ({} workload, {} days of {} residents at {} venues) in \
             batches of {}, median of {}:",
            figures.rows,
            options
                .workload
                .to_possible_value()
                .expect("no variant is skipped")
                .get_name(),
            figures.days,
            figures.residents,
            figures.venues,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn options(workload: Workload) -> IngestOptions {
        IngestOptions {
            rows: 2_000,
            batch: 500,
            residents: 300,
            repeats: 1,
            workload,
            seed: 3,
            json: true,
        }
    }

    #[test]
    fn feed_check_ins_arrive_in_order_of_entry_with_event_ids_ordered_by_their_time() {
        let rows = Rows::generate(&options(Workload::Feed)).unwrap();
        assert_eq!(rows.check_ins.len(), 2_000);
        assert!(rows.days > 1, "{} days", rows.days);
        for pair in rows.check_ins.windows(2) {
            assert!(pair[0].entered() <= pair[1].entered());
            assert!(pair[0].event_id() < pair[1].event_id());
        }
        for check_in in &rows.check_ins {
            let id = check_in.event_id().as_uuid();
            assert_eq!(id.get_version_num(), 7);
            let (seconds, nanos) = id.get_timestamp().unwrap().to_unix();
            let millis = seconds as i64 * 1_000 + i64::from(nanos / 1_000_000);
            assert_eq!(millis, check_in.entered().as_millisecond());
        }
    }

    #[test]
    fn shuffled_check_ins_arrive_in_no_order_with_random_event_ids() {
        let rows = Rows::generate(&options(Workload::Shuffled)).unwrap();
        assert_eq!(rows.check_ins.len(), 2_000);
        assert!(
            rows.check_ins
                .iter()
                .all(|check_in| check_in.event_id().as_uuid().get_version_num() == 4)
        );
        assert!(
            rows.check_ins
                .windows(2)
                .any(|pair| pair[0].entered() > pair[1].entered())
        );
        let feed = Rows::generate(&options(Workload::Feed)).unwrap();
        assert_eq!(rows.days, feed.days);
    }

    #[test]
    fn too_few_residents_for_the_rows_asked_is_an_error_not_an_endless_draw() {
        let mut asked = options(Workload::Feed);
        asked.residents = 1;
        asked.rows = 100_000;
        let Err(error) = Rows::generate(&asked) else {
            panic!("{} rows drawn from one resident", asked.rows);
        };
        assert!(error.to_string().contains("give more residents"), "{error}");
    }
}
