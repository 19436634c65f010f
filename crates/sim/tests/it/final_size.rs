use healthcode_sim::{Mode, Scenario, simulate};

/// At 200,000 people the well-mixed attack rate is within 2 percentage points of the SIR
/// final-size relation `z = 1 − exp(−R0·z)`.
#[test]
fn the_well_mixed_attack_rate_matches_the_final_size_relation_for_r0_of_1_5_2_and_3() {
    let out = tempfile::tempdir().unwrap();
    for (r0, seed) in [(1.5, 1), (2.0, 2), (3.0, 3)] {
        let scenario = Scenario {
            residents: 200_000,
            days: 2_000,
            seed,
            year: 2026,
            mode: Mode::WellMixed { r0 },
        };
        let summary = simulate(&scenario, &out.path().join(format!("r0-{r0}")), |_| {}).unwrap();
        assert!(
            summary.days_run < scenario.days,
            "R0 {r0}: the epidemic was still going after {} days",
            scenario.days
        );
        let predicted = summary
            .final_size_relation
            .expect("a well-mixed run predicts");
        let gap = (summary.attack_rate - predicted).abs();
        assert!(
            gap <= 0.02,
            "R0 {r0}: attack rate {:.4}, final-size relation {:.4}",
            summary.attack_rate,
            predicted
        );
    }
}
