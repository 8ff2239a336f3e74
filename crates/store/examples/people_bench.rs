//! Benchmark for P6 of QUALITY.md: the welfare-check due list over 1M registry people.
//! Targets: the next 100 overdue ≤ 1 ms; counts by district ≤ 10 ms.
//!
//! Run: `cargo run --release -p wushe-store --example people_bench [people] [sqlite|postgres-url]`
//! (default 1,000,000 people on SQLite in a fresh temp dir). With a PostgreSQL URL (a database
//! the bench may create tables in, e.g. `postgres://postgres@127.0.0.1:5432/bench`) it runs
//! there instead.
//!
//! Data is deterministic: the Shanghai community codes of `crates/app/regions/shanghai.csv`,
//! care levels A 15% / B 35% / C 50%, next due times spread over ±7 days around now (about a
//! third overdue), sealed fields of realistic size (random bytes: the store never sees clear
//! values). Timings are of the store queries (`PeopleStore::due_people`, `due_counts`), the
//! median of repeated runs after one warm-up.
//!
//! `P6_DB=path` keeps the SQLite file at `path` and reuses it on the next run (no seeding),
//! to try query changes quickly.

use std::time::{Duration, Instant};

use time::OffsetDateTime;
use wushe_core::audit::{Action, AuditEvent};
use wushe_core::ids::{PersonId, UserId};
use wushe_core::people::CareLevel;
use wushe_core::people::record::{BasisKind, LawfulBasis, Person, PersonSealed, PersonStatus};
use wushe_core::people::schedule::{DueGroup, due_limits};
use wushe_core::regions::RegionCode;
use wushe_core::store::PeopleStore;
use wushe_store::SqlStore;

const RUNS: usize = 21;
const BATCH: usize = 5_000;

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn communities() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../app/regions/shanghai.csv");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut codes: Vec<String> = text
        .lines()
        .filter(|l| l.ends_with(",community"))
        .filter_map(|l| l.split(',').next().map(str::to_string))
        .filter(|c| c.len() == 12)
        .collect();
    if codes.is_empty() {
        for d in 1..=16 {
            for s in 1..=15 {
                for c in 1..=25 {
                    codes.push(format!("3101{d:02}{s:03}{c:03}"));
                }
            }
        }
    }
    codes
}

