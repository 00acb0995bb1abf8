//! End to end: the real server on port 0, a real HTTP client, a 12.6 MB image in two parts
//! through presigned URLs, a tampered and an expired URL refused, and the 600x600 rendition.

use crate::common;
use std::time::Duration;

use imagegram::app::Settings;
use serde_json::{Value, json};

/// A 24-bit bottom-up BMP with a colour gradient (uncompressed, so big).
fn big_bmp(width: u32, height: u32) -> Vec<u8> {
    let row = (width * 3).div_ceil(4) * 4;
    let size = 54 + row * height;
    let mut b = Vec::with_capacity(size as usize);
    b.extend_from_slice(b"BM");
    b.extend_from_slice(&size.to_le_bytes());
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&54u32.to_le_bytes());
    b.extend_from_slice(&40u32.to_le_bytes());
    b.extend_from_slice(&(width as i32).to_le_bytes());
    b.extend_from_slice(&(height as i32).to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&24u16.to_le_bytes());
    b.extend_from_slice(&[0; 24]);
    for y in 0..height {
        for x in 0..width {
            b.extend_from_slice(&[(x * 255 / width) as u8, (y * 255 / height) as u8, 128]);
        }
        b.extend(std::iter::repeat_n(0u8, (row - width * 3) as usize));
    }
    b
}

/// The endpoint answers 403 before reading the body; a large body may then see the connection cut
/// instead. Either is a refusal; success is not (and the caller checks nothing was stored).
fn assert_refused(res: reqwest::Result<reqwest::Response>, what: &str) {
    match res {
        Ok(r) => assert_eq!(r.status(), 403, "{what}"),
        Err(e) => assert!(e.is_request(), "{what}: {e}"),
    }
}

/// The same URL with the first signature digit changed (same length, so it is a wrong signature, not a malformed one).
fn flip_signature(url: &str) -> String {
    let (head, sig) = url.split_once("X-Amz-Signature=").expect("signed URL");
    let first = if sig.starts_with('0') { '1' } else { '0' };
    format!("{head}X-Amz-Signature={first}{}", &sig[1..])
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_flow_over_real_http() {
    let t = common::spawn_app().await;
    let mut c = Client {
        http: reqwest::Client::new(),
        base: t.base.clone(),
        token: None,
    };
    let creds = json!({"username": "alice", "password": "correct-horse"});
    assert_eq!(
        c.send(reqwest::Method::POST, "/v1/users", Some(creds.clone()))
            .await
            .0,
        201
    );
    let (s, tok) = c
        .send(reqwest::Method::POST, "/v1/tokens", Some(creds))
        .await;
    assert_eq!(s, 200);
    c.token = Some(tok["access_token"].as_str().unwrap().to_owned());

    let image = big_bmp(2100, 2000);
    assert!(image.len() >= 12_000_000);
    let (s, up) = c
        .send(
            reqwest::Method::POST,
            "/v1/uploads",
            Some(json!({"filename": "big.bmp", "content_type": "image/bmp", "size": image.len()})),
        )
        .await;
    assert_eq!(s, 201, "{up}");
    let part_size = up["part_size"].as_u64().unwrap() as usize;
    let parts = up["parts"].as_array().unwrap();
    assert!(parts.len() >= 2);

    // A tampered URL (other part number, changed signature, other key) is refused by the endpoint.
    let url1 = parts[0]["url"].as_str().unwrap();
    let chunk1 = &image[..part_size];
    for bad in [
        url1.replace("partNumber=1", "partNumber=2"),
        flip_signature(url1),
        url1.replace("/uploads/alice/", "/uploads/bob/"),
    ] {
        assert_refused(c.http.put(&bad).body(chunk1.to_vec()).send().await, &bad);
    }
    // A body longer than the signed Content-Length is refused too.
    assert_refused(
        c.http
            .put(url1)
            .body([chunk1, b"extra"].concat())
            .send()
            .await,
        "longer body",
    );
    let id = up["id"].as_str().unwrap();
    let (_, st) = c
        .send(reqwest::Method::GET, &format!("/v1/uploads/{id}"), None)
        .await;
    assert_eq!(
        st["parts_received"],
        json!([]),
        "nothing of the refused PUTs was stored"
    );

    let mut done = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let chunk = &image[i * part_size..((i + 1) * part_size).min(image.len())];
        let res = c
            .http
            .put(part["url"].as_str().unwrap())
            .body(chunk.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        done.push(
            json!({"number": part["number"], "etag": res.headers()["etag"].to_str().unwrap()}),
        );
    }
    let (s, st) = c
        .send(reqwest::Method::GET, &format!("/v1/uploads/{id}"), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(st["parts_received"].as_array().unwrap().len(), parts.len());
    let (s, b) = c
        .send(
            reqwest::Method::POST,
            &format!("/v1/uploads/{id}/complete"),
            Some(json!({"parts": done})),
        )
        .await;
    assert_eq!(s, 200, "{b}");

    let (s, post) = c
        .send(
            reqwest::Method::POST,
            "/v1/posts",
            Some(json!({"upload_id": id, "caption": "big one"})),
        )
        .await;
    assert_eq!(s, 202, "{post}");
    let post_id = post["id"].as_str().unwrap();
    let mut ready = Value::Null;
    for _ in 0..200 {
        let (_, p) = c
            .send(reqwest::Method::GET, &format!("/v1/posts/{post_id}"), None)
            .await;
        if p["status"] != "processing" {
            ready = p;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(ready["status"], "ready", "{ready}");
    let res = c
        .http
        .get(ready["image"]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let jpeg = res.bytes().await.unwrap();
    let img = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg).unwrap();
    assert_eq!((img.width(), img.height()), (600, 600));

    let (s, feed) = c.send(reqwest::Method::GET, "/v1/posts", None).await;
    assert_eq!(s, 200);
    assert_eq!(feed["items"][0]["id"], post_id);
}

#[tokio::test]
async fn expired_part_urls_are_refused_and_can_be_resigned() {
    let settings = Settings {
        upload_url_ttl: Duration::from_secs(1),
        ..Settings::default()
    };
    let t = common::spawn_app_with(settings, None).await;
    let token = common::user(&t.router, "alice").await;
    let bytes = std::fs::read(common::testdata().join("valid/jpeg_baseline.jpg")).unwrap();
    let body = json!({"filename": "a.jpg", "content_type": "image/jpeg", "size": bytes.len()});
    let (_, _, up) = common::call(
        &t.router,
        axum::http::Method::POST,
        "/v1/uploads",
        Some(&token),
        Some(body),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let http = reqwest::Client::new();
    let res = http
        .put(up["parts"][0]["url"].as_str().unwrap())
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let id = up["id"].as_str().unwrap();
    let (_, _, fresh) = common::call(
        &t.router,
        axum::http::Method::POST,
        &format!("/v1/uploads/{id}/parts"),
        Some(&token),
        Some(json!({"numbers": [1]})),
    )
    .await;
    let res = http
        .put(fresh["parts"][0]["url"].as_str().unwrap())
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
