//! Ratings as a service: re-rating residents when something changes, a resident's status with
//! its reasons, rating history, appeals, overrides and the region-risk list.
//!
//! These are the library functions behind the rating endpoints and the `healthcode` commands
//! that rate: plain synchronous functions over a [`Store`], with the policy and the time passed
//! in. The engine ([`rate`]) is pure; everything here gathers its facts from the store and
//! records what it answers, so that ratings are history.
//!
//! Re-rating is the system's own work, not the work of whoever triggered it: its reads of facts
//! and its writes of ratings are audited as [`Actor::System`] with the purpose `rating`, and each
//! stored rating names its cause (the event, the expiry, the activation, the
//! list version, the override). Nothing here logs personal data.

use healthcode_core::rating::{
    Appeal, AppealDecision, AppealId, AppealOutcome, AppealRecord, CaseId, CaseRecord, Colour,
    Contact, Override, Policy, Rating, RatingCause, RatingRecord, RegionRiskList, rate,
};
use healthcode_core::{Access, Actor, EventId, PersonId, Purpose, StaffId, Timestamp};
use healthcode_store::{Store, StoreError, Write};
use std::collections::BTreeMap;

use crate::api::{Decision, NewOverride, Verdict};
use crate::error::ApiError;
use crate::metrics;
use crate::policies::Policies;

/// How many ratings one store transaction records when everyone is re-rated.
pub const RERATE_BATCH: usize = 1_000;

/// How many residents whose rating ran out one pass of [`rerate_due`] asks the store for at once.
pub const DUE_BATCH: u32 = 1_000;

/// How many residents were rated and how many of their ratings changed (and so were stored).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RerateReport {
    pub people: u64,
    pub changed: u64,
}

/// The access under which healthcode itself rates residents, whoever caused the re-rating.
pub fn rating_access(now: Timestamp) -> Access {
    Access::new(Actor::System, Purpose::Rating, now)
}

/// Rates one resident at `now` from their current facts and records the rating if it differs
/// from their latest one.
pub fn rerate(
    store: &dyn Store,
    policy: &Policy,
    person: PersonId,
    cause: &RatingCause,
    now: Timestamp,
) -> Result<(Rating, Write), StoreError> {
    let access = rating_access(now);
    let facts = store.facts_of(&access, person)?;
    let rating = rate(&facts, policy, now);
    let write = store.record_rating(&access, person, &rating, cause)?;
    Ok((rating, write))
}

/// Rates every enrolled resident at `now` and records the ratings that changed, in
/// transactions of [`RERATE_BATCH`] changed ratings. Used when a policy is activated or rolled
/// back to and when a new region-risk list is published.
///
/// A policy change alters few residents' ratings, so only the ratings that show something other
/// than the latest rating the walk hands over with the facts ([`Rating::shows_the_same_as`]) are
/// sent to the store, which checks each again against the latest rating at the time of writing:
/// the store's check is the contract, this one only spares it a look-up per unchanged resident.
pub fn rerate_all(
    store: &dyn Store,
    policy: &Policy,
    cause: &RatingCause,
    now: Timestamp,
) -> Result<RerateReport, StoreError> {
    let access = rating_access(now);
    // Ratings are written while the store visits, a batch at a time, so that memory stays
    // bounded however many residents there are (the store reads in a snapshot of its own and
    // lets a visit write). A visit cannot stop the walk: after a failed write the rest of it
    // only skips its work, and the failure is answered once the walk is over.
    let mut pending = Vec::with_capacity(RERATE_BATCH);
    let mut changed = 0;
    let mut failed = None;
    let people = store.for_each_facts(&access, &mut |person, facts, latest| {
        if failed.is_some() {
            return;
        }
        let rating = rate(&facts, policy, now);
        if latest.is_some_and(|latest| rating.shows_the_same_as(&latest)) {
            return;
        }
        pending.push((person, rating, cause.clone()));
        if pending.len() == RERATE_BATCH {
            match store.record_ratings(&access, &pending) {
                Ok(stored) => changed += stored,
                Err(error) => failed = Some(error),
            }
            pending.clear();
        }
    })?;
    if let Some(error) = failed {
        return Err(error);
    }
    if !pending.is_empty() {
        changed += store.record_ratings(&access, &pending)?;
    }
    tracing::info!(people, changed, "re-rated every resident");
    Ok(RerateReport { people, changed })
}

