//! Residents' consents to employers' close-contact checks, and the checks themselves, as
//! functions over a [`Store`] shared by the HTTP API and the command line.
//!
//! A consent token is drawn like a bearer token ([`new_bearer_token`]: 32 random bytes,
//! base64url) and only its SHA-256 is stored; it is handed to the resident once. An employer's
//! check learns one bit or is refused with [`ApiError::NoValidConsent`], the same whatever was
//! wrong. Nothing here logs a token, an ID number or an answer.

use healthcode_core::consent::{Consent, ConsentId};
use healthcode_core::rating::Policy;
use healthcode_core::{Access, PersonId, ResidentId, Role};
use healthcode_store::{
    CloseContactAnswer, CloseContactCheck, ConsentRecord, Store, StoreError, Write,
};

use crate::accounts::{new_bearer_token, token_hash};
use crate::api::{
    CloseContactCheckRequest, CloseContactCheckResponse, ConsentList, ConsentView, FieldError,
    IssuedConsent, NewConsent,
};
use crate::error::ApiError;
use crate::service::resident_of;

/// Issues the signed-in resident's consent to an employer and hands out its token. Answers
/// whether it was a resend of a stored consent, whose token the new one replaces.
pub fn issue_consent(
    store: &dyn Store,
    access: &Access,
    request: NewConsent,
) -> Result<(IssuedConsent, Write), ApiError> {
    let person = resident_of(access)?;
    let employer = store
        .staff_account(&request.employer)?
        .filter(|account| account.role == Role::Employer)
        .ok_or_else(|| {
            FieldError::new(
                "employer",
                "no employer has an account with this username; ask your employer for it",
            )
        })?;
    let consent = Consent::issue(request.id, person, employer.id, access.at, request.terms);
    let (token, hash) = new_bearer_token();
    let (stored, write) =
        store
            .issue_consent(access, &consent, &hash)
            .map_err(|error| match error {
                StoreError::Conflict(what) => ApiError::Conflict(what),
                other => other.into(),
            })?;
    let record = ConsentRecord {
        consent: stored,
        employer: employer.username,
    };
    tracing::info!(consent = %stored.id, replayed = write == Write::Duplicate, "issued a consent");
    Ok((
        IssuedConsent {
            consent: ConsentView::new(&record, access.at),
            token,
        },
        write,
    ))
}

/// The signed-in resident's consents, oldest first, as they stand now.
pub fn own_consents(store: &dyn Store, access: &Access) -> Result<ConsentList, ApiError> {
    consents_of(store, access, resident_of(access)?)
}

/// A resident's consents, oldest first, as they stand at `access.at`.
pub fn consents_of(
    store: &dyn Store,
    access: &Access,
    person: PersonId,
) -> Result<ConsentList, ApiError> {
    let records = store.consents_of(access, person)?;
    Ok(ConsentList {
        consents: records
            .iter()
            .map(|record| ConsentView::new(record, access.at))
            .collect(),
    })
}

/// Revokes one of the signed-in resident's consents now. Revoking it again changes nothing.
pub fn revoke_consent(
    store: &dyn Store,
    access: &Access,
    consent: ConsentId,
) -> Result<ConsentView, ApiError> {
    let person = resident_of(access)?;
    let (record, _) =
        store
            .revoke_consent(access, person, consent)
            .map_err(|error| match error {
                StoreError::NotFound { .. } => ApiError::NotFound {
                    what: "consent",
                    field: Some("consent_id".to_owned()),
                },
                other => other.into(),
            })?;
    Ok(ConsentView::new(&record, access.at))
}

/// An employer's check of an employee who consented, over the window of `policy`
/// (`contact_check_within`). Refused with [`ApiError::NoValidConsent`] unless a consent in
/// force covers it.
pub fn check_close_contact(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    request: CloseContactCheckRequest,
) -> Result<CloseContactCheckResponse, ApiError> {
    let resident_id = ResidentId::parse(request.resident_id.trim())
        .map_err(|error| FieldError::new("resident_id", error))?;
    let token = request.token.trim();
    if token.is_empty() {
        return Err(
            FieldError::new("token", "is required: the token the employee gave you").into(),
        );
    }
    let check = CloseContactCheck {
        resident_id,
        token: token_hash(token),
        within: policy.tracing.contact_check_within,
    };
    match store.check_close_contact(access, &check)? {
        CloseContactAnswer::Answered { close_contact } => {
            Ok(CloseContactCheckResponse { close_contact })
        }
        CloseContactAnswer::Refused => Err(ApiError::NoValidConsent),
    }
}
