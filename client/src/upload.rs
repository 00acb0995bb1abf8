//! A file to a completed upload (API.md "Uploads"), resumable and careful with a bad link:
//!
//! 1. The file's SHA-256 names its state ([`crate::state`]); a state for the same API and size
//!    says which upload to continue, and `GET /v1/uploads/{id}` which parts the server has.
//!    A part counts as stored only if its size and ETag (MD5) match our bytes; a state whose
//!    upload is gone (aborted, expired, someone else's) starts a new upload.
//! 2. `POST /v1/uploads` carries an Idempotency-Key saved in the state before the request, so a
//!    kill before the answer was saved replays the same upload.
//! 3. Missing parts go to their presigned URLs, `parallel` at once, each streamed from the file
//!    in 64 KiB pieces, checked against the ETag the endpoint answers; a failed part is retried
//!    alone with backoff and full jitter; a 403 `Request has expired` re-signs the part
//!    (`POST /v1/uploads/{id}/parts`) and sends it again; a 429 or 503 pauses every part for
//!    its `Retry-After`.
//! 4. `complete` with the parts' ETags, its key derived from the upload (a retry replays).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use md5::{Digest, Md5};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::task::JoinSet;

use crate::api::{NewUpload, PartEtag, ReceivedPart, api_error};
use crate::state::{StateDir, UploadRecord, content_hash, hex};
use crate::{Client, Error, Result};

/// Re-signs of one part in a row before its expired URL counts as a failure.
const MAX_RESIGNS: u32 = 3;
/// A part must keep moving at this rate at least (bytes per second), or it is cut and retried.
const SLOWEST_RATE: u64 = 16 * 1024;
const CHUNK: usize = 512 * 1024;
/// A part URL that expires sooner than this is signed again before the part is sent.
const EXPIRY_MARGIN: Duration = Duration::from_secs(3);

/// Where an upload's bytes have got to: told the total and what the server already had, then
/// every piece sent (and taken back when a part attempt fails).
pub trait Progress: Send + Sync {
    fn start(&self, total: u64, stored: u64);
    fn advance(&self, bytes: u64);
    fn rewind(&self, bytes: u64);
    /// The upload ended (done or failed): a bar clears itself before anything else is printed.
    fn finish(&self) {}
}

/// No progress shown.
#[derive(Debug)]
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: u64, _: u64) {}
    fn advance(&self, _: u64) {}
    fn rewind(&self, _: u64) {}
}

#[derive(Clone)]
pub struct Uploader {
    client: Client,
    states: StateDir,
    parallel: usize,
    progress: Arc<dyn Progress>,
}

impl std::fmt::Debug for Uploader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uploader")
            .field("states", &self.states)
            .field("parallel", &self.parallel)
            .finish_non_exhaustive()
    }
}

/// A completed upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub id: String,
    /// The content hash that names the state (for [`Uploader::forget`]).
    pub hash: String,
    /// The parts this run sent (the others were stored already).
    pub sent: Vec<u32>,
}

impl Uploader {
    pub fn new(client: Client, states: StateDir, parallel: usize) -> Self {
        Uploader {
            client,
            states,
            parallel: parallel.max(1),
            progress: Arc::new(Quiet),
        }
    }

    pub fn with_progress(mut self, progress: Arc<dyn Progress>) -> Self {
        self.progress = progress;
        self
    }

    /// Drops the state of an upload whose last step (the post, the printed id) is done.
    pub fn forget(&self, hash: &str) {
        self.states.remove(hash);
    }

    pub async fn upload(&self, path: &Path) -> Result<Uploaded> {
        let result = self.run(path).await;
        self.progress.finish();
        result
    }

