//! The web pages: server-rendered HTML for residents, checkpoint and venue workers, officials,
//! employers and auditors, served by the same binary as the API.
//!
//! Pages are askama templates (`crates/server/templates/`), checked when the crate compiles.
//! Each page does what one endpoint of the table in [`crate::endpoints`] does, through the same
//! library functions, under that endpoint's roles and purpose ([`Session::allow`]): a page never
//! reaches data the API would refuse, and every read of personal data is audited the same way.
//!
//! Map of the module:
//! - [`session`]: the signed-in person (a cookie holding the same bearer token the API takes),
//!   the language of the page, and the frame every page shares ([`Chrome`]);
//! - [`i18n`]: page texts in English and Simplified Chinese;
//! - [`assets`]: the style sheet and the small scripts, compiled into the binary;
//! - one module per audience: [`resident`], [`checkpoint`], [`venue`], [`official`],
//!   [`employer`], [`auditor`];
//! - this file: the router, sign-in and sign-out, the language switch, and error pages.
//!
//! Forms post to the page that shows them; state-changing requests carry the session cookie,
//! which is `SameSite=Strict`, so another site cannot make a signed-in browser post them.
//! Pages with personal data are sent `Cache-Control: no-store`, and every page under a Content
//! Security Policy that allows only this server's own scripts and styles.

mod assets;
mod auditor;
mod checkpoint;
mod employer;
pub(crate) mod i18n;
mod official;
mod resident;
mod session;
mod venue;

use askama::Template;
use axum::Form;
use axum::extract::{Query, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{Next, from_fn};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use jiff::SignedDuration;
use serde::Deserialize;

use crate::accounts::{self, AccountError};
use crate::error::ApiError;
use crate::{App, Router};

pub(crate) use i18n::Lang;
pub(crate) use session::{Chrome, Session, Visitor};

/// The routes of every page, behind the middleware that turns failures into error pages.
pub(crate) fn router() -> Router<App> {
    Router::new()
        .route("/", get(home))
        .route("/sign-in", get(sign_in_form).post(sign_in))
        .route("/sign-out", axum::routing::post(sign_out))
        .route("/sign-in/device", get(device_form).post(device_sign_in))
        .route("/language", get(switch_language))
        .route("/signed-in", get(signed_in))
        .merge(assets::routes())
        .merge(resident::routes())
        .merge(checkpoint::routes())
        .merge(venue::routes())
        .merge(official::routes())
        .merge(employer::routes())
        .merge(auditor::routes())
        .layer(from_fn(error_pages))
}

/// A page's failure. Handlers return it with `?` from any [`ApiError`]; [`error_pages`] turns
/// it into an HTML page in the visitor's language, or into a redirect to the sign-in page.
#[derive(Debug)]
pub(crate) struct WebError(pub ApiError);

impl<E: Into<ApiError>> From<E> for WebError {
    fn from(error: E) -> WebError {
        WebError(error.into())
    }
}

/// What [`error_pages`] needs of a failure: its status and what to tell the visitor.
#[derive(Clone, Debug)]
struct Failure {
    message: String,
    unauthenticated: bool,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.0.status_code();
        let failure = Failure {
            unauthenticated: matches!(self.0, ApiError::Unauthenticated),
            // A refusal's heading says it all; the API's message adds nothing to it.
            message: if status.is_server_error() || matches!(self.0, ApiError::Forbidden) {
                // Logged once, without request content, by the API's own error response.
                drop(self.0.into_response());
                String::new()
            } else {
                self.0.to_string()
            },
        };
        let mut response = status.into_response();
        response.extensions_mut().insert(failure);
        response
    }
}

/// The result of a page handler.
pub(crate) type PageResult = Result<Response, WebError>;

/// Renders a page. Pages are never cached: most show personal data.
pub(crate) fn render(page: &impl Template) -> PageResult {
    let html = page.render().map_err(ApiError::internal)?;
    Ok(([(CACHE_CONTROL, "no-store")], Html(html)).into_response())
}

/// A redirect after a form was handled (303: the browser follows with GET).
pub(crate) fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

