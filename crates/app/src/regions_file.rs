//! Reading a division-code CSV and importing it through the core's validation.

use wushe_core::audit::{AuditEvent, RecordKind};
use wushe_core::regions::import::{self, LineError, RawRow};
use wushe_core::regions::{Region, RegionCode};
use wushe_core::store::RegionStore;

/// What an import did.
#[derive(Debug)]
pub enum ImportOutcome {
    /// Every line was good; `changed` rows were inserted or updated (0 on a repeat).
    Imported { lines: usize, changed: usize },
    /// Nothing was written.
    Rejected(Vec<LineError>),
}

/// Parse CSV text (`code,name,parent_code,level`, header first) into raw rows.
pub fn read_rows(text: &str) -> Result<Vec<RawRow>, Vec<LineError>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header_ok = reader
        .headers()
        .map(|h| {
            h.iter().map(str::trim).collect::<Vec<_>>() == ["code", "name", "parent_code", "level"]
        })
        .unwrap_or(false);
    if !header_ok {
        return Err(vec![LineError {
            line: 1,
            zh: "第一行应为表头 code,name,parent_code,level".into(),
            en: "the first line must be the header code,name,parent_code,level".into(),
        }]);
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = rec
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map(|p| p.line() as usize)
            .unwrap_or(i + 2);
        match rec {
            Ok(r) if r.len() == 4 => rows.push(RawRow {
                line,
                code: r[0].to_string(),
                name: r[1].to_string(),
                parent_code: r[2].to_string(),
                level: r[3].to_string(),
            }),
            Ok(r) => errors.push(LineError {
                line,
                zh: format!("应有4列，实际{}列", r.len()),
                en: format!("expected 4 columns, found {}", r.len()),
            }),
            Err(e) => errors.push(LineError {
                line,
                zh: format!("无法读取：{e}"),
                en: format!("unreadable: {e}"),
            }),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// Validate every line, then write all of them in one transaction, or nothing. `audit` is a
/// `regions_imported` event; it is filed under the widest place of the file.
pub async fn import_text(
    store: &dyn RegionStore,
    text: &str,
    audit: AuditEvent,
) -> wushe_core::Result<ImportOutcome> {
    let rows = match read_rows(text) {
        Ok(r) => r,
        Err(e) => return Ok(ImportOutcome::Rejected(e)),
    };
    let existing = store.region_index().await?;
    match import::validate(&rows, &existing) {
        Ok(regions) => {
            let audit = match import_root(&regions) {
                Some(root) => audit.region(&root),
                None => audit.no_region(),
            }
            .record(RecordKind::Place, Vec::<String>::new());
            let changed = store.upsert_regions(&regions, &audit).await?;
            Ok(ImportOutcome::Imported {
                lines: rows.len(),
                changed,
            })
        }
        Err(errors) => Ok(ImportOutcome::Rejected(errors)),
    }
}

/// The place every imported place lies in, if the file has one (a province file does).
fn import_root(regions: &[Region]) -> Option<RegionCode> {
    let widest = regions.iter().min_by_key(|r| r.code.0.len())?;
    regions
        .iter()
        .all(|r| widest.code.covers(&r.code))
        .then(|| widest.code.clone())
}

/// The region files shipped with wushe (see `regions/README.md`).
pub const SHIPPED: &[(&str, &str)] = &[
    ("shanghai.csv", include_str!("../regions/shanghai.csv")),
    (
        "suizhou-zengdu.csv",
        include_str!("../regions/suizhou-zengdu.csv"),
    ),
];
