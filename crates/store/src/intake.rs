//! Group commit for the intake: new needs from many requests share one durable transaction.
//!
//! Each `insert_need` hands its need to one writer task per process and waits. The writer
//! takes whatever has queued up (at most [`BATCH`]), writes it in one transaction — the
//! idempotency claim, the need, its first event and its audit entry, item after item, the
//! audit head advancing through the batch — commits once, and only then answers every
//! request of the batch. Idempotency is insert-first: the key row is inserted with `ON
//! CONFLICT DO NOTHING` before the need (the need id in it is a deferred foreign key, checked
//! at commit); a claim lost to an earlier request — also one earlier in the same batch —
//! answers replay (same body hash) or mismatch and writes nothing for that item. If the
//! transaction fails, every request of the batch gets the error and nothing of it is stored.
//!
//! Back-pressure: the queue holds [`QUEUE`] needs; beyond that a request is refused at once
//! with `Busy` (503 and Retry-After), instead of piling up until the process falls over.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;
use wushe_core::audit::{Anchor, AuditEvent};
use wushe_core::ids::NeedId;
use wushe_core::needs::record::{IdempotencyClaim, Inserted, Need};
use wushe_core::needs::timeline::NeedEvent;
use wushe_core::{Error, Result};

use crate::audit::{append_entry, lock_head};
use crate::live::{Announce, Live, NeedSignal};
use crate::need_work::insert_event;
use crate::{Db, db_err, ms, on_pool};

/// Most needs in one transaction.
const BATCH: usize = 256;
/// Most needs waiting for the writer.
const QUEUE: usize = 4096;
/// Seconds a refused client is told to wait.
const RETRY_AFTER: u64 = 2;

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
    /// Start the writer over `db`.
    pub(crate) fn start(db: Db, live: Live) -> Intake {
        let (queue, rx) = mpsc::channel(QUEUE);
        let stats = Arc::new(IntakeStats::default());
        tokio::spawn(writer(db, live, rx, stats.clone()));
        Intake { queue, stats }
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

async fn writer(db: Db, live: Live, mut rx: mpsc::Receiver<Item>, stats: Arc<IntakeStats>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let items = std::mem::take(&mut batch);
        match write(&db, &items).await {
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

const INSERT: &str =
    "INSERT INTO needs (id, code, link_hash, category, priority, reasons, advice, \
    state, escalation, region_code, who_for, basis, notice_version, contact_name, mobile, address, \
    description, subject, mobile_index, source, sla_next_at, created_at, updated_at, version, \
    person_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
    $20, $21, $22, $23, $24, $25)";

const CLAIM: &str = "INSERT INTO idempotency (key, body_hash, need_id, created_at)
    VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING";

const CLAIMED: &str = "SELECT body_hash, need_id FROM idempotency WHERE key = $1";

/// One transaction for the batch: each item's result, and whether the signals were announced
/// through the database.
async fn write(db: &Db, items: &[Item]) -> Result<(Vec<Inserted>, bool)> {
    on_pool!(db, p => {
        let mut tx = p.begin().await.map_err(db_err)?;
        let mut head: Anchor = lock_head!(tx);
        let mut results = Vec::with_capacity(items.len());
        let mut announced = false;
        for item in items {
            let (n, claim) = (&item.need, &item.claim);
            let claimed = sqlx::query(CLAIM)
                .bind(&claim.key).bind(&claim.body_hash).bind(n.id.0).bind(ms(n.created_at))
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if claimed != 1 {
                let (body_hash, first): (String, Uuid) = sqlx::query_as(CLAIMED)
                    .bind(&claim.key).fetch_one(&mut *tx).await.map_err(db_err)?;
                results.push(if body_hash == claim.body_hash {
                    Inserted::Replay(NeedId(first))
                } else {
                    Inserted::Mismatch
                });
                continue;
            }
            let reasons = serde_json::to_string(&n.reasons).map_err(Error::internal)?;
            let advice = serde_json::to_string(&n.advice).map_err(Error::internal)?;
            let s = &n.sealed;
            sqlx::query(INSERT)
                .bind(n.id.0).bind(n.code.as_str()).bind(&n.link_hash)
                .bind(n.category.as_str()).bind(n.priority.as_str()).bind(&reasons).bind(&advice)
                .bind(n.state.as_str()).bind(n.escalation).bind(&n.region.0)
                .bind(&n.who_for).bind(&n.basis).bind(&n.notice_version)
                .bind(&s.contact_name).bind(&s.mobile).bind(&s.address).bind(&s.description)
                .bind(&s.subject).bind(&s.mobile_index)
                .bind(n.source.as_str()).bind(n.sla_next_at.map(ms))
                .bind(ms(n.created_at)).bind(ms(n.updated_at)).bind(n.version)
                .bind(n.person.map(|p| p.0))
                .execute(&mut *tx).await.map_err(db_err)?;
            insert_event!(tx, &item.created);
            let entry = append_entry!(tx, head, &item.audit);
            head = Anchor { seq: entry.seq, hash: entry.hash };
            announced |= tx
                .announce(&NeedSignal { id: n.id, region: n.region.clone() })
                .await
                .map_err(db_err)?;
            results.push(Inserted::New);
        }
        tx.commit().await.map_err(db_err)?;
        Ok((results, announced))
    })
}
