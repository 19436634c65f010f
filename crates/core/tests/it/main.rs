//! Integration tests of the core: rating and tracing scenarios as data, and properties of the
//! rating engine and of tracing.

mod properties;
mod scenarios;
mod tracing;
mod tracing_properties;
