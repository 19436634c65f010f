//! The policy lifecycle: upload, list, compare on the current data, activate, roll back; and
//! the active policy, parsed once per version.
//!
//! These are the library functions behind `/v1/policies…` and `healthcode policy …`: plain
//! synchronous functions over a [`Store`], with the time passed in. Activating a policy (and
//! rolling back to one) re-rates every resident under it at once, so that no stored colour was
//! worked out by a policy that is no longer in force.
//!
//! A policy file is checked by [`Policy::parse`] before it is stored, and the store checks it
//! again: an invalid policy can never be active. Nothing here logs personal data; a comparison
//! names residents only by their pseudonymous person ids.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use healthcode_core::rating::{Colour, Policy, PolicyErrors, PolicyVersion, Rating, RatingCause};
use healthcode_core::{Access, Actor, PersonId, Purpose, Timestamp};
use healthcode_store::{PolicyActivation, Store, StoreError, StoredPolicy, Write};

use crate::error::ApiError;
use crate::rating_service::{RerateReport, rerate_all};

/// The policy the system runs with until officials activate another: the file shipped in
/// `policies/default.toml`.
pub const DEFAULT_POLICY_SOURCE: &str = include_str!("../../../policies/default.toml");

/// The parsed policies of a store, by version, and which one is active.
///
/// Each call to [`Policies::active`] asks the store which policy is active (a small read), so
/// an activation made elsewhere (another server process, the command line) is picked up at
/// once; a version's source is parsed only the first time it is needed.
#[derive(Debug, Default)]
pub struct Policies {
    parsed: Mutex<HashMap<PolicyVersion, Arc<Policy>>>,
    /// Held while the default policy is being put in place, so that two first requests do not
    /// both activate it.
    first_activation: Mutex<()>,
}

impl Policies {
    pub fn new() -> Policies {
        Policies::default()
    }

    /// The active policy. If no policy was ever activated, the shipped default is stored and
    /// activated first (see [`ensure_default_policy`]).
    pub fn active(&self, store: &dyn Store, now: Timestamp) -> Result<Arc<Policy>, StoreError> {
        if let Some(activation) = store.policy_activations()?.pop() {
            return self.stored(store, &activation.version);
        }
        let _only_one = self
            .first_activation
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let version = match store.policy_activations()?.pop() {
            Some(activation) => activation.version,
            None => ensure_default_policy(store, now)?.version,
        };
        self.stored(store, &version)
    }

