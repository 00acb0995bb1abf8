//! `TierStore` on DynamoDB: one item per tier in the `TIERS` partition, counting its users.
//!
//! A tier item (`pk = "TIERS"`, `sk = <name>`) holds the definition and `user_count`, which every
//! user write changes in its own transaction (`users.rs`). So "no user is on this tier" is a
//! property of one item, and `delete_tier` is ONE DeleteItem conditional on `user_count = 0`: a
//! user created on the tier or moved to it either commits first (and the delete fails) or finds the
//! tier gone (and fails with `NO_SUCH_TIER`). No scan of the users, and no race.
//!
//! The cost is that every signup writes its tier's item: one item takes about 1,000 WCU/s, and
//! concurrent transactions on it cancel each other (`TransactionConflict`, retried with jittered
//! backoff by `errors::transact`). Signups are far below that; beyond it, split the count over N
//! items per tier (`TIERS#<name>#<shard>`) and have `delete_tier` check all N in one transaction.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};

use super::errors::{is_condition_failed, retry_conflicts, unavailable};
use super::items::{Item, USER_COUNT, corrupt, get_bool, get_s, key, n, s};
use super::keys::{TIERS_PARTITION, parse_tier_continuation};
use super::{DynamoStore, page_end, query_limit};
use crate::domain::{Page, Tier};
use crate::ports::{StoreError, StoreResult, TIER_IN_USE, TierStore};

/// The primary key of a tier (see `TIERS_PARTITION`).
pub(super) fn tier_key(name: &str) -> Item {
    key(TIERS_PARTITION.to_owned(), name)
}

/// A new tier, on no user yet. `thumbnail_heights` is a list (it may be empty; a set may not).
fn tier_item(t: &Tier) -> Item {
    let mut item = tier_key(&t.name);
    item.extend([
        ("name".into(), s(&t.name)),
        ("thumbnail_heights".into(), heights(&t.thumbnail_heights)),
        (
            "original_link".into(),
            AttributeValue::Bool(t.original_link),
        ),
        (
            "expiring_links".into(),
            AttributeValue::Bool(t.expiring_links),
        ),
        (USER_COUNT.into(), n(0)),
    ]);
    item
}

fn heights(h: &[u32]) -> AttributeValue {
    AttributeValue::L(h.iter().map(n).collect())
}

fn tier_from(item: &Item) -> StoreResult<Tier> {
    let heights = match item.get("thumbnail_heights") {
        Some(AttributeValue::L(list)) => list
            .iter()
            .map(|v| match v {
                AttributeValue::N(h) => h.parse().map_err(|_| corrupt("thumbnail_heights")),
                _ => Err(corrupt("thumbnail_heights")),
            })
            .collect::<StoreResult<Vec<u32>>>()?,
        _ => return Err(corrupt("thumbnail_heights")),
    };
    Ok(Tier {
        name: get_s(item, "name")?.to_owned(),
        thumbnail_heights: heights,
        original_link: get_bool(item, "original_link")?,
        expiring_links: get_bool(item, "expiring_links")?,
    })
}

#[async_trait]
impl TierStore for DynamoStore {
    /// One PutItem with `attribute_not_exists(pk)` (`user_count` 0).
    async fn create_tier(&self, tier: &Tier) -> StoreResult<()> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(tier_item(tier)))
            .condition_expression("attribute_not_exists(pk)");
        match retry_conflicts(|| put.clone().send()).await {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failed(&e) => Err(StoreError::AlreadyExists),
            Err(e) => Err(unavailable("PutItem tier", &e)),
        }
    }

    /// One strongly consistent GetItem.
    async fn get_tier(&self, name: &str) -> StoreResult<Option<Tier>> {
        let item = self.get("tier", tier_key(name)).await?;
        item.as_ref().map(tier_from).transpose()
    }

    /// One UpdateItem of the definition (never `user_count`), conditional on the tier existing.
    async fn update_tier(&self, tier: &Tier) -> StoreResult<()> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(tier_key(&tier.name)))
            .update_expression(
                "SET thumbnail_heights = :h, original_link = :o, expiring_links = :e",
            )
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":h", heights(&tier.thumbnail_heights))
            .expression_attribute_values(":o", AttributeValue::Bool(tier.original_link))
            .expression_attribute_values(":e", AttributeValue::Bool(tier.expiring_links));
        match retry_conflicts(|| update.clone().send()).await {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failed(&e) => Err(StoreError::NotFound),
            Err(e) => Err(unavailable("UpdateItem tier", &e)),
        }
    }

    /// One DeleteItem conditional on `user_count = 0`; a failed condition returns the old item,
    /// which tells `TIER_IN_USE` (it exists) from `NotFound`.
    async fn delete_tier(&self, name: &str) -> StoreResult<()> {
        let delete = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(tier_key(name)))
            .condition_expression(format!("attribute_exists(pk) AND {USER_COUNT} = :zero"))
            .expression_attribute_values(":zero", n(0))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match retry_conflicts(|| delete.clone().send()).await {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(DeleteItemError::ConditionalCheckFailedException(c)) => {
                    Err(if c.item().is_some() {
                        StoreError::Conflict(TIER_IN_USE)
                    } else {
                        StoreError::NotFound
                    })
                }
                _ => Err(unavailable("DeleteItem tier", &e)),
            },
        }
    }

    /// One strongly consistent Query of the `TIERS` partition (`limit + 1`, ascending `sk`: byte
    /// order, as the contract asks).
    async fn list_tiers(&self, limit: u32, after: Option<&str>) -> StoreResult<Page<Tier>> {
        let after = after.map(parse_tier_continuation).transpose()?;
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_values(":p", s(TIERS_PARTITION))
            .consistent_read(true)
            .limit(query_limit(limit));
        request = match after {
            Some(after) => request
                .key_condition_expression("pk = :p AND sk > :after")
                .expression_attribute_values(":after", s(after)),
            None => request.key_condition_expression("pk = :p"),
        };
        let out = request
            .send()
            .await
            .map_err(|e| unavailable("Query tiers", &e))?;
        let more = out.last_evaluated_key.is_some();
        let mut items = out
            .items()
            .iter()
            .map(tier_from)
            .collect::<StoreResult<Vec<_>>>()?;
        let next = page_end(&mut items, limit, more).map(|t| t.name.clone());
        Ok(Page { items, next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_round_trip_with_no_thumbnails_and_start_unused() {
        let tier = Tier::new("Bare", vec![], true, false).unwrap();
        let item = tier_item(&tier);
        assert_eq!(item[USER_COUNT], n(0));
        assert_eq!(tier_from(&item).unwrap(), tier);
        let gold = Tier::new("Gold", vec![400, 200], false, true).unwrap();
        assert_eq!(tier_from(&tier_item(&gold)).unwrap(), gold);
    }
}
