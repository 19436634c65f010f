//! Persistence for healthcode: one [`Store`] trait in domain types, the keys that protect
//! personal data at rest, the audit chain, a conformance suite every backend must pass, and the
//! SQLite backend that is the embedded default.
//!
//! Only this crate knows SQL. Nothing above it sees a table, a row or a statement; backends are
//! chosen once, where the binary is assembled.
//!
//! Personal data crosses this boundary only through calls that take an [`Access`] (actor,
//! purpose, time). Each such call appends an audit record in the same transaction as the access;
//! when the access fails (not found, conflict, unknown reference), the failure is recorded
//! instead, in a transaction of its own. Reads of facts for the rating engine, which may cover
//! thousands of people or everyone, may read in a snapshot of their own instead: their audit
//! record is committed before any fact is answered.

pub mod audit_chain;
pub mod conformance;
mod dashboard;
pub mod keys;
pub mod sqlite;

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
    Access, Actor, AuditAction, AuditRecord, Boarding, Cell, CellId, CellPing, CheckIn, CityDay,
    Date, Declaration, EventId, HouseholdCode, Person, PersonId, Purpose, RegionCode, ResidentId,
    StaffAccount, Timestamp, Trip, Username, Venue, VenueId,
};
use jiff::SignedDuration;
use jiff::tz::Offset;

pub use dashboard::{ColourCounts, Dashboard, DashboardDay, DashboardQuery, DistrictColours};
pub use keys::{KeyError, KeyRing};
pub use sqlite::SqliteStore;

