//! `healthcode follow-up …`: quarantine follow-up from the command line.
//!
//! `follow-up missed` lists the residents in isolation (latest colour red or yellow) whom nobody
//! checked on a day: no community worker's check and no declaration of their own. It calls the
//! server's `follow_up_service::missed_checks`, the function behind `GET /v1/follow-up/missed`,
//! and prints what the workers need to visit: person id, masked ID number, name and phone. The
//! read is audited under the purpose `quarantine_follow_up`, as the local operator or, with
//! `--as`, as the named community worker or health official. Names and phones go to standard
//! output for the operator, who is entitled to them, and are never logged.

use anyhow::Context;
use clap::Subcommand;
use healthcode_core::{Access, Actor, Date, Role, Username};
use healthcode_server::ApiError;
use healthcode_server::api::MissedChecks;
use healthcode_server::clock::{Clock, SystemClock};
use healthcode_server::endpoints::Endpoint;
use healthcode_server::follow_up_service;
use healthcode_store::Store;

use crate::config::Config;
use crate::ratings::{active_policy, note_default_policy};

#[derive(Debug, Subcommand)]
pub enum FollowUpCommand {
    /// The residents in isolation now whom nobody checked on a day, with their name and
    /// phone, in person id order.
    ///
    /// A check is a community worker's (POST /v1/follow-up/checks, or a community's daily
    /// health report about the day) or the resident's own declaration made that day. Days are
    /// read in the active policy's offset from UTC.
    Missed {
        /// The day, as YYYY-MM-DD; yesterday if absent.
        #[arg(long, value_name = "DAY")]
        day: Option<Date>,
        /// The username of the community worker or health official reading the list, whom the
        /// audit log names; the local operator if absent.
        #[arg(long = "as", value_name = "USERNAME", value_parser = |text: &str| Username::parse(text))]
        reader: Option<Username>,
        /// Print the list as JSON, in the shape of GET /v1/follow-up/missed.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `healthcode follow-up` command.
pub fn run(config: &Config, command: FollowUpCommand) -> anyhow::Result<()> {
    match command {
        FollowUpCommand::Missed { day, reader, json } => missed(config, day, reader, json),
    }
}

/// `healthcode follow-up missed`.
fn missed(
    config: &Config,
    day: Option<Date>,
    reader: Option<Username>,
    json: bool,
) -> anyhow::Result<()> {
    let store = crate::open_store(&config.data_dir)?;
    let now = SystemClock.now();
    let actor = match &reader {
        Some(username) => reader_account(&store, username)?,
        None => Actor::LocalOperator,
    };
    let (policy, default) = active_policy(&store, now)?;
    note_default_policy(&default);
    let access = Access::new(actor, Endpoint::ListMissedFollowUpChecks.purpose(), now);
    let missed = follow_up_service::missed_checks(&store, &access, &policy, day).map_err(
        |error| match error {
            ApiError::InvalidField(error) => {
                anyhow::anyhow!("--{}: {}", error.field, error.message)
            }
            other => anyhow::Error::new(other).context("listing the missed checks"),
        },
    )?;
    if json {
        println!("{}", serde_json::to_string(&missed)?);
    } else {
        print!("{}", missed_text(&missed));
    }
    Ok(())
}

/// The account `--as` names: it must exist and be a community worker's or a health official's,
/// the roles that may read the list over HTTP.
fn reader_account(store: &dyn Store, username: &Username) -> anyhow::Result<Actor> {
    let account = store
        .staff_account(username)
        .context("looking up the staff account")?
        .with_context(|| format!("--as: no staff account is named {username}"))?;
    if !Endpoint::ListMissedFollowUpChecks
        .allowed()
        .permits(Some(account.role))
    {
        anyhow::bail!(
            "--as: {username} has the role {}; only a {} or a {} reads the follow-up list",
            account.role.code(),
            Role::CommunityWorker.code(),
            Role::HealthOfficial.code()
        );
    }
    Ok(Actor::Staff {
        id: account.id,
        role: account.role,
    })
}

/// One line per resident to visit, under a line that says which day and how many.
fn missed_text(missed: &MissedChecks) -> String {
    let count = missed.residents.len();
    let mut out = match count {
        0 => format!(
            "Every resident in isolation was checked on {}.\n",
            missed.day
        ),
        1 => format!("1 resident in isolation had no check on {}:\n", missed.day),
        _ => format!(
            "{} residents in isolation had no check on {}:\n",
            crate::thousands(count as u64),
            missed.day
        ),
    };
    for resident in &missed.residents {
        out.push_str(&format!(
            "  {}  {}  {}  {}\n",
            resident.person_id, resident.masked_resident_id, resident.name, resident.phone
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use healthcode_server::api::MissedCheckView;

    use super::*;

    #[test]
    fn the_text_says_the_day_and_how_many_then_one_line_per_resident() {
        let day: Date = "2026-02-10".parse().unwrap();
        let none = MissedChecks {
            day,
            residents: Vec::new(),
        };
        assert_eq!(
            missed_text(&none),
            "Every resident in isolation was checked on 2026-02-10.\n"
        );
        let one = MissedChecks {
            day,
            residents: vec![MissedCheckView {
                person_id: uuid::Uuid::nil(),
                masked_resident_id: "330106********1256".into(),
                name: "张三明".into(),
                phone: "13800138000".into(),
            }],
        };
        assert_eq!(
            missed_text(&one),
            "1 resident in isolation had no check on 2026-02-10:\n  \
             00000000-0000-0000-0000-000000000000  330106********1256  张三明  13800138000\n"
        );
    }
}
