//! `healthcode demo`: a small city built and served on port 0, its logins tried against the
//! running server, and its output searched for the residents' personal data.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::{healthcode, stderr_of, stdout_of};

/// A small city, which builds in seconds.
const SMALL_CITY: [&str; 6] = ["--residents", "2000", "--days", "10", "--seed", "3"];

/// The smallest city whose fortnight has a few confirmed cases (3 for this seed), so that the
/// official has contacts to read and the resident a colour other than green.
const CITY_WITH_CASES: [&str; 6] = ["--residents", "5000", "--days", "14", "--seed", "1"];

/// A running `healthcode demo`, stopped when dropped (also when a test fails part way).
struct RunningDemo {
    child: Child,
}

impl Drop for RunningDemo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_demo_serves_logins_that_work_and_prints_no_personal_data() {
    let temporary = tempfile::tempdir().unwrap();
    let data = temporary.path().join("demo");
    let mut demo = RunningDemo {
        child: Command::new(env!("CARGO_BIN_EXE_healthcode"))
            .arg("--data")
            .arg(&data)
            .arg("demo")
            .args(CITY_WITH_CASES)
            .args(["--listen", "127.0.0.1:0", "--json"])
            .env_remove("HEALTHCODE_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the healthcode binary starts"),
    };
    // Read standard error as it comes, so that the server never waits on a full pipe.
    let mut stderr = demo.child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });
    // The logins are printed once the server listens, before it answers anything.
    let mut printed = String::new();
    BufReader::new(demo.child.stdout.take().unwrap())
        .read_line(&mut printed)
        .unwrap();
    let city: serde_json::Value =
        serde_json::from_str(&printed).unwrap_or_else(|error| panic!("{error}: {printed:?}"));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(every_login_works(&city));

    drop(demo);
    let stderr = stderr.join().unwrap();
    assert!(
        stderr.contains("enrolled 5,000 residents"),
        "the stages are reported on standard error:\n{stderr}"
    );
    assert_no_personal_data(&CITY_WITH_CASES, &[&printed, &stderr]);
    let leftovers: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".simulated-city"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "the simulator's files are deleted once loaded: {leftovers:?}"
    );
}

