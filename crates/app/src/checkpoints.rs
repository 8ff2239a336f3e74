//! Audit checkpoints: the head of the audit log (count and hash) written outside the
//! database — appended, one line each (`UTC time, seq, hash`), to `audit-checkpoints.log` in
//! the data directory and to the server log — so that deleting the newest entries and
//! back-dating the head row is still detected. The durable job writes one at least hourly;
//! `wushe audit checkpoint` writes one on demand; `wushe audit verify` reads them all.

use std::io::Write;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use wushe_core::Store;
use wushe_core::audit::Anchor;

pub const FILE: &str = "audit-checkpoints.log";

/// One line of the checkpoint file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub at: OffsetDateTime,
    pub head: Anchor,
}

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// Read the store's head and append it to the file (synced to disk) and the server log.
pub async fn write(
    store: &dyn Store,
    data_dir: &Path,
    now: OffsetDateTime,
) -> wushe_core::Result<Checkpoint> {
    let head = store.audit_head().await?;
    let cp = Checkpoint { at: now, head };
    let line = format!(
        "{} {} {}\n",
        now.format(&Rfc3339).map_err(wushe_core::Error::internal)?,
        cp.head.seq,
        cp.head.hash
    );
    let file = path(data_dir);
    tokio::task::spawn_blocking(move || append_line(&file, &line))
        .await
        .map_err(wushe_core::Error::internal)?
        .map_err(|e| wushe_core::Error::internal(format!("audit checkpoint file: {e}")))?;
    tracing::info!(seq = cp.head.seq, hash = %cp.head.hash, "audit checkpoint");
    Ok(cp)
}

fn append_line(file: &Path, line: &str) -> std::io::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)?;
    f.write_all(line.as_bytes())?;
    f.sync_data()
}

/// Every checkpoint in the data directory, oldest first; none when there is no file. A line
/// that cannot be read is an error naming it (the file was damaged or edited).
pub fn read(data_dir: &Path) -> Result<Vec<Checkpoint>, String> {
    let file = path(data_dir);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", file.display())),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            parse_line(l).ok_or_else(|| {
                format!(
                    "{}:{}: not a checkpoint line (expected: UTC time, seq, hash)",
                    file.display(),
                    i + 1
                )
            })
        })
        .collect()
}

fn parse_line(line: &str) -> Option<Checkpoint> {
    let mut parts = line.split_whitespace();
    let at = OffsetDateTime::parse(parts.next()?, &Rfc3339).ok()?;
    let seq: i64 = parts.next()?.parse().ok()?;
    let hash = parts.next()?;
    let hex = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
    (seq >= 0 && hex && parts.next().is_none()).then(|| Checkpoint {
        at,
        head: Anchor {
            seq,
            hash: hash.to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_and_damaged_lines_are_refused() {
        let h = "ab".repeat(32);
        let cp = parse_line(&format!("2026-04-03T08:00:00Z 12 {h}")).expect("line");
        assert_eq!(cp.head.seq, 12);
        for bad in [
            format!("yesterday 12 {h}"),
            format!("2026-04-03T08:00:00Z -1 {h}"),
            "2026-04-03T08:00:00Z 12 abc".to_string(),
            format!("2026-04-03T08:00:00Z 12 {h} extra"),
        ] {
            assert!(parse_line(&bad).is_none(), "{bad}");
        }
    }
}
