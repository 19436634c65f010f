use healthcode_core::rating::Policy;
use healthcode_sim::evaluate::{NotACity, evaluate};
use healthcode_sim::{Mode, Scenario};

fn policy(file: &str) -> Policy {
    let path = format!("{}/../../policies/{file}", env!("CARGO_MANIFEST_DIR"));
    Policy::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn city(residents: usize, days: u32, seed: u64) -> Scenario {
    Scenario {
        residents,
        days,
        seed,
        year: 2026,
        mode: Mode::City { skipped_scans: 0.1 },
    }
}

#[test]
fn the_default_policy_has_higher_red_precision_than_strict_2020_at_no_lower_recall() {
    let scenario = city(20_000, 40, 1);
    let default = evaluate(&scenario, Some(&policy("default.toml")), |_| {}).unwrap();
    let strict = evaluate(&scenario, Some(&policy("strict-2020.toml")), |_| {}).unwrap();
    let (default_precision, strict_precision) = (
        default.red.precision().unwrap(),
        strict.red.precision().unwrap(),
    );
    let (default_recall, strict_recall) =
        (default.red.recall().unwrap(), strict.red.recall().unwrap());
    assert!(
        default_precision > strict_precision,
        "{default_precision} vs {strict_precision}"
    );
    assert!(
        default_recall >= strict_recall,
        "{default_recall} vs {strict_recall}"
    );
    assert!(
        default.cases > 0 && default.close_contacts > 0,
        "{default:?}"
    );
}

#[test]
fn with_no_intervention_nobody_is_coloured_or_isolated_and_the_epidemic_runs_its_course() {
    let none = evaluate(&city(5_000, 30, 2), None, |_| {}).unwrap();
    let with_policy = evaluate(&city(5_000, 30, 2), Some(&policy("default.toml")), |_| {}).unwrap();
    assert_eq!(none.policy, None);
    assert_eq!(none.red.flagged + none.red_or_yellow.flagged, 0);
    assert_eq!(
        (none.isolation_person_days, none.spells, none.cases),
        (0, 0, 0)
    );
    assert!(none.red.infected > 0);
    assert_eq!(none.red.recall(), Some(0.0));
    assert_eq!(none.red.precision(), None);
    assert!(
        with_policy.infections < none.infections,
        "{} vs {}",
        with_policy.infections,
        none.infections
    );
    assert_eq!(with_policy.policy.as_deref(), Some("default@1"));
}

#[test]
fn the_same_seed_evaluates_alike_and_days_add_up() {
    let default = policy("default.toml");
    let first = evaluate(&city(3_000, 20, 7), Some(&default), |_| {}).unwrap();
    let mut days = Vec::new();
    let second = evaluate(&city(3_000, 20, 7), Some(&default), |day| days.push(day)).unwrap();
    assert_eq!(first, second);
    assert_eq!(days, (1..=20).collect::<Vec<_>>());
    assert_eq!(first.daily.len(), 20);
    for day in &first.daily {
        assert_eq!(day.green + day.yellow + day.red, 3_000);
    }
    let infected: u64 = first.daily.iter().map(|day| u64::from(day.infected)).sum();
    assert_eq!(infected, first.red.infected);
    let isolated: u64 = first.daily.iter().map(|day| u64::from(day.isolated)).sum();
    assert_eq!(isolated, first.isolation_person_days);
    assert!(first.justified_appeals <= first.spells);
}

#[test]
fn a_well_mixed_epidemic_cannot_be_evaluated() {
    let scenario = Scenario {
        mode: Mode::WellMixed { r0: 2.0 },
        ..city(1_000, 10, 1)
    };
    assert_eq!(evaluate(&scenario, None, |_| {}), Err(NotACity));
}
