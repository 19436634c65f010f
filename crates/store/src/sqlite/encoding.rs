//! How domain values are written to and read from SQLite columns: ids as 16-byte blobs, times as
//! milliseconds since the epoch, codes as their stable strings, declarations' symptoms and
//! travel as compact text.
//!
//! Decoding never trusts the file: anything that does not parse back into a valid domain value
//! is reported as [`StoreError::Corrupt`], naming the column but never its content (which may
//! be personal data).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use healthcode_core::{
    Actor, AuditAction, AuditOutcome, AuditRecord, Date, PersonId, Purpose, RegionCode, Role,
    StaffId, Symptom, Timestamp, TravelEntry,
};
use rusqlite::Row;
use rusqlite::types::ValueRef;

use crate::StoreError;

pub(super) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

pub(super) fn millis(at: Timestamp) -> i64 {
    at.as_millisecond()
}

pub(super) fn timestamp(milliseconds: i64, column: &str) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(milliseconds)
        .map_err(|_| corrupt(&format!("{column} is not a representable time")))
}

/// A 16-byte id column.
pub(super) fn id_bytes(row: &Row<'_>, index: usize, column: &str) -> Result<[u8; 16], StoreError> {
    match row.get_ref(index)? {
        ValueRef::Blob(bytes) => bytes
            .try_into()
            .map_err(|_| corrupt(&format!("{column} is not a 16-byte id"))),
        _ => Err(corrupt(&format!("{column} is not a 16-byte id"))),
    }
}

pub(super) fn optional_id_bytes(
    row: &Row<'_>,
    index: usize,
    column: &str,
) -> Result<Option<[u8; 16]>, StoreError> {
    match row.get_ref(index)? {
        ValueRef::Null => Ok(None),
        _ => id_bytes(row, index, column).map(Some),
    }
}

pub(super) fn text<'row>(
    row: &'row Row<'_>,
    index: usize,
    column: &str,
) -> Result<&'row str, StoreError> {
    row.get_ref(index)?
        .as_str()
        .map_err(|_| corrupt(&format!("{column} is not text")))
}

