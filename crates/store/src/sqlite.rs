//! SQLite backend.
#[derive(Debug)]
pub struct SqliteStore;
