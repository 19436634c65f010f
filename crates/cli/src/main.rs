//! The `healthcode` binary: parse arguments, hand over to the library, turn errors into an exit
//! code. Nothing else lives here.

use std::process::ExitCode;

fn main() -> ExitCode {
    match healthcode_cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
