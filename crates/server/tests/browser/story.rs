//! The whole story across roles, each in their own browser: a resident enrols, declares a
//! fever, sees yellow with its reason and next step, and appeals; an official amends the
//! colour and the resident sees the decision; a checkpoint worker photographs two residents'
//! passes off their phones' screens and verifies them; an official registers one of them as a
//! confirmed case and sees the other among its contacts, with the venue and times as evidence.
//! On every page of the story, no full ID number shows, and names are masked except on the
//! resident's own pages and the official's case page.

use std::sync::atomic::{AtomicU32, Ordering};

use healthcode_core::{ResidentId, Role};
use healthcode_server::Clock as _;
use healthcode_server::api::VenueRequest;
use healthcode_server::service;
use jiff::SignedDuration;
use uuid::Uuid;

use crate::harness::{Browser, Ui};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A resident as they type themselves in: a valid ID number no other test uses, a name, a
/// phone.
struct Resident {
    id: String,
    name: &'static str,
    phone: String,
}

impl Resident {
    fn new(name: &'static str) -> Resident {
        let sequence = NEXT.fetch_add(1, Ordering::Relaxed);
        let id = ResidentId::with_check_character(&format!("33010619880314{:03}", 700 + sequence))
            .unwrap();
        Resident {
            id: id.as_str().to_owned(),
            name,
            phone: format!("1390000{:04}", 7000 + sequence),
        }
    }
}

/// Everything a page may not show: the full ID numbers always, the full names unless `names`.
async fn shows_nothing_it_should_not(browser: &Browser, residents: &[&Resident], names: bool) {
    let html = browser.html().await;
    let page = browser.path().await;
    for resident in residents {
        assert!(
            !html.contains(&resident.id),
            "{page} shows a full ID number"
        );
        if !names {
            assert!(!html.contains(resident.name), "{page} shows a full name");
        }
    }
}

async fn enrol(browser: &Browser, resident: &Resident) {
    browser.open("/enrol").await;
    browser.fill("#resident_id", &resident.id).await;
    browser.fill("#name", resident.name).await;
    browser.fill("#phone", &resident.phone).await;
    browser.click("#enrol-submit").await;
    browser.find("#pass-qr").await;
    assert_eq!(browser.path().await, "/me");
}

/// A photograph of the pass on the resident's screen, as a checkpoint's camera would take it.
async fn photograph_pass(browser: &Browser, file: &std::path::Path) {
    browser.open("/me").await;
    browser
        .client
        .execute(
            "document.getElementById('pass-qr').scrollIntoView({block: 'center'});",
            vec![],
        )
        .await
        .expect("the pass scrolls into view");
    let png = browser
        .find("#pass-qr")
        .await
        .screenshot()
        .await
        .expect("a picture of the pass");
    std::fs::write(file, png).expect("the picture is saved");
}