/// A fresh id for a form to send back (an event, appeal, case or venue id): a double submit
/// of the same form is stored once.
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A time as the pages show it: to the minute, in `offset` (the active policy's).
pub(crate) fn shown(at: healthcode_core::Timestamp, offset: jiff::tz::Offset) -> String {
    at.to_zoned(jiff::tz::TimeZone::fixed(offset))
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// The page a signed-in role starts on.
pub(crate) fn home_of(role: healthcode_core::Role) -> &'static str {
    use healthcode_core::Role;
    match role {
        Role::Resident => "/me",
        Role::CheckpointWorker => "/checkpoint",
        Role::VenueOperator => "/venues",
        Role::HealthOfficial => "/official",
        Role::Employer => "/employer",
        Role::Auditor => "/audit",
        _ => "/signed-in",
    }
}

/// Only same-site paths are followed after signing in: never another host.
fn local_path(next: Option<&str>) -> Option<&str> {
    next.filter(|path| path.starts_with('/') && !path.starts_with("//") && !path.contains('\\'))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
}

async fn home(visitor: Visitor) -> PageResult {
    if let Some(role) = visitor.role {
        return Ok(see_other(home_of(role)));
    }
    render(&HomePage {
        chrome: visitor.chrome("healthcode"),
    })
}

#[derive(Template)]
#[template(path = "signed_in.html")]
struct SignedInPage {
    chrome: Chrome,
}

/// The start page of roles that work through the API only (feeds, administrators).
async fn signed_in(session: Session) -> PageResult {
    render(&SignedInPage {
        chrome: session.chrome("Signed in"),
    })
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    next: String,
    username: String,
    error: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn sign_in_form(visitor: Visitor, Query(query): Query<NextQuery>) -> PageResult {
    render(&SignInPage {
        chrome: visitor.chrome("Staff sign-in"),
        next: local_path(query.next.as_deref()).unwrap_or("").to_owned(),
        username: String::new(),
        error: None,
    })
}

#[derive(Deserialize)]
struct SignInForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

async fn sign_in(
    State(app): State<App>,
    visitor: Visitor,
    Form(form): Form<SignInForm>,
) -> PageResult {
    let ttl = SignedDuration::from_hours(i64::from(app.config.staff_token_ttl_hours));
    let clock = app.clock.clone();
    let (username, password) = (form.username.clone(), form.password);
    let signed_in = app
        .run(move |store| Ok(accounts::sign_in(store, &*clock, &username, &password, ttl)))
        .await?;
    match signed_in {
        Ok(signed_in) => {
            let to = local_path(Some(&form.next)).unwrap_or(home_of(signed_in.role));
            let mut response = see_other(to);
            session::set_token(&mut response, &signed_in.token, ttl);
            Ok(response)
        }
        Err(AccountError::WrongCredentials) => {
            let mut response = render(&SignInPage {
                chrome: visitor.chrome("Staff sign-in"),
                next: form.next,
                username: form.username,
                error: Some("The username or password is wrong."),
            })?;
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(response)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "sign_in_device.html")]
struct DeviceSignInPage {
    chrome: Chrome,
    error: Option<&'static str>,
}

async fn device_form(visitor: Visitor) -> PageResult {
    render(&DeviceSignInPage {
        chrome: visitor.chrome("Sign in with a device token"),
        error: None,
    })
}

#[derive(Deserialize)]
struct DeviceForm {
    token: String,
}

/// Signs a browser in as the resident a device token belongs to: the token the enrolment gave
/// their phone (or the demo printed). Staff tokens are refused here; staff sign in with their
/// password.
async fn device_sign_in(
    State(app): State<App>,
    visitor: Visitor,
    Form(form): Form<DeviceForm>,
) -> PageResult {
    let token = form.token.trim().to_owned();
    let hash = accounts::token_hash(&token);
    let now = app.clock.now();
    let holder = app
        .run(move |store| Ok(store.token_holder(&hash, now)?))
        .await?;
    if let Some(healthcode_core::Actor::Resident(_)) = holder {
        let mut response = see_other("/me");
        session::set_token(&mut response, &token, SignedDuration::from_hours(24 * 365));
        return Ok(response);
    }
    let mut response = render(&DeviceSignInPage {
        chrome: visitor.chrome("Sign in with a device token"),
        error: Some("This is not a resident's device token, or it no longer works."),
    })?;
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    Ok(response)
}

/// Signs a staff member out: their token stops working at once, on every device that holds
/// it, and the browser forgets it. Residents have no sign-out: their browser's session is their
/// device token, their only way in until accounts can be recovered with a check of identity.
async fn sign_out(State(app): State<App>, request_headers: axum::http::HeaderMap) -> PageResult {
    if let Some(token) = session::cookie(&request_headers, session::TOKEN_COOKIE) {
        let hash = accounts::token_hash(token);
        app.run(move |store| Ok(store.revoke_staff_token(&hash)?))
            .await?;
    }
    let mut response = see_other("/");
    session::clear_token(&mut response);
    Ok(response)
}

#[derive(Debug, Deserialize)]
struct LanguageQuery {
    to: String,
    back: Option<String>,
}

/// Sets the language of the pages for this browser, then goes back to the page it came from.
async fn switch_language(Query(query): Query<LanguageQuery>) -> PageResult {
    let lang = Lang::from_code(&query.to).ok_or_else(|| {
        ApiError::InvalidField(crate::api::FieldError::new(
            "to",
            "the language must be en or zh-CN",
        ))
    })?;
    let mut response = see_other(local_path(query.back.as_deref()).unwrap_or("/"));
    session::set_language(&mut response, lang);
    Ok(response)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    heading: &'static str,
    message: String,
}

/// Turns failed page requests into pages: a redirect to sign in when the visitor has no
/// session, otherwise an error page in their language with what to do. Sets the security
/// headers of every page, and marks cookies `Secure` when a TLS proxy in front says the
/// browser came over HTTPS (`X-Forwarded-Proto: https`).
async fn error_pages(request: Request, next: Next) -> Response {
    let lang = Lang::of_request(&request);
    let behind_tls = request
        .headers()
        .get("x-forwarded-proto")
        .is_some_and(|proto| proto.as_bytes().eq_ignore_ascii_case(b"https"));
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |path| path.as_str())
        .to_owned();
    let mut response = next.run(request).await;
    let status = response.status();
    let is_html = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if (status.is_client_error() || status.is_server_error()) && !is_html {
        let failure = response.extensions().get::<Failure>().cloned();
        if failure
            .as_ref()
            .is_some_and(|failure| failure.unauthenticated)
        {
            return see_other(&format!("/sign-in?next={}", i18n::url_encode(&path)));
        }
        let message = failure
            .map(|failure| failure.message)
            .filter(|message| !message.is_empty());
        let page = ErrorPage {
            chrome: Chrome::public(lang, "Something went wrong"),
            status: status.as_u16(),
            heading: error_heading(status),
            message: message.unwrap_or_default(),
        };
        response = match render(&page) {
            Ok(mut page) => {
                *page.status_mut() = status;
                page
            }
            Err(_) => status.into_response(),
        };
    }
    if behind_tls {
        session::secure_cookies(&mut response);
    }
    response.headers_mut().insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    response
}

/// The heading of an error page: what kind of failure, in words.
fn error_heading(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
            "Something in the form needs fixing"
        }
        StatusCode::FORBIDDEN => "Your role may not open this page",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::CONFLICT => "This was done already",
        StatusCode::PAYLOAD_TOO_LARGE => "The upload is too large",
        status if status.is_server_error() => "The server could not do this; try again",
        _ => "Something went wrong",
    }
}

