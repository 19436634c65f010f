//! How each kind of fact about a person is written as a row of its table: one [`FactRow`]
//! implementation per table, the only code that binds a fact's columns. The store's single
//! writes, its batches and the benchmark's seeding all go through it, so that a fact reads back
//! the same whichever path wrote it.
//!
//! This module must never bind free text about a person in plaintext: an override's reason is
//! sealed ([`OverrideRow`]) before it reaches a statement.

use healthcode_core::rating::{
    AppealId, CaseRecord, Contact, HealthReport, Override, PharmacyPurchase, TestResult,
};
use healthcode_core::{
    AuditAction, Declaration, PersonId, Temperature, Timestamp, TripId, VenueId,
};
use rusqlite::{Statement, params};

use super::encoding::{encode_symptoms, encode_travel, millis};
use super::rating::{SEALED_OVERRIDE_REASON, encode_contact_setting};
use crate::{KeyRing, Reference, StoreError};

/// One kind of fact about a person, as a row of its table.
pub(super) trait FactRow {
    /// The `INSERT OR IGNORE` of one row, so that a resend of the fact's id stores nothing.
    const INSERT: &'static str;
    /// What writing this kind of fact is audited as.
    const ACTION: AuditAction;

    /// The id whose resend is a duplicate (the event, case, contact or override id), and the
    /// time by which the table orders a person's rows.
    fn identity(&self) -> ([u8; 16], Timestamp);

    /// Binds and runs [`FactRow::INSERT`] (prepared from it) for `person`: 1 if stored, 0 if
    /// the fact's id was already there. Kept free of allocation where the columns allow: it
    /// runs once per row of a bulk write.
    fn insert(&self, statement: &mut Statement<'_>, person: PersonId) -> rusqlite::Result<usize>;

    /// What a foreign-key violation of the row at `index` means once its person is known to be
    /// enrolled; `None` where the person is the row's only reference.
    fn missing_reference(_index: usize) -> Option<StoreError> {
        None
    }
}

/// A borrowed fact writes as the fact itself, so that batches can be assembled without copies.
impl<T: FactRow> FactRow for &T {
    const INSERT: &'static str = T::INSERT;
    const ACTION: AuditAction = T::ACTION;

    fn identity(&self) -> ([u8; 16], Timestamp) {
        T::identity(self)
    }

    fn insert(&self, statement: &mut Statement<'_>, person: PersonId) -> rusqlite::Result<usize> {
        T::insert(self, statement, person)
    }

    fn missing_reference(index: usize) -> Option<StoreError> {
        T::missing_reference(index)
    }
}

/// Written as `person`'s, whatever person the declaration names: the row's person is the one
/// it reads back as.
impl FactRow for Declaration {
    const INSERT: &'static str = "INSERT OR IGNORE INTO declarations (person_id, declared_at, \
         event_id, symptoms, temperature_tenths, travel) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    const ACTION: AuditAction = AuditAction::RecordDeclaration;

    fn identity(&self) -> ([u8; 16], Timestamp) {
        (*self.event_id().as_bytes(), self.declared_at())
    }

    fn insert(&self, statement: &mut Statement<'_>, person: PersonId) -> rusqlite::Result<usize> {
        statement.execute(params![
            person.as_bytes(),
            millis(self.declared_at()),
            self.event_id().as_bytes(),
            encode_symptoms(self.symptoms()),
            self.temperature().map(Temperature::tenths),
            encode_travel(self.travel()),
        ])
    }
}

impl FactRow for TestResult {
    const INSERT: &'static str = "INSERT OR IGNORE INTO test_results (person_id, sampled_at, \
         event_id, kind, outcome, reported_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    const ACTION: AuditAction = AuditAction::RecordTestResults;

    fn identity(&self) -> ([u8; 16], Timestamp) {
        (*self.event_id.as_bytes(), self.sampled_at)
    }

    fn insert(&self, statement: &mut Statement<'_>, person: PersonId) -> rusqlite::Result<usize> {
        statement.execute(params![
            person.as_bytes(),
            millis(self.sampled_at),
            self.event_id.as_bytes(),
            self.kind.code(),
            self.outcome.code(),
            millis(self.reported_at),
        ])
    }
}

impl FactRow for PharmacyPurchase {
    const INSERT: &'static str = "INSERT OR IGNORE INTO pharmacy_purchases (person_id, \
         purchased_at, event_id, medicine) VALUES (?1, ?2, ?3, ?4)";
    const ACTION: AuditAction = AuditAction::RecordPharmacyPurchases;

    fn identity(&self) -> ([u8; 16], Timestamp) {
        (*self.event_id.as_bytes(), self.purchased_at)
    }

