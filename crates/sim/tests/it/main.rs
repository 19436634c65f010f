//! The simulator as its users see it: the same seed gives the same bytes, and the well-mixed
//! epidemic agrees with theory.

mod determinism;
mod evaluate;
mod final_size;
mod health;
mod mobility;
