//! How residents' consents to employers' close-contact checks, and the quarantine follow-up,
//! are kept in SQLite (migration `0004_consent_follow_up.sql`).
//!
//! A consent's token reaches SQL only as its SHA-256, in a table of its own: it never signs
//! anyone in. A close-contact check reads one person's contacts and cases and nothing else, and
//! a refused check is an answer (audited as denied in the same transaction), the same whatever
//! was wrong. A follow-up check is a row of `health_reports`, written with the community as its
//! reporter: one record, read by the follow-up list and the rating engine alike. The list of
//! missed checks starts from the index of residents in isolation, never from everyone.
//!
//! Nothing here logs a resident ID number, a name, a phone or a token.

use healthcode_core::consent::{Consent, ConsentId, close_contact_answer};
use healthcode_core::follow_up::{FollowUpCheck, FollowUpDay};
use healthcode_core::{Access, Actor, AuditAction, AuditOutcome, Person, PersonId, StaffId};
use healthcode_core::{Username, rating::HealthReport};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::encoding::{corrupt, id_bytes, millis, text, timestamp};
use super::fact_rows::FactRow;
use super::rating::contacts_and_cases_of;
use super::{
    Audited, Refusal, SealedPerson, SqliteStore, is_foreign_key_violation, person_exists,
    single_subject, written_once,
};
use crate::{
    CloseContactAnswer, CloseContactCheck, ConsentRecord, Reference, StoreError, TokenHash, Write,
};

/// The columns a consent is decoded from, with the table aliased `c`.
const CONSENT_COLUMNS: &str = "c.consent_id, c.person_id, c.employer_id, c.issued_at, \
     c.expires_at, c.max_checks, c.checks_made, c.revoked_at";

/// A consent with its employer's username, by consent id.
const CONSENT_RECORD_BY_ID: &str = "SELECT c.consent_id, c.person_id, c.employer_id, \
     c.issued_at, c.expires_at, c.max_checks, c.checks_made, c.revoked_at, s.username \
     FROM consents AS c JOIN staff_accounts AS s ON s.id = c.employer_id \
     WHERE c.consent_id = ?1";

/// A person's consents with their employers' usernames, oldest first: one range of
/// `consents_by_person`.
const CONSENT_RECORDS_OF_PERSON: &str = "SELECT c.consent_id, c.person_id, c.employer_id, \
     c.issued_at, c.expires_at, c.max_checks, c.checks_made, c.revoked_at, s.username \
     FROM consents AS c JOIN staff_accounts AS s ON s.id = c.employer_id \
     WHERE c.person_id = ?1 ORDER BY c.issued_at, c.rowid";

/// The residents in isolation at ?1 (latest rating red or yellow, valid after ?1) with no
/// community report about day ?2 and no declaration made from ?3 to before ?4, with their sealed
/// fields, in person order. The `colour IN` term is the partial index's own, word for word, so
/// that SQLite reads the isolated residents from `current_ratings_isolated`.
pub(super) const MISSED_FOLLOW_UP_CHECKS: &str = "SELECT r.person_id, p.resident_id_sealed, \
     p.name_sealed, p.phone_sealed, p.enrolled_at \
     FROM current_ratings AS r JOIN persons AS p ON p.id = r.person_id \
     WHERE r.colour IN ('red', 'yellow') \
     AND (r.valid_until IS NULL OR r.valid_until > ?1) \
     AND NOT EXISTS (SELECT 1 FROM health_reports AS h \
         WHERE h.person_id = r.person_id AND h.reporter = 'community' AND h.day = ?2) \
     AND NOT EXISTS (SELECT 1 FROM declarations AS d \
         WHERE d.person_id = r.person_id AND d.declared_at >= ?3 AND d.declared_at < ?4) \
     ORDER BY r.person_id";

fn decode_consent(row: &Row<'_>) -> Result<Consent, StoreError> {
    let count = |index: usize, column: &str| -> Result<u32, StoreError> {
        u32::try_from(row.get::<_, i64>(index)?)
            .map_err(|_| corrupt(&format!("{column} is out of range")))
    };
    Ok(Consent {
        id: ConsentId::from_bytes(id_bytes(row, 0, "consents.consent_id")?),
        person: PersonId::from_bytes(id_bytes(row, 1, "consents.person_id")?),
        employer: StaffId::from_bytes(id_bytes(row, 2, "consents.employer_id")?),
        issued_at: timestamp(row.get(3)?, "consents.issued_at")?,
        expires_at: timestamp(row.get(4)?, "consents.expires_at")?,
        max_checks: count(5, "consents.max_checks")?,
        checks_made: count(6, "consents.checks_made")?,
        revoked_at: row
            .get::<_, Option<i64>>(7)?
            .map(|revoked| timestamp(revoked, "consents.revoked_at"))
            .transpose()?,
    })
}

