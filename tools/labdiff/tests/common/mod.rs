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
