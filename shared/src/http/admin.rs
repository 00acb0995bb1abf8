//! Routes: `/v1/admin/tiers` and `/v1/admin/users` (admins only: 403 for anyone else).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::body::{Whole, present, wholes};
use super::error::ApiResult;
use super::extract::{Admin, Json, PageParams, Path, Query};
use super::routes::Routes;
use crate::app::App;
use crate::app::admin::{self, UserChanges};
use crate::app::tiers::{self, TierInput, TierView};
use crate::app::views::{ListView, UserView};

#[derive(Debug, Deserialize)]
pub struct TierBody {
    #[serde(default, deserialize_with = "present")]
    name: Option<String>,
    #[serde(default)]
    thumbnail_heights: Vec<Whole<u32>>,
    #[serde(default)]
    original_link: bool,
    #[serde(default)]
    expiring_links: bool,
}

impl From<TierBody> for TierInput {
    fn from(b: TierBody) -> Self {
        TierInput {
            name: b.name,
            thumbnail_heights: wholes(b.thumbnail_heights),
            original_link: b.original_link,
            expiring_links: b.expiring_links,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct NewUser {
    username: String,
    password: String,
    #[serde(default, deserialize_with = "present")]
    tier: Option<String>,
    #[serde(default, deserialize_with = "present")]
    role: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct UserPatch {
    #[serde(default, deserialize_with = "present")]
    password: Option<String>,
    #[serde(default, deserialize_with = "present")]
    tier: Option<String>,
    #[serde(default, deserialize_with = "present")]
    role: Option<String>,
}

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/v1/admin/tiers", list_tiers)
        .post("/v1/admin/tiers", create_tier)
        .get("/v1/admin/tiers/{name}", read_tier)
        .put("/v1/admin/tiers/{name}", replace_tier)
        .delete("/v1/admin/tiers/{name}", delete_tier)
        .get("/v1/admin/users", list_users)
        .post("/v1/admin/users", create_user)
        .patch("/v1/admin/users/{username}", update_user)
}

async fn list_tiers(
    State(app): State<Arc<App>>,
    _: Admin,
    Query(q): Query<PageParams>,
) -> ApiResult<axum::Json<ListView<TierView>>> {
    let page = tiers::list(&app, q.limit, q.cursor.as_deref()).await?;
    Ok(axum::Json(page))
}

async fn create_tier(
    State(app): State<Arc<App>>,
    _: Admin,
    Json(body): Json<TierBody>,
) -> ApiResult<(StatusCode, axum::Json<TierView>)> {
    let tier = tiers::create(&app, body.into()).await?;
    Ok((StatusCode::CREATED, axum::Json(tier)))
}

async fn read_tier(
    State(app): State<Arc<App>>,
    _: Admin,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<TierView>> {
    Ok(axum::Json(tiers::get(&app, &name).await?))
}

async fn replace_tier(
    State(app): State<Arc<App>>,
    _: Admin,
    Path(name): Path<String>,
    Json(body): Json<TierBody>,
) -> ApiResult<axum::Json<TierView>> {
    Ok(axum::Json(tiers::update(&app, &name, body.into()).await?))
}

async fn delete_tier(
    State(app): State<Arc<App>>,
    _: Admin,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    tiers::delete(&app, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_users(
    State(app): State<Arc<App>>,
    _: Admin,
    Query(q): Query<PageParams>,
) -> ApiResult<axum::Json<ListView<UserView>>> {
    let page = admin::list_users(&app, q.limit, q.cursor.as_deref()).await?;
    Ok(axum::Json(page))
}

async fn create_user(
    State(app): State<Arc<App>>,
    _: Admin,
    Json(b): Json<NewUser>,
) -> ApiResult<(StatusCode, axum::Json<UserView>)> {
    let user = admin::create_user(
        &app,
        &b.username,
        &b.password,
        b.tier.as_deref(),
        b.role.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(UserView::from(&user))))
}

async fn update_user(
    State(app): State<Arc<App>>,
    _: Admin,
    Path(username): Path<String>,
    Json(b): Json<UserPatch>,
) -> ApiResult<axum::Json<UserView>> {
    let changes = UserChanges {
        password: b.password.as_deref(),
        tier: b.tier.as_deref(),
        role: b.role.as_deref(),
    };
    let user = admin::update_user(&app, &username, changes).await?;
    Ok(axum::Json(UserView::from(&user)))
}
