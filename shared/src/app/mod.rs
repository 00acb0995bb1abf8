//! Use cases: plain async functions over the ports, one module per resource.

pub mod accounts;
pub mod admin;
pub mod codes;
pub mod comments;
pub mod error;
pub mod hashing;
#[cfg(feature = "render")]
pub mod images;
pub mod limits;
pub mod posts;
#[cfg(feature = "render")]
pub mod renditions;
#[cfg(feature = "render")]
pub mod resize;
pub mod throttle;
pub mod tiers;
pub mod tokens;
pub mod uploads;
pub mod views;

use std::sync::Arc;
use std::time::Duration;

pub use codes::ErrorCode;
pub use error::{AppError, AppResult};
pub use throttle::{Throttle, TrustedClients};
pub use tokens::TokenKeys;

use crate::domain::{CursorKey, Role, User};
use crate::imaging::Limits;
use crate::ports::{
    CommentStore, IdempotencyStore, LibraryStore, MediaStore, ObjectStore, PostStore, RateStore,
    TierStore, UserStore,
};

/// A metadata store that keeps every metadata port (both adapters are one).
pub trait MetadataStore:
    UserStore
    + TierStore
    + MediaStore
    + LibraryStore
    + PostStore
    + CommentStore
    + IdempotencyStore
    + RateStore
{
}

impl<T> MetadataStore for T where
    T: UserStore
        + TierStore
        + MediaStore
        + LibraryStore
        + PostStore
        + CommentStore
        + IdempotencyStore
        + RateStore
{
}

/// Tunables with the defaults the API contract implies.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Size of every multipart part but the last (S3 needs ≥ 5 MiB).
    pub part_size: u64,
    /// Life of presigned part URLs.
    pub upload_url_ttl: Duration,
    /// Life of presigned rendition URLs in answers.
    pub media_url_ttl: Duration,
    pub image_limits: Limits,
    /// Failed logins per username per window before 429.
    pub login_failures: usize,
    pub login_window: Duration,
    /// Comments per user per window before 429.
    pub comments_per_window: usize,
    pub comment_window: Duration,
    /// Uploads a user may have open (declared, not yet completed or aborted) at once.
    pub uploads_in_flight: usize,
    /// Bytes a user may declare in uploads per day (UTC).
    pub upload_bytes_per_day: u64,
    /// Other origins whose pages may call the API and the object endpoint
    /// (`IMAGEGRAM_CORS_ORIGINS`); empty: the same origin only.
    pub cors_origins: Vec<String>,
    /// Print CloudWatch Embedded Metric Format lines (on Lambda).
    pub emf_metrics: bool,
    /// Time one `GET /v1/images` page may spend making renditions a tier change added; past it
    /// the page ends early (`app::images::list`).
    pub list_render_budget: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            part_size: 8 * 1024 * 1024,
            upload_url_ttl: Duration::from_secs(3600),
            media_url_ttl: Duration::from_secs(6 * 3600),
            image_limits: Limits::default(),
            login_failures: 10,
            login_window: Duration::from_secs(15 * 60),
            comments_per_window: 60,
            comment_window: Duration::from_secs(60),
            uploads_in_flight: 20,
            upload_bytes_per_day: 10 * 1024 * 1024 * 1024,
            cors_origins: Vec::new(),
            emf_metrics: false,
            list_render_budget: Duration::from_millis(1500),
        }
    }
}

/// Everything a use case may touch. Cheap to share behind an `Arc`.
pub struct App {
    pub users: Arc<dyn UserStore>,
    pub tiers: Arc<dyn TierStore>,
    pub media: Arc<dyn MediaStore>,
    pub library: Arc<dyn LibraryStore>,
    pub posts: Arc<dyn PostStore>,
    pub comments: Arc<dyn CommentStore>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub rates: Arc<dyn RateStore>,
    pub objects: Arc<dyn ObjectStore>,
    pub tokens: TokenKeys,
    pub cursors: CursorKey,
    pub settings: Settings,
    pub login_throttle: Throttle,
    pub trusted_clients: TrustedClients,
    pub comment_throttle: Throttle,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// The keys an instance signs with: tokens, cursors and the embedded endpoint's credentials.
#[derive(Clone)]
pub struct Secrets {
    pub jwt: Vec<u8>,
    pub cursor: [u8; 32],
}

impl App {
    /// An app over one metadata store that keeps every metadata port.
    pub fn new<S>(
        store: Arc<S>,
        objects: Arc<dyn ObjectStore>,
        secrets: &Secrets,
        settings: Settings,
    ) -> Self
    where
        S: MetadataStore + 'static,
    {
        Self {
            users: store.clone(),
            tiers: store.clone(),
            media: store.clone(),
            library: store.clone(),
            posts: store.clone(),
            comments: store.clone(),
            idempotency: store.clone(),
            rates: store,
            objects,
            tokens: TokenKeys::new(&secrets.jwt, 24 * 3600),
            cursors: CursorKey::new(secrets.cursor),
            login_throttle: Throttle::new("login", settings.login_failures, settings.login_window),
            trusted_clients: TrustedClients::default(),
            comment_throttle: Throttle::new(
                "comments",
                settings.comments_per_window,
                settings.comment_window,
            ),
            settings,
        }
    }
}

/// Owners and admins may see and manage a user's objects.
pub fn can_manage(viewer: &User, owner: &crate::domain::Username) -> bool {
    viewer.role == Role::Admin || &viewer.username == owner
}

/// `limit` of a list: 1..100, default 20.
pub const PAGE_LIMITS: std::ops::RangeInclusive<u32> = 1..=100;
pub const PAGE_DEFAULT: u32 = 20;

pub fn page_limit(limit: Option<u32>) -> AppResult<u32> {
    match limit {
        None => Ok(PAGE_DEFAULT),
        Some(n) if PAGE_LIMITS.contains(&n) => Ok(n),
        Some(_) => Err(AppError::bad_request(
            ErrorCode::InvalidLimit,
            "limit must be between 1 and 100",
        )),
    }
}
