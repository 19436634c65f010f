//! Issuing signed passes: a resident's colour now, with their masked name, birth year and a
//! salted hash of their ID number, signed with the region's active pass key.

use healthcode_core::rating::{Policy, Rating};
use healthcode_core::{Access, PersonId};
use healthcode_pass::claims::SALT_LENGTH;
use healthcode_pass::{Holder, PassClaims, PassKeys};
use healthcode_store::Store;
use jiff::{SignedDuration, Timestamp};

use crate::config::PassConfig;
use crate::error::ApiError;
use crate::rating_service::{self, person_not_found};

/// A pass as issued: its text (what the QR code holds), its claims, and the rating it shows.
#[derive(Clone, Debug)]
pub struct IssuedPass {
    pub text: String,
    pub claims: PassClaims,
    pub rating: Rating,
}

/// Issues `person` a pass at `access.at`, valid for the configured lifetime. The resident is
/// rated afresh first (recorded if the colour changed), so the pass shows the colour of now
/// and names the rating it shows; `salt` (fresh randomness from the caller) keeps the ID hash
/// of one pass from matching another's.
pub fn issue_pass(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    keys: &PassKeys,
    config: &PassConfig,
    person: PersonId,
    salt: [u8; SALT_LENGTH],
) -> Result<IssuedPass, ApiError> {
    let details = store.person(access, person).map_err(person_not_found)?;
    let rating = rating_service::status(store, access, policy, person)?;
    let version = store
        .rating_history(access, person)
        .map_err(person_not_found)?
        .last()
        .map(|record| record.sequence)
        .ok_or_else(|| ApiError::Internal("a rated resident has no rating history".into()))?;
    let issued_at = whole_second(access.at);
    let claims = PassClaims {
        issuer: config.issuer.clone(),
        issued_at,
        expires: issued_at
            .saturating_add(SignedDuration::from_secs(config.lifetime_secs.into()))
            .map_err(|error| ApiError::Internal(error.into()))?,
        colour: rating.colour,
        colour_valid_until: rating.valid_until.map(whole_second),
        rating_version: version,
        holder: Holder::bind(&details.resident_id, details.name.masked(), salt),
    };
    Ok(IssuedPass {
        text: claims.issue(keys.active()),
        claims,
        rating,
    })
}

/// `at` without its fraction of a second, as passes carry times.
fn whole_second(at: Timestamp) -> Timestamp {
    Timestamp::from_second(at.as_second()).expect("a timestamp's whole seconds are in range")
}
