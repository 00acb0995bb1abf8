//! `MediaStore` on DynamoDB: uploads, images, and finishing an image together with its posts (the
//! library operations are in `library.rs`).
//!
//! `finish_image` is one UpdateItem of the image conditional on `status = processing` (so exactly
//! one caller wins, even with twenty at once) returning the new item, whose `post_ids` names every
//! post of the image; each of those posts is then updated conditionally from `processing`. The posts
//! cannot be missed: `create_post` registers its id on the image in the same transaction that writes
//! the post, conditional on the image status it copied (see `posts.rs`), so a post is either
//! registered before the image update (and listed in its result) or born finished.
//!
//! The image and its posts are separate writes (a transaction would cap an image at 99 posts). If
//! the winner dies between them, the event is redelivered and the duplicate `finish_image` finds the
//! image finished; it then re-applies the stored outcome to any listed post still `processing`
//! before returning `false`. In every other case those conditional writes change nothing.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};

use super::errors::{is_condition_failed, retry_conflicts, transact, unavailable};
use super::items::{
    AUTHOR, COLOR, FAILURE_CODE, FAILURE_MESSAGE, HEIGHT, Item, RENDITIONS, STATUS, THUMBHASH,
    WIDTH, get_media_status, get_post_ids, image_from, image_item, key, n, rendition_set, s,
    upload_from, upload_item,
};
use super::keys::{
    AUTHOR_PK, FEED_PARTITION, FEED_PK, FEED_SK, GSI_AUTHOR_NEW, GSI_IMAGES_BY_OWNER, IMAGE_SK,
    NEW_SK, OWNER_PK, OWNER_SK, POST_SK, UPLOAD_SK, feed_sk, image_pk, parse_image_continuation,
    post_pk, upload_pk, uploads_by_status_pk, uploads_pk,
};
use super::{DynamoStore, page_end, query_limit};
use crate::domain::{
    Failure, Id, Image, MediaStatus, Outcome, Page, Placeholder, Upload, UploadStatus,
};
use crate::ports::{MediaStore, StoreError, StoreResult, UploadQuery};

impl DynamoStore {
    /// Moves one post of a finished image from `processing` to `status`; a post that is gone or
    /// already finished is left alone.
    async fn finish_post(
        &self,
        post: Id,
        status: MediaStatus,
        failure: Option<&Failure>,
        placeholder: Option<&Placeholder>,
    ) -> StoreResult<()> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(post_pk(post), POST_SK)))
            .condition_expression("attribute_exists(pk) AND #st = :processing")
            .expression_attribute_names("#st", STATUS)
            .expression_attribute_values(":processing", s(MediaStatus::Processing.as_str()))
            .expression_attribute_values(":st", s(status.as_str()));
        update = match failure {
            // A post is processing only before its first comment, so its count is 0.
            None if status == MediaStatus::Ready => update
                .update_expression(format!(
                    "SET #st = :st, {FEED_PK} = :feed, {AUTHOR_PK} = #author, \
                     {FEED_SK} = :fsk, {NEW_SK} = :id"
                ))
                .expression_attribute_names("#author", AUTHOR)
                .expression_attribute_values(":feed", s(FEED_PARTITION))
                .expression_attribute_values(":fsk", s(feed_sk(0, post)))
                .expression_attribute_values(":id", s(post.to_string())),
            _ => with_failure(update.update_expression("SET #st = :st"), failure),
        };
        if let Some(p) = placeholder {
            let expression = update.get_update_expression().clone().unwrap_or_default();
            update = update
                .update_expression(format!("{expression}, {THUMBHASH} = :th, {COLOR} = :color"))
                .expression_attribute_values(":th", s(&p.thumbhash))
                .expression_attribute_values(":color", s(&p.color));
        }
        match retry_conflicts(|| update.clone().send()).await {
            Err(e) if !is_condition_failed(&e) => Err(unavailable("UpdateItem post", &e)),
            _ => Ok(()),
        }
    }

    async fn finish_posts(&self, image: &Item) -> StoreResult<()> {
        let status = get_media_status(image)?;
        let image_record = image_from(image)?;
        for post in get_post_ids(image)? {
            self.finish_post(
                post,
                status,
                image_record.failure.as_ref(),
                image_record.placeholder.as_ref(),
            )
            .await?;
        }
        Ok(())
    }
}

