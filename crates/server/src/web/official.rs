//! Pages of health officials: the dashboard, cases and their contacts, the appeal queue,
//! overrides, proximity searches and policies.
//!
//! Each page calls the library function of its endpoint under [`Session::allow`]'s access, so
//! that every read of personal data is audited as the API's is. Times typed into forms
//! (`datetime-local`, which carries no offset) and times shown are in the active policy's
//! offset from UTC: the offset the rules count days in, which is the health office's.
//! Contact and case pages show residents' full names (the API gives officials names through
//! `GET /v1/residents/{person_id}`) but only masked ID numbers; the appeal queue and the
//! override page show masked names too. Nothing here logs personal data.

mod appeals;
mod cases;
mod charts;
mod dashboard;
mod overrides;
mod policies;
mod proximity;

use healthcode_core::{Person, PersonId, Timestamp};
use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};

use super::{WebError, new_id, shown};
use crate::api::FieldError;
use crate::{App, Router};

pub(super) fn routes() -> Router<App> {
    Router::new()
        .merge(dashboard::routes())
        .merge(cases::routes())
        .merge(appeals::routes())
        .merge(overrides::routes())
        .merge(proximity::routes())
        .merge(policies::routes())
}

/// The offset pages read and show times in: the active policy's.
async fn policy_offset(app: &App, now: Timestamp) -> Result<Offset, WebError> {
    let policies = app.policies.clone();
    Ok(app
        .run(move |store| Ok(policies.active(store, now)?.utc_offset))
        .await?)
}

/// A `datetime-local` value (`2026-02-10T07:30`, seconds optional) read in `offset`, as the
/// RFC 3339 text the API's requests take.
fn local_time(field: &str, text: &str, offset: Offset) -> Result<String, FieldError> {
    let text = text.trim();
    let local: DateTime = text.parse().map_err(|_| {
        FieldError::new(field, "should be a date and time, such as 2026-02-10T07:30")
    })?;
    let zoned = local
        .to_zoned(TimeZone::fixed(offset))
        .map_err(|error| FieldError::new(field, error))?;
    Ok(zoned.timestamp().to_string())
}

