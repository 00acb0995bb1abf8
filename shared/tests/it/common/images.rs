//! Helpers for the image library routes: multipart bodies, polling, and checking what the URLs serve.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use serde_json::{Value, json};

use super::{TestApp, call, raw, testdata, upload};

/// The multipart form limit of `POST /v1/images`: the whole body, 6 MiB.
pub const MULTIPART_LIMIT: usize = 6 * 1024 * 1024;

pub const BOUNDARY: &str = "imagegram-test-7MA4YWxkTrZu0gW";

/// A file of the shared test corpus, e.g. `valid/jpeg_baseline.jpg`.
pub fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(testdata().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A well-formed id that names nothing.
pub fn unknown_id() -> String {
    imagegram::domain::Id::generate().to_string()
}

/// One part of a `multipart/form-data` body.
pub enum Part<'a> {
    Text(&'a str, &'a str),
    /// Field name, filename, bytes.
    File(&'a str, &'a str, &'a [u8]),
}

pub fn multipart_body(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                        .as_bytes(),
                );
            }
            Part::File(name, filename, bytes) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// The body of a form with `file` and `title` whose total length is exactly `total` bytes: `bytes`
/// padded with zeros (after a JPEG's EOI, which decoders ignore).
pub fn multipart_body_of_size(bytes: &[u8], title: &str, total: usize) -> Vec<u8> {
    let overhead = multipart_body(&[
        Part::File("file", "big.jpg", &[]),
        Part::Text("title", title),
    ]);
    let mut padded = bytes.to_vec();
    padded.resize(total - overhead.len(), 0);
    let body = multipart_body(&[
        Part::File("file", "big.jpg", &padded),
        Part::Text("title", title),
    ]);
    assert_eq!(body.len(), total);
    body
}

