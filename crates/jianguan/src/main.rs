//! jianguan (监管): random inspection (双随机、一公开), credit and enforcement
//! supervision for a Chinese city. A thin clap layer over the `service` and `web`
//! crates; `demo` and `bench` come from the `sim` crate (the default feature `sim`).

use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: the import allocates and frees millions of
/// small strings, many freed on sqlx's SQLite worker thread (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;

fn main() -> ExitCode {
    cli::main()
}
