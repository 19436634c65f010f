//! `/official`: the dashboard. Counts only, from the store's dashboard query, as
//! `GET /v1/dashboard` answers them; charts drawn on the server with a table of their numbers.

use askama::Template;
use axum::extract::{Query, State};
use axum::routing::get;
use serde::Deserialize;

use super::charts::{self, Series};
use crate::api::{ColourCountsView, DashboardParams, DashboardView};
use crate::endpoints::Endpoint;
use crate::web::{Chrome, Lang, PageResult, Session, render};
use crate::{App, Router, dashboard_service};

/// Green, yellow and red as three series, one value per group of `counts`.
fn colour_series<'a>(
    lang: Lang,
    counts: impl Iterator<Item = &'a ColourCountsView> + Clone,
) -> [Series<'static>; 3] {
    let values = |colour: fn(&ColourCountsView) -> u64| counts.clone().map(colour).collect();
    [
        Series {
            name: lang.t("Green"),
            fill: charts::GREEN,
            values: values(|counts| counts.green),
        },
        Series {
            name: lang.t("Yellow"),
            fill: charts::YELLOW,
            values: values(|counts| counts.yellow),
        },
        Series {
            name: lang.t("Red"),
            fill: charts::RED,
            values: values(|counts| counts.red),
        },
    ]
}

pub(super) fn routes() -> Router<App> {
    Router::new().route("/official", get(dashboard))
}

#[derive(Template)]
#[template(path = "official/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    view: DashboardView,
    days: u32,
    not_rated: u64,
    median: Option<(i64, &'static str)>,
    colours_chart: String,
    cases_chart: String,
    districts_chart: String,
}

#[derive(Debug, Deserialize)]
struct DaysQuery {
    days: Option<String>,
}

async fn dashboard(
    State(app): State<App>,
    session: Session,
    Query(query): Query<DaysQuery>,
) -> PageResult {
    let days = DashboardParams { days: query.days }.days()?;
    let access = session.allow(Endpoint::ReadDashboard, None).await?;
    let policies = app.policies.clone();
    let view = app
        .run(move |store| {
            let policy = policies.active(store, access.at)?;
            let dashboard = dashboard_service::dashboard(store, &access, &policy, days)?;
            Ok(DashboardView::new(&dashboard, policy.utc_offset))
        })
        .await?;
    let lang = session.lang;
    let labels: Vec<String> = view
        .days
        .iter()
        .map(|day| day.day.strftime("%m-%d").to_string())
        .collect();
    let colours_chart = charts::bar_chart(
        "colours-over-time",
        lang.t("Colours over time"),
        lang.t("Residents at the end of each day, by the colour of their latest rating."),
        &labels,
        &colour_series(lang, view.days.iter().map(|day| &day.colours)),
        true,
    );
    let cases_chart = charts::bar_chart(
        "cases-per-day",
        lang.t("New cases and contacts per day"),
        lang.t("New cases and contacts per day"),
        &labels,
        &[
            Series {
                name: lang.t("Cases"),
                fill: charts::RED,
                values: view.days.iter().map(|day| day.cases).collect(),
            },
            Series {
                name: lang.t("Close contacts"),
                fill: charts::BLUE,
                values: view.days.iter().map(|day| day.close_contacts).collect(),
            },
            Series {
                name: lang.t("Secondary contacts"),
                fill: charts::GREY,
                values: view.days.iter().map(|day| day.secondary_contacts).collect(),
            },
        ],
        false,
    );
    let district_labels: Vec<String> = view
        .districts
        .iter()
        .map(|district| district.district.clone())
        .collect();
    let districts_chart = charts::bar_chart(
        "colours-by-district",
        lang.t("Colours by district"),
        lang.t("District: the region code of the residents' ID numbers."),
        &district_labels,
        &colour_series(
            lang,
            view.districts.iter().map(|district| &district.colours),
        ),
        true,
    );
    let rated = view.colours.green + view.colours.yellow + view.colours.red;
    let median = view.median_minutes_to_decision.map(|minutes| {
        if minutes >= 120 {
            (minutes / 60, "hours")
        } else {
            (minutes, "minutes")
        }
    });
    render(&DashboardPage {
        chrome: session.chrome("Dashboard"),
        not_rated: view.residents.saturating_sub(rated),
        days,
        median,
        colours_chart,
        cases_chart,
        districts_chart,
        view,
    })
}
