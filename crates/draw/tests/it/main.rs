//! The draw crate's integration tests, one binary: one module per area.

mod common;

mod bad_input;
mod golden;
mod matching;
mod properties;
mod public_view;
mod statistics;
mod verify_mutations;
