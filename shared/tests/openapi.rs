//! The OpenAPI document and `/docs`: in step with the router both ways, true to the answers, served offline.

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use common::{TestApp, call, spawn_app};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// Every route the server serves today. A new route goes here and into `openapi.json` together.
const ROUTES: [(&str, &str); 18] = [
    ("GET", "/healthz"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("POST", "/v1/users"),
    ("POST", "/v1/tokens"),
    ("GET", "/v1/users/me"),
    ("POST", "/v1/uploads"),
    ("GET", "/v1/uploads/{id}"),
    ("DELETE", "/v1/uploads/{id}"),
    ("POST", "/v1/uploads/{id}/parts"),
    ("POST", "/v1/uploads/{id}/complete"),
    ("GET", "/v1/posts"),
    ("POST", "/v1/posts"),
    ("GET", "/v1/posts/{id}"),
    ("DELETE", "/v1/posts/{id}"),
    ("GET", "/v1/posts/{id}/comments"),
    ("POST", "/v1/posts/{id}/comments"),
    ("DELETE", "/v1/posts/{id}/comments/{comment_id}"),
];

/// The `/v1` operations that need no bearer token.
const PUBLIC_V1: [(&str, &str); 2] = [("POST", "/v1/users"), ("POST", "/v1/tokens")];

const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

const ULID: &str = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

fn document() -> Value {
    serde_json::from_str(include_str!("../src/http/openapi.json")).expect("openapi.json is JSON")
}

/// (METHOD, path template) of every operation in the document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths is an object");
    paths
        .iter()
        .flat_map(|(path, item)| {
            HTTP_METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| (m.to_uppercase(), path.clone()))
        })
        .collect()
}

fn method(name: &str) -> Method {
    Method::from_bytes(name.as_bytes()).expect("an HTTP method")
}

/// The path with every `{param}` replaced by a well-formed id.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|s| if s.starts_with('{') { ULID } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// Follows `$ref` (local JSON pointers) until a node that is not a reference.
fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(
            doc,
            doc.pointer(r.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("unresolved $ref {r}")),
        ),
        None => node,
    }
}

fn each_node<'a>(v: &'a Value, f: &mut dyn FnMut(&'a Value)) {
    f(v);
    match v {
        Value::Object(m) => m.values().for_each(|c| each_node(c, f)),
        Value::Array(a) => a.iter().for_each(|c| each_node(c, f)),
        _ => {}
    }
}

/// Property names a schema declares, through `$ref` and `allOf`.
fn declared(doc: &Value, schema: &Value) -> BTreeSet<String> {
    let schema = resolve(doc, schema);
    let mut names: BTreeSet<String> = schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        names.extend(declared(doc, part));
    }
    names
}

/// A small JSON Schema check (the keywords openapi.json uses, but `pattern` and `format`); also
/// refuses properties an object schema does not declare, so an undocumented field fails.
fn conform(doc: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let s = resolve(doc, schema);
    let mut fail = |what: String| errors.push(format!("{at}: {what} (value {v})"));
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            other => other.as_str().into_iter().collect(),
        };
        let is = |t: &str| match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_u64() || v.is_i64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            _ => v.is_null(),
        };
        if !types.iter().any(|t| is(t)) {
            return fail(format!("not of type {types:?}"));
        }
        if types == ["object"] {
            let known = declared(doc, s);
            for k in v.as_object().into_iter().flat_map(|o| o.keys()) {
                if !known.contains(k) {
                    fail(format!("undocumented property `{k}`"));
                }
            }
        }
    }
    if s.get("const").is_some_and(|c| c != v) {
        fail(format!("not the const {}", s["const"]));
    }
    if s["enum"].as_array().is_some_and(|e| !e.contains(v)) {
        fail(format!("not in {}", s["enum"]));
    }
    let n = v.as_f64();
    if let (Some(n), Some(min)) = (n, s["minimum"].as_f64())
        && n < min
    {
        fail(format!("below {min}"));
    }
    if let (Some(n), Some(max)) = (n, s["maximum"].as_f64())
        && n > max
    {
        fail(format!("above {max}"));
    }
    let len = v.as_str().map(|t| t.chars().count() as u64);
    if let (Some(len), Some(max)) = (len, s["maxLength"].as_u64())
        && len > max
    {
        fail(format!("longer than {max}"));
    }
    if let (Some(len), Some(min)) = (len, s["minLength"].as_u64())
        && len < min
    {
        fail(format!("shorter than {min}"));
    }
    if let (Some(a), Some(max)) = (v.as_array(), s["maxItems"].as_u64())
        && a.len() as u64 > max
    {
        fail(format!("more than {max} items"));
    }
    for r in s["required"].as_array().into_iter().flatten() {
        let name = r.as_str().expect("required names are strings");
        if v.is_object() && v.get(name).is_none() {
            fail(format!("missing `{name}`"));
        }
    }
    for (k, sub) in s["properties"].as_object().into_iter().flatten() {
        if let Some(field) = v.get(k) {
            conform(doc, sub, field, &format!("{at}.{k}"), errors);
        }
    }
    if let (Some(items), Some(a)) = (s.get("items"), v.as_array()) {
        for (i, item) in a.iter().enumerate() {
            conform(doc, items, item, &format!("{at}[{i}]"), errors);
        }
    }
    for part in s["allOf"].as_array().into_iter().flatten() {
        conform(doc, part, v, at, errors);
    }
    let ok = |schema: &Value| {
        let mut e = Vec::new();
        conform(doc, schema, v, at, &mut e);
        e.is_empty()
    };
    if s["anyOf"].as_array().is_some_and(|a| !a.iter().any(ok)) {
        errors.push(format!("{at}: matches no anyOf branch (value {v})"));
    }
    if let Some(cond) = s.get("if") {
        let branch = if ok(cond) {
            s.get("then")
        } else {
            s.get("else")
        };
        if let Some(b) = branch {
            conform(doc, b, v, at, errors);
        }
    }
    if s.get("not").is_some_and(ok) {
        errors.push(format!("{at}: matches a `not` schema (value {v})"));
    }
}

