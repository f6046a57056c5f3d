//! The web application's integration tests: the real server on port 0 over a
//! copy of a small demo city (tests/common/web.rs). One module per area.

#![allow(
    clippy::panic,
    reason = "a failed step fails the test with its message"
)]

#[path = "../common/mod.rs"]
mod common;

mod auth;
mod authz;
mod credit;
mod credit_repair;
mod credit_risk;
mod hostile;
mod hotline;
mod portal;
mod staff_directories;
mod staff_workflow;
mod supervision;
mod watermark;
