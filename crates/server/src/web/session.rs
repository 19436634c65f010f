//! Who is looking at a page, in which language, and the frame every page shares.
//!
//! A browser session is the API's own bearer token kept in an `HttpOnly`, `SameSite=Strict`
//! cookie: a staff member's from signing in, a resident's device token from enrolling. The
//! token is resolved exactly as the API resolves `Authorization: Bearer`, and is never shown to
//! scripts or logged.

use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use healthcode_core::{Access, Actor, PersonId, Role};
use jiff::SignedDuration;

use super::{Lang, WebError};
use crate::App;
use crate::accounts::token_hash;
use crate::endpoints::Endpoint;
use crate::error::ApiError;

pub(super) const TOKEN_COOKIE: &str = "hc_session";
pub(super) const LANGUAGE_COOKIE: &str = "hc_lang";

/// The value of the cookie `name` in a request's `Cookie` headers.
pub(super) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Keeps `token` in the browser for `ttl`, out of reach of scripts.
pub(crate) fn set_token(response: &mut Response, token: &str, ttl: SignedDuration) {
    let cookie = format!(
        "{TOKEN_COOKIE}={token}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict",
        ttl.as_secs().max(0)
    );
    append_cookie(response, &cookie);
}

/// Forgets the session token.
pub(crate) fn clear_token(response: &mut Response) {
    append_cookie(
        response,
        &format!("{TOKEN_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"),
    );
}

/// Remembers the language of the pages for a year.
pub(super) fn set_language(response: &mut Response, lang: Lang) {
    append_cookie(
        response,
        &format!(
            "{LANGUAGE_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            lang.code()
        ),
    );
}

/// Marks every cookie the response sets `Secure`: sent back over HTTPS only.
pub(super) fn secure_cookies(response: &mut Response) {
    let cookies: Vec<HeaderValue> = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    response.headers_mut().remove(SET_COOKIE);
    for cookie in cookies {
        let secure = format!("{}; Secure", cookie.to_str().unwrap_or_default());
        append_cookie(response, &secure);
    }
}

fn append_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

/// Anyone looking at a page, signed in or not: their language, their role if their session is
/// valid, and the path they are on.
#[derive(Clone, Debug)]
pub(crate) struct Visitor {
    pub lang: Lang,
    pub role: Option<Role>,
    pub path: String,
}

impl Visitor {
    /// The frame of a page with this title (English; translated in the page).
    pub fn chrome(&self, title: &'static str) -> Chrome {
        Chrome {
            lang: self.lang,
            role: self.role,
            title,
            path: self.path.clone(),
        }
    }
}

impl FromRequestParts<App> for Visitor {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Visitor, WebError> {
        let actor = actor_of(parts, app).await?;
        Ok(Visitor {
            lang: Lang::of_parts(parts),
            role: actor.and_then(|actor| actor.role()),
            path: path_of(parts),
        })
    }
}

/// A signed-in visitor. Extracting it from a request without a valid session fails with
/// [`ApiError::Unauthenticated`], which the error pages turn into a redirect to sign in.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub actor: Actor,
    pub lang: Lang,
    pub path: String,
    app: App,
}

impl FromRequestParts<App> for Session {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Session, WebError> {
        let actor = actor_of(parts, app)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        Ok(Session {
            actor,
            lang: Lang::of_parts(parts),
            path: path_of(parts),
            app: app.clone(),
        })
    }
}

impl Session {
    /// The access of doing what `endpoint` (one that touches personal data) does, if the
    /// endpoint table lets this visitor's role do it. A refusal is audited like the API's (when the endpoint touches personal data,
    /// naming `subject` if the page is about one person) and shown as a 403 page.
    pub async fn allow(
        &self,
        endpoint: Endpoint,
        subject: Option<PersonId>,
    ) -> Result<Access, WebError> {
        if endpoint.allowed().permits(self.actor.role()) {
            return Ok(Access::new(
                self.actor,
                endpoint.purpose(),
                self.app.clock.now(),
            ));
        }
        Err(WebError(
            crate::auth::refuse(&self.app, endpoint, self.actor, subject).await,
        ))
    }

