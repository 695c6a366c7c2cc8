//! `rfmkit`: RFM scores, segments, audiences, LTV and predictive CLV from
//! order CSVs as shops export them.
//!
//! Run `rfmkit --help` and `rfmkit <command> --help`. The order file format
//! (columns, timestamps, time zones) is in the `load` module docs; the
//! customers file format in `customers`.
//!
//! Exit codes: 0 on success, 1 for bad input or a failed run, 2 for a bad
//! command line.

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod bench;
mod cli;
mod commands;
mod customers;
mod load;
mod output;
mod parquet;
mod program;
mod report;
mod timeline;

use std::io::{self, Write as _};
use std::process::ExitCode;

use clap::Parser as _;

/// A bad command line found after clap's own checks: exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Writes `text` and a newline to stderr, ignoring write errors
/// (`eprintln!` panics on them, e.g. when stderr is a closed pipe).
pub fn write_stderr(text: &str) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version go to stdout with exit 0; usage errors to
            // stderr with exit 2. Printing can fail only on a closed stream.
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // `rfmkit ... | head`: the reader has gone, nothing to report.
            let broken_pipe = err.chain().any(|cause| {
                cause
                    .downcast_ref::<io::Error>()
                    .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            if let Some(usage) = err.downcast_ref::<UsageError>() {
                write_stderr(&format!(
                    "error: {usage}\n\nFor more information, try '--help'."
                ));
                return ExitCode::from(2);
            }
            let mut message = format!("error: {err}");
            for cause in err.chain().skip(1) {
                message.push_str(&format!("\n  caused by: {cause}"));
            }
            write_stderr(&message);
            ExitCode::FAILURE
        }
    }
}