/// Re-rates the residents whose latest rating's `valid_until` is at or before `now` (cause:
/// expiry): a red whose fourteen days are over turns green without anyone asking. The server
/// runs this every `rerate_interval_secs`; tests call it after moving their clock.
pub fn rerate_due(
    store: &dyn Store,
    policy: &Policy,
    now: Timestamp,
) -> Result<RerateReport, StoreError> {
    let mut report = RerateReport::default();
    loop {
        let due = store.ratings_due(now, DUE_BATCH)?;
        if due.is_empty() {
            break;
        }
        let causes: BTreeMap<PersonId, RatingCause> = due
            .iter()
            .map(|person| (*person, RatingCause::Expiry))
            .collect();
        let batch = rerate_people(store, policy, &causes, now)?;
        report.people += batch.people;
        report.changed += batch.changed;
        // A rating that comes out the same is not stored and would be due again: stop rather
        // than ask for the same residents forever.
        if batch.changed == 0 || due.len() < DUE_BATCH as usize {
            break;
        }
    }
    if report.people > 0 {
        tracing::info!(
            people = report.people,
            changed = report.changed,
            "re-rated residents whose rating ran out"
        );
    }
    Ok(report)
}

/// Re-rates each of `people` after events about them, each with its own cause: one read of
/// their facts and one write of the ratings that changed, however many they are.
pub fn rerate_people(
    store: &dyn Store,
    policy: &Policy,
    people: &BTreeMap<PersonId, RatingCause>,
    now: Timestamp,
) -> Result<RerateReport, StoreError> {
    if people.is_empty() {
        return Ok(RerateReport::default());
    }
    let access = rating_access(now);
    let ids: Vec<PersonId> = people.keys().copied().collect();
    let facts = store.facts_of_people(&access, &ids)?;
    let ratings: Vec<(PersonId, Rating, RatingCause)> = people
        .iter()
        .zip(facts)
        .map(|((person, cause), facts)| (*person, rate(&facts, policy, now), cause.clone()))
        .collect();
    let changed = store.record_ratings(&access, &ratings)?;
    Ok(RerateReport {
        people: ratings.len() as u64,
        changed,
    })
}

/// A resident's status now: rated fresh from their facts, and recorded (cause: request) if it
/// differs from their latest stored rating. `access` names who asks and is audited.
pub fn status(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    person: PersonId,
) -> Result<Rating, ApiError> {
    let facts = store.facts_of(access, person).map_err(person_not_found)?;
    let rating = rate(&facts, policy, access.at);
    store.record_rating(access, person, &rating, &RatingCause::Request)?;
    Ok(rating)
}

/// A resident's rating history, oldest first.
pub fn rating_history(
    store: &dyn Store,
    access: &Access,
    person: PersonId,
) -> Result<Vec<RatingRecord>, ApiError> {
    store
        .rating_history(access, person)
        .map_err(person_not_found)
}

/// Files the resident's appeal against their latest stored rating. Refused (409) when no
/// rating is stored yet: there is nothing to appeal.
pub fn file_appeal(
    store: &dyn Store,
    access: &Access,
    person: PersonId,
    id: AppealId,
    statement: String,
) -> Result<(Appeal, Write), ApiError> {
    let latest = store
        .rating_history(access, person)?
        .pop()
        .ok_or(ApiError::Conflict(
            "there is no rating to appeal yet; ask for your status first",
        ))?;
    let appeal = Appeal {
        id,
        person,
        rating: latest.sequence,
        statement,
        filed_at: access.at,
    };
    let write = store.file_appeal(access, &appeal)?;
    Ok((appeal, write))
}

/// A resident's appeals with their outcomes, oldest first.
pub fn appeals_of(
    store: &dyn Store,
    access: &Access,
    person: PersonId,
) -> Result<Vec<AppealRecord>, ApiError> {
    Ok(store.appeals_of(access, person)?)
}

