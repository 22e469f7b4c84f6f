//! `ghostload`: generate synthetic electricity-theft datasets from the command line.
//!
//! Exit codes: 0 success, 1 runtime failure, 2 invalid arguments or configuration.

// The binary has no public API: its modules' `pub` items are for each other.
#![allow(unnameable_types)]

mod args;
mod commands;
mod config;
mod failure;
mod fit;
mod logging;
#[cfg(feature = "serve")]
mod serve;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::logging::Verbosity;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let verbosity = if cli.quiet {
        Verbosity::Quiet
    } else if cli.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    let result = match &cli.command {
        Command::Generate(args) => commands::generate(args, verbosity),
        Command::Inject(args) => commands::inject(args, verbosity),
        Command::Validate { dir: Some(dir), .. } => commands::validate(dir, verbosity),
        Command::Validate { dir: None, shards } => commands::validate_shards(shards, verbosity),
        Command::Fit {
            input,
            output,
            report,
            seed,
        } => fit::run(input, output, report.as_deref(), *seed, verbosity),
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve::run(args, verbosity),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            failure.exit_code()
        }
    }
}
