//! Server-Sent Events for live pages: a stream that sends `changed` whenever a need signal
//! passes the page's filter (and once after falling behind), with keep-alive comments so
//! proxies keep the connection open. The page then fetches what it may see (`static/live.js`
//! also looks again on every (re)connect).
//!
//! A stream ends after [`LIFETIME`]: the browser reconnects after the `retry` hint sent first,
//! and an endless response would hold a graceful shutdown open for ever.

use std::convert::Infallible;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;
use wushe_store::NeedSignal;

/// How long one stream stays open.
pub const LIFETIME: Duration = Duration::from_secs(60);

/// An SSE response of `changed` events for the signals `wanted` accepts.
pub fn changes(
    rx: Receiver<NeedSignal>,
    wanted: impl Fn(&NeedSignal) -> bool + Send + 'static,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let until = tokio::time::Instant::now() + LIFETIME;
    let hello = Event::default()
        .retry(Duration::from_secs(1))
        .comment("live");
    let first = futures_util::stream::once(async move { Ok::<_, Infallible>(hello) });
    let stream = futures_util::stream::unfold((rx, wanted), move |(mut rx, wanted)| async move {
        loop {
            match tokio::time::timeout_at(until, rx.recv()).await.ok()? {
                Ok(signal) if wanted(&signal) => break,
                Ok(_) => continue,
                // Missed some: the page looks again, which covers them all.
                Err(RecvError::Lagged(_)) => break,
                Err(RecvError::Closed) => return None,
            }
        }
        Some((
            Ok(Event::default().event("changed").data("1")),
            (rx, wanted),
        ))
    });
    Sse::new(first.chain(stream)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
