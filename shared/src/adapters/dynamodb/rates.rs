//! `RateStore` on DynamoDB: one item per (key, window), `pk = RATE#<key>`, `sk = <window>`,
//! incremented with one UpdateItem (`ADD hits :amount`, atomic across Lambda environments) that
//! also sets the table's `ttl` attribute, so DynamoDB deletes the counter once it is past.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;
use chrono::{DateTime, Utc};

use super::DynamoStore;
use super::errors::unavailable;
use super::items::{get_opt_n, key, n};
use crate::ports::{RateStore, StoreResult};

const HITS: &str = "hits";
/// The table's TTL attribute (template.yaml `TimeToLiveSpecification`), epoch seconds.
const TTL: &str = "ttl";

fn pk(counter: &str) -> String {
    format!("RATE#{counter}")
}

#[async_trait]
impl RateStore for DynamoStore {
    async fn add(
        &self,
        counter: &str,
        window: i64,
        amount: u64,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(pk(counter), &window.to_string())))
            .update_expression(format!("ADD {HITS} :amount SET #ttl = :ttl"))
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":amount", n(amount))
            .expression_attribute_values(":ttl", n(expires_at.timestamp()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| unavailable("UpdateItem rate counter", &e))?;
        let item = out.attributes.unwrap_or_default();
        Ok(get_opt_n::<u64>(&item, HITS)?.unwrap_or(0))
    }

    async fn total(&self, counter: &str, window: i64) -> StoreResult<u64> {
        let item = self
            .get("rate counter", key(pk(counter), &window.to_string()))
            .await?;
        // An expired counter that TTL has not deleted yet belongs to a past window: never read.
        Ok(match item {
            Some(item) => get_opt_n::<u64>(&item, HITS)?.unwrap_or(0),
            None => 0,
        })
    }
}
