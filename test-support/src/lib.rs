//! What the workspace's tests share across crates: the shared image corpus.

use std::path::PathBuf;

/// The shared corpus beside the checkout, `<repo>/../shared/testdata`, unless
/// `IMAGEGRAM_TESTDATA` names another directory.
pub fn testdata() -> PathBuf {
    std::env::var_os("IMAGEGRAM_TESTDATA").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/testdata"
            ))
        },
        PathBuf::from,
    )
}

/// The bytes of `rel` in the corpus; panics, naming the file, when it cannot be read.
pub fn read(rel: &str) -> Vec<u8> {
    let path = testdata().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
