//! Posts and the feed.

use super::views::{ListView, PostView, post_view};
use super::{App, AppError, AppResult, page_limit};
use crate::app::ErrorCode;
use crate::domain::{
    AltText, Caption, FeedSort, Id, MediaStatus, Post, UploadStatus, User, Username,
};
use crate::ports::{ALREADY_LISTED, FeedQuery, Listing, StoreError};

pub async fn create(
    app: &App,
    user: &User,
    upload_id: &str,
    caption: &str,
    alt_text: &str,
) -> AppResult<PostView> {
    let caption = Caption::parse(caption)?;
    let alt_text = AltText::parse(alt_text)?.into_inner();
    let upload = super::uploads::owned(app, user, upload_id).await?;
    if upload.status == UploadStatus::Aborted {
        return Err(AppError::conflict(
            ErrorCode::UploadAborted,
            "the upload was aborted",
        ));
    }
    let post = Post {
        id: Id::generate(),
        author: user.username.clone(),
        caption: caption.into_inner(),
        alt_text: alt_text.clone(),
        image_id: upload.id,
        status: MediaStatus::Processing,
        failure: None,
        comment_count: 0,
        recent_comments: Vec::new(),
        created_at: crate::domain::now(),
        placeholder: None,
    };
    let stored = match app.posts.create_post(&post).await {
        Ok(stored) => stored,
        Err(StoreError::NotFound) => return Err(AppError::NotFound("upload")),
        // Taken only by this request's own first run (an idempotent retry makes the same ids).
        Err(StoreError::AlreadyExists) => match app.posts.get_post(post.id).await? {
            Some(made) if made.author == user.username => made,
            _ => return Err(AppError::Internal("a new post id was taken".into())),
        },
        Err(other) => return Err(other.into()),
    };
    let title = library_title(&stored.caption, &upload.filename);
    let listing = Listing {
        title,
        fit: None,
        alt_text,
    };
    match app.library.list_image(upload.id, &listing).await {
        Ok(_) | Err(StoreError::Conflict(ALREADY_LISTED)) => {}
        Err(e) => return Err(e.into()),
    }
    post_view(app, &stored).await
}

/// The library title of a posted image: its caption, else its file name (at most 200 characters).
fn library_title(caption: &str, filename: &str) -> String {
    [caption.trim(), filename.trim(), "untitled"]
        .into_iter()
        .find(|t| !t.is_empty())
        .unwrap_or("untitled")
        .chars()
        .take(200)
        .collect()
}

/// A post the viewer may see: ready posts for everyone, processing and failed ones only for their author.
pub async fn visible(app: &App, viewer: &User, id: &str) -> AppResult<Post> {
    let id = Id::parse(id).ok_or(AppError::NotFound("post"))?;
    match app.posts.get_post(id).await? {
        Some(p) if p.status == MediaStatus::Ready || p.author == viewer.username => Ok(p),
        _ => Err(AppError::NotFound("post")),
    }
}

pub async fn get(app: &App, viewer: &User, id: &str) -> AppResult<PostView> {
    let post = visible(app, viewer, id).await?;
    post_view(app, &post).await
}

pub async fn delete(app: &App, viewer: &User, id: &str) -> AppResult<()> {
    let post = visible(app, viewer, id).await?;
    if post.author != viewer.username {
        return Err(AppError::Forbidden("only its author can delete a post"));
    }
    match app.posts.delete_post(post.id).await {
        Ok(()) | Err(StoreError::NotFound) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn binding(sort: FeedSort, author: Option<&Username>) -> String {
    format!(
        "posts|{}|{}",
        sort.as_str(),
        author.map(Username::as_str).unwrap_or("")
    )
}

pub async fn list(
    app: &App,
    sort: Option<&str>,
    author: Option<&str>,
    limit: Option<u32>,
    cursor: Option<&str>,
) -> AppResult<ListView<PostView>> {
    let sort = match sort {
        None | Some("comments") => FeedSort::Comments,
        Some("new") => FeedSort::New,
        Some(_) => {
            return Err(AppError::bad_request(
                ErrorCode::InvalidSort,
                "sort must be `comments` or `new`",
            ));
        }
    };
    let author = match author {
        None => None,
        Some(a) => Some(
            Username::parse(a)
                .map_err(|e| AppError::bad_request(ErrorCode::InvalidAuthor, e.message))?,
        ),
    };
    let limit = page_limit(limit)?;
    let binding = binding(sort, author.as_ref());
    let after = cursor.map(|c| app.cursors.open(&binding, c)).transpose()?;
    let query = FeedQuery {
        sort,
        author,
        limit,
    };
    let page = app.posts.list_posts(&query, after.as_deref()).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for p in &page.items {
        items.push(post_view(app, p).await?);
    }
    Ok(ListView {
        items,
        next_cursor: page.next.map(|k| app.cursors.seal(&binding, &k)),
    })
}
