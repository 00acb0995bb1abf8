//! The traits the use cases need from the outside world: metadata stores and the object store.
//!
//! Each trait states its contract; every adapter (embedded SQLite, DynamoDB, S3 or the embedded S3
//! endpoint) must keep it, and the conformance suites in `tests/` check that they do.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::domain::{
    Comment, FeedSort, Fit, Id, Image, Outcome, Page, Placeholder, Post, Rendition, Tier, Upload,
    UploadStatus, User, Username,
};

/// Failures of a metadata store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional create found the key taken.
    #[error("already exists")]
    AlreadyExists,
    /// The item the operation needs does not exist.
    #[error("not found")]
    NotFound,
    /// A condition on the current state did not hold (e.g. a status transition from the wrong state).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A continuation key the store did not make.
    #[error("bad continuation key")]
    BadContinuation,
    /// The store could not be reached or answered with an error; retrying may help.
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// What `UserStore` answers when a user's tier does not exist.
pub const NO_SUCH_TIER: &str = "no_such_tier";
/// What `TierStore::delete_tier` answers while a user is on the tier.
pub const TIER_IN_USE: &str = "tier_in_use";
/// What `MediaStore::list_image` answers for an image already in the library.
pub const ALREADY_LISTED: &str = "already_listed";

/// Accounts.
///
/// # Contract
/// - `create_user` is a conditional put: a taken username gives `AlreadyExists` and changes nothing;
///   the user's tier must exist, else `Conflict(NO_SUCH_TIER)` and nothing is written.
/// - `update_user` replaces tier, role and password hash of an existing user, else `NotFound`; a
///   tier that does not exist is `Conflict(NO_SUCH_TIER)`. Creating a user, moving one between
///   tiers and the tier's record of being in use change in one atomic step, so
///   `TierStore::delete_tier` can never delete a tier that a user is on.
/// - `list_users` pages through every user by username ascending, one store query per page.
#[async_trait]
pub trait UserStore: Send + Sync {
    async fn create_user(&self, user: &User) -> StoreResult<()>;
    async fn get_user(&self, username: &str) -> StoreResult<Option<User>>;
    async fn update_user(&self, user: &User) -> StoreResult<()>;
    async fn list_users(&self, limit: u32, after: Option<&str>) -> StoreResult<Page<User>>;
}

/// Tier definitions (what a user's images come with).
///
/// # Contract
/// - `create_tier` is a conditional put (`AlreadyExists`); `update_tier` replaces the definition of
///   an existing tier, else `NotFound`. Names are case-sensitive: `Gold` and `gold` are two tiers.
/// - `delete_tier` of a missing tier is `NotFound`; while any user is on the tier it is
///   `Conflict(TIER_IN_USE)` and nothing changes, checked in the same atomic step as the delete.
/// - `list_tiers` pages through the tiers by name ascending (byte order), one query per page.
#[async_trait]
pub trait TierStore: Send + Sync {
    async fn create_tier(&self, tier: &Tier) -> StoreResult<()>;
    async fn get_tier(&self, name: &str) -> StoreResult<Option<Tier>>;
    async fn update_tier(&self, tier: &Tier) -> StoreResult<()>;
    async fn delete_tier(&self, name: &str) -> StoreResult<()>;
    async fn list_tiers(&self, limit: u32, after: Option<&str>) -> StoreResult<Page<Tier>>;
}

/// Which of an owner's library images a page lists.
#[derive(Debug, Clone)]
pub struct ImageQuery {
    pub owner: Username,
    /// Only images whose `fold_title(title)` contains `fold_title(this)`.
    pub title: Option<String>,
    pub limit: u32,
}

/// How an image goes into its owner's library.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub title: String,
    /// The requested size; `None` means [`Fit::DEFAULT`].
    pub fit: Option<Fit>,
    pub alt_text: String,
}

impl Listing {
    /// A listing without alt text.
    pub fn new(title: impl Into<String>, fit: Option<Fit>) -> Self {
        Self {
            title: title.into(),
            fit,
            alt_text: String::new(),
        }
    }
}

/// Which of an owner's uploads a page lists.
#[derive(Debug, Clone)]
pub struct UploadQuery {
    pub owner: Username,
    /// Only uploads in this status; all when `None`.
    pub status: Option<UploadStatus>,
    /// Only uploads with an id after this one (made later): how expired ones are left out.
    pub since: Option<Id>,
    pub limit: u32,
}

