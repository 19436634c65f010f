//! The interpreter: a policy's rules applied to one resident's facts at one moment.
//!
//! Each rule turns the facts it is about into *occurrences*: a colour from a moment until an
//! end, with the facts as evidence. Occurrences that have ended, facts dated after the moment of
//! rating, dismissed contacts and released cases count for nothing. A negative test taken late
//! enough lowers an occurrence as its rule says. The colour is the highest occurrence (or an
//! official's override); the reasons are the rules with occurrences; the next steps come from
//! asking what a negative test would change and when the occurrences run out.
//!
//! The engine is total: no fact, however odd (dates at the ends of time, tests before
//! declarations, empty policies), makes it panic. Arithmetic saturates instead of overflowing.

use std::collections::BTreeSet;

use jiff::civil::{Date, Time};
use jiff::{SignedDuration, Timestamp};

use crate::declaration::Symptom;

use super::facts::{
    CaseRecord, CaseStatus, ContactDegree, Facts, Override, RegionStay, StaySource, TestOutcome,
};
use super::policy::{Lasting, Policy, RegionScope, Rule, SymptomSet, Trigger};
use super::{Colour, Evidence, Finding, NextStep, Rating, Reason, RuleId, Until};

/// Rates one resident: their colour at `now` under `policy`, explained.
pub fn rate(facts: &Facts, policy: &Policy, now: Timestamp) -> Rating {
    let occurrences: Vec<Occurrence> = policy
        .rules
        .iter()
        .enumerate()
        .flat_map(|(index, rule)| occurrences_of(index, rule, facts, policy, now))
        .collect();
    let rules_colour = highest_colour(occurrences.iter().map(|o| o.colour));
    let active_override = active_override(&facts.overrides, now);

    let mut reasons = Vec::new();
    let mut next_steps = Vec::new();
    let (colour, valid_until) = match active_override {
        Some(decision) => {
            reasons.push(override_reason(decision, policy));
            next_steps.push(NextStep::OverrideEnds {
                at: decision.expires_at,
                colour: rules_colour,
            });
            (decision.colour, Some(decision.expires_at))
        }
        None => {
            reasons = reasons_of(&occurrences, policy);
            if rules_colour != Colour::Green {
                next_steps.extend(steps_of(&occurrences, rules_colour));
            }
            (rules_colour, colour_ends_at(&occurrences, rules_colour))
        }
    };
    if let Some(purchased_at) = pharmacy_prompt(facts, policy, &occurrences, now) {
        next_steps.push(NextStep::DeclareOrTest { purchased_at });
    }
    if colour != Colour::Green {
        next_steps.push(NextStep::Appeal);
    }
    Rating {
        colour,
        valid_until,
        policy_version: policy.version.clone(),
        rated_at: now,
        reasons,
        next_steps,
        offset: policy.utc_offset,
    }
}

/// One application of a rule to one set of facts.
#[derive(Debug)]
struct Occurrence {
    /// The rule's position in the policy, which orders reasons of the same colour.
    rule_index: usize,
    rule_id: RuleId,
    colour: Colour,
    since: Timestamp,
    end: End,
    finding: Finding,
    evidence: Vec<Evidence>,
    /// A negative test sampled from this moment on would lower the occurrence to the colour
    /// given; `None` when the rule has no such effect or a test already lowered it.
    pending_test: Option<(Timestamp, Colour)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    At(Timestamp),
    Released,
    NegativeTest(Timestamp),
}

/// The moment a rule's facts happened (what durations and tests count from), when the rule
/// learnt of them (its reason's `since`), and the evidence. Only a stay still under way has its
/// `basis` (its end) after `since`.
struct Triggered {
    basis: Timestamp,
    since: Timestamp,
    evidence: Vec<Evidence>,
}