/// An undecided appeal with what an official needs to decide it.
#[derive(Clone, Debug)]
pub struct QueuedAppeal {
    pub appeal: Appeal,
    /// The rating appealed against, as stored.
    pub rating: Option<RatingRecord>,
    /// That rating worked out again, with its reasons and evidence: from the resident's
    /// current facts as they stood at the rating's time, under the rating's policy. `None` if
    /// that policy is no longer stored.
    pub recomputed: Option<Rating>,
}

/// Undecided appeals, oldest first, each with its rating's reasons and evidence.
pub fn appeal_queue(
    store: &dyn Store,
    access: &Access,
    policies: &Policies,
    limit: u32,
) -> Result<Vec<QueuedAppeal>, ApiError> {
    let appeals = store.appeal_queue(access, limit)?;
    let mut queue = Vec::with_capacity(appeals.len());
    for appeal in appeals {
        let rating = store
            .rating_history(access, appeal.person)?
            .into_iter()
            .find(|record| record.sequence == appeal.rating);
        let recomputed = match &rating {
            Some(record) => match policies.stored(store, &record.policy_version) {
                Ok(policy) => {
                    let facts = store.facts_of(access, appeal.person)?;
                    Some(rate(&facts, &policy, record.rated_at))
                }
                Err(StoreError::NotFound { .. }) => None,
                Err(other) => return Err(other.into()),
            },
            None => None,
        };
        queue.push(QueuedAppeal {
            appeal,
            rating,
            recomputed,
        });
    }
    Ok(queue)
}

/// A decided appeal and the resident's colour after it.
#[derive(Clone, Debug)]
pub struct DecidedAppeal {
    pub person: PersonId,
    pub decision: AppealDecision,
    /// For an amendment: the resident's colour once the override is in force.
    pub colour: Option<Colour>,
}

/// Decides an appeal as the signed-in official. An amendment sets an override that names the
/// appeal (same reason, the given colour and expiry) and re-rates the resident. The time from
/// filing to decision goes to the `healthcode_appeal_decision_seconds` histogram.
pub fn decide_appeal(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    id: AppealId,
    decision: Decision,
) -> Result<DecidedAppeal, ApiError> {
    let official = official_of(access)?;
    let now = access.at;
    let record = store.appeal(access, id).map_err(|error| match error {
        StoreError::NotFound { .. } => ApiError::NotFound {
            what: "appeal",
            field: Some("appeal_id".to_owned()),
        },
        other => other.into(),
    })?;
    if record.decision.is_some() {
        return Err(already_decided());
    }
    let outcome = match decision.verdict {
        Verdict::Uphold => AppealOutcome::Uphold,
        Verdict::Amend { colour, expires_at } => AppealOutcome::Amend(Override {
            id: healthcode_core::rating::OverrideId::from_uuid(uuid::Uuid::new_v4()),
            colour,
            reason: decision.reason.clone(),
            set_by: official,
            set_at: now,
            expires_at,
            appeal: Some(id),
        }),
    };
    let decided = AppealDecision {
        appeal: id,
        outcome,
        reason: decision.reason,
        decided_by: official,
        decided_at: now,
    };
    store
        .decide_appeal(access, &decided)
        .map_err(|error| match error {
            StoreError::Conflict(_) => already_decided(),
            other => other.into(),
        })?;
    metrics::record_appeal_decision(record.appeal.filed_at, now);
    let person = record.appeal.person;
    let colour = match &decided.outcome {
        AppealOutcome::Amend(override_) => {
            let cause = RatingCause::Override(override_.id);
            Some(rerate(store, policy, person, &cause, now)?.0.colour)
        }
        // The rating stands: nothing to rate again.
        AppealOutcome::Uphold => None,
    };
    Ok(DecidedAppeal {
        person,
        decision: decided,
        colour,
    })
}

fn already_decided() -> ApiError {
    ApiError::Conflict("this appeal is already decided")
}