    async fn run(&self, path: &Path) -> Result<Uploaded> {
        let size = std::fs::metadata(path)
            .map_err(|err| Error::io(&format!("reading {}", path.display()), err))?
            .len();
        let hash = content_hash(path)?;
        let content_type = content_type(path)?;
        let filename = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "image".into());
        let fresh = || UploadRecord {
            api: self.client.api().to_string(),
            create_key: ulid::Ulid::new().to_string(),
            upload_id: None,
            size,
        };
        let mut record = match self.states.load(&hash) {
            Some(record) if record.api == self.client.api() && record.size == size => record,
            _ => fresh(),
        };

        let mut urls = HashMap::new();
        let (id, part_size, received) = loop {
            let Some(id) = record.upload_id.clone() else {
                self.states.save(&hash, &record)?;
                let new = NewUpload {
                    filename: &filename,
                    content_type,
                    size,
                };
                let created = match self.client.create_upload(&new, &record.create_key).await {
                    Ok(created) => created,
                    Err(err) => {
                        if !err.is_transient() {
                            self.states.remove(&hash);
                        }
                        return Err(err);
                    }
                };
                urls.extend(created.parts.into_iter().map(|p| (p.number, p.url)));
                record.upload_id = Some(created.id);
                self.states.save(&hash, &record)?;
                continue;
            };
            match self.client.upload(&id).await {
                Ok(state) if state.status == "uploaded" => {
                    self.progress.start(size, size);
                    return Ok(Uploaded {
                        id,
                        hash,
                        sent: Vec::new(),
                    });
                }
                Ok(state) if state.status == "uploading" => {
                    break (id, state.part_size, state.parts_received);
                }
                Ok(_) | Err(Error::Api { status: 404, .. }) => {
                    record = fresh();
                    urls.clear();
                }
                Err(err) => return Err(err),
            }
        };

