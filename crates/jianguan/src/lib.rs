//! jianguan (监管): random inspection (双随机、一公开), credit and enforcement
//! supervision for a Chinese city. The binary's entry point is [`cli::main`].

pub mod bench;
pub mod cli;
pub mod domain;
pub mod http;
pub mod import;
pub mod storage;
pub mod synth;
pub mod watermark;
pub mod workflow;
