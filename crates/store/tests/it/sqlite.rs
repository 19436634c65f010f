//! What the SQLite backend must do beyond the conformance suite: keep data across reopening,
//! keep personal data out of its files, keep its keys private, notice tampering, refuse a schema
//! it does not know, and provide a fair benchmark peer. These tests may read the files and poke
//! SQL directly, since they are about the SQLite files themselves.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Barrier;

use healthcode_core::rating::{
    Appeal, AppealDecision, AppealId, AppealOutcome, CaseId, CaseRecord, CaseStatus, Colour,
    Contact, ContactDegree, ContactId, ContactSetting, Facts, HealthReport, Medicine, Override,
    OverrideId, PharmacyPurchase, PolicyVersion, Rating, RatingCause, Reporter, TestKind,
    TestOutcome, TestResult,
};
use healthcode_core::{
    Access, Actor, AuditAction, CheckIn, CheckInSource, Date, Declaration, EventId, GeoPoint,
    OpeningHours, Person, PersonId, PersonName, PhoneNumber, Purpose, RegionCode, ResidentId, Role,
    StaffAccount, StaffId, Symptom, Temperature, Timestamp, TravelEntry, Username, Venue, VenueId,
    VenueKind,
};
use healthcode_store::sqlite::bench;
use healthcode_store::sqlite::{DATABASE_FILE_NAME, SCHEMA_VERSION};
use healthcode_store::{
    AuditChainReport, AuditQuery, Enrolment, KeyError, KeyRing, Reference, SqliteStore, Store,
    StoreError, TokenGrant, TokenHash,
};

use crate::synthetic;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn new_event_id() -> EventId {
    EventId::from_uuid(uuid::Uuid::new_v4()).unwrap()
}

fn operator() -> Access {
    Access::new(
        Actor::LocalOperator,
        Purpose::CaseInvestigation,
        at("2026-02-12T10:00:00Z"),
    )
}

/// Synthetic residents whose details must never appear in the database files.
fn residents() -> Vec<Person> {
    [
        ("330106199001011256", "张三明", "13800138000"),
        ("11010519491231002X", "欧阳春华", "+85291234567"),
        ("33010619900101123X", "Ann Example", "13912345678"),
    ]
    .into_iter()
    .map(|(resident_id, name, phone)| Person {
        id: PersonId::from_uuid(uuid::Uuid::new_v4()),
        resident_id: ResidentId::parse(resident_id).unwrap(),
        name: PersonName::parse(name).unwrap(),
        phone: PhoneNumber::parse(phone).unwrap(),
        enrolled_at: at("2026-02-01T08:00:00Z"),
    })
    .collect()
}

fn enrol(store: &SqliteStore, person: &Person, token: u8) {
    store
        .enrol(
            &Access::new(
                Actor::Public,
                Purpose::Enrolment,
                at("2026-02-01T08:00:00Z"),
            ),
            &Enrolment {
                event_id: new_event_id(),
                person: person.clone(),
                device_token: TokenHash([token; 32]),
            },
        )
        .unwrap();
}

fn noodle_shop() -> Venue {
    Venue {
        id: VenueId::from_uuid(uuid::Uuid::new_v4()),
        name: "温州面馆 Noodle Shop".to_owned(),
        kind: VenueKind::Restaurant,
        district: RegionCode::parse("330302").unwrap(),
        location: GeoPoint::new(28.0, 120.65).unwrap(),
        opening_hours: OpeningHours::parse("Mo-Su 10:00-22:00").unwrap(),
        registered_at: at("2026-01-10T00:00:00Z"),
    }
}

fn data_dir(temporary: &tempfile::TempDir) -> PathBuf {
    temporary.path().join("data")
}

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn raw_connection(data_dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(data_dir.join(DATABASE_FILE_NAME)).unwrap()
}

/// A store with a few accesses in its audit log, closed again.
fn closed_store_with_audit_records() -> (tempfile::TempDir, Vec<Person>) {
    let temporary = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&data_dir(&temporary)).unwrap();
    let people = residents();
    for (index, person) in people.iter().enumerate() {
        enrol(&store, person, index as u8);
        store.person(&operator(), person.id).unwrap();
    }
    drop(store);
    (temporary, people)
}

