//! The conformance suites against the DynamoDB adapter on a moto server, a fresh table per test.
//!
//! How the moto server is found or started (and why it serializes requests): `common/moto.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod conformance;

use std::time::Instant;

use common::moto::{moto_url, store};
use imagegram::adapters::dynamodb::{DynamoStore, create_table};
use imagegram::domain::Id;
use imagegram::ports::StoreError;

#[tokio::test]
async fn dynamodb_create_table_twice_is_already_exists() {
    let s = store().await;
    let client = DynamoStore::local_client(&moto_url(), "AKTEST", "secret-test");
    assert!(matches!(
        create_table(&client, s.table()).await,
        Err(StoreError::AlreadyExists)
    ));
}

#[tokio::test]
async fn dynamodb_users() {
    let s = store().await;
    conformance::users::create_get_update(s.as_ref()).await;
}

#[tokio::test]
async fn dynamodb_media() {
    let s = store().await;
    conformance::media::uploads_and_transitions(s.as_ref()).await;
    conformance::media::finish_image_happens_once(s.as_ref()).await;
    conformance::media::concurrent_finishes_change_state_once(s.clone()).await;
}

#[tokio::test]
async fn dynamodb_posts_both_orders() {
    let s = store().await;
    conformance::posts::both_orders_end_ready(s.as_ref(), s.as_ref()).await;
}

#[tokio::test]
async fn dynamodb_posts_feed() {
    let s = store().await;
    conformance::posts::feed_order_pagination_and_filters(s.as_ref(), s.as_ref()).await;
}

#[tokio::test]
async fn dynamodb_posts_comments() {
    let s = store().await;
    conformance::posts::comments_keep_count_and_recent(s.as_ref(), s.as_ref()).await;
}

/// SECURITY.md figure 4 on DynamoDB: 20 rounds of 50 concurrent creates + 20 concurrent deletes.
/// Each round gets a fresh table: moto copies the whole table for every TransactWriteItems, so on
/// one table that has collected earlier rounds' items the same rounds take about 4x longer (≈ 9 min
/// instead of ≈ 2.5 min here) without testing anything more. The rounds are independent anyway:
/// each makes its own post.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_concurrent_comments_20_rounds() {
    let started = Instant::now();
    for _ in 0..20 {
        let s = store().await;
        conformance::posts::concurrent_comments_stay_exact(s.clone(), s, 1).await;
    }
    eprintln!(
        "concurrent_comments_stay_exact, 20 rounds on moto: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Beyond the suites: a failed image fails the posts made before it (both finish paths write posts).
#[tokio::test]
async fn dynamodb_failed_image_fails_its_posts() {
    use imagegram::domain::{Failure, MediaStatus, Outcome, Post};
    use imagegram::ports::{MediaStore, PostStore};

    let s = store().await;
    let (upload, image) = conformance::upload_and_image("alice");
    s.create_upload(&upload, &image).await.unwrap();
    let post = Post {
        id: Id::generate(),
        author: conformance::name("alice"),
        caption: "c".into(),
        image_id: image.id,
        status: MediaStatus::Ready,
        failure: None,
        comment_count: 7,
        recent_comments: Vec::new(),
        created_at: imagegram::domain::now(),
    };
    // The store, not the caller, decides status and count.
    let created = s.create_post(&post).await.unwrap();
    assert_eq!(
        (created.status, created.comment_count),
        (MediaStatus::Processing, 0)
    );
    let failure = Failure {
        code: "corrupt_image".into(),
        message: "cannot decode".into(),
    };
    assert!(
        s.finish_image(image.id, &Outcome::Failed(failure.clone()))
            .await
            .unwrap()
    );
    let got = s.get_post(post.id).await.unwrap().unwrap();
    assert_eq!(
        (got.status, got.failure),
        (MediaStatus::Failed, Some(failure))
    );
    let late = s
        .create_post(&Post {
            id: Id::generate(),
            ..post
        })
        .await
        .unwrap();
    assert_eq!(late.status, MediaStatus::Failed);
    let q = imagegram::ports::FeedQuery {
        sort: imagegram::domain::FeedSort::New,
        author: None,
        limit: 10,
    };
    assert!(s.list_posts(&q, None).await.unwrap().items.is_empty());
}
