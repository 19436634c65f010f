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
    browser.wait_until("document.documentElement.lang === 'zh-CN'").await;
    assert!(browser.page_text().await.contains("我是居民"));
    browser.screenshots("start-zh").await;
    browser.click("a.lang").await;
    browser.wait_until("document.documentElement.lang === 'en'").await;
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
