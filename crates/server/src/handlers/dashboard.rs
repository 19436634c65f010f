//! The handler of the officials' dashboard. Thin, like the others.

use axum::extract::State;

use crate::api::{DashboardParams, DashboardView, ErrorBody};
use crate::endpoints::Endpoint;
use crate::error::ApiError;
use crate::extract::{Caller, Json, Query};
use crate::{App, dashboard_service};

#[utoipa::path(get, path = "/v1/dashboard", tag = "tracing", security(("bearer" = [])),
    params(DashboardParams),
    responses(
        (status = 200, description = "Counts only: residents by district and current colour, each day's colours, cases registered and contacts found, the appeals waiting and the median time to a decision. Audited once, without a subject, because counting by district opens the residents' ID numbers.", body = DashboardView),
        (status = 400, description = "`days` is not a whole number from 1 to 60.", body = ErrorBody)))]
pub(crate) async fn read_dashboard(
    State(app): State<App>,
    caller: Caller,
    Query(params): Query<DashboardParams>,
) -> Result<Json<DashboardView>, ApiError> {
    let days = params.days()?;
    let access = app.access(caller, Endpoint::ReadDashboard);
    let policies = app.policies.clone();
    let view = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            let dashboard = dashboard_service::dashboard(store, &access, &policy, days)?;
            Ok(DashboardView::new(&dashboard, policy.utc_offset))
        })
        .await?;
    Ok(Json(view))
}
