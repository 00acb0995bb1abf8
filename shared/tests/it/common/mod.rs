//! Test support: a real embedded instance in a temp dir, and helpers to call its router.
#![allow(clippy::unwrap_used)]

pub mod images;
pub mod moto;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use imagegram::app::{App, Settings};
use imagegram::config::ServeConfig;
use imagegram::embedded::{self, Running};
use serde_json::{Value, json};
use tower::ServiceExt;

pub struct TestApp {
    pub running: Running,
    pub router: axum::Router,
    pub base: String,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub fn app(&self) -> &Arc<App> {
        &self.running.app
    }

    /// The instance's data dir (another instance may be started on it).
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }
}

pub use test_support::testdata;

/// The metadata store an instance runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Sqlite,
    /// A fresh table on this test binary's moto server.
    Dynamo,
}

/// The admin account of [`spawn_on`] instances.
pub const ADMIN: (&str, &str) = ("root", "root-password");

/// Starts the whole embedded shape on port 0 with a fresh data dir.
pub async fn spawn_app_with(settings: Settings, admin: Option<(&str, &str)>) -> TestApp {
    spawn_store_with(Store::Sqlite, settings, admin).await
}

/// Starts the whole embedded shape (local S3 endpoint, resize worker, API) on `store`.
pub async fn spawn_store_with(
    store: Store,
    settings: Settings,
    admin: Option<(&str, &str)>,
) -> TestApp {
    spawn_configured(store, settings, admin, |_| {}).await
}

/// [`spawn_store_with`], with `configure` changing the serve configuration first.
pub async fn spawn_configured(
    store: Store,
    settings: Settings,
    admin: Option<(&str, &str)>,
    configure: impl FnOnce(&mut ServeConfig),
) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = ServeConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        s3_addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        admin: admin.map(|(n, p)| (n.to_owned(), p.to_owned())),
        public_url: None,
        s3_public_url: None,
    };
    configure(&mut config);
    let shutdown = std::future::pending();
    let running = match store {
        Store::Sqlite => embedded::start(&config, settings, shutdown).await,
        Store::Dynamo => {
            let store = moto::store().await;
            embedded::start_with_store(&config, settings, store, shutdown).await
        }
    }
    .expect("server starts");
    let router = imagegram::http::router(running.app.clone());
    let base = format!("http://{}", running.addr);
    TestApp {
        running,
        router,
        base,
        _dir: dir,
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Settings::default(), None).await
}

/// An instance on `store` with the [`ADMIN`] account.
pub async fn spawn_on(store: Store) -> TestApp {
    spawn_store_with(store, Settings::default(), Some(ADMIN)).await
}

/// Runs each listed `async fn(TestApp)` twice: as `sqlite::<name>` and as `dynamo::<name>`, each on
/// a fresh [`spawn_on`] instance.
#[allow(unused_macros)]
macro_rules! on_both_stores {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::common::spawn_on(super::common::Store::Sqlite).await).await;
                }
            )+
        }
        mod dynamo {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::common::spawn_on(super::common::Store::Dynamo).await).await;
                }
            )+
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_both_stores;

/// One request through the router (`oneshot`), returning status, headers and the JSON body (or Null).
pub async fn call(
    router: &axum::Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    raw(router, req).await
}

pub async fn raw(
    router: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    };
    (status, headers, value)
}

/// Registers `name` and returns a bearer token for it.
pub async fn user(router: &axum::Router, name: &str) -> String {
    let creds = json!({"username": name, "password": "correct-horse"});
    let (s, _, b) = call(router, Method::POST, "/v1/users", None, Some(creds)).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    login(router, name, "correct-horse").await
}

/// A bearer token for `name` (asserts the login succeeds).
pub async fn login(router: &axum::Router, name: &str, password: &str) -> String {
    let creds = json!({"username": name, "password": password});
    let (s, _, b) = call(router, Method::POST, "/v1/tokens", None, Some(creds)).await;
    assert_eq!(s, StatusCode::OK, "login {name}: {b}");
    b["access_token"].as_str().unwrap().to_owned()
}

/// A token of the [`ADMIN`] account of a [`spawn_on`] instance.
pub async fn admin(t: &TestApp) -> String {
    login(&t.router, ADMIN.0, ADMIN.1).await
}

