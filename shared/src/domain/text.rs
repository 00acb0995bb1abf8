//! Validated text newtypes: usernames, passwords, captions and comment texts.
//!
//! Lengths count Unicode scalar values, as the API contract says (2200 × "é" is a valid caption).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a value was refused; `field` names the request field, `message` is for humans.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

fn check_len(
    field: &'static str,
    text: &str,
    min: usize,
    max: usize,
) -> Result<(), ValidationError> {
    let n = text.chars().count();
    if n < min || n > max {
        return Err(ValidationError::new(
            field,
            format!("must be {min}..{max} characters long (got {n})"),
        ));
    }
    Ok(())
}

/// 3..32 characters of `a-z`, `0-9` and `_`.
/// Deserialising trusts the input: use it only for records read back from our own stores.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    /// Allowed lengths, in characters (also in `GET /v1/limits`).
    pub const LEN: (usize, usize) = (3, 32);

    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        check_len("username", text, Self::LEN.0, Self::LEN.1)?;
        if !text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(ValidationError::new(
                "username",
                "may contain only a-z, 0-9 and _",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// For values read back from our own store, which were validated on the way in.
    pub fn from_trusted(text: String) -> Self {
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// 8..128 characters; never logged or serialised.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const LEN: (usize, usize) = (8, 128);

    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        check_len("password", text, Self::LEN.0, Self::LEN.1)?;
        Ok(Self(text.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// A post caption: 0..2200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caption(String);

impl Caption {
    pub const MAX: usize = 2200;

    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        check_len("caption", text, 0, Self::MAX)?;
        Ok(Self(text.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// The alternative text of a post's or an image's picture: 0..1500 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AltText(String);

impl AltText {
    pub const MAX: usize = 1500;

    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        check_len("alt_text", text, 0, Self::MAX)?;
        Ok(Self(text.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An image title: 1..200 characters, not only whitespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub const MAX: usize = 200;

    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        check_len("title", text, 1, Self::MAX)?;
        if text.trim().is_empty() {
            return Err(ValidationError::new("title", "must not be blank"));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A comment: 1..1000 characters, not only whitespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentText(String);

impl CommentText {
    pub const MAX: usize = 1000;

    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        check_len("text", text, 1, Self::MAX)?;
        if text.trim().is_empty() {
            return Err(ValidationError::new("text", "must not be blank"));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_boundaries() {
        assert!(Username::parse("abc").is_ok());
        assert!(Username::parse(&"a".repeat(32)).is_ok());
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse(&"a".repeat(33)).is_err());
        assert!(Username::parse("Alice").is_err());
        assert!(Username::parse("al ice").is_err());
        assert!(Username::parse("al-ice").is_err());
        assert!(Username::parse("ålice").is_err());
    }

    #[test]
    fn password_boundaries_and_debug_hides_it() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse(&"x".repeat(128)).is_ok());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        let p = Password::parse("secret-password").unwrap();
        assert!(!format!("{p:?}").contains("secret"));
    }

    #[test]
    fn caption_counts_scalar_values_not_bytes() {
        assert!(Caption::parse("").is_ok());
        assert!(Caption::parse(&"é".repeat(2200)).is_ok());
        assert!(Caption::parse(&"é".repeat(2201)).is_err());
        assert!(AltText::parse("").is_ok());
        assert!(AltText::parse(&"é".repeat(1500)).is_ok());
        assert!(AltText::parse(&"é".repeat(1501)).is_err());
    }

    #[test]
    fn comment_boundaries() {
        assert!(CommentText::parse("").is_err());
        assert!(CommentText::parse("   ").is_err());
        assert!(CommentText::parse("x").is_ok());
        assert!(CommentText::parse(&"ü".repeat(1000)).is_ok());
        assert!(CommentText::parse(&"ü".repeat(1001)).is_err());
    }
}
