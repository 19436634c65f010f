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
        description = "Health codes for an epidemic: enrolment, declarations, venues, check-ins \
                       and an audit log of every access to personal data."
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
    ),
    modifiers(&BearerTokens),
    tags(
        (name = "operations", description = "Probes, metrics and this document."),
        (name = "residents", description = "Enrolment, a resident's own data, and officials' reads."),
        (name = "venues", description = "Venue registration and posters."),
        (name = "check-ins", description = "Visits, one at a time or in batches."),
        (name = "audit", description = "The tamper-evident log of every access to personal data."),
        (name = "staff", description = "Staff sign-in and accounts."),
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
