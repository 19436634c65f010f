//! Handlers of ratings, appeals, overrides, the region-risk list and policies. Thin, like the
//! others: parse, call one library function on the blocking pool, pick the status.

use axum::extract::{Path, State};
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::{HeaderMap, StatusCode};
use healthcode_core::PersonId;
use healthcode_core::rating::{AppealId, Language};
use healthcode_store::Write;

use super::{Answer, created_unless};
use crate::api::FieldError;
use crate::api::{
    ActivationResponse, AppealList, AppealQueue, AppealRequest, AppealView, DecisionRequest,
    DecisionResponse, DiffRequest, ErrorBody, FiledAppeal, LanguageQuery, OverrideRequest,
    OverrideResponse, PolicyDiffView, PolicyList, PolicySourceView, PublishedRegionRiskList,
    QueueQuery, QueuedAppealView, RatingHistory, RatingRecordView, RegionRiskListView,
    RegionRiskRequest, RerateView, StatusView, UploadedPolicy, choose_language,
    parse_policy_version, parse_uuid,
};
use crate::endpoints::Endpoint;
use crate::error::ApiError;
use crate::extract::{Caller, Json, PolicyText, Query};
use crate::{App, policies, rating_service, service};

/// The language of an answer's texts: the `lang` parameter, else `Accept-Language`.
pub(super) fn language(query: &LanguageQuery, headers: &HeaderMap) -> Result<Language, FieldError> {
    let header = headers
        .get(ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok());
    choose_language(query.lang.as_deref(), header)
}

#[utoipa::path(get, path = "/v1/me/status", tag = "ratings", security(("bearer" = [])),
    params(LanguageQuery,
        ("Accept-Language" = Option<String>, Header, description = "Picks the language when `lang` is absent.")),
    responses(
        (status = 200, description = "The signed-in resident's colour now, why, until when and what would change it. Recorded in their history if it changed.", body = StatusView),
        (status = 400, description = "`lang` is not `en` or `zh-CN`.", body = ErrorBody)))]
pub(crate) async fn read_own_status(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    Query(query): Query<LanguageQuery>,
) -> Result<Json<StatusView>, ApiError> {
    let language = language(&query, &headers)?;
    let access = app.access(caller, Endpoint::ReadOwnStatus);
    let policies = app.policies.clone();
    let (person, rating) = app
        .run(move |store| {
            let person = service::resident_of(&access)?;
            let policy = policies.active(store, access.at)?;
            let rating = rating_service::status(store, &access, &policy, person)?;
            Ok((person, rating))
        })
        .await?;
    Ok(Json(StatusView::new(person, &rating, language)))
}

#[utoipa::path(get, path = "/v1/people/{person_id}/status", tag = "ratings", security(("bearer" = [])),
    params(("person_id" = String, Path, format = Uuid, description = "The person's id."), LanguageQuery),
    responses(
        (status = 200, description = "The resident's colour now, with reasons and next steps. Recorded in their history if it changed.", body = StatusView),
        (status = 400, description = "A parameter is invalid.", body = ErrorBody),
        (status = 404, description = "No person has this id.", body = ErrorBody)))]
pub(crate) async fn read_person_status(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    Path(person_id): Path<String>,
    Query(query): Query<LanguageQuery>,
) -> Result<Json<StatusView>, ApiError> {
    let person = PersonId::from_uuid(parse_uuid("person_id", &person_id)?);
    let language = language(&query, &headers)?;
    let access = app.access(caller, Endpoint::ReadPersonStatus);
    let policies = app.policies.clone();
    let rating = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            rating_service::status(store, &access, &policy, person)
        })
        .await?;
    Ok(Json(StatusView::new(person, &rating, language)))
}

#[utoipa::path(get, path = "/v1/me/ratings", tag = "ratings", security(("bearer" = [])),
    responses((status = 200, description = "The signed-in resident's rating history, oldest first, each with its cause.", body = RatingHistory)))]
pub(crate) async fn list_own_ratings(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<RatingHistory>, ApiError> {
    let access = app.access(caller, Endpoint::ListOwnRatings);
    let history = app
        .run(move |store| {
            rating_service::rating_history(store, &access, service::resident_of(&access)?)
        })
        .await?;
    Ok(Json(RatingHistory {
        ratings: history.iter().map(RatingRecordView::from).collect(),
    }))
}

#[utoipa::path(post, path = "/v1/me/appeals", tag = "appeals", request_body = AppealRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Filed against the resident's latest rating.", body = FiledAppeal),
        (status = 200, description = "Already filed under this id; nothing changed.", body = FiledAppeal),
        (status = 400, description = "A field is invalid, e.g. an empty statement.", body = ErrorBody),
        (status = 409, description = "No rating is stored yet: ask for the status first.", body = ErrorBody)))]
