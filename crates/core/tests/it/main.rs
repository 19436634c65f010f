//! Integration tests of the core: rating scenarios as data, and properties of the engine.

mod properties;
mod scenarios;
