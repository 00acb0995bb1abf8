//! Routes: `POST /v1/users`, `POST /v1/tokens`, `GET /v1/users/me`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

use super::error::ApiResult;
use super::extract::{Auth, ClientIp, Json};
use crate::app::App;
use crate::app::accounts::{self, TokenView};
use crate::app::views::UserView;

#[derive(Debug, Deserialize)]
pub struct Credentials {
    username: String,
    password: String,
}

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/v1/users", post(register))
        .route("/v1/tokens", post(token))
        .route("/v1/users/me", get(me))
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
