//! The `healthcode` command line: the operator's entry point to serve the API, build a demo city
//! to try it on, prepare a data directory, manage staff accounts, import records and data feeds
//! in bulk, check, compare, activate and roll back rating policies, keep ratings current,
//! publish the region-risk list, work the appeal queue and override colours as a named health
//! official, list the residents in isolation whom nobody checked, and measure performance.
//!
//! Every command calls the same library functions as the HTTP server; the command line only
//! parses arguments, loads configuration and prints results.

pub mod bench;
pub mod config;
pub mod demo;
pub mod evaluate;
pub mod follow_up;
pub mod import;
pub mod officials;
pub mod pass;
pub mod phone;
pub mod policy;
pub mod ratings;
pub mod region_risk;
pub mod simulate;
pub mod trace;

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use healthcode_core::rating::Reporter;
use healthcode_core::{PersonId, Role};
use healthcode_server::Passes;
use healthcode_server::clock::{Clock, SystemClock};
use healthcode_store::{SqliteStore, Store};
use rand::Rng;
use rand::distr::Alphanumeric;

use crate::config::{Config, LogFormat};
use crate::follow_up::FollowUpCommand;
use crate::import::ImportFormat;
use crate::import::feeds::Feed;
use crate::officials::{AppealsCommand, OverrideArgs, StatusArgs};
use crate::phone::{ItineraryArgs, PingsCommand};
use crate::policy::PolicyCommand;
use crate::region_risk::RegionRiskCommand;

