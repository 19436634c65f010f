//! Pages of the employer audience.

use crate::{App, Router};

pub(super) fn routes() -> Router<App> {
    Router::new()
}

/// Texts of these pages, in Simplified Chinese.
pub(super) const ZH: &[(&str, &str)] = &[];
