//! `healthcode bench ingest`: how fast bulk check-ins go into the embedded store.
//!
//! Three paths are measured in one run, on the same rows and the same schema, so that the
//! figures are ratios against a peer rather than absolute numbers on a shared, noisy machine:
//! the store's batch ingest (`Store::ingest_check_ins`), a raw rusqlite peer that inserts the
//! same rows with a plain prepared statement, and the HTTP batch endpoint of a server running
//! in this process. Each store measurement starts from a fresh data directory with the same
//! residents and venues, and the two store paths alternate so that drift hits both alike.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use healthcode_core::{
    Access, Actor, CheckIn, CheckInSource, EventId, GeoPoint, OpeningHours, Person, PersonId,
    PersonName, PhoneNumber, Purpose, RegionCode, ResidentId, Role, Timestamp, Venue, VenueId,
    VenueKind,
};
use healthcode_server::api::CheckInRequest;
use healthcode_server::clock::{Clock, SystemClock};
use healthcode_store::{Enrolment, SqliteStore, Store, TokenHash};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The staff account that posts batches in the HTTP measurement.
const FEED_USERNAME: &str = "bench.feed";

/// Synthetic resident ID numbers stay distinct up to this many residents.
const MAX_RESIDENTS: usize = 60_000;

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
    pub repeats: usize,
    pub store_rate: f64,
    pub raw_rate: f64,
    /// Median over the repeats of (store rate / raw rate) measured back to back.
    pub store_to_raw_ratio: f64,
    pub http_rate: f64,
    pub http_to_raw_ratio: f64,
}

/// The residents, venues and check-ins one run uses, generated from a seed.
struct Workload {
    persons: Vec<Person>,
    venues: Vec<Venue>,
    check_ins: Vec<CheckIn>,
}

