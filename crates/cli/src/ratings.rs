//! `healthcode ratings …`: keeping ratings current when the server is not running, and the
//! active policy every command that rates runs under.
//!
//! The server re-rates residents whose rating ran out on its own, every
//! `rerate_interval_secs`; an installation whose server is stopped (or that prefers a cron job)
//! runs `healthcode ratings rerate-due` instead. Both call the same library function. Nothing
//! here prints anything about a resident: only counts.

use std::sync::Arc;

use healthcode_core::Timestamp;
use healthcode_core::rating::Policy;
use healthcode_server::Policies;
use healthcode_server::api::RerateView;
use healthcode_server::clock::{Clock, SystemClock};
use healthcode_server::policies::{DefaultPolicy, ensure_default_policy};
use healthcode_server::rating_service::{RerateReport, rerate_due};
use healthcode_store::{Store, StoreError};

use crate::config::Config;
use crate::thousands;

/// The policy in force, after putting the shipped default in place if no policy was ever
/// activated (as the server does when it starts), and what that step did.
pub fn active_policy(
    store: &dyn Store,
    now: Timestamp,
) -> Result<(Arc<Policy>, DefaultPolicy), StoreError> {
    let default = ensure_default_policy(store, now)?;
    let policy = Policies::new().stored(store, &default.version)?;
    Ok((policy, default))
}

/// Tells the operator, on standard error, that this command activated the default policy: it
/// rated every resident, which they may not have expected of the command they ran.
pub fn note_default_policy(default: &DefaultPolicy) {
    if default.activated_now {
        let people = default.rerated.map_or(0, |report| report.people);
        eprintln!(
            "No policy was active: activated the shipped {} and rated {} residents under it.",
            default.version,
            thousands(people)
        );
    }
}

/// Re-rates, once, the residents whose rating has run out at `now`.
pub fn rerate_due_now(store: &dyn Store, now: Timestamp) -> Result<RerateReport, StoreError> {
    let (policy, default) = active_policy(store, now)?;
    note_default_policy(&default);
    rerate_due(store, &policy, now)
}

/// `healthcode ratings rerate-due`.
pub fn run_rerate_due(config: &Config, json: bool) -> anyhow::Result<()> {
    let store = crate::open_store(&config.data_dir)?;
    let report = rerate_due_now(&store, SystemClock.now())?;
    if json {
        println!("{}", serde_json::to_string(&RerateView::from(&report))?);
    } else {
        println!(
            "Re-rated {} residents whose rating had run out; {} ratings changed.",
            thousands(report.people),
            thousands(report.changed)
        );
    }
    Ok(())
}
