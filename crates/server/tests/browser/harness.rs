//! A running app with its own data directory and clock, a chromedriver, and browsers driven
//! through it: headless Debian Chromium at a phone's and a desktop's width.
//!
//! Without `/usr/bin/chromium` and `/usr/bin/chromedriver` the tests print why and pass, except
//! under `CI=true`, where they fail. Screenshots go to `target/tmp/screenshots/` (not
//! committed), one full-page PNG per page and width.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use healthcode_core::Role;
use healthcode_server::{Clock, ManualClock, PassConfig, Passes, ServerConfig, accounts, policies};
use healthcode_store::SqliteStore;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tempfile::TempDir;
use tokio::sync::oneshot;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The time every app starts at: a Tuesday morning in February 2026.
pub const START: &str = "2026-02-10T08:00:00Z";

/// The password of every staff account made by [`Ui::staff`].
pub const STAFF_PASSWORD: &str = "correct horse battery staple";

/// A phone's viewport and a desktop's.
pub const PHONE: (u32, u32) = (390, 844);
pub const DESKTOP: (u32, u32) = (1280, 900);

static NEXT: AtomicU32 = AtomicU32::new(1);

/// The app, its clock and store, and the chromedriver that browsers are opened through.
pub struct Ui {
    pub address: SocketAddr,
    pub clock: Arc<ManualClock>,
    pub store: Arc<SqliteStore>,
    driver: Driver,
    _data_dir: TempDir,
    _shutdown: oneshot::Sender<()>,
}

