//! Routes: `GET /healthz`, `GET /openapi.json`, `GET /docs` (Swagger UI, vendored in `docs/`).

use axum::http::header;
use axum::response::IntoResponse;

use super::routes::Routes;

/// The assets' URLs carry a `?v=` that changes with each vendored version, so they may be cached for a year.
const ASSET_CACHE: &str = "public, max-age=31536000, immutable";

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/healthz", healthz)
        .get("/openapi.json", openapi)
        .get("/docs", docs)
        .asset("/docs/swagger-ui-bundle.js", swagger_js)
        .asset("/docs/swagger-ui.css", swagger_css)
}

async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({"status": "ok"}))
}

async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
}

async fn docs() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("docs/index.html"),
    )
}

async fn swagger_js() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, ASSET_CACHE),
        ],
        include_bytes!("docs/swagger-ui-bundle.js").as_slice(),
    )
}

async fn swagger_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, ASSET_CACHE),
        ],
        include_bytes!("docs/swagger-ui.css").as_slice(),
    )
}
