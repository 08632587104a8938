//! `heepr`: the marketplace service and its operator commands. All logic lives in the
//! library; this only parses the command line and reports errors.

use std::process::ExitCode;

use clap::Parser;
use heepr_core::cli;
use heepr_core::cli::args::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Cli::parse();
    cli::init_tracing();
    match cli::run(args).await {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("heepr: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