/// Signs in with every staff account, reads the resident's status as the resident, as the
/// official and in the auditor's log.
async fn every_login_works(city: &serde_json::Value) {
    let url = city["url"].as_str().expect("the URL is printed");
    let client = reqwest::Client::new();
    let resident = &city["resident"];
    let person = resident["person_id"].as_str().unwrap();

    let status: serde_json::Value = client
        .get(format!("{url}/v1/me/status"))
        .bearer_auth(resident["device_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .error_for_status()
        .expect("the resident reads their status")
        .json()
        .await
        .unwrap();
    assert_eq!(status["person_id"], person);
    assert_eq!(status["colour"], resident["colour"], "{status}");
    assert_ne!(status["colour"], "green", "{status}");

    let staff = city["staff"].as_array().unwrap();
    assert_eq!(staff.len(), 11, "one account per staff role: {staff:?}");
    let mut tokens = std::collections::HashMap::new();
    for login in staff {
        let session: serde_json::Value = client
            .post(format!("{url}/v1/sessions"))
            .json(&serde_json::json!({
                "username": login["username"],
                "password": login["password"],
            }))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap_or_else(|error| panic!("{} signs in: {error}", login["username"]))
            .json()
            .await
            .unwrap();
        assert_eq!(session["role"], login["role"]);
        tokens.insert(
            login["role"].as_str().unwrap().to_owned(),
            session["token"].as_str().unwrap().to_owned(),
        );
    }

    let seen_by_official: serde_json::Value = client
        .get(format!("{url}/v1/people/{person}/status"))
        .bearer_auth(&tokens["health_official"])
        .send()
        .await
        .unwrap()
        .error_for_status()
        .expect("the official reads the resident's status")
        .json()
        .await
        .unwrap();
    assert_eq!(seen_by_official["colour"], resident["colour"]);
    let case = city["case_id"].as_str().expect("the city has a case");
    let contacts: serde_json::Value = client
        .get(format!("{url}/v1/cases/{case}/contacts"))
        .bearer_auth(&tokens["health_official"])
        .send()
        .await
        .unwrap()
        .error_for_status()
        .expect("the official reads the case's contacts")
        .json()
        .await
        .unwrap();
    assert!(
        contacts["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|contact| contact["degree"] == "close"),
        "the case was traced: {contacts}"
    );

    let trail: serde_json::Value = client
        .get(format!("{url}/v1/audit?subject={person}"))
        .bearer_auth(&tokens["auditor"])
        .send()
        .await
        .unwrap()
        .error_for_status()
        .expect("the auditor reads the audit log")
        .json()
        .await
        .unwrap();
    let purposes: Vec<&str> = trail["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["purpose"].as_str().unwrap())
        .collect();
    assert!(
        purposes.contains(&"rating") && purposes.contains(&"enrolment"),
        "the resident's data was read and written only through audited calls: {purposes:?}"
    );
}

#[test]
fn the_demo_builds_again_only_when_told_to_start_afresh() {
    let temporary = tempfile::tempdir().unwrap();
    let data = temporary.path().join("demo");
    let build = |fresh: bool| {
        let mut args = vec!["demo", "--no-serve"];
        args.extend(SMALL_CITY);
        if fresh {
            args.push("--fresh");
        }
        healthcode(&data, &args, "")
    };
    let first = build(false);
    assert!(first.status.success(), "{}", stderr_of(&first));
    let printed = stdout_of(&first);
    for expected in [
        "Staff accounts",
        "health_official    official",
        "device token",
        "/v1/me/status",
        "/v1/sessions",
    ] {
        assert!(
            printed.contains(expected),
            "{expected:?} is printed:\n{printed}"
        );
    }
    assert_no_personal_data(&SMALL_CITY, &[&printed, &stderr_of(&first)]);

    let again = build(false);
    assert!(!again.status.success());
    assert!(
        stderr_of(&again).contains("already holds a demo city"),
        "{}",
        stderr_of(&again)
    );

    let afresh = build(true);
    assert!(afresh.status.success(), "{}", stderr_of(&afresh));
    assert_ne!(
        password_of_official(&printed),
        password_of_official(&stdout_of(&afresh)),
        "a new city has new passwords"
    );
}

#[test]
fn the_demo_loads_the_boardings_cell_pings_and_region_risk_list_into_the_store() {
    let temporary = tempfile::tempdir().unwrap();
    let data = temporary.path().join("demo");
    let mut args = vec!["demo", "--no-serve"];
    args.extend(SMALL_CITY);
    let built = healthcode(&data, &args, "");
    assert!(built.status.success(), "{}", stderr_of(&built));
    let progress = stderr_of(&built);

    // The same seed simulates the same city: every row of its files was stored.
    let out = temporary.path().join("city");
    let mut simulate = vec!["simulate", "--out", out.to_str().unwrap()];
    simulate.extend(SMALL_CITY);
    let simulated = healthcode(&temporary.path().join("sim"), &simulate, "");
    assert!(simulated.status.success(), "{}", stderr_of(&simulated));
    let rows = |file: &str| {
        csv::Reader::from_path(out.join(file))
            .unwrap()
            .records()
            .count()
    };
    let (boardings, cells, pings, travel) = (
        rows("boardings.csv"),
        rows("cells.csv"),
        rows("cell_pings.csv"),
        rows("travel_declarations.csv"),
    );
    assert!(boardings > 0 && cells > 0 && pings > 0 && travel > 0);
    for stored in [
        format!("imported {} boardings", thousands(boardings)),
        format!("registered {} cells", thousands(cells)),
        format!("imported {} cell pings", thousands(pings)),
        format!("and {} of travel", thousands(travel)),
        "and rated 2,000 residents".to_owned(),
    ] {
        assert!(
            progress.contains(&stored),
            "{stored:?} is reported:\n{progress}"
        );
    }

    let shown = healthcode(&data, &["region-risk", "show", "--json"], "");
    assert!(shown.status.success(), "{}", stderr_of(&shown));
    let list: serde_json::Value = serde_json::from_str(&stdout_of(&shown)).unwrap();
    let published: Vec<(String, String)> = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["region"].as_str().unwrap().to_owned(),
                entry["level"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut simulated_list: Vec<(String, String)> =
        csv::Reader::from_path(out.join("region_risk.csv"))
            .unwrap()
            .deserialize()
            .map(Result::unwrap)
            .collect();
    simulated_list.sort();
    assert_eq!(list["version"], 1, "{list}");
    assert_eq!(
        published, simulated_list,
        "the simulator's list is in force"
    );
}

/// `1234567` as `1,234,567`, as the demo reports counts.
fn thousands(count: usize) -> String {
    let digits = count.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[test]
fn the_demo_never_loads_into_or_deletes_a_folder_it_did_not_make() {
    let temporary = tempfile::tempdir().unwrap();
    let data = temporary.path().join("installation");
    let init = healthcode(&data, &["init"], "");
    assert!(init.status.success(), "{}", stderr_of(&init));

    let output = healthcode(
        &data,
        &["demo", "--residents", "100", "--fresh", "--no-serve"],
        "",
    );
    assert!(!output.status.success());
    assert!(
        stderr_of(&output)
            .contains("holds a healthcode database that `healthcode demo` did not make"),
        "{}",
        stderr_of(&output)
    );
    assert!(
        data.join("healthcode.sqlite3").exists(),
        "the installation is left as it was"
    );
}

fn password_of_official(printed: &str) -> String {
    printed
        .lines()
        .find(|line| line.trim_start().starts_with("health_official"))
        .and_then(|line| line.split_whitespace().nth(2))
        .expect("the official's login is printed")
        .to_owned()
}

/// Fails if the ID number, name or phone number of any resident of the city `city` names (the
/// simulator writes the same residents for the same seed) appears in `outputs`.
fn assert_no_personal_data(city: &[&str], outputs: &[&str]) {
    let temporary = tempfile::tempdir().unwrap();
    let out = temporary.path().join("city");
    let mut args = vec!["simulate", "--out", out.to_str().unwrap()];
    args.extend(city);
    let simulated = healthcode(&temporary.path().join("data"), &args, "");
    assert!(simulated.status.success(), "{}", stderr_of(&simulated));
    let residents = residents_of(&out.join("residents.csv"));
    assert!(!residents.is_empty());
    for output in outputs {
        for (resident_id, name, phone) in &residents {
            for personal in [resident_id, name, phone] {
                assert!(
                    !output.contains(personal.as_str()),
                    "a resident's personal data is printed:\n{output}"
                );
            }
        }
    }
}

/// Each resident's ID number, name and phone number.
fn residents_of(file: &Path) -> Vec<(String, String, String)> {
    let mut reader = csv::Reader::from_path(file).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|header| header == name).unwrap();
    let (id, name, phone) = (column("resident_id"), column("name"), column("phone"));
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            (
                record[id].to_owned(),
                record[name].to_owned(),
                record[phone].to_owned(),
            )
        })
        .collect()
}
