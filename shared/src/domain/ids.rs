//! Opaque, sortable identifiers (ULIDs) for uploads, images, posts and comments.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use ulid::Ulid;

/// A ULID rendered in its canonical 26-character Crockford base32 form.
///
/// Lexicographic order of the string equals creation order (millisecond precision), which the stores
/// rely on for "newest first" without a separate timestamp index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Id(Ulid);

impl Id {
    /// A new id for "now"; ids made later in the same process sort after this one.
    pub fn generate() -> Self {
        use std::sync::Mutex;
        static GENERATOR: Mutex<Option<ulid::Generator>> = Mutex::new(None);
        let mut guard = GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
        let generator = guard.get_or_insert_with(ulid::Generator::new);
        // Overflow happens only after 2^80 ids in one millisecond; fall back to a fresh random id.
        Id(generator.generate().unwrap_or_else(|_| Ulid::new()))
    }

    /// Parses a client-supplied id; anything that is not a canonical ULID is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 26 {
            return None;
        }
        let ulid = Ulid::from_str(text).ok()?;
        // Reject non-canonical spellings (lower case, I/L/O aliases) so one id has one key.
        (ulid.to_string() == text).then_some(Id(ulid))
    }

    /// Milliseconds since the Unix epoch encoded in the id.
    pub fn timestamp_ms(&self) -> u64 {
        self.0.timestamp_ms()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_round_trip_and_sort_by_creation() {
        let a = Id::generate();
        let b = Id::generate();
        assert!(a.to_string() < b.to_string());
        assert_eq!(Id::parse(&a.to_string()), Some(a));
    }

    #[test]
    fn rejects_non_canonical_and_garbage() {
        let id = Id::generate().to_string();
        assert_eq!(Id::parse(&id.to_lowercase()), None);
        assert_eq!(Id::parse("not-an-id"), None);
        assert_eq!(Id::parse(""), None);
        assert_eq!(Id::parse("../../etc/passwd/aaaaaaaaaaa"), None);
        assert_eq!(Id::parse(&format!("{id}x")), None);
    }
}
