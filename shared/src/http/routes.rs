//! The route table. Every route module builds its routes through [`Routes`], which records the
//! method and path of each route as it adds it to the axum router, so the table is what the
//! routers serve, by construction. Tests check it against everything else that names routes:
//! `template.yaml`'s HTTP API events, `[workspace.metadata.lambda.watch.router]` and the
//! OpenAPI document.

use std::sync::Arc;

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};

use super::Group;
use crate::app::App;

/// One route the API serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The Lambda function (route group) that serves it on AWS.
    pub group: Group,
    pub method: Method,
    /// axum's syntax, as OpenAPI and API Gateway write it too (`/v1/posts/{id}`).
    pub path: &'static str,
    /// In the OpenAPI document; the interactive docs' own assets are not.
    pub documented: bool,
}

/// A group's routes: the axum router and the table of what it serves.
pub(crate) struct Routes {
    pub router: Router<Arc<App>>,
    pub table: Vec<(Method, &'static str, bool)>,
}

impl Routes {
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    /// Adds `method_router` (which must serve exactly `method`) at `path`. Paths may repeat with
    /// other methods: axum merges them.
    pub fn with(self, method: Method, path: &'static str, route: MethodRouter<Arc<App>>) -> Self {
        self.add(method, path, route, true)
    }

    fn add(
        mut self,
        method: Method,
        path: &'static str,
        route: MethodRouter<Arc<App>>,
        documented: bool,
    ) -> Self {
        self.router = self.router.route(path, route);
        self.table.push((method, path, documented));
        self
    }

    fn handler<H, T>(self, method: Method, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, Arc<App>>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone())
            .unwrap_or_else(|_| unreachable!("only the five methods below are used"));
        self.with(method, path, on(filter, handler))
    }

    pub fn get<H: Handler<T, Arc<App>>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.handler(Method::GET, path, h)
    }

    pub fn post<H: Handler<T, Arc<App>>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.handler(Method::POST, path, h)
    }

    pub fn put<H: Handler<T, Arc<App>>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.handler(Method::PUT, path, h)
    }

    pub fn patch<H: Handler<T, Arc<App>>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.handler(Method::PATCH, path, h)
    }

    pub fn delete<H: Handler<T, Arc<App>>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.handler(Method::DELETE, path, h)
    }

    /// A `GET` of a static asset that the OpenAPI document does not describe.
    pub fn asset<H: Handler<T, Arc<App>>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add(Method::GET, path, axum::routing::get(h), false)
    }
}

/// Every route of `groups`, in the order the route modules add them.
pub fn table(groups: &[Group]) -> Vec<Route> {
    groups
        .iter()
        .flat_map(|&group| {
            group
                .routes()
                .table
                .into_iter()
                .map(move |(method, path, documented)| Route {
                    group,
                    method,
                    path,
                    documented,
                })
        })
        .collect()
}
