//! Live updates: after a change of a need commits, a signal (ids only) goes to everyone
//! subscribed in this process — the staff queues and tracking pages served over SSE.
//! A signal says "look again"; what a subscriber may see is decided when it looks.

use tokio::sync::broadcast;
use wushe_core::ids::NeedId;
use wushe_core::regions::RegionCode;

/// A need changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedSignal {
    pub id: NeedId,
    pub region: RegionCode,
}

/// The in-process fan-out of need signals. Slow subscribers miss signals rather than hold
/// writers back (they are told they lagged, and reload).
#[derive(Debug, Clone)]
pub struct Live(broadcast::Sender<NeedSignal>);

impl Default for Live {
    fn default() -> Self {
        Live(broadcast::channel(1024).0)
    }
}

impl Live {
    pub fn send(&self, signal: NeedSignal) {
        // No subscriber is not an error.
        let _ = self.0.send(signal);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<NeedSignal> {
        self.0.subscribe()
    }
}
