//! Comments on posts; count and recent comments are kept exact by the store's atomic updates.

use super::views::{CommentView, ListView};
use super::{App, AppError, AppResult, can_manage, page_limit};
use crate::app::ErrorCode;
use crate::domain::{Comment, CommentText, Id, MediaStatus, User};
use crate::ports::StoreError;

pub async fn create(app: &App, user: &User, post_id: &str, text: &str) -> AppResult<CommentView> {
    let text = CommentText::parse(text)?;
    let post = super::posts::visible(app, user, post_id).await?;
    if post.status != MediaStatus::Ready {
        return Err(AppError::conflict(
            ErrorCode::PostNotReady,
            "comments open once the post's image is ready",
        ));
    }
    app.comment_throttle
        .hit(app.rates.as_ref(), user.username.as_str())
        .await?;
    let comment = Comment {
        id: Id::generate(),
        post_id: post.id,
        author: user.username.clone(),
        text: text.into_inner(),
        created_at: crate::domain::now(),
    };
    match app.comments.add_comment(&comment).await {
        Ok(()) => Ok(CommentView::from(&comment)),
        Err(StoreError::NotFound) => Err(AppError::NotFound("post")),
        // A fresh id is taken only by this request's own first run (an idempotent retry makes
        // the same ids): answer with the comment that run made.
        Err(StoreError::AlreadyExists) => {
            match app.comments.get_comment(post.id, comment.id).await? {
                Some(made) if made.author == user.username => Ok(CommentView::from(&made)),
                _ => Err(AppError::Internal("a new comment id was taken".into())),
            }
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn list(
    app: &App,
    viewer: &User,
    post_id: &str,
    limit: Option<u32>,
    cursor: Option<&str>,
) -> AppResult<ListView<CommentView>> {
    let post = super::posts::visible(app, viewer, post_id).await?;
    let limit = page_limit(limit)?;
    let binding = format!("comments|{}", post.id);
    let after = cursor.map(|c| app.cursors.open(&binding, c)).transpose()?;
    let page = app
        .comments
        .list_comments(post.id, limit, after.as_deref())
        .await?;
    Ok(ListView {
        items: page.items.iter().map(CommentView::from).collect(),
        next_cursor: page.next.map(|k| app.cursors.seal(&binding, &k)),
    })
}

/// Allowed for the comment's author, the post's author and admins.
pub async fn delete(app: &App, viewer: &User, post_id: &str, comment_id: &str) -> AppResult<()> {
    let post = super::posts::visible(app, viewer, post_id).await?;
    let comment_id = Id::parse(comment_id).ok_or(AppError::NotFound("comment"))?;
    let comment = app
        .comments
        .get_comment(post.id, comment_id)
        .await?
        .ok_or(AppError::NotFound("comment"))?;
    if !can_manage(viewer, &comment.author) && !can_manage(viewer, &post.author) {
        return Err(AppError::Forbidden(
            "only the comment's author, the post's author or an admin may delete it",
        ));
    }
    app.comments
        .delete_comment(post.id, comment.id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound("comment"),
            other => other.into(),
        })
}
