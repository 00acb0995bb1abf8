//! `UserStore` on SQLite. A user's tier must exist; checking it inside the write transaction makes
//! the check and the write one step that no tier delete can come between.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Transaction, params};

use super::{Sqlite, corrupt, from_millis, is_unique_violation, to_millis};
use crate::domain::{Page, Role, User, Username};
use crate::ports::{NO_SUCH_TIER, StoreError, StoreResult, UserStore};

const USER_COLUMNS: &str = "username, password_hash, tier, role, created_at";

fn row_to_user(row: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, String, String, i64)> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn into_user(
    (username, password_hash, tier, role, created): (String, String, String, String, i64),
) -> StoreResult<User> {
    Ok(User {
        username: Username::from_trusted(username),
        password_hash,
        tier,
        role: Role::parse(&role).ok_or_else(|| corrupt("role"))?,
        created_at: from_millis(created),
    })
}

fn require_tier(tx: &Transaction<'_>, tier: &str) -> StoreResult<()> {
    let exists: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM tiers WHERE name = ?1)")?
        .query_row([tier], |r| r.get(0))?;
    if exists {
        Ok(())
    } else {
        Err(StoreError::Conflict(NO_SUCH_TIER))
    }
}

#[async_trait]
impl UserStore for Sqlite {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        let u = user.clone();
        self.write(move |tx| {
            require_tier(tx, &u.tier)?;
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
            let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1");
            let row = conn
                .prepare_cached(&sql)?
                .query_row([name], row_to_user)
                .optional()?;
            row.map(into_user).transpose()
        })
        .await
    }

    async fn update_user(&self, user: &User) -> StoreResult<()> {
        let u = user.clone();
        self.write(move |tx| {
            let current: Option<String> = tx
                .query_row(
                    "SELECT tier FROM users WHERE username = ?1",
                    [u.username.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            let current = current.ok_or(StoreError::NotFound)?;
            // A user stays on the tier they are on; moving is what needs the new tier to exist.
            if current != u.tier {
                require_tier(tx, &u.tier)?;
            }
            tx.execute(
                "UPDATE users SET password_hash = ?2, tier = ?3, role = ?4 WHERE username = ?1",
                params![
                    u.username.as_str(),
                    u.password_hash,
                    u.tier,
                    u.role.as_str()
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn list_users(&self, limit: u32, after: Option<&str>) -> StoreResult<Page<User>> {
        // A continuation is the last username of a page; "" sorts before every username.
        let after = match after {
            Some(a) => Username::parse(a)
                .map_err(|_| StoreError::BadContinuation)?
                .as_str()
                .to_owned(),
            None => String::new(),
        };
        self.read(move |conn| {
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM users WHERE username > ?1 ORDER BY username LIMIT ?2"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params![after, i64::from(limit) + 1], row_to_user)?;
            let mut items = rows
                .map(|r| into_user(r?))
                .collect::<StoreResult<Vec<_>>>()?;
            let next = if items.len() > limit as usize {
                items.truncate(limit as usize);
                items.last().map(|u| u.username.as_str().to_owned())
            } else {
                None
            };
            Ok(Page { items, next })
        })
        .await
    }
}
