//! The browser app as `imagegram serve` serves it (over real HTTP: the app's middleware sits in
//! front of the API router), and CORS on the object endpoint and the API (API.md "Browsers").

use crate::common;

use imagegram::app::Settings;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;

fn html() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "accept",
        HeaderValue::from_static("text/html,application/xhtml+xml"),
    );
    h
}

async fn get(url: &str, headers: HeaderMap) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .headers(headers)
        .send()
        .await
        .unwrap()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

/// The first `/assets/...` file that `index.html` loads.
fn first_asset(index: &str) -> String {
    let start = index.find("/assets/").expect("index.html loads an asset");
    let end = index[start..].find('"').unwrap() + start;
    index[start..end].to_owned()
}

#[tokio::test]
async fn the_app_is_served_at_the_root_and_on_client_routes() {
    let t = common::spawn_app().await;
    let root = get(&format!("{}/", t.base), html()).await;
    assert_eq!(root.status(), 200);
    assert!(header(&root, "content-type").starts_with("text/html"));
    assert_eq!(header(&root, "cache-control"), "no-cache");
    let csp = header(&root, "content-security-policy").to_owned();
    assert!(
        csp.contains(&format!("connect-src 'self' {};", t.running.s3.endpoint)),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let etag = header(&root, "etag").to_owned();
    let index = root.text().await.unwrap();
    assert!(
        index.contains("<div id=\"root\"></div>") || index.contains("id=\"root\""),
        "{index}"
    );
    assert!(
        !index.contains("<script>"),
        "no inline script (the CSP forbids it)"
    );

    for route in ["/posts/01JABC", "/images", "/admin/tiers", "/login"] {
        let r = get(&format!("{}{route}", t.base), html()).await;
        assert_eq!(r.status(), 200, "{route}");
        assert_eq!(r.text().await.unwrap(), index, "{route} is the app");
    }

    let mut again = html();
    again.insert("if-none-match", HeaderValue::from_str(&etag).unwrap());
    let unchanged = get(&format!("{}/", t.base), again).await;
    assert_eq!(unchanged.status(), 304);

    let asset = first_asset(&index);
    let mut br = HeaderMap::new();
    br.insert("accept-encoding", HeaderValue::from_static("br"));
    let js = get(&format!("{}{asset}", t.base), br).await;
    assert_eq!(js.status(), 200, "{asset}");
    assert_eq!(
        header(&js, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(header(&js, "content-type").contains("javascript") || asset.ends_with(".css"));
    assert_eq!(
        header(&js, "content-encoding"),
        "br",
        "{asset} is compressed"
    );
}

#[tokio::test]
async fn api_routes_keep_their_json_answers() {
    let t = common::spawn_app().await;
    for path in ["/v1/nope", "/v1/posts/nope/zzz", "/docsy.json"] {
        let r = get(&format!("{}{path}", t.base), HeaderMap::new()).await;
        assert_eq!(r.status(), 404, "{path}");
        assert!(
            header(&r, "content-type").starts_with("application/json"),
            "{path}"
        );
    }
    // Even a browser asking for HTML gets the API's JSON 404 under /v1.
    let r = get(&format!("{}/v1/nope", t.base), html()).await;
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(common::error_code(&body), "not_found");
    let health = get(&format!("{}/healthz", t.base), html()).await;
    assert_eq!(health.status(), 200);
    assert!(header(&health, "content-type").starts_with("application/json"));
    // A missing asset is a 404, not the app.
    let missing = get(&format!("{}/assets/nope.js", t.base), HeaderMap::new()).await;
    assert_eq!(missing.status(), 404);
}

async fn preflight(url: &str, origin: &str, method: &str, headers: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, url)
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", headers)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn pages_of_the_api_origin_may_upload_parts_and_read_their_etags() {
    let t = common::spawn_app().await;
    let token = common::user(&t.router, "webby").await;
    let bytes = common::images::corpus("valid/png_1x1.png");
    let created = common::declare_upload(&t, &token, "a.png", bytes.len(), "image/png").await;
    let url = created["parts"][0]["url"].as_str().unwrap();
    let origin = t.base.clone();

    let ok = preflight(url, &origin, "PUT", "content-type").await;
    assert_eq!(ok.status(), 200, "a preflight carries no signature");
    assert_eq!(header(&ok, "access-control-allow-origin"), origin);
    assert!(header(&ok, "access-control-allow-methods").contains("PUT"));
    assert!(header(&ok, "access-control-allow-headers").contains("content-type"));
    let localhost = origin.replace("127.0.0.1", "localhost");
    let alias = preflight(url, &localhost, "PUT", "content-type").await;
    assert_eq!(header(&alias, "access-control-allow-origin"), localhost);

    let evil = preflight(url, "https://evil.example", "PUT", "content-type").await;
    assert_eq!(
        header(&evil, "access-control-allow-origin"),
        "",
        "other origins get no grant"
    );

    let put = reqwest::Client::new()
        .put(url)
        .header("origin", &origin)
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    assert_eq!(header(&put, "access-control-allow-origin"), origin);
    assert!(
        header(&put, "access-control-expose-headers")
            .to_lowercase()
            .contains("etag")
    );
    assert!(!header(&put, "etag").is_empty());

    // A refused PUT (tampered signature) still lets the page read the error.
    let last = url.chars().last().unwrap();
    let tampered = format!(
        "{}{}",
        &url[..url.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    let refused = reqwest::Client::new()
        .put(&tampered)
        .header("origin", &origin)
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(header(&refused, "access-control-allow-origin"), origin);
}

#[tokio::test]
async fn other_origins_are_allowed_only_when_configured() {
    let settings = Settings {
        cors_origins: vec!["https://app.example.com".into()],
        ..Settings::default()
    };
    let t = common::spawn_app_with(settings, None).await;
    let api = format!("{}/v1/posts", t.base);
    let ok = preflight(
        &api,
        "https://app.example.com",
        "POST",
        "authorization,idempotency-key",
    )
    .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(
        header(&ok, "access-control-allow-origin"),
        "https://app.example.com"
    );
    let allowed = header(&ok, "access-control-allow-headers").to_lowercase();
    assert!(
        allowed.contains("authorization") && allowed.contains("idempotency-key"),
        "{allowed}"
    );

    // Errors carry the grant too, so the page can read the message.
    let unauthorized = reqwest::Client::new()
        .get(api.replace("/posts", "/users/me"))
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    assert_eq!(
        header(&unauthorized, "access-control-allow-origin"),
        "https://app.example.com"
    );
    assert!(header(&unauthorized, "access-control-expose-headers").contains("etag"));

    let evil = preflight(&api, "https://evil.example", "POST", "authorization").await;
    assert_eq!(header(&evil, "access-control-allow-origin"), "");

    // Without the setting the API sends no CORS headers at all (same origin only).
    let plain = common::spawn_app().await;
    let none = preflight(
        &format!("{}/v1/posts", plain.base),
        "https://app.example.com",
        "POST",
        "authorization",
    )
    .await;
    assert_eq!(header(&none, "access-control-allow-origin"), "");
}
