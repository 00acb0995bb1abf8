//! The one-machine shape: SQLite + the embedded S3 endpoint + an in-process resize queue + the API.
//!
//! Object-created notifications come from the embedded endpoint itself (the `StrictFs` wrapper
//! emits an `S3Event` when a multipart upload completes or an object is PUT into the uploads
//! bucket), so the resize handler is driven exactly as the Lambda is on AWS.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::s3::S3Event;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc};

use crate::adapters::local_s3::{self, LocalS3, RENDITIONS_BUCKET, UPLOADS_BUCKET};
use crate::adapters::s3::S3Objects;
use crate::adapters::sqlite::Sqlite;
use crate::app::{App, MetadataStore, Secrets, Settings, accounts};
use crate::config::ServeConfig;
use crate::edge::s3_event;

/// Why the one-machine shape could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Setup(String),
}

/// Wraps an I/O error with what was being done.
fn io(what: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> ServeError {
    move |source| ServeError::Io {
        what: what.to_string(),
        source,
    }
}

/// Keys generated into the data dir on first start and kept across restarts.
#[derive(Serialize, Deserialize)]
struct StoredSecrets {
    jwt: String,
    cursor: String,
    s3_access_key: String,
    s3_secret_key: String,
}

fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn load_secrets(dir: &Path) -> Result<StoredSecrets, ServeError> {
    let path = dir.join("secrets.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return serde_json::from_str(&text)
            .map_err(|e| ServeError::Setup(format!("{}: {e}", path.display())));
    }
    let s = StoredSecrets {
        jwt: random_hex(32),
        cursor: random_hex(32),
        s3_access_key: format!("IG{}", random_hex(9).to_uppercase()),
        s3_secret_key: random_hex(20),
    };
    let tmp = dir.join("secrets.json.tmp");
    let text = serde_json::to_vec_pretty(&s).map_err(|e| ServeError::Setup(e.to_string()))?;
    let writing = || io(format!("writing {}", path.display()));
    std::fs::write(&tmp, text).map_err(writing())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600)).map_err(writing())?;
    }
    std::fs::rename(&tmp, &path).map_err(writing())?;
    Ok(s)
}

fn hex32(text: &str) -> Result<[u8; 32], ServeError> {
    let invalid =
        || ServeError::Setup("secrets.json: the cursor secret must be 32 hex bytes".into());
    let bytes: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<_, _>>()
        .map_err(|_| invalid())?;
    bytes.try_into().map_err(|_| invalid())
}

/// The metadata database in a data dir.
pub fn database_path(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("imagegram.sqlite3")
}

/// A running instance: the API address, the embedded S3 endpoint, and the shared use-case state.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub s3: LocalS3,
    pub app: Arc<App>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Waits until the API server stops (after the shutdown signal).
    pub async fn wait(self) -> Result<(), ServeError> {
        self.server
            .await
            .map_err(|e| ServeError::Setup(format!("the API server task: {e}")))?
            .map_err(io("serving the API"))
    }
}

/// Starts everything on SQLite in the data dir; the API stops when `shutdown` resolves, after
/// in-flight requests finish.
pub async fn start(
    config: &ServeConfig,
    settings: Settings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Running, ServeError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(io(format!("creating {}", config.data_dir.display())))?;
    let db = database_path(&config.data_dir);
    let store =
        Sqlite::open(&db).map_err(|e| ServeError::Setup(format!("{}: {e}", db.display())))?;
    let store = Arc::new(store);
    start_on(config, settings, store.clone(), Some(store), shutdown).await
}