pub(crate) async fn file_appeal(
    State(app): State<App>,
    caller: Caller,
    Json(request): Json<AppealRequest>,
) -> Answer<FiledAppeal> {
    let (id, statement) = request.parse()?;
    let access = app.access(caller, Endpoint::FileAppeal);
    let (appeal, write) = app
        .run(move |store| {
            let person = service::resident_of(&access)?;
            rating_service::file_appeal(store, &access, person, id, statement)
        })
        .await?;
    let duplicate = write == Write::Duplicate;
    Ok((
        created_unless(duplicate),
        Json(FiledAppeal {
            appeal_id: appeal.id.as_uuid(),
            rating: appeal.rating,
            duplicate,
        }),
    ))
}

#[utoipa::path(get, path = "/v1/me/appeals", tag = "appeals", security(("bearer" = [])),
    responses((status = 200, description = "The signed-in resident's appeals, oldest first, each with the official's decision and reason once decided.", body = AppealList)))]
pub(crate) async fn list_own_appeals(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<AppealList>, ApiError> {
    let access = app.access(caller, Endpoint::ListOwnAppeals);
    let appeals = app
        .run(move |store| {
            rating_service::appeals_of(store, &access, service::resident_of(&access)?)
        })
        .await?;
    Ok(Json(AppealList {
        appeals: appeals.iter().map(AppealView::from).collect(),
    }))
}

#[utoipa::path(get, path = "/v1/appeals/queue", tag = "appeals", security(("bearer" = [])),
    params(QueueQuery),
    responses(
        (status = 200, description = "Undecided appeals, oldest first, each with the appealed rating's reasons and evidence.", body = AppealQueue),
        (status = 400, description = "A parameter is invalid.", body = ErrorBody)))]
pub(crate) async fn read_appeal_queue(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    Query(query): Query<QueueQuery>,
) -> Result<Json<AppealQueue>, ApiError> {
    let language = language(
        &LanguageQuery {
            lang: query.lang.clone(),
        },
        &headers,
    )?;
    let limit = query.limit()?;
    let access = app.access(caller, Endpoint::ReadAppealQueue);
    let policies = app.policies.clone();
    let queue = app
        .run(move |store| rating_service::appeal_queue(store, &access, &policies, limit))
        .await?;
    Ok(Json(AppealQueue {
        appeals: queue
            .iter()
            .map(|queued| QueuedAppealView::new(queued, language))
            .collect(),
    }))
}

#[utoipa::path(post, path = "/v1/appeals/{appeal_id}/decision", tag = "appeals",
    request_body = DecisionRequest, security(("bearer" = [])),
    params(("appeal_id" = String, Path, format = Uuid, description = "The appeal's id.")),
    responses(
        (status = 201, description = "Decided; an amendment's override is in force and the resident rated again.", body = DecisionResponse),
        (status = 400, description = "A field is invalid: an amendment needs a colour and an expiry in the future; a reason is always required.", body = ErrorBody),
        (status = 404, description = "No appeal has this id.", body = ErrorBody),
        (status = 409, description = "The appeal is already decided.", body = ErrorBody)))]
pub(crate) async fn decide_appeal(
    State(app): State<App>,
    caller: Caller,
    Path(appeal_id): Path<String>,
    Json(request): Json<DecisionRequest>,
) -> Answer<DecisionResponse> {
    let id = AppealId::from_uuid(parse_uuid("appeal_id", &appeal_id)?);
    let access = app.access(caller, Endpoint::DecideAppeal);
    let decision = request.parse(access.at)?;
    let policies = app.policies.clone();
    let decided = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            rating_service::decide_appeal(store, &access, &policy, id, decision)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(DecisionResponse::from(&decided))))
}

#[utoipa::path(post, path = "/v1/people/{person_id}/overrides", tag = "appeals",
    request_body = OverrideRequest, security(("bearer" = [])),
    params(("person_id" = String, Path, format = Uuid, description = "The person's id.")),
    responses(
        (status = 201, description = "Set; the resident was rated again.", body = OverrideResponse),
        (status = 200, description = "Already set under this id; nothing changed.", body = OverrideResponse),
        (status = 400, description = "A field is invalid: a reason and an expiry in the future are required.", body = ErrorBody),
        (status = 404, description = "No person has this id.", body = ErrorBody)))]