    /// A stored policy, parsed. [`StoreError::NotFound`] if no policy of this version is stored.
    pub fn stored(
        &self,
        store: &dyn Store,
        version: &PolicyVersion,
    ) -> Result<Arc<Policy>, StoreError> {
        if let Some(policy) = self.lock().get(version) {
            return Ok(Arc::clone(policy));
        }
        let source = store
            .policy_source(version)?
            .ok_or(StoreError::NotFound { what: "policy" })?;
        // The store refuses invalid policies, so a stored one that does not parse was altered
        // behind the store's back (or by an incompatible version of this program).
        let policy = Policy::parse(&source).map_err(|errors| {
            StoreError::Corrupt(format!("stored policy {version} does not parse: {errors}"))
        })?;
        if policy.version != *version {
            return Err(StoreError::Corrupt(format!(
                "stored policy {version} declares version {}",
                policy.version
            )));
        }
        let policy = Arc::new(policy);
        self.lock().insert(version.clone(), Arc::clone(&policy));
        Ok(policy)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PolicyVersion, Arc<Policy>>> {
        // The map is only ever inserted into whole entries; a panic elsewhere cannot leave it
        // half-written.
        self.parsed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What [`ensure_default_policy`] found or did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefaultPolicy {
    /// The active policy's version after the call.
    pub version: PolicyVersion,
    /// Whether this call activated the shipped default (and rated everyone under it).
    pub activated_now: bool,
    /// The re-rating that followed an activation made now.
    pub rerated: Option<RerateReport>,
}

/// Makes sure a policy is active: if none was ever activated, stores the shipped default
/// policy, activates it and rates every enrolled resident under it, audited as the local
/// operator. The server calls this as it starts; `healthcode` commands that rate call it too.
pub fn ensure_default_policy(
    store: &dyn Store,
    now: Timestamp,
) -> Result<DefaultPolicy, StoreError> {
    if let Some(activation) = store.policy_activations()?.pop() {
        return Ok(DefaultPolicy {
            version: activation.version,
            activated_now: false,
            rerated: None,
        });
    }
    let policy = Policy::parse(DEFAULT_POLICY_SOURCE).map_err(StoreError::InvalidPolicy)?;
    let access = Access::new(Actor::LocalOperator, Purpose::Rating, now);
    match store.store_policy(&access, &policy.version, DEFAULT_POLICY_SOURCE) {
        // Stored with another text under the same version (an older release's default):
        // activate what is stored, which is valid by the store's own check.
        Ok(_) | Err(StoreError::Conflict(_)) => {}
        Err(other) => return Err(other),
    }
    store.activate_policy(&access, &policy.version)?;
    tracing::info!(policy = %policy.version, "activated the default policy");
    let rerated = rerate_all(
        store,
        &policy,
        &RatingCause::PolicyActivated(policy.version.clone()),
        now,
    )?;
    Ok(DefaultPolicy {
        version: policy.version,
        activated_now: true,
        rerated: Some(rerated),
    })
}

/// Checks and stores an uploaded policy file. Answers its version and whether it was stored
/// now or had been stored before with the same text.
pub fn upload_policy(
    store: &dyn Store,
    access: &Access,
    source: &str,
) -> Result<(Policy, Write), ApiError> {
    let policy = Policy::parse(source).map_err(ApiError::InvalidPolicy)?;
    let write = store
        .store_policy(access, &policy.version, source)
        .map_err(|error| match error {
            StoreError::Conflict(_) => ApiError::Conflict(
                "a different policy file is stored under this name and version; \
                 raise the version to upload a new one",
            ),
            other => other.into(),
        })?;
    Ok((policy, write))
}

/// Checks a policy file without storing it: `healthcode policy check`.
pub fn check_policy(source: &str) -> Result<Policy, PolicyErrors> {
    Policy::parse(source)
}

/// Every stored policy and every activation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyCatalogue {
    /// Oldest upload first.
    pub policies: Vec<StoredPolicy>,
    /// Oldest first; the last is the active policy.
    pub activations: Vec<PolicyActivation>,
}

impl PolicyCatalogue {
    /// The active policy's version, if any was ever activated.
    pub fn active(&self) -> Option<&PolicyVersion> {
        self.activations
            .last()
            .map(|activation| &activation.version)
    }
}

pub fn policy_catalogue(store: &dyn Store) -> Result<PolicyCatalogue, StoreError> {
    Ok(PolicyCatalogue {
        policies: store.policies()?,
        activations: store.policy_activations()?,
    })
}

/// A stored policy's source text. [`ApiError::NotFound`] names the `version` field.
pub fn policy_source(store: &dyn Store, version: &PolicyVersion) -> Result<String, ApiError> {
    store.policy_source(version)?.ok_or_else(policy_not_found)
}

/// What an activation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activation {
    pub version: PolicyVersion,
    pub activated_at: Timestamp,
    pub rerated: RerateReport,
}

/// Activates a stored policy and re-rates every resident under it (cause: the activation).
pub fn activate_policy(
    store: &dyn Store,
    access: &Access,
    policies: &Policies,
    version: &PolicyVersion,
) -> Result<Activation, ApiError> {
    let policy = match policies.stored(store, version) {
        Ok(policy) => policy,
        Err(StoreError::NotFound { .. }) => return Err(policy_not_found()),
        Err(other) => return Err(other.into()),
    };
    match store.activate_policy(access, version) {
        Ok(()) => {}
        Err(StoreError::NotFound { .. }) => return Err(policy_not_found()),
        Err(other) => return Err(other.into()),
    }
    tracing::info!(policy = %version, "activated a policy");
    let rerated = rerate_all(
        store,
        &policy,
        &RatingCause::PolicyActivated(version.clone()),
        access.at,
    )?;
    Ok(Activation {
        version: version.clone(),
        activated_at: access.at,
        rerated,
    })
}

/// Activates again the policy that was active before the current one (the latest earlier
/// activation of another version), and re-rates every resident under it.
pub fn rollback_policy(
    store: &dyn Store,
    access: &Access,
    policies: &Policies,
) -> Result<Activation, ApiError> {
    let activations = store.policy_activations()?;
    let previous = previous_version(&activations).ok_or(ApiError::Conflict(
        "no other policy was active before this one; there is nothing to roll back to",
    ))?;
    activate_policy(store, access, policies, &previous)
}

/// The version active before the current one: the latest activation of another version.
fn previous_version(activations: &[PolicyActivation]) -> Option<PolicyVersion> {
    let (current, earlier) = activations.split_last()?;
    earlier
        .iter()
        .rev()
        .find(|activation| activation.version != current.version)
        .map(|activation| activation.version.clone())
}

fn policy_not_found() -> ApiError {
    ApiError::NotFound {
        what: "policy",
        field: Some("version".to_owned()),
    }
}

/// How many samples of each pair of colours a comparison keeps.
pub const DIFF_SAMPLES_PER_PAIR: usize = 3;

/// Two policies compared on the current data: how many residents get which colour under each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyDiff {
    pub a: PolicyVersion,
    pub b: PolicyVersion,
    pub evaluated_at: Timestamp,
    /// Residents compared.
    pub people: u64,
    /// Residents whose colour differs between the two policies.
    pub changed: u64,
    /// Every pair of colours that occurs, by (colour under A, colour under B).
    pub pairs: Vec<ColourPair>,
}