/// Declared uploads and the processing state of what was uploaded.
///
/// # Contract
/// - `create_upload` stores the upload and its image (status `processing`) together; ids are unique
///   (`AlreadyExists` otherwise).
/// - `set_upload_status` moves an upload from the status given → `to` atomically, else `Conflict` (or `NotFound`).
/// - `list_uploads` pages the owner's uploads newest (id desc) first, only those of `status` when
///   given and only those with ids above `since` when given, in one store query per page.
/// - `finish_image` moves an image from `processing` to ready/failed exactly once and, in the same
///   atomic step, every post of that image; it returns `false` (and changes nothing) when the image
///   was already finished or is unknown, so a duplicate event is a no-op. `Ready` also records the
///   original's size and placeholder (on the image and its posts) and adds its renditions to the
///   image's set.
/// - `set_placeholder` records the placeholder of a ready image that has none yet (one processed
///   before placeholders existed), on the image and every post of it; `NotFound` for no image.
#[async_trait]
pub trait MediaStore: Send + Sync {
    async fn create_upload(&self, upload: &Upload, image: &Image) -> StoreResult<()>;
    async fn get_upload(&self, id: Id) -> StoreResult<Option<Upload>>;
    /// Moves `upload` from its `status` to `to`.
    async fn set_upload_status(&self, upload: &Upload, to: UploadStatus) -> StoreResult<()>;
    async fn list_uploads(
        &self,
        query: &UploadQuery,
        after: Option<&str>,
    ) -> StoreResult<Page<Upload>>;
    async fn get_image(&self, id: Id) -> StoreResult<Option<Image>>;
    async fn finish_image(&self, id: Id, outcome: &Outcome) -> StoreResult<bool>;
    async fn set_placeholder(&self, id: Id, placeholder: &Placeholder) -> StoreResult<()>;
}

/// Users' image libraries: images put into them, their renditions, title search.
///
/// # Contract
/// - `list_image` puts an image into its owner's library with a title, requested size and alt text
///   (`NotFound` if there is no such image, `Conflict(ALREADY_LISTED)` and no change if it is in
///   the library already); it returns the image as stored.
/// - `add_renditions` adds to an image's set of stored renditions (a set union: idempotent, safe
///   under concurrency, never removes one); `NotFound` if there is no such image.
/// - `list_images` returns the owner's listed images (every status), newest (id desc) first, in
///   one store query per page when `title` is `None`. With `title`, a page may hold fewer than
///   `limit` items (a store may bound what it reads per page); `next` is `None` only at the end.
///   The continuation is the id (`Id::to_string`) of the last image a page holds, so a caller
///   that stops early may continue after any image it has seen (`app::images::list` does).
#[async_trait]
pub trait LibraryStore: Send + Sync {
    async fn list_image(&self, id: Id, listing: &Listing) -> StoreResult<Image>;
    async fn add_renditions(&self, id: Id, renditions: &[Rendition]) -> StoreResult<()>;
    async fn list_images(
        &self,
        query: &ImageQuery,
        after: Option<&str>,
    ) -> StoreResult<Page<Image>>;
}

/// Which posts a feed page lists.
#[derive(Debug, Clone)]
pub struct FeedQuery {
    pub sort: FeedSort,
    pub author: Option<Username>,
    pub limit: u32,
}

/// Where a feed page ends, spelled the same by every store: `count:id` by comments, `id` by new.
pub fn feed_continuation(sort: FeedSort, comment_count: u64, id: Id) -> String {
    match sort {
        FeedSort::Comments => format!("{comment_count}:{id}"),
        FeedSort::New => id.to_string(),
    }
}

/// The (comment count, id) a [`feed_continuation`] stands for (count 0 for `New`); anything else is
/// `BadContinuation`. Counts must be canonical decimals ("007", "+7" and "" are refused), so one
/// position has one spelling.
pub fn parse_feed_continuation(sort: FeedSort, text: &str) -> StoreResult<(u64, Id)> {
    let (count, id) = match sort {
        FeedSort::Comments => {
            let (count, id) = text.split_once(':').ok_or(StoreError::BadContinuation)?;
            let canonical = !count.is_empty()
                && count.bytes().all(|b| b.is_ascii_digit())
                && (count == "0" || !count.starts_with('0'));
            let count = canonical.then(|| count.parse().ok()).flatten();
            (count.ok_or(StoreError::BadContinuation)?, id)
        }
        FeedSort::New => (0, text),
    };
    Ok((count, Id::parse(id).ok_or(StoreError::BadContinuation)?))
}

