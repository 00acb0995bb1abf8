//! `IdempotencyStore` on SQLite: one row per (user, key); a claim is one write transaction.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{Sqlite, corrupt, from_millis, to_millis};
use crate::domain::{Id, Username};
use crate::ports::{
    Claim, ClaimRequest, IdempotencyRecord, IdempotencyState, IdempotencyStore, StoreError,
    StoreResult, StoredAnswer,
};

type Row = (
    String,
    String,
    Option<u16>,
    Option<String>,
    Option<Vec<u8>>,
    i64,
    i64,
);

fn record(row: Row) -> StoreResult<IdempotencyRecord> {
    let (fingerprint, seed, status, content_type, body, lease_until, expires_at) = row;
    let state = match status {
        Some(status) => IdempotencyState::Done(StoredAnswer {
            status,
            content_type: content_type.unwrap_or_default(),
            body: body.unwrap_or_default(),
        }),
        None => IdempotencyState::InFlight {
            lease_until: from_millis(lease_until),
        },
    };
    Ok(IdempotencyRecord {
        fingerprint,
        seed: Id::parse(&seed).ok_or_else(|| corrupt("idempotency seed"))?,
        state,
        expires_at: from_millis(expires_at),
    })
}

fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[async_trait]
impl IdempotencyStore for Sqlite {
    async fn claim(&self, r: &ClaimRequest<'_>) -> StoreResult<Claim> {
        let (user, key, fingerprint) = (
            r.user.to_string(),
            r.key.to_owned(),
            r.fingerprint.to_owned(),
        );
        let (seed, now) = (r.seed, to_millis(r.now));
        let (lease_until, expires_at) = (now + millis(r.lease), now + millis(r.ttl));
        self.write(move |tx| {
            let row: Option<Row> = tx
                .query_row(
                    "SELECT fingerprint, seed, status, content_type, body, lease_until, expires_at \
                     FROM idempotency WHERE username = ?1 AND key = ?2",
                    params![user, key],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
                )
                .optional()?;
            let existing = row.map(record).transpose()?;
            match existing {
                Some(old) if to_millis(old.expires_at) > now => {
                    let stale = matches!(old.state, IdempotencyState::InFlight { lease_until } if to_millis(lease_until) <= now);
                    if stale && old.fingerprint == fingerprint {
                        tx.execute(
                            "UPDATE idempotency SET lease_until = ?3 WHERE username = ?1 AND key = ?2",
                            params![user, key, lease_until],
                        )?;
                        return Ok(Claim::Claimed { seed: old.seed });
                    }
                    Ok(Claim::Existing(old))
                }
                _ => {
                    tx.execute(
                        "INSERT OR REPLACE INTO idempotency (username, key, fingerprint, seed, status, content_type, \
                         body, lease_until, expires_at) VALUES (?1, ?2, ?3, ?4, NULL, NULL, NULL, ?5, ?6)",
                        params![user, key, fingerprint, seed.to_string(), lease_until, expires_at],
                    )?;
                    Ok(Claim::Claimed { seed })
                }
            }
        })
        .await
    }

    async fn finish(
        &self,
        user: &Username,
        key: &str,
        seed: Id,
        answer: &StoredAnswer,
    ) -> StoreResult<()> {
        let (user, key, answer) = (user.to_string(), key.to_owned(), answer.clone());
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE idempotency SET status = ?4, content_type = ?5, body = ?6 \
                 WHERE username = ?1 AND key = ?2 AND seed = ?3 AND status IS NULL",
                params![
                    user,
                    key,
                    seed.to_string(),
                    answer.status,
                    answer.content_type,
                    answer.body
                ],
            )?;
            if n == 1 {
                Ok(())
            } else {
                Err(StoreError::Conflict("the idempotency claim is gone"))
            }
        })
        .await
    }

    async fn release(&self, user: &Username, key: &str, seed: Id) -> StoreResult<()> {
        let (user, key) = (user.to_string(), key.to_owned());
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM idempotency WHERE username = ?1 AND key = ?2 AND seed = ?3 AND status IS NULL",
                params![user, key, seed.to_string()],
            )?;
            Ok(())
        })
        .await
    }
}
