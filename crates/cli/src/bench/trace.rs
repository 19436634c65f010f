//! `healthcode bench trace`: how fast confirmed cases are traced and their contacts re-rated,
//! in a simulated city of a million residents and a fortnight of their check-ins, against a
//! DuckDB peer.
//!
//! The city is the simulator's (`healthcode_sim`, turned into the store's types by
//! [`Registered`]): residents in households, their workplaces, school classes, shops,
//! restaurants and gyms, and each day's scanned visits with nobody isolated. It is written once
//! into a data directory in bulk ([`seed_city`]), its households registered as a community
//! would register them; `--data-dir` keeps it between runs. Then, with the default tracing
//! policy and the default rating policy, each repeat on other cases:
//!
//! - **one case, close contacts only**: the case traced for its close contacts
//!   ([`trace_close_contacts`]: core's algorithm over the store's visit index, as
//!   `Store::trace_case` runs it, asked for no secondary contacts), its contacts recorded
//!   (`Store::record_traced_cases`) and everyone recorded re-rated
//!   (`rating_service::rerate_people`), as an official's trace does;
//! - **a batch of cases** (1,000 by default), as `cases::trace_cases` takes them: traced on
//!   every core side by side (`Store::trace_cases`, in reader snapshots), their contacts
//!   recorded in one transaction (`Store::record_traced_cases`), then everyone recorded
//!   re-rated at once; close contacts only, unless `--batch-secondary`;
//! - **one case, fully**: `Store::trace_case` with its secondary contacts — everyone who met
//!   any of the case's close contacts since their exposure — recorded and re-rated. Measured
//!   last, since it records hundreds of thousands of contacts that the other measurements
//!   would otherwise read back as facts;
//! - **the peer**: the close contacts at venues of the same cases computed by DuckDB SQL
//!   (`bench/trace_peer.py`, run with the Python `duckdb` package) on the same check-ins,
//!   exported once as CSV. Only its query is timed. Its contacts must equal the store's, or the
//!   bench fails: a second code path that checks the first.
//!
//! Every case is registered before the clock starts; figures are medians over the repeats.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use healthcode_core::rating::{
    CaseId, CaseRecord, CaseStatus, ContactSetting, Policy, RatingCause,
};
use healthcode_core::trace::TracingPolicy;
use healthcode_core::{Access, Actor, EventId, PersonId, Purpose, Timestamp, VenueKind};
use healthcode_server::cases::with_contact_ids;
use healthcode_server::policies::ensure_default_policy;
use healthcode_server::rating_service::rerate_people;
use healthcode_sim::{CityRun, local_time};
use healthcode_store::sqlite::bench::{export_for_peer, seed_city, trace_close_contacts};
use healthcode_store::{SqliteStore, Store};
use jiff::SignedDuration;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::city::{self, EventIds, Registered};
use super::median;

/// The shipped default rating policy.
const DEFAULT_POLICY: &str = include_str!("../../../../policies/default.toml");
/// The DuckDB peer, written next to the exported rows when it runs.
const PEER_SCRIPT: &str = include_str!("../../bench/trace_peer.py");
/// What a data directory kept with `--data-dir` holds besides the store: which city it is and
/// how long it took to write.
const MANIFEST: &str = "bench-trace.json";
/// Written in the peer's directory once the export is complete.
const EXPORTED: &str = "exported";
/// Household registrations per transaction while seeding.
const HOUSEHOLD_BATCH: usize = 100_000;