pub(crate) async fn set_override(
    State(app): State<App>,
    caller: Caller,
    Path(person_id): Path<String>,
    Json(request): Json<OverrideRequest>,
) -> Answer<OverrideResponse> {
    let person = PersonId::from_uuid(parse_uuid("person_id", &person_id)?);
    let access = app.access(caller, Endpoint::SetOverride);
    let new = request.parse(access.at)?;
    let id = new.id;
    let policies = app.policies.clone();
    let (write, rating) = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            rating_service::set_override(store, &access, &policy, person, new)
        })
        .await?;
    let duplicate = write == Write::Duplicate;
    Ok((
        created_unless(duplicate),
        Json(OverrideResponse {
            override_id: id.as_uuid(),
            duplicate,
            colour: rating.colour.code().to_owned(),
        }),
    ))
}

#[utoipa::path(get, path = "/v1/region-risk", tag = "region-risk",
    responses((status = 200, description = "The region-risk list in force (version 0, empty, before any is published).", body = RegionRiskListView)))]
pub(crate) async fn read_region_risk_list(
    State(app): State<App>,
) -> Result<Json<RegionRiskListView>, ApiError> {
    let list = app
        .run(|store| rating_service::region_risk_list(store, None))
        .await?;
    Ok(Json(RegionRiskListView::from(&list)))
}

#[utoipa::path(get, path = "/v1/region-risk/{version}", tag = "region-risk",
    params(("version" = u32, Path, description = "The list's version.")),
    responses(
        (status = 200, description = "That version of the list.", body = RegionRiskListView),
        (status = 404, description = "No such version.", body = ErrorBody)))]
pub(crate) async fn read_region_risk_list_version(
    State(app): State<App>,
    Path(version): Path<String>,
) -> Result<Json<RegionRiskListView>, ApiError> {
    let version: u32 = version
        .trim()
        .parse()
        .map_err(|_| FieldError::new("version", "should be a whole number"))?;
    let list = app
        .run(move |store| rating_service::region_risk_list(store, Some(version)))
        .await?;
    Ok(Json(RegionRiskListView::from(&list)))
}

#[utoipa::path(put, path = "/v1/region-risk", tag = "region-risk",
    request_body = RegionRiskRequest, security(("bearer" = [])),
    responses(
        (status = 201, description = "Published as the next version; every resident was rated again.", body = PublishedRegionRiskList),
        (status = 400, description = "An entry is invalid or a region is listed twice.", body = ErrorBody)))]
pub(crate) async fn publish_region_risk_list(
    State(app): State<App>,
    caller: Caller,
    Json(request): Json<RegionRiskRequest>,
) -> Answer<PublishedRegionRiskList> {
    let entries = request.parse()?;
    let access = app.access(caller, Endpoint::PublishRegionRiskList);
    let policies = app.policies.clone();
    let (list, rerated) = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            rating_service::publish_region_risk_list(store, &access, &policy, &entries)
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(PublishedRegionRiskList {
            list: RegionRiskListView::from(&list),
            rerated: RerateView::from(&rerated),
        }),
    ))
}

#[utoipa::path(post, path = "/v1/policies", tag = "policies", security(("bearer" = [])),
    request_body(description = "The policy file, as the body itself or as JSON.",
        content((String = "text/plain"), (crate::api::PolicyUpload = "application/json"))),
    responses(
        (status = 201, description = "Checked and stored; not active until activated.", body = UploadedPolicy),
        (status = 200, description = "Already stored with the same text; nothing changed.", body = UploadedPolicy),
        (status = 400, description = "`invalid_policy`: `policy_errors` lists each problem with its line and column.", body = ErrorBody),
        (status = 409, description = "Another text is stored under this name and version.", body = ErrorBody)))]
pub(crate) async fn upload_policy(
    State(app): State<App>,
    caller: Caller,
    PolicyText(source): PolicyText,
) -> Answer<UploadedPolicy> {
    // Policy files are not personal data; the upload is audited under the purpose of
    // evaluating policies.
    let access = healthcode_core::Access::new(
        caller.0,
        healthcode_core::Purpose::PolicyEvaluation,
        app.clock.now(),
    );
    let (policy, write) = app
        .run(move |store| policies::upload_policy(store, &access, &source))
        .await?;
    let duplicate = write == Write::Duplicate;
    Ok((
        created_unless(duplicate),
        Json(UploadedPolicy::new(&policy, duplicate)),
    ))
}

