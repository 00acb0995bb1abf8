//! The OpenAPI document and `/docs`: in step with the router both ways, true to the answers, served offline.

use crate::common;
use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use common::{TestApp, call, raw, spawn_app, spawn_app_with};
use http_body_util::BodyExt;
use imagegram::app::Settings;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The `/v1` operations that need no bearer token.
const PUBLIC_V1: [(&str, &str); 2] = [("POST", "/v1/users"), ("POST", "/v1/tokens")];

const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

const ULID: &str = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

fn document() -> Value {
    serde_json::from_str(include_str!("../../src/http/openapi.json")).expect("openapi.json is JSON")
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

/// The document with every object schema closed (`unevaluatedProperties: false`, unless it says
/// itself what other properties may be), so that an answer with an undocumented field fails.
/// A schema that is a branch of an `allOf` (or the target of a branch's `$ref`), or an `if`,
/// `then`, `else` or `not`, stays open: the schema it is part of is closed instead, and sees the
/// properties of all its parts.
fn closed(doc: &Value) -> Value {
    let mut branches = BTreeSet::new();
    each_node(doc, &mut |n| {
        for b in n["allOf"].as_array().into_iter().flatten() {
            if let Some(r) = b["$ref"].as_str() {
                branches.insert(r.to_owned());
            }
        }
    });
    let mut doc = doc.clone();
    close(&mut doc, "#", &branches, false);
    doc
}

fn close(node: &mut Value, pointer: &str, open: &BTreeSet<String>, branch: bool) {
    match node {
        Value::Object(m) => {
            let object = m.contains_key("properties") || m.contains_key("allOf");
            let says =
                m.contains_key("additionalProperties") || m.contains_key("unevaluatedProperties");
            if object && !says && !branch && !open.contains(pointer) {
                m.insert("unevaluatedProperties".into(), Value::Bool(false));
            }
            for (k, v) in m.iter_mut() {
                let at = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                if k == "allOf" {
                    for (i, b) in v.as_array_mut().into_iter().flatten().enumerate() {
                        close(b, &format!("{at}/{i}"), open, true);
                    }
                } else {
                    // `if`/`then`/`else`/`not` constrain the value beside the other keywords.
                    let partial = matches!(k.as_str(), "if" | "then" | "else" | "not");
                    close(v, &at, open, partial);
                }
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter_mut().enumerate() {
                close(v, &format!("{pointer}/{i}"), open, false);
            }
        }
        _ => {}
    }
}

/// What the JSON Schema validator (draft 2020-12, the dialect of OpenAPI 3.1) finds wrong with
/// `v` against `schema`, a node of `doc` whose `$ref`s point into `doc`'s components.
fn violations(doc: &Value, schema: &Value, v: &Value) -> Vec<String> {
    let mut root = json!({"allOf": [schema]});
    root["components"] = doc["components"].clone();
    let validator = jsonschema::draft202012::new(&root)
        .unwrap_or_else(|e| panic!("openapi.json has a schema the validator refuses: {e}"));
    validator
        .iter_errors(v)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
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

/// One call through the router with a JSON body (if any); see [`exchange_request`].
async fn exchange(
    t: &TestApp,
    m: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
    expected: u16,
) -> Value {
    let bytes = body
        .as_ref()
        .map(|b| ("application/json", b.to_string().into_bytes()));
    let req = request(m, uri, token, bytes);
    exchange_request(t, req, body.as_ref(), expected).await
}

/// A request as a client sends it: a bearer token, and a body of some media type.
fn request(
    m: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<(&str, Vec<u8>)>,
) -> Request<Body> {
    let mut req = Request::builder().method(m).uri(uri);
    if let Some(token) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    match body {
        Some((media, bytes)) => req
            .header(header::CONTENT_TYPE, media)
            .body(Body::from(bytes)),
        None => req.body(Body::empty()),
    }
    .expect("a request")
}

/// One request through the router; asserts that it answers `expected`, that this status is
/// documented for the operation, and that the answer matches the documented schema. When the
/// request succeeds, also that its body's media type is documented and that `json` (the body, when
/// it was JSON) matches the documented request schema. Returns the answer.
async fn exchange_request(
    t: &TestApp,
    req: Request<Body>,
    json: Option<&Value>,
    expected: u16,
) -> Value {
    let doc = document();
    let (m, uri) = (req.method().clone(), req.uri().to_string());
    let media = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_owned());
    let template = template_of(&doc, &uri);
    let (status, _, answer) = raw(&t.router, req).await;
    assert_eq!(status.as_u16(), expected, "{m} {uri}: {answer}");
    let op = &doc["paths"][&template][m.as_str().to_lowercase()];
    if status.is_success()
        && let Some(media) = media
    {
        let body = op["requestBody"]["content"]
            .get(&media)
            .unwrap_or_else(|| panic!("{m} {template} accepted an undocumented {media} body"));
        if let Some(json) = json {
            let errors = violations(&doc, &body["schema"], json);
            assert!(errors.is_empty(), "{m} {uri} request: {errors:#?}");
        }
    }
    let documented = op["responses"]
        .get(status.as_str())
        .unwrap_or_else(|| panic!("{m} {template} answered undocumented {status}: {answer}"));
    let documented = resolve(&doc, documented);
    if let Some(code) = answer["error"]["code"].as_str() {
        // An error code the server answers is named in the status's description and examples
        let examples = documented["content"]["application/json"]["examples"].as_object();
        let codes: BTreeSet<&str> = examples
            .into_iter()
            .flatten()
            .filter_map(|(_, e)| e["value"]["error"]["code"].as_str())
            .collect();
        let described = documented["description"].as_str().unwrap_or_default();
        assert!(
            codes.contains(code) && described.contains(&format!("`{code}`")),
            "{m} {template} {status}: `{code}` is not documented (examples: {codes:?}): {answer}"
        );
    }
    match documented["content"]["application/json"].get("schema") {
        Some(_) => {
            // The same node in the closed document: undocumented fields fail.
            let closed = closed(&doc);
            let op = &closed["paths"][&template][m.as_str().to_lowercase()];
            let documented = resolve(&closed, &op["responses"][status.as_str()]);
            let schema = &documented["content"]["application/json"]["schema"];
            let errors = violations(&closed, schema, &answer);
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

/// A `multipart/form-data` body of text `fields` and a `file` (name, bytes): its media type and bytes.
fn form(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    const BOUNDARY: &str = "openapi-test-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        let part = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        );
        body.extend_from_slice(part.as_bytes());
    }
    if let Some((filename, bytes)) = file {
        let head = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        );
        body.extend_from_slice(head.as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// `POST /v1/images` with a form, through [`exchange_request`].
async fn post_form(
    t: &TestApp,
    token: &str,
    (media, body): (String, Vec<u8>),
    expected: u16,
) -> Value {
    let req = request(
        Method::POST,
        "/v1/images",
        Some(token),
        Some((&media, body)),
    );
    exchange_request(t, req, None, expected).await
}

/// Polls an image (every answer checked against the document) until it is not `processing`.
async fn wait_image(t: &TestApp, token: &str, id: &str) -> Value {
    let uri = format!("/v1/images/{id}");
    for _ in 0..300 {
        let image = exchange(t, Method::GET, &uri, Some(token), None, 200).await;
        if image["status"] != "processing" {
            return image;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("image {id} still processing after 30 s");
}

/// The keys of an object, e.g. an image's thumbnail heights.
fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

#[tokio::test]
async fn library_and_admin_answers_match_the_documented_statuses_and_schemas() {
    use Method as M;
    let t = spawn_app_with(Settings::default(), Some(("root", "root-password"))).await;
    let creds = json!({"username": "root", "password": "root-password"});
    let tok = exchange(&t, M::POST, "/v1/tokens", None, Some(creds), 200).await;
    let root = tok["access_token"].as_str().unwrap();
    let alice = &common::user(&t.router, "alice").await;
    let bob = &common::user(&t.router, "bob").await;
    let jpeg = std::fs::read(common::testdata().join("valid/jpeg_baseline.jpg")).unwrap();

    // Images from uploads: refused, accepted (640x427 fitted inside 300x300), listed twice
    exchange(&t, M::GET, "/v1/images", None, None, 401).await;
    let upload_id = common::upload(&t, alice, &jpeg, "image/jpeg").await;
    let big_title = "x".repeat(70_000);
    for (body, status) in [
        (
            json!({"upload_id": upload_id, "title": "Sunset", "width": 300}),
            422,
        ),
        (
            json!({"upload_id": upload_id, "title": "Sunset", "width": 0, "height": 1}),
            422,
        ),
        (json!({"upload_id": upload_id, "title": " "}), 422),
        (json!({"upload_id": upload_id}), 422),
        (json!({"upload_id": ULID, "title": "Sunset"}), 404),
        (json!({"upload_id": upload_id, "title": big_title}), 413),
    ] {
        exchange(&t, M::POST, "/v1/images", Some(alice), Some(body), status).await;
    }
    let not_json = request(
        M::POST,
        "/v1/images",
        Some(alice),
        Some(("text/plain", b"hi".to_vec())),
    );
    exchange_request(&t, not_json, None, 415).await;
    let body = json!({"upload_id": upload_id, "title": "Sunset over the bay", "width": 300, "height": 300});
    let created = exchange(
        &t,
        M::POST,
        "/v1/images",
        Some(alice),
        Some(body.clone()),
        202,
    )
    .await;
    let again = exchange(&t, M::POST, "/v1/images", Some(alice), Some(body), 409).await;
    assert_eq!(again["error"]["code"], "already_listed");
    let id = created["id"].as_str().unwrap().to_owned();
    let image = wait_image(&t, alice, &id).await;
    assert_eq!(image["status"], "ready", "{image}");
    assert_eq!(
        (&image["width"], &image["height"]),
        (&json!(300), &json!(200))
    );
    assert_eq!(keys(&image["thumbnails"]), ["200"], "Basic: {image}");
    assert!(image.get("original_url").is_none(), "Basic: {image}");

    // An aborted upload, and one still uploading (its image stays processing)
    let declare = json!({"filename": "a.jpg", "content_type": "image/jpeg", "size": jpeg.len()});
    let mut ids = Vec::new();
    for _ in 0..2 {
        let up = exchange(
            &t,
            M::POST,
            "/v1/uploads",
            Some(alice),
            Some(declare.clone()),
            201,
        )
        .await;
        ids.push(up["id"].as_str().unwrap().to_owned());
    }
    exchange(
        &t,
        M::DELETE,
        &format!("/v1/uploads/{}", ids[0]),
        Some(alice),
        None,
        204,
    )
    .await;
    let aborted = Some(json!({"upload_id": ids[0], "title": "Gone"}));
    let refused = exchange(&t, M::POST, "/v1/images", Some(alice), aborted, 409).await;
    assert_eq!(refused["error"]["code"], "upload_aborted");
    let pending = Some(json!({"upload_id": ids[1], "title": "Harbour, still uploading"}));
    let pending = exchange(&t, M::POST, "/v1/images", Some(alice), pending, 202).await;
    assert_eq!(pending["status"], "processing");

    // Small files as a form: accepted, not an image, too large, incomplete, malformed
    let fields = [
        ("title", "Harbour at dawn"),
        ("width", "100"),
        ("height", "100"),
    ];
    let formed = post_form(
        &t,
        alice,
        form(&fields, Some(("harbour.jpg", &jpeg[..]))),
        202,
    )
    .await;
    let title = [("title", "Harbour")];
    post_form(
        &t,
        alice,
        form(&title, Some(("a.jpg", &b"not an image"[..]))),
        415,
    )
    .await;
    let huge = vec![0xFF; 6 * 1024 * 1024];
    post_form(&t, alice, form(&title, Some(("big.jpg", &huge[..]))), 413).await;
    post_form(&t, alice, form(&title, None), 422).await;
    post_form(
        &t,
        alice,
        form(
            &[("title", "x"), ("width", "wide")],
            Some(("a.jpg", &jpeg[..])),
        ),
        422,
    )
    .await;
    let no_boundary = ("multipart/form-data".to_owned(), b"--x--".to_vec());
    post_form(&t, alice, no_boundary, 400).await;
    let formed = wait_image(&t, alice, formed["id"].as_str().unwrap()).await;
    // 640x427 inside 100x100: as wide as the box, the aspect kept
    assert_eq!(formed["width"], 100, "{formed}");
    assert!(formed["height"].as_u64().unwrap() < 100, "{formed}");

    // The library: pages, title search, bad queries; someone else's image
    let page = exchange(&t, M::GET, "/v1/images?limit=1", Some(alice), None, 200).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    let cursor = page["next_cursor"].as_str().unwrap();
    let found = exchange(
        &t,
        M::GET,
        "/v1/images?title=SUNSET",
        Some(alice),
        None,
        200,
    )
    .await;
    assert_eq!(found["items"][0]["id"], id.as_str(), "{found}");
    let rebound = format!("/v1/images?title=sun&cursor={cursor}");
    let long_title = format!("/v1/images?title={}", "a".repeat(201));
    for uri in [
        "/v1/images?limit=0",
        "/v1/images?cursor=AAAA",
        &rebound,
        &long_title,
    ] {
        exchange(&t, M::GET, uri, Some(alice), None, 400).await;
    }
    let image_uri = format!("/v1/images/{id}");
    exchange(&t, M::GET, &image_uri, Some(bob), None, 404).await;
    exchange(&t, M::GET, &image_uri, Some(root), None, 200).await;

    // Links: Basic has none; a bad lifetime; someone else's; then on Enterprise
    let links = format!("{image_uri}/links");
    let lifetime = |s: u64| Some(json!({"expires_in": s}));
    exchange(&t, M::POST, &links, Some(alice), lifetime(3600), 403).await;
    exchange(&t, M::POST, &links, Some(alice), lifetime(299), 422).await;
    exchange(&t, M::POST, &links, Some(bob), lifetime(3600), 404).await;
    let upgrade = Some(json!({"tier": "Enterprise"}));
    exchange(
        &t,
        M::PATCH,
        "/v1/admin/users/alice",
        Some(root),
        upgrade,
        200,
    )
    .await;
    exchange(&t, M::POST, &links, Some(alice), lifetime(3600), 201).await;
    let pending_links = format!("/v1/images/{}/links", pending["id"].as_str().unwrap());
    exchange(&t, M::POST, &pending_links, Some(alice), lifetime(300), 409).await;
    let image = exchange(&t, M::GET, &image_uri, Some(alice), None, 200).await;
    assert_eq!(
        keys(&image["thumbnails"]),
        ["200", "400"],
        "Enterprise: {image}"
    );
    assert!(image["original_url"].is_string(), "Enterprise: {image}");

    // Tiers: admins only, listed, created, refused, read, replaced
    exchange(&t, M::GET, "/v1/admin/tiers", None, None, 401).await;
    exchange(&t, M::GET, "/v1/admin/tiers", Some(alice), None, 403).await;
    exchange(&t, M::GET, "/v1/admin/tiers?limit=0", Some(root), None, 400).await;
    let tiers = exchange(&t, M::GET, "/v1/admin/tiers", Some(root), None, 200).await;
    let names: Vec<&Value> = tiers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["name"])
        .collect();
    assert_eq!(
        names,
        [&json!("Basic"), &json!("Enterprise"), &json!("Premium")]
    );
    let gold = json!({"name": "Gold", "thumbnail_heights": [800, 100, 100], "original_link": true});
    let stored = exchange(
        &t,
        M::POST,
        "/v1/admin/tiers",
        Some(root),
        Some(gold.clone()),
        201,
    )
    .await;
    assert_eq!(stored["thumbnail_heights"], json!([100, 800]));
    exchange(&t, M::POST, "/v1/admin/tiers", Some(root), Some(gold), 409).await;
    for body in [
        json!({"name": "no spaces"}),
        json!({"name": "Many", "thumbnail_heights": (1..=9).collect::<Vec<u32>>()}),
        json!({"name": "Zero", "thumbnail_heights": [0]}),
        json!({"thumbnail_heights": [200]}),
        json!({"name": "Negative", "thumbnail_heights": [-1]}),
    ] {
        exchange(&t, M::POST, "/v1/admin/tiers", Some(root), Some(body), 422).await;
    }
    exchange(&t, M::GET, "/v1/admin/tiers/Gold", Some(root), None, 200).await;
    exchange(&t, M::GET, "/v1/admin/tiers/gold", Some(root), None, 404).await;
    let narrower = Some(json!({"thumbnail_heights": [100]}));
    exchange(
        &t,
        M::PUT,
        "/v1/admin/tiers/Gold",
        Some(root),
        narrower.clone(),
        200,
    )
    .await;
    exchange(
        &t,
        M::PUT,
        "/v1/admin/tiers/Nope",
        Some(root),
        narrower,
        404,
    )
    .await;
    // A body's name is not read (tiers are not renamed); 3.0 is the integer 3.
    let rename = Some(json!({"name": "Silver", "thumbnail_heights": [100.0, 800]}));
    let renamed = exchange(&t, M::PUT, "/v1/admin/tiers/Gold", Some(root), rename, 200).await;
    assert_eq!(renamed["name"], "Gold", "{renamed}");

    // Accounts: admins only, created, refused, listed, changed
    exchange(&t, M::GET, "/v1/admin/users", Some(bob), None, 403).await;
    let carol =
        json!({"username": "carol", "password": "correct-horse", "tier": "Gold", "role": "user"});
    exchange(
        &t,
        M::POST,
        "/v1/admin/users",
        Some(root),
        Some(carol.clone()),
        201,
    )
    .await;
    exchange(&t, M::POST, "/v1/admin/users", Some(root), Some(carol), 409).await;
    let nope = json!({"username": "dave", "password": "correct-horse", "tier": "Nope"});
    exchange(&t, M::POST, "/v1/admin/users", Some(root), Some(nope), 404).await;
    for body in [
        json!({"username": "dave", "password": "correct-horse", "role": null}),
        json!({"username": "dave", "password": "correct-horse", "role": "boss"}),
        json!({"username": "dave", "password": "short"}),
        json!({"username": "dave"}),
    ] {
        exchange(&t, M::POST, "/v1/admin/users", Some(root), Some(body), 422).await;
    }
    let users = exchange(&t, M::GET, "/v1/admin/users?limit=2", Some(root), None, 200).await;
    assert_eq!(users["items"].as_array().unwrap().len(), 2, "{users}");
    assert!(users["next_cursor"].is_string(), "{users}");
    let carol_uri = "/v1/admin/users/carol";
    exchange(
        &t,
        M::PATCH,
        carol_uri,
        Some(root),
        Some(json!({"role": "boss"})),
        422,
    )
    .await;
    let basic = Some(json!({"tier": "Basic"}));
    exchange(
        &t,
        M::PATCH,
        "/v1/admin/users/nobody",
        Some(root),
        basic.clone(),
        404,
    )
    .await;

    // Deleting tiers: in use, the default, then gone
    let in_use = exchange(&t, M::DELETE, "/v1/admin/tiers/Gold", Some(root), None, 409).await;
    assert_eq!(in_use["error"]["code"], "tier_in_use");
    let default = exchange(
        &t,
        M::DELETE,
        "/v1/admin/tiers/Basic",
        Some(root),
        None,
        409,
    )
    .await;
    assert_eq!(default["error"]["code"], "default_tier");
    let moved = exchange(&t, M::PATCH, carol_uri, Some(root), basic, 200).await;
    assert_eq!(
        moved,
        json!({"username": "carol", "tier": "Basic", "role": "user"})
    );
    exchange(&t, M::DELETE, "/v1/admin/tiers/Gold", Some(root), None, 204).await;
    exchange(&t, M::DELETE, "/v1/admin/tiers/Gold", Some(root), None, 404).await;
}

/// Every `{"error": {"code": ...}}` the document shows is a code of the registry
/// (`imagegram::app::ErrorCode`), so a renamed or misspelt code fails here.
#[test]
fn every_error_code_in_the_document_is_registered() {
    fn walk(v: &Value, found: &mut BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                if let Some(code) = map
                    .get("error")
                    .and_then(|e| e.get("code"))
                    .and_then(Value::as_str)
                {
                    found.insert(code.to_owned());
                }
                map.values().for_each(|x| walk(x, found));
            }
            Value::Array(items) => items.iter().for_each(|x| walk(x, found)),
            _ => {}
        }
    }
    let mut found = BTreeSet::new();
    walk(&document(), &mut found);
    assert!(found.len() >= 10, "only {found:?}");
    let unknown: Vec<_> = found
        .iter()
        .filter(|c| imagegram::app::ErrorCode::parse(c).is_none())
        .collect();
    assert!(unknown.is_empty(), "codes not in the registry: {unknown:?}");
}

/// The answer checker fails when it should: undocumented fields (also beside an `allOf`), wrong
/// types and broken bounds; integral floats are integers, as in JSON Schema.
#[test]
fn the_answer_checker_refuses_what_the_document_does_not_say() {
    let doc = closed(&document());
    let tier = json!({"$ref": "#/components/schemas/Tier"});
    let gold = json!({"name": "Gold", "thumbnail_heights": [200], "original_link": true, "expiring_links": false});
    assert_eq!(violations(&doc, &tier, &gold), Vec::<String>::new());
    let mut floats = gold.clone();
    floats["thumbnail_heights"] = json!([200.0]);
    assert_eq!(violations(&doc, &tier, &floats), Vec::<String>::new());
    for (field, value) in [
        ("extra", json!(1)),
        ("thumbnail_heights", json!(["200"])),
        ("thumbnail_heights", json!([0])),
        ("original_link", json!(null)),
        ("name", json!("")),
    ] {
        let mut bad = gold.clone();
        bad[field] = value.clone();
        assert!(
            !violations(&doc, &tier, &bad).is_empty(),
            "{field}: {value} passed"
        );
    }
    let page = json!({"$ref": "#/components/schemas/TierPage"});
    let listed = json!({"items": [gold], "next_cursor": null});
    assert_eq!(violations(&doc, &page, &listed), Vec::<String>::new());
    let mut extra = listed.clone();
    extra["total"] = json!(1);
    assert!(!violations(&doc, &page, &extra).is_empty(), "{extra}");
    let mut nested = listed;
    nested["items"][0]["extra"] = json!(true);
    assert!(!violations(&doc, &page, &nested).is_empty(), "{nested}");
}
