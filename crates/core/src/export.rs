//! List exports (registry, needs, welfare checks) as tables of text, scoped by the actor's
//! region. Masked by default; a full export needs [`Permission::ExportFull`] (and the
//! list's view permission and `RevealSensitive`) over each row's region, a reason, and is
//! recorded (reveal log with the reason, then an audit entry) before anything is decrypted.
//! Every export is audited with its row count. The writers (XLSX, CSV) pass every cell
//! through [`crate::sheet::safe_cell`].
//!
//! The full registry export has the import template's columns (plus the record id, which
//! the importer ignores), so it re-imports to the same values.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::actor::{Actor, Permission};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::crypto::Cipher;
use crate::error::{Error, Result};
use crate::ids::PersonId;
use crate::needs::queue::NeedQuery;
use crate::needs::state::State;
use crate::people::import::{COLUMNS, NO, YES, basis_label, care_label};
use crate::people::record::{self, format_date};
use crate::people::schedule::{CST, PeopleFilter};
use crate::people::service::{mask, open_check, today_of};
use crate::regions::RegionCode;
use crate::reveal::{Reason, RevealEvent, RevealLog, mask_name, mask_phone};
use crate::store::Store;

/// The most rows one export holds.
pub const MAX_ROWS: u32 = 100_000;

/// Which list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    People,
    Needs,
    Checks,
}

impl List {
    pub fn parse(s: &str) -> Option<List> {
        match s {
            "people" => Some(List::People),
            "needs" => Some(List::Needs),
            "checks" => Some(List::Checks),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            List::People => "people",
            List::Needs => "needs",
            List::Checks => "checks",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            List::People => "服务对象名单",
            List::Needs => "需求清单",
            List::Checks => "探访记录",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            List::People => "Registry",
            List::Needs => "Needs",
            List::Checks => "Welfare checks",
        }
    }

    /// What lets the actor see the list at all.
    pub fn view_permission(self) -> Permission {
        match self {
            List::People | List::Checks => Permission::ViewPeople,
            List::Needs => Permission::ViewNeeds,
        }
    }
}

/// A list as text: Chinese and English headings, then rows (not yet neutralised).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub list: List,
    pub heads: Vec<(&'static str, &'static str)>,
    pub rows: Vec<Vec<String>>,
}

/// The regions the actor exports from: the view scope, or for a full export the places
/// where they hold the view permission, `ExportFull` and `RevealSensitive` (fail closed).
fn scope(actor: &Actor, list: List, full: bool) -> Vec<RegionCode> {
    let view = actor.scope(list.view_permission());
    if !full {
        return view;
    }
    let both = |r: &RegionCode| {
        actor.can_at(Permission::ExportFull, r)
            && actor.can_at(Permission::RevealSensitive, r)
            && actor.can_at(list.view_permission(), r)
    };
    // A prefix qualifies when every permission covers it; a narrower grant of ExportFull
    // inside a wider view scope counts with its own code.
    let mut out: Vec<RegionCode> = actor
        .scope(Permission::ExportFull)
        .into_iter()
        .filter(|r| both(r))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Whether a row in `region` may go out, checked once more per row.
fn row_allowed(actor: &Actor, list: List, full: bool, region: &RegionCode) -> bool {
    actor.can_at(list.view_permission(), region)
        && (!full
            || (actor.can_at(Permission::ExportFull, region)
                && actor.can_at(Permission::RevealSensitive, region)))
}

fn when(t: OffsetDateTime) -> String {
    let l = t.to_offset(CST);
    format!(
        "{} {:02}:{:02}",
        format_date(l.date()),
        l.hour(),
        l.minute()
    )
}

fn yes_no(v: bool) -> String {
    if v { YES } else { NO }.to_string()
}

/// Record the export: for a full one, the reveal (with the reason) first; then the audit
/// entry with the row count. Called before any sealed value is opened.
#[allow(clippy::too_many_arguments)]
async fn record(
    store: &dyn Store,
    log: &dyn RevealLog,
    actor: &Actor,
    list: List,
    reason: Option<&Reason>,
    rows: usize,
    format: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let export_id = Uuid::now_v7();
    if let Some(reason) = reason {
        log.record(&RevealEvent {
            at: now,
            actor: actor.user_id,
            region: actor.region.clone(),
            table: list.as_str(),
            column: "export",
            row: export_id,
            reason: reason.clone(),
        })
        .await?;
    }
    let action = if reason.is_some() {
        Action::ListExportedFull
    } else {
        Action::ListExported
    };
    let kind = match list {
        List::Needs => RecordKind::Need,
        List::People => RecordKind::Person,
        List::Checks => RecordKind::Check,
    };
    let event = AuditEvent::new(action, now)
        .by(actor)
        .region(&actor.region)
        .record(
            kind,
            [
                list.as_str().to_string(),
                format!("rows:{rows}"),
                format.to_string(),
                export_id.to_string(),
            ],
        );
    store.append_audit(&event).await?;
    Ok(())
}

/// What the export is asked for.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    pub list: List,
    /// `Some(reason)`: a full export.
    pub full_reason: Option<&'a str>,
    /// `xlsx` or `csv` (recorded).
    pub format: &'a str,
}