/// Posts.
///
/// # Contract
/// - `create_post` copies the status (and failure) of its image in the same atomic step, so a post
///   created after its image finished is born finished, and one created before is finished by
///   `MediaStore::finish_image`: both orders end in the same state. The image's placeholder is
///   copied the same way.
/// - `list_posts` returns only `ready` posts, ordered by (comment_count desc, id desc) for
///   `FeedSort::Comments` or by id desc for `FeedSort::New`, in one store query per page; `after` is
///   a continuation key the same store returned for the same query.
/// - `delete_post` removes the post and all its comments.
#[async_trait]
pub trait PostStore: Send + Sync {
    async fn create_post(&self, post: &Post) -> StoreResult<Post>;
    async fn get_post(&self, id: Id) -> StoreResult<Option<Post>>;
    async fn delete_post(&self, id: Id) -> StoreResult<()>;
    async fn list_posts(&self, query: &FeedQuery, after: Option<&str>) -> StoreResult<Page<Post>>;
}

/// The comments of posts, kept with their post's count and newest comments.
///
/// # Contract
/// - `add_comment` and `delete_comment` change the comment, its post's `comment_count` and
///   `recent_comments` (the two newest, newest first) in one atomic step; they stay exact under
///   concurrency. `add_comment` on a missing or not-ready post is `NotFound`; `delete_comment` of
///   a missing comment is `NotFound`.
/// - `list_comments` pages a post's comments newest first.
#[async_trait]
pub trait CommentStore: Send + Sync {
    async fn add_comment(&self, comment: &Comment) -> StoreResult<()>;
    async fn get_comment(&self, post_id: Id, comment_id: Id) -> StoreResult<Option<Comment>>;
    async fn delete_comment(&self, post_id: Id, comment_id: Id) -> StoreResult<()>;
    async fn list_comments(
        &self,
        post_id: Id,
        limit: u32,
        after: Option<&str>,
    ) -> StoreResult<Page<Comment>>;
}

/// A stored final answer of a request guarded by an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// Where an idempotency record stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyState {
    /// A request is running (or died) with it; the claim holds until `lease_until`.
    InFlight {
        lease_until: DateTime<Utc>,
    },
    Done(StoredAnswer),
}

/// The record of one `(user, key)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// What identifies the request: method, path and canonical body, hashed.
    pub fingerprint: String,
    /// The first id the guarded request makes (`Id::sequence`).
    pub seed: Id,
    pub state: IdempotencyState,
    pub expires_at: DateTime<Utc>,
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The caller runs the request, making ids from `seed` on.
    Claimed { seed: Id },
    /// Someone else holds or held the key: the record says what to answer.
    Existing(IdempotencyRecord),
}

/// A claim to make: who, which key, for which request.
#[derive(Debug, Clone)]
pub struct ClaimRequest<'a> {
    pub user: &'a Username,
    pub key: &'a str,
    pub fingerprint: &'a str,
    /// The seed a fresh claim records.
    pub seed: Id,
    pub now: DateTime<Utc>,
    /// How long a claim holds before a retry may take it over (a run that died).
    pub lease: Duration,
    /// How long the record lives.
    pub ttl: Duration,
}

/// Records of requests made with an `Idempotency-Key` (API.md), per user and key.
///
/// # Contract
/// - `claim` is one atomic step: with no live record (none, or past `expires_at`) it stores an
///   in-flight record with the request's fingerprint and seed and answers `Claimed` with that
///   seed; an in-flight record whose lease has run out and whose fingerprint is the same is
///   taken over (`Claimed` with the *stored* seed, so a re-run makes the same ids); anything
///   else answers `Existing` and changes nothing. Of many concurrent claims of one key, exactly
///   one is `Claimed`.
/// - `finish` stores the answer of the claim made with `seed` (`Conflict` if the record is no
///   longer that claim); `release` deletes an in-flight claim made with `seed` (a retry then runs
///   the request again); neither touches another claim's record.
/// - Keys are per user: the same key of two users are two records.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    async fn claim(&self, request: &ClaimRequest<'_>) -> StoreResult<Claim>;
    async fn finish(
        &self,
        user: &Username,
        key: &str,
        seed: Id,
        answer: &StoredAnswer,
    ) -> StoreResult<()>;
    async fn release(&self, user: &Username, key: &str, seed: Id) -> StoreResult<()>;
}