#[derive(Debug, Parser)]
#[command(
    name = "healthcode",
    version,
    about = "An epidemic health-code platform: explained colours, audited data.",
    long_about = "An epidemic health-code platform: explained colours, audited data.\n\n\
        Serve the HTTP API, build a demo city to try it on, prepare a data directory, manage \
        staff accounts, import check-ins and the data feeds (laboratory results, pharmacy \
        purchases, health reports, boardings, cells and cell pings), manage rating policies \
        (check, upload, compare, activate, roll back), keep ratings current, show residents' \
        colours with their reasons and their itineraries, trace cases, publish the region-risk \
        list, decide appeals, override colours, list the residents in isolation whom nobody \
        checked and purge old phone data. Every command calls the same library functions as the \
        server."
)]
struct Cli {
    /// Configuration file (TOML). `healthcode config print-default` shows every key.
    #[arg(long, global = true, env = "HEALTHCODE_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory, overriding the configuration's `data_dir`.
    #[arg(long = "data", global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API on the embedded store.
    Serve {
        /// Address to listen on, overriding the configuration's `listen`.
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// Create the data directory, its keys and its database if they do not exist.
    Init(JsonFlag),
    /// Manage staff accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Import records in bulk. Nothing is imported unless every line is valid.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Rating policies: check a file, upload, list, compare on the current data, activate,
    /// roll back.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// A resident's colour now, until when, why, and what would change it.
    Status(StatusArgs),
    /// Residents' ratings: a resident's history; re-rating those that ran out.
    #[command(subcommand)]
    Ratings(RatingsCommand),
    /// The region-risk list: show a version; publish a new one, rating everyone again.
    #[command(subcommand)]
    RegionRisk(RegionRiskCommand),
    /// Appeals: the queue, a resident's appeals, deciding one as a named official.
    #[command(subcommand)]
    Appeals(AppealsCommand),
    /// Override a resident's colour as a named official, with a reason and an expiry.
    Override(OverrideArgs),
    /// Trace a case: record and rate its new contacts, and list every contact with its
    /// evidence.
    Trace(trace::TraceArgs),
    /// Quarantine follow-up: the residents in isolation whom nobody checked on a day.
    #[command(subcommand)]
    FollowUp(FollowUpCommand),
    /// The cities a resident's phone was seen in on each of the last 14 days, for a case
    /// investigation.
    Itinerary(ItineraryArgs),
    /// Mobile networks' cell pings: delete those past their retention.
    #[command(subcommand)]
    Pings(PingsCommand),
    /// Signed passes: issue, verify (also EU certificates), rotate keys, trust lists, EU
    /// test vectors.
    #[command(subcommand)]
    Pass(pass::PassCommand),
    /// Build a demo: a simulated city loaded into its own data directory (default
    /// ./healthcode-demo), rated and traced, with a login for every staff role and a signed-in
    /// resident, and serve the API on it.
    Demo(demo::DemoArgs),
    /// Simulate a synthetic city's epidemic, deterministic by seed, writing the residents, the
    /// ground truth (under truth/) and a summary into a folder.
    Simulate(simulate::SimulateArgs),
    /// Judge rating policies on a simulated city: precision and recall of their colours
    /// against the true infections, isolation, infections prevented, justified appeals.
    Evaluate(evaluate::EvaluateArgs),
    /// Show configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Measure performance.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Args)]
struct JsonFlag {
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create a staff account. Without --password-stdin a strong password is generated and
    /// printed once.
    CreateUser {
        #[arg(long)]
        username: String,
        /// venue_operator, checkpoint_worker, health_official, employer, auditor, admin,
        /// laboratory, pharmacy, community_worker, transit_operator or phone_network.
        #[arg(long, value_parser = |code: &str| Role::parse(code))]
        role: Role,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        output: JsonFlag,
    },
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Import check-ins from a CSV file (with a header row) or a JSON-lines file, in the API's
    /// check-in shape: event_id, venue_id, person_id, entered, left, source.
    Checkins {
        file: PathBuf,
        /// The file's format; by default taken from its extension (.csv, .jsonl or .ndjson).
        #[arg(long, value_enum)]
        format: Option<ImportFormat>,
        #[command(flatten)]
        output: JsonFlag,
    },
    /// Import laboratory test results and rate their residents again.
    ///
    /// Rows in the shape of POST /v1/lab/results: event_id, resident_id, kind (pcr or
    /// antigen), outcome (positive, negative or inconclusive), sampled_at, reported_at.
    TestResults(FeedFile),
    /// Import pharmacy reports of medicine purchases and rate their residents again.
    ///
    /// Rows in the shape of POST /v1/pharmacy/purchases: event_id, resident_id, medicine
    /// (fever_reducer, cough_medicine or antiviral), purchased_at.
    PharmacyPurchases(FeedFile),
    /// Import a transit operator's real-name boardings with the trips they name.
    ///
    /// Rows in the shape of POST /v1/transit/boardings: event_id, trip_id, mode (flight,
    /// train, bus or taxi), trip_code, departs_at, resident_id, seat (may be empty),
    /// boarded_at, alighted_at (may be empty).
    Boardings(FeedFile),
    /// Register residents in households (a resident registered elsewhere moves).
    ///
    /// Rows in the shape of POST /v1/households: resident_id, household (the registry's code).
    Households(FeedFile),
    /// Import a daily health report of an employer or a community and rate its residents
    /// again.
    ///
    /// Rows in the shape of POST /v1/health-reports: event_id, resident_id, day, temperature
    /// (°C, may be empty), symptoms (codes, in CSV separated by `;`).
    HealthReports {
        #[command(flatten)]
        file: FeedFile,
        /// Who files the report: employer or community.
        #[arg(long, value_parser = |code: &str| Reporter::parse(code))]
        reporter: Reporter,
    },
    /// Import a mobile network's cells.
    ///
    /// Rows in the shape of POST /v1/cells: cell_id (MCC-MNC-AREA-CELL), latitude, longitude,
    /// city (a city code such as 330100, or a district of it).
    Cells(FeedFile),
    /// Import a mobile network's cell pings, reduce them to daily stays and rate residents
    /// whose itinerary gained a city again.
    ///
    /// Rows in the shape of POST /v1/cell-pings: event_id, resident_id, cell_id, seen_at.
    CellPings(FeedFile),
}

/// A data feed file to import.
#[derive(Debug, Args)]
struct FeedFile {
    /// A CSV file with a header row naming the fields, or a JSON-lines file.
    file: PathBuf,
    /// The file's format; by default taken from its extension (.csv, .jsonl or .ndjson).
    #[arg(long, value_enum)]
    format: Option<ImportFormat>,
    #[command(flatten)]
    output: JsonFlag,
}

#[derive(Debug, Subcommand)]
enum RatingsCommand {
    /// A resident's rating history, oldest first: colour, until, policy, cause and rules of
    /// each change.
    History {
        /// The resident's person id.
        #[arg(value_name = "PERSON_ID")]
        person: PersonId,
        #[command(flatten)]
        output: JsonFlag,
    },
    /// Re-rate, once, every resident whose rating has run out.
    ///
    /// A red whose fourteen days are over turns green. The server does this every
    /// `rerate_interval_secs`; run this from cron when it is not running.
    RerateDue(JsonFlag),
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print every configuration key with its default and meaning, as a TOML file.
    PrintDefault,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Bulk check-in ingest: the store's batch path against raw rusqlite inserts of the same
    /// rows into the same schema, and the HTTP batch endpoint, in one run.
    Ingest(bench::IngestOptions),
    /// Re-rating a synthetic population under a changed policy, on all cores, and the engine
    /// against a hand-written peer of the default policy on one core.
    Rerate(bench::rerate::RerateOptions),
    /// Tracing cases in a synthetic city of a million residents and seventy million
    /// check-ins, with their contacts recorded and re-rated, against a DuckDB peer computing the
    /// same close contacts.
    Trace(bench::trace::TraceOptions),
    /// Verifying a pass in full (QR text → verdict) against the bare signature check of the
    /// same key type, and issuing passes, on one core, for ES256 and EdDSA.
    Pass(bench::pass::PassOptions),
    /// Simulating a city with every event written to files, in person-days a second, against
    /// the same city simulated without writing, with the peak memory.
    Simulate(bench::simulate::SimulateOptions),
}

/// Parses the command line and runs the command.
pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(data_dir) = &cli.data_dir {
        config.data_dir = data_dir.clone();
    }
    match cli.command {
        Command::Serve { listen } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            init_logging(&config)?;
            serve(&config)
        }
        Command::Init(output) => init(&config, output.json),
        Command::Admin(AdminCommand::CreateUser {
            username,
            role,
            password_stdin,
            output,
        }) => create_user(&config, &username, role, password_stdin, output.json),
        Command::Import(ImportCommand::Checkins {
            file,
            format,
            output,
        }) => import::run(&config, &file, format, output.json),
        Command::Import(ImportCommand::TestResults(file)) => {
            import_feed(&config, file, Feed::TestResults)
        }
        Command::Import(ImportCommand::PharmacyPurchases(file)) => {
            import_feed(&config, file, Feed::PharmacyPurchases)
        }
        Command::Import(ImportCommand::Boardings(file)) => {
            import_feed(&config, file, Feed::Boardings)
        }
        Command::Import(ImportCommand::Households(file)) => {
            import_feed(&config, file, Feed::Households)
        }
        Command::Import(ImportCommand::HealthReports { file, reporter }) => {
            import_feed(&config, file, Feed::HealthReports(reporter))
        }
        Command::Import(ImportCommand::Cells(file)) => {
            import::cells::run(&config, &file.file, file.format, file.output.json)
        }
        Command::Import(ImportCommand::CellPings(file)) => {
            let retention = healthcode_server::phone_service::Retention::of(&config.server);
            import_feed(&config, file, Feed::CellPings(retention))
        }
        Command::Policy(command) => policy::run(&config, command),
        Command::Status(args) => officials::run_status(&config, args),
        Command::Ratings(RatingsCommand::History { person, output }) => {
            officials::run_history(&config, person, output.json)
        }
        Command::Ratings(RatingsCommand::RerateDue(output)) => {
            ratings::run_rerate_due(&config, output.json)
        }
        Command::RegionRisk(command) => region_risk::run(&config, command),
        Command::Appeals(command) => officials::run_appeals(&config, command),
        Command::Override(args) => officials::run_override(&config, args),
        Command::Trace(args) => trace::run(&config, args),
        Command::FollowUp(command) => follow_up::run(&config, command),
        Command::Itinerary(args) => phone::run_itinerary(&config, args),
        Command::Pings(command) => phone::run_pings(&config, command),
        Command::Pass(command) => pass::run(&config, command),
        Command::Demo(args) => demo::run(&config, cli.data_dir, args),
        Command::Simulate(args) => simulate::run(args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Config(ConfigCommand::PrintDefault) => {
            print!("{}", Config::default_toml());
            Ok(())
        }
        Command::Bench(BenchCommand::Ingest(options)) => bench::run_ingest(&options),
        Command::Bench(BenchCommand::Rerate(options)) => bench::rerate::run(&options),
        Command::Bench(BenchCommand::Trace(options)) => bench::trace::run(&options),
        Command::Bench(BenchCommand::Pass(options)) => bench::pass::run(&options),
        Command::Bench(BenchCommand::Simulate(options)) => bench::simulate::run(&options),
    }
}

fn import_feed(config: &Config, file: FeedFile, feed: Feed) -> anyhow::Result<()> {
    import::feeds::run(config, &file.file, file.format, feed, file.output.json)
}

/// A count with thousands separated by commas, as `1,204`.
pub fn thousands(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn init_logging(config: &Config) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log.filter)
        .with_context(|| format!("log.filter {:?} is not a valid filter", config.log.filter))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let installed = match config.log.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    installed.map_err(|error| anyhow::anyhow!("installing the logger: {error}"))
}

