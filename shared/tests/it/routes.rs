//! One route table: what the routers serve (`imagegram::http::routes::table`, recorded as the
//! route modules build them) against every other place that names routes: `template.yaml`'s HTTP
//! API events (per function), `[workspace.metadata.lambda.watch.router]` in Cargo.toml (path to
//! function, for `cargo lambda watch`) and the OpenAPI document. Each direction is checked: a
//! served route missing elsewhere fails, and so does a route named elsewhere that nothing serves.

use std::collections::BTreeSet;
use std::path::PathBuf;

use imagegram::http::Group;
use imagegram::http::routes::{Route, table};
use yaml_rust2::{Yaml, YamlLoader};

fn workspace_file(name: &str) -> String {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Whether API Gateway's `pattern` (`{name}` matches one segment) covers the served `path`
/// (whose own `{param}` segments are variables too).
fn covers(pattern: &str, path: &str) -> bool {
    let (p, s): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
    p.len() == s.len()
        && p.iter()
            .zip(&s)
            .all(|(a, b)| a == b || (a.starts_with('{') && a.ends_with('}') && !b.is_empty()))
}

/// (function, METHOD, path) of every HttpApi event of every function in `template.yaml`.
fn template_events() -> BTreeSet<(String, String, String)> {
    let docs = YamlLoader::load_from_str(&workspace_file("template.yaml")).expect("template.yaml");
    let resources = docs[0]["Resources"].as_hash().expect("Resources");
    let mut events = BTreeSet::new();
    for resource in resources.values() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .expect("every function names its binary");
        let Some(list) = resource["Properties"]["Events"].as_hash() else {
            continue;
        };
        for event in list.values() {
            if event["Type"].as_str() != Some("HttpApi") {
                continue;
            }
            let props = &event["Properties"];
            let (Yaml::String(path), Yaml::String(method)) = (&props["Path"], &props["Method"])
            else {
                panic!("an HttpApi event of {binary} without Path and Method: {event:?}");
            };
            events.insert((binary.to_owned(), method.to_uppercase(), path.clone()));
        }
    }
    events
}

/// (path, function) of `[workspace.metadata.lambda.watch.router]`.
fn watch_router() -> BTreeSet<(String, String)> {
    let cargo: toml::Table = workspace_file("Cargo.toml").parse().expect("Cargo.toml");
    let router = cargo["workspace"]["metadata"]["lambda"]["watch"]["router"]
        .as_table()
        .expect("[workspace.metadata.lambda.watch.router]");
    router
        .iter()
        .map(|(path, f)| {
            (
                path.clone(),
                f.as_str().expect("a function name").to_owned(),
            )
        })
        .collect()
}

/// (METHOD, path) of every operation in the OpenAPI document.
fn documented() -> BTreeSet<(String, String)> {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../src/http/openapi.json")).expect("openapi.json");
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            if [
                "get", "put", "post", "delete", "options", "head", "patch", "trace",
            ]
            .contains(&method.as_str())
            {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

fn served() -> Vec<Route> {
    let routes = table(Group::ALL);
    let unique: BTreeSet<(String, &str)> = routes
        .iter()
        .map(|r| (r.method.to_string(), r.path))
        .collect();
    assert_eq!(unique.len(), routes.len(), "a route is added twice");
    routes
}

#[test]
fn the_table_holds_every_group_and_route() {
    let routes = served();
    for &group in Group::ALL {
        assert!(
            routes.iter().any(|r| r.group == group),
            "{group:?} serves nothing"
        );
    }
    // The table is what the router serves: 32 API operations and the docs' 2 assets today.
    assert_eq!(routes.iter().filter(|r| r.documented).count(), 32);
    assert_eq!(routes.iter().filter(|r| !r.documented).count(), 2);
}

#[test]
fn every_served_route_is_an_http_api_event_of_its_function_and_back() {
    let events = template_events();
    for r in served() {
        assert!(
            events.iter().any(|(f, m, p)| f == r.group.function()
                && *m == r.method.as_str()
                && covers(p, r.path)),
            "{} {} ({}) has no HttpApi event in template.yaml",
            r.method,
            r.path,
            r.group.function()
        );
    }
    let routes = served();
    for (f, m, p) in &events {
        assert!(
            routes
                .iter()
                .any(|r| r.group.function() == f && r.method.as_str() == m && covers(p, r.path)),
            "template.yaml routes {m} {p} to {f}, which does not serve it"
        );
    }
}

#[test]
fn every_served_path_is_in_the_watch_router_and_back() {
    let watch = watch_router();
    let routes = served();
    for r in &routes {
        assert!(
            watch
                .iter()
                .any(|(p, f)| f == r.group.function() && covers(p, r.path)),
            "{} ({}) is missing from [workspace.metadata.lambda.watch.router]",
            r.path,
            r.group.function()
        );
    }
    for (p, f) in &watch {
        assert!(
            routes
                .iter()
                .any(|r| r.group.function() == f && covers(p, r.path)),
            "the watch router sends {p} to {f}, which serves no such path"
        );
    }
}

#[test]
fn the_openapi_document_has_exactly_the_served_operations() {
    let served: BTreeSet<(String, String)> = served()
        .iter()
        .filter(|r| r.documented)
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    let documented = documented();
    let missing: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(missing.is_empty(), "served but not documented: {missing:?}");
    assert!(
        unserved.is_empty(),
        "documented but not served: {unserved:?}"
    );
}

#[test]
fn every_function_serves_its_groups_and_only_those() {
    let functions: BTreeSet<&str> = Group::ALL.iter().map(|g| g.function()).collect();
    assert_eq!(
        functions,
        BTreeSet::from(["accounts", "admin", "images", "posts", "uploads"])
    );
    for f in functions {
        let groups = Group::of_function(f);
        assert!(!groups.is_empty());
        assert!(groups.iter().all(|g| g.function() == f));
    }
    assert!(Group::of_function("resize").is_empty());
}

#[test]
fn patterns_cover_paths_segment_by_segment() {
    assert!(covers("/docs/{asset}", "/docs/swagger-ui.css"));
    assert!(covers("/v1/posts/{id}", "/v1/posts/{id}"));
    assert!(!covers("/v1/posts/{id}", "/v1/posts/{id}/comments"));
    assert!(!covers("/v1/posts", "/v1/posts/{id}"));
    assert!(!covers("/v1/images/{id}", "/v1/posts/{id}"));
}
