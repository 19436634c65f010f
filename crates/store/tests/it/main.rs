//! The integration tests of healthcode-store, in one binary: the conformance suite run against
//! the SQLite backend, and what only the SQLite backend must do (files, keys, tampering, the
//! benchmarks' seeding and peers).

mod sqlite;
mod synthetic;
mod tracing;

use healthcode_store::SqliteStore;

/// A fresh store in a temporary directory; the directory lives as long as the returned guard.
pub fn fresh_store() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open(&dir.path().join("data")).expect("a fresh store opens");
    (store, dir)
}

mod conformance {
    healthcode_store::conformance_suite!(crate::fresh_store());
}