fn median(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[v.len() - 1])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let target = args.get(2).cloned().unwrap_or_else(|| "sqlite".into());
    let dir = std::env::temp_dir().join(format!("wushe-p6-{}", uuid::Uuid::now_v7().simple()));
    let kept = std::env::var("P6_DB").ok().filter(|_| target == "sqlite");
    let reuse = kept
        .as_ref()
        .is_some_and(|p| std::path::Path::new(p).exists());
    let url = if let Some(path) = &kept {
        format!("sqlite://{path}")
    } else if target == "sqlite" {
        std::fs::create_dir_all(&dir)?;
        format!("sqlite://{}", dir.join("bench.db").display())
    } else {
        target.clone()
    };
    let store = SqlStore::open(&url, false).await?;
    let backend = if target == "sqlite" {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let codes = communities();
    println!("P6 welfare-check due list benchmark: {n} people, {backend}");
    println!("places: {} communities", codes.len());
    println!("load average at start: {}", load());

    let now = OffsetDateTime::now_utc();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let workers: Vec<UserId> = (0..2_000).map(|_| UserId::new()).collect();
    let started = Instant::now();
    let mut batch = Vec::with_capacity(BATCH);
    for i in 0..if reuse { 0 } else { n } {
        let region = codes[rng.below(codes.len() as u64) as usize].clone();
        let care_level = match rng.below(100) {
            0..15 => CareLevel::A,
            15..50 => CareLevel::B,
            _ => CareLevel::C,
        };
        let due = now + time::Duration::minutes(rng.below(20 * 1440) as i64 - 7 * 1440);
        let id = PersonId::new();
        let sealed = PersonSealed {
            name: Some(rng.bytes(44)),
            id_number: None,
            phone: Some(rng.bytes(42)),
            address: Some(rng.bytes(80)),
            categories: Some(rng.bytes(60)),
            health_notes: (rng.below(4) == 0).then(|| rng.bytes(70)),
            contact: Some(rng.bytes(90)),
            birth_date: Some(rng.bytes(41)),
            id_number_index: None,
            phone_index: Some(format!("1:{:064x}", rng.next())),
        };
        batch.push(Person {
            id,
            region: RegionCode(region),
            care_level,
            worker: Some(workers[rng.below(workers.len() as u64) as usize]),
            basis: LawfulBasis {
                kind: BasisKind::StatutoryDuty,
                date: now.date(),
                notice_version: "v1".into(),
                sensitive_consent: false,
                guardian_consent: false,
            },
            status: PersonStatus::Active,
            sealed,
            next_due_at: due,
            last_check_at: None,
            closed_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        });
        if batch.len() == BATCH || i + 1 == n {
            let event = AuditEvent::new(Action::PersonCreated, now).no_region();
            store.insert_people_batch(&batch, &[], &event).await?;
            batch.clear();
        }
    }
    println!("seeded in {:.1} s", started.elapsed().as_secs_f64());
    if let wushe_store::Db::Sqlite(p) = store.db() {
        sqlx::query("ANALYZE").execute(p).await?;
    }
    if let wushe_store::Db::Pg(p) = store.db() {
        sqlx::query("ANALYZE people").execute(p).await?;
    }

    let (due_before, overdue_before) = due_limits(now);
    // A worker of the stored people (a reused database holds another run's workers).
    let worker: Option<(uuid::Uuid,)> = match store.db() {
        wushe_store::Db::Sqlite(p) => {
            sqlx::query_as("SELECT worker_id FROM people LIMIT 1")
                .fetch_optional(p)
                .await?
        }
        wushe_store::Db::Pg(p) => {
            sqlx::query_as("SELECT worker_id FROM people LIMIT 1")
                .fetch_optional(p)
                .await?
        }
    };
    let worker = worker.map_or(workers[0], |w| UserId(w.0));
    if std::env::var("P6_PLAN").is_ok()
        && let wushe_store::Db::Sqlite(p) = store.db()
    {
        let street = &codes[0][..9];
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(
            "EXPLAIN QUERY PLAN SELECT * FROM people WHERE status = 'active' AND +next_due_at < $1 \
             AND $2 IS NULL AND ((region_code >= $4 AND region_code < $4 || 'Z')) \
             ORDER BY +next_due_at, care_level LIMIT $3",
        )
        .bind(0i64)
        .bind(Option::<uuid::Uuid>::None)
        .bind(100i64)
        .bind(street)
        .fetch_all(p)
        .await?;
        println!("plan: {plan:?}");
    }
    let district = RegionCode(codes[0][..6].to_string());
    let street = RegionCode(codes[0][..9].to_string());
    let city = RegionCode("31".into());
    let cases: Vec<(&str, Vec<RegionCode>, Option<UserId>)> = vec![
        ("next 100 due, city scope", vec![city.clone()], None),
        ("next 100 due, one district", vec![district.clone()], None),
        ("next 100 due, one street", vec![street.clone()], None),
        (
            "next 100 due, one worker (city scope)",
            vec![city.clone()],
            Some(worker),
        ),
    ];
    for (what, scope, worker) in &cases {
        let mut times = Vec::new();
        let mut got = 0;
        for run in 0..=RUNS {
            let t = Instant::now();
            let v = store.due_people(scope, *worker, due_before, 100).await?;
            if run > 0 {
                times.push(t.elapsed());
            }
            got = v.len();
        }
        let (med, max) = median(times);
        println!(
            "{what:<40} median {:>8.3} ms  max {:>8.3} ms  ({got} rows; target ≤ 1 ms)",
            ms(med),
            ms(max)
        );
    }
    for (what, scope, group) in [
        (
            "counts by district, city scope",
            vec![city.clone()],
            DueGroup::District,
        ),
        (
            "counts by street, one district",
            vec![district.clone()],
            DueGroup::Street,
        ),
        (
            "counts by community, one street",
            vec![street.clone()],
            DueGroup::Community,
        ),
    ] {
        let mut times = Vec::new();
        let mut groups = 0;
        for run in 0..=RUNS.min(7) {
            let t = Instant::now();
            let v = store
                .due_counts(&scope, group, due_before, overdue_before)
                .await?;
            if run > 0 {
                times.push(t.elapsed());
            }
            groups = v.len();
        }
        let (med, max) = median(times);
        println!(
            "{what:<40} median {:>8.3} ms  max {:>8.3} ms  ({groups} groups; target ≤ 10 ms)",
            ms(med),
            ms(max)
        );
    }
    println!("load average at end: {}", load());
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
