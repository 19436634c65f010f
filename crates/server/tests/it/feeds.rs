//! The data feeds: laboratories, pharmacies, employers and communities, one row or many, JSON
//! or CSV, all rows or none.

use healthcode_core::Role;
use healthcode_server::Clock as _;
use healthcode_server::api::{FeedResponse, PharmacyPurchaseRow, StatusView};
use jiff::SignedDuration;
use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{TestResident, expect_error, expect_json, lab_result, spawn_app};

#[tokio::test]
async fn a_laboratory_batch_with_bad_rows_lists_every_one_and_stores_nothing() {
    let app = spawn_app().await;
    let laboratory = app.sign_in_as(Role::Laboratory).await;
    let known = TestResident::fresh();
    let resident = app.enrolled(&known).await.device_token;
    app.declare(&resident, Some(38.1), &[], vec![]).await;
    app.clock.advance(SignedDuration::from_hours(1));
    let now = app.clock.now();
    let sampled = now - SignedDuration::from_mins(30);

    let good = lab_result(&known.resident_id, "negative", sampled, now);
    let stranger = lab_result(&TestResident::fresh().resident_id, "negative", sampled, now);
    let mut wrong = lab_result(&known.resident_id, "unsure", sampled, now);
    wrong.sampled_at = "last tuesday".into();
    let error = expect_error(
        app.post_lab_results(&laboratory, vec![good.clone(), stranger, wrong])
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.code, "invalid_rows");
    assert_eq!(error.error.field.as_deref(), Some("results"));
    let rows: Vec<(usize, &str)> = error
        .error
        .rows
        .iter()
        .map(|row| (row.index, row.field.as_str()))
        .collect();
    assert_eq!(
        rows,
        [(1, "resident_id"), (2, "outcome"), (2, "sampled_at")]
    );
    assert_eq!(
        app.status(&resident).await.colour,
        "yellow",
        "nothing was stored"
    );

    // One result alone, not wrapped in a batch, is accepted too; a resend is a duplicate.
    let stored: FeedResponse = expect_json(
        app.post("/v1/lab/results", Some(&laboratory), &good).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (stored.received, stored.stored, stored.people_rated),
        (1, 1, 1)
    );
    let resent: FeedResponse = expect_json(
        app.post("/v1/lab/results", Some(&laboratory), &good).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(resent.duplicates, 1);
    assert_eq!(app.status(&resident).await.colour, "green");
}

#[tokio::test]
async fn an_employers_csv_report_is_checked_line_by_line_and_a_fever_in_it_turns_yellow() {
    let app = spawn_app().await;
    let employer = app.sign_in_as(Role::Employer).await;
    let worker = TestResident::fresh();
    let resident = app.enrolled(&worker).await.device_token;
    let id = &worker.resident_id;
    let (first, second) = (Uuid::new_v4(), Uuid::new_v4());

    let broken = format!(
        "event_id,resident_id,day,temperature,symptoms\n\
         {first},{id},2026-02-10,38.4,dry_cough\n\
         {second},{id},2026-02-10,warm,\n\
         {second},{id},yesterday,36.6,sneezing\n"
    );
    let error = expect_error(
        app.post_text("/v1/health-reports", &employer, "text/csv", broken)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let lines: Vec<(Option<u64>, &str)> = error
        .error
        .rows
        .iter()
        .map(|row| (row.line, row.field.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            (Some(3), "temperature"),
            (Some(4), "day"),
            (Some(4), "symptoms[0]")
        ]
    );
    assert_eq!(
        app.status(&resident).await.colour,
        "green",
        "nothing was stored"
    );

    let fixed = format!(
        "event_id,resident_id,day,temperature,symptoms\n\
         {first},{id},2026-02-10,38.4,dry_cough\n"
    );
    let stored: FeedResponse = expect_json(
        app.post_text("/v1/health-reports", &employer, "text/csv", fixed)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!((stored.stored, stored.people_rated), (1, 1));
    let status = app.status(&resident).await;
    assert_eq!(status.colour, "yellow");
    assert_eq!(status.reasons[0].rule_id, "fever");
    let evidence = &status.reasons[0].evidence[0];
    assert_eq!(evidence.kind, "health_report");
    assert_eq!(evidence.reporter.as_deref(), Some("employer"));
    assert_eq!(evidence.event_id, Some(first));
}

#[tokio::test]
async fn a_medicine_purchase_alone_keeps_a_resident_green_and_asks_them_to_declare_or_test() {
    let app = spawn_app().await;
    let pharmacy = app.sign_in_as(Role::Pharmacy).await;
    let buyer = TestResident::fresh();
    let resident = app.enrolled(&buyer).await.device_token;
    let purchase = PharmacyPurchaseRow {
        event_id: Uuid::new_v4().to_string(),
        resident_id: buyer.resident_id.clone(),
        medicine: "fever_reducer".into(),
        purchased_at: app.clock.now().to_string(),
    };
    let stored: FeedResponse = expect_json(
        app.post(
            "/v1/pharmacy/purchases",
            Some(&pharmacy),
            &serde_json::json!({ "purchases": [purchase] }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(stored.stored, 1);
    let status: StatusView = app.status(&resident).await;
    assert_eq!(status.colour, "green");
    assert!(
        status
            .next_steps
            .iter()
            .any(|step| step.kind == "declare_or_test"),
        "{:?}",
        status.next_steps
    );

    let mut future = purchase.clone();
    future.event_id = Uuid::new_v4().to_string();
    future.purchased_at = (app.clock.now() + SignedDuration::from_hours(2)).to_string();
    let error = expect_error(
        app.post("/v1/pharmacy/purchases", Some(&pharmacy), &future)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.rows[0].field, "purchased_at");
}

#[tokio::test]
async fn a_feed_larger_than_the_batch_limit_is_refused() {
    let app = spawn_app().await;
    let community = app.sign_in_as(Role::CommunityWorker).await;
    let header = "event_id,resident_id,day,temperature,symptoms\n";
    let rows: String = (0..=app.config.batch_max_events)
        .map(|_| format!("{},330106199001011256,2026-02-10,,\n", Uuid::new_v4()))
        .collect();
    let error = expect_error(
        app.post_text(
            "/v1/health-reports",
            &community,
            "text/csv",
            format!("{header}{rows}"),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.code, "batch_too_large");
    assert_eq!(error.error.field.as_deref(), Some("reports"));
}
