//! Administration of accounts: list, create with any tier and role, change tier, role or password.
//! (Tier definitions are in `tiers`.) Every function here expects an admin caller, which the
//! HTTP layer checks before calling.

use super::accounts::{StoreOp, create_account, hash_password, store_user, tier_error};
use super::views::{ListView, UserView};
use super::{App, AppError, AppResult, page_limit};
use crate::domain::{DEFAULT_TIER, Password, Role, User, Username};
use crate::ports::StoreError;

fn role(text: Option<&str>) -> AppResult<Option<Role>> {
    text.map(|r| Role::parse(r).ok_or_else(|| AppError::invalid("role", "must be user or admin")))
        .transpose()
}

pub async fn create_user(
    app: &App,
    username: &str,
    password: &str,
    tier: Option<&str>,
    role_name: Option<&str>,
) -> AppResult<User> {
    let role = role(role_name)?.unwrap_or(Role::User);
    create_account(app, username, password, tier.unwrap_or(DEFAULT_TIER), role).await
}

/// What `PATCH /v1/admin/users/{username}` may change.
#[derive(Debug, Default)]
pub struct UserChanges<'a> {
    pub password: Option<&'a str>,
    pub tier: Option<&'a str>,
    pub role: Option<&'a str>,
}

pub async fn update_user(app: &App, username: &str, changes: UserChanges<'_>) -> AppResult<User> {
    let role = role(changes.role)?;
    let password = changes.password.map(Password::parse).transpose()?;
    let name = Username::parse(username).map_err(|_| AppError::NotFound("user"))?;
    let mut user = app
        .users
        .get_user(name.as_str())
        .await?
        .ok_or(AppError::NotFound("user"))?;
    if let Some(password) = password {
        user.password_hash = hash_password(password).await?;
    }
    if let Some(tier) = changes.tier {
        user.tier = tier.to_owned();
    }
    if let Some(role) = role {
        user.role = role;
    }
    match store_user(
        app.users.as_ref(),
        app.tiers.as_ref(),
        &user,
        StoreOp::Update,
    )
    .await
    {
        Ok(()) => Ok(user),
        Err(StoreError::NotFound) => Err(AppError::NotFound("user")),
        Err(e) => Err(tier_error(e)),
    }
}

pub async fn list_users(
    app: &App,
    limit: Option<u32>,
    cursor: Option<&str>,
) -> AppResult<ListView<UserView>> {
    let limit = page_limit(limit)?;
    let binding = "admin/users";
    let after = cursor.map(|c| app.cursors.open(binding, c)).transpose()?;
    let page = app.users.list_users(limit, after.as_deref()).await?;
    Ok(ListView {
        items: page.items.iter().map(UserView::from).collect(),
        next_cursor: page.next.map(|n| app.cursors.seal(binding, &n)),
    })
}
