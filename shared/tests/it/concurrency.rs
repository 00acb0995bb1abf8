//! Comment counts stay exact under concurrent creates and deletes (SQLite transactions).

use crate::common;
use axum::http::{Method, StatusCode};
use common::{call, ready_post, spawn_app_with, user};
use imagegram::app::Settings;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_creates_then_twenty_deletes_stay_exact() {
    // Rate limits (60 comments a minute per user) are tested elsewhere: only correctness here.
    let settings = Settings {
        comments_per_window: 10_000,
        ..Settings::default()
    };
    let t = spawn_app_with(settings, None).await;
    let author = user(&t.router, "author").await;
    let post = ready_post(&t, &author).await;
    let mut tokens = Vec::new();
    for i in 0..5 {
        tokens.push(user(&t.router, &format!("fan{i}")).await);
    }
    for round in 0..3 {
        // When 50 comments are created at once
        let mut tasks = Vec::new();
        for i in 0..50 {
            let (router, token, uri) = (
                t.router.clone(),
                tokens[i % 5].clone(),
                format!("/v1/posts/{post}/comments"),
            );
            tasks.push(tokio::spawn(async move {
                let (s, _, b) = call(
                    &router,
                    Method::POST,
                    &uri,
                    Some(&token),
                    Some(json!({"text": format!("c{i}")})),
                )
                .await;
                assert_eq!(s, StatusCode::CREATED, "{b}");
                (b["id"].as_str().unwrap().to_owned(), i % 5)
            }));
        }
        let mut created = Vec::new();
        for task in tasks {
            created.push(task.await.unwrap());
        }
        // and 20 of them are deleted at once
        created.sort();
        let mut deletes = Vec::new();
        for (id, who) in created.iter().step_by(2).take(20).cloned() {
            let (router, token, uri) = (
                t.router.clone(),
                tokens[who].clone(),
                format!("/v1/posts/{post}/comments/{id}"),
            );
            deletes.push(tokio::spawn(async move {
                let (s, _, b) = call(&router, Method::DELETE, &uri, Some(&token), None).await;
                assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
            }));
        }
        for d in deletes {
            d.await.unwrap();
        }
        // Then the count and the two recent comments match the comments that exist
        let (_, _, p) = call(
            &t.router,
            Method::GET,
            &format!("/v1/posts/{post}"),
            Some(&author),
            None,
        )
        .await;
        let (_, _, list) = call(
            &t.router,
            Method::GET,
            &format!("/v1/posts/{post}/comments?limit=100"),
            Some(&author),
            None,
        )
        .await;
        let live = list["items"].as_array().unwrap();
        assert_eq!(
            p["comment_count"].as_u64().unwrap(),
            30 * (round + 1),
            "round {round}"
        );
        assert_eq!(live.len() as u64, 30 * (round + 1));
        assert_eq!(p["recent_comments"].as_array().unwrap().len(), 2);
        assert_eq!(p["recent_comments"][0]["id"], live[0]["id"]);
        assert_eq!(p["recent_comments"][1]["id"], live[1]["id"]);
    }
}
