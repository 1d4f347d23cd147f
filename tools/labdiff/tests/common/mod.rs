//! What the labdiff integration tests share.

use std::path::{Path, PathBuf};

/// The workspace root: this package is tools/labdiff in it.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .into()
}

/// Runs `cmd` (the labdiff binary, usually), checks that it succeeded,
/// with its standard error as the message if not, and returns its
/// standard output.
#[allow(dead_code)] // not every test file runs a command
pub fn run_ok(cmd: &mut std::process::Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