#[utoipa::path(get, path = "/v1/policies", tag = "policies", security(("bearer" = [])),
    responses((status = 200, description = "Every stored policy, which is active, and every activation.", body = PolicyList)))]
pub(crate) async fn list_policies(State(app): State<App>) -> Result<Json<PolicyList>, ApiError> {
    let now = app.clock.now();
    let policies = app.policies.clone();
    let catalogue = app
        .run(move |store| {
            // A new installation shows its default policy as active.
            policies.active(store, now)?;
            Ok(policies::policy_catalogue(store)?)
        })
        .await?;
    Ok(Json(PolicyList::from(&catalogue)))
}

#[utoipa::path(get, path = "/v1/policies/{version}", tag = "policies", security(("bearer" = [])),
    params(("version" = String, Path, description = "The policy's name and version, e.g. `default@1`.")),
    responses(
        (status = 200, description = "The policy file as uploaded.", body = PolicySourceView),
        (status = 404, description = "No policy of this version is stored.", body = ErrorBody)))]
pub(crate) async fn read_policy(
    State(app): State<App>,
    Path(version): Path<String>,
) -> Result<Json<PolicySourceView>, ApiError> {
    let version = parse_policy_version("version", &version)?;
    let now = app.clock.now();
    let policies = app.policies.clone();
    let view = app
        .run(move |store| {
            let active = policies.active(store, now)?.version == version;
            let source = policies::policy_source(store, &version)?;
            Ok(PolicySourceView {
                version: version.to_string(),
                active,
                source,
            })
        })
        .await?;
    Ok(Json(view))
}

#[utoipa::path(post, path = "/v1/policies/diff", tag = "policies", request_body = DiffRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every resident rated under both policies now, counted by pair of colours, with samples.", body = PolicyDiffView),
        (status = 400, description = "A version does not parse.", body = ErrorBody),
        (status = 404, description = "A policy is not stored; `field` says which.", body = ErrorBody)))]
pub(crate) async fn diff_policies(
    State(app): State<App>,
    caller: Caller,
    Json(request): Json<DiffRequest>,
) -> Result<Json<PolicyDiffView>, ApiError> {
    let a = parse_policy_version("a", &request.a)?;
    let b = parse_policy_version("b", &request.b)?;
    let access = app.access(caller, Endpoint::DiffPolicies);
    let policies = app.policies.clone();
    let diff = app
        .run(move |store| policies::diff_stored_policies(store, &access, &policies, &a, &b))
        .await?;
    Ok(Json(PolicyDiffView::from(&diff)))
}

#[utoipa::path(post, path = "/v1/policies/{version}/activate", tag = "policies",
    security(("bearer" = [])),
    params(("version" = String, Path, description = "The policy's name and version, e.g. `default@2`.")),
    responses(
        (status = 201, description = "Active; every resident was rated again under it.", body = ActivationResponse),
        (status = 404, description = "No policy of this version is stored.", body = ErrorBody)))]
pub(crate) async fn activate_policy(
    State(app): State<App>,
    caller: Caller,
    Path(version): Path<String>,
) -> Answer<ActivationResponse> {
    let version = parse_policy_version("version", &version)?;
    let access = app.access(caller, Endpoint::ActivatePolicy);
    let policies = app.policies.clone();
    let activation = app
        .run(move |store| policies::activate_policy(store, &access, &policies, &version))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ActivationResponse::from(&activation)),
    ))
}

#[utoipa::path(post, path = "/v1/policies/rollback", tag = "policies", security(("bearer" = [])),
    responses(
        (status = 201, description = "The policy active before the current one is active again; every resident was rated again.", body = ActivationResponse),
        (status = 409, description = "No other policy was active before.", body = ErrorBody)))]
pub(crate) async fn rollback_policy(
    State(app): State<App>,
    caller: Caller,
) -> Answer<ActivationResponse> {
    let access = app.access(caller, Endpoint::RollbackPolicy);
    let policies = app.policies.clone();
    let activation = app
        .run(move |store| {
            // A new installation has its default policy before anything can be rolled back.
            policies.active(store, access.at)?;
            policies::rollback_policy(store, &access, &policies)
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ActivationResponse::from(&activation)),
    ))
}
