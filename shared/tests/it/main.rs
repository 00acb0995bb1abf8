//! The integration tests of the core crate, in one test binary (the crate and the helpers are
//! compiled and linked once): HTTP through `router.oneshot`, event fixtures, the port conformance
//! suites against every adapter, the route table, whole-shape end-to-end runs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod conformance;

mod concurrency;
mod dynamodb;
mod e2e;
mod events;
mod http_accounts;
mod http_admin;
mod http_bola;
mod http_idempotency;
mod http_image_links;
mod http_images;
mod http_images_list;
mod http_limits;
mod http_ops;
mod http_posts;
mod http_slow_links;
mod http_uploads;
mod lean;
mod openapi;
mod routes;
mod stores;
mod web;