/// [`start`] with another metadata store (e.g. DynamoDB, so that tests run the whole embedded
/// shape, local S3 endpoint and resize worker included, on it). The data dir still holds the
/// secrets and the objects.
pub async fn start_with_store<S>(
    config: &ServeConfig,
    settings: Settings,
    store: Arc<S>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Running, ServeError>
where
    S: MetadataStore + 'static,
{
    start_on(config, settings, store, None, shutdown).await
}

/// Starts on `store`; with `sqlite` (the same store, as SQLite) the placeholder backfill runs.
async fn start_on<S>(
    config: &ServeConfig,
    settings: Settings,
    store: Arc<S>,
    sqlite: Option<Arc<Sqlite>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Running, ServeError>
where
    S: MetadataStore + 'static,
{
    std::fs::create_dir_all(&config.data_dir)
        .map_err(io(format!("creating {}", config.data_dir.display())))?;
    let secrets = load_secrets(&config.data_dir)?;

    // The API's address first: pages from its origin may use the object endpoint (CORS).
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(io(format!("listening on {}", config.addr)))?;
    let addr = listener
        .local_addr()
        .map_err(io("reading the API address"))?;
    let mut origins = api_origins(config.public_url.as_deref(), addr);
    origins.extend(settings.cors_origins.iter().cloned());

    let (events_tx, events_rx) = mpsc::unbounded_channel::<S3Event>();
    let s3 = local_s3::start(
        &config.data_dir.join("objects"),
        config.s3_addr,
        &secrets.s3_access_key,
        &secrets.s3_secret_key,
        Some(events_tx),
        &origins,
    )
    .await
    .map_err(io(format!(
        "starting the S3 endpoint on {}",
        config.s3_addr
    )))?;
    let client =
        S3Objects::local_client(&s3.endpoint, &secrets.s3_access_key, &secrets.s3_secret_key);
    let mut objects = S3Objects::new(client, UPLOADS_BUCKET, RENDITIONS_BUCKET);
    if let Some(public) = &config.s3_public_url {
        let signer =
            S3Objects::local_client(public, &secrets.s3_access_key, &secrets.s3_secret_key);
        objects = objects.with_public_signer(signer);
    }

    let keys = Secrets {
        jwt: secrets.jwt.into_bytes(),
        cursor: hex32(&secrets.cursor)?,
    };
    let app = Arc::new(App::new(store, Arc::new(objects), &keys, settings));
    crate::app::tiers::ensure_builtin(&app)
        .await
        .map_err(|e| ServeError::Setup(format!("creating the builtin tiers: {e}")))?;

    if let Some((name, password)) = &config.admin {
        accounts::ensure_admin(&app, name, password)
            .await
            .map_err(|e| ServeError::Setup(format!("IMAGEGRAM_ADMIN: {e}")))?;
        tracing::info!(admin = %name, "admin account ready");
    }

    tokio::spawn(resize_worker(app.clone(), events_rx));
    if let Some(sqlite) = sqlite {
        tokio::spawn(backfill_placeholders(app.clone(), sqlite));
    }

    let objects_origin = config.s3_public_url.clone().unwrap_or(s3.endpoint.clone());
    let web = Arc::new(crate::web::WebApp::new(&objects_origin));
    if !crate::web::WebApp::is_built() {
        tracing::warn!("the browser app is not built (web/dist): `/` answers 404");
    }
    let router = crate::http::router(app.clone())
        .layer(axum::middleware::from_fn_with_state(web, crate::web::serve));
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    });
    tracing::info!(api = %format!("http://{addr}"), s3 = %s3.endpoint, public_url = ?config.public_url, s3_public_url = ?config.s3_public_url, data_dir = %config.data_dir.display(), "imagegram is serving");
    Ok(Running {
        addr,
        s3,
        app,
        server,
    })
}

/// The origins of pages served by this API: `--public-url`, else the bound address (and, on a
/// loopback address, its `localhost` spelling, so either works in a browser's address bar).
fn api_origins(public_url: Option<&str>, addr: SocketAddr) -> Vec<String> {
    if let Some(url) = public_url {
        return vec![url.to_owned()];
    }
    let mut origins = vec![format!("http://{addr}")];
    if addr.ip().is_loopback() {
        origins.push(format!("http://localhost:{}", addr.port()));
    }
    origins
}

/// Gives the images processed before placeholders existed theirs, in the background at start
/// (a few at a time; nothing for the user to run). Reads of such an image do it too.
async fn backfill_placeholders(app: Arc<App>, store: Arc<Sqlite>) {
    let mut done = 0usize;
    loop {
        let ids = match store.images_without_placeholder(50).await {
            Ok(ids) if !ids.is_empty() => ids,
            Ok(_) => break,
            Err(e) => {
                tracing::warn!(error = %e, "placeholder backfill stopped");
                return;
            }
        };
        let mut progressed = false;
        for id in ids {
            let Ok(Some(mut image)) = app.media.get_image(id).await else {
                continue;
            };
            match crate::app::renditions::ensure_placeholder(&app, &mut image).await {
                Ok(()) if image.placeholder.is_some() => {
                    done += 1;
                    progressed = true;
                }
                Ok(()) => {}
                Err(e) => tracing::warn!(%id, error = %e, "no placeholder for this image"),
            }
        }
        if !progressed {
            break;
        }
    }
    if done > 0 {
        tracing::info!(
            images = done,
            "placeholders added to images processed before them"
        );
    }
}

/// Feeds object-created events to the resize handler, a few at a time, retrying transient
/// failures twice with backoff (as Lambda does for asynchronous invocations).
async fn resize_worker(app: Arc<App>, mut events: mpsc::UnboundedReceiver<S3Event>) {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let permits = Arc::new(Semaphore::new(workers));
    while let Some(event) = events.recv().await {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let app = app.clone();
        tokio::spawn(async move {
            let _permit = permit;
            for attempt in 0..3u32 {
                match s3_event::handle_event(&app, UPLOADS_BUCKET, &event).await {
                    Ok(()) => return,
                    Err(e) => {
                        tracing::warn!(attempt, error = %e, "resize failed; will retry");
                        tokio::time::sleep(Duration::from_secs(1 << attempt)).await;
                    }
                }
            }
            tracing::error!("resize gave up after 3 attempts");
        });
    }
}
