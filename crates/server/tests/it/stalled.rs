//! A store whose readiness check does not return until the test lets it: a request to
//! `/readyz` can then only end by the server's timeout, whatever the machine's speed.

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};

use std::collections::BTreeMap;

use healthcode_core::consent::{Consent, ConsentId};
use healthcode_core::follow_up::{FollowUpCheck, FollowUpDay};
use healthcode_core::phone::proximity::{
    CandidateReview, ProximitySearch, ProximitySearchId, ProximitySearchRecord,
};
use healthcode_core::rating::{
    Appeal, AppealDecision, AppealId, AppealRecord, CaseId, CaseRecord, Contact, ContactId, Facts,
    HealthReport, LatestRating, Override, PharmacyPurchase, PolicyVersion, Rating, RatingCause,
    RatingRecord, RegionRiskList, RiskLevel, TestResult,
};
use healthcode_core::trace::{ContactRecord, Traced, TracedContact, TracingPolicy};
use healthcode_core::{
    Access, Actor, AuditAction, AuditRecord, CheckIn, Declaration, Person, PersonId, RegionCode,
    ResidentId, StaffAccount, Timestamp, Username, Venue, VenueId,
};
use healthcode_core::{Boarding, HouseholdCode, Trip};
use healthcode_core::{Cell, CellId, CellPing, CityDay, Date};
use healthcode_store::{
    AuditChainReport, AuditQuery, CloseContactAnswer, CloseContactCheck, ConsentRecord, Enrolled,
    Enrolment, IngestReport, PassHolder, PhonePurgeReport, PingIngestReport, PolicyActivation,
    Store, StoreError, StoredPolicy, TokenGrant, TokenHash, Write,
};
use jiff::tz::Offset;

#[derive(Debug)]
pub struct StalledStore {
    /// Readiness checks wait here until the test drops the matching sender.
    release: Mutex<Receiver<()>>,
}

impl StalledStore {
    /// The store, and the sender whose drop lets its readiness checks return.
    pub fn new() -> (StalledStore, Sender<()>) {
        let (release, released) = channel();
        (
            StalledStore {
                release: Mutex::new(released),
            },
            release,
        )
    }
}

fn unused() -> StoreError {
    StoreError::Backend("the stalled store only answers readiness checks".into())
}

impl Store for StalledStore {
    fn check_ready(&self) -> Result<(), StoreError> {
        let released = self
            .release
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Nothing is ever sent: `recv` returns when the test drops the sender.
        let _ = released.recv();
        Ok(())
    }

    fn enrol(&self, _: &Access, _: &Enrolment) -> Result<Enrolled, StoreError> {
        Err(unused())
    }

    fn enrol_many(&self, _: &Access, _: &[Enrolment]) -> Result<IngestReport, StoreError> {
        Err(unused())
    }

    fn person(&self, _: &Access, _: PersonId) -> Result<Person, StoreError> {
        Err(unused())
    }

    fn find_person(&self, _: &Access, _: &ResidentId) -> Result<Option<PersonId>, StoreError> {
        Err(unused())
    }

    fn record_declaration(&self, _: &Access, _: &Declaration) -> Result<Write, StoreError> {
        Err(unused())
    }

    fn declarations_of(&self, _: &Access, _: PersonId) -> Result<Vec<Declaration>, StoreError> {
        Err(unused())
    }

    fn register_venue(&self, _: &Venue) -> Result<Write, StoreError> {
        Err(unused())
    }

    fn venue(&self, _: VenueId) -> Result<Option<Venue>, StoreError> {
        Err(unused())
    }

    fn venue_check_in_counts(
        &self,
        _: VenueId,
        _: Timestamp,
        _: u32,
    ) -> Result<Vec<u64>, StoreError> {
        Err(unused())
    }

    fn record_check_in(&self, _: &Access, _: &CheckIn) -> Result<Write, StoreError> {
        Err(unused())
    }

    fn ingest_check_ins(&self, _: &Access, _: &[CheckIn]) -> Result<IngestReport, StoreError> {
        Err(unused())
    }

    fn check_ins_of(&self, _: &Access, _: PersonId) -> Result<Vec<CheckIn>, StoreError> {
        Err(unused())
    }

    fn record_denied(
        &self,
        _: &Access,
        _: AuditAction,
        _: Option<PersonId>,
    ) -> Result<(), StoreError> {
        Err(unused())
    }

    fn audit_log(&self, _: &Access, _: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        Err(unused())
    }

    fn verify_audit_chain(&self) -> Result<AuditChainReport, StoreError> {
        Err(unused())
    }

    fn create_staff_account(&self, _: &StaffAccount) -> Result<(), StoreError> {
        Err(unused())
    }

    fn staff_account(&self, _: &Username) -> Result<Option<StaffAccount>, StoreError> {
        Err(unused())
    }

