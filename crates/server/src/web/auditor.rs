//! Pages of the auditor audience: the audit log, searched by subject, purpose, action and
//! time, page by page, under the verification of its hash chain.
//!
//! Searching reads the log as the API's `GET /v1/audit` does, and is itself audited; opening
//! the page without searching reads nothing but the chain's verification (counts only).
//! Records name people by their person id only, as the API does.

use axum::extract::{Query, State};
use axum::routing::get;
use healthcode_core::{AuditAction, Purpose, Role};
use healthcode_store::AuditQuery;
use jiff::ToSpan as _;
use jiff::tz::{Offset, TimeZone};
use serde::Deserialize;

use super::i18n::url_encode;
use super::{Chrome, PageResult, Session, render};
use crate::api::{AuditChainView, AuditQueryParams, AuditRecordView, FieldError, parse_date};
use crate::endpoints::Endpoint;
use crate::error::ApiError;
use crate::{App, Router, service};

/// Records shown per page.
const PAGE: usize = 50;

pub(super) fn routes() -> Router<App> {
    Router::new().route("/audit", get(audit))
}

/// The search form as submitted: text, as typed. `search` is set by the form's button, so that
/// opening the page reads no record.
#[derive(Clone, Debug, Default, Deserialize)]
struct SearchQuery {
    #[serde(default)]
    search: Option<String>,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    action: String,
    /// The first day, in the policy's offset.
    #[serde(default)]
    from: String,
    /// The last day, included.
    #[serde(default)]
    to: String,
    /// Records after this sequence number: the next page.
    #[serde(default)]
    after: String,
}

impl SearchQuery {
    /// The store's query, through the API's own parsing: days become times at midnight in
    /// `offset`, the last day included.
    fn audit_query(&self, offset: Offset) -> Result<AuditQuery, FieldError> {
        let zone = TimeZone::fixed(offset);
        let midnight = |field: &str,
                        text: &str,
                        days_later: i64|
         -> Result<Option<String>, FieldError> {
            if text.trim().is_empty() {
                return Ok(None);
            }
            let date = parse_date(field, text)?;
            date.checked_add(days_later.days())
                .ok()
                .and_then(|date| date.to_zoned(zone.clone()).ok())
                .map(|midnight| Some(midnight.timestamp().to_string()))
                .ok_or_else(|| FieldError::new(field, "is too close to the ends of the calendar"))
        };
        AuditQuery::try_from(AuditQueryParams {
            subject: Some(self.subject.clone()),
            purpose: Some(self.purpose.clone()),
            action: Some(self.action.clone()),
            since: midnight("from", &self.from, 0)?,
            until: midnight("to", &self.to, 1)?,
            after_sequence: Some(self.after.clone()),
            limit: Some(PAGE.to_string()),
        })
    }

    /// This search's link, starting after `sequence`.
    fn link_after(&self, sequence: u64) -> String {
        format!(
            "/audit?search=1&subject={}&purpose={}&action={}&from={}&to={}&after={sequence}",
            url_encode(self.subject.trim()),
            url_encode(&self.purpose),
            url_encode(&self.action),
            url_encode(&self.from),
            url_encode(&self.to),
        )
    }
}

/// One record, as the table shows it.
#[derive(Clone, Debug)]
struct RecordRow {
    sequence: u64,
    at: String,
    actor: &'static str,
    actor_id: String,
    purpose: &'static str,
    action: &'static str,
    outcome: &'static str,
    outcome_code: String,
    subject: String,
    records: u64,
}

impl RecordRow {
    fn new(record: &AuditRecordView, zone: &TimeZone) -> RecordRow {
        let actor = match record.actor.role.as_deref().map(Role::parse) {
            Some(Ok(role)) => crate::web::i18n::role_name(role),
            _ => actor_kind_name(&record.actor.kind),
        };
        RecordRow {
            sequence: record.sequence,
            at: record
                .at
                .to_zoned(zone.clone())
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string(),
            actor,
            actor_id: record
                .actor
                .staff_id
                .or(record.actor.person_id)
                .map(|id| id.to_string())
                .unwrap_or_default(),
            purpose: Purpose::parse(&record.purpose)
                .map_or("Other", crate::web::i18n::purpose_name),
            action: AuditAction::parse(&record.action)
                .map_or("Other", crate::web::i18n::action_name),
            outcome: crate::web::i18n::outcome_name(&record.outcome),
            outcome_code: record.outcome.clone(),
            subject: record
                .subject
                .map(|person| person.to_string())
                .unwrap_or_default(),
            records: record.records,
        }
    }
}

#[derive(askama::Template)]
#[template(path = "auditor/audit.html")]
struct AuditPage {
    chrome: Chrome,
    chain: AuditChainView,
    query: SearchQuery,
    searched: bool,
    problem: Option<String>,
    rows: Vec<RecordRow>,
    next_page: Option<String>,
    utc_offset: String,
    purposes: Vec<(&'static str, &'static str)>,
    actions: Vec<(&'static str, &'static str)>,
}

