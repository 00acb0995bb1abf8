//! The port conformance suites, run against every adapter from one list: each adapter gets the
//! same tests (`suites!` below), so a rule checked on one store is checked on all of them.
//!
//! - `sqlite`: the embedded SQLite adapter, a fresh database file per test;
//! - `dynamodb`: the DynamoDB adapter on a moto server (`common/moto.rs`), a fresh table per test;
//! - `s3s_fs`: the object store over the embedded S3 endpoint (s3s-fs behind SigV4 checks).

use std::sync::Arc;

use imagegram::adapters::local_s3::{self, RENDITIONS_BUCKET, UPLOADS_BUCKET};
use imagegram::adapters::s3::S3Objects;
use imagegram::adapters::sqlite::Sqlite;

use crate::common::moto;
use crate::conformance;

/// The metadata store suites for one adapter. `$fresh(lane)` is an async fn giving a new, empty
/// store and whatever must live as long as it: `(Arc<Store>, guard)`; tests that run work side by
/// side give each `lane` its own store (an adapter may put lanes on separate servers).
macro_rules! suites {
    ($adapter:ident, $fresh:ident) => {
        mod $adapter {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn users() {
                let (s, _guard) = $fresh(0).await;
                conformance::users::create_get_update(s.as_ref()).await;
                conformance::users::a_user_needs_an_existing_tier(s.as_ref()).await;
            }

            #[tokio::test]
            async fn users_list() {
                let (s, _guard) = $fresh(0).await;
                conformance::users::list_users_in_order_across_pages(s.as_ref()).await;
            }

            #[tokio::test]
            async fn tiers() {
                let (s, _guard) = $fresh(0).await;
                conformance::tiers::create_get_update_delete(s.as_ref()).await;
                conformance::tiers::a_tier_in_use_is_not_deleted(s.as_ref()).await;
            }

            #[tokio::test]
            async fn tiers_list() {
                let (s, _guard) = $fresh(0).await;
                conformance::tiers::list_tiers_in_byte_order_across_pages(s.as_ref()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn tier_delete_races_moving_users() {
                let (s, _guard) = $fresh(0).await;
                conformance::tiers::deleting_a_tier_races_users_moving(s, 8, 10).await;
            }

            #[tokio::test]
            async fn library() {
                let (s, _guard) = $fresh(0).await;
                conformance::library::list_image_then_get(s.as_ref()).await;
                conformance::library::add_renditions_is_a_set_union(s.as_ref()).await;
                conformance::library::finish_image_adds_its_renditions(s.as_ref()).await;
            }

            #[tokio::test]
            async fn library_list() {
                let (s, _guard) = $fresh(0).await;
                conformance::library::list_images_newest_first_across_pages(s.as_ref()).await;
                conformance::library::title_filter_is_case_insensitive_and_unicode(s.as_ref())
                    .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn library_concurrent_renditions() {
                let (s, _guard) = $fresh(0).await;
                conformance::library::concurrent_add_renditions_keep_all(s).await;
            }

            #[tokio::test]
            async fn media() {
                let (s, _guard) = $fresh(0).await;
                conformance::media::uploads_and_transitions(s.as_ref()).await;
                conformance::media::finish_image_happens_once(s.as_ref()).await;
                conformance::media::concurrent_finishes_change_state_once(s.clone()).await;
            }

            #[tokio::test]
            async fn idempotency() {
                let (s, _guard) = $fresh(0).await;
                conformance::idempotency::claim_finish_replay_and_expiry(s.as_ref()).await;
                conformance::idempotency::stale_claims_are_taken_over_with_their_seed(s.as_ref())
                    .await;
            }

            #[tokio::test]
            async fn rates() {
                let (s, _guard) = $fresh(0).await;
                conformance::rates::counts_per_key_and_window(s.as_ref()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn rates_concurrent_hits() {
                let (s, _guard) = $fresh(0).await;
                conformance::rates::concurrent_hits_are_each_counted_once(s).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn idempotency_concurrent_claims() {
                let (s, _guard) = $fresh(0).await;
                conformance::idempotency::one_of_many_concurrent_claims_wins(s).await;
            }

            #[tokio::test]
            async fn media_list_uploads() {
                let (s, _guard) = $fresh(0).await;
                conformance::media::list_uploads_by_status_across_pages(s.as_ref()).await;
            }

            #[tokio::test]
            async fn posts_both_orders() {
                let (s, _guard) = $fresh(0).await;
                conformance::posts::both_orders_end_ready(s.as_ref(), s.as_ref()).await;
            }

            #[tokio::test]
            async fn posts_feed() {
                let (s, _guard) = $fresh(0).await;
                conformance::posts::feed_order_pagination_and_filters(s.as_ref(), s.as_ref()).await;
            }

            #[tokio::test]
            async fn posts_comments() {
                let (s, _guard) = $fresh(0).await;
                conformance::posts::comments_keep_count_and_recent(s.as_ref(), s.as_ref()).await;
            }

            #[tokio::test]
            async fn posts_get_a_placeholder_added_later() {
                let (s, _guard) = $fresh(0).await;
                conformance::posts::a_placeholder_added_later_reaches_the_posts(
                    s.as_ref(),
                    s.as_ref(),
                )
                .await;
            }

            #[tokio::test]
            async fn posts_of_a_failed_image_fail() {
                let (s, _guard) = $fresh(0).await;
                conformance::posts::a_failed_image_fails_its_posts(s.as_ref(), s.as_ref()).await;
            }

            /// SECURITY.md figure 4: 20 rounds of 50 concurrent creates + 20 concurrent deletes.
            /// Each round gets a fresh store: moto copies the whole table for every
            /// TransactWriteItems, so on one table that has collected earlier rounds' items the
            /// same rounds take about 4x longer without testing anything more (each round makes
            /// its own post anyway). Two lanes of 10 rounds run side by side (on two moto
            /// servers: one is CPU-bound on a core).
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn concurrent_comments_20_rounds() {
                let started = std::time::Instant::now();
                let lanes = (0..2).map(|lane| {
                    tokio::spawn(async move {
                        for _ in 0..10 {
                            let (s, _guard) = $fresh(lane).await;
                            conformance::posts::concurrent_comments_stay_exact(s.clone(), s, 1)
                                .await;
                        }
                    })
                });
                for lane in lanes.collect::<Vec<_>>() {
                    lane.await.unwrap();
                }
                eprintln!(
                    "{}: concurrent_comments_stay_exact, 20 rounds: {:.1} s",
                    stringify!($adapter),
                    started.elapsed().as_secs_f64()
                );
            }
        }
    };
}

async fn sqlite(_lane: usize) -> (Arc<Sqlite>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Sqlite::open(&dir.path().join("db.sqlite3")).unwrap();
    (Arc::new(store), dir)
}

async fn dynamodb(lane: usize) -> (Arc<imagegram::adapters::dynamodb::DynamoStore>, ()) {
    (moto::store_on(lane).await, ())
}

suites!(sqlite, sqlite);
suites!(dynamodb, dynamodb);

/// The object store suites, on the embedded endpoint (the AWS shape's S3 is the same adapter over
/// the same SDK client, pointed at AWS).
mod s3s_fs {
    use super::*;

    async fn objects() -> (S3Objects, local_s3::LocalS3, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let endpoint = local_s3::start(
            dir.path(),
            "127.0.0.1:0".parse().unwrap(),
            "AKTEST",
            "secret-test",
            None,
            &[],
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
    async fn objects_multipart_presigned_and_expired() {
        let (store, _endpoint, _dir) = objects().await;
        conformance::objects::multipart_with_presigned_parts(&store).await;
        conformance::objects::presigned_urls_are_checked(&store).await;
        conformance::objects::expired_urls_are_refused(&store).await;
    }
}