/// The storage of everything healthcode knows. Implementations are safe to share between
/// threads; every method is a single transaction.
///
/// Calls are synchronous: the SQLite backend is in-process, and the server runs store calls on
/// its blocking thread pool.
///
/// Times are kept to the millisecond; finer parts are dropped. What every implementation must do
/// is pinned down by the [`conformance`] suite.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Checks that the store can serve requests (the database answers a query).
    fn check_ready(&self) -> Result<(), StoreError>;

    /// Enrols a resident and grants their first device token, atomically.
    ///
    /// Idempotent by event id, so that a client whose first answer was lost can get a token:
    /// a resend with the event id and resident ID number of a stored enrolment enrols nobody,
    /// replaces the device tokens of the person it enrolled with `enrolment.device_token` (the
    /// old ones stop working), keeps the person's stored details, and answers with that
    /// person's id and `replayed: true`; it is audited as a duplicate.
    ///
    /// Fails with [`StoreError::AlreadyEnrolled`], and audits the conflict, if the resident ID
    /// number is enrolled under another event id, or if the event id already enrolled another
    /// resident (a client reusing event ids): either way the request conflicts with a stored
    /// enrolment.
    fn enrol(&self, access: &Access, enrolment: &Enrolment) -> Result<Enrolled, StoreError>;

    /// Enrols many residents at once, each as [`Store::enrol`] enrols one (device token
    /// included), in one transaction with one audit record counting the enrolments: a register
    /// of residents loaded in bulk. Enrolments are written in the order given. An enrolment
    /// already stored (its event id and resident ID number), or repeated within the batch, is
    /// a duplicate and changes nothing, its device token included: a phone that lost its token
    /// resends its enrolment to [`Store::enrol`].
    ///
    /// Fails with [`StoreError::AlreadyEnrolled`], storing nothing and auditing the conflict,
    /// if a resident ID number is enrolled (or enrolled earlier in the batch) under another
    /// event id, or an event id enrolled another resident.
    fn enrol_many(
        &self,
        access: &Access,
        enrolments: &[Enrolment],
    ) -> Result<IngestReport, StoreError>;

    /// Reads a person's record, decrypted. [`StoreError::NotFound`] if there is none.
    fn person(&self, access: &Access, id: PersonId) -> Result<Person, StoreError>;

    /// Finds a person by resident ID number, through its keyed hash.
    fn find_person(
        &self,
        access: &Access,
        resident_id: &ResidentId,
    ) -> Result<Option<PersonId>, StoreError>;

    /// Stores a declaration; a resend of the same event id stores nothing.
    /// [`StoreError::UnknownReference`] if the person is not enrolled.
    fn record_declaration(
        &self,
        access: &Access,
        declaration: &Declaration,
    ) -> Result<Write, StoreError>;

    /// A person's declarations, oldest first.
    fn declarations_of(
        &self,
        access: &Access,
        person: PersonId,
    ) -> Result<Vec<Declaration>, StoreError>;

    /// Registers a venue; a resend of the same id stores nothing. Venues are not personal data.
    fn register_venue(&self, venue: &Venue) -> Result<Write, StoreError>;

    fn venue(&self, id: VenueId) -> Result<Option<Venue>, StoreError>;

    /// How many check-ins at `venue` were entered in each of the `hours` hours from `from`
    /// (`from` included, the end of each hour excluded), in order. Counts only: nobody is
    /// named, so the read is not audited. Zero for every hour at a venue nobody checked in at,
    /// registered or not.
    fn venue_check_in_counts(
        &self,
        venue: VenueId,
        from: Timestamp,
        hours: u32,
    ) -> Result<Vec<u64>, StoreError>;

    /// Stores one check-in; a resend of the same event id stores nothing.
    fn record_check_in(&self, access: &Access, check_in: &CheckIn) -> Result<Write, StoreError>;

    /// Stores many check-ins in one transaction, with one audit record for the batch. Check-ins
    /// whose event id is already stored (or repeated within the batch) count as duplicates.
    /// If any check-in names an unknown person or venue, nothing is stored and the error gives
    /// the position of the first such check-in.
    fn ingest_check_ins(
        &self,
        access: &Access,
        check_ins: &[CheckIn],
    ) -> Result<IngestReport, StoreError>;

    /// A person's check-ins, by time entered.
    fn check_ins_of(&self, access: &Access, person: PersonId) -> Result<Vec<CheckIn>, StoreError>;

    /// Records that an actor was refused an action by the authorization layer before any data
    /// was touched.
    fn record_denied(
        &self,
        access: &Access,
        action: AuditAction,
        subject: Option<PersonId>,
    ) -> Result<(), StoreError>;

    /// Reads the audit log, oldest first. The read is itself audited.
    fn audit_log(
        &self,
        access: &Access,
        query: &AuditQuery,
    ) -> Result<Vec<AuditRecord>, StoreError>;

    /// Recomputes the audit chain from the first record and reports the first break, if any.
    fn verify_audit_chain(&self) -> Result<AuditChainReport, StoreError>;

    /// [`StoreError::UsernameTaken`] if the username exists.
    fn create_staff_account(&self, account: &StaffAccount) -> Result<(), StoreError>;

    fn staff_account(&self, username: &Username) -> Result<Option<StaffAccount>, StoreError>;

    /// Stores a bearer token's hash and whom it stands for.
    fn grant_token(&self, grant: &TokenGrant) -> Result<(), StoreError>;

    /// Whom a token stands for, if it exists and has not expired at `now`.
    fn token_holder(&self, hash: &TokenHash, now: Timestamp) -> Result<Option<Actor>, StoreError>;

    /// Ends a staff member's token at once (signing out), so that it names nobody from then
    /// on. Residents' device tokens are never revoked here: a device token is the resident's
    /// only way in. Answers whether a staff token was revoked.
    fn revoke_staff_token(&self, hash: &TokenHash) -> Result<bool, StoreError>;

    // --- Facts for the rating engine -------------------------------------------------------

    /// Finds many people by resident ID number at once, with one audit record: the answer has
    /// one entry per ID, in order, `None` where nobody is enrolled.
    fn find_people(
        &self,
        access: &Access,
        resident_ids: &[ResidentId],
    ) -> Result<Vec<Option<PersonId>>, StoreError>;

    /// Stores laboratory results in one transaction, one audit record for the batch; resends
    /// of an event id count as duplicates. [`StoreError::UnknownReference`] (nothing stored)
    /// if a person is not enrolled.
    fn ingest_test_results(
        &self,
        access: &Access,
        results: &[(PersonId, TestResult)],
    ) -> Result<IngestReport, StoreError>;

    /// Stores pharmacy reports, as [`Store::ingest_test_results`] does.
    fn ingest_pharmacy_purchases(
        &self,
        access: &Access,
        purchases: &[(PersonId, PharmacyPurchase)],
    ) -> Result<IngestReport, StoreError>;

    /// Stores daily health reports from employers and communities, as
    /// [`Store::ingest_test_results`] does.
    fn ingest_health_reports(
        &self,
        access: &Access,
        reports: &[(PersonId, HealthReport)],
    ) -> Result<IngestReport, StoreError>;

    /// Stores a case registered by an official (tracing registers them); a resend of the same
    /// case id stores nothing.
    fn record_case(
        &self,
        access: &Access,
        person: PersonId,
        case: &CaseRecord,
    ) -> Result<Write, StoreError>;

    /// Releases a case at `access.at`. [`StoreError::NotFound`] if there is no such case,
    /// [`StoreError::Conflict`] if it is already released. Answers the case's person.
    fn release_case(&self, access: &Access, case: CaseId) -> Result<PersonId, StoreError>;

    /// Stores a contact found by tracing; a resend of the same contact id stores nothing.
    /// [`StoreError::UnknownReference`] if the person is not enrolled or the contact's case is
    /// not recorded ([`Reference::Case`]); the venue of a contact is not checked, since tracing
    /// may name a venue this store does not know.
    fn record_contact(
        &self,
        access: &Access,
        person: PersonId,
        contact: &Contact,
    ) -> Result<Write, StoreError>;

    /// Everything the rating engine may use about one person, with the region-risk list in
    /// force. [`StoreError::NotFound`] if the person is not enrolled. Declared travel stays in
    /// the declarations; `stays` holds only stays known from other sources. The audit record
    /// counts the one person read, as [`Store::for_each_facts`] counts people.
    fn facts_of(&self, access: &Access, person: PersonId) -> Result<Facts, StoreError>;

    /// The facts of many people at once, in one read with one audit record, as
    /// [`Store::facts_of`] gives them one by one: the answer has one entry per person asked
    /// for, in the order asked (a person asked for twice is answered twice), and the facts
    /// share one region-risk list. The audit record counts the people asked for and names the
    /// person when only one is asked for (however often). [`StoreError::NotFound`] (nothing
    /// answered, the attempt audited as not found) if any of them is not enrolled.
    ///
    /// Meant for re-rating the people a batch of events is about (a laboratory upload of
    /// thousands of results): its cost grows with the people asked for, not with everyone
    /// enrolled.
    fn facts_of_people(
        &self,
        access: &Access,
        people: &[PersonId],
    ) -> Result<Vec<Facts>, StoreError>;

    /// Calls `visit` with every enrolled person's facts and their latest rating (`None` before
    /// any is recorded), in person id order, with one audit record for the whole read (no
    /// subject, counting the people). Answers how many people were visited.
    ///
    /// The latest rating comes with the facts so that re-rating everyone can send
    /// [`Store::record_ratings`] only the ratings that change (see
    /// [`Rating::shows_the_same_as`]) without asking for anyone's rating on its own: its cost
    /// is one pass over the store, never a query per person.
    ///
    /// `visit` may call the store, writes included (e.g. to record ratings as it goes, or to
    /// enrol someone): the read sees the store as it was when the call began, so nobody
    /// written during the visit is visited, a rating recorded during the visit is not among the
    /// latest ratings it is handed, and the facts share one region-risk list.
    fn for_each_facts(
        &self,
        access: &Access,
        visit: &mut dyn FnMut(PersonId, Facts, Option<LatestRating>),
    ) -> Result<u64, StoreError>;

    // --- Region-risk list -----------------------------------------------------------------

    /// Publishes a new version of the region-risk list (the previous version plus one) and
    /// answers it. Audited; the list is not personal data.
    fn publish_region_risk_list(
        &self,
        access: &Access,
        entries: &BTreeMap<RegionCode, RiskLevel>,
    ) -> Result<RegionRiskList, StoreError>;

    /// A version of the list, or the one in force (the latest; version 0 and empty before
    /// any is published) when `version` is `None`. Version 0, the empty list, always exists;
    /// `None` for a version not published.
    fn region_risk_list(&self, version: Option<u32>) -> Result<Option<RegionRiskList>, StoreError>;

    // --- Policies ---------------------------------------------------------------------------

    /// Stores an uploaded policy file. The source must parse as a policy whose version is
    /// `version` ([`StoreError::InvalidPolicy`] otherwise; a file that parses but names another
    /// policy gets a single error at its `[policy]` `version` line, or `name` line when the
    /// names differ). A resend of the same version with the same source stores nothing; with
    /// another source it is a [`StoreError::Conflict`]. Audited without a subject.
    fn store_policy(
        &self,
        access: &Access,
        version: &PolicyVersion,
        source: &str,
    ) -> Result<Write, StoreError>;

    /// A stored policy's source.
    fn policy_source(&self, version: &PolicyVersion) -> Result<Option<String>, StoreError>;

    /// Every stored policy, oldest upload first.
    fn policies(&self) -> Result<Vec<StoredPolicy>, StoreError>;

    /// Makes a stored policy the active one, audited. [`StoreError::NotFound`] if it is not
    /// stored; a stored policy is always valid, so an invalid one can never be active. Rolling
    /// back is activating an older version again: every activation is appended.
    fn activate_policy(&self, access: &Access, version: &PolicyVersion) -> Result<(), StoreError>;

    /// Every activation, oldest first; the last is the active policy.
    fn policy_activations(&self) -> Result<Vec<PolicyActivation>, StoreError>;

    // --- Ratings ----------------------------------------------------------------------------

    /// Appends a rating to a person's history if it differs from their latest one in what the
    /// resident sees (colour, validity or rule ids: [`Rating::shows_the_same_as`]); otherwise
    /// stores nothing and answers
    /// [`Write::Duplicate`]. A new policy that rates a resident as the old one did adds nothing
    /// to their history: a policy change costs a write only for the residents it changes.
    fn record_rating(
        &self,
        access: &Access,
        person: PersonId,
        rating: &Rating,
        cause: &RatingCause,
    ) -> Result<Write, StoreError>;

    /// [`Store::record_rating`] for many people in one transaction with one audit record, each
    /// rating with its own cause (a laboratory upload re-rates each person for their own
    /// result). Answers how many ratings were appended. A person rated twice in the batch keeps
    /// both changes, in the batch's order. The audit record counts the ratings and names the
    /// person when they are all about one. [`StoreError::UnknownReference`] (nothing stored)
    /// with the position of the first person not enrolled.
    fn record_ratings(
        &self,
        access: &Access,
        ratings: &[(PersonId, Rating, RatingCause)],
    ) -> Result<u64, StoreError>;

    /// A person's rating history, oldest first.
    fn rating_history(
        &self,
        access: &Access,
        person: PersonId,
    ) -> Result<Vec<RatingRecord>, StoreError>;

    /// The holder of the rating numbered `sequence` and the number of their latest rating: the
    /// online check of a pass, which names the rating it shows, and the person a checkpoint
    /// logs. `None` if no rating has this number. Audited as a read of the holder's ratings.
    fn pass_holder(&self, access: &Access, sequence: u64)
    -> Result<Option<PassHolder>, StoreError>;

    /// People whose latest rating's `valid_until` is at or before `now`, at most `limit`, the
    /// longest overdue first. Person ids only: no personal data.
    fn ratings_due(&self, now: Timestamp, limit: u32) -> Result<Vec<PersonId>, StoreError>;

    // --- Appeals and overrides ----------------------------------------------------------

    /// Files an appeal; a resend of the same appeal id stores nothing.
    /// [`StoreError::NotFound`] if the rating it names is not the person's.
    fn file_appeal(&self, access: &Access, appeal: &Appeal) -> Result<Write, StoreError>;

    /// Undecided appeals, oldest first (by `filed_at`, then by filing), at most `limit`.
    fn appeal_queue(&self, access: &Access, limit: u32) -> Result<Vec<Appeal>, StoreError>;

    /// One appeal with its decision.
    fn appeal(&self, access: &Access, id: AppealId) -> Result<AppealRecord, StoreError>;

    /// A person's appeals with their decisions, oldest first.
    fn appeals_of(
        &self,
        access: &Access,
        person: PersonId,
    ) -> Result<Vec<AppealRecord>, StoreError>;

    /// Decides an appeal; an "amend" stores its override in the same transaction, for the
    /// appeal's person and with `appeal` set to this appeal whatever the override said.
    /// [`StoreError::NotFound`] if there is no such appeal, [`StoreError::Conflict`] if it is
    /// already decided (or if the amendment's override id is already used).
    fn decide_appeal(&self, access: &Access, decision: &AppealDecision) -> Result<(), StoreError>;

    /// Stores an official's override; a resend of the same override id stores nothing.
    /// [`StoreError::UnknownReference`] if the person is not enrolled, [`StoreError::NotFound`]
    /// if the override names an appeal that does not exist.
    fn set_override(
        &self,
        access: &Access,
        person: PersonId,
        override_: &Override,
    ) -> Result<Write, StoreError>;

    // --- Tracing: cases, trips, households, contacts ---------------------------------------

    /// Registers the trips a batch of boardings names and stores the boardings, in one
    /// transaction with one audit record. A trip resent as it was stores nothing; with another
    /// mode, code or departure it is a [`StoreError::Conflict`]. Boardings whose event id is
    /// stored (or repeated in the batch) are duplicates. [`StoreError::UnknownReference`]
    /// (nothing stored) with the position of the first boarding whose person is not enrolled
    /// ([`Reference::Person`]) or whose trip is neither stored nor in `trips`
    /// ([`Reference::Trip`]).
    fn ingest_boardings(
        &self,
        access: &Access,
        trips: &[Trip],
        boardings: &[Boarding],
    ) -> Result<IngestReport, StoreError>;

    /// Registers people in households, one audit record for the batch; a person registered
    /// elsewhere moves, the same registration again is a duplicate, and the last registration of
    /// a person in the batch wins. [`StoreError::UnknownReference`] (nothing stored) for a person
    /// not enrolled.
    fn register_households(
        &self,
        access: &Access,
        members: &[(PersonId, HouseholdCode)],
    ) -> Result<IngestReport, StoreError>;

    /// A case and whose it is. [`StoreError::NotFound`] if there is no such case.
    fn case(&self, access: &Access, case: CaseId) -> Result<(PersonId, CaseRecord), StoreError>;

    /// Traces a case with `policy` as of `access.at` ([`healthcode_core::trace::trace`] over this
    /// store's visits, rides and households), in one snapshot, with one audit record naming the
    /// case's person and counting the contacts found. Records nothing else: see
    /// [`Store::record_traced_contacts`]. [`StoreError::NotFound`] if there is no such case.
    fn trace_case(
        &self,
        access: &Access,
        case: CaseId,
        policy: &TracingPolicy,
    ) -> Result<(PersonId, CaseRecord, Traced), StoreError>;

    /// Traces several cases as [`Store::trace_case`] traces one, answered in the order given,
    /// with one audit record per case; for an officer or a laboratory feed confirming many
    /// cases at once. A store may trace them side by side. [`StoreError::NotFound`] if any of
    /// them is not a case (the others' traces are audited all the same).
    fn trace_cases(
        &self,
        access: &Access,
        cases: &[CaseId],
        policy: &TracingPolicy,
    ) -> Result<Vec<(PersonId, CaseRecord, Traced)>, StoreError>;

    /// Records what tracing found for several cases as [`Store::record_traced_contacts`] does
    /// for one, all in one transaction with one audit record: all are recorded or none.
    /// Answers the contacts stored for each case, in the order given. [`StoreError::NotFound`]
    /// if any case is not recorded.
    fn record_traced_cases(
        &self,
        access: &Access,
        cases: &[(CaseId, Vec<(ContactId, TracedContact)>)],
    ) -> Result<Vec<Vec<(PersonId, Contact)>>, StoreError>;

    /// Records what tracing found for a case, found at `access.at`, each contact under the id
    /// given with it, in one transaction with one audit record. A contact already recorded for
    /// the case with the same degree, person and place (venue, trip, household or nearby) is
    /// kept as it is, dismissed or not: tracing a case again stores only what is new. Answers
    /// the contacts stored. [`StoreError::NotFound`] if the case is not recorded.
    fn record_traced_contacts(
        &self,
        access: &Access,
        case: CaseId,
        contacts: &[(ContactId, TracedContact)],
    ) -> Result<Vec<(PersonId, Contact)>, StoreError>;

    /// The contacts recorded for a case, close ones first, each in person order, with their
    /// evidence and dismissals; one audit record counting them. [`StoreError::NotFound`] if
    /// there is no such case.
    fn contacts_of_case(
        &self,
        access: &Access,
        case: CaseId,
    ) -> Result<Vec<ContactRecord>, StoreError>;

    /// Dismisses a contact at `access.at`, by the access's actor, for `reason` (stored sealed).
    /// From then on it counts for nothing in ratings. Answers the contact's person.
    /// [`StoreError::NotFound`] if there is no such contact, [`StoreError::Conflict`] if it
    /// is already dismissed.
    fn dismiss_contact(
        &self,
        access: &Access,
        contact: ContactId,
        reason: &str,
    ) -> Result<PersonId, StoreError>;

    // --- Phone data: cells, pings, daily stays, itinerary, proximity search ----------------

    /// Registers cells, audited as the network's report (cells are not personal data: no
    /// subject). A cell registered before with the same location and city is a duplicate;
    /// under another location or city it is a [`StoreError::Conflict`] and nothing is stored
    /// (a moved cell needs a new id: stays already reduced name the old city). A cell repeated
    /// within the batch counts once, the first version winning.
    fn register_cells(&self, access: &Access, cells: &[Cell]) -> Result<IngestReport, StoreError>;

    /// The registered cell of each id, in order, `None` where there is none. Cells are not
    /// personal data: not audited.
    fn cells(&self, ids: &[CellId]) -> Result<Vec<Option<Cell>>, StoreError>;

    /// Stores a mobile network's pings in one transaction with one audit record, and reduces
    /// them at once: each ping not stored before widens its person's daily stay in its cell
    /// (the civil day of the ping at `offset`, the active policy's) and their city day in the
    /// cell's city. A ping whose event id is stored, or repeated within the batch, is a
    /// duplicate and changes nothing. A ping resent after the purge deleted it is stored again
    /// but changes no stay: stays only widen.
    ///
    /// [`StoreError::UnknownReference`] (nothing stored) with the position of the first ping,
    /// in the order sent, that names a person not enrolled or a cell not registered
    /// ([`Reference::Cell`]). The answer lists the city days the batch added, whose people's
    /// itineraries (and so facts) changed.
    fn ingest_cell_pings(
        &self,
        access: &Access,
        pings: &[(PersonId, CellPing)],
        offset: Offset,
    ) -> Result<PingIngestReport, StoreError>;

    /// Deletes movement data past its retention, with one audit record (no subject, counting
    /// the rows deleted): raw pings seen before `pings_before`; daily stays, city days and the
    /// stays of proximity candidates last seen before `stays_before`.
    fn purge_phone_data(
        &self,
        access: &Access,
        pings_before: Timestamp,
        stays_before: Timestamp,
    ) -> Result<PhonePurgeReport, StoreError>;

    /// A person's city days from `from` to `to` (both included), by day and then city: what
    /// their itinerary is made of. [`StoreError::NotFound`] (audited) if the person is not
    /// enrolled.
    fn city_days_of(
        &self,
        access: &Access,
        person: PersonId,
        from: Date,
        to: Date,
    ) -> Result<Vec<CityDay>, StoreError>;

    /// Runs a proximity search for an official and stores it with its candidates: everyone
    /// with a daily stay in a cell within the search's radius whose first to last seen meets
    /// the window, with those stays and their names. One audit record counts the people found
    /// (naming the person when there is one). The case must be recorded and not released:
    /// [`StoreError::NotFound`] or [`StoreError::Conflict`] otherwise, audited, nothing
    /// stored. A resend of a stored search id searches nothing again and answers the stored
    /// search with [`Write::Duplicate`].
    fn search_proximity(
        &self,
        access: &Access,
        search: &ProximitySearch,
    ) -> Result<(ProximitySearchRecord, Write), StoreError>;

    /// A stored search with its candidates and their reviews. [`StoreError::NotFound`]
    /// (audited) if there is none.
    fn proximity_search(
        &self,
        access: &Access,
        id: ProximitySearchId,
    ) -> Result<ProximitySearchRecord, StoreError>;

    /// Records an official's review of a candidate. A confirmation records, in the same
    /// transaction, the close contact that
    /// [`nearby_contact`](healthcode_core::phone::proximity::nearby_contact) makes of the
    /// candidate's stays for the search's case, under the id `review.contact` gives; if the
    /// case already has a nearby contact with the person (found by another search), that one
    /// stands and the review names it. The answer is the review as stored.
    ///
    /// [`StoreError::NotFound`] if there is no such search or the person is not among its
    /// candidates; [`StoreError::Conflict`] if the candidate is already reviewed, or if a
    /// confirmation has no contact id or no stay left inside the window (past retention).
    /// Each refusal is audited.
    fn review_proximity_candidate(
        &self,
        access: &Access,
        search: ProximitySearchId,
        person: PersonId,
        review: &CandidateReview,
    ) -> Result<CandidateReview, StoreError>;

    /// Records that a proximity search was refused before it could be run (no stated purpose,
    /// a radius or window beyond the limits): audited as rejected, without a subject, so that
    /// attempts to search show in the log even when nothing was read.
    fn refuse_proximity_search(&self, access: &Access) -> Result<(), StoreError>;

    // --- Consent for employers' checks, and quarantine follow-up ---------------------------

    /// Stores a resident's consent to an employer's close-contact checks, with the hash of its
    /// token (the token itself is never stored), audited with the person as subject. Answers
    /// the consent as stored.
    ///
    /// A resend of a stored consent (same id, person and employer) keeps the stored terms and
    /// use, but its token hash replaces the stored one: its client never got the first token,
    /// which stops working. It answers [`Write::Duplicate`] and is audited as a duplicate.
    ///
    /// [`StoreError::Conflict`] if the id names a consent of another person or to another
    /// employer; [`StoreError::UnknownReference`] if the person is not enrolled;
    /// [`StoreError::NotFound`] if the employer has no staff account.
    fn issue_consent(
        &self,
        access: &Access,
        consent: &Consent,
        token: &TokenHash,
    ) -> Result<(Consent, Write), StoreError>;

    /// A person's consents with their employers' usernames, oldest first. Never a token.
    fn consents_of(
        &self,
        access: &Access,
        person: PersonId,
    ) -> Result<Vec<ConsentRecord>, StoreError>;

    /// Revokes a person's consent at `access.at` and answers it. Revoking a revoked consent
    /// changes nothing and answers [`Write::Duplicate`]. [`StoreError::NotFound`] if the person
    /// has no consent with this id (another person's consent is not found either).
    fn revoke_consent(
        &self,
        access: &Access,
        person: PersonId,
        consent: ConsentId,
    ) -> Result<(ConsentRecord, Write), StoreError>;

    /// An employer's close-contact check, by the staff member of `access.actor`.
    ///
    /// Answered only if the token is a consent's that the person with this resident ID number
    /// gave this staff account and that is active at `access.at` (see [`Consent::permits`]):
    /// then the answer is [`close_contact_answer`] over the person's contacts and cases, the
    /// check counts against the consent, and the audit record names the person, so that they
    /// see that their employer checked. Otherwise (wrong token, another resident's or another
    /// employer's, expired, revoked, used up, or nobody enrolled under the ID number) the
    /// answer is [`CloseContactAnswer::Refused`], the same whatever the reason, and the attempt
    /// is audited as denied, naming the person when the ID number is enrolled.
    ///
    /// [`close_contact_answer`]: healthcode_core::consent::close_contact_answer
    fn check_close_contact(
        &self,
        access: &Access,
        check: &CloseContactCheck,
    ) -> Result<CloseContactAnswer, StoreError>;

    /// Stores a community worker's follow-up check of a person as the community's daily health
    /// report ([`FollowUpCheck::report`]), which the person's facts then include. A resend of
    /// the same event id stores nothing. [`StoreError::UnknownReference`] if the person is not
    /// enrolled.
    fn record_follow_up_check(
        &self,
        access: &Access,
        person: PersonId,
        check: &FollowUpCheck,
    ) -> Result<Write, StoreError>;

    /// The residents in isolation at `access.at` who had no follow-up check on `day`, in person
    /// id order, decrypted: the workers visit them.
    ///
    /// In isolation: their latest rating is one of [`ISOLATING_COLOURS`] and still valid at
    /// `access.at` (no `valid_until`, or one after it). A check on `day`: a community's daily
    /// health report about `day`, or a declaration of their own made during `day`. The read
    /// goes from the isolated residents, never through everyone's facts. One audit record
    /// counts the people answered, naming the person when there is exactly one.
    ///
    /// [`ISOLATING_COLOURS`]: healthcode_core::follow_up::ISOLATING_COLOURS
    fn missed_follow_up_checks(
        &self,
        access: &Access,
        day: &FollowUpDay,
    ) -> Result<Vec<Person>, StoreError>;

    // --- Dashboard: counts for health officials ---------------------------------------------

    /// The counts of the officials' dashboard (see [`Dashboard`]): residents by district and
    /// current colour, colours at the end of each day, cases registered and contacts found per
    /// day, and the appeal queue. Counts only: no person is named in the answer.
    ///
    /// Counting by district reads every rated resident's ID number (its region code), so the
    /// read is audited: one record, without a subject, counting the residents counted.
    fn dashboard(&self, access: &Access, query: &DashboardQuery) -> Result<Dashboard, StoreError>;
}