        let parts = plan(size, part_size);
        let missing = missing_parts(path, &parts, &received).await?;
        let stored: u64 = parts
            .iter()
            .filter(|part| !missing.contains(&part.number))
            .map(|part| part.len)
            .sum();
        self.progress.start(size, stored);
        let etags = self.send_parts(&id, path, &parts, &missing, urls).await?;
        let mut list: BTreeMap<u32, String> = received
            .into_iter()
            .map(|part| (part.number, part.etag))
            .collect();
        list.extend(etags);
        let list: Vec<PartEtag> = parts
            .iter()
            .map(|part| PartEtag {
                number: part.number,
                etag: list.get(&part.number).cloned().unwrap_or_default(),
            })
            .collect();
        self.client
            .complete(&id, &list, &format!("complete-{id}"))
            .await?;
        Ok(Uploaded {
            id,
            hash,
            sent: missing,
        })
    }

    async fn send_parts(
        &self,
        id: &str,
        path: &Path,
        parts: &[Part],
        missing: &[u32],
        mut urls: HashMap<u32, String>,
    ) -> Result<BTreeMap<u32, String>> {
        let unsigned: Vec<u32> = missing
            .iter()
            .copied()
            .filter(|n| !urls.contains_key(n))
            .collect();
        if !unsigned.is_empty() {
            for part in self.client.sign_parts(id, &unsigned).await? {
                urls.insert(part.number, part.url);
            }
        }
        let shared = Arc::new(Shared {
            uploader: self.clone(),
            id: id.to_string(),
            path: path.to_path_buf(),
            parts: parts.iter().map(|p| (p.number, *p)).collect(),
            queue: Mutex::new(missing.iter().copied().collect()),
            urls: Mutex::new(urls),
            not_before: Mutex::new(tokio::time::Instant::now()),
            etags: Mutex::new(BTreeMap::new()),
        });
        let mut workers = JoinSet::new();
        for _ in 0..self.parallel.min(missing.len()) {
            let shared = shared.clone();
            workers.spawn(async move { shared.work().await });
        }
        while let Some(done) = workers.join_next().await {
            let result = done.map_err(|err| Error::Other(format!("upload worker: {err}")))?;
            if let Err(err) = result {
                workers.abort_all();
                return Err(err);
            }
        }
        let etags = std::mem::take(&mut *lock(&shared.etags));
        Ok(etags)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Part {
    number: u32,
    offset: u64,
    len: u64,
}

/// The parts of `size` bytes in `part_size` pieces (the last one shorter).
fn plan(size: u64, part_size: u64) -> Vec<Part> {
    let part_size = part_size.max(1);
    (0..size.div_ceil(part_size))
        .map(|i| Part {
            number: i as u32 + 1,
            offset: i * part_size,
            len: part_size.min(size - i * part_size),
        })
        .collect()
}

/// The parts to send: those the server lacks, or holds with another size or ETag than our
/// bytes have (MD5, as S3 computes a part's ETag).
async fn missing_parts(path: &Path, parts: &[Part], received: &[ReceivedPart]) -> Result<Vec<u32>> {
    let received: HashMap<u32, &ReceivedPart> = received.iter().map(|p| (p.number, p)).collect();
    let mut missing = Vec::new();
    for part in parts {
        let stored = match received.get(&part.number) {
            Some(got) if got.size == part.len => {
                got.etag.trim_matches('"') == md5_of(path, *part).await?
            }
            _ => false,
        };
        if !stored {
            missing.push(part.number);
        }
    }
    Ok(missing)
}

async fn md5_of(path: &Path, part: Part) -> Result<String> {
    let context = || format!("reading {}", path.display());
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|err| Error::io(&context(), err))?;
    file.seek(std::io::SeekFrom::Start(part.offset))
        .await
        .map_err(|err| Error::io(&context(), err))?;
    let mut reader = file.take(part.len);
    let mut hasher = Md5::new();
    let mut buffer = vec![0u8; CHUNK * 4];
    loop {
        let n = reader
            .read(&mut buffer)
            .await
            .map_err(|err| Error::io(&context(), err))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// What the part workers share.
struct Shared {
    uploader: Uploader,
    id: String,
    path: PathBuf,
    parts: HashMap<u32, Part>,
    queue: Mutex<VecDeque<u32>>,
    urls: Mutex<HashMap<u32, String>>,
    /// After a 429 or 503, no part starts before this.
    not_before: Mutex<tokio::time::Instant>,
    etags: Mutex<BTreeMap<u32, String>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    async fn work(&self) -> Result<()> {
        loop {
            let Some(number) = lock(&self.queue).pop_front() else {
                return Ok(());
            };
            let etag = self.send(self.parts[&number]).await?;
            lock(&self.etags).insert(number, etag);
        }
    }

    /// One part, until it is stored or its retries are spent.
    async fn send(&self, part: Part) -> Result<String> {
        let retry = self.uploader.client.retry;
        let (mut attempt, mut resigns) = (0, 0);
        loop {
            let not_before = *lock(&self.not_before);
            tokio::time::sleep_until(not_before).await;
            let url = self.url(part.number).await?;
            let sent = Arc::new(AtomicU64::new(0));
            let err = match self.put(&url, part, sent.clone()).await {
                Ok(etag) => return Ok(etag),
                Err(err) => err,
            };
            self.uploader.progress.rewind(sent.load(Ordering::Relaxed));
            if is_expired(&err) && resigns < MAX_RESIGNS {
                resigns += 1;
                let fresh = self
                    .uploader
                    .client
                    .sign_parts(&self.id, &[part.number])
                    .await?;
                let mut urls = lock(&self.urls);
                urls.extend(fresh.into_iter().map(|p| (p.number, p.url)));
                continue;
            }
            if !err.is_transient() || attempt >= retry.retries {
                return Err(err);
            }
            let delay = retry.delay(attempt, err.retry_after());
            if matches!(
                err,
                Error::Api {
                    status: 429 | 503,
                    ..
                }
            ) {
                let until = tokio::time::Instant::now() + delay;
                let mut not_before = lock(&self.not_before);
                *not_before = (*not_before).max(until);
            }
            tokio::time::sleep(delay).await;
            attempt += 1;
            resigns = 0;
        }
    }

    /// The part's URL, signed again first if it expires within [`EXPIRY_MARGIN`] (by the
    /// clock here; an endpoint whose clock disagrees answers `Request has expired`, which
    /// re-signs too). Endpoints may refuse an expired URL before reading the body and close
    /// the connection, which a client sees as a reset, not as the 403: hence the look first.
    async fn url(&self, number: u32) -> Result<String> {
        let url = lock(&self.urls).get(&number).cloned().unwrap_or_default();
        let now = chrono::Utc::now().timestamp();
        match url_expires_at(&url) {
            Some(at) if at - now > EXPIRY_MARGIN.as_secs() as i64 => Ok(url),
            None if !url.is_empty() => Ok(url),
            _ => {
                let fresh = self.uploader.client.sign_parts(&self.id, &[number]).await?;
                let mut urls = lock(&self.urls);
                urls.extend(fresh.into_iter().map(|p| (p.number, p.url)));
                Ok(urls.get(&number).cloned().unwrap_or_default())
            }
        }
    }

    /// One attempt: the part's bytes streamed from the file, the answer's ETag checked against
    /// their MD5.
    async fn put(&self, url: &str, part: Part, sent: Arc<AtomicU64>) -> Result<String> {
        let context = || format!("reading {}", self.path.display());
        let mut file = tokio::fs::File::open(&self.path)
            .await
            .map_err(|err| Error::io(&context(), err))?;
        file.seek(std::io::SeekFrom::Start(part.offset))
            .await
            .map_err(|err| Error::io(&context(), err))?;
        let hasher = Arc::new(Mutex::new(Md5::new()));
        let progress = self.uploader.progress.clone();
        let (digest, counted) = (hasher.clone(), sent.clone());
        let stream = tokio_util::io::ReaderStream::with_capacity(file.take(part.len), CHUNK)
            .inspect(move |chunk| {
                if let Ok(bytes) = chunk {
                    lock(&digest).update(bytes);
                    counted.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                    progress.advance(bytes.len() as u64);
                }
            });
        let limit = Duration::from_secs(60.max(part.len / SLOWEST_RATE));
        let response = self
            .uploader
            .client
            .http()
            .put(url)
            .header(reqwest::header::CONTENT_LENGTH, part.len)
            .timeout(limit)
            .body(reqwest::Body::wrap_stream(stream))
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(api_error(response).await);
        }
        let etag = response
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .trim_matches('"')
            .to_string();
        let ours = hex(&std::mem::take(&mut *lock(&hasher)).finalize());
        if sent.load(Ordering::Relaxed) != part.len || etag != ours {
            // The endpoint stored other bytes than ours (or said nothing): send it again.
            return Err(Error::Network(format!(
                "part {} stored with ETag {etag:?}, expected {ours:?}",
                part.number
            )));
        }
        Ok(format!("\"{etag}\""))
    }
}

/// When a SigV4 presigned URL stops working (Unix seconds): `X-Amz-Date` + `X-Amz-Expires`.
fn url_expires_at(url: &str) -> Option<i64> {
    let query = reqwest::Url::parse(url).ok()?;
    let (mut date, mut expires) = (None, None);
    for (name, value) in query.query_pairs() {
        match name.as_ref() {
            "X-Amz-Date" => date = Some(value.into_owned()),
            "X-Amz-Expires" => expires = value.parse::<i64>().ok(),
            _ => {}
        }
    }
    let signed = chrono::NaiveDateTime::parse_from_str(&date?, "%Y%m%dT%H%M%SZ").ok()?;
    Some(signed.and_utc().timestamp() + expires?)
}

fn is_expired(err: &Error) -> bool {
    matches!(err, Error::Api { status: 403, message, .. } if message.contains("Request has expired"))
}

/// The content type from the file's first bytes (what the server checks too), else from its
/// name; anything else is left to the server to refuse (415).
fn content_type(path: &Path) -> Result<&'static str> {
    let mut head = [0u8; 8];
    let n = {
        use std::io::Read;
        let mut file = std::fs::File::open(path)
            .map_err(|err| Error::io(&format!("reading {}", path.display()), err))?;
        file.read(&mut head)
            .map_err(|err| Error::io(&format!("reading {}", path.display()), err))?
    };
    let head = &head[..n];
    Ok(if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if head.starts_with(b"BM") {
        "image/bmp"
    } else {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
        {
            Some(ext) if ext == "png" => "image/png",
            Some(ext) if ext == "jpg" || ext == "jpeg" => "image/jpeg",
            Some(ext) if ext == "bmp" => "image/bmp",
            _ => "application/octet-stream",
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_the_file_exactly() {
        let parts = plan(20, 8);
        assert_eq!(
            parts,
            vec![
                Part {
                    number: 1,
                    offset: 0,
                    len: 8
                },
                Part {
                    number: 2,
                    offset: 8,
                    len: 8
                },
                Part {
                    number: 3,
                    offset: 16,
                    len: 4
                },
            ]
        );
        assert_eq!(plan(16, 8).len(), 2);
        assert_eq!(
            plan(1, 8),
            vec![Part {
                number: 1,
                offset: 0,
                len: 1
            }]
        );
    }

    #[tokio::test]
    async fn stored_parts_count_only_when_size_and_etag_match_our_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789abcdefXYZ").unwrap();
        let parts = plan(19, 8);
        let good = md5_of(&path, parts[0]).await.unwrap();
        let received = vec![
            ReceivedPart {
                number: 1,
                etag: format!("\"{good}\""),
                size: 8,
            },
            ReceivedPart {
                number: 2,
                etag: format!("\"{good}\""),
                size: 8,
            },
            ReceivedPart {
                number: 3,
                etag: "\"x\"".into(),
                size: 2,
            },
        ];
        assert_eq!(
            missing_parts(&path, &parts, &received).await.unwrap(),
            vec![2, 3]
        );
        assert_eq!(
            missing_parts(&path, &parts, &[]).await.unwrap(),
            vec![1, 2, 3]
        );
    }

    #[test]
    fn the_content_type_comes_from_the_bytes_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("photo.png");
        std::fs::write(&path, [0xFF, 0xD8, 0xFF, 0xE0]).unwrap();
        assert_eq!(content_type(&path).unwrap(), "image/jpeg");
        std::fs::write(&path, b"hello").unwrap();
        assert_eq!(content_type(&path).unwrap(), "image/png");
        let other = dir.path().join("notes.txt");
        std::fs::write(&other, b"hello").unwrap();
        assert_eq!(content_type(&other).unwrap(), "application/octet-stream");
    }

    #[test]
    fn presigned_urls_say_when_they_expire() {
        let url = "http://127.0.0.1:1/uploads/k?partNumber=2&X-Amz-Algorithm=AWS4-HMAC-SHA256\
                   &X-Amz-Date=20261207T121655Z&X-Amz-Expires=3600&X-Amz-Signature=ab";
        assert_eq!(url_expires_at(url), Some(1_796_645_815 + 3600));
        assert_eq!(
            url_expires_at("http://127.0.0.1:1/uploads/k?partNumber=2"),
            None
        );
        assert_eq!(url_expires_at("not a url"), None);
    }

    #[test]
    fn only_an_expired_url_is_re_signed() {
        let expired = Error::Api {
            status: 403,
            code: "AccessDenied".into(),
            message: "Request has expired".into(),
            retry_after: None,
        };
        assert!(is_expired(&expired));
        let denied = Error::Api {
            status: 403,
            code: "SignatureDoesNotMatch".into(),
            message: "The request signature we calculated does not match".into(),
            retry_after: None,
        };
        assert!(!is_expired(&denied));
    }
}
