use std::process::ExitCode;

fn main() -> ExitCode {
    jianguan::cli::main()
}