/// Whose rating a pass shows, and whether it is still their latest: see [`Store::pass_holder`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PassHolder {
    pub person: PersonId,
    /// The sequence of the holder's latest rating; newer than the pass's when it is revoked.
    pub latest_rating: u64,
}

/// A resident's consent as they list it: the consent and its employer's username.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentRecord {
    pub consent: Consent,
    pub employer: Username,
}

/// What an employer presents for a close-contact check.
#[derive(Clone, Debug)]
pub struct CloseContactCheck {
    /// The employee's resident ID number.
    pub resident_id: ResidentId,
    /// The hash of the consent token the employee gave.
    pub token: TokenHash,
    /// How far back the check looks: the active policy's `contact_check_within`.
    pub within: SignedDuration,
}

/// The answer to a close-contact check: one bit, or nothing at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseContactAnswer {
    /// No consent in force covers this check; which part failed is not said.
    Refused,
    /// Whether the person is a close contact of a case within the window.
    Answered { close_contact: bool },
}

/// What a batch of pings stored, and the city days it added.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PingIngestReport {
    pub stored: u64,
    pub duplicates: u64,
    /// Each city day the batch added, with its person and the event id that names it; a day
    /// in a city already in someone's itinerary is not listed again.
    pub new_city_days: Vec<(PersonId, EventId)>,
}

