//! An owner's image library on DynamoDB: listing an image, its rendition set, and the listing pages.
//!
//! `images_by_owner` (`owner_pk = <owner>`, `owner_sk = <image id>`) is sparse: `list_image` sets
//! both keys in the same UpdateItem that sets `listed`, so the index holds exactly the listed images
//! and a page is one Query, newest (ULID) first. (Images written before the library existed carry
//! the keys from creation and would show unlisted; a one-off backfill REMOVEs them where `listed`
//! is absent.) The same index also lists users, in the `USERS` partition (`keys::USERS_PARTITION`).
//!
//! Every read here is a GSI Query, so eventually consistent: an image listed a moment ago may be
//! missing from a page read right after.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnConsumedCapacity, ReturnValue, ReturnValuesOnConditionCheckFailure,
};

use super::errors::{is_condition_failed, retry_conflicts, unavailable};
use super::items::{
    ALT_TEXT, FIT_HEIGHT, FIT_WIDTH, ID, LISTED, OWNER, RENDITIONS, TITLE, TITLE_FOLD, image_from,
    key, rendition_set, s,
};
use super::keys::{
    GSI_IMAGES_BY_OWNER, IMAGE_SK, OWNER_PK, OWNER_SK, image_pk, parse_image_continuation,
};
use super::{DynamoStore, page_end, query_limit};
use crate::domain::{Id, Image, Page, Rendition, fold_title};
use crate::ports::{ALREADY_LISTED, ImageQuery, LibraryStore, Listing, StoreError, StoreResult};

/// Queries one title-filtered page may run.
const FILTERED_QUERIES: u32 = 5;
/// Read capacity one title-filtered page may use: 128 RCU is 1 MB read eventually consistently
/// (0.5 RCU per 4 KB). DynamoDB also caps every single Query at 1 MB.
const FILTERED_READ_UNITS: f64 = 128.0;

impl DynamoStore {
    /// One Query of the owner's partition of `images_by_owner`, newest first, below `before`;
    /// `Limit` counts the items read, before `title` filters them.
    async fn query_library(
        &self,
        owner: &str,
        before: Option<&str>,
        title: Option<&str>,
        limit: i32,
    ) -> StoreResult<QueryOutput> {
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI_IMAGES_BY_OWNER)
            .expression_attribute_values(":owner", s(owner))
            .scan_index_forward(false)
            .limit(limit)
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        request = match before {
            Some(b) => request
                .key_condition_expression(format!("{OWNER_PK} = :owner AND {OWNER_SK} < :before"))
                .expression_attribute_values(":before", s(b)),
            None => request.key_condition_expression(format!("{OWNER_PK} = :owner")),
        };
        if let Some(t) = title {
            request = request
                .filter_expression(format!("contains({TITLE_FOLD}, :title)"))
                .expression_attribute_values(":title", s(t));
        }
        request
            .send()
            .await
            .map_err(|e| unavailable("Query library", &e))
    }
}

