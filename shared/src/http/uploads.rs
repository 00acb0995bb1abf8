//! Routes: `/v1/uploads` (declare, inspect, re-sign parts, complete, abort).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::body::{Whole, wholes};
use super::error::ApiResult;
use super::extract::{Auth, Json, Path, Query};
use super::routes::Routes;
use crate::app::App;
use crate::app::uploads::{self, Completed, CreatedUpload, PartUrls, UploadSummary, UploadView};
use crate::app::views::ListView;

#[derive(Debug, Deserialize)]
pub struct NewUpload {
    filename: String,
    content_type: String,
    size: Whole<u64>,
}

#[derive(Debug, Deserialize)]
pub struct Numbers {
    numbers: Vec<Whole<u32>>,
}

#[derive(Debug, Deserialize)]
pub struct CompletedPart {
    number: Whole<u32>,
    etag: String,
}

#[derive(Debug, Deserialize)]
pub struct Complete {
    parts: Vec<CompletedPart>,
}

#[derive(Debug, Deserialize)]
pub struct ListParams {
    status: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/v1/uploads", list)
        .post("/v1/uploads", create)
        .get("/v1/uploads/{id}", status)
        .delete("/v1/uploads/{id}", abort)
        .post("/v1/uploads/{id}/parts", resign)
        .post("/v1/uploads/{id}/complete", complete)
}

async fn create(
    State(app): State<Arc<App>>,
    Auth(user): Auth,
    Json(b): Json<NewUpload>,
) -> ApiResult<(StatusCode, axum::Json<CreatedUpload>)> {
    let created = uploads::create(&app, &user, &b.filename, &b.content_type, b.size.0).await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

async fn list(
    State(app): State<Arc<App>>,
    Auth(user): Auth,
    Query(q): Query<ListParams>,
) -> ApiResult<axum::Json<ListView<UploadSummary>>> {
    let page = uploads::list(
        &app,
        &user,
        q.status.as_deref(),
        q.limit,
        q.cursor.as_deref(),
    )
    .await?;
    Ok(axum::Json(page))
}

async fn status(
    State(app): State<Arc<App>>,
    Auth(user): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<UploadView>> {
    Ok(axum::Json(uploads::status(&app, &user, &id).await?))
}

async fn resign(
    State(app): State<Arc<App>>,
    Auth(user): Auth,
    Path(id): Path<String>,
    Json(b): Json<Numbers>,
) -> ApiResult<axum::Json<PartUrls>> {
    Ok(axum::Json(
        uploads::resign(&app, &user, &id, &wholes(b.numbers)).await?,
    ))
}

async fn complete(
    State(app): State<Arc<App>>,
    Auth(user): Auth,
    Path(id): Path<String>,
    Json(b): Json<Complete>,
) -> ApiResult<axum::Json<Completed>> {
    let parts: Vec<(u32, String)> = b.parts.into_iter().map(|p| (p.number.0, p.etag)).collect();
    Ok(axum::Json(
        uploads::complete(&app, &user, &id, &parts).await?,
    ))
}

async fn abort(
    State(app): State<Arc<App>>,
    Auth(user): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    uploads::abort(&app, &user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
