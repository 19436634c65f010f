//! `healthcode policy …`: the policy lifecycle from the command line — check a file, upload
//! it, list what is stored, compare two policies on the current data, activate, roll back.
//!
//! Every command calls the server's library functions in `healthcode_server::policies`, as
//! the local operator, so a policy activated here is the one the server runs with. Only
//! `check` works without a data directory. Comparisons name residents by their pseudonymous
//! person id only, never by anything that identifies them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;
use healthcode_core::rating::{Colour, Language, Policy, PolicyErrors, PolicyVersion, Rating};
use healthcode_core::{Access, Actor};
use healthcode_server::api::{
    ActivationResponse, PolicyDiffView, PolicyErrorView, PolicyList, UploadedPolicy,
};
use healthcode_server::clock::{Clock, SystemClock};
use healthcode_server::endpoints::Endpoint;
use healthcode_server::policies::{
    self, Activation, PolicyCatalogue, PolicyDiff, ensure_default_policy,
};
use healthcode_server::{ApiError, Policies};
use healthcode_store::{Store, StoreError, Write};

use crate::config::Config;
use crate::ratings::note_default_policy;
use crate::thousands;

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Check a policy file without storing it. Needs no data directory.
    ///
    /// A valid file prints `FILE: policy NAME@VERSION is valid (N rules)`. An invalid one
    /// prints each problem as `FILE:LINE:COLUMN: message` on standard error and exits with
    /// status 1.
    Check {
        /// The policy file (TOML).
        file: PathBuf,
        /// Print {valid, version, rules, errors: [{line, column, message}]} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check a policy file and store it. It is not active until activated.
    Upload {
        /// The policy file (TOML).
        file: PathBuf,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the stored policies, which is active, and every activation.
    List {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Compare two policies on the current data; stores nothing.
    ///
    /// Every resident is rated now under both; the residents are counted by pair of colours
    /// (e.g. green -> yellow), with sample reasons of each pair whose ratings differ.
    Diff {
        /// A stored policy (name@version) or a policy file.
        a: String,
        /// A stored policy (name@version) or a policy file.
        b: String,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Activate a stored policy and rate every resident again under it.
    Activate {
        /// The stored policy, as name@version (e.g. default@2).
        #[arg(value_parser = |text: &str| PolicyVersion::parse(text))]
        version: PolicyVersion,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Activate again the policy that was active before the current one, and rate every
    /// resident again under it.
    Rollback {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `healthcode policy` command.
pub fn run(config: &Config, command: PolicyCommand) -> anyhow::Result<()> {
    match command {
        PolicyCommand::Check { file, json } => check(&file, json),
        PolicyCommand::Upload { file, json } => upload(config, &file, json),
        PolicyCommand::List { json } => list(config, json),
        PolicyCommand::Diff { a, b, json } => diff(config, &a, &b, json),
        PolicyCommand::Activate { version, json } => activate(config, Some(&version), json),
        PolicyCommand::Rollback { json } => activate(config, None, json),
    }
}

/// Reads and checks a policy file, printing each problem of an invalid one.
pub(crate) fn load_policy_file(file: &Path) -> anyhow::Result<Policy> {
    let source = read_policy_file(file)?;
    policies::check_policy(&source).map_err(|errors| invalid_policy(file, &errors))
}

fn read_policy_file(file: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))
}

/// Prints each problem of an invalid policy file as `FILE:LINE:COLUMN: message`, the form
/// editors and terminals turn into links, and answers the error the command ends with.
fn invalid_policy(file: &Path, errors: &PolicyErrors) -> anyhow::Error {
    for error in &errors.0 {
        eprintln!(
            "{}:{}:{}: {}",
            file.display(),
            error.line,
            error.column,
            error.message
        );
    }
    not_valid(file, errors)
}

/// The error a command ends with when a policy file is invalid.
fn not_valid(file: &Path, errors: &PolicyErrors) -> anyhow::Error {
    let count = errors.0.len();
    let noun = if count == 1 { "problem" } else { "problems" };
    anyhow::anyhow!("{} is not a valid policy ({count} {noun})", file.display())
}

fn rule_count(count: usize) -> String {
    match count {
        1 => "1 rule".to_owned(),
        count => format!("{count} rules"),
    }
}

/// `healthcode policy check FILE`.
fn check(file: &Path, json: bool) -> anyhow::Result<()> {
    let source = read_policy_file(file)?;
    let checked = policies::check_policy(&source);
    if json {
        let answer = match &checked {
            Ok(policy) => serde_json::json!({
                "valid": true,
                "version": policy.version.to_string(),
                "rules": policy.rules.len(),
                "errors": [],
            }),
            Err(errors) => {
                let errors: Vec<PolicyErrorView> =
                    errors.0.iter().map(PolicyErrorView::from).collect();
                serde_json::json!({
                    "valid": false,
                    "version": null,
                    "rules": null,
                    "errors": errors,
                })
            }
        };
        println!("{answer}");
    }
    match checked {
        Ok(policy) => {
            if !json {
                println!(
                    "{}: policy {} is valid ({})",
                    file.display(),
                    policy.version,
                    rule_count(policy.rules.len())
                );
            }
            Ok(())
        }
        Err(errors) if json => Err(not_valid(file, &errors)),
        Err(errors) => Err(invalid_policy(file, &errors)),
    }
}

/// `healthcode policy upload FILE`.
fn upload(config: &Config, file: &Path, json: bool) -> anyhow::Result<()> {
    let source = read_policy_file(file)?;
    let store = crate::open_store(&config.data_dir)?;
    // As over HTTP: a policy file holds rules, not personal data, and its upload is audited
    // under the purpose of evaluating policies.
    let access = Access::new(
        Actor::LocalOperator,
        healthcode_core::Purpose::PolicyEvaluation,
        SystemClock.now(),
    );
    let (policy, write) = match policies::upload_policy(&store, &access, &source) {
        Ok(uploaded) => uploaded,
        Err(ApiError::InvalidPolicy(errors)) => return Err(invalid_policy(file, &errors)),
        Err(other) => {
            return Err(anyhow::Error::new(other))
                .with_context(|| format!("uploading {}", file.display()));
        }
    };
    let duplicate = write == Write::Duplicate;
    if json {
        let answer = UploadedPolicy::new(&policy, duplicate);
        println!("{}", serde_json::to_string(&answer)?);
    } else if duplicate {
        println!(
            "{} was already stored with the same text; nothing changed.",
            policy.version
        );
    } else {
        println!(
            "Stored policy {} ({}). It is not active until `healthcode policy activate {}`.",
            policy.version,
            rule_count(policy.rules.len()),
            policy.version
        );
    }
    Ok(())
}

/// `healthcode policy list`.
fn list(config: &Config, json: bool) -> anyhow::Result<()> {
    let store = crate::open_store(&config.data_dir)?;
    // As over HTTP, a new installation shows its default policy as active.
    let default = ensure_default_policy(&store, SystemClock.now())?;
    note_default_policy(&default);
    let catalogue = policies::policy_catalogue(&store)?;
    if json {
        println!("{}", serde_json::to_string(&PolicyList::from(&catalogue))?);
    } else {
        print!("{}", catalogue_text(&catalogue));
    }
    Ok(())
}

fn catalogue_text(catalogue: &PolicyCatalogue) -> String {
    let active = catalogue.active();
    let mut out = String::new();
    match active {
        Some(version) => out.push_str(&format!("Active policy: {version}\n")),
        None => out.push_str("No policy is active.\n"),
    }
    out.push_str("\nStored policies, oldest first:\n");
    for policy in &catalogue.policies {
        let marker = if Some(&policy.version) == active {
            "*"
        } else {
            " "
        };
        out.push_str(&format!(
            "{marker} {:<24} uploaded {} by {}\n",
            policy.version.to_string(),
            policy.uploaded_at,
            actor_text(&policy.uploaded_by)
        ));
    }
    out.push_str("\nActivations, oldest first:\n");
    for activation in &catalogue.activations {
        out.push_str(&format!(
            "  {}  {:<24} by {}\n",
            activation.activated_at,
            activation.version.to_string(),
            actor_text(&activation.activated_by)
        ));
    }
    out
}

/// Who acted, without anything that identifies a resident.
fn actor_text(actor: &Actor) -> String {
    match actor {
        Actor::Public => "the public".to_owned(),
        Actor::Resident(_) => "a resident".to_owned(),
        Actor::Staff { id, role } => format!("{} {id}", role.code()),
        Actor::LocalOperator => "the local operator".to_owned(),
        Actor::System => "healthcode itself".to_owned(),
    }
}

/// `healthcode policy activate VERSION`, or with no version `healthcode policy rollback`.
fn activate(config: &Config, version: Option<&PolicyVersion>, json: bool) -> anyhow::Result<()> {
    let store = crate::open_store(&config.data_dir)?;
    let now = SystemClock.now();
    // As on a server, which activates the default policy as it starts: rolling back from the
    // first policy an operator activates goes back to the default.
    let default = ensure_default_policy(&store, now)?;
    note_default_policy(&default);
    let policies = Policies::new();
    let access = Access::new(
        Actor::LocalOperator,
        Endpoint::ActivatePolicy.purpose(),
        now,
    );
    let activation = match version {
        Some(version) => policies::activate_policy(&store, &access, &policies, version),
        None => policies::rollback_policy(&store, &access, &policies),
    };
    let activation = activation.map_err(|error| match (error, version) {
        (ApiError::NotFound { .. }, Some(version)) => anyhow::anyhow!(
            "no policy {version} is stored; upload it first (`healthcode policy list` shows the stored ones)"
        ),
        (other, _) => anyhow::Error::new(other),
    })?;
    if json {
        let answer = ActivationResponse::from(&activation);
        println!("{}", serde_json::to_string(&answer)?);
    } else {
        println!("{}", activation_text(&activation, version.is_none()));
    }
    Ok(())
}

fn activation_text(activation: &Activation, rollback: bool) -> String {
    let verb = if rollback {
        "Rolled back to"
    } else {
        "Activated"
    };
    format!(
        "{verb} {}: rated {} residents again, {} ratings changed.",
        activation.version,
        thousands(activation.rerated.people),
        thousands(activation.rerated.changed)
    )
}

/// One side of a comparison: a policy file, checked, or a stored version.
enum PolicySide {
    File(Arc<Policy>),
    Stored(PolicyVersion),
}

impl PolicySide {
    /// A path that exists is a policy file, read and checked now; anything else must be a
    /// stored version. `name` says which side the argument is, for errors.
    fn of(argument: &str, name: &str) -> anyhow::Result<PolicySide> {
        let path = Path::new(argument);
        if path.exists() {
            return load_policy_file(path).map(|policy| PolicySide::File(Arc::new(policy)));
        }
        PolicyVersion::parse(argument)
            .map(PolicySide::Stored)
            .map_err(|_| {
                anyhow::anyhow!(
                    "{name}: {argument:?} is neither a policy file nor a stored version such as default@2"
                )
            })
    }

    fn policy(self, store: &dyn Store, policies: &Policies) -> anyhow::Result<Arc<Policy>> {
        match self {
            PolicySide::File(policy) => Ok(policy),
            PolicySide::Stored(version) => match policies.stored(store, &version) {
                Ok(policy) => Ok(policy),
                Err(StoreError::NotFound { .. }) => Err(anyhow::anyhow!(
                    "no policy {version} is stored (`healthcode policy list` shows the stored ones)"
                )),
                Err(other) => Err(other.into()),
            },
        }
    }
}

/// `healthcode policy diff A B`.
fn diff(config: &Config, a: &str, b: &str, json: bool) -> anyhow::Result<()> {
    // Files are checked before the store is opened: a mistake in one needs no data directory.
    let a = PolicySide::of(a, "A")?;
    let b = PolicySide::of(b, "B")?;
    let store = crate::open_store(&config.data_dir)?;
    let now = SystemClock.now();
    if matches!(a, PolicySide::Stored(_)) || matches!(b, PolicySide::Stored(_)) {
        // A new installation has its default policy stored, as it has on a server.
        let default = ensure_default_policy(&store, now)?;
        note_default_policy(&default);
    }
    let policies = Policies::new();
    let policy_a = a.policy(&store, &policies)?;
    let policy_b = b.policy(&store, &policies)?;
    let access = Access::new(Actor::LocalOperator, Endpoint::DiffPolicies.purpose(), now);
    let compared = policies::policy_diff(&store, &access, &policy_a, &policy_b)
        .context("comparing the policies")?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&PolicyDiffView::from(&compared))?
        );
    } else {
        print!("{}", diff_text(&compared));
    }
    Ok(())
}

/// The comparison for people: the pairs that change colour first, most residents first, then
/// those that keep it; then the samples with their reasons under each policy.
fn diff_text(diff: &PolicyDiff) -> String {
    let mut out = format!(
        "{} -> {} on {} residents at {}: {} would change colour.\n\n",
        diff.a,
        diff.b,
        thousands(diff.people),
        diff.evaluated_at
            .round(jiff::Unit::Second)
            .unwrap_or(diff.evaluated_at),
        thousands(diff.changed)
    );
    let mut pairs: Vec<_> = diff.pairs.iter().collect();
    pairs.sort_by_key(|pair| {
        (
            pair.under_a == pair.under_b,
            std::cmp::Reverse(pair.count),
            pair.under_a,
            pair.under_b,
        )
    });
    let width = pairs
        .iter()
        .map(|pair| thousands(pair.count).len())
        .max()
        .unwrap_or(1);
    for pair in &pairs {
        out.push_str(&format!(
            "  {:<6} -> {:<6}  {:>width$}\n",
            pair.under_a.code(),
            pair.under_b.code(),
            thousands(pair.count)
        ));
    }
    let samples: Vec<_> = pairs
        .iter()
        .flat_map(|pair| pair.samples.iter().map(move |sample| (pair, sample)))
        .collect();
    if !samples.is_empty() {
        out.push_str("\nSamples:\n");
    }
    for (pair, sample) in samples {
        out.push_str(&format!(
            "  {} -> {}, person {}:\n",
            pair.under_a.code(),
            pair.under_b.code(),
            sample.person
        ));
        out.push_str(&rating_text(&diff.a, &sample.under_a));
        out.push_str(&rating_text(&diff.b, &sample.under_b));
    }
    out
}

/// A rating's colour and its reasons, one per line, in English.
fn rating_text(version: &PolicyVersion, rating: &Rating) -> String {
    let mut out = format!("    under {version}: {}", rating.colour.code());
    if rating.reasons.is_empty() {
        let why = if rating.colour == Colour::Green {
            "no rule applies"
        } else {
            "no reasons"
        };
        out.push_str(&format!(", {why}\n"));
        return out;
    }
    out.push('\n');
    for reason in &rating.reasons {
        out.push_str(&format!(
            "      {} ({}): {}\n",
            reason.rule_id,
            reason.colour.code(),
            reason.text(Language::English, rating.offset)
        ));
    }
    out
}
