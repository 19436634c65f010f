//! The well-mixed epidemic: everyone meets everyone. Each day every infectious person meets a
//! Poisson number of people drawn uniformly from the whole population, `R0 / infectious days`
//! on average, and infects those still susceptible. Its final attack rate `z` must satisfy the
//! SIR final-size relation `z = 1 − exp(−R0·z)` (Kermack and McKendrick 1927), whatever the
//! latent and infectious periods: this mode checks the transmission machinery against theory.
//!
//! Periods are fixed: infected people are latent (exposed, not yet infectious) for
//! [`LATENT_DAYS`] and then infectious for [`INFECTIOUS_DAYS`] (someone infected on day `d`
//! infects on days `d + 3` to `d + 7`), a mean generation time of 5 days, the 5.0 days Ferretti
//! et al. (Science, 2020) estimated for SARS-CoV-2.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};

/// Days from infection to infectiousness.
pub const LATENT_DAYS: u32 = 3;
/// Days a person is infectious.
pub const INFECTIOUS_DAYS: u32 = 5;
/// One person in this many is infected on day 0, so that the epidemic does not die out by
/// chance before it takes off (with one index case it would, with probability about 1 / R0).
pub const INDEX_CASES_PER: usize = 1_000;

/// One infection, as the ground truth keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Infection {
    /// The infected person, by their index in the population.
    pub person: u32,
    /// The day of infection, from 0.
    pub day: u32,
    /// Who infected them; `None` for an index case.
    pub infector: Option<u32>,
}

/// What a well-mixed run produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Every infection, in the order it happened.
    pub infections: Vec<Infection>,
    /// The days simulated: `days`, or fewer when nobody was latent or infectious any more.
    pub days_run: u32,
}

impl Outcome {
    /// The share of the population ever infected, index cases included.
    pub fn attack_rate(&self, population: usize) -> f64 {
        self.infections.len() as f64 / population.max(1) as f64
    }
}

/// Runs the epidemic over `population` people for at most `days` days; `on_day` is called after
/// each day with its number.
///
/// # Panics
///
/// If `r0` is not a finite positive number.
pub fn run(
    population: usize,
    r0: f64,
    days: u32,
    rng: &mut ChaCha8Rng,
    mut on_day: impl FnMut(u32),
) -> Outcome {
    assert!(r0.is_finite() && r0 > 0.0, "R0 should be positive");
    let mut outcome = Outcome::default();
    if population == 0 {
        return outcome;
    }
    // The day each person was infected, if they were.
    let mut infected_on: Vec<Option<u32>> = vec![None; population];
    let index_cases = (population / INDEX_CASES_PER).max(1);
    while outcome.infections.len() < index_cases {
        let person = rng.random_range(0..population);
        if infected_on[person].is_none() {
            infected_on[person] = Some(0);
            outcome.infections.push(Infection {
                person: person as u32,
                day: 0,
                infector: None,
            });
        }
    }
    let contacts = Poisson::new(r0 / f64::from(INFECTIOUS_DAYS)).expect("a positive mean");
    // Infections are appended in day order, so the infectious on a day are a window of them.
    let mut first_active = 0;
    for day in 1..=days {
        let infected_before_today = outcome.infections.len();
        while first_active < infected_before_today
            && outcome.infections[first_active].day + LATENT_DAYS + INFECTIOUS_DAYS <= day
        {
            first_active += 1;
        }
        if first_active == infected_before_today {
            break;
        }
        for source in first_active..infected_before_today {
            let infection = outcome.infections[source];
            if infection.day + LATENT_DAYS > day {
                // Latent, and so is everyone infected later.
                break;
            }
            let met = contacts.sample(rng) as u64;
            for _ in 0..met {
                let person = rng.random_range(0..population);
                if infected_on[person].is_none() {
                    infected_on[person] = Some(day);
                    outcome.infections.push(Infection {
                        person: person as u32,
                        day,
                        infector: Some(infection.person),
                    });
                }
            }
        }
        outcome.days_run = day;
        on_day(day);
    }
    outcome
}

/// The attack rate the SIR final-size relation `z = 1 − exp(−R0·z)` gives: its positive root
/// for `R0 > 1`, and 0 otherwise.
pub fn final_size(r0: f64) -> f64 {
    if r0 <= 1.0 {
        return 0.0;
    }
    let mut z = 1.0;
    for _ in 0..10_000 {
        let next = 1.0 - (-r0 * z).exp();
        if (next - z).abs() < 1e-12 {
            return next;
        }
        z = next;
    }
    z
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_final_size_relation_has_its_known_roots() {
        for (r0, z) in [(1.5, 0.5828), (2.0, 0.7968), (3.0, 0.9405), (0.9, 0.0)] {
            assert!(
                (final_size(r0) - z).abs() < 1e-4,
                "R0 {r0}: {}",
                final_size(r0)
            );
        }
    }
}
