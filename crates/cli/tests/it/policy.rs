use std::path::{Path, PathBuf};

use healthcode_store::SqliteStore;

use crate::seed::{declare, enrol, hours_ago};
use crate::{healthcode, stderr_of, stdout_of};

/// A shipped policy file.
fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../policies")
        .join(name)
}

/// The shipped default policy as version 2, with two core symptoms lowered to one: a single
/// dry cough turns yellow.
fn default_with_one_core_symptom() -> String {
    let source = std::fs::read_to_string(shipped("default.toml")).unwrap();
    assert!(source.contains("version = 1\n") && source.contains("min_count = 2\n"));
    source
        .replacen("version = 1\n", "version = 2\n", 1)
        .replacen("min_count = 2\n", "min_count = 1\n", 1)
}

fn json_of(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_str(&stdout_of(output))
        .unwrap_or_else(|error| panic!("{error}: {}", stdout_of(output)))
}

#[test]
fn policy_check_accepts_the_shipped_policies_without_a_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("never-created");
    for (name, version) in [
        ("default.toml", "default@1"),
        ("strict-2020.toml", "strict-2020@1"),
    ] {
        let file = shipped(name);
        let output = healthcode(&data, &["policy", "check", file.to_str().unwrap()], "");
        assert!(output.status.success(), "{}", stderr_of(&output));
        let printed = stdout_of(&output);
        assert!(
            printed.starts_with(&format!("{}: policy {version} is valid (", file.display())),
            "{printed}"
        );
        let output = healthcode(
            &data,
            &["policy", "check", file.to_str().unwrap(), "--json"],
            "",
        );
        let answer = json_of(&output);
        assert_eq!(answer["valid"], true);
        assert_eq!(answer["version"], version);
        assert!(answer["rules"].as_u64().unwrap() > 0);
    }
    assert!(!data.exists(), "checking a policy needs no data directory");
}

/// An unknown key on line 9 and a bad duration on line 11: both are reported in one run.
const UNKNOWN_KEY_ON_LINE_9_AND_BAD_DURATION_ON_LINE_11: &str = r#"[policy]
name = "broken"
version = 1
utc_offset = "+08:00"
core_symptoms = ["fever", "dry_cough"]

[[rule]]
id = "close_contact"
colours = "red"
when = "close_contact"
for = "14 days"
colour = "red"
"#;

#[test]
fn policy_check_prints_the_line_and_column_of_every_problem_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.toml");
    std::fs::write(&file, UNKNOWN_KEY_ON_LINE_9_AND_BAD_DURATION_ON_LINE_11).unwrap();
    let output = healthcode(dir.path(), &["policy", "check", file.to_str().unwrap()], "");
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr_of(&output);
    let expected = [
        (9, 1, "unknown key \"colours\""),
        (11, 7, "for should be a duration"),
    ];
    for (line, column, mentions) in expected {
        let located = format!("{}:{line}:{column}: ", file.display());
        let problem = errors
            .lines()
            .find(|printed| printed.starts_with(&located))
            .unwrap_or_else(|| panic!("no line starts with {located} in\n{errors}"));
        assert!(problem.contains(mentions), "{problem}");
    }

    let output = healthcode(
        dir.path(),
        &["policy", "check", file.to_str().unwrap(), "--json"],
        "",
    );
    assert_eq!(output.status.code(), Some(1));
    let answer = json_of(&output);
    assert_eq!(answer["valid"], false);
    let located: Vec<(u64, u64)> = answer["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| {
            (
                error["line"].as_u64().unwrap(),
                error["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(located, [(9, 1), (11, 7)]);
}

#[test]
fn an_invalid_policy_is_not_uploaded() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.toml");
    std::fs::write(&file, UNKNOWN_KEY_ON_LINE_9_AND_BAD_DURATION_ON_LINE_11).unwrap();
    let data = dir.path().join("data");
    let output = healthcode(&data, &["policy", "upload", file.to_str().unwrap()], "");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains(&format!("{}:9:", file.display())),
        "{}",
        stderr_of(&output)
    );
    let list = json_of(&healthcode(&data, &["policy", "list", "--json"], ""));
    let versions: Vec<&str> = list["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|policy| policy["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["default@1"]);
}

