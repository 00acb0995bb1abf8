//! Comments on DynamoDB: every add or delete is ONE TransactWriteItems over the comment and its post.
//!
//! The post carries `comment_count`, `recent_comments` (JSON, the two newest), its feed sort key and
//! a `version`. A writer reads the post, computes the new values, and commits
//! - add: Put comment (`attribute_not_exists(pk)`) + Update post (`ADD comment_count 1`, SET recent,
//!   feed key, `version = version + 1`) conditional on `version = :read AND status = ready`;
//! - delete: Delete comment (`attribute_exists(pk)`) + the same Update with -1, conditional on
//!   `version = :read`, with the recent comments recomputed by a Query of the three newest
//!   (the deleted one left out) made after reading the version.
//!
//! Any commit in between changes `version`, so a stale writer's transaction is cancelled (nothing
//! applied), waits (jittered exponential backoff), re-reads and retries, at most [`COMMENT_ATTEMPTS`] times, after
//! which the caller gets `Unavailable` (retryable, and nothing was written). Counts and recent
//! comments are therefore exact under any interleaving. A missing post (or one not ready) is
//! `NotFound` on add; a missing comment is `NotFound` on delete.

use std::cmp::Reverse;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};

use super::errors::{backoff, built, transact, unavailable};
use super::items::{
    COMMENT_COUNT, Item, RECENT_COMMENTS, STATUS, VERSION, comment_from, comment_item,
    get_media_status, get_n, key, n, recent_from, recent_json, s,
};
use super::keys::{
    COMMENTS_END, FEED_SK, POST_SK, comment_sk, feed_sk, parse_comment_continuation, post_pk,
};
use super::{DynamoStore, page_end, query_limit};
use crate::domain::{Comment, Id, MediaStatus, Page};
use crate::ports::{CommentStore, StoreError, StoreResult};

/// Optimistic-locking attempts per comment write (SECURITY.md figure 4 has 50 writers on one post).
pub(super) const COMMENT_ATTEMPTS: u32 = 20;

/// What a comment write reads from its post before committing.
struct PostState {
    version: u64,
    count: u64,
}

/// The post's version and count (and recent comments), if it is ready or need not be.
fn post_state(item: &Item, must_be_ready: bool) -> StoreResult<(PostState, Vec<Comment>)> {
    if must_be_ready && get_media_status(item)? != MediaStatus::Ready {
        return Err(StoreError::NotFound);
    }
    let state = PostState {
        version: get_n(item, VERSION)?,
        count: get_n(item, COMMENT_COUNT)?,
    };
    Ok((state, recent_from(item)?))
}

impl DynamoStore {
    /// The post side of a comment transaction, valid only if the post is still at `read.version`.
    fn post_update(
        &self,
        post: Id,
        read: &PostState,
        delta: i64,
        recent: &[Comment],
        must_be_ready: bool,
    ) -> StoreResult<TransactWriteItem> {
        let count = read.count.saturating_add_signed(delta);
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(post_pk(post), POST_SK)))
            .update_expression(format!(
                "SET {RECENT_COMMENTS} = :recent, {FEED_SK} = :fsk, #v = #v + :one \
                 ADD {COMMENT_COUNT} :delta"
            ))
            .expression_attribute_names("#v", VERSION)
            .expression_attribute_values(":recent", recent_json(recent)?)
            .expression_attribute_values(":fsk", s(feed_sk(count, post)))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":delta", n(delta))
            .expression_attribute_values(":v", n(read.version));
        update = if must_be_ready {
            update
                .condition_expression("#v = :v AND #st = :ready")
                .expression_attribute_names("#st", STATUS)
                .expression_attribute_values(":ready", s(MediaStatus::Ready.as_str()))
        } else {
            update.condition_expression("#v = :v")
        };
        Ok(TransactWriteItem::builder()
            .update(built(update.build())?)
            .build())
    }

    async fn read_post(&self, post: Id) -> StoreResult<Item> {
        self.get("post", key(post_pk(post), POST_SK))
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Up to `limit` comments of `post` older than the sort key `before`, newest first: one
    /// strongly consistent Query.
    async fn query_comments(
        &self,
        post: Id,
        before: &str,
        limit: i32,
    ) -> StoreResult<Vec<Comment>> {
        Ok(self.query_comments_raw(post, before, limit).await?.0)
    }

    async fn query_comments_raw(
        &self,
        post: Id,
        before: &str,
        limit: i32,
    ) -> StoreResult<(Vec<Comment>, bool)> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :p AND sk < :before")
            .expression_attribute_values(":p", s(post_pk(post)))
            .expression_attribute_values(":before", s(before))
            .scan_index_forward(false)
            .consistent_read(true)
            .limit(limit)
            .send()
            .await
            .map_err(|e| unavailable("Query comments", &e))?;
        let more = out.last_evaluated_key.is_some();
        let comments = out
            .items
            .unwrap_or_default()
            .iter()
            .map(comment_from)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((comments, more))
    }
}

