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
    conformance::users::a_user_needs_an_existing_tier(s.as_ref()).await;
}

#[tokio::test]
async fn sqlite_users_list() {
    let (s, _d) = sqlite();
    conformance::users::list_users_in_order_across_pages(s.as_ref()).await;
}

#[tokio::test]
async fn sqlite_tiers() {
    let (s, _d) = sqlite();
    conformance::tiers::create_get_update_delete(s.as_ref()).await;
    conformance::tiers::a_tier_in_use_is_not_deleted(s.as_ref()).await;
}

#[tokio::test]
async fn sqlite_tiers_list() {
    let (s, _d) = sqlite();
    conformance::tiers::list_tiers_in_byte_order_across_pages(s.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_tier_delete_races_moving_users() {
    let (s, _d) = sqlite();
    conformance::tiers::deleting_a_tier_races_users_moving(s, 4, 8).await;
}

#[tokio::test]
async fn sqlite_library() {
    let (s, _d) = sqlite();
    conformance::library::list_image_then_get(s.as_ref()).await;
    conformance::library::add_renditions_is_a_set_union(s.as_ref()).await;
    conformance::library::finish_image_adds_its_renditions(s.as_ref()).await;
}

#[tokio::test]
async fn sqlite_library_list() {
    let (s, _d) = sqlite();
    conformance::library::list_images_newest_first_across_pages(s.as_ref()).await;
    conformance::library::title_filter_is_case_insensitive_and_unicode(s.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_library_concurrent_renditions() {
    let (s, _d) = sqlite();
    conformance::library::concurrent_add_renditions_keep_all(s).await;
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
