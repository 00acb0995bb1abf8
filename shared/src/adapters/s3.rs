//! The object store over `aws-sdk-s3`: real S3 on AWS, or the embedded endpoint on one machine.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::config::SharedCredentialsProvider;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::ports::{
    Bucket, Download, ObjectError, ObjectInfo, ObjectResult, ObjectStore, PartInfo, Presigned,
    RENDITION_CACHE_CONTROL,
};

/// Presigned GETs are signed as of the start of a window of this fraction of their life, so the
/// URL of an object is the same for the whole window (in every process that signs with the same
/// keys: a feed's ETag holds across Lambda environments, clients cache images by URL) and always
/// has more than the rest of its life left.
const WINDOW_OF_LIFE: f64 = 0.5;
const PRESIGN_CACHE_MAX: usize = 100_000;

pub struct S3Objects {
    client: aws_sdk_s3::Client,
    /// Signs part URLs: `client`, or one for the public address of the endpoint.
    part_signer: aws_sdk_s3::Client,
    /// Signs expiring links; long-lived keys on AWS (see `aws.rs`), else `client`.
    link_client: aws_sdk_s3::Client,
    /// The credentials `link_client` signs with, when they may expire (a role's).
    link_credentials: Option<SharedCredentialsProvider>,
    uploads: String,
    renditions: String,
    presigned: Mutex<HashMap<(Bucket, String), Presigned>>,
}

impl std::fmt::Debug for S3Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Objects")
            .field("uploads", &self.uploads)
            .field("renditions", &self.renditions)
            .finish()
    }
}

impl S3Objects {
    pub fn new(client: aws_sdk_s3::Client, uploads: &str, renditions: &str) -> Self {
        Self {
            link_client: client.clone(),
            part_signer: client.clone(),
            link_credentials: None,
            client,
            uploads: uploads.to_owned(),
            renditions: renditions.to_owned(),
            presigned: Mutex::new(HashMap::new()),
        }
    }

    /// Signs expiring links with `client` (e.g. one with long-lived keys) instead.
    pub fn with_link_signer(mut self, client: aws_sdk_s3::Client) -> Self {
        self.link_client = client;
        self.link_credentials = None;
        self
    }

    /// Signs every URL handed to clients (parts, renditions, links) with `client`: the same keys
    /// for the address clients reach the endpoint at (a reverse proxy in front of it), since
    /// SigV4 signs the host. Requests made here still go to the endpoint directly.
    pub fn with_public_signer(mut self, client: aws_sdk_s3::Client) -> Self {
        self.part_signer = client.clone();
        self.link_client = client;
        self.link_credentials = None;
        self
    }

    /// Caps link expiry at the expiry of these credentials (the ones `link_client` signs with).
    pub fn with_expiring_credentials(mut self, provider: SharedCredentialsProvider) -> Self {
        self.link_credentials = Some(provider);
        self
    }

    /// A client for an S3-compatible endpoint with static keys (the embedded endpoint, s3s-fs in tests).
    pub fn local_client(endpoint: &str, access_key: &str, secret_key: &str) -> aws_sdk_s3::Client {
        let creds = Credentials::new(access_key, secret_key, None, None, "imagegram-local");
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(creds)
            .http_client(crate::aws::http_client())
            .force_path_style(true)
            // Without this the SDK signs a checksum of an empty body into presigned part URLs and
            // real uploads fail with BadDigest (awslabs/aws-sdk-rust#1240).
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// A client for AWS from the ambient SDK configuration (the Lambda role).
    pub fn aws_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(sdk)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// A client for AWS that signs with fixed long-lived keys (the link signer).
    pub fn aws_client_with_keys(
        sdk: &aws_config::SdkConfig,
        access_key: &str,
        secret_key: &str,
    ) -> aws_sdk_s3::Client {
        let creds = Credentials::new(access_key, secret_key, None, None, "imagegram-link-signer");
        let config = aws_sdk_s3::config::Builder::from(sdk)
            .credentials_provider(creds)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    fn bucket(&self, bucket: Bucket) -> &str {
        match bucket {
            Bucket::Uploads => &self.uploads,
            Bucket::Renditions => &self.renditions,
        }
    }
}

fn classify<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    e: SdkError<E, HttpResponse>,
) -> ObjectError {
    if let SdkError::ServiceError(service) = &e {
        match service.err().code() {
            Some("NoSuchKey" | "NoSuchUpload" | "NotFound" | "NoSuchBucket") => {
                return ObjectError::NotFound;
            }
            Some(code @ ("InvalidPart" | "InvalidPartOrder" | "EntityTooSmall")) => {
                let message = service.err().message().unwrap_or(code).to_owned();
                return ObjectError::InvalidPart(message);
            }
            _ => {}
        }
        if service.raw().status().as_u16() == 404 {
            return ObjectError::NotFound;
        }
    }
    ObjectError::Unavailable(format!("{}", aws_sdk_s3::error::DisplayErrorContext(&e)))
}

fn presign_config(expires_in: Duration) -> ObjectResult<PresigningConfig> {
    PresigningConfig::expires_in(expires_in).map_err(|e| ObjectError::Unavailable(e.to_string()))
}

/// The signing time of a presigned GET: now, rounded down to a multiple of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SigningWindow {
    start: DateTime<Utc>,
    expires_in: Duration,
}

