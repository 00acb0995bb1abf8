//! HTTP tests for `POST /v1/images/{id}/links`: expiring links to the original, for tiers that
//! grant them, on ready images, and refused by the object endpoint once expired.
//! Every test runs on SQLite and on DynamoDB (moto).

#![allow(clippy::unwrap_used)]

use crate::common;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::images::{corpus, fetch, patch_user, post_image, ready_image, unknown_id, wait_image};
use common::{TestApp, admin, call, declare_upload, error_code, on_both_stores, upload, user};
use imagegram::adapters::local_s3::UPLOADS_BUCKET;
use imagegram::ports::Bucket;
use serde_json::{Value, json};

on_both_stores!(
    links_need_the_tier_a_ready_image_and_a_valid_lifetime,
    link_serves_the_original_until_it_expires
);

async fn link(t: &TestApp, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    let uri = format!("/v1/images/{id}/links");
    let (s, _, b) = call(&t.router, Method::POST, &uri, Some(token), Some(body)).await;
    (s, b)
}

async fn links_need_the_tier_a_ready_image_and_a_valid_lifetime(t: TestApp) {
    let alice = user(&t.router, "alice").await;
    let root = admin(&t).await;
    let image = ready_image(&t, &alice, "valid/jpeg_baseline.jpg", "linked", None).await;
    let id = image["id"].as_str().unwrap();

    // Basic and Premium have no expiring links.
    for tier in ["Basic", "Premium"] {
        patch_user(&t, &root, "alice", json!({"tier": tier})).await;
        let (s, b) = link(&t, &alice, id, json!({"expires_in": 300})).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{tier}: {b}");
        error_code(&b);
    }

    patch_user(&t, &root, "alice", json!({"tier": "Enterprise"})).await;
    let invalid = [
        json!({"expires_in": 299}),
        json!({"expires_in": 30001}),
        json!({"expires_in": 0}),
        json!({"expires_in": -300}),
        json!({"expires_in": "300"}),
        json!({"expires_in": 300.5}),
        json!({"expires_in": null}),
        json!({}),
    ];
    for body in invalid {
        let (s, b) = link(&t, &alice, id, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {b}");
        error_code(&b);
    }
    // 30000.0 is the integer 30000 (JSON Schema's `integer`).
    for (expires_in, written) in [(300, json!(300)), (30000, json!(30000.0))] {
        let before = chrono::Utc::now();
        let (s, b) = link(&t, &alice, id, json!({"expires_in": written})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let url = b["url"].as_str().unwrap();
        assert!(
            url.contains(&format!("X-Amz-Expires={expires_in}")),
            "{url}"
        );
        let expires_at =
            chrono::DateTime::parse_from_rfc3339(b["expires_at"].as_str().unwrap()).unwrap();
        let wanted = before + chrono::Duration::seconds(expires_in);
        assert!(
            (expires_at.to_utc() - wanted).num_seconds().abs() <= 5,
            "{b}"
        );
    }

    // An image that is not ready (still uploading, or failed) has nothing to link to yet.
    let pending = declare_upload(&t, &alice, "later.jpg", 1000, "image/jpeg").await;
    let (s, b) = post_image(
        &t,
        &alice,
        json!({"upload_id": pending["id"], "title": "later"}),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    let (s, e) = link(
        &t,
        &alice,
        b["id"].as_str().unwrap(),
        json!({"expires_in": 300}),
    )
    .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::CONFLICT, "image_not_ready")
    );
    let broken = upload(
        &t,
        &alice,
        &corpus("invalid/png_trunc_idat.png"),
        "image/png",
    )
    .await;
    let (s, b) = post_image(&t, &alice, json!({"upload_id": broken, "title": "broken"})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    let failed = wait_image(&t, &alice, b["id"].as_str().unwrap()).await;
    assert_eq!(failed["status"], "failed");
    let (s, e) = link(
        &t,
        &alice,
        b["id"].as_str().unwrap(),
        json!({"expires_in": 300}),
    )
    .await;
    assert_eq!(
        (s, error_code(&e)),
        (StatusCode::CONFLICT, "image_not_ready")
    );

    let (s, e) = link(&t, &alice, &unknown_id(), json!({"expires_in": 300})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
}

async fn link_serves_the_original_until_it_expires(t: TestApp) {
    let alice = user(&t.router, "alice").await;
    let root = admin(&t).await;
    patch_user(&t, &root, "alice", json!({"tier": "Enterprise"})).await;
    let original = corpus("valid/polyglot_jpeg_html.jpg");
    let image = ready_image(&t, &alice, "valid/polyglot_jpeg_html.jpg", "polyglot", None).await;
    let (s, b) = link(
        &t,
        &alice,
        image["id"].as_str().unwrap(),
        json!({"expires_in": 300}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let url = b["url"].as_str().unwrap();

    // The link serves the original bytes, as the sniffed type, never as HTML.
    let (status, headers, bytes) = fetch(url).await;
    assert_eq!(status, 200, "{url}");
    assert!(
        bytes == original,
        "the link does not serve the original bytes"
    );
    let content_type = headers["content-type"].clone();

    // A link whose lifetime was edited is refused.
    let longer = url.replace("X-Amz-Expires=300", "X-Amz-Expires=30000");
    assert_ne!(longer, url);
    assert_eq!(fetch(&longer).await.0, 403, "{longer}");

    // The same object, signed for 1 s by the store the route uses, works and then is refused.
    let path = reqwest::Url::parse(url).unwrap().path().to_owned();
    let key = path
        .strip_prefix(&format!("/{UPLOADS_BUCKET}/"))
        .unwrap_or_else(|| panic!("the link is not to the uploads bucket: {url}"));
    let short = t
        .app()
        .objects
        .presign_link(Bucket::Uploads, key, Duration::from_secs(1), None)
        .await
        .unwrap();
    assert_eq!(fetch(&short.url).await.0, 200, "{}", short.url);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        fetch(&short.url).await.0,
        403,
        "expired link still works: {}",
        short.url
    );

    // SECURITY.md (API8): originals are served as their sniffed type, never sniffed by the browser,
    // and downloaded rather than shown.
    assert_eq!(content_type, "image/jpeg");
    let nosniff = headers.get("x-content-type-options");
    assert!(
        nosniff.is_some_and(|v| v == "nosniff"),
        "the original is served without X-Content-Type-Options: nosniff: {headers:?}"
    );
    let disposition = headers
        .get("content-disposition")
        .map(|v| v.to_str().unwrap().to_owned());
    assert!(
        disposition
            .as_deref()
            .is_some_and(|d| d.starts_with("attachment")),
        "the original is served without Content-Disposition: attachment: {headers:?}"
    );
}
