//! The health official's side of ratings from the command line: a resident's status and rating
//! history, the appeal queue, a resident's appeals, deciding an appeal, overriding a colour.
//!
//! Every command calls the server's library functions in `healthcode_server::rating_service`
//! and prints what they answer. Reads act as the local operator, audited as such under the
//! purpose the matching endpoint names. Decisions and overrides are made by a named official:
//! `--as USERNAME` must be a staff account with the `health_official` role, and the decision is
//! recorded and audited under that account, never as an anonymous operator.
//!
//! Residents are named by their pseudonymous person id only. An appeal's statement is personal
//! data: the appeal commands print it to the operator, who is entitled to it, and nothing here
//! ever logs it.

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use healthcode_core::rating::{
    AppealId, AppealOutcome, AppealRecord, Colour, Language, OverrideId, Rating, RatingCause,
    RatingRecord,
};
use healthcode_core::{Access, Actor, PersonId, Purpose, Role, Timestamp, Username};
use healthcode_server::ApiError;
use healthcode_server::Policies;
use healthcode_server::api::{
    AppealList, AppealQueue, AppealView, DecisionRequest, DecisionResponse, FieldError,
    MAX_QUEUE_LIMIT, OverrideRequest, OverrideResponse, QueuedAppealView, RatingHistory,
    RatingRecordView, StatusView,
};
use healthcode_server::clock::{Clock, SystemClock};
use healthcode_server::endpoints::Endpoint;
use healthcode_server::rating_service::{self, DecidedAppeal, QueuedAppeal};
use healthcode_store::{Store, Write};
use jiff::tz::{Offset, TimeZone};

use crate::config::Config;
use crate::ratings::{active_policy, note_default_policy};

/// `healthcode status PERSON_ID`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The resident's person id.
    #[arg(value_name = "PERSON_ID")]
    person: PersonId,
    /// The language of the reasons and next steps: en or zh-CN.
    #[arg(long, default_value = "en", value_parser = |code: &str| Language::parse(code))]
    lang: Language,
    /// Print the status as JSON, in the shape of GET /v1/people/{person_id}/status.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum AppealsCommand {
    /// Undecided appeals, oldest first, each with the statement and the appealed rating's
    /// reasons.
    Queue {
        /// At most this many appeals.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_QUEUE_LIMIT)))]
        limit: u32,
        /// The language of the reasons: en or zh-CN.
        #[arg(long, default_value = "en", value_parser = |code: &str| Language::parse(code))]
        lang: Language,
        /// Print the queue as JSON, in the shape of GET /v1/appeals/queue.
        #[arg(long)]
        json: bool,
    },
    /// A resident's appeals, oldest first, each with its decision once decided.
    List {
        /// The resident's person id.
        #[arg(value_name = "PERSON_ID")]
        person: PersonId,
        /// Print the appeals as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Decide an appeal as a named health official: uphold the rating, or amend it with an
    /// override.
    Decide(DecideArgs),
}

/// `healthcode appeals decide APPEAL_ID`.
#[derive(Debug, Args)]
pub struct DecideArgs {
    /// The appeal's id, as `healthcode appeals queue` shows it.
    #[arg(value_name = "APPEAL_ID")]
    appeal: AppealId,
    /// The username of the deciding official's staff account (role health_official).
    #[arg(long = "as", value_name = "USERNAME", value_parser = |text: &str| Username::parse(text))]
    official: Username,
    /// The decision; to amend, give --colour and --expires-at.
    #[arg(long, value_enum)]
    outcome: Outcome,
    /// Why, written for the resident, who sees it with the outcome.
    #[arg(long)]
    reason: String,
    /// To amend: the colour to set.
    #[arg(long, value_parser = |code: &str| Colour::parse(code))]
    colour: Option<Colour>,
    /// To amend: when the override ends, RFC 3339 (2026-02-14T09:00:00+08:00), in the future.
    #[arg(long, value_name = "TIME")]
    expires_at: Option<String>,
    /// Print the decision as JSON.
    #[arg(long)]
    json: bool,
}

/// What an official decides on an appeal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Outcome {
    /// The rating stands.
    Uphold,
    /// An override sets --colour until --expires-at.
    Amend,
}

