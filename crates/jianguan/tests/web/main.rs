//! The web application's integration tests: the real server on port 0 over a
//! copy of a small demo city (tests/common/web.rs). One module per area.

#![allow(clippy::panic, reason = "a failed step fails the test with its message")]

#[path = "../common/mod.rs"]
mod common;

mod auth;
mod credit_risk;
mod portal;
mod staff_workflow;
mod staff_directories;
mod authz;
mod supervision;
mod credit_repair;
mod watermark;
mod credit;
mod hostile;
mod hotline;
