//! The venue operator's pages: registering a venue, its poster, today's check-in counts.

use healthcode_core::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{START, Ui};

/// Enrols a resident through the API: their person id and device token.
pub async fn enrolled(ui: &Ui, resident_id: &str, name: &str, phone: &str) -> (String, String) {
    let response = reqwest::Client::new()
        .post(ui.url("/v1/residents"))
        .json(&json!({
            "event_id": Uuid::new_v4().to_string(),
            "resident_id": resident_id,
            "name": name,
            "phone": phone,
        }))
        .send()
        .await
        .expect("the API answers");
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    (
        body["person_id"].as_str().unwrap().to_owned(),
        body["device_token"].as_str().unwrap().to_owned(),
    )
}

/// The resident holding `token` checks in at `venue` now, through the API.
async fn checked_in(ui: &Ui, token: &str, person: &str, venue: &str) {
    let response = reqwest::Client::new()
        .post(ui.url("/v1/check-ins"))
        .bearer_auth(token)
        .json(&json!({
            "event_id": Uuid::new_v4().to_string(),
            "venue_id": venue,
            "person_id": person,
            "entered": START,
            "source": "person_scans_venue",
        }))
        .send()
        .await
        .expect("the API answers");
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_venue_operator_registers_a_venue_prints_its_poster_and_sees_todays_check_ins_without_names()
 {
    let Some(ui) = Ui::start().await else { return };
    let browser = ui.staff_browser(Role::VenueOperator).await;
    browser.open("/venues").await;
    browser.screenshots("venue-register").await;
    browser.fill("#name", "Wulin Square Noodles").await;
    browser.select("#kind", "restaurant").await;
    browser.fill("#district", "330106").await;
    browser.fill("#latitude", "30.2741").await;
    browser.fill("#longitude", "120.1551").await;
    browser
        .fill("#opening_hours", "Mo-Fr 09:00-21:00; Sa,Su 10:00-22:00")
        .await;
    browser.click("#venue-form button[type=submit]").await;
    browser.find("#counts").await;
    let path = browser.path().await;
    let venue = path
        .strip_prefix("/venues/")
        .expect("the venue's page")
        .to_owned();
    assert_eq!(browser.text("#venue-id").await, venue);
    assert_eq!(browser.text("#venue-name").await, "Wulin Square Noodles");
    assert_eq!(browser.text("#venue-kind").await, "Restaurant");
    assert_eq!(browser.text("#count-total").await, "0");
    browser
        .wait_until("document.getElementById('poster').complete && document.getElementById('poster').naturalWidth > 0")
        .await;

    let residents = [
        ("330106199001011256", "张三明", "13800138000"),
        ("11010519491231002X", "李四", "13912345678"),
    ];
    let mut people = Vec::new();
    for (resident_id, name, phone) in residents {
        let (person, token) = enrolled(&ui, resident_id, name, phone).await;
        checked_in(&ui, &token, &person, &venue).await;
        people.push(person);
    }
    browser.open(&path).await;
    assert_eq!(browser.text("#count-total").await, "2");
    // The clock stands at 08:00 UTC: 16:00 in the policy's offset.
    let table = browser.text("#count-table").await;
    let words: Vec<&str> = table.split_whitespace().collect();
    assert!(
        words.windows(2).any(|row| row == ["16:00–17:00", "2"]),
        "{table}"
    );
    let html = browser.html().await;
    for (resident_id, name, _) in residents {
        assert!(!html.contains(resident_id), "no ID number on the page");
        assert!(!html.contains(name), "no name on the page");
    }
    for person in &people {
        assert!(!html.contains(person.as_str()), "no person id on the page");
    }
    browser.screenshots("venue-detail").await;

    browser.click("#print-poster").await;
    browser.find("#poster-sheet").await;
    assert_eq!(browser.path().await, format!("/venues/{venue}/poster"));
    browser
        .wait_until("document.getElementById('poster-sheet').complete && document.getElementById('poster-sheet').naturalWidth > 0")
        .await;
    browser.screenshots("venue-poster").await;

    browser.open(&path).await;
    browser.click("a.lang").await;
    browser
        .wait_until("document.documentElement.lang === 'zh-CN'")
        .await;
    assert!(browser.page_text().await.contains("今日登记人次"));
    browser.screenshots("venue-detail-zh").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_venue_with_unparseable_coordinates_is_shown_again_with_what_to_fix() {
    let Some(ui) = Ui::start().await else { return };
    let browser = ui.staff_browser(Role::VenueOperator).await;
    browser.open("/venues").await;
    browser.fill("#name", "Hubin Market").await;
    browser.fill("#district", "330106").await;
    browser.fill("#latitude", "north").await;
    browser.fill("#longitude", "120.16").await;
    browser.click("#venue-form button[type=submit]").await;
    let problem = browser.text("#venue-problem").await;
    assert!(problem.contains("Latitude"), "{problem}");
    assert_eq!(browser.path().await, "/venues");
    assert_eq!(
        browser
            .find("#name")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Hubin Market"),
        "what was typed is kept"
    );
    browser.close().await;
}
