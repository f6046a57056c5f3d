//! `jianguan templates`: the template workbooks of every importable file.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::EXIT_BAD_INPUT;
use files::templates::write_templates;

/// Arguments of `jianguan templates`.
#[derive(Debug, Args)]
pub struct TemplatesArgs {
    /// The folder to write into (created if missing; must not be a file).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// Writes the templates and prints each file; exit 2 when `--out` is not a folder.
pub fn run(args: &TemplatesArgs) -> anyhow::Result<ExitCode> {
    match write_templates(&args.out) {
        Ok(written) => {
            for path in &written {
                println!("{}", path.display());
            }
            println!(
                "wrote {} templates to {}",
                written.len(),
                args.out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(error) if error.is_bad_input() => {
            eprintln!("error: {error}");
            Ok(ExitCode::from(EXIT_BAD_INPUT))
        }
        Err(error) => Err(error.into()),
    }
}
