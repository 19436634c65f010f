//! Extractors whose rejections are [`ApiError`]s, so that a malformed request is answered with
//! the API's JSON error body (400, 413) and never with axum's plain-text default.
//!
//! Rejection messages may quote the client's own input back to it; they are never logged.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use healthcode_core::Actor;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body in and out. Unlike `axum::Json`, a body of the wrong shape is answered 400
/// `invalid_body` naming the field, not 422 in plain text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Json<T>, ApiError> {
        if !has_json_content_type(request.headers()) {
            return Err(ApiError::InvalidBody {
                message: "send the body as JSON, with Content-Type: application/json".to_owned(),
                field: None,
            });
        }
        let bytes = body_bytes(request, state).await?;
        parse_json(&bytes).map(Json)
    }
}

/// The whole body, within the endpoint's limit.
async fn body_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::InvalidBody {
                    message: "the body could not be read".to_owned(),
                    field: None,
                }
            }
        })
}

/// The media type of the body, lowercase, without parameters.
fn content_type_essence(headers: &HeaderMap) -> Option<String> {
    let content_type = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    Some(
        content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase(),
    )
}

fn utf8(bytes: Bytes) -> Result<String, ApiError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| ApiError::InvalidBody {
        message: "the body is not valid UTF-8".to_owned(),
        field: None,
    })
}

/// A policy file: the body itself as `text/plain` (or `application/toml`), or JSON
/// `{"source": "…"}`.
#[derive(Debug, Clone)]
pub struct PolicyText(pub String);

impl<S: Send + Sync> FromRequest<S> for PolicyText {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<PolicyText, ApiError> {
        let essence = content_type_essence(request.headers()).unwrap_or_default();
        if has_json_content_type(request.headers()) {
            let Json(upload) =
                Json::<crate::api::PolicyUpload>::from_request(request, state).await?;
            return Ok(PolicyText(upload.source));
        }
        if essence == "text/plain" || essence == "application/toml" {
            return utf8(body_bytes(request, state).await?).map(PolicyText);
        }
        Err(ApiError::InvalidBody {
            message: "send the policy file as text/plain, or as JSON {\"source\": \"…\"}"
                .to_owned(),
            field: None,
        })
    }
}

/// A daily health report: JSON `{"reports": […]}`, or a CSV file (`text/csv`) with the header
/// `event_id,resident_id,day,temperature,symptoms`. A CSV file's rows that cannot be read come
/// with it, placed by line, to be reported with the rest.
#[derive(Debug, Clone)]
pub struct HealthReportBody(
    pub crate::api::HealthReportUpload,
    pub Vec<crate::api::RowError>,
);

impl<S: Send + Sync> FromRequest<S> for HealthReportBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<HealthReportBody, ApiError> {
        let essence = content_type_essence(request.headers()).unwrap_or_default();
        if has_json_content_type(request.headers()) {
            let Json(batch) =
                Json::<crate::api::HealthReportBatch>::from_request(request, state).await?;
            let upload = crate::api::HealthReportUpload {
                rows: batch.reports,
                positions: Vec::new(),
            };
            return Ok(HealthReportBody(upload, Vec::new()));
        }
        if essence == "text/csv" {
            let bytes = body_bytes(request, state).await?;
            let (upload, errors) = crate::api::HealthReportUpload::from_csv(&bytes);
            return Ok(HealthReportBody(upload, errors));
        }
        Err(ApiError::InvalidBody {
            message: "send the report as JSON {\"reports\": […]} or as text/csv".to_owned(),
            field: None,
        })
    }
}

/// Parses a JSON document, telling syntax errors (`malformed_json`) from documents of the wrong
/// shape (`invalid_body`, with the path of the offending field).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                ApiError::MalformedJson(inner.to_string())
            }
            serde_json::error::Category::Data | serde_json::error::Category::Io => {
                shape_error(&path, &inner)
            }
        }
    })?;
    deserializer
        .end()
        .map_err(|error| ApiError::MalformedJson(error.to_string()))?;
    Ok(value)
}

/// A document of the wrong shape, at `path` (`.` for the whole document): the field it is
/// about, which for a missing field is the missing one.
pub(crate) fn shape_error(path: &str, error: &serde_json::Error) -> ApiError {
    let parent = (path != ".").then_some(path);
    let text = error.to_string();
    // serde_json says "missing field `name` at line …"; the field to fix is the missing one.
    let missing = text
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name);
    let field = match (parent, missing) {
        (Some(parent), Some(name)) => Some(format!("{parent}.{name}")),
        (None, Some(name)) => Some(name.to_owned()),
        (parent, None) => parent.map(str::to_owned),
    };
    let message = match (&field, missing) {
        (Some(field), Some(_)) => format!("{field}: is required"),
        (Some(field), None) => format!("{field}: {error}"),
        (None, _) => text,
    };
    ApiError::InvalidBody { message, field }
}

fn has_json_content_type(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Query parameters; a query that does not deserialize is answered 400 `invalid_body`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Query<T>, ApiError> {
        axum::extract::Query::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|rejection| ApiError::InvalidBody {
                message: rejection.body_text(),
                field: None,
            })
    }
}

/// The caller, as established by the authorization middleware: `Actor::Public` on public
/// endpoints, the token's holder on the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Caller, ApiError> {
        parts
            .extensions
            .get::<Caller>()
            .copied()
            .ok_or_else(|| ApiError::internal("a handler ran without the authorization middleware"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Sample {
        items: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Item {
        count: u32,
    }

    #[test]
    fn syntax_errors_and_shape_errors_are_told_apart() {
        let syntax = parse_json::<Sample>(b"{\"items\": [").unwrap_err();
        assert_eq!(syntax.code(), "malformed_json");
        let shape =
            parse_json::<Sample>(br#"{"items": [{"count": 1}, {"count": "two"}]}"#).unwrap_err();
        assert_eq!(shape.code(), "invalid_body");
        assert_eq!(shape.field().as_deref(), Some("items[1].count"));
        let missing = parse_json::<Sample>(br#"{"items": [{}]}"#).unwrap_err();
        assert_eq!(missing.field().as_deref(), Some("items[0].count"));
        assert_eq!(missing.to_string(), "items[0].count: is required");
        let missing = parse_json::<Sample>(br#"{}"#).unwrap_err();
        assert_eq!(missing.field().as_deref(), Some("items"));
        let trailing = parse_json::<Sample>(br#"{"items": []} x"#).unwrap_err();
        assert_eq!(trailing.code(), "malformed_json");
    }

    #[test]
    fn json_content_types_include_parameters_and_suffixes() {
        let mut headers = HeaderMap::new();
        assert!(!has_json_content_type(&headers));
        headers.insert(
            CONTENT_TYPE,
            "application/json; charset=utf-8".parse().unwrap(),
        );
        assert!(has_json_content_type(&headers));
        headers.insert(CONTENT_TYPE, "application/problem+json".parse().unwrap());
        assert!(has_json_content_type(&headers));
        headers.insert(CONTENT_TYPE, "text/plain".parse().unwrap());
        assert!(!has_json_content_type(&headers));
    }
}