/// Build the table for an export, audited.
pub async fn export(
    store: &dyn Store,
    cipher: &Cipher,
    log: &dyn RevealLog,
    actor: &Actor,
    ask: Ask<'_>,
    now: OffsetDateTime,
) -> Result<Table> {
    let list = ask.list;
    actor.require(list.view_permission())?;
    let reason = match ask.full_reason {
        Some(r) => {
            actor.require(Permission::ExportFull)?;
            Some(Reason::parse(r).map_err(|e| Error::Invalid(crate::error::FieldErrors(vec![e])))?)
        }
        None => None,
    };
    let full = reason.is_some();
    let scope = scope(actor, list, full);
    if scope.is_empty() {
        return Err(Error::Forbidden);
    }
    match list {
        List::People => people(store, cipher, log, actor, &scope, reason, ask.format, now).await,
        List::Needs => needs(store, cipher, log, actor, &scope, reason, ask.format, now).await,
        List::Checks => checks(store, cipher, log, actor, &scope, reason, ask.format, now).await,
    }
}

#[allow(clippy::too_many_arguments)]
async fn people(
    store: &dyn Store,
    cipher: &Cipher,
    log: &dyn RevealLog,
    actor: &Actor,
    scope: &[RegionCode],
    reason: Option<Reason>,
    format: &str,
    now: OffsetDateTime,
) -> Result<Table> {
    let full = reason.is_some();
    let filter = PeopleFilter {
        limit: MAX_ROWS,
        ..PeopleFilter::default()
    };
    let found: Vec<_> = store
        .list_people(scope, &filter)
        .await?
        .into_iter()
        .filter(|p| row_allowed(actor, List::People, full, &p.region))
        .collect();
    record(
        store,
        log,
        actor,
        List::People,
        reason.as_ref(),
        found.len(),
        format,
        now,
    )
    .await?;
    let mut heads = vec![("登记编号", "Record ID")];
    heads.extend(COLUMNS.iter().map(|c| (c.zh, c.en)));
    let today = today_of(now);
    let mut rows = Vec::with_capacity(found.len());
    for p in &found {
        let d = record::open(cipher, p)?;
        let cats: Vec<&str> = d.categories.iter().map(|c| c.zh()).collect();
        let mut r = vec![p.id.to_string()];
        if full {
            let c = d.contact.clone();
            r.extend([
                d.name.clone(),
                d.id_number
                    .as_ref()
                    .map(|i| i.as_str().to_string())
                    .unwrap_or_default(),
                d.phone.clone().unwrap_or_default(),
                d.birth_date.map(format_date).unwrap_or_default(),
                d.address.clone(),
            ]);
            r.extend(common(p, &cats));
            r.extend([
                c.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
                c.as_ref().map(|c| c.phone.clone()).unwrap_or_default(),
                c.as_ref().map(|c| c.relation.clone()).unwrap_or_default(),
                d.health_notes.clone().unwrap_or_default(),
            ]);
        } else {
            let m = mask(&d, today);
            r.extend([
                m.name,
                m.id_number.unwrap_or_default(),
                m.phone.unwrap_or_default(),
                d.birth_date
                    .map(|b| format!("{}-**-**", b.year()))
                    .unwrap_or_default(),
                m.address,
            ]);
            r.extend(common(p, &cats));
            r.extend([
                m.contact_name.unwrap_or_default(),
                m.contact_phone.unwrap_or_default(),
                m.contact_relation.unwrap_or_default(),
                if m.has_health_notes {
                    "有（已隐藏）"
                } else {
                    ""
                }
                .to_string(),
            ]);
        }
        rows.push(r);
    }
    Ok(Table {
        list: List::People,
        heads,
        rows,
    })
}

/// The columns both kinds of registry export show as they are.
fn common(p: &record::Person, cats: &[&str]) -> [String; 8] {
    [
        p.region.0.clone(),
        cats.join("、"),
        care_label(p.care_level).to_string(),
        basis_label(p.basis.kind).to_string(),
        format_date(p.basis.date),
        p.basis.notice_version.clone(),
        yes_no(p.basis.sensitive_consent),
        yes_no(p.basis.guardian_consent),
    ]
}