impl Outcome {
    fn code(self) -> &'static str {
        match self {
            Outcome::Uphold => "uphold",
            Outcome::Amend => "amend",
        }
    }
}

/// `healthcode override PERSON_ID`.
#[derive(Debug, Args)]
pub struct OverrideArgs {
    /// The resident's person id.
    #[arg(value_name = "PERSON_ID")]
    person: PersonId,
    /// The username of the official's staff account (role health_official).
    #[arg(long = "as", value_name = "USERNAME", value_parser = |text: &str| Username::parse(text))]
    official: Username,
    /// The colour to set.
    #[arg(long, value_parser = |code: &str| Colour::parse(code))]
    colour: Colour,
    /// Why, written for the resident: it is shown as the reason of their colour.
    #[arg(long)]
    reason: String,
    /// When the override ends, RFC 3339 (2026-02-14T09:00:00+08:00), in the future.
    #[arg(long, value_name = "TIME")]
    expires_at: String,
    /// The override's id; a new one when absent. Running the command again with the same id
    /// sets nothing twice.
    #[arg(long, value_name = "UUID")]
    override_id: Option<OverrideId>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// `healthcode status PERSON_ID`: the colour now, worked out from the resident's facts under the
/// active policy, and recorded in their history if it changed.
pub fn run_status(config: &Config, args: StatusArgs) -> anyhow::Result<()> {
    let store = crate::open_store(&config.data_dir)?;
    let now = SystemClock.now();
    let (policy, default) = active_policy(&store, now)?;
    note_default_policy(&default);
    let access = Access::new(
        Actor::LocalOperator,
        Endpoint::ReadPersonStatus.purpose(),
        now,
    );
    let rating = rating_service::status(&store, &access, &policy, args.person)
        .map_err(|error| about_person(error, args.person))?;
    if args.json {
        let view = StatusView::new(args.person, &rating, args.lang);
        println!("{}", serde_json::to_string(&view)?);
    } else {
        print!("{}", status_text(args.person, &rating, args.lang));
    }
    Ok(())
}

/// `healthcode ratings history PERSON_ID`.
pub fn run_history(config: &Config, person: PersonId, json: bool) -> anyhow::Result<()> {
    let store = crate::open_store(&config.data_dir)?;
    let access = Access::new(Actor::LocalOperator, Purpose::Rating, SystemClock.now());
    let history = rating_service::rating_history(&store, &access, person)
        .map_err(|error| about_person(error, person))?;
    if json {
        let view = RatingHistory {
            ratings: history.iter().map(RatingRecordView::from).collect(),
        };
        println!("{}", serde_json::to_string(&view)?);
    } else {
        print!("{}", history_text(person, &history));
    }
    Ok(())
}

/// Runs a `healthcode appeals` command.
pub fn run_appeals(config: &Config, command: AppealsCommand) -> anyhow::Result<()> {
    match command {
        AppealsCommand::Queue { limit, lang, json } => queue(config, limit, lang, json),
        AppealsCommand::List { person, json } => appeals_of(config, person, json),
        AppealsCommand::Decide(args) => decide(config, args),
    }
}

/// `healthcode appeals queue`.
fn queue(config: &Config, limit: u32, language: Language, json: bool) -> anyhow::Result<()> {
    let store = crate::open_store(&config.data_dir)?;
    let access = Access::new(
        Actor::LocalOperator,
        Endpoint::ReadAppealQueue.purpose(),
        SystemClock.now(),
    );
    let queue = rating_service::appeal_queue(&store, &access, &Policies::new(), limit)
        .context("reading the appeal queue")?;
    if json {
        let view = AppealQueue {
            appeals: queue
                .iter()
                .map(|queued| QueuedAppealView::new(queued, language))
                .collect(),
        };
        println!("{}", serde_json::to_string(&view)?);
    } else {
        print!("{}", queue_text(&queue, language));
    }
    Ok(())
}

/// `healthcode appeals list PERSON_ID`.
fn appeals_of(config: &Config, person: PersonId, json: bool) -> anyhow::Result<()> {
    let store = crate::open_store(&config.data_dir)?;
    let access = Access::new(
        Actor::LocalOperator,
        Purpose::AppealReview,
        SystemClock.now(),
    );
    let appeals = rating_service::appeals_of(&store, &access, person)
        .map_err(|error| about_person(error, person))?;
    if json {
        let view = AppealList {
            appeals: appeals.iter().map(AppealView::from).collect(),
        };
        println!("{}", serde_json::to_string(&view)?);
    } else {
        print!("{}", appeals_text(person, &appeals));
    }
    Ok(())
}

/// `healthcode appeals decide APPEAL_ID --as USERNAME …`.
fn decide(config: &Config, args: DecideArgs) -> anyhow::Result<()> {
    let store = crate::open_store(&config.data_dir)?;
    let now = SystemClock.now();
    let official = official(&store, &args.official, "decides appeals")?;
    // The same checks as over HTTP: a reason always; to amend, a colour and a future expiry.
    let request = DecisionRequest {
        outcome: args.outcome.code().to_owned(),
        reason: args.reason,
        colour: args.colour.map(|colour| colour.code().to_owned()),
        expires_at: args.expires_at,
    };
    let decision = request.parse(now).map_err(option_error)?;
    let (policy, default) = active_policy(&store, now)?;
    note_default_policy(&default);
    let access = Access::new(official, Endpoint::DecideAppeal.purpose(), now);
    let decided = rating_service::decide_appeal(&store, &access, &policy, args.appeal, decision)
        .map_err(|error| match error {
            ApiError::NotFound { .. } => anyhow::anyhow!(
                "no appeal has the id {}; `healthcode appeals queue` lists the undecided ones",
                args.appeal
            ),
            other => anyhow::Error::new(other).context("deciding the appeal"),
        })?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&DecisionResponse::from(&decided))?
        );
    } else {
        println!("{}", decision_text(&decided, &args.official));
    }
    Ok(())
}

