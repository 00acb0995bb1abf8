//! The records the stores keep: users, uploads, images, posts and comments.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Id, Username};

/// Now, at the millisecond precision every store keeps (so a record reads back equal).
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

/// The builtin tier a new account gets.
pub const DEFAULT_TIER: &str = "Basic";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "user" => Some(Role::User),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub username: Username,
    /// PHC string of an argon2id hash.
    pub password_hash: String,
    pub tier: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadStatus {
    Uploading,
    Uploaded,
    Aborted,
}

impl UploadStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            UploadStatus::Uploading => "uploading",
            UploadStatus::Uploaded => "uploaded",
            UploadStatus::Aborted => "aborted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "uploading" => Some(Self::Uploading),
            "uploaded" => Some(Self::Uploaded),
            "aborted" => Some(Self::Aborted),
            _ => None,
        }
    }
}

/// A declared multipart upload into the uploads bucket at `object_key`.
#[derive(Debug, Clone)]
pub struct Upload {
    pub id: Id,
    pub owner: Username,
    pub object_key: String,
    /// The object store's multipart upload id.
    pub multipart_id: String,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub part_size: u64,
    pub status: UploadStatus,
    pub created_at: DateTime<Utc>,
}

impl Upload {
    /// Number of parts the declared size needs (every part `part_size` bytes but the last).
    pub fn part_count(&self) -> u32 {
        part_count(self.size, self.part_size)
    }

    /// Exact byte length of part `number` (1-based), or `None` outside the upload's parts.
    pub fn part_length(&self, number: u32) -> Option<u64> {
        if number == 0 || number > self.part_count() {
            return None;
        }
        let start = u64::from(number - 1) * self.part_size;
        Some((self.size - start).min(self.part_size))
    }
}

pub fn part_count(size: u64, part_size: u64) -> u32 {
    u32::try_from(size.div_ceil(part_size.max(1))).unwrap_or(u32::MAX)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaStatus {
    Processing,
    Ready,
    Failed,
}

impl MediaStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            MediaStatus::Processing => "processing",
            MediaStatus::Ready => "ready",
            MediaStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "processing" => Some(Self::Processing),
            "ready" => Some(Self::Ready),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// Why an image could not be used, in words its owner can read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub code: String,
    pub message: String,
}

/// The processing state of one uploaded object (id = the upload's id), and its place in the
/// owner's library.
#[derive(Debug, Clone)]
pub struct Image {
    pub id: Id,
    pub owner: Username,
    pub status: MediaStatus,
    pub failure: Option<Failure>,
    /// Upright size of the original, once decoded.
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub created_at: DateTime<Utc>,
    /// Library title ("" until the image is listed).
    pub title: String,
    /// In the owner's library: made by `POST /v1/images` or posted. Only listed images are listed.
    pub listed: bool,
    /// The size the owner asked for (fit inside); `None` means [`Fit::DEFAULT`].
    pub fit: Option<Fit>,
    /// The renditions stored so far.
    pub renditions: Vec<Rendition>,
    /// Alternative text of the picture ("" when none was given).
    pub alt_text: String,
    /// Made with the renditions; `None` while processing (or for an image processed before
    /// placeholders existed, until it is next processed).
    pub placeholder: Option<Placeholder>,
}

/// What a client paints before an image's JPEG arrives: the base64 ThumbHash of the feed
/// rendition and its average colour (`#rrggbb`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placeholder {
    pub thumbhash: String,
    pub color: String,
}

impl Image {
    /// The image of a new upload: processing, not yet in the library.
    pub fn processing(id: Id, owner: Username, created_at: DateTime<Utc>) -> Self {
        Self {
            id,
            owner,
            status: MediaStatus::Processing,
            failure: None,
            width: None,
            height: None,
            created_at,
            title: String::new(),
            listed: false,
            fit: None,
            renditions: Vec::new(),
            alt_text: String::new(),
            placeholder: None,
        }
    }
}

/// How processing ended, applied by [`crate::ports::MediaStore::finish_image`].
#[derive(Debug, Clone)]
pub enum Outcome {
    Ready {
        width: u32,
        height: u32,
        renditions: Vec<Rendition>,
        placeholder: Option<Placeholder>,
    },
    Failed(Failure),
}

/// The size of every post's image, the `Rendition::Feed` cover crop: 600x600.
pub const FEED_WIDTH: u32 = 600;
pub const FEED_HEIGHT: u32 = 600;

