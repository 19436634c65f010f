use std::path::Path;

use healthcode_sim::{Scenario, simulate};

fn scenario(seed: u64) -> Scenario {
    Scenario {
        residents: 20_000,
        days: 120,
        seed,
        year: 2026,
        r0: 2.5,
    }
}

/// Every file under `dir`, by its path inside it, with its bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                found.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    found.sort();
    found
}

#[test]
fn the_same_seed_writes_byte_identical_output_and_another_seed_does_not() {
    let runs = tempfile::tempdir().unwrap();
    let (first, second, other) = (
        runs.path().join("first"),
        runs.path().join("second"),
        runs.path().join("other"),
    );
    let summary = simulate(&scenario(42), &first, |_| {}).unwrap();
    assert_eq!(simulate(&scenario(42), &second, |_| {}).unwrap(), summary);
    simulate(&scenario(43), &other, |_| {}).unwrap();

    let written = files(&first);
    let names: Vec<&str> = written.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        ["residents.csv", "summary.json", "truth/infections.csv"]
    );
    assert!(summary.infected > 1_000, "{summary:?}");
    assert!(written == files(&second), "the same seed wrote other bytes");
    let others = files(&other);
    for ((name, bytes), (_, other_bytes)) in written.iter().zip(&others) {
        assert_ne!(bytes, other_bytes, "{name} is the same under another seed");
    }
}
