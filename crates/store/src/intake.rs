//! Group commit for the intake: new needs from many requests share one durable transaction.
//!
//! Each `insert_need` hands its need to one writer task per process and waits. The writer
//! takes whatever has queued up (at most [`BATCH`]), writes it in one transaction — the
//! idempotency claims, then the needs, their first events, their notifications and their
//! audit entries, one statement per table for the whole batch (on SQLite one query for all
//! of these: statements.rs), the audit head advancing through the batch — commits once, and
//! only then answers every request of the batch. Idempotency is insert-first: the key row is
//! inserted with `ON CONFLICT DO NOTHING` before the need (the need id in it is a deferred
//! foreign key, checked at commit); a claim lost to an earlier request — also one earlier in
//! the same batch — answers replay (same body hash) or mismatch and writes nothing for that
//! item. If the transaction fails, every request of the batch gets the error and nothing of
//! it is stored.
//!
//! Back-pressure: the queue holds [`QUEUE`] needs; beyond that a request is refused at once
//! with `Busy` (503 and Retry-After), instead of piling up until the process falls over.
//!
//! The writer runs on a thread of its own with its own connection: a batch is several round
//! trips to the database (six on SQLite, seven on PostgreSQL), and on the request runtime
//! every round trip would wait its turn behind the HTTP work of the next requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;
use wushe_core::audit::{Anchor, AuditEvent};
use wushe_core::ids::NeedId;
use wushe_core::needs::record::{IdempotencyClaim, Inserted, Need};
use wushe_core::needs::timeline::NeedEvent;
use wushe_core::{Error, Result};

use crate::audit::{lock_head, push_entries, seal_entries};
use crate::live::{Announce, Live, NeedSignal};
use crate::need_work::push_events;
use crate::outbox::{hooks_for, push_outbox, queued, to_tell};
use crate::statements::{next_statement, run_statements};
use crate::{Db, db_err, ms, on_pool};

/// Most needs in one transaction.
const BATCH: usize = 256;
/// Most needs waiting for the writer: about a fifth of a second of work at full speed.
const QUEUE: usize = 1024;
/// Seconds a refused client is told to wait.
const RETRY_AFTER: u64 = 2;
/// How often the SQLite log is copied back into the database file while needs come in.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// Commits and rows written by the writer (for `/metrics` and the benchmark).
#[derive(Debug, Default)]
pub struct IntakeStats {
    pub commits: AtomicU64,
    pub rows: AtomicU64,
}

struct Item {
    need: Need,
    created: NeedEvent,
    claim: IdempotencyClaim,
    audit: AuditEvent,
    reply: oneshot::Sender<Result<Inserted>>,
}

/// The handle requests use; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Intake {
    queue: mpsc::Sender<Item>,
    pub(crate) stats: Arc<IntakeStats>,
}

impl std::fmt::Debug for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Item").field("need", &self.need.id).finish()
    }
}

impl Intake {
    /// Start the writer on its own thread; `open` makes its connection (a pool of one) there.
    /// The thread ends when the last handle is dropped and the queue is drained.
    pub(crate) fn start(
        open: impl FnOnce() -> Db + Send + 'static,
        live: Live,
    ) -> std::io::Result<Intake> {
        let (queue, rx) = mpsc::channel(QUEUE);
        let stats = Arc::new(IntakeStats::default());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let counted = stats.clone();
        std::thread::Builder::new()
            .name("intake-writer".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let db = open();
                    writer(&db, live, rx, counted).await;
                    on_pool!(&db, p => p.close().await);
                })
            })?;
        Ok(Intake { queue, stats })
    }

    /// Queue a need and wait until the transaction holding it has committed.
    pub(crate) async fn insert(
        &self,
        need: &Need,
        created: &NeedEvent,
        claim: &IdempotencyClaim,
        audit: &AuditEvent,
    ) -> Result<Inserted> {
        let (reply, answer) = oneshot::channel();
        let item = Item {
            need: need.clone(),
            created: created.clone(),
            claim: claim.clone(),
            audit: audit.clone(),
            reply,
        };
        self.queue.try_send(item).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => Error::Busy(RETRY_AFTER),
            mpsc::error::TrySendError::Closed(_) => Error::internal("the intake writer stopped"),
        })?;
        answer
            .await
            .map_err(|_| Error::internal("the intake writer dropped a need"))?
    }
}

async fn writer(db: &Db, live: Live, mut rx: mpsc::Receiver<Item>, stats: Arc<IntakeStats>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let items = std::mem::take(&mut batch);
        match write(db, &items).await {
            Ok((results, announced)) => {
                let written = results
                    .iter()
                    .filter(|r| matches!(r, Inserted::New))
                    .count();
                stats.commits.fetch_add(1, Ordering::Relaxed);
                stats.rows.fetch_add(written as u64, Ordering::Relaxed);
                for (item, result) in items.into_iter().zip(results) {
                    if result == Inserted::New && !announced {
                        live.send(NeedSignal {
                            id: item.need.id,
                            region: item.need.region.clone(),
                        });
                    }
                    let _ = item.reply.send(Ok(result));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, needs = items.len(), "intake batch failed; nothing of it was stored");
                for item in items {
                    let _ = item.reply.send(Err(Error::internal("intake batch failed")));
                }
            }
        }
    }
}

