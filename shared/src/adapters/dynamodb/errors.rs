//! SDK failures to `StoreError`, and the retry policy: jittered backoff for conflicts and transactions.
//!
//! The SDK already retries throttling, 5xx and network errors (standard mode, 3 attempts); what is
//! left after that is `StoreError::Unavailable`. This module adds what the SDK does not retry:
//! `TransactionConflictException` on single-item writes and the transient cancellation reasons of a
//! transaction (`TransactionConflict`, throttling). A failed condition is never retried here: the
//! caller decides what it means.

use std::future::Future;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{BuildError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::ports::{StoreError, StoreResult};

const CONDITION_FAILED: &str = "ConditionalCheckFailedException";
const TRANSACTION_CONFLICT: &str = "TransactionConflictException";
/// Cancellation reasons worth another try of the same transaction.
const TRANSIENT_REASONS: [&str; 4] = [
    "None",
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
];

/// Attempts for transient failures of one request (conflicts, throttled transactions).
const TRANSIENT_ATTEMPTS: u32 = 8;
const BACKOFF_BASE_MS: u64 = 10;
const BACKOFF_CAP_MS: u64 = 1000;

/// A request the SDK refused to build (a required field missing: a bug here, not bad input).
pub(super) fn built<T>(r: Result<T, BuildError>) -> StoreResult<T> {
    r.map_err(|e| StoreError::Unavailable(format!("dynamodb request: {e}")))
}

pub(super) fn unavailable<E, R>(op: &str, e: &SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StoreError::Unavailable(format!("dynamodb {op}: {}", DisplayErrorContext(e)))
}

fn code<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> Option<&str> {
    e.as_service_error().and_then(ProvideErrorMetadata::code)
}

pub(super) fn is_condition_failed<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    code(e) == Some(CONDITION_FAILED)
}

/// Sleeps a random time in `[0, min(cap, base·2^attempt)]` ("full jitter"), so writers that lost the
/// same race do not collide again in lockstep.
pub(super) async fn backoff(attempt: u32) {
    let ceiling = BACKOFF_BASE_MS
        .saturating_mul(1 << attempt.min(16))
        .min(BACKOFF_CAP_MS);
    let ms = rand::rng().random_range(0..=ceiling);
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// Sends a single-item write, retrying while it collides with a transaction on the same item.
/// Only for writes that are safe to repeat (conditional or idempotent).
pub(super) async fn retry_conflicts<T, E, R, F, Fut>(mut send: F) -> Result<T, SdkError<E, R>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata,
{
    let mut attempt = 0;
    loop {
        match send().await {
            Err(e)
                if attempt + 1 < TRANSIENT_ATTEMPTS && code(&e) == Some(TRANSACTION_CONFLICT) =>
            {
                backoff(attempt).await;
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// An idempotency token (≤ 36 characters) for one attempt of one logical write.
fn request_token(seed: &str, attempt: u32) -> String {
    let digest = Sha256::digest(format!("{seed}|{attempt}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Which items of a cancelled transaction failed their condition (same order as the request).
#[derive(Debug)]
pub(super) struct ConditionsFailed(Vec<bool>);

impl ConditionsFailed {
    pub(super) fn item(&self, index: usize) -> bool {
        self.0.get(index).copied().unwrap_or(false)
    }
}

/// Runs one `TransactWriteItems`. Cancellations for transient reasons are retried with backoff; a
/// failed condition comes back as `Ok(Err(_))` naming the items. `seed` names the logical write:
/// the SDK's own retries of one attempt reuse its `ClientRequestToken`, so a retry after a lost
/// answer cannot apply the transaction twice.
pub(super) async fn transact(
    client: &Client,
    op: &str,
    items: Vec<TransactWriteItem>,
    seed: &str,
) -> StoreResult<Result<(), ConditionsFailed>> {
    let mut attempt = 0;
    loop {
        let result = client
            .transact_write_items()
            .set_transact_items(Some(items.clone()))
            .client_request_token(request_token(seed, attempt))
            .send()
            .await;
        let e = match result {
            Ok(_) => return Ok(Ok(())),
            Err(e) => e,
        };
        let Some(TransactWriteItemsError::TransactionCanceledException(cancel)) =
            e.as_service_error()
        else {
            return Err(unavailable(op, &e));
        };
        let codes: Vec<&str> = cancel
            .cancellation_reasons()
            .iter()
            .map(|r| r.code().unwrap_or("None"))
            .collect();
        if codes.contains(&"ConditionalCheckFailed") {
            return Ok(Err(ConditionsFailed(
                codes
                    .iter()
                    .map(|c| *c == "ConditionalCheckFailed")
                    .collect(),
            )));
        }
        let transient = codes.iter().all(|c| TRANSIENT_REASONS.contains(c));
        if !transient || attempt + 1 >= TRANSIENT_ATTEMPTS {
            return Err(unavailable(op, &e));
        }
        backoff(attempt).await;
        attempt += 1;
    }
}