#[allow(clippy::too_many_arguments)]
async fn needs(
    store: &dyn Store,
    cipher: &Cipher,
    log: &dyn RevealLog,
    actor: &Actor,
    scope: &[RegionCode],
    reason: Option<Reason>,
    format: &str,
    now: OffsetDateTime,
) -> Result<Table> {
    let full = reason.is_some();
    let query = NeedQuery {
        scope: scope.to_vec(),
        orgs: Vec::new(),
        states: State::ALL.to_vec(),
        category: None,
        priority: None,
        escalated: false,
        unassigned: false,
        assignee: None,
        limit: MAX_ROWS,
    };
    let found: Vec<_> = store
        .list_needs(&query)
        .await?
        .into_iter()
        .filter(|n| row_allowed(actor, List::Needs, full, &n.region))
        .collect();
    record(
        store,
        log,
        actor,
        List::Needs,
        reason.as_ref(),
        found.len(),
        format,
        now,
    )
    .await?;
    let heads = vec![
        ("编号", "Code"),
        ("类别", "Category"),
        ("优先级", "Priority"),
        ("状态", "State"),
        ("社区代码", "Community code"),
        ("登记时间", "Registered"),
        ("联系人", "Contact"),
        ("电话", "Phone"),
        ("地址", "Address"),
        ("需要帮助的事", "What is needed"),
    ];
    let mut rows = Vec::with_capacity(found.len());
    for n in &found {
        let p = crate::needs::personal::personal(cipher, n)?;
        let (name, phone, address, description) = if full {
            (p.contact_name, p.mobile, p.address, p.description)
        } else {
            (
                mask_name(&p.contact_name),
                mask_phone(&p.mobile),
                p.address.chars().take(4).collect::<String>() + "****",
                "（已隐藏）".to_string(),
            )
        };
        rows.push(vec![
            n.code.as_str().to_string(),
            n.category.zh().to_string(),
            format!("{} {}", n.priority.as_str(), n.priority.zh()),
            n.state.zh().to_string(),
            n.region.0.clone(),
            when(n.created_at),
            name,
            phone,
            address,
            description,
        ]);
    }
    Ok(Table {
        list: List::Needs,
        heads,
        rows,
    })
}

/// How far back the checks export reaches.
pub const CHECKS_DAYS: i64 = 90;

#[allow(clippy::too_many_arguments)]
async fn checks(
    store: &dyn Store,
    cipher: &Cipher,
    log: &dyn RevealLog,
    actor: &Actor,
    scope: &[RegionCode],
    reason: Option<Reason>,
    format: &str,
    now: OffsetDateTime,
) -> Result<Table> {
    let full = reason.is_some();
    let since = now - time::Duration::days(CHECKS_DAYS);
    let found: Vec<_> = store
        .checks_in_scope(scope, since, MAX_ROWS)
        .await?
        .into_iter()
        .filter(|c| row_allowed(actor, List::Checks, full, &c.region))
        .collect();
    record(
        store,
        log,
        actor,
        List::Checks,
        reason.as_ref(),
        found.len(),
        format,
        now,
    )
    .await?;
    let heads = vec![
        ("探访时间", "When"),
        ("社区代码", "Community code"),
        ("服务对象", "Person"),
        ("方式", "Method"),
        ("联系上", "Reached"),
        ("食物可维持天数", "Food days left"),
        ("药品可维持天数", "Medication days left"),
        ("身体状况", "Physical state"),
        ("心理状况", "Mental state"),
        ("备注", "Notes"),
    ];
    let mut names: std::collections::HashMap<PersonId, String> = Default::default();
    let mut rows = Vec::with_capacity(found.len());
    for c in &found {
        let name = match names.get(&c.person) {
            Some(n) => n.clone(),
            None => {
                let n = match store.person(c.person).await? {
                    Some(p) => record::open(cipher, &p)?.name,
                    None => String::new(),
                };
                names.insert(c.person, n.clone());
                n
            }
        };
        let d = open_check(cipher, c)?;
        let num = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
        rows.push(vec![
            when(c.at),
            c.region.0.clone(),
            if full { name } else { mask_name(&name) },
            c.method.zh().to_string(),
            yes_no(c.reached),
            num(d.food_days_left),
            num(d.medication_days_left),
            d.physical.map(|p| p.zh().to_string()).unwrap_or_default(),
            d.mental.map(|m| m.zh().to_string()).unwrap_or_default(),
            match (&d.notes, full) {
                (Some(n), true) => n.clone(),
                (Some(_), false) => "有（已隐藏）".into(),
                (None, _) => String::new(),
            },
        ]);
    }
    Ok(Table {
        list: List::Checks,
        heads,
        rows,
    })
}

/// The table as CSV (UTF-8 with a byte-order mark so Excel reads the Chinese; one heading
/// row in Chinese, one in English), every cell neutralised.
pub fn to_csv(t: &Table) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let safe = crate::sheet::safe_cell;
    w.write_record(t.heads.iter().map(|h| safe(h.0)))
        .map_err(Error::internal)?;
    w.write_record(t.heads.iter().map(|h| safe(h.1)))
        .map_err(Error::internal)?;
    for r in &t.rows {
        w.write_record(r.iter().map(|c| safe(c)))
            .map_err(Error::internal)?;
    }
    w.into_inner().map_err(Error::internal)
}
