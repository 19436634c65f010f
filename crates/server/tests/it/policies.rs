//! The policy lifecycle through the API: upload (and refusal of a broken file), compare on the
//! current data, activate (audited, re-rating everyone), roll back.

use healthcode_core::Role;
use healthcode_server::api::{
    ActivationResponse, DiffRequest, PolicyDiffView, PolicyList, PolicySourceView, UploadedPolicy,
};
use healthcode_server::policies::DEFAULT_POLICY_SOURCE;
use jiff::SignedDuration;
use reqwest::StatusCode;

use crate::helpers::{TestResident, colours_and_causes, expect_error, expect_json, spawn_app};

const STRICT_2020: &str = include_str!("../../../../policies/strict-2020.toml");

#[tokio::test]
async fn a_broken_policy_is_refused_with_the_line_and_column_of_each_problem() {
    let app = spawn_app().await;
    let official = app.sign_in_as(Role::HealthOfficial).await;
    let broken = DEFAULT_POLICY_SOURCE
        .replacen("version = 1", "version = 2", 1)
        .replacen(
            "colour = \"yellow\"\nuntil = \"released\"",
            "colour = \"purple\"\nuntil = \"released\"",
            1,
        );
    assert_ne!(
        broken,
        DEFAULT_POLICY_SOURCE.replacen("version = 1", "version = 2", 1)
    );
    let purple_line = broken
        .lines()
        .position(|line| line.contains("purple"))
        .unwrap()
        + 1;
    let error = expect_error(
        app.post_text("/v1/policies", &official, "text/plain", broken)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.code, "invalid_policy");
    let problem = &error.error.policy_errors[0];
    assert_eq!(problem.line, purple_line, "{:?}", error.error.policy_errors);
    assert!(problem.column >= 1);
    assert!(error.error.message.contains(&format!("line {purple_line}")));

    let garbage = expect_error(
        app.post(
            "/v1/policies",
            Some(&official),
            &serde_json::json!({"source": "[policy\nname = "}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(garbage.error.code, "invalid_policy");
    assert_eq!(garbage.error.policy_errors[0].line, 1);

    // Nothing was stored: only the default policy is listed.
    let list: PolicyList = expect_json(
        app.get("/v1/policies", Some(&official)).await,
        StatusCode::OK,
    )
    .await;
    let versions: Vec<&str> = list.policies.iter().map(|p| p.version.as_str()).collect();
    assert_eq!(versions, ["default@1"]);
    assert_eq!(list.active.as_deref(), Some("default@1"));
}

#[tokio::test]
async fn a_policy_is_compared_on_current_data_then_activation_is_audited_and_re_rates_and_rollback_restores()
 {
    let app = spawn_app().await;
    let official = app.sign_in_as(Role::HealthOfficial).await;
    let auditor = app.sign_in_as(Role::Auditor).await;
    let sniffles = app.enrolled(&TestResident::fresh()).await;
    let healthy = app.enrolled(&TestResident::fresh()).await;
    app.declare(&sniffles.device_token, Some(36.7), &["stuffy_nose"], vec![])
        .await;
    app.declare(&healthy.device_token, Some(36.5), &[], vec![])
        .await;
    assert_eq!(app.status(&sniffles.device_token).await.colour, "green");

    let uploaded: UploadedPolicy = expect_json(
        app.post_text("/v1/policies", &official, "text/plain", STRICT_2020)
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(uploaded.version, "strict-2020@1");
    assert!(!uploaded.duplicate);
    let resent: UploadedPolicy = expect_json(
        app.post_text("/v1/policies", &official, "text/plain", STRICT_2020)
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(resent.duplicate);
    let source: PolicySourceView = expect_json(
        app.get("/v1/policies/strict-2020@1", Some(&auditor)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(source.source, STRICT_2020);
    assert!(!source.active);

    // The comparison counts residents by pair of colours, with samples of those that change.
    let diff: PolicyDiffView = expect_json(
        app.post(
            "/v1/policies/diff",
            Some(&official),
            &DiffRequest {
                a: "default@1".into(),
                b: "strict-2020@1".into(),
            },
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(diff.people, 2);
    assert_eq!(diff.changed, 1);
    let turned_red = diff
        .pairs
        .iter()
        .find(|pair| (pair.under_a.as_str(), pair.under_b.as_str()) == ("green", "red"))
        .expect("the stuffy nose turns red under the strict policy");
    assert_eq!(turned_red.count, 1);
    let sample = &turned_red.samples[0];
    assert_eq!(sample.person_id, sniffles.person_id);
    assert!(sample.under_a.is_empty());
    assert_eq!(sample.under_b[0].rule_id, "any_symptom");
    assert!(!sample.under_b[0].text.is_empty());
    let unchanged = diff
        .pairs
        .iter()
        .find(|pair| (pair.under_a.as_str(), pair.under_b.as_str()) == ("green", "green"))
        .unwrap();
    assert_eq!(unchanged.count, 1);
    assert!(unchanged.samples.is_empty());
    let missing = expect_error(
        app.post(
            "/v1/policies/diff",
            Some(&official),
            &DiffRequest {
                a: "default@1".into(),
                b: "default@9".into(),
            },
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(missing.error.field.as_deref(), Some("b"));

    // Activation re-rates everyone at once and is audited under the official's name.
    app.clock.advance(SignedDuration::from_hours(1));
    let activated: ActivationResponse = expect_json(
        app.post("/v1/policies/strict-2020@1/activate", Some(&official), &())
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(activated.version, "strict-2020@1");
    assert_eq!(activated.rerated.people, 2);
    assert_eq!(
        activated.rerated.changed, 1,
        "only the resident whose colour changed gets a new rating"
    );
    let history = app.history(&sniffles.device_token).await;
    let last = history.ratings.last().unwrap();
    assert_eq!(last.colour, "red");
    assert_eq!(last.cause.kind, "policy_activated");
    assert_eq!(last.cause.policy_version.as_deref(), Some("strict-2020@1"));
    assert_eq!(
        app.status(&sniffles.device_token).await.policy_version,
        "strict-2020@1"
    );
    let activations = app.audit_records(&auditor, "action=activate_policy").await;
    let by_official = activations
        .iter()
        .find(|record| {
            record.actor.role.as_deref() == Some("health_official") && record.outcome == "success"
        })
        .expect("the activation is audited under the official");
    assert_eq!(by_official.purpose, "rating");

    // Rolling back activates the default policy again and re-rates everyone under it.
    app.clock.advance(SignedDuration::from_hours(1));
    let rolled_back: ActivationResponse = expect_json(
        app.post("/v1/policies/rollback", Some(&official), &())
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(rolled_back.version, "default@1");
    let history = app.history(&sniffles.device_token).await;
    assert_eq!(
        colours_and_causes(&history),
        [
            "green:event",
            "red:policy_activated",
            "green:policy_activated"
        ]
    );
    let list: PolicyList = expect_json(
        app.get("/v1/policies", Some(&official)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(list.active.as_deref(), Some("default@1"));
    let activated: Vec<&str> = list
        .activations
        .iter()
        .map(|activation| activation.version.as_str())
        .collect();
    assert_eq!(activated, ["default@1", "strict-2020@1", "default@1"]);
    assert_eq!(list.activations[0].activated_by.kind, "local_operator");
    assert!(
        list.policies
            .iter()
            .any(|p| p.version == "default@1" && p.active)
    );

    let unknown = expect_error(
        app.post("/v1/policies/default@7/activate", Some(&official), &())
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(unknown.error.field.as_deref(), Some("version"));
}

#[tokio::test]
async fn there_is_nothing_to_roll_back_to_before_a_second_policy_was_active() {
    let app = spawn_app().await;
    let official = app.sign_in_as(Role::HealthOfficial).await;
    let error = expect_error(
        app.post("/v1/policies/rollback", Some(&official), &())
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(error.error.code, "conflict");
}