/// Rate counters, shared by every process and Lambda environment: one per key and fixed time
/// window (`window` is the window's index, e.g. seconds since the epoch / window length).
/// - `add` adds `amount` to the counter of (`key`, `window`) atomically and returns the new total
///   (a counter that does not exist starts at 0), so concurrent callers see distinct totals;
/// - `total` reads it: 0 when there is none;
/// - a counter may be deleted once `expires_at` has passed (a TTL), and never before.
#[async_trait]
pub trait RateStore: Send + Sync {
    async fn add(
        &self,
        key: &str,
        window: i64,
        amount: u64,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<u64>;
    async fn total(&self, key: &str, window: i64) -> StoreResult<u64>;
}

/// What every rendition is stored (and so served) with: a year in the browser's own cache, never
/// revalidated (its key is never given other bytes), never in a shared cache (the URL is signed
/// for one viewer).
pub const RENDITION_CACHE_CONTROL: &str = "private, max-age=31536000, immutable";

/// The two buckets: originals as uploaded, and the JPEG renditions made from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    Uploads,
    Renditions,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presigned {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// How a presigned GET serves an original: as its sniffed type, downloaded under `filename`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    pub content_type: String,
    /// ASCII letters, digits, `.`, `-` and `_` only (it goes into a header unquoted-safe).
    pub filename: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartInfo {
    pub number: u32,
    pub etag: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size: u64,
    pub etag: String,
}

/// Failures of the object store.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("no such object or upload")]
    NotFound,
    /// `complete_multipart` named a part that is missing or whose ETag differs.
    #[error("invalid part: {0}")]
    InvalidPart(String),
    /// The object is larger than the caller allows.
    #[error("object too large: {0} bytes")]
    TooLarge(u64),
    #[error("object store unavailable: {0}")]
    Unavailable(String),
}

pub type ObjectResult<T> = Result<T, ObjectError>;

/// Objects, behaving as S3 does.
///
/// # Contract
/// - Presigned URLs are real: anyone holding one may do exactly the signed request until it expires;
///   a changed URL or an expired one is refused with 403 by the endpoint. Part URLs sign the part's
///   exact `Content-Length`.
/// - `list_parts` returns the parts received so far, sorted by number, with their ETags and sizes.
/// - `complete_multipart` refuses a missing part or an ETag that differs from the stored one
///   (`InvalidPart`); on success the object appears and an object-created event follows.
/// - `get` refuses objects larger than `max_bytes` without reading them (`TooLarge`).
/// - `put` overwrites: writing the same key twice leaves one object.
/// - `presign_get` may hand out a cached URL with more than half its life left; `presign_link` never.
#[async_trait]
pub trait ObjectStore: Send + Sync {
    async fn start_multipart(&self, key: &str, content_type: &str) -> ObjectResult<String>;
    async fn presign_part(
        &self,
        key: &str,
        multipart_id: &str,
        number: u32,
        length: u64,
        expires_in: Duration,
    ) -> ObjectResult<Presigned>;
    async fn list_parts(&self, key: &str, multipart_id: &str) -> ObjectResult<Vec<PartInfo>>;
    async fn complete_multipart(
        &self,
        key: &str,
        multipart_id: &str,
        parts: &[(u32, String)],
    ) -> ObjectResult<()>;
    async fn abort_multipart(&self, key: &str, multipart_id: &str) -> ObjectResult<()>;
    async fn head(&self, bucket: Bucket, key: &str) -> ObjectResult<Option<ObjectInfo>>;
    async fn get(&self, bucket: Bucket, key: &str, max_bytes: u64) -> ObjectResult<Bytes>;
    async fn put(
        &self,
        bucket: Bucket,
        key: &str,
        body: Bytes,
        content_type: &str,
    ) -> ObjectResult<()>;
    async fn delete(&self, bucket: Bucket, key: &str) -> ObjectResult<()>;
    async fn presign_get(
        &self,
        bucket: Bucket,
        key: &str,
        expires_in: Duration,
    ) -> ObjectResult<Presigned>;
    /// A freshly signed GET for a link handed to someone else: never a cached URL, and its
    /// `expires_at` is when it really stops working (earlier than asked only if the signing
    /// credentials themselves expire sooner). With `download`, the answer carries that
    /// `Content-Type` and `Content-Disposition: attachment` whatever the object was stored with.
    async fn presign_link(
        &self,
        bucket: Bucket,
        key: &str,
        expires_in: Duration,
        download: Option<&Download>,
    ) -> ObjectResult<Presigned>;
    /// The first `len` bytes of an object (fewer if it is shorter), e.g. to sniff its format.
    async fn read_prefix(&self, bucket: Bucket, key: &str, len: u64) -> ObjectResult<Bytes>;
}
