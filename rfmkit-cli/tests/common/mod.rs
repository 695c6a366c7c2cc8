//! Helpers shared by the test files that carry over `.ci/examples.sh`
//! (`fixtures.rs`, `cdnow.rs`).

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A file of the workspace's `tests/data/`.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(name)
}

/// The `rfmkit` binary of this build.
pub fn rfmkit() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rfmkit"))
}

/// Runs `cmd`, asserts it succeeds, and returns its stdout.
pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}