    fn insert(&self, statement: &mut Statement<'_>, person: PersonId) -> rusqlite::Result<usize> {
        statement.execute(params![
            person.as_bytes(),
            millis(self.purchased_at),
            self.event_id.as_bytes(),
            self.medicine.code(),
        ])
    }
}

impl FactRow for HealthReport {
    const INSERT: &'static str = "INSERT OR IGNORE INTO health_reports (person_id, reported_at, \
         event_id, reporter, day, temperature_tenths, symptoms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    const ACTION: AuditAction = AuditAction::RecordHealthReports;

    fn identity(&self) -> ([u8; 16], Timestamp) {
        (*self.event_id.as_bytes(), self.reported_at)
    }

    fn insert(&self, statement: &mut Statement<'_>, person: PersonId) -> rusqlite::Result<usize> {
        statement.execute(params![
            person.as_bytes(),
            millis(self.reported_at),
            self.event_id.as_bytes(),
            self.reporter.code(),
            self.day.to_string(),
            self.temperature.map(Temperature::tenths),
            encode_symptoms(&self.symptoms),
        ])
    }
}

impl FactRow for CaseRecord {
    const INSERT: &'static str = "INSERT OR IGNORE INTO cases (person_id, since, case_id, \
         status, released_at, onset, isolated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    const ACTION: AuditAction = AuditAction::RecordCase;

    fn identity(&self) -> ([u8; 16], Timestamp) {
        (*self.case.as_bytes(), self.since)
    }

    fn insert(&self, statement: &mut Statement<'_>, person: PersonId) -> rusqlite::Result<usize> {
        statement.execute(params![
            person.as_bytes(),
            millis(self.since),
            self.case.as_bytes(),
            self.status.code(),
            self.released_at.map(millis),
            millis(self.onset),
            millis(self.isolated_at),
        ])
    }
}

impl FactRow for Contact {
    const INSERT: &'static str = "INSERT OR IGNORE INTO contacts (person_id, found_at, \
         contact_id, case_id, degree, setting, venue_id, trip_id, first_exposure, last_exposure, \
         together_ms, dismissed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
    const ACTION: AuditAction = AuditAction::RecordContact;

    fn identity(&self) -> ([u8; 16], Timestamp) {
        (*self.contact.as_bytes(), self.found_at)
    }

    fn insert(&self, statement: &mut Statement<'_>, person: PersonId) -> rusqlite::Result<usize> {
        let (setting, venue, trip) = encode_contact_setting(self.setting);
        statement.execute(params![
            person.as_bytes(),
            millis(self.found_at),
            self.contact.as_bytes(),
            self.case.as_bytes(),
            self.degree.code(),
            setting,
            venue.as_ref().map(VenueId::as_bytes),
            trip.as_ref().map(TripId::as_bytes),
            millis(self.first_exposure),
            millis(self.last_exposure),
            self.together.as_millis() as i64,
            self.dismissed_at.map(millis),
        ])
    }

    /// The venue of a contact is not a foreign key, so the other reference is its case.
    fn missing_reference(index: usize) -> Option<StoreError> {
        Some(StoreError::UnknownReference {
            index,
            reference: Reference::Case,
        })
    }
}

/// An `overrides` row about to be written, its reason sealed (with the override id as the
/// row) before any lock is taken.
pub(super) struct OverrideRow<'a> {
    override_: &'a Override,
    reason_sealed: Vec<u8>,
}

impl<'a> OverrideRow<'a> {
    pub(super) fn seal(keys: &KeyRing, override_: &'a Override) -> OverrideRow<'a> {
        OverrideRow {
            override_,
            reason_sealed: keys.seal(
                SEALED_OVERRIDE_REASON,
                override_.id.as_bytes(),
                override_.reason.as_bytes(),
            ),
        }
    }
}

impl FactRow for OverrideRow<'_> {
    const INSERT: &'static str = "INSERT OR IGNORE INTO overrides (person_id, set_at, \
         override_id, colour, reason_sealed, set_by, expires_at, appeal_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    const ACTION: AuditAction = AuditAction::SetOverride;

    fn identity(&self) -> ([u8; 16], Timestamp) {
        (*self.override_.id.as_bytes(), self.override_.set_at)
    }

    fn insert(&self, statement: &mut Statement<'_>, person: PersonId) -> rusqlite::Result<usize> {
        let override_ = self.override_;
        statement.execute(params![
            person.as_bytes(),
            millis(override_.set_at),
            override_.id.as_bytes(),
            override_.colour.code(),
            self.reason_sealed,
            override_.set_by.as_bytes(),
            millis(override_.expires_at),
            override_.appeal.as_ref().map(AppealId::as_bytes),
        ])
    }

    /// The other reference of an override is the appeal it names.
    fn missing_reference(_index: usize) -> Option<StoreError> {
        Some(StoreError::NotFound { what: "appeal" })
    }
}
