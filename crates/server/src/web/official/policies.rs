//! `/official/policies`: the stored policies with the active one marked (`GET /v1/policies`),
//! uploading one (`POST /v1/policies`: its problems shown with line and column), comparing two
//! on the current data (`POST /v1/policies/diff`), activating one and rolling back.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use healthcode_core::Purpose;
use healthcode_core::rating::PolicyError;
use serde::Deserialize;

use super::{policy_offset, shown};
use crate::api::{PolicyDiffView, PolicyList, parse_policy_version};
use crate::endpoints::Endpoint;
use crate::error::ApiError;
use crate::web::{Chrome, PageResult, Session, render, see_other};
use crate::{App, Router, policies};

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/official/policies", get(list).post(upload))
        .route("/official/policies/diff", post(diff))
        .route("/official/policies/rollback", post(rollback))
        .route("/official/policies/{version}/activate", post(activate))
}

#[derive(Template)]
#[template(path = "official/policies.html")]
struct PoliciesPage {
    chrome: Chrome,
    list: PolicyList,
    rows: Vec<(crate::api::StoredPolicyView, String)>,
    activations: Vec<(String, String)>,
    source: String,
    problems: Vec<PolicyError>,
    error: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    uploaded: Option<String>,
    duplicate: Option<String>,
    activated: Option<String>,
}

async fn catalogue(
    app: &App,
    session: &Session,
) -> Result<(PolicyList, jiff::tz::Offset), crate::web::WebError> {
    session.permit(Endpoint::ListPolicies).await?;
    let now = app.clock.now();
    let offset = policy_offset(app, now).await?;
    let policies = app.policies.clone();
    let catalogue = app
        .run(move |store| {
            policies.active(store, now)?;
            Ok(policies::policy_catalogue(store)?)
        })
        .await?;
    Ok((PolicyList::from(&catalogue), offset))
}

fn page(
    session: &Session,
    list: PolicyList,
    offset: jiff::tz::Offset,
    source: String,
    problems: Vec<PolicyError>,
    error: Option<String>,
    notice: Option<&'static str>,
) -> PoliciesPage {
    PoliciesPage {
        chrome: session.chrome("Policies"),
        rows: list
            .policies
            .iter()
            .map(|policy| (policy.clone(), shown(policy.uploaded_at, offset)))
            .collect(),
        activations: list
            .activations
            .iter()
            .rev()
            .map(|activation| {
                (
                    activation.version.clone(),
                    shown(activation.activated_at, offset),
                )
            })
            .collect(),
        list,
        source,
        problems,
        error,
        notice,
    }
}

async fn list(
    State(app): State<App>,
    session: Session,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let (list, offset) = catalogue(&app, &session).await?;
    let notice = if query.duplicate.is_some() {
        Some("This file was uploaded before; nothing changed.")
    } else if query.uploaded.is_some() {
        Some("Uploaded; activate it to use it.")
    } else if query.activated.is_some() {
        Some("Activated; every resident was rated again.")
    } else {
        None
    };
    render(&page(
        &session,
        list,
        offset,
        String::new(),
        Vec::new(),
        None,
        notice,
    ))
}

#[derive(Deserialize)]
struct UploadForm {
    #[serde(default)]
    source: String,
}

async fn upload(
    State(app): State<App>,
    session: Session,
    Form(form): Form<UploadForm>,
) -> PageResult {
    let actor = session.permit(Endpoint::UploadPolicy).await?;
    // As the API's upload: policy files are not personal data, audited under the purpose of
    // evaluating policies.
    let access = healthcode_core::Access::new(actor, Purpose::PolicyEvaluation, app.clock.now());
    // Browsers send a textarea's line breaks as CRLF.
    let source = form.source.replace("\r\n", "\n");
    let sent = source.clone();
    let uploaded = app
        .run(move |store| Ok(policies::upload_policy(store, &access, &sent)))
        .await?;
    let (problems, error) = match uploaded {
        Ok((_, write)) => {
            let duplicate = if write == healthcode_store::Write::Duplicate {
                "duplicate=1"
            } else {
                "uploaded=1"
            };
            return Ok(see_other(&format!("/official/policies?{duplicate}")));
        }
        Err(ApiError::InvalidPolicy(errors)) => (errors.0, None),
        Err(error @ ApiError::Conflict(_)) => (Vec::new(), Some(error.to_string())),
        Err(other) => return Err(other.into()),
    };
    let (list, offset) = catalogue(&app, &session).await?;
    let mut response = render(&page(&session, list, offset, source, problems, error, None))?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

async fn activate(
    State(app): State<App>,
    session: Session,
    Path(version): Path<String>,
) -> PageResult {
    let version = parse_policy_version("version", &version)?;
    let access = session.allow(Endpoint::ActivatePolicy, None).await?;
    let policies = app.policies.clone();
    app.run(move |store| policies::activate_policy(store, &access, &policies, &version))
        .await?;
    Ok(see_other("/official/policies?activated=1"))
}

async fn rollback(State(app): State<App>, session: Session) -> PageResult {
    let access = session.allow(Endpoint::RollbackPolicy, None).await?;
    let policies = app.policies.clone();
    app.run(move |store| {
        policies.active(store, access.at)?;
        policies::rollback_policy(store, &access, &policies)
    })
    .await?;
    Ok(see_other("/official/policies?activated=1"))
}

#[derive(Template)]
#[template(path = "official/policy_diff.html")]
struct DiffPage {
    chrome: Chrome,
    diff: PolicyDiffView,
    evaluated_at: String,
}

#[derive(Deserialize)]
struct DiffForm {
    a: String,
    b: String,
}

async fn diff(State(app): State<App>, session: Session, Form(form): Form<DiffForm>) -> PageResult {
    let a = parse_policy_version("a", &form.a)?;
    let b = parse_policy_version("b", &form.b)?;
    let access = session.allow(Endpoint::DiffPolicies, None).await?;
    let offset = policy_offset(&app, access.at).await?;
    let policies = app.policies.clone();
    let diff = app
        .run(move |store| policies::diff_stored_policies(store, &access, &policies, &a, &b))
        .await?;
    let diff = PolicyDiffView::from(&diff);
    render(&DiffPage {
        chrome: session.chrome("Policy comparison"),
        evaluated_at: shown(diff.evaluated_at, offset),
        diff,
    })
}
