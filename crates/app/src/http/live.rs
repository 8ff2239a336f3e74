//! Server-Sent Events for live pages: a stream that sends `changed` whenever a need signal
//! passes the page's filter (and once after falling behind), with keep-alive comments so
//! proxies keep the connection open. The page then fetches what it may see.

use std::convert::Infallible;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;
use wushe_store::NeedSignal;

/// An SSE response of `changed` events for the signals `wanted` accepts.
pub fn changes(
    rx: Receiver<NeedSignal>,
    wanted: impl Fn(&NeedSignal) -> bool + Send + 'static,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = futures_util::stream::unfold((rx, wanted), |(mut rx, wanted)| async move {
        loop {
            match rx.recv().await {
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
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