/// `at` as a `datetime-local` value in `offset`, for a form's default.
fn local_value(at: Timestamp, offset: Offset) -> String {
    at.to_zoned(TimeZone::fixed(offset))
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

/// Who a person is on an official's page: masked ID number, full and masked name.
#[derive(Clone, Debug)]
struct Who {
    masked_id: String,
    name: String,
    masked_name: String,
}

impl From<&Person> for Who {
    fn from(person: &Person) -> Who {
        Who {
            masked_id: person.resident_id.masked(),
            name: person.name.as_str().to_owned(),
            masked_name: person.name.masked(),
        }
    }
}

/// Reads the people a page is about, each read audited under `access` (its endpoint's
/// purpose). A person who cannot be read is shown by id only.
fn people(
    store: &dyn healthcode_store::Store,
    access: &healthcode_core::Access,
    ids: impl IntoIterator<Item = PersonId>,
) -> Result<std::collections::BTreeMap<PersonId, Who>, crate::error::ApiError> {
    let mut found = std::collections::BTreeMap::new();
    for id in ids {
        if found.contains_key(&id) {
            continue;
        }
        match store.person(access, id) {
            Ok(person) => {
                found.insert(id, Who::from(&person));
            }
            Err(healthcode_store::StoreError::NotFound { .. }) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(found)
}

/// Texts of these pages, in Simplified Chinese.
pub(super) const ZH: &[(&str, &str)] = &[
    // A case's contacts, a page at a time
    ("Shown", "显示"),
    ("Pages of contacts", "接触者分页"),
    ("Previous contacts", "上一页"),
    ("Next contacts", "下一页"),
    // Dashboard
    ("Residents enrolled", "已登记居民"),
    ("Appeals waiting", "待处理申诉"),
    ("Median time to decision", "决定用时中位数"),
    ("New cases today", "今日新增病例"),
    ("Contacts found today", "今日发现接触者"),
    ("Colours now", "当前颜色"),
    ("Colours by district", "各区县颜色"),
    ("Colours over time", "颜色变化"),
    ("New cases and contacts per day", "每日新增病例与接触者"),
    (
        "Residents at the end of each day, by the colour of their latest rating.",
        "每天结束时居民按最新评定颜色的人数。",
    ),
    (
        "District: the region code of the residents' ID numbers.",
        "区县：居民身份证号码中的地区代码。",
    ),
    ("Not rated yet", "尚未评定"),
    ("Day", "日期"),
    ("Confirmed", "确诊"),
    ("Close contacts", "密切接触者"),
    ("Secondary contacts", "次密切接触者"),
    ("Total", "合计"),
    ("none decided", "暂无决定"),
    ("minutes", "分钟"),
    ("hours", "小时"),
    ("Days shown", "显示天数"),
    ("Show", "显示"),
    ("The numbers as a table", "以表格显示数字"),
    (
        "Counts only: no person is named. Each view is recorded in the audit log.",
        "仅为计数，不显示任何个人。每次查看都会记入审计日志。",
    ),
    // Cases
    ("Register a case", "登记病例"),
    ("Resident ID number", "居民身份证号码"),
    ("Suspected", "疑似"),
    ("Onset", "发病时间"),
    (
        "Symptom onset, or the first positive sample if earlier.",
        "出现症状时间，如阳性采样更早则填采样时间。",
    ),
    ("Isolated at (optional)", "隔离时间（可选）"),
    ("Empty means now.", "留空表示现在。"),
    ("Times are in the policy's time zone", "时间按规则所用时区"),
    (
        "A confirmed case is traced at once.",
        "确诊病例会立即进行追踪。",
    ),
    ("Find a case", "查找病例"),
    ("Case ID", "病例编号"),
    (
        "The case's id is shown after registering it.",
        "登记后会显示病例编号。",
    ),
    ("Case", "病例"),
    ("Contacts", "接触者"),
    ("Trace again", "重新追踪"),
    ("Infectious window", "传染期"),
    (
        "No infectious window: the case was isolated before it opened.",
        "无传染期：病例在传染期开始前已隔离。",
    ),
    ("Nobody was found.", "未发现接触者。"),
    ("Degree", "类型"),
    ("Via", "途径"),
    ("Close", "密接"),
    ("Secondary", "次密接"),
    ("Household", "同住"),
    ("Trip", "同行程"),
    ("Nearby", "时空伴随"),
    ("Together", "共处"),
    ("from", "从"),
    ("to", "至"),
    ("met", "接触过"),
    ("Dismissed", "已排除"),
    ("Dismiss", "排除"),
    ("Reason for dismissing", "排除理由"),
    ("Registered.", "已登记。"),
    ("Registered at", "登记时间"),
    ("Isolated at", "隔离时间"),
    ("Traced again.", "已重新追踪。"),
    (
        "Dismissed; the resident was rated again.",
        "已排除，已重新评定该居民。",
    ),
    ("new contacts", "名新接触者"),
    ("An unknown venue", "未知场所"),
    // Appeals
    ("Nobody is waiting for a decision.", "没有待决定的申诉。"),
    ("Filed", "提交时间"),
    ("Colour appealed", "被申诉的颜色"),
    ("Statement", "陈述"),
    ("Reasons of the rating", "评定理由"),
    ("Decide", "决定"),
    ("Outcome", "结果"),
    ("Uphold: the colour stands", "维持：颜色不变"),
    ("Amend: set a colour", "更改：设定颜色"),
    ("Reason, written for the resident", "理由（居民可见）"),
    ("New colour (amend only)", "新颜色（仅更改时）"),
    ("Ends at (amend only)", "结束时间（仅更改时）"),
    ("Decided.", "已决定。"),
    // Overrides
    ("Set an override", "设置人工调整"),
    ("Person ID", "人员编号"),
    (
        "The person's id, as shown on case, contact and appeal pages.",
        "人员编号，见病例、接触者和申诉页面。",
    ),
    ("Reason (required)", "理由（必填）"),
    ("Ends at", "结束时间"),
    (
        "The override is set; the resident was rated again.",
        "人工调整已设置，已重新评定该居民。",
    ),
    (
        "This override was set before; nothing changed.",
        "此人工调整此前已设置，未作更改。",
    ),
    ("Colour now", "当前颜色"),
    // Proximity
    ("Search near a place", "按地点搜索"),
    ("Latitude", "纬度"),
    ("Longitude", "经度"),
    ("Radius in metres (at most 5,000)", "半径（米，最多5000）"),
    ("From", "开始"),
    ("Until (at most 14 days later)", "结束（最多14天后）"),
    (
        "Purpose: why this search is needed (required)",
        "目的：为何需要此搜索（必填）",
    ),
    (
        "It is recorded with the search and shown to auditors.",
        "此内容随搜索记录并向审计人员展示。",
    ),
    ("Search", "搜索"),
    ("Search results", "搜索结果"),
    (
        "Candidates are not contacts until an official confirms them.",
        "候选人在工作人员确认前不是接触者。",
    ),
    (
        "Nobody was near the place in the window.",
        "时间段内无人在该地点附近。",
    ),
    ("Stays", "停留"),
    ("Pending", "待审核"),
    ("Confirmed as a close contact", "已确认为密切接触者"),
    ("Rejected", "已否定"),
    ("Confirm", "确认"),
    ("Reject", "否定"),
    ("Reason for the review", "审核理由"),
    ("Reviewed.", "已审核。"),
    ("Radius", "半径"),
    ("Window", "时间段"),
    ("Open a search", "打开搜索"),
    ("Search ID", "搜索编号"),
    // Policies
    ("Active", "生效中"),
    ("Version", "版本"),
    ("Uploaded", "上传时间"),
    ("Activate", "启用"),
    ("Roll back to the previous policy", "回滚到上一个规则"),
    ("Upload a policy", "上传规则"),
    ("Policy file (TOML)", "规则文件（TOML）"),
    ("Or choose a file", "或选择文件"),
    ("Upload", "上传"),
    ("The policy file has problems:", "规则文件有问题："),
    ("line", "行"),
    ("column", "列"),
    ("Compare two policies", "比较两个规则"),
    ("Compare", "比较"),
    (
        "Every resident is rated under both, now; nothing is stored.",
        "按两个规则分别评定所有居民（当前数据），不保存结果。",
    ),
    ("Policy comparison", "规则比较"),
    ("Residents compared", "比较的居民数"),
    ("Colour changes", "颜色变化的居民数"),
    ("Under", "按"),
    ("Residents", "居民数"),
    ("Uploaded; activate it to use it.", "已上传，启用后生效。"),
    (
        "This file was uploaded before; nothing changed.",
        "此文件此前已上传，未作更改。",
    ),
    (
        "Activated; every resident was rated again.",
        "已启用，已重新评定所有居民。",
    ),
    ("Activations", "启用记录"),
    ("Back to the policies", "返回规则列表"),
];
