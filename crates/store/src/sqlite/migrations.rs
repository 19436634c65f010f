//! Versioned schema migrations, applied when a store opens.
//!
//! The schema version is SQLite's `PRAGMA user_version`: 0 for an empty file, N after migration
//! N. Each migration runs in its own immediate transaction together with the version bump, so a
//! crash leaves the database at one version or the next, never in between, and two processes
//! opening the same file do not both migrate it. A database newer than this code is refused:
//! old code must never write into a schema it does not know.
//!
//! Migrations are append-only: a released migration file never changes.

use rusqlite::{Connection, TransactionBehavior};

use crate::StoreError;

/// The migrations, in order; migration `i` (from 0) brings the schema to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_rating.sql"),
    include_str!("migrations/0003_tracing.sql"),
    include_str!("migrations/0004_consent_follow_up.sql"),
    include_str!("migrations/0005_phone_data.sql"),
    include_str!("migrations/0006_stay_classes.sql"),
];

/// The schema version this code writes and reads.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Why a database's schema cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error(
        "the database is at schema version {found}, newer than this healthcode, which knows versions up to {SCHEMA_VERSION}; run a newer healthcode"
    )]
    NewerThanCode { found: u32 },
    #[error(
        "the database is at schema version {found}, but this healthcode needs {SCHEMA_VERSION}"
    )]
    NotMigrated { found: u32 },
}

pub(super) fn schema_version(connection: &Connection) -> Result<u32, StoreError> {
    Ok(connection.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

/// Brings the database to [`SCHEMA_VERSION`].
pub(super) fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    loop {
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Read inside the write transaction: another process may have migrated meanwhile.
        let version = schema_version(&transaction)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::Backend(Box::new(SchemaError::NewerThanCode {
                found: version,
            })));
        }
        if version == SCHEMA_VERSION {
            return Ok(());
        }
        tracing::info!(
            from = version,
            to = version + 1,
            "migrating the database schema"
        );
        transaction.execute_batch(MIGRATIONS[version as usize])?;
        transaction.pragma_update(None, "user_version", version + 1)?;
        transaction.commit()?;
    }
}

/// Checks, without writing, that the database has the schema this code knows.
pub(super) fn check_version(connection: &Connection) -> Result<(), StoreError> {
    match schema_version(connection)? {
        found if found > SCHEMA_VERSION => {
            Err(StoreError::Backend(Box::new(SchemaError::NewerThanCode {
                found,
            })))
        }
        found if found < SCHEMA_VERSION => {
            Err(StoreError::Backend(Box::new(SchemaError::NotMigrated {
                found,
            })))
        }
        _ => Ok(()),
    }
}