impl SigningWindow {
    fn now(expires_in: Duration) -> Self {
        Self::at(Utc::now(), expires_in)
    }

    fn at(now: DateTime<Utc>, expires_in: Duration) -> Self {
        let window = (expires_in.as_secs_f64() * WINDOW_OF_LIFE).max(1.0) as i64;
        let start = now.timestamp().div_euclid(window) * window;
        Self {
            start: DateTime::from_timestamp(start, 0).unwrap_or(now),
            expires_in,
        }
    }

    fn expires_at(&self) -> DateTime<Utc> {
        self.start + chrono::Duration::from_std(self.expires_in).unwrap_or_default()
    }
}

fn expiry(expires_in: Duration) -> chrono::DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(expires_in).unwrap_or_default()
}

fn unquote(etag: &str) -> String {
    etag.trim_matches('"').to_owned()
}

#[async_trait]
impl ObjectStore for S3Objects {
    async fn start_multipart(&self, key: &str, content_type: &str) -> ObjectResult<String> {
        let out = self
            .client
            .create_multipart_upload()
            .bucket(&self.uploads)
            .key(key)
            .content_type(content_type)
            .send()
            .await
            .map_err(classify)?;
        out.upload_id()
            .map(str::to_owned)
            .ok_or_else(|| ObjectError::Unavailable("no upload id".into()))
    }

    async fn presign_part(
        &self,
        key: &str,
        multipart_id: &str,
        number: u32,
        length: u64,
        expires_in: Duration,
    ) -> ObjectResult<Presigned> {
        let req = self
            .part_signer
            .upload_part()
            .bucket(&self.uploads)
            .key(key)
            .upload_id(multipart_id)
            .part_number(number as i32)
            .content_length(length as i64)
            .presigned(presign_config(expires_in)?)
            .await
            .map_err(classify)?;
        Ok(Presigned {
            url: req.uri().to_owned(),
            expires_at: expiry(expires_in),
        })
    }

