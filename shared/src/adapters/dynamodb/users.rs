//! `UserStore` on DynamoDB: one item per user, conditional put and conditional update.

use async_trait::async_trait;

use super::DynamoStore;
use super::errors::{is_condition_failed, retry_conflicts, unavailable};
use super::items::{key, s, user_from, user_item};
use super::keys::{USER_SK, user_pk};
use crate::domain::User;
use crate::domain::{Page, Tier};
use crate::ports::TierStore;
use crate::ports::{StoreError, StoreResult, UserStore};

#[async_trait]
impl UserStore for DynamoStore {
    /// One PutItem with `attribute_not_exists(pk)`.
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(user_item(user)))
            .condition_expression("attribute_not_exists(pk)");
        match retry_conflicts(|| put.clone().send()).await {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failed(&e) => Err(StoreError::AlreadyExists),
            Err(e) => Err(unavailable("PutItem user", &e)),
        }
    }

    /// One strongly consistent GetItem.
    async fn get_user(&self, username: &str) -> StoreResult<Option<User>> {
        let got = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(username), USER_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("GetItem user", &e))?;
        got.item().map(user_from).transpose()
    }

    /// One UpdateItem conditional on the user existing.
    async fn update_user(&self, user: &User) -> StoreResult<()> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(user.username.as_str()), USER_SK)))
            .update_expression("SET password_hash = :h, tier = :t, #role = :r")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":h", s(&user.password_hash))
            .expression_attribute_values(":t", s(&user.tier))
            .expression_attribute_values(":r", s(user.role.as_str()));
        match retry_conflicts(|| update.clone().send()).await {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failed(&e) => Err(StoreError::NotFound),
            Err(e) => Err(unavailable("UpdateItem user", &e)),
        }
    }
    async fn list_users(&self, _limit: u32, _after: Option<&str>) -> StoreResult<Page<User>> {
        Err(StoreError::Unavailable(
            "list_users: not implemented yet".into(),
        ))
    }
}

#[async_trait]
impl TierStore for DynamoStore {
    async fn create_tier(&self, _tier: &Tier) -> StoreResult<()> {
        Err(StoreError::Unavailable("tiers: not implemented yet".into()))
    }

    async fn get_tier(&self, _name: &str) -> StoreResult<Option<Tier>> {
        Err(StoreError::Unavailable("tiers: not implemented yet".into()))
    }

    async fn update_tier(&self, _tier: &Tier) -> StoreResult<()> {
        Err(StoreError::Unavailable("tiers: not implemented yet".into()))
    }

    async fn delete_tier(&self, _name: &str) -> StoreResult<()> {
        Err(StoreError::Unavailable("tiers: not implemented yet".into()))
    }

    async fn list_tiers(&self, _limit: u32, _after: Option<&str>) -> StoreResult<Page<Tier>> {
        Err(StoreError::Unavailable("tiers: not implemented yet".into()))
    }
}