#[async_trait]
impl CommentStore for DynamoStore {
    /// GetItem post + one TransactWriteItems, repeated on a version race.
    async fn add_comment(&self, comment: &Comment) -> StoreResult<()> {
        for attempt in 0..COMMENT_ATTEMPTS {
            let item = self.read_post(comment.post_id).await?;
            let (read, mut recent) = post_state(&item, true)?;
            recent.push(comment.clone());
            recent.sort_by_key(|c| Reverse(c.id));
            recent.truncate(2);
            let items = vec![
                self.put(comment_item(comment))?,
                self.post_update(comment.post_id, &read, 1, &recent, true)?,
            ];
            let seed = format!("add_comment|{}|{}|{attempt}", comment.post_id, comment.id);
            match transact(&self.client, "add comment", items, &seed).await? {
                Ok(()) => return Ok(()),
                Err(failed) if failed.item(0) => return Err(StoreError::AlreadyExists),
                // The post changed (or went away) since it was read: wait, then read it again
                // (a fresh read right before the transaction keeps the race window short).
                Err(_) => backoff(attempt).await,
            }
        }
        Err(StoreError::Unavailable(
            "add comment: too much contention on the post".into(),
        ))
    }

    /// GetItem post + Query of the newest comments + one TransactWriteItems, repeated on a race.
    async fn delete_comment(&self, post: Id, comment: Id) -> StoreResult<()> {
        let comment_key = key(post_pk(post), &comment_sk(comment));
        for attempt in 0..COMMENT_ATTEMPTS {
            let item = self.read_post(post).await?;
            let (read, _) = post_state(&item, false)?;
            // Read after the version: a commit in between changes the version and cancels us.
            let newest = self.query_comments(post, COMMENTS_END, 3).await?;
            let recent: Vec<Comment> = newest
                .into_iter()
                .filter(|c| c.id != comment)
                .take(2)
                .collect();
            let delete = built(
                Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(comment_key.clone()))
                    .condition_expression("attribute_exists(pk)")
                    .build(),
            )?;
            let items = vec![
                TransactWriteItem::builder().delete(delete).build(),
                self.post_update(post, &read, -1, &recent, false)?,
            ];
            let seed = format!("delete_comment|{post}|{comment}|{attempt}");
            match transact(&self.client, "delete comment", items, &seed).await? {
                Ok(()) => return Ok(()),
                Err(failed) if failed.item(0) => return Err(StoreError::NotFound),
                Err(_) => backoff(attempt).await,
            }
        }
        Err(StoreError::Unavailable(
            "delete comment: too much contention on the post".into(),
        ))
    }

    /// One strongly consistent GetItem.
    async fn get_comment(&self, post: Id, comment: Id) -> StoreResult<Option<Comment>> {
        let item = self
            .get("comment", key(post_pk(post), &comment_sk(comment)))
            .await?;
        item.as_ref().map(comment_from).transpose()
    }

    /// One Query (`limit + 1`, newest first).
    async fn list_comments(
        &self,
        post: Id,
        limit: u32,
        after: Option<&str>,
    ) -> StoreResult<Page<Comment>> {
        let before = match after {
            Some(a) => parse_comment_continuation(a)?,
            None => COMMENTS_END.to_owned(),
        };
        let (mut items, more) = self
            .query_comments_raw(post, &before, query_limit(limit))
            .await?;
        let next = page_end(&mut items, limit, more).map(|c| c.id.to_string());
        Ok(Page { items, next })
    }
}
