//! The behaviours of tracing: cases, trips and boardings, households, the visit index and the
//! contacts tracing records.

#[allow(unused_imports)]
use super::*;

// Behaviours.
