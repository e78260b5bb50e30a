//! Saying so when an answer is the connection's last (RFC 9112 §9.6): hyper closes a connection whose request
//! body was left unread (it cannot tell where the next request would start), after a request timeout, and
//! during shutdown, but it does not write `Connection: close` in that answer. A client that pools connections
//! (Node's `http` agent, undici, a phone's HTTP stack) would then send its next request on a connection that is
//! closing and get a reset. [`closes_after`] decides which answers are last; [`WatchedBody`] tells whether a
//! request's body was read to its end; `serve` writes the header, and hyper, seeing it, closes as it says.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::http::{header, HeaderValue, Response, StatusCode};
use hyper::body::{Body, Frame, SizeHint};

/// Whether the server closes the connection after an answer of `status`: when the request's body was not read
/// to its end (a refusal before the body: 401, 413, 429, 400), after a request timeout (RFC 9110 §15.5.9: a
/// 408 closes), and once shutdown has begun.
pub fn closes_after(body_read: bool, status: StatusCode, shutting_down: bool) -> bool {
    !body_read || status == StatusCode::REQUEST_TIMEOUT || shutting_down
}

/// Writes `Connection: close` into `response` (hyper then closes the connection after it).
pub fn say_close<B>(response: &mut Response<B>) {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
}

/// Whether a request's body has been read to its end; shared between the body and the server.
#[derive(Debug, Clone, Default)]
pub struct BodyRead(Arc<AtomicBool>);

impl BodyRead {
    /// Whether the body was read to its end (an empty body is, from the start).
    pub fn is_read(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    fn mark(&self) {
        self.0.store(true, Ordering::Release);
    }
}

/// A request body that notes in a [`BodyRead`] when it has been read to its end. Frames pass through.
pub struct WatchedBody<B> {
    inner: B,
    read: BodyRead,
}

impl<B: Body + Unpin> WatchedBody<B> {
    /// Wraps `inner`; the returned [`BodyRead`] says whether it was read to its end.
    pub fn new(inner: B) -> (WatchedBody<B>, BodyRead) {
        let read = BodyRead::default();
        if inner.is_end_stream() {
            read.mark();
        }
        (
            WatchedBody {
                inner,
                read: read.clone(),
            },
            read,
        )
    }
}

impl<B: Body + Unpin> Body for WatchedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        // The end: no more frames, or a body of known length whose last byte arrived (a reader that stops at
        // its own end, such as a multipart parser, need not poll once more).
        if matches!(polled, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.read.mark();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Empty, Full};
    use hyper::body::Bytes;

    #[test]
    fn which_answers_close() {
        let ok = StatusCode::OK;
        assert!(
            !closes_after(true, ok, false),
            "a read body keeps the connection"
        );
        assert!(
            closes_after(false, StatusCode::UNAUTHORIZED, false),
            "an unread body"
        );
        assert!(
            closes_after(false, ok, false),
            "an unread body, whatever the status"
        );
        assert!(
            closes_after(true, StatusCode::REQUEST_TIMEOUT, false),
            "a 408"
        );
        assert!(closes_after(true, ok, true), "shutting down");
    }

    #[tokio::test]
    async fn an_empty_body_is_read_from_the_start() {
        let (_, read) = WatchedBody::new(Empty::<Bytes>::new());
        assert!(read.is_read());
    }

    #[tokio::test]
    async fn a_body_is_read_once_its_last_frame_came() {
        let (body, read) = WatchedBody::new(Full::new(Bytes::from_static(b"hello")));
        assert!(!read.is_read(), "nothing read yet");
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(bytes, "hello");
        assert!(read.is_read());
    }

    #[tokio::test]
    async fn a_body_left_after_its_first_frame_is_not_read() {
        let (mut body, read) = WatchedBody::new(Chunks(vec!["one", "two"].into()));
        let first = body.frame().await.unwrap().unwrap();
        assert_eq!(first.into_data().unwrap(), "one");
        assert!(!read.is_read(), "a frame is left");
        assert!(body.frame().await.unwrap().is_ok());
        assert!(body.frame().await.is_none());
        assert!(read.is_read(), "read to its end");
    }

    /// A body of unknown length (chunked), one frame per chunk.
    struct Chunks(std::collections::VecDeque<&'static str>);

    impl Body for Chunks {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            Poll::Ready(self.0.pop_front().map(|c| Ok(Frame::data(Bytes::from(c)))))
        }
    }
}
