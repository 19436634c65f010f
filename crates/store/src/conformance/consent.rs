//! The behaviours of residents' consent to employers' close-contact checks, and of quarantine
//! follow-up.

#[allow(unused_imports)]
use super::*;

// Behaviours.
