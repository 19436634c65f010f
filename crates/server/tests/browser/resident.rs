//! The resident's pages: enrolling, the pass that renews itself, declaring, why the colour is
//! what it is, appeals, who saw the data, consents, and the itinerary and visits.

use std::sync::atomic::{AtomicU32, Ordering};

use healthcode_core::{Access, Actor, CheckIn, CheckInSource, EventId, Purpose, ResidentId, Role};
use healthcode_server::Clock as _;
use healthcode_server::api::VenueRequest;
use healthcode_server::service;
use healthcode_store::Store as _;
use jiff::SignedDuration;
use uuid::Uuid;

use crate::harness::{Browser, Ui};

static NEXT: AtomicU32 = AtomicU32::new(1);

/// A resident ID number no other call returns, with a correct GB 11643 check character.
fn fresh_resident_id() -> String {
    let sequence = NEXT.fetch_add(1, Ordering::Relaxed);
    ResidentId::with_check_character(&format!("32010219880312{:03}", sequence % 1000))
        .unwrap()
        .as_str()
        .to_owned()
}

/// Enrols through the form, as a visitor would, and lands on "My code".
async fn enrol(browser: &Browser, resident_id: &str) {
    browser.open("/enrol").await;
    browser.fill("#resident_id", resident_id).await;
    browser.fill("#name", "张三明").await;
    browser.fill("#phone", "13800138000").await;
    browser.click("#enrol-submit").await;
    browser.find("#pass-qr").await;
    assert_eq!(browser.path().await, "/me");
}

