//! The pages' two languages. Texts are written in English in the templates and the page
//! modules (`{{ chrome.lang.t("My code") }}`); each module keeps the Simplified Chinese of its
//! own texts in a `ZH` table, and a test checks that every text a template or module asks for
//! has one. Texts about ratings (reasons, next steps) come translated from the rating engine.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::Request;
use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::request::Parts;
use healthcode_core::rating::Language;
use healthcode_core::{AuditAction, Purpose, Role};

use super::session::{LANGUAGE_COOKIE, cookie};

/// The language of a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Lang(pub Language);

/// Every module's Simplified Chinese, by English text.
static ZH: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    tables()
        .iter()
        .flat_map(|table| table.iter().copied())
        .collect()
});

/// The `ZH` tables of the modules.
fn tables() -> [&'static [(&'static str, &'static str)]; 9] {
    [
        super::ZH,
        super::session::ZH,
        super::resident::ZH,
        super::checkpoint::ZH,
        super::venue::ZH,
        super::official::ZH,
        super::employer::ZH,
        super::auditor::ZH,
        COMMON,
    ]
}

impl Lang {
    pub const ENGLISH: Lang = Lang(Language::English);

    /// `text` in this language. English texts are the keys; a text without a translation is
    /// shown in English (a test keeps that from happening).
    pub fn t(&self, text: &'static str) -> &'static str {
        match self.0 {
            Language::English => text,
            Language::SimplifiedChinese => ZH.get(text).copied().unwrap_or(text),
        }
    }

    /// The BCP 47 tag, for `<html lang>` and the language cookie.
    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Language::parse(code).ok().map(Lang)
    }

    /// The other language, offered by the switch in the header.
    pub fn other(&self) -> Lang {
        match self.0 {
            Language::English => Lang(Language::SimplifiedChinese),
            Language::SimplifiedChinese => Lang::ENGLISH,
        }
    }

    /// The name of the language in itself.
    pub fn name(&self) -> &'static str {
        match self.0 {
            Language::English => "English",
            Language::SimplifiedChinese => "简体中文",
        }
    }

    pub fn is_chinese(&self) -> bool {
        self.0 == Language::SimplifiedChinese
    }

    /// The language cookie, else the first language of `Accept-Language` we speak, else
    /// English.
    pub fn of_headers(headers: &HeaderMap) -> Lang {
        if let Some(lang) = cookie(headers, LANGUAGE_COOKIE).and_then(Lang::from_code) {
            return lang;
        }
        let header = headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        crate::api::choose_language(None, Some(header))
            .map(Lang)
            .unwrap_or(Lang::ENGLISH)
    }

    pub fn of_parts(parts: &Parts) -> Lang {
        Lang::of_headers(&parts.headers)
    }

    pub fn of_request(request: &Request) -> Lang {
        Lang::of_headers(request.headers())
    }
}

/// The English name of a role (translated with [`Lang::t`]).
pub(crate) fn role_name(role: Role) -> &'static str {
    match role {
        Role::Resident => "Resident",
        Role::VenueOperator => "Venue operator",
        Role::CheckpointWorker => "Checkpoint worker",
        Role::HealthOfficial => "Health official",
        Role::Employer => "Employer",
        Role::Auditor => "Auditor",
        Role::Admin => "Administrator",
        Role::Laboratory => "Laboratory",
        Role::Pharmacy => "Pharmacy",
        Role::CommunityWorker => "Community worker",
        Role::TransitOperator => "Transit operator",
        Role::PhoneNetwork => "Phone network",
    }
}

/// The English name of a purpose, as the audit log gives it (translated with [`Lang::t`]).
pub(crate) fn purpose_name(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Enrolment => "Enrolment",
        Purpose::SelfService => "The resident's own use",
        Purpose::HealthDeclaration => "Health declaration",
        Purpose::VisitLogging => "Recording a visit",
        Purpose::BulkImport => "Bulk import",
        Purpose::CaseInvestigation => "Case investigation",
        Purpose::AuditReview => "Audit review",
        Purpose::Rating => "Working out a colour",
        Purpose::LaboratoryReport => "Laboratory report",
        Purpose::PharmacyReport => "Pharmacy report",
        Purpose::HealthReport => "Daily health report",
        Purpose::AppealReview => "Appeal review",
        Purpose::PolicyEvaluation => "Comparing rules",
        Purpose::TransitReport => "Transit report",
        Purpose::PhoneData => "Phone network data",
        Purpose::EmploymentCheck => "Employer's check with consent",
        Purpose::QuarantineFollowUp => "Quarantine follow-up",
        Purpose::DataRetention => "Deleting old data",
        Purpose::PassIssuance => "Issuing a pass",
    }
}

