//! The HTTP API: one axum router per resource, merged here. Served by `imagegram serve` and by the
//! Lambda functions alike.

pub mod accounts;
pub mod admin;
pub mod error;
pub mod extract;
pub mod images;
pub mod posts;
pub mod service;
pub mod uploads;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::app::App;
use error::ApiError;

/// JSON bodies are limited to 64 KiB (413 beyond).
pub const JSON_BODY_LIMIT: usize = 64 * 1024;

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method",
    )
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// The route groups, one per Lambda function; `imagegram serve` serves them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Service,
    Accounts,
    Uploads,
    Posts,
    Images,
    Admin,
}

impl Group {
    pub const ALL: [Group; 6] = [
        Group::Service,
        Group::Accounts,
        Group::Uploads,
        Group::Posts,
        Group::Images,
        Group::Admin,
    ];

    fn routes(self) -> Router<Arc<App>> {
        match self {
            Group::Service => service::routes(),
            Group::Accounts => accounts::routes(),
            Group::Uploads => uploads::routes(),
            Group::Posts => posts::routes(),
            Group::Images => images::routes(),
            Group::Admin => admin::routes(),
        }
    }
}

/// The routes of `groups`, with the API's conventions: JSON 404/405, body limit, security headers.
pub fn router_for(groups: &[Group], app: Arc<App>) -> Router {
    groups
        .iter()
        .fold(Router::new(), |router, group| router.merge(group.routes()))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(app)
}

/// Every route of the API.
pub fn router(app: Arc<App>) -> Router {
    router_for(&Group::ALL, app)
}
