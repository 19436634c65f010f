use crate::{healthcode, stderr_of, stdout_of};

#[test]
fn init_creates_a_data_directory_once_and_reports_it_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = healthcode(&data, &["init", "--json"], "");
    assert!(first.status.success(), "{}", stderr_of(&first));
    let first: serde_json::Value = serde_json::from_str(&stdout_of(&first)).unwrap();
    assert_eq!(first["created"], true);
    let second = healthcode(&data, &["init", "--json"], "");
    let second: serde_json::Value = serde_json::from_str(&stdout_of(&second)).unwrap();
    assert_eq!(second["created"], false);
    assert!(data.join("keys").is_dir());
}

#[test]
fn create_user_generates_a_password_or_reads_one_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let generated = healthcode(
        dir.path(),
        &[
            "admin",
            "create-user",
            "--username",
            "admin",
            "--role",
            "admin",
            "--json",
        ],
        "",
    );
    assert!(generated.status.success(), "{}", stderr_of(&generated));
    let generated: serde_json::Value = serde_json::from_str(&stdout_of(&generated)).unwrap();
    assert_eq!(generated["role"], "admin");
    assert_eq!(generated["password"].as_str().unwrap().len(), 20);

    let given = healthcode(
        dir.path(),
        &[
            "admin",
            "create-user",
            "--username",
            "li.official",
            "--role",
            "health_official",
            "--password-stdin",
            "--json",
        ],
        "a long enough password\n",
    );
    assert!(given.status.success(), "{}", stderr_of(&given));
    let given: serde_json::Value = serde_json::from_str(&stdout_of(&given)).unwrap();
    assert_eq!(given["role"], "health_official");
    assert!(
        given["password"].is_null(),
        "a password the operator chose is never echoed"
    );
}

#[test]
fn create_user_refuses_a_taken_username_and_a_short_password() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "admin",
        "create-user",
        "--username",
        "auditor",
        "--role",
        "auditor",
        "--password-stdin",
    ];
    assert!(
        healthcode(dir.path(), &args, "a long enough password\n")
            .status
            .success()
    );
    let again = healthcode(dir.path(), &args, "another long password\n");
    assert!(!again.status.success());
    assert!(
        stderr_of(&again).contains("already taken"),
        "{}",
        stderr_of(&again)
    );
    let short = healthcode(
        dir.path(),
        &[
            "admin",
            "create-user",
            "--username",
            "shop",
            "--role",
            "venue_operator",
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(!short.status.success());
    assert!(
        stderr_of(&short).contains("at least 12 characters"),
        "{}",
        stderr_of(&short)
    );
}

#[test]
fn print_default_lists_every_section_of_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let output = healthcode(dir.path(), &["config", "print-default"], "");
    assert!(output.status.success());
    let printed = stdout_of(&output);
    for expected in [
        "data_dir = ",
        "listen = \"127.0.0.1:8080\"",
        "[log]",
        "[server]",
        "batch_max_events = 10000",
    ] {
        assert!(
            printed.contains(expected),
            "missing {expected} in\n{printed}"
        );
    }
}

#[test]
fn a_configuration_file_with_an_unknown_key_stops_the_command_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("healthcode.toml");
    std::fs::write(&file, "[server]\nbatch_max_event = 5\n").unwrap();
    let output = healthcode(
        dir.path(),
        &["--config", file.to_str().unwrap(), "init"],
        "",
    );
    assert!(!output.status.success());
    assert!(
        stderr_of(&output).contains("batch_max_event"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn bench_ingest_measures_the_store_the_raw_peer_and_the_http_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "bench",
        "ingest",
        "--rows",
        "3000",
        "--batch",
        "1000",
        "--residents",
        "200",
        "--repeats",
        "1",
        "--json",
    ];
    let output = healthcode(dir.path(), &args, "");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let figures: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    for rate in ["store_rate", "raw_rate", "http_rate", "store_to_raw_ratio"] {
        assert!(figures[rate].as_f64().unwrap() > 0.0, "{rate} in {figures}");
    }
    assert_eq!(figures["workload"], "feed");
    assert_eq!(figures["residents"], 200);
    assert!(figures["venues"].as_u64().unwrap() > 0, "{figures}");
    assert!(figures["days"].as_u64().unwrap() > 1, "{figures}");
}

#[test]
fn bench_rerate_re_rates_the_facts_of_a_simulated_city_in_which_the_peer_agrees_with_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "bench",
        "rerate",
        "--residents",
        "8000",
        "--days",
        "14",
        "--repeats",
        "1",
        "--store",
        "--json",
    ];
    let output = healthcode(dir.path(), &args, "");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let figures: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    assert_eq!(figures["residents"], 8000);
    // Enough residents that a fortnight brings confirmed cases and their contacts.
    for kind in ["declarations", "test_results", "cases", "close_contacts"] {
        assert!(
            figures["facts"][kind].as_u64().unwrap() > 0,
            "{kind} in {figures}"
        );
    }
    let colours: u64 = ["green", "yellow", "red"]
        .iter()
        .map(|colour| figures["colours"][colour].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(colours, 8000);
    assert!(
        figures["store"]["activate_changed_seconds"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}

#[test]
fn bench_trace_measures_tracing_in_a_city_it_keeps_for_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let city = dir.path().join("city");
    let run = |residents: &str| {
        let args = [
            "bench",
            "trace",
            "--residents",
            residents,
            "--days",
            "5",
            "--cases",
            "3",
            "--repeats",
            "1",
            "--no-peer",
            "--data-dir",
            city.to_str().unwrap(),
            "--json",
        ];
        healthcode(dir.path(), &args, "")
    };
    let output = run("400");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let figures: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    assert_eq!(figures["seeded_now"], true);
    assert!(figures["venues"].as_u64().unwrap() > 10, "{figures}");
    assert!(
        figures["seeding"]["households"].as_u64().unwrap() > 100,
        "{figures}"
    );
    // Most residents out on most days for five days.
    assert!(figures["check_ins"].as_u64().unwrap() > 1_000, "{figures}");
    assert_eq!(figures["batch"]["cases"], 3);
    for measurement in ["one_case", "one_case_close_only", "batch"] {
        assert!(
            figures[measurement]["seconds"].as_f64().unwrap() > 0.0,
            "{measurement} in {figures}"
        );
    }

    let again = run("400");
    assert!(again.status.success(), "{}", stderr_of(&again));
    let figures: serde_json::Value = serde_json::from_str(&stdout_of(&again)).unwrap();
    assert_eq!(figures["seeded_now"], false);

    let other = run("500");
    assert!(!other.status.success());
    assert!(
        stderr_of(&other).contains("holds another city"),
        "{}",
        stderr_of(&other)
    );
}