fn occurrences_of(
    rule_index: usize,
    rule: &Rule,
    facts: &Facts,
    policy: &Policy,
    now: Timestamp,
) -> Vec<Occurrence> {
    let base_finding = base_finding(rule);
    triggers_of(rule, facts, policy, now)
        .into_iter()
        .filter(|trigger| trigger.since <= now)
        .filter_map(|trigger| {
            let end = match rule.lasts {
                Lasting::For(duration) => End::At(add(trigger.basis, duration)),
                // Only cases are released; a checked policy asks this of case rules alone, and
                // elsewhere the occurrence simply holds until an official acts.
                Lasting::UntilReleased => End::Released,
                Lasting::UntilNegativeTest => End::NegativeTest(trigger.basis),
            };
            if let End::At(end) = end
                && end <= now
            {
                return None;
            }
            let mut occurrence = Occurrence {
                rule_index,
                rule_id: rule.id.clone(),
                colour: rule.colour,
                since: trigger.since,
                end,
                finding: base_finding.clone(),
                evidence: trigger.evidence,
                pending_test: None,
            };
            if let Some(effect) = rule.negative_test {
                let sampled_after = add(trigger.basis, effect.sampled_after);
                match negative_test_after(facts, sampled_after, now) {
                    Some(test) if effect.downgrade_to < rule.colour => {
                        if effect.downgrade_to == Colour::Green {
                            return None;
                        }
                        occurrence.finding = Finding::Downgraded {
                            from: rule.colour,
                            inner: Box::new(occurrence.finding),
                        };
                        occurrence.colour = effect.downgrade_to;
                        occurrence.evidence.push(test);
                    }
                    Some(_) => {}
                    None if effect.downgrade_to < rule.colour => {
                        occurrence.pending_test = Some((sampled_after, effect.downgrade_to));
                        if let End::NegativeTest(_) = occurrence.end {
                            occurrence.end = End::NegativeTest(sampled_after);
                        }
                    }
                    None => {}
                }
            }
            if occurrence.colour == Colour::Green {
                return None;
            }
            Some(occurrence)
        })
        .collect()
}

fn base_finding(rule: &Rule) -> Finding {
    match &rule.trigger {
        Trigger::ConfirmedCase => Finding::ConfirmedCase,
        Trigger::SuspectedCase => Finding::SuspectedCase,
        Trigger::CloseContact => Finding::CloseContact,
        Trigger::SecondaryContact => Finding::SecondaryContact,
        Trigger::PositiveTest => Finding::PositiveTest,
        Trigger::RiskRegion { levels, .. } => Finding::RiskRegion {
            level: levels
                .iter()
                .next()
                .copied()
                .unwrap_or(super::facts::RiskLevel::High),
        },
        Trigger::Fever { min_tenths } => Finding::Fever {
            threshold_tenths: *min_tenths,
        },
        Trigger::Symptoms { min_count, .. } => Finding::Symptoms {
            min_count: *min_count,
        },
        Trigger::MedicineWithSymptoms { .. } => Finding::MedicineWithSymptoms,
    }
}

