//! The workcal crate's integration tests, one binary: one module per area.

mod deadlines;
mod known_days;
mod listing;
mod overrides;
mod props;
mod provisional;