/// A column holding one of a vocabulary's codes.
pub(super) fn code<T, E>(
    row: &Row<'_>,
    index: usize,
    column: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, StoreError> {
    parse(text(row, index, column)?)
        .map_err(|_| corrupt(&format!("{column} holds an unknown code")))
}

pub(super) fn encode_symptoms(symptoms: &BTreeSet<Symptom>) -> String {
    let mut encoded = String::new();
    for symptom in symptoms {
        if !encoded.is_empty() {
            encoded.push(' ');
        }
        encoded.push_str(symptom.code());
    }
    encoded
}

pub(super) fn decode_symptoms(encoded: &str) -> Result<BTreeSet<Symptom>, StoreError> {
    decode_symptoms_of(encoded, "declarations.symptoms")
}

/// Symptoms as [`encode_symptoms`] wrote them into `column`.
pub(super) fn decode_symptoms_of(
    encoded: &str,
    column: &str,
) -> Result<BTreeSet<Symptom>, StoreError> {
    encoded
        .split_whitespace()
        .map(|code| Symptom::parse(code).map_err(|_| corrupt(column)))
        .collect()
}

pub(super) fn encode_travel(travel: &[TravelEntry]) -> String {
    let mut encoded = String::new();
    for (index, entry) in travel.iter().enumerate() {
        if index > 0 {
            encoded.push(';');
        }
        write!(encoded, "{} {} {}", entry.region, entry.from, entry.to)
            .expect("writing to a String cannot fail");
    }
    encoded
}

pub(super) fn decode_travel(encoded: &str) -> Result<Vec<TravelEntry>, StoreError> {
    let bad = || corrupt("declarations.travel");
    if encoded.is_empty() {
        return Ok(Vec::new());
    }
    encoded
        .split(';')
        .map(|entry| {
            let mut parts = entry.split(' ');
            let (Some(region), Some(from), Some(to), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(bad());
            };
            Ok(TravelEntry {
                region: RegionCode::parse(region).map_err(|_| bad())?,
                from: from.parse::<Date>().map_err(|_| bad())?,
                to: to.parse::<Date>().map_err(|_| bad())?,
            })
        })
        .collect()
}

/// The columns of `audit_log`, in the order [`decode_audit_record`] reads them.
pub(super) const AUDIT_COLUMNS: &str = "sequence, at, actor_kind, actor_id, actor_role, purpose, action, subject, records, outcome, hash";

/// An actor stored as three columns from `index` on: its kind code, its id (NULL for the public
/// and the local operator) and its role (read for staff only). `columns` names them for errors.
pub(super) fn decode_actor(
    row: &Row<'_>,
    index: usize,
    columns: [&str; 3],
) -> Result<Actor, StoreError> {
    let [kind_column, id_column, role_column] = columns;
    let actor_id = optional_id_bytes(row, index + 1, id_column)?;
    Ok(match (text(row, index, kind_column)?, actor_id) {
        ("public", None) => Actor::Public,
        ("local_operator", None) => Actor::LocalOperator,
        ("system", None) => Actor::System,
        ("resident", Some(id)) => Actor::Resident(PersonId::from_bytes(id)),
        ("staff", Some(id)) => Actor::Staff {
            id: StaffId::from_bytes(id),
            role: code(row, index + 2, role_column, Role::parse)?,
        },
        _ => {
            return Err(corrupt(&format!(
                "{kind_column} does not match {id_column}"
            )));
        }
    })
}

pub(super) fn decode_audit_record(row: &Row<'_>) -> Result<AuditRecord, StoreError> {
    let sequence: u64 = row.get(0)?;
    let at = timestamp(row.get(1)?, "audit_log.at")?;
    let actor = decode_actor(
        row,
        2,
        [
            "audit_log.actor_kind",
            "audit_log.actor_id",
            "audit_log.actor_role",
        ],
    )?;
    let records: u64 = row.get(8)?;
    let hash: [u8; 32] = match row.get_ref(10)? {
        ValueRef::Blob(bytes) => bytes
            .try_into()
            .map_err(|_| corrupt("audit_log.hash is not 32 bytes"))?,
        _ => return Err(corrupt("audit_log.hash is not 32 bytes")),
    };
    Ok(AuditRecord {
        sequence,
        at,
        actor,
        purpose: code(row, 5, "audit_log.purpose", Purpose::parse)?,
        action: code(row, 6, "audit_log.action", AuditAction::parse)?,
        subject: optional_id_bytes(row, 7, "audit_log.subject")?.map(PersonId::from_bytes),
        records,
        outcome: code(row, 9, "audit_log.outcome", AuditOutcome::parse)?,
        hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symptoms_and_travel_survive_their_text_encoding() {
        let symptoms: BTreeSet<Symptom> = Symptom::ALL.into_iter().collect();
        assert_eq!(
            decode_symptoms(&encode_symptoms(&symptoms)).unwrap(),
            symptoms
        );
        assert_eq!(decode_symptoms("").unwrap(), BTreeSet::new());

        let travel = vec![
            TravelEntry {
                region: RegionCode::parse("420100").unwrap(),
                from: Date::new(2026, 2, 1).unwrap(),
                to: Date::new(2026, 2, 3).unwrap(),
            },
            TravelEntry {
                region: RegionCode::parse("110105").unwrap(),
                from: Date::new(2026, 2, 4).unwrap(),
                to: Date::new(2026, 2, 4).unwrap(),
            },
        ];
        let encoded = encode_travel(&travel);
        assert_eq!(
            encoded,
            "420100 2026-02-01 2026-02-03;110105 2026-02-04 2026-02-04"
        );
        assert_eq!(decode_travel(&encoded).unwrap(), travel);
        assert_eq!(decode_travel("").unwrap(), Vec::new());
        assert!(decode_travel("420100 2026-02-01").is_err());
        assert!(decode_travel("420100 2026-02-01 2026-02-03 extra").is_err());
    }
}