#[derive(Debug, Clone, Args)]
pub struct TraceOptions {
    /// Residents of the simulated city (its venues follow from them: workplaces, school
    /// classes, shops, restaurants, gyms).
    #[arg(long, default_value_t = 1_000_000)]
    residents: usize,
    /// Days of check-ins, from a Monday; cases fall ill in the last three.
    #[arg(long, default_value_t = 14)]
    days: u32,
    /// Cases traced together in the batch measurement.
    #[arg(long, default_value_t = 1_000)]
    cases: usize,
    /// How many times each measurement is made, each on other cases; medians are reported.
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Seed of the simulated city.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Keep the city in this directory and reuse it on later runs of the same city (its own
    /// directory: not a store's `--data`). Without it, a temporary directory is used.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The Python interpreter with the `duckdb` package.
    #[arg(long, default_value = "python3")]
    python: String,
    /// Trace the batch's secondary contacts too (by default its cases are traced for close
    /// contacts only).
    #[arg(long)]
    batch_secondary: bool,
    /// Skip the measurement of one case traced fully (close and secondary contacts).
    #[arg(long)]
    no_secondary: bool,
    /// Skip the DuckDB peer.
    #[arg(long)]
    no_peer: bool,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

/// Which simulated city a directory holds and how it was written, kept in [`MANIFEST`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Manifest {
    residents: usize,
    days: u32,
    seed: u64,
    /// The share of visits not scanned in for.
    skipped_scans: f64,
    /// The first day's midnight.
    start: Timestamp,
    seeding: SeedingFigures,
    /// Runs made on this directory so far: each picks other cases.
    runs: u64,
}

/// How long writing the city took, in seconds.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SeedingFigures {
    pub check_ins: u64,
    pub venues: usize,
    pub households: usize,
    pub residents_seconds: f64,
    pub venues_seconds: f64,
    /// Simulating the days and writing their check-ins, the table's indexes dropped.
    pub check_ins_seconds: f64,
    /// Building the check-in indexes afterwards.
    pub indexes_seconds: f64,
    /// Registering everyone's household.
    pub households_seconds: f64,
    /// Rating every resident under the default policy for the first time.
    pub first_rating_seconds: f64,
    /// Writing the check-ins and venue kinds as CSV for the peer (once the peer first runs).
    pub export_seconds: Option<f64>,
}

/// The figures of one run (medians over the repeats, in seconds).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TraceFigures {
    pub residents: usize,
    pub check_ins: u64,
    pub venues: usize,
    pub days: u32,
    pub repeats: usize,
    pub seeding: SeedingFigures,
    /// Whether this run wrote the city (false: reused from `--data-dir`).
    pub seeded_now: bool,
    /// One case traced fully, close and secondary contacts (unless `--no-secondary`).
    pub one_case: Option<Measurement>,
    pub one_case_close_only: Measurement,
    pub batch: Measurement,
    /// Threads that traced the batch side by side (one case is traced on one).
    pub threads: usize,
    /// Whether the batch's cases were traced for secondary contacts too.
    pub batch_secondary: bool,
    pub peer: Option<PeerFigures>,
}

/// One measurement: a set of cases traced, recorded and re-rated (medians over the repeats).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Measurement {
    pub cases: usize,
    /// Tracing, recording and re-rating together.
    pub seconds: f64,
    pub trace_seconds: f64,
    pub record_seconds: f64,
    pub rerate_seconds: f64,
    pub close_contacts: f64,
    pub secondary_contacts: f64,
    /// Residents re-rated (everyone recorded as a contact).
    pub rerated: f64,
    /// Each repeat's total, in order.
    pub all_seconds: Vec<f64>,
}

/// The DuckDB peer's figures (medians over the repeats, in seconds).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PeerFigures {
    pub duckdb_version: String,
    pub threads: String,
    /// Loading the exported rows into DuckDB (only when this run loaded them).
    pub loaded_seconds: Option<f64>,
    pub one_case_seconds: f64,
    pub batch_seconds: f64,
    /// Peer time / store time (tracing, recording and re-rating included on the store's side),
    /// for one case traced fully and for close contacts only, and for the batch.
    pub one_case_ratio: Option<f64>,
    pub one_case_close_only_ratio: f64,
    pub batch_ratio: f64,
    /// Peer time / the store's trace alone (close contacts only, one case, and the batch): the
    /// same contact set computed by each, nothing recorded or re-rated.
    pub one_case_trace_ratio: f64,
    pub batch_trace_ratio: f64,
    /// Close contacts at venues both found, over every case measured.
    pub contacts_compared: usize,
}