/// Opens the embedded store in the configured data directory, creating it on first use.
pub fn open_store(data_dir: &Path) -> anyhow::Result<SqliteStore> {
    SqliteStore::open(data_dir)
        .with_context(|| format!("opening the store in {}", data_dir.display()))
}

fn serve(config: &Config) -> anyhow::Result<()> {
    let listening = listen(config.listen)?;
    serve_on(config, listening, |address| {
        println!(
            "healthcode serving on http://{address} (data in {})",
            config.data_dir.display()
        );
        Ok(())
    })
}

/// A listening socket and the runtime that will serve it.
#[derive(Debug)]
pub(crate) struct Listening {
    runtime: tokio::runtime::Runtime,
    listener: tokio::net::TcpListener,
}

/// Starts the async runtime and listens on `address`, so that a port in use is known before
/// anything else is done.
pub(crate) fn listen(address: SocketAddr) -> anyhow::Result<Listening> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(address))
        .with_context(|| format!("listening on {address}"))?;
    Ok(Listening { runtime, listener })
}

/// Serves the API on the embedded store in `config.data_dir` until Ctrl-C, as `healthcode
/// serve` does. `announce` hears the address listened on (with the port taken, when the
/// configuration asked for port 0) before the first request is answered.
pub(crate) fn serve_on(
    config: &Config,
    listening: Listening,
    announce: impl FnOnce(SocketAddr) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let Listening { runtime, listener } = listening;
    let store: Arc<dyn Store> = Arc::new(open_store(&config.data_dir)?);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    runtime.block_on(async {
        // Built inside the runtime, the router starts re-rating expired colours at once rather
        // than with the first request.
        let passes = Passes::open(&config.data_dir, config.pass.clone(), clock.now())
            .with_context(|| format!("opening the pass keys in {}", config.data_dir.display()))?;
        let router = healthcode_server::router(store, clock, config.server.clone(), passes);
        let address = listener.local_addr()?;
        tracing::info!(%address, data_dir = %config.data_dir.display(), "healthcode is serving");
        announce(address)?;
        let shutdown = async {
            // If the signal handler cannot be installed the server runs until killed.
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down");
        };
        healthcode_server::serve(listener, router, shutdown)
            .await
            .context("serving HTTP")
    })
}