/// The residents rated `under_a` by policy A and `under_b` by policy B.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColourPair {
    pub under_a: Colour,
    pub under_b: Colour,
    pub count: u64,
    /// Up to [`DIFF_SAMPLES_PER_PAIR`] residents of the pair whose ratings differ (in colour,
    /// or, for a pair of one colour, in the rules behind it), with both ratings.
    pub samples: Vec<DiffSample>,
}

/// One resident's ratings under both policies. Named by the pseudonymous person id only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffSample {
    pub person: PersonId,
    pub under_a: Rating,
    pub under_b: Rating,
}

/// Rates every enrolled resident under `a` and under `b` at `access.at`, and counts them by
/// pair of colours, with samples. Reads everyone's facts once, audited under `access` (whose
/// purpose should be [`Purpose::PolicyEvaluation`]); stores nothing.
pub fn policy_diff(
    store: &dyn Store,
    access: &Access,
    a: &Policy,
    b: &Policy,
) -> Result<PolicyDiff, StoreError> {
    let now = access.at;
    let mut pairs: BTreeMap<(Colour, Colour), ColourPair> = BTreeMap::new();
    let mut changed = 0;
    let people = store.for_each_facts(access, &mut |person, facts, _latest| {
        let under_a = healthcode_core::rating::rate(&facts, a, now);
        let under_b = healthcode_core::rating::rate(&facts, b, now);
        let key = (under_a.colour, under_b.colour);
        if key.0 != key.1 {
            changed += 1;
        }
        let pair = pairs.entry(key).or_insert_with(|| ColourPair {
            under_a: key.0,
            under_b: key.1,
            count: 0,
            samples: Vec::new(),
        });
        pair.count += 1;
        let differs = key.0 != key.1 || under_a.rule_ids() != under_b.rule_ids();
        if differs && pair.samples.len() < DIFF_SAMPLES_PER_PAIR {
            pair.samples.push(DiffSample {
                person,
                under_a,
                under_b,
            });
        }
    })?;
    Ok(PolicyDiff {
        a: a.version.clone(),
        b: b.version.clone(),
        evaluated_at: now,
        people,
        changed,
        pairs: pairs.into_values().collect(),
    })
}

/// [`policy_diff`] between two stored policies, by version. [`ApiError::NotFound`] names the
/// field (`a` or `b`) whose policy is not stored.
pub fn diff_stored_policies(
    store: &dyn Store,
    access: &Access,
    policies: &Policies,
    a: &PolicyVersion,
    b: &PolicyVersion,
) -> Result<PolicyDiff, ApiError> {
    let load = |version: &PolicyVersion, field: &str| match policies.stored(store, version) {
        Ok(policy) => Ok(policy),
        Err(StoreError::NotFound { .. }) => Err(ApiError::NotFound {
            what: "policy",
            field: Some(field.to_owned()),
        }),
        Err(other) => Err(ApiError::from(other)),
    };
    let a = load(a, "a")?;
    let b = load(b, "b")?;
    Ok(policy_diff(store, access, &a, &b)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activation(version: &str) -> PolicyActivation {
        PolicyActivation {
            version: PolicyVersion::parse(version).unwrap(),
            activated_at: "2026-02-10T08:00:00Z".parse().unwrap(),
            activated_by: Actor::LocalOperator,
        }
    }

    #[test]
    fn the_shipped_default_policy_parses() {
        let policy = Policy::parse(DEFAULT_POLICY_SOURCE).unwrap();
        assert_eq!(policy.version.name.as_str(), "default");
    }

    #[test]
    fn rolling_back_goes_to_the_latest_activation_of_another_version() {
        assert_eq!(previous_version(&[]), None);
        assert_eq!(previous_version(&[activation("default@1")]), None);
        let history = [
            activation("default@1"),
            activation("default@2"),
            activation("strict@1"),
            activation("strict@1"),
        ];
        assert_eq!(
            previous_version(&history),
            Some(PolicyVersion::parse("default@2").unwrap())
        );
    }
}
