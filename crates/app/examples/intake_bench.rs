//! Benchmark of the green channel's intake (QUALITY.md P1–P3). Starts wushe in this process
//! (its own runtime, rate limits lifted) on a fresh SQLite file — and on PostgreSQL when
//! WUSHE_BENCH_POSTGRES_URL names a database it may connect to and create databases from
//! (`wushe_bench_durable`, `wushe_bench_normal`, dropped and made afresh) — and loads it over
//! real HTTP, every phase on each backend:
//!
//! - P1: 64 connections, closed loop: requests/s, p50/p99, rows per commit; the same with
//!   commits that are not durable (SQLite `synchronous=NORMAL`, PostgreSQL
//!   `synchronous_commit=off`), and the ratio durable ÷ not durable.
//! - P2: 500 requests/s open loop (latency from the scheduled send time): p99, against a
//!   4 KiB fdatasync probe in the same directory and run: alone after the load, and beside
//!   it as an open loop at the same rate (the disk at the same moments, its stalls included);
//!   and the floor: the same open loop against a bare route that only makes each arrival
//!   durable (the same HTTP stack, runtime and disk, no wushe).
//! - P3: three times the measured capacity, open loop, with 2,000 idle connections held
//!   open: answers by status, whether the server survived, and how long until it answers a
//!   need again.
//!
//! The generator speaks HTTP/1.1 over hyper's bare client connections (no pool, TLS or
//! redirects), so that it takes as little as it can of the two cores it shares with the server.
//!
//! Run: `cargo run --release -p wushe-app --example intake_bench` (`BENCH_SECONDS` per phase,
//! default 5). With `BENCH_SERVE_ONLY=1` it only serves the durable SQLite set-up and prints its
//! address, to load it with another generator (`wrk`) or profile it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use wushe_app::config::Config;
use wushe_app::{App, BoxError};

/// The binary's allocator (see Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn seconds() -> u64 {
    std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
}

fn config(dir: &Path, url: String, key: Option<PathBuf>, durable: bool) -> Config {
    Config {
        bind: "127.0.0.1:0".into(),
        data_dir: dir.to_path_buf(),
        database_url: url,
        https: false,
        session_idle_minutes: 30,
        session_absolute_hours: 12,
        metrics_token: None,
        intake_per_ip_per_minute: 0,
        intake_global_per_second: 0,
        run_worker: false,
        demo: false,
        trusted_proxies: Vec::new(),
        secret_key_file: key,
        mlps_mode: false,
        sla: Default::default(),
        durable_commits: durable,
        check_days: [1, 3, 7],
        people_retention_days: 3 * 365,
        dispatch_offer_seconds: 300,
        notify: Default::default(),
    }
}

/// A running server: its address, its stats and the thread serving it.
struct Server {
    addr: String,
    stats: Arc<wushe_store::IntakeStats>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serve `config` on two worker threads of its own (the machine has two cores).
fn serve(config: Config) -> Server {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let store = wushe_store::SqlStore::open(&config.database_url, true)
                .await
                .expect("open");
            for (_, text) in wushe_app::regions_file::SHIPPED {
                let ev = wushe_core::audit::AuditEvent::new(
                    wushe_core::audit::Action::RegionsImported,
                    time::OffsetDateTime::now_utc(),
                );
                wushe_app::regions_file::import_text(&store, text, ev)
                    .await
                    .expect("regions");
            }
            store.close().await;
            let app = App::build(config).await.expect("build");
            let addr = app.local_addr().to_string();
            ready_tx
                .send((addr, app.state().intake_stats.clone()))
                .expect("ready");
            app.run_until(async {
                let _ = stop_rx.await;
            })
            .await
            .expect("serve");
        });
    });
    let (addr, stats) = ready_rx.recv().expect("server ready");
    Server {
        addr,
        stats,
        stop: Some(stop_tx),
        thread: Some(thread),
    }
}