    async fn list_parts(&self, key: &str, multipart_id: &str) -> ObjectResult<Vec<PartInfo>> {
        let mut parts = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let out = self
                .client
                .list_parts()
                .bucket(&self.uploads)
                .key(key)
                .upload_id(multipart_id)
                .set_part_number_marker(marker.clone())
                .send()
                .await
                .map_err(classify)?;
            for p in out.parts() {
                parts.push(PartInfo {
                    number: p.part_number().unwrap_or(0).max(0) as u32,
                    etag: unquote(p.e_tag().unwrap_or_default()),
                    size: p.size().unwrap_or(0).max(0) as u64,
                });
            }
            match (out.is_truncated(), out.next_part_number_marker()) {
                (Some(true), Some(next)) => marker = Some(next.to_owned()),
                _ => break,
            }
        }
        parts.sort_by_key(|p| p.number);
        Ok(parts)
    }

    async fn complete_multipart(
        &self,
        key: &str,
        multipart_id: &str,
        parts: &[(u32, String)],
    ) -> ObjectResult<()> {
        let completed = parts
            .iter()
            .map(|(n, etag)| {
                CompletedPart::builder()
                    .part_number(*n as i32)
                    .e_tag(format!("\"{}\"", unquote(etag)))
                    .build()
            })
            .collect();
        self.client
            .complete_multipart_upload()
            .bucket(&self.uploads)
            .key(key)
            .upload_id(multipart_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(completed))
                    .build(),
            )
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn abort_multipart(&self, key: &str, multipart_id: &str) -> ObjectResult<()> {
        self.client
            .abort_multipart_upload()
            .bucket(&self.uploads)
            .key(key)
            .upload_id(multipart_id)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn head(&self, bucket: Bucket, key: &str) -> ObjectResult<Option<ObjectInfo>> {
        match self
            .client
            .head_object()
            .bucket(self.bucket(bucket))
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(ObjectInfo {
                size: out.content_length().unwrap_or(0).max(0) as u64,
                etag: unquote(out.e_tag().unwrap_or_default()),
            })),
            Err(e) => match classify(e) {
                ObjectError::NotFound => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn get(&self, bucket: Bucket, key: &str, max_bytes: u64) -> ObjectResult<Bytes> {
        let out = self
            .client
            .get_object()
            .bucket(self.bucket(bucket))
            .key(key)
            .send()
            .await
            .map_err(classify)?;
        let len = out.content_length().unwrap_or(0).max(0) as u64;
        if len > max_bytes {
            return Err(ObjectError::TooLarge(len));
        }
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| ObjectError::Unavailable(e.to_string()))?;
        let bytes = body.into_bytes();
        if bytes.len() as u64 > max_bytes {
            return Err(ObjectError::TooLarge(bytes.len() as u64));
        }
        Ok(bytes)
    }

    async fn put(
        &self,
        bucket: Bucket,
        key: &str,
        body: Bytes,
        content_type: &str,
    ) -> ObjectResult<()> {
        // A rendition's key always holds the same bytes (a deterministic render of one original),
        // so a browser may keep what it fetched: S3 answers every GET with this header.
        let cache_control = (bucket == Bucket::Renditions).then_some(RENDITION_CACHE_CONTROL);
        self.client
            .put_object()
            .bucket(self.bucket(bucket))
            .key(key)
            .content_type(content_type)
            .set_cache_control(cache_control.map(str::to_owned))
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn delete(&self, bucket: Bucket, key: &str) -> ObjectResult<()> {
        self.client
            .delete_object()
            .bucket(self.bucket(bucket))
            .key(key)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn presign_get(
        &self,
        bucket: Bucket,
        key: &str,
        expires_in: Duration,
    ) -> ObjectResult<Presigned> {
        let cache_key = (bucket, key.to_owned());
        let window = SigningWindow::now(expires_in);
        let cached = self
            .presigned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&cache_key)
            .cloned();
        if let Some(hit) = cached.filter(|hit| hit.expires_at == window.expires_at()) {
            return Ok(hit);
        }
        let config = PresigningConfig::builder()
            .start_time(window.start.into())
            .expires_in(expires_in)
            .build()
            .map_err(|e| ObjectError::Unavailable(e.to_string()))?;
        // The link signer's keys are the same in every Lambda environment (the role's session
        // credentials are not), so every environment signs the same URL for a window.
        let req = self
            .link_client
            .get_object()
            .bucket(self.bucket(bucket))
            .key(key)
            .presigned(config)
            .await
            .map_err(classify)?;
        let signed = Presigned {
            url: req.uri().to_owned(),
            expires_at: window.expires_at(),
        };
        let mut cache = self.presigned.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= PRESIGN_CACHE_MAX {
            cache.clear();
        }
        cache.insert(cache_key, signed.clone());
        Ok(signed)
    }

    async fn presign_link(
        &self,
        bucket: Bucket,
        key: &str,
        expires_in: Duration,
        download: Option<&Download>,
    ) -> ObjectResult<Presigned> {
        let mut get = self
            .link_client
            .get_object()
            .bucket(self.bucket(bucket))
            .key(key);
        if let Some(d) = download {
            get = get
                .response_content_type(&d.content_type)
                .response_content_disposition(format!("attachment; filename=\"{}\"", d.filename));
        }
        let req = get
            .presigned(presign_config(expires_in)?)
            .await
            .map_err(classify)?;
        let mut expires_at = expiry(expires_in);
        if let Some(dies) = credentials_expiry(self.link_credentials.as_ref()).await {
            expires_at = expires_at.min(dies);
        }
        Ok(Presigned {
            url: req.uri().to_owned(),
            expires_at,
        })
    }

    async fn read_prefix(&self, bucket: Bucket, key: &str, len: u64) -> ObjectResult<Bytes> {
        let out = self
            .client
            .get_object()
            .bucket(self.bucket(bucket))
            .key(key)
            .range(format!("bytes=0-{}", len.saturating_sub(1)))
            .send()
            .await
            .map_err(classify)?;
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| ObjectError::Unavailable(e.to_string()))?;
        Ok(body.into_bytes())
    }
}

/// When the credentials `client` signs with expire (`None` for long-lived keys): a URL signed with
/// temporary credentials (every Lambda role's) stops working then, whatever it says.
async fn credentials_expiry(
    provider: Option<&SharedCredentialsProvider>,
) -> Option<chrono::DateTime<Utc>> {
    use aws_sdk_s3::config::ProvideCredentials;
    let provider = provider?;
    let creds = provider.provide_credentials().await.ok()?;
    creds.expiry().map(chrono::DateTime::<Utc>::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signing_window_is_the_same_for_its_whole_span_and_leaves_half_the_life() {
        let ttl = Duration::from_secs(3600);
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let w = SigningWindow::at(t0, ttl);
        assert_eq!(w.start.timestamp() % 1800, 0);
        for s in [0, 1, 900, 1799] {
            let now = w.start + chrono::Duration::seconds(s);
            assert_eq!(SigningWindow::at(now, ttl), w);
            assert!(w.expires_at() - now > chrono::Duration::seconds(1800));
        }
        let next = SigningWindow::at(w.start + chrono::Duration::seconds(1800), ttl);
        assert_ne!(next, w);
    }
}
