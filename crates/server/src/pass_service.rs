//! Signed passes in the service: issuing a resident's pass (their colour now, with their
//! masked name, birth year and a salted hash of their ID number, signed with the region's
//! active pass key), scanning one at a checkpoint (verified offline, checked online against the
//! holder's latest rating, and logged as a visit), venues' posters with their signed codes and
//! the check-ins of residents who scan them, and the region's keys as a running server holds
//! them.

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use healthcode_core::rating::{Colour, HealthReport, Policy, Rating, RatingCause, Reporter};
use healthcode_core::{
    Access, CheckIn, CheckInSource, EventId, PersonId, Purpose, Role, Temperature, VenueId,
};
use healthcode_pass::claims::SALT_LENGTH;
use healthcode_pass::keystore::{KeyStoreError, PASS_KEY_DIRECTORY};
use healthcode_pass::poster::{self, Poster};
use healthcode_pass::verify::check_not_revoked;
use healthcode_pass::{
    Contents, Holder, Invalid, PassClaims, PassKeys, PublicKey, VenueCode, Verdict, Verifier,
};
use healthcode_store::Store;
use jiff::{SignedDuration, Timestamp};

use crate::api::{FieldError, WriteResponse};
use crate::config::PassConfig;
use crate::error::ApiError;
use crate::metrics;
use crate::policies::Policies;
use crate::rating_service::{self, person_not_found};
use crate::service::store_check_in;

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

/// Issues the signed-in resident their own pass under the active policy and the region's
/// current keys, with fresh randomness for the ID hash: what `GET /v1/me/pass` and the
/// resident's "My code" page do.
pub fn issue_own_pass(
    store: &dyn Store,
    access: &Access,
    policies: &Policies,
    passes: &Passes,
) -> Result<IssuedPass, ApiError> {
    let person = crate::service::resident_of(access)?;
    let policy = policies.active(store, access.at)?;
    let keys = passes.current(access.at)?;
    let mut salt = [0; SALT_LENGTH];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt);
    issue_pass(
        store,
        access,
        &policy,
        &keys.keys,
        passes.config(),
        person,
        salt,
    )
}

/// `at` without its fraction of a second, as passes carry times.
fn whole_second(at: Timestamp) -> Timestamp {
    Timestamp::from_second(at.as_second()).expect("a timestamp's whole seconds are in range")
}

/// The region's pass keys as a running server holds them: loaded when it starts, and loaded
/// again when an operator rotates them or imports a trust list with `healthcode pass …` while
/// it runs (noticed from the key files' modification times, checked at each use).
#[derive(Debug)]
pub struct Passes {
    config: PassConfig,
    data_dir: PathBuf,
    loaded: RwLock<Arc<LoadedKeys>>,
}

/// The keys and the verifier of one load.
#[derive(Debug)]
pub struct LoadedKeys {
    pub keys: PassKeys,
    /// Trusts this region's keys and every imported region's.
    pub verifier: Verifier,
    /// This region's trust anchor and every pinned one, which sign venues' poster codes.
    pub anchors: Vec<(String, PublicKey)>,
    stamp: KeyStamp,
}

/// What identifies one version of the key files: the modification time and inode of the key
/// directory, its state file and its folder of imported lists (files are replaced by
/// renaming, which changes all three).
type KeyStamp = Vec<Option<(SystemTime, u64)>>;

/// Why the pass keys could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum PassesError {
    #[error("pass.algorithm: {0}")]
    Algorithm(String),
    #[error(transparent)]
    Keys(#[from] KeyStoreError),
}

impl Passes {
    /// Opens the pass keys of `data_dir`, making them on first run.
    pub fn open(
        data_dir: &Path,
        config: PassConfig,
        now: Timestamp,
    ) -> Result<Passes, PassesError> {
        let loaded = load(data_dir, &config, now)?;
        Ok(Passes {
            config,
            data_dir: data_dir.to_owned(),
            loaded: RwLock::new(Arc::new(loaded)),
        })
    }

    pub fn config(&self) -> &PassConfig {
        &self.config
    }

    /// The keys as the files hold them now: those loaded before, unless the files changed.
    pub fn current(&self, now: Timestamp) -> Result<Arc<LoadedKeys>, ApiError> {
        let stamp = stamp(&self.data_dir);
        {
            let loaded = self.loaded.read().map_err(|_| poisoned())?;
            if loaded.stamp == stamp {
                return Ok(Arc::clone(&loaded));
            }
        }
        let mut loaded = self.loaded.write().map_err(|_| poisoned())?;
        if loaded.stamp != stamp {
            *loaded =
                Arc::new(load(&self.data_dir, &self.config, now).map_err(ApiError::internal)?);
        }
        Ok(Arc::clone(&loaded))
    }
}

