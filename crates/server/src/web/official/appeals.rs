//! `/official/appeals`: the queue of undecided appeals (`GET /v1/appeals/queue`) with a
//! decision form for each (`POST /v1/appeals/{appeal_id}/decision`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use healthcode_core::PersonId;
use healthcode_core::rating::AppealId;
use serde::Deserialize;

use super::{Who, local_time, local_value, people, policy_offset, shown};
use crate::api::{DecisionRequest, QueuedAppealView, parse_uuid};
use crate::endpoints::Endpoint;
use crate::web::{Chrome, PageResult, Session, render, see_other};
use crate::{App, Router, rating_service};

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/official/appeals", get(queue))
        .route("/official/appeals/{appeal_id}/decision", post(decide))
}

/// How many appeals the page shows at once, oldest first.
const SHOWN: u32 = 100;

struct QueuedRow {
    view: QueuedAppealView,
    who: Option<Who>,
    filed: String,
}

impl QueuedRow {
    fn colour(&self) -> &str {
        self.view
            .rating
            .as_ref()
            .map_or("", |rating| rating.colour.as_str())
    }
}

#[derive(Template)]
#[template(path = "official/appeals.html")]
struct AppealsPage {
    chrome: Chrome,
    appeals: Vec<QueuedRow>,
    decided: bool,
    default_expiry: String,
}

#[derive(Debug, Default, Deserialize)]
struct QueueQuery {
    decided: Option<String>,
}

async fn queue(
    State(app): State<App>,
    session: Session,
    Query(query): Query<QueueQuery>,
) -> PageResult {
    let access = session.allow(Endpoint::ReadAppealQueue, None).await?;
    let offset = policy_offset(&app, access.at).await?;
    let policies = app.policies.clone();
    let language = session.lang.0;
    let (views, who) = app
        .run(move |store| {
            let queue = rating_service::appeal_queue(store, &access, &policies, SHOWN)?;
            let who = people(
                store,
                &access,
                queue.iter().map(|queued| queued.appeal.person),
            )?;
            let views: Vec<QueuedAppealView> = queue
                .iter()
                .map(|queued| QueuedAppealView::new(queued, language))
                .collect();
            Ok((views, who))
        })
        .await?;
    let appeals = views
        .into_iter()
        .map(|view| QueuedRow {
            who: who.get(&PersonId::from_uuid(view.person_id)).cloned(),
            filed: shown(view.filed_at, offset),
            view,
        })
        .collect();
    render(&AppealsPage {
        chrome: session.chrome("Appeals"),
        appeals,
        decided: query.decided.is_some(),
        default_expiry: local_value(
            session_now(&app) + jiff::SignedDuration::from_hours(7 * 24),
            offset,
        ),
    })
}

fn session_now(app: &App) -> healthcode_core::Timestamp {
    app.clock.now()
}

#[derive(Deserialize)]
struct DecisionForm {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    colour: String,
    #[serde(default)]
    expires_at: String,
}

async fn decide(
    State(app): State<App>,
    session: Session,
    Path(appeal_id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    let id = AppealId::from_uuid(parse_uuid("appeal_id", &appeal_id)?);
    let access = session.allow(Endpoint::DecideAppeal, None).await?;
    let offset = policy_offset(&app, access.at).await?;
    // The colour and expiry fields are always on the form; they belong to an amendment only.
    let amend = form.outcome.trim() == "amend";
    let request = DecisionRequest {
        outcome: form.outcome,
        reason: form.reason,
        colour: amend.then(|| form.colour.clone()),
        expires_at: if amend {
            Some(local_time("expires_at", &form.expires_at, offset)?)
        } else {
            None
        },
    };
    let decision = request.parse(access.at)?;
    let policies = app.policies.clone();
    app.run(move |store| {
        let policy = policies.active(store, access.at)?;
        rating_service::decide_appeal(store, &access, &policy, id, decision)
    })
    .await?;
    Ok(see_other("/official/appeals?decided=1"))
}
