//! Integration tests of the HTTP API: the real router on 127.0.0.1, a fresh SQLite store in a
//! temporary directory, a manual clock, and typed helpers speaking HTTP with reqwest.

mod audit_trail;
mod authorization;
mod documentation;
mod enrolment;
mod errors;
mod helpers;
mod privacy;
mod sessions;
mod stalled;
mod walk;