#[test]
fn reopening_a_data_dir_keeps_everything() {
    let temporary = tempfile::tempdir().unwrap();
    let people = residents();
    let shop = noodle_shop();
    let visit = CheckIn::new(
        new_event_id(),
        shop.id,
        people[0].id,
        at("2026-02-10T09:00:00Z"),
        Some(at("2026-02-10T09:40:00Z")),
        CheckInSource::VenueScansPerson,
    )
    .unwrap();
    let declaration = Declaration::new(
        new_event_id(),
        people[0].id,
        at("2026-02-10T07:00:00Z"),
        BTreeSet::from([Symptom::Fever]),
        Some(Temperature::from_celsius(37.9).unwrap()),
        Vec::new(),
    )
    .unwrap();
    let account = StaffAccount {
        id: StaffId::from_uuid(uuid::Uuid::new_v4()),
        username: Username::parse("official.chen").unwrap(),
        role: Role::HealthOfficial,
        password_hash: "$argon2id$hash".to_owned(),
        created_at: at("2026-01-01T00:00:00Z"),
    };
    let staff_token = TokenHash([0xcc; 32]);
    {
        let store = SqliteStore::open(&data_dir(&temporary)).unwrap();
        for (index, person) in people.iter().enumerate() {
            enrol(&store, person, index as u8);
        }
        store.register_venue(&shop).unwrap();
        store.record_check_in(&operator(), &visit).unwrap();
        store.record_declaration(&operator(), &declaration).unwrap();
        store.create_staff_account(&account).unwrap();
        store
            .grant_token(&TokenGrant {
                hash: staff_token,
                holder: Actor::Staff {
                    id: account.id,
                    role: account.role,
                },
                issued_at: at("2026-02-10T00:00:00Z"),
                expires_at: Some(at("2026-02-11T00:00:00Z")),
            })
            .unwrap();
    }

    let store = SqliteStore::open(&data_dir(&temporary)).unwrap();
    for person in &people {
        assert_eq!(&store.person(&operator(), person.id).unwrap(), person);
        assert_eq!(
            store.find_person(&operator(), &person.resident_id).unwrap(),
            Some(person.id)
        );
    }
    assert_eq!(store.venue(shop.id).unwrap(), Some(shop));
    assert_eq!(
        store.check_ins_of(&operator(), people[0].id).unwrap(),
        vec![visit]
    );
    assert_eq!(
        store.declarations_of(&operator(), people[0].id).unwrap(),
        vec![declaration]
    );
    assert_eq!(
        store.staff_account(&account.username).unwrap(),
        Some(account.clone())
    );
    let noon = at("2026-02-10T12:00:00Z");
    assert_eq!(
        store.token_holder(&staff_token, noon).unwrap(),
        Some(Actor::Staff {
            id: account.id,
            role: account.role
        })
    );
    assert_eq!(
        store.token_holder(&TokenHash([0; 32]), noon).unwrap(),
        Some(Actor::Resident(people[0].id))
    );
    // 3 enrolments, 2 writes, then 3 + 3 look-ups and 2 reads after reopening: the chain goes on.
    assert_eq!(
        store.verify_audit_chain().unwrap(),
        AuditChainReport {
            records: 13,
            first_break: None
        }
    );
}

/// Every occurrence of `needle` in the file at `path`, if it exists.
fn occurrences(path: &Path, needle: &[u8]) -> usize {
    let Ok(haystack) = fs::read(path) else {
        return 0;
    };
    haystack
        .windows(needle.len())
        .filter(|window| *window == needle)
        .count()
}

fn database_files(data_dir: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| data_dir.join(format!("{DATABASE_FILE_NAME}{suffix}")))
        .collect()
}

/// Free text written about residents (an appeal statement, an official's reasons); personal
/// data, like their details.
const APPEAL_STATEMENT: &str = "那天我在杭州的家里，从未去过温州面馆。";
const DECISION_REASON: &str = "Checked the venue's records: the resident was never there.";
const OVERRIDE_REASON: &str = "密接判定有误，已核实行程记录";

fn assert_no_personal_data_in(data_dir: &Path, people: &[Person]) {
    for path in database_files(data_dir) {
        for person in people {
            let secrets = [
                person.resident_id.as_str(),
                person.name.as_str(),
                person.phone.as_str(),
                APPEAL_STATEMENT,
                DECISION_REASON,
                OVERRIDE_REASON,
            ];
            for secret in secrets {
                assert_eq!(
                    occurrences(&path, secret.as_bytes()),
                    0,
                    "{} holds a resident's personal data in plaintext",
                    path.display()
                );
            }
        }
    }
}

/// Files an appeal with [`APPEAL_STATEMENT`], amends it with [`DECISION_REASON`] and an override
/// with [`OVERRIDE_REASON`], and reads them back, so that the texts pass through every table
/// and index they are written to.
fn appeal_and_override(store: &SqliteStore, person: &Person) {
    let official = StaffId::from_bytes([0x0f; 16]);
    let access = Access::new(
        Actor::Staff {
            id: official,
            role: Role::HealthOfficial,
        },
        Purpose::AppealReview,
        at("2026-02-14T09:00:00Z"),
    );
    let rating = Rating {
        colour: Colour::Red,
        valid_until: Some(at("2026-02-24T00:00:00Z")),
        policy_version: PolicyVersion::parse("default@1").unwrap(),
        rated_at: at("2026-02-10T00:00:00Z"),
        reasons: Vec::new(),
        next_steps: Vec::new(),
        offset: jiff::tz::offset(8),
    };
    store
        .record_rating(&access, person.id, &rating, &RatingCause::Request)
        .unwrap();
    let sequence = store.rating_history(&access, person.id).unwrap()[0].sequence;
    let appeal = Appeal {
        id: AppealId::from_uuid(uuid::Uuid::new_v4()),
        person: person.id,
        rating: sequence,
        statement: APPEAL_STATEMENT.to_owned(),
        filed_at: at("2026-02-11T08:00:00Z"),
    };
    store.file_appeal(&access, &appeal).unwrap();
    let override_ = Override {
        id: OverrideId::from_uuid(uuid::Uuid::new_v4()),
        colour: Colour::Green,
        reason: OVERRIDE_REASON.to_owned(),
        set_by: official,
        set_at: access.at,
        expires_at: at("2026-02-24T00:00:00Z"),
        appeal: Some(appeal.id),
    };
    store
        .decide_appeal(
            &access,
            &AppealDecision {
                appeal: appeal.id,
                outcome: AppealOutcome::Amend(override_),
                reason: DECISION_REASON.to_owned(),
                decided_by: official,
                decided_at: access.at,
            },
        )
        .unwrap();
    let record = store.appeal(&access, appeal.id).unwrap();
    assert_eq!(record.appeal.statement, APPEAL_STATEMENT);
    assert_eq!(record.decision.unwrap().reason, DECISION_REASON);
    let facts = store.facts_of(&access, person.id).unwrap();
    assert_eq!(facts.overrides[0].reason, OVERRIDE_REASON);
}

