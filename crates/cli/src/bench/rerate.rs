//! `healthcode bench rerate`: how fast the rating engine re-rates a whole population when a
//! policy changes.
//!
//! The facts are those a health-code system holds after some days of the simulated city's
//! epidemic (module `facts`: declarations of colds and COVID-19, pharmacy sales, test results,
//! confirmed cases and the close and secondary contacts found by tracing them), then:
//!
//! - every resident is rated under the changed policy on all cores: the figure the goal is
//!   about;
//! - the engine and a peer — the default policy's colour and validity written out by hand as
//!   plain Rust, no interpretation — rate everyone under the default policy on one core, back to
//!   back. Their ratio is the price of policy-as-data, and their answers must agree for every
//!   resident: a second code path that checks the first.
//!
//! With `--store`, the same population is also written into a fresh embedded store, and a policy
//! change is measured the way `healthcode policy activate` makes it: every resident's facts read
//! in one pass, rated, and the ratings that changed recorded.

mod facts;

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use healthcode_core::rating::{Colour, Facts, Policy, rate};
use healthcode_core::{Access, Actor, PersonId, Purpose, Timestamp};
use healthcode_server::policies::{
    Policies, activate_policy, ensure_default_policy, upload_policy,
};
use healthcode_store::SqliteStore;
use healthcode_store::sqlite::bench::{seed_facts, seed_population};

use self::facts::{FactCounts, SimulatedFacts};
use super::median;

/// The shipped default policy.
const DEFAULT_POLICY: &str = include_str!("../../../../policies/default.toml");

