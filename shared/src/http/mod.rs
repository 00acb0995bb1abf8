//! The HTTP API: one axum router per resource, merged here. Served by `imagegram serve` and by the
//! Lambda functions alike.

pub mod accounts;
pub mod admin;
pub mod body;
pub mod compressed;
pub mod conditional;
pub mod cors;
pub mod error;
pub mod extract;
pub mod idempotency;
#[cfg(feature = "render")]
pub mod images;
pub mod posts;
pub mod request_id;
pub mod routes;
pub mod service;
pub mod uploads;

use crate::app::ErrorCode;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::app::App;
use error::ApiError;

/// JSON bodies are limited to 64 KiB (413 beyond).
pub const JSON_BODY_LIMIT: usize = 64 * 1024;

/// A JSON body must have arrived this long after its headers (408 `request_timeout` beyond): 64 KiB
/// in 30 s is a link of about 2 KB/s.
pub const JSON_BODY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// No body (the multipart form included, which may take minutes on a slow link) may pause for
/// longer than this between two pieces (408 `request_timeout`).
pub const BODY_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Every request body, whoever reads it (the idempotency check, the JSON or form extractor), fails
/// once it pauses for longer than [`BODY_IDLE_TIMEOUT`].
async fn limit_body_pauses(request: axum::extract::Request) -> axum::extract::Request {
    request.map(|body| {
        axum::body::Body::new(tower_http::timeout::TimeoutBody::new(
            BODY_IDLE_TIMEOUT,
            body,
        ))
    })
}

/// A form body (up to 6 MiB) must have arrived this long after its headers: about 20 KB/s.
pub const FORM_BODY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(300);

/// The answer to a body that did not arrive in time.
pub(crate) fn body_timeout() -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        ErrorCode::RequestTimeout,
        "the request body did not arrive in time",
    )
}

/// Reads a whole body with `read` within `deadline`: 408 when the deadline passes or the body
/// pauses too long ([`BODY_IDLE_TIMEOUT`]), `other` for any other failure (too large, broken).
pub(crate) async fn read_in_time<E: std::error::Error + 'static>(
    deadline: std::time::Duration,
    read: impl std::future::Future<Output = Result<bytes::Bytes, E>>,
    other: impl FnOnce(E) -> ApiError,
) -> Result<bytes::Bytes, ApiError> {
    match tokio::time::timeout(deadline, read).await {
        Err(_) => Err(body_timeout()),
        Ok(Err(e)) if timed_out(&e) => Err(body_timeout()),
        Ok(Err(e)) => Err(other(e)),
        Ok(Ok(bytes)) => Ok(bytes),
    }
}

/// Whether reading a body failed because it paused too long ([`BODY_IDLE_TIMEOUT`]).
pub(crate) fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(e) = cause {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = e.source();
    }
    false
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
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

/// The route groups, one per Lambda function; `imagegram serve` serves them all. What each serves
/// is in the route table, [`routes::table`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Service,
    Accounts,
    Uploads,
    Posts,
    /// The image library; it renders missing renditions on demand, so it needs `render`.
    #[cfg(feature = "render")]
    Images,
    Admin,
}

impl Group {
    pub const ALL: &[Group] = &[
        Group::Service,
        Group::Accounts,
        Group::Uploads,
        Group::Posts,
        #[cfg(feature = "render")]
        Group::Images,
        Group::Admin,
    ];

    /// The Lambda function (`functions/<name>`) that serves this group on AWS.
    pub fn function(self) -> &'static str {
        match self {
            Group::Service | Group::Accounts => "accounts",
            Group::Uploads => "uploads",
            Group::Posts => "posts",
            #[cfg(feature = "render")]
            Group::Images => "images",
            Group::Admin => "admin",
        }
    }

    /// The groups the Lambda function `function` serves (none for an unknown name).
    pub fn of_function(function: &str) -> Vec<Group> {
        Group::ALL
            .iter()
            .copied()
            .filter(|g| g.function() == function)
            .collect()
    }

    fn routes(self) -> routes::Routes {
        match self {
            Group::Service => service::routes(),
            Group::Accounts => accounts::routes(),
            Group::Uploads => uploads::routes(),
            Group::Posts => posts::routes(),
            #[cfg(feature = "render")]
            Group::Images => images::routes(),
            Group::Admin => admin::routes(),
        }
    }
}

/// The routes of `groups`, with the API's conventions: JSON 404/405, body limit, security headers,
/// `Idempotency-Key` on writes, ETags and 304s on reads, compression.
pub fn router_for(groups: &[Group], app: Arc<App>) -> Router {
    let cors = cors::api_layer(&app.settings.cors_origins);
    let router = groups
        .iter()
        .fold(Router::new(), |router, group| {
            router.merge(group.routes().router)
        })
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            idempotency::idempotency,
        ))
        .layer(axum::middleware::map_response(security_headers))
        .layer(axum::middleware::from_fn(conditional::conditional_get))
        .layer(conditional::compression())
        .layer(axum::middleware::from_fn(compressed::remember))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            request_id::middleware,
        ))
        .layer(axum::middleware::map_request(limit_body_pauses))
        .with_state(app);
    match cors {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

/// Every route of the API.
pub fn router(app: Arc<App>) -> Router {
    router_for(Group::ALL, app)
}
