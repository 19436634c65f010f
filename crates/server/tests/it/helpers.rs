//! `spawn_app()` and typed helpers that speak to the app over HTTP.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use healthcode_core::{
    Access, Actor, HouseholdCode, PersonId, Purpose, ResidentId, Role, Timestamp,
};
use healthcode_pass::{Algorithm, PassKeys};
use healthcode_server::api::{
    AuditLog, AuditRecordView, CheckInRequest, DeclarationRequest, EnrolRequest, EnrolResponse,
    ErrorBody, LabResultBatch, LabResultRow, RatingHistory, SessionRequest, SessionResponse,
    StatusView, TravelRequest, VenueRequest, WriteResponse,
};
use healthcode_server::rating_service::{self, RerateReport};
use healthcode_server::{Clock, ManualClock, PassConfig, Passes, Policies, ServerConfig, accounts};
use healthcode_store::{SqliteStore, Store};
use reqwest::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The time every test app starts at: a Tuesday morning in February 2026.
pub const START: &str = "2026-02-10T08:00:00Z";

/// The password of every staff account made by [`TestApp::sign_in_as`].
pub const STAFF_PASSWORD: &str = "correct horse battery staple";

/// A running app on 127.0.0.1 with its own data directory and clock.
pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub store: Arc<SqliteStore>,
    pub config: ServerConfig,
    data_dir: TempDir,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<std::io::Result<()>>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(ServerConfig::default()).await
}

pub async fn spawn_app_with(config: ServerConfig) -> TestApp {
    let data_dir = tempfile::tempdir().expect("a temporary directory");
    let clock = Arc::new(ManualClock::new(START.parse().unwrap()));
    start(data_dir, clock, config).await
}

