//! The HTTP API of healthcode.
