//! The baseline for the end-to-end benchmark: a bare axum server that
//! parses a JSON body and writes it back, on the same runtime settings as
//! mlflowrs. mlflowrs's throughput is reported as a fraction of this one's.
//! `cargo run --release --example axum-echo -- PORT`

use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;

async fn echo(body: Bytes) -> impl IntoResponse {
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(v) => ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response(),
        Err(e) => (axum::http::StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(5099);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        let app = Router::new().route("/invocations", post(echo));
        axum::serve(listener, app).await.expect("serve");
    });
}
