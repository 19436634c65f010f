//! The table of endpoints: for each, its method, path, who may call it and which personal data
//! it touches.
//!
//! This is the only place that says who may do what. The router, the authorization middleware,
//! the OpenAPI test and the endpoint × role test are all driven by [`Endpoint::ALL`]; a handler
//! never checks a role itself.

use axum::http::Method;
use healthcode_core::{AuditAction, Purpose, Role};

/// Every endpoint of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    Health,
    Ready,
    Metrics,
    OpenApi,
    CreateSession,
    EnrolResident,
    ReadOwnProfile,
    RecordDeclaration,
    ListOwnDeclarations,
    ListOwnCheckIns,
    RegisterVenue,
    ReadVenue,
    RecordCheckIn,
    IngestCheckIns,
    ReadResident,
    ReadAuditLog,
    VerifyAuditChain,
    CreateStaffAccount,
    ReadOwnStatus,
    ListOwnRatings,
    FileAppeal,
    ListOwnAppeals,
    ReadPersonStatus,
    SetOverride,
    ReadAppealQueue,
    DecideAppeal,
    ReadRegionRiskList,
    ReadRegionRiskListVersion,
    PublishRegionRiskList,
    UploadPolicy,
    ListPolicies,
    ReadPolicy,
    DiffPolicies,
    ActivatePolicy,
    RollbackPolicy,
    IngestLabResults,
    IngestPharmacyPurchases,
    IngestHealthReports,
    RegisterCase,
    ReleaseCase,
    TraceCase,
    ListCaseContacts,
    DismissContact,
    IngestBoardings,
    IssueConsent,
    ListOwnConsents,
    RevokeConsent,
    CheckCloseContact,
    RecordFollowUpCheck,
    ListMissedFollowUpChecks,
    RegisterCells,
    IngestCellPings,
    ReadOwnItinerary,
    CreateProximitySearch,
    ReadProximitySearch,
    ReviewProximityCandidate,
    RegisterHouseholds,
    IssueOwnPass,
    ScanPass,
    ReadTrustList,
    ReadTrustAnchor,
    ReadVenuePoster,
    CheckInAtVenue,
    ReadOwnAccessLog,
    ReadVenueCheckInCounts,
    ReadDashboard,
}

/// Who may call an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allowed {
    /// Anyone, signed in or not.
    Public,
    /// Only callers signed in with one of these roles.
    Roles(&'static [Role]),
}

impl Allowed {
    /// Whether a caller acting in `role` (`None`: not signed in) may call the endpoint.
    pub fn permits(self, role: Option<Role>) -> bool {
        match self {
            Allowed::Public => true,
            Allowed::Roles(roles) => role.is_some_and(|role| roles.contains(&role)),
        }
    }
}

/// The personal data an endpoint touches: the audited action and the purpose it serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PersonalData {
    pub action: AuditAction,
    pub purpose: Purpose,
}

const fn personal(action: AuditAction, purpose: Purpose) -> Option<PersonalData> {
    Some(PersonalData { action, purpose })
}

