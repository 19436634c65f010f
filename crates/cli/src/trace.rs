//! `healthcode trace CASE_ID...`: traces cases on the embedded store as the local operator, as
//! `POST /v1/cases/{case_id}/trace` does (new contacts recorded and rated again), and lists
//! every contact of each case with its evidence. Several cases are traced together: side by
//! side, recorded in one transaction, everyone found rated again once.

use anyhow::Context;
use clap::Args;
use healthcode_core::rating::CaseId;
use healthcode_core::{Access, Actor};
use healthcode_server::ApiError;
use healthcode_server::api::{ContactView, TraceResponse};
use healthcode_server::cases;
use healthcode_server::clock::{Clock, SystemClock};
use healthcode_server::endpoints::Endpoint;
use jiff::tz::Offset;

use crate::config::Config;
use crate::officials::moment;
use crate::ratings::{active_policy, note_default_policy};

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The cases' ids.
    #[arg(value_name = "CASE_ID", required = true, num_args = 1..)]
    cases: Vec<CaseId>,
    /// Print the result as JSON, in the shape of POST /v1/cases/{case_id}/trace: one line per
    /// case.
    #[arg(long)]
    json: bool,
}

pub fn run(config: &Config, args: TraceArgs) -> anyhow::Result<()> {
    let store = crate::open_store(&config.data_dir)?;
    let now = SystemClock.now();
    let (policy, default) = active_policy(&store, now)?;
    note_default_policy(&default);
    let access = Access::new(Actor::LocalOperator, Endpoint::TraceCase.purpose(), now);
    let traced =
        cases::trace_cases(&store, &access, &policy, &args.cases).map_err(|error| match error {
            ApiError::NotFound { what: "case", .. } => match args.cases.as_slice() {
                [case] => anyhow::anyhow!("no case has the id {case}"),
                _ => anyhow::anyhow!(
                    "some of the {} ids given name no case; nothing was recorded",
                    args.cases.len()
                ),
            },
            other => anyhow::Error::new(other),
        })?;
    for traced in &traced {
        if args.json {
            println!(
                "{}",
                serde_json::to_string(traced).context("writing the answer")?
            );
        } else {
            print!("{}", trace_text(traced, policy.utc_offset));
        }
    }
    Ok(())
}

fn trace_text(traced: &TraceResponse, offset: Offset) -> String {
    let mut out = format!("Case {} of person {}\n", traced.case_id, traced.person_id);
    match &traced.window {
        Some(window) => out.push_str(&format!(
            "Infectious from {} until {}.\n",
            moment(window.from, offset),
            moment(window.to, offset)
        )),
        None => out.push_str("Isolated before the infectious window opened: nobody to trace.\n"),
    }
    out.push_str(&format!(
        "Contacts: {}, of which {} found now:\n",
        traced.contacts.len(),
        traced.new_contacts
    ));
    for contact in &traced.contacts {
        out.push_str(&contact_line(contact, offset));
    }
    out
}

fn contact_line(contact: &ContactView, offset: Offset) -> String {
    let place = match (contact.venue_id, contact.trip_id) {
        (Some(venue), _) => format!("venue {venue}"),
        (_, Some(trip)) => format!("trip {trip}"),
        _ => contact.setting.clone(),
    };
    let mut line = format!(
        "  {:<9} person {}  {}  {} to {}, together {} min",
        contact.degree,
        contact.person_id,
        place,
        moment(contact.first_exposure, offset),
        moment(contact.last_exposure, offset),
        contact.together_minutes
    );
    if let Some(via) = contact.via_person_id {
        line.push_str(&format!(", via person {via}"));
    }
    if let Some(dismissal) = &contact.dismissal {
        line.push_str(&format!(
            "\n            dismissed {}: {}",
            moment(dismissal.at, offset),
            dismissal.reason
        ));
    }
    line.push('\n');
    line
}
