//! HTTP tests for posts, comments and the feed: ordering, pagination, cursors, permissions.

use crate::common;
use axum::http::{Method, StatusCode};
use common::{call, error_code, ready_post, spawn_app, user};
use serde_json::{Value, json};

async fn comment(t: &common::TestApp, token: &str, post: &str, text: &str) -> Value {
    let (s, _, b) = call(
        &t.router,
        Method::POST,
        &format!("/v1/posts/{post}/comments"),
        Some(token),
        Some(json!({"text": text})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b
}

#[tokio::test]
async fn post_shape_and_rendition() {
    let t = spawn_app().await;
    let alice = user(&t.router, "alice").await;
    let id = ready_post(&t, &alice).await;
    let (s, _, p) = call(
        &t.router,
        Method::GET,
        &format!("/v1/posts/{id}"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["author"], "alice");
    assert_eq!(p["caption"], "hello");
    assert_eq!(p["comment_count"], 0);
    assert_eq!(p["recent_comments"], json!([]));
    assert_eq!(p["image"]["width"], 600);
    assert_eq!(p["image"]["height"], 600);
    assert_eq!(p["image"]["content_type"], "image/jpeg");
    assert!(p["created_at"].as_str().unwrap().ends_with('Z'));
    let jpeg = reqwest::get(p["image"]["url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(jpeg.status(), 200);
    let bytes = jpeg.bytes().await.unwrap();
    let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg).unwrap();
    assert_eq!((img.width(), img.height()), (600, 600));
}

#[tokio::test]
async fn post_validation_and_mass_assignment() {
    let t = spawn_app().await;
    let alice = user(&t.router, "alice").await;
    let (s, _, b) = call(
        &t.router,
        Method::POST,
        "/v1/posts",
        Some(&alice),
        Some(json!({"upload_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let id = ready_post(&t, &alice).await;
    let (_, _, p) = call(
        &t.router,
        Method::GET,
        &format!("/v1/posts/{id}"),
        Some(&alice),
        None,
    )
    .await;
    let _ = p;
    let bytes = std::fs::read(common::testdata().join("valid/png_1x1.png")).unwrap();
    let upload = common::upload(&t, &alice, &bytes, "image/png").await;
    let long = "é".repeat(2201);
    let (s, _, b) = call(
        &t.router,
        Method::POST,
        "/v1/posts",
        Some(&alice),
        Some(json!({"upload_id": upload, "caption": long})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    error_code(&b);
    let body = json!({"upload_id": upload, "caption": "é".repeat(2200), "status": "ready", "comment_count": 9999, "author": "bob"});
    let (s, _, b) = call(
        &t.router,
        Method::POST,
        "/v1/posts",
        Some(&alice),
        Some(body),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    assert_eq!(b["author"], "alice");
    assert_eq!(b["comment_count"], 0);
}

#[tokio::test]
async fn feed_orders_by_comment_count_then_newest_and_paginates() {
    let t = spawn_app().await;
    let alice = user(&t.router, "alice").await;
    let bob = user(&t.router, "bob").await;
    let mut ids = Vec::new();
    for token in [&alice, &bob, &alice, &bob] {
        ids.push(ready_post(&t, token).await);
    }
    // ids[1] gets 3 comments, ids[2] gets 1: feed = [1, 2, 3, 0] (ties: newest first).
    for text in ["a", "b", "c"] {
        comment(&t, &alice, &ids[1], text).await;
    }
    comment(&t, &bob, &ids[2], "only").await;
    let (s, _, page) = call(
        &t.router,
        Method::GET,
        "/v1/posts?limit=2",
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let got: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[1].as_str(), ids[2].as_str()]);
    assert_eq!(page["items"][0]["comment_count"], 3);
    let recent: Vec<&str> = page["items"][0]["recent_comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(recent, vec!["c", "b"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (s, _, page2) = call(
        &t.router,
        Method::GET,
        &format!("/v1/posts?limit=2&cursor={cursor}"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let got: Vec<&str> = page2["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[3].as_str(), ids[0].as_str()]);
    assert!(page2["next_cursor"].is_null());

    // sort=new and author filter
    let (_, _, new) = call(
        &t.router,
        Method::GET,
        "/v1/posts?sort=new",
        Some(&alice),
        None,
    )
    .await;
    let got: Vec<&str> = new["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        got,
        vec![
            ids[3].as_str(),
            ids[2].as_str(),
            ids[1].as_str(),
            ids[0].as_str()
        ]
    );
    let (_, _, by_bob) = call(
        &t.router,
        Method::GET,
        "/v1/posts?author=bob",
        Some(&alice),
        None,
    )
    .await;
    let got: Vec<&str> = by_bob["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[1].as_str(), ids[3].as_str()]);

    // A cursor is bound to its query and tamper-evident.
    for uri in [
        format!("/v1/posts?limit=2&sort=new&cursor={cursor}"),
        format!("/v1/posts?limit=2&author=alice&cursor={cursor}"),
        format!("/v1/posts?limit=2&cursor={}", &cursor[..cursor.len() - 2]),
        format!("/v1/posts?limit=2&cursor=x{cursor}"),
        "/v1/posts?cursor=%00%01".to_owned(),
        "/v1/posts?limit=0".to_owned(),
        "/v1/posts?limit=101".to_owned(),
        "/v1/posts?limit=abc".to_owned(),
        "/v1/posts?sort=likes".to_owned(),
        "/v1/posts?author=NOT%20A%20NAME".to_owned(),
    ] {
        let (s, _, b) = call(&t.router, Method::GET, &uri, Some(&alice), None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri} -> {b}");
        error_code(&b);
    }
    let (s, _, _) = call(
        &t.router,
        Method::GET,
        "/v1/posts?limit=100",
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn comments_permissions_and_lists() {
    let t = spawn_app().await;
    let alice = user(&t.router, "alice").await;
    let bob = user(&t.router, "bob").await;
    let eve = user(&t.router, "eve").await;
    let post = ready_post(&t, &alice).await;
    let c1 = comment(&t, &bob, &post, "first").await;
    let c2 = comment(&t, &bob, &post, "second").await;
    let c3 = comment(&t, &eve, &post, "third").await;
    assert_eq!(c1["author"], "bob");
    assert_eq!(c1["post_id"], post.as_str());

    for text in [json!(""), json!("   "), json!("x".repeat(1001)), json!(5)] {
        let (s, _, b) = call(
            &t.router,
            Method::POST,
            &format!("/v1/posts/{post}/comments"),
            Some(&bob),
            Some(json!({"text": text})),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    }
    let (s, _, _) = call(
        &t.router,
        Method::POST,
        "/v1/posts/01ARZ3NDEKTSV4RRFFQ69G5FAV/comments",
        Some(&bob),
        Some(json!({"text": "hi"})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (_, _, list) = call(
        &t.router,
        Method::GET,
        &format!("/v1/posts/{post}/comments?limit=2"),
        Some(&eve),
        None,
    )
    .await;
    let texts: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, vec!["third", "second"]);
    let cursor = list["next_cursor"].as_str().unwrap();
    let (_, _, list2) = call(
        &t.router,
        Method::GET,
        &format!("/v1/posts/{post}/comments?limit=2&cursor={cursor}"),
        Some(&eve),
        None,
    )
    .await;
    assert_eq!(list2["items"][0]["text"], "first");
    assert!(list2["next_cursor"].is_null());

    // eve may not delete bob's comment; bob may; alice (post author) may delete eve's.
    let c1_uri = format!("/v1/posts/{post}/comments/{}", c1["id"].as_str().unwrap());
    let (s, _, b) = call(&t.router, Method::DELETE, &c1_uri, Some(&eve), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, _, _) = call(&t.router, Method::DELETE, &c1_uri, Some(&bob), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = call(&t.router, Method::DELETE, &c1_uri, Some(&bob), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let c3_uri = format!("/v1/posts/{post}/comments/{}", c3["id"].as_str().unwrap());
    let (s, _, _) = call(&t.router, Method::DELETE, &c3_uri, Some(&alice), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, _, p) = call(
        &t.router,
        Method::GET,
        &format!("/v1/posts/{post}"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(p["comment_count"], 1);
    assert_eq!(p["recent_comments"][0]["id"], c2["id"]);

    // A path that is not even UTF-8 is a JSON 404, not a plain-text 400.
    let (s, _, b) = call(&t.router, Method::GET, "/v1/posts/%FF", Some(&alice), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    error_code(&b);

    // Only the author deletes a post; its comments go with it.
    let (s, _, _) = call(
        &t.router,
        Method::DELETE,
        &format!("/v1/posts/{post}"),
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = call(
        &t.router,
        Method::DELETE,
        &format!("/v1/posts/{post}"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = call(
        &t.router,
        Method::GET,
        &format!("/v1/posts/{post}"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = call(
        &t.router,
        Method::GET,
        &format!("/v1/posts/{post}/comments"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn comment_flooding_is_throttled() {
    let t = spawn_app().await;
    let alice = user(&t.router, "alice").await;
    let post = ready_post(&t, &alice).await;
    let uri = format!("/v1/posts/{post}/comments");
    let mut throttled = None;
    for i in 0..80 {
        let (s, h, _) = call(
            &t.router,
            Method::POST,
            &uri,
            Some(&alice),
            Some(json!({"text": format!("pump {i}")})),
        )
        .await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            assert!(h.get("retry-after").is_some());
            throttled = Some(i);
            break;
        }
        assert_eq!(s, StatusCode::CREATED);
    }
    assert_eq!(
        throttled,
        Some(60),
        "the 61st comment within a minute is refused"
    );
    let (_, _, p) = call(
        &t.router,
        Method::GET,
        &format!("/v1/posts/{post}"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(p["comment_count"], 60);
}