async fn start(data_dir: TempDir, clock: Arc<ManualClock>, config: ServerConfig) -> TestApp {
    let store =
        Arc::new(SqliteStore::open(&data_dir.path().join("data")).expect("the store opens"));
    // The router's background task would activate the default policy soon; doing it here first
    // keeps a test's rating history free of a start-up re-rating that may or may not have run.
    let (ensuring, now) = (store.clone(), clock.now());
    tokio::task::spawn_blocking(move || {
        healthcode_server::policies::ensure_default_policy(&*ensuring, now)
    })
    .await
    .unwrap()
    .expect("the default policy is active");
    let passes = Passes::open(
        &data_dir.path().join("data"),
        PassConfig::default(),
        clock.now(),
    )
    .expect("the pass keys open");
    let router = healthcode_server::router(store.clone(), clock.clone(), config.clone(), passes);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().unwrap();
    let (shutdown, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(healthcode_server::serve(listener, router, async {
        let _ = stopped.await;
    }));
    TestApp {
        address,
        client: reqwest::Client::new(),
        clock,
        store,
        config,
        data_dir,
        shutdown,
        server,
    }
}

impl TestApp {
    /// The data directory the store lives in.
    pub fn data_path(&self) -> PathBuf {
        self.data_dir.path().join("data")
    }

    /// Stops the app gracefully and starts a new one on the same data directory and clock.
    pub async fn restart(self) -> TestApp {
        let TestApp {
            clock,
            config,
            data_dir,
            shutdown,
            server,
            store,
            client,
            ..
        } = self;
        drop(client);
        let _ = shutdown.send(());
        server
            .await
            .expect("the server task ends")
            .expect("the server shuts down cleanly");
        drop(store);
        start(data_dir, clock, config).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("the app answers")
    }

    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &impl Serialize,
    ) -> reqwest::Response {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("the app answers")
    }

    pub async fn put(
        &self,
        path: &str,
        token: Option<&str>,
        body: &impl Serialize,
    ) -> reqwest::Response {
        let mut request = self.client.put(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("the app answers")
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.client.delete(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("the app answers")
    }

    /// Posts a body of `content_type` (a policy file, a CSV file) with a token.
    pub async fn post_text(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("the app answers")
    }

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("the app answers")
    }

    /// Creates a staff account with `role` directly in the store (as `healthcode admin
    /// create-user` does) and signs in over HTTP. Returns the bearer token.
    pub async fn sign_in_as(&self, role: Role) -> String {
        self.staff_signed_in(role).await.1
    }

    /// As [`TestApp::sign_in_as`], answering the account's username with the token: an
    /// employer's username is what a resident's consent names.
    pub async fn staff_signed_in(&self, role: Role) -> (String, String) {
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
        let token = self.sign_in(&username, STAFF_PASSWORD).await.token;
        (username, token)
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> SessionResponse {
        let request = SessionRequest {
            username: username.to_owned(),
            password: password.to_owned(),
        };
        expect_json(
            self.post("/v1/sessions", None, &request).await,
            StatusCode::CREATED,
        )
        .await
    }

    pub async fn enrol(&self, resident: &TestResident) -> reqwest::Response {
        self.post("/v1/residents", None, &resident.enrolment())
            .await
    }

    /// Enrols a resident and returns what their device keeps.
    /// Registers the people as one household, directly in the store.
    pub async fn same_household(&self, people: &[Uuid]) {
        let store = self.store.clone();
        let code = HouseholdCode::parse(&format!("household-{}", Uuid::new_v4().simple())).unwrap();
        let members: Vec<_> = people
            .iter()
            .map(|person| (PersonId::from_uuid(*person), code.clone()))
            .collect();
        let access = Access::new(
            Actor::LocalOperator,
            Purpose::CaseInvestigation,
            self.clock.now(),
        );
        tokio::task::spawn_blocking(move || store.register_households(&access, &members))
            .await
            .unwrap()
            .unwrap();
    }

    pub async fn enrolled(&self, resident: &TestResident) -> EnrolResponse {
        expect_json(self.enrol(resident).await, StatusCode::CREATED).await
    }

    /// Registers a venue as a venue operator and returns its id.
    pub async fn registered_venue(&self, operator_token: &str) -> Uuid {
        let venue = sample_venue();
        let response = self.post("/v1/venues", Some(operator_token), &venue).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        venue.venue_id.parse().unwrap()
    }

    /// The code on the poster of `venue` (registered as [`sample_venue`]), signed with this
    /// app's trust anchor now, as `GET /v1/venues/{id}/poster` prints it.
    pub fn venue_code(&self, venue: Uuid) -> String {
        let now = self.clock.now();
        let keys = PassKeys::open_or_create(&self.data_path(), Algorithm::Es256, now)
            .expect("the app's pass keys open");
        let sample = sample_venue();
        keys.venue_code(
            &PassConfig::default().issuer,
            *venue.as_bytes(),
            &sample.name,
            &sample.district,
            now,
        )
    }

    /// Every audit record matching `query` (e.g. `action=read_person`), read as an auditor.
    pub async fn audit_records(&self, auditor_token: &str, query: &str) -> Vec<AuditRecordView> {
        let log: AuditLog = expect_json(
            self.get(
                &format!("/v1/audit?limit=10000&{query}"),
                Some(auditor_token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        log.records
    }
}

static NEXT: AtomicU32 = AtomicU32::new(1);

/// Asserts the status and decodes the JSON body, showing the body when either fails.
pub async fn expect_json<T: DeserializeOwned>(
    response: reqwest::Response,
    status: StatusCode,
) -> T {
    let actual = response.status();
    let text = response.text().await.expect("a body");
    assert_eq!(actual, status, "body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Asserts the status and decodes the API's error body.
pub async fn expect_error(response: reqwest::Response, status: StatusCode) -> ErrorBody {
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(
        content_type.as_deref(),
        Some("application/json"),
        "errors are JSON"
    );
    expect_json(response, status).await
}

/// A synthetic resident. ID numbers are made unique per call, with a correct check digit.
#[derive(Clone, Debug)]
pub struct TestResident {
    pub resident_id: String,
    pub name: String,
    pub phone: String,
}

impl TestResident {
    pub fn zhang() -> TestResident {
        TestResident {
            resident_id: "330106199001011256".into(),
            name: "张三明".into(),
            phone: "13800138000".into(),
        }
    }

    pub fn li() -> TestResident {
        TestResident {
            resident_id: "11010519491231002X".into(),
            name: "李四".into(),
            phone: "13912345678".into(),
        }
    }

    /// A resident no other call of this function returns.
    pub fn fresh() -> TestResident {
        let sequence = NEXT.fetch_add(1, Ordering::Relaxed);
        let id = ResidentId::with_check_character(&format!("44030519850607{:03}", sequence % 1000))
            .unwrap();
        TestResident {
            resident_id: id.as_str().to_owned(),
            name: format!("王{}", char::from_u32(0x4e00 + sequence).unwrap()),
            phone: format!("137{:08}", sequence),
        }
    }

    pub fn enrolment(&self) -> EnrolRequest {
        EnrolRequest {
            event_id: Uuid::new_v4().to_string(),
            resident_id: self.resident_id.clone(),
            name: self.name.clone(),
            phone: self.phone.clone(),
        }
    }
}

pub fn sample_venue() -> VenueRequest {
    VenueRequest {
        venue_id: Uuid::new_v4().to_string(),
        name: "Wulin Square Noodles".into(),
        kind: "restaurant".into(),
        district: "330106".into(),
        latitude: 30.2741,
        longitude: 120.1551,
        opening_hours: "Mo-Fr 09:00-21:00; Sa,Su 10:00-22:00".into(),
    }
}

/// A check-in of `person` at `venue`, `minutes` after the start of the test clock.
pub fn check_in(person: Uuid, venue: Uuid, minutes: i64, source: &str) -> CheckInRequest {
    let start: Timestamp = START.parse().unwrap();
    let entered = start + jiff::SignedDuration::from_mins(minutes);
    CheckInRequest {
        event_id: Uuid::new_v4().to_string(),
        venue_id: venue.to_string(),
        person_id: person.to_string(),
        entered: entered.to_string(),
        left: Some((entered + jiff::SignedDuration::from_mins(20)).to_string()),
        source: source.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Ratings
// ---------------------------------------------------------------------------------------------

impl TestApp {
    /// Declares as the resident holding `token`, now; answers the declaration's event id.
    pub async fn declare(
        &self,
        token: &str,
        temperature: Option<f64>,
        symptoms: &[&str],
        travel: Vec<TravelRequest>,
    ) -> Uuid {
        let event_id = Uuid::new_v4();
        let request = DeclarationRequest {
            event_id: event_id.to_string(),
            symptoms: symptoms.iter().map(|s| (*s).to_owned()).collect(),
            temperature_celsius: temperature,
            travel,
        };
        let response = self
            .post("/v1/me/declarations", Some(token), &request)
            .await;
        let _: WriteResponse = expect_json(response, StatusCode::CREATED).await;
        event_id
    }

    /// The status of the resident holding `token`, in English.
    pub async fn status(&self, token: &str) -> StatusView {
        self.status_in(token, "en").await
    }

    pub async fn status_in(&self, token: &str, lang: &str) -> StatusView {
        expect_json(
            self.get(&format!("/v1/me/status?lang={lang}"), Some(token))
                .await,
            StatusCode::OK,
        )
        .await
    }

    /// The rating history of the resident holding `token`.
    pub async fn history(&self, token: &str) -> RatingHistory {
        expect_json(
            self.get("/v1/me/ratings", Some(token)).await,
            StatusCode::OK,
        )
        .await
    }

    /// Posts laboratory results as a laboratory.
    pub async fn post_lab_results(
        &self,
        laboratory: &str,
        results: Vec<LabResultRow>,
    ) -> reqwest::Response {
        self.post(
            "/v1/lab/results",
            Some(laboratory),
            &LabResultBatch { results },
        )
        .await
    }

    /// Runs what the background task runs every `rerate_interval_secs`, at the clock's time.
    pub async fn rerate_due(&self) -> RerateReport {
        let (store, now) = (self.store.clone(), self.clock.now());
        tokio::task::spawn_blocking(move || {
            let policy = Policies::new()
                .active(&*store, now)
                .expect("a policy is active");
            rating_service::rerate_due(&*store, &policy, now)
        })
        .await
        .unwrap()
        .expect("due residents are re-rated")
    }
}

/// A laboratory result for `resident_id`, sampled and reported at the given times.
pub fn lab_result(
    resident_id: &str,
    outcome: &str,
    sampled_at: Timestamp,
    reported_at: Timestamp,
) -> LabResultRow {
    LabResultRow {
        event_id: Uuid::new_v4().to_string(),
        resident_id: resident_id.to_owned(),
        kind: "pcr".into(),
        outcome: outcome.into(),
        sampled_at: sampled_at.to_string(),
        reported_at: reported_at.to_string(),
    }
}

/// A stay in `region` on the two days before the test clock's start.
pub fn recent_travel(region: &str) -> Vec<TravelRequest> {
    vec![TravelRequest {
        region: region.into(),
        from: "2026-02-07".into(),
        to: "2026-02-08".into(),
    }]
}

/// The causes of a rating history, as `colour:cause` strings.
pub fn colours_and_causes(history: &RatingHistory) -> Vec<String> {
    history
        .ratings
        .iter()
        .map(|rating| format!("{}:{}", rating.colour, rating.cause.kind))
        .collect()
}