#[test]
fn the_database_files_hold_no_resident_id_name_phone_or_appeal_text_in_plaintext() {
    let temporary = tempfile::tempdir().unwrap();
    let data_dir = data_dir(&temporary);
    let people = residents();
    let store = SqliteStore::open(&data_dir).unwrap();
    for (index, person) in people.iter().enumerate() {
        enrol(&store, person, index as u8);
        store.person(&operator(), person.id).unwrap();
        store.find_person(&operator(), &person.resident_id).unwrap();
    }
    appeal_and_override(&store, &people[0]);
    let shop = noodle_shop();
    store.register_venue(&shop).unwrap();

    // While the store is open the writes sit in the write-ahead log.
    let wal = data_dir.join(format!("{DATABASE_FILE_NAME}-wal"));
    assert!(
        occurrences(&wal, shop.name.as_bytes()) > 0,
        "the search should find plaintext that is stored (the venue's name) in the WAL"
    );
    assert_no_personal_data_in(&data_dir, &people);

    // Closing checkpoints the log into the main file.
    drop(store);
    let main_file = data_dir.join(DATABASE_FILE_NAME);
    assert!(occurrences(&main_file, shop.name.as_bytes()) > 0);
    assert_no_personal_data_in(&data_dir, &people);
}

#[test]
fn the_data_directory_database_and_keys_are_private_to_their_owner() {
    let temporary = tempfile::tempdir().unwrap();
    let data_dir = data_dir(&temporary);
    let store = SqliteStore::open(&data_dir).unwrap();
    enrol(&store, &residents()[0], 1);
    assert_eq!(mode_of(&data_dir), 0o700);
    assert_eq!(mode_of(&data_dir.join("keys")), 0o700);
    let key_files: Vec<PathBuf> = fs::read_dir(data_dir.join("keys"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(key_files.len(), 2, "{key_files:?}");
    for key_file in &key_files {
        assert_eq!(mode_of(key_file), 0o600, "{}", key_file.display());
        assert_eq!(fs::metadata(key_file).unwrap().len(), 32);
    }
    for database_file in database_files(&data_dir) {
        assert_eq!(
            mode_of(&database_file),
            0o600,
            "{}",
            database_file.display()
        );
    }
}

#[test]
fn a_key_file_readable_by_others_is_refused_with_a_chmod_hint() {
    let (temporary, _) = closed_store_with_audit_records();
    let key_file = fs::read_dir(data_dir(&temporary).join("keys"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    fs::set_permissions(&key_file, fs::Permissions::from_mode(0o640)).unwrap();
    let error = SqliteStore::open(&data_dir(&temporary)).unwrap_err();
    assert!(
        matches!(error, StoreError::Keys(KeyError::KeyFileNotPrivate { ref path, mode: 0o640 }) if *path == key_file),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains(&format!("chmod 600 {}", key_file.display())),
        "{error}"
    );
}

#[test]
fn a_key_directory_open_to_others_is_refused_with_a_chmod_hint() {
    let (temporary, _) = closed_store_with_audit_records();
    let key_dir = data_dir(&temporary).join("keys");
    fs::set_permissions(&key_dir, fs::Permissions::from_mode(0o755)).unwrap();
    let error = SqliteStore::open(&data_dir(&temporary)).unwrap_err();
    assert!(
        error
            .to_string()
            .contains(&format!("chmod 700 {}", key_dir.display())),
        "{error}"
    );
}

#[test]
fn a_key_file_of_the_wrong_length_is_refused() {
    let (temporary, _) = closed_store_with_audit_records();
    let key_file = fs::read_dir(data_dir(&temporary).join("keys"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    fs::write(&key_file, [7u8; 31]).unwrap();
    let error = SqliteStore::open(&data_dir(&temporary)).unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::Keys(KeyError::WrongKeyLength { found: 31, .. })
        ),
        "{error:?}"
    );
}

#[test]
fn a_tampered_audit_row_is_detected() {
    let (temporary, _) = closed_store_with_audit_records();
    let changed = raw_connection(&data_dir(&temporary))
        .execute(
            "UPDATE audit_log SET purpose = 'self_service' WHERE sequence = 4",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    let store = SqliteStore::open(&data_dir(&temporary)).unwrap();
    assert_eq!(
        store.verify_audit_chain().unwrap(),
        AuditChainReport {
            records: 6,
            first_break: Some(4)
        }
    );
}

#[test]
fn a_deleted_audit_row_is_detected() {
    let (temporary, _) = closed_store_with_audit_records();
    raw_connection(&data_dir(&temporary))
        .execute("DELETE FROM audit_log WHERE sequence = 2", [])
        .unwrap();
    let store = SqliteStore::open(&data_dir(&temporary)).unwrap();
    assert_eq!(
        store.verify_audit_chain().unwrap(),
        AuditChainReport {
            records: 5,
            first_break: Some(3)
        }
    );
}

#[test]
fn a_rewritten_audit_row_with_a_recomputed_hash_breaks_the_next_link() {
    let (temporary, people) = closed_store_with_audit_records();
    let store = SqliteStore::open(&data_dir(&temporary)).unwrap();
    let mut records = store
        .audit_log(&operator(), &AuditQuery::default())
        .unwrap();
    drop(store);
    // Someone who knows the chain rewrites record 2 to hide whose data was read, and fixes its
    // own hash; the link from record 3 still gives it away.
    let forged = &mut records[1];
    forged.subject = Some(people[2].id);
    let previous = records[0].hash;
    let hash = healthcode_store::audit_chain::chain_hash(&previous, &records[1]);
    raw_connection(&data_dir(&temporary))
        .execute(
            "UPDATE audit_log SET subject = ?1, hash = ?2 WHERE sequence = 2",
            rusqlite::params![people[2].id.as_bytes(), hash],
        )
        .unwrap();
    let store = SqliteStore::open(&data_dir(&temporary)).unwrap();
    assert_eq!(store.verify_audit_chain().unwrap().first_break, Some(3));
}

#[test]
fn a_sealed_field_moved_to_another_row_does_not_open() {
    let (temporary, people) = closed_store_with_audit_records();
    let connection = raw_connection(&data_dir(&temporary));
    let name_of_first: Vec<u8> = connection
        .query_row(
            "SELECT name_sealed FROM persons WHERE id = ?1",
            [people[0].id.as_bytes()],
            |row| row.get(0),
        )
        .unwrap();
    connection
        .execute(
            "UPDATE persons SET name_sealed = ?1 WHERE id = ?2",
            rusqlite::params![name_of_first, people[1].id.as_bytes()],
        )
        .unwrap();
    drop(connection);
    let store = SqliteStore::open(&data_dir(&temporary)).unwrap();
    let error = store.person(&operator(), people[1].id).unwrap_err();
    assert!(
        matches!(error, StoreError::Keys(KeyError::SealedFieldDoesNotOpen { ref field }) if field == "persons.name"),
        "{error:?}"
    );
    assert_eq!(store.person(&operator(), people[0].id).unwrap(), people[0]);
}

#[test]
fn a_person_whose_sealed_fields_do_not_open_is_not_audited_as_read() {
    let (temporary, people) = closed_store_with_audit_records();
    let connection = raw_connection(&data_dir(&temporary));
    connection
        .execute(
            "UPDATE persons SET phone_sealed = (SELECT phone_sealed FROM persons WHERE id = ?1) \
             WHERE id = ?2",
            [people[0].id.as_bytes(), people[1].id.as_bytes()],
        )
        .unwrap();
    drop(connection);
    let store = SqliteStore::open(&data_dir(&temporary)).unwrap();
    let reads_of_the_second = |store: &SqliteStore| {
        store
            .audit_log(
                &operator(),
                &AuditQuery {
                    subject: Some(people[1].id),
                    action: Some(AuditAction::ReadPerson),
                    ..AuditQuery::default()
                },
            )
            .unwrap()
    };
    let before = reads_of_the_second(&store);
    let error = store.person(&operator(), people[1].id).unwrap_err();
    assert!(
        matches!(error, StoreError::Keys(KeyError::SealedFieldDoesNotOpen { ref field }) if field == "persons.phone"),
        "{error:?}"
    );
    // Only the read made while the store was whole: the failed one shows nothing as read.
    assert_eq!(reads_of_the_second(&store), before);
    assert_eq!(before.len(), 1);
    assert_eq!(store.verify_audit_chain().unwrap().first_break, None);
}

#[test]
fn key_rings_created_at_once_in_a_fresh_directory_are_the_same_keys() {
    const THREADS: usize = 8;
    // Several rounds, each in a fresh directory, to give the threads many chances to collide.
    for _ in 0..10 {
        let temporary = tempfile::tempdir().unwrap();
        let start = Barrier::new(THREADS);
        let rings: Vec<KeyRing> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..THREADS)
                .map(|_| {
                    scope.spawn(|| {
                        start.wait();
                        KeyRing::open_or_create(temporary.path())
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().unwrap().expect("the key ring opens"))
                .collect()
        });
        let resident_id = ResidentId::parse("330106199001011256").unwrap();
        for (index, sealer) in rings.iter().enumerate() {
            let sealed = sealer.seal("persons.name", b"row", format!("{index}").as_bytes());
            for opener in &rings {
                assert_eq!(
                    opener.open("persons.name", b"row", &sealed).unwrap(),
                    format!("{index}").as_bytes()
                );
                assert_eq!(
                    opener.resident_id_hash(&resident_id),
                    sealer.resident_id_hash(&resident_id)
                );
            }
        }
        // The processes that lost the race left nothing behind.
        let entries: Vec<_> = fs::read_dir(temporary.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(entries, ["keys"]);
        assert_eq!(
            fs::read_dir(temporary.path().join("keys")).unwrap().count(),
            2
        );
    }
}

#[test]
fn the_schema_is_migrated_on_open_and_the_journal_is_a_write_ahead_log_of_16_kib_pages() {
    let temporary = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(&data_dir(&temporary)).unwrap());
    // Opening an up-to-date database again migrates nothing and succeeds.
    let store = SqliteStore::open(&data_dir(&temporary)).unwrap();
    store.check_ready().unwrap();
    let connection = raw_connection(&data_dir(&temporary));
    let version: u32 = connection
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let journal_mode: String = connection
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap();
    assert_eq!(journal_mode, "wal");
    let page_size: u32 = connection
        .pragma_query_value(None, "page_size", |row| row.get(0))
        .unwrap();
    assert_eq!(page_size, 16 * 1024);
}

#[test]
fn declarations_stored_under_the_first_schema_survive_the_migration() {
    let temporary = tempfile::tempdir().unwrap();
    let data_dir = data_dir(&temporary);
    fs::create_dir_all(&data_dir).unwrap();
    let person = PersonId::from_uuid(uuid::Uuid::new_v4());
    let declaration = Declaration::new(
        new_event_id(),
        person,
        at("2026-02-10T07:00:00Z"),
        BTreeSet::from([Symptom::Fever, Symptom::DryCough]),
        Some(Temperature::from_celsius(38.1).unwrap()),
        vec![TravelEntry {
            region: RegionCode::parse("420100").unwrap(),
            from: Date::new(2026, 2, 1).unwrap(),
            to: Date::new(2026, 2, 3).unwrap(),
        }],
    )
    .unwrap();
    {
        let connection = raw_connection(&data_dir);
        connection
            .execute_batch(include_str!("../../src/sqlite/migrations/0001_initial.sql"))
            .unwrap();
        connection.pragma_update(None, "user_version", 1).unwrap();
        // The person's sealed fields are never opened here; only the row must exist.
        connection
            .execute(
                "INSERT INTO persons (id, resident_id_hash, resident_id_sealed, name_sealed, \
                 phone_sealed, enrolled_at, enrolment_event_id) VALUES (?1, ?2, x'00', x'00', \
                 x'00', 0, ?3)",
                rusqlite::params![person.as_bytes(), [7u8; 32], new_event_id().as_bytes()],
            )
            .unwrap();
        connection
            .execute(
                "INSERT INTO declarations (event_id, person_id, declared_at, symptoms, \
                 temperature_tenths, travel) VALUES (?1, ?2, ?3, 'fever dry_cough', 381, \
                 '420100 2026-02-01 2026-02-03')",
                rusqlite::params![
                    declaration.event_id().as_bytes(),
                    person.as_bytes(),
                    declaration.declared_at().as_millisecond()
                ],
            )
            .unwrap();
    }
    let store = SqliteStore::open(&data_dir).unwrap();
    assert_eq!(
        store.declarations_of(&operator(), person).unwrap(),
        vec![declaration.clone()]
    );
    assert_eq!(
        store.facts_of(&operator(), person).unwrap().declarations,
        vec![declaration.clone()]
    );
    // The event id still makes a resend a duplicate.
    assert_eq!(
        store.record_declaration(&operator(), &declaration).unwrap(),
        healthcode_store::Write::Duplicate
    );
}

#[test]
fn facts_whose_person_is_not_enrolled_are_given_to_nobody() {
    let temporary = tempfile::tempdir().unwrap();
    let data_dir = data_dir(&temporary);
    let store = SqliteStore::open(&data_dir).unwrap();
    let mut people = residents();
    for (index, person) in people.iter_mut().enumerate() {
        person.id = PersonId::from_bytes([0x10 + 0x20 * index as u8; 16]);
        enrol(&store, person, index as u8);
    }
    // Rows before, between and after the enrolled people, written around the foreign keys as
    // only a damaged or hand-edited file could hold them.
    let connection = raw_connection(&data_dir);
    connection
        .pragma_update(None, "foreign_keys", false)
        .unwrap();
    for orphan in [0x05u8, 0x20, 0x40, 0x60] {
        connection
            .execute(
                "INSERT INTO test_results (person_id, sampled_at, event_id, kind, outcome, \
                 reported_at) VALUES (?1, 0, ?2, 'pcr', 'positive', 0)",
                rusqlite::params![[orphan; 16], new_event_id().as_bytes()],
            )
            .unwrap();
    }
    drop(connection);
    let access = Access::new(Actor::System, Purpose::Rating, at("2026-02-13T00:00:00Z"));
    let mut results = 0;
    let visited = store
        .for_each_facts(&access, &mut |_, facts, _| {
            results += facts.test_results.len()
        })
        .unwrap();
    assert_eq!((visited, results), (3, 0));
}

#[test]
fn a_database_newer_than_the_code_is_refused() {
    let temporary = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(&data_dir(&temporary)).unwrap());
    raw_connection(&data_dir(&temporary))
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let error = SqliteStore::open(&data_dir(&temporary)).unwrap_err();
    assert!(matches!(error, StoreError::Backend(_)), "{error:?}");
    assert!(
        error.to_string().contains(&format!(
            "schema version {}, newer than this healthcode",
            SCHEMA_VERSION + 1
        )),
        "{error}"
    );
}

#[test]
fn the_conformance_suite_runs_every_behaviour_it_defines() {
    let source = include_str!("../../src/conformance.rs");
    let (macro_text, behaviours_text) = source
        .split_once("// Behaviours.")
        .expect("conformance.rs marks where its behaviours start");
    let sections = [
        include_str!("../../src/conformance/tracing.rs"),
        include_str!("../../src/conformance/phone_data.rs"),
        include_str!("../../src/conformance/consent.rs"),
        include_str!("../../src/conformance/venue_counts.rs"),
    ];
    let sections = sections.map(|section| {
        section
            .split_once("// Behaviours.")
            .expect("each conformance section marks where its behaviours start")
            .1
    });
    let defined: Vec<&str> = std::iter::once(behaviours_text)
        .chain(sections)
        .flat_map(str::lines)
        .filter_map(|line| line.strip_prefix("pub fn "))
        .map(|rest| rest.split('(').next().unwrap())
        .collect();
    assert!(defined.len() > 30, "{defined:?}");
    for behaviour in defined {
        assert!(
            macro_text.contains(&format!("            {behaviour},\n")),
            "conformance_suite! does not run {behaviour}"
        );
    }
}

#[test]
fn the_raw_peer_stores_exactly_what_the_store_stores() {
    let temporary = tempfile::tempdir().unwrap();
    let access = Access::new(
        Actor::LocalOperator,
        Purpose::BulkImport,
        at("2026-02-01T00:00:00Z"),
    );
    let persons = synthetic::residents(20, 7, access.at);
    let venues = synthetic::venues(3, 7, access.at);
    let check_ins = synthetic::check_ins(
        &synthetic::person_ids(&persons),
        &synthetic::venue_ids(&venues),
        500,
        at("2026-02-01T00:00:00Z"),
        7,
    );

    let store = SqliteStore::open(&temporary.path().join("store")).unwrap();
    bench::seed_population(&store, &access, &persons, &venues).unwrap();
    store.ingest_check_ins(&access, &check_ins).unwrap();

    let peer = SqliteStore::open(&temporary.path().join("raw")).unwrap();
    bench::seed_population(&peer, &access, &persons, &venues).unwrap();
    let mut raw = bench::RawPeer::open(peer.database_path()).unwrap();
    assert_eq!(raw.insert_check_ins(&check_ins).unwrap(), 500);
    assert_eq!(raw.insert_check_ins(&check_ins[..10]).unwrap(), 0);

    let mut total = 0;
    for person in synthetic::person_ids(&persons) {
        let stored = store.check_ins_of(&access, person).unwrap();
        assert_eq!(peer.check_ins_of(&access, person).unwrap(), stored);
        total += stored.len();
    }
    assert_eq!(total, 500);
    // Seeded residents are enrolled like real ones, with one audit record for the population.
    let enrolments = store
        .audit_log(
            &access,
            &AuditQuery {
                action: Some(AuditAction::EnrolPerson),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(enrolments.len(), 1);
    assert_eq!(enrolments[0].records, 20);
    let first = store.person(&access, persons[0].id).unwrap();
    assert_eq!(first, persons[0]);
    assert_eq!(
        store.find_person(&access, &first.resident_id).unwrap(),
        Some(first.id)
    );
}

/// Varied facts of four seeded people: the first has one of every kind, the second is a contact
/// of the first's case at a venue and in the household, the third has nothing, and the fourth
/// only a health report without temperature or symptoms. Each person's facts are in the order
/// the store reads them back.
fn varied_facts(people: &[PersonId]) -> Vec<(PersonId, Facts)> {
    let official = StaffId::from_bytes([0x0f; 16]);
    let case = CaseRecord {
        case: CaseId::from_uuid(uuid::Uuid::new_v4()),
        status: CaseStatus::Confirmed,
        since: at("2026-02-09T12:00:00Z"),
        onset: at("2026-02-07T08:30:00Z"),
        isolated_at: at("2026-02-09T10:00:00Z"),
        released_at: Some(at("2026-02-19T12:00:00Z")),
    };
    let contact = |setting, found_at: &str| Contact {
        contact: ContactId::from_uuid(uuid::Uuid::new_v4()),
        case: case.case,
        degree: ContactDegree::Close,
        setting,
        first_exposure: at("2026-02-08T19:00:00Z"),
        last_exposure: at("2026-02-08T21:00:00.500Z"),
        together: jiff::SignedDuration::from_millis(7_200_500),
        found_at: at(found_at),
        dismissed_at: None,
    };
    let test_result = |outcome, sampled_at: &str| TestResult {
        event_id: new_event_id(),
        kind: TestKind::Pcr,
        outcome,
        sampled_at: at(sampled_at),
        reported_at: at("2026-02-12T18:00:00Z"),
    };
    let first = Facts {
        declarations: vec![
            Declaration::new(
                new_event_id(),
                people[0],
                at("2026-02-10T07:00:00.250Z"),
                BTreeSet::from([Symptom::Fever, Symptom::DryCough]),
                Some(Temperature::from_tenths(385).unwrap()),
                vec![TravelEntry {
                    region: RegionCode::parse("420100").unwrap(),
                    from: Date::new(2026, 2, 1).unwrap(),
                    to: Date::new(2026, 2, 3).unwrap(),
                }],
            )
            .unwrap(),
        ],
        health_reports: vec![HealthReport {
            event_id: new_event_id(),
            reporter: Reporter::Employer,
            day: Date::new(2026, 2, 11).unwrap(),
            reported_at: at("2026-02-11T10:00:00Z"),
            temperature: Some(Temperature::from_tenths(372).unwrap()),
            symptoms: BTreeSet::from([Symptom::SoreThroat]),
        }],
        test_results: vec![
            test_result(TestOutcome::Negative, "2026-02-10T08:00:00Z"),
            test_result(TestOutcome::Positive, "2026-02-12T08:00:00Z"),
        ],
        pharmacy_purchases: vec![PharmacyPurchase {
            event_id: new_event_id(),
            medicine: Medicine::FeverReducer,
            purchased_at: at("2026-02-11T19:30:00Z"),
        }],
        cases: vec![case],
        overrides: vec![Override {
            id: OverrideId::from_uuid(uuid::Uuid::new_v4()),
            colour: Colour::Red,
            reason: OVERRIDE_REASON.to_owned(),
            set_by: official,
            set_at: at("2026-02-12T09:00:00Z"),
            expires_at: at("2026-02-26T09:00:00Z"),
            appeal: None,
        }],
        ..Facts::default()
    };
    let second = Facts {
        contacts: vec![
            contact(
                ContactSetting::Venue(VenueId::from_uuid(uuid::Uuid::new_v4())),
                "2026-02-10T12:00:00Z",
            ),
            contact(ContactSetting::Household, "2026-02-11T12:00:00Z"),
        ],
        ..Facts::default()
    };
    let fourth = Facts {
        health_reports: vec![HealthReport {
            event_id: new_event_id(),
            reporter: Reporter::Community,
            day: Date::new(2026, 2, 11).unwrap(),
            reported_at: at("2026-02-11T10:00:00Z"),
            temperature: None,
            symptoms: BTreeSet::new(),
        }],
        ..Facts::default()
    };
    vec![
        (people[0], first),
        (people[1], second),
        (people[2], Facts::default()),
        (people[3], fourth),
    ]
}

/// A store in `temporary` with four people seeded as the benchmark seeds them (without venues:
/// facts need none), the access that seeds, and [`varied_facts`] for them, not stored yet.
fn four_seeded_people(
    temporary: &tempfile::TempDir,
) -> (SqliteStore, Access, Vec<(PersonId, Facts)>) {
    let store = SqliteStore::open(&data_dir(temporary)).unwrap();
    let access = Access::new(
        Actor::LocalOperator,
        Purpose::BulkImport,
        at("2026-02-13T00:00:00Z"),
    );
    let residents = synthetic::residents(4, 7, access.at);
    bench::seed_population(&store, &access, &residents, &[]).unwrap();
    let facts = varied_facts(&synthetic::person_ids(&residents));
    (store, access, facts)
}

#[test]
fn the_facts_of_most_of_the_city_are_picked_out_of_one_pass_and_equal_each_persons_own() {
    let temporary = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&data_dir(&temporary)).unwrap();
    let access = Access::new(
        Actor::LocalOperator,
        Purpose::BulkImport,
        at("2026-02-13T00:00:00Z"),
    );
    // Enough people that a read of nearly all of them takes the pass over everyone.
    let residents = synthetic::residents(24_000, 11, access.at);
    bench::seed_population(&store, &access, &residents, &[]).unwrap();
    let persons = synthetic::person_ids(&residents);
    let seeded = varied_facts(&persons[..4]);
    bench::seed_facts(&store, &access, &seeded).unwrap();

    let rating = Access::new(Actor::System, Purpose::Rating, at("2026-02-13T00:00:00Z"));
    // All but the last hundred, backwards, with the first person asked for twice.
    let mut asked: Vec<PersonId> = persons[..23_900].iter().rev().copied().collect();
    asked.push(persons[0]);
    let read = store.facts_of_people(&rating, &asked).unwrap();
    assert_eq!(read.len(), asked.len());
    for (person, facts) in asked.iter().zip(&read) {
        match seeded.iter().find(|(seeded, _)| seeded == person) {
            Some((_, seeded)) => assert_eq!(facts, seeded),
            None => assert_eq!(facts, &Facts::default()),
        }
    }

    asked.push(PersonId::from_bytes([0xee; 16]));
    assert!(matches!(
        store.facts_of_people(&rating, &asked),
        Err(StoreError::NotFound { what: "person" })
    ));
}

#[test]
fn seeded_facts_read_back_equal_with_one_audit_record_per_kind_and_sealed_reasons() {
    let temporary = tempfile::tempdir().unwrap();
    let (store, access, seeded) = four_seeded_people(&temporary);
    bench::seed_facts(&store, &access, &seeded).unwrap();
    // Seeding again stores nothing more: every fact's id is already there.
    bench::seed_facts(&store, &access, &seeded).unwrap();

    let rating = Access::new(Actor::System, Purpose::Rating, at("2026-02-13T00:00:00Z"));
    for (person, facts) in &seeded {
        assert_eq!(&store.facts_of(&rating, *person).unwrap(), facts);
    }
    let mut visited = 0;
    store
        .for_each_facts(&rating, &mut |person, read, _| {
            let (_, facts) = seeded.iter().find(|(seeded, _)| *seeded == person).unwrap();
            assert_eq!(&read, facts);
            visited += 1;
        })
        .unwrap();
    assert_eq!(visited, 4);

    let written: Vec<(AuditAction, u64)> = store
        .audit_log(&access, &AuditQuery::default())
        .unwrap()
        .iter()
        .filter(|record| record.purpose == Purpose::BulkImport)
        .map(|record| (record.action, record.records))
        .collect();
    let once = [
        (AuditAction::EnrolPerson, 4),
        (AuditAction::RecordDeclaration, 1),
        (AuditAction::RecordTestResults, 2),
        (AuditAction::RecordPharmacyPurchases, 1),
        (AuditAction::RecordHealthReports, 2),
        (AuditAction::RecordCase, 1),
        (AuditAction::RecordContact, 2),
        (AuditAction::SetOverride, 1),
    ];
    assert_eq!(written[..once.len()], once);
    assert_eq!(written[once.len()..], once[1..]);
    drop(store);
    for path in database_files(&data_dir(&temporary)) {
        assert_eq!(
            occurrences(&path, OVERRIDE_REASON.as_bytes()),
            0,
            "{}",
            path.display()
        );
    }
}

#[test]
fn seeding_facts_of_a_person_not_enrolled_or_naming_an_unknown_case_is_refused_with_their_position()
{
    let temporary = tempfile::tempdir().unwrap();
    let (store, access, seeded) = four_seeded_people(&temporary);

    let mut with_stranger = seeded.clone();
    with_stranger[3].0 = PersonId::from_uuid(uuid::Uuid::new_v4());
    let error = bench::seed_facts(&store, &access, &with_stranger).unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::UnknownReference {
                index: 3,
                reference: Reference::Person
            }
        ),
        "{error:?}"
    );

    // The second person's contacts name a case nobody has once the first person's is gone.
    let mut without_case = seeded;
    without_case[0].1.cases.clear();
    let error = bench::seed_facts(&store, &access, &without_case).unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::UnknownReference {
                index: 1,
                reference: Reference::Case
            }
        ),
        "{error:?}"
    );
}

/// Free text officials write in proximity searches; personal data like an appeal's statement.
const SEARCH_PURPOSE: &str = "温州面馆确诊病例就餐时段的附近人员排查";
const REVIEW_REASON: &str = "Receipt shows the resident ate at the next table.";

#[test]
fn the_database_files_hold_no_proximity_search_purpose_or_review_reason_in_plaintext() {
    use healthcode_core::phone::proximity::{
        CandidateReview, ProximityQuery, ProximitySearch, ProximitySearchId, ReviewDecision,
    };
    use healthcode_core::{Cell, CellId, CellPing, City};

    let temporary = tempfile::tempdir().unwrap();
    let data_dir = data_dir(&temporary);
    let people = residents();
    let store = SqliteStore::open(&data_dir).unwrap();
    for (index, person) in people.iter().enumerate() {
        enrol(&store, person, index as u8);
    }
    let network = Access::new(
        Actor::Staff {
            id: StaffId::from_bytes([0x46; 16]),
            role: Role::PhoneNetwork,
        },
        Purpose::PhoneData,
        at("2026-02-11T00:00:00Z"),
    );
    let shop = GeoPoint::new(28.0, 120.65).unwrap();
    let cell = Cell {
        id: CellId::parse("460-00-5771-1").unwrap(),
        location: shop,
        city: City::of(RegionCode::parse("330302").unwrap()).unwrap(),
        registered_at: at("2026-01-10T00:00:00Z"),
    };
    store
        .register_cells(&network, std::slice::from_ref(&cell))
        .unwrap();
    let ping = CellPing {
        event_id: new_event_id(),
        cell: cell.id.clone(),
        seen_at: at("2026-02-09T04:00:00Z"),
    };
    store
        .ingest_cell_pings(&network, &[(people[0].id, ping)], jiff::tz::offset(8))
        .unwrap();
    let case = CaseRecord {
        case: CaseId::from_uuid(uuid::Uuid::new_v4()),
        status: CaseStatus::Confirmed,
        since: at("2026-02-10T00:00:00Z"),
        onset: at("2026-02-08T00:00:00Z"),
        isolated_at: at("2026-02-10T00:00:00Z"),
        released_at: None,
    };
    store.record_case(&operator(), people[1].id, &case).unwrap();
    let official = StaffId::from_bytes([0x0f; 16]);
    let search = ProximitySearch {
        id: ProximitySearchId::from_uuid(uuid::Uuid::new_v4()),
        case: case.case,
        query: ProximityQuery::new(
            shop,
            200,
            at("2026-02-09T03:00:00Z"),
            at("2026-02-09T05:00:00Z"),
        )
        .unwrap(),
        purpose: SEARCH_PURPOSE.to_owned(),
        searched_by: official,
        searched_at: at("2026-02-12T10:00:00Z"),
    };
    let (record, _) = store.search_proximity(&operator(), &search).unwrap();
    assert_eq!(record.candidates.len(), 1);
    let review = CandidateReview {
        decision: ReviewDecision::Confirm,
        reason: REVIEW_REASON.to_owned(),
        reviewed_by: official,
        reviewed_at: at("2026-02-12T11:00:00Z"),
        contact: Some(ContactId::from_uuid(uuid::Uuid::new_v4())),
    };
    store
        .review_proximity_candidate(&operator(), search.id, people[0].id, &review)
        .unwrap();
    let record = store.proximity_search(&operator(), search.id).unwrap();
    assert_eq!(record.search.purpose, SEARCH_PURPOSE);
    assert_eq!(
        record.candidates[0].review.as_ref().unwrap().reason,
        REVIEW_REASON
    );

    drop(store);
    for path in database_files(&data_dir) {
        for secret in [SEARCH_PURPOSE, REVIEW_REASON, people[0].name.as_str()] {
            assert_eq!(
                occurrences(&path, secret.as_bytes()),
                0,
                "{} holds free text about residents in plaintext",
                path.display()
            );
        }
    }
}
