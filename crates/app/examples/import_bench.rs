//! Benchmark of the registry import (issue 7): 10,000 rows as XLSX and as CSV, through the
//! same code the upload uses — reading the file under the limits, the dry run (every row
//! through the registry form's rules, duplicates inside the file and against the registry),
//! then the all-or-nothing commit (sealing every personal value, one transaction, one audit
//! entry). Prints the time of each stage and the peak resident memory of the import alone
//! (VmHWM from /proc/self/status, reset through /proc/self/clear_refs after the file is built).
//!
//! Run: `cargo run --release -p wushe-app --example import_bench [rows] [sqlite|postgres-url]`
//! (default 10,000 rows on SQLite in a fresh temp dir; a PostgreSQL URL names a database the
//! bench may create tables in).

use std::time::Instant;

use time::OffsetDateTime;
use wushe_core::actor::{Actor, Grant, Role};
use wushe_core::crypto::{Cipher, Keyring};
use wushe_core::ids::UserId;
use wushe_core::people::import::{self, COLUMNS};
use wushe_core::regions::RegionCode;
use wushe_core::sheet::{self, Limits};
use wushe_store::SqlStore;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn status(key: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .map(|l| l[key.len()..].trim().to_string())
        .unwrap_or_else(|| "?".into())
}

fn reset_peak() {
    // Linux: writing 5 resets the peak resident set size (VmHWM) to the current one.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn rows(n: usize) -> Vec<Vec<String>> {
    let mut g: Vec<Vec<String>> = vec![
        COLUMNS.iter().map(|c| c.zh.to_string()).collect(),
        COLUMNS.iter().map(|c| c.en.to_string()).collect(),
    ];
    for i in 0..n {
        let community = ["310101020001", "310101020002", "310101020003"][i % 3];
        g.push(vec![
            format!("居民{i}"),
            String::new(),
            format!("139{:08}", i),
            format!("19{:02}-0{}-1{}", 30 + i % 60, 1 + i % 9, i % 10),
            format!("丽园路 {} 弄 {} 号 {} 室", i % 500, i % 40, 100 + i % 600),
            community.to_string(),
            ["高龄、独居/空巢老人", "低保", "残疾人、重病/慢病"][i % 3].to_string(),
            ["A", "B", "C"][i % 3].to_string(),
            "履行法定职责".into(),
            "2026-04-03".into(),
            "v1".into(),
            "否".into(),
            "否".into(),
            format!("家属{i}"),
            format!("138{:08}", i),
            "女儿".into(),
            "高血压，每日服药；行动不便，需上门".into(),
        ]);
    }
    g
}

fn xlsx(g: &[Vec<String>]) -> Result<Vec<u8>, BoxError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (i, r) in g.iter().enumerate() {
        for (j, v) in r.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(u32::try_from(i)?, u16::try_from(j)?, v)?;
            }
        }
    }
    Ok(wb.save_to_buffer()?)
}

fn csv(g: &[Vec<String>]) -> Result<Vec<u8>, BoxError> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    for r in g {
        w.write_record(r)?;
    }
    Ok(w.into_inner()?)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let target = args.get(2).cloned().unwrap_or_else(|| "sqlite".into());
    let backend = if target == "sqlite" {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    println!("registry import benchmark: {n} rows, {backend}");
    let cipher = Cipher::new(&Keyring::generate()?);
    let actor = Actor {
        user_id: UserId::new(),
        username: "bench".into(),
        display_name: "bench".into(),
        region: RegionCode("310101020".into()),
        request_id: None,
        grants: vec![Grant {
            role: Role::CommitteeStaff,
            region: RegionCode("310101020".into()),
            org: None,
        }],
    };
    let grid = rows(n);
    for (format, bytes) in [("xlsx", xlsx(&grid)?), ("csv", csv(&grid)?)] {
        let dir =
            std::env::temp_dir().join(format!("wushe-import-{}", uuid::Uuid::now_v7().simple()));
        let url = if target == "sqlite" {
            std::fs::create_dir_all(&dir)?;
            format!("sqlite://{}", dir.join("bench.db").display())
        } else {
            target.clone()
        };
        let store = SqlStore::open(&url, true).await?;
        reset_peak();
        let before = status("VmRSS:");
        let now = OffsetDateTime::now_utc();
        let t0 = Instant::now();
        let g = sheet::read(&bytes, &Limits::default()).map_err(|e| e.en)?;
        let t_read = t0.elapsed();
        let t1 = Instant::now();
        let mut checked = import::check_grid(&g, &actor, import::today(now), &mut |_| {});
        drop(g);
        let t_check = t1.elapsed();
        let t2 = Instant::now();
        import::registry_duplicates(&store, &cipher, &actor, &mut checked, &mut |_| {}).await?;
        let t_dups = t2.elapsed();
        assert!(checked.importable(), "{:?}", checked.errors.first());
        let t3 = Instant::now();
        let written =
            import::commit(&store, &cipher, &actor, &checked, "bench", now, &mut |_| {}).await?;
        let t_commit = t3.elapsed();
        let total = t0.elapsed();
        println!(
            "{format:4} {:>6} KB  {written} people  read {:6.0} ms  check {:6.0} ms  registry duplicates {:6.0} ms ({} found)  commit {:6.0} ms  total {:6.2} s  RSS before {before}, peak {}",
            bytes.len() / 1024,
            t_read.as_secs_f64() * 1e3,
            t_check.as_secs_f64() * 1e3,
            t_dups.as_secs_f64() * 1e3,
            checked.warnings.len(),
            t_commit.as_secs_f64() * 1e3,
            total.as_secs_f64(),
            status("VmHWM:"),
        );
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
