//! Tidy checks on the shape of the workspace: `core`'s dependencies, read from `cargo metadata`,
//! and its source, read as text.

use std::process::Command;

/// The only crates `core` may depend on: pure libraries for time, identifiers and errors, and
/// `serde` and `toml` to read policy files — both turn a string already in memory into values and
/// never open a file themselves. Anything that can reach a database, the network, the file
/// system, the clock or randomness belongs in another crate.
const CORE_MAY_DEPEND_ON: &[&str] = &["jiff", "serde", "thiserror", "toml", "uuid"];

#[test]
fn core_depends_only_on_pure_libraries_and_on_no_crate_of_ours() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let core = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|package| package["name"] == "healthcode-core")
        .expect("healthcode-core is a workspace member");
    let normal_dependencies: Vec<&str> = core["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|dependency| dependency["kind"].is_null())
        .map(|dependency| dependency["name"].as_str().unwrap())
        .collect();
    for dependency in &normal_dependencies {
        assert!(
            CORE_MAY_DEPEND_ON.contains(dependency),
            "core must stay pure, but depends on {dependency}; move that code to another crate"
        );
    }
    let uuid = core["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "uuid")
        .unwrap();
    let uuid_features: Vec<&str> = uuid["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        !uuid_features.iter().any(|feature| feature.starts_with('v')),
        "core must not generate identifiers; it enables uuid features {uuid_features:?}"
    );
}

/// What pure code never calls: the clock, randomness, the file system, the network, the process
/// environment, threads, or the system's time-zone database.
const IMPURE_CALLS: &[&str] = &[
    "::now(",
    "new_v4",
    "now_v7",
    "SystemTime",
    "Instant::",
    "std::fs",
    "std::net",
    "std::env",
    "std::process",
    "std::thread",
    "rand::",
    "TimeZone::system",
    "tz::db",
];

#[test]
fn core_source_never_reaches_the_clock_randomness_or_the_outside_world() {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![source];
    let mut checked = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(
                std::fs::read_dir(&path)
                    .unwrap()
                    .map(|entry| entry.unwrap().path()),
            );
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        checked += 1;
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap();
            for call in IMPURE_CALLS {
                assert!(
                    !code.contains(call),
                    "{}:{}: core must stay pure, but calls {call}",
                    path.display(),
                    number + 1
                );
            }
        }
    }
    assert!(checked > 5, "the scan found the core sources");
}
