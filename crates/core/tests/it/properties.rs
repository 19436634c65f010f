//! Properties of the rating engine over random facts: it never panics, and it always explains
//! itself.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use healthcode_core::rating::{
    CaseId, CaseRecord, CaseStatus, Colour, Contact, ContactDegree, ContactId, ContactSetting,
    Facts, HealthReport, Language, Medicine, Override, OverrideId, PharmacyPurchase, Policy,
    RegionRiskList, Reporter, RiskLevel, TestKind, TestOutcome, TestResult, rate,
};
use healthcode_core::{
    Declaration, EventId, PersonId, RegionCode, StaffId, Symptom, Temperature, Timestamp,
    TravelEntry,
};
use jiff::SignedDuration;
use proptest::prelude::*;

const DEFAULT: &str = include_str!("../../../../policies/default.toml");
const STRICT: &str = include_str!("../../../../policies/strict-2020.toml");

/// Moments around the rating's `now` (second 1_770_000_000, February 2026), with the ends of
/// time thrown in now and then.
fn moment() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        8 => (-40 * 86_400i64..10 * 86_400).prop_map(|offset| {
            Timestamp::from_second(1_770_000_000 + offset).unwrap()
        }),
        1 => Just(Timestamp::MIN),
        1 => Just(Timestamp::MAX),
    ]
}

fn event_id() -> impl Strategy<Value = EventId> {
    any::<[u8; 16]>().prop_map(|mut bytes| {
        bytes[0] |= 1;
        EventId::from_bytes(bytes).unwrap()
    })
}

fn symptoms() -> impl Strategy<Value = BTreeSet<Symptom>> {
    proptest::collection::btree_set(proptest::sample::select(Symptom::ALL.to_vec()), 0..5)
}

fn temperature() -> impl Strategy<Value = Option<Temperature>> {
    proptest::option::of(
        (340i16..=430).prop_map(|tenths| Temperature::from_tenths(tenths).unwrap()),
    )
}

fn region() -> impl Strategy<Value = RegionCode> {
    proptest::sample::select(vec![420100u32, 420000, 420106, 330106, 110000, 310115])
        .prop_map(|code| RegionCode::from_number(code).unwrap())
}

fn date() -> impl Strategy<Value = jiff::civil::Date> {
    prop_oneof![
        8 => (-40i32..10).prop_map(|days| {
            jiff::civil::date(2026, 2, 2).checked_add(jiff::Span::new().days(days)).unwrap()
        }),
        1 => Just(jiff::civil::Date::MIN),
        1 => Just(jiff::civil::Date::MAX),
    ]
}

fn declaration() -> impl Strategy<Value = Declaration> {
    let travel = proptest::collection::vec((region(), date(), date()), 0..3).prop_map(|entries| {
        entries
            .into_iter()
            .map(|(region, a, b)| TravelEntry {
                region,
                from: a.min(b),
                to: a.max(b),
            })
            .collect::<Vec<_>>()
    });
    (event_id(), moment(), symptoms(), temperature(), travel).prop_map(
        |(event_id, at, symptoms, temperature, travel)| {
            Declaration::new(
                event_id,
                PersonId::from_bytes([7; 16]),
                at,
                symptoms,
                temperature,
                travel,
            )
            .unwrap()
        },
    )
}