/// How many rows of each kind a retention purge deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PhonePurgeReport {
    pub pings: u64,
    pub daily_stays: u64,
    pub city_days: u64,
    pub candidate_stays: u64,
}

impl PhonePurgeReport {
    /// Every row deleted.
    pub fn total(&self) -> u64 {
        self.pings + self.daily_stays + self.city_days + self.candidate_stays
    }
}

/// A policy file as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPolicy {
    pub version: PolicyVersion,
    pub uploaded_at: Timestamp,
    pub uploaded_by: Actor,
}

/// One activation of a policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyActivation {
    pub version: PolicyVersion,
    pub activated_at: Timestamp,
    pub activated_by: Actor,
}

/// A resident's enrolment: the person and the hash of the device token handed to them.
#[derive(Clone, Debug)]
pub struct Enrolment {
    pub event_id: EventId,
    pub person: Person,
    pub device_token: TokenHash,
}

/// The outcome of [`Store::enrol`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Enrolled {
    /// The enrolled person: the enrolment's own id, or on a replay the id stored the first time.
    pub person: PersonId,
    /// True if the enrolment was a resend of a stored one, whose device token it replaced.
    pub replayed: bool,
}

/// Whether a write stored something or was a resend of an earlier one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    Stored,
    Duplicate,
}