/// SQLite: while the writer commits, copy the write-ahead log back into the database file from
/// a pool connection, beside the writer (`PASSIVE` waits for neither readers nor writers). The
/// writer's own automatic checkpoint, which a batch waits for, then finds little left to copy,
/// and the log is still reset by it (a checkpoint beside a busy writer never catches up with
/// the end of the log, which would grow without bound). Ends with the writer or the pool.
pub(crate) async fn checkpoints(pool: sqlx::SqlitePool, stats: std::sync::Weak<IntakeStats>) {
    let mut seen = 0;
    loop {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        let Some(stats) = stats.upgrade() else { return };
        if pool.is_closed() {
            return;
        }
        let commits = stats.commits.load(Ordering::Relaxed);
        if commits == seen {
            continue;
        }
        seen = commits;
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::warn!(error = %e, "checkpoint of the intake's log failed; the next one retries");
        }
    }
}

const INSERT_NEEDS: &str = "INSERT INTO needs (id, code, link_hash, category, priority, reasons, advice, \
    state, escalation, region_code, who_for, basis, notice_version, contact_name, mobile, address, \
    description, subject, mobile_index, source, sla_next_at, created_at, updated_at, version, \
    person_id) ";

const CLAIMS: &str = "INSERT INTO idempotency (key, body_hash, need_id, created_at) ";

const CLAIMED: &str = "SELECT body_hash, need_id FROM idempotency WHERE key = $1";

/// One transaction for the batch, with one statement per table for all of its needs: each
/// item's result, and whether the signals were announced through the database.
async fn write(db: &Db, items: &[Item]) -> Result<(Vec<Inserted>, bool)> {
    // The first item with a key claims it; a later one with the same key is a replay or a
    // mismatch of that claim, like a retry after the batch.
    let mut seen = std::collections::HashSet::new();
    let first: Vec<bool> = items
        .iter()
        .map(|i| seen.insert(i.claim.key.as_str()))
        .collect();
    on_pool!(db, p => {
        let mut tx = p.begin().await.map_err(db_err)?;
        let head: Anchor = lock_head!(tx);
        let mut q = sqlx::QueryBuilder::new(CLAIMS);
        q.push_values(items.iter().zip(&first).filter(|(_, f)| **f), |mut b, (item, _)| {
            b.push_bind(item.claim.key.as_str())
                .push_bind(item.claim.body_hash.as_str())
                .push_bind(item.need.id.0)
                .push_bind(ms(item.need.created_at));
        });
        q.push(" ON CONFLICT (key) DO NOTHING RETURNING key");
        let claimed: std::collections::HashSet<String> =
            q.build_query_scalar().fetch_all(&mut *tx).await.map_err(db_err)?.into_iter().collect();
        let mut results = Vec::with_capacity(items.len());
        for (item, first) in items.iter().zip(&first) {
            if *first && claimed.contains(&item.claim.key) {
                results.push(Inserted::New);
                continue;
            }
            let (body_hash, earlier): (String, Uuid) = sqlx::query_as(CLAIMED)
                .bind(&item.claim.key).fetch_one(&mut *tx).await.map_err(db_err)?;
            results.push(if body_hash == item.claim.body_hash {
                Inserted::Replay(NeedId(earlier))
            } else {
                Inserted::Mismatch
            });
        }
        let new: Vec<&Item> = items
            .iter()
            .zip(&results)
            .filter(|(_, r)| **r == Inserted::New)
            .map(|(i, _)| i)
            .collect();
        if new.is_empty() {
            tx.commit().await.map_err(db_err)?;
            return Ok((results, false));
        }
        let texts = new
            .iter()
            .map(|i| Ok((serde_json::to_string(&i.need.reasons)?, serde_json::to_string(&i.need.advice)?)))
            .collect::<std::result::Result<Vec<_>, serde_json::Error>>()
            .map_err(Error::internal)?;
        let events: Vec<&NeedEvent> = new.iter().map(|i| &i.created).collect();
        let told: Vec<_> = new.iter().map(|i| to_tell(&i.need)).collect();
        let hooks = hooks_for!(tx, &events);
        let (entries, moved) = seal_entries(&head, new.iter().map(|i| &i.audit));
        // The rest reads nothing back: one query on SQLite (see statements.rs).
        let mut q = sqlx::QueryBuilder::new("");
        next_statement!(tx, q);
        q.push(INSERT_NEEDS);
        q.push_values(new.iter().zip(texts), |mut b, (item, (reasons, advice))| {
            let (n, s) = (&item.need, &item.need.sealed);
            b.push_bind(n.id.0).push_bind(n.code.as_str()).push_bind(n.link_hash.as_str())
                .push_bind(n.category.as_str()).push_bind(n.priority.as_str())
                .push_bind(reasons).push_bind(advice)
                .push_bind(n.state.as_str()).push_bind(n.escalation).push_bind(n.region.0.as_str())
                .push_bind(n.who_for.as_str()).push_bind(n.basis.as_str())
                .push_bind(n.notice_version.as_str())
                .push_bind(s.contact_name.as_slice()).push_bind(s.mobile.as_slice())
                .push_bind(s.address.as_slice()).push_bind(s.description.as_slice())
                .push_bind(s.subject.as_slice()).push_bind(s.mobile_index.as_str())
                .push_bind(n.source.as_str()).push_bind(n.sla_next_at.map(ms))
                .push_bind(ms(n.created_at)).push_bind(ms(n.updated_at)).push_bind(n.version)
                .push_bind(n.person.map(|p| p.0));
        });
        push_events!(tx, q, &events);
        push_outbox!(tx, q, queued(&events, &told, &hooks));
        push_entries!(tx, q, &entries, &moved);
        run_statements!(tx, q);
        let signals: Vec<NeedSignal> = new
            .iter()
            .map(|i| NeedSignal { id: i.need.id, region: i.need.region.clone() })
            .collect();
        let announced = tx.announce(&signals).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok((results, announced))
    })
}
