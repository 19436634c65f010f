//! The style sheet and scripts of the pages, compiled into the binary and served from
//! `/assets/`. Scripts are small and depend on nothing; the pages work without them except
//! where the browser must act (the refreshing pass, the camera, offline checks).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::{App, Router};

/// Every asset: its name, its media type and its content.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/app.css"),
    ),
    (
        "pass.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/pass.js"),
    ),
    (
        "checkpoint.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/checkpoint.js"),
    ),
];

pub(super) fn routes() -> Router<App> {
    Router::new().route("/assets/{name}", get(asset))
}

async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(asset, _, _)| *asset == name) {
        Some((_, media_type, content)) => (
            [
                (CONTENT_TYPE, *media_type),
                (CACHE_CONTROL, "public, max-age=300"),
            ],
            *content,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