    /// Whether the endpoint table lets this visitor's role do what `endpoint` does, for
    /// endpoints that touch no personal data (and so have no purpose to audit): the signed-in
    /// actor, or a 403 page.
    pub async fn permit(&self, endpoint: Endpoint) -> Result<Actor, WebError> {
        if endpoint.allowed().permits(self.actor.role()) {
            return Ok(self.actor);
        }
        Err(WebError(
            crate::auth::refuse(&self.app, endpoint, self.actor, None).await,
        ))
    }

    /// The frame of a page with this title (English; translated in the page).
    pub fn chrome(&self, title: &'static str) -> Chrome {
        Chrome {
            lang: self.lang,
            role: self.actor.role(),
            title,
            path: self.path.clone(),
        }
    }
}

async fn actor_of(parts: &Parts, app: &App) -> Result<Option<Actor>, WebError> {
    let Some(token) = cookie(&parts.headers, TOKEN_COOKIE).filter(|token| !token.is_empty()) else {
        return Ok(None);
    };
    let hash = token_hash(token);
    let now = app.clock.now();
    Ok(app
        .run(move |store| Ok(store.token_holder(&hash, now)?))
        .await?)
}

fn path_of(parts: &Parts) -> String {
    parts.uri.path().to_owned()
}

/// A link of the menu: where it goes, and its text.
pub(crate) type NavItem = (&'static str, &'static str);

/// The frame every page shares: the language, the menu of the visitor's role, the page title.
/// Every page template has a `chrome` field; `base.html` reads it.
#[derive(Clone, Debug)]
pub(crate) struct Chrome {
    pub lang: Lang,
    pub role: Option<Role>,
    pub title: &'static str,
    pub path: String,
}

impl Chrome {
    /// The frame of a page shown to someone whose session is not known (error pages).
    pub fn public(lang: Lang, title: &'static str) -> Chrome {
        Chrome {
            lang,
            role: None,
            title,
            path: "/".to_owned(),
        }
    }

    /// The menu of the visitor's role.
    pub fn nav(&self) -> &'static [NavItem] {
        match self.role {
            Some(Role::Resident) => &[
                ("/me", "My code"),
                ("/me/why", "Why"),
                ("/me/declare", "Declare"),
                ("/me/itinerary", "Itinerary"),
                ("/me/visits", "Visits"),
                ("/me/appeals", "Appeals"),
                ("/me/access", "Who saw my data"),
                ("/me/consents", "Consents"),
            ],
            Some(Role::CheckpointWorker) => &[("/checkpoint", "Scan")],
            Some(Role::VenueOperator) => &[("/venues", "Venues")],
            Some(Role::HealthOfficial) => &[
                ("/official", "Dashboard"),
                ("/official/cases", "Cases"),
                ("/official/appeals", "Appeals"),
                ("/official/overrides", "Overrides"),
                ("/official/proximity", "Proximity"),
                ("/official/policies", "Policies"),
            ],
            Some(Role::Employer) => &[("/employer", "Contact check")],
            Some(Role::Auditor) => &[("/audit", "Audit log")],
            _ => &[],
        }
    }

    /// Whether `href` is the page shown or the section it belongs to (for `aria-current`).
    pub fn is_current(&self, href: &str) -> bool {
        self.path == href
    }

    /// Whether the header offers signing out: to staff only (see `sign_out`).
    pub fn can_sign_out(&self) -> bool {
        self.role.is_some_and(|role| role != Role::Resident)
    }
}

/// Texts of the menus, in Simplified Chinese.
pub(crate) const ZH: &[(&str, &str)] = &[
    ("My code", "我的码"),
    ("Why", "原因"),
    ("Declare", "申报"),
    ("Itinerary", "行程"),
    ("Visits", "到访"),
    ("Appeals", "申诉"),
    ("Who saw my data", "谁查看了我的数据"),
    ("Consents", "授权"),
    ("Scan", "扫码"),
    ("Venues", "场所"),
    ("Dashboard", "总览"),
    ("Cases", "病例"),
    ("Overrides", "人工调整"),
    ("Proximity", "时空伴随"),
    ("Policies", "规则"),
    ("Contact check", "密接查询"),
    ("Audit log", "审计日志"),
];
