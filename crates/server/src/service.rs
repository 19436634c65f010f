//! What each endpoint does, as plain synchronous functions over a [`Store`].
//!
//! Handlers parse, authorize (through the middleware), call one of these on the blocking pool
//! and map the result to a status; the CLI calls the same functions. Everything that touches
//! personal data goes through a store call that takes an [`Access`], so the store audits it.
//!
//! Nothing here knows HTTP, and nothing here logs request content.

use healthcode_core::rating::{Policy, RatingCause};
use healthcode_core::{
    Access, Actor, AuditAction, CheckIn, CheckInSource, Person, PersonId, Purpose, Timestamp,
    VenueId,
};
use healthcode_store::{AuditQuery, Enrolment, IngestReport, Store, StoreError, Write};
use uuid::Uuid;

use crate::accounts::new_bearer_token;
use crate::api::{
    AuditChainView, AuditLog, AuditRecordView, BatchResponse, CheckInList, CheckInRequest,
    CheckInView, DeclarationList, DeclarationRequest, DeclarationView, EnrolResponse, FieldError,
    NewResident, OWN_ACCESS_LOG_DAYS, OwnAccessLog, OwnAccessRecordView, Profile, RegisteredVenue,
    RowError, VenueRequest, VenueView, WriteResponse, check_ins_from_requests,
};
use crate::error::{ApiError, reference_field};
use crate::metrics;
use crate::rating_service::rerate;

/// What an enrolment answers, and whether it was a resend of a stored enrolment.
#[derive(Debug)]
pub struct EnrolAnswer {
    pub response: EnrolResponse,
    /// The event id had enrolled this resident before: the response names the person enrolled
    /// then, and its device token replaces the one the first response carried.
    pub replayed: bool,
}

/// Enrols a resident under a fresh random person id and hands out their device token. A resend
/// of a stored enrolment (same event id and resident ID number) hands out a new device token
/// for the person enrolled the first time, whose old token stops working.
pub fn enrol(
    store: &dyn Store,
    now: Timestamp,
    resident: NewResident,
) -> Result<EnrolAnswer, ApiError> {
    let person = Person {
        id: PersonId::from_uuid(Uuid::new_v4()),
        resident_id: resident.resident_id,
        name: resident.name,
        phone: resident.phone,
        enrolled_at: now,
    };
    let (device_token, hash) = new_bearer_token();
    let masked_resident_id = person.resident_id.masked();
    let access = Access::new(Actor::Public, Purpose::Enrolment, now);
    let enrolled = store.enrol(
        &access,
        &Enrolment {
            event_id: resident.event_id,
            person,
            device_token: hash,
        },
    )?;
    Ok(EnrolAnswer {
        response: EnrolResponse {
            person_id: enrolled.person.as_uuid(),
            device_token,
            masked_resident_id,
        },
        replayed: enrolled.replayed,
    })
}

/// The signed-in resident's own profile.
pub fn own_profile(store: &dyn Store, access: &Access) -> Result<Profile, ApiError> {
    let person = store.person(access, resident_of(access)?)?;
    Ok(Profile::from(&person))
}

/// A resident's profile read by staff for a named purpose.
pub fn resident_profile(
    store: &dyn Store,
    access: &Access,
    person: PersonId,
) -> Result<Profile, ApiError> {
    match store.person(access, person) {
        Ok(person) => Ok(Profile::from(&person)),
        Err(StoreError::NotFound { what }) => Err(ApiError::NotFound {
            what,
            field: Some("person_id".to_owned()),
        }),
        Err(other) => Err(other.into()),
    }
}

/// Records the signed-in resident's declaration, made now, and rates them again under `policy`.
pub fn record_declaration(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    request: DeclarationRequest,
) -> Result<WriteResponse, ApiError> {
    let person = resident_of(access)?;
    let declaration = request.into_declaration(person, access.at)?;
    let write = store.record_declaration(access, &declaration)?;
    // A resend re-rates too: if the first answer was lost, so may the first rating have been.
    rerate(
        store,
        policy,
        person,
        &RatingCause::Event(declaration.event_id()),
        access.at,
    )?;
    Ok(WriteResponse {
        event_id: declaration.event_id().as_uuid(),
        duplicate: write == Write::Duplicate,
    })
}

pub fn own_declarations(store: &dyn Store, access: &Access) -> Result<DeclarationList, ApiError> {
    let declarations = store.declarations_of(access, resident_of(access)?)?;
    Ok(DeclarationList {
        declarations: declarations.iter().map(DeclarationView::from).collect(),
    })
}

pub fn own_check_ins(store: &dyn Store, access: &Access) -> Result<CheckInList, ApiError> {
    let check_ins = store.check_ins_of(access, resident_of(access)?)?;
    Ok(CheckInList {
        check_ins: check_ins.iter().map(CheckInView::from).collect(),
    })
}

/// Registers a venue; a resend of the same venue id changes nothing.
pub fn register_venue(
    store: &dyn Store,
    now: Timestamp,
    request: VenueRequest,
) -> Result<RegisteredVenue, ApiError> {
    let venue = request.into_venue(now)?;
    let write = store.register_venue(&venue)?;
    Ok(RegisteredVenue {
        venue_id: venue.id.as_uuid(),
        duplicate: write == Write::Duplicate,
    })
}

pub fn venue(store: &dyn Store, id: VenueId) -> Result<VenueView, ApiError> {
    let venue = store.venue(id)?.ok_or(ApiError::NotFound {
        what: "venue",
        field: Some("venue_id".to_owned()),
    })?;
    Ok(VenueView::from(&venue))
}

