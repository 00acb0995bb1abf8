//! Entities and rules of Imagegram: validated newtypes, records and cursors. No AWS, HTTP or storage types.

pub mod cursor;
pub mod ids;
pub mod records;
pub mod text;

pub use cursor::{CursorError, CursorKey};
pub use ids::Id;
pub use records::*;
pub use text::{Caption, CommentText, Password, Username, ValidationError};