/// `healthcode override PERSON_ID --as USERNAME …`.
pub fn run_override(config: &Config, args: OverrideArgs) -> anyhow::Result<()> {
    let store = crate::open_store(&config.data_dir)?;
    let now = SystemClock.now();
    let official = official(&store, &args.official, "overrides colours")?;
    let id = args
        .override_id
        .unwrap_or_else(|| OverrideId::from_uuid(uuid::Uuid::new_v4()));
    // The same checks as over HTTP: a reason, and an expiry in the future.
    let request = OverrideRequest {
        override_id: id.to_string(),
        colour: args.colour.code().to_owned(),
        reason: args.reason,
        expires_at: args.expires_at,
    };
    let new = request.parse(now).map_err(option_error)?;
    let expires_at = new.expires_at;
    let (policy, default) = active_policy(&store, now)?;
    note_default_policy(&default);
    let access = Access::new(official, Endpoint::SetOverride.purpose(), now);
    let (write, rating) = rating_service::set_override(&store, &access, &policy, args.person, new)
        .map_err(|error| about_person(error, args.person))?;
    let duplicate = write == Write::Duplicate;
    if args.json {
        let answer = OverrideResponse {
            override_id: id.as_uuid(),
            duplicate,
            colour: rating.colour.code().to_owned(),
        };
        println!("{}", serde_json::to_string(&answer)?);
    } else if duplicate {
        println!(
            "Override {id} was already set; nothing changed. Person {} is {}.",
            args.person,
            rating.colour.code()
        );
    } else {
        println!(
            "Set override {id} as {}: person {} is {} until {}.",
            args.official,
            args.person,
            rating.colour.code(),
            moment(expires_at, rating.offset)
        );
    }
    Ok(())
}

/// The official named by `--as`: a staff account that exists and holds the health_official
/// role, as the actor its decision is recorded under. `act` says what only officials do.
pub(crate) fn official(store: &dyn Store, username: &Username, act: &str) -> anyhow::Result<Actor> {
    let account = store
        .staff_account(username)
        .context("looking up the staff account")?
        .with_context(|| {
            format!(
                "--as: no staff account is named {username}; create one with \
                 `healthcode admin create-user --username {username} --role health_official`"
            )
        })?;
    if account.role != Role::HealthOfficial {
        anyhow::bail!(
            "--as: {username} has the role {}; only a health_official {act}",
            account.role.code()
        );
    }
    Ok(Actor::Staff {
        id: account.id,
        role: account.role,
    })
}

