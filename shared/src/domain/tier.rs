//! Tiers: what a user's images come with (thumbnail heights, a link to the original, expiring links).

use serde::{Deserialize, Serialize};

use super::ValidationError;

/// Most thumbnail heights one tier may list.
pub const MAX_THUMBNAILS: usize = 8;
/// Largest edge of any rendition, thumbnails included.
pub const MAX_EDGE: u32 = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    /// 1..32 of `A-Z a-z 0-9 _ -`, case-sensitive as created.
    pub name: String,
    /// Sorted ascending, no duplicates, each 1..=4096.
    pub thumbnail_heights: Vec<u32>,
    pub original_link: bool,
    pub expiring_links: bool,
}

impl Tier {
    /// Validates and normalises (heights sorted, duplicates removed).
    pub fn new(
        name: &str,
        mut thumbnail_heights: Vec<u32>,
        original_link: bool,
        expiring_links: bool,
    ) -> Result<Self, ValidationError> {
        let name = parse_tier_name(name)?;
        // Counted as sent, duplicates included: the schema's `maxItems` bounds the list itself.
        if thumbnail_heights.len() > MAX_THUMBNAILS {
            return Err(ValidationError::new(
                "thumbnail_heights",
                format!("at most {MAX_THUMBNAILS} heights"),
            ));
        }
        if let Some(h) = thumbnail_heights
            .iter()
            .find(|h| !(1..=MAX_EDGE).contains(*h))
        {
            return Err(ValidationError::new(
                "thumbnail_heights",
                format!("each height must be 1..{MAX_EDGE} (got {h})"),
            ));
        }
        thumbnail_heights.sort_unstable();
        thumbnail_heights.dedup();
        Ok(Self {
            name,
            thumbnail_heights,
            original_link,
            expiring_links,
        })
    }
}

/// A tier name: 1..32 of `A-Z a-z 0-9 _ -`.
pub fn parse_tier_name(name: &str) -> Result<String, ValidationError> {
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if name.is_empty() || name.len() > 32 || !ok_chars {
        return Err(ValidationError::new(
            "name",
            "a tier name is 1..32 characters of A-Z, a-z, 0-9, _ and -",
        ));
    }
    Ok(name.to_owned())
}

/// Basic, Premium and Enterprise as API.md defines them.
pub fn builtin_tiers() -> Vec<Tier> {
    let tier = |name: &str, heights: &[u32], original_link, expiring_links| Tier {
        name: name.to_owned(),
        thumbnail_heights: heights.to_vec(),
        original_link,
        expiring_links,
    };
    vec![
        tier("Basic", &[200], false, false),
        tier("Premium", &[200, 400], true, false),
        tier("Enterprise", &[200, 400], true, true),
    ]
}

/// The builtin definition of `name`, if it is one.
pub fn builtin_tier(name: &str) -> Option<Tier> {
    builtin_tiers().into_iter().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_are_validated_and_normalised() {
        let t = Tier::new("Gold_2", vec![400, 200, 400], true, false).unwrap();
        assert_eq!(t.thumbnail_heights, vec![200, 400]);
        assert!(Tier::new("", vec![], false, false).is_err());
        assert!(Tier::new("has space", vec![], false, false).is_err());
        assert!(Tier::new(&"x".repeat(33), vec![], false, false).is_err());
        assert!(Tier::new("Zero", vec![0], false, false).is_err());
        assert!(Tier::new("Huge", vec![4097], false, false).is_err());
        assert!(Tier::new("Many", (1..=9).collect(), false, false).is_err());
        assert_eq!(
            builtin_tier("Premium").unwrap().thumbnail_heights,
            vec![200, 400]
        );
        assert!(builtin_tier("premium").is_none());
    }
}