#[async_trait]
impl LibraryStore for DynamoStore {
    /// One UpdateItem: title, folded title, fit, `listed` and the index keys, conditional on the
    /// image existing and not being listed; a failed condition returns the old item, which tells
    /// `ALREADY_LISTED` from `NotFound`.
    async fn list_image(&self, id: Id, listing: &Listing) -> StoreResult<Image> {
        let (title, fit) = (listing.title.as_str(), listing.fit);
        let mut set = format!("{LISTED} = :true, {OWNER_PK} = #owner, {OWNER_SK} = #id");
        let mut remove = Vec::new();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(image_pk(id), IMAGE_SK)))
            .condition_expression(format!(
                "attribute_exists(pk) AND (attribute_not_exists({LISTED}) OR {LISTED} = :false)"
            ))
            .expression_attribute_names("#owner", OWNER)
            .expression_attribute_names("#id", ID)
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        // Absent is "" (as `image_item` writes it).
        if title.is_empty() {
            remove.extend([TITLE, TITLE_FOLD]);
        } else {
            set.push_str(&format!(", {TITLE} = :title, {TITLE_FOLD} = :fold"));
            update = update
                .expression_attribute_values(":title", s(title))
                .expression_attribute_values(":fold", s(fold_title(title)));
        }
        if listing.alt_text.is_empty() {
            remove.push(ALT_TEXT);
        } else {
            set.push_str(&format!(", {ALT_TEXT} = :alt"));
            update = update.expression_attribute_values(":alt", s(&listing.alt_text));
        }
        match fit {
            Some(f) => {
                set.push_str(&format!(", {FIT_WIDTH} = :fw, {FIT_HEIGHT} = :fh"));
                update = update
                    .expression_attribute_values(":fw", AttributeValue::N(f.width.to_string()))
                    .expression_attribute_values(":fh", AttributeValue::N(f.height.to_string()));
            }
            None => remove.extend([FIT_WIDTH, FIT_HEIGHT]),
        }
        let mut expression = format!("SET {set}");
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let update = update.update_expression(expression);
        match retry_conflicts(|| update.clone().send()).await {
            Ok(out) => image_from(
                out.attributes()
                    .ok_or_else(|| StoreError::Unavailable("UpdateItem image: no item".into()))?,
            ),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(c)) => {
                    Err(if c.item().is_some() {
                        StoreError::Conflict(ALREADY_LISTED)
                    } else {
                        StoreError::NotFound
                    })
                }
                _ => Err(unavailable("UpdateItem image", &e)),
            },
        }
    }

    /// One UpdateItem `ADD renditions :set` (a set union, so concurrent adds all stay), conditional
    /// on the image existing. Nothing to add is one GetItem (an empty set is not a DynamoDB value).
    async fn add_renditions(&self, id: Id, renditions: &[Rendition]) -> StoreResult<()> {
        let image_key = key(image_pk(id), IMAGE_SK);
        let Some(set) = rendition_set(renditions) else {
            let found = self.get("image", image_key).await?;
            return found.map(|_| ()).ok_or(StoreError::NotFound);
        };
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(image_key))
            .update_expression(format!("ADD {RENDITIONS} :set"))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":set", set);
        match retry_conflicts(|| update.clone().send()).await {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failed(&e) => Err(StoreError::NotFound),
            Err(e) => Err(unavailable("UpdateItem image renditions", &e)),
        }
    }

    /// A page of the owner's library, newest first.
    ///
    /// Without a title: one Query (`limit + 1`). With one: the same Query filtered by
    /// `contains(title_fold, fold_title(title))`, repeated from its `LastEvaluatedKey` (each time
    /// reading twice as many items, from `limit + 1`) until `limit + 1` items matched, or
    /// [`FILTERED_QUERIES`] queries or [`FILTERED_READ_UNITS`] (≈ 1 MB) were spent. The page may
    /// then be short, even empty, and continues from the last image read, matched or not.
    ///
    /// How that scales: a filter is applied after the read and billed as the read, so walking a
    /// library for a title costs in proportion to the owner's library size, not to the matches: a
    /// term that matches nothing reads every listed image of the owner (≈ 0.5 KB each, so 100,000
    /// images ≈ 50 MB ≈ 6,000 RCU, spread over ~50 short pages a client must walk through). For
    /// libraries of a few thousand images this is a page or two. Beyond that, search belongs in a
    /// search index fed from the table's stream (OpenSearch, or an n-gram index of the folded
    /// titles), queried for ids, with the items then read by BatchGetItem.
    async fn list_images(
        &self,
        query: &ImageQuery,
        after: Option<&str>,
    ) -> StoreResult<Page<Image>> {
        let mut before = after.map(parse_image_continuation).transpose()?;
        let owner = query.owner.as_str();
        let needle = query
            .title
            .as_deref()
            .map(fold_title)
            .filter(|t| !t.is_empty());
        let Some(needle) = needle else {
            let out = self
                .query_library(owner, before.as_deref(), None, query_limit(query.limit))
                .await?;
            let more = out.last_evaluated_key.is_some();
            let mut items = images(&out)?;
            let next = page_end(&mut items, query.limit, more).map(|i| i.id.to_string());
            return Ok(Page { items, next });
        };
        let mut items = Vec::new();
        let mut read_units = 0.0;
        let mut read_limit = query_limit(query.limit);
        for _ in 0..FILTERED_QUERIES {
            let out = self
                .query_library(owner, before.as_deref(), Some(&needle), read_limit)
                .await?;
            read_units += out
                .consumed_capacity()
                .and_then(|c| c.capacity_units())
                .unwrap_or(0.0);
            items.extend(images(&out)?);
            let Some(last_read) = last_read(&out)? else {
                // The end of the library.
                let next = page_end(&mut items, query.limit, false).map(|i| i.id.to_string());
                return Ok(Page { items, next });
            };
            before = Some(last_read);
            if items.len() > query.limit as usize || read_units >= FILTERED_READ_UNITS {
                break;
            }
            read_limit = read_limit.saturating_mul(2);
        }
        let next = match page_end(&mut items, query.limit, false) {
            Some(last) => Some(last.id.to_string()),
            None => before,
        };
        Ok(Page { items, next })
    }
}

fn images(out: &QueryOutput) -> StoreResult<Vec<Image>> {
    out.items().iter().map(image_from).collect()
}

/// The `owner_sk` of the last item a Query read (its `LastEvaluatedKey`), if it stopped early.
fn last_read(out: &QueryOutput) -> StoreResult<Option<String>> {
    let Some(last) = out.last_evaluated_key() else {
        return Ok(None);
    };
    match last.get(OWNER_SK) {
        Some(AttributeValue::S(id)) => Ok(Some(id.clone())),
        _ => Err(StoreError::Unavailable(
            "Query library: LastEvaluatedKey without owner_sk".into(),
        )),
    }
}
