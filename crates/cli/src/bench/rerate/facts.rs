//! The facts a health-code system holds after some days of the simulated city's epidemic, with
//! nobody isolated: what `bench rerate` re-rates. They are gathered by the system of
//! `healthcode evaluate` ([`healthcode_sim::evaluate::gather`]): declarations of symptoms and
//! trips, pharmacy sales, laboratory results as reported, itinerary stays, and confirmed cases
//! traced with the policy's tracing rules, their contacts becoming facts of the contacts'.

use healthcode_core::Timestamp;
use healthcode_core::rating::Facts;
use healthcode_core::trace::TracingPolicy;
use healthcode_sim::evaluate::gather;

use crate::bench::city::{self, Registered};

/// What the system holds, and how much of each kind.
#[derive(Debug)]
pub struct SimulatedFacts {
    pub city: Registered,
    /// Each resident's facts, in the order of `city.persons`.
    pub facts: Vec<Facts>,
    /// The evening of the last day: when the city is rated.
    pub now: Timestamp,
    pub counts: FactCounts,
}

/// How many facts of each kind the system holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FactCounts {
    pub declarations: u64,
    pub test_results: u64,
    pub pharmacy_purchases: u64,
    pub stays: u64,
    pub cases: u64,
    pub close_contacts: u64,
    pub secondary_contacts: u64,
    /// Residents with at least one fact.
    pub residents_with_facts: u64,
}

/// Runs the city of `residents` residents drawn from `seed` for `days` days and gathers what
/// the system holds by the evening of the last, tracing with `tracing`.
pub fn simulate(residents: usize, days: u32, seed: u64, tracing: &TracingPolicy) -> SimulatedFacts {
    let gathered = gather(&city::scenario(residents, days, seed), tracing)
        .expect("the bench's scenario is a city");
    let count = |of: fn(&Facts) -> usize| -> u64 {
        gathered.facts.iter().map(|facts| of(facts) as u64).sum()
    };
    let counts = FactCounts {
        declarations: count(|facts| facts.declarations.len()),
        test_results: count(|facts| facts.test_results.len()),
        pharmacy_purchases: count(|facts| facts.pharmacy_purchases.len()),
        stays: count(|facts| facts.stays.len()),
        cases: gathered.cases,
        close_contacts: gathered.close_contacts,
        secondary_contacts: gathered.secondary_contacts,
        residents_with_facts: count(|facts| {
            usize::from(
                !(facts.declarations.is_empty()
                    && facts.test_results.is_empty()
                    && facts.pharmacy_purchases.is_empty()
                    && facts.stays.is_empty()
                    && facts.cases.is_empty()
                    && facts.contacts.is_empty()),
            )
        }),
    };
    SimulatedFacts {
        city: Registered::of(&gathered.run),
        facts: gathered.facts,
        now: gathered.now,
        counts,
    }
}