fn decode_consent_record(row: &Row<'_>) -> Result<ConsentRecord, StoreError> {
    Ok(ConsentRecord {
        consent: decode_consent(row)?,
        employer: Username::parse(text(row, 8, "staff_accounts.username")?)
            .map_err(|_| corrupt("staff_accounts.username is not a valid username"))?,
    })
}

fn consent_record(
    connection: &Connection,
    id: ConsentId,
) -> Result<Option<ConsentRecord>, StoreError> {
    let mut statement = connection.prepare_cached(CONSENT_RECORD_BY_ID)?;
    let mut rows = statement.query([id.as_bytes()])?;
    rows.next()?.map(decode_consent_record).transpose()
}

pub(super) fn issue(
    store: &SqliteStore,
    access: &Access,
    consent: &Consent,
    token: &TokenHash,
) -> Result<(Consent, Write), StoreError> {
    let person = consent.person;
    let refused = |error| Refusal::Refused {
        error,
        subject: Some(person),
        records: 1,
    };
    store.audited(access, AuditAction::IssueConsent, |transaction| {
        if let Some(stored) = consent_record(transaction, consent.id)? {
            let stored = stored.consent;
            if stored.person != person || stored.employer != consent.employer {
                return Err(refused(StoreError::Conflict(
                    "this consent id is already used",
                )));
            }
            // A resend: its client never got the first token, so the new one replaces it.
            transaction
                .prepare_cached("UPDATE consents SET token_hash = ?1 WHERE consent_id = ?2")?
                .execute(params![token.0, consent.id.as_bytes()])?;
            return Ok(Audited {
                value: (stored, Write::Duplicate),
                subject: Some(person),
                records: 1,
                outcome: AuditOutcome::Duplicate,
            });
        }
        let inserted = transaction
            .prepare_cached(
                "INSERT INTO consents (consent_id, person_id, employer_id, token_hash, issued_at, \
                 expires_at, max_checks, checks_made, revoked_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                consent.id.as_bytes(),
                person.as_bytes(),
                consent.employer.as_bytes(),
                token.0,
                millis(consent.issued_at),
                millis(consent.expires_at),
                consent.max_checks,
                consent.checks_made,
                consent.revoked_at.map(millis),
            ]);
        match inserted {
            Ok(_) => Ok(Audited::success((*consent, Write::Stored), Some(person), 1)),
            Err(error) if is_foreign_key_violation(&error) => {
                let error = if person_exists(transaction, person)? {
                    StoreError::NotFound { what: "employer" }
                } else {
                    StoreError::UnknownReference {
                        index: 0,
                        reference: Reference::Person,
                    }
                };
                Err(refused(error))
            }
            Err(error) => Err(error.into()),
        }
    })
}

pub(super) fn consents_of(
    store: &SqliteStore,
    access: &Access,
    person: PersonId,
) -> Result<Vec<ConsentRecord>, StoreError> {
    store.audited(access, AuditAction::ReadConsents, |transaction| {
        let mut statement = transaction.prepare_cached(CONSENT_RECORDS_OF_PERSON)?;
        let mut rows = statement.query([person.as_bytes()])?;
        let mut consents = Vec::new();
        while let Some(row) = rows.next()? {
            consents.push(decode_consent_record(row)?);
        }
        let records = consents.len() as u64;
        Ok(Audited::success(consents, Some(person), records))
    })
}

pub(super) fn revoke(
    store: &SqliteStore,
    access: &Access,
    person: PersonId,
    consent: ConsentId,
) -> Result<(ConsentRecord, Write), StoreError> {
    store.audited(access, AuditAction::RevokeConsent, |transaction| {
        let found =
            consent_record(transaction, consent)?.filter(|record| record.consent.person == person);
        let Some(mut record) = found else {
            return Err(Refusal::Refused {
                error: StoreError::NotFound { what: "consent" },
                subject: Some(person),
                records: 1,
            });
        };
        if record.consent.revoked_at.is_some() {
            return Ok(Audited {
                value: (record, Write::Duplicate),
                subject: Some(person),
                records: 1,
                outcome: AuditOutcome::Duplicate,
            });
        }
        transaction
            .prepare_cached("UPDATE consents SET revoked_at = ?1 WHERE consent_id = ?2")?
            .execute(params![millis(access.at), consent.as_bytes()])?;
        record.consent.revoked_at = Some(access.at);
        Ok(Audited::success((record, Write::Stored), Some(person), 1))
    })
}

