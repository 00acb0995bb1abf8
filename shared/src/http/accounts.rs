//! Routes: `POST /v1/users`, `POST /v1/tokens`, `GET /v1/users/me`, `GET /v1/limits`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::error::ApiResult;
use super::extract::{Auth, ClientIp, Json};
use super::routes::Routes;
use crate::app::App;
use crate::app::accounts::{self, TokenView};
use crate::app::limits::{self as limits_app, LimitsView};
use crate::app::views::UserView;

#[derive(Debug, Deserialize)]
pub struct Credentials {
    username: String,
    password: String,
}

pub(crate) fn routes() -> Routes {
    Routes::new()
        .post("/v1/users", register)
        .post("/v1/tokens", token)
        .get("/v1/users/me", me)
        .get("/v1/limits", limits)
}

async fn register(
    State(app): State<Arc<App>>,
    Json(c): Json<Credentials>,
) -> ApiResult<(StatusCode, axum::Json<UserView>)> {
    let user = accounts::register(&app, &c.username, &c.password).await?;
    Ok((StatusCode::CREATED, axum::Json(UserView::from(&user))))
}

async fn token(
    State(app): State<Arc<App>>,
    ClientIp(ip): ClientIp,
    Json(c): Json<Credentials>,
) -> ApiResult<axum::Json<TokenView>> {
    let token = accounts::login(&app, &c.username, &c.password, ip).await?;
    Ok(axum::Json(token))
}

async fn me(Auth(user): Auth) -> axum::Json<UserView> {
    axum::Json(UserView::from(&user))
}

async fn limits(
    State(app): State<Arc<App>>,
    Auth(user): Auth,
) -> ApiResult<axum::Json<LimitsView>> {
    Ok(axum::Json(limits_app::limits(&app, &user).await?))
}
