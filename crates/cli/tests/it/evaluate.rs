//! `healthcode evaluate`: the comparison as a table, as JSON and as charts.

use crate::{healthcode, stderr_of, stdout_of};

fn policies() -> [String; 2] {
    let folder = format!("{}/../../policies", env!("CARGO_MANIFEST_DIR"));
    [
        format!("{folder}/default.toml"),
        format!("{folder}/strict-2020.toml"),
    ]
}

#[test]
fn evaluate_compares_each_policy_with_no_intervention_as_json_and_draws_the_charts() {
    let temporary = tempfile::tempdir().unwrap();
    let charts = temporary.path().join("charts");
    let [default, strict] = policies();
    let args = [
        "evaluate",
        "--policy",
        &default,
        "--policy",
        &strict,
        "--residents",
        "3000",
        "--days",
        "20",
        "--json",
        "--charts",
        charts.to_str().unwrap(),
    ];
    let output = healthcode(&temporary.path().join("data"), &args, "");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    assert_eq!(report["residents"], 3000);
    assert_eq!(report["no_intervention"]["policy"], serde_json::Value::Null);
    assert_eq!(report["no_intervention"]["infections_relative"], 1.0);
    let names: Vec<&str> = report["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|policy| policy["policy"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["default@1", "strict-2020@1"]);
    for policy in report["policies"].as_array().unwrap() {
        assert_eq!(policy["daily"].as_array().unwrap().len(), 20);
        for measure in ["red_recall", "red_or_yellow_recall", "infections_relative"] {
            assert!(policy[measure].is_f64(), "{measure} in {policy}");
        }
    }
    for chart in [
        "epidemic.svg",
        "colours-default-1.svg",
        "colours-strict-2020-1.svg",
    ] {
        let svg = std::fs::read_to_string(charts.join(chart)).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("<polyline"),
            "{chart}"
        );
    }
}

#[test]
fn evaluate_prints_a_table_with_a_row_per_policy_and_what_its_measures_mean() {
    let temporary = tempfile::tempdir().unwrap();
    let [default, _] = policies();
    let args = [
        "evaluate",
        "--policy",
        &default,
        "--residents",
        "2000",
        "--days",
        "10",
    ];
    let output = healthcode(&temporary.path().join("data"), &args, "");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let table = stdout_of(&output);
    assert!(
        table.starts_with("2000 residents, 10 days, seed 1: "),
        "{table}"
    );
    assert!(
        table.lines().any(|line| line.starts_with("default@1 ")),
        "{table}"
    );
    assert!(table.contains("Precision: the share of red"), "{table}");
}

#[test]
fn evaluate_refuses_an_invalid_policy_file_pointing_at_its_problem() {
    let temporary = tempfile::tempdir().unwrap();
    let file = temporary.path().join("broken.toml");
    std::fs::write(&file, "[policy]\nname = \"broken\"\n").unwrap();
    let args = ["evaluate", "--policy", file.to_str().unwrap()];
    let output = healthcode(&temporary.path().join("data"), &args, "");
    assert!(!output.status.success());
    let errors = stderr_of(&output);
    assert!(errors.contains("broken.toml:"), "{errors}");
    assert!(errors.contains("is not a valid policy"), "{errors}");
}
