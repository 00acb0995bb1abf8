//! Routes: `/v1/images` (the caller's library) and expiring links to originals.

use crate::app::ErrorCode;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::multipart::{Multipart, MultipartError};
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::routing::post;
use bytes::Bytes;
use serde::Deserialize;

use super::JSON_BODY_LIMIT;
use super::body::{Whole, present};
use super::error::{ApiError, ApiResult};
use super::extract::{Auth, Json, Path, Query};
use super::routes::Routes;
use crate::app::images::{self, FORM_LIMIT, ImageView, LinkView};
use crate::app::views::ListView;
use crate::app::{App, AppError};
use crate::domain::User;

#[derive(Debug, Deserialize)]
pub struct NewImage {
    upload_id: String,
    title: String,
    #[serde(default, deserialize_with = "present")]
    width: Option<Whole<u64>>,
    #[serde(default, deserialize_with = "present")]
    height: Option<Whole<u64>>,
    #[serde(default)]
    alt_text: String,
}

#[derive(Debug, Deserialize)]
pub struct NewLink {
    expires_in: Whole<u64>,
}

#[derive(Debug, Deserialize)]
pub struct ListParams {
    title: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/v1/images", list)
        .with(
            Method::POST,
            "/v1/images",
            post(create).layer(DefaultBodyLimit::max(FORM_LIMIT)),
        )
        .get("/v1/images/{id}", read)
        .post("/v1/images/{id}/links", link)
}

type Created<T> = (StatusCode, axum::Json<T>);

/// JSON (`upload_id`) or `multipart/form-data` (`file`), told apart by the content type.
async fn create(
    State(app): State<Arc<App>>,
    Auth(user): Auth,
    req: Request,
) -> ApiResult<Created<ImageView>> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    let image = if is_form {
        let form = Multipart::from_request(req, &()).await.map_err(|r| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::MalformedForm,
                r.body_text(),
            )
        })?;
        tokio::time::timeout(super::FORM_BODY_DEADLINE, from_form(&app, &user, form))
            .await
            .map_err(|_| super::body_timeout())??
    } else {
        // This route allows form-sized bodies; JSON keeps the API's 64 KiB limit.
        let (parts, body) = req.into_parts();
        let read = axum::body::to_bytes(body, JSON_BODY_LIMIT);
        let bytes = super::read_in_time(super::JSON_BODY_DEADLINE, read, |_| {
            AppError::TooLarge("the request body is larger than 64 KiB".into()).into()
        })
        .await?;
        let req = Request::from_parts(parts, Body::from(bytes));
        let Json(b) = Json::<NewImage>::from_request(req, &()).await?;
        let fit = images::fit(b.width.map(|w| w.0), b.height.map(|h| h.0))?;
        images::create_from_upload(&app, &user, &b.upload_id, &b.title, fit, &b.alt_text).await?
    };
    Ok((StatusCode::ACCEPTED, axum::Json(image)))
}

fn form_error(e: MultipartError) -> ApiError {
    if super::timed_out(&e) {
        return super::body_timeout();
    }
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::TooLarge(format!(
            "form uploads are limited to {FORM_LIMIT} bytes (6 MiB); use /v1/uploads for larger files"
        ))
        .into();
    }
    ApiError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::MalformedForm,
        e.body_text(),
    )
}

/// A form field's whole number: written as JSON would write it (`660`, or `660.0`, the same
/// integer), surrounding spaces ignored.
fn number(field: &'static str, text: &str) -> Result<u64, AppError> {
    serde_json::from_str::<Whole<u64>>(text.trim())
        .map(|w| w.0)
        .map_err(|_| AppError::invalid(field, "must be a whole number"))
}

async fn from_form(app: &App, user: &User, mut form: Multipart) -> ApiResult<ImageView> {
    let (mut file, mut filename, mut title) = (None::<Bytes>, String::new(), None);
    let (mut width, mut height, mut alt_text) = (None, None, String::new());
    while let Some(field) = form.next_field().await.map_err(form_error)? {
        match field.name().unwrap_or_default() {
            "file" => {
                filename = field.file_name().unwrap_or("upload").to_owned();
                file = Some(field.bytes().await.map_err(form_error)?);
            }
            "title" => title = Some(field.text().await.map_err(form_error)?),
            "alt_text" => alt_text = field.text().await.map_err(form_error)?,
            "width" => width = Some(number("width", &field.text().await.map_err(form_error)?)?),
            "height" => {
                height = Some(number("height", &field.text().await.map_err(form_error)?)?);
            }
            _ => {}
        }
    }
    let file = file.ok_or_else(|| AppError::invalid("file", "the form has no file field"))?;
    let title = title.ok_or_else(|| AppError::invalid("title", "the form has no title field"))?;
    let fit = images::fit(width, height)?;
    Ok(images::create_from_file(app, user, file, &filename, &title, fit, &alt_text).await?)
}

async fn list(
    State(app): State<Arc<App>>,
    Auth(user): Auth,
    Query(q): Query<ListParams>,
) -> ApiResult<axum::Json<ListView<ImageView>>> {
    let page = images::list(
        &app,
        &user,
        q.title.as_deref(),
        q.limit,
        q.cursor.as_deref(),
    )
    .await?;
    Ok(axum::Json(page))
}

async fn read(
    State(app): State<Arc<App>>,
    Auth(user): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ImageView>> {
    Ok(axum::Json(images::get(&app, &user, &id).await?))
}

async fn link(
    State(app): State<Arc<App>>,
    Auth(user): Auth,
    Path(id): Path<String>,
    Json(b): Json<NewLink>,
) -> ApiResult<Created<LinkView>> {
    let link = images::link(&app, &user, &id, b.expires_in.0).await?;
    Ok((StatusCode::CREATED, axum::Json(link)))
}
