//! The behaviours of phone data: cells, pings reduced to daily stays, the itinerary, retention
//! and proximity search.

#[allow(unused_imports)]
use super::*;

// Behaviours.