#[test]
fn a_policy_is_uploaded_activated_listed_and_rolled_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("default-2.toml");
    std::fs::write(&file, default_with_one_core_symptom()).unwrap();

    let uploaded = healthcode(
        &data,
        &["policy", "upload", file.to_str().unwrap(), "--json"],
        "",
    );
    assert!(uploaded.status.success(), "{}", stderr_of(&uploaded));
    let uploaded = json_of(&uploaded);
    assert_eq!(uploaded["version"], "default@2");
    assert_eq!(uploaded["duplicate"], false);
    let again = json_of(&healthcode(
        &data,
        &["policy", "upload", file.to_str().unwrap(), "--json"],
        "",
    ));
    assert_eq!(again["duplicate"], true);

    let activated = healthcode(&data, &["policy", "activate", "default@2"], "");
    assert!(activated.status.success(), "{}", stderr_of(&activated));
    assert!(
        stdout_of(&activated).starts_with("Activated default@2: rated 0 residents again"),
        "{}",
        stdout_of(&activated)
    );
    let list = json_of(&healthcode(&data, &["policy", "list", "--json"], ""));
    assert_eq!(list["active"], "default@2");
    let activations: Vec<&str> = list["activations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|activation| activation["version"].as_str().unwrap())
        .collect();
    assert_eq!(
        activations,
        ["default@1", "default@2"],
        "the shipped default is activated first, as a server does when it starts"
    );
    let listed = stdout_of(&healthcode(&data, &["policy", "list"], ""));
    assert!(listed.contains("Active policy: default@2"), "{listed}");

    let rolled_back = healthcode(&data, &["policy", "rollback", "--json"], "");
    assert!(rolled_back.status.success(), "{}", stderr_of(&rolled_back));
    assert_eq!(json_of(&rolled_back)["version"], "default@1");
    let list = json_of(&healthcode(&data, &["policy", "list", "--json"], ""));
    assert_eq!(list["active"], "default@1");

    let unknown = healthcode(&data, &["policy", "activate", "default@7"], "");
    assert!(!unknown.status.success());
    assert!(
        stderr_of(&unknown).contains("no policy default@7 is stored"),
        "{}",
        stderr_of(&unknown)
    );
}

#[test]
fn rolling_back_with_no_earlier_policy_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let output = healthcode(dir.path(), &["policy", "rollback"], "");
    assert!(!output.status.success());
    assert!(
        stderr_of(&output).contains("nothing to roll back to"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn policy_diff_counts_residents_by_pair_of_colours_with_sample_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let store = SqliteStore::open(&data).unwrap();
        let enrolled = hours_ago(3);
        let declared = hours_ago(2);
        let feverish = enrol(&store, 1, enrolled);
        let coughing = enrol(&store, 2, enrolled);
        let stuffy = enrol(&store, 3, enrolled);
        enrol(&store, 4, enrolled);
        declare(&store, feverish, declared, &[], Some(37.8));
        declare(&store, coughing, declared, &["dry_cough"], None);
        declare(&store, stuffy, declared, &["stuffy_nose"], None);
    }
    let changed = dir.path().join("default-2.toml");
    std::fs::write(&changed, default_with_one_core_symptom()).unwrap();
    let args = ["policy", "diff", "default@1", changed.to_str().unwrap()];

    let output = healthcode(&data, &[&args[..], &["--json"]].concat(), "");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let diff = json_of(&output);
    assert_eq!(
        (diff["a"].as_str(), diff["b"].as_str()),
        (Some("default@1"), Some("default@2"))
    );
    assert_eq!(
        (diff["people"].as_u64(), diff["changed"].as_u64()),
        (Some(4), Some(1))
    );
    let mut pairs: Vec<(String, String, u64)> = diff["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            (
                pair["under_a"].as_str().unwrap().to_owned(),
                pair["under_b"].as_str().unwrap().to_owned(),
                pair["count"].as_u64().unwrap(),
            )
        })
        .collect();
    pairs.sort();
    let pair = |a: &str, b: &str, count| (a.to_owned(), b.to_owned(), count);
    assert_eq!(
        pairs,
        [
            pair("green", "green", 2),
            pair("green", "yellow", 1),
            pair("yellow", "yellow", 1)
        ]
    );
    let turned_yellow = diff["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|pair| pair["under_a"] == "green" && pair["under_b"] == "yellow")
        .unwrap();
    assert_eq!(
        turned_yellow["samples"][0]["under_b"][0]["rule_id"],
        "two_core_symptoms"
    );

    let output = healthcode(&data, &args, "");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let printed = stdout_of(&output);
    assert!(printed.contains("1 would change colour"), "{printed}");
    for expected in [
        "green  -> yellow  1",
        "green  -> green   2",
        "two_core_symptoms (yellow): ",
    ] {
        assert!(
            printed.contains(expected),
            "missing {expected:?} in\n{printed}"
        );
    }
    assert!(
        !printed.contains(crate::seed::resident_id(2).as_str()),
        "a comparison never prints an ID number"
    );
}

#[test]
fn policy_diff_names_an_argument_that_is_neither_a_file_nor_a_version() {
    let dir = tempfile::tempdir().unwrap();
    let output = healthcode(
        dir.path(),
        &["policy", "diff", "default@1", "no-such-file.toml"],
        "",
    );
    assert!(!output.status.success());
    assert!(
        stderr_of(&output).contains("B: \"no-such-file.toml\" is neither a policy file"),
        "{}",
        stderr_of(&output)
    );
}
