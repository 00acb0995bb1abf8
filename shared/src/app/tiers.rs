//! Tiers: the builtin three, admin CRUD, and the tier a user's images are shown with.

use crate::app::ErrorCode;
use serde::Serialize;

use super::views::ListView;
use super::{App, AppError, AppResult, page_limit};
use crate::domain::{DEFAULT_TIER, Tier, User, builtin_tier, builtin_tiers, tier::parse_tier_name};
use crate::ports::{StoreError, TIER_IN_USE, TierStore};

/// Creates the builtin tiers that do not exist yet (an admin's edits to them are kept).
pub async fn ensure_builtin(app: &App) -> AppResult<()> {
    Ok(ensure_builtin_in(app.tiers.as_ref()).await?)
}

/// [`ensure_builtin`] on a bare store (the admin CLI has no `App`).
pub async fn ensure_builtin_in(tiers: &dyn TierStore) -> Result<(), StoreError> {
    for tier in builtin_tiers() {
        match tiers.create_tier(&tier).await {
            Ok(()) | Err(StoreError::AlreadyExists) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The definition `user`'s images are shown with right now. A builtin tier that was never stored
/// (a fresh table) reads as its builtin definition.
pub async fn of_user(app: &App, user: &User) -> AppResult<Tier> {
    if let Some(tier) = app.tiers.get_tier(&user.tier).await? {
        return Ok(tier);
    }
    builtin_tier(&user.tier).ok_or_else(|| {
        AppError::Unavailable(format!("user {} is on a missing tier", user.username))
    })
}

#[derive(Debug, Serialize)]
pub struct TierView {
    pub name: String,
    pub thumbnail_heights: Vec<u32>,
    pub original_link: bool,
    pub expiring_links: bool,
}

impl From<Tier> for TierView {
    fn from(t: Tier) -> Self {
        Self {
            name: t.name,
            thumbnail_heights: t.thumbnail_heights,
            original_link: t.original_link,
            expiring_links: t.expiring_links,
        }
    }
}

/// What an admin sends to create or replace a tier.
#[derive(Debug, Clone)]
pub struct TierInput {
    pub name: Option<String>,
    pub thumbnail_heights: Vec<u32>,
    pub original_link: bool,
    pub expiring_links: bool,
}

impl TierInput {
    /// The validated tier `name` this input describes.
    fn into_tier(self, name: &str) -> AppResult<Tier> {
        Ok(Tier::new(
            name,
            self.thumbnail_heights,
            self.original_link,
            self.expiring_links,
        )?)
    }
}

pub async fn create(app: &App, input: TierInput) -> AppResult<TierView> {
    let name = input
        .name
        .clone()
        .ok_or_else(|| AppError::invalid("name", "a tier needs a name"))?;
    let tier = input.into_tier(&name)?;
    match app.tiers.create_tier(&tier).await {
        Ok(()) => Ok(tier.into()),
        Err(StoreError::AlreadyExists) => Err(AppError::conflict(
            ErrorCode::TierExists,
            format!("a tier named {name} already exists"),
        )),
        Err(e) => Err(e.into()),
    }
}

fn known_name(name: &str) -> AppResult<String> {
    parse_tier_name(name).map_err(|_| AppError::NotFound("tier"))
}

pub async fn get(app: &App, name: &str) -> AppResult<TierView> {
    let name = known_name(name)?;
    let tier = app.tiers.get_tier(&name).await?;
    tier.map(TierView::from).ok_or(AppError::NotFound("tier"))
}

/// Replaces tier `name`. Tiers are not renamed: the path names the tier, and a `name` in the body
/// is not read (it is not part of `TierUpdate`).
pub async fn update(app: &App, name: &str, input: TierInput) -> AppResult<TierView> {
    let name = known_name(name)?;
    let tier = input.into_tier(&name)?;
    match app.tiers.update_tier(&tier).await {
        Ok(()) => Ok(tier.into()),
        Err(StoreError::NotFound) => Err(AppError::NotFound("tier")),
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(app: &App, name: &str) -> AppResult<()> {
    let name = known_name(name)?;
    if name == DEFAULT_TIER {
        return Err(AppError::conflict(
            ErrorCode::DefaultTier,
            "Basic is the tier every new account gets; it cannot be deleted",
        ));
    }
    if builtin_tier(&name).is_some() {
        // Deleted, it would come back at the next start (`ensure_builtin`): refuse instead.
        return Err(AppError::conflict(
            ErrorCode::BuiltinTier,
            format!("{name} is a builtin tier: it can be edited but not deleted"),
        ));
    }
    match app.tiers.delete_tier(&name).await {
        Ok(()) => Ok(()),
        Err(StoreError::NotFound) => Err(AppError::NotFound("tier")),
        Err(StoreError::Conflict(TIER_IN_USE)) => Err(AppError::conflict(
            ErrorCode::TierInUse,
            "users are on this tier: move them to another tier first",
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn list(
    app: &App,
    limit: Option<u32>,
    cursor: Option<&str>,
) -> AppResult<ListView<TierView>> {
    let limit = page_limit(limit)?;
    let binding = "admin/tiers";
    let after = cursor.map(|c| app.cursors.open(binding, c)).transpose()?;
    let page = app.tiers.list_tiers(limit, after.as_deref()).await?;
    Ok(ListView {
        items: page.items.into_iter().map(TierView::from).collect(),
        next_cursor: page.next.map(|n| app.cursors.seal(binding, &n)),
    })
}