/// Sets an official's override of a resident's colour and re-rates them. Answers whether the
/// override was stored now and the resident's rating after it.
pub fn set_override(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    person: PersonId,
    new: NewOverride,
) -> Result<(Write, Rating), ApiError> {
    let override_ = Override {
        id: new.id,
        colour: new.colour,
        reason: new.reason,
        set_by: official_of(access)?,
        set_at: access.at,
        expires_at: new.expires_at,
        appeal: None,
    };
    let write = store
        .set_override(access, person, &override_)
        .map_err(person_not_found)?;
    let (rating, _) = rerate(
        store,
        policy,
        person,
        &RatingCause::Override(override_.id),
        access.at,
    )?;
    Ok((write, rating))
}

/// Publishes a new version of the region-risk list and re-rates every resident under it.
pub fn publish_region_risk_list(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    entries: &BTreeMap<healthcode_core::RegionCode, healthcode_core::rating::RiskLevel>,
) -> Result<(RegionRiskList, RerateReport), ApiError> {
    let list = store.publish_region_risk_list(access, entries)?;
    tracing::info!(
        version = list.version,
        regions = list.entries.len(),
        "published a region-risk list"
    );
    let rerated = rerate_all(
        store,
        policy,
        &RatingCause::RegionRiskListChanged(list.version),
        access.at,
    )?;
    Ok((list, rerated))
}

/// A version of the region-risk list, or the one in force.
pub fn region_risk_list(
    store: &dyn Store,
    version: Option<u32>,
) -> Result<RegionRiskList, ApiError> {
    store
        .region_risk_list(version)?
        .ok_or_else(|| ApiError::NotFound {
            what: "region-risk list",
            field: Some("version".to_owned()),
        })
}

/// Records a case registered by an official and re-rates its person.
pub fn record_case(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    person: PersonId,
    case: &CaseRecord,
) -> Result<Write, ApiError> {
    let write = store
        .record_case(access, person, case)
        .map_err(person_not_found)?;
    rerate(store, policy, person, &case_cause(case.case), access.at)?;
    Ok(write)
}

/// Releases a case at `access.at` and re-rates its person.
pub fn release_case(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    case: CaseId,
) -> Result<PersonId, ApiError> {
    let person = store
        .release_case(access, case)
        .map_err(|error| match error {
            StoreError::NotFound { .. } => ApiError::NotFound {
                what: "case",
                field: Some("case_id".to_owned()),
            },
            StoreError::Conflict(_) => ApiError::Conflict("this case is already released"),
            other => other.into(),
        })?;
    rerate(store, policy, person, &case_cause(case), access.at)?;
    Ok(person)
}

/// Records a contact found by tracing and re-rates its person.
pub fn record_contact(
    store: &dyn Store,
    access: &Access,
    policy: &Policy,
    person: PersonId,
    contact: &Contact,
) -> Result<Write, ApiError> {
    let write = store
        .record_contact(access, person, contact)
        .map_err(person_not_found)?;
    let cause = EventId::from_uuid(contact.contact.as_uuid())
        .map_or(RatingCause::Request, RatingCause::Event);
    rerate(store, policy, person, &cause, access.at)?;
    Ok(write)
}

/// A case's registration or release is an event about its person, named by the case's id.
fn case_cause(case: CaseId) -> RatingCause {
    // Case ids are random UUIDs; only a nil one cannot name an event.
    EventId::from_uuid(case.as_uuid()).map_or(RatingCause::Request, RatingCause::Event)
}

/// The official acting: only staff decide appeals and set overrides.
fn official_of(access: &Access) -> Result<StaffId, ApiError> {
    match access.actor {
        Actor::Staff { id, .. } => Ok(id),
        // The endpoint table lets only health officials reach the callers of this function;
        // the command line names an official explicitly.
        _ => Err(ApiError::Forbidden),
    }
}

/// A store's "not found" or "unknown reference" about a person, as the `person_id` field.
pub(crate) fn person_not_found(error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound { .. } | StoreError::UnknownReference { .. } => ApiError::NotFound {
            what: "person",
            field: Some("person_id".to_owned()),
        },
        other => other.into(),
    }
}