/// The floor under P2 on this machine: the same HTTP stack and runtime as wushe's (axum on two
/// worker threads) serving one route that only makes its arrival durable — a group commit of
/// the 4 KiB block on a thread of its own, answered after the sync — and nothing else. What
/// any intake here pays before its own work: the generator beside it, the hand-offs, the disk.
fn serve_floor(dir: &Path) -> Server {
    let (path, mut f) = probe_file(dir, "floor.bin");
    let (arrivals, syncer) = std::sync::mpsc::channel::<tokio::sync::oneshot::Sender<()>>();
    std::thread::spawn(move || {
        while let Ok(first) = syncer.recv() {
            let mut waiting = vec![first];
            waiting.extend(syncer.try_iter());
            sync_block(&mut f);
            for w in waiting {
                let _ = w.send(());
            }
        }
        let _ = std::fs::remove_file(&path);
    });
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let route = axum::routing::post(move |body: Bytes| {
                let arrivals = arrivals.clone();
                async move {
                    let (done, synced) = tokio::sync::oneshot::channel();
                    arrivals.send(done).expect("syncer");
                    synced.await.expect("synced");
                    (axum::http::StatusCode::CREATED, body.len().to_string())
                }
            });
            let router = axum::Router::new().route("/api/v1/needs", route);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            ready_tx
                .send(listener.local_addr().expect("address").to_string())
                .expect("ready");
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stop_rx.await;
                })
                .await
                .expect("serve");
        });
    });
    Server {
        addr: ready_rx.recv().expect("floor ready"),
        stats: Default::default(),
        stop: Some(stop_tx),
        thread: Some(thread),
    }
}

static KEY: AtomicU64 = AtomicU64::new(0);

fn body() -> (String, String) {
    let n = KEY.fetch_add(1, Ordering::Relaxed);
    let key = format!("bench-{}-{n}", std::process::id());
    let body = format!(
        r#"{{"category":"supplies","description":"家里菜不够了 {n}","who_for":"self","community":"310101020001","building":"1号","contact_name":"测试","mobile":"13800001111","privacy_consent":true,"health_consent":true}}"#
    );
    (key, body)
}

/// One keep-alive HTTP/1.1 connection to the server.
type Conn = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// Longest wait for a connection, and for an answer: past it a request counts as status 0.
const PATIENCE: Duration = Duration::from_secs(10);
/// Most connections the open loop opens beyond the idle ones it reuses. Generator and server
/// share this process's limit on open files (two per connection); past it the server could
/// not accept and the generator could not connect, and the run would hang.
const OPEN_LOOP_CONNECTIONS: usize = 3000;

async fn connect(addr: &str) -> Option<Conn> {
    let stream = tokio::time::timeout(PATIENCE, tokio::net::TcpStream::connect(addr))
        .await
        .ok()?
        .ok()?;
    stream.set_nodelay(true).ok()?;
    let (conn, driver) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(driver);
    Some(conn)
}

/// One POST of a new need on `conn`; its status (0 when the connection failed) and latency.
async fn post(conn: &mut Conn, addr: &str) -> (u16, Duration) {
    let (key, body) = body();
    let request = hyper::Request::post("/api/v1/needs")
        .header("host", addr)
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("request");
    let t = Instant::now();
    let exchange = async {
        let answer = conn.send_request(request).await.ok()?;
        let status = answer.status().as_u16();
        answer.into_body().collect().await.ok()?;
        Some(status)
    };
    let status = tokio::time::timeout(PATIENCE, exchange)
        .await
        .ok()
        .flatten()
        .unwrap_or(0);
    (status, t.elapsed())
}