/// Adds `failure_code` / `failure_message` to a `SET` update (appending to its expression).
fn with_failure(
    update: UpdateItemFluentBuilder,
    failure: Option<&Failure>,
) -> UpdateItemFluentBuilder {
    let Some(f) = failure else { return update };
    let expression = update.get_update_expression().clone().unwrap_or_default();
    update
        .update_expression(format!(
            "{expression}, {FAILURE_CODE} = :fc, {FAILURE_MESSAGE} = :fm"
        ))
        .expression_attribute_values(":fc", s(&f.code))
        .expression_attribute_values(":fm", s(&f.message))
}

#[async_trait]
impl MediaStore for DynamoStore {
    /// One TransactWriteItems: both puts with `attribute_not_exists(pk)`.
    async fn create_upload(&self, upload: &Upload, image: &Image) -> StoreResult<()> {
        let items = vec![self.put(upload_item(upload))?, self.put(image_item(image))?];
        let seed = format!("create_upload|{}", upload.id);
        match transact(&self.client, "create upload", items, &seed).await? {
            Ok(()) => Ok(()),
            Err(_) => Err(StoreError::AlreadyExists),
        }
    }

    /// One strongly consistent GetItem.
    async fn get_upload(&self, id: Id) -> StoreResult<Option<Upload>> {
        let item = self.get("upload", key(upload_pk(id), UPLOAD_SK)).await?;
        item.as_ref().map(upload_from).transpose()
    }