/// What the peer prints.
#[derive(Debug, serde::Deserialize)]
struct PeerOutput {
    duckdb_version: String,
    threads: serde_json::Value,
    loaded_seconds: Option<f64>,
    query_seconds: BTreeMap<String, f64>,
}

/// A case to trace, registered before any measurement.
#[derive(Debug, Clone, Copy)]
struct BenchCase {
    person: PersonId,
    record: CaseRecord,
}

/// A close contact at a venue, as both sides give it: case, person, venue, first and last
/// exposure and time together in milliseconds.
type VenueContact = (CaseId, PersonId, uuid::Uuid, i64, i64, i64);

pub fn run(options: &TraceOptions) -> anyhow::Result<()> {
    anyhow::ensure!(
        options.residents > 0 && options.days >= 4,
        "a city needs residents and at least 4 days"
    );
    anyhow::ensure!(
        options.cases > 0 && options.repeats > 0,
        "cases and repeats must be positive"
    );
    let say = |line: &str| {
        if !options.json {
            eprintln!("{line}");
        }
    };
    let temporary;
    let dir: &Path = match &options.data_dir {
        Some(dir) => dir,
        None => {
            temporary = tempfile::tempdir().context("creating a temporary data directory")?;
            temporary.path()
        }
    };
    let start = local_time(0, 0);
    let started = Instant::now();
    let run = CityRun::start(
        &city::scenario(options.residents, options.days, options.seed),
        city::SKIPPED_SCANS,
    );
    let city = Registered::of(&run);
    say(&format!(
        "drew a city of {} residents and {} venues in {:.1} s",
        city.persons.len(),
        city.venues.len(),
        started.elapsed().as_secs_f64()
    ));
    let now = local_time(options.days, 0);

    let (mut manifest, seeded_now) = prepare(dir, run, &city, options, now, &say)?;
    manifest.runs += 1;
    let store = SqliteStore::open(&dir.join("store")).context("opening the bench store")?;
    let peer_dir = dir.join("peer");
    if !options.no_peer && !peer_dir.join(EXPORTED).exists() {
        let started = Instant::now();
        std::fs::create_dir_all(&peer_dir)?;
        // Rows loaded from an earlier export are not to be trusted.
        for stale in ["peer.duckdb", "peer.duckdb.wal"] {
            if peer_dir.join(stale).exists() {
                std::fs::remove_file(peer_dir.join(stale))?;
            }
        }
        export_for_peer(
            store.database_path(),
            &peer_dir.join("check_ins.csv"),
            &peer_dir.join("venues.csv"),
        )
        .context("exporting the check-ins for the peer")?;
        std::fs::write(peer_dir.join(EXPORTED), b"")?;
        let seconds = started.elapsed().as_secs_f64();
        say(&format!(
            "exported the check-ins for the peer in {seconds:.1} s"
        ));
        manifest.seeding.export_seconds = Some(seconds);
    }
    write_manifest(dir, &manifest)?;
    let policy = Policy::parse(DEFAULT_POLICY)
        .map_err(|errors| anyhow::anyhow!("the shipped default policy: {errors}"))?;
    let tracing = TracingPolicy::default();

    // Other cases on every run over the same directory.
    let mut rng = StdRng::seed_from_u64(options.seed ^ manifest.runs.wrapping_mul(0x9e37_79b9));
    let investigation = Access::new(Actor::LocalOperator, Purpose::CaseInvestigation, now);
    let mut register = |count: usize| -> anyhow::Result<Vec<BenchCase>> {
        (0..count)
            .map(|_| {
                let case = bench_case(&city, options.days, start, &mut rng);
                store
                    .record_case(&investigation, case.person, &case.record)
                    .context("registering a case")?;
                Ok(case)
            })
            .collect()
    };
    let singles = if options.no_secondary {
        Vec::new()
    } else {
        register(options.repeats)?
    };
    let close_singles = register(options.repeats)?;
    let batches: Vec<Vec<BenchCase>> = (0..options.repeats)
        .map(|_| register(options.cases))
        .collect::<anyhow::Result<_>>()?;
    say(&format!(
        "registered {} cases",
        singles.len() + close_singles.len() + options.repeats * options.cases
    ));

    let mut found: BTreeSet<VenueContact> = BTreeSet::new();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut measure = |label: &str, sets: &[&[BenchCase]], degrees: Degrees| {
        let mut timings = Vec::new();
        for (repeat, cases) in sets.iter().enumerate() {
            let timing = trace_cases(
                &store,
                &policy,
                &tracing,
                &investigation,
                cases,
                degrees,
                &mut found,
            )?;
            say(&format!(
                "{label}, repeat {}: {:.1} ms (trace {:.1}, record {:.1}, re-rate {:.1}); {} close, \
                 {} secondary, {} re-rated",
                repeat + 1,
                timing.total * 1e3,
                timing.trace * 1e3,
                timing.record * 1e3,
                timing.rerate * 1e3,
                timing.close,
                timing.secondary,
                timing.rerated
            ));
            timings.push(timing);
        }
        anyhow::Ok(summarise(sets[0].len(), timings))
    };
    let one_case_close_only = measure(
        "one case, close contacts only",
        &close_singles
            .iter()
            .map(std::slice::from_ref)
            .collect::<Vec<_>>(),
        Degrees::Close,
    )?;
    let batch_degrees = if options.batch_secondary {
        Degrees::CloseAndSecondary
    } else {
        Degrees::Close
    };
    let batch = measure(
        &format!("{} cases", options.cases),
        &batches.iter().map(Vec::as_slice).collect::<Vec<_>>(),
        batch_degrees,
    )?;

    // Last: a full trace records hundreds of thousands of secondary contacts, which the other
    // measurements should not have to read back as facts.
    let one_case = if options.no_secondary {
        None
    } else {
        Some(measure(
            "one case",
            &singles.iter().map(std::slice::from_ref).collect::<Vec<_>>(),
            Degrees::CloseAndSecondary,
        )?)
    };

    let peer = if options.no_peer {
        None
    } else {
        Some(run_peer(
            dir,
            options,
            &tracing,
            &[&singles, &close_singles],
            &batches,
            &found,
            (one_case.as_ref(), &one_case_close_only, &batch),
            &say,
        )?)
    };
    let figures = TraceFigures {
        residents: options.residents,
        check_ins: manifest.seeding.check_ins,
        venues: manifest.seeding.venues,
        days: options.days,
        repeats: options.repeats,
        seeding: manifest.seeding.clone(),
        seeded_now,
        one_case,
        one_case_close_only,
        batch,
        threads,
        batch_secondary: options.batch_secondary,
        peer,
    };
    print_figures(&figures, options)
}