/// Asserts the API error shape and returns the code.
pub fn error_code(body: &Value) -> &str {
    let code = body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error body: {body}"));
    assert!(
        body["error"]["message"].is_string(),
        "error without message: {body}"
    );
    code
}

/// Uploads `bytes` through the real presigned URLs (one PUT per part) and completes the upload.
pub async fn upload(t: &TestApp, token: &str, bytes: &[u8], content_type: &str) -> String {
    let created = declare_upload(t, token, "photo", bytes.len(), content_type).await;
    complete_upload(t, token, &created, bytes).await
}

/// `POST /v1/uploads`: the answer, with the part URLs.
pub async fn declare_upload(
    t: &TestApp,
    token: &str,
    filename: &str,
    size: usize,
    content_type: &str,
) -> Value {
    let body = json!({"filename": filename, "content_type": content_type, "size": size});
    let (s, _, created) = call(
        &t.router,
        Method::POST,
        "/v1/uploads",
        Some(token),
        Some(body),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    created
}

/// PUTs `bytes` to the part URLs of a [`declare_upload`] answer and completes it; returns its id.
pub async fn complete_upload(t: &TestApp, token: &str, created: &Value, bytes: &[u8]) -> String {
    let part_size = created["part_size"].as_u64().unwrap() as usize;
    let client = reqwest::Client::new();
    let mut parts = Vec::new();
    for (i, part) in created["parts"].as_array().unwrap().iter().enumerate() {
        let chunk = &bytes[i * part_size..((i + 1) * part_size).min(bytes.len())];
        let res = client
            .put(part["url"].as_str().unwrap())
            .body(chunk.to_vec())
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "part {i}: {}", res.status());
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        parts.push(json!({"number": part["number"], "etag": etag}));
    }
    let id = created["id"].as_str().unwrap().to_owned();
    let (s, _, b) = call(
        &t.router,
        Method::POST,
        &format!("/v1/uploads/{id}/complete"),
        Some(token),
        Some(json!({"parts": parts})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    id
}

/// Polls a post until it leaves `processing` (5 s budget).
pub async fn wait_post(t: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..100 {
        let (s, _, b) = call(
            &t.router,
            Method::GET,
            &format!("/v1/posts/{id}"),
            Some(token),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        if b["status"] != "processing" {
            return b;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("post {id} still processing after 5 s");
}

/// A ready post by `token`'s user, from a real image of the test corpus.
pub async fn ready_post(t: &TestApp, token: &str) -> String {
    let bytes = std::fs::read(testdata().join("valid/jpeg_baseline.jpg")).unwrap();
    let upload_id = upload(t, token, &bytes, "image/jpeg").await;
    let body = json!({"upload_id": upload_id, "caption": "hello"});
    let (s, _, post) = call(
        &t.router,
        Method::POST,
        "/v1/posts",
        Some(token),
        Some(body),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{post}");
    let id = post["id"].as_str().unwrap().to_owned();
    let post = wait_post(t, token, &id).await;
    assert_eq!(post["status"], "ready", "{post}");
    id
}

/// One request as `token` through the router, returning status and body.
pub async fn request(
    t: &TestApp,
    token: &str,
    method: Method,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (s, _, b) = call(&t.router, method, uri, Some(token), body).await;
    (s, b)
}

/// `GET uri` as `token`: status and body.
pub async fn get(t: &TestApp, token: &str, uri: &str) -> (StatusCode, Value) {
    request(t, token, Method::GET, uri, None).await
}

/// `POST uri` with a JSON body as `token`.
pub async fn post(t: &TestApp, token: &str, uri: &str, body: Value) -> (StatusCode, Value) {
    request(t, token, Method::POST, uri, Some(body)).await
}

/// `PUT uri` with a JSON body as `token`.
pub async fn put(t: &TestApp, token: &str, uri: &str, body: Value) -> (StatusCode, Value) {
    request(t, token, Method::PUT, uri, Some(body)).await
}

/// `PATCH uri` with a JSON body as `token`.
pub async fn patch(t: &TestApp, token: &str, uri: &str, body: Value) -> (StatusCode, Value) {
    request(t, token, Method::PATCH, uri, Some(body)).await
}

/// `DELETE uri` as `token`.
pub async fn delete(t: &TestApp, token: &str, uri: &str) -> (StatusCode, Value) {
    request(t, token, Method::DELETE, uri, None).await
}