    /// One UpdateItem conditional on the current status; on failure the old item (returned by the
    /// failed condition) tells `Conflict` from `NotFound`.
    async fn set_upload_status(&self, upload: &Upload, to: UploadStatus) -> StoreResult<()> {
        let (id, from, owner) = (upload.id, upload.status, &upload.owner);
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(upload_pk(id), UPLOAD_SK)))
            .update_expression(format!("SET #st = :to, {OWNER_PK} = :by_status"))
            .condition_expression("attribute_exists(pk) AND #st = :from")
            .expression_attribute_names("#st", STATUS)
            .expression_attribute_values(":from", s(from.as_str()))
            .expression_attribute_values(":to", s(to.as_str()))
            .expression_attribute_values(":by_status", s(uploads_by_status_pk(owner, to)))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match retry_conflicts(|| update.clone().send()).await {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(c)) => {
                    Err(if c.item().is_some() {
                        StoreError::Conflict("upload is not in the expected state")
                    } else {
                        StoreError::NotFound
                    })
                }
                _ => Err(unavailable("UpdateItem upload", &e)),
            },
        }
    }

    /// One UpdateItem of the image (conditional on it existing) returning its `post_ids`, then one
    /// UpdateItem per post (conditional on the post existing).
    async fn set_placeholder(&self, id: Id, placeholder: &Placeholder) -> StoreResult<()> {
        let set = |update: UpdateItemFluentBuilder| {
            update
                .update_expression(format!("SET {THUMBHASH} = :th, {COLOR} = :color"))
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_values(":th", s(&placeholder.thumbhash))
                .expression_attribute_values(":color", s(&placeholder.color))
        };
        let image = set(self.client.update_item())
            .table_name(&self.table)
            .set_key(Some(key(image_pk(id), IMAGE_SK)))
            .return_values(ReturnValue::AllNew);
        let image = match retry_conflicts(|| image.clone().send()).await {
            Ok(out) => out
                .attributes
                .ok_or_else(|| StoreError::Unavailable("UpdateItem image: no item".into()))?,
            Err(e) if is_condition_failed(&e) => return Err(StoreError::NotFound),
            Err(e) => return Err(unavailable("UpdateItem image placeholder", &e)),
        };
        for post in get_post_ids(&image)? {
            let update = set(self.client.update_item())
                .table_name(&self.table)
                .set_key(Some(key(post_pk(post), POST_SK)));
            match retry_conflicts(|| update.clone().send()).await {
                Ok(_) => {}
                Err(e) if is_condition_failed(&e) => {}
                Err(e) => return Err(unavailable("UpdateItem post placeholder", &e)),
            }
        }
        Ok(())
    }

    /// One Query: `author_new` for all of the owner's uploads, `images_by_owner` for one status
    /// (see `keys::uploads_pk`), newest first, ids above `since` only.
    async fn list_uploads(
        &self,
        query: &UploadQuery,
        after: Option<&str>,
    ) -> StoreResult<Page<Upload>> {
        let before = after.map(parse_image_continuation).transpose()?;
        let (index, pk, sk, partition) = match query.status {
            Some(status) => (
                GSI_IMAGES_BY_OWNER,
                OWNER_PK,
                OWNER_SK,
                uploads_by_status_pk(&query.owner, status),
            ),
            None => (GSI_AUTHOR_NEW, AUTHOR_PK, NEW_SK, uploads_pk(&query.owner)),
        };
        // "0" sorts below every ULID (a key condition value cannot be empty).
        let since = query
            .since
            .map_or_else(|| "0".to_owned(), |id| id.to_string());
        // BETWEEN includes both ends (the continuation and `since`): read two more, drop them.
        let skip = 2 * i32::from(before.is_some());
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .expression_attribute_values(":p", s(partition))
            .expression_attribute_values(":since", s(&since))
            .scan_index_forward(false)
            .limit(query_limit(query.limit).saturating_add(skip));
        request = match &before {
            Some(b) => request
                .key_condition_expression(format!("{pk} = :p AND {sk} BETWEEN :since AND :before"))
                .expression_attribute_values(":before", s(b)),
            None => request.key_condition_expression(format!("{pk} = :p AND {sk} > :since")),
        };
        let out = request
            .send()
            .await
            .map_err(|e| unavailable("Query uploads", &e))?;
        let more = out.last_evaluated_key.is_some();
        let mut items = out
            .items()
            .iter()
            .map(upload_from)
            // BETWEEN includes both ends: the page starts below the continuation.
            .filter(|u| {
                u.as_ref().map_or(true, |u| {
                    let id = u.id.to_string();
                    id != since && Some(&id) != before.as_ref()
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let next = page_end(&mut items, query.limit, more).map(|u| u.id.to_string());
        Ok(Page { items, next })
    }

    /// One strongly consistent GetItem.
    async fn get_image(&self, id: Id) -> StoreResult<Option<Image>> {
        let item = self.get("image", key(image_pk(id), IMAGE_SK)).await?;
        item.as_ref().map(image_from).transpose()
    }

    /// One conditional UpdateItem of the image (status, size and `ADD renditions`), then one
    /// conditional UpdateItem per post of it.
    async fn finish_image(&self, id: Id, outcome: &Outcome) -> StoreResult<bool> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(image_pk(id), IMAGE_SK)))
            .condition_expression("#st = :processing")
            .expression_attribute_names("#st", STATUS)
            .expression_attribute_values(":processing", s(MediaStatus::Processing.as_str()))
            .return_values(ReturnValue::AllNew);
        let update = match outcome {
            Outcome::Ready {
                width,
                height,
                renditions,
                placeholder,
            } => {
                let mut set = format!("SET #st = :st, {WIDTH} = :w, {HEIGHT} = :h");
                let mut update = update;
                if let Some(p) = placeholder {
                    set.push_str(&format!(", {THUMBHASH} = :th, {COLOR} = :color"));
                    update = update
                        .expression_attribute_values(":th", s(&p.thumbhash))
                        .expression_attribute_values(":color", s(&p.color));
                }
                let update = update
                    .expression_attribute_values(":st", s(MediaStatus::Ready.as_str()))
                    .expression_attribute_values(":w", n(width))
                    .expression_attribute_values(":h", n(height));
                match rendition_set(renditions) {
                    Some(names) => update
                        .update_expression(format!("{set} ADD {RENDITIONS} :r"))
                        .expression_attribute_values(":r", names),
                    None => update.update_expression(set),
                }
            }
            Outcome::Failed(f) => with_failure(
                update
                    .update_expression("SET #st = :st")
                    .expression_attribute_values(":st", s(MediaStatus::Failed.as_str())),
                Some(f),
            ),
        };
        match retry_conflicts(|| update.clone().send()).await {
            Ok(out) => {
                let image = out
                    .attributes
                    .ok_or_else(|| StoreError::Unavailable("UpdateItem image: no item".into()))?;
                self.finish_posts(&image).await?;
                Ok(true)
            }
            Err(e) if is_condition_failed(&e) => {
                // Unknown, or finished before: complete what a winner that died half-way left.
                if let Some(image) = self.get("image", key(image_pk(id), IMAGE_SK)).await?
                    && get_media_status(&image)? != MediaStatus::Processing
                {
                    self.finish_posts(&image).await?;
                }
                Ok(false)
            }
            Err(e) => Err(unavailable("UpdateItem image", &e)),
        }
    }
}