/// The documented path template that `uri` falls under.
fn template_of(doc: &Value, uri: &str) -> String {
    let path = uri.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    let paths = doc["paths"].as_object().expect("paths is an object");
    paths
        .keys()
        .find(|t| {
            let ts: Vec<&str> = t.split('/').collect();
            ts.len() == segments.len()
                && ts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t.starts_with('{') || t == s)
        })
        .unwrap_or_else(|| panic!("{uri} is not documented"))
        .clone()
}

/// One call through the router; asserts that it answers `expected`, that this status is documented
/// for the operation, and that the body matches the documented schema. Returns the body.
async fn exchange(
    t: &TestApp,
    m: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
    expected: u16,
) -> Value {
    let doc = document();
    let template = template_of(&doc, uri);
    let (status, _, answer) = call(&t.router, m.clone(), uri, token, body).await;
    assert_eq!(status.as_u16(), expected, "{m} {uri}: {answer}");
    let op = &doc["paths"][&template][m.as_str().to_lowercase()];
    let documented = op["responses"]
        .get(status.as_str())
        .unwrap_or_else(|| panic!("{m} {template} answered undocumented {status}: {answer}"));
    let documented = resolve(&doc, documented);
    match documented["content"]["application/json"].get("schema") {
        Some(schema) => {
            let mut errors = Vec::new();
            conform(&doc, schema, &answer, "$", &mut errors);
            assert!(errors.is_empty(), "{m} {uri} {status}: {errors:#?}");
        }
        None => assert_eq!(answer, Value::Null, "{m} {uri} {status}: undocumented body"),
    }
    answer
}

/// Status, headers and raw body bytes of a GET.
async fn get_raw(router: &axum::Router, uri: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let req = Request::get(uri).body(Body::empty()).expect("request");
    let res = router.clone().oneshot(req).await.expect("infallible");
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    (parts.status, parts.headers, bytes.to_vec())
}

