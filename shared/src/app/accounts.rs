//! Accounts: registration, login (with throttling), bearer-token authentication, the first admin.

use crate::app::ErrorCode;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::net::IpAddr;

use serde::Serialize;

use super::{App, AppError, AppResult};
use crate::domain::{DEFAULT_TIER, Password, Role, User, Username, builtin_tier};
use crate::ports::{NO_SUCH_TIER, StoreError, TierStore, UserStore};

fn argon2() -> Argon2<'static> {
    // OWASP's argon2id recommendation: 19 MiB, 2 passes, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn new_salt() -> AppResult<SaltString> {
    SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| AppError::Internal(format!("salt: {e}")))
}

pub(super) async fn hash_password(password: Password) -> AppResult<String> {
    super::hashing::run(move || {
        let salt = new_salt()?;
        argon2()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("hashing failed: {e}")))
    })
    .await?
}

/// Verifies against `hash`, or against a dummy hash when the user does not exist, so both cases cost the same.
async fn verify_password(password: String, hash: Option<String>) -> bool {
    super::hashing::run(move || {
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let dummy = DUMMY.get_or_init(|| {
            let Ok(salt) = new_salt() else {
                return String::new();
            };
            argon2()
                .hash_password(b"dummy-password", &salt)
                .map(|h| h.to_string())
                .unwrap_or_default()
        });
        let exists = hash.is_some();
        let text = hash.unwrap_or_else(|| dummy.clone());
        let Ok(parsed) = PasswordHash::new(&text) else {
            return false;
        };
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
            && exists
    })
    .await
    .unwrap_or(false)
}

pub async fn register(app: &App, username: &str, password: &str) -> AppResult<User> {
    create_account(app, username, password, DEFAULT_TIER, Role::User).await
}

/// Creates an account on `tier` (which must exist; 422 otherwise).
pub async fn create_account(
    app: &App,
    username: &str,
    password: &str,
    tier: &str,
    role: Role,
) -> AppResult<User> {
    let username = Username::parse(username)?;
    let password = Password::parse(password)?;
    let user = User {
        username,
        password_hash: hash_password(password).await?,
        tier: tier.to_owned(),
        role,
        created_at: crate::domain::now(),
    };
    match store_user(
        app.users.as_ref(),
        app.tiers.as_ref(),
        &user,
        StoreOp::Create,
    )
    .await
    {
        Ok(()) => Ok(user),
        Err(StoreError::AlreadyExists) => Err(AppError::conflict(
            ErrorCode::UsernameTaken,
            "that username is taken",
        )),
        Err(e) => Err(tier_error(e)),
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) enum StoreOp {
    Create,
    Update,
}

/// Creates or updates `user`; when its tier is a builtin one that a fresh store does not hold
/// yet, creates the builtin tiers and tries once more.
pub(super) async fn store_user(
    users: &dyn UserStore,
    tiers: &dyn TierStore,
    user: &User,
    op: StoreOp,
) -> Result<(), StoreError> {
    let run = || async {
        match op {
            StoreOp::Create => users.create_user(user).await,
            StoreOp::Update => users.update_user(user).await,
        }
    };
    match run().await {
        Err(StoreError::Conflict(NO_SUCH_TIER)) if builtin_tier(&user.tier).is_some() => {
            super::tiers::ensure_builtin_in(tiers).await?;
            run().await
        }
        other => other,
    }
}

/// A store error about a user's tier, as the API says it.
pub(super) fn tier_error(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict(NO_SUCH_TIER) => AppError::Missing {
            code: ErrorCode::NoSuchTier,
            message: "there is no such tier".into(),
        },
        other => other.into(),
    }
}

#[derive(Debug, Serialize)]
pub struct TokenView {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
}

/// Issues a token. Wrong passwords count against the username; past the limit, attempts for that
/// username are a 429 until the window moves on, except from an address that has logged in to
/// this account before (so a guessing attack never locks the owner out of their own device).
/// Successful logins are not throttled.
pub async fn login(
    app: &App,
    username: &str,
    password: &str,
    client: Option<IpAddr>,
) -> AppResult<TokenView> {
    // Bounded (the store's keys are): valid usernames are at most 32 characters anyway.
    let key: String = username.to_lowercase().chars().take(64).collect();
    let trusted = client.is_some_and(|ip| app.trusted_clients.contains(&key, ip));
    if !trusted {
        app.login_throttle.check(app.rates.as_ref(), &key).await?;
    }
    let user = match Username::parse(username) {
        Ok(name) => app.users.get_user(name.as_str()).await?,
        Err(_) => None,
    };
    let ok = verify_password(
        password.to_owned(),
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await;
    let Some(user) = user.filter(|_| ok) else {
        app.login_throttle.record(app.rates.as_ref(), &key).await?;
        return Err(AppError::Unauthorized);
    };
    if let Some(ip) = client {
        app.trusted_clients.insert(&key, ip);
    }
    Ok(TokenView {
        access_token: app.tokens.issue(user.username.as_str())?,
        token_type: "Bearer",
        expires_in: app.tokens.ttl_secs,
    })
}

/// The user behind a bearer token; deleted users and bad tokens are `Unauthorized`.
pub async fn authenticate(app: &App, token: &str) -> AppResult<User> {
    let username = app.tokens.verify(token)?;
    app.users
        .get_user(&username)
        .await?
        .ok_or(AppError::Unauthorized)
}

/// Makes sure an admin `username` with `password` exists (`IMAGEGRAM_ADMIN`); an existing account
/// is promoted and its password reset.
pub async fn ensure_admin(app: &App, username: &str, password: &str) -> AppResult<User> {
    ensure_admin_in(app.users.as_ref(), app.tiers.as_ref(), username, password).await
}

/// [`ensure_admin`] on bare stores: what `imagegram admin create-user` runs.
pub async fn ensure_admin_in(
    users: &dyn UserStore,
    tiers: &dyn TierStore,
    username: &str,
    password: &str,
) -> AppResult<User> {
    let name = Username::parse(username)?;
    let hash = hash_password(Password::parse(password)?).await?;
    let (user, op) = match users.get_user(name.as_str()).await? {
        Some(mut user) => {
            user.role = Role::Admin;
            user.password_hash = hash;
            (user, StoreOp::Update)
        }
        None => {
            let user = User {
                username: name,
                password_hash: hash,
                tier: DEFAULT_TIER.to_owned(),
                role: Role::Admin,
                created_at: crate::domain::now(),
            };
            (user, StoreOp::Create)
        }
    };
    store_user(users, tiers, &user, op)
        .await
        .map_err(tier_error)?;
    Ok(user)
}
