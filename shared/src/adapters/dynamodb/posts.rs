//! `PostStore` on DynamoDB: posts born with their image's status, the feed (one Query per page), deletion.
//!
//! `create_post` reads the image, then writes in ONE transaction the post (with the status and
//! failure it read, `attribute_not_exists(pk)`) and `ADD post_ids :id` on the image, conditional on
//! the image still having the status that was copied. So the copy is atomic, not merely convergent:
//! - image finished before the transaction: the post is born finished (and in the feed if ready);
//! - image finishes after it: `finish_image`'s conditional update sees the image `processing`, so it
//!   runs after the transaction on that item, and its returned `post_ids` holds this post, which
//!   it then moves out of `processing`;
//! - image finishes between the read and the transaction: the condition fails, and the read and the
//!   transaction are repeated (an image changes status once, so this repeats at most once).
//!
//! Both orders therefore end with the post in the image's final state, without a second read of the
//! image after the put.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeValue, DeleteRequest, TransactWriteItem, Update, WriteRequest,
};

use super::errors::{backoff, built, is_condition_failed, retry_conflicts, transact, unavailable};
use super::items::{
    Item, POST_IDS, STATUS, get_media_status, image_from, key, post_from, post_item, s,
};
use super::keys::{
    AUTHOR_PK, COMMENT_PREFIX, FEED_PARTITION, FEED_PK, FEED_SK, GSI_AUTHOR_FEED, GSI_AUTHOR_NEW,
    GSI_FEED, GSI_FEED_NEW, IMAGE_SK, NEW_SK, POST_SK, feed_continuation, image_pk,
    parse_feed_continuation, post_pk,
};
use super::{DynamoStore, page_end, query_limit};
use crate::domain::{FeedSort, Id, Page, Post};
use crate::ports::{FeedQuery, PostStore, StoreError, StoreResult};

/// Reads of the image before giving up; two suffice (an image changes status once).
const CREATE_ATTEMPTS: u32 = 4;
/// BatchWriteItem takes at most 25 requests.
const BATCH: usize = 25;
const BATCH_ATTEMPTS: u32 = 8;

impl DynamoStore {
    /// Deletes every comment of a post: Query the keys, BatchWriteItem 25 at a time.
    async fn delete_comments(&self, post: Id) -> StoreResult<()> {
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :p AND begins_with(sk, :c)")
                .expression_attribute_values(":p", s(post_pk(post)))
                .expression_attribute_values(":c", s(COMMENT_PREFIX))
                .projection_expression("pk, sk")
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable("Query comment keys", &e))?;
            for chunk in page.items().chunks(BATCH) {
                let requests = chunk
                    .iter()
                    .map(|keys| {
                        // Projected to `pk, sk`: each item is its own key.
                        let delete =
                            built(DeleteRequest::builder().set_key(Some(keys.clone())).build())?;
                        Ok(WriteRequest::builder().delete_request(delete).build())
                    })
                    .collect::<StoreResult<Vec<_>>>()?;
                self.batch_write(requests).await?;
            }
            match page.last_evaluated_key {
                Some(k) => start = Some(k),
                None => return Ok(()),
            }
        }
    }

    /// One BatchWriteItem, re-sending unprocessed requests with backoff.
    async fn batch_write(&self, mut requests: Vec<WriteRequest>) -> StoreResult<()> {
        for attempt in 0..BATCH_ATTEMPTS {
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.table, requests)
                .send()
                .await
                .map_err(|e| unavailable("BatchWriteItem", &e))?;
            requests = out
                .unprocessed_items
                .and_then(|mut u| u.remove(&self.table))
                .unwrap_or_default();
            if requests.is_empty() {
                return Ok(());
            }
            backoff(attempt).await;
        }
        Err(StoreError::Unavailable(
            "BatchWriteItem: requests left unprocessed".into(),
        ))
    }
}

