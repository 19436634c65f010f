//! The employer's page: a close-contact check with the employee's consent.

use healthcode_core::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::Ui;
use crate::venue::enrolled;

const RESIDENT_ID: &str = "330106199001011256";
const MASKED: &str = "330106********1256";

/// The resident holding `token` consents to the employer `username`'s checks: the consent's
/// token, as the API shows it once.
async fn consent_token(ui: &Ui, token: &str, username: &str) -> String {
    let response = reqwest::Client::new()
        .post(ui.url("/v1/me/consents"))
        .bearer_auth(token)
        .json(&json!({
            "consent_id": Uuid::new_v4().to_string(),
            "employer": username,
            "checks": 2,
        }))
        .send()
        .await
        .expect("the API answers");
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_employer_gets_the_answer_with_a_consent_and_is_refused_with_a_wrong_token() {
    let Some(ui) = Ui::start().await else { return };
    let username = ui.staff(Role::Employer).await;
    let (_, device) = enrolled(&ui, RESIDENT_ID, "张三明", "13800138000").await;
    let consent = consent_token(&ui, &device, &username).await;
    let browser = ui.browser().await;
    browser.sign_in(&username).await;
    browser.open("/employer").await;
    browser.screenshots("employer-check").await;

    browser.fill("#resident_id", RESIDENT_ID).await;
    browser.fill("#token", &consent).await;
    browser.click("#check-form button[type=submit]").await;
    assert_eq!(browser.text("#answer-text").await, "Close contact: no");
    assert_eq!(browser.text("#answer-employee").await, MASKED);
    let html = browser.html().await;
    assert!(
        !html.contains(RESIDENT_ID),
        "the ID number is not shown back"
    );
    assert!(!html.contains(&consent), "the token is not shown back");
    browser.screenshots("employer-answer").await;

    browser.fill("#resident_id", RESIDENT_ID).await;
    browser
        .fill("#token", "not-the-token-the-employee-gave")
        .await;
    browser.click("#check-form button[type=submit]").await;
    let refused = browser.text("#refused").await;
    assert!(
        refused.contains("no consent covers this check"),
        "{refused}"
    );
    assert!(
        !browser.html().await.contains("id=\"answer\""),
        "no answer with a refusal"
    );
    assert!(!browser.html().await.contains(RESIDENT_ID));
    browser.screenshots("employer-refused").await;
    browser.close().await;
}
