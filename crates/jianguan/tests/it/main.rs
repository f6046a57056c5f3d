//! jianguan's integration tests, one binary: the CLI run as a process, the
//! storage contract and the workflows on SQLite and PostgreSQL, and the web
//! application served on port 0. One module per area; `common` is the harness.

mod common;

mod accounts;
mod annual_report;
mod any_city;
mod calendar_notice;
mod cases;
mod city;
mod cli_calendar;
mod cli_migrate;
mod cli_offline;
mod crash;
mod credit;
mod credit_repair;
mod credit_synth;
mod demo;
mod departments;
mod document_pages;
mod hotline;
mod hotline_rules;
mod hotline_synth;
mod identifier_peer;
mod import;
mod layers;
mod licences;
mod reconsideration;
mod review;
mod review_draw;
mod review_score;
mod risk;
mod services;
mod services_verification;
mod storage_contract;
mod templates;
mod web;
mod window;
mod workflow;