/// `POST /v1/images` with a multipart body (`boundary` as [`multipart_body`] writes it).
pub async fn post_multipart(t: &TestApp, token: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/v1/images")
        .header("authorization", format!("Bearer {token}"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .unwrap();
    let (s, _, b) = raw(&t.router, req).await;
    (s, b)
}

/// `POST /v1/images` with a JSON body.
pub async fn post_image(t: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    let (s, _, b) = call(
        &t.router,
        Method::POST,
        "/v1/images",
        Some(token),
        Some(body),
    )
    .await;
    (s, b)
}

pub async fn get_image(t: &TestApp, token: &str, id: &str) -> (StatusCode, Value) {
    let uri = format!("/v1/images/{id}");
    let (s, _, b) = call(&t.router, Method::GET, &uri, Some(token), None).await;
    (s, b)
}

/// `GET /v1/images{query}` as `token`, asserting 200; returns the page.
pub async fn list_images(t: &TestApp, token: &str, query: &str) -> Value {
    let uri = format!("/v1/images{query}");
    let (s, _, b) = call(&t.router, Method::GET, &uri, Some(token), None).await;
    assert_eq!(s, StatusCode::OK, "{uri}: {b}");
    b
}

/// The ids of a list page, in order.
pub fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {page}"))
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Polls an image as `token` until it leaves `processing` (30 s budget: moto and debug builds
/// on a busy machine are slow).
pub async fn wait_image(t: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..300 {
        let (s, b) = get_image(t, token, id).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        if b["status"] != "processing" {
            return b;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("image {id} still processing after 30 s");
}

/// Asserts the shape of a `processing` image: no geometry, no URLs yet.
pub fn assert_processing_shape(image: &Value) {
    assert_eq!(image["status"], "processing", "{image}");
    assert!(image["width"].is_null(), "{image}");
    assert!(image["height"].is_null(), "{image}");
    assert!(image["url"].is_null(), "{image}");
    assert_eq!(image["thumbnails"], json!({}), "{image}");
}

/// Uploads a corpus file, lists it with `title` (and `fit`), and waits until it is `ready`.
pub async fn ready_image(
    t: &TestApp,
    token: &str,
    file: &str,
    title: &str,
    fit: Option<(u32, u32)>,
) -> Value {
    let bytes = corpus(file);
    let upload_id = upload(t, token, &bytes, "image/jpeg").await;
    let mut body = json!({"upload_id": upload_id, "title": title});
    if let Some((w, h)) = fit {
        body["width"] = json!(w);
        body["height"] = json!(h);
    }
    let (s, image) = post_image(t, token, body).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{image}");
    let image = wait_image(t, token, image["id"].as_str().unwrap()).await;
    assert_eq!(image["status"], "ready", "{file}: {image}");
    image
}

/// GETs a URL as any client would: status, headers and body.
pub async fn fetch(url: &str) -> (u16, HeaderMap, Vec<u8>) {
    let res = reqwest::get(url)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.unwrap().to_vec())
}

/// GETs a rendition URL, asserting 200, a JPEG and the cache lifetime of renditions; returns the
/// decoded size.
pub async fn fetch_jpeg(url: &str) -> (u32, u32) {
    let (status, headers, bytes) = fetch(url).await;
    assert_eq!(status, 200, "{url}");
    assert_eq!(
        headers.get("cache-control").and_then(|v| v.to_str().ok()),
        Some(imagegram::ports::RENDITION_CACHE_CONTROL),
        "{url}"
    );
    let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
        .unwrap_or_else(|e| panic!("{url} is not a JPEG: {e}"));
    (img.width(), img.height())
}

/// The thumbnail heights an image lists.
pub fn thumbnail_heights(image: &Value) -> BTreeSet<u32> {
    image["thumbnails"]
        .as_object()
        .unwrap_or_else(|| panic!("no thumbnails object: {image}"))
        .keys()
        .map(|k| k.parse().unwrap_or_else(|_| panic!("key {k}: {image}")))
        .collect()
}

/// Checks everything a `ready` image promises, fetching every URL it lists: `url` serves a JPEG of
/// exactly `width`x`height`; the thumbnails are exactly `heights`, each a JPEG of that height whose
/// width follows the aspect of the `source` size (±1 for rounding); `original_url` is present
/// exactly when `original` is given, and serves those bytes as they were uploaded.
pub async fn assert_renditions(
    image: &Value,
    source: (u32, u32),
    heights: &[u32],
    original: Option<&[u8]>,
) {
    assert_eq!(image["status"], "ready", "{image}");
    let url = image["url"].as_str().unwrap_or_else(|| panic!("{image}"));
    let size = (
        image["width"].as_u64().unwrap() as u32,
        image["height"].as_u64().unwrap() as u32,
    );
    assert_eq!(fetch_jpeg(url).await, size, "url geometry: {image}");
    assert_eq!(
        thumbnail_heights(image),
        heights.iter().copied().collect(),
        "{image}"
    );
    for h in heights {
        let (tw, th) = fetch_jpeg(image["thumbnails"][h.to_string()].as_str().unwrap()).await;
        assert_eq!(th, *h, "thumbnail {h}: {image}");
        let want = f64::from(source.0) * f64::from(*h) / f64::from(source.1);
        assert!(
            (f64::from(tw) - want).abs() <= 1.0,
            "thumbnail {h} is {tw} wide, want ≈ {want}"
        );
    }
    match original {
        None => assert!(
            image.get("original_url").is_none_or(Value::is_null),
            "{image}"
        ),
        Some(bytes) => {
            let url = image["original_url"]
                .as_str()
                .unwrap_or_else(|| panic!("no original_url: {image}"));
            let (status, _, got) = fetch(url).await;
            assert_eq!(status, 200, "{url}");
            assert!(
                got == bytes,
                "original_url does not serve the original bytes"
            );
        }
    }
}

/// An admin's `PATCH /v1/admin/users/{name}` with `body`, asserting 200.
pub async fn patch_user(t: &TestApp, admin: &str, name: &str, body: Value) -> Value {
    let uri = format!("/v1/admin/users/{name}");
    let (s, _, b) = call(&t.router, Method::PATCH, &uri, Some(admin), Some(body)).await;
    assert_eq!(s, StatusCode::OK, "PATCH {uri}: {b}");
    b
}
