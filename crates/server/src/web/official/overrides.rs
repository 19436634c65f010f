//! `/official/overrides`: an official's override of a resident's colour
//! (`POST /v1/people/{person_id}/overrides`), always with a reason and an end. The API names
//! the person by their person id, which the case, contact and appeal pages show.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::routing::get;
use healthcode_core::PersonId;
use serde::Deserialize;

use super::{local_time, local_value, new_id, policy_offset};
use crate::api::{OverrideRequest, parse_uuid};
use crate::endpoints::Endpoint;
use crate::web::{Chrome, PageResult, Session, render, see_other};
use crate::{App, Router, rating_service};

pub(super) fn routes() -> Router<App> {
    Router::new().route("/official/overrides", get(override_form).post(set_override))
}

#[derive(Template)]
#[template(path = "official/overrides.html")]
struct OverridesPage {
    chrome: Chrome,
    override_id: String,
    person_id: String,
    default_expiry: String,
    result: Option<(String, bool)>,
}

#[derive(Debug, Default, Deserialize)]
struct OverrideQuery {
    person_id: Option<String>,
    colour: Option<String>,
    duplicate: Option<String>,
}

async fn override_form(
    State(app): State<App>,
    session: Session,
    Query(query): Query<OverrideQuery>,
) -> PageResult {
    let access = session.allow(Endpoint::SetOverride, None).await?;
    let offset = policy_offset(&app, access.at).await?;
    // Only a colour code goes back into the page.
    let result = query
        .colour
        .filter(|colour| ["green", "yellow", "red"].contains(&colour.as_str()))
        .map(|colour| (colour, query.duplicate.is_some()));
    render(&OverridesPage {
        chrome: session.chrome("Overrides"),
        override_id: new_id(),
        person_id: query
            .person_id
            .and_then(|id| parse_uuid("person_id", &id).ok())
            .map(|id| id.to_string())
            .unwrap_or_default(),
        default_expiry: local_value(access.at + jiff::SignedDuration::from_hours(7 * 24), offset),
        result,
    })
}

#[derive(Deserialize)]
struct OverrideForm {
    override_id: String,
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    colour: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    expires_at: String,
}

async fn set_override(
    State(app): State<App>,
    session: Session,
    Form(form): Form<OverrideForm>,
) -> PageResult {
    let person = PersonId::from_uuid(parse_uuid("person_id", form.person_id.trim())?);
    let access = session.allow(Endpoint::SetOverride, Some(person)).await?;
    let offset = policy_offset(&app, access.at).await?;
    let new = OverrideRequest {
        override_id: form.override_id,
        colour: form.colour,
        reason: form.reason,
        expires_at: local_time("expires_at", &form.expires_at, offset)?,
    }
    .parse(access.at)?;
    let policies = app.policies.clone();
    let (write, rating) = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            rating_service::set_override(store, &access, &policy, person, new)
        })
        .await?;
    let duplicate = if write == healthcode_store::Write::Duplicate {
        "&duplicate=1"
    } else {
        ""
    };
    Ok(see_other(&format!(
        "/official/overrides?person_id={}&colour={}{duplicate}",
        person.as_uuid(),
        rating.colour.code()
    )))
}
