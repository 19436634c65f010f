//! Appeals and overrides: a resident appeals, an official works the queue and decides, the
//! resident sees the outcome; overrides need a reason and an expiry.

use healthcode_core::Role;
use healthcode_server::Clock as _;
use healthcode_server::api::{
    AppealList, AppealQueue, AppealRequest, DecisionRequest, DecisionResponse, FiledAppeal,
    OverrideRequest, OverrideResponse,
};
use jiff::SignedDuration;
use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{TestApp, TestResident, expect_error, expect_json, spawn_app};

async fn appeal(app: &TestApp, resident: &str, statement: &str) -> FiledAppeal {
    let request = AppealRequest {
        appeal_id: Uuid::new_v4().to_string(),
        statement: statement.into(),
    };
    expect_json(
        app.post("/v1/me/appeals", Some(resident), &request).await,
        StatusCode::CREATED,
    )
    .await
}

fn amend_to_green(reason: &str, expires_at: jiff::Timestamp) -> DecisionRequest {
    DecisionRequest {
        outcome: "amend".into(),
        reason: reason.into(),
        colour: Some("green".into()),
        expires_at: Some(expires_at.to_string()),
    }
}

#[tokio::test]
async fn an_appeal_is_decided_from_the_queue_and_the_resident_sees_the_outcome_and_reason() {
    let app = spawn_app().await;
    let official = app.sign_in_as(Role::HealthOfficial).await;
    let li = app.enrolled(&TestResident::fresh()).await.device_token;
    let zhang = app.enrolled(&TestResident::fresh()).await;
    app.declare(&li, Some(38.0), &[], vec![]).await;
    app.declare(&zhang.device_token, Some(37.9), &[], vec![])
        .await;

    // Li appeals first, Zhang an hour later; the queue is oldest first.
    let li_appeal = appeal(&app, &li, "I had just come back from a run.").await;
    app.clock.advance(SignedDuration::from_hours(1));
    let statement = "The thermometer at the gate was broken; the clinic measured 36.8.";
    let zhang_appeal = appeal(&app, &zhang.device_token, statement).await;
    let resent = app
        .post(
            "/v1/me/appeals",
            Some(&zhang.device_token),
            &AppealRequest {
                appeal_id: zhang_appeal.appeal_id.to_string(),
                statement: statement.into(),
            },
        )
        .await;
    let resent: FiledAppeal = expect_json(resent, StatusCode::OK).await;
    assert!(resent.duplicate);

    let queue: AppealQueue = expect_json(
        app.get("/v1/appeals/queue", Some(&official)).await,
        StatusCode::OK,
    )
    .await;
    let order: Vec<Uuid> = queue.appeals.iter().map(|a| a.appeal_id).collect();
    assert_eq!(order, [li_appeal.appeal_id, zhang_appeal.appeal_id]);
    let queued = &queue.appeals[1];
    assert_eq!(queued.person_id, zhang.person_id);
    assert_eq!(queued.statement, statement);
    let rating = queued.rating.as_ref().expect("the appealed rating");
    assert_eq!(rating.sequence, zhang_appeal.rating);
    assert_eq!(rating.colour, "yellow");
    assert_eq!(queued.reasons[0].rule_id, "fever");
    assert!(!queued.reasons[0].text.is_empty());
    assert_eq!(queued.reasons[0].evidence[0].kind, "declaration");

    // The official amends Zhang's rating to green for a week.
    app.clock.advance(SignedDuration::from_mins(30));
    let expires_at = app.clock.now() + SignedDuration::from_hours(24 * 7);
    let reason = "The clinic's measurement of 36.8 °C replaces the gate's.";
    let path = format!("/v1/appeals/{}/decision", zhang_appeal.appeal_id);
    let decided: DecisionResponse = expect_json(
        app.post(&path, Some(&official), &amend_to_green(reason, expires_at))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(decided.outcome, "amend");
    assert_eq!(decided.colour.as_deref(), Some("green"));
    let again = expect_error(
        app.post(&path, Some(&official), &amend_to_green(reason, expires_at))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(again.error.code, "conflict");

    let appeals: AppealList = expect_json(
        app.get("/v1/me/appeals", Some(&zhang.device_token)).await,
        StatusCode::OK,
    )
    .await;
    let decision = appeals.appeals[0].decision.as_ref().expect("decided");
    assert_eq!(decision.outcome, "amend");
    assert_eq!(decision.reason, reason);
    assert_eq!(decision.expires_at, Some(expires_at));
    assert_eq!(decision.override_id, decided.override_id);

    let status = app.status(&zhang.device_token).await;
    assert_eq!(status.colour, "green");
    let override_reason = status
        .reasons
        .iter()
        .find(|reason| reason.rule_id == "override")
        .expect("the override is a reason of its own");
    assert_eq!(override_reason.evidence[0].kind, "override");
    assert_eq!(
        override_reason.evidence[0].appeal_id,
        Some(zhang_appeal.appeal_id)
    );
    let history = app.history(&zhang.device_token).await;
    let last = history.ratings.last().unwrap();
    assert_eq!(
        (last.colour.as_str(), last.cause.kind.as_str()),
        ("green", "override")
    );

    // Li's appeal is still waiting; upholding needs no colour.
    let queue: AppealQueue = expect_json(
        app.get("/v1/appeals/queue", Some(&official)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(queue.appeals.len(), 1);
    let uphold = DecisionRequest {
        outcome: "uphold".into(),
        reason: "A temperature of 38.0 °C is a fever whatever its cause.".into(),
        colour: None,
        expires_at: None,
    };
    let path = format!("/v1/appeals/{}/decision", li_appeal.appeal_id);
    let upheld: DecisionResponse = expect_json(
        app.post(&path, Some(&official), &uphold).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(upheld.outcome, "uphold");
    assert_eq!(app.status(&li).await.colour, "yellow");

    // Time to decision is exported, without ids.
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        metrics.contains("healthcode_appeal_decision_seconds_bucket"),
        "{metrics}"
    );
    assert!(!metrics.contains(&zhang_appeal.appeal_id.to_string()));
}

#[tokio::test]
async fn an_amendment_without_a_colour_or_with_a_past_expiry_is_refused() {
    let app = spawn_app().await;
    let official = app.sign_in_as(Role::HealthOfficial).await;
    let resident = app.enrolled(&TestResident::fresh()).await.device_token;
    app.declare(&resident, Some(38.0), &[], vec![]).await;
    let filed = appeal(&app, &resident, "I was fine.").await;
    let path = format!("/v1/appeals/{}/decision", filed.appeal_id);
    let mut request = amend_to_green("Fine.", app.clock.now() - SignedDuration::from_hours(1));
    let error = expect_error(
        app.post(&path, Some(&official), &request).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("expires_at"));
    request.expires_at = Some((app.clock.now() + SignedDuration::from_hours(1)).to_string());
    request.colour = None;
    let error = expect_error(
        app.post(&path, Some(&official), &request).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("colour"));
    let unknown = format!("/v1/appeals/{}/decision", Uuid::new_v4());
    let error = expect_error(
        app.post(
            &unknown,
            Some(&official),
            &amend_to_green("Fine.", app.clock.now() + SignedDuration::from_hours(1)),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("appeal_id"));
}

#[tokio::test]
async fn a_resident_with_no_rating_yet_has_nothing_to_appeal() {
    let app = spawn_app().await;
    let resident = app.enrolled(&TestResident::fresh()).await.device_token;
    let request = AppealRequest {
        appeal_id: Uuid::new_v4().to_string(),
        statement: "Why?".into(),
    };
    let error = expect_error(
        app.post("/v1/me/appeals", Some(&resident), &request).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        error.error.message.contains("status"),
        "{}",
        error.error.message
    );
    let empty = AppealRequest {
        appeal_id: Uuid::new_v4().to_string(),
        statement: "  ".into(),
    };
    let error = expect_error(
        app.post("/v1/me/appeals", Some(&resident), &empty).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("statement"));
}

#[tokio::test]
async fn an_override_needs_a_reason_and_an_expiry_in_the_future_and_then_shows_as_a_reason() {
    let app = spawn_app().await;
    let official = app.sign_in_as(Role::HealthOfficial).await;
    let enrolled = app.enrolled(&TestResident::fresh()).await;
    let path = format!("/v1/people/{}/overrides", enrolled.person_id);
    let in_a_week = app.clock.now() + SignedDuration::from_hours(24 * 7);
    let request = |reason: &str, expires_at: String| OverrideRequest {
        override_id: Uuid::new_v4().to_string(),
        colour: "yellow".into(),
        reason: reason.into(),
        expires_at,
    };

    let no_reason = expect_error(
        app.post(&path, Some(&official), &request(" ", in_a_week.to_string()))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(no_reason.error.field.as_deref(), Some("reason"));
    let no_expiry = expect_error(
        app.post(
            &path,
            Some(&official),
            &serde_json::json!({
                "override_id": Uuid::new_v4().to_string(),
                "colour": "yellow",
                "reason": "Household member of a suspected case.",
            }),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(no_expiry.error.field.as_deref(), Some("expires_at"));
    let past = expect_error(
        app.post(
            &path,
            Some(&official),
            &request("Household member.", app.clock.now().to_string()),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(past.error.field.as_deref(), Some("expires_at"));
    let nobody = format!("/v1/people/{}/overrides", Uuid::new_v4());
    let error = expect_error(
        app.post(
            &nobody,
            Some(&official),
            &request("Household member.", in_a_week.to_string()),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("person_id"));

    let reason = "Household member of a suspected case awaiting a test.";
    let set = request(reason, in_a_week.to_string());
    let stored: OverrideResponse = expect_json(
        app.post(&path, Some(&official), &set).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(stored.colour, "yellow");
    let resent: OverrideResponse =
        expect_json(app.post(&path, Some(&official), &set).await, StatusCode::OK).await;
    assert!(resent.duplicate);

    let status = app.status(&enrolled.device_token).await;
    assert_eq!(status.colour, "yellow");
    assert_eq!(status.reasons[0].rule_id, "override");
    assert!(
        status.reasons[0].text.contains(reason),
        "{}",
        status.reasons[0].text
    );
    assert_eq!(status.valid_until, Some(in_a_week));
    assert!(
        status
            .next_steps
            .iter()
            .any(|step| step.kind == "override_ends"),
        "{:?}",
        status.next_steps
    );
    let official_view: healthcode_server::api::StatusView = expect_json(
        app.get(
            &format!("/v1/people/{}/status", enrolled.person_id),
            Some(&official),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(official_view.colour, "yellow");
}
