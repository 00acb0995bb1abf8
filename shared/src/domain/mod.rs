//! Entities and rules of Imagegram: validated newtypes, records and cursors. No AWS, HTTP or storage types.

pub mod cursor;
pub mod ids;
pub mod records;
pub mod text;
pub mod tier;

pub use cursor::{CursorError, CursorKey};
pub use ids::Id;
pub use records::*;
pub use text::{AltText, Caption, CommentText, Password, Title, Username, ValidationError};
pub use tier::{Tier, builtin_tier, builtin_tiers};