/// The facts a rule's trigger applies to.
fn triggers_of(rule: &Rule, facts: &Facts, policy: &Policy, now: Timestamp) -> Vec<Triggered> {
    match &rule.trigger {
        Trigger::ConfirmedCase => cases(facts, CaseStatus::Confirmed, now),
        Trigger::SuspectedCase => cases(facts, CaseStatus::Suspected, now),
        Trigger::CloseContact => contacts(facts, ContactDegree::Close, now),
        Trigger::SecondaryContact => contacts(facts, ContactDegree::Secondary, now),
        Trigger::PositiveTest => facts
            .test_results
            .iter()
            .filter(|test| test.outcome == TestOutcome::Positive && test.reported_at <= now)
            .map(|test| Triggered {
                basis: test.sampled_at,
                since: test.reported_at.max(test.sampled_at),
                evidence: vec![Evidence::TestResult {
                    event_id: test.event_id,
                    outcome: test.outcome,
                    sampled_at: test.sampled_at,
                }],
            })
            .collect(),
        Trigger::RiskRegion {
            levels,
            within,
            scope,
        } => risk_region_stays(facts, policy, levels, *within, *scope, now),
        Trigger::Fever { min_tenths } => health_statements(facts, now)
            .filter(|statement| {
                statement
                    .temperature
                    .is_some_and(|temperature| temperature >= *min_tenths)
            })
            .map(|statement| statement.trigger())
            .collect(),
        Trigger::Symptoms { of, min_count } => health_statements(facts, now)
            .filter(|statement| counted(statement.symptoms, of, policy) >= usize::from(*min_count))
            .map(|statement| statement.trigger())
            .collect(),
        Trigger::MedicineWithSymptoms {
            of,
            min_count,
            within,
        } => {
            let statements: Vec<HealthStatement> = health_statements(facts, now)
                .filter(|statement| {
                    counted(statement.symptoms, of, policy) >= usize::from(*min_count)
                })
                .collect();
            let mut triggers = Vec::new();
            for purchase in facts
                .pharmacy_purchases
                .iter()
                .filter(|purchase| purchase.purchased_at <= now)
            {
                for statement in &statements {
                    let apart = statement.at.duration_since(purchase.purchased_at).abs();
                    if apart <= *within {
                        let mut trigger = statement.trigger();
                        trigger.basis = statement.at.max(purchase.purchased_at);
                        trigger.since = trigger.basis;
                        trigger.evidence.push(Evidence::PharmacyPurchase {
                            event_id: purchase.event_id,
                            medicine: purchase.medicine,
                            at: purchase.purchased_at,
                        });
                        triggers.push(trigger);
                    }
                }
            }
            triggers
        }
    }
}

fn cases(facts: &Facts, status: CaseStatus, now: Timestamp) -> Vec<Triggered> {
    // A suspicion lasts until the case is released or confirmed; the confirmation's own rule
    // then applies.
    let confirmed = |suspected: &CaseRecord| {
        suspected.status == CaseStatus::Suspected
            && facts.cases.iter().any(|case| {
                case.case == suspected.case
                    && case.status == CaseStatus::Confirmed
                    && case.since <= now
            })
    };
    facts
        .cases
        .iter()
        .filter(|case| case.status == status)
        .filter(|case| case.released_at.is_none_or(|released| released > now))
        .filter(|case| !confirmed(case))
        .map(|case| Triggered {
            basis: case.since,
            since: case.since,
            evidence: vec![Evidence::Case {
                case: case.case,
                status: case.status,
                since: case.since,
            }],
        })
        .collect()
}

fn contacts(facts: &Facts, degree: ContactDegree, now: Timestamp) -> Vec<Triggered> {
    facts
        .contacts
        .iter()
        .filter(|contact| contact.degree == degree)
        .filter(|contact| contact.dismissed_at.is_none_or(|dismissed| dismissed > now))
        .map(|contact| Triggered {
            basis: contact.last_exposure,
            since: contact.found_at.max(contact.last_exposure),
            evidence: vec![Evidence::Contact {
                contact: contact.contact,
                case: contact.case,
                setting: contact.setting,
                last_exposure: contact.last_exposure,
            }],
        })
        .collect()
}

/// A declaration or a daily health report: both say how a resident felt at a moment.
struct HealthStatement<'f> {
    at: Timestamp,
    temperature: Option<i16>,
    symptoms: &'f BTreeSet<Symptom>,
    evidence: Evidence,
}

impl HealthStatement<'_> {
    fn trigger(&self) -> Triggered {
        Triggered {
            basis: self.at,
            since: self.at,
            evidence: vec![self.evidence.clone()],
        }
    }
}

fn health_statements(facts: &Facts, now: Timestamp) -> impl Iterator<Item = HealthStatement<'_>> {
    let declarations = facts
        .declarations
        .iter()
        .filter(move |declaration| declaration.declared_at() <= now)
        .map(|declaration| HealthStatement {
            at: declaration.declared_at(),
            temperature: declaration.temperature().map(|t| t.tenths()),
            symptoms: declaration.symptoms(),
            evidence: Evidence::Declaration {
                event_id: declaration.event_id(),
                at: declaration.declared_at(),
            },
        });
    let reports = facts
        .health_reports
        .iter()
        .filter(move |report| report.reported_at <= now)
        .map(|report| HealthStatement {
            at: report.reported_at,
            temperature: report.temperature.map(|t| t.tenths()),
            symptoms: &report.symptoms,
            evidence: Evidence::HealthReport {
                event_id: report.event_id,
                reporter: report.reporter,
                at: report.reported_at,
            },
        });
    declarations.chain(reports)
}

