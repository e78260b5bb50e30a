//! Lingering close, as nginx does it: when the server closes a connection it first sends its end (`FIN`), then
//! reads and discards what the client still sends — until the client closes too, goes quiet, or a time or
//! byte budget runs out. Closing at once with unread bytes in the socket makes the kernel send a reset, which
//! destroys an answer the client has not read yet: an upload refused before its body was read (401, 413, 429)
//! would reach a client that is still sending as a broken connection instead of the refusal.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{sleep, Instant, Sleep};

/// How long a closing connection may linger at most (nginx's `lingering_time`).
pub const LINGER_AT_MOST: Duration = Duration::from_secs(30);
/// How long a lingering client may stay quiet before the connection is closed (nginx's `lingering_timeout`).
pub const LINGER_QUIET: Duration = Duration::from_secs(5);
/// The most bytes discarded while lingering (well above every route's body limit).
pub const LINGER_BYTES: u64 = 16 * 1024 * 1024;

/// A stream whose shutdown lingers (see the module's documentation). Reading and writing pass through.
pub struct LingeringClose<S> {
    inner: S,
    closing: Option<Closing>,
}

/// The state of a lingering shutdown.
struct Closing {
    /// Whether our end (`FIN`) was sent.
    sent_fin: bool,
    /// When lingering ends, whatever the client does.
    until: Instant,
    /// When a quiet client is given up on.
    quiet: Pin<Box<Sleep>>,
    /// Bytes discarded so far.
    discarded: u64,
}

impl<S> LingeringClose<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> LingeringClose<S> {
        LingeringClose {
            inner,
            closing: None,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for LingeringClose<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for LingeringClose<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    /// Sends our end, then discards what arrives until the client's end, a quiet spell, or the budget.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let closing = this.closing.get_or_insert_with(|| Closing {
            sent_fin: false,
            until: Instant::now() + LINGER_AT_MOST,
            quiet: Box::pin(sleep(LINGER_QUIET)),
            discarded: 0,
        });
        if !closing.sent_fin {
            ready!(Pin::new(&mut this.inner).poll_shutdown(cx))?;
            closing.sent_fin = true;
        }
        let mut scratch = [0u8; 8192];
        loop {
            if closing.discarded >= LINGER_BYTES || Instant::now() >= closing.until {
                return Poll::Ready(Ok(()));
            }
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.inner).poll_read(cx, &mut buf) {
                // The client's end, or a broken connection: nothing more to wait for.
                Poll::Ready(Ok(())) if buf.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => {
                    closing.discarded += buf.filled().len() as u64;
                    let quiet_until = (Instant::now() + LINGER_QUIET).min(closing.until);
                    closing.quiet.as_mut().reset(quiet_until);
                }
                Poll::Pending => {
                    ready!(closing.quiet.as_mut().poll(cx));
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn shutdown_sends_our_end_then_waits_for_the_clients() {
        let (server, mut client) = tokio::io::duplex(64 * 1024);
        let mut server = LingeringClose::new(server);
        server.write_all(b"HTTP/1.1 401").await.unwrap();
        let closing = tokio::spawn(async move { server.shutdown().await });
        // The client still sends; the server reads it away while the client reads the answer.
        client.write_all(&[7u8; 200_000]).await.unwrap();
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.unwrap();
        assert_eq!(answer, b"HTTP/1.1 401");
        assert!(
            !closing.is_finished(),
            "the server lingers while the client is open"
        );
        drop(client);
        closing.await.unwrap().unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_client_is_given_up_on() {
        let (server, _client) = tokio::io::duplex(1024);
        let mut server = LingeringClose::new(server);
        let started = Instant::now();
        server.shutdown().await.unwrap();
        assert_eq!(started.elapsed(), LINGER_QUIET);
    }
}
