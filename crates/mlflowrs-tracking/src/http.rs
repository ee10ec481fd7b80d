//! The tracking server's HTTP entry: every request goes through the
//! basic-auth gate when the auth app is on, then to the routes.

use std::sync::Arc;

use axum::extract::{Request as HttpRequest, State};
use axum::response::{IntoResponse, Response};

use crate::{auth, routes, Server};

pub fn router(server: Arc<Server>) -> axum::Router {
    axum::Router::new()
        .fallback(dispatch)
        .with_state(server)
        .layer(axum::extract::DefaultBodyLimit::disable())
}

async fn dispatch(State(server): State<Arc<Server>>, request: HttpRequest) -> Response {
    let answer = if server.auth.is_some() {
        auth::gate::guarded(server, request).await
    } else {
        routes::route(server, request).await
    };
    match answer {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}
