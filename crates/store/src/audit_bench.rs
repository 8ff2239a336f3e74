//! What the audit log costs a write, as a benchmark (ignored by default; it prints figures,
//! never asserts on time): the same number of plain inserts (jobs, unaudited) and audited
//! inserts (an organisation with its audit entry), one writer and eight, on each backend.
//! Run: `cargo nextest run -p wushe-store --run-ignored only --no-capture -E 'test(benchmark)'`
//! (set `WUSHE_TEST_POSTGRES_URL` for PostgreSQL too).

use std::time::{Duration, Instant};

use time::OffsetDateTime;
use wushe_core::audit::{Action, AuditEvent, RecordKind};
use wushe_core::ids::OrgId;
use wushe_core::jobs::NewJob;
use wushe_core::orgs::{Org, OrgKind};
use wushe_core::regions::RegionCode;
use wushe_core::store::{JobStore, OrgStore};

use super::tests::{databases, seed_regions};
use crate::SqlStore;

const WRITES: usize = 320;

fn org() -> Org {
    let now = OffsetDateTime::now_utc();
    Org {
        id: OrgId::new(),
        name: "benchmark".into(),
        kind: OrgKind::Committee,
        region: RegionCode("310101020".into()),
        phone: None,
        address: None,
        description: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// `WRITES` writes spread over `writers` tasks; `audited` picks the kind of write.
async fn run(store: &SqlStore, writers: usize, audited: bool) -> Duration {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..WRITES / writers {
                let now = OffsetDateTime::now_utc();
                if audited {
                    let o = org();
                    let e = AuditEvent::new(Action::OrgCreated, now)
                        .region(&o.region)
                        .record(RecordKind::Org, [o.id]);
                    s.insert_org(&o, &e).await.expect("insert");
                } else {
                    let job = NewJob::new("benchmark", "{}".into(), now);
                    s.enqueue(&job).await.expect("enqueue");
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("writer");
    }
    started.elapsed()
}

#[tokio::test]
#[ignore = "a benchmark: prints figures"]
async fn audited_write_overhead_benchmark() {
    for db in databases().await {
        seed_regions(&db.store).await;
        for writers in [1, 8] {
            let plain = run(&db.store, writers, false).await;
            let audited = run(&db.store, writers, true).await;
            let rate = |d: Duration| WRITES as f64 / d.as_secs_f64();
            println!(
                "{} with {writers} writers: plain {:.0}/s, audited {:.0}/s, audited ÷ plain throughput {:.2}",
                db.name,
                rate(plain),
                rate(audited),
                rate(audited) / rate(plain)
            );
        }
        db.close().await;
    }
}
