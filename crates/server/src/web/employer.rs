//! Pages of the employer audience: the close-contact check an employee consented to.
//!
//! The page asks what the API asks (the employee's ID number and the token they gave) and shows
//! the one answer the API gives: yes or no. The ID number is never shown back, only masked, and
//! a refusal says only that no consent in force covers the check, as the API says it.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use healthcode_core::ResidentId;
use serde::Deserialize;

use super::{Chrome, PageResult, Session, render, see_other};
use crate::api::CloseContactCheckRequest;
use crate::endpoints::Endpoint;
use crate::error::ApiError;
use crate::{App, Router, consent_service};

pub(super) fn routes() -> Router<App> {
    Router::new().route("/employer", get(check_form).post(check))
}

/// What the last check answered, as the page after it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    /// The API's answer, for the employee whose ID number is shown masked.
    Answered {
        close_contact: bool,
        employee: String,
    },
    /// No consent in force covers the check.
    Refused { employee: String },
    /// The form needs fixing: what the API said.
    Invalid { message: String },
}

#[derive(askama::Template)]
#[template(path = "employer/check.html")]
struct CheckPage {
    chrome: Chrome,
    outcome: Option<Outcome>,
}

/// The answer of the check just made, passed on by the redirect after it: yes or no, and the
/// masked ID number. Nothing else about the employee is known to the page.
#[derive(Debug, Deserialize)]
struct AnswerQuery {
    answer: Option<String>,
    employee: Option<String>,
}

async fn check_form(session: Session, Query(query): Query<AnswerQuery>) -> PageResult {
    session.allow(Endpoint::CheckCloseContact, None).await?;
    let outcome = match (query.answer.as_deref(), query.employee) {
        (Some(answer @ ("yes" | "no")), Some(employee)) if is_masked(&employee) => {
            Some(Outcome::Answered {
                close_contact: answer == "yes",
                employee,
            })
        }
        _ => None,
    };
    render(&CheckPage {
        chrome: session.chrome("Contact check"),
        outcome,
    })
}

/// Whether `text` looks like a masked ID number (and so is safe to show): never a full one.
fn is_masked(text: &str) -> bool {
    text.chars().count() == 18 && text.contains('*')
}

#[derive(Deserialize)]
struct CheckForm {
    #[serde(default)]
    resident_id: String,
    #[serde(default)]
    token: String,
}

async fn check(
    State(app): State<App>,
    session: Session,
    Form(form): Form<CheckForm>,
) -> PageResult {
    let access = session.allow(Endpoint::CheckCloseContact, None).await?;
    let employee = ResidentId::parse(form.resident_id.trim())
        .map(|id| id.masked())
        .unwrap_or_default();
    let request = CloseContactCheckRequest {
        resident_id: form.resident_id,
        token: form.token,
    };
    let policies = app.policies.clone();
    let answer = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            consent_service::check_close_contact(store, &access, &policy, request)
        })
        .await;
    let (outcome, status) = match answer {
        Ok(answer) => {
            let answer = if answer.close_contact { "yes" } else { "no" };
            return Ok(see_other(&format!(
                "/employer?answer={answer}&employee={}",
                super::i18n::url_encode(&employee)
            )));
        }
        Err(ApiError::NoValidConsent) => (Outcome::Refused { employee }, StatusCode::FORBIDDEN),
        Err(ApiError::InvalidField(error)) => (
            Outcome::Invalid {
                message: error.to_string(),
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(other) => return Err(other.into()),
    };
    let mut response = render(&CheckPage {
        chrome: session.chrome("Contact check"),
        outcome: Some(outcome),
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// Texts of these pages, in Simplified Chinese.
pub(super) const ZH: &[(&str, &str)] = &[
    (
        "Whether an employee was a close contact of a case",
        "员工是否为病例的密切接触者",
    ),
    (
        "You can check only with the employee's consent: they issue a consent to your account in their app and give you its token. The answer is yes or no, nothing more, and the employee sees every check in their access history.",
        "只有经员工同意才能查询：员工在应用中向您的账号授权，并把授权令牌交给您。答案只有“是”或“否”，没有其他信息；员工可在访问记录中看到每一次查询。",
    ),
    ("Employee's resident ID number", "员工的居民身份证号码"),
    (
        "18 characters, as on the ID card.",
        "18 位，与身份证上一致。",
    ),
    (
        "The token the employee gave you. It works for your account only, and only while the consent is in force.",
        "员工交给您的令牌。它只对您的账号有效，并且只在授权有效期内有效。",
    ),
    ("Check", "查询"),
    ("Answer", "答案"),
    ("Employee", "员工"),
    ("Close contact: yes", "密切接触者：是"),
    ("Close contact: no", "密切接触者：否"),
    (
        "The employee was a close contact of a case within the policy's window, or is a case not yet released.",
        "该员工在规则规定的时间窗口内是病例的密切接触者，或是尚未解除隔离的病例。",
    ),
    (
        "The employee was not a close contact of a case within the policy's window.",
        "该员工在规则规定的时间窗口内不是病例的密切接触者。",
    ),
    (
        "Refused: no consent covers this check",
        "已拒绝：没有授权涵盖此次查询",
    ),
    (
        "No consent in force covers this check. The token may be wrong, expired, revoked or used up, or given for another employer or employee. Ask the employee for a new consent token for your account.",
        "没有有效的授权涵盖此次查询。令牌可能有误、已过期、已撤销或已用完，或是给其他雇主或员工的。请让员工为您的账号重新授权并提供新令牌。",
    ),
    ("Check another employee", "查询其他员工"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_masked_id_numbers_pass_through_the_answer_page() {
        assert!(is_masked("330106********1256"));
        assert!(!is_masked("330106199001011256"));
        assert!(!is_masked("<script>"));
    }
}