fn counted(symptoms: &BTreeSet<Symptom>, of: &SymptomSet, policy: &Policy) -> usize {
    match of {
        SymptomSet::Any => symptoms.len(),
        SymptomSet::Core => symptoms.intersection(&policy.core_symptoms).count(),
        SymptomSet::Listed(listed) => symptoms.intersection(listed).count(),
    }
}

fn risk_region_stays(
    facts: &Facts,
    policy: &Policy,
    levels: &BTreeSet<super::facts::RiskLevel>,
    within: SignedDuration,
    scope: RegionScope,
    now: Timestamp,
) -> Vec<Triggered> {
    let list = &facts.region_risk;
    let listed_since = list.published_at.unwrap_or(Timestamp::MIN);
    let declared = facts
        .declarations
        .iter()
        .filter(|declaration| declaration.declared_at() <= now)
        .flat_map(|declaration| {
            declaration.travel().iter().map(move |entry| {
                let stay = RegionStay {
                    region: entry.region,
                    from: entry.from,
                    to: entry.to,
                    source: StaySource::Declared,
                    event_id: declaration.event_id(),
                };
                (stay, declaration.declared_at())
            })
        });
    let known = facts
        .stays
        .iter()
        .map(|stay| (*stay, start_of_day(stay.from, policy)));
    let earliest_end = subtract(now, within);
    declared
        .chain(known)
        .filter_map(|(stay, learnt_at)| {
            let (listed_region, level) = match scope {
                RegionScope::Region => list.level_of(stay.region),
                RegionScope::Province => list.province_level_of(stay.region),
            }?;
            if !levels.contains(&level) {
                return None;
            }
            // A stay that has not begun has not happened; one still under way counts from its
            // declared end, so that its colour's end does not move with each rating.
            let stay_began = start_of_day(stay.from, policy);
            let stay_ended = start_of_day(stay.to.tomorrow().unwrap_or(Date::MAX), policy);
            if stay_began > now || stay_ended <= earliest_end || learnt_at > now {
                return None;
            }
            Some(Triggered {
                basis: stay_ended,
                since: learnt_at.max(listed_since).max(stay_began).min(now),
                evidence: vec![Evidence::Stay {
                    event_id: stay.event_id,
                    region: stay.region,
                    listed_region,
                    level,
                    list_version: list.version,
                    from: stay.from,
                    to: stay.to,
                    source: stay.source,
                }],
            })
        })
        .collect()
}

/// The first negative test sampled at or after `after` and reported by `now`, as evidence: a
/// rule's `sampled_after` is the least time between its trigger and the sample ("from day 7 on").
fn negative_test_after(facts: &Facts, after: Timestamp, now: Timestamp) -> Option<Evidence> {
    facts
        .test_results
        .iter()
        .filter(|test| {
            test.outcome == TestOutcome::Negative
                && test.sampled_at >= after
                && test.sampled_at <= now
                && test.reported_at <= now
        })
        .min_by_key(|test| test.sampled_at)
        .map(|test| Evidence::TestResult {
            event_id: test.event_id,
            outcome: test.outcome,
            sampled_at: test.sampled_at,
        })
}

fn active_override(overrides: &[Override], now: Timestamp) -> Option<&Override> {
    overrides
        .iter()
        .filter(|decision| decision.set_at <= now && now < decision.expires_at)
        .max_by_key(|decision| (decision.set_at, decision.id))
}