/// A chromedriver process, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Ui {
    /// Starts the app and a chromedriver, or says why browser tests cannot run here: `None`
    /// outside CI, a failure under `CI=true`.
    pub async fn start() -> Option<Ui> {
        if let Some(missing) = [CHROMIUM, CHROMEDRIVER]
            .into_iter()
            .find(|program| !Path::new(program).exists())
        {
            let reason = format!(
                "{missing} is missing; install Debian's chromium and chromium-driver to run the browser tests"
            );
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{reason}");
            eprintln!("skipped: {reason}");
            return None;
        }
        let data_dir = tempfile::tempdir().expect("a temporary directory");
        let clock = Arc::new(ManualClock::new(START.parse().unwrap()));
        let store =
            Arc::new(SqliteStore::open(&data_dir.path().join("data")).expect("the store opens"));
        let (ensuring, now) = (store.clone(), clock.now());
        tokio::task::spawn_blocking(move || policies::ensure_default_policy(&*ensuring, now))
            .await
            .unwrap()
            .expect("the default policy is active");
        let passes = Passes::open(
            &data_dir.path().join("data"),
            PassConfig::default(),
            clock.now(),
        )
        .expect("the pass keys open");
        let router = healthcode_server::router(
            store.clone(),
            clock.clone(),
            ServerConfig::default(),
            passes,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let address = listener.local_addr().unwrap();
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(healthcode_server::serve(listener, router, async {
            let _ = stopped.await;
        }));
        Some(Ui {
            address,
            clock,
            store,
            driver: Driver::start().await,
            _data_dir: data_dir,
            _shutdown: shutdown,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    /// A new browser with its own cookies, at a phone's width.
    pub async fn browser(&self) -> Browser {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--hide-scrollbars", "--lang=en-GB",
                    format!("--window-size={},{}", PHONE.0, PHONE.1),
                ],
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.driver.url)
            .await
            .expect("chromedriver opens a browser");
        Browser {
            client,
            base: self.url(""),
        }
    }

    /// A new staff account of `role`: its username, with [`STAFF_PASSWORD`].
    pub async fn staff(&self, role: Role) -> String {
        let username = format!(
            "{}.{}",
            role.code().replace('_', "-"),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let (store, clock, name) = (self.store.clone(), self.clock.clone(), username.clone());
        tokio::task::spawn_blocking(move || {
            accounts::create_staff_account(&*store, &*clock, &name, STAFF_PASSWORD, role)
        })
        .await
        .unwrap()
        .expect("the staff account is created");
        username
    }

    /// A browser signed in as a new staff member of `role`.
    pub async fn staff_browser(&self, role: Role) -> Browser {
        let username = self.staff(role).await;
        let browser = self.browser().await;
        browser.sign_in(&username).await;
        browser
    }
}

impl Driver {
    async fn start() -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        // Wait until it listens: readiness, not timing.
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not start listening on port {port}");
    }
}

/// One browser: a WebDriver session with its own cookies.
pub struct Browser {
    pub client: Client,
    base: String,
}

impl Browser {
    /// Opens a path of the app and waits until the page has loaded.
    pub async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|error| panic!("{path} opens: {error}"));
    }

    /// The path of the page shown (with its query).
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("a current url");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("the page has {css}: {error}"))
    }

    /// The text of the element `css` (waiting for it to appear).
    pub async fn text(&self, css: &str) -> String {
        self.find(css)
            .await
            .text()
            .await
            .expect("the element's text")
    }

    /// The visible text of the whole page.
    pub async fn page_text(&self) -> String {
        self.text("body").await
    }

    /// The page's HTML as the browser holds it now.
    pub async fn html(&self) -> String {
        self.client.source().await.expect("the page source")
    }

    /// Types `text` into the field `css`, replacing what it held.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("the field clears");
        field.send_keys(text).await.expect("the field takes keys");
    }

    /// The attribute `name` of the element `css` (waiting for it to appear).
    pub async fn attribute(&self, css: &str, name: &str) -> String {
        self.find(css)
            .await
            .attr(name)
            .await
            .expect("the attribute reads")
            .unwrap_or_else(|| panic!("{css} has {name}"))
    }

    /// Chooses the file at `path` in the file input `css`.
    pub async fn upload(&self, css: &str, path: &str) {
        self.find(css)
            .await
            .send_keys(path)
            .await
            .unwrap_or_else(|error| panic!("{css} takes {path}: {error}"));
    }

    /// Picks the option whose value is `value` in the select `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|error| panic!("{css} has the option {value}: {error}"));
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|error| panic!("{css} can be clicked: {error}"));
    }

    /// Waits until `script` (a JavaScript expression) is true on the page.
    pub async fn wait_until(&self, script: &str) {
        let check = format!("return Boolean({script});");
        // Polls for the page's state: a wait for readiness, not a timing assertion.
        for _ in 0..200 {
            let value = self.client.execute(&check, vec![]).await;
            if value.is_ok_and(|value| value.as_bool() == Some(true)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the page never came to satisfy {script}");
    }

    /// Signs in with the staff sign-in form.
    pub async fn sign_in(&self, username: &str) {
        self.open("/sign-in").await;
        self.fill("#username", username).await;
        self.fill("#password", STAFF_PASSWORD).await;
        self.click("form.form button[type=submit]").await;
        self.find("form[action='/sign-out']").await;
    }

    /// Saves full-page screenshots of the page shown at a phone's and a desktop's width as
    /// `<name>-phone.png` and `<name>-desktop.png`, and leaves the browser at a phone's width.
    pub async fn screenshots(&self, name: &str) {
        self.is_labelled(name).await;
        let dir = screenshot_dir();
        for (width_name, (width, height)) in [("desktop", DESKTOP), ("phone", PHONE)] {
            self.client
                .set_window_size(width, height)
                .await
                .expect("the window resizes");
            let full = self
                .client
                .execute(
                    "return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight);",
                    vec![],
                )
                .await
                .ok()
                .and_then(|value| value.as_u64())
                .map_or(height, |full| (full as u32).clamp(height, 6000));
            self.client
                .set_window_size(width, full)
                .await
                .expect("the window resizes");
            let png = self.client.screenshot().await.expect("a screenshot");
            std::fs::write(dir.join(format!("{name}-{width_name}.png")), png)
                .expect("the screenshot is saved");
        }
        self.client
            .set_window_size(PHONE.0, PHONE.1)
            .await
            .expect("the window resizes");
    }

    /// Checks what a screen reader or keyboard needs of the page shown: every form field has a
    /// label, every image a text alternative, every button and link words, and the page a
    /// language and one heading.
    pub async fn is_labelled(&self, page: &str) {
        let problems = self
            .client
            .execute(
                r#"
                const problems = [];
                const named = (element) =>
                    (element.getAttribute('aria-label') || '').trim() !== '' ||
                    (element.getAttribute('aria-labelledby') || '').trim() !== '';
                for (const field of document.querySelectorAll('input, select, textarea')) {
                    if (field.type === 'hidden' || field.type === 'submit') continue;
                    if (field.labels.length === 0 && !named(field)) {
                        problems.push('a field without a label: ' + (field.id || field.name));
                    }
                }
                for (const image of document.querySelectorAll('img')) {
                    if (!image.hasAttribute('alt')) problems.push('an image without alt: ' + image.id);
                }
                for (const control of document.querySelectorAll('button, a[href]')) {
                    if (control.textContent.trim() === '' && !named(control)) {
                        problems.push('a button or link without words: ' + control.outerHTML.slice(0, 80));
                    }
                }
                if (!document.documentElement.lang) problems.push('no language');
                if (document.querySelectorAll('h1').length !== 1) problems.push('not one h1');
                return problems;
                "#,
                vec![],
            )
            .await
            .expect("the page can be checked");
        let problems: Vec<String> = serde_json::from_value(problems).unwrap_or_default();
        assert!(problems.is_empty(), "{page}: {problems:#?}");
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// Where screenshots go: `target/tmp/screenshots/`, never committed.
pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).expect("the screenshot folder is made");
    dir
}
