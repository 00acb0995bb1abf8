//! The embedded S3-compatible endpoint: s3s-fs behind SigV4 checks on a loopback port.
//!
//! `imagegram serve` starts it so that presigned URLs handed to clients are real: a changed or
//! expired URL is refused with 403, exactly as S3 would. [`strict::StrictFs`] adds what s3s-fs
//! lacks and S3 has (part ETags in ListParts, ETag checks on complete) and emits object-created
//! notifications for the uploads bucket, the way S3 notifies the resize Lambda.

mod strict;

use std::net::SocketAddr;
use std::path::Path;

use aws_lambda_events::s3::S3Event;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use hyper_util::service::TowerToHyperService;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

pub use strict::StrictFs;

/// A running embedded endpoint; dropping it stops accepting connections.
#[derive(Debug)]
pub struct LocalS3 {
    pub endpoint: String,
    pub addr: SocketAddr,
    accept_loop: JoinHandle<()>,
}

impl Drop for LocalS3 {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

/// Bucket names used by the embedded shape.
pub const UPLOADS_BUCKET: &str = "uploads";
pub const RENDITIONS_BUCKET: &str = "renditions";

/// Starts the endpoint on `addr` (port 0 picks a free one), storing buckets under `root`.
///
/// Object-created events of the uploads bucket go to `events` when given. Pages from
/// `cors_origins` may `PUT` parts and `GET` objects and read the `ETag` (preflights are answered
/// before the signature check, as S3 does: they carry none).
pub async fn start(
    root: &Path,
    addr: SocketAddr,
    access_key: &str,
    secret_key: &str,
    events: Option<UnboundedSender<S3Event>>,
    cors_origins: &[String],
) -> std::io::Result<LocalS3> {
    for bucket in [UPLOADS_BUCKET, RENDITIONS_BUCKET] {
        std::fs::create_dir_all(root.join(bucket))?;
    }
    let fs = s3s_fs::FileSystem::new(root).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
    let strict = StrictFs::new(fs, root.to_path_buf(), UPLOADS_BUCKET, events);
    let mut builder = S3ServiceBuilder::new(strict);
    builder.set_auth(SimpleAuth::from_single(access_key, secret_key));
    let service = tower::ServiceBuilder::new()
        .layer(crate::http::cors::objects_layer(cors_origins))
        .service(builder.build());
    let service = TowerToHyperService::new(service);

    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let accept_loop = tokio::spawn(async move {
        let http = ConnBuilder::new(TokioExecutor::new());
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let _ = socket.set_nodelay(true);
            let conn = http
                .serve_connection(TokioIo::new(socket), service.clone())
                .into_owned();
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(error = %e, "s3 connection ended with an error");
                }
            });
        }
    });
    Ok(LocalS3 {
        endpoint: format!("http://{addr}"),
        addr,
        accept_loop,
    })
}
