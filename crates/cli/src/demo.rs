//! `healthcode demo`: a simulated city loaded into a data directory of its own through the
//! system's own code, a login for every staff role and a signed-in resident, and the API served
//! on it: what someone trying healthcode runs first.
//!
//! The city comes from [`healthcode_sim::simulate`], written as the files a city's feeds would
//! deliver (residents, venues, check-ins, declarations of symptoms and of travel, laboratory
//! results, pharmacy sales, boardings, cells, cell pings, the region-risk list) into
//! a private temporary folder inside the data directory, and deleted as soon as they are read:
//! they hold names, ID numbers and phone numbers in plaintext. The simulator's ground truth
//! (`truth/`) is never read. The records go in as an installation's would: residents through the
//! store's bulk enrolment, households, check-ins, cells, cell pings, boardings, test results and
//! pharmacy purchases through the code of `healthcode import`, declarations through the store's
//! audited writes; the shipped default policy is activated before anyone is enrolled (rating
//! nobody), and the region-risk list is published through the code of `healthcode region-risk
//! publish` once the declarations and pings are in, which rates everyone once; and the demo's
//! health official registers a confirmed case for every resident with a positive test, through
//! the service behind `POST /v1/cases`, the cases traced together (boardings are in by then).
//!
//! The simulator's calendar is fixed (its first day is in March 2026), so every time in its files
//! is moved forward by one whole number of weeks, as far as the present allows: colours are then
//! live, and weekdays stay weekdays (offices are visited Monday to Friday).
//!
//! The demo never loads into a folder it did not make: the data directory must be new or empty,
//! or be an earlier demo's (it holds [`MARKER_FILE`]) and `--fresh` must say to delete it.
//! Without `--data` it is `./healthcode-demo`, never the configured data directory.
//!
//! Nothing here prints or logs personal data: stages print counts, and the logins are usernames,
//! generated passwords, a device token and the resident's pseudonymous person id.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use healthcode_core::RegionCode;
use healthcode_core::rating::RiskLevel;
use healthcode_core::rating::{CaseId, Colour, Policy};
use healthcode_core::{
    Access, Actor, Person, PersonId, Purpose, Role, StaffAccount, Timestamp, VenueId,
};
use healthcode_server::api::{
    BoardingRow, CaseRequest, CellPingRow, CellRow, CheckInRequest, DeclarationRequest,
    EnrolRequest, HouseholdRow, LabResultRow, NewResident, PharmacyPurchaseRow, TraceResponse,
    TravelRequest, VenueRequest,
};
use healthcode_server::clock::{Clock, SystemClock};
use healthcode_server::endpoints::Endpoint;
use healthcode_server::phone_service::Retention;
use healthcode_server::{accounts, cases, rating_service, service};
use healthcode_sim::{Mode, Scenario};
use healthcode_store::{Enrolment, Store};
use indicatif::ProgressBar;
use jiff::SignedDuration;
use serde::Deserialize;

use crate::config::Config;
use crate::import::cells::store_cells;
use crate::import::feeds::{self, FeedImport};
use crate::import::{self, ImportError, ImportFormat, LineError, Rows, read_rows};
use crate::ratings::active_policy;
use crate::region_risk::{ListFileError, ListFormat, publish_entries, read_region_risk_file};
use crate::thousands;

/// The data directory of the demo when `--data` does not name one.
pub const DEFAULT_DATA_DIR: &str = "./healthcode-demo";

/// The file that marks a data directory as a demo's, so that `--fresh` may delete it: the
/// scenario it was built from, as JSON (no personal data).
pub const MARKER_FILE: &str = "healthcode-demo.json";

/// A week: the simulated days move forward by whole weeks.
const WEEK: SignedDuration = SignedDuration::from_hours(7 * 24);

/// How long before a positive sample a declaration of symptoms still dates the onset of the
/// case: the simulated residents declare on the day symptoms begin and are sampled the next
/// morning.
const ONSET_LOOKBACK: SignedDuration = SignedDuration::from_hours(3 * 24);

/// How many residents the demo looks at, at most, to find one whose colour is not green.
const RESIDENT_CANDIDATES: usize = 50;

/// `healthcode demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How many residents the city has.
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(100..=10_000_000))]
    residents: u32,
    /// How many days of the epidemic to simulate. They are moved to end in the last week.
    #[arg(long, value_name = "D", default_value_t = 11, value_parser = clap::value_parser!(u32).range(1..=365))]
    days: u32,
    /// The seed: the same seed gives the same city and epidemic.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Address to serve on, overriding the configuration's `listen`; port 0 takes any free one.
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Delete the demo city in the data directory (made by an earlier `healthcode demo`) and
    /// build a new one. A folder the demo did not make is never deleted.
    #[arg(long)]
    fresh: bool,
    /// Build the city and print the logins, then stop instead of serving.
    #[arg(long)]
    no_serve: bool,
    /// Print the logins and timings as one line of JSON.
    #[arg(long)]
    json: bool,
}

/// The city to build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoOptions {
    pub residents: usize,
    pub days: u32,
    pub seed: u64,
    /// Delete an earlier demo's city in the data directory first.
    pub fresh: bool,
    /// How long the installation keeps movement data: older pings are not loaded.
    pub retention: Retention,
}

/// A built demo city: where it is, the logins into it, and how long each stage took.
#[derive(Debug)]
pub struct DemoCity {
    pub data_dir: PathBuf,
    pub residents: u64,
    /// The active policy, as `name@version`.
    pub policy: String,
    /// One account per staff role, with its generated password.
    pub staff: Vec<StaffLogin>,
    /// A resident signed in with a fresh device token, whose colour is not green if the
    /// epidemic left anyone so.
    pub resident: ResidentLogin,
    /// A case registered by the demo's official: the one the resident is a contact of, if any.
    pub case: Option<CaseId>,
    /// A venue of the city, for a checkpoint's scan.
    pub venue: Option<VenueId>,
    pub stages: Vec<StageTiming>,
    /// Building, from the first stage to the last.
    pub seconds: f64,
}

/// A staff account the demo made.
pub struct StaffLogin {
    pub username: String,
    pub role: Role,
    pub password: String,
}

impl std::fmt::Debug for StaffLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffLogin")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A resident signed in as their phone would be: by resending their enrolment, which hands out
/// a new device token.
pub struct ResidentLogin {
    pub person: PersonId,
    pub colour: Colour,
    pub device_token: String,
}

impl std::fmt::Debug for ResidentLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResidentLogin")
            .field("person", &self.person)
            .field("colour", &self.colour)
            .finish_non_exhaustive()
    }
}

/// How long one stage of building took.
#[derive(Clone, Debug, PartialEq)]
pub struct StageTiming {
    pub stage: &'static str,
    pub seconds: f64,
}

