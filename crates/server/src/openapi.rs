//! The OpenAPI 3.1 description of the API, generated from the handlers' `#[utoipa::path]`
//! annotations. A test checks that its paths are exactly the endpoint table's.

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::handlers;

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "healthcode",
        description = "Health codes for an epidemic: enrolment, declarations, venues, check-ins, \
                       colours that explain themselves, appeals, overrides, policies as data, \
                       data feeds, contact tracing, phone-network itineraries and proximity \
                       searches, signed passes and checkpoint scans, employers' checks with consent, quarantine follow-up, and an \
                       audit log of every access to personal data."
    ),
    paths(
        handlers::health,
        handlers::ready,
        handlers::metrics,
        handlers::openapi,
        handlers::create_session,
        handlers::enrol_resident,
        handlers::read_own_profile,
        handlers::record_declaration,
        handlers::list_own_declarations,
        handlers::list_own_check_ins,
        handlers::register_venue,
        handlers::read_venue,
        handlers::record_check_in,
        handlers::ingest_check_ins,
        handlers::read_resident,
        handlers::read_audit_log,
        handlers::verify_audit_chain,
        handlers::create_staff_account,
        handlers::rating::read_own_status,
        handlers::rating::list_own_ratings,
        handlers::rating::file_appeal,
        handlers::rating::list_own_appeals,
        handlers::rating::read_person_status,
        handlers::rating::set_override,
        handlers::rating::read_appeal_queue,
        handlers::rating::decide_appeal,
        handlers::rating::read_region_risk_list,
        handlers::rating::read_region_risk_list_version,
        handlers::rating::publish_region_risk_list,
        handlers::rating::upload_policy,
        handlers::rating::list_policies,
        handlers::rating::read_policy,
        handlers::rating::diff_policies,
        handlers::rating::activate_policy,
        handlers::rating::rollback_policy,
        handlers::feeds::ingest_lab_results,
        handlers::feeds::ingest_pharmacy_purchases,
        handlers::feeds::ingest_health_reports,
        handlers::feeds::ingest_boardings,
        handlers::feeds::register_households,
        handlers::cases::register_case,
        handlers::cases::release_case,
        handlers::cases::trace_case,
        handlers::cases::list_case_contacts,
        handlers::cases::dismiss_contact,
        handlers::consent::issue_consent,
        handlers::consent::list_own_consents,
        handlers::consent::revoke_consent,
        handlers::consent::check_close_contact,
        handlers::follow_up::record_check,
        handlers::follow_up::list_missed_checks,
        handlers::phone::register_cells,
        handlers::phone::ingest_cell_pings,
        handlers::phone::read_own_itinerary,
        handlers::phone::create_proximity_search,
        handlers::phone::read_proximity_search,
        handlers::phone::review_proximity_candidate,
        handlers::pass::issue_own_pass,
        handlers::pass::scan_pass,
        handlers::pass::read_trust_list,
        handlers::pass::read_trust_anchor,
        handlers::pass::read_venue_poster,
        handlers::pass::check_in_at_venue,
        handlers::venue::read_venue_check_in_counts,
        handlers::read_own_access_log,
        handlers::dashboard::read_dashboard,
    ),
    modifiers(&BearerTokens),
    tags(
        (name = "operations", description = "Probes, metrics and this document."),
        (name = "residents", description = "Enrolment, a resident's own data, and officials' reads."),
        (name = "venues", description = "Venue registration and posters."),
        (name = "check-ins", description = "Visits, one at a time or in batches."),
        (name = "audit", description = "The tamper-evident log of every access to personal data."),
        (name = "staff", description = "Staff sign-in and accounts."),
        (name = "ratings", description = "Colours with their reasons, evidence, next steps and history."),
        (name = "appeals", description = "Residents' appeals, officials' decisions and overrides."),
        (name = "region-risk", description = "The versioned list of risky regions."),
        (name = "policies", description = "Rule files: upload, compare on current data, activate, roll back."),
        (name = "feeds", description = "Laboratory results, pharmacy purchases, daily health reports and transit boardings."),
        (name = "tracing", description = "Cases, households, contact tracing with evidence, and dismissals."),
        (name = "consents", description = "Residents' consents to employers' close-contact checks, and the checks."),
        (name = "follow-up", description = "Daily checks of residents in isolation, and the checks missed."),
        (name = "phone-data", description = "Mobile networks' cells and pings, reduced to daily stays; the resident's 14-day itinerary."),
        (name = "passes", description = "Residents' signed passes, checkpoints' scans, and the region's trust list."),
        (name = "proximity", description = "Officials' proximity searches for an open case, whose candidates go to contact review."),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme the endpoints refer to.
struct BearerTokens;

impl Modify for BearerTokens {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}