/// Records one check-in. A resident may only check themselves in, by scanning a venue's poster;
/// staff record anyone's visit.
pub fn record_check_in(
    store: &dyn Store,
    access: &Access,
    request: CheckInRequest,
) -> Result<WriteResponse, ApiError> {
    let check_in = CheckIn::try_from(&request)
        .map_err(|mut errors| ApiError::InvalidField(errors.remove(0)))?;
    if let Actor::Resident(own) = access.actor {
        if check_in.person() != own {
            store.record_denied(access, AuditAction::RecordCheckIn, Some(check_in.person()))?;
            return Err(ApiError::Forbidden);
        }
        if check_in.source() != CheckInSource::PersonScansVenue {
            return Err(FieldError::new(
                "source",
                format_args!(
                    "a resident checks in by scanning the venue: {}",
                    CheckInSource::PersonScansVenue.code()
                ),
            )
            .into());
        }
    }
    store_check_in(store, access, &check_in)
}

/// Stores one check-in, counted in the metrics, answering whether it was a resend.
pub(crate) fn store_check_in(
    store: &dyn Store,
    access: &Access,
    check_in: &CheckIn,
) -> Result<WriteResponse, ApiError> {
    let write = store.record_check_in(access, check_in)?;
    metrics::record_check_ins(&write.into());
    Ok(WriteResponse {
        event_id: check_in.event_id().as_uuid(),
        duplicate: write == Write::Duplicate,
    })
}

/// Why a bulk ingest stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{} invalid fields; nothing was stored", .0.len())]
    InvalidRows(Vec<RowError>),
    #[error("row {index}: {field}: no {what} with this id is registered; nothing was stored")]
    UnknownReference {
        index: usize,
        field: &'static str,
        what: &'static str,
    },
    #[error(transparent)]
    Store(StoreError),
}

/// Checks every row and stores them all in one transaction, or stores nothing and reports every
/// invalid row. Resent rows (same event id) are counted as duplicates. Shared by
/// `POST /v1/check-ins/batch` and `healthcode import`.
pub fn ingest_check_in_rows(
    store: &dyn Store,
    access: &Access,
    rows: Vec<CheckInRequest>,
) -> Result<IngestReport, IngestError> {
    let check_ins = check_ins_from_requests(rows).map_err(IngestError::InvalidRows)?;
    let report = store
        .ingest_check_ins(access, &check_ins)
        .map_err(|error| match error {
            StoreError::UnknownReference { index, reference } => {
                let (field, what) = reference_field(reference);
                IngestError::UnknownReference { index, field, what }
            }
            other => IngestError::Store(other),
        })?;
    metrics::record_check_ins(&report);
    Ok(report)
}

/// The batch endpoint: [`ingest_check_in_rows`] with the size limit of one request.
pub fn ingest_batch(
    store: &dyn Store,
    access: &Access,
    rows: Vec<CheckInRequest>,
    max_events: usize,
) -> Result<BatchResponse, ApiError> {
    let received = rows.len();
    if received > max_events {
        return Err(ApiError::BatchTooLarge {
            field: "events",
            max: max_events,
            found: received,
        });
    }
    match ingest_check_in_rows(store, access, rows) {
        Ok(report) => Ok(BatchResponse::new(received, report)),
        Err(IngestError::InvalidRows(rows)) => Err(ApiError::InvalidRows {
            field: "events",
            rows,
        }),
        Err(IngestError::UnknownReference { index, field, what }) => {
            Err(ApiError::UnknownReference {
                field: format!("events[{index}].{field}"),
                what,
            })
        }
        Err(IngestError::Store(error)) => Err(error.into()),
    }
}

pub fn audit_log(
    store: &dyn Store,
    access: &Access,
    query: &AuditQuery,
) -> Result<AuditLog, ApiError> {
    let records = store.audit_log(access, query)?;
    Ok(AuditLog {
        records: records.iter().map(AuditRecordView::from).collect(),
    })
}

/// The audit records about the signed-in resident of the last [`OWN_ACCESS_LOG_DAYS`] days,
/// oldest first: who touched their data (staff by role only), why and how. Only records whose
/// subject is this resident are read, and the read is itself audited.
pub fn own_access_log(store: &dyn Store, access: &Access) -> Result<OwnAccessLog, ApiError> {
    let person = resident_of(access)?;
    let since = access
        .at
        .saturating_sub(jiff::SignedDuration::from_hours(24 * OWN_ACCESS_LOG_DAYS))
        .map_err(ApiError::internal)?;
    let query = AuditQuery {
        subject: Some(person),
        since: Some(since),
        ..AuditQuery::default()
    };
    let records = store.audit_log(access, &query)?;
    Ok(OwnAccessLog {
        since,
        records: records
            .iter()
            .map(|record| OwnAccessRecordView::new(record, person))
            .collect(),
    })
}

pub fn verify_audit_chain(store: &dyn Store) -> Result<AuditChainView, ApiError> {
    Ok(AuditChainView::from(&store.verify_audit_chain()?))
}

/// The person a resident-only action is about: the signed-in resident.
pub fn resident_of(access: &Access) -> Result<PersonId, ApiError> {
    match access.actor {
        Actor::Resident(person) => Ok(person),
        // The endpoint table lets only residents reach the callers of this function.
        _ => Err(ApiError::Forbidden),
    }
}