#[derive(Debug, Clone, Args)]
pub struct RerateOptions {
    /// Residents of the simulated city to re-rate.
    #[arg(long, default_value_t = 1_000_000)]
    residents: usize,
    /// Days of the simulated epidemic whose facts the residents have, rated on the evening of
    /// the last (by default a fortnight: the longest the default policy's colours last).
    #[arg(long, default_value_t = 14)]
    days: u32,
    /// How many times each measurement is made; medians are reported.
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// The changed policy to re-rate under. By default, the shipped default policy with close
    /// contacts red for 10 days instead of 14 and fever from 37.5 °C instead of 37.3 °C.
    #[arg(long, value_name = "FILE")]
    policy: Option<std::path::PathBuf>,
    /// Seed of the simulated city.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also measure through the embedded store, in a fresh temporary data directory: activating
    /// the changed policy and the default in turn, as `healthcode policy activate` does.
    #[arg(long)]
    store: bool,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

/// The figures of one run (medians over the repeats).
#[derive(Debug, Clone, serde::Serialize)]
pub struct RerateFigures {
    pub residents: usize,
    pub days: u32,
    /// The facts the residents have.
    pub facts: FactCounts,
    pub threads: usize,
    pub repeats: usize,
    pub changed_policy: String,
    /// Seconds to rate every resident under the changed policy, on all threads.
    pub rerate_seconds: f64,
    /// Residents whose colour differs between the default and the changed policy.
    pub colour_changes: BTreeMap<String, u64>,
    /// Seconds for the engine under the default policy, one thread.
    pub engine_seconds_one_thread: f64,
    /// Seconds for the hand-written peer under the default policy, one thread.
    pub peer_seconds_one_thread: f64,
    /// Median over the repeats of engine time / peer time, measured back to back.
    pub engine_to_peer_ratio: f64,
    /// Residents by colour under the default policy.
    pub colours: BTreeMap<String, u64>,
    /// The measurements through the store, with `--store`.
    pub store: Option<StoreFigures>,
}

/// A policy change through the embedded store (medians over the repeats).
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoreFigures {
    /// Seconds to write the residents and their facts (setup, not part of a re-rating).
    pub seed_seconds: f64,
    /// Seconds to rate everyone for the first time, when every rating is new.
    pub first_rating_seconds: f64,
    /// Seconds to activate the changed policy: read every resident's facts, rate, record.
    pub activate_changed_seconds: f64,
    /// Seconds to activate the default policy again.
    pub activate_default_seconds: f64,
    /// Ratings recorded by one activation (the residents whose rating changed).
    pub ratings_changed: u64,
}

pub fn run(options: &RerateOptions) -> anyhow::Result<()> {
    anyhow::ensure!(
        options.residents > 0 && options.days > 0 && options.repeats > 0,
        "residents, days and repeats must be positive"
    );
    let default = Policy::parse(DEFAULT_POLICY)
        .map_err(|errors| anyhow::anyhow!("the shipped default policy: {errors}"))?;
    let changed_source = match &options.policy {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|error| anyhow::anyhow!("reading {}: {error}", path.display()))?,
        None => changed_default_source()?,
    };
    let changed = Policy::parse(&changed_source)
        .map_err(|errors| anyhow::anyhow!("the changed policy:\n{errors}"))?;
    anyhow::ensure!(
        changed.version != default.version,
        "the changed policy should have another name or version than {}",
        default.version
    );
    let started = Instant::now();
    let simulated = facts::simulate(
        options.residents,
        options.days,
        options.seed,
        &default.tracing,
    );
    let (population, now) = (&simulated.facts, simulated.now);
    if !options.json {
        eprintln!(
            "simulated {} days of a city of {} residents in {:.2} s: {:?}",
            options.days,
            options.residents,
            started.elapsed().as_secs_f64(),
            simulated.counts
        );
    }
    // The peer must give the engine's answer for every resident, or the figures mean nothing.
    let mut colours = BTreeMap::new();
    for facts in population {
        let engine = rate(facts, &default, now);
        let peer = peer::rate_default(facts, now);
        anyhow::ensure!(
            (engine.colour, engine.valid_until) == peer,
            "the engine and the peer disagree: engine {:?} until {:?}, peer {peer:?}",
            engine.colour,
            engine.valid_until
        );
        *colours.entry(engine.colour.code().to_owned()).or_insert(0) += 1;
    }
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut rerate_times = Vec::new();
    let mut engine_times = Vec::new();
    let mut peer_times = Vec::new();
    let mut ratios = Vec::new();
    let mut colour_changes = BTreeMap::new();
    for repeat in 0..options.repeats {
        let started = Instant::now();
        let changed_colours = rate_all(population, &changed, now, threads);
        let rerate = started.elapsed().as_secs_f64();
        let (engine, peer) = if repeat % 2 == 0 {
            let engine = time_engine(population, &default, now);
            (engine, time_peer(population, now))
        } else {
            let peer = time_peer(population, now);
            (time_engine(population, &default, now), peer)
        };
        if !options.json {
            eprintln!(
                "repeat {}: re-rate {rerate:.3} s on {threads} threads; one thread: engine \
                 {engine:.3} s, peer {peer:.3} s",
                repeat + 1
            );
        }
        if repeat == 0 {
            for (facts, colour) in population.iter().zip(&changed_colours) {
                let before = rate(facts, &default, now).colour;
                if before != *colour {
                    *colour_changes
                        .entry(format!("{} -> {}", before.code(), colour.code()))
                        .or_insert(0) += 1;
                }
            }
        }
        rerate_times.push(rerate);
        engine_times.push(engine);
        peer_times.push(peer);
        ratios.push(engine / peer);
    }
    let store = if options.store {
        Some(measure_store(&simulated, &changed_source, options)?)
    } else {
        None
    };
    let figures = RerateFigures {
        residents: options.residents,
        days: options.days,
        facts: simulated.counts,
        threads,
        repeats: options.repeats,
        changed_policy: changed.version.to_string(),
        rerate_seconds: median(&mut rerate_times),
        colour_changes,
        engine_seconds_one_thread: median(&mut engine_times),
        peer_seconds_one_thread: median(&mut peer_times),
        engine_to_peer_ratio: median(&mut ratios),
        colours,
        store,
    };
    if options.json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        println!(
            "re-rating {} residents after {} simulated days, median of {}:",
            figures.residents, figures.days, figures.repeats
        );
        let counts = &figures.facts;
        println!(
            "  facts: {} declarations, {} test results, {} pharmacy purchases, {} cases, {} \
             close and {} secondary contacts; {} residents with any",
            counts.declarations,
            counts.test_results,
            counts.pharmacy_purchases,
            counts.cases,
            counts.close_contacts,
            counts.secondary_contacts,
            counts.residents_with_facts
        );
        println!(
            "  under {} on {} threads   {:>8.3} s",
            figures.changed_policy, figures.threads, figures.rerate_seconds
        );
        println!(
            "  engine, one thread            {:>8.3} s",
            figures.engine_seconds_one_thread
        );
        println!(
            "  hand-written peer, one thread {:>8.3} s",
            figures.peer_seconds_one_thread
        );
        println!(
            "  engine / peer                 {:>8.2}",
            figures.engine_to_peer_ratio
        );
        println!("  colours under default@1: {:?}", figures.colours);
        println!(
            "  colour changes under {}: {:?}",
            figures.changed_policy, figures.colour_changes
        );
        if let Some(store) = &figures.store {
            println!("through the embedded store, median of {}:", figures.repeats);
            println!(
                "  seeding residents and facts   {:>8.3} s",
                store.seed_seconds
            );
            println!(
                "  first rating of everyone      {:>8.3} s",
                store.first_rating_seconds
            );
            println!(
                "  activate {:<20} {:>8.3} s ({} ratings changed)",
                figures.changed_policy, store.activate_changed_seconds, store.ratings_changed
            );
            println!(
                "  activate default@1 again      {:>8.3} s",
                store.activate_default_seconds
            );
        }
    }
    Ok(())
}

