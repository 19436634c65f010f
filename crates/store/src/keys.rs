//! keys
#[derive(Debug)]
pub struct KeyRing;
#[derive(Debug, thiserror::Error)]
#[error("key error")]
pub struct KeyError;
