use std::collections::{HashMap, HashSet};
use std::path::Path;

use healthcode_sim::{Mode, Scenario, simulate};

fn rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            headers
                .iter()
                .zip(record.iter())
                .map(|(header, value)| (header.to_owned(), value.to_owned()))
                .collect()
        })
        .collect()
}

#[test]
fn colds_make_people_ill_too_positive_tests_find_the_infected_and_pharmacies_see_hidden_illness() {
    let out = tempfile::tempdir().unwrap();
    let scenario = Scenario {
        residents: 20_000,
        days: 45,
        seed: 5,
        year: 2026,
        mode: Mode::City { skipped_scans: 0.1 },
    };
    let summary = simulate(&scenario, out.path(), |_| {}).unwrap();
    let by_cause = summary.illnesses_by_cause.clone().unwrap();
    assert!(by_cause["cold"] > 1_000, "{summary:?}");
    assert!(by_cause["covid"] > 100, "{summary:?}");

    let person_of: HashMap<String, String> = rows(&out.path().join("residents.csv"))
        .into_iter()
        .map(|row| (row["resident_id"].clone(), row["person_id"].clone()))
        .collect();
    let infected: HashSet<String> = rows(&out.path().join("truth/infections.csv"))
        .into_iter()
        .map(|row| row["person_id"].clone())
        .collect();
    let results = rows(&out.path().join("test_results.csv"));
    let positives: Vec<&String> = results
        .iter()
        .filter(|row| row["outcome"] == "positive")
        .map(|row| &person_of[&row["resident_id"]])
        .collect();
    let true_positives = positives
        .iter()
        .filter(|person| infected.contains(**person))
        .count();
    assert!(positives.len() > 50, "{summary:?}");
    assert!(
        true_positives as f64 >= 0.95 * positives.len() as f64,
        "{true_positives} of {} positives were infected",
        positives.len()
    );
    let negatives_of_infected = results
        .iter()
        .filter(|row| row["outcome"] == "negative")
        .filter(|row| infected.contains(&person_of[&row["resident_id"]]))
        .count();
    assert!(negatives_of_infected > 0, "PCR misses some infections too");

    let hid_illness: HashSet<String> = rows(&out.path().join("truth/illnesses.csv"))
        .into_iter()
        .filter(|row| row["declared"] == "false")
        .map(|row| row["person_id"].clone())
        .collect();
    let purchases = rows(&out.path().join("pharmacy_purchases.csv"));
    assert_eq!(purchases.len() as u64, summary.pharmacy_purchases.unwrap());
    assert!(
        purchases
            .iter()
            .any(|row| hid_illness.contains(&person_of[&row["resident_id"]])),
        "some who hid their symptoms bought medicine"
    );

    let declarations = rows(&out.path().join("declarations.csv"));
    assert_eq!(declarations.len() as u64, summary.declarations.unwrap());
    assert!(
        declarations
            .iter()
            .any(|row| row["symptoms"].contains("runny_nose")),
        "colds are declared"
    );
}
