//! The frame every page shares: the start page, staff sign-in, the language switch.

use crate::harness::Ui;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_switches_the_pages_to_chinese_and_back() {
    let Some(ui) = Ui::start().await else { return };
    let browser = ui.browser().await;
    browser.open("/").await;
    assert!(browser.page_text().await.contains("I am a resident"));
    browser.screenshots("start").await;
    browser.click("a.lang").await;
    browser
        .wait_until("document.documentElement.lang === 'zh-CN'")
        .await;
    assert!(browser.page_text().await.contains("我是居民"));
    browser.screenshots("start-zh").await;
    browser.click("a.lang").await;
    browser
        .wait_until("document.documentElement.lang === 'en'")
        .await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_refused_on_the_sign_in_page_itself() {
    let Some(ui) = Ui::start().await else { return };
    let username = ui.staff(healthcode_core::Role::Auditor).await;
    let browser = ui.browser().await;
    browser.open("/sign-in").await;
    browser.fill("#username", &username).await;
    browser.fill("#password", "not the password at all").await;
    browser.click("form.form button[type=submit]").await;
    assert_eq!(
        browser.text("[role=alert]").await,
        "The username or password is wrong."
    );
    assert_eq!(browser.path().await, "/sign-in");
    browser.screenshots("sign-in-refused").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_worker_who_opens_an_officials_page_is_told_their_role_may_not() {
    let Some(ui) = Ui::start().await else { return };
    let browser = ui
        .staff_browser(healthcode_core::Role::CheckpointWorker)
        .await;
    browser.open("/official/appeals").await;
    let alert = browser.text("[role=alert]").await;
    assert!(
        alert.starts_with("Your role may not open this page (403)"),
        "{alert}"
    );
    browser.screenshots("error-forbidden").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_without_pages_is_told_to_use_the_api_and_a_wrong_device_token_is_refused() {
    let Some(ui) = Ui::start().await else { return };
    let laboratory = ui.staff_browser(healthcode_core::Role::Laboratory).await;
    assert_eq!(laboratory.path().await, "/signed-in");
    assert!(
        laboratory
            .page_text()
            .await
            .contains("Your role has no pages here; use the API.")
    );
    laboratory.screenshots("signed-in-without-pages").await;
    laboratory.close().await;

    let browser = ui.browser().await;
    browser.open("/sign-in/device").await;
    browser.fill("#token", "not-a-token").await;
    browser.click("form.form button[type=submit]").await;
    assert_eq!(
        browser.text("[role=alert]").await,
        "This is not a resident's device token, or it no longer works."
    );
    browser.screenshots("sign-in-device-refused").await;
    browser.close().await;
}