/// The result of a bulk ingest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct IngestReport {
    pub stored: u64,
    pub duplicates: u64,
}

impl From<Write> for IngestReport {
    /// One write, counted as a batch of one.
    fn from(write: Write) -> IngestReport {
        match write {
            Write::Stored => IngestReport {
                stored: 1,
                duplicates: 0,
            },
            Write::Duplicate => IngestReport {
                stored: 0,
                duplicates: 1,
            },
        }
    }
}

/// The SHA-256 of a bearer token. Tokens themselves are never stored.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

/// A bearer token granted to a resident's device or a staff member.
#[derive(Clone, Debug)]
pub struct TokenGrant {
    pub hash: TokenHash,
    /// `Actor::Resident` or `Actor::Staff`; other actors cannot hold tokens.
    pub holder: Actor,
    pub issued_at: Timestamp,
    /// `None` for device tokens, which last until the device is enrolled again.
    pub expires_at: Option<Timestamp>,
}

/// Which audit records to read. Empty filters match everything.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    pub subject: Option<PersonId>,
    pub purpose: Option<Purpose>,
    pub action: Option<AuditAction>,
    /// Only records at or after this time.
    pub since: Option<Timestamp>,
    /// Only records before this time.
    pub until: Option<Timestamp>,
    /// Only records with a sequence number above this one (for paging).
    pub after_sequence: Option<u64>,
    /// At most this many records; the store caps it at [`AuditQuery::MAX_LIMIT`].
    pub limit: Option<u32>,
}

impl AuditQuery {
    pub const MAX_LIMIT: u32 = 10_000;
}

/// The result of recomputing the audit chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditChainReport {
    pub records: u64,
    /// The sequence number of the first record whose hash does not match, if any.
    pub first_break: Option<u64>,
}

/// Which reference of a written record does not exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reference {
    Person,
    Venue,
    Case,
    Trip,
    /// A mobile network's cell.
    Cell,
}

/// What went wrong in the store, in its callers' terms.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("this resident is already enrolled")]
    AlreadyEnrolled,
    #[error("this username is already taken")]
    UsernameTaken,
    #[error("{0}")]
    Conflict(&'static str),
    #[error("the policy is not valid:\n{0}")]
    InvalidPolicy(healthcode_core::rating::PolicyErrors),
    #[error("record {index} names a {reference:?} that does not exist")]
    UnknownReference { index: usize, reference: Reference },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}