/// Texts of this module and the shared frame, in Simplified Chinese.
pub(crate) const ZH: &[(&str, &str)] = &[
    ("healthcode", "健康码"),
    ("Staff sign-in", "工作人员登录"),
    ("Sign in", "登录"),
    ("Sign out", "退出"),
    ("Username", "用户名"),
    ("Password", "密码"),
    ("The username or password is wrong.", "用户名或密码错误。"),
    ("Something went wrong", "出错了"),
    (
        "Something in the form needs fixing",
        "表单中有需要修改的内容",
    ),
    ("Your role may not open this page", "您的角色无权打开此页面"),
    ("Not found", "未找到"),
    ("This was done already", "此操作已完成"),
    ("The upload is too large", "上传的文件太大"),
    (
        "The server could not do this; try again",
        "服务器未能完成此操作，请重试",
    ),
    ("Back to the start", "返回首页"),
    ("Language", "语言"),
    ("Main menu", "主菜单"),
    ("Skip to the content", "跳到正文"),
    (
        "Your colour, why it is what it is, and how to change it.",
        "您的颜色、原因以及如何改变它。",
    ),
    ("I am a resident", "我是居民"),
    ("Enrol with your resident ID number", "用居民身份证号码注册"),
    (
        "I work for a checkpoint, venue, health office, employer or audit",
        "我是检查点、场所、卫生部门、雇主或审计人员",
    ),
    ("Sign in with your staff account", "用工作人员账号登录"),
    (
        "Every access to your data is recorded and shown to you.",
        "对您数据的每次访问都会被记录并向您展示。",
    ),
    (
        "Your role has no pages here; use the API.",
        "您的角色在此没有页面，请使用接口。",
    ),
    ("Signed in", "已登录"),
    ("Sign in with a device token", "用设备令牌登录"),
    ("Device token", "设备令牌"),
    (
        "The token your phone received when you enrolled. It signs this browser in as you.",
        "注册时手机收到的令牌。它让此浏览器以您的身份登录。",
    ),
    (
        "This is not a resident's device token, or it no longer works.",
        "这不是居民的设备令牌，或已失效。",
    ),
    (
        "Enrolled already? Sign in with your device token",
        "已经注册？用设备令牌登录",
    ),
];