/// A requested size: the JPEG fits inside it, keeps its aspect and is never enlarged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fit {
    pub width: u32,
    pub height: u32,
}

impl Fit {
    /// A library image without a requested size fits inside the post size.
    pub const DEFAULT: Fit = Fit {
        width: FEED_WIDTH,
        height: FEED_HEIGHT,
    };
}

/// One JPEG made from an image's original, stored in the renditions bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rendition {
    /// The `FEED_WIDTH` x `FEED_HEIGHT` (600x600) cover crop posts show.
    Feed,
    /// Fit inside the requested size.
    Fit(Fit),
    /// A thumbnail this many pixels high.
    Thumb(u32),
}

impl Rendition {
    /// How stores spell it: `feed`, `fit:800x600`, `h:200`.
    pub fn name(&self) -> String {
        match self {
            Rendition::Feed => "feed".to_owned(),
            Rendition::Fit(f) => format!("fit:{}x{}", f.width, f.height),
            Rendition::Thumb(h) => format!("h:{h}"),
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        if name == "feed" {
            return Some(Rendition::Feed);
        }
        if let Some(h) = name.strip_prefix("h:") {
            return h.parse().ok().map(Rendition::Thumb);
        }
        let (w, h) = name.strip_prefix("fit:")?.split_once('x')?;
        Some(Rendition::Fit(Fit {
            width: w.parse().ok()?,
            height: h.parse().ok()?,
        }))
    }

    /// Its object key in the renditions bucket: deterministic, so a repeated resize overwrites.
    pub fn key(&self, image: &Id) -> String {
        match self {
            Rendition::Feed => format!("{image}/{FEED_WIDTH}x{FEED_HEIGHT}.jpg"),
            Rendition::Fit(f) => format!("{image}/fit-{}x{}.jpg", f.width, f.height),
            Rendition::Thumb(h) => format!("{image}/h-{h}.jpg"),
        }
    }
}

/// How titles are compared by `title` search: case-insensitive, Unicode-aware. Stores keep this
/// folded form beside the title and match with a plain substring test.
pub fn fold_title(text: &str) -> String {
    text.to_lowercase()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: Id,
    pub post_id: Id,
    pub author: Username,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Post {
    pub id: Id,
    pub author: Username,
    pub caption: String,
    /// Alternative text of the post's picture ("" when none was given).
    pub alt_text: String,
    pub image_id: Id,
    pub status: MediaStatus,
    pub failure: Option<Failure>,
    pub comment_count: u64,
    /// The two newest comments, newest first.
    pub recent_comments: Vec<Comment>,
    pub created_at: DateTime<Utc>,
    /// The image's placeholder, copied onto the post when the image is finished (so a feed page
    /// needs no read per post).
    pub placeholder: Option<Placeholder>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedSort {
    #[default]
    Comments,
    New,
}

impl FeedSort {
    pub fn as_str(&self) -> &'static str {
        match self {
            FeedSort::Comments => "comments",
            FeedSort::New => "new",
        }
    }
}

/// One page of a list and the store's continuation key for the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(size: u64, part_size: u64) -> Upload {
        Upload {
            id: Id::generate(),
            owner: Username::from_trusted("alice".into()),
            object_key: String::new(),
            multipart_id: String::new(),
            filename: String::new(),
            content_type: String::new(),
            size,
            part_size,
            status: UploadStatus::Uploading,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn rendition_names_round_trip() {
        let all = [
            Rendition::Feed,
            Rendition::Thumb(200),
            Rendition::Fit(Fit {
                width: 800,
                height: 600,
            }),
        ];
        for r in all {
            assert_eq!(Rendition::parse(&r.name()), Some(r));
        }
        assert_eq!(Rendition::parse("fit:8x"), None);
        assert_eq!(Rendition::parse("h:x"), None);
        assert_eq!(fold_title("ÉTÉ Photo"), "été photo");
    }

    #[test]
    fn part_lengths_cover_the_declared_size_exactly() {
        let u = upload(20, 8);
        assert_eq!(u.part_count(), 3);
        assert_eq!(u.part_length(1), Some(8));
        assert_eq!(u.part_length(3), Some(4));
        assert_eq!(u.part_length(0), None);
        assert_eq!(u.part_length(4), None);
        let exact = upload(16, 8);
        assert_eq!(exact.part_count(), 2);
        assert_eq!(exact.part_length(2), Some(8));
    }
}
