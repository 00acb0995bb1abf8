//! `IdempotencyStore` on DynamoDB: one item per (user, key), `pk = IDEM#<user>`, `sk = <key>`
//! (usernames hold no `#`), with a `ttl` attribute (epoch seconds) so that DynamoDB deletes it a
//! day later; until it does, `expires_at` is checked on every read, as TTL deletes lazily.
//!
//! A claim is one conditional PutItem (`attribute_not_exists(pk) OR expires_at <= :now`), so two
//! Lambda environments can never both run a request; a failed condition returns the item it
//! found. Taking over a stale in-flight claim is one UpdateItem conditional on the lease seen.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};

use super::DynamoStore;
use super::errors::{is_condition_failed, unavailable};
use super::items::{Item, corrupt, get_n, get_opt_n, get_opt_s, get_s, key, n, s};
use crate::domain::{Id, Username};
use crate::ports::{
    Claim, ClaimRequest, IdempotencyRecord, IdempotencyState, IdempotencyStore, StoreError,
    StoreResult, StoredAnswer,
};

const FINGERPRINT: &str = "fingerprint";
const SEED: &str = "seed";
const STATUS: &str = "answer_status";
const CONTENT_TYPE: &str = "content_type";
const BODY: &str = "body";
const LEASE_UNTIL: &str = "lease_until";
const EXPIRES_AT: &str = "expires_at";
/// The table's TTL attribute (template.yaml `TimeToLiveSpecification`).
const TTL: &str = "ttl";

fn pk(user: &Username) -> String {
    format!("IDEM#{user}")
}

fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn record(item: &Item) -> StoreResult<IdempotencyRecord> {
    let state = match get_opt_n::<u16>(item, STATUS)? {
        Some(status) => IdempotencyState::Done(StoredAnswer {
            status,
            content_type: get_opt_s(item, CONTENT_TYPE)?.unwrap_or_default(),
            body: match item.get(BODY) {
                Some(AttributeValue::B(b)) => b.clone().into_inner(),
                None => Vec::new(),
                Some(_) => return Err(corrupt(BODY)),
            },
        }),
        None => IdempotencyState::InFlight {
            lease_until: from_millis(get_n(item, LEASE_UNTIL)?),
        },
    };
    Ok(IdempotencyRecord {
        fingerprint: get_s(item, FINGERPRINT)?.to_owned(),
        seed: Id::parse(get_s(item, SEED)?).ok_or_else(|| corrupt(SEED))?,
        state,
        expires_at: from_millis(get_n(item, EXPIRES_AT)?),
    })
}

fn from_millis(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

impl DynamoStore {
    /// Takes over the stale in-flight claim `old` (same fingerprint, lease run out), if nobody
    /// else did first.
    async fn take_over(
        &self,
        r: &ClaimRequest<'_>,
        old: &Item,
        found: IdempotencyRecord,
    ) -> StoreResult<Claim> {
        let seen = old
            .get(LEASE_UNTIL)
            .cloned()
            .ok_or_else(|| corrupt(LEASE_UNTIL))?;
        let now = r.now.timestamp_millis();
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(pk(r.user), r.key)))
            .update_expression(format!("SET {LEASE_UNTIL} = :lease"))
            .condition_expression(format!(
                "{LEASE_UNTIL} = :seen AND attribute_not_exists({STATUS})"
            ))
            .expression_attribute_values(":lease", n(now + millis(r.lease)))
            .expression_attribute_values(":seen", seen);
        match update.send().await {
            Ok(_) => Ok(Claim::Claimed { seed: found.seed }),
            Err(e) if is_condition_failed(&e) => {
                let item = self.get("idempotency", key(pk(r.user), r.key)).await?;
                let found = item.as_ref().map(record).transpose()?;
                found
                    .map(Claim::Existing)
                    .ok_or(StoreError::Conflict("the idempotency record moved"))
            }
            Err(e) => Err(unavailable("UpdateItem idempotency", &e)),
        }
    }
}

#[async_trait]
impl IdempotencyStore for DynamoStore {
    async fn claim(&self, r: &ClaimRequest<'_>) -> StoreResult<Claim> {
        let now = r.now.timestamp_millis();
        let expires_at = now + millis(r.ttl);
        let mut item = key(pk(r.user), r.key);
        item.extend([
            (FINGERPRINT.to_owned(), s(r.fingerprint)),
            (SEED.to_owned(), s(r.seed.to_string())),
            (LEASE_UNTIL.to_owned(), n(now + millis(r.lease))),
            (EXPIRES_AT.to_owned(), n(expires_at)),
            (TTL.to_owned(), n(expires_at / 1000 + 1)),
        ]);
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(format!("attribute_not_exists(pk) OR {EXPIRES_AT} <= :now"))
            .expression_attribute_values(":now", n(now))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let old = match put.send().await {
            Ok(_) => return Ok(Claim::Claimed { seed: r.seed }),
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(c)) => c.item().cloned(),
                _ => return Err(unavailable("PutItem idempotency", &e)),
            },
        };
        // moto and DynamoDB return the item that failed the condition; should one not, read it.
        let old = match old {
            Some(item) => item,
            None => self
                .get("idempotency", key(pk(r.user), r.key))
                .await?
                .ok_or(StoreError::Conflict("the idempotency record moved"))?,
        };
        let found = record(&old)?;
        let stale = matches!(found.state, IdempotencyState::InFlight { lease_until } if lease_until <= r.now);
        if stale && found.fingerprint == r.fingerprint {
            return self.take_over(r, &old, found).await;
        }
        Ok(Claim::Existing(found))
    }

    async fn finish(
        &self,
        user: &Username,
        key_text: &str,
        seed: Id,
        answer: &StoredAnswer,
    ) -> StoreResult<()> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(pk(user), key_text)))
            .update_expression(format!(
                "SET {STATUS} = :status, {CONTENT_TYPE} = :ct, {BODY} = :body"
            ))
            .condition_expression(format!("{SEED} = :seed AND attribute_not_exists({STATUS})"))
            .expression_attribute_values(":status", n(answer.status))
            .expression_attribute_values(":ct", s(&answer.content_type))
            .expression_attribute_values(":body", AttributeValue::B(Blob::new(answer.body.clone())))
            .expression_attribute_values(":seed", s(seed.to_string()));
        match update.send().await {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failed(&e) => {
                Err(StoreError::Conflict("the idempotency claim is gone"))
            }
            Err(e) => Err(unavailable("UpdateItem idempotency", &e)),
        }
    }

    async fn release(&self, user: &Username, key_text: &str, seed: Id) -> StoreResult<()> {
        let delete = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(pk(user), key_text)))
            .condition_expression(format!("{SEED} = :seed AND attribute_not_exists({STATUS})"))
            .expression_attribute_values(":seed", s(seed.to_string()));
        match delete.send().await {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failed(&e) => Ok(()),
            Err(e) => Err(unavailable("DeleteItem idempotency", &e)),
        }
    }
}