/// One POST on a connection of its own (opened for it); 0 when none could be opened.
async fn post_once(addr: &str) -> (u16, Duration) {
    let t = Instant::now();
    match connect(addr).await {
        Some(mut conn) => (post(&mut conn, addr).await.0, t.elapsed()),
        None => (0, t.elapsed()),
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Closed loop with `conns` connections for `secs`: (requests/s, p50, p99, rows per commit).
async fn closed_loop(server: &Server, conns: usize, secs: u64) -> (f64, Duration, Duration, f64) {
    let (c0, r0) = (
        server.stats.commits.load(Ordering::Relaxed),
        server.stats.rows.load(Ordering::Relaxed),
    );
    let until = Instant::now() + Duration::from_secs(secs);
    let began = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let addr = server.addr.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut conn = None;
            while Instant::now() < until {
                if conn.is_none() {
                    conn = connect(&addr).await;
                }
                let Some(c) = conn.as_mut() else { continue };
                let (s, d) = post(c, &addr).await;
                if s == 201 {
                    lat.push(d);
                } else if s == 0 {
                    conn = None;
                }
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.expect("client"));
    }
    let elapsed = began.elapsed().as_secs_f64();
    lat.sort();
    let commits = server.stats.commits.load(Ordering::Relaxed) - c0;
    let rows = server.stats.rows.load(Ordering::Relaxed) - r0;
    (
        lat.len() as f64 / elapsed,
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        rows as f64 / commits.max(1) as f64,
    )
}

/// Open loop at `rate`/s for `secs`, latency counted from the scheduled send time:
/// (latencies of successes, sorted; answers by status). Each request takes an idle connection, or opens one
/// (at most [`OPEN_LOOP_CONNECTIONS`] open at once; a request finding none counts as status 0).
async fn open_loop(addr: &str, rate: u64, secs: u64) -> (Vec<Duration>, Vec<(u16, u64)>) {
    let idle: Arc<std::sync::Mutex<Vec<Conn>>> = Default::default();
    let room = Arc::new(tokio::sync::Semaphore::new(OPEN_LOOP_CONNECTIONS));
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..rate * secs {
        let due = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due.into()).await;
        let (idle, room, addr) = (idle.clone(), room.clone(), addr.to_string());
        tasks.push(tokio::spawn(async move {
            let taken = idle.lock().expect("idle connections").pop();
            let conn = match taken {
                Some(c) => Some(c),
                None => match room.try_acquire() {
                    Ok(permit) => {
                        let conn = connect(&addr).await;
                        if conn.is_some() {
                            permit.forget();
                        }
                        conn
                    }
                    Err(_) => None,
                },
            };
            let Some(mut conn) = conn else {
                return (0, due.elapsed());
            };
            let (s, _) = post(&mut conn, &addr).await;
            if s != 0 {
                idle.lock().expect("idle connections").push(conn);
            } else {
                room.add_permits(1);
            }
            (s, due.elapsed())
        }));
    }
    let mut lat = Vec::new();
    let mut by_status = std::collections::BTreeMap::new();
    for t in tasks {
        let (s, d) = t.await.expect("request");
        *by_status.entry(s).or_insert(0u64) += 1;
        if s == 201 {
            lat.push(d);
        }
    }
    lat.sort();
    (lat, by_status.into_iter().collect())
}

/// A new file in `dir` for an fdatasync probe: its path, and the file open for writing.
fn probe_file(dir: &Path, name: &str) -> (PathBuf, std::fs::File) {
    let path = dir.join(name);
    let f = std::fs::File::create(&path).expect("probe file");
    (path, f)
}

/// Write the 4 KiB block over itself and fdatasync: the least a durable write costs (as
/// `pg_test_fsync` rewrites its file), so the bound made of it is strict.
fn sync_block(f: &mut std::fs::File) {
    use std::io::{Seek, Write};
    f.seek(std::io::SeekFrom::Start(0)).expect("seek");
    f.write_all(&[7u8; 4096]).expect("write");
    f.sync_data().expect("fdatasync");
}

