//! `UserStore` on DynamoDB: one item per user; creating a user and moving one between tiers change
//! the tiers' `user_count` in the same transaction (see `tiers.rs` for why).
//!
//! - `create_user`: TransactWriteItems [Put user `attribute_not_exists(pk)`, Update tier
//!   `ADD user_count 1` if it exists]. A taken name is `AlreadyExists` (it wins if both fail), a
//!   missing tier `Conflict(NO_SUCH_TIER)`; either way nothing is written.
//! - `update_user`: GetItem user, then one TransactWriteItems: Update user conditional on the tier
//!   just read and, when the tier changes, `ADD user_count 1` on the new tier (if it exists) and
//!   `ADD user_count -1` on the old one, else a ConditionCheck that the tier exists. A concurrent
//!   change of tier cancels it; it is read again.
//! - `list_users`: one Query of the overloaded `images_by_owner` index (see `USERS_PARTITION`).
//!
//! Users written before tiers were counted (the migration gap): their tier never counted them, so
//! moving such a user must not decrement it below what it counts. The old tier's decrement is
//! therefore conditional on `user_count > 0`; when that fails, the move is committed without it.
//! Until a one-off recount, such a tier can be deleted while legacy users are on it.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{ConditionCheck, TransactWriteItem, Update};

use super::errors::{backoff, built, transact, unavailable};
use super::items::{TIER, USER_COUNT, key, n, s, user_from, user_item};
use super::keys::{
    GSI_IMAGES_BY_OWNER, OWNER_PK, OWNER_SK, USER_SK, USERS_PARTITION, parse_user_continuation,
    user_pk,
};
use super::tiers::tier_key;
use super::{DynamoStore, page_end, query_limit};
use crate::domain::{Id, Page, User};
use crate::ports::{NO_SUCH_TIER, StoreError, StoreResult, UserStore};

/// Reads of the user before `update_user` gives up (each retry follows a concurrent change).
const UPDATE_ATTEMPTS: u32 = 8;

impl DynamoStore {
    /// `ADD user_count :delta` on tier `name`, conditional on the tier existing (and, for a
    /// decrement, on the count staying non-negative).
    fn count_on_tier(&self, name: &str, delta: i64) -> StoreResult<TransactWriteItem> {
        let condition = if delta < 0 {
            format!("attribute_exists(pk) AND {USER_COUNT} >= :delta_abs")
        } else {
            "attribute_exists(pk)".to_owned()
        };
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(tier_key(name)))
            .update_expression(format!("ADD {USER_COUNT} :delta"))
            .condition_expression(condition)
            .expression_attribute_values(":delta", n(delta));
        if delta < 0 {
            update = update.expression_attribute_values(":delta_abs", n(delta.unsigned_abs()));
        }
        Ok(TransactWriteItem::builder()
            .update(built(update.build())?)
            .build())
    }

    /// A transaction item that holds only if tier `name` exists.
    fn tier_exists(&self, name: &str) -> StoreResult<TransactWriteItem> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(tier_key(name)))
            .condition_expression("attribute_exists(pk)")
            .build();
        Ok(TransactWriteItem::builder()
            .condition_check(built(check)?)
            .build())
    }

    /// The user's new tier, role and hash, valid only if the user is still on `read_tier`. Sets the
    /// listing keys too, so a user written before they existed is listed from now on.
    fn user_update(&self, user: &User, read_tier: &str) -> StoreResult<TransactWriteItem> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(user.username.as_str()), USER_SK)))
            .update_expression(format!(
                "SET password_hash = :h, {TIER} = :t, #role = :r, {OWNER_PK} = :users, \
                 {OWNER_SK} = :name"
            ))
            .condition_expression(format!("attribute_exists(pk) AND {TIER} = :read"))
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":h", s(&user.password_hash))
            .expression_attribute_values(":t", s(&user.tier))
            .expression_attribute_values(":r", s(user.role.as_str()))
            .expression_attribute_values(":users", s(USERS_PARTITION))
            .expression_attribute_values(":name", s(user.username.as_str()))
            .expression_attribute_values(":read", s(read_tier))
            .build();
        Ok(TransactWriteItem::builder().update(built(update)?).build())
    }

    /// One attempt at writing `user` over a record read on `read_tier`: `Ok(true)` when
    /// committed, `Ok(false)` when the user changed (or went away) since it was read.
    async fn try_update_user(&self, user: &User, read_tier: &str) -> StoreResult<bool> {
        let mut items = vec![self.user_update(user, read_tier)?];
        if read_tier == user.tier {
            // Only a user written before tiers were stored can be on a missing tier.
            items.push(self.tier_exists(&user.tier)?);
        } else {
            items.push(self.count_on_tier(&user.tier, 1)?);
            items.push(self.count_on_tier(read_tier, -1)?);
        }
        let seed = format!("update_user|{}|{}", user.username, Id::generate());
        match transact(&self.client, "update user", items.clone(), &seed).await? {
            Ok(()) => return Ok(true),
            Err(failed) if failed.item(0) => return Ok(false),
            Err(failed) if failed.item(1) => return Err(StoreError::Conflict(NO_SUCH_TIER)),
            // Only the old tier's decrement failed: that tier never counted this user (module
            // doc), so move the user without it.
            Err(_) => {
                tracing::warn!(user = %user.username, tier = read_tier, "user was not counted on its tier");
                items.truncate(2);
            }
        }
        match transact(
            &self.client,
            "update user",
            items,
            &format!("{seed}|legacy"),
        )
        .await?
        {
            Ok(()) => Ok(true),
            Err(failed) if failed.item(0) => Ok(false),
            Err(_) => Err(StoreError::Conflict(NO_SUCH_TIER)),
        }
    }
}