async fn audit(
    State(app): State<App>,
    session: Session,
    Query(query): Query<SearchQuery>,
) -> PageResult {
    let access = session.allow(Endpoint::ReadAuditLog, None).await?;
    session.permit(Endpoint::VerifyAuditChain).await?;
    let searched = query.search.is_some();
    let (policies, search) = (app.policies.clone(), query.clone());
    let (chain, offset, found) = app
        .run(move |store| {
            let chain = service::verify_audit_chain(store)?;
            let offset = policies.active(store, access.at)?.utc_offset;
            let found = if searched {
                match search.audit_query(offset) {
                    Ok(audit_query) => {
                        Ok(service::audit_log(store, &access, &audit_query)?.records)
                    }
                    Err(problem) => Err(problem),
                }
            } else {
                Ok(Vec::new())
            };
            Ok::<_, ApiError>((chain, offset, found))
        })
        .await?;
    let zone = TimeZone::fixed(offset);
    let (rows, problem) = match found {
        Ok(records) => (
            records
                .iter()
                .map(|record| RecordRow::new(record, &zone))
                .collect::<Vec<_>>(),
            None,
        ),
        Err(problem) => (Vec::new(), Some(problem.to_string())),
    };
    let next_page = (rows.len() == PAGE)
        .then(|| rows.last().map(|row| query.link_after(row.sequence)))
        .flatten();
    render(&AuditPage {
        chrome: session.chrome("Audit log"),
        chain,
        searched,
        problem,
        rows,
        next_page,
        utc_offset: offset.to_string(),
        purposes: Purpose::ALL
            .into_iter()
            .map(|purpose| (purpose.code(), crate::web::i18n::purpose_name(purpose)))
            .collect(),
        actions: AuditAction::ALL
            .into_iter()
            .map(|action| (action.code(), crate::web::i18n::action_name(action)))
            .collect(),
        query,
    })
}

fn actor_kind_name(kind: &str) -> &'static str {
    match kind {
        "public" => "Not signed in",
        "local_operator" => "The server's operator",
        "system" => "healthcode, applying the rules",
        "resident" => "Resident",
        _ => "Other",
    }
}

/// Texts of these pages, in Simplified Chinese. Role names, outcomes and some purposes are
/// shared with the resident's access history, whose table holds them.
pub(super) const ZH: &[(&str, &str)] = &[
    ("Audit chain intact", "审计链完整"),
    (
        "records verified from the first.",
        "条记录已从第一条起逐一核验。",
    ),
    ("Audit chain broken", "审计链已断裂"),
    (
        "The first record whose hash does not match:",
        "第一条哈希值不符的记录：",
    ),
    (
        "Records were altered or removed. Keep this page and report it.",
        "记录曾被篡改或删除。请保留此页面并上报。",
    ),
    ("Search the audit log", "查询审计日志"),
    (
        "Every search is itself recorded in the log, under audit review.",
        "每次查询本身也会以“审计审查”为目的记入日志。",
    ),
    ("Subject (person id)", "对象（人员编号）"),
    (
        "The person id whose data was touched, as other records or the official's pages show it.",
        "数据被访问者的人员编号，可从其他记录或卫生官员页面获得。",
    ),
    ("Any purpose", "任何目的"),
    ("Action", "操作"),
    ("Any action", "任何操作"),
    ("To", "截止日期"),
    (
        "Days are read in the policy's time zone:",
        "日期按规则的时区计算：",
    ),
    ("Records", "记录"),
    ("Actor", "操作者"),
    ("Subject", "对象"),
    ("Count", "数量"),
    ("No record matches.", "没有匹配的记录。"),
    ("Next page", "下一页"),
    ("New search", "重新查询"),
    ("The resident's own use", "居民本人使用"),
    ("Working out a colour", "计算颜色"),
    ("Employer's check with consent", "经同意的雇主查询"),
    ("Issuing a pass", "签发通行码"),
    ("Enrolled a person", "登记了人员"),
    ("Read a person's profile", "读取了人员资料"),
    ("Looked a person up by ID number", "按身份证号码查找了人员"),
    ("Read declarations", "读取了申报"),
    ("Read visits", "读取了到访记录"),
    ("Read the audit log", "读取了审计日志"),
    ("Read the facts behind a colour", "读取了颜色依据的事实"),
    ("Recorded a colour", "记录了颜色"),
    ("Read a colour history", "读取了颜色历史"),
    ("Set a colour by hand", "人工设定了颜色"),
    ("Read an itinerary", "读取了行程"),
    ("Read consents", "读取了授权"),
    (
        "Checked whether a person is a close contact",
        "查询了人员是否为密切接触者",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_purpose_action_and_role_has_a_name_in_chinese() {
        let chinese = super::super::Lang::from_code("zh-CN").unwrap();
        let names = Purpose::ALL
            .map(crate::web::i18n::purpose_name)
            .into_iter()
            .chain(AuditAction::ALL.map(crate::web::i18n::action_name))
            .chain(Role::ALL.map(crate::web::i18n::role_name))
            .chain(
                [
                    "success",
                    "duplicate",
                    "denied",
                    "not_found",
                    "conflict",
                    "rejected",
                ]
                .map(crate::web::i18n::outcome_name),
            )
            .chain(["public", "local_operator", "system", "other"].map(actor_kind_name));
        for name in names {
            assert_ne!(chinese.t(name), name);
        }
    }

    #[test]
    fn days_searched_become_midnights_in_the_policys_offset_the_last_day_included() {
        let search = SearchQuery {
            from: "2026-02-10".into(),
            to: "2026-02-10".into(),
            ..SearchQuery::default()
        };
        let query = search.audit_query(Offset::constant(8)).unwrap();
        assert_eq!(query.since.unwrap().to_string(), "2026-02-09T16:00:00Z");
        assert_eq!(query.until.unwrap().to_string(), "2026-02-10T16:00:00Z");
        assert_eq!(query.limit, Some(PAGE as u32));
        let bad = SearchQuery {
            subject: "not a uuid".into(),
            ..SearchQuery::default()
        };
        assert_eq!(bad.audit_query(Offset::UTC).unwrap_err().field, "subject");
    }
}
