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

tokio::task_local! {
    /// The ids a request guarded by an `Idempotency-Key` makes, in order: see [`Id::sequence`].
    static SEQUENCE: std::cell::Cell<Option<Ulid>>;
}

impl Id {
    /// Runs `work` so that the ids it generates are `first`, `first + 1`, ... (in the order it
    /// asks for them) instead of fresh ones: a request that is run again under the same
    /// `Idempotency-Key` makes the same ids, so its conditional creates find their own earlier
    /// writes instead of making second ones.
    pub async fn sequence<F: std::future::Future>(first: Id, work: F) -> F::Output {
        SEQUENCE
            .scope(std::cell::Cell::new(Some(first.0)), work)
            .await
    }

    /// A new id for "now" with 80 fresh random bits, independent of [`Id::generate`]'s
    /// monotonic run: the seed of a [`Id::sequence`], whose ids then cannot meet ids the
    /// process makes meanwhile (the generator's next id in the same millisecond is its last + 1).
    pub fn random() -> Self {
        Id(Ulid::new())
    }

    /// A new id for "now" (or the next of a [`Id::sequence`]); ids made later in the same
    /// process sort after this one.
    pub fn generate() -> Self {
        let next = SEQUENCE.try_with(|cell| {
            let current = cell.get();
            cell.set(current.and_then(|u| u.increment()));
            current
        });
        if let Ok(Some(id)) = next {
            return Id(id);
        }
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

    /// The smallest id of millisecond `ms` since the Unix epoch: every id made at or after it
    /// sorts above (or equal to) it.
    pub fn first_at(ms: u64) -> Self {
        Id(Ulid::from_parts(ms, 0))
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

#[cfg(test)]
mod sequence_tests {
    use super::*;

    #[tokio::test]
    async fn a_sequence_makes_the_same_ids_every_time_and_fresh_ones_outside() {
        let first = Id::random();
        let run = || Id::sequence(first, async { (Id::generate(), Id::generate()) });
        let (a, b) = run().await;
        assert_eq!(a, first);
        assert!(b > a);
        assert_eq!(run().await, (a, b));
        let fresh = Id::generate();
        assert!(fresh != a && fresh != b);
    }
}
