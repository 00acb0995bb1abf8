//! Routes: `/v1/posts` (feed, create, read, delete) and their comments.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::error::ApiResult;
use super::extract::{Auth, Json, PageParams, Path, Query};
use super::routes::Routes;
use crate::app::views::{CommentView, ListView, PostView};
use crate::app::{App, comments, posts};

#[derive(Debug, Deserialize)]
pub struct NewPost {
    upload_id: String,
    #[serde(default)]
    caption: String,
    #[serde(default)]
    alt_text: String,
}

#[derive(Debug, Deserialize)]
pub struct NewComment {
    text: String,
}

#[derive(Debug, Deserialize)]
pub struct FeedParams {
    sort: Option<String>,
    author: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/v1/posts", feed)
        .post("/v1/posts", create)
        .get("/v1/posts/{id}", read)
        .delete("/v1/posts/{id}", remove)
        .get("/v1/posts/{id}/comments", list_comments)
        .post("/v1/posts/{id}/comments", add_comment)
        .delete("/v1/posts/{id}/comments/{comment_id}", remove_comment)
}

async fn feed(
    State(app): State<Arc<App>>,
    Auth(_): Auth,
    Query(q): Query<FeedParams>,
) -> ApiResult<axum::Json<ListView<PostView>>> {
    let page = posts::list(
        &app,
        q.sort.as_deref(),
        q.author.as_deref(),
        q.limit,
        q.cursor.as_deref(),
    )
    .await?;
    Ok(axum::Json(page))
}

async fn create(
    State(app): State<Arc<App>>,
    Auth(user): Auth,
    Json(b): Json<NewPost>,
) -> ApiResult<(StatusCode, axum::Json<PostView>)> {
    let post = posts::create(&app, &user, &b.upload_id, &b.caption, &b.alt_text).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(post)))
}

async fn read(
    State(app): State<Arc<App>>,
    Auth(user): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<PostView>> {
    Ok(axum::Json(posts::get(&app, &user, &id).await?))
}

async fn remove(
    State(app): State<Arc<App>>,
    Auth(user): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    posts::delete(&app, &user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn add_comment(
    State(app): State<Arc<App>>,
    Auth(user): Auth,
    Path(id): Path<String>,
    Json(b): Json<NewComment>,
) -> ApiResult<(StatusCode, axum::Json<CommentView>)> {
    let comment = comments::create(&app, &user, &id, &b.text).await?;
    Ok((StatusCode::CREATED, axum::Json(comment)))
}

async fn list_comments(
    State(app): State<Arc<App>>,
    Auth(user): Auth,
    Path(id): Path<String>,
    Query(q): Query<PageParams>,
) -> ApiResult<axum::Json<ListView<CommentView>>> {
    Ok(axum::Json(
        comments::list(&app, &user, &id, q.limit, q.cursor.as_deref()).await?,
    ))
}

async fn remove_comment(
    State(app): State<Arc<App>>,
    Auth(user): Auth,
    Path((id, comment_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    comments::delete(&app, &user, &id, &comment_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