/// A refused field of a request, named as the option it came from (`expires_at` is
/// `--expires-at`).
fn option_error(error: FieldError) -> anyhow::Error {
    anyhow::anyhow!("--{}: {}", error.field.replace('_', "-"), error.message)
}

/// A "person not found" answer in the command's terms; other errors as they are.
pub(crate) fn about_person(error: ApiError, person: PersonId) -> anyhow::Error {
    match error {
        ApiError::NotFound { what: "person", .. } => {
            anyhow::anyhow!("no person has the id {person}")
        }
        other => anyhow::Error::new(other),
    }
}

/// A moment as RFC 3339 at `offset`, to the second (`2026-02-14T09:00:00+08:00`): the form the
/// commands take times in.
pub(crate) fn moment(at: Timestamp, offset: Offset) -> String {
    let zoned = at.to_zoned(TimeZone::fixed(offset));
    jiff::fmt::strtime::format("%Y-%m-%dT%H:%M:%S%:z", &zoned).unwrap_or_else(|_| at.to_string())
}

/// A stored moment in UTC, to the second (`2026-02-14T01:00:00Z`). Records carry no offset of
/// their own; the moments of a rating are shown in its policy's offset instead.
fn utc(at: Timestamp) -> String {
    at.round(jiff::Unit::Second).unwrap_or(at).to_string()
}

/// The status for an official: colour and until, then reasons and next steps in `language`.
fn status_text(person: PersonId, rating: &Rating, language: Language) -> String {
    let offset = rating.offset;
    let mut out = format!("Person {person}: {}", rating.colour.code());
    match rating.valid_until {
        Some(until) => out.push_str(&format!(" until {}", moment(until, offset))),
        None if rating.colour != Colour::Green => out.push_str(", until an event changes it"),
        None => {}
    }
    out.push_str(&format!(
        "\nRated {} under {}.\n",
        moment(rating.rated_at, offset),
        rating.policy_version
    ));
    out.push_str(&reasons_text("Reasons, strongest first:", rating, language));
    if !rating.next_steps.is_empty() {
        out.push_str("\nNext steps:\n");
        for step in &rating.next_steps {
            out.push_str(&format!("  - {}\n", step.text(language, offset)));
        }
    }
    out
}

/// A rating's reasons under `title`, one per line with its rule id.
fn reasons_text(title: &str, rating: &Rating, language: Language) -> String {
    if rating.reasons.is_empty() {
        return "\nNo rule applies.\n".to_owned();
    }
    let mut out = format!("\n{title}\n");
    for reason in &rating.reasons {
        out.push_str(&format!(
            "  {}: {}\n",
            reason.rule_id,
            reason.text(language, rating.offset)
        ));
    }
    out
}

fn history_text(person: PersonId, history: &[RatingRecord]) -> String {
    if history.is_empty() {
        return format!(
            "No rating of person {person} is stored yet; `healthcode status {person}` rates them.\n"
        );
    }
    let mut out = format!("Rating history of person {person}, oldest first, times in UTC:\n");
    for record in history {
        out.push_str(&format!("  #{} {}\n", record.sequence, record_text(record)));
    }
    out
}

/// One stored rating on one line: time, colour and until, policy, cause, rules.
fn record_text(record: &RatingRecord) -> String {
    let mut out = format!("{}: {}", utc(record.rated_at), record.colour.code());
    if let Some(until) = record.valid_until {
        out.push_str(&format!(" until {}", utc(until)));
    }
    out.push_str(&format!(
        ", {}, because of {}",
        record.policy_version,
        cause_text(&record.cause)
    ));
    if !record.rule_ids.is_empty() {
        let rules: Vec<String> = record.rule_ids.iter().map(ToString::to_string).collect();
        out.push_str(&format!("; rules: {}", rules.join(", ")));
    }
    out
}

