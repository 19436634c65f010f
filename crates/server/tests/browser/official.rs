//! The health official's pages: cases with their contacts and evidence, the appeal queue, the
//! dashboard, overrides, proximity searches and policies.

use healthcode_core::Role;
use healthcode_server::policies::DEFAULT_POLICY_SOURCE;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{STAFF_PASSWORD, START, Ui};

const ZHANG: &str = "330106199001011256";
const LI: &str = "11010519491231002X";
const WANG: &str = "330106199001011272";

/// Speaks to the app's API with reqwest, to set the scene.
async fn api(ui: &Ui, method: &str, path: &str, token: Option<&str>, body: Value) -> Value {
    let client = reqwest::Client::new();
    let mut request = match method {
        "GET" => client.get(ui.url(path)),
        _ => client.post(ui.url(path)).json(&body),
    };
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the API answers");
    assert!(
        response.status().is_success(),
        "{method} {path}: {}",
        response.status()
    );
    response.json().await.unwrap_or(Value::Null)
}

/// A new staff member of `role`, signed in to the API: their token.
async fn staff_token(ui: &Ui, role: Role) -> String {
    let username = ui.staff(role).await;
    let session = api(
        ui,
        "POST",
        "/v1/sessions",
        None,
        json!({"username": username, "password": STAFF_PASSWORD}),
    )
    .await;
    session["token"].as_str().unwrap().to_owned()
}

/// Enrols a resident: their person id and device token.
async fn enrolled(ui: &Ui, resident_id: &str, name: &str, phone: &str) -> (String, String) {
    let body = api(
        ui,
        "POST",
        "/v1/residents",
        None,
        json!({
            "event_id": Uuid::new_v4().to_string(),
            "resident_id": resident_id,
            "name": name,
            "phone": phone,
        }),
    )
    .await;
    (
        body["person_id"].as_str().unwrap().to_owned(),
        body["device_token"].as_str().unwrap().to_owned(),
    )
}

/// `minutes` after the app's start time, as RFC 3339.
fn at(minutes: i64) -> String {
    let start: jiff::Timestamp = START.parse().unwrap();
    (start + jiff::SignedDuration::from_mins(minutes)).to_string()
}

