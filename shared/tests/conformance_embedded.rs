//! The conformance suites against the embedded adapters: SQLite and the s3s-fs endpoint.
#![allow(clippy::unwrap_used)]

mod conformance;

use std::sync::Arc;

use imagegram::adapters::local_s3::{self, RENDITIONS_BUCKET, UPLOADS_BUCKET};
use imagegram::adapters::s3::S3Objects;
use imagegram::adapters::sqlite::Sqlite;

fn sqlite() -> (Arc<Sqlite>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (
        Arc::new(Sqlite::open(&dir.path().join("db.sqlite3")).unwrap()),
        dir,
    )
}

#[tokio::test]
async fn sqlite_users() {
    let (s, _d) = sqlite();
    conformance::users::create_get_update(s.as_ref()).await;
}

#[tokio::test]
async fn sqlite_media() {
    let (s, _d) = sqlite();
    conformance::media::uploads_and_transitions(s.as_ref()).await;
    conformance::media::finish_image_happens_once(s.as_ref()).await;
    conformance::media::concurrent_finishes_change_state_once(s.clone()).await;
}

#[tokio::test]
async fn sqlite_posts_both_orders() {
    let (s, _d) = sqlite();
    conformance::posts::both_orders_end_ready(s.as_ref(), s.as_ref()).await;
}

#[tokio::test]
async fn sqlite_posts_feed() {
    let (s, _d) = sqlite();
    conformance::posts::feed_order_pagination_and_filters(s.as_ref(), s.as_ref()).await;
}

#[tokio::test]
async fn sqlite_posts_comments() {
    let (s, _d) = sqlite();
    conformance::posts::comments_keep_count_and_recent(s.as_ref(), s.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_comments_20_rounds() {
    let (s, _d) = sqlite();
    conformance::posts::concurrent_comments_stay_exact(s.clone(), s, 20).await;
}

async fn objects() -> (S3Objects, local_s3::LocalS3, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = local_s3::start(
        dir.path(),
        "127.0.0.1:0".parse().unwrap(),
        "AKTEST",
        "secret-test",
        None,
    )
    .await
    .unwrap();
    let client = S3Objects::local_client(&endpoint.endpoint, "AKTEST", "secret-test");
    (
        S3Objects::new(client, UPLOADS_BUCKET, RENDITIONS_BUCKET),
        endpoint,
        dir,
    )
}

#[tokio::test]
async fn s3s_fs_objects() {
    let (store, _endpoint, _dir) = objects().await;
    conformance::objects::multipart_with_presigned_parts(&store).await;
    conformance::objects::presigned_urls_are_checked(&store).await;
    conformance::objects::expired_urls_are_refused(&store).await;
}
