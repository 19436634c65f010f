//! The web pages' frame, over plain HTTP: the session cookie, the redirect to sign in, the
//! security headers, and signing a browser in with a resident's device token.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE};

use crate::helpers::{STAFF_PASSWORD, TestResident, spawn_app};

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn signing_in_sets_a_session_cookie_scripts_cannot_read_and_other_sites_cannot_send() {
    let app = spawn_app().await;
    let (username, _) = app.staff_signed_in(healthcode_core::Role::Auditor).await;
    let client = no_redirects();
    let form = [
        ("username", username.as_str()),
        ("password", STAFF_PASSWORD),
        ("next", ""),
    ];
    let plain = client
        .post(app.url("/sign-in"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), StatusCode::SEE_OTHER);
    assert_eq!(plain.headers()[LOCATION], "/audit");
    let cookie = plain.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("hc_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP cannot send back a Secure cookie"
    );

    let behind_tls = client
        .post(app.url("/sign-in"))
        .header("x-forwarded-proto", "https")
        .form(&form)
        .send()
        .await
        .unwrap();
    let cookie = behind_tls.headers()[SET_COOKIE].to_str().unwrap();
    assert!(cookie.ends_with("; Secure"), "{cookie}");
}

#[tokio::test]
async fn a_page_that_needs_a_session_sends_the_visitor_to_sign_in_and_back() {
    let app = spawn_app().await;
    let response = no_redirects()
        .get(app.url("/signed-in"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], "/sign-in?next=/signed-in");
}

#[tokio::test]
async fn pages_allow_only_the_servers_own_scripts_and_are_never_framed() {
    let app = spawn_app().await;
    let response = app.get("/", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let policy = response.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(policy.starts_with("default-src 'self'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
}

#[tokio::test]
async fn a_residents_device_token_signs_a_browser_in_but_a_staff_token_does_not() {
    let app = spawn_app().await;
    let enrolled = app.enrolled(&TestResident::fresh()).await;
    let client = no_redirects();
    let resident = client
        .post(app.url("/sign-in/device"))
        .form(&[("token", enrolled.device_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resident.status(), StatusCode::SEE_OTHER);
    assert_eq!(resident.headers()[LOCATION], "/me");
    assert!(
        resident.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .starts_with("hc_session=")
    );

    let staff_token = app.sign_in_as(healthcode_core::Role::HealthOfficial).await;
    let staff = client
        .post(app.url("/sign-in/device"))
        .form(&[("token", staff_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(staff.status(), StatusCode::UNAUTHORIZED);
    assert!(staff.headers().get(SET_COOKIE).is_none());
    assert!(
        staff
            .text()
            .await
            .unwrap()
            .contains("device token, or it no longer works.")
    );
}

#[tokio::test]
async fn an_unknown_language_is_refused_with_a_page_not_json() {
    let app = spawn_app().await;
    let response = app.get("/language?to=fr&back=/", None).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let page = response.text().await.unwrap();
    assert!(page.contains("<!doctype html>"), "{page}");
    assert!(page.contains("the language must be en or zh-CN"), "{page}");
}

#[tokio::test]
async fn signing_out_ends_a_staff_members_token_everywhere_at_once() {
    let app = spawn_app().await;
    let (username, _) = app.staff_signed_in(healthcode_core::Role::Auditor).await;
    let client = no_redirects();
    let signed_in = client
        .post(app.url("/sign-in"))
        .form(&[
            ("username", username.as_str()),
            ("password", STAFF_PASSWORD),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    let cookie = signed_in.headers()[SET_COOKIE].to_str().unwrap();
    let token = cookie
        .strip_prefix("hc_session=")
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .to_owned();
    assert_eq!(
        app.get("/v1/audit/verify", Some(&token)).await.status(),
        StatusCode::OK
    );

    let signed_out = client
        .post(app.url("/sign-out"))
        .header(reqwest::header::COOKIE, format!("hc_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    assert!(
        signed_out.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        app.get("/v1/audit/verify", Some(&token)).await.status(),
        StatusCode::UNAUTHORIZED,
        "the token works nowhere once its holder signed out"
    );
}