#[async_trait]
impl PostStore for DynamoStore {
    /// One GetItem of the image and one TransactWriteItems (post + image), repeated only if the
    /// image changed status in between.
    async fn create_post(&self, post: &Post) -> StoreResult<Post> {
        let image_key = key(image_pk(post.image_id), IMAGE_SK);
        for attempt in 0..CREATE_ATTEMPTS {
            let image = self
                .get("image", image_key.clone())
                .await?
                .ok_or(StoreError::NotFound)?;
            let status = get_media_status(&image)?;
            let record = image_from(&image)?;
            let born = Post {
                status,
                failure: record.failure,
                placeholder: record.placeholder,
                comment_count: 0,
                recent_comments: Vec::new(),
                ..post.clone()
            };
            let register = built(
                Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(image_key.clone()))
                    .update_expression(format!("ADD {POST_IDS} :post"))
                    .condition_expression("#st = :seen")
                    .expression_attribute_names("#st", STATUS)
                    .expression_attribute_values(
                        ":post",
                        AttributeValue::Ss(vec![post.id.to_string()]),
                    )
                    .expression_attribute_values(":seen", s(status.as_str()))
                    .build(),
            )?;
            let items = vec![
                self.put(post_item(&born)?)?,
                TransactWriteItem::builder().update(register).build(),
            ];
            let seed = format!("create_post|{}|{attempt}", post.id);
            match transact(&self.client, "create post", items, &seed).await? {
                Ok(()) => return Ok(born),
                Err(failed) if failed.item(0) => return Err(StoreError::AlreadyExists),
                Err(_) => continue,
            }
        }
        Err(StoreError::Unavailable(
            "create post: the image kept changing".into(),
        ))
    }

    /// One strongly consistent GetItem.
    async fn get_post(&self, id: Id) -> StoreResult<Option<Post>> {
        let item = self.get("post", key(post_pk(id), POST_SK)).await?;
        item.as_ref().map(post_from).transpose()
    }

    /// One conditional DeleteItem of the post, then its comments by Query + BatchWriteItem (not one
    /// transaction: a post may have more than 99 comments). Once the post is gone no comment can be
    /// added (`add_comment` is conditional on the post), so the sweep is complete. If the sweep
    /// fails half-way the caller gets `Unavailable` and the leftover comments are unreachable
    /// (every comment route loads the post first); nothing removes them yet.
    async fn delete_post(&self, id: Id) -> StoreResult<()> {
        let delete = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(post_pk(id), POST_SK)))
            .condition_expression("attribute_exists(pk)");
        match retry_conflicts(|| delete.clone().send()).await {
            Ok(_) => self.delete_comments(id).await,
            Err(e) if is_condition_failed(&e) => Err(StoreError::NotFound),
            Err(e) => Err(unavailable("DeleteItem post", &e)),
        }
    }

    /// One Query on a feed GSI (`ScanIndexForward=false`, `limit + 1`).
    async fn list_posts(&self, query: &FeedQuery, after: Option<&str>) -> StoreResult<Page<Post>> {
        let after = after
            .map(|a| parse_feed_continuation(query.sort, a))
            .transpose()?;
        let (index, partition, value, sort) = match (&query.author, query.sort) {
            (None, FeedSort::Comments) => (GSI_FEED, FEED_PK, FEED_PARTITION, FEED_SK),
            (None, FeedSort::New) => (GSI_FEED_NEW, FEED_PK, FEED_PARTITION, NEW_SK),
            (Some(a), FeedSort::Comments) => (GSI_AUTHOR_FEED, AUTHOR_PK, a.as_str(), FEED_SK),
            (Some(a), FeedSort::New) => (GSI_AUTHOR_NEW, AUTHOR_PK, a.as_str(), NEW_SK),
        };
        let condition = match after {
            Some(_) => format!("{partition} = :p AND {sort} < :after"),
            None => format!("{partition} = :p"),
        };
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression(condition)
            .expression_attribute_values(":p", s(value))
            .scan_index_forward(false)
            .limit(query_limit(query.limit));
        if let Some(after) = after {
            request = request.expression_attribute_values(":after", s(after));
        }
        let out = request
            .send()
            .await
            .map_err(|e| unavailable("Query feed", &e))?;
        let more = out.last_evaluated_key.is_some();
        let mut items = out
            .items
            .unwrap_or_default()
            .iter()
            .map(post_from)
            .collect::<StoreResult<Vec<_>>>()?;
        let next = page_end(&mut items, query.limit, more)
            .map(|p| feed_continuation(query.sort, p.comment_count, p.id));
        Ok(Page { items, next })
    }
}
