//! Phone-network data from the command line: a resident's itinerary for an investigation, and
//! the purge of movement data past its retention (which the server runs on its own every
//! `retention_interval_secs`).
//!
//! A resident is named by their person id or their resident ID number; the look-up by ID
//! number is audited like the read itself, under the purpose `case_investigation`, as the
//! named health official (`--as`) or else the local operator. The itinerary prints person ids,
//! cities and times, never a name or an ID number.

use anyhow::Context;
use clap::{Args, Subcommand};
use healthcode_core::rating::Language;
use healthcode_core::{Access, Actor, Itinerary, PersonId, Purpose, ResidentId, Username};
use healthcode_server::ApiError;
use healthcode_server::api::{ItineraryView, PurgeView};
use healthcode_server::clock::{Clock, SystemClock};
use healthcode_server::phone_service::{self, Retention};
use healthcode_store::Store;
use jiff::tz::{Offset, TimeZone};

use crate::config::Config;
use crate::officials::official;
use crate::ratings::{active_policy, note_default_policy};
use crate::thousands;

/// `healthcode itinerary RESIDENT`.
#[derive(Debug, Args)]
pub struct ItineraryArgs {
    /// The resident: their person id, or their 18-character resident ID number.
    #[arg(value_name = "RESIDENT")]
    resident: String,
    /// The username of the health official investigating (role health_official), under whom
    /// the read is audited; the local operator when absent.
    #[arg(long = "as", value_name = "USERNAME", value_parser = |text: &str| Username::parse(text))]
    official: Option<Username>,
    /// The language of the summary: en or zh-CN.
    #[arg(long, default_value = "en", value_parser = |code: &str| Language::parse(code))]
    lang: Language,
    /// Print the itinerary as JSON, in the shape of GET /v1/me/itinerary.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum PingsCommand {
    /// Delete raw cell pings, daily stays and the itinerary's days past their retention
    /// (`cell_ping_retention_days`, `daily_stay_retention_days`), as the server does every
    /// `retention_interval_secs`.
    Purge {
        /// Print what was deleted as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// A resident as the command line names them.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Resident {
    Person(PersonId),
    ResidentId(ResidentId),
}

impl Resident {
    fn parse(text: &str) -> anyhow::Result<Resident> {
        let text = text.trim();
        if let Ok(person) = text.parse::<PersonId>() {
            return Ok(Resident::Person(person));
        }
        ResidentId::parse(text)
            .map(Resident::ResidentId)
            .map_err(|error| {
                anyhow::anyhow!(
                    "RESIDENT should be a person id (a UUID) or a resident ID number: {error}"
                )
            })
    }
}

/// `healthcode itinerary RESIDENT`: the cities of each of the last 14 days.
pub fn run_itinerary(config: &Config, args: ItineraryArgs) -> anyhow::Result<()> {
    let resident = Resident::parse(&args.resident)?;
    let store = crate::open_store(&config.data_dir)?;
    let now = SystemClock.now();
    let actor = match &args.official {
        Some(username) => official(&store, username, "investigates cases")?,
        None => Actor::LocalOperator,
    };
    let access = Access::new(actor, Purpose::CaseInvestigation, now);
    let person = match resident {
        Resident::Person(person) => person,
        Resident::ResidentId(resident_id) => store
            .find_person(&access, &resident_id)
            .context("looking up the resident")?
            .context("no resident with this ID number is enrolled")?,
    };
    let (policy, default) = active_policy(&store, now)?;
    note_default_policy(&default);
    let itinerary = phone_service::itinerary(&store, &access, &policy, person).map_err(
        |error| match error {
            ApiError::NotFound { .. } => anyhow::anyhow!("no person has the id {person}"),
            other => anyhow::Error::new(other),
        },
    )?;
    if args.json {
        let view = ItineraryView::new(person, &itinerary, args.lang);
        println!("{}", serde_json::to_string(&view)?);
    } else {
        print!("{}", itinerary_text(person, &itinerary, policy.utc_offset));
    }
    Ok(())
}

/// The itinerary for an official: one line per day, each city with the first and last time
/// the phone was seen there, in the region's offset.
fn itinerary_text(person: PersonId, itinerary: &Itinerary, offset: Offset) -> String {
    let zone = TimeZone::fixed(offset);
    let clock = |at: jiff::Timestamp| at.to_zoned(zone.clone()).strftime("%H:%M").to_string();
    let mut out = format!(
        "Itinerary of person {person}, {} to {} (times at {offset}):\n",
        itinerary.from, itinerary.to
    );
    for day in &itinerary.days {
        if day.cities.is_empty() {
            out.push_str(&format!("  {}  -\n", day.day));
            continue;
        }
        let cities: Vec<String> = day
            .cities
            .iter()
            .map(|city| {
                format!(
                    "{} ({}-{})",
                    city.city,
                    clock(city.first_seen),
                    clock(city.last_seen)
                )
            })
            .collect();
        out.push_str(&format!("  {}  {}\n", day.day, cities.join(", ")));
    }
    let cities: Vec<String> = itinerary.cities().iter().map(ToString::to_string).collect();
    if cities.is_empty() {
        out.push_str("The phone was not seen in any city on these days.\n");
    } else {
        out.push_str(&format!("Cities: {}.\n", cities.join(", ")));
    }
    out
}

/// Runs a `healthcode pings` command.
pub fn run_pings(config: &Config, command: PingsCommand) -> anyhow::Result<()> {
    match command {
        PingsCommand::Purge { json } => purge(config, json),
    }
}

/// `healthcode pings purge`.
fn purge(config: &Config, json: bool) -> anyhow::Result<()> {
    let store = crate::open_store(&config.data_dir)?;
    let now = SystemClock.now();
    let retention = Retention::of(&config.server);
    let access = Access::new(Actor::LocalOperator, Purpose::DataRetention, now);
    let report =
        phone_service::purge(&store, &access, retention).context("deleting old phone data")?;
    let view = PurgeView::new(
        &report,
        retention.pings_before(now),
        retention.stays_before(now),
    );
    if json {
        println!("{}", serde_json::to_string(&view)?);
    } else {
        println!(
            "Deleted {} raw pings seen before {}, and {} daily stays, {} itinerary days and {} \
             proximity candidates' stays last seen before {}.",
            thousands(view.pings),
            view.pings_before,
            thousands(view.daily_stays),
            thousands(view.city_days),
            thousands(view.candidate_stays),
            view.stays_before
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resident_is_named_by_person_id_or_resident_id_number() {
        assert_eq!(
            Resident::parse("2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04").unwrap(),
            Resident::Person("2f1c7a9e-6b3d-4c1e-9f3a-5d2b8c7e1a04".parse().unwrap())
        );
        assert_eq!(
            Resident::parse(" 330106199001011256 ").unwrap(),
            Resident::ResidentId(ResidentId::parse("330106199001011256").unwrap())
        );
        let error = Resident::parse("330106199001011254")
            .unwrap_err()
            .to_string();
        assert!(error.contains("person id"), "{error}");
        assert!(!error.contains("330106199001011254"), "{error}");
    }
}
