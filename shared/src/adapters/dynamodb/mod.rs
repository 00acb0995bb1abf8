//! DynamoDB metadata store (the scale path): `UserStore`, `TierStore`, `MediaStore` and `PostStore`
//! over one table.
//!
//! # Items (one table, string keys `pk` / `sk`)
//! | item    | `pk`            | `sk`               | notes                                            |
//! |---------|-----------------|--------------------|--------------------------------------------------|
//! | user    | `USER#<name>`   | `USER`             | `owner_pk = USERS`: listed via `images_by_owner` |
//! | tier    | `TIERS`         | `<name>`           | `user_count`, changed with every user write      |
//! | upload  | `UPLOAD#<id>`   | `UPLOAD`           | written with its image in one transaction        |
//! | image   | `IMAGE#<id>`    | `IMAGE`            | `post_ids`, `renditions` (string sets), `listed` |
//! | post    | `POST#<id>`     | `POST`             | `comment_count`, `recent_comments` (JSON), `version` |
//! | comment | `POST#<post>`   | `COMMENT#<ulid>`   | under its post, so newest first = reverse Query  |
//!
//! A post's partition holds only `POST` and `COMMENT#…`; comment queries rely on that (`"POST"` sorts
//! after every `COMMENT#<ulid>`). The exact key schema and GSIs are in [`table_definition`].
//!
//! # Feed indexes (sparse)
//! A post gets `feed_pk = "FEED"`, `author_pk = <author>`, `feed_sk = <comment_count:020>#<id>` and
//! `new_sk = <id>` only while it is `ready`, so processing and failed posts are in no feed index.
//! - `feed` (`feed_pk`, `feed_sk`): comments feed, one Query with `ScanIndexForward=false`.
//! - `feed_new` (`feed_pk`, `new_sk`): newest first (ULIDs sort by time).
//! - `author_feed` (`author_pk`, `feed_sk`) and `author_new` (`author_pk`, `new_sk`): the same two
//!   orders for one author. Two GSIs rather than a composite sort key because a Query has one sort
//!   order; each index is ALL-projected so a page (caption, counts, the two newest comments) is one
//!   Query with no follow-up reads.
//! - `images_by_owner` (`owner_pk = <owner>`, `owner_sk = <image id>`): an owner's library, newest
//!   first; only listed images carry the keys (`library.rs`). Overloaded: its `USERS` partition
//!   lists users by name (`keys::USERS_PARTITION`).
//!
//! A continuation key is the sort position of the last item of a page (`<count>:<id>` or `<id>`, the
//! same strings the SQLite adapter makes); the next page is `… AND sort_key < :after`. Every page asks
//! for `limit + 1` items and trims, so the last page says `next: None`.
//!
//! # One feed partition, and when to shard it
//! Each comment rewrites its post's `feed_sk` (a delete plus a put in `feed` and in `author_feed`)
//! and the projected copy in `feed_new` and `author_new`. At the current target (100,000 comments
//! per hour ≈ 28/s) with posts of ~1–2 KB that is ≈ 28 × 2 × 2 KB ≈ 110 WCU/s on the `FEED`
//! partition of `feed`, about a tenth of the 1,000 WCU/s one GSI partition takes, and a feed page
//! (20 posts, ≈ 5 RCU eventually consistent) leaves room for hundreds of pages per second per
//! partition, so a single partition keeps every page at exactly one Query. Beyond roughly ten times
//! that (or with posts near the 2,200-character caption limit), write-shard the partition key:
//! `feed_pk = FEED#<hash(post id) mod N>`; `list_posts` then runs the same Query on the N shards in
//! parallel (each `limit + 1`, each `feed_sk < :after`), merges them by sort key and keeps `limit`.
//! The continuation stays one global sort position, valid for every shard, which is why it is a
//! sort key rather than a serialised `LastEvaluatedKey`. N only grows (readers query all N).
//!
//! # Consistency
//! Every GetItem and base-table Query is strongly consistent (a read after a write sees it, as in
//! the SQLite adapter). GSI Queries can only be eventually consistent, so a feed page may lag a
//! just-committed comment or a just-finished post by a fraction of a second.
//!
//! # Atomicity (see each module)
//! Creates are `attribute_not_exists(pk)` puts; updates are conditional on existence and on the
//! current status. A user write and its tier's `user_count` change in one `TransactWriteItems`, so
//! deleting a tier is one DeleteItem conditional on `user_count = 0` (`users.rs`, `tiers.rs`). Comments change the comment and the post (count, recent comments, feed key,
//! `version`) in one `TransactWriteItems` under optimistic locking on `version`, retried with jittered
//! backoff. Posts and images converge through `post_ids` on the image item (see `posts.rs`).

mod comments;
mod errors;
mod idempotency;
mod items;
mod keys;
mod library;
mod media;
mod posts;
mod rates;
mod schema;
mod tiers;
mod users;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

use crate::ports::StoreResult;
use errors::{built, unavailable};
use items::Item;

pub use schema::{TableDefinition, create_table, table_definition};

/// The metadata ports over one DynamoDB table.
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl std::fmt::Debug for DynamoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoStore")
            .field("table", &self.table)
            .finish()
    }
}

impl DynamoStore {
    /// A store over `table`, which must exist with the layout of [`table_definition`].
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// A client for a local endpoint (an emulator such as moto) with static test credentials.
    pub fn local_client(endpoint: &str, access_key: &str, secret_key: &str) -> Client {
        let creds = Credentials::new(access_key, secret_key, None, None, "imagegram-local");
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(creds)
            .http_client(crate::aws::http_client())
            .build();
        Client::from_conf(config)
    }

    /// A client for AWS from the ambient SDK configuration (the Lambda role).
    pub fn aws_client(sdk: &aws_config::SdkConfig) -> Client {
        Client::new(sdk)
    }

    pub fn table(&self) -> &str {
        &self.table
    }
}

/// Table helpers every module of the adapter uses.
impl DynamoStore {
    /// A strongly consistent GetItem; `what` names the item in errors.
    async fn get(&self, what: &str, key: Item) -> StoreResult<Option<Item>> {
        let got = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable(&format!("GetItem {what}"), &e))?;
        Ok(got.item)
    }

    /// A transaction Put that creates `item` (`attribute_not_exists(pk)`).
    fn put(&self, item: Item) -> StoreResult<TransactWriteItem> {
        let put = built(
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build(),
        )?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

/// `limit + 1` as a DynamoDB `Limit`: one extra item tells whether another page exists.
fn query_limit(limit: u32) -> i32 {
    i32::try_from(limit.saturating_add(1)).unwrap_or(i32::MAX)
}

/// Trims a `limit + 1` answer to `limit` and returns the item the next page continues after: the
/// last kept one if there was an extra item, or if DynamoDB stopped early (1 MB) and said so.
fn page_end<T>(items: &mut Vec<T>, limit: u32, more: bool) -> Option<&T> {
    let limit = limit as usize;
    if items.len() > limit {
        items.truncate(limit);
        items.last()
    } else if more {
        items.last()
    } else {
        None
    }
}