/// The English name of an audited action, as the audit log gives it.
pub(crate) fn action_name(action: AuditAction) -> &'static str {
    use AuditAction::*;
    match action {
        EnrolPerson => "Enrolled a person",
        ReadPerson => "Read a person's profile",
        FindPersonByResidentId => "Looked a person up by ID number",
        RecordDeclaration => "Recorded a declaration",
        ReadDeclarations => "Read declarations",
        RecordCheckIn => "Recorded a visit",
        IngestCheckIns => "Imported visits",
        ReadCheckIns => "Read visits",
        ReadAuditLog => "Read the audit log",
        RecordTestResults => "Recorded test results",
        RecordPharmacyPurchases => "Recorded medicine purchases",
        RecordHealthReports => "Recorded health reports",
        RecordCase => "Registered a case",
        ReleaseCase => "Released a case",
        RecordContact => "Recorded a contact",
        ReadFacts => "Read the facts behind a colour",
        RecordRating => "Recorded a colour",
        ReadRatings => "Read a colour history",
        FileAppeal => "Filed an appeal",
        ReadAppeals => "Read appeals",
        DecideAppeal => "Decided an appeal",
        SetOverride => "Set a colour by hand",
        StorePolicy => "Stored rules",
        ActivatePolicy => "Activated rules",
        PublishRegionRiskList => "Published the risk-region list",
        RecordBoardings => "Recorded trips",
        RegisterHouseholds => "Registered households",
        ReadCase => "Read a case",
        TraceCase => "Traced a case's contacts",
        ReadContacts => "Read contacts",
        DismissContact => "Dismissed a contact",
        RegisterCells => "Registered phone cells",
        IngestCellPings => "Imported phone pings",
        PurgeCellPings => "Deleted old phone data",
        ReadItinerary => "Read an itinerary",
        SearchProximity => "Searched who was nearby",
        ReviewProximityCandidate => "Reviewed a proximity match",
        IssueConsent => "Issued a consent",
        RevokeConsent => "Revoked a consent",
        ReadConsents => "Read consents",
        CheckCloseContact => "Checked whether a person is a close contact",
        RecordFollowUpCheck => "Recorded a follow-up check",
        ReadFollowUp => "Read follow-up checks",
    }
}

/// The English name of an audit record's outcome code.
pub(crate) fn outcome_name(outcome: &str) -> &'static str {
    match outcome {
        "success" => "Done",
        "duplicate" => "Resent; nothing new",
        "denied" => "Refused",
        "not_found" => "Not found",
        "conflict" => "Conflict",
        "rejected" => "Rejected as invalid",
        _ => "Other",
    }
}

/// Percent-encodes a path for a query parameter (`/sign-in?next=…`).
pub(crate) fn url_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                encoded.push(byte as char);
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

/// Texts several audiences' pages share.
const COMMON: &[(&str, &str)] = &[
    ("Green", "绿码"),
    ("Yellow", "黄码"),
    ("Red", "红码"),
    ("Save", "保存"),
    ("Send", "提交"),
    ("Cancel", "取消"),
    ("When", "时间"),
    ("Where", "地点"),
    ("Who", "谁"),
    ("Purpose", "目的"),
    ("Reason", "理由"),
    ("Until", "直至"),
    ("Nothing yet.", "暂无记录。"),
    ("Saved.", "已保存。"),
    ("Person", "人员"),
    ("Status", "状态"),
    ("Colour", "颜色"),
    ("Date", "日期"),
    ("Time", "时间"),
    ("District", "区县"),
    ("Venue", "场所"),
    ("Name", "名称"),
    ("Kind", "类型"),
    ("Evidence", "证据"),
    ("Next steps", "下一步"),
    ("Open", "打开"),
    ("Print", "打印"),
    ("Resident", "居民"),
    ("Venue operator", "场所经营者"),
    ("Checkpoint worker", "检查点工作人员"),
    ("Health official", "卫生健康工作人员"),
    ("Employer", "雇主"),
    ("Auditor", "审计员"),
    ("Administrator", "管理员"),
    ("Laboratory", "实验室"),
    ("Pharmacy", "药店"),
    ("Community worker", "社区工作人员"),
    ("Transit operator", "交通运营方"),
    ("Phone network", "移动网络运营商"),
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    /// The English texts a source file asks to translate: the string literal after each `t(`.
    fn asked_for(source: &str) -> Vec<String> {
        let mut texts = Vec::new();
        let mut rest = source;
        while let Some(at) = rest.find(".t(\"") {
            rest = &rest[at + 4..];
            if let Some(end) = rest.find("\")") {
                texts.push(rest[..end].replace("\\\"", "\""));
                rest = &rest[end..];
            }
        }
        texts
    }

    fn files_under(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files_under(&path, files);
            } else {
                files.push(path);
            }
        }
    }

    #[test]
    fn every_text_a_template_or_page_asks_for_has_a_chinese_translation() {
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        files_under(&crate_dir.join("templates"), &mut files);
        files_under(&crate_dir.join("src/web"), &mut files);
        let mut missing = BTreeSet::new();
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            for text in asked_for(&source) {
                if !ZH.contains_key(text.as_str()) {
                    missing.insert(format!("{}: {text}", file.display()));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "texts without Simplified Chinese:\n{}",
            missing.into_iter().collect::<Vec<_>>().join("\n")
        );
    }

    #[test]
    fn no_text_is_translated_twice() {
        let mut seen = HashMap::new();
        let mut twice = Vec::new();
        for table in tables() {
            for (english, chinese) in table {
                if let Some(before) = seen.insert(*english, *chinese) {
                    twice.push(format!("{english}: {before} / {chinese}"));
                }
            }
        }
        assert!(twice.is_empty(), "translated twice:\n{}", twice.join("\n"));
    }

    #[test]
    fn paths_are_percent_encoded_for_query_parameters() {
        assert_eq!(url_encode("/me/why"), "/me/why");
        assert_eq!(url_encode("/audit?q=a b&c"), "/audit%3Fq%3Da%20b%26c");
    }
}