/// Reuses the city in `dir` if its manifest says it is this one, or writes it there from `run`:
/// residents and venues, check-ins in bulk, everyone's first rating, then households. No
/// rating reads households; registered before it, they made the first rating twice as slow.
fn prepare(
    dir: &Path,
    run: CityRun,
    city: &Registered,
    options: &TraceOptions,
    now: Timestamp,
    say: &dyn Fn(&str),
) -> anyhow::Result<(Manifest, bool)> {
    let manifest_path = dir.join(MANIFEST);
    let start = local_time(0, 0);
    if manifest_path.exists() {
        let text = std::fs::read(&manifest_path)
            .with_context(|| format!("reading {}", manifest_path.display()))?;
        let manifest: Manifest = serde_json::from_slice(&text).with_context(|| {
            format!(
                "reading {}: a city written by an earlier version of this bench? Give another \
                 --data-dir",
                manifest_path.display()
            )
        })?;
        anyhow::ensure!(
            (
                manifest.residents,
                manifest.days,
                manifest.seed,
                manifest.skipped_scans,
                manifest.start
            ) == (
                options.residents,
                options.days,
                options.seed,
                city::SKIPPED_SCANS,
                start
            ),
            "{} holds another city ({} residents, {} days, seed {}): give another --data-dir or \
             the same city",
            dir.display(),
            manifest.residents,
            manifest.days,
            manifest.seed
        );
        say(&format!(
            "reusing the city in {} ({} check-ins)",
            dir.display(),
            manifest.seeding.check_ins
        ));
        return Ok((manifest, false));
    }
    anyhow::ensure!(
        !dir.join("store").exists(),
        "{} holds a store without {MANIFEST} (an interrupted seeding?): remove it first",
        dir.display()
    );
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let seeding_access = Access::new(Actor::LocalOperator, Purpose::BulkImport, start);
    let households = city.households(&run);
    let mut progress = |line: &str| say(line);
    let seeded = seed_city(
        &dir.join("store"),
        &seeding_access,
        &city.persons,
        &city.venues,
        city.days(run, options.days, EventIds::TimeOrdered),
        &mut progress,
    )
    .context("seeding the city")?;
    say(&format!(
        "seeded {} check-ins: {:.1} s simulating and writing rows, {:.1} s building indexes",
        seeded.check_ins, seeded.check_ins_seconds, seeded.indexes_seconds
    ));
    let store = SqliteStore::open(&dir.join("store")).context("opening the bench store")?;
    let started = Instant::now();
    ensure_default_policy(&store, now).context("rating everyone for the first time")?;
    let first_rating_seconds = started.elapsed().as_secs_f64();
    say(&format!(
        "rated every resident for the first time in {first_rating_seconds:.1} s"
    ));
    let started = Instant::now();
    for batch in households.chunks(HOUSEHOLD_BATCH) {
        store
            .register_households(&seeding_access, batch)
            .context("registering households")?;
    }
    let households_seconds = started.elapsed().as_secs_f64();
    let household_count = households
        .iter()
        .map(|(_, household)| household)
        .collect::<BTreeSet<_>>()
        .len();
    say(&format!(
        "registered {household_count} households in {households_seconds:.1} s"
    ));
    let manifest = Manifest {
        residents: options.residents,
        days: options.days,
        seed: options.seed,
        skipped_scans: city::SKIPPED_SCANS,
        start,
        seeding: SeedingFigures {
            check_ins: seeded.check_ins,
            venues: city.venues.len(),
            households: household_count,
            residents_seconds: seeded.residents_seconds,
            venues_seconds: seeded.venues_seconds,
            check_ins_seconds: seeded.check_ins_seconds,
            indexes_seconds: seeded.indexes_seconds,
            households_seconds,
            first_rating_seconds,
            export_seconds: None,
        },
        runs: 0,
    };
    write_manifest(dir, &manifest)?;
    Ok((manifest, true))
}

