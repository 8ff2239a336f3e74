//! The route table: every feature registers its routes through [`Routes`], which keeps the
//! list of paths next to the router it builds. The access-matrix test walks that list, so a
//! new route cannot be left out of it.

use axum::Router;
use axum::routing::MethodRouter;

use crate::AppState;

/// A router that remembers the paths it was given.
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    paths: Vec<&'static str>,
}

impl Routes {
    pub fn new() -> Routes {
        Routes::default()
    }

    /// Add a path with its handlers (as `Router::route`).
    pub fn route(mut self, path: &'static str, handlers: MethodRouter<AppState>) -> Routes {
        self.router = self.router.route(path, handlers);
        self.paths.push(path);
        self
    }

    /// Add every route of another table.
    pub fn merge(mut self, other: Routes) -> Routes {
        self.router = self.router.merge(other.router);
        self.paths.extend(other.paths);
        self
    }

    /// The registered paths, in registration order.
    pub fn paths(&self) -> &[&'static str] {
        &self.paths
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}
