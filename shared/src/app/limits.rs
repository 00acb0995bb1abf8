//! `GET /v1/limits`: the numbers a client needs before it starts (API.md, "Limits"), taken from
//! the constants and settings the checks themselves use, so the answer cannot drift from them.

use serde::Serialize;

use super::uploads::MAX_UPLOAD_BYTES;
use super::{App, AppResult, PAGE_DEFAULT, PAGE_LIMITS, tiers};
use crate::domain::{AltText, Caption, CommentText, Password, Tier, Title, User, Username};

/// `multipart/form-data` bodies of `POST /v1/images` are limited to this (Lambda's request limit).
pub const FORM_LIMIT: usize = 6 * 1024 * 1024;
/// Bounds of `expires_in` of an expiring link, in seconds.
pub const LINK_SECONDS: std::ops::RangeInclusive<u64> = 300..=30_000;

#[derive(Debug, Serialize)]
pub struct LimitsView {
    pub upload: UploadLimits,
    pub text: TextLimits,
    pub links: LinkLimits,
    pub lists: ListLimits,
    pub rates: Rates,
    /// The caller's tier as it is now.
    pub tier: Tier,
}

#[derive(Debug, Serialize)]
pub struct UploadLimits {
    pub max_bytes: u64,
    pub part_size: u64,
    /// Parts of an upload of `max_bytes`.
    pub max_parts: u64,
    pub formats: [&'static str; 3],
    pub max_pixels: u64,
    /// The `multipart/form-data` route of `POST /v1/images`.
    pub form_max_bytes: usize,
    /// Uploads the caller may have open (declared, not completed or aborted) at once.
    pub max_in_flight: usize,
}

#[derive(Debug, Serialize)]
pub struct Range {
    pub min: usize,
    pub max: usize,
}

/// Longest texts, in characters (Unicode scalar values).
#[derive(Debug, Serialize)]
pub struct TextLimits {
    pub caption: usize,
    pub comment: usize,
    pub alt_text: usize,
    pub title: usize,
    pub username: Range,
    pub password: Range,
}

#[derive(Debug, Serialize)]
pub struct LinkLimits {
    pub min_expires_in: u64,
    pub max_expires_in: u64,
}

#[derive(Debug, Serialize)]
pub struct ListLimits {
    pub min: u32,
    pub max: u32,
    pub default: u32,
}

#[derive(Debug, Serialize)]
pub struct Rate {
    pub limit: u64,
    pub window_s: u64,
}

/// The write limits that apply to the caller (429 with `Retry-After` beyond).
#[derive(Debug, Serialize)]
pub struct Rates {
    pub comments: Rate,
    /// Failed logins per username.
    pub login_failures: Rate,
    /// Bytes declared in uploads per day (UTC).
    pub upload_bytes: Rate,
}

pub async fn limits(app: &App, user: &User) -> AppResult<LimitsView> {
    let s = &app.settings;
    let part_size = s.part_size.max(1);
    let max_bytes = MAX_UPLOAD_BYTES.min(s.image_limits.max_bytes);
    Ok(LimitsView {
        upload: UploadLimits {
            max_bytes,
            part_size,
            max_parts: max_bytes.div_ceil(part_size),
            formats: ["png", "jpeg", "bmp"],
            max_pixels: s.image_limits.max_pixels,
            form_max_bytes: FORM_LIMIT,
            max_in_flight: s.uploads_in_flight,
        },
        text: TextLimits {
            caption: Caption::MAX,
            comment: CommentText::MAX,
            alt_text: AltText::MAX,
            title: Title::MAX,
            username: Range {
                min: Username::LEN.0,
                max: Username::LEN.1,
            },
            password: Range {
                min: Password::LEN.0,
                max: Password::LEN.1,
            },
        },
        links: LinkLimits {
            min_expires_in: *LINK_SECONDS.start(),
            max_expires_in: *LINK_SECONDS.end(),
        },
        lists: ListLimits {
            min: *PAGE_LIMITS.start(),
            max: *PAGE_LIMITS.end(),
            default: PAGE_DEFAULT,
        },
        rates: Rates {
            comments: Rate {
                limit: s.comments_per_window as u64,
                window_s: s.comment_window.as_secs(),
            },
            login_failures: Rate {
                limit: s.login_failures as u64,
                window_s: s.login_window.as_secs(),
            },
            upload_bytes: Rate {
                limit: s.upload_bytes_per_day,
                window_s: 24 * 3600,
            },
        },
        tier: tiers::of_user(app, user).await?,
    })
}