fn override_reason(decision: &Override, policy: &Policy) -> Reason {
    Reason {
        rule_id: RuleId::override_id(),
        policy_version: policy.version.clone(),
        colour: decision.colour,
        since: decision.set_at,
        until: Until::At(decision.expires_at),
        finding: Finding::Override {
            reason: decision.reason.clone(),
        },
        evidence: vec![Evidence::Override {
            id: decision.id,
            set_by: decision.set_by,
            set_at: decision.set_at,
            appeal: decision.appeal,
        }],
    }
}

/// One reason per rule with occurrences, at the rule's highest colour: strongest first, then in
/// the policy's order.
fn reasons_of(occurrences: &[Occurrence], policy: &Policy) -> Vec<Reason> {
    let mut rule_indexes: Vec<usize> = occurrences.iter().map(|o| o.rule_index).collect();
    rule_indexes.sort_unstable();
    rule_indexes.dedup();
    let mut reasons: Vec<(usize, Reason)> = rule_indexes
        .into_iter()
        .filter_map(|rule_index| {
            let of_rule: Vec<&Occurrence> = occurrences
                .iter()
                .filter(|o| o.rule_index == rule_index)
                .collect();
            let colour = highest_colour(of_rule.iter().map(|o| o.colour));
            let strongest: Vec<&Occurrence> =
                of_rule.into_iter().filter(|o| o.colour == colour).collect();
            let first = strongest.first()?;
            let since = strongest.iter().map(|o| o.since).min()?;
            let until = latest_end(strongest.iter().map(|o| o.end)).map_or(
                Until::Released,
                |end| match end {
                    End::At(at) => Until::At(at),
                    End::Released => Until::Released,
                    End::NegativeTest(after) => Until::NegativeTestAfter(after),
                },
            );
            // The occurrence that lasts longest explains the rule best; its evidence comes first.
            let mut ordered = strongest.clone();
            ordered.sort_by_key(|o| std::cmp::Reverse(end_rank(o.end)));
            let finding = ordered
                .first()
                .map_or(first.finding.clone(), |o| o.finding.clone());
            let mut evidence: Vec<Evidence> = Vec::new();
            for occurrence in &ordered {
                for item in &occurrence.evidence {
                    if !evidence.contains(item) {
                        evidence.push(item.clone());
                    }
                }
            }
            Some((
                rule_index,
                Reason {
                    rule_id: first.rule_id.clone(),
                    policy_version: policy.version.clone(),
                    colour,
                    since,
                    until,
                    finding,
                    evidence,
                },
            ))
        })
        .collect();
    reasons.sort_by_key(|(rule_index, reason)| (std::cmp::Reverse(reason.colour), *rule_index));
    reasons.into_iter().map(|(_, reason)| reason).collect()
}

/// Orders ends by how long they hold: a fixed moment, then a negative test, then a release.
fn end_rank(end: End) -> (u8, Timestamp) {
    match end {
        End::At(at) => (0, at),
        End::NegativeTest(after) => (1, after),
        End::Released => (2, Timestamp::MAX),
    }
}

fn latest_end(ends: impl Iterator<Item = End>) -> Option<End> {
    ends.max_by_key(|end| end_rank(*end))
}

/// When `colour` ends if nothing new happens: the latest end among the occurrences of that
/// colour, if they all end at a fixed moment.
fn colour_ends_at(occurrences: &[Occurrence], colour: Colour) -> Option<Timestamp> {
    if colour == Colour::Green {
        return None;
    }
    match latest_end(
        occurrences
            .iter()
            .filter(|o| o.colour == colour)
            .map(|o| o.end),
    )? {
        End::At(at) => Some(at),
        End::Released | End::NegativeTest(_) => None,
    }
}