fn poisoned() -> ApiError {
    ApiError::internal("the pass keys' lock was poisoned")
}

fn load(data_dir: &Path, config: &PassConfig, now: Timestamp) -> Result<LoadedKeys, PassesError> {
    let algorithm = config.signing_algorithm().map_err(PassesError::Algorithm)?;
    // The stamp is taken before reading, so a change made while reading is noticed next time.
    let stamp = stamp(data_dir);
    let keys = PassKeys::open_or_create(data_dir, algorithm, now)?;
    let verifier = keys.verifier(&config.issuer, now)?;
    let anchors = keys.anchors(&config.issuer)?;
    Ok(LoadedKeys {
        keys,
        verifier,
        anchors,
        stamp,
    })
}

fn stamp(data_dir: &Path) -> KeyStamp {
    let dir = data_dir.join(PASS_KEY_DIRECTORY);
    [dir.join("keys.json"), dir.join("trusted"), dir]
        .iter()
        .map(|path| {
            let metadata = std::fs::metadata(path).ok()?;
            Some((metadata.modified().ok()?, metadata.ino()))
        })
        .collect()
}

/// What a scan found: the verdict, and the visit it logged or why it logged none.
#[derive(Debug)]
pub struct Scanned {
    pub verdict: Verdict,
    pub check_in: Result<WriteResponse, &'static str>,
    /// The temperature taken, kept as a health report on the holder, with their colour once
    /// it was counted: when one was given and the visit was logged.
    pub temperature: Option<(WriteResponse, Colour)>,
}

