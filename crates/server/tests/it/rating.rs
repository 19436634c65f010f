//! A resident's colour through the API: declarations, laboratory results, the region-risk list
//! and expiry, with reasons in two languages and the history of every change.

use healthcode_core::Role;
use healthcode_server::Clock as _;
use healthcode_server::api::{PublishedRegionRiskList, RegionRiskEntry, RegionRiskRequest};
use jiff::SignedDuration;
use reqwest::StatusCode;

use crate::helpers::{
    TestResident, colours_and_causes, expect_error, expect_json, lab_result, recent_travel,
    spawn_app,
};

#[tokio::test]
async fn a_fever_turns_a_resident_yellow_with_reasons_in_english_and_chinese_until_a_negative_test()
{
    let app = spawn_app().await;
    let zhang = TestResident::zhang();
    let resident = app.enrolled(&zhang).await.device_token;

    let declared = app.declare(&resident, Some(38.5), &[], vec![]).await;
    let english = app.status(&resident).await;
    assert_eq!(english.colour, "yellow");
    assert_eq!(english.language, "en");
    assert_eq!(english.reasons[0].rule_id, "fever");
    assert_eq!(english.reasons[0].policy_version, "default@1");
    assert_eq!(english.reasons[0].evidence[0].kind, "declaration");
    assert_eq!(english.reasons[0].evidence[0].event_id, Some(declared));
    assert_eq!(english.reasons[0].until.kind, "negative_test_after");
    let negative_test = english
        .next_steps
        .iter()
        .find(|step| step.kind == "negative_test_after")
        .expect("a next step names a negative test");
    assert!(
        negative_test.text.to_lowercase().contains("negative"),
        "{}",
        negative_test.text
    );
    assert_eq!(negative_test.colour.as_deref(), Some("green"));

    let chinese = app.status_in(&resident, "zh-CN").await;
    assert_eq!(chinese.language, "zh-CN");
    assert_eq!(chinese.colour, "yellow");
    let (english_text, chinese_text) = (&english.reasons[0].text, &chinese.reasons[0].text);
    assert!(!english_text.is_empty() && !chinese_text.is_empty());
    assert_ne!(english_text, chinese_text);
    assert!(!chinese.next_steps[0].text.is_empty());

    // Without `lang`, Accept-Language decides; an unknown `lang` is refused.
    let by_header: healthcode_server::api::StatusView = expect_json(
        app.client
            .get(app.url("/v1/me/status"))
            .bearer_auth(&resident)
            .header("accept-language", "zh-CN,zh;q=0.9,en;q=0.8")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(by_header.language, "zh-CN");
    let unknown = expect_error(
        app.get("/v1/me/status?lang=fr", Some(&resident)).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(unknown.error.field.as_deref(), Some("lang"));

    // A laboratory reports a negative test sampled after the declaration.
    app.clock.advance(SignedDuration::from_hours(2));
    let laboratory = app.sign_in_as(Role::Laboratory).await;
    let sampled = app.clock.now() - SignedDuration::from_hours(1);
    let result = lab_result(&zhang.resident_id, "negative", sampled, app.clock.now());
    let lab_event = result.event_id.clone();
    let response = app.post_lab_results(&laboratory, vec![result]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.status(&resident).await.colour, "green");

    let history = app.history(&resident).await;
    assert_eq!(
        colours_and_causes(&history),
        ["yellow:event", "green:event"]
    );
    assert_eq!(history.ratings[0].cause.event_id, Some(declared));
    assert_eq!(history.ratings[0].rule_ids, ["fever"]);
    assert_eq!(
        history.ratings[1].cause.event_id.map(|id| id.to_string()),
        Some(lab_event)
    );
}

#[tokio::test]
async fn a_stuffy_nose_alone_stays_green() {
    let app = spawn_app().await;
    let resident = app.enrolled(&TestResident::fresh()).await.device_token;
    app.declare(&resident, Some(36.6), &["stuffy_nose"], vec![])
        .await;
    let status = app.status(&resident).await;
    assert_eq!(status.colour, "green");
    assert!(status.reasons.is_empty(), "{:?}", status.reasons);
    assert_eq!(status.valid_until, None);
}

fn list_of(entries: &[(&str, &str)]) -> RegionRiskRequest {
    RegionRiskRequest {
        entries: entries
            .iter()
            .map(|(region, level)| RegionRiskEntry {
                region: (*region).into(),
                level: (*level).into(),
            })
            .collect(),
    }
}

#[tokio::test]
async fn a_region_risk_list_turns_a_traveller_red_and_a_later_list_without_the_region_green() {
    let app = spawn_app().await;
    let official = app.sign_in_as(Role::HealthOfficial).await;
    let traveller = app.enrolled(&TestResident::fresh()).await.device_token;
    let stay_at_home = app.enrolled(&TestResident::fresh()).await.device_token;
    app.declare(&traveller, None, &[], recent_travel("420106"))
        .await;
    app.declare(&stay_at_home, None, &[], vec![]).await;
    assert_eq!(app.status(&traveller).await.colour, "green");

    // Wuhan, the city above the district of the stay, is listed as high risk.
    let published: PublishedRegionRiskList = expect_json(
        app.put(
            "/v1/region-risk",
            Some(&official),
            &list_of(&[("420100", "high")]),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(published.list.version, 1);
    assert!(published.rerated.people >= 2);
    let status = app.status(&traveller).await;
    assert_eq!(status.colour, "red");
    assert_eq!(status.reasons[0].rule_id, "high_risk_region");
    let evidence = &status.reasons[0].evidence[0];
    assert_eq!(evidence.kind, "stay");
    assert_eq!(evidence.listed_region.as_deref(), Some("420100"));
    assert_eq!(evidence.list_version, Some(1));
    assert_eq!(app.status(&stay_at_home).await.colour, "green");

    // The list is public, and every version is kept.
    let current: healthcode_server::api::RegionRiskListView =
        expect_json(app.get("/v1/region-risk", None).await, StatusCode::OK).await;
    assert_eq!(current, published.list);

    app.clock.advance(SignedDuration::from_hours(1));
    let published: PublishedRegionRiskList = expect_json(
        app.put(
            "/v1/region-risk",
            Some(&official),
            &list_of(&[("310000", "medium")]),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(published.list.version, 2);
    assert_eq!(app.status(&traveller).await.colour, "green");
    let history = app.history(&traveller).await;
    assert_eq!(
        colours_and_causes(&history)[1..],
        [
            "red:region_risk_list_changed",
            "green:region_risk_list_changed"
        ]
    );
    assert_eq!(history.ratings[2].cause.list_version, Some(2));
    let first: healthcode_server::api::RegionRiskListView =
        expect_json(app.get("/v1/region-risk/1", None).await, StatusCode::OK).await;
    assert_eq!(first.entries[0].region, "420100");
    let missing = expect_error(
        app.get("/v1/region-risk/9", None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(missing.error.field.as_deref(), Some("version"));
    let twice = expect_error(
        app.put(
            "/v1/region-risk",
            Some(&official),
            &list_of(&[("420100", "high"), ("420100", "low")]),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(twice.error.field.as_deref(), Some("entries[1].region"));
}

#[tokio::test]
async fn a_yellow_with_an_end_turns_green_when_it_runs_out_and_the_history_says_expiry() {
    let app = spawn_app().await;
    let official = app.sign_in_as(Role::HealthOfficial).await;
    let resident = app.enrolled(&TestResident::fresh()).await.device_token;
    app.declare(&resident, None, &[], recent_travel("420106"))
        .await;
    let published = app
        .put(
            "/v1/region-risk",
            Some(&official),
            &list_of(&[("420100", "medium")]),
        )
        .await;
    assert_eq!(published.status(), StatusCode::CREATED);
    let status = app.status(&resident).await;
    assert_eq!(status.colour, "yellow");
    assert_eq!(status.reasons[0].rule_id, "medium_risk_region");
    let valid_until = status.valid_until.expect("a medium-risk stay ends");
    assert!(
        status
            .next_steps
            .iter()
            .any(|step| step.kind == "turns_on" && step.at == Some(valid_until)),
        "{:?}",
        status.next_steps
    );

    // Nothing is due a minute before the end; a minute after, the resident turns green.
    app.clock.set(valid_until - SignedDuration::from_mins(1));
    assert_eq!(app.rerate_due().await.changed, 0);
    app.clock.set(valid_until + SignedDuration::from_mins(1));
    let report = app.rerate_due().await;
    assert_eq!(report.changed, 1);
    let history = app.history(&resident).await;
    let last = history.ratings.last().unwrap();
    assert_eq!(
        (last.colour.as_str(), last.cause.kind.as_str()),
        ("green", "expiry")
    );
    assert_eq!(last.rated_at, app.clock.now());
    assert_eq!(app.rerate_due().await.people, 0, "nothing is due twice");
    assert_eq!(app.status(&resident).await.colour, "green");
}

#[tokio::test]
async fn re_rating_everyone_stores_ratings_in_batches_while_the_store_walks_the_residents() {
    use healthcode_core::rating::RatingCause;
    use healthcode_core::{
        Access, Actor, AuditAction, PersonName, PhoneNumber, Purpose, ResidentId,
    };
    use healthcode_server::api::NewResident;
    use healthcode_server::rating_service::{RERATE_BATCH, rerate_all};
    use healthcode_server::{Policies, service};
    use healthcode_store::{AuditQuery, Store};

    let app = spawn_app().await;
    let (store, now) = (app.store.clone(), app.clock.now());
    let residents = RERATE_BATCH + 1;
    // How many batches of ratings were sent to the store, by their audit records.
    let batches_recorded = move |store: &dyn Store| {
        let auditor = Access::new(Actor::System, Purpose::AuditReview, now);
        let query = AuditQuery {
            action: Some(AuditAction::RecordRating),
            ..AuditQuery::default()
        };
        store.audit_log(&auditor, &query).unwrap().len()
    };
    let (first, second, batches_of_second) = tokio::task::spawn_blocking(move || {
        for index in 0..residents {
            let body = format!("440305{}0607{:03}", 1980 + index / 1000, index % 1000);
            let resident = NewResident {
                event_id: uuid::Uuid::new_v4().to_string().parse().unwrap(),
                resident_id: ResidentId::with_check_character(&body).unwrap(),
                name: PersonName::parse("王五").unwrap(),
                phone: PhoneNumber::parse(&format!("137{index:08}")).unwrap(),
            };
            service::enrol(&*store, now, resident).expect("enrolled");
        }
        let policy = Policies::new().active(&*store, now).unwrap();
        let cause = RatingCause::PolicyActivated(policy.version.clone());
        let first = rerate_all(&*store, &policy, &cause, now).unwrap();
        let before_second = batches_recorded(&*store);
        let second = rerate_all(&*store, &policy, &cause, now).unwrap();
        (first, second, batches_recorded(&*store) - before_second)
    })
    .await
    .unwrap();
    assert_eq!(
        (first.people, first.changed),
        (residents as u64, residents as u64)
    );
    assert_eq!(
        (second.people, second.changed),
        (residents as u64, 0),
        "an unchanged rating is not stored twice"
    );
    assert_eq!(
        batches_of_second, 0,
        "ratings that show what the latest ratings show are not even sent to the store"
    );
}
