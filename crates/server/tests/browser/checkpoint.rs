//! The checkpoint worker's page: a resident's pass checked from a photo of its QR code, from
//! its text in the browser against the trust list kept on the device (offline), and with a
//! temperature taken at the gate.

use healthcode_core::Role;
use healthcode_pass::container::{self, Kind};
use healthcode_server::Clock as _;
use healthcode_server::api::{
    CheckInList, EnrolRequest, EnrolResponse, PassView, SessionRequest, SessionResponse,
    StatusView, VenueRequest,
};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use tempfile::TempDir;
use uuid::Uuid;

use crate::harness::{Browser, STAFF_PASSWORD, Ui};

/// A checkpoint registered as a venue, and a resident enrolled through the API.
struct Gate {
    http: reqwest::Client,
    venue: Uuid,
    resident: String,
    photos: TempDir,
}

async fn expect<T: DeserializeOwned>(response: reqwest::Response, status: StatusCode) -> T {
    assert_eq!(response.status(), status, "{:?}", response.url().path());
    response.json().await.expect("a JSON answer")
}

impl Gate {
    async fn open(ui: &Ui) -> Gate {
        let http = reqwest::Client::new();
        let operator = ui.staff(Role::VenueOperator).await;
        let session: SessionResponse = expect(
            http.post(ui.url("/v1/sessions"))
                .json(&SessionRequest {
                    username: operator,
                    password: STAFF_PASSWORD.to_owned(),
                })
                .send()
                .await
                .unwrap(),
            StatusCode::CREATED,
        )
        .await;
        let venue = Uuid::new_v4();
        let registered = http
            .post(ui.url("/v1/venues"))
            .bearer_auth(&session.token)
            .json(&VenueRequest {
                venue_id: venue.to_string(),
                name: "West Lake Road Checkpoint".into(),
                kind: "highway_checkpoint".into(),
                district: "330106".into(),
                latitude: 30.2596,
                longitude: 120.1302,
                opening_hours: "24/7".into(),
            })
            .send()
            .await
            .unwrap();
        assert_eq!(registered.status(), StatusCode::CREATED);
        let enrolled: EnrolResponse = expect(
            http.post(ui.url("/v1/residents"))
                .json(&EnrolRequest {
                    event_id: Uuid::new_v4().to_string(),
                    resident_id: "330106199001011256".into(),
                    name: "张三明".into(),
                    phone: "13800138000".into(),
                })
                .send()
                .await
                .unwrap(),
            StatusCode::CREATED,
        )
        .await;
        Gate {
            http,
            venue,
            resident: enrolled.device_token,
            photos: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    async fn resident_get(&self, ui: &Ui, path: &str) -> reqwest::Response {
        self.http
            .get(ui.url(path))
            .bearer_auth(&self.resident)
            .send()
            .await
            .unwrap()
    }

    /// The resident's pass, as their app fetches it.
    async fn pass(&self, ui: &Ui) -> PassView {
        expect(self.resident_get(ui, "/v1/me/pass").await, StatusCode::OK).await
    }

    /// A photo of the resident's pass (its PNG), saved where a browser can upload it.
    async fn pass_photo(&self, ui: &Ui) -> String {
        let response = self.resident_get(ui, "/v1/me/pass?format=png").await;
        assert_eq!(response.status(), StatusCode::OK);
        let png = response.bytes().await.unwrap();
        self.save("pass.png", &png)
    }

    fn save(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.photos.path().join(name);
        std::fs::write(&path, bytes).expect("the photo is saved");
        path.to_str().expect("a UTF-8 path").to_owned()
    }

    async fn visits(&self, ui: &Ui) -> CheckInList {
        expect(
            self.resident_get(ui, "/v1/me/check-ins").await,
            StatusCode::OK,
        )
        .await
    }

    async fn colour(&self, ui: &Ui) -> String {
        let status: StatusView =
            expect(self.resident_get(ui, "/v1/me/status").await, StatusCode::OK).await;
        status.colour
    }
}

/// Opens the page with the checkpoint's venue filled in, once the trust list is on the device.
async fn ready(browser: &Browser, gate: &Gate) {
    browser.open("/checkpoint").await;
    browser
        .wait_until("document.getElementById('trust-list-status').hasAttribute('data-fetched-at')")
        .await;
    browser.fill("#venue-id", &gate.venue.to_string()).await;
}

/// Sets the device's clock to the app's, which the script checks passes' dates against, and
/// tells the script the device has no network.
async fn go_offline_at(browser: &Browser, ui: &Ui) {
    let now = ui.clock.now().as_millisecond();
    browser
        .client
        .execute(
            &format!(
                "Date.now = () => {now}; \
                 Object.defineProperty(navigator, 'onLine', {{ configurable: true, get: () => false }});"
            ),
            vec![],
        )
        .await
        .expect("the script runs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_worker_checks_a_residents_pass_from_a_photo_and_the_visit_is_logged() {
    let Some(ui) = Ui::start().await else { return };
    let gate = Gate::open(&ui).await;
    let browser = ui.staff_browser(Role::CheckpointWorker).await;
    browser.open("/checkpoint").await;
    browser
        .wait_until("document.getElementById('trust-list-status').hasAttribute('data-fetched-at')")
        .await;
    assert!(
        browser
            .text("#trust-list-status")
            .await
            .starts_with("Trust list from")
    );
    let camera_hidden = browser
        .client
        .execute(
            "return getComputedStyle(document.getElementById('camera')).display === 'none';",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        camera_hidden.as_bool(),
        Some(true),
        "headless Chromium has no BarcodeDetector: the camera hides itself"
    );
    browser.screenshots("checkpoint-scan").await;

    browser.fill("#venue-id", &gate.venue.to_string()).await;
    let photo = gate.pass_photo(&ui).await;
    browser.upload("#photo", &photo).await;
    browser.click("#scan-photo").await;
    browser
        .wait_until("document.getElementById('verdict').dataset.verdict")
        .await;

    assert_eq!(browser.attribute("#verdict", "data-verdict").await, "valid");
    assert_eq!(browser.attribute("#verdict", "data-colour").await, "green");
    assert_eq!(browser.attribute("#verdict", "data-mode").await, "online");
    assert_eq!(browser.text("#verdict-headline").await, "Green");
    assert_eq!(browser.text("#verdict-name").await, "张*明");
    assert_eq!(browser.text("#verdict-birth-year").await, "1990");
    assert_eq!(browser.text("#verdict-issuer").await, "330100");
    assert_eq!(browser.text("#verdict-logged").await, "Visit logged.");
    assert_eq!(
        browser.text("#venue-name").await,
        "West Lake Road Checkpoint"
    );
    let page = browser.page_text().await;
    assert!(!page.contains("张三明"), "never the full name");
    assert!(!page.contains("330106199001011256"), "never the ID number");
    top(&browser).await;
    browser.screenshots("checkpoint-verdict-valid").await;

    let visits = gate.visits(&ui).await.check_ins;
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].venue_id, gate.venue);
    assert_eq!(visits[0].source, "checkpoint");

    // The device remembers its checkpoint for the next scan.
    browser.open("/checkpoint").await;
    assert_eq!(
        browser.find("#venue-id").await.prop("value").await.unwrap(),
        Some(gate.venue.to_string())
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_the_page_verifies_a_pasted_pass_in_the_browser_and_refuses_a_forged_signature() {
    let Some(ui) = Ui::start().await else { return };
    let gate = Gate::open(&ui).await;
    let pass = gate.pass(&ui).await;
    let browser = ui.staff_browser(Role::CheckpointWorker).await;
    ready(&browser, &gate).await;
    go_offline_at(&browser, &ui).await;

    browser.fill("#pass-text", &pass.text).await;
    browser.click("#check-text").await;
    browser
        .wait_until("document.getElementById('verdict').dataset.mode === 'offline'")
        .await;
    assert_eq!(browser.attribute("#verdict", "data-verdict").await, "valid");
    assert_eq!(browser.attribute("#verdict", "data-colour").await, "green");
    assert_eq!(browser.text("#verdict-name").await, "张*明");
    assert_eq!(browser.text("#verdict-issuer").await, "330100");
    assert_eq!(
        browser.text("#verdict-mode").await,
        "Checked offline on this device."
    );
    assert!(browser.text("#verdict-logged").await.contains("offline"));
    assert!(
        gate.visits(&ui).await.check_ins.is_empty(),
        "offline, nothing reached the server"
    );

    // The same pass with one byte of its signature changed.
    let (kind, mut cose) = container::unwrap(&pass.text).expect("the pass unwraps");
    assert_eq!(kind, Kind::HealthCode);
    *cose.last_mut().unwrap() ^= 0x01;
    let forged = container::wrap(Kind::HealthCode, &cose);
    browser.fill("#pass-text", &forged).await;
    browser.click("#check-text").await;
    browser
        .wait_until("document.getElementById('verdict').dataset.reason === 'bad_signature'")
        .await;
    assert_eq!(
        browser.attribute("#verdict", "data-verdict").await,
        "invalid"
    );
    assert_eq!(browser.attribute("#verdict", "data-colour").await, "red");
    assert_eq!(browser.attribute("#verdict", "data-mode").await, "offline");
    assert_eq!(browser.text("#verdict-headline").await, "Not valid");
    assert_eq!(
        browser.text("#verdict-reason").await,
        "Bad signature: the pass was changed or forged."
    );
    top(&browser).await;
    browser.screenshots("checkpoint-verdict-invalid").await;

    // Text that is not a pass, and a pass past its expiry on the device's clock.
    browser.fill("#pass-text", "hello checkpoint").await;
    browser.click("#check-text").await;
    browser
        .wait_until("document.getElementById('verdict').dataset.reason === 'prefix'")
        .await;
    assert!(
        browser
            .text("#verdict-reason")
            .await
            .starts_with("Not a pass")
    );
    let late = ui.clock.now().as_millisecond() + 301_000;
    browser
        .client
        .execute(&format!("Date.now = () => {late};"), vec![])
        .await
        .unwrap();
    browser.fill("#pass-text", &pass.text).await;
    browser.click("#check-text").await;
    browser
        .wait_until("document.getElementById('verdict').dataset.reason === 'expired'")
        .await;

    // Without the script (a form sent as a browser without JavaScript sends it), the server
    // checks the text and refuses the forgery too.
    browser
        .client
        .execute(
            "document.getElementById('pass-text').value = arguments[0]; \
             document.getElementById('scan-form').submit();",
            vec![serde_json::Value::String(forged)],
        )
        .await
        .unwrap();
    browser
        .wait_until("document.getElementById('verdict').dataset.mode === 'online'")
        .await;
    assert_eq!(
        browser.attribute("#verdict", "data-reason").await,
        "bad_signature"
    );
    assert!(gate.visits(&ui).await.check_ins.is_empty());
    browser.close().await;
}

/// Scrolls to the top of the page, where the verdict is, for a screenshot.
async fn top(browser: &Browser) {
    browser
        .client
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_a_pasted_pass_is_checked_here_then_logged_with_a_fever_that_turns_the_holder_yellow()
 {
    let Some(ui) = Ui::start().await else { return };
    let gate = Gate::open(&ui).await;
    let pass = gate.pass(&ui).await;
    let browser = ui.staff_browser(Role::CheckpointWorker).await;
    ready(&browser, &gate).await;
    // The device's clock agrees with the app's; the network is there.
    let now = ui.clock.now().as_millisecond();
    browser
        .client
        .execute(&format!("Date.now = () => {now};"), vec![])
        .await
        .unwrap();

    browser.fill("#temperature", "38.4").await;
    browser.fill("#pass-text", &pass.text).await;
    browser.click("#check-text").await;
    browser
        .wait_until("document.getElementById('verdict').dataset.mode === 'online'")
        .await;
    assert_eq!(browser.attribute("#verdict", "data-verdict").await, "valid");
    assert_eq!(browser.attribute("#verdict", "data-colour").await, "green");
    assert_eq!(browser.text("#verdict-logged").await, "Visit logged.");
    assert_eq!(browser.text("#verdict-temperature").await, "38.4 °C");
    assert_eq!(browser.text("#verdict-colour-now").await, "Yellow");
    assert!(
        browser
            .text("#verdict-reason")
            .await
            .contains("changed the holder's colour")
    );
    assert_eq!(
        browser
            .find("#pass-text")
            .await
            .prop("value")
            .await
            .unwrap(),
        Some(String::new()),
        "the form is ready for the next pass"
    );

    top(&browser).await;
    browser.screenshots("checkpoint-verdict-fever").await;
    assert_eq!(gate.visits(&ui).await.check_ins.len(), 1);
    assert_eq!(gate.colour(&ui).await, "yellow");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_without_a_qr_code_says_so_in_the_page_language() {
    let Some(ui) = Ui::start().await else { return };
    let gate = Gate::open(&ui).await;
    let browser = ui.staff_browser(Role::CheckpointWorker).await;
    browser.open("/language?to=zh-CN&back=/checkpoint").await;
    browser
        .wait_until("document.documentElement.lang === 'zh-CN'")
        .await;
    browser.fill("#venue-id", &gate.venue.to_string()).await;
    // A real PNG with no QR code in it: a picture of the page itself.
    let screenshot = browser.client.screenshot().await.expect("a screenshot");
    let photo = gate.save("no-code.png", &screenshot);
    browser.upload("#photo", &photo).await;
    browser.click("#scan-photo").await;
    browser
        .wait_until("document.getElementById('verdict').dataset.verdict")
        .await;
    assert_eq!(
        browser.attribute("#verdict", "data-verdict").await,
        "invalid"
    );
    assert_eq!(
        browser.attribute("#verdict", "data-reason").await,
        "picture"
    );
    assert_eq!(browser.text("#verdict-headline").await, "无效");
    assert!(
        browser
            .text("#verdict-reason")
            .await
            .contains("无法从照片中读出二维码")
    );
    top(&browser).await;
    browser.screenshots("checkpoint-verdict-picture-zh").await;

    // Neither a photo nor text: the form says what to do.
    browser.fill("#venue-id", &gate.venue.to_string()).await;
    browser.click("#scan-photo").await;
    browser
        .wait_until("document.getElementById('scan-error').textContent.length > 0")
        .await;
    assert_eq!(
        browser.text("#scan-error").await,
        "请先选择通行码二维码的照片。"
    );
    assert!(gate.visits(&ui).await.check_ins.is_empty());
    browser.close().await;
}
