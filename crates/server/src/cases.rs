//! Cases and tracing: registering and releasing cases, tracing them, and dismissing contacts.
//!
//! A confirmed case is traced as soon as it is registered; any case can be traced again (new
//! visits or boardings may have arrived). Tracing stores only the contacts not recorded before
//! for the case, and rates each of them again at once, through the rating engine: a close
//! contact's colour comes from the policy, never from tracing itself. A dismissal rates its
//! person again too.
//!
//! Shared by the HTTP API and the command line; nothing here knows HTTP or logs personal data.

use std::collections::BTreeMap;

use healthcode_core::rating::{CaseId, CaseRecord, CaseStatus, ContactId, Policy, RatingCause};
use healthcode_core::trace::{ContactRecord, Traced, TracedContact};
use healthcode_core::{Access, EventId, PersonId, ResidentId, Timestamp};
use healthcode_store::{Store, StoreError, Write};
use uuid::Uuid;

use crate::api::{ContactView, NewCase, TraceResponse, WindowView};
use crate::error::ApiError;
use crate::rating_service::{self, rerate_people};

/// What registering a case did.
#[derive(Clone, Debug)]
pub struct Registered {
    pub person: PersonId,
    pub write: Write,
    /// What tracing found, for a confirmed case.
    pub trace: Option<TraceResponse>,
}

/// Registers a case for the resident its ID number names, rates them again, and traces a
/// confirmed case at once.
pub fn register_case(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    case: &NewCase,
) -> Result<Registered, ApiError> {
    let person = store
        .find_person(access, &case.resident_id)?
        .ok_or_else(|| ApiError::NotFound {
            what: "resident",
            field: Some("resident_id".to_owned()),
        })?;
    let write =
        rating_service::record_case(store, access, policy, person, &case_record(case, access.at))?;
    let trace = match case.status {
        CaseStatus::Confirmed => Some(trace_case(store, access, policy, case.id)?),
        CaseStatus::Suspected => None,
    };
    Ok(Registered {
        person,
        write,
        trace,
    })
}

/// Registers many cases as [`register_case`] registers one, for an official or a laboratory
/// confirming many at once: their residents are found by ID number in one audited look-up, each
/// case is recorded and its person rated again, and then the confirmed ones are traced together
/// as [`trace_cases`] traces them (side by side, their new contacts recorded in one transaction,
/// everyone found rated again once). Answers each case's registration, in the order given; 404
/// if a resident is not enrolled, and then nothing is registered.
pub fn register_cases(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    cases: &[NewCase],
) -> Result<Vec<Registered>, ApiError> {
    if cases.is_empty() {
        return Ok(Vec::new());
    }
    let resident_ids: Vec<ResidentId> = cases.iter().map(|case| case.resident_id.clone()).collect();
    let people = store
        .find_people(access, &resident_ids)?
        .into_iter()
        .collect::<Option<Vec<PersonId>>>()
        .ok_or_else(|| ApiError::NotFound {
            what: "resident",
            field: Some("resident_id".to_owned()),
        })?;
    let mut writes = Vec::with_capacity(cases.len());
    for (case, person) in cases.iter().zip(&people) {
        let record = case_record(case, access.at);
        writes.push(rating_service::record_case(
            store, access, policy, *person, &record,
        )?);
    }
    let confirmed: Vec<CaseId> = cases
        .iter()
        .filter(|case| case.status == CaseStatus::Confirmed)
        .map(|case| case.id)
        .collect();
    let mut traces = if confirmed.is_empty() {
        Vec::new()
    } else {
        trace_cases(store, access, policy, &confirmed)?
    }
    .into_iter();
    Ok(cases
        .iter()
        .zip(people)
        .zip(writes)
        .map(|((case, person), write)| Registered {
            person,
            write,
            trace: match case.status {
                CaseStatus::Confirmed => traces.next(),
                CaseStatus::Suspected => None,
            },
        })
        .collect())
}

/// A case as registered at `at`.
fn case_record(case: &NewCase, at: Timestamp) -> CaseRecord {
    CaseRecord {
        case: case.id,
        status: case.status,
        since: at,
        onset: case.onset,
        isolated_at: case.isolated_at,
        released_at: None,
    }
}

