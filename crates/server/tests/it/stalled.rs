//! A store whose readiness check does not return until the test lets it: a request to
//! `/readyz` can then only end by the server's timeout, whatever the machine's speed.

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};

use healthcode_core::{
    Access, Actor, AuditAction, AuditRecord, CheckIn, Declaration, Person, PersonId, ResidentId,
    StaffAccount, Timestamp, Username, Venue, VenueId,
};
use healthcode_store::{
    AuditChainReport, AuditQuery, Enrolled, Enrolment, IngestReport, Store, StoreError, TokenGrant,
    TokenHash, Write,
};

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
}