fn steps_of(occurrences: &[Occurrence], colour: Colour) -> Vec<NextStep> {
    let mut steps = Vec::new();
    let at_colour = || occurrences.iter().filter(|o| o.colour == colour);
    if at_colour().any(|o| o.end == End::Released) {
        steps.push(NextStep::AwaitRelease);
    }
    // What one negative test, taken late enough for every rule that one can lower, would do.
    let pending: Vec<&Occurrence> = occurrences
        .iter()
        .filter(|o| o.pending_test.is_some())
        .collect();
    if let Some(after) = pending
        .iter()
        .filter_map(|o| o.pending_test.map(|(after, _)| after))
        .max()
    {
        let colour_after_test = highest_colour(occurrences.iter().map(|o| match o.pending_test {
            Some((_, lowered)) => lowered,
            None => o.colour,
        }));
        if colour_after_test < colour {
            steps.push(NextStep::NegativeTestAfter {
                after,
                colour: colour_after_test,
            });
        }
    }
    // When the colour steps down by itself, until green or until an event is needed.
    let mut current = colour;
    let mut at = None;
    for _ in 0..=occurrences.len() {
        let Some(ends_at) = colour_ends_at_after(occurrences, current, at) else {
            break;
        };
        let next = highest_colour(
            occurrences
                .iter()
                .filter(|o| match o.end {
                    End::At(end) => end > ends_at,
                    End::Released | End::NegativeTest(_) => true,
                })
                .map(|o| o.colour),
        );
        steps.push(NextStep::TurnsOn {
            at: ends_at,
            colour: next,
        });
        if next == Colour::Green {
            break;
        }
        current = next;
        at = Some(ends_at);
    }
    steps
}

/// When `colour` ends, counting only occurrences still running after `after`.
fn colour_ends_at_after(
    occurrences: &[Occurrence],
    colour: Colour,
    after: Option<Timestamp>,
) -> Option<Timestamp> {
    let still_running = occurrences.iter().filter(|o| match (o.end, after) {
        (End::At(end), Some(after)) => end > after,
        _ => true,
    });
    match latest_end(still_running.filter(|o| o.colour == colour).map(|o| o.end))? {
        End::At(at) => Some(at),
        End::Released | End::NegativeTest(_) => None,
    }
}

/// The latest medicine purchase that should prompt the resident to declare or test: bought
/// within the policy's prompt period (its end excluded, like any duration), not counted by any
/// rule, and not followed by a declaration, a report or a conclusive test.
fn pharmacy_prompt(
    facts: &Facts,
    policy: &Policy,
    occurrences: &[Occurrence],
    now: Timestamp,
) -> Option<Timestamp> {
    let counted = |event_id| {
        occurrences.iter().any(|o| {
            o.evidence.iter().any(|evidence| {
                matches!(evidence, Evidence::PharmacyPurchase { event_id: counted, .. } if *counted == event_id)
            })
        })
    };
    let latest = facts
        .pharmacy_purchases
        .iter()
        .filter(|purchase| purchase.purchased_at <= now)
        .filter(|purchase| now.duration_since(purchase.purchased_at) < policy.pharmacy_prompt)
        .filter(|purchase| !counted(purchase.event_id))
        .map(|purchase| purchase.purchased_at)
        .max()?;
    let answered = facts
        .declarations
        .iter()
        .any(|d| d.declared_at() > latest && d.declared_at() <= now)
        || facts
            .health_reports
            .iter()
            .any(|r| r.reported_at > latest && r.reported_at <= now)
        || facts.test_results.iter().any(|t| {
            // An inconclusive result only asks for another test.
            t.outcome != TestOutcome::Inconclusive && t.sampled_at > latest && t.reported_at <= now
        });
    (!answered).then_some(latest)
}

fn highest_colour(colours: impl Iterator<Item = Colour>) -> Colour {
    colours.max().unwrap_or(Colour::Green)
}

fn add(at: Timestamp, duration: SignedDuration) -> Timestamp {
    at.checked_add(duration)
        .unwrap_or(if duration.is_negative() {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        })
}

fn subtract(at: Timestamp, duration: SignedDuration) -> Timestamp {
    at.checked_sub(duration)
        .unwrap_or(if duration.is_negative() {
            Timestamp::MAX
        } else {
            Timestamp::MIN
        })
}

/// Midnight at the start of `date` in the policy's offset.
fn start_of_day(date: Date, policy: &Policy) -> Timestamp {
    policy
        .utc_offset
        .to_timestamp(date.to_datetime(Time::midnight()))
        .unwrap_or(if date.year() < 0 {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        })
}
