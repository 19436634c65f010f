//! Integration tests of the HTTP API: the real router on 127.0.0.1, a fresh SQLite store in a
//! temporary directory, a manual clock, and typed helpers speaking HTTP with reqwest.

mod appeals;
mod audit_trail;
mod authorization;
mod consent;
mod dashboard;
mod documentation;
mod enrolment;
mod errors;
mod feeds;
mod follow_up;
mod helpers;
mod passes;
mod phone_data;
mod policies;
mod privacy;
mod rating;
mod sessions;
mod stalled;
mod tracing;
mod venue_counts;
mod walk;
mod web_frame;
