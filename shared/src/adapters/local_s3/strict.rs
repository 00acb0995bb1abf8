//! `StrictFs`: s3s-fs made to keep S3's multipart promises, plus object-created notifications.

use std::path::PathBuf;

use async_trait::async_trait;
use aws_lambda_events::s3::S3Event;
use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};
use s3s_fs::FileSystem;
use tokio::sync::mpsc::UnboundedSender;

/// Wraps s3s-fs. Each part's ETag is kept in a sidecar file next to the part, so ListParts can
/// return ETags in part order and CompleteMultipartUpload can refuse a wrong or missing one
/// (`InvalidPart`), as S3 does.
pub struct StrictFs {
    inner: FileSystem,
    root: PathBuf,
    notify_bucket: String,
    events: Option<UnboundedSender<S3Event>>,
}

impl StrictFs {
    pub fn new(
        inner: FileSystem,
        root: PathBuf,
        notify_bucket: &str,
        events: Option<UnboundedSender<S3Event>>,
    ) -> Self {
        Self {
            inner,
            root,
            notify_bucket: notify_bucket.to_owned(),
            events,
        }
    }

    fn etag_path(&self, upload_id: &str, part: i32) -> S3Result<PathBuf> {
        // s3s-fs upload ids are UUIDs; refusing anything else keeps the sidecar inside `root`.
        if upload_id.len() != 36
            || !upload_id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b'-')
        {
            return Err(s3_error!(NoSuchUpload));
        }
        Ok(self
            .root
            .join(format!(".upload_id-{upload_id}.etag-{part}")))
    }

    fn notify(&self, event_name: &str, bucket: &str, key: &str, size: i64, etag: &str) {
        let Some(events) = &self.events else { return };
        if bucket != self.notify_bucket {
            return;
        }
        match crate::edge::s3_event::object_created(event_name, bucket, key, size, etag) {
            Ok(e) => {
                let _ = events.send(e);
            }
            Err(e) => tracing::error!(error = %e, "could not build an S3 event"),
        }
    }

    fn object_size(&self, bucket: &str, key: &str) -> i64 {
        std::fs::metadata(self.root.join(bucket).join(key))
            .map(|m| m.len() as i64)
            .unwrap_or(0)
    }
}

fn etag_text(e: &ETag) -> String {
    match e {
        ETag::Strong(s) | ETag::Weak(s) => s.clone(),
    }
}

#[async_trait]
impl S3 for StrictFs {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        self.inner.create_bucket(req).await
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.inner.head_bucket(req).await
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.inner.list_objects_v2(req).await
    }

    /// Applies the `response-content-type` / `response-content-disposition` overrides of a
    /// signed GET as S3 does (s3s-fs ignores them), and adds `nosniff` (which S3 itself can only
    /// get from a CDN in front of it).
    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let content_type = req.input.response_content_type.clone();
        let disposition = req.input.response_content_disposition.clone();
        let mut res = self.inner.get_object(req).await?;
        if let Some(ct) = content_type {
            res.output.content_type = Some(ct);
        }
        if let Some(d) = disposition {
            res.output.content_disposition = Some(d);
        }
        res.headers.insert(
            http::header::X_CONTENT_TYPE_OPTIONS,
            http::HeaderValue::from_static("nosniff"),
        );
        Ok(res)
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        self.inner.head_object(req).await
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.inner.delete_object(req).await
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let out = self.inner.put_object(req).await?;
        let etag = out.output.e_tag.as_ref().map(etag_text).unwrap_or_default();
        self.notify(
            "ObjectCreated:Put",
            &bucket,
            &key,
            self.object_size(&bucket, &key),
            &etag,
        );
        Ok(out)
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.inner.create_multipart_upload(req).await
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let sidecar = self.etag_path(&req.input.upload_id, req.input.part_number)?;
        let out = self.inner.upload_part(req).await?;
        if let Some(etag) = &out.output.e_tag {
            tokio::fs::write(&sidecar, etag_text(etag))
                .await
                .map_err(|e| s3_error!(e, InternalError))?;
        }
        Ok(out)
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let upload_id = req.input.upload_id.clone();
        let mut out = self.inner.list_parts(req).await?;
        let mut parts = out.output.parts.take().unwrap_or_default();
        for part in &mut parts {
            let number = part.part_number.unwrap_or(0);
            if let Ok(etag) = tokio::fs::read_to_string(self.etag_path(&upload_id, number)?).await {
                part.e_tag = Some(ETag::Strong(etag));
            }
        }
        parts.sort_by_key(|p| p.part_number);
        out.output.parts = Some(parts);
        Ok(out)
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let (bucket, key, upload_id) = (
            req.input.bucket.clone(),
            req.input.key.clone(),
            req.input.upload_id.clone(),
        );
        let parts = req
            .input
            .multipart_upload
            .as_ref()
            .and_then(|m| m.parts.clone())
            .unwrap_or_default();
        let mut sidecars = Vec::with_capacity(parts.len());
        for part in &parts {
            let number = part
                .part_number
                .ok_or_else(|| s3_error!(InvalidPart, "missing part number"))?;
            let path = self.etag_path(&upload_id, number)?;
            let stored = tokio::fs::read_to_string(&path)
                .await
                .map_err(|_| s3_error!(InvalidPart, "part {number} was not uploaded"))?;
            let given = part.e_tag.as_ref().map(etag_text).unwrap_or_default();
            if given.trim_matches('"') != stored.trim_matches('"') {
                return Err(s3_error!(
                    InvalidPart,
                    "the ETag of part {number} does not match"
                ));
            }
            sidecars.push(path);
        }
        let mut out = self.inner.complete_multipart_upload(req).await?;
        // s3s-fs defers the final answer into a future; resolve it here so the event carries the ETag.
        if let Some(fut) = out.output.future.take() {
            out.output = fut.await?;
        }
        for path in sidecars {
            let _ = tokio::fs::remove_file(path).await;
        }
        let etag = out.output.e_tag.as_ref().map(etag_text).unwrap_or_default();
        self.notify(
            "ObjectCreated:CompleteMultipartUpload",
            &bucket,
            &key,
            self.object_size(&bucket, &key),
            &etag,
        );
        Ok(out)
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.inner.abort_multipart_upload(req).await
    }
}
