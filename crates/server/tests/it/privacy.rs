//! Personal data is never written to disk in plaintext.

use std::path::{Path, PathBuf};

use healthcode_core::Role;
use healthcode_server::api::DeclarationRequest;
use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{TestResident, check_in, spawn_app};

fn files_under(directory: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// The (file, secret) pairs where a secret appears in a file's bytes.
fn leaks(directory: &Path, secrets: &[String]) -> (Vec<String>, Vec<String>) {
    let files = files_under(directory);
    let names = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut found = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        for secret in secrets {
            if bytes
                .windows(secret.len())
                .any(|window| window == secret.as_bytes())
            {
                found.push(format!("{} contains {secret}", file.display()));
            }
        }
    }
    (names, found)
}

#[tokio::test]
async fn the_data_directory_holds_no_resident_id_number_name_or_phone_in_plaintext() {
    let app = spawn_app().await;
    let residents = [TestResident::zhang(), TestResident::li()];
    let official = app.sign_in_as(Role::HealthOfficial).await;
    let operator = app.sign_in_as(Role::VenueOperator).await;
    let venue = app.registered_venue(&operator).await;
    for resident in &residents {
        let enrolled = app.enrolled(resident).await;
        let token = enrolled.device_token.as_str();
        let declaration = DeclarationRequest {
            event_id: Uuid::new_v4().to_string(),
            symptoms: vec!["fever".into()],
            temperature_celsius: Some(38.2),
            travel: vec![],
        };
        assert_eq!(
            app.post("/v1/me/declarations", Some(token), &declaration)
                .await
                .status(),
            StatusCode::CREATED
        );
        let visit = check_in(enrolled.person_id, venue, 5, "person_scans_venue");
        assert_eq!(
            app.post("/v1/check-ins", Some(token), &visit)
                .await
                .status(),
            StatusCode::CREATED
        );
        assert_eq!(
            app.get("/v1/me", Some(token)).await.status(),
            StatusCode::OK
        );
        let path = format!(
            "/v1/residents/{}?purpose=case_investigation",
            enrolled.person_id
        );
        assert_eq!(
            app.get(&path, Some(&official)).await.status(),
            StatusCode::OK
        );
    }
    let secrets: Vec<String> = residents
        .iter()
        .flat_map(|r| [r.resident_id.clone(), r.name.clone(), r.phone.clone()])
        .collect();

    // While the app runs, recent writes sit in the write-ahead log.
    let (files, found) = leaks(&app.data_path(), &secrets);
    assert!(
        files.iter().any(|f| f == "healthcode.sqlite3"),
        "scanned {files:?}"
    );
    assert!(
        files.iter().any(|f| f == "healthcode.sqlite3-wal"),
        "scanned {files:?}"
    );
    assert!(found.is_empty(), "{found:?}");

    // After a restart the log has been checkpointed into the main file.
    let app = app.restart().await;
    let (files, found) = leaks(&app.data_path(), &secrets);
    assert!(
        files.iter().any(|f| f == "healthcode.sqlite3"),
        "scanned {files:?}"
    );
    assert!(found.is_empty(), "{found:?}");
}
