use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: the import allocates and frees millions of
/// small strings, many freed on sqlx's SQLite worker thread (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    jianguan::cli::main()
}