impl Endpoint {
    pub const ALL: [Endpoint; 66] = [
        Endpoint::Health,
        Endpoint::Ready,
        Endpoint::Metrics,
        Endpoint::OpenApi,
        Endpoint::CreateSession,
        Endpoint::EnrolResident,
        Endpoint::ReadOwnProfile,
        Endpoint::RecordDeclaration,
        Endpoint::ListOwnDeclarations,
        Endpoint::ListOwnCheckIns,
        Endpoint::RegisterVenue,
        Endpoint::ReadVenue,
        Endpoint::RecordCheckIn,
        Endpoint::IngestCheckIns,
        Endpoint::ReadResident,
        Endpoint::ReadAuditLog,
        Endpoint::VerifyAuditChain,
        Endpoint::CreateStaffAccount,
        Endpoint::ReadOwnStatus,
        Endpoint::ListOwnRatings,
        Endpoint::FileAppeal,
        Endpoint::ListOwnAppeals,
        Endpoint::ReadPersonStatus,
        Endpoint::SetOverride,
        Endpoint::ReadAppealQueue,
        Endpoint::DecideAppeal,
        Endpoint::ReadRegionRiskList,
        Endpoint::ReadRegionRiskListVersion,
        Endpoint::PublishRegionRiskList,
        Endpoint::UploadPolicy,
        Endpoint::ListPolicies,
        Endpoint::ReadPolicy,
        Endpoint::DiffPolicies,
        Endpoint::ActivatePolicy,
        Endpoint::RollbackPolicy,
        Endpoint::IngestLabResults,
        Endpoint::IngestPharmacyPurchases,
        Endpoint::IngestHealthReports,
        Endpoint::RegisterCase,
        Endpoint::ReleaseCase,
        Endpoint::TraceCase,
        Endpoint::ListCaseContacts,
        Endpoint::DismissContact,
        Endpoint::IngestBoardings,
        Endpoint::IssueConsent,
        Endpoint::ListOwnConsents,
        Endpoint::RevokeConsent,
        Endpoint::CheckCloseContact,
        Endpoint::RecordFollowUpCheck,
        Endpoint::ListMissedFollowUpChecks,
        Endpoint::RegisterCells,
        Endpoint::IngestCellPings,
        Endpoint::ReadOwnItinerary,
        Endpoint::CreateProximitySearch,
        Endpoint::ReadProximitySearch,
        Endpoint::ReviewProximityCandidate,
        Endpoint::RegisterHouseholds,
        Endpoint::IssueOwnPass,
        Endpoint::ScanPass,
        Endpoint::ReadTrustList,
        Endpoint::ReadTrustAnchor,
        Endpoint::ReadVenuePoster,
        Endpoint::CheckInAtVenue,
        Endpoint::ReadOwnAccessLog,
        Endpoint::ReadVenueCheckInCounts,
        Endpoint::ReadDashboard,
    ];

    pub fn method(self) -> Method {
        match self {
            Endpoint::CreateSession
            | Endpoint::EnrolResident
            | Endpoint::RecordDeclaration
            | Endpoint::RegisterVenue
            | Endpoint::RecordCheckIn
            | Endpoint::IngestCheckIns
            | Endpoint::CreateStaffAccount
            | Endpoint::FileAppeal
            | Endpoint::SetOverride
            | Endpoint::DecideAppeal
            | Endpoint::UploadPolicy
            | Endpoint::DiffPolicies
            | Endpoint::ActivatePolicy
            | Endpoint::RollbackPolicy
            | Endpoint::IngestLabResults
            | Endpoint::IngestPharmacyPurchases
            | Endpoint::IngestHealthReports
            | Endpoint::RegisterCase
            | Endpoint::ReleaseCase
            | Endpoint::TraceCase
            | Endpoint::DismissContact
            | Endpoint::IngestBoardings
            | Endpoint::IssueConsent
            | Endpoint::CheckCloseContact
            | Endpoint::RecordFollowUpCheck
            | Endpoint::RegisterCells
            | Endpoint::IngestCellPings
            | Endpoint::CreateProximitySearch
            | Endpoint::ReviewProximityCandidate
            | Endpoint::RegisterHouseholds
            | Endpoint::ScanPass
            | Endpoint::CheckInAtVenue => Method::POST,
            Endpoint::RevokeConsent => Method::DELETE,
            // A new version of the one list in force replaces it.
            Endpoint::PublishRegionRiskList => Method::PUT,
            Endpoint::Health
            | Endpoint::Ready
            | Endpoint::Metrics
            | Endpoint::OpenApi
            | Endpoint::ReadOwnProfile
            | Endpoint::ListOwnDeclarations
            | Endpoint::ListOwnCheckIns
            | Endpoint::ReadVenue
            | Endpoint::ReadResident
            | Endpoint::ReadAuditLog
            | Endpoint::VerifyAuditChain
            | Endpoint::ReadOwnStatus
            | Endpoint::ListOwnRatings
            | Endpoint::ListOwnAppeals
            | Endpoint::ReadPersonStatus
            | Endpoint::ReadAppealQueue
            | Endpoint::ReadRegionRiskList
            | Endpoint::ReadRegionRiskListVersion
            | Endpoint::ListPolicies
            | Endpoint::ReadPolicy
            | Endpoint::ListCaseContacts
            | Endpoint::ListOwnConsents
            | Endpoint::ListMissedFollowUpChecks
            | Endpoint::ReadOwnItinerary
            | Endpoint::ReadProximitySearch
            | Endpoint::IssueOwnPass
            | Endpoint::ReadTrustList
            | Endpoint::ReadTrustAnchor
            | Endpoint::ReadVenuePoster
            | Endpoint::ReadOwnAccessLog
            | Endpoint::ReadVenueCheckInCounts => Method::GET,
            Endpoint::ReadDashboard => Method::GET,
        }
    }

