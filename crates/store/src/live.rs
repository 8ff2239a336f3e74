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

/// The PostgreSQL channel that carries need signals between nodes.
const CHANNEL: &str = "wushe_needs";

/// Announce changed needs inside the open transaction. On PostgreSQL the announcement is a
/// `NOTIFY`, delivered to every node (this one included) only if the transaction commits;
/// `true` then means "already on its way". On SQLite (one node) it is `false`: the caller
/// sends to this process after the commit.
pub(crate) trait Announce {
    async fn announce(&mut self, signals: &[NeedSignal]) -> Result<bool, sqlx::Error>;
}

impl Announce for sqlx::Transaction<'_, sqlx::Sqlite> {
    async fn announce(&mut self, _: &[NeedSignal]) -> Result<bool, sqlx::Error> {
        Ok(false)
    }
}

impl Announce for sqlx::Transaction<'_, sqlx::Postgres> {
    async fn announce(&mut self, signals: &[NeedSignal]) -> Result<bool, sqlx::Error> {
        let payloads: Vec<String> = signals
            .iter()
            .map(|s| format!("{} {}", s.id, s.region.as_str()))
            .collect();
        sqlx::query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p")
            .bind(CHANNEL)
            .bind(payloads)
            .execute(&mut **self)
            .await?;
        Ok(true)
    }
}

/// Start relaying every node's announcements to this process's subscribers, until the pool
/// closes. Returns once the listener is subscribed, so no change committed after `open` is
/// missed. The listener reconnects by itself; signals sent while it was away are missed, and
/// the pages catch up on their next event (or a reload).
pub(crate) async fn relay_postgres(pool: &sqlx::PgPool, live: Live) -> Result<(), sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    tokio::spawn(async move {
        loop {
            match listener.recv().await {
                Ok(n) => {
                    if let Some(signal) = parse(n.payload()) {
                        live.send(signal);
                    }
                }
                Err(sqlx::Error::PoolClosed) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "need signal listener interrupted; reconnecting");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    });
    Ok(())
}

fn parse(payload: &str) -> Option<NeedSignal> {
    let (id, region) = payload.split_once(' ')?;
    Some(NeedSignal {
        id: id.parse().ok()?,
        region: RegionCode(region.to_string()),
    })
}