pub(super) fn check_close_contact(
    store: &SqliteStore,
    access: &Access,
    check: &CloseContactCheck,
) -> Result<CloseContactAnswer, StoreError> {
    let resident_id_hash = store.keys.resident_id_hash(&check.resident_id);
    let employer = match access.actor {
        Actor::Staff { id, .. } => Some(id),
        Actor::Public | Actor::Resident(_) | Actor::LocalOperator | Actor::System => None,
    };
    store.audited(access, AuditAction::CheckCloseContact, |transaction| {
        let person = transaction
            .prepare_cached("SELECT id FROM persons WHERE resident_id_hash = ?1")?
            .query_row([resident_id_hash], |row| row.get::<_, [u8; 16]>(0))
            .optional()?
            .map(PersonId::from_bytes);
        let consent = {
            let mut statement = transaction.prepare_cached(&format!(
                "SELECT {CONSENT_COLUMNS} FROM consents AS c WHERE c.token_hash = ?1"
            ))?;
            let mut rows = statement.query([check.token.0])?;
            rows.next()?.map(decode_consent).transpose()?
        };
        let permitted = match (person, consent, employer) {
            (Some(person), Some(consent), Some(employer))
                if consent.permits(employer, person, access.at) =>
            {
                Some((person, consent))
            }
            _ => None,
        };
        let Some((person, consent)) = permitted else {
            // One answer whatever failed; the person the ID number names, if enrolled, sees the
            // attempt in their access history.
            return Ok(Audited {
                value: CloseContactAnswer::Refused,
                subject: person,
                records: 0,
                outcome: AuditOutcome::Denied,
            });
        };
        let (contacts, cases) = contacts_and_cases_of(transaction, person)?;
        let close_contact = close_contact_answer(&contacts, &cases, access.at, check.within);
        transaction
            .prepare_cached(
                "UPDATE consents SET checks_made = checks_made + 1 WHERE consent_id = ?1",
            )?
            .execute([consent.id.as_bytes()])?;
        Ok(Audited::success(
            CloseContactAnswer::Answered { close_contact },
            Some(person),
            1,
        ))
    })
}

pub(super) fn record_follow_up_check(
    store: &SqliteStore,
    access: &Access,
    person: PersonId,
    check: &FollowUpCheck,
) -> Result<Write, StoreError> {
    let report = check.report();
    store.audited(access, AuditAction::RecordFollowUpCheck, |transaction| {
        let mut statement = transaction.prepare_cached(<HealthReport as FactRow>::INSERT)?;
        let inserted = report.insert(&mut statement, person);
        written_once(transaction, inserted, person, None)
    })
}

pub(super) fn missed_follow_up_checks(
    store: &SqliteStore,
    access: &Access,
    day: &FollowUpDay,
) -> Result<Vec<Person>, StoreError> {
    store.audited(access, AuditAction::ReadFollowUp, |transaction| {
        let mut statement = transaction.prepare_cached(MISSED_FOLLOW_UP_CHECKS)?;
        let mut rows = statement.query(params![
            millis(access.at),
            day.day().to_string(),
            millis(day.starts_at()),
            millis(day.ends_at()),
        ])?;
        let mut people = Vec::new();
        while let Some(row) = rows.next()? {
            let id = PersonId::from_bytes(id_bytes(row, 0, "current_ratings.person_id")?);
            let sealed = SealedPerson {
                resident_id: row.get(1)?,
                name: row.get(2)?,
                phone: row.get(3)?,
                enrolled_at: row.get(4)?,
            };
            people.push(store.open_person(id, &sealed)?);
        }
        let subject = single_subject(people.iter().map(|person| person.id));
        let records = people.len() as u64;
        Ok(Audited::success(people, subject, records))
    })
}

#[cfg(test)]
mod tests {
    use healthcode_core::follow_up::ISOLATING_COLOURS;

    use super::*;
    use crate::sqlite::query_plan;

    #[test]
    fn the_isolated_are_the_colours_the_partial_index_and_its_query_name() {
        let codes: Vec<&str> = ISOLATING_COLOURS.map(|colour| colour.code()).to_vec();
        assert_eq!(codes, ["red", "yellow"]);
        assert!(MISSED_FOLLOW_UP_CHECKS.contains("colour IN ('red', 'yellow')"));
    }

    #[test]
    fn missed_checks_are_read_from_the_isolated_residents_index_and_primary_keys_only() {
        let directory = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(directory.path()).unwrap();
        let plan = query_plan(&store, MISSED_FOLLOW_UP_CHECKS);
        assert!(plan.contains("current_ratings_isolated"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        // Only the isolated residents are scanned; everything else is a primary-key search.
        for step in plan.lines().filter(|step| step.starts_with("SCAN")) {
            assert!(step.contains("current_ratings_isolated"), "{step}: {plan}");
        }
        for table in ["h", "d", "p"] {
            assert!(
                plan.contains(&format!("SEARCH {table} ")),
                "{table}: {plan}"
            );
        }
    }

    #[test]
    fn a_check_finds_the_consent_by_its_token_and_a_resident_lists_theirs_by_index() {
        let directory = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(directory.path()).unwrap();
        let plan = query_plan(
            &store,
            &format!("SELECT {CONSENT_COLUMNS} FROM consents AS c WHERE c.token_hash = ?1"),
        );
        assert!(
            plan.contains("USING INDEX sqlite_autoindex_consents"),
            "{plan}"
        );
        let plan = query_plan(&store, CONSENT_RECORDS_OF_PERSON);
        assert!(plan.contains("consents_by_person"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }
}
