//! The AWS shape's wiring: typed configuration from the environment, SDK clients built once per
//! execution environment, and the routers as Lambda serves them.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::adapters::dynamodb::DynamoStore;
use crate::adapters::s3::S3Objects;
use crate::app::{App, Secrets, Settings};
use crate::http::Group;

/// Everything a function reads from its environment, read once at cold start.
#[derive(Clone)]
pub struct AwsConfig {
    pub table: String,
    pub uploads_bucket: String,
    pub renditions_bucket: String,
    /// Resolved by CloudFormation from an SSM parameter at deploy time.
    pub jwt_secret: String,
    /// Long-lived keys of the link-signing IAM user (`IMAGEGRAM_LINK_KEY_ID` and
    /// `IMAGEGRAM_LINK_SECRET_KEY`, optional): a URL presigned with the function role's temporary
    /// credentials dies with them, hours before a 30000 s link should. Without them, links are
    /// signed with the role and their `expires_at` says when they really stop working.
    pub link_signer: Option<(String, String)>,
}

impl std::fmt::Debug for AwsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsConfig")
            .field("table", &self.table)
            .field("uploads_bucket", &self.uploads_bucket)
            .field("renditions_bucket", &self.renditions_bucket)
            .finish_non_exhaustive()
    }
}

/// Every missing or invalid variable at once, so one failed deploy shows them all.
#[derive(Debug, thiserror::Error)]
#[error("missing or invalid environment variables: {}", .0.join(", "))]
pub struct ConfigError(pub Vec<String>);

impl AwsConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the configuration through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut missing = Vec::new();
        let mut var = |name: &str| match get(name).filter(|v| !v.trim().is_empty()) {
            Some(v) => v,
            None => {
                missing.push(name.to_owned());
                String::new()
            }
        };
        let config = AwsConfig {
            table: var("IMAGEGRAM_TABLE"),
            uploads_bucket: var("IMAGEGRAM_UPLOADS_BUCKET"),
            renditions_bucket: var("IMAGEGRAM_RENDITIONS_BUCKET"),
            jwt_secret: var("IMAGEGRAM_JWT_SECRET"),
            link_signer: None,
        };
        let optional = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let link_signer = match (
            optional("IMAGEGRAM_LINK_KEY_ID"),
            optional("IMAGEGRAM_LINK_SECRET_KEY"),
        ) {
            (Some(id), Some(secret)) => Some((id, secret)),
            (None, None) => None,
            _ => {
                return Err(ConfigError(vec![
                    "IMAGEGRAM_LINK_KEY_ID and IMAGEGRAM_LINK_SECRET_KEY (both or neither)".into(),
                ]));
            }
        };
        let config = AwsConfig {
            link_signer,
            ..config
        };
        if !missing.is_empty() {
            return Err(ConfigError(missing));
        }
        if config.jwt_secret.len() < 32 {
            return Err(ConfigError(vec![
                "IMAGEGRAM_JWT_SECRET (at least 32 characters)".into(),
            ]));
        }
        Ok(config)
    }

    /// Token and cursor keys derived from the one deployed secret.
    pub fn secrets(&self) -> Secrets {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.jwt_secret.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"imagegram cursor key v1");
        let cursor: [u8; 32] = mac.finalize().into_bytes().into();
        Secrets {
            jwt: self.jwt_secret.as_bytes().to_vec(),
            cursor,
        }
    }
}

/// The HTTP client of every AWS SDK client: hyper with rustls on ring, the system's roots. One
/// per SDK client set (a hyper pool belongs to the runtime it first ran on).
pub fn http_client() -> aws_sdk_s3::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The ambient SDK configuration (region, credentials: the function's role) with [`http_client`].
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http_client())
        .load()
        .await
}