/// An intake that does nothing but make each arrival durable, beside the load: arrivals at
/// `rate`/s for `secs`, one thread syncing the block for all that have arrived (a group
/// commit of a block), each arrival's latency counted from its scheduled time as the load's
/// are. What the disk alone allows at that rate in that window; sorted.
fn fdatasync_open_loop(dir: &Path, rate: u64, secs: u64) -> Vec<Duration> {
    let (path, mut f) = probe_file(dir, "probe-open-loop.bin");
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let n = rate * secs;
    let start = Instant::now();
    let due = |i: u64| start + interval.mul_f64(i as f64);
    let mut lat = Vec::with_capacity(n as usize);
    let mut next = 0;
    while next < n {
        if let Some(wait) = due(next).checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let arrived = ((start.elapsed().as_secs_f64() / interval.as_secs_f64()) as u64 + 1).min(n);
        sync_block(&mut f);
        let done = Instant::now();
        lat.extend((next..arrived).map(|i| done - due(i)));
        next = arrived;
    }
    let _ = std::fs::remove_file(&path);
    lat.sort();
    lat
}

/// p99 of syncing the 4 KiB block 200 times in a row in `dir`.
fn fdatasync_probe(dir: &Path) -> Duration {
    let (path, mut f) = probe_file(dir, "probe.bin");
    let mut lat: Vec<Duration> = (0..200)
        .map(|_| {
            let t = Instant::now();
            sync_block(&mut f);
            t.elapsed()
        })
        .collect();
    let _ = std::fs::remove_file(&path);
    lat.sort();
    pct(&lat, 0.99)
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wushe-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn sqlite(name: &str, durable: bool) -> (PathBuf, Config) {
    let dir = temp(name);
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let cfg = config(&dir, url, None, durable);
    (dir, cfg)
}

/// A new, empty database next to the one `url` names (dropped first if a previous run left
/// it); its URL.
async fn fresh_postgres(url: &str, durable: bool) -> String {
    let name = format!("wushe_bench_{}", if durable { "durable" } else { "normal" });
    let pool = sqlx::PgPool::connect(url)
        .await
        .expect("connect to PostgreSQL");
    for sql in [
        format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        format!("CREATE DATABASE \"{name}\""),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .expect("create the bench database");
    }
    pool.close().await;
    let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(url);
    format!("{base}/{name}")
}

/// P1, P2 and P3 on one backend: `open(durable)` gives a fresh server and the directory to
/// probe and remove afterwards.
async fn phases(name: &str, secs: u64, open: impl AsyncFn(bool) -> (PathBuf, Server)) {
    let (dir, full) = open(true).await;
    let (rps, p50, p99, rpc) = closed_loop(&full, 64, secs).await;
    println!(
        "P1 {name} durable      64 conns: {rps:8.0} req/s  p50 {:6.2} ms  p99 {:6.2} ms  rows/commit {rpc:6.1}",
        ms(p50),
        ms(p99)
    );
    let (dir_n, normal) = open(false).await;
    let (rps_n, p50_n, p99_n, rpc_n) = closed_loop(&normal, 64, secs).await;
    println!(
        "P1 {name} not durable  64 conns: {rps_n:8.0} req/s  p50 {:6.2} ms  p99 {:6.2} ms  rows/commit {rpc_n:6.1}",
        ms(p50_n),
        ms(p99_n)
    );
    println!(
        "P1 {name} ratio durable ÷ not durable: {:.2} (target ≥ 0.6)",
        rps / rps_n
    );
    drop(normal);
    let _ = std::fs::remove_dir_all(&dir_n);

    // P2: 500/s open loop against the fdatasync probe (in the data directory; for
    // PostgreSQL that is the bench's own directory on the same disk as the cluster here),
    // measured twice: alone after the load, 200 syncs one after the other (the bound as
    // QUALITY.md words it), and beside the load as an open loop at the same rate, its
    // latency counted as the load's (the same disk at the same moments, stalls included).
    let beside = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || fdatasync_open_loop(&dir, 500, secs))
    };
    let (open, statuses) = open_loop(&full.addr, 500, secs).await;
    let p99_open = pct(&open, 0.99);
    let beside = beside.await.expect("probe beside the load");
    let probe = fdatasync_probe(&dir);
    let within = |p99: Duration, probe: Duration| {
        let bound = ms(probe) * 2.0 + 2.0;
        let verdict = if ms(p99) <= bound { "within" } else { "over" };
        format!("{bound:6.2} ms ({verdict})")
    };
    println!(
        "P2 {name} 500 req/s open loop: p50 {:6.2} ms  p99 {:6.2} ms; 4 KiB fdatasync p99 {:6.2} ms; bound 2×probe+2 ms = {}; answers {statuses:?}",
        ms(pct(&open, 0.5)),
        ms(p99_open),
        ms(probe),
        within(p99_open, probe),
    );
    let beside_p99 = pct(&beside, 0.99);
    println!(
        "P2 {name} 4 KiB fdatasync at 500/s open loop beside the load: p50 {:6.2} ms  p99 {:6.2} ms  slowest {:6.2} ms; bound 2×probe+2 ms = {}",
        ms(pct(&beside, 0.5)),
        ms(beside_p99),
        ms(pct(&beside, 1.0)),
        within(p99_open, beside_p99),
    );

    let floor = serve_floor(&dir);
    let (floor_lat, _) = open_loop(&floor.addr, 500, secs).await;
    drop(floor);
    println!(
        "P2 {name} floor, the same open loop against a route that only syncs the block (group commit): p50 {:6.2} ms  p99 {:6.2} ms; bound by the quiet probe {}",
        ms(pct(&floor_lat, 0.5)),
        ms(pct(&floor_lat, 0.99)),
        within(pct(&floor_lat, 0.99), probe),
    );

    // P3: three times the capacity with 2,000 idle connections held open.
    let addr = full.addr.clone();
    let mut idle = Vec::new();
    for _ in 0..2000 {
        if let Ok(s) = tokio::net::TcpStream::connect(&addr).await {
            idle.push(s);
        }
    }
    let rate = (rps * 3.0).max(300.0) as u64;
    let (_, statuses) = open_loop(&addr, rate, secs).await;
    drop(idle);
    let t = Instant::now();
    let healthy = loop {
        let (s, _) = post_once(&addr).await;
        if s == 201 {
            break Some(t.elapsed());
        }
        if t.elapsed() > Duration::from_secs(30) {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    println!(
        "P3 {name} overload at {rate} req/s (3× P1) with 2,000 idle connections: answers {statuses:?}; a need accepted again after {}",
        healthy
            .map(|d| format!("{:.2} s", d.as_secs_f64()))
            .unwrap_or_else(|| "never (30 s)".into())
    );
    drop(full);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    wushe_app::init_tracing();
    let secs = seconds();
    if std::env::var_os("BENCH_SERVE_ONLY").is_some() {
        let (_dir, cfg) = sqlite("serve", true);
        let server = serve(cfg);
        println!("serving http://{} until interrupted", server.addr);
        tokio::signal::ctrl_c().await?;
        return Ok(());
    }
    println!(
        "intake benchmark: {secs} s per phase, load generator in the same process; \
         status 0 = no answer (no connection, or none within 10 s)"
    );
    phases("SQLite    ", secs, async |durable| {
        let (dir, cfg) = sqlite(if durable { "full" } else { "normal" }, durable);
        (dir, serve(cfg))
    })
    .await;
    if let Ok(url) = std::env::var("WUSHE_BENCH_POSTGRES_URL") {
        phases("PostgreSQL", secs, async |durable| {
            let dir = temp(if durable { "pg" } else { "pg-normal" });
            let key = dir.join("secret.key");
            let ring = wushe_core::crypto::Keyring::generate().expect("key");
            wushe_app::keys::write_new_key_file(&key, &ring).expect("key file");
            let db = fresh_postgres(&url, durable).await;
            (dir.clone(), serve(config(&dir, db, Some(key), durable)))
        })
        .await;
    }
    Ok(())
}