#[tokio::test]
async fn the_document_is_served_as_openapi_3_1_json() {
    let t = spawn_app().await;
    let (s, h, served) = call(&t.router, Method::GET, "/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "application/json");
    assert!(served["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(served, document());
    assert_eq!(served["servers"], json!([{"url": "/"}]));
}

#[tokio::test]
async fn documents_exactly_the_routes_listed_here() {
    let listed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(listed.len(), ROUTES.len(), "ROUTES has duplicates");
    assert_eq!(operations(&document()), listed);
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_no_other_method() {
    let t = spawn_app().await;
    // Given what the router answers for a path it surely does not serve
    let (s, _, unknown) = call(&t.router, Method::GET, "/v1/no/such/route", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(unknown["error"]["message"], "no such route");
    let doc = document();
    for (m, path) in operations(&doc) {
        // When each documented operation is called (no token, no body)
        let (s, _, b) = call(&t.router, method(&m), &concrete(&path), None, None).await;
        // Then a handler answered, not the fallbacks
        assert!(
            s != StatusCode::NOT_FOUND || b != unknown,
            "{m} {path} is not routed"
        );
        assert_ne!(s, StatusCode::METHOD_NOT_ALLOWED, "{m} {path}: {b}");
    }
    // And a method the document does not list for a path is a 405 there
    let documented = operations(&doc);
    for path in doc["paths"].as_object().unwrap().keys() {
        for m in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if !documented.contains(&(m.to_owned(), path.clone())) {
                let (s, _, b) = call(&t.router, method(m), &concrete(path), None, None).await;
                assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{m} {path}: {b}");
            }
        }
    }
}

#[tokio::test]
async fn errors_and_security_are_declared_on_every_operation() {
    let doc = document();
    let scheme = &doc["components"]["securitySchemes"]["bearerAuth"];
    assert_eq!(
        (&scheme["type"], &scheme["scheme"], &scheme["bearerFormat"]),
        (&json!("http"), &json!("bearer"), &json!("JWT"))
    );
    let error_ref = json!("#/components/schemas/Error");
    let mut ids = BTreeSet::new();
    for (m, path) in operations(&doc) {
        let op = &doc["paths"][&path][m.to_lowercase()];
        let id = op["operationId"].as_str().expect("an operationId");
        assert!(
            ids.insert(id.to_owned()),
            "{m} {path}: duplicate operationId {id}"
        );
        let responses = op["responses"].as_object().unwrap();
        let mut errors = 0;
        for (status, r) in responses {
            let r = resolve(&doc, r);
            if status.starts_with('4') || status.starts_with('5') {
                let schema = &r["content"]["application/json"]["schema"]["$ref"];
                assert_eq!(schema, &error_ref, "{m} {path} {status}");
                errors += usize::from(status.starts_with('4'));
            }
            if status == "429" {
                let retry = resolve(&doc, &r["headers"]["Retry-After"]);
                assert_eq!(retry["required"], true, "{m} {path}: Retry-After");
            }
        }
        let security = op.get("security").unwrap_or(&doc["security"]);
        let public = !path.starts_with("/v1/") || PUBLIC_V1.contains(&(m.as_str(), path.as_str()));
        if public {
            assert_eq!(security, &json!([]), "{m} {path} needs no token");
        } else {
            assert_eq!(security, &json!([{"bearerAuth": []}]), "{m} {path}");
            assert!(responses.contains_key("401"), "{m} {path}: 401");
        }
        // Only the service routes (health, this document, docs) have no error to declare
        if path.starts_with("/v1/") {
            assert!(errors > 0, "{m} {path} declares no 4xx");
        }
    }
    // And every reference points at something
    each_node(&doc, &mut |n| {
        let _ = resolve(&doc, n);
    });
}

#[tokio::test]
async fn docs_page_and_its_assets_are_served_without_external_urls() {
    let t = spawn_app().await;
    let (s, h, page) = get_raw(&t.router, "/docs").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = String::from_utf8(page).unwrap();
    assert!(
        !page.contains("http:") && !page.contains("https:"),
        "{page}"
    );
    assert!(page.contains(r#"url: "/openapi.json""#));
    assert!(
        !page.contains("src='") && !page.contains("href='"),
        "{page}"
    );
    let refs: Vec<&str> = ["src=\"", "href=\""]
        .iter()
        .flat_map(|attr| page.split(attr).skip(1))
        .map(|rest| rest.split('"').next().unwrap_or_default())
        .collect();
    assert!(
        refs.iter()
            .any(|r| r.starts_with("/docs/swagger-ui-bundle.js"))
    );
    assert!(refs.iter().any(|r| r.starts_with("/docs/swagger-ui.css")));
    for r in refs {
        // Every asset the page loads comes from this server, with a year of caching
        assert!(r.starts_with("/docs/"), "{r}");
        let (s, h, bytes) = get_raw(&t.router, r).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        let kind = h[header::CONTENT_TYPE].to_str().unwrap();
        let expected = if r.contains(".js") {
            "application/javascript"
        } else {
            "text/css"
        };
        assert!(kind.starts_with(expected), "{r}: {kind}");
        assert!(bytes.len() > 10_000, "{r} is {} bytes", bytes.len());
        let cache = h[header::CACHE_CONTROL].to_str().unwrap();
        assert!(cache.contains("max-age=31536000"), "{r}: {cache}");
    }
}

#[tokio::test]
async fn answers_match_the_documented_statuses_and_schemas() {
    use Method as M;
    let t = spawn_app().await;
    // Accounts
    let creds = json!({"username": "alice", "password": "correct-horse"});
    exchange(&t, M::POST, "/v1/users", None, Some(creds.clone()), 201).await;
    exchange(&t, M::POST, "/v1/users", None, Some(creds.clone()), 409).await;
    let bad = json!({"username": "A", "password": "correct-horse"});
    exchange(&t, M::POST, "/v1/users", None, Some(bad), 422).await;
    let wrong = json!({"username": "alice", "password": "wrong-horse"});
    exchange(&t, M::POST, "/v1/tokens", None, Some(wrong), 401).await;
    let tok = exchange(&t, M::POST, "/v1/tokens", None, Some(creds), 200).await;
    let alice = tok["access_token"].as_str().unwrap();
    let bob = &common::user(&t.router, "bob").await;
    exchange(&t, M::GET, "/v1/users/me", None, None, 401).await;
    exchange(&t, M::GET, "/v1/users/me", Some(alice), None, 200).await;

    // Uploads: refused, declared, inspected, re-signed, aborted
    let declare = |content_type: &str, size: u64| {
        Some(json!({"filename": "a.png", "content_type": content_type, "size": size}))
    };
    for (body, status) in [
        (declare("image/png", 104_857_601), 413),
        (declare("text/plain", 10), 415),
        (declare("image/png", 0), 422),
    ] {
        exchange(&t, M::POST, "/v1/uploads", Some(alice), body, status).await;
    }
    let body = declare("image/png", 10);
    let up = exchange(&t, M::POST, "/v1/uploads", Some(alice), body, 201).await;
    let up = format!("/v1/uploads/{}", up["id"].as_str().unwrap());
    exchange(&t, M::GET, &up, Some(alice), None, 200).await;
    exchange(&t, M::GET, &up, Some(bob), None, 404).await;
    let parts = format!("{up}/parts");
    let numbers = |n: u32| Some(json!({"numbers": [n]}));
    exchange(&t, M::POST, &parts, Some(alice), numbers(1), 200).await;
    exchange(&t, M::POST, &parts, Some(alice), numbers(2), 422).await;
    exchange(&t, M::DELETE, &up, Some(alice), None, 204).await;
    let complete = Some(json!({"parts": [{"number": 1, "etag": "x"}]}));
    exchange(
        &t,
        M::POST,
        &format!("{up}/complete"),
        Some(alice),
        complete,
        409,
    )
    .await;

    // Posts: a failed one (not an image), a ready one, the feed
    let junk = common::upload(&t, alice, b"not an image at all", "image/png").await;
    let body = Some(json!({"upload_id": junk, "caption": "junk"}));
    let p = exchange(&t, M::POST, "/v1/posts", Some(alice), body, 202).await;
    let id = p["id"].as_str().unwrap();
    assert_eq!(common::wait_post(&t, alice, id).await["status"], "failed");
    exchange(
        &t,
        M::GET,
        &format!("/v1/posts/{id}"),
        Some(alice),
        None,
        200,
    )
    .await;
    exchange(&t, M::GET, &format!("/v1/posts/{id}"), Some(bob), None, 404).await;
    let long = Some(json!({"upload_id": junk, "caption": "é".repeat(2201)}));
    exchange(&t, M::POST, "/v1/posts", Some(alice), long, 422).await;
    let post = format!("/v1/posts/{}", common::ready_post(&t, alice).await);
    exchange(&t, M::GET, &post, Some(bob), None, 200).await;

    // Comments, pages and bad queries
    let comments = format!("{post}/comments");
    let text = |text: &str| Some(json!({"text": text}));
    let c = exchange(&t, M::POST, &comments, Some(bob), text("nice"), 201).await;
    exchange(&t, M::POST, &comments, Some(bob), text(" "), 422).await;
    let comments_page = format!("{comments}?limit=1");
    for uri in [
        "/v1/posts?sort=new&limit=1",
        "/v1/posts?author=alice",
        &comments_page,
    ] {
        let page = exchange(&t, M::GET, uri, Some(bob), None, 200).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1, "{uri}: {page}");
    }
    let bad_limit = format!("{comments}?limit=x");
    for uri in [
        "/v1/posts?limit=0",
        "/v1/posts?sort=old",
        "/v1/posts?cursor=AAAA",
        &bad_limit,
    ] {
        exchange(&t, M::GET, uri, Some(bob), None, 400).await;
    }

    // Deletes
    exchange(&t, M::DELETE, &post, Some(bob), None, 403).await;
    let comment = format!("{comments}/{}", c["id"].as_str().unwrap());
    exchange(&t, M::DELETE, &comment, Some(bob), None, 204).await;
    exchange(&t, M::DELETE, &comment, Some(bob), None, 404).await;
    exchange(&t, M::DELETE, &post, Some(alice), None, 204).await;
    exchange(&t, M::GET, &post, Some(alice), None, 404).await;
}
