//! What happens to a request body the handler did not read. A server that
//! answers early (429, 413, 401, 404) without reading the body must not
//! leave the connection looking reusable: hyper would close it silently,
//! and a keep-alive client's next request would be written into a dead
//! socket, which clients treat as an outage rather than back-pressure.
//!
//! So every request body is watched; when the handler drops it unfinished,
//! what is left is drained within `--max-drain-bytes` and the header timeout
//! and the connection stays open, or, past either bound, the answer says
//! `Connection: close` and the client reconnects cleanly.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Frame, Incoming, SizeHint};

/// Where a dropped, unfinished body goes back to the connection.
pub(super) type Leftover = Arc<Mutex<Option<Incoming>>>;

/// The request body as the handler sees it.
pub(super) struct WatchedBody {
    inner: Option<Incoming>,
    leftover: Leftover,
}

impl WatchedBody {
    pub(super) fn new(inner: Incoming) -> (WatchedBody, Leftover) {
        let leftover = Leftover::default();
        let body = WatchedBody {
            inner: Some(inner),
            leftover: Arc::clone(&leftover),
        };
        (body, leftover)
    }
}

impl Body for WatchedBody {
    type Data = hyper::body::Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        match self.inner.as_mut() {
            Some(inner) => Pin::new(inner).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Body::size_hint)
    }
}

impl Drop for WatchedBody {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            if !inner.is_end_stream() {
                if let Ok(mut slot) = self.leftover.lock() {
                    *slot = Some(inner);
                }
            }
        }
    }
}

/// Reads and discards what is left of `body`; `false` when the connection
/// cannot be reused: more than `max_bytes` left (known from
/// `Content-Length` before reading any), a client slower than `timeout`, or
/// a broken body.
pub(super) async fn drain(mut body: Incoming, max_bytes: usize, timeout: Duration) -> bool {
    if body.size_hint().lower() > max_bytes as u64 {
        return false;
    }
    let reading = async {
        let mut read = 0usize;
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            let Ok(frame) = frame else { return false };
            if let Some(data) = frame.data_ref() {
                read += data.len();
                if read > max_bytes {
                    return false;
                }
            }
        }
        true
    };
    tokio::time::timeout(timeout, reading)
        .await
        .unwrap_or(false)
}