    fn grant_token(&self, _: &TokenGrant) -> Result<(), StoreError> {
        Err(unused())
    }

    fn token_holder(&self, _: &TokenHash, _: Timestamp) -> Result<Option<Actor>, StoreError> {
        Err(unused())
    }

    fn revoke_staff_token(&self, _: &TokenHash) -> Result<bool, StoreError> {
        Err(unused())
    }

    fn find_people(
        &self,
        _: &Access,
        _: &[ResidentId],
    ) -> Result<Vec<Option<PersonId>>, StoreError> {
        Err(unused())
    }

    fn ingest_test_results(
        &self,
        _: &Access,
        _: &[(PersonId, TestResult)],
    ) -> Result<IngestReport, StoreError> {
        Err(unused())
    }

    fn ingest_pharmacy_purchases(
        &self,
        _: &Access,
        _: &[(PersonId, PharmacyPurchase)],
    ) -> Result<IngestReport, StoreError> {
        Err(unused())
    }

    fn ingest_health_reports(
        &self,
        _: &Access,
        _: &[(PersonId, HealthReport)],
    ) -> Result<IngestReport, StoreError> {
        Err(unused())
    }

    fn record_case(&self, _: &Access, _: PersonId, _: &CaseRecord) -> Result<Write, StoreError> {
        Err(unused())
    }

    fn release_case(&self, _: &Access, _: CaseId) -> Result<PersonId, StoreError> {
        Err(unused())
    }

    fn record_contact(&self, _: &Access, _: PersonId, _: &Contact) -> Result<Write, StoreError> {
        Err(unused())
    }

    fn facts_of(&self, _: &Access, _: PersonId) -> Result<Facts, StoreError> {
        Err(unused())
    }

    fn facts_of_people(&self, _: &Access, _: &[PersonId]) -> Result<Vec<Facts>, StoreError> {
        Err(unused())
    }

    fn for_each_facts(
        &self,
        _: &Access,
        _: &mut dyn FnMut(PersonId, Facts, Option<LatestRating>),
    ) -> Result<u64, StoreError> {
        Err(unused())
    }

    fn publish_region_risk_list(
        &self,
        _: &Access,
        _: &BTreeMap<RegionCode, RiskLevel>,
    ) -> Result<RegionRiskList, StoreError> {
        Err(unused())
    }

    fn region_risk_list(&self, _: Option<u32>) -> Result<Option<RegionRiskList>, StoreError> {
        Err(unused())
    }

    fn store_policy(&self, _: &Access, _: &PolicyVersion, _: &str) -> Result<Write, StoreError> {
        Err(unused())
    }

    fn policy_source(&self, _: &PolicyVersion) -> Result<Option<String>, StoreError> {
        Err(unused())
    }

    fn policies(&self) -> Result<Vec<StoredPolicy>, StoreError> {
        Err(unused())
    }

    fn activate_policy(&self, _: &Access, _: &PolicyVersion) -> Result<(), StoreError> {
        Err(unused())
    }

    fn policy_activations(&self) -> Result<Vec<PolicyActivation>, StoreError> {
        Err(unused())
    }

    fn record_rating(
        &self,
        _: &Access,
        _: PersonId,
        _: &Rating,
        _: &RatingCause,
    ) -> Result<Write, StoreError> {
        Err(unused())
    }

    fn record_ratings(
        &self,
        _: &Access,
        _: &[(PersonId, Rating, RatingCause)],
    ) -> Result<u64, StoreError> {
        Err(unused())
    }

    fn rating_history(&self, _: &Access, _: PersonId) -> Result<Vec<RatingRecord>, StoreError> {
        Err(unused())
    }

    fn pass_holder(&self, _: &Access, _: u64) -> Result<Option<PassHolder>, StoreError> {
        Err(unused())
    }

    fn ratings_due(&self, _: Timestamp, _: u32) -> Result<Vec<PersonId>, StoreError> {
        Err(unused())
    }

    fn file_appeal(&self, _: &Access, _: &Appeal) -> Result<Write, StoreError> {
        Err(unused())
    }

    fn appeal_queue(&self, _: &Access, _: u32) -> Result<Vec<Appeal>, StoreError> {
        Err(unused())
    }

    fn appeal(&self, _: &Access, _: AppealId) -> Result<AppealRecord, StoreError> {
        Err(unused())
    }

    fn appeals_of(&self, _: &Access, _: PersonId) -> Result<Vec<AppealRecord>, StoreError> {
        Err(unused())
    }

    fn decide_appeal(&self, _: &Access, _: &AppealDecision) -> Result<(), StoreError> {
        Err(unused())
    }

    fn set_override(&self, _: &Access, _: PersonId, _: &Override) -> Result<Write, StoreError> {
        Err(unused())
    }

