//! The simulator: the synthetic Huangshi ([`synth`]), the year simulator
//! ([`year`]), the demo loader ([`demo`]) and the benchmarks ([`bench`]).
//! Nothing in production depends on it; the `jianguan` binary takes it in
//! through its default feature `sim`.

#![deny(missing_docs)]

pub mod bench;
pub mod demo;
pub mod synth;
pub mod year;
