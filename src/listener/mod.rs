//! The accept loop both servers share: HTTP/1.1 through hyper with a limit on
//! how long a client may take to send a request's headers, so that clients
//! that trickle their headers (slow loris) or hold an idle keep-alive
//! connection are cut off; keep-alive that survives early answers
//! (`unread_body`); and graceful shutdown, which lets in-flight requests
//! finish. `axum::serve` sets no header timeout at all.

mod unread_body;

use std::future::Future;
use std::time::Duration;

use axum::http::{header, HeaderValue, Request};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tower::ServiceExt;

/// The connection-level limits both servers take from their flags.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// `--header-timeout`: for a request's headers, an idle keep-alive
    /// connection, and the draining of a body the handler left unread.
    pub header_timeout: Duration,
    /// `--max-drain-bytes`: the most of an unread body read and discarded to
    /// keep its connection open; past it the answer says `Connection: close`.
    pub max_drain_bytes: usize,
}

/// Serves `router` until `shutdown` completes, then stops accepting and waits
/// for the open connections' requests to finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, most likely: let some close.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service =
            hyper::service::service_fn(move |request| answer(router.clone(), request, limits));
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection closed");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// One request through `router`, with the unread rest of its body drained
/// or the connection marked for closing (`unread_body`).
async fn answer(
    router: axum::Router,
    request: Request<Incoming>,
    limits: ConnectionLimits,
) -> Result<axum::response::Response, std::convert::Infallible> {
    let (parts, body) = request.into_parts();
    let (body, leftover) = unread_body::WatchedBody::new(body);
    let request = Request::from_parts(parts, axum::body::Body::new(body));
    let mut response = router.oneshot(request).await?;
    let unread = leftover.lock().ok().and_then(|mut slot| slot.take());
    if let Some(unread) = unread {
        // A server error (the request timeout among them) is no refusal of a
        // client still sending: its body is not waited for.
        let drained = !response.status().is_server_error()
            && unread_body::drain(unread, limits.max_drain_bytes, limits.header_timeout).await;
        if !drained {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
    }
    Ok(response)
}

/// SIGTERM (an orchestrator stopping the container) or Ctrl-C: when both
/// servers begin their graceful shutdown.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