/// Writes the residents and their facts into a fresh data directory, rates everyone under the
/// default policy, then activates the changed policy and the default in turn, timing each
/// activation.
fn measure_store(
    simulated: &SimulatedFacts,
    changed_source: &str,
    options: &RerateOptions,
) -> anyhow::Result<StoreFigures> {
    let now = simulated.now;
    let dir = tempfile::tempdir().context("creating a bench data directory")?;
    let store = SqliteStore::open(dir.path()).context("opening a bench store")?;
    let seeding = Access::new(Actor::LocalOperator, Purpose::BulkImport, now);
    let started = Instant::now();
    seed_population(&store, &seeding, &simulated.city.persons, &[])
        .context("storing the residents")?;
    let people: Vec<(PersonId, Facts)> = simulated
        .city
        .persons
        .iter()
        .map(|person| person.id)
        .zip(simulated.facts.iter().cloned())
        .collect();
    seed_facts(&store, &seeding, &people).context("storing the facts")?;
    let seed_seconds = started.elapsed().as_secs_f64();
    if !options.json {
        eprintln!("store: seeded in {seed_seconds:.2} s");
    }

    let started = Instant::now();
    let default = ensure_default_policy(&store, now).context("activating the default policy")?;
    let first_rating_seconds = started.elapsed().as_secs_f64();
    let operator = Access::new(Actor::LocalOperator, Purpose::Rating, now);
    let (changed, _) = upload_policy(&store, &operator, changed_source)
        .map_err(|error| anyhow::anyhow!("storing the changed policy: {error}"))?;
    let policies = Policies::new();
    let mut changed_times = Vec::new();
    let mut default_times = Vec::new();
    let mut ratings_changed = 0;
    for repeat in 0..options.repeats {
        for (version, times) in [
            (&changed.version, &mut changed_times),
            (&default.version, &mut default_times),
        ] {
            let started = Instant::now();
            let activation = activate_policy(&store, &operator, &policies, version)
                .map_err(|error| anyhow::anyhow!("activating {version}: {error}"))?;
            let seconds = started.elapsed().as_secs_f64();
            if !options.json {
                eprintln!(
                    "store repeat {}: activate {version} {seconds:.3} s, {} ratings changed",
                    repeat + 1,
                    activation.rerated.changed
                );
            }
            ratings_changed = activation.rerated.changed;
            times.push(seconds);
        }
    }
    Ok(StoreFigures {
        seed_seconds,
        first_rating_seconds,
        activate_changed_seconds: median(&mut changed_times),
        activate_default_seconds: median(&mut default_times),
        ratings_changed,
    })
}

