//! The web application's integration tests: the real server on port 0 over a
//! copy of a small demo city (tests/common/web.rs). One module per area.

#![allow(
    clippy::panic,
    reason = "a failed step fails the test with its message"
)]

mod auth;
mod authz;
mod calendar;
mod cases;
mod ceremony;
mod city;
mod credit;
mod credit_repair;
mod credit_risk;
mod departments;
mod draw_secrecy;
mod errors;
mod hostile;
mod hotline;
mod hotline_intake;
mod justice;
mod licences;
mod lists;
mod names;
mod penalties;
mod portal;
mod reconsideration;
mod review;
mod review_score;
mod security;
mod services_kpi;
mod staff_directories;
mod staff_workflow;
mod steps;
mod supervision;
mod watermark;
mod window;