fn write_manifest(dir: &Path, manifest: &Manifest) -> anyhow::Result<()> {
    let path = dir.join(MANIFEST);
    std::fs::write(&path, serde_json::to_vec_pretty(manifest)?)
        .with_context(|| format!("writing {}", path.display()))
}

/// A confirmed case of a random resident, with symptoms from one of the last three days of
/// the city (its window opening two days earlier) and isolated half a day to a day and a half
/// later.
fn bench_case(city: &Registered, days: u32, start: Timestamp, rng: &mut StdRng) -> BenchCase {
    let person = city.persons[rng.random_range(0..city.persons.len())].id;
    let onset = start
        + SignedDuration::from_hours(24 * i64::from(days - 3))
        + SignedDuration::from_mins(rng.random_range(0..24 * 60));
    let isolated_at = onset + SignedDuration::from_mins(rng.random_range(12 * 60..36 * 60));
    BenchCase {
        person,
        record: CaseRecord {
            case: CaseId::from_bytes(rng.random()),
            status: CaseStatus::Confirmed,
            since: isolated_at,
            onset,
            isolated_at,
            released_at: None,
        },
    }
}

/// Which contacts a measurement traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Degrees {
    CloseAndSecondary,
    Close,
}

/// The times of one measurement, in seconds, and what it found.
#[derive(Debug, Clone, Copy)]
struct Timing {
    total: f64,
    trace: f64,
    record: f64,
    rerate: f64,
    close: usize,
    secondary: usize,
    rerated: usize,
}

