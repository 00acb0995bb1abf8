//! `TierStore` on SQLite. Names are the primary key under SQLite's default BINARY collation, so
//! they compare case-sensitively and list in byte order; thumbnail heights are a JSON array.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{Sqlite, corrupt, is_unique_violation};
use crate::domain::tier::parse_tier_name;
use crate::domain::{Page, Tier};
use crate::ports::{StoreError, StoreResult, TIER_IN_USE, TierStore};

const TIER_COLUMNS: &str = "name, thumbnail_heights, original_link, expiring_links";

fn row_to_tier(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, bool, bool)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn into_tier(
    (name, heights, original_link, expiring_links): (String, String, bool, bool),
) -> StoreResult<Tier> {
    Ok(Tier {
        name,
        thumbnail_heights: serde_json::from_str(&heights)
            .map_err(|_| corrupt("thumbnail heights"))?,
        original_link,
        expiring_links,
    })
}

fn heights_json(tier: &Tier) -> StoreResult<String> {
    serde_json::to_string(&tier.thumbnail_heights).map_err(|_| corrupt("thumbnail heights"))
}

#[async_trait]
impl TierStore for Sqlite {
    async fn create_tier(&self, tier: &Tier) -> StoreResult<()> {
        let t = tier.clone();
        let heights = heights_json(&t)?;
        self.write(move |tx| {
            let r = tx.execute(
                "INSERT INTO tiers (name, thumbnail_heights, original_link, expiring_links) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![t.name, heights, t.original_link, t.expiring_links],
            );
            match r {
                Ok(_) => Ok(()),
                Err(e) if is_unique_violation(&e) => Err(StoreError::AlreadyExists),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    async fn get_tier(&self, name: &str) -> StoreResult<Option<Tier>> {
        let name = name.to_owned();
        self.read(move |conn| {
            let sql = format!("SELECT {TIER_COLUMNS} FROM tiers WHERE name = ?1");
            let row = conn
                .prepare_cached(&sql)?
                .query_row([name], row_to_tier)
                .optional()?;
            row.map(into_tier).transpose()
        })
        .await
    }

    async fn update_tier(&self, tier: &Tier) -> StoreResult<()> {
        let t = tier.clone();
        let heights = heights_json(&t)?;
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE tiers SET thumbnail_heights = ?2, original_link = ?3, expiring_links = ?4 \
                 WHERE name = ?1",
                params![t.name, heights, t.original_link, t.expiring_links],
            )?;
            if n == 0 {
                Err(StoreError::NotFound)
            } else {
                Ok(())
            }
        })
        .await
    }

    async fn delete_tier(&self, name: &str) -> StoreResult<()> {
        let name = name.to_owned();
        // One writer at a time: no user can be created on or moved to the tier between the check
        // and the delete (`UserStore` checks the tier in its own write transaction).
        self.write(move |tx| {
            let n = tx.execute(
                "DELETE FROM tiers WHERE name = ?1 \
                 AND NOT EXISTS (SELECT 1 FROM users WHERE tier = ?1)",
                [&name],
            )?;
            if n == 1 {
                return Ok(());
            }
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM tiers WHERE name = ?1)",
                [&name],
                |r| r.get(0),
            )?;
            Err(if exists {
                StoreError::Conflict(TIER_IN_USE)
            } else {
                StoreError::NotFound
            })
        })
        .await
    }

    async fn list_tiers(&self, limit: u32, after: Option<&str>) -> StoreResult<Page<Tier>> {
        // A continuation is the last name of a page; "" sorts before every name.
        let after = match after {
            Some(a) => parse_tier_name(a).map_err(|_| StoreError::BadContinuation)?,
            None => String::new(),
        };
        self.read(move |conn| {
            let sql =
                format!("SELECT {TIER_COLUMNS} FROM tiers WHERE name > ?1 ORDER BY name LIMIT ?2");
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params![after, i64::from(limit) + 1], row_to_tier)?;
            let mut items = rows
                .map(|r| into_tier(r?))
                .collect::<StoreResult<Vec<_>>>()?;
            let next = if items.len() > limit as usize {
                items.truncate(limit as usize);
                items.last().map(|t| t.name.clone())
            } else {
                None
            };
            Ok(Page { items, next })
        })
        .await
    }
}
