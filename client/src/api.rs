//! Typed calls over `/v1`. Answers the CLI prints as they are (posts, comments, feed pages)
//! are kept as JSON values, so nothing the server adds is lost; what the client itself works
//! with (tokens, uploads) is typed.

use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::retry::retry_after;
use crate::{Error, Result, Retry};

/// Timeouts: connecting, and any pause in an answer or a body being sent (not a whole
/// transfer: a part over a slow link may take minutes, but never a minute of silence).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Whole-call limit for API calls (never for part uploads).
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    api: String,
    token: Option<String>,
    pub retry: Retry,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Token {
    pub access_token: String,
    pub expires_in: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct NewUpload<'a> {
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PartUrl {
    pub number: u32,
    pub url: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CreatedUpload {
    pub id: String,
    pub part_size: u64,
    pub parts: Vec<PartUrl>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReceivedPart {
    pub number: u32,
    pub etag: String,
    pub size: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UploadState {
    pub id: String,
    pub status: String,
    pub size: u64,
    pub part_size: u64,
    pub parts_received: Vec<ReceivedPart>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PartEtag {
    pub number: u32,
    pub etag: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Comments,
    New,
}

impl Client {
    /// A client for the API at `api` (e.g. `http://127.0.0.1:8080`), with a bearer token or not.
    pub fn new(api: &str, token: Option<String>) -> Result<Self> {
        let api = api.trim_end_matches('/').to_string();
        if !(api.starts_with("http://") || api.starts_with("https://")) {
            return Err(Error::Other(format!(
                "the API address must start with http:// or https://, not {api:?}"
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .user_agent(concat!("imagegram-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| Error::Other(format!("HTTP client: {err}")))?;
        Ok(Client {
            http,
            api,
            token,
            retry: Retry::default(),
        })
    }

    pub fn api(&self) -> &str {
        &self.api
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let builder = self
            .http
            .request(method, format!("{}{path}", self.api))
            .timeout(CALL_TIMEOUT);
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// One call, retried while the failure is transient. `key` is the call's Idempotency-Key
    /// (the same on every retry).
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Result<T> {
        self.retry
            .run(|| async {
                let mut request = self.request(method.clone(), path);
                if let Some(body) = body {
                    request = request.json(body);
                }
                if let Some(key) = key {
                    request = request.header("idempotency-key", key);
                }
                let response = request.send().await?;
                let status = response.status();
                if status == StatusCode::NO_CONTENT {
                    return serde_json::from_value(Value::Null).map_err(|err| {
                        Error::Other(format!("unexpected empty answer to {path}: {err}"))
                    });
                }
                if !status.is_success() {
                    return Err(api_error(response).await);
                }
                Ok(response.json::<T>().await?)
            })
            .await
    }

    fn need_token(&self) -> Result<()> {
        match self.token {
            Some(_) => Ok(()),
            None => Err(Error::Auth(
                "not logged in: run `imagegram login`, or set IMAGEGRAM_TOKEN".into(),
            )),
        }
    }

    pub async fn login(&self, username: &str, password: &str) -> Result<Token> {
        let body = json!({ "username": username, "password": password });
        self.call(Method::POST, "/v1/tokens", Some(&body), None)
            .await
    }

    pub async fn me(&self) -> Result<Value> {
        self.need_token()?;
        self.call(Method::GET, "/v1/users/me", None, None).await
    }

    pub async fn create_upload(&self, upload: &NewUpload<'_>, key: &str) -> Result<CreatedUpload> {
        self.need_token()?;
        let body = serde_json::to_value(upload).map_err(|err| Error::Other(err.to_string()))?;
        self.call(Method::POST, "/v1/uploads", Some(&body), Some(key))
            .await
    }

    pub async fn upload(&self, id: &str) -> Result<UploadState> {
        self.need_token()?;
        self.call(Method::GET, &format!("/v1/uploads/{id}"), None, None)
            .await
    }

    /// Fresh URLs for parts whose URLs expired.
    pub async fn sign_parts(&self, id: &str, numbers: &[u32]) -> Result<Vec<PartUrl>> {
        #[derive(Deserialize)]
        struct Parts {
            parts: Vec<PartUrl>,
        }
        self.need_token()?;
        let body = json!({ "numbers": numbers });
        let path = format!("/v1/uploads/{id}/parts");
        let key = ulid::Ulid::new().to_string();
        let parts: Parts = self
            .call(Method::POST, &path, Some(&body), Some(&key))
            .await?;
        Ok(parts.parts)
    }

    pub async fn complete(&self, id: &str, parts: &[PartEtag], key: &str) -> Result<Value> {
        self.need_token()?;
        let body = json!({ "parts": parts });
        let path = format!("/v1/uploads/{id}/complete");
        self.call(Method::POST, &path, Some(&body), Some(key)).await
    }

    pub async fn abort(&self, id: &str) -> Result<()> {
        self.need_token()?;
        let path = format!("/v1/uploads/{id}");
        self.call::<Option<Value>>(Method::DELETE, &path, None, None)
            .await
            .map(drop)
    }

    pub async fn create_post(
        &self,
        upload_id: &str,
        caption: &str,
        alt_text: &str,
        key: &str,
    ) -> Result<Value> {
        self.need_token()?;
        let body = json!({ "upload_id": upload_id, "caption": caption, "alt_text": alt_text });
        self.call(Method::POST, "/v1/posts", Some(&body), Some(key))
            .await
    }

    pub async fn post(&self, id: &str) -> Result<Value> {
        self.need_token()?;
        self.call(Method::GET, &format!("/v1/posts/{id}"), None, None)
            .await
    }

    /// Polls a post until it is `ready` (its answer) or `failed` (a 422-like refusal), waiting
    /// at most `timeout`.
    pub async fn wait_ready(&self, id: &str, timeout: Duration) -> Result<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut pause = Duration::from_millis(100);
        loop {
            let post = self.post(id).await?;
            match post.get("status").and_then(Value::as_str) {
                Some("ready") => return Ok(post),
                Some("failed") => {
                    let why = post
                        .pointer("/failure/message")
                        .or_else(|| post.get("failure"))
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                        .unwrap_or_else(|| "the image could not be processed".into());
                    return Err(Error::Api {
                        status: 422,
                        code: "image_failed".into(),
                        message: why,
                        retry_after: None,
                    });
                }
                _ if tokio::time::Instant::now() >= deadline => {
                    return Err(Error::Other(format!(
                        "post {id} is still processing after {} s",
                        timeout.as_secs()
                    )));
                }
                _ => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
            }
        }
    }

    pub async fn feed(
        &self,
        sort: Sort,
        author: Option<&str>,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Value> {
        self.need_token()?;
        let mut query = vec![(
            "sort",
            match sort {
                Sort::Comments => "comments".to_string(),
                Sort::New => "new".to_string(),
            },
        )];
        query.extend(author.map(|a| ("author", a.to_string())));
        query.extend(limit.map(|l| ("limit", l.to_string())));
        query.extend(cursor.map(|c| ("cursor", c.to_string())));
        let query = serde_urlencoded(&query);
        self.call(Method::GET, &format!("/v1/posts?{query}"), None, None)
            .await
    }

    pub async fn comment(&self, post_id: &str, text: &str, key: &str) -> Result<Value> {
        self.need_token()?;
        let body = json!({ "text": text });
        let path = format!("/v1/posts/{post_id}/comments");
        self.call(Method::POST, &path, Some(&body), Some(key)).await
    }
}

/// `a=b&c=d`, percent-encoded (reqwest's own `query` needs a builder; paths here are strings).
fn serde_urlencoded(pairs: &[(&str, String)]) -> String {
    let mut url = reqwest::Url::parse("http://x/").expect("static URL");
    url.query_pairs_mut()
        .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
    url.query().unwrap_or_default().to_string()
}

/// The API's error (`{"error": {code, message}}`), or the object endpoint's (S3 XML
/// `<Code>`/`<Message>`), or the bare status.
pub(crate) async fn api_error(response: reqwest::Response) -> Error {
    let status = response.status().as_u16();
    let retry_after = retry_after(response.headers());
    let text = response.text().await.unwrap_or_default();
    let (code, message) = match serde_json::from_str::<Value>(&text) {
        Ok(body) => (
            body.pointer("/error/code")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            body.pointer("/error/message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        ),
        Err(_) => (xml_field(&text, "Code"), xml_field(&text, "Message")),
    };
    let message = if message.is_empty() {
        format!("HTTP {status}")
    } else {
        message
    };
    Error::Api {
        status,
        code,
        message,
        retry_after,
    }
}

fn xml_field(text: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    text.split_once(&open)
        .and_then(|(_, rest)| rest.split_once(&close))
        .map(|(value, _)| value.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_xml_errors_are_read() {
        let xml = "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code>\
                   <Message>Request has expired</Message></Error>";
        assert_eq!(xml_field(xml, "Code"), "AccessDenied");
        assert_eq!(xml_field(xml, "Message"), "Request has expired");
        assert_eq!(xml_field("nothing", "Code"), "");
    }

    #[test]
    fn queries_are_percent_encoded() {
        let query = serde_urlencoded(&[("author", "a b&c".into()), ("limit", "5".into())]);
        assert_eq!(query, "author=a+b%26c&limit=5");
    }

    #[test]
    fn api_addresses_must_be_http() {
        assert!(Client::new("127.0.0.1:8080", None).is_err());
        assert_eq!(
            Client::new("http://127.0.0.1:8080/", None).unwrap().api(),
            "http://127.0.0.1:8080"
        );
    }
}