async fn scan_photo(checkpoint: &Browser, venue: Uuid, file: &std::path::Path) {
    checkpoint.open("/checkpoint").await;
    checkpoint.fill("#venue-id", &venue.to_string()).await;
    checkpoint.upload("#photo", file.to_str().unwrap()).await;
    checkpoint.click("#scan-photo").await;
    checkpoint
        .wait_until("document.getElementById('verdict') && document.getElementById('verdict').dataset.verdict")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_appeals_a_fever_an_official_amends_it_a_checkpoint_verifies_the_pass_and_tracing_finds_the_contact()
 {
    let Some(ui) = Ui::start().await else { return };
    let zhang = Resident::new("张三明");
    let li = Resident::new("李四");
    let everyone = [&zhang, &li];

    // A resident enrols, declares a fever, and sees yellow with its reason and next step.
    let resident = ui.browser().await;
    enrol(&resident, &zhang).await;
    shows_nothing_it_should_not(&resident, &[&li], false).await;
    resident.open("/me/declare").await;
    resident.click("#symptom-fever").await;
    resident.fill("#temperature", "38.2").await;
    resident.click("#declare-submit").await;
    resident.find("#declared").await;
    assert_eq!(resident.attribute("#colour", "data-colour").await, "yellow");
    let reasons = resident.text("#reasons").await;
    assert!(reasons.contains("37.3 °C"), "{reasons}");
    assert!(!resident.text("#next-steps li").await.is_empty());
    shows_nothing_it_should_not(&resident, &everyone, true).await;
    resident.screenshots("story-resident-yellow").await;

    // They appeal.
    resident.open("/me/appeals").await;
    resident
        .fill(
            "#appeal-statement",
            "I burnt my hand on the stove; I have no fever.",
        )
        .await;
    resident.click("#appeal-submit").await;
    resident.find("#appeal-filed").await;
    assert_eq!(
        resident.attribute(".appeal", "data-status").await,
        "waiting"
    );

    // An official decides: amend to green.
    ui.clock.advance(SignedDuration::from_mins(30));
    let official = ui.staff_browser(Role::HealthOfficial).await;
    official.open("/official/appeals").await;
    let appeal = official.find(".queued-appeal").await;
    assert!(appeal.text().await.unwrap().contains("I burnt my hand"));
    shows_nothing_it_should_not(&official, &everyone, false).await;
    official
        .click(".queued-appeal input[name=outcome][value=amend]")
        .await;
    official
        .fill(
            ".queued-appeal textarea[name=reason]",
            "A burn, not a fever: the thermometer read 36.8.",
        )
        .await;
    official
        .select(".queued-appeal select[name=colour]", "green")
        .await;
    official.click(".queued-appeal button[type=submit]").await;
    official.find("#appeal-notice").await;
    official.find("#queue-empty").await;

    // The resident sees the outcome, and their code is green.
    resident.open("/me/appeals").await;
    let decided = resident.text(".appeal").await;
    assert!(decided.contains("A burn, not a fever"), "{decided}");
    assert_eq!(
        resident
            .attribute(".appeal-colour .colour", "data-colour")
            .await,
        "green"
    );
    resident.screenshots("story-resident-appeal-decided").await;
    resident.open("/me").await;
    assert_eq!(resident.attribute("#colour", "data-colour").await, "green");

    // A second resident enrols on their own phone.
    let neighbour = ui.browser().await;
    enrol(&neighbour, &li).await;

    // The checkpoint at a noodle shop photographs both passes off the phones' screens.
    let venue = Uuid::new_v4();
    let (store, now) = (ui.store.clone(), ui.clock.now());
    tokio::task::spawn_blocking(move || {
        service::register_venue(
            &*store,
            now,
            VenueRequest {
                venue_id: venue.to_string(),
                name: "Wulin Square Noodles".to_owned(),
                kind: "restaurant".to_owned(),
                district: "330106".to_owned(),
                latitude: 30.27,
                longitude: 120.16,
                opening_hours: "Mo-Su 06:00-23:00".to_owned(),
            },
        )
    })
    .await
    .unwrap()
    .expect("the venue is registered");
    let photos = tempfile::tempdir().unwrap();
    let checkpoint = ui.staff_browser(Role::CheckpointWorker).await;
    for (phone, resident) in [(&resident, &zhang), (&neighbour, &li)] {
        let photo = photos.path().join(format!("{}.png", resident.phone));
        photograph_pass(phone, &photo).await;
        scan_photo(&checkpoint, venue, &photo).await;
        assert_eq!(
            checkpoint.attribute("#verdict", "data-verdict").await,
            "valid"
        );
        assert_eq!(
            checkpoint.attribute("#verdict", "data-colour").await,
            "green"
        );
        let name = checkpoint.text("#verdict-name").await;
        assert!(name.contains('*'), "the name is masked: {name}");
        assert!(!checkpoint.text("#verdict-issuer").await.is_empty());
        assert!(!checkpoint.text("#verdict-logged").await.is_empty());
        shows_nothing_it_should_not(&checkpoint, &everyone, false).await;
    }
    checkpoint.screenshots("story-checkpoint-verified").await;

    // An hour later the second resident is confirmed; the official registers the case and
    // sees the first among its contacts, with the noodle shop and the times as evidence.
    ui.clock.advance(SignedDuration::from_hours(1));
    official.open("/official/cases").await;
    official.fill("#case-resident-id", &li.id).await;
    official.select("#case-status", "confirmed").await;
    official.click("#register-case button[type=submit]").await;
    official.find("#case-notice").await;
    let contact = official.find("#contacts tr.contact").await;
    let evidence = contact
        .find(fantoccini::Locator::Css(".evidence"))
        .await
        .expect("the contact has evidence")
        .text()
        .await
        .unwrap();
    assert!(evidence.contains("Wulin Square Noodles"), "{evidence}");
    let rows = official.text("#contacts").await;
    assert!(
        rows.contains(zhang.name),
        "officials see contacts' names: {rows}"
    );
    shows_nothing_it_should_not(&official, &everyone, true).await;
    official.screenshots("story-official-case-contacts").await;

    for browser in [resident, neighbour, official, checkpoint] {
        browser.close().await;
    }
}