/// Zhang, Li and Wang at one noodle shop on the morning the app starts: Zhang from three hours
/// before for two hours, Li and Wang overlapping them by well over the minimum. Answers the
/// person ids of Li and Wang.
async fn a_shared_breakfast(ui: &Ui) -> (String, String) {
    let (zhang, _) = enrolled(ui, ZHANG, "张三明", "13800138000").await;
    let (li, _) = enrolled(ui, LI, "李四", "13912345678").await;
    let (wang, _) = enrolled(ui, WANG, "王五", "13900139000").await;
    let operator = staff_token(ui, Role::VenueOperator).await;
    let venue = Uuid::new_v4().to_string();
    api(
        ui,
        "POST",
        "/v1/venues",
        Some(&operator),
        json!({
            "venue_id": venue,
            "name": "Wulin Square Noodles",
            "kind": "restaurant",
            "district": "330106",
            "latitude": 30.2741,
            "longitude": 120.1551,
            "opening_hours": "24/7",
        }),
    )
    .await;
    for (person, from, to) in [(&zhang, -180, -60), (&li, -170, -80), (&wang, -150, -70)] {
        api(
            ui,
            "POST",
            "/v1/check-ins",
            Some(&operator),
            json!({
                "event_id": Uuid::new_v4().to_string(),
                "venue_id": venue,
                "person_id": person,
                "entered": at(from),
                "left": at(to),
                "source": "venue_scans_person",
            }),
        )
        .await;
    }
    (li, wang)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_official_registers_a_confirmed_case_and_sees_both_contacts_with_their_evidence() {
    let Some(ui) = Ui::start().await else { return };
    let (li, wang) = a_shared_breakfast(&ui).await;
    let browser = ui.staff_browser(Role::HealthOfficial).await;
    browser.open("/official/cases").await;
    browser.screenshots("official-cases").await;

    // A valid ID number of nobody enrolled: refused, and not shown back.
    let stranger = "440305198506070011";
    browser.fill("#case-resident-id", stranger).await;
    browser.click("#register-case button[type=submit]").await;
    assert!(!browser.text("#case-error").await.is_empty());
    assert!(!browser.html().await.contains(stranger));

    browser.fill("#case-resident-id", ZHANG).await;
    browser.select("#case-status", "confirmed").await;
    browser.click("#register-case button[type=submit]").await;
    browser
        .wait_until("document.querySelectorAll('#contacts tr.contact').length === 2")
        .await;
    assert!(browser.path().await.starts_with("/official/cases/"));
    assert_eq!(browser.text("#case-notice").await, "Registered.");
    assert!(
        browser
            .text("#case-person")
            .await
            .contains("330106********1256")
    );
    for (person, name, masked) in [
        (&li, "李四", "110105********002X"),
        (&wang, "王五", "330106********1272"),
    ] {
        let row = format!("#contacts tr.contact[data-person-id='{person}']");
        assert!(
            browser
                .text(&format!("{row} td.person"))
                .await
                .contains(name)
        );
        assert!(
            browser
                .text(&format!("{row} td.person"))
                .await
                .contains(masked)
        );
        assert_eq!(browser.text(&format!("{row} td.degree")).await, "Close");
        let evidence = browser.text(&format!("{row} td.evidence")).await;
        assert!(evidence.contains("Wulin Square Noodles"), "{evidence}");
        assert!(evidence.contains("from 2026-02-10"), "{evidence}");
    }
    // Li was there from 13:10 to 14:40 in China, all within Zhang's 13:00 to 15:00.
    let li_evidence = browser
        .text(&format!(
            "#contacts tr.contact[data-person-id='{li}'] td.evidence"
        ))
        .await;
    assert!(
        li_evidence.contains("from 2026-02-10 13:10 to 2026-02-10 14:40"),
        "{li_evidence}"
    );
    assert!(
        li_evidence.contains("Together: 90 minutes"),
        "{li_evidence}"
    );
    let html = browser.html().await;
    for full in [ZHANG, LI, WANG] {
        assert!(!html.contains(full), "no full ID number on the page");
    }
    browser.screenshots("official-case-contacts").await;

    browser.click("#trace-again button").await;
    browser
        .wait_until("document.location.search === '?traced=0'")
        .await;
    assert_eq!(
        browser.text("#case-notice").await,
        "Traced again. 0 new contacts"
    );
    let dismiss = format!("#contacts tr.contact[data-person-id='{wang}'] form.dismiss");
    browser
        .fill(
            &format!("{dismiss} textarea"),
            "Sat at the far end, outside",
        )
        .await;
    browser.click(&format!("{dismiss} button")).await;
    browser
        .wait_until("document.querySelectorAll('#contacts tr.contact.dismissed').length === 1")
        .await;
    assert!(
        browser
            .text(&format!(
                "#contacts tr.contact[data-person-id='{wang}'] td.contact-status"
            ))
            .await
            .contains("Sat at the far end, outside")
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_official_amends_a_feverish_residents_appeal_to_green_and_the_queue_empties() {
    let Some(ui) = Ui::start().await else { return };
    let (_, device) = enrolled(&ui, ZHANG, "张三明", "13800138000").await;
    api(
        &ui,
        "POST",
        "/v1/me/declarations",
        Some(&device),
        json!({
            "event_id": Uuid::new_v4().to_string(),
            "symptoms": ["fever"],
            "temperature_celsius": 38.6,
            "travel": [],
        }),
    )
    .await;
    let before = api(&ui, "GET", "/v1/me/status", Some(&device), Value::Null).await;
    assert_ne!(before["colour"], "green");
    api(
        &ui,
        "POST",
        "/v1/me/appeals",
        Some(&device),
        json!({
            "appeal_id": Uuid::new_v4().to_string(),
            "statement": "The thermometer was broken; I have no fever.",
        }),
    )
    .await;

    let browser = ui.staff_browser(Role::HealthOfficial).await;
    browser.open("/official/appeals").await;
    let appeal = browser.text(".queued-appeal").await;
    assert!(appeal.contains("330106********1256"), "{appeal}");
    assert!(appeal.contains("The thermometer was broken"), "{appeal}");
    assert!(!browser.html().await.contains(ZHANG));
    assert!(
        !browser.html().await.contains("张三明"),
        "names are masked in the queue"
    );
    browser.screenshots("official-appeals").await;

    browser
        .click(".queued-appeal form.decide input[name=outcome][value=amend]")
        .await;
    browser
        .fill(
            ".queued-appeal form.decide textarea[name=reason]",
            "A clinic measured 36.5 °C today.",
        )
        .await;
    browser
        .select(".queued-appeal form.decide select[name=colour]", "green")
        .await;
    browser
        .click(".queued-appeal form.decide button[type=submit]")
        .await;
    assert_eq!(browser.text("#appeal-notice").await, "Decided.");
    browser.find("#queue-empty").await;
    assert_eq!(browser.path().await, "/official/appeals?decided=1");
    let after = api(&ui, "GET", "/v1/me/status", Some(&device), Value::Null).await;
    assert_eq!(after["colour"], "green");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_counts_and_charts_in_both_languages() {
    let Some(ui) = Ui::start().await else { return };
    a_shared_breakfast(&ui).await;
    let official = staff_token(&ui, Role::HealthOfficial).await;
    api(
        &ui,
        "POST",
        "/v1/cases",
        Some(&official),
        json!({
            "case_id": Uuid::new_v4().to_string(),
            "resident_id": ZHANG,
            "status": "confirmed",
            "onset": at(-24 * 60),
        }),
    )
    .await;
    let browser = ui.staff_browser(Role::HealthOfficial).await;
    browser.open("/official").await;
    assert_eq!(browser.text("#stat-residents b").await, "3");
    assert_eq!(browser.text("#stat-cases b").await, "1");
    assert_eq!(browser.text("#stat-contacts b").await, "2");
    assert_eq!(browser.text("#stat-red b").await, "3");
    for chart in ["#chart-colours", "#chart-cases", "#chart-districts"] {
        browser.find(&format!("{chart} svg[role=img] title")).await;
    }
    let districts = browser.text("#districts").await;
    assert!(districts.contains("110105"), "{districts}");
    assert!(districts.contains("330106"), "{districts}");
    browser.screenshots("official-dashboard").await;
    browser.click("a.lang").await;
    browser
        .wait_until("document.documentElement.lang === 'zh-CN'")
        .await;
    assert!(browser.page_text().await.contains("已登记居民"));
    browser.screenshots("official-dashboard-zh").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proximity_search_without_a_purpose_is_refused_with_a_message() {
    let Some(ui) = Ui::start().await else { return };
    enrolled(&ui, ZHANG, "张三明", "13800138000").await;
    let official = staff_token(&ui, Role::HealthOfficial).await;
    let case_id = Uuid::new_v4().to_string();
    api(
        &ui,
        "POST",
        "/v1/cases",
        Some(&official),
        json!({
            "case_id": case_id,
            "resident_id": ZHANG,
            "status": "suspected",
            "onset": at(-24 * 60),
        }),
    )
    .await;
    let browser = ui.staff_browser(Role::HealthOfficial).await;
    browser
        .open(&format!("/official/proximity?case_id={case_id}"))
        .await;
    browser.fill("#proximity-latitude", "30.2741").await;
    browser.fill("#proximity-longitude", "120.1551").await;
    browser.click("#proximity-search button[type=submit]").await;
    let refusal = browser.text("#proximity-error").await;
    assert!(refusal.contains("purpose"), "{refusal}");
    browser.screenshots("official-proximity").await;

    browser
        .fill(
            "#proximity-purpose",
            "Case at the noodle shop; who was nearby",
        )
        .await;
    browser.click("#proximity-search button[type=submit]").await;
    browser.find("#no-candidates").await;
    assert!(browser.path().await.starts_with("/official/proximity/"));
    assert_eq!(
        browser.text(".search-purpose").await,
        "Case at the noodle shop; who was nearby"
    );
    browser.screenshots("official-proximity-results").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_with_a_mistake_is_refused_with_its_line_and_column_and_two_are_compared() {
    let Some(ui) = Ui::start().await else { return };
    let (person, _) = enrolled(&ui, ZHANG, "张三明", "13800138000").await;
    let official = staff_token(&ui, Role::HealthOfficial).await;
    let second = DEFAULT_POLICY_SOURCE.replacen("version = 1", "version = 2", 1);
    let response = reqwest::Client::new()
        .post(ui.url("/v1/policies"))
        .bearer_auth(&official)
        .header("content-type", "text/plain")
        .body(second)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);

    let browser = ui.staff_browser(Role::HealthOfficial).await;
    browser.open("/official/policies").await;
    assert!(
        browser
            .text("#policies tr.policy.active")
            .await
            .contains("default@1")
    );
    browser.screenshots("official-policies").await;
    browser
        .fill(
            "#policy-source",
            "[policy]\nname = \"broken\"\nversion = 1\nutc_offset = \"+08:00\"\nfavourite_colour = \"blue\"\n",
        )
        .await;
    browser.click("#upload-policy button[type=submit]").await;
    let problems = browser.text("#policy-errors").await;
    assert!(problems.contains("line 5, column 1"), "{problems}");

    browser.select("#diff-a", "default@1").await;
    browser.select("#diff-b", "default@2").await;
    browser.click("#diff-policies button[type=submit]").await;
    assert_eq!(browser.text("#diff-people b").await, "1");
    assert_eq!(browser.text("#diff-changed b").await, "0");
    browser.screenshots("official-policy-diff").await;

    browser.open("/official/policies").await;
    browser
        .click("#policies tr.policy[data-version='default@2'] form.activate button")
        .await;
    browser
        .wait_until(
            "document.querySelector('#policies tr.policy.active')?.dataset.version === 'default@2'",
        )
        .await;
    assert_eq!(
        browser.text("#policy-notice").await,
        "Activated; every resident was rated again."
    );
    browser.click("#rollback button").await;
    browser
        .wait_until(
            "document.querySelector('#policies tr.policy.active')?.dataset.version === 'default@1'",
        )
        .await;

    browser
        .open(&format!("/official/overrides?person_id={person}"))
        .await;
    browser.select("#override-colour", "yellow").await;
    browser
        .fill("#override-reason", "Waiting for a second test")
        .await;
    browser.click("#set-override button[type=submit]").await;
    assert!(browser.text("#override-result").await.contains("Yellow"));
    browser.screenshots("official-overrides").await;
    browser.close().await;
}