    fn ingest_boardings(
        &self,
        _: &Access,
        _: &[Trip],
        _: &[Boarding],
    ) -> Result<IngestReport, StoreError> {
        Err(unused())
    }

    fn register_households(
        &self,
        _: &Access,
        _: &[(PersonId, HouseholdCode)],
    ) -> Result<IngestReport, StoreError> {
        Err(unused())
    }

    fn case(&self, _: &Access, _: CaseId) -> Result<(PersonId, CaseRecord), StoreError> {
        Err(unused())
    }

    fn trace_case(
        &self,
        _: &Access,
        _: CaseId,
        _: &TracingPolicy,
    ) -> Result<(PersonId, CaseRecord, Traced), StoreError> {
        Err(unused())
    }

    fn trace_cases(
        &self,
        _: &Access,
        _: &[CaseId],
        _: &TracingPolicy,
    ) -> Result<Vec<(PersonId, CaseRecord, Traced)>, StoreError> {
        Err(unused())
    }

    fn record_traced_cases(
        &self,
        _: &Access,
        _: &[(CaseId, Vec<(ContactId, TracedContact)>)],
    ) -> Result<Vec<Vec<(PersonId, Contact)>>, StoreError> {
        Err(unused())
    }

    fn record_traced_contacts(
        &self,
        _: &Access,
        _: CaseId,
        _: &[(ContactId, TracedContact)],
    ) -> Result<Vec<(PersonId, Contact)>, StoreError> {
        Err(unused())
    }

    fn contacts_of_case(&self, _: &Access, _: CaseId) -> Result<Vec<ContactRecord>, StoreError> {
        Err(unused())
    }

    fn dismiss_contact(&self, _: &Access, _: ContactId, _: &str) -> Result<PersonId, StoreError> {
        Err(unused())
    }

    // --- Consent and quarantine follow-up ------------------------------------------------

    fn issue_consent(
        &self,
        _: &Access,
        _: &Consent,
        _: &TokenHash,
    ) -> Result<(Consent, Write), StoreError> {
        Err(unused())
    }

    fn consents_of(&self, _: &Access, _: PersonId) -> Result<Vec<ConsentRecord>, StoreError> {
        Err(unused())
    }

    fn revoke_consent(
        &self,
        _: &Access,
        _: PersonId,
        _: ConsentId,
    ) -> Result<(ConsentRecord, Write), StoreError> {
        Err(unused())
    }

    fn check_close_contact(
        &self,
        _: &Access,
        _: &CloseContactCheck,
    ) -> Result<CloseContactAnswer, StoreError> {
        Err(unused())
    }

    fn record_follow_up_check(
        &self,
        _: &Access,
        _: PersonId,
        _: &FollowUpCheck,
    ) -> Result<Write, StoreError> {
        Err(unused())
    }

    fn missed_follow_up_checks(
        &self,
        _: &Access,
        _: &FollowUpDay,
    ) -> Result<Vec<Person>, StoreError> {
        Err(unused())
    }

    fn register_cells(&self, _: &Access, _: &[Cell]) -> Result<IngestReport, StoreError> {
        Err(unused())
    }

    fn cells(&self, _: &[CellId]) -> Result<Vec<Option<Cell>>, StoreError> {
        Err(unused())
    }

    fn ingest_cell_pings(
        &self,
        _: &Access,
        _: &[(PersonId, CellPing)],
        _: Offset,
    ) -> Result<PingIngestReport, StoreError> {
        Err(unused())
    }

    fn purge_phone_data(
        &self,
        _: &Access,
        _: Timestamp,
        _: Timestamp,
    ) -> Result<PhonePurgeReport, StoreError> {
        Err(unused())
    }

    fn city_days_of(
        &self,
        _: &Access,
        _: PersonId,
        _: Date,
        _: Date,
    ) -> Result<Vec<CityDay>, StoreError> {
        Err(unused())
    }

    fn search_proximity(
        &self,
        _: &Access,
        _: &ProximitySearch,
    ) -> Result<(ProximitySearchRecord, Write), StoreError> {
        Err(unused())
    }

    fn proximity_search(
        &self,
        _: &Access,
        _: ProximitySearchId,
    ) -> Result<ProximitySearchRecord, StoreError> {
        Err(unused())
    }

    fn review_proximity_candidate(
        &self,
        _: &Access,
        _: ProximitySearchId,
        _: PersonId,
        _: &CandidateReview,
    ) -> Result<CandidateReview, StoreError> {
        Err(unused())
    }

    fn refuse_proximity_search(&self, _: &Access) -> Result<(), StoreError> {
        Err(unused())
    }

    fn dashboard(
        &self,
        _: &Access,
        _: &healthcode_store::DashboardQuery,
    ) -> Result<healthcode_store::Dashboard, StoreError> {
        Err(unused())
    }
}
