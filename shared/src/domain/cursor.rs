//! Tamper-evident pagination cursors: a store continuation key, bound to the query, signed with HMAC-SHA256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const TAG_LEN: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("the cursor is malformed or was altered")]
    Invalid,
}

/// Seals and opens cursors. The key never leaves the server.
#[derive(Clone)]
pub struct CursorKey {
    key: [u8; 32],
}

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

impl CursorKey {
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    fn tag(&self, binding: &str, continuation: &[u8]) -> [u8; TAG_LEN] {
        // HMAC accepts keys of any length, so new_from_slice cannot fail for a 32-byte key.
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        mac.update(&(binding.len() as u64).to_be_bytes());
        mac.update(binding.as_bytes());
        mac.update(continuation);
        let full = mac.finalize().into_bytes();
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&full[..TAG_LEN]);
        tag
    }

    /// Wraps `continuation` for the query described by `binding` (e.g. `"posts|comments|author=bob"`).
    pub fn seal(&self, binding: &str, continuation: &str) -> String {
        let mut raw = continuation.as_bytes().to_vec();
        raw.extend_from_slice(&self.tag(binding, continuation.as_bytes()));
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Returns the continuation key if `cursor` was made by [`Self::seal`] for the same `binding`.
    pub fn open(&self, binding: &str, cursor: &str) -> Result<String, CursorError> {
        if cursor.len() > 4096 {
            return Err(CursorError::Invalid);
        }
        let raw = URL_SAFE_NO_PAD
            .decode(cursor)
            .map_err(|_| CursorError::Invalid)?;
        if raw.len() < TAG_LEN {
            return Err(CursorError::Invalid);
        }
        let (body, tag) = raw.split_at(raw.len() - TAG_LEN);
        let expected = self.tag(binding, body);
        // Constant-time comparison: a timing oracle on the tag would let a client forge cursors.
        let diff = expected
            .iter()
            .zip(tag)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if diff != 0 {
            return Err(CursorError::Invalid);
        }
        String::from_utf8(body.to_vec()).map_err(|_| CursorError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CursorKey {
        CursorKey::new([7u8; 32])
    }

    #[test]
    fn round_trips() {
        let c = key().seal("posts|comments", "{\"c\":3,\"id\":\"X\"}");
        assert_eq!(
            key().open("posts|comments", &c).unwrap(),
            "{\"c\":3,\"id\":\"X\"}"
        );
    }

    #[test]
    fn refuses_other_binding_key_or_any_single_change() {
        let c = key().seal("posts|comments", "abc");
        assert_eq!(key().open("posts|new", &c), Err(CursorError::Invalid));
        assert_eq!(
            CursorKey::new([8u8; 32]).open("posts|comments", &c),
            Err(CursorError::Invalid)
        );
        let bytes = c.as_bytes();
        for i in 0..bytes.len() {
            for replacement in [b'A', b'_', b'-', b'z'] {
                if bytes[i] == replacement {
                    continue;
                }
                let mut m = bytes.to_vec();
                m[i] = replacement;
                let m = String::from_utf8(m).unwrap();
                // Some base64 substitutions in the last char only change padding bits; those decode equal.
                if let Ok(k) = key().open("posts|comments", &m) {
                    assert_eq!(k, "abc");
                }
            }
        }
        assert!(key().open("posts|comments", &c[..c.len() - 1]).is_err());
        assert!(key().open("posts|comments", "").is_err());
        assert!(key().open("posts|comments", "!!!").is_err());
    }
}
