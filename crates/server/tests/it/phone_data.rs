//! Phone-network data through the API: cells and pings from a mobile network, daily stays and
//! their retention on the injected clock, the resident's itinerary, the itinerary as a fact for
//! the rating engine, and proximity searches whose candidates officials review.

use healthcode_core::rating::{CaseId, CaseRecord, CaseStatus};
use healthcode_core::{Access, Actor, PersonId, Purpose, Role};
use healthcode_server::Clock as _;
use healthcode_server::api::{
    BatchResponse, CellPingBatch, CellPingRow, CellRow, FeedResponse, ItineraryView,
    ProximitySearchRequest, ProximitySearchView, PurgeView, RegionRiskEntry, RegionRiskRequest,
    ReviewRequest, ReviewResponse,
};
use healthcode_server::phone_service::{self, Retention};
use healthcode_store::Store;
use jiff::SignedDuration;
use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{TestApp, TestResident, expect_error, expect_json, spawn_app};

/// Wulin Square in Hangzhou, a cell about 220 m north of it, and People's Square in Shanghai.
const WULIN: &str = "460-00-4101-1";
const NORTH: &str = "460-00-4101-2";
const SHANGHAI: &str = "460-00-2101-7";

fn cell_rows() -> Vec<CellRow> {
    let row = |cell_id: &str, latitude: f64, longitude: f64, city: &str| CellRow {
        cell_id: cell_id.into(),
        latitude: latitude.into(),
        longitude: longitude.into(),
        city: city.into(),
    };
    vec![
        row(WULIN, 30.2741, 120.1551, "330106"),
        row(NORTH, 30.2761, 120.1551, "330103"),
        row(SHANGHAI, 31.2304, 121.4737, "310101"),
    ]
}

fn ping(resident_id: &str, cell_id: &str, seen_at: &str) -> CellPingRow {
    CellPingRow {
        event_id: Uuid::new_v4().to_string(),
        resident_id: resident_id.into(),
        cell_id: cell_id.into(),
        seen_at: seen_at.into(),
    }
}

