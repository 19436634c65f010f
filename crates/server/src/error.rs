//! The one error type of the HTTP API and the one place that maps errors to status codes.
//!
//! Every error response has the body `{"error": {"code", "message", "field"}}`. User errors carry
//! a stable snake_case code and a message that says what to fix. Internal errors are logged here,
//! once, and answered `500 internal` without their text; nothing logged here may contain
//! personal data, which is why internal errors are built only from store and runtime failures,
//! never from request content.

use axum::http::header::WWW_AUTHENTICATE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use healthcode_store::{Reference, StoreError};

use crate::accounts::AccountError;
use healthcode_core::rating::PolicyErrors;

use crate::api::{ErrorBody, ErrorDetail, FieldError, PolicyErrorView, RowError};

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("{message}")]
    InvalidBody {
        message: String,
        field: Option<String>,
    },
    #[error("{0}")]
    InvalidField(FieldError),
    /// Invalid rows of a batch; `field` names the batch's list (`events`, `results`, …).
    #[error("{} invalid rows; nothing was stored", .rows.len())]
    InvalidRows {
        field: &'static str,
        rows: Vec<RowError>,
    },
    #[error("a batch holds at most {max} {field}, found {found}; split it")]
    BatchTooLarge {
        field: &'static str,
        max: usize,
        found: usize,
    },
    #[error("send a valid token as Authorization: Bearer <token>; sign in again if it expired")]
    Unauthenticated,
    #[error("the username or password is wrong")]
    WrongCredentials,
    #[error("your role is not allowed to do this")]
    Forbidden,
    /// An employer's check that no consent in force covers. Deliberately silent about why: a
    /// wrong token, another employee's or employer's, an expired, revoked or used-up consent and
    /// an unknown ID number are refused alike.
    #[error(
        "no consent in force covers this check; ask the employee for a new consent token for your account"
    )]
    NoValidConsent,
    #[error("{what} not found")]
    NotFound {
        what: &'static str,
        field: Option<String>,
    },
    #[error("no such endpoint; GET /openapi.json lists them")]
    RouteNotFound,
    #[error("this endpoint does not answer this method; GET /openapi.json lists them")]
    MethodNotAllowed,
    #[error("this resident is already enrolled")]
    AlreadyEnrolled,
    #[error("{0}")]
    UsernameTaken(String),
    #[error("{0}")]
    Conflict(&'static str),
    /// The errors name lines and columns of the uploaded file, never personal data.
    #[error("the policy is not valid: {0}")]
    InvalidPolicy(PolicyErrors),
    #[error("{field}: no {what} with this id is registered")]
    UnknownReference { field: String, what: &'static str },
    #[error("the body is larger than this endpoint accepts; send less, or split a batch")]
    PayloadTooLarge,
    #[error("the server did not answer in time; resending is safe, writes are idempotent")]
    Timeout,
    #[error("the store is not ready")]
    NotReady,
    #[error("the request failed: {0}")]
    OtherStatus(StatusCode),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn internal(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> ApiError {
        ApiError::Internal(error.into())
    }

    pub fn status_code(&self) -> StatusCode {
        match self {
            ApiError::MalformedJson(_)
            | ApiError::InvalidBody { .. }
            | ApiError::InvalidField(_)
            | ApiError::InvalidRows { .. }
            | ApiError::BatchTooLarge { .. }
            | ApiError::InvalidPolicy(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated | ApiError::WrongCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::NoValidConsent => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } | ApiError::RouteNotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::AlreadyEnrolled | ApiError::UsernameTaken(_) | ApiError::Conflict(_) => {
                StatusCode::CONFLICT
            }
            ApiError::UnknownReference { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Timeout | ApiError::NotReady => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::OtherStatus(status) => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code clients match on.
    pub fn code(&self) -> String {
        let code = match self {
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::InvalidBody { .. } => "invalid_body",
            ApiError::InvalidField(_) => "invalid_field",
            ApiError::InvalidRows { .. } => "invalid_rows",
            ApiError::BatchTooLarge { .. } => "batch_too_large",
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::WrongCredentials => "wrong_credentials",
            ApiError::Forbidden => "forbidden",
            ApiError::NoValidConsent => "no_valid_consent",
            ApiError::NotFound { .. } => "not_found",
            ApiError::RouteNotFound => "no_such_endpoint",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::AlreadyEnrolled => "already_enrolled",
            ApiError::UsernameTaken(_) => "username_taken",
            ApiError::Conflict(_) => "conflict",
            ApiError::InvalidPolicy(_) => "invalid_policy",
            ApiError::UnknownReference { .. } => "unknown_reference",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::Timeout => "timeout",
            ApiError::NotReady => "not_ready",
            ApiError::OtherStatus(status) => {
                return status
                    .canonical_reason()
                    .unwrap_or("error")
                    .to_ascii_lowercase()
                    .replace([' ', '-'], "_");
            }
            ApiError::Internal(_) => "internal",
        };
        code.to_owned()
    }

    /// The request field the error is about, if any.
    pub fn field(&self) -> Option<String> {
        match self {
            ApiError::InvalidField(error) => Some(error.field.clone()),
            ApiError::InvalidBody { field, .. } | ApiError::NotFound { field, .. } => field.clone(),
            ApiError::UnknownReference { field, .. } => Some(field.clone()),
            ApiError::InvalidRows { field, .. } | ApiError::BatchTooLarge { field, .. } => {
                Some((*field).to_owned())
            }
            ApiError::UsernameTaken(_) => Some("username".to_owned()),
            _ => None,
        }
    }

    /// The error a bare status from a lower layer (timeout, routing, body limit) stands for.
    pub fn for_status(status: StatusCode) -> ApiError {
        match status {
            StatusCode::NOT_FOUND => ApiError::RouteNotFound,
            StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => ApiError::Timeout,
            other => ApiError::OtherStatus(other),
        }
    }
}

/// The request field that names a reference, and what it refers to.
pub(crate) fn reference_field(reference: Reference) -> (&'static str, &'static str) {
    match reference {
        Reference::Person => ("person_id", "person"),
        Reference::Venue => ("venue_id", "venue"),
        Reference::Case => ("case_id", "case"),
        Reference::Trip => ("trip_id", "trip"),
        Reference::Cell => ("cell_id", "cell"),
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::NotFound { what } => ApiError::NotFound { what, field: None },
            StoreError::AlreadyEnrolled => ApiError::AlreadyEnrolled,
            StoreError::UsernameTaken => {
                ApiError::UsernameTaken("this username is already taken".to_owned())
            }
            StoreError::Conflict(what) => ApiError::Conflict(what),
            StoreError::InvalidPolicy(errors) => ApiError::InvalidPolicy(errors),
            StoreError::UnknownReference { reference, .. } => {
                let (field, what) = reference_field(reference);
                ApiError::UnknownReference {
                    field: field.to_owned(),
                    what,
                }
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> ApiError {
        ApiError::InvalidField(error)
    }
}

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> ApiError {
        match error {
            AccountError::WrongCredentials => ApiError::WrongCredentials,
            AccountError::UsernameTaken(_) => ApiError::UsernameTaken(error.to_string()),
            AccountError::InvalidUsername(_)
            | AccountError::PasswordTooShort
            | AccountError::PasswordTooLong
            | AccountError::NotAStaffRole => {
                let field = error.field().unwrap_or("body");
                // The messages open with the field's name already ("password should be …").
                let message = error.to_string();
                let message = message
                    .strip_prefix(field)
                    .map_or(message.as_str(), str::trim_start)
                    .to_owned();
                ApiError::InvalidField(FieldError {
                    field: field.to_owned(),
                    message,
                })
            }
            AccountError::Store(store) => ApiError::from(store),
            AccountError::Hashing(_) | AccountError::TokenLifetime => ApiError::internal(error),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        if let ApiError::Internal(source) = &self {
            // The one place internal errors are logged. Their text comes from the store or the
            // runtime, never from request content, so it holds no personal data.
            tracing::error!(error = %source, "internal error");
        }
        let message = match &self {
            ApiError::InvalidRows { rows, .. } => {
                let shown: Vec<String> = rows.iter().take(5).map(RowError::to_string).collect();
                let more = if rows.len() > 5 {
                    format!("; and {} more", rows.len() - 5)
                } else {
                    String::new()
                };
                format!(
                    "{} invalid fields; nothing was stored: {}{more}",
                    rows.len(),
                    shown.join("; ")
                )
            }
            ApiError::InvalidPolicy(errors) => {
                let each: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
                format!(
                    "the policy is not valid; nothing was stored: {}",
                    each.join("; ")
                )
            }
            other => other.to_string(),
        };
        let rows = match self {
            ApiError::InvalidRows { ref rows, .. } => rows.clone(),
            _ => Vec::new(),
        };
        let policy_errors = match self {
            ApiError::InvalidPolicy(ref errors) => {
                errors.0.iter().map(PolicyErrorView::from).collect()
            }
            _ => Vec::new(),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message,
                field: self.field(),
                rows,
                policy_errors,
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if matches!(self, ApiError::Unauthenticated) {
            // RFC 6750: tell the client which scheme to use.
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_do_not_leak_their_text() {
        let error = ApiError::internal("disk I/O error at /secret/path");
        assert_eq!(error.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error.code(), "internal");
        assert_eq!(error.to_string(), "internal error");
    }

    #[test]
    fn statuses_from_lower_layers_get_codes() {
        assert_eq!(
            ApiError::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE).code(),
            "unsupported_media_type"
        );
        assert_eq!(
            ApiError::for_status(StatusCode::PAYLOAD_TOO_LARGE).code(),
            "payload_too_large"
        );
    }

    #[test]
    fn account_errors_name_their_field_once() {
        let error = ApiError::from(AccountError::PasswordTooShort);
        assert_eq!(error.field().as_deref(), Some("password"));
        assert_eq!(
            error.to_string(),
            "password: should be at least 12 characters"
        );
    }
}
