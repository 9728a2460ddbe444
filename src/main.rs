//! The tafteesh binary: parse arguments, call the library, exit with its code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = tafteesh::cli::Cli::parse();
    tafteesh::cli::dispatch(cli).into()
}