/// Opens `path` and checks its HTML holds no full ID number.
async fn open_without_the_id_number(browser: &Browser, path: &str, resident_id: &str) {
    browser.open(path).await;
    browser.find("main h1").await;
    assert!(
        !browser.html().await.contains(resident_id),
        "{path} shows the full ID number"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_enrols_declares_a_fever_sees_yellow_with_its_reason_and_files_an_appeal() {
    let Some(ui) = Ui::start().await else { return };
    let resident_id = fresh_resident_id();
    let browser = ui.browser().await;
    browser.open("/enrol").await;
    browser.screenshots("resident-enrol").await;
    enrol(&browser, &resident_id).await;
    assert_eq!(browser.attribute("#colour", "data-colour").await, "green");
    assert_eq!(browser.text("#colour").await, "Green");
    assert_eq!(browser.text("#holder-name").await, "张三明");
    assert_eq!(
        browser.text("#masked-id").await,
        format!("{}********{}", &resident_id[..6], &resident_id[14..])
    );
    assert!(!browser.html().await.contains(&resident_id));

    browser.click("nav.menu a[href='/me/declare']").await;
    browser.find("#declare-form").await;
    browser.screenshots("resident-declare").await;
    browser.click("input[name=symptoms][value=fever]").await;
    browser.fill("#temperature", "38.2").await;
    browser.click("#declare-submit").await;
    browser.find("#declared").await;
    assert_eq!(browser.path().await, "/me/why?declared=1");
    assert_eq!(browser.text("#declared").await, "Declaration saved.");
    assert_eq!(
        browser.attribute("#colour", "data-colour").await,
        "yellow",
        "a declared fever of 38.2 °C makes the colour yellow under the default policy"
    );
    assert_eq!(browser.text("#colour").await, "Yellow");
    let reason = browser.text("#reasons li").await;
    assert!(
        reason.contains("37.3"),
        "the fever rule explains itself: {reason}"
    );
    assert!(!browser.text("#next-steps li").await.is_empty());
    assert!(
        browser.text("#next-steps").await.contains("negative test"),
        "a negative test is the way back to green"
    );
    assert!(!browser.text("#until").await.is_empty());
    assert!(!browser.html().await.contains(&resident_id));
    browser.screenshots("resident-why").await;

    browser.open("/me").await;
    assert_eq!(
        browser.attribute("#colour", "data-colour").await,
        "yellow",
        "the pass shows the new colour too"
    );

    browser.click("nav.menu a[href='/me/appeals']").await;
    browser
        .fill(
            "#appeal-statement",
            "The thermometer was broken; a second one read 36.7 °C.",
        )
        .await;
    browser.click("#appeal-submit").await;
    browser.find("#appeal-filed").await;
    assert_eq!(browser.path().await, "/me/appeals?filed=1");
    assert_eq!(
        browser
            .text(".appeal[data-status=waiting] .appeal-status")
            .await,
        "Waiting for a decision"
    );
    assert!(
        browser
            .text(".appeal .appeal-text")
            .await
            .contains("thermometer was broken")
    );
    assert!(!browser.html().await.contains(&resident_id));
    browser.screenshots("resident-appeals").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_enrol_form_refuses_an_invalid_id_number_with_a_message_and_keeps_the_rest() {
    let Some(ui) = Ui::start().await else { return };
    let valid = fresh_resident_id();
    let last = if valid.ends_with('0') { '1' } else { '0' };
    let wrong = format!("{}{last}", &valid[..17]);
    let browser = ui.browser().await;
    browser.open("/enrol").await;
    browser.fill("#resident_id", &wrong).await;
    browser.fill("#name", "李四").await;
    browser.fill("#phone", "13912345678").await;
    browser.click("#enrol-submit").await;
    let alert = browser.text("[role=alert]").await;
    assert!(
        alert.contains("Check the resident ID number") && alert.contains("check digit"),
        "{alert}"
    );
    assert_eq!(browser.path().await, "/enrol");
    assert_eq!(
        browser.attribute("#resident_id", "aria-invalid").await,
        "true"
    );
    assert_eq!(
        browser
            .find("#name")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("李四"),
        "what was typed is kept"
    );
    assert!(
        !browser.page_text().await.contains(&wrong),
        "not printed as text"
    );
    browser.screenshots("resident-enrol-refused").await;

    // Enrolled already: said plainly, with the way back in.
    let other = ui.browser().await;
    enrol(&other, &valid).await;
    other.close().await;
    browser.fill("#resident_id", &valid).await;
    browser.click("#enrol-submit").await;
    browser
        .wait_until("document.querySelector('[role=alert] a[href=\"/sign-in/device\"]')")
        .await;
    assert!(
        browser
            .text("[role=alert]")
            .await
            .contains("enrolled already")
    );
    assert!(
        !browser.html().await.contains(valid.as_str()),
        "a valid ID number is not shown back, not even to whoever typed it"
    );
    assert_eq!(
        browser
            .find("#name")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("李四")
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_code_shows_a_qr_and_a_countdown_and_the_script_renews_the_pass_before_it_runs_out() {
    let Some(ui) = Ui::start().await else { return };
    let resident_id = fresh_resident_id();
    let browser = ui.browser().await;
    enrol(&browser, &resident_id).await;
    let source = browser.attribute("#pass-qr", "src").await;
    assert!(source.starts_with("data:image/svg+xml;base64,"), "{source}");
    assert!(!browser.attribute("#pass-qr", "alt").await.is_empty());
    browser
        .wait_until(
            "/^Valid for [45]:\\d\\d$/.test(document.querySelector('#pass-countdown').textContent)",
        )
        .await;
    assert!(!browser.text("#pass-expires").await.is_empty());
    browser.screenshots("resident-my-code").await;

    // The pass lasts 300 seconds; 250 later it runs out within the refresh margin. The page
    // checks the server's time every few seconds and fetches a new pass.
    let first: i64 = browser
        .attribute("#pass-qr", "data-expires")
        .await
        .parse()
        .unwrap();
    ui.clock.advance(SignedDuration::from_secs(250));
    browser
        .wait_until(&format!(
            "document.querySelector('#pass-qr').dataset.expires !== '{first}'"
        ))
        .await;
    let renewed: i64 = browser
        .attribute("#pass-qr", "data-expires")
        .await
        .parse()
        .unwrap();
    assert_eq!(
        renewed,
        first + 250,
        "a new pass, issued at the server's time"
    );
    assert_ne!(browser.attribute("#pass-qr", "src").await, source);
    browser
        .wait_until(
            "/^Valid for [45]:\\d\\d$/.test(document.querySelector('#pass-countdown').textContent)",
        )
        .await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_sees_who_read_their_data_gives_and_revokes_a_consent_and_no_page_shows_the_id_number()
 {
    let Some(ui) = Ui::start().await else { return };
    let resident_id = fresh_resident_id();
    let employer = ui.staff(Role::Employer).await;
    let official = ui.staff(Role::HealthOfficial).await;
    let browser = ui.browser().await;
    enrol(&browser, &resident_id).await;

    // A visit at a venue, and an official reading the resident's record for a case.
    let (store, now, id, username) = (
        ui.store.clone(),
        ui.clock.now(),
        resident_id.clone(),
        official.clone(),
    );
    tokio::task::spawn_blocking(move || {
        let venue = VenueRequest {
            venue_id: Uuid::new_v4().to_string(),
            name: "西湖图书馆".to_owned(),
            kind: "shop".to_owned(),
            district: "330106".to_owned(),
            latitude: 30.2585,
            longitude: 120.1485,
            opening_hours: "Mo-Su 08:00-21:00".to_owned(),
        };
        let venue_id = venue.venue_id.parse().unwrap();
        service::register_venue(&*store, now, venue).unwrap();
        let operator = Access::new(Actor::LocalOperator, Purpose::CaseInvestigation, now);
        let person = store
            .find_people(&operator, &[ResidentId::parse(&id).unwrap()])
            .unwrap()[0]
            .unwrap();
        let visit = CheckIn::new(
            EventId::from_uuid(Uuid::new_v4()).unwrap(),
            healthcode_core::VenueId::from_uuid(venue_id),
            person,
            now - SignedDuration::from_hours(3),
            Some(now - SignedDuration::from_hours(2)),
            CheckInSource::VenueScansPerson,
        )
        .unwrap();
        let logging = Access::new(Actor::LocalOperator, Purpose::VisitLogging, now);
        store.record_check_in(&logging, &visit).unwrap();
        let account = store
            .staff_account(&healthcode_core::Username::parse(&username).unwrap())
            .unwrap()
            .unwrap();
        let reading = Access::new(
            Actor::Staff {
                id: account.id,
                role: Role::HealthOfficial,
            },
            Purpose::CaseInvestigation,
            now,
        );
        store.person(&reading, person).unwrap();
    })
    .await
    .unwrap();

    open_without_the_id_number(&browser, "/me/access", &resident_id).await;
    let row = browser.text("#access-log tbody tr").await;
    assert!(
        row.contains("Health official") && row.contains("Case investigation"),
        "the official's read comes first, with its purpose: {row}"
    );
    assert!(
        !browser.html().await.contains(&official),
        "staff are shown by role, never by username"
    );
    browser.screenshots("resident-access").await;

    open_without_the_id_number(&browser, "/me/visits", &resident_id).await;
    assert!(
        browser
            .text("#visits tbody tr")
            .await
            .contains("西湖图书馆")
    );
    browser.screenshots("resident-visits").await;

    open_without_the_id_number(&browser, "/me/itinerary", &resident_id).await;
    assert!(!browser.text("#itinerary-summary").await.is_empty());
    browser.screenshots("resident-itinerary").await;

    open_without_the_id_number(&browser, "/me/consents", &resident_id).await;
    browser.fill("#employer", &employer).await;
    browser.click("#consent-submit").await;
    let token = browser.text("#consent-token").await;
    assert!(token.len() >= 40, "a token to hand over: {token}");
    assert_eq!(
        browser
            .text("tr.consent[data-state=active] .consent-state")
            .await,
        "In force"
    );
    browser.screenshots("resident-consents").await;
    browser.click("tr.consent[data-state=active] button").await;
    browser.find("#consent-revoked").await;
    assert_eq!(browser.text("tr.consent .consent-state").await, "Revoked");
    assert!(
        !browser.html().await.contains(&token),
        "the token is shown once"
    );

    for path in [
        "/me",
        "/me/why",
        "/me/declare",
        "/me/appeals",
        "/me/consents",
    ] {
        open_without_the_id_number(&browser, path, &resident_id).await;
    }

    // The same pages in Chinese.
    browser.open("/me/why").await;
    browser.click("a.lang").await;
    browser
        .wait_until("document.documentElement.lang === 'zh-CN'")
        .await;
    assert_eq!(browser.text("#colour").await, "绿码");
    browser.screenshots("resident-why-zh").await;
    browser.open("/me").await;
    browser
        .wait_until(
            "document.querySelector('#pass-countdown').textContent.startsWith('有效期还剩')",
        )
        .await;
    browser.screenshots("resident-my-code-zh").await;
    browser.open("/me/access").await;
    assert!(
        browser
            .text("#access-log")
            .await
            .contains("卫生健康工作人员")
    );
    browser.screenshots("resident-access-zh").await;
    browser.close().await;
}