/// What was scanned: the QR code's text, or a photo of it.
#[derive(Clone, Copy, Debug)]
pub enum Scan<'a> {
    Text(&'a str),
    Image(&'a [u8]),
}

/// Where a scan happens: the visit it logs when the pass is valid.
#[derive(Clone, Copy, Debug)]
pub struct Visit {
    pub venue: VenueId,
    /// The scanner's id for the visit; a resend logs nothing new.
    pub event_id: EventId,
    /// The holder's temperature, taken at the scan.
    pub temperature: Option<Temperature>,
}

/// Verifies a scanned pass at `access.at` and, when it is valid and this region issued it,
/// checks online that its rating is still the holder's latest (refused as revoked otherwise)
/// and logs the `visit` as a check-in: scanned by the venue when its staff scan, at a
/// checkpoint otherwise. The verdict is counted in the metrics. Passes of other regions and EU certificates are
/// verified but name nobody registered here, so they log no visit.
///
/// A temperature taken at a logged visit is kept as a daily health report on the holder, filed
/// by the checkpoint under the visit's event id (so a resend keeps it once), and the holder is
/// rated again under `policy`: a fever counts at once, as an employer's report of one would.
pub fn scan(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    keys: &LoadedKeys,
    own_issuer: &str,
    scanned: Scan<'_>,
    visit: Visit,
) -> Result<Scanned, ApiError> {
    let Visit {
        venue,
        event_id,
        temperature,
    } = visit;
    // Door staff of a venue scan for the venue; checkpoint workers at a gate or road.
    let source = match access.actor.role() {
        Some(Role::VenueOperator) => CheckInSource::VenueScansPerson,
        _ => CheckInSource::Checkpoint,
    };
    if store.venue(venue)?.is_none() {
        return Err(ApiError::UnknownReference {
            field: "venue_id".to_owned(),
            what: "venue",
        });
    }
    let mut verdict = match scanned {
        Scan::Text(text) => keys.verifier.verify(text, access.at),
        Scan::Image(image) => keys.verifier.verify_image(image, access.at),
    };
    let mut holder = None;
    let check_in = match &verdict {
        Err(_) => Err("the pass is not valid"),
        Ok(verified) => match &verified.contents {
            Contents::Dcc(_) => Err("an EU certificate names nobody registered here"),
            Contents::HealthCode(_) if verified.issuer != own_issuer => {
                Err("the pass was issued by another region, where its holder is registered")
            }
            Contents::HealthCode(claims) => match holder_now(store, access, claims)? {
                Err(revoked) => {
                    verdict = Err(revoked);
                    Err("the pass is revoked")
                }
                Ok(person) => {
                    let check_in = CheckIn::new(event_id, venue, person, access.at, None, source)
                        .expect("a visit without an end is a valid check-in");
                    holder = Some(person);
                    Ok(store_check_in(store, access, &check_in)?)
                }
            },
        },
    };
    metrics::record_scan(match &verdict {
        Ok(_) => "valid",
        Err(invalid) => invalid.code(),
    });
    let temperature = match (holder, temperature) {
        (Some(person), Some(temperature)) => Some(record_temperature(
            store,
            access,
            policy,
            person,
            temperature,
            event_id,
        )?),
        _ => None,
    };
    Ok(Scanned {
        verdict,
        check_in,
        temperature,
    })
}

/// Keeps a temperature taken at a checkpoint as a daily health report on `person` (about the
/// day of `access.at` in the policy's offset), then rates them again.
fn record_temperature(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    person: PersonId,
    temperature: Temperature,
    event_id: EventId,
) -> Result<(WriteResponse, Colour), ApiError> {
    let report = HealthReport {
        event_id,
        reporter: Reporter::Checkpoint,
        day: access
            .at
            .to_zoned(jiff::tz::TimeZone::fixed(policy.utc_offset))
            .date(),
        reported_at: access.at,
        temperature: Some(temperature),
        symptoms: BTreeSet::new(),
    };
    // Filed under the purpose of health reports, as an employer's or a community's are.
    let reporting = Access::new(access.actor, Purpose::HealthReport, access.at);
    let written = store.ingest_health_reports(&reporting, &[(person, report)])?;
    let (rating, _) = rating_service::rerate(
        store,
        policy,
        person,
        &RatingCause::Event(event_id),
        access.at,
    )?;
    Ok((
        WriteResponse {
            event_id: event_id.as_uuid(),
            duplicate: written.stored == 0,
        },
        rating.colour,
    ))
}

/// Scans a pass under the active policy and the region's current keys: what `POST /v1/scans`
/// and the checkpoint's page do.
pub fn scan_now(
    store: &dyn Store,
    access: &Access,
    policies: &Policies,
    passes: &Passes,
    scanned: Scan<'_>,
    visit: Visit,
) -> Result<Scanned, ApiError> {
    let keys = passes.current(access.at)?;
    let policy = policies.active(store, access.at)?;
    scan(
        store,
        access,
        &policy,
        &keys,
        &passes.config().issuer,
        scanned,
        visit,
    )
}

/// The holder of a pass this region issued, unless a newer rating revoked it (or its rating is
/// gone, with the person's data).
fn holder_now(
    store: &dyn Store,
    access: &Access,
    claims: &PassClaims,
) -> Result<Result<PersonId, Invalid>, ApiError> {
    let Some(holder) = store.pass_holder(access, claims.rating_version)? else {
        return Ok(Err(Invalid::Revoked));
    };
    Ok(check_not_revoked(claims, holder.latest_rating).map(|()| holder.person))
}

/// The A4 poster of `venue` (SVG), carrying its code signed by this region's anchor now.
pub fn venue_poster(
    store: &dyn Store,
    keys: &LoadedKeys,
    issuer: &str,
    venue: VenueId,
    now: Timestamp,
) -> Result<String, ApiError> {
    let venue = store.venue(venue)?.ok_or(ApiError::NotFound {
        what: "venue",
        field: Some("venue_id".to_owned()),
    })?;
    let district = venue.district.to_string();
    let code = keys
        .keys
        .venue_code(issuer, *venue.id.as_bytes(), &venue.name, &district, now);
    poster::a4_svg(&Poster {
        venue_name: &venue.name,
        district: &district,
        issuer,
        venue_id: &venue.id.to_string(),
        code: &code,
    })
    .map_err(ApiError::internal)
}

/// Checks the signed-in resident in at the venue whose poster code they scanned, at
/// `access.at`. The code must be signed by this region's anchor for a venue registered here.
pub fn check_in_at_venue(
    store: &dyn Store,
    access: &Access,
    keys: &LoadedKeys,
    own_issuer: &str,
    code: &str,
    event_id: EventId,
) -> Result<WriteResponse, ApiError> {
    let person = crate::service::resident_of(access)?;
    let code = VenueCode::open(code, &keys.anchors).map_err(|invalid| {
        FieldError::new(
            "code",
            format_args!("not a valid venue code ({}): {invalid}", invalid.code()),
        )
    })?;
    if code.issuer != own_issuer {
        return Err(FieldError::new(
            "code",
            format_args!(
                "the venue is registered in region {}; check in with that region's app",
                code.issuer
            ),
        )
        .into());
    }
    let check_in = CheckIn::new(
        event_id,
        VenueId::from_bytes(code.venue),
        person,
        access.at,
        None,
        CheckInSource::PersonScansVenue,
    )
    .expect("a visit without an end is a valid check-in");
    store_check_in(store, access, &check_in)
}
