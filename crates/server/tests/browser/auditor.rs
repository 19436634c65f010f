//! The auditor's page: the audit log searched by subject, under the chain's verification.

use healthcode_core::Role;

use crate::harness::Ui;
use crate::venue::enrolled;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_searches_by_subject_and_sees_each_record_with_its_purpose_under_an_intact_chain()
 {
    let Some(ui) = Ui::start().await else { return };
    let (person, device) = enrolled(&ui, "11010519491231002X", "李四", "13912345678").await;
    // The resident reads their own profile: a second record about them, for another purpose.
    let own = reqwest::Client::new()
        .get(ui.url("/v1/me"))
        .bearer_auth(&device)
        .send()
        .await
        .expect("the API answers");
    assert_eq!(own.status(), reqwest::StatusCode::OK);

    let browser = ui.staff_browser(Role::Auditor).await;
    browser.open("/audit").await;
    let chain = browser.text("#chain-status").await;
    assert!(chain.contains("Audit chain intact"), "{chain}");
    assert!(
        !browser.html().await.contains("id=\"audit-table\""),
        "opening the page reads no record"
    );
    browser.screenshots("auditor-search").await;

    browser.fill("#subject", &person).await;
    browser.click("#audit-form button[type=submit]").await;
    let table = browser.text("#audit-table").await;
    assert!(table.contains("Enrolment"), "{table}");
    assert!(table.contains("The resident's own use"), "{table}");
    assert!(table.contains("Enrolled a person"), "{table}");
    assert!(!browser.html().await.contains("11010519491231002X"));
    assert!(browser.path().await.contains(&format!("subject={person}")));
    browser.screenshots("auditor-results").await;

    let results = browser.path().await;
    browser.click("a.lang").await;
    browser
        .wait_until("document.documentElement.lang === 'zh-CN'")
        .await;
    browser.open(&results).await;
    let table = browser.text("#audit-table").await;
    assert!(table.contains("注册登记"), "{table}");
    assert!(browser.text("#chain-status").await.contains("审计链完整"));
    browser.screenshots("auditor-results-zh").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_for_a_subject_that_is_not_a_person_id_says_what_to_fix() {
    let Some(ui) = Ui::start().await else { return };
    let browser = ui.staff_browser(Role::Auditor).await;
    browser.open("/audit").await;
    browser.fill("#subject", "zhang san").await;
    browser.click("#audit-form button[type=submit]").await;
    let problem = browser.text("#audit-problem").await;
    assert!(problem.contains("subject"), "{problem}");
    assert!(browser.text("#chain-status").await.contains("intact"));
    browser.close().await;
}