fn cause_text(cause: &RatingCause) -> String {
    match cause {
        RatingCause::Event(event) => format!("event {event}"),
        RatingCause::Expiry => "the expiry of the previous rating".to_owned(),
        RatingCause::PolicyActivated(version) => format!("the activation of {version}"),
        RatingCause::RegionRiskListChanged(version) => {
            format!("region-risk list version {version}")
        }
        RatingCause::Override(id) => format!("override {id}"),
        RatingCause::Request => "a request for the status".to_owned(),
    }
}

/// A statement or a reason written by a person, indented under its label; it may run over
/// several lines.
fn written(label: &str, text: &str) -> String {
    let mut out = format!("  {label}:\n");
    for line in text.lines() {
        out.push_str(&format!("    {line}\n"));
    }
    out
}

fn queue_text(queue: &[QueuedAppeal], language: Language) -> String {
    let mut out = match queue.len() {
        0 => return "No appeal is waiting for a decision.\n".to_owned(),
        1 => "1 undecided appeal, times in UTC:\n".to_owned(),
        count => format!("{count} undecided appeals, oldest first, times in UTC:\n"),
    };
    for queued in queue {
        let appeal = &queued.appeal;
        out.push_str(&format!(
            "\nAppeal {} by person {}, filed {}\n",
            appeal.id,
            appeal.person,
            utc(appeal.filed_at)
        ));
        match &queued.rating {
            Some(record) => out.push_str(&format!(
                "  Against rating #{} of {}\n",
                record.sequence,
                record_text(record)
            )),
            None => out.push_str(&format!("  Against rating #{}\n", appeal.rating)),
        }
        out.push_str(&written("Statement", &appeal.statement));
        match &queued.recomputed {
            Some(rating) => {
                let reasons = reasons_text("Reasons of that rating:", rating, language);
                for line in reasons.lines().filter(|line| !line.is_empty()) {
                    out.push_str(&format!("  {line}\n"));
                }
            }
            None => out.push_str("  The policy of that rating is no longer stored.\n"),
        }
    }
    out.push_str(
        "\nDecide with: healthcode appeals decide APPEAL_ID --as USERNAME --outcome uphold|amend --reason TEXT\n",
    );
    out
}

fn appeals_text(person: PersonId, appeals: &[AppealRecord]) -> String {
    if appeals.is_empty() {
        return format!("Person {person} has filed no appeal.\n");
    }
    let mut out = format!("Appeals of person {person}, oldest first, times in UTC:\n");
    for record in appeals {
        let appeal = &record.appeal;
        out.push_str(&format!(
            "\nAppeal {} against rating #{}, filed {}\n",
            appeal.id,
            appeal.rating,
            utc(appeal.filed_at)
        ));
        out.push_str(&written("Statement", &appeal.statement));
        match &record.decision {
            None => out.push_str("  Waiting for a decision.\n"),
            Some(decision) => {
                let outcome = match &decision.outcome {
                    AppealOutcome::Uphold => "upheld: the rating stands".to_owned(),
                    AppealOutcome::Amend(override_) => format!(
                        "amended to {} until {} (override {})",
                        override_.colour.code(),
                        utc(override_.expires_at),
                        override_.id
                    ),
                };
                out.push_str(&format!(
                    "  Decided {} by official {}: {outcome}.\n",
                    utc(decision.decided_at),
                    decision.decided_by
                ));
                out.push_str(&written("Reason", &decision.reason));
            }
        }
    }
    out
}

fn decision_text(decided: &DecidedAppeal, official: &Username) -> String {
    let appeal = decided.decision.appeal;
    match (&decided.decision.outcome, decided.colour) {
        (AppealOutcome::Amend(override_), colour) => format!(
            "Amended appeal {appeal} as {official}: override {} sets {} until {}; person {} is now {}.",
            override_.id,
            override_.colour.code(),
            utc(override_.expires_at),
            decided.person,
            colour.unwrap_or(override_.colour).code()
        ),
        (AppealOutcome::Uphold, _) => format!(
            "Upheld appeal {appeal} as {official}: the rating of person {} stands.",
            decided.person
        ),
    }
}