/// The default policy with two parameters changed, as an analyst trying a variant would.
fn changed_default_source() -> anyhow::Result<String> {
    let source = DEFAULT_POLICY
        .replace("version = 1", "version = 2")
        .replace(
            "id = \"close_contact\"\nwhen = \"close_contact\"\ncolour = \"red\"\nfor = \"14d\"",
            "id = \"close_contact\"\nwhen = \"close_contact\"\ncolour = \"red\"\nfor = \"10d\"",
        )
        .replace("min_temperature = 37.3", "min_temperature = 37.5");
    anyhow::ensure!(
        source.contains("for = \"10d\"") && source.contains("37.5"),
        "the default policy no longer has the shape the changed policy is derived from"
    );
    Ok(source)
}

fn rate_all(population: &[Facts], policy: &Policy, now: Timestamp, threads: usize) -> Vec<Colour> {
    let chunk = population.len().div_ceil(threads.max(1));
    std::thread::scope(|scope| {
        let workers: Vec<_> = population
            .chunks(chunk.max(1))
            .map(|facts| {
                scope.spawn(move || {
                    facts
                        .iter()
                        .map(|facts| rate(facts, policy, now).colour)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a rating thread does not panic"))
            .collect()
    })
}

fn time_engine(population: &[Facts], policy: &Policy, now: Timestamp) -> f64 {
    let started = Instant::now();
    let reds = population
        .iter()
        .filter(|facts| rate(facts, policy, now).colour == Colour::Red)
        .count();
    std::hint::black_box(reds);
    started.elapsed().as_secs_f64()
}

fn time_peer(population: &[Facts], now: Timestamp) -> f64 {
    let started = Instant::now();
    let reds = population
        .iter()
        .filter(|facts| peer::rate_default(facts, now).0 == Colour::Red)
        .count();
    std::hint::black_box(reds);
    started.elapsed().as_secs_f64()
}

/// The shipped default policy, written out by hand: the peer the engine is measured against.
/// It knows nothing of policy files; it must give the same colour and validity as the engine
/// does under `policies/default.toml`.
mod peer {
    use healthcode_core::rating::{
        CaseStatus, Colour, ContactDegree, Facts, RiskLevel, TestOutcome,
    };
    use healthcode_core::{Symptom, Timestamp};
    use jiff::SignedDuration;

    const DAY: SignedDuration = SignedDuration::from_hours(24);

    /// An occurrence: its colour and when it ends (`None`: only an event ends it).
    type Held = (Colour, Option<Timestamp>);

    pub fn rate_default(facts: &Facts, now: Timestamp) -> (Colour, Option<Timestamp>) {
        if let Some(decision) = facts
            .overrides
            .iter()
            .filter(|o| o.set_at <= now && now < o.expires_at)
            .max_by_key(|o| (o.set_at, o.id))
        {
            return (decision.colour, Some(decision.expires_at));
        }
        let negative_after = |after: Timestamp| {
            facts.test_results.iter().any(|t| {
                t.outcome == TestOutcome::Negative
                    && t.sampled_at >= after
                    && t.sampled_at <= now
                    && t.reported_at <= now
            })
        };
        let mut held: Vec<Held> = Vec::new();
        for case in &facts.cases {
            let running = case.since <= now && case.released_at.is_none_or(|at| at > now);
            if running {
                let colour = match case.status {
                    CaseStatus::Confirmed => Colour::Red,
                    CaseStatus::Suspected => Colour::Yellow,
                };
                held.push((colour, None));
            }
        }
        for contact in &facts.contacts {
            let since = contact.found_at.max(contact.last_exposure);
            if since > now || contact.dismissed_at.is_some_and(|at| at <= now) {
                continue;
            }
            let (colour, days, lowered, test_after_days) = match contact.degree {
                ContactDegree::Close => (Colour::Red, 14, Colour::Yellow, 7),
                ContactDegree::Secondary => (Colour::Yellow, 7, Colour::Green, 3),
            };
            let end = contact.last_exposure + DAY * days;
            if end <= now {
                continue;
            }
            let colour = if negative_after(contact.last_exposure + DAY * test_after_days) {
                lowered
            } else {
                colour
            };
            held.push((colour, Some(end)));
        }
        for test in &facts.test_results {
            if test.outcome == TestOutcome::Positive
                && test.reported_at <= now
                && test.sampled_at <= now
                && test.sampled_at + DAY * 14 > now
            {
                held.push((Colour::Red, Some(test.sampled_at + DAY * 14)));
            }
        }
        let list = &facts.region_risk;
        let core = [
            Symptom::Fever,
            Symptom::DryCough,
            Symptom::ShortnessOfBreath,
            Symptom::LossOfTasteOrSmell,
            Symptom::SoreThroat,
        ];
        // A stay in a listed region, declared or from the itinerary: red (high) or yellow
        // (medium) for 14 days from the end of a stay that ended within the last 14.
        let stay = |region, from: jiff::civil::Date, to: jiff::civil::Date| -> Option<Held> {
            let (_, level) = list.level_of(region)?;
            let colour = match level {
                RiskLevel::High => Colour::Red,
                RiskLevel::Medium => Colour::Yellow,
                RiskLevel::Low => return None,
            };
            let midnight = |day: jiff::civil::Date| {
                jiff::tz::offset(8).to_timestamp(day.to_datetime(jiff::civil::Time::midnight()))
            };
            let began = midnight(from).ok()?;
            let ended = midnight(to.tomorrow().ok()?).ok()?;
            if began > now || ended <= now - DAY * 14 || ended + DAY * 14 <= now {
                return None;
            }
            Some((colour, Some(ended + DAY * 14)))
        };
        held.extend(
            facts
                .stays
                .iter()
                .filter_map(|known| stay(known.region, known.from, known.to)),
        );
        let mut symptomatic = Vec::new();
        for declaration in facts.declarations.iter().filter(|d| d.declared_at() <= now) {
            let at = declaration.declared_at();
            held.extend(
                declaration
                    .travel()
                    .iter()
                    .filter_map(|entry| stay(entry.region, entry.from, entry.to)),
            );
            let fever = declaration.temperature().is_some_and(|t| t.tenths() >= 373);
            let core_count = declaration
                .symptoms()
                .iter()
                .filter(|s| core.contains(s))
                .count();
            if (fever || core_count >= 2) && !negative_after(at) {
                held.push((Colour::Yellow, None));
            }
            if core_count >= 1 {
                symptomatic.push(at);
            }
        }
        for purchase in facts
            .pharmacy_purchases
            .iter()
            .filter(|p| p.purchased_at <= now)
        {
            for at in &symptomatic {
                let apart = at.duration_since(purchase.purchased_at).abs();
                let basis = (*at).max(purchase.purchased_at);
                if apart <= DAY * 3 && !negative_after(basis) {
                    held.push((Colour::Yellow, None));
                }
            }
        }
        let colour = held.iter().map(|(c, _)| *c).max().unwrap_or(Colour::Green);
        if colour == Colour::Green {
            return (Colour::Green, None);
        }
        let ends: Vec<Option<Timestamp>> = held
            .iter()
            .filter(|(c, _)| *c == colour)
            .map(|(_, end)| *end)
            .collect();
        if ends.iter().any(Option::is_none) {
            return (colour, None);
        }
        (colour, ends.into_iter().flatten().max())
    }
}