/// `healthcode demo`: builds the city, prints the logins and serves the API on it until Ctrl-C
/// (or stops after printing, with `--no-serve`). `data_dir` is the `--data` flag.
pub fn run(config: &Config, data_dir: Option<PathBuf>, args: DemoArgs) -> anyhow::Result<()> {
    let mut config = config.clone();
    config.data_dir = data_dir.unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    // Listening first: a port in use stops the command before a minute of building, not after.
    let listening = if args.no_serve {
        None
    } else {
        Some(crate::listen(config.listen)?)
    };
    let options = DemoOptions {
        residents: args.residents as usize,
        days: args.days,
        seed: args.seed,
        fresh: args.fresh,
        retention: Retention::of(&config.server),
    };
    let city = build(&config.data_dir, &options, &mut |line| eprintln!("{line}"))?;
    match listening {
        None => print_city(&city, None, args.json),
        Some(listening) => {
            crate::init_logging(&config)?;
            crate::serve_on(&config, listening, |address| {
                print_city(&city, Some(address), args.json)
            })
        }
    }
}

/// Builds a demo city in `data_dir`: simulates it, loads it, rates everyone, traces the cases,
/// makes the staff accounts and signs a resident in. `progress` hears each stage as it ends,
/// with counts and its time.
pub fn build(
    data_dir: &Path,
    options: &DemoOptions,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<DemoCity> {
    let started = Instant::now();
    prepare_data_dir(data_dir, options.fresh)?;
    progress(&format!(
        "Building a city of {} residents over {} days (seed {}) in {}",
        thousands(options.residents as u64),
        options.days,
        options.seed,
        data_dir.display()
    ));
    let store = crate::open_store(data_dir)?;
    write_marker(data_dir, options, false)?;
    let mut stages = Stages {
        progress,
        timings: Vec::new(),
    };

    let files = stages.run("simulate", || simulate(data_dir, options))?;
    let mut city = stages.run("read", || read_city(files))?;

    // Activated before anyone is enrolled, so that it rates nobody: publishing the region-risk
    // list rates everyone, once the declarations, travel declarations and stays are in. The
    // feeds below would otherwise activate it themselves, rating everyone twice.
    let (policy, version) = stages.run("policy", || activate_policy(&store))?;
    let now = SystemClock.now();
    let residents = stages.run("enrol", || enrol_residents(&store, &city, now))?;
    let venue = stages.run("venues", || register_venues(&store, &mut city))?;
    stages.run("check_ins", || import_check_ins(&store, &mut city))?;
    let declared = stages.run("declarations", || {
        record_declarations(&store, &mut city, &residents)
    })?;
    stages.run("cells", || register_cells(&store, &mut city))?;
    stages.run("cell_pings", || {
        import_cell_pings(&store, &mut city, options.retention)
    })?;
    stages.run("region_risk", || publish_region_risk(&store, &mut city))?;
    stages.run("households", || register_households(&store, &mut city))?;
    // Before the cases, so that tracing finds who rode with them.
    stages.run("boardings", || import_boardings(&store, &mut city))?;
    let positives = positive_tests(&city, &residents, &declared);
    stages.run("test_results", || import_test_results(&store, &mut city))?;
    stages.run("pharmacy", || import_pharmacy_purchases(&store, &mut city))?;
    let staff = stages.run("staff", || create_staff_accounts(&store))?;
    let official = staff
        .iter()
        .find(|(login, _)| login.role == Role::HealthOfficial)
        .map(|(_, account)| account.clone())
        .context("the demo makes a health official's account")?;
    let traces = stages.run("cases", || {
        register_cases(&store, &policy, &official, &city, &positives)
    })?;
    let (resident, case) = stages.run("resident", || {
        sign_in_resident(&store, &policy, &city, &residents, &traces, &declared)
    })?;
    drop(store);
    write_marker(data_dir, options, true)?;

    Ok(DemoCity {
        data_dir: data_dir.to_owned(),
        residents: residents.by_resident_id.len() as u64,
        policy: version,
        staff: staff.into_iter().map(|(login, _)| login).collect(),
        resident,
        case,
        venue,
        stages: stages.timings,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Times each stage and reports it when it ends.
struct Stages<'a> {
    progress: &'a mut dyn FnMut(&str),
    timings: Vec<StageTiming>,
}

impl Stages<'_> {
    /// Runs `work`, which answers its value and a line saying what it did (counts only).
    fn run<T>(
        &mut self,
        stage: &'static str,
        work: impl FnOnce() -> anyhow::Result<(T, String)>,
    ) -> anyhow::Result<T> {
        let started = Instant::now();
        let (value, done) = work()?;
        let seconds = started.elapsed().as_secs_f64();
        (self.progress)(&format!("  {done} ({seconds:.1} s)"));
        self.timings.push(StageTiming { stage, seconds });
        Ok(value)
    }
}

/// Makes sure `data_dir` is a folder the demo may load into: new, empty, or (with `fresh`) an
/// earlier demo's, which is deleted.
fn prepare_data_dir(data_dir: &Path, fresh: bool) -> anyhow::Result<()> {
    if !data_dir.exists() {
        return Ok(());
    }
    if !data_dir.is_dir() {
        bail!("{} is a file, not a folder", data_dir.display());
    }
    let marker = data_dir.join(MARKER_FILE);
    if marker.is_file() {
        if !fresh {
            let built = fs::read_to_string(&marker)
                .ok()
                .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
                .is_some_and(|marker| marker["built"] == true);
            if built {
                bail!(
                    "{dir} already holds a demo city. Serve it as it is with `healthcode --data \
                     {dir} serve`, or pass --fresh to delete it and build a new one",
                    dir = data_dir.display()
                );
            }
            bail!(
                "{} holds a demo city whose building stopped part way; pass --fresh to delete it \
                 and build a new one",
                data_dir.display()
            );
        }
        return fs::remove_dir_all(data_dir)
            .with_context(|| format!("deleting the demo city in {}", data_dir.display()));
    }
    let empty = fs::read_dir(data_dir)
        .with_context(|| format!("reading {}", data_dir.display()))?
        .next()
        .is_none();
    if empty {
        return Ok(());
    }
    let holds = if data_dir
        .join(healthcode_store::sqlite::DATABASE_FILE_NAME)
        .exists()
    {
        "holds a healthcode database"
    } else {
        "is not empty"
    };
    bail!(
        "{} {holds} that `healthcode demo` did not make. The demo loads only into a new or empty \
         folder and never deletes one it did not make, --fresh or not: name another with --data DIR",
        data_dir.display()
    )
}

/// Marks `data_dir` as a demo's, `built` once its city is complete.
fn write_marker(data_dir: &Path, options: &DemoOptions, built: bool) -> anyhow::Result<()> {
    let marker = serde_json::json!({
        "made_by": "healthcode demo",
        "residents": options.residents,
        "days": options.days,
        "seed": options.seed,
        "built": built,
    });
    let path = data_dir.join(MARKER_FILE);
    fs::write(&path, format!("{marker}\n")).with_context(|| format!("writing {}", path.display()))
}

/// Runs the simulator into a private temporary folder inside the data directory.
fn simulate(data_dir: &Path, options: &DemoOptions) -> anyhow::Result<(tempfile::TempDir, String)> {
    let files = tempfile::Builder::new()
        .prefix(".simulated-city-")
        .tempdir_in(data_dir)
        .with_context(|| format!("making a private folder in {}", data_dir.display()))?;
    let scenario = Scenario {
        residents: options.residents,
        days: options.days,
        seed: options.seed,
        year: 2026,
        mode: Mode::City { skipped_scans: 0.1 },
    };
    let summary =
        healthcode_sim::simulate(&scenario, files.path(), |_| {}).context("simulating the city")?;
    let done = format!(
        "simulated {} days: {} infected, {} check-ins, {} tests ({} positive)",
        summary.days_run,
        thousands(summary.infected as u64),
        thousands(summary.check_ins.unwrap_or(0)),
        thousands(summary.tests.unwrap_or(0)),
        thousands(summary.positive_tests.unwrap_or(0)),
    );
    Ok((files, done))
}

/// A row of `residents.csv`; its other columns are not needed.
#[derive(Clone, Deserialize)]
struct ResidentRow {
    person_id: String,
    resident_id: String,
    name: String,
    phone: String,
    household: String,
    district: String,
}

/// A row of `venues.csv`: the fields of `POST /v1/venues`, as text.
#[derive(Clone, Deserialize)]
struct VenueRow {
    venue_id: String,
    name: String,
    kind: String,
    district: String,
    latitude: String,
    longitude: String,
    opening_hours: String,
}

/// A row of `declarations.csv`: a resident's declaration, symptoms separated by `;`.
#[derive(Clone, Deserialize)]
struct DeclarationRow {
    event_id: String,
    person_id: String,
    declared_at: String,
    symptoms: String,
    temperature_celsius: String,
}

/// A row of `travel_declarations.csv`: a resident's declaration of a trip out of the city, with
/// no symptoms; `from` and `to` are dates, both included.
#[derive(Clone, Deserialize)]
struct TravelDeclarationRow {
    event_id: String,
    person_id: String,
    declared_at: String,
    region: String,
    from: String,
    to: String,
}

/// The simulated city's files, read whole, each row on its line (the region-risk list checked
/// as `healthcode region-risk publish` checks it). Stages take the rows they load.
struct CityFiles {
    residents: Rows<ResidentRow>,
    venues: Rows<VenueRow>,
    check_ins: Rows<CheckInRequest>,
    declarations: Rows<DeclarationRow>,
    travel_declarations: Rows<TravelDeclarationRow>,
    test_results: Rows<LabResultRow>,
    pharmacy_purchases: Rows<PharmacyPurchaseRow>,
    boardings: Rows<BoardingRow>,
    cells: Rows<CellRow>,
    cell_pings: Rows<CellPingRow>,
    region_risk: BTreeMap<RegionCode, RiskLevel>,
}

/// Reads every file the system may see, deletes them, and moves their times to the present.
fn read_city(files: tempfile::TempDir) -> anyhow::Result<(CityFiles, String)> {
    let hidden = ProgressBar::hidden();
    let folder = files.path();
    let mut city = CityFiles {
        residents: read_file(folder, "residents.csv", "resident", &hidden)?,
        venues: read_file(folder, "venues.csv", "venue", &hidden)?,
        check_ins: read_file(folder, "check_ins.csv", "check-in", &hidden)?,
        declarations: read_file(folder, "declarations.csv", "declaration", &hidden)?,
        test_results: read_file(folder, "test_results.csv", "test result", &hidden)?,
        pharmacy_purchases: read_file(
            folder,
            "pharmacy_purchases.csv",
            "pharmacy purchase",
            &hidden,
        )?,
        travel_declarations: read_file(
            folder,
            "travel_declarations.csv",
            "travel declaration",
            &hidden,
        )?,
        boardings: read_file(folder, "boardings.csv", "boarding", &hidden)?,
        cells: read_file(folder, "cells.csv", "cell", &hidden)?,
        cell_pings: read_file(folder, "cell_pings.csv", "cell ping", &hidden)?,
        region_risk: read_region_risk_file(&folder.join("region_risk.csv"), ListFormat::Csv)
            .map_err(|error| match error {
                ListFileError::InvalidEntries { entries, errors } => {
                    invalid_lines("region_risk.csv", entries, &errors)
                }
                other => anyhow::Error::new(other).context("reading region_risk.csv"),
            })?,
    };
    files
        .close()
        .context("deleting the simulated city's files")?;

    let mut period = Period::default();
    for row in &city.check_ins.rows {
        period.see(&row.entered);
        if let Some(left) = &row.left {
            period.see(left);
        }
    }
    for row in &city.declarations.rows {
        period.see(&row.declared_at);
    }
    for row in &city.test_results.rows {
        period.see(&row.sampled_at);
        period.see(&row.reported_at);
    }
    for row in &city.pharmacy_purchases.rows {
        period.see(&row.purchased_at);
    }
    for row in &city.travel_declarations.rows {
        period.see(&row.declared_at);
    }
    for row in &city.boardings.rows {
        period.see(&row.departs_at);
        period.see(&row.boarded_at);
        if let Some(alighted) = &row.alighted_at {
            period.see(alighted);
        }
    }
    for row in &city.cell_pings.rows {
        period.see(&row.seen_at);
    }
    let (Some(first), Some(last)) = (period.first, period.last) else {
        bail!("the simulated city holds no dated record");
    };
    let weeks = SystemClock
        .now()
        .duration_since(last)
        .as_secs()
        .div_euclid(WEEK.as_secs());
    let by = WEEK * i32::try_from(weeks).context("the simulated days are too far from today")?;
    for row in &mut city.check_ins.rows {
        move_time(&mut row.entered, by);
        if let Some(left) = &mut row.left {
            move_time(left, by);
        }
    }
    for row in &mut city.declarations.rows {
        move_time(&mut row.declared_at, by);
    }
    for row in &mut city.test_results.rows {
        move_time(&mut row.sampled_at, by);
        move_time(&mut row.reported_at, by);
    }
    for row in &mut city.pharmacy_purchases.rows {
        move_time(&mut row.purchased_at, by);
    }
    for row in &mut city.travel_declarations.rows {
        move_time(&mut row.declared_at, by);
        move_date(&mut row.from, by);
        move_date(&mut row.to, by);
    }
    for row in &mut city.boardings.rows {
        move_time(&mut row.departs_at, by);
        move_time(&mut row.boarded_at, by);
        if let Some(alighted) = &mut row.alighted_at {
            move_time(alighted, by);
        }
    }
    for row in &mut city.cell_pings.rows {
        move_time(&mut row.seen_at, by);
    }
    let day = |at: Timestamp| {
        at.checked_add(by).map_or_else(
            |_| at.to_string(),
            |moved| moved.strftime("%-d %b %Y").to_string(),
        )
    };
    let done = format!(
        "read the files and deleted them; moved their times {weeks} weeks forward, to {} - {}",
        day(first),
        day(last)
    );
    Ok((city, done))
}

/// Reads one of the simulator's CSV files; a line that cannot be read stops the demo, with
/// every such line reported.
fn read_file<T: serde::de::DeserializeOwned>(
    folder: &Path,
    file: &str,
    what: &str,
    progress: &ProgressBar,
) -> anyhow::Result<Rows<T>> {
    let rows = read_rows::<T>(&folder.join(file), ImportFormat::Csv, progress, what)
        .map_err(|error| anyhow::anyhow!("reading {file}: {error}"))?;
    if !rows.errors.is_empty() {
        return Err(invalid_lines(file, rows.line_count(), &rows.errors));
    }
    Ok(rows)
}

/// The first and last time seen.
#[derive(Debug, Default)]
struct Period {
    first: Option<Timestamp>,
    last: Option<Timestamp>,
}

impl Period {
    /// Takes in a time written in a file; text that is not a time is left to the checks that
    /// report it with its line.
    fn see(&mut self, text: &str) {
        if let Ok(at) = text.trim().parse::<Timestamp>() {
            self.first = Some(self.first.map_or(at, |first| first.min(at)));
            self.last = Some(self.last.map_or(at, |last| last.max(at)));
        }
    }
}

/// Moves a time written in a file by `by`; text that is not a time is left as it is, for the
/// checks that report it with its line.
fn move_time(text: &mut String, by: SignedDuration) {
    if let Ok(moved) = text
        .trim()
        .parse::<Timestamp>()
        .and_then(|at| at.checked_add(by))
    {
        *text = moved.to_string();
    }
}

/// Moves a date written in a file (`2026-03-02`) by `by`, whole days; text that is not a date is
/// left as it is, for the checks that report it with its line.
fn move_date(text: &mut String, by: SignedDuration) {
    let days = by.as_hours().div_euclid(24);
    if let Ok(moved) = text
        .trim()
        .parse::<jiff::civil::Date>()
        .and_then(|date| date.checked_add(jiff::Span::new().days(days)))
    {
        *text = moved.to_string();
    }
}

/// Prints the invalid lines of a file and answers the error the demo stops with.
fn invalid_lines(file: &str, lines: u64, errors: &[LineError]) -> anyhow::Error {
    eprintln!("{file}:");
    import::print_line_errors(errors);
    anyhow::anyhow!(
        "{file}: {} of {lines} lines are invalid; the demo stopped",
        import::invalid_lines(errors)
    )
}

/// The error of an import, with the file's invalid lines printed.
fn import_failed(file: &str, error: ImportError) -> anyhow::Error {
    match error {
        ImportError::InvalidLines { lines, errors } => invalid_lines(file, lines, &errors),
        other => anyhow::Error::new(other).context(format!("importing {file}")),
    }
}

/// Who is enrolled: each resident's person id by ID number, and their row in `residents.csv`.
struct Enrolled {
    by_resident_id: HashMap<String, (PersonId, usize)>,
}

/// Enrols every resident under the person id the simulator gave them (the check-ins and
/// declarations name them by it), with the person id as the enrolment's event id, as the local
/// operator loading a register: through the API's checks, in one transaction with one audit
/// record. Each enrolment stores the hash of a device token nobody holds: a resident's phone
/// gets its own by resending the enrolment.
fn enrol_residents(
    store: &dyn Store,
    city: &CityFiles,
    now: Timestamp,
) -> anyhow::Result<(Enrolled, String)> {
    let enrolled_at = earliest_check_in(city).unwrap_or(now);
    let rows = &city.residents;
    let mut by_resident_id = HashMap::with_capacity(rows.rows.len());
    let mut person_ids = HashSet::with_capacity(rows.rows.len());
    let mut enrolments = Vec::with_capacity(rows.rows.len());
    let mut errors = Vec::new();
    for (index, row) in rows.rows.iter().enumerate() {
        let line = rows.lines[index];
        let resident = match NewResident::try_from(enrol_request(row)) {
            Ok(resident) => resident,
            Err(error) => {
                errors.push(line_error(line, &error.field, error.message));
                continue;
            }
        };
        let person = PersonId::from_uuid(resident.event_id.as_uuid());
        if !person_ids.insert(person) {
            errors.push(line_error(
                line,
                "person_id",
                "another line has this person id".to_owned(),
            ));
            continue;
        }
        if by_resident_id
            .insert(resident.resident_id.as_str().to_owned(), (person, index))
            .is_some()
        {
            errors.push(line_error(
                line,
                "resident_id",
                "another line has this ID number".to_owned(),
            ));
            continue;
        }
        enrolments.push(Enrolment {
            event_id: resident.event_id,
            person: Person {
                id: person,
                resident_id: resident.resident_id,
                name: resident.name,
                phone: resident.phone,
                enrolled_at,
            },
            device_token: accounts::new_bearer_token().1,
        });
    }
    if !errors.is_empty() {
        return Err(invalid_lines("residents.csv", rows.line_count(), &errors));
    }
    let access = Access::new(Actor::LocalOperator, Purpose::Enrolment, now);
    let report = store
        .enrol_many(&access, &enrolments)
        .context("enrolling the residents")?;
    let done = format!("enrolled {} residents", thousands(report.stored));
    Ok((Enrolled { by_resident_id }, done))
}

/// A resident's enrolment as their phone sends it, the person id as its event id.
fn enrol_request(row: &ResidentRow) -> EnrolRequest {
    EnrolRequest {
        event_id: row.person_id.clone(),
        resident_id: row.resident_id.clone(),
        name: row.name.clone(),
        phone: row.phone.clone(),
    }
}

/// When the first simulated visit began: the residents are enrolled from then on.
fn earliest_check_in(city: &CityFiles) -> Option<Timestamp> {
    city.check_ins
        .rows
        .iter()
        .filter_map(|row| row.entered.parse::<Timestamp>().ok())
        .min()
}

fn line_error(line: u64, field: &str, message: String) -> LineError {
    LineError {
        line,
        field: Some(field.to_owned()),
        message,
    }
}

/// Registers every resident in their household, as `healthcode import households` does; the
/// household's code is its district and its number in the register.
fn register_households(store: &dyn Store, city: &mut CityFiles) -> anyhow::Result<((), String)> {
    let residents = &city.residents;
    let rows = Rows {
        rows: residents
            .rows
            .iter()
            .map(|row| HouseholdRow {
                resident_id: row.resident_id.clone(),
                household: format!("{}-{}", row.district, row.household),
            })
            .collect(),
        lines: residents.lines.clone(),
        errors: Vec::new(),
    };
    let households: HashSet<(&str, &str)> = residents
        .rows
        .iter()
        .map(|row| (row.district.as_str(), row.household.as_str()))
        .collect();
    let households = households.len() as u64;
    let imported = feeds::store_households(store, &SystemClock, rows, &ProgressBar::hidden())
        .map_err(|error| import_failed("residents.csv", error))?;
    let done = format!(
        "registered {} residents in {} households",
        thousands(imported.response.stored),
        thousands(households)
    );
    Ok(((), done))
}

/// Registers every venue, as `POST /v1/venues` does. Answers one of them.
fn register_venues(
    store: &dyn Store,
    city: &mut CityFiles,
) -> anyhow::Result<(Option<VenueId>, String)> {
    let venues = std::mem::replace(&mut city.venues, empty_rows());
    let now = SystemClock.now();
    let mut errors = Vec::new();
    let mut first = None;
    let mut registered = 0u64;
    let lines = venues.line_count();
    for (row, &line) in venues.rows.into_iter().zip(&venues.lines) {
        let request = match venue_request(row) {
            Ok(request) => request,
            Err(error) => {
                errors.push(error.on_line(line));
                continue;
            }
        };
        match service::register_venue(store, now, request) {
            Ok(venue) => {
                registered += 1;
                first.get_or_insert(VenueId::from_uuid(venue.venue_id));
            }
            Err(healthcode_server::ApiError::InvalidField(error)) => {
                errors.push(line_error(line, &error.field, error.message));
            }
            Err(other) => return Err(other).context("registering the venues"),
        }
    }
    if !errors.is_empty() {
        return Err(invalid_lines("venues.csv", lines, &errors));
    }
    Ok((
        first,
        format!("registered {} venues", thousands(registered)),
    ))
}

/// A field of a row that is not what it should be.
struct RowFieldError {
    field: &'static str,
    message: String,
}

impl RowFieldError {
    fn on_line(self, line: u64) -> LineError {
        line_error(line, self.field, self.message)
    }
}

fn venue_request(row: VenueRow) -> Result<VenueRequest, RowFieldError> {
    let coordinate = |field: &'static str, text: &str| {
        text.trim().parse::<f64>().map_err(|_| RowFieldError {
            field,
            message: "should be a number of degrees".to_owned(),
        })
    };
    Ok(VenueRequest {
        latitude: coordinate("latitude", &row.latitude)?,
        longitude: coordinate("longitude", &row.longitude)?,
        venue_id: row.venue_id,
        name: row.name,
        kind: row.kind,
        district: row.district,
        opening_hours: row.opening_hours,
    })
}

fn empty_rows<T>() -> Rows<T> {
    Rows {
        rows: Vec::new(),
        lines: Vec::new(),
        errors: Vec::new(),
    }
}

/// Imports the check-ins in one transaction, as `healthcode import checkins` does.
fn import_check_ins(store: &dyn Store, city: &mut CityFiles) -> anyhow::Result<((), String)> {
    let rows = std::mem::replace(&mut city.check_ins, empty_rows());
    let (_, report) = import::store_check_ins(store, &SystemClock, rows, &ProgressBar::hidden())
        .map_err(|error| import_failed("check_ins.csv", error))?;
    let done = format!("imported {} check-ins", thousands(report.stored));
    Ok(((), done))
}

/// Each resident's declarations, by the time they were made.
type Declared = HashMap<PersonId, Vec<Timestamp>>;

/// Records every declaration as it was made, of symptoms and of trips out of the city, audited
/// as the local operator's bulk import. Nobody is rated yet: publishing the region-risk list
/// rates everyone. Answers the declarations of symptoms.
fn record_declarations(
    store: &dyn Store,
    city: &mut CityFiles,
    residents: &Enrolled,
) -> anyhow::Result<(Declared, String)> {
    let access = Access::new(Actor::LocalOperator, Purpose::BulkImport, SystemClock.now());
    let enrolled: HashSet<PersonId> = residents
        .by_resident_id
        .values()
        .map(|(person, _)| *person)
        .collect();
    let mut declared = Declared::new();
    let rows = std::mem::replace(&mut city.declarations, empty_rows());
    let symptoms = record_declaration_rows(
        store,
        &access,
        &enrolled,
        "declarations.csv",
        &rows,
        declaration_of,
        |person, at| declared.entry(person).or_default().push(at),
    )?;
    let rows = std::mem::replace(&mut city.travel_declarations, empty_rows());
    // A trip dates no onset of illness: these are not among the declarations answered.
    let travel = record_declaration_rows(
        store,
        &access,
        &enrolled,
        "travel_declarations.csv",
        &rows,
        travel_declaration_of,
        |_, _| {},
    )?;
    let done = format!(
        "recorded {} declarations of symptoms and {} of travel",
        thousands(symptoms),
        thousands(travel)
    );
    Ok((declared, done))
}

/// Records the declarations of the rows of `file`, each made into a declaration by
/// `declaration`, and tells `recorded` of each one. Answers how many were recorded; a bad line
/// stops the demo, with every such line reported.
fn record_declaration_rows<R>(
    store: &dyn Store,
    access: &Access,
    enrolled: &HashSet<PersonId>,
    file: &str,
    rows: &Rows<R>,
    declaration: impl Fn(&R) -> Result<(PersonId, healthcode_core::Declaration), RowFieldError>,
    mut recorded: impl FnMut(PersonId, Timestamp),
) -> anyhow::Result<u64> {
    let mut errors = Vec::new();
    for (row, &line) in rows.rows.iter().zip(&rows.lines) {
        let (person, declaration) = match declaration(row) {
            Ok(checked) => checked,
            Err(error) => {
                errors.push(error.on_line(line));
                continue;
            }
        };
        if !enrolled.contains(&person) {
            errors.push(line_error(
                line,
                "person_id",
                "no resident with this person id is enrolled".to_owned(),
            ));
            continue;
        }
        store
            .record_declaration(access, &declaration)
            .with_context(|| format!("recording the declarations of {file}"))?;
        recorded(person, declaration.declared_at());
    }
    if !errors.is_empty() {
        return Err(invalid_lines(file, rows.line_count(), &errors));
    }
    Ok(rows.rows.len() as u64)
}

/// A declaration row as the declaration its resident made, through the API's checks.
fn declaration_of(
    row: &DeclarationRow,
) -> Result<(PersonId, healthcode_core::Declaration), RowFieldError> {
    let temperature = row.temperature_celsius.trim();
    let temperature_celsius = if temperature.is_empty() {
        None
    } else {
        Some(temperature.parse::<f64>().map_err(|_| RowFieldError {
            field: "temperature_celsius",
            message: "should be a number of degrees Celsius, or empty".to_owned(),
        })?)
    };
    let request = DeclarationRequest {
        event_id: row.event_id.clone(),
        symptoms: row
            .symptoms
            .split(';')
            .map(str::trim)
            .filter(|code| !code.is_empty())
            .map(str::to_owned)
            .collect(),
        temperature_celsius,
        travel: Vec::new(),
    };
    declaration_made(&row.person_id, &row.declared_at, request)
}

/// A travel declaration row as the declaration its resident made: no symptoms, one trip.
fn travel_declaration_of(
    row: &TravelDeclarationRow,
) -> Result<(PersonId, healthcode_core::Declaration), RowFieldError> {
    let request = DeclarationRequest {
        event_id: row.event_id.clone(),
        symptoms: Vec::new(),
        temperature_celsius: None,
        travel: vec![TravelRequest {
            region: row.region.clone(),
            from: row.from.clone(),
            to: row.to.clone(),
        }],
    };
    declaration_made(&row.person_id, &row.declared_at, request)
}

/// The declaration `request` of the resident `person_id` made at `declared_at`, through the
/// API's checks.
fn declaration_made(
    person_id: &str,
    declared_at: &str,
    request: DeclarationRequest,
) -> Result<(PersonId, healthcode_core::Declaration), RowFieldError> {
    let person = person_id
        .trim()
        .parse::<PersonId>()
        .map_err(|_| RowFieldError {
            field: "person_id",
            message: "should be a UUID".to_owned(),
        })?;
    let declared_at = declared_at
        .trim()
        .parse::<Timestamp>()
        .map_err(|_| RowFieldError {
            field: "declared_at",
            message: "should be an RFC 3339 time".to_owned(),
        })?;
    let declaration = request
        .into_declaration(person, declared_at)
        .map_err(|error| RowFieldError {
            field: "declaration",
            message: format!("{}: {}", error.field, error.message),
        })?;
    Ok((person, declaration))
}

/// Registers the network's cells, as `healthcode import cells` does.
fn register_cells(store: &dyn Store, city: &mut CityFiles) -> anyhow::Result<((), String)> {
    let rows = std::mem::replace(&mut city.cells, empty_rows());
    let (_, response) = store_cells(store, &SystemClock, rows, &ProgressBar::hidden())
        .map_err(|error| import_failed("cells.csv", error))?;
    Ok((
        (),
        format!("registered {} cells", thousands(response.stored)),
    ))
}

/// Imports the network's cell pings, as `healthcode import cell-pings` does: they become daily
/// stays, and the residents they are about are rated again. Pings older than the installation
/// keeps stays (possible in a long simulation) are left out, as a network would not send them.
fn import_cell_pings(
    store: &dyn Store,
    city: &mut CityFiles,
    retention: Retention,
) -> anyhow::Result<((), String)> {
    let mut rows = std::mem::replace(&mut city.cell_pings, empty_rows());
    let oldest = retention.stays_before(SystemClock.now());
    let kept = |row: &CellPingRow| {
        row.seen_at
            .trim()
            .parse::<Timestamp>()
            .map_or(true, |seen| seen >= oldest)
    };
    let before = rows.rows.len();
    let (rows_kept, lines_kept): (Vec<_>, Vec<_>) = rows
        .rows
        .into_iter()
        .zip(rows.lines)
        .filter(|(row, _)| kept(row))
        .unzip();
    let left_out = (before - rows_kept.len()) as u64;
    rows.rows = rows_kept;
    rows.lines = lines_kept;
    let imported =
        feeds::store_cell_pings(store, &SystemClock, retention, rows, &ProgressBar::hidden())
            .map_err(|error| import_failed("cell_pings.csv", error))?;
    let mut done = fed("cell pings", &imported);
    if left_out > 0 {
        done.push_str(&format!(
            "; left out {} older than stays are kept",
            thousands(left_out)
        ));
    }
    Ok(((), done))
}

/// Publishes the officials' region-risk list, as `healthcode region-risk publish` does, which
/// rates every resident: the demo's one rating of everyone, with the declarations and stays in.
fn publish_region_risk(store: &dyn Store, city: &mut CityFiles) -> anyhow::Result<((), String)> {
    let entries = std::mem::take(&mut city.region_risk);
    let (list, rerated, _) = publish_entries(store, &SystemClock, &entries)?;
    let done = format!(
        "published region-risk list version {} ({} regions) and rated {} residents",
        list.version,
        thousands(list.entries.len() as u64),
        thousands(rerated.people)
    );
    Ok(((), done))
}

/// Imports the transit operators' boardings, as `healthcode import boardings` does.
fn import_boardings(store: &dyn Store, city: &mut CityFiles) -> anyhow::Result<((), String)> {
    let rows = std::mem::replace(&mut city.boardings, empty_rows());
    let imported = feeds::store_boardings(store, &SystemClock, rows, &ProgressBar::hidden())
        .map_err(|error| import_failed("boardings.csv", error))?;
    Ok((
        (),
        format!("imported {} boardings", thousands(imported.response.stored)),
    ))
}

/// Activates the shipped default policy on a city nobody is enrolled in yet, so that it rates
/// nobody: the region-risk list rates everyone once their facts are in.
fn activate_policy(
    store: &dyn Store,
) -> anyhow::Result<((std::sync::Arc<Policy>, String), String)> {
    let (policy, default) =
        active_policy(store, SystemClock.now()).context("activating the default policy")?;
    let version = default.version.to_string();
    let done = match default.rerated {
        Some(report) if report.people > 0 => format!(
            "activated policy {version} and rated {} residents",
            thousands(report.people)
        ),
        Some(_) => format!("activated policy {version}; nobody is enrolled to rate yet"),
        None => format!("policy {version} was active"),
    };
    Ok(((policy, version), done))
}

/// A resident's first positive test, which makes them a confirmed case.
#[derive(Debug)]
struct Positive {
    /// Their line in `residents.csv`'s rows.
    resident: usize,
    onset: Timestamp,
    reported_at: Timestamp,
}

/// The residents with a positive test, each once, in the order their first positive result was
/// reported. The onset of their case is their first declaration in the days before the sample,
/// if they declared, and otherwise the sample.
fn positive_tests(city: &CityFiles, residents: &Enrolled, declared: &Declared) -> Vec<Positive> {
    let mut first: HashMap<usize, (Timestamp, Timestamp)> = HashMap::new();
    for row in &city.test_results.rows {
        if row.outcome.trim() != "positive" {
            continue;
        }
        let (Some(&(_, resident)), Ok(sampled), Ok(reported)) = (
            residents.by_resident_id.get(row.resident_id.trim()),
            row.sampled_at.parse::<Timestamp>(),
            row.reported_at.parse::<Timestamp>(),
        ) else {
            // The laboratory feed reports such rows, with their lines, before cases are made.
            continue;
        };
        let earliest = first.entry(resident).or_insert((sampled, reported));
        if sampled < earliest.0 {
            *earliest = (sampled, reported);
        }
    }
    let mut positives: Vec<Positive> = first
        .into_iter()
        .map(|(resident, (sampled, reported_at))| {
            let row = &city.residents.rows[resident];
            let person = residents.by_resident_id[&row.resident_id].0;
            let lookback = sampled.checked_sub(ONSET_LOOKBACK).unwrap_or(sampled);
            let onset = declared
                .get(&person)
                .and_then(|times| {
                    times
                        .iter()
                        .copied()
                        .filter(|&at| at >= lookback && at <= sampled)
                        .min()
                })
                .unwrap_or(sampled);
            Positive {
                resident,
                onset,
                reported_at,
            }
        })
        .collect();
    positives.sort_by_key(|positive| (positive.reported_at, positive.resident));
    positives
}

/// Imports the laboratories' results, as `healthcode import test-results` does: the residents
/// they are about are rated again.
fn import_test_results(store: &dyn Store, city: &mut CityFiles) -> anyhow::Result<((), String)> {
    let rows = std::mem::replace(&mut city.test_results, empty_rows());
    let imported = feeds::store_lab_results(store, &SystemClock, rows, &ProgressBar::hidden())
        .map_err(|error| import_failed("test_results.csv", error))?;
    Ok(((), fed("test results", &imported)))
}

/// Imports the pharmacies' reports, as `healthcode import pharmacy-purchases` does.
fn import_pharmacy_purchases(
    store: &dyn Store,
    city: &mut CityFiles,
) -> anyhow::Result<((), String)> {
    let rows = std::mem::replace(&mut city.pharmacy_purchases, empty_rows());
    let imported =
        feeds::store_pharmacy_purchases(store, &SystemClock, rows, &ProgressBar::hidden())
            .map_err(|error| import_failed("pharmacy_purchases.csv", error))?;
    Ok(((), fed("pharmacy purchases", &imported)))
}

fn fed(what: &str, imported: &FeedImport) -> String {
    format!(
        "imported {} {what}, {} residents rated again",
        thousands(imported.response.stored),
        thousands(imported.response.people_rated)
    )
}

/// The username of the demo's account with each staff role.
fn staff_username(role: Role) -> &'static str {
    match role {
        Role::HealthOfficial => "official",
        Role::CheckpointWorker => "checkpoint",
        Role::VenueOperator => "venue",
        Role::Employer => "employer",
        Role::Auditor => "auditor",
        Role::Admin => "admin",
        Role::Laboratory => "laboratory",
        Role::Pharmacy => "pharmacy",
        Role::CommunityWorker => "community",
        Role::TransitOperator => "transit",
        Role::PhoneNetwork => "network",
        Role::Resident => "resident",
    }
}