impl TestApp {
    /// Signs in as a mobile network and registers the three cells; answers the network's token.
    async fn network_with_cells(&self) -> String {
        let network = self.sign_in_as(Role::PhoneNetwork).await;
        let registered: BatchResponse = expect_json(
            self.post(
                "/v1/cells",
                Some(&network),
                &serde_json::json!({ "cells": cell_rows() }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(registered.stored, 3);
        network
    }

    async fn send_pings(&self, network: &str, pings: &[CellPingRow]) -> FeedResponse {
        expect_json(
            self.post(
                "/v1/cell-pings",
                Some(network),
                &CellPingBatch {
                    pings: pings.to_vec(),
                },
            )
            .await,
            StatusCode::OK,
        )
        .await
    }

    async fn itinerary(&self, token: &str, lang: &str) -> ItineraryView {
        expect_json(
            self.get(&format!("/v1/me/itinerary?lang={lang}"), Some(token))
                .await,
            StatusCode::OK,
        )
        .await
    }

    /// Runs what the retention task runs every `retention_interval_secs`, at the clock's time.
    async fn purge(&self) -> PurgeView {
        let (store, now, retention) = (
            self.store.clone(),
            self.clock.now(),
            Retention::of(&self.config),
        );
        tokio::task::spawn_blocking(move || {
            let access = Access::new(Actor::System, Purpose::DataRetention, now);
            let report = phone_service::purge(&*store, &access, retention).unwrap();
            PurgeView::new(
                &report,
                retention.pings_before(now),
                retention.stays_before(now),
            )
        })
        .await
        .unwrap()
    }

    /// Records a confirmed case of `person` in the store, as an official would.
    async fn open_case(&self, person: Uuid) -> CaseId {
        let case = CaseRecord {
            case: CaseId::from_uuid(Uuid::new_v4()),
            status: CaseStatus::Confirmed,
            since: self.clock.now(),
            onset: self.clock.now() - SignedDuration::from_hours(48),
            isolated_at: self.clock.now(),
            released_at: None,
        };
        let (store, access) = (self.store.clone(), self.investigation());
        tokio::task::spawn_blocking(move || {
            store
                .record_case(&access, PersonId::from_uuid(person), &case)
                .unwrap()
        })
        .await
        .unwrap();
        case.case
    }

    async fn release_case(&self, case: CaseId) {
        let (store, access) = (self.store.clone(), self.investigation());
        tokio::task::spawn_blocking(move || store.release_case(&access, case).unwrap())
            .await
            .unwrap();
    }

    fn investigation(&self) -> Access {
        Access::new(
            Actor::LocalOperator,
            Purpose::CaseInvestigation,
            self.clock.now(),
        )
    }
}

#[tokio::test]
async fn pings_become_daily_stays_and_raw_pings_are_purged_after_three_days_but_stays_are_kept() {
    let app = spawn_app().await;
    let network = app.network_with_cells().await;
    let resident = TestResident::fresh();
    let token = app.enrolled(&resident).await.device_token;
    let id = resident.resident_id.as_str();
    // The clock starts on 10 Feb at 16:00 in Beijing.
    let pings = vec![
        ping(id, SHANGHAI, "2026-02-09T18:00:00+08:00"),
        ping(id, WULIN, "2026-02-10T09:00:00+08:00"),
        ping(id, NORTH, "2026-02-10T11:30:00+08:00"),
    ];
    let sent = app.send_pings(&network, &pings).await;
    assert_eq!((sent.received, sent.stored, sent.duplicates), (3, 3, 0));
    assert_eq!(sent.people_rated, 1, "the itinerary gained two city days");
    let resent = app.send_pings(&network, &pings).await;
    assert_eq!(
        (resent.stored, resent.duplicates, resent.people_rated),
        (0, 3, 0)
    );

    let itinerary = app.itinerary(&token, "en").await;
    assert_eq!(
        (itinerary.from.as_str(), itinerary.to.as_str()),
        ("2026-01-28", "2026-02-10")
    );
    assert_eq!(itinerary.days.len(), 14);
    let day = |view: &ItineraryView, date: &str| -> Vec<String> {
        view.days
            .iter()
            .find(|day| day.day == date)
            .unwrap()
            .cities
            .iter()
            .map(|city| city.city.clone())
            .collect()
    };
    assert_eq!(day(&itinerary, "2026-02-09"), ["310100"]);
    assert_eq!(day(&itinerary, "2026-02-10"), ["330100"]);
    let hangzhou = &itinerary.days[13].cities[0];
    assert_eq!(
        (hangzhou.first_seen, hangzhou.last_seen),
        (
            "2026-02-10T01:00:00Z".parse().unwrap(),
            "2026-02-10T03:30:00Z".parse().unwrap()
        )
    );
    assert_eq!(itinerary.cities, ["310100", "330100"]);
    assert_eq!(
        itinerary.summary,
        "From 2026-01-28 to 2026-02-10 you stayed in or passed through: 310100, 330100."
    );
    let in_chinese = app.itinerary(&token, "zh-CN").await;
    assert_eq!(
        in_chinese.summary,
        "您于2026-01-28至2026-02-10期间到达或途经：310100、330100。"
    );

    // Three days on the raw pings are past their retention; the stays are kept.
    app.clock.advance(SignedDuration::from_hours(2 * 24));
    assert_eq!(
        app.purge().await.pings,
        0,
        "two days on, every ping is kept"
    );
    app.clock.advance(SignedDuration::from_hours(24 + 8));
    let purged = app.purge().await;
    assert_eq!(
        (purged.pings, purged.daily_stays, purged.city_days),
        (3, 0, 0)
    );
    let kept = app.itinerary(&token, "en").await;
    assert_eq!(day(&kept, "2026-02-09"), ["310100"]);
    assert_eq!(day(&kept, "2026-02-10"), ["330100"]);
    // A resend after the purge stores the raw pings again but changes no stay. (Staff sign-ins
    // last hours, not days: the network signs in again.)
    let network = app.sign_in_as(Role::PhoneNetwork).await;
    let resent = app.send_pings(&network, &pings).await;
    assert_eq!((resent.stored, resent.people_rated), (3, 0));

    // Thirty days after the last ping the stays go too, and pings that old are refused.
    app.clock.set("2026-03-12T04:00:00Z".parse().unwrap());
    let purged = app.purge().await;
    assert_eq!(
        (purged.pings, purged.daily_stays, purged.city_days),
        (3, 3, 2)
    );
    let network = app.sign_in_as(Role::PhoneNetwork).await;
    let emptied = app.itinerary(&token, "en").await;
    assert!(emptied.days.iter().all(|day| day.cities.is_empty()));
    let error = expect_error(
        app.post(
            "/v1/cell-pings",
            Some(&network),
            &CellPingBatch {
                pings: pings.clone(),
            },
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.rows.len(), 3);
    assert!(error.error.rows.iter().all(|row| row.field == "seen_at"));

    let auditor = app.sign_in_as(Role::Auditor).await;
    let purges = app.audit_records(&auditor, "action=purge_cell_pings").await;
    // The three purges above, and the server's own retention task's (which ran at start).
    let deleted: Vec<u64> = purges
        .iter()
        .map(|record| record.records)
        .filter(|records| *records > 0)
        .collect();
    assert_eq!(deleted, [3, 8]);
    assert!(
        purges
            .iter()
            .all(|record| record.purpose == "data_retention"
                && record.actor.kind == "system"
                && record.subject.is_none())
    );
    let reads = app.audit_records(&auditor, "action=read_itinerary").await;
    assert!(reads.iter().all(|record| record.purpose == "self_service"));
}

#[tokio::test]
async fn a_ping_batch_with_unknown_cells_or_residents_lists_every_bad_row_and_stores_nothing() {
    let app = spawn_app().await;
    let network = app.network_with_cells().await;
    let resident = TestResident::fresh();
    let token = app.enrolled(&resident).await.device_token;
    let id = resident.resident_id.as_str();
    let stranger = TestResident::fresh();
    let batch = CellPingBatch {
        pings: vec![
            ping(id, WULIN, "2026-02-10T09:00:00+08:00"),
            ping(id, "460-00-9999-9", "2026-02-10T10:00:00+08:00"),
            ping(&stranger.resident_id, WULIN, "2026-02-10T11:00:00+08:00"),
            ping(id, "cell nine", "2026-02-10T12:00:00+08:00"),
        ],
    };
    let error = expect_error(
        app.post("/v1/cell-pings", Some(&network), &batch).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("pings"));
    let rows: Vec<(usize, &str)> = error
        .error
        .rows
        .iter()
        .map(|row| (row.index, row.field.as_str()))
        .collect();
    assert_eq!(rows, [(1, "cell_id"), (2, "resident_id"), (3, "cell_id")]);
    assert!(
        !serde_json::to_string(&error)
            .unwrap()
            .contains(&stranger.resident_id),
        "errors never quote an ID number"
    );
    let itinerary = app.itinerary(&token, "en").await;
    assert!(itinerary.cities.is_empty(), "nothing was stored");

    // A cell registered again elsewhere is refused by row; a resend is a duplicate.
    let mut moved = cell_rows();
    moved[1].latitude = 30.5.into();
    let error = expect_error(
        app.post(
            "/v1/cells",
            Some(&network),
            &serde_json::json!({ "cells": moved }),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.rows[0].index, 1);
    assert_eq!(error.error.rows[0].field, "cell_id");
    let resent: BatchResponse = expect_json(
        app.post("/v1/cells", Some(&network), &cell_rows()[0]).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!((resent.stored, resent.duplicates), (0, 1));
}

#[tokio::test]
async fn pings_in_a_listed_city_turn_the_resident_red_with_evidence_from_the_itinerary() {
    let app = spawn_app().await;
    let network = app.network_with_cells().await;
    let official = app.sign_in_as(Role::HealthOfficial).await;
    let early = TestResident::fresh();
    let early_token = app.enrolled(&early).await.device_token;
    let late = TestResident::fresh();
    let late_token = app.enrolled(&late).await.device_token;

    // One resident was in Shanghai before the list named it: publishing re-rates everyone.
    app.send_pings(
        &network,
        &[ping(
            &early.resident_id,
            SHANGHAI,
            "2026-02-08T10:00:00+08:00",
        )],
    )
    .await;
    assert_eq!(app.status(&early_token).await.colour, "green");
    let list = RegionRiskRequest {
        entries: vec![
            RegionRiskEntry {
                region: "310000".into(),
                level: "medium".into(),
            },
            RegionRiskEntry {
                region: "330100".into(),
                level: "high".into(),
            },
        ],
    };
    let published = app.put("/v1/region-risk", Some(&official), &list).await;
    assert_eq!(published.status(), StatusCode::CREATED);
    let status = app.status(&early_token).await;
    assert_eq!(status.colour, "yellow");
    assert_eq!(status.reasons[0].rule_id, "medium_risk_region");

    // The other is pinged in Hangzhou after: the ping batch re-rates them at once.
    let sent = app
        .send_pings(
            &network,
            &[ping(&late.resident_id, NORTH, "2026-02-10T12:00:00+08:00")],
        )
        .await;
    assert_eq!(sent.people_rated, 1);
    let history = app.history(&late_token).await;
    assert_eq!(history.ratings.last().unwrap().colour, "red");
    assert_eq!(history.ratings.last().unwrap().cause.kind, "event");
    let status = app.status(&late_token).await;
    assert_eq!(status.colour, "red");
    let reason = &status.reasons[0];
    assert_eq!(reason.rule_id, "high_risk_region");
    let evidence = &reason.evidence[0];
    assert_eq!(evidence.kind, "stay");
    assert_eq!(evidence.source.as_deref(), Some("itinerary"));
    assert_eq!(evidence.region.as_deref(), Some("330100"));
    assert_eq!(evidence.from, Some("2026-02-10".parse().unwrap()));
    // The evidence names the itinerary's day in the city.
    let itinerary = app.itinerary(&late_token, "en").await;
    assert_eq!(
        evidence.event_id,
        Some(itinerary.days[13].cities[0].event_id)
    );
}

/// A valid search of 500 m around Wulin Square, 12:00 to 14:00 in Beijing on 10 Feb.
fn search(case: CaseId) -> ProximitySearchRequest {
    ProximitySearchRequest {
        search_id: Uuid::new_v4().to_string(),
        case_id: case.to_string(),
        latitude: 30.2741,
        longitude: 120.1551,
        radius_metres: 500,
        from: "2026-02-10T12:00:00+08:00".into(),
        until: "2026-02-10T14:00:00+08:00".into(),
        purpose: "Case ate at the Wulin Square noodle shop at lunch on 10 Feb.".into(),
    }
}

#[tokio::test]
async fn a_proximity_search_without_a_purpose_beyond_the_limits_or_for_a_closed_case_is_refused_and_audited()
 {
    let app = spawn_app().await;
    let official = app.sign_in_as(Role::HealthOfficial).await;
    let patient = app.enrolled(&TestResident::fresh()).await.person_id;
    let case = app.open_case(patient).await;
    let refused = |request: ProximitySearchRequest, status: StatusCode| {
        let app = &app;
        let official = official.clone();
        async move {
            expect_error(
                app.post("/v1/proximity-searches", Some(&official), &request)
                    .await,
                status,
            )
            .await
        }
    };

    let error = refused(
        ProximitySearchRequest {
            purpose: " ".into(),
            ..search(case)
        },
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("purpose"));
    assert!(
        error.error.message.contains("is required"),
        "{}",
        error.error.message
    );
    let mut without = serde_json::to_value(search(case)).unwrap();
    without.as_object_mut().unwrap().remove("purpose");
    let error = expect_error(
        app.post("/v1/proximity-searches", Some(&official), &without)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("purpose"));
    let error = refused(
        ProximitySearchRequest {
            radius_metres: 6_000,
            ..search(case)
        },
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("radius_metres"));
    let error = refused(
        ProximitySearchRequest {
            from: "2026-01-20T12:00:00+08:00".into(),
            ..search(case)
        },
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("until"));
    let error = refused(
        search(CaseId::from_uuid(Uuid::new_v4())),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("case_id"));
    app.release_case(case).await;
    let error = refused(search(case), StatusCode::CONFLICT).await;
    assert!(
        error.error.message.contains("released"),
        "{}",
        error.error.message
    );

    let auditor = app.sign_in_as(Role::Auditor).await;
    let outcomes: Vec<(String, String)> = app
        .audit_records(&auditor, "action=search_proximity")
        .await
        .iter()
        .map(|record| (record.outcome.clone(), record.purpose.clone()))
        .collect();
    let refusal = |outcome: &str| (outcome.to_owned(), "case_investigation".to_owned());
    assert_eq!(
        outcomes,
        [
            refusal("rejected"),
            refusal("rejected"),
            refusal("rejected"),
            refusal("rejected"),
            refusal("not_found"),
            refusal("conflict")
        ]
    );
}

#[tokio::test]
async fn confirmed_candidates_become_close_contacts_and_turn_red_at_once_and_rejected_ones_do_not()
{
    let app = spawn_app().await;
    let network = app.network_with_cells().await;
    let official = app.sign_in_as(Role::HealthOfficial).await;
    let diner = TestResident::fresh();
    let diner_token = app.enrolled(&diner).await;
    let neighbour = TestResident::fresh();
    let neighbour_token = app.enrolled(&neighbour).await;
    let commuter = TestResident::fresh();
    app.enrolled(&commuter).await;
    app.send_pings(
        &network,
        &[
            ping(&diner.resident_id, WULIN, "2026-02-10T11:45:00+08:00"),
            ping(&diner.resident_id, WULIN, "2026-02-10T12:30:00+08:00"),
            ping(&neighbour.resident_id, NORTH, "2026-02-10T13:00:00+08:00"),
            ping(&commuter.resident_id, SHANGHAI, "2026-02-10T12:00:00+08:00"),
        ],
    )
    .await;
    let patient = app.enrolled(&TestResident::fresh()).await.person_id;
    let case = app.open_case(patient).await;

    let request = search(case);
    let response = app
        .post("/v1/proximity-searches", Some(&official), &request)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body = response.text().await.unwrap();
    for secret in [&diner.name, &neighbour.name, &diner.resident_id] {
        assert!(
            !body.contains(secret.as_str()),
            "only masked names are shown"
        );
    }
    let found: ProximitySearchView = serde_json::from_str(&body).unwrap();
    assert_eq!(found.purpose, request.purpose);
    let mut people: Vec<Uuid> = found.candidates.iter().map(|c| c.person_id).collect();
    people.sort();
    let mut expected = vec![diner_token.person_id, neighbour_token.person_id];
    expected.sort();
    assert_eq!(people, expected, "the commuter was in Shanghai");
    assert!(found.candidates.iter().all(|c| c.state == "pending"));
    let diner_candidate = found
        .candidates
        .iter()
        .find(|c| c.person_id == diner_token.person_id)
        .unwrap();
    assert_eq!(
        diner_candidate.masked_name.chars().count(),
        diner.name.chars().count()
    );
    assert!(diner_candidate.masked_name.contains('*'));
    // Candidates are not contacts: nobody turned red.
    assert_eq!(app.status(&diner_token.device_token).await.colour, "green");

    let path = |person: Uuid| {
        format!(
            "/v1/proximity-searches/{}/candidates/{person}/review",
            request.search_id
        )
    };
    let confirmed: ReviewResponse = expect_json(
        app.post(
            &path(diner_token.person_id),
            Some(&official),
            &ReviewRequest {
                decision: "confirm".into(),
                reason: "The receipt puts the diner at the next table.".into(),
            },
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(confirmed.colour.as_deref(), Some("red"));
    let contact_id = confirmed.review.contact_id.expect("a contact was recorded");
    let status = app.status(&diner_token.device_token).await;
    assert_eq!(status.colour, "red");
    assert_eq!(status.reasons[0].rule_id, "close_contact");
    let evidence = &status.reasons[0].evidence[0];
    assert_eq!(evidence.setting.as_deref(), Some("nearby"));
    assert_eq!(evidence.contact_id, Some(contact_id));
    assert_eq!(evidence.case_id, Some(case.as_uuid()));

    let rejected: ReviewResponse = expect_json(
        app.post(
            &path(neighbour_token.person_id),
            Some(&official),
            &ReviewRequest {
                decision: "reject".into(),
                reason: "Works in the office tower to the north, never at the shop.".into(),
            },
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(rejected.colour, None);
    assert_eq!(rejected.review.contact_id, None);
    assert_eq!(
        app.status(&neighbour_token.device_token).await.colour,
        "green"
    );

    let again = expect_error(
        app.post(
            &path(neighbour_token.person_id),
            Some(&official),
            &ReviewRequest {
                decision: "confirm".into(),
                reason: "Second thoughts.".into(),
            },
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(again.error.message.contains("already reviewed"));
    let stranger = Uuid::new_v4();
    let not_a_candidate = expect_error(
        app.post(
            &path(stranger),
            Some(&official),
            &ReviewRequest {
                decision: "reject".into(),
                reason: "Not there.".into(),
            },
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(not_a_candidate.error.field.as_deref(), Some("person_id"));

    let read: ProximitySearchView = expect_json(
        app.get(
            &format!("/v1/proximity-searches/{}", request.search_id),
            Some(&official),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let state_of = |person: Uuid| {
        read.candidates
            .iter()
            .find(|c| c.person_id == person)
            .unwrap()
            .state
            .clone()
    };
    assert_eq!(state_of(diner_token.person_id), "confirmed");
    assert_eq!(state_of(neighbour_token.person_id), "rejected");
    let resent: ProximitySearchView = expect_json(
        app.post("/v1/proximity-searches", Some(&official), &request)
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(resent.duplicate);
    assert_eq!(resent.candidates, read.candidates);

    let auditor = app.sign_in_as(Role::Auditor).await;
    let reviews = app
        .audit_records(&auditor, "action=review_proximity_candidate")
        .await;
    let subjects: Vec<(Option<Uuid>, String)> = reviews
        .iter()
        .map(|record| (record.subject, record.outcome.clone()))
        .collect();
    assert_eq!(
        subjects,
        [
            (Some(diner_token.person_id), "success".to_owned()),
            (Some(neighbour_token.person_id), "success".to_owned()),
            (Some(neighbour_token.person_id), "conflict".to_owned()),
            (Some(stranger), "not_found".to_owned()),
        ]
    );
    let search_record = &app.audit_records(&auditor, "action=search_proximity").await[0];
    assert_eq!(
        search_record.records, 2,
        "the audit counts the people found"
    );
}
