//! `/official/proximity`: proximity searches for an open case
//! (`POST /v1/proximity-searches`, which refuses, and audits, a search without a stated
//! purpose), their candidates (`GET /v1/proximity-searches/{search_id}`) and their review
//! (`POST …/candidates/{person_id}/review`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use healthcode_core::PersonId;
use healthcode_core::phone::proximity::ProximitySearchId;
use serde::Deserialize;

use super::{local_time, local_value, new_id, policy_offset, shown};
use crate::api::{
    FieldError, ProximitySearchRequest, ProximitySearchView, ReviewRequest, parse_uuid,
};
use crate::endpoints::Endpoint;
use crate::error::ApiError;
use crate::web::{Chrome, PageResult, Session, WebError, render, see_other};
use crate::{App, Router, phone_service};

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/official/proximity", get(search_form).post(search))
        .route("/official/proximity/open", get(open_search))
        .route("/official/proximity/{search_id}", get(results))
        .route(
            "/official/proximity/{search_id}/candidates/{person_id}/review",
            post(review),
        )
}

#[derive(Clone, Debug, Default, Deserialize)]
struct SearchForm {
    search_id: String,
    #[serde(default)]
    case_id: String,
    #[serde(default)]
    latitude: String,
    #[serde(default)]
    longitude: String,
    #[serde(default)]
    radius_metres: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    purpose: String,
}

#[derive(Template)]
#[template(path = "official/proximity.html")]
struct SearchPage {
    chrome: Chrome,
    form: SearchForm,
    error: Option<String>,
    offset: String,
}

#[derive(Debug, Default, Deserialize)]
struct CaseQuery {
    case_id: Option<String>,
}

async fn search_form(
    State(app): State<App>,
    session: Session,
    Query(query): Query<CaseQuery>,
) -> PageResult {
    let access = session.allow(Endpoint::CreateProximitySearch, None).await?;
    let offset = policy_offset(&app, access.at).await?;
    let form = SearchForm {
        search_id: new_id(),
        case_id: query
            .case_id
            .and_then(|id| parse_uuid("case_id", &id).ok())
            .map(|id| id.to_string())
            .unwrap_or_default(),
        radius_metres: "300".to_owned(),
        from: local_value(access.at - jiff::SignedDuration::from_hours(72), offset),
        until: local_value(access.at, offset),
        ..SearchForm::default()
    };
    render(&SearchPage {
        chrome: session.chrome("Proximity"),
        form,
        error: None,
        offset: offset.to_string(),
    })
}

fn number<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, FieldError> {
    text.trim()
        .parse()
        .map_err(|_| FieldError::new(field, "should be a number"))
}

async fn search(
    State(app): State<App>,
    session: Session,
    Form(form): Form<SearchForm>,
) -> PageResult {
    let access = session.allow(Endpoint::CreateProximitySearch, None).await?;
    let offset = policy_offset(&app, access.at).await?;
    let shown_again = |error: String| {
        let mut page = render(&SearchPage {
            chrome: session.chrome("Proximity"),
            form: form.clone(),
            error: Some(error),
            offset: offset.to_string(),
        })?;
        *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        Ok::<_, WebError>(page)
    };
    // Fields the form cannot read as numbers or times are refused as the API refuses a body
    // of the wrong shape: before the search, which then checks the purpose first.
    let request = (|| {
        Ok::<_, FieldError>(ProximitySearchRequest {
            search_id: form.search_id.clone(),
            case_id: form.case_id.trim().to_owned(),
            latitude: number("latitude", &form.latitude)?,
            longitude: number("longitude", &form.longitude)?,
            radius_metres: number("radius_metres", &form.radius_metres)?,
            from: local_time("from", &form.from, offset)?,
            until: local_time("until", &form.until, offset)?,
            purpose: form.purpose.clone(),
        })
    })();
    let request = match request {
        Ok(request) => request,
        Err(error) => return shown_again(error.to_string()),
    };
    let searched = app
        .run(move |store| Ok(phone_service::search_proximity(store, &access, &request)))
        .await?;
    match searched {
        Ok((record, _)) => Ok(see_other(&format!(
            "/official/proximity/{}",
            record.search.id.as_uuid()
        ))),
        Err(
            error @ (ApiError::InvalidField(_) | ApiError::NotFound { .. } | ApiError::Conflict(_)),
        ) => shown_again(error.to_string()),
        Err(other) => Err(other.into()),
    }
}

struct CandidateRow {
    person_id: String,
    masked_name: String,
    stays: Vec<(String, String, String)>,
    state: String,
    review_reason: Option<String>,
}

#[derive(Template)]
#[template(path = "official/proximity_results.html")]
struct ResultsPage {
    chrome: Chrome,
    search: ProximitySearchView,
    from: String,
    until: String,
    candidates: Vec<CandidateRow>,
    reviewed: bool,
}

#[derive(Debug, Default, Deserialize)]
struct ResultsQuery {
    reviewed: Option<String>,
}

async fn results(
    State(app): State<App>,
    session: Session,
    Path(search_id): Path<String>,
    Query(query): Query<ResultsQuery>,
) -> PageResult {
    let id = ProximitySearchId::from_uuid(parse_uuid("search_id", &search_id)?);
    let access = session.allow(Endpoint::ReadProximitySearch, None).await?;
    let offset = policy_offset(&app, access.at).await?;
    let record = app
        .run(move |store| phone_service::proximity_search(store, &access, id))
        .await?;
    let search = ProximitySearchView::new(&record, false);
    let candidates = search
        .candidates
        .iter()
        .map(|candidate| CandidateRow {
            person_id: candidate.person_id.to_string(),
            masked_name: candidate.masked_name.clone(),
            stays: candidate
                .stays
                .iter()
                .map(|stay| {
                    (
                        stay.cell_id.clone(),
                        shown(stay.first_seen, offset),
                        shown(stay.last_seen, offset),
                    )
                })
                .collect(),
            state: candidate.state.clone(),
            review_reason: candidate
                .review
                .as_ref()
                .map(|review| review.reason.clone()),
        })
        .collect();
    render(&ResultsPage {
        chrome: session.chrome("Search results"),
        from: shown(search.from, offset),
        until: shown(search.until, offset),
        search,
        candidates,
        reviewed: query.reviewed.is_some(),
    })
}

#[derive(Deserialize)]
struct ReviewForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

async fn review(
    State(app): State<App>,
    session: Session,
    Path((search_id, person_id)): Path<(String, String)>,
    Form(form): Form<ReviewForm>,
) -> PageResult {
    let search = ProximitySearchId::from_uuid(parse_uuid("search_id", &search_id)?);
    let person = PersonId::from_uuid(parse_uuid("person_id", &person_id)?);
    let access = session
        .allow(Endpoint::ReviewProximityCandidate, Some(person))
        .await?;
    let request = ReviewRequest {
        decision: form.decision,
        reason: form.reason,
    };
    let policies = app.policies.clone();
    app.run(move |store| {
        let policy = policies.active(store, access.at)?;
        phone_service::review_candidate(store, &access, &policy, search, person, &request)
    })
    .await?;
    Ok(see_other(&format!(
        "/official/proximity/{}?reviewed=1",
        search.as_uuid()
    )))
}

#[derive(Debug, Deserialize)]
struct OpenQuery {
    search_id: String,
}

/// The "open a search" form: to the search's page, if the id is one.
async fn open_search(Query(query): Query<OpenQuery>) -> PageResult {
    let id = parse_uuid("search_id", query.search_id.trim())?;
    Ok(see_other(&format!("/official/proximity/{id}")))
}
