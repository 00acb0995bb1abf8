//! The JSON shapes of answers (API.md), built from records.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::{App, AppResult};
use crate::domain::{
    Comment, FEED_HEIGHT, FEED_WIDTH, Failure, MediaStatus, Placeholder, Post, Rendition, User,
};
use crate::ports::Bucket;

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[derive(Debug, Serialize)]
pub struct UserView {
    pub username: String,
    pub tier: String,
    pub role: &'static str,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            username: u.username.to_string(),
            tier: u.tier.clone(),
            role: u.role.as_str(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CommentView {
    pub id: String,
    pub post_id: String,
    pub author: String,
    pub text: String,
    pub created_at: String,
}

impl From<&Comment> for CommentView {
    fn from(c: &Comment) -> Self {
        Self {
            id: c.id.to_string(),
            post_id: c.post_id.to_string(),
            author: c.author.to_string(),
            text: c.text.clone(),
            created_at: rfc3339(c.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ImageRef {
    pub url: String,
    pub width: u32,
    pub height: u32,
    pub content_type: &'static str,
    pub placeholder: Option<Placeholder>,
}

#[derive(Debug, Serialize)]
pub struct PostView {
    pub id: String,
    pub author: String,
    pub caption: String,
    pub alt_text: String,
    pub created_at: String,
    pub status: MediaStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    pub comment_count: u64,
    pub image: Option<ImageRef>,
    pub recent_comments: Vec<CommentView>,
}

pub async fn post_view(app: &App, p: &Post) -> AppResult<PostView> {
    let image = if p.status == MediaStatus::Ready {
        let signed = app
            .objects
            .presign_get(
                Bucket::Renditions,
                &Rendition::Feed.key(&p.image_id),
                app.settings.media_url_ttl,
            )
            .await?;
        Some(ImageRef {
            url: signed.url,
            width: FEED_WIDTH,
            height: FEED_HEIGHT,
            content_type: "image/jpeg",
            placeholder: p.placeholder.clone(),
        })
    } else {
        None
    };
    Ok(PostView {
        id: p.id.to_string(),
        author: p.author.to_string(),
        caption: p.caption.clone(),
        alt_text: p.alt_text.clone(),
        created_at: rfc3339(p.created_at),
        status: p.status,
        failure: p.failure.clone(),
        comment_count: p.comment_count,
        image,
        recent_comments: p.recent_comments.iter().map(CommentView::from).collect(),
    })
}

#[derive(Debug, Serialize)]
pub struct ListView<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