#[async_trait]
impl UserStore for DynamoStore {
    /// One TransactWriteItems (module doc).
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        let items = vec![
            self.put(user_item(user))?,
            self.count_on_tier(&user.tier, 1)?,
        ];
        // A fresh seed per call: the token only dedupes the SDK's retries of this one request, and
        // must not turn a later create of the same name into a replay.
        let seed = format!("create_user|{}|{}", user.username, Id::generate());
        match transact(&self.client, "create user", items, &seed).await? {
            Ok(()) => Ok(()),
            Err(failed) if failed.item(0) => Err(StoreError::AlreadyExists),
            Err(_) => Err(StoreError::Conflict(NO_SUCH_TIER)),
        }
    }

    /// One strongly consistent GetItem.
    async fn get_user(&self, username: &str) -> StoreResult<Option<User>> {
        let item = self.get("user", key(user_pk(username), USER_SK)).await?;
        item.as_ref().map(user_from).transpose()
    }

    /// GetItem + one TransactWriteItems (1 item, or 3 when the tier changes); repeated if the
    /// user's tier changed in between.
    async fn update_user(&self, user: &User) -> StoreResult<()> {
        for attempt in 0..UPDATE_ATTEMPTS {
            let current = self
                .get_user(user.username.as_str())
                .await?
                .ok_or(StoreError::NotFound)?;
            if self.try_update_user(user, &current.tier).await? {
                return Ok(());
            }
            backoff(attempt).await;
        }
        Err(StoreError::Unavailable(
            "update user: the user kept changing".into(),
        ))
    }

    /// One Query of `images_by_owner`, partition `USERS` (`limit + 1`, ascending). A GSI read is
    /// eventually consistent: a user created a moment ago may be missing from the page.
    async fn list_users(&self, limit: u32, after: Option<&str>) -> StoreResult<Page<User>> {
        let after = after.map(parse_user_continuation).transpose()?;
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI_IMAGES_BY_OWNER)
            .expression_attribute_values(":p", s(USERS_PARTITION))
            .limit(query_limit(limit));
        request = match after {
            Some(after) => request
                .key_condition_expression(format!("{OWNER_PK} = :p AND {OWNER_SK} > :after"))
                .expression_attribute_values(":after", s(after)),
            None => request.key_condition_expression(format!("{OWNER_PK} = :p")),
        };
        let out = request
            .send()
            .await
            .map_err(|e| unavailable("Query users", &e))?;
        let more = out.last_evaluated_key.is_some();
        let mut items = out
            .items()
            .iter()
            .map(user_from)
            .collect::<StoreResult<Vec<_>>>()?;
        let next = page_end(&mut items, limit, more).map(|u| u.username.to_string());
        Ok(Page { items, next })
    }
}