    /// The path template, in the `{parameter}` syntax shared by axum and OpenAPI.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Health => "/healthz",
            Endpoint::Ready => "/readyz",
            Endpoint::Metrics => "/metrics",
            Endpoint::OpenApi => "/openapi.json",
            Endpoint::CreateSession => "/v1/sessions",
            Endpoint::EnrolResident => "/v1/residents",
            Endpoint::ReadOwnProfile => "/v1/me",
            Endpoint::RecordDeclaration | Endpoint::ListOwnDeclarations => "/v1/me/declarations",
            Endpoint::ListOwnCheckIns | Endpoint::CheckInAtVenue => "/v1/me/check-ins",
            Endpoint::RegisterVenue => "/v1/venues",
            Endpoint::ReadVenue => "/v1/venues/{venue_id}",
            Endpoint::ReadVenuePoster => "/v1/venues/{venue_id}/poster",
            Endpoint::ReadVenueCheckInCounts => "/v1/venues/{venue_id}/check-in-counts",
            Endpoint::RecordCheckIn => "/v1/check-ins",
            Endpoint::IngestCheckIns => "/v1/check-ins/batch",
            Endpoint::ReadResident => "/v1/residents/{person_id}",
            Endpoint::ReadAuditLog => "/v1/audit",
            Endpoint::VerifyAuditChain => "/v1/audit/verify",
            Endpoint::CreateStaffAccount => "/v1/staff",
            Endpoint::ReadOwnStatus => "/v1/me/status",
            Endpoint::ListOwnRatings => "/v1/me/ratings",
            Endpoint::FileAppeal | Endpoint::ListOwnAppeals => "/v1/me/appeals",
            Endpoint::ReadPersonStatus => "/v1/people/{person_id}/status",
            Endpoint::SetOverride => "/v1/people/{person_id}/overrides",
            Endpoint::ReadAppealQueue => "/v1/appeals/queue",
            Endpoint::DecideAppeal => "/v1/appeals/{appeal_id}/decision",
            Endpoint::ReadRegionRiskList | Endpoint::PublishRegionRiskList => "/v1/region-risk",
            Endpoint::ReadRegionRiskListVersion => "/v1/region-risk/{version}",
            Endpoint::UploadPolicy | Endpoint::ListPolicies => "/v1/policies",
            Endpoint::ReadPolicy => "/v1/policies/{version}",
            Endpoint::DiffPolicies => "/v1/policies/diff",
            Endpoint::ActivatePolicy => "/v1/policies/{version}/activate",
            Endpoint::RollbackPolicy => "/v1/policies/rollback",
            Endpoint::IngestLabResults => "/v1/lab/results",
            Endpoint::IngestPharmacyPurchases => "/v1/pharmacy/purchases",
            Endpoint::IngestHealthReports => "/v1/health-reports",
            Endpoint::RegisterCase => "/v1/cases",
            Endpoint::ReleaseCase => "/v1/cases/{case_id}/release",
            Endpoint::TraceCase => "/v1/cases/{case_id}/trace",
            Endpoint::ListCaseContacts => "/v1/cases/{case_id}/contacts",
            Endpoint::DismissContact => "/v1/contacts/{contact_id}/dismissal",
            Endpoint::IngestBoardings => "/v1/transit/boardings",
            Endpoint::RegisterHouseholds => "/v1/households",
            Endpoint::IssueConsent | Endpoint::ListOwnConsents => "/v1/me/consents",
            Endpoint::RevokeConsent => "/v1/me/consents/{consent_id}",
            Endpoint::CheckCloseContact => "/v1/employer/close-contact-checks",
            Endpoint::RecordFollowUpCheck => "/v1/follow-up/checks",
            Endpoint::ListMissedFollowUpChecks => "/v1/follow-up/missed",
            Endpoint::RegisterCells => "/v1/cells",
            Endpoint::IngestCellPings => "/v1/cell-pings",
            Endpoint::ReadOwnItinerary => "/v1/me/itinerary",
            Endpoint::CreateProximitySearch => "/v1/proximity-searches",
            Endpoint::ReadProximitySearch => "/v1/proximity-searches/{search_id}",
            Endpoint::ReviewProximityCandidate => {
                "/v1/proximity-searches/{search_id}/candidates/{person_id}/review"
            }
            Endpoint::IssueOwnPass => "/v1/me/pass",
            Endpoint::ScanPass => "/v1/scans",
            Endpoint::ReadTrustList => "/.well-known/healthcode/trust-list",
            Endpoint::ReadTrustAnchor => "/.well-known/healthcode/anchor",
            Endpoint::ReadOwnAccessLog => "/v1/me/access-log",
            Endpoint::ReadDashboard => "/v1/dashboard",
        }
    }

    pub fn allowed(self) -> Allowed {
        use Role::*;
        match self {
            // Enrolment is public: a resident has no token before enrolling. A venue's poster
            // is public by nature.
            Endpoint::Health
            | Endpoint::Ready
            | Endpoint::Metrics
            | Endpoint::OpenApi
            | Endpoint::CreateSession
            | Endpoint::EnrolResident
            | Endpoint::ReadVenue
            | Endpoint::ReadVenuePoster
            // The region-risk list is published for everyone, as risk areas were announced.
            | Endpoint::ReadRegionRiskList
            | Endpoint::ReadRegionRiskListVersion
            // Other regions and offline checkpoints fetch the keys that verify passes.
            | Endpoint::ReadTrustList
            | Endpoint::ReadTrustAnchor => Allowed::Public,
            Endpoint::ReadOwnProfile
            | Endpoint::RecordDeclaration
            | Endpoint::ListOwnDeclarations
            | Endpoint::ListOwnCheckIns
            | Endpoint::ReadOwnStatus
            | Endpoint::ListOwnRatings
            | Endpoint::FileAppeal
            | Endpoint::ListOwnAppeals
            | Endpoint::ReadOwnItinerary
            | Endpoint::IssueConsent
            | Endpoint::ListOwnConsents
            | Endpoint::RevokeConsent
            | Endpoint::IssueOwnPass
            | Endpoint::CheckInAtVenue
            | Endpoint::ReadOwnAccessLog => Allowed::Roles(&[Resident]),
            Endpoint::RegisterVenue => Allowed::Roles(&[VenueOperator, Admin]),
            Endpoint::RecordCheckIn => Allowed::Roles(&[Resident, VenueOperator, CheckpointWorker]),
            Endpoint::IngestCheckIns | Endpoint::ScanPass => {
                Allowed::Roles(&[VenueOperator, CheckpointWorker])
            }
            Endpoint::ReadResident
            | Endpoint::ReadPersonStatus
            | Endpoint::SetOverride
            | Endpoint::ReadAppealQueue
            | Endpoint::DecideAppeal
            | Endpoint::PublishRegionRiskList
            | Endpoint::UploadPolicy
            | Endpoint::DiffPolicies
            | Endpoint::ActivatePolicy
            | Endpoint::RollbackPolicy
            | Endpoint::RegisterCase
            | Endpoint::ReleaseCase
            | Endpoint::TraceCase
            | Endpoint::ListCaseContacts
            | Endpoint::DismissContact
            | Endpoint::CreateProximitySearch
            | Endpoint::ReadProximitySearch
            | Endpoint::ReviewProximityCandidate => Allowed::Roles(&[HealthOfficial]),
            // Rules are reviewable: auditors read them as officials do.
            Endpoint::ListPolicies | Endpoint::ReadPolicy => {
                Allowed::Roles(&[HealthOfficial, Auditor])
            }
            Endpoint::IngestLabResults => Allowed::Roles(&[Laboratory]),
            Endpoint::IngestPharmacyPurchases => Allowed::Roles(&[Pharmacy]),
            Endpoint::IngestHealthReports => Allowed::Roles(&[Employer, CommunityWorker]),
            Endpoint::IngestBoardings => Allowed::Roles(&[TransitOperator]),
            // Communities keep the household registers; officials correct them in a case.
            Endpoint::RegisterHouseholds => Allowed::Roles(&[CommunityWorker, HealthOfficial]),
            Endpoint::RegisterCells | Endpoint::IngestCellPings => Allowed::Roles(&[PhoneNetwork]),
            // Only with the employee's consent, which the store checks.
            Endpoint::CheckCloseContact => Allowed::Roles(&[Employer]),
            Endpoint::RecordFollowUpCheck => Allowed::Roles(&[CommunityWorker]),
            // Workers visit the residents on the list; officials watch that nobody is left out.
            Endpoint::ListMissedFollowUpChecks => {
                Allowed::Roles(&[CommunityWorker, HealthOfficial])
            }
            Endpoint::ReadAuditLog | Endpoint::VerifyAuditChain => Allowed::Roles(&[Auditor]),
            Endpoint::CreateStaffAccount => Allowed::Roles(&[Admin]),
            // Operators watch how busy their venues are; officials how busy any venue is. The
            // store does not record who registered a venue, so any operator reads any venue's.
            Endpoint::ReadVenueCheckInCounts => Allowed::Roles(&[VenueOperator, HealthOfficial]),
            Endpoint::ReadDashboard => Allowed::Roles(&[HealthOfficial]),
        }
    }

    /// The personal data the endpoint touches, if any. A refused attempt at such an endpoint is
    /// recorded in the audit log as denied.
    pub fn personal_data(self) -> Option<PersonalData> {
        match self {
            Endpoint::EnrolResident => personal(AuditAction::EnrolPerson, Purpose::Enrolment),
            Endpoint::ReadOwnProfile => personal(AuditAction::ReadPerson, Purpose::SelfService),
            Endpoint::RecordDeclaration => {
                personal(AuditAction::RecordDeclaration, Purpose::HealthDeclaration)
            }
            Endpoint::ListOwnDeclarations => {
                personal(AuditAction::ReadDeclarations, Purpose::SelfService)
            }
            Endpoint::ListOwnCheckIns => personal(AuditAction::ReadCheckIns, Purpose::SelfService),
            Endpoint::RecordCheckIn => personal(AuditAction::RecordCheckIn, Purpose::VisitLogging),
            Endpoint::IngestCheckIns => personal(AuditAction::IngestCheckIns, Purpose::BulkImport),
            // The purpose of a health official's read is named by the caller; this is the one
            // the endpoint accepts.
            Endpoint::ReadResident => personal(AuditAction::ReadPerson, Purpose::CaseInvestigation),
            Endpoint::ReadAuditLog => personal(AuditAction::ReadAuditLog, Purpose::AuditReview),
            // Asking for a status works the colour out from the facts, and records it.
            Endpoint::ReadOwnStatus | Endpoint::ReadPersonStatus => {
                personal(AuditAction::ReadFacts, Purpose::Rating)
            }
            Endpoint::ListOwnRatings => personal(AuditAction::ReadRatings, Purpose::SelfService),
            Endpoint::FileAppeal => personal(AuditAction::FileAppeal, Purpose::AppealReview),
            Endpoint::ListOwnAppeals => personal(AuditAction::ReadAppeals, Purpose::SelfService),
            Endpoint::SetOverride => personal(AuditAction::SetOverride, Purpose::AppealReview),
            Endpoint::ReadAppealQueue => personal(AuditAction::ReadAppeals, Purpose::AppealReview),
            Endpoint::DecideAppeal => personal(AuditAction::DecideAppeal, Purpose::AppealReview),
            // Publishing a list or activating a policy re-rates every resident.
            Endpoint::PublishRegionRiskList => {
                personal(AuditAction::PublishRegionRiskList, Purpose::Rating)
            }
            Endpoint::ActivatePolicy | Endpoint::RollbackPolicy => {
                personal(AuditAction::ActivatePolicy, Purpose::Rating)
            }
            Endpoint::DiffPolicies => personal(AuditAction::ReadFacts, Purpose::PolicyEvaluation),
            Endpoint::IngestLabResults => {
                personal(AuditAction::RecordTestResults, Purpose::LaboratoryReport)
            }
            Endpoint::IngestPharmacyPurchases => {
                personal(AuditAction::RecordPharmacyPurchases, Purpose::PharmacyReport)
            }
            Endpoint::IngestHealthReports => {
                personal(AuditAction::RecordHealthReports, Purpose::HealthReport)
            }
            Endpoint::RegisterCase => {
                personal(AuditAction::RecordCase, Purpose::CaseInvestigation)
            }
            Endpoint::ReleaseCase => {
                personal(AuditAction::ReleaseCase, Purpose::CaseInvestigation)
            }
            Endpoint::TraceCase => personal(AuditAction::TraceCase, Purpose::CaseInvestigation),
            Endpoint::ListCaseContacts => {
                personal(AuditAction::ReadContacts, Purpose::CaseInvestigation)
            }
            Endpoint::DismissContact => {
                personal(AuditAction::DismissContact, Purpose::CaseInvestigation)
            }
            Endpoint::IngestBoardings => {
                personal(AuditAction::RecordBoardings, Purpose::TransitReport)
            }
            // Households are registered so that cases can be traced to the people at home.
            Endpoint::RegisterHouseholds => {
                personal(AuditAction::RegisterHouseholds, Purpose::CaseInvestigation)
            }
            Endpoint::IssueConsent => personal(AuditAction::IssueConsent, Purpose::SelfService),
            Endpoint::ListOwnConsents => personal(AuditAction::ReadConsents, Purpose::SelfService),
            Endpoint::RevokeConsent => personal(AuditAction::RevokeConsent, Purpose::SelfService),
            Endpoint::CheckCloseContact => {
                personal(AuditAction::CheckCloseContact, Purpose::EmploymentCheck)
            }
            Endpoint::RecordFollowUpCheck => {
                personal(AuditAction::RecordFollowUpCheck, Purpose::QuarantineFollowUp)
            }
            Endpoint::ListMissedFollowUpChecks => {
                personal(AuditAction::ReadFollowUp, Purpose::QuarantineFollowUp)
            }
            // Cells are not personal data, but a network's registrations are audited under the
            // purpose of its pings, which they serve.
            Endpoint::RegisterCells => personal(AuditAction::RegisterCells, Purpose::PhoneData),
            Endpoint::IngestCellPings => personal(AuditAction::IngestCellPings, Purpose::PhoneData),
            Endpoint::ReadOwnItinerary => personal(AuditAction::ReadItinerary, Purpose::SelfService),
            // Reading a stored search reads its results again, under the search's purpose.
            Endpoint::CreateProximitySearch | Endpoint::ReadProximitySearch => {
                personal(AuditAction::SearchProximity, Purpose::CaseInvestigation)
            }
            Endpoint::ReviewProximityCandidate => personal(
                AuditAction::ReviewProximityCandidate,
                Purpose::CaseInvestigation,
            ),
            // Issuing reads the resident, their facts and their ratings.
            Endpoint::IssueOwnPass => personal(AuditAction::ReadPerson, Purpose::PassIssuance),
            // A scan finds the holder of the rating the pass shows and logs their visit.
            Endpoint::ScanPass | Endpoint::CheckInAtVenue => {
                personal(AuditAction::RecordCheckIn, Purpose::VisitLogging)
            }
            // A resident reads the audit records about themselves: who touched their data, why.
            Endpoint::ReadOwnAccessLog => personal(AuditAction::ReadAuditLog, Purpose::SelfService),
            Endpoint::Health
            | Endpoint::Ready
            | Endpoint::Metrics
            | Endpoint::OpenApi
            | Endpoint::CreateSession
            | Endpoint::ReadTrustList
            | Endpoint::ReadTrustAnchor
            | Endpoint::ReadVenuePoster
            | Endpoint::RegisterVenue
            | Endpoint::ReadVenue
            | Endpoint::CreateStaffAccount
            | Endpoint::ReadRegionRiskList
            | Endpoint::ReadRegionRiskListVersion
            // Policy files hold rules, not personal data.
            | Endpoint::UploadPolicy
            | Endpoint::ListPolicies
            | Endpoint::ReadPolicy
            // Verifying recomputes hashes and answers with counts: no record is shown.
            | Endpoint::VerifyAuditChain
            // Counts of check-ins per hour name nobody.
            | Endpoint::ReadVenueCheckInCounts => None,
            // Counts only, but counting by district opens every rated resident's ID number.
            Endpoint::ReadDashboard => {
                personal(AuditAction::ReadRatings, Purpose::CaseInvestigation)
            }
        }
    }

    /// The purpose under which the endpoint touches personal data.
    ///
    /// # Panics
    ///
    /// For an endpoint that touches no personal data: a handler asking for one is a bug.
    pub fn purpose(self) -> Purpose {
        self.personal_data()
            .map(|data| data.purpose)
            .expect("the endpoint touches personal data")
    }

    /// Whether the endpoint takes large bodies, batches or photos (and so gets the batch body
    /// limit).
    pub fn takes_large_bodies(self) -> bool {
        matches!(
            self,
            Endpoint::ScanPass
                | Endpoint::IngestCheckIns
                | Endpoint::IngestLabResults
                | Endpoint::IngestPharmacyPurchases
                | Endpoint::IngestHealthReports
                | Endpoint::IngestBoardings
                | Endpoint::RegisterHouseholds
                | Endpoint::RegisterCells
                | Endpoint::IngestCellPings
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_endpoints_share_a_method_and_path() {
        let mut seen = std::collections::HashSet::new();
        for endpoint in Endpoint::ALL {
            assert!(
                seen.insert((endpoint.method(), endpoint.path())),
                "{endpoint:?}"
            );
        }
    }

    #[test]
    fn every_endpoint_that_needs_a_role_names_at_least_one() {
        for endpoint in Endpoint::ALL {
            if let Allowed::Roles(roles) = endpoint.allowed() {
                assert!(!roles.is_empty(), "{endpoint:?}");
            }
        }
    }

    #[test]
    fn endpoints_restricted_to_roles_that_touch_personal_data_are_audited_when_refused() {
        for endpoint in [
            Endpoint::ReadResident,
            Endpoint::ReadOwnProfile,
            Endpoint::IngestCheckIns,
        ] {
            assert!(endpoint.personal_data().is_some(), "{endpoint:?}");
        }
        assert!(!Allowed::Roles(&[Role::Auditor]).permits(None));
        assert!(Allowed::Public.permits(None));
    }
}
