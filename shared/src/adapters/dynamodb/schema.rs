//! The table and its GSIs: the one definition the tests create and the SAM template copies.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus,
};

use super::errors::{built, unavailable};
use super::keys::{
    AUTHOR_PK, FEED_PK, FEED_SK, GSI_AUTHOR_FEED, GSI_AUTHOR_NEW, GSI_FEED, GSI_FEED_NEW,
    GSI_IMAGES_BY_OWNER, NEW_SK, OWNER_PK, OWNER_SK, PK, SK,
};
use crate::ports::{StoreError, StoreResult};

/// What `CreateTable` needs besides the name and billing mode.
#[derive(Debug, Clone)]
pub struct TableDefinition {
    pub attributes: Vec<AttributeDefinition>,
    pub key_schema: Vec<KeySchemaElement>,
    pub indexes: Vec<GlobalSecondaryIndex>,
}

fn key(name: &str, kind: KeyType) -> StoreResult<KeySchemaElement> {
    built(
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build(),
    )
}

fn index(name: &str, partition: &str, sort: &str) -> StoreResult<GlobalSecondaryIndex> {
    built(
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key(partition, KeyType::Hash)?)
            .key_schema(key(sort, KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build(),
    )
}

/// The table layout (on-demand billing). For the SAM template, exactly:
///
/// ```yaml
/// Type: AWS::DynamoDB::Table
/// Properties:
///   BillingMode: PAY_PER_REQUEST
///   AttributeDefinitions:            # all S
///     - {AttributeName: pk, AttributeType: S}
///     - {AttributeName: sk, AttributeType: S}
///     - {AttributeName: feed_pk, AttributeType: S}
///     - {AttributeName: feed_sk, AttributeType: S}
///     - {AttributeName: new_sk, AttributeType: S}
///     - {AttributeName: author_pk, AttributeType: S}
///     - {AttributeName: owner_pk, AttributeType: S}
///     - {AttributeName: owner_sk, AttributeType: S}
///   KeySchema: [{AttributeName: pk, KeyType: HASH}, {AttributeName: sk, KeyType: RANGE}]
///   GlobalSecondaryIndexes:          # every one Projection: {ProjectionType: ALL}
///     - IndexName: feed              # feed_pk HASH, feed_sk RANGE
///     - IndexName: feed_new          # feed_pk HASH, new_sk RANGE
///     - IndexName: author_feed       # author_pk HASH, feed_sk RANGE
///     - IndexName: author_new        # author_pk HASH, new_sk RANGE
///     - IndexName: images_by_owner   # owner_pk HASH, owner_sk RANGE
/// ```
///
/// The feed indexes are sparse: only ready posts carry `feed_pk` / `author_pk` (module doc).
/// `images_by_owner` is sparse too (only listed images), and also holds every user, in the
/// partition `owner_pk = "USERS"` (`keys::USERS_PARTITION`).
pub fn table_definition() -> StoreResult<TableDefinition> {
    let attributes = [
        PK, SK, FEED_PK, FEED_SK, NEW_SK, AUTHOR_PK, OWNER_PK, OWNER_SK,
    ]
    .into_iter()
    .map(|name| {
        built(
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build(),
        )
    })
    .collect::<StoreResult<Vec<_>>>()?;
    Ok(TableDefinition {
        attributes,
        key_schema: vec![key(PK, KeyType::Hash)?, key(SK, KeyType::Range)?],
        indexes: vec![
            index(GSI_FEED, FEED_PK, FEED_SK)?,
            index(GSI_FEED_NEW, FEED_PK, NEW_SK)?,
            index(GSI_AUTHOR_FEED, AUTHOR_PK, FEED_SK)?,
            index(GSI_AUTHOR_NEW, AUTHOR_PK, NEW_SK)?,
            index(GSI_IMAGES_BY_OWNER, OWNER_PK, OWNER_SK)?,
        ],
    })
}

/// Creates `table` as [`table_definition`] says and waits until it is `ACTIVE`.
/// A table of that name that already exists is `AlreadyExists` (and is left alone).
pub async fn create_table(client: &Client, table: &str) -> StoreResult<()> {
    let def = table_definition()?;
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(def.attributes))
        .set_key_schema(Some(def.key_schema))
        .set_global_secondary_indexes(Some(def.indexes))
        .send()
        .await;
    if let Err(e) = created {
        let in_use = e
            .as_service_error()
            .is_some_and(|s| s.is_resource_in_use_exception());
        return Err(if in_use {
            StoreError::AlreadyExists
        } else {
            unavailable("CreateTable", &e)
        });
    }
    for _ in 0..300 {
        let described = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| unavailable("DescribeTable", &e))?;
        if described.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Err(StoreError::Unavailable(format!(
        "table {table} did not become ACTIVE"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_attribute_is_defined_once() {
        let def = table_definition().unwrap();
        let defined: Vec<&str> = def.attributes.iter().map(|a| a.attribute_name()).collect();
        let mut used: Vec<&str> = def
            .indexes
            .iter()
            .flat_map(|i| i.key_schema())
            .chain(&def.key_schema)
            .map(|k| k.attribute_name())
            .collect();
        used.sort_unstable();
        used.dedup();
        let mut sorted = defined.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, used);
        assert_eq!(def.indexes.len(), 5);
    }
}
