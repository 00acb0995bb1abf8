//! `UserStore` on SQLite.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{Sqlite, corrupt, from_millis, is_unique_violation, to_millis};
use crate::domain::{Page, Tier};
use crate::domain::{Role, User, Username};
use crate::ports::TierStore;
use crate::ports::{StoreError, StoreResult, UserStore};

fn row_to_user(row: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, String, String, i64)> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

#[async_trait]
impl UserStore for Sqlite {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        let u = user.clone();
        self.write(move |tx| {
            let r = tx.execute(
                "INSERT INTO users (username, password_hash, tier, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![u.username.as_str(), u.password_hash, u.tier, u.role.as_str(), to_millis(u.created_at)],
            );
            match r {
                Ok(_) => Ok(()),
                Err(e) if is_unique_violation(&e) => Err(StoreError::AlreadyExists),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    async fn get_user(&self, username: &str) -> StoreResult<Option<User>> {
        let name = username.to_owned();
        self.read(move |conn| {
            let row = conn
                .prepare_cached(
                    "SELECT username, password_hash, tier, role, created_at FROM users WHERE username = ?1",
                )?
                .query_row([name], row_to_user)
                .optional()?;
            row.map(|(username, password_hash, tier, role, created)| {
                Ok(User {
                    username: Username::from_trusted(username),
                    password_hash,
                    tier,
                    role: Role::parse(&role).ok_or_else(|| corrupt("role"))?,
                    created_at: from_millis(created),
                })
            })
            .transpose()
        })
        .await
    }

    async fn update_user(&self, user: &User) -> StoreResult<()> {
        let u = user.clone();
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE users SET password_hash = ?2, tier = ?3, role = ?4 WHERE username = ?1",
                params![
                    u.username.as_str(),
                    u.password_hash,
                    u.tier,
                    u.role.as_str()
                ],
            )?;
            if n == 0 {
                Err(StoreError::NotFound)
            } else {
                Ok(())
            }
        })
        .await
    }
    async fn list_users(&self, _limit: u32, _after: Option<&str>) -> StoreResult<Page<User>> {
        Err(StoreError::Unavailable(
            "list_users: not implemented yet".into(),
        ))
    }
}

#[async_trait]
impl TierStore for Sqlite {
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
