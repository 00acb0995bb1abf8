//! For slow and unstable connections (API.md): ETags and 304s on reads, compressed JSON,
//! placeholders and alt text, and the list of unfinished uploads.

use std::io::Read;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use base64::Engine as _;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::common::{self, TestApp, call, error_code, on_both_stores, ready_post, request, user};

on_both_stores!(
    reads_carry_an_etag_and_answer_304_until_something_changes,
    json_answers_of_1_kib_or_more_are_compressed_and_the_etag_is_the_same,
    posts_and_images_carry_alt_text_and_a_placeholder,
    open_uploads_are_listed_to_resume_them,
);

/// A GET as `token` with extra headers; status, headers and the raw body bytes.
async fn get(
    t: &TestApp,
    token: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = Request::builder()
        .method(Method::GET)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = t
        .router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, bytes)
}

fn etag(headers: &HeaderMap) -> String {
    let tag = headers[header::ETAG].to_str().unwrap().to_owned();
    assert!(tag.starts_with("W/\"") && tag.ends_with('"'), "{tag}");
    tag
}

async fn comment(t: &TestApp, token: &str, post: &str, text: &str) {
    let uri = format!("/v1/posts/{post}/comments");
    let body = json!({ "text": text });
    let (s, _, b) = call(&t.router, Method::POST, &uri, Some(token), Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

async fn reads_carry_an_etag_and_answer_304_until_something_changes(t: TestApp) {
    let alice = user(&t.router, "alice").await;
    let post = ready_post(&t, &alice).await;
    let (_, _, library) = call(&t.router, Method::GET, "/v1/images", Some(&alice), None).await;
    let image = library["items"][0]["id"].as_str().unwrap().to_owned();
    for uri in [
        "/v1/posts".to_owned(),
        format!("/v1/posts/{post}"),
        format!("/v1/posts/{post}/comments"),
        "/v1/images".to_owned(),
        format!("/v1/images/{image}"),
        "/v1/users/me".to_owned(),
    ] {
        let (s, h, body) = get(&t, &alice, &uri, &[]).await;
        assert_eq!(s, StatusCode::OK, "{uri}");
        let tag = etag(&h);
        assert_eq!(h[header::CACHE_CONTROL], "private, no-cache", "{uri}");
        assert_eq!(h[header::VARY], "accept-encoding", "{uri}");
        // Asking again gives the same tag (presigned URLs are stable within their window).
        let (_, again, same_body) = get(&t, &alice, &uri, &[]).await;
        assert_eq!(etag(&again), tag, "{uri}");
        assert_eq!(same_body, body, "{uri}");
        let (s, h, body) = get(&t, &alice, &uri, &[("if-none-match", &tag)]).await;
        assert_eq!(s, StatusCode::NOT_MODIFIED, "{uri}");
        assert!(body.is_empty(), "{uri}");
        assert_eq!(etag(&h), tag);
        // In a list, or strongly spelled, it still matches; another tag does not.
        let listed = format!("W/\"nope\", {}", tag.trim_start_matches("W/"));
        let (s, _, _) = get(&t, &alice, &uri, &[("if-none-match", &listed)]).await;
        assert_eq!(s, StatusCode::NOT_MODIFIED, "{uri}");
        let (s, _, _) = get(&t, &alice, &uri, &[("if-none-match", "W/\"nope\"")]).await;
        assert_eq!(s, StatusCode::OK, "{uri}");
    }

    // A new comment changes the feed, the post and its comments.
    let (_, feed, _) = get(&t, &alice, "/v1/posts", &[]).await;
    let (_, one, _) = get(&t, &alice, &format!("/v1/posts/{post}"), &[]).await;
    comment(&t, &alice, &post, "first!").await;
    for (uri, old) in [
        ("/v1/posts".to_owned(), etag(&feed)),
        (format!("/v1/posts/{post}"), etag(&one)),
    ] {
        let (s, h, _) = get(&t, &alice, &uri, &[("if-none-match", &old)]).await;
        assert_eq!(s, StatusCode::OK, "{uri}");
        assert_ne!(etag(&h), old, "{uri}");
    }
    // Errors and writes carry no ETag.
    let (s, h, _) = get(&t, &alice, "/v1/posts/01ARZ3NDEKTSV4RRFFQ69G5FAV", &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(h.get(header::ETAG).is_none());
}

/// A user's token and a ready post of theirs whose comment list is over 1 KiB of JSON.
async fn post_with_a_kib_of_comments(t: &TestApp) -> (String, String) {
    let alice = user(&t.router, "alice").await;
    let post = ready_post(t, &alice).await;
    for i in 0..12 {
        let text = format!("comment number {i} with some words in it");
        comment(t, &alice, &post, &text).await;
    }
    (alice, post)
}

async fn json_answers_of_1_kib_or_more_are_compressed_and_the_etag_is_the_same(t: TestApp) {
    let (alice, post) = post_with_a_kib_of_comments(&t).await;
    let uri = format!("/v1/posts/{post}/comments");
    let (s, plain_h, plain) = get(&t, &alice, &uri, &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(plain.len() >= 1024, "{}", plain.len());
    assert!(plain_h.get(header::CONTENT_ENCODING).is_none());

    let (_, gz_h, gz) = get(&t, &alice, &uri, &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz_h[header::CONTENT_ENCODING], "gzip");
    assert_eq!(gz_h[header::VARY], "accept-encoding");
    assert_eq!(gz_h.get_all(header::VARY).iter().count(), 1);
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain);
    assert!(
        gz.len() < plain.len() / 2,
        "{} of {}",
        gz.len(),
        plain.len()
    );

    let (_, br_h, br) = get(
        &t,
        &alice,
        &uri,
        &[("accept-encoding", "br;q=1, gzip;q=0.5")],
    )
    .await;
    assert_eq!(br_h[header::CONTENT_ENCODING], "br");
    let mut unbrotli = Vec::new();
    brotli_decompressor::Decompressor::new(&br[..], 4096)
        .read_to_end(&mut unbrotli)
        .unwrap();
    assert_eq!(unbrotli, plain);
    // One ETag for every encoding, and a 304 whatever the encoding asked for.
    assert_eq!(etag(&gz_h), etag(&plain_h));
    assert_eq!(etag(&br_h), etag(&plain_h));
    let tag = etag(&plain_h);
    let (s, h, body) = get(
        &t,
        &alice,
        &uri,
        &[("accept-encoding", "br"), ("if-none-match", &tag)],
    )
    .await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert!(h.get(header::CONTENT_ENCODING).is_none());

    // Asked again, the same compressed bytes (kept by ETag, not compressed again); after a
    // change, the new answer's.
    let (_, _, gz_again) = get(&t, &alice, &uri, &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz_again, gz);
    comment(&t, &alice, &post, "one more, so the answer changes").await;
    let (_, changed_h, changed) = get(&t, &alice, &uri, &[]).await;
    let (_, gz_h, gz) = get(&t, &alice, &uri, &[("accept-encoding", "gzip")]).await;
    assert_eq!(etag(&gz_h), etag(&changed_h));
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, changed);

    // Small answers are sent as they are.
    let (_, h, _) = get(&t, &alice, "/v1/users/me", &[("accept-encoding", "gzip")]).await;
    assert!(h.get(header::CONTENT_ENCODING).is_none());
}

fn assert_placeholder(placeholder: &Value) {
    let hash = placeholder["thumbhash"].as_str().expect("thumbhash");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(hash)
        .expect("base64");
    assert!((5..=40).contains(&bytes.len()), "{hash}");
    let color = placeholder["color"].as_str().expect("color");
    assert_eq!(color.len(), 7, "{color}");
    assert!(color.starts_with('#'));
    assert!(
        color[1..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
}

async fn posts_and_images_carry_alt_text_and_a_placeholder(t: TestApp) {
    let alice = user(&t.router, "alice").await;
    let bytes = std::fs::read(common::testdata().join("valid/jpeg_baseline.jpg")).unwrap();
    let upload = common::upload(&t, &alice, &bytes, "image/jpeg").await;

    let too_long = "é".repeat(1501);
    let body = json!({"upload_id": upload, "caption": "c", "alt_text": too_long});
    let (s, b) = request(&t, &alice, Method::POST, "/v1/posts", Some(body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(error_code(&b), "validation_failed");

    let alt = "é".repeat(1500);
    let body = json!({"upload_id": upload, "caption": "c", "alt_text": alt});
    let (s, b) = request(&t, &alice, Method::POST, "/v1/posts", Some(body)).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    assert_eq!(b["alt_text"], alt.as_str());
    let post = common::wait_post(&t, &alice, b["id"].as_str().unwrap()).await;
    assert_eq!(post["status"], "ready", "{post}");
    assert_eq!(post["alt_text"], alt.as_str());
    assert_placeholder(&post["image"]["placeholder"]);
    let (_, _, feed) = call(&t.router, Method::GET, "/v1/posts", Some(&alice), None).await;
    assert_eq!(
        feed["items"][0]["image"]["placeholder"],
        post["image"]["placeholder"]
    );

    // The posted image is in the library with the same alt text and placeholder.
    let (s, image) = common::images::get_image(&t, &alice, &upload).await;
    assert_eq!(s, StatusCode::OK, "{image}");
    assert_eq!(image["alt_text"], alt.as_str());
    assert_eq!(image["placeholder"], post["image"]["placeholder"]);

    // A post without alt text answers "".
    let id = ready_post(&t, &alice).await;
    let (_, p) = request(&t, &alice, Method::GET, &format!("/v1/posts/{id}"), None).await;
    assert_eq!(p["alt_text"], "");
    assert_placeholder(&p["image"]["placeholder"]);

    // A library image from a form, with alt text; null placeholder while processing.
    let png = std::fs::read(common::testdata().join("valid/png_rgba.png")).unwrap();
    let form = common::images::multipart_body(&[
        common::images::Part::File("file", "a.png", &png),
        common::images::Part::Text("title", "A PNG"),
        common::images::Part::Text("alt_text", "a red square"),
    ]);
    let (s, created) = common::images::post_multipart(&t, &alice, form).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{created}");
    assert_eq!(created["alt_text"], "a red square");
    let id = created["id"].as_str().unwrap();
    let ready = common::images::wait_image(&t, &alice, id).await;
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_placeholder(&ready["placeholder"]);
}

async fn open_uploads_are_listed_to_resume_them(t: TestApp) {
    let alice = user(&t.router, "alice").await;
    let bob = user(&t.router, "bob").await;
    let size = 9 * 1024 * 1024;
    let open = common::declare_upload(&t, &alice, "big.jpg", size, "image/jpeg").await;
    let other = common::declare_upload(&t, &alice, "other.jpg", size, "image/jpeg").await;
    common::declare_upload(&t, &bob, "bobs.jpg", size, "image/jpeg").await;
    // One part of `open` arrives.
    let part = &open["parts"][0];
    let res = reqwest::Client::new()
        .put(part["url"].as_str().unwrap())
        .body(vec![7u8; open["part_size"].as_u64().unwrap() as usize])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let other_id = other["id"].as_str().unwrap();
    let (s, _) = request(
        &t,
        &alice,
        Method::DELETE,
        &format!("/v1/uploads/{other_id}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    let (s, page) = request(
        &t,
        &alice,
        Method::GET,
        "/v1/uploads?status=uploading",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    let listed = &items[0];
    assert_eq!(listed["id"], open["id"]);
    assert_eq!(listed["filename"], "big.jpg");
    assert_eq!(listed["content_type"], "image/jpeg");
    assert_eq!(listed["size"], size);
    assert_eq!(listed["part_size"], open["part_size"]);
    assert_eq!(listed["parts_received_count"], 1);
    assert_eq!(listed["status"], "uploading");
    assert!(listed["expires_at"].as_str().unwrap() > listed["created_at"].as_str().unwrap());

    let (_, aborted) = request(&t, &alice, Method::GET, "/v1/uploads?status=aborted", None).await;
    assert_eq!(aborted["items"][0]["id"], other["id"]);
    assert_eq!(aborted["items"][0]["parts_received_count"], 0);
    // All of them, newest first, one per page.
    let (_, first) = request(&t, &alice, Method::GET, "/v1/uploads?limit=1", None).await;
    assert_eq!(first["items"][0]["id"], other["id"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = request(
        &t,
        &alice,
        Method::GET,
        &format!("/v1/uploads?limit=1&cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(second["items"][0]["id"], open["id"]);
    assert_eq!(second["next_cursor"], Value::Null);
    // A cursor of another status, an unknown status.
    let (s, b) = request(
        &t,
        &alice,
        Method::GET,
        &format!("/v1/uploads?status=aborted&cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(
        (s, error_code(&b)),
        (StatusCode::BAD_REQUEST, "invalid_cursor")
    );
    let (s, b) = request(&t, &alice, Method::GET, "/v1/uploads?status=done", None).await;
    assert_eq!(
        (s, error_code(&b)),
        (StatusCode::BAD_REQUEST, "invalid_status")
    );
}

/// A PUT of `len` bytes to a presigned part URL: status and body.
async fn put_part(url: &str, len: usize) -> (u16, String) {
    let res = reqwest::Client::new()
        .put(url)
        .body(vec![1u8; len])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// `IMAGEGRAM_UPLOAD_URL_TTL` sets the life of part URLs; an expired one is refused as S3 refuses
/// it (403, XML, `Request has expired`), and a re-signed one works.
#[tokio::test]
async fn expired_part_urls_are_refused_like_s3_and_re_signed() {
    let settings = imagegram::app::Settings {
        upload_url_ttl: std::time::Duration::from_secs(1),
        ..Default::default()
    };
    let t = common::spawn_store_with(common::Store::Sqlite, settings, None).await;
    let alice = user(&t.router, "alice").await;
    let created = common::declare_upload(&t, &alice, "a.jpg", 1000, "image/jpeg").await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (status, body) = put_part(created["parts"][0]["url"].as_str().unwrap(), 1000).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    assert!(
        body.contains("<Message>Request has expired</Message>"),
        "{body}"
    );

    let id = created["id"].as_str().unwrap();
    let (s, fresh) = request(
        &t,
        &alice,
        Method::POST,
        &format!("/v1/uploads/{id}/parts"),
        Some(json!({"numbers": [1]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{fresh}");
    let (status, body) = put_part(fresh["parts"][0]["url"].as_str().unwrap(), 1000).await;
    assert_eq!(status, 200, "{body}");
}

/// Behind a proxy: presigned URLs are built and signed for `--s3-public-url`, and work there.
#[tokio::test]
async fn presigned_urls_use_the_public_s3_address() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // "localhost" stands for the proxy's name: another host than the bound 127.0.0.1.
    let public = format!("http://localhost:{port}");
    let t = common::spawn_configured(common::Store::Sqlite, Default::default(), None, |config| {
        config.s3_addr = format!("127.0.0.1:{port}").parse().unwrap();
        config.s3_public_url = Some(public.clone());
    })
    .await;
    let alice = user(&t.router, "alice").await;
    let created = common::declare_upload(&t, &alice, "a.jpg", 1000, "image/jpeg").await;
    let url = created["parts"][0]["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{public}/")), "{url}");
    let (status, body) = put_part(url, 1000).await;
    assert_eq!(status, 200, "{body}");
    // A post's image URL too, and it serves the JPEG.
    let id = ready_post(&t, &alice).await;
    let (_, post) = request(&t, &alice, Method::GET, &format!("/v1/posts/{id}"), None).await;
    let image = post["image"]["url"].as_str().unwrap();
    assert!(image.starts_with(&format!("{public}/")), "{image}");
    let (status, _, bytes) = common::images::fetch(image).await;
    assert_eq!(status, 200);
    assert_eq!(&bytes[..2], &[0xff, 0xd8]);
}

/// On Lambda a compressed answer leaves the function as a binary body (API Gateway gets it
/// base64-encoded and sends the bytes), an uncompressed one as text.
#[tokio::test]
async fn compressed_answers_leave_a_lambda_function_as_binary_bodies() {
    use lambda_http::IntoResponse as _;

    let t = common::spawn_app().await;
    let (alice, post) = post_with_a_kib_of_comments(&t).await;
    let posts = imagegram::aws::lambda_router(&[imagegram::http::Group::Posts], t.app().clone());
    for (encoding, compressed) in [("gzip", true), ("identity", false)] {
        let req = Request::builder()
            .uri(format!("/v1/posts/{post}/comments"))
            .header("authorization", format!("Bearer {alice}"))
            .header("accept-encoding", encoding)
            .body(Body::empty())
            .unwrap();
        let res = posts.clone().oneshot(req).await.unwrap();
        let lambda = res.into_response().await;
        match (lambda.body(), compressed) {
            (lambda_http::Body::Binary(bytes), true) => {
                let mut json = Vec::new();
                flate2::read::GzDecoder::new(&bytes[..])
                    .read_to_end(&mut json)
                    .unwrap();
                let page: Value = serde_json::from_slice(&json).unwrap();
                assert_eq!(page["items"].as_array().unwrap().len(), 12);
            }
            (lambda_http::Body::Text(text), false) => {
                assert!(text.starts_with("{\"items\""), "{text}");
            }
            (other, _) => panic!("{encoding}: unexpected body {other:?}"),
        }
    }
}

/// An image processed before placeholders existed: ready, renditions stored, no placeholder.
/// Reading it gives it one (and its post); so does the start-up backfill of `imagegram serve`.
async fn old_image(t: &TestApp, owner: &str) -> (String, String) {
    use imagegram::domain::{Image, Outcome, Post, Rendition, Upload, UploadStatus, Username};
    use imagegram::imaging::{Limits, RenditionSpec, Size, render};
    use imagegram::ports::{Bucket, Listing};

    let app = t.app();
    let bytes = std::fs::read(common::testdata().join("valid/jpeg_baseline.jpg")).unwrap();
    let owner = Username::parse(owner).unwrap();
    let id = imagegram::domain::Id::generate();
    let now = imagegram::domain::now();
    let upload = Upload {
        id,
        owner: owner.clone(),
        object_key: format!("uploads/{owner}/{id}"),
        multipart_id: String::new(),
        filename: "old.jpg".into(),
        content_type: "image/jpeg".into(),
        size: bytes.len() as u64,
        part_size: bytes.len() as u64,
        status: UploadStatus::Uploaded,
        created_at: now,
    };
    app.media
        .create_upload(&upload, &Image::processing(id, owner.clone(), now))
        .await
        .unwrap();
    let wanted = [
        Rendition::Feed,
        Rendition::Fit(imagegram::domain::Fit::DEFAULT),
        Rendition::Thumb(200),
    ];
    let specs: Vec<RenditionSpec> = wanted
        .iter()
        .map(|r| RenditionSpec {
            name: r.name(),
            size: match r {
                Rendition::Feed => Size::Cover {
                    width: 600,
                    height: 600,
                },
                Rendition::Fit(f) => Size::Inside {
                    width: f.width,
                    height: f.height,
                },
                Rendition::Thumb(h) => Size::Height(*h),
            },
        })
        .collect();
    let rendered = render(&bytes, &Limits::default(), &specs).unwrap();
    for (r, out) in wanted.iter().zip(&rendered.renditions) {
        app.objects
            .put(
                Bucket::Renditions,
                &r.key(&id),
                out.jpeg.clone().into(),
                "image/jpeg",
            )
            .await
            .unwrap();
    }
    let ready = Outcome::Ready {
        width: rendered.width,
        height: rendered.height,
        renditions: wanted.to_vec(),
        placeholder: None,
    };
    // No original is stored, so no object-created event processes it (with a placeholder).
    assert!(app.media.finish_image(id, &ready).await.unwrap());
    app.library
        .list_image(id, &Listing::new("old", None))
        .await
        .unwrap();
    let post = Post {
        id: imagegram::domain::Id::generate(),
        author: owner,
        caption: "old".into(),
        alt_text: String::new(),
        image_id: id,
        status: imagegram::domain::MediaStatus::Processing,
        failure: None,
        comment_count: 0,
        recent_comments: Vec::new(),
        created_at: now,
        placeholder: None,
    };
    let post = app.posts.create_post(&post).await.unwrap();
    (id.to_string(), post.id.to_string())
}

#[tokio::test]
async fn images_processed_before_placeholders_get_one_when_read() {
    let t = common::spawn_app().await;
    let alice = user(&t.router, "alice").await;
    let (image, post) = old_image(&t, "alice").await;
    let (s, read) = common::images::get_image(&t, &alice, &image).await;
    assert_eq!(s, StatusCode::OK, "{read}");
    assert_placeholder(&read["placeholder"]);
    let (_, p) = request(&t, &alice, Method::GET, &format!("/v1/posts/{post}"), None).await;
    assert_eq!(p["image"]["placeholder"], read["placeholder"]);
}

/// `imagegram serve` gives such images their placeholder at start, in the background.
#[tokio::test]
async fn the_one_machine_shape_backfills_placeholders_at_start() {
    let t = common::spawn_app().await;
    user(&t.router, "alice").await;
    let (image, _) = old_image(&t, "alice").await;
    let id = imagegram::domain::Id::parse(&image).unwrap();
    assert_eq!(
        t.app()
            .media
            .get_image(id)
            .await
            .unwrap()
            .unwrap()
            .placeholder,
        None
    );
    let config = imagegram::config::ServeConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        s3_addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: t.data_dir().to_path_buf(),
        admin: None,
        public_url: None,
        s3_public_url: None,
    };
    let again = imagegram::embedded::start(&config, Default::default(), std::future::pending())
        .await
        .unwrap();
    for _ in 0..100 {
        if again
            .app
            .media
            .get_image(id)
            .await
            .unwrap()
            .unwrap()
            .placeholder
            .is_some()
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no placeholder 5 s after start");
}