/// Traces `cases` together as officials' batch does (`cases::trace_cases`): the store traces
/// them side by side on every core, their contacts are recorded in one transaction, then
/// everyone recorded is re-rated at once; adds the close contacts at venues to `found`.
fn trace_cases(
    store: &SqliteStore,
    policy: &Policy,
    tracing: &TracingPolicy,
    access: &Access,
    cases: &[BenchCase],
    degrees: Degrees,
    found: &mut BTreeSet<VenueContact>,
) -> anyhow::Result<Timing> {
    let started = Instant::now();
    let ids: Vec<CaseId> = cases.iter().map(|case| case.record.case).collect();
    let traced = match degrees {
        Degrees::CloseAndSecondary => store.trace_cases(access, &ids, tracing),
        Degrees::Close => trace_close_contacts(store, access, &ids, tracing),
    }
    .context("tracing the cases")?;
    let trace = started.elapsed().as_secs_f64();

    let step = Instant::now();
    let with_ids: Vec<(CaseId, Vec<_>)> = ids
        .iter()
        .zip(&traced)
        .map(|(case, (_, _, traced))| (*case, with_contact_ids(traced, Timestamp::now())))
        .collect();
    let stored = store
        .record_traced_cases(access, &with_ids)
        .context("recording contacts")?;
    let causes: BTreeMap<PersonId, RatingCause> = stored
        .iter()
        .flatten()
        .map(|(person, contact)| {
            let cause = EventId::from_uuid(contact.contact.as_uuid())
                .map_or(RatingCause::Request, RatingCause::Event);
            (*person, cause)
        })
        .collect();
    let record = step.elapsed().as_secs_f64();

    let step = Instant::now();
    rerate_people(store, policy, &causes, access.at).context("re-rating the contacts")?;
    let rerate = step.elapsed().as_secs_f64();
    let total = started.elapsed().as_secs_f64();

    let (mut close, mut secondary) = (0, 0);
    for (case, (_, _, traced)) in ids.iter().zip(&traced) {
        close += traced.close().count();
        secondary += traced.secondary().count();
        found.extend(traced.close().filter_map(|contact| match contact.setting {
            ContactSetting::Venue(venue) => Some((
                *case,
                contact.person,
                venue.as_uuid(),
                contact.first_exposure.as_millisecond(),
                contact.last_exposure.as_millisecond(),
                contact.together.as_millis() as i64,
            )),
            _ => None,
        }));
    }
    Ok(Timing {
        total,
        trace,
        record,
        rerate,
        close,
        secondary,
        rerated: causes.len(),
    })
}

fn summarise(cases: usize, timings: Vec<Timing>) -> Measurement {
    let pick = |value: fn(&Timing) -> f64| {
        let mut values: Vec<f64> = timings.iter().map(value).collect();
        median(&mut values)
    };
    Measurement {
        cases,
        seconds: pick(|timing| timing.total),
        trace_seconds: pick(|timing| timing.trace),
        record_seconds: pick(|timing| timing.record),
        rerate_seconds: pick(|timing| timing.rerate),
        close_contacts: pick(|timing| timing.close as f64),
        secondary_contacts: pick(|timing| timing.secondary as f64),
        rerated: pick(|timing| timing.rerated as f64),
        all_seconds: timings.iter().map(|timing| timing.total).collect(),
    }
}