fn init(config: &Config, json: bool) -> anyhow::Result<()> {
    let existed = config
        .data_dir
        .join(healthcode_store::sqlite::DATABASE_FILE_NAME)
        .exists();
    let store = open_store(&config.data_dir)?;
    store.check_ready().context("checking the new store")?;
    let data_dir = config.data_dir.display().to_string();
    if json {
        println!(
            "{}",
            serde_json::json!({ "data_dir": data_dir, "created": !existed })
        );
    } else if existed {
        println!("{data_dir} was already initialised; its database and keys are unchanged.");
    } else {
        println!("Initialised {data_dir}: database, and keys readable only by this user.");
        println!("Next: healthcode admin create-user --username admin --role admin");
    }
    Ok(())
}

fn create_user(
    config: &Config,
    username: &str,
    role: Role,
    password_stdin: bool,
    json: bool,
) -> anyhow::Result<()> {
    let (password, generated) = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password")?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (generate_password(), true)
    };
    let store = open_store(&config.data_dir)?;
    let account = healthcode_server::accounts::create_staff_account(
        &store,
        &SystemClock,
        username,
        &password,
        role,
    )
    .context("creating the account")?;
    let shown_password = generated.then_some(password.as_str());
    if json {
        println!(
            "{}",
            serde_json::json!({
                "id": account.id.to_string(),
                "username": account.username.as_str(),
                "role": account.role.code(),
                "password": shown_password,
            })
        );
    } else {
        println!(
            "Created {} account {}.",
            account.role.code(),
            account.username
        );
        if let Some(password) = shown_password {
            println!("Password (shown once, store it safely): {password}");
        }
    }
    Ok(())
}

/// A random 20-character password from letters and digits (about 119 bits).
pub fn generate_password() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_printed_with_a_comma_between_thousands() {
        let printed: Vec<String> = [0, 7, 999, 1_000, 1_204, 65_536, 1_000_000]
            .into_iter()
            .map(thousands)
            .collect();
        assert_eq!(
            printed,
            ["0", "7", "999", "1,000", "1,204", "65,536", "1,000,000"]
        );
    }
}