/// One staff account per staff role, each with a generated password, as `healthcode admin
/// create-user` makes them.
fn create_staff_accounts(
    store: &dyn Store,
) -> anyhow::Result<(Vec<(StaffLogin, StaffAccount)>, String)> {
    let mut staff = Vec::with_capacity(Role::STAFF.len());
    for role in Role::STAFF {
        let username = staff_username(role);
        let password = crate::generate_password();
        let account =
            accounts::create_staff_account(store, &SystemClock, username, &password, role)
                .with_context(|| format!("creating the {} account {username}", role.code()))?;
        staff.push((
            StaffLogin {
                username: username.to_owned(),
                role,
                password,
            },
            account,
        ));
    }
    let done = format!("created {} staff accounts, one per role", staff.len());
    Ok((staff, done))
}

/// Registers a confirmed case for each resident with a positive test, as the demo's health
/// official would register a day's cases: together, through the service behind `POST
/// /v1/cases`, each recorded and then all traced side by side, their new contacts recorded and
/// rated. Each resident was isolated when their result was reported.
fn register_cases(
    store: &dyn Store,
    policy: &Policy,
    official: &StaffAccount,
    city: &CityFiles,
    positives: &[Positive],
) -> anyhow::Result<(Vec<TraceResponse>, String)> {
    let now = SystemClock.now();
    let new_cases = positives
        .iter()
        .map(|positive| {
            let request = CaseRequest {
                case_id: uuid::Uuid::new_v4().to_string(),
                resident_id: city.residents.rows[positive.resident].resident_id.clone(),
                status: "confirmed".to_owned(),
                onset: positive.onset.to_string(),
                isolated_at: Some(positive.reported_at.to_string()),
            };
            request.parse(now).map_err(|error| {
                anyhow::anyhow!(
                    "a case of a positive test in test_results.csv: {}: {}",
                    error.field,
                    error.message
                )
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let official = Actor::Staff {
        id: official.id,
        role: Role::HealthOfficial,
    };
    let access = Access::new(official, Endpoint::RegisterCase.purpose(), now);
    let registered = cases::register_cases(store, &access, policy, &new_cases)
        .context("registering the cases")?;
    let traces: Vec<TraceResponse> = registered
        .into_iter()
        .filter_map(|registered| registered.trace)
        .collect();
    let mut close = HashSet::new();
    let mut secondary = HashSet::new();
    for contact in traces.iter().flat_map(|trace| &trace.contacts) {
        match contact.degree.as_str() {
            "close" => close.insert(contact.person_id),
            _ => secondary.insert(contact.person_id),
        };
    }
    let done = format!(
        "registered and traced {} confirmed cases as the official: {} residents found as close \
         contacts, {} as secondary",
        thousands(traces.len() as u64),
        thousands(close.len() as u64),
        thousands(secondary.len() as u64)
    );
    Ok((traces, done))
}

/// Signs a resident in as their phone would, by resending their enrolment, which hands out a new
/// device token (the one stored at enrolment stops working). The resident is one whose colour
/// is not green if the epidemic left anyone so, looked for among the latest cases' close
/// contacts, then the cases, their secondary contacts and those who declared symptoms; each
/// look is an audited read of that resident's status. Answers the resident and the case they
/// are about, if any.
fn sign_in_resident(
    store: &dyn Store,
    policy: &Policy,
    city: &CityFiles,
    residents: &Enrolled,
    traces: &[TraceResponse],
    declared: &Declared,
) -> anyhow::Result<((ResidentLogin, Option<CaseId>), String)> {
    let mut candidates: Vec<(PersonId, Option<CaseId>)> = Vec::new();
    let latest_first = traces.iter().rev();
    for trace in latest_first.clone() {
        let case = Some(CaseId::from_uuid(trace.case_id));
        let close = trace
            .contacts
            .iter()
            .filter(|contact| contact.degree == "close");
        // Contacts at a venue first: their reasons show where and when.
        let (at_venues, elsewhere): (Vec<_>, Vec<_>) =
            close.partition(|contact| contact.venue_id.is_some());
        for contact in at_venues.into_iter().chain(elsewhere) {
            candidates.push((PersonId::from_uuid(contact.person_id), case));
        }
    }
    for trace in latest_first.clone() {
        candidates.push((
            PersonId::from_uuid(trace.person_id),
            Some(CaseId::from_uuid(trace.case_id)),
        ));
    }
    for trace in latest_first {
        let case = Some(CaseId::from_uuid(trace.case_id));
        for contact in trace
            .contacts
            .iter()
            .filter(|contact| contact.degree != "close")
        {
            candidates.push((PersonId::from_uuid(contact.person_id), case));
        }
    }
    let mut declarers: Vec<(Timestamp, PersonId)> = declared
        .iter()
        .filter_map(|(person, times)| times.iter().max().map(|&last| (last, *person)))
        .collect();
    declarers.sort_unstable_by(|a, b| b.cmp(a));
    candidates.extend(declarers.into_iter().map(|(_, person)| (person, None)));
    let first_resident = residents
        .by_resident_id
        .values()
        .min_by_key(|(_, index)| *index)
        .map(|(person, _)| *person)
        .context("the city has no residents")?;
    candidates.push((first_resident, None));

    let access = Access::new(
        Actor::LocalOperator,
        Endpoint::ReadPersonStatus.purpose(),
        SystemClock.now(),
    );
    let mut seen = HashSet::new();
    let mut chosen: Option<(PersonId, Option<CaseId>, Colour)> = None;
    for (person, case) in candidates {
        if !seen.insert(person) {
            continue;
        }
        if seen.len() > RESIDENT_CANDIDATES {
            break;
        }
        let colour = rating_service::status(store, &access, policy, person)
            .context("reading a resident's status")?
            .colour;
        let better = match &chosen {
            None => true,
            Some((_, _, best)) => severity(colour) > severity(*best),
        };
        if better {
            chosen = Some((person, case, colour));
        }
        if colour == Colour::Red {
            break;
        }
    }
    let (person, case, colour) = chosen.context("the city has no residents")?;

    let index = residents
        .by_resident_id
        .values()
        .find(|(enrolled, _)| *enrolled == person)
        .map(|(_, index)| *index)
        .context("the resident chosen is enrolled")?;
    let resident = NewResident::try_from(enrol_request(&city.residents.rows[index]))
        .map_err(|error| anyhow::anyhow!("{}: {}", error.field, error.message))?;
    let answer = service::enrol(store, SystemClock.now(), resident)
        .context("resending the resident's enrolment")?;
    if !answer.replayed {
        bail!("resending a resident's enrolment enrolled someone new");
    }
    let done = format!(
        "signed in a resident whose colour is {}, as their phone would",
        colour.code()
    );
    let login = ResidentLogin {
        person,
        colour,
        device_token: answer.response.device_token,
    };
    let case = case.or_else(|| traces.last().map(|trace| CaseId::from_uuid(trace.case_id)));
    Ok(((login, case), done))
}

/// Red over yellow over green.
fn severity(colour: Colour) -> u8 {
    match colour {
        Colour::Green => 0,
        Colour::Yellow => 1,
        Colour::Red => 2,
    }
}

/// Prints where the API is, the logins and example requests (or, with `json`, all of it as one
/// line of JSON), on standard output.
fn print_city(city: &DemoCity, address: Option<SocketAddr>, json: bool) -> anyhow::Result<()> {
    let url = address.map(|address| format!("http://{address}"));
    if json {
        let staff: Vec<serde_json::Value> = city
            .staff
            .iter()
            .map(|login| {
                serde_json::json!({
                    "username": login.username,
                    "role": login.role.code(),
                    "password": login.password,
                })
            })
            .collect();
        let stages: Vec<serde_json::Value> = city
            .stages
            .iter()
            .map(|stage| serde_json::json!({"stage": stage.stage, "seconds": stage.seconds}))
            .collect();
        let printed = serde_json::json!({
            "url": url,
            "data_dir": city.data_dir.display().to_string(),
            "residents": city.residents,
            "policy": city.policy,
            "staff": staff,
            "resident": {
                "person_id": city.resident.person.to_string(),
                "colour": city.resident.colour.code(),
                "device_token": city.resident.device_token,
            },
            "case_id": city.case.map(|case| case.to_string()),
            "venue_id": city.venue.map(|venue| venue.to_string()),
            "stages": stages,
            "seconds": city.seconds,
        });
        println!("{printed}");
    } else {
        print!("{}", city_text(city, url.as_deref()));
    }
    // The logins must reach whoever waits for them before the server's first request.
    use std::io::Write as _;
    std::io::stdout().flush().context("writing the logins")
}

/// The demo's welcome in words: the API, the logins, and requests to try.
fn city_text(city: &DemoCity, url: Option<&str>) -> String {
    let dir = city.data_dir.display();
    let mut out = format!(
        "\nA city of {} residents, rated under {}, built in {:.1} s in {dir}.\n",
        thousands(city.residents),
        city.policy,
        city.seconds
    );
    match url {
        Some(url) => out.push_str(&format!(
            "The pages are at {url}/ and the API at {url}/v1 (its description at \
             {url}/openapi.json). Ctrl-C stops it; `healthcode --data {dir} serve` serves this \
             city again.\n"
        )),
        None => out.push_str(&format!("Serve it with `healthcode --data {dir} serve`.\n")),
    }
    out.push_str(
        "\nStaff accounts (sign in at /sign-in, or with POST /v1/sessions; the passwords are \
         shown only now):\n",
    );
    for login in &city.staff {
        out.push_str(&format!(
            "  {:<18} {:<11} {}\n",
            login.role.code(),
            login.username,
            login.password
        ));
    }
    let resident = &city.resident;
    out.push_str(&format!(
        "\nA resident whose colour is {}, signed in as their phone would be (paste the token \
         at /sign-in/device to see their pages):\n  person {}\n  device token {}\n",
        resident.colour.code(),
        resident.person,
        resident.device_token
    ));
    let url = url.map_or_else(|| "http://127.0.0.1:8080".to_owned(), |url| url.to_owned());
    let password = |role: Role| {
        city.staff
            .iter()
            .find(|login| login.role == role)
            .map_or("", |login| login.password.as_str())
    };
    let sign_in = |variable: &str, role: Role| {
        format!(
            "{variable}=$(curl -s {url}/v1/sessions -H 'content-type: application/json' \\\n  \
             -d '{{\"username\": \"{}\", \"password\": \"{}\"}}' | jq -r .token)\n",
            staff_username(role),
            password(role)
        )
    };
    let device = &resident.device_token;
    let person = resident.person;
    out.push_str("\nTry:\n\n");
    out.push_str(&format!(
        "# The resident's colour, why, and what would change it (?lang=zh-CN for Chinese):\n\
         curl -s {url}/v1/me/status -H 'authorization: Bearer {device}'\n\n"
    ));
    out.push_str("# The health official reads the resident's status and a case's contacts:\n");
    out.push_str(&sign_in("OFFICIAL", Role::HealthOfficial));
    out.push_str(&format!(
        "curl -s {url}/v1/people/{person}/status -H \"authorization: Bearer $OFFICIAL\"\n"
    ));
    if let Some(case) = city.case {
        out.push_str(&format!(
            "curl -s {url}/v1/cases/{case}/contacts -H \"authorization: Bearer $OFFICIAL\" \\\n  \
             | jq '.contacts[:3]'\n"
        ));
    }
    if let Some(venue) = city.venue {
        out.push_str(
            "\n# The resident's pass (five minutes), scanned by a checkpoint worker at a venue:\n",
        );
        out.push_str(&format!(
            "PASS=$(curl -s {url}/v1/me/pass -H 'authorization: Bearer {device}' | jq -r .text)\n"
        ));
        out.push_str(&sign_in("WORKER", Role::CheckpointWorker));
        out.push_str(&format!(
            "curl -s {url}/v1/scans -H \"authorization: Bearer $WORKER\" \\\n  \
             -H 'content-type: application/json' -d '{{\"venue_id\": \"{venue}\", \"text\": \"'\"$PASS\"'\"}}'\n"
        ));
    }
    out.push_str("\n# The auditor reads who touched the resident's data, and why:\n");
    out.push_str(&sign_in("AUDITOR", Role::Auditor));
    out.push_str(&format!(
        "curl -s '{url}/v1/audit?subject={person}' -H \"authorization: Bearer $AUDITOR\"\n"
    ));
    out
}