/// Runs the DuckDB peer on the cases measured, checks that it found exactly the store's close
/// contacts at venues, and answers its figures.
#[allow(clippy::too_many_arguments)]
fn run_peer(
    dir: &Path,
    options: &TraceOptions,
    tracing: &TracingPolicy,
    singles: &[&[BenchCase]],
    batches: &[Vec<BenchCase>],
    found: &BTreeSet<VenueContact>,
    (one_case, one_case_close_only, batch): (Option<&Measurement>, &Measurement, &Measurement),
    say: &dyn Fn(&str),
) -> anyhow::Result<PeerFigures> {
    let peer_dir = dir.join("peer");
    let script = peer_dir.join("trace_peer.py");
    std::fs::write(&script, PEER_SCRIPT)?;
    let stays = peer_dir.join("stays.csv");
    let mut text = String::from("kind,stay_ms\n");
    for kind in VenueKind::ALL {
        text.push_str(&format!(
            "{},{}\n",
            kind.code(),
            tracing.default_stay(kind).as_millis()
        ));
    }
    std::fs::write(&stays, text)?;
    let cases_path = peer_dir.join("cases.csv");
    let mut text = String::from("set,case_id,person_id,opens,closes\n");
    let sets = singles
        .iter()
        .flat_map(|cases| cases.iter())
        .enumerate()
        .map(|(index, case)| (format!("one-{index}"), std::slice::from_ref(case)))
        .chain(
            batches
                .iter()
                .enumerate()
                .map(|(repeat, cases)| (format!("batch-{repeat}"), cases.as_slice())),
        );
    for (set, cases) in sets {
        for case in cases {
            let opens = case.record.onset - tracing.infectious_before;
            text.push_str(&format!(
                "{set},{},{},{},{}\n",
                case.record.case.as_uuid().simple(),
                case.person.as_uuid().simple(),
                opens.as_millisecond(),
                case.record.isolated_at.as_millisecond()
            ));
        }
    }
    std::fs::write(&cases_path, text)?;
    let out = peer_dir.join("contacts.csv");
    say("running the DuckDB peer (it loads the check-ins on its first run)");
    let output = Command::new(&options.python)
        .arg(&script)
        .arg("--database")
        .arg(peer_dir.join("peer.duckdb"))
        .arg("--check-ins")
        .arg(peer_dir.join("check_ins.csv"))
        .arg("--venues")
        .arg(peer_dir.join("venues.csv"))
        .arg("--cases")
        .arg(&cases_path)
        .arg("--stays")
        .arg(&stays)
        .arg("--min-overlap-ms")
        .arg(tracing.min_overlap.as_millis().to_string())
        .arg("--longest-stay-ms")
        .arg(tracing.longest_stay.as_millis().to_string())
        .arg("--out")
        .arg(&out)
        .output()
        .with_context(|| format!("running {} (is it installed?)", options.python))?;
    anyhow::ensure!(
        output.status.success(),
        "the DuckDB peer failed ({}); install it with `pip install duckdb`:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let figures: PeerOutput =
        serde_json::from_slice(&output.stdout).context("reading the peer's figures")?;

    let mut peer_found: BTreeSet<VenueContact> = BTreeSet::new();
    let mut reader = csv::Reader::from_path(&out).context("reading the peer's contacts")?;
    for record in reader.records() {
        let record = record?;
        let id = |index: usize| -> anyhow::Result<uuid::Uuid> {
            Ok(uuid::Uuid::parse_str(&record[index])?)
        };
        let number = |index: usize| -> anyhow::Result<i64> { Ok(record[index].parse()?) };
        peer_found.insert((
            CaseId::from_uuid(id(1)?),
            PersonId::from_uuid(id(2)?),
            id(3)?,
            number(4)?,
            number(5)?,
            number(6)?,
        ));
    }
    if peer_found != *found {
        let only_store: Vec<_> = found.difference(&peer_found).take(3).collect();
        let only_peer: Vec<_> = peer_found.difference(found).take(3).collect();
        anyhow::bail!(
            "the store and the peer disagree: {} close contacts at venues by the store, {} by \
             the peer; only the store's, for example: {only_store:?}; only the peer's: \
             {only_peer:?}",
            found.len(),
            peer_found.len()
        );
    }
    let mut singles_seconds: Vec<f64> = figures
        .query_seconds
        .iter()
        .filter(|(set, _)| set.starts_with("one-"))
        .map(|(_, seconds)| *seconds)
        .collect();
    let mut batch_seconds: Vec<f64> = figures
        .query_seconds
        .iter()
        .filter(|(set, _)| set.starts_with("batch-"))
        .map(|(_, seconds)| *seconds)
        .collect();
    let one_case_seconds = median(&mut singles_seconds);
    let batch_seconds = median(&mut batch_seconds);
    Ok(PeerFigures {
        duckdb_version: figures.duckdb_version,
        threads: figures.threads.to_string().trim_matches('"').to_owned(),
        loaded_seconds: figures.loaded_seconds,
        one_case_seconds,
        batch_seconds,
        one_case_ratio: one_case.map(|one_case| one_case_seconds / one_case.seconds),
        one_case_close_only_ratio: one_case_seconds / one_case_close_only.seconds,
        batch_ratio: batch_seconds / batch.seconds,
        one_case_trace_ratio: one_case_seconds / one_case_close_only.trace_seconds,
        batch_trace_ratio: batch_seconds / batch.trace_seconds,
        contacts_compared: found.len(),
    })
}

fn print_figures(figures: &TraceFigures, options: &TraceOptions) -> anyhow::Result<()> {
    if options.json {
        println!("{}", serde_json::to_string_pretty(figures)?);
        return Ok(());
    }
    let seeding = &figures.seeding;
    println!(
        "tracing in a city of {} residents, {} venues, {} check-ins over {} days, median of {}:",
        figures.residents, figures.venues, figures.check_ins, figures.days, figures.repeats
    );
    println!(
        "  seeding{}: residents {:.1} s, venues {:.1} s, check-ins {:.1} s, indexes {:.1} s, \
         {} households {:.1} s, first rating {:.1} s, export for the peer {:.1} s",
        if figures.seeded_now { "" } else { " (earlier)" },
        seeding.residents_seconds,
        seeding.venues_seconds,
        seeding.check_ins_seconds,
        seeding.indexes_seconds,
        seeding.households,
        seeding.households_seconds,
        seeding.first_rating_seconds,
        seeding.export_seconds.unwrap_or(f64::NAN)
    );
    let batch_label = if figures.batch_secondary {
        "batch of cases"
    } else {
        "batch of cases, close contacts only"
    };
    for (label, measurement) in [
        ("one case", figures.one_case.as_ref()),
        (
            "one case, close contacts only",
            Some(&figures.one_case_close_only),
        ),
        (batch_label, Some(&figures.batch)),
    ] {
        let Some(measurement) = measurement else {
            continue;
        };
        println!(
            "  {label} ({}): {:.1} ms — trace {:.1} ms, record {:.1} ms, re-rate {:.1} ms; \
             {:.0} close, {:.0} secondary contacts, {:.0} re-rated",
            measurement.cases,
            measurement.seconds * 1e3,
            measurement.trace_seconds * 1e3,
            measurement.record_seconds * 1e3,
            measurement.rerate_seconds * 1e3,
            measurement.close_contacts,
            measurement.secondary_contacts,
            measurement.rerated
        );
    }
    if let Some(peer) = &figures.peer {
        println!(
            "  DuckDB {} peer ({} threads), close contacts at venues only: one case {:.1} ms \
             (peer / store: {:.1} against the trace alone, {:.1} against trace, record and \
             re-rate of close contacts, {:.2} against the full trace), batch {:.1} ms (peer / \
             store: {:.2} against the trace alone, {:.2} against trace, record and re-rate); {} \
             contacts agree",
            peer.duckdb_version,
            peer.threads,
            peer.one_case_seconds * 1e3,
            peer.one_case_trace_ratio,
            peer.one_case_close_only_ratio,
            peer.one_case_ratio.unwrap_or(f64::NAN),
            peer.batch_seconds * 1e3,
            peer.batch_trace_ratio,
            peer.batch_ratio,
            peer.contacts_compared
        );
        if let Some(loaded) = peer.loaded_seconds {
            println!("  (the peer loaded the exported rows in {loaded:.1} s)");
        }
    }
    Ok(())
}
