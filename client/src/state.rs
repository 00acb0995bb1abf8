//! What an unfinished upload leaves behind so that the same command run again continues it:
//! one small JSON file per file content hash (SHA-256) in the cache dir, written atomically
//! (a temporary file renamed over it) before each step that the server remembers, so a kill at
//! any point leaves either the previous state or the next.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRecord {
    /// The API this upload was made on: a state for another API is not reused.
    pub api: String,
    /// The Idempotency-Key of `POST /v1/uploads`: a kill before the answer was stored replays
    /// the same upload instead of making an orphan.
    pub create_key: String,
    /// The upload, once the server said which.
    pub upload_id: Option<String>,
    pub size: u64,
}

#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        StateDir { dir: dir.into() }
    }

    fn path(&self, hash: &str) -> PathBuf {
        self.dir.join(format!("{hash}.json"))
    }

    /// The record for this content, if one was left and is readable (a damaged file is as if
    /// there were none: the upload starts over rather than failing).
    pub fn load(&self, hash: &str) -> Option<UploadRecord> {
        let text = std::fs::read(self.path(hash)).ok()?;
        serde_json::from_slice(&text).ok()
    }

    pub fn save(&self, hash: &str, record: &UploadRecord) -> Result<()> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|err| Error::io(&format!("creating {}", self.dir.display()), err))?;
        let path = self.path(hash);
        let temporary = path.with_extension(format!("json.{}", std::process::id()));
        let text =
            serde_json::to_vec_pretty(record).map_err(|err| Error::Other(err.to_string()))?;
        std::fs::write(&temporary, text)
            .and_then(|()| std::fs::rename(&temporary, &path))
            .map_err(|err| Error::io(&format!("writing {}", path.display()), err))
    }

    pub fn remove(&self, hash: &str) {
        let _ = std::fs::remove_file(self.path(hash));
    }
}

/// SHA-256 of a file's bytes, hex, read in 1 MiB pieces.
pub fn content_hash(path: &Path) -> Result<String> {
    let context = || format!("reading {}", path.display());
    let mut file = std::fs::File::open(path).map_err(|err| Error::io(&context(), err))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|err| Error::io(&context(), err))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_damaged_ones_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let states = StateDir::new(dir.path().join("uploads"));
        assert_eq!(states.load("abc"), None);
        let record = UploadRecord {
            api: "http://127.0.0.1:8080".into(),
            create_key: "k".into(),
            upload_id: Some("01J".into()),
            size: 9,
        };
        states.save("abc", &record).unwrap();
        assert_eq!(states.load("abc"), Some(record));
        std::fs::write(dir.path().join("uploads/abc.json"), b"{not json").unwrap();
        assert_eq!(states.load("abc"), None);
        states.remove("abc");
        assert!(!dir.path().join("uploads/abc.json").exists());
    }

    #[test]
    fn the_hash_is_the_contents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(
            content_hash(&path).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        std::fs::write(&path, b"abd").unwrap();
        assert_ne!(
            content_hash(&path).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