pub fn run_ingest(options: &IngestOptions) -> anyhow::Result<()> {
    anyhow::ensure!(
        options.rows > 0 && options.batch > 0 && options.repeats > 0,
        "rows, batch and repeats must be positive"
    );
    anyhow::ensure!(
        (1..=MAX_RESIDENTS).contains(&options.residents) && options.venues > 0,
        "residents must be between 1 and {MAX_RESIDENTS}, venues positive"
    );
    let workload = Workload::generate(options);
    let mut store_rates = Vec::new();
    let mut raw_rates = Vec::new();
    let mut ratios = Vec::new();
    let mut http_rates = Vec::new();
    for repeat in 0..options.repeats {
        // Alternate which path goes first so that warm caches and drift favour neither.
        let (store_rate, raw_rate) = if repeat % 2 == 0 {
            let store_rate = measure_store(&workload, options.batch)?;
            (store_rate, measure_raw(&workload, options.batch)?)
        } else {
            let raw_rate = measure_raw(&workload, options.batch)?;
            (measure_store(&workload, options.batch)?, raw_rate)
        };
        let http_rate = measure_http(&workload, options.batch)?;
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
            "check-in ingest, {} rows in batches of {}, median of {}:",
            figures.rows, figures.batch, figures.repeats
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

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 0 {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    }
}

impl Workload {
    fn generate(options: &IngestOptions) -> Workload {
        let mut rng = StdRng::seed_from_u64(options.seed);
        let start: Timestamp = "2026-02-01T00:00:00Z".parse().expect("valid timestamp");
        let district = RegionCode::parse("330106").expect("valid region");
        let persons = (0..options.residents)
            .map(|index| {
                // Year and sequence number keep synthetic ID numbers distinct up to 60,000.
                let year = 1950 + index / 1000;
                let seventeen = format!("330106{year}0101{:03}", index % 1000);
                let resident_id =
                    ResidentId::with_check_character(&seventeen).expect("valid synthetic id");
                Person {
                    id: PersonId::from_uuid(random_uuid(&mut rng)),
                    resident_id,
                    name: PersonName::parse(&format!("Resident {index}")).expect("valid name"),
                    phone: PhoneNumber::parse(&format!("139{:08}", index)).expect("valid phone"),
                    enrolled_at: start,
                }
            })
            .collect::<Vec<Person>>();
        let venues = (0..options.venues)
            .map(|index| Venue {
                id: VenueId::from_uuid(random_uuid(&mut rng)),
                name: format!("Venue {index}"),
                kind: VenueKind::ALL[index % VenueKind::ALL.len()],
                district,
                location: GeoPoint::new(
                    30.27 + rng.random_range(-0.05..0.05),
                    120.15 + rng.random_range(-0.05..0.05),
                )
                .expect("valid location"),
                opening_hours: OpeningHours::always(),
                registered_at: start,
            })
            .collect::<Vec<Venue>>();
        let check_ins = (0..options.rows)
            .map(|_| {
                let person = &persons[rng.random_range(0..persons.len())];
                let venue = &venues[rng.random_range(0..venues.len())];
                let entered = start + Duration::from_secs(rng.random_range(0..14 * 24 * 3600));
                let left = rng
                    .random_bool(0.8)
                    .then(|| entered + Duration::from_secs(rng.random_range(60..3 * 3600)));
                let event_id =
                    EventId::from_uuid(random_uuid(&mut rng)).expect("random uuids are not nil");
                CheckIn::new(
                    event_id,
                    venue.id,
                    person.id,
                    entered,
                    left,
                    CheckInSource::VenueScansPerson,
                )
                .expect("left is after entered")
            })
            .collect();
        Workload {
            persons,
            venues,
            check_ins,
        }
    }

    /// A fresh data directory holding this workload's residents and venues, and no check-ins.
    fn prepare(&self, dir: &Path) -> anyhow::Result<SqliteStore> {
        let store = SqliteStore::open(dir).context("opening a bench store")?;
        let access = Access::new(Actor::LocalOperator, Purpose::Enrolment, SystemClock.now());
        for (index, person) in self.persons.iter().enumerate() {
            let mut token = [0; 32];
            token[..8].copy_from_slice(&(index as u64).to_le_bytes());
            let enrolment = Enrolment {
                event_id: EventId::from_uuid(person.id.as_uuid()).expect("person ids are not nil"),
                person: person.clone(),
                device_token: TokenHash(token),
            };
            store
                .enrol(&access, &enrolment)
                .context("enrolling a bench resident")?;
        }
        for venue in &self.venues {
            store
                .register_venue(venue)
                .context("registering a bench venue")?;
        }
        Ok(store)
    }
}

fn random_uuid(rng: &mut StdRng) -> uuid::Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

fn rate(rows: usize, elapsed: Duration) -> f64 {
    rows as f64 / elapsed.as_secs_f64()
}

fn measure_store(workload: &Workload, batch: usize) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    let store = workload.prepare(dir.path())?;
    let access = Access::new(Actor::LocalOperator, Purpose::BulkImport, SystemClock.now());
    let started = Instant::now();
    for chunk in workload.check_ins.chunks(batch) {
        let report = store.ingest_check_ins(&access, chunk)?;
        anyhow::ensure!(
            report.stored == chunk.len() as u64,
            "the store skipped rows: {report:?}"
        );
    }
    Ok(rate(workload.check_ins.len(), started.elapsed()))
}

fn measure_raw(workload: &Workload, batch: usize) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    drop(workload.prepare(dir.path())?);
    let database = dir
        .path()
        .join(healthcode_store::sqlite::DATABASE_FILE_NAME);
    let started = Instant::now();
    for chunk in workload.check_ins.chunks(batch) {
        let stored = healthcode_store::sqlite::bench::raw_insert_check_ins(&database, chunk)?;
        anyhow::ensure!(stored == chunk.len() as u64, "the raw peer skipped rows");
    }
    Ok(rate(workload.check_ins.len(), started.elapsed()))
}

fn measure_http(workload: &Workload, batch: usize) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    let store: Arc<dyn Store> = Arc::new(workload.prepare(dir.path())?);
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
        let router = healthcode_server::router(store, clock, config);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(healthcode_server::serve(listener, router, async {
            let _ = stopped.await;
        }));
        let token = sign_in(address, &password).await?;
        // Bodies are encoded before the clock starts: the client's work is not the server's.
        let bodies: Vec<Vec<u8>> = workload
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
        let elapsed = started.elapsed();
        let _ = stop.send(());
        server.await??;
        Ok(rate(workload.check_ins.len(), elapsed))
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