/// Builds the use-case state over DynamoDB and S3 with the ambient credentials (the function's role).
pub async fn app(config: &AwsConfig) -> Result<Arc<App>, ConfigError> {
    let sdk = sdk_config().await;
    let store = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        config.table.clone(),
    ));
    let objects = S3Objects::new(
        S3Objects::aws_client(&sdk),
        &config.uploads_bucket,
        &config.renditions_bucket,
    );
    let objects = match &config.link_signer {
        Some((id, secret)) => {
            objects.with_link_signer(S3Objects::aws_client_with_keys(&sdk, id, secret))
        }
        None => match sdk.credentials_provider() {
            Some(role) => objects.with_expiring_credentials(role),
            None => objects,
        },
    };
    Ok(Arc::new(App::new(
        store,
        Arc::new(objects),
        &config.secrets(),
        lambda_settings(|name| std::env::var(name).ok()),
    )))
}

/// The settings of a function: the defaults, EMF metrics on, and the quotas from
/// `IMAGEGRAM_UPLOADS_IN_FLIGHT` / `IMAGEGRAM_UPLOAD_BYTES_PER_DAY` when set.
fn lambda_settings(var: impl Fn(&str) -> Option<String>) -> Settings {
    let defaults = Settings::default();
    Settings {
        emf_metrics: true,
        uploads_in_flight: var("IMAGEGRAM_UPLOADS_IN_FLIGHT")
            .and_then(|v| v.parse().ok())
            .unwrap_or(defaults.uploads_in_flight),
        upload_bytes_per_day: var("IMAGEGRAM_UPLOAD_BYTES_PER_DAY")
            .and_then(|v| v.parse().ok())
            .unwrap_or(defaults.upload_bytes_per_day),
        ..defaults
    }
}

/// API Gateway's view of the caller's address, handed to extractors as `ConnectInfo`.
async fn source_ip(mut req: Request, next: Next) -> Response {
    use lambda_http::request::RequestContext;
    let ip =
        if let Some(RequestContext::ApiGatewayV2(ctx)) = req.extensions().get::<RequestContext>() {
            ctx.http
                .source_ip
                .as_deref()
                .and_then(|ip| ip.parse::<IpAddr>().ok())
        } else {
            None
        };
    if let Some(ip) = ip {
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(ip, 0)));
    }
    let edge_id = match req.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.clone(),
        _ => None,
    };
    if let Some(id) = edge_id {
        req.extensions_mut()
            .insert(crate::http::request_id::EdgeRequestId(id));
    }
    next.run(req).await
}

/// The routers of `groups` as a Lambda function serves them.
/// Functions that create users also make sure the builtin tiers exist (once per cold start,
/// in the background; a conditional put each, so an admin's edits to them are kept).
pub fn lambda_router(groups: &[Group], app: Arc<App>) -> Router {
    if groups
        .iter()
        .any(|g| matches!(g, Group::Accounts | Group::Admin))
    {
        let app = app.clone();
        tokio::spawn(async move {
            if let Err(e) = crate::app::tiers::ensure_builtin(&app).await {
                tracing::warn!(error = %e, "could not create the builtin tiers");
            }
        });
    }
    crate::http::router_for(groups, app).layer(axum::middleware::from_fn(source_ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_come_from_the_environment() {
        let s = lambda_settings(|name| (name == "IMAGEGRAM_UPLOADS_IN_FLIGHT").then(|| "5".into()));
        assert_eq!(s.uploads_in_flight, 5);
        assert_eq!(
            s.upload_bytes_per_day,
            Settings::default().upload_bytes_per_day
        );
        assert!(s.emf_metrics);
    }

    #[test]
    fn reports_every_missing_variable() {
        let err = AwsConfig::from_lookup(|k| (k == "IMAGEGRAM_TABLE").then(|| "t".to_owned()))
            .unwrap_err();
        assert_eq!(
            err.0,
            vec![
                "IMAGEGRAM_UPLOADS_BUCKET",
                "IMAGEGRAM_RENDITIONS_BUCKET",
                "IMAGEGRAM_JWT_SECRET"
            ]
        );
        let short = AwsConfig::from_lookup(|_| Some("short".into())).unwrap_err();
        assert!(short.to_string().contains("32"));
        let ok = AwsConfig::from_lookup(|_| Some("x".repeat(40))).unwrap();
        assert_ne!(ok.secrets().cursor, [0u8; 32]);
    }
}