fn facts() -> impl Strategy<Value = Facts> {
    let declarations = proptest::collection::vec(declaration(), 0..4);
    let reports =
        proptest::collection::vec((event_id(), moment(), temperature(), symptoms()), 0..3)
            .prop_map(|rows| {
                rows.into_iter()
                    .map(|(event_id, at, temperature, symptoms)| HealthReport {
                        event_id,
                        reporter: Reporter::Employer,
                        day: jiff::civil::date(2026, 2, 2),
                        reported_at: at,
                        temperature,
                        symptoms,
                    })
                    .collect::<Vec<_>>()
            });
    let tests = proptest::collection::vec(
        (
            event_id(),
            proptest::sample::select(TestOutcome::ALL.to_vec()),
            moment(),
            moment(),
        ),
        0..4,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .map(|(event_id, outcome, sampled_at, reported_at)| TestResult {
                event_id,
                kind: TestKind::Pcr,
                outcome,
                sampled_at,
                reported_at,
            })
            .collect::<Vec<_>>()
    });
    let purchases = proptest::collection::vec((event_id(), moment()), 0..3).prop_map(|rows| {
        rows.into_iter()
            .map(|(event_id, purchased_at)| PharmacyPurchase {
                event_id,
                medicine: Medicine::FeverReducer,
                purchased_at,
            })
            .collect::<Vec<_>>()
    });
    let contacts = proptest::collection::vec(
        (
            any::<[u8; 16]>(),
            proptest::sample::select(ContactDegree::ALL.to_vec()),
            moment(),
            moment(),
            proptest::option::of(moment()),
        ),
        0..3,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .map(
                |(id, degree, last_exposure, found_at, dismissed_at)| Contact {
                    contact: ContactId::from_bytes(id),
                    case: CaseId::from_bytes(id),
                    degree,
                    setting: ContactSetting::Household,
                    first_exposure: last_exposure,
                    last_exposure,
                    together: SignedDuration::ZERO,
                    found_at,
                    dismissed_at,
                },
            )
            .collect::<Vec<_>>()
    });
    let cases = proptest::collection::vec(
        (
            any::<[u8; 16]>(),
            proptest::sample::select(CaseStatus::ALL.to_vec()),
            moment(),
            proptest::option::of(moment()),
        ),
        0..2,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .map(|(id, status, since, released_at)| CaseRecord {
                case: CaseId::from_bytes(id),
                status,
                since,
                onset: since,
                isolated_at: since,
                released_at,
            })
            .collect::<Vec<_>>()
    });
    let overrides = proptest::collection::vec(
        (
            any::<[u8; 16]>(),
            proptest::sample::select(Colour::ALL.to_vec()),
            moment(),
            moment(),
        ),
        0..2,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .map(|(id, colour, set_at, expires_at)| Override {
                id: OverrideId::from_bytes(id),
                colour,
                reason: "checked by phone".to_owned(),
                set_by: StaffId::from_bytes(id),
                set_at,
                expires_at,
                appeal: None,
            })
            .collect::<Vec<_>>()
    });
    let region_list = proptest::collection::btree_map(
        region(),
        proptest::sample::select(RiskLevel::ALL.to_vec()),
        0..3,
    )
    .prop_flat_map(|entries: BTreeMap<RegionCode, RiskLevel>| {
        proptest::option::of(moment()).prop_map(move |published_at| RegionRiskList {
            version: 1,
            published_at,
            entries: entries.clone(),
        })
    });
    (
        declarations,
        reports,
        tests,
        purchases,
        contacts,
        cases,
        overrides,
        region_list,
    )
        .prop_map(
            |(
                declarations,
                health_reports,
                test_results,
                pharmacy_purchases,
                contacts,
                cases,
                overrides,
                region_risk,
            )| Facts {
                declarations,
                health_reports,
                test_results,
                pharmacy_purchases,
                stays: Vec::new(),
                contacts,
                cases,
                overrides,
                region_risk: Arc::new(region_risk),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn the_engine_never_panics_and_every_colour_that_is_not_green_has_a_reason_with_evidence(
        facts in facts(),
        now in moment(),
    ) {
        for source in [DEFAULT, STRICT] {
            let policy = Policy::parse(source).unwrap();
            let rating = rate(&facts, &policy, now);
            if rating.colour != Colour::Green {
                prop_assert!(!rating.reasons.is_empty(), "{rating:?}");
            }
            for reason in &rating.reasons {
                prop_assert!(!reason.evidence.is_empty(), "{reason:?}");
                for language in Language::ALL {
                    prop_assert!(!reason.text(language, rating.offset).is_empty());
                }
            }
            if let Some(until) = rating.valid_until {
                prop_assert!(until > now, "valid until {until} is not after {now}");
            }
            for step in &rating.next_steps {
                for language in Language::ALL {
                    prop_assert!(!step.text(language, rating.offset).is_empty());
                }
            }
        }
    }
}