/// Traces a case with the policy's tracing rules as of `access.at`, records the contacts not
/// recorded before and rates them again; answers every contact recorded for the case.
pub fn trace_case(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    case: CaseId,
) -> Result<TraceResponse, ApiError> {
    let mut traced = trace_cases(store, access, policy, &[case])?;
    Ok(traced.remove(0))
}

/// Traces several cases as [`trace_case`] traces one, together: the store traces them side by
/// side, their new contacts are recorded in one transaction, and everyone recorded is rated
/// again once, however many cases found them. Answers each case's contacts, in the order
/// given; 404 if any of them is not a case, and then nothing is recorded.
pub fn trace_cases(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    cases: &[CaseId],
) -> Result<Vec<TraceResponse>, ApiError> {
    let traced = store
        .trace_cases(access, cases, &policy.tracing)
        .map_err(case_not_found)?;
    let with_ids: Vec<(CaseId, Vec<_>)> = cases
        .iter()
        .zip(&traced)
        .map(|(case, (_, _, traced))| (*case, with_contact_ids(traced, access.at)))
        .collect();
    let stored = store
        .record_traced_cases(access, &with_ids)
        .map_err(case_not_found)?;
    let causes: BTreeMap<PersonId, RatingCause> = stored
        .iter()
        .flatten()
        .map(|(person, contact)| (*person, contact_cause(contact.contact)))
        .collect();
    rerate_people(store, policy, &causes, access.at)?;
    cases
        .iter()
        .zip(traced)
        .zip(stored)
        .map(|((case, (person, _, traced)), stored)| {
            tracing::info!(
                case = %case,
                found = traced.contacts.len(),
                new = stored.len(),
                "traced a case"
            );
            Ok(TraceResponse {
                case_id: case.as_uuid(),
                person_id: person.as_uuid(),
                window: traced.window.map(WindowView::from),
                new_contacts: stored.len() as u64,
                contacts: contacts_of(store, access, *case)?,
            })
        })
        .collect()
}

/// What tracing found, each contact under a new id ordered by `at` (UUIDv7, as the API asks of
/// clients), so that the store's index by contact id grows at its end.
pub fn with_contact_ids(traced: &Traced, at: Timestamp) -> Vec<(ContactId, TracedContact)> {
    let at = uuid::Timestamp::from_unix(
        uuid::NoContext,
        at.as_second().max(0) as u64,
        at.subsec_nanosecond().max(0) as u32,
    );
    traced
        .contacts
        .iter()
        .map(|contact| (ContactId::from_uuid(Uuid::new_v7(at)), *contact))
        .collect()
}

/// Every contact recorded for a case, with its evidence.
pub fn contacts_of(
    store: &dyn Store,
    access: &Access,
    case: CaseId,
) -> Result<Vec<ContactView>, ApiError> {
    let records: Vec<ContactRecord> = store
        .contacts_of_case(access, case)
        .map_err(case_not_found)?;
    Ok(records.iter().map(ContactView::from).collect())
}

/// Dismisses a contact for a reason and rates its person again; answers the person and their
/// colour.
pub fn dismiss_contact(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    contact: ContactId,
    reason: &str,
) -> Result<(PersonId, String), ApiError> {
    let person = store
        .dismiss_contact(access, contact, reason)
        .map_err(|error| match error {
            StoreError::NotFound { .. } => ApiError::NotFound {
                what: "contact",
                field: Some("contact_id".to_owned()),
            },
            StoreError::Conflict(_) => ApiError::Conflict("this contact is already dismissed"),
            other => other.into(),
        })?;
    let (rating, _) =
        rating_service::rerate(store, policy, person, &contact_cause(contact), access.at)?;
    Ok((person, rating.colour.code().to_owned()))
}

/// A contact's recording or dismissal is an event about its person, named by the contact's id.
fn contact_cause(contact: ContactId) -> RatingCause {
    EventId::from_uuid(contact.as_uuid()).map_or(RatingCause::Request, RatingCause::Event)
}

fn case_not_found(error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound { .. } => ApiError::NotFound {
            what: "case",
            field: Some("case_id".to_owned()),
        },
        other => other.into(),
    }
}
