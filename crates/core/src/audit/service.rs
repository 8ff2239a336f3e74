//! Use-cases of the audit log: the scoped viewer (every view is itself audited) and checking
//! the whole chain through the store a page at a time.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime};

use crate::actor::{Actor, Permission};
use crate::audit::{
    Action, Anchor, AuditEntry, AuditEvent, BadEntry, RecordKind, Summary, Verifier,
};
use crate::error::{Error, FieldErrors, Result};
use crate::ids::UserId;
use crate::store::Store;
use crate::users::parse_username;

/// Entries per viewer page.
pub const PAGE: u32 = 50;
/// Entries per read while verifying.
pub const VERIFY_PAGE: u32 = 1000;

/// What the viewer asks the store for. Entries must also lie in the actor's scope.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub actor: Option<UserId>,
    pub action: Option<Action>,
    /// Entries naming this record id.
    pub record: Option<String>,
    /// At or after.
    pub from: Option<OffsetDateTime>,
    /// Strictly before.
    pub until: Option<OffsetDateTime>,
    /// Only entries with a smaller `seq` (the next, older page).
    pub before: Option<i64>,
    pub limit: u32,
}

/// The viewer's filters as typed into the form or the query string.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AuditQuery {
    /// A user name or user id.
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub record: String,
    /// UTC: `2026-04-03`, `2026-04-03T08:00`, or RFC 3339.
    #[serde(default)]
    pub from: String,
    /// UTC, inclusive at the precision given (a date means the whole day).
    #[serde(default)]
    pub until: String,
    #[serde(default)]
    pub before: String,
}

/// One page of the viewer.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// `before` for the next, older page, when there may be one.
    pub next_before: Option<i64>,
    pub filter: AuditFilter,
}

/// The entries the actor may read, newest first. Viewing is recorded before anything is read.
pub async fn list(
    store: &dyn Store,
    actor: &Actor,
    q: &AuditQuery,
    now: OffsetDateTime,
) -> Result<AuditPage> {
    let scope = actor.scope(Permission::ViewAudit);
    if scope.is_empty() {
        return Err(Error::Forbidden);
    }
    let filter = parse_query(store, q).await?;
    let looked_up = filter
        .actor
        .map(|u| u.to_string())
        .into_iter()
        .chain(filter.record.clone());
    let viewed = AuditEvent::new(Action::AuditViewed, now)
        .by(actor)
        .record(RecordKind::Audit, looked_up);
    let entries = store.list_audit(&scope, &filter, &viewed).await?;
    let next_before = if entries.len() >= filter.limit as usize {
        entries.last().map(|e| e.seq)
    } else {
        None
    };
    Ok(AuditPage {
        entries,
        next_before,
        filter,
    })
}

/// Check the filters. A user name matching nobody filters by the nil id, which matches no
/// entry: the answer looks the same as for a user with no entries in scope.
pub async fn parse_query(store: &dyn Store, q: &AuditQuery) -> Result<AuditFilter> {
    let mut e = FieldErrors::default();
    let user = q.user.trim();
    let actor = if user.is_empty() {
        None
    } else if let Ok(id) = user.parse::<UserId>() {
        Some(id)
    } else {
        match parse_username(user) {
            Ok(name) => Some(
                store
                    .user_by_name(&name)
                    .await?
                    .map(|u| u.id)
                    .unwrap_or(UserId(uuid::Uuid::nil())),
            ),
            Err(_) => {
                e.add(
                    "user",
                    "请输入用户名或用户ID",
                    "Enter a user name or user id",
                );
                None
            }
        }
    };
    let action = match q.action.trim() {
        "" => None,
        a => Action::parse(a).or_else(|| {
            e.add("action", "没有这种操作", "No such action");
            None
        }),
    };
    let record = q.record.trim();
    let record = if record.is_empty() {
        None
    } else if record.len() > 120 || record.contains(char::is_whitespace) {
        e.add("record", "记录ID无效", "Invalid record id");
        None
    } else {
        Some(record.to_string())
    };
    let from = time_field(&mut e, "from", &q.from, false);
    let until = time_field(&mut e, "until", &q.until, true);
    if let (Some(f), Some(u)) = (from, until)
        && u <= f
    {
        e.add(
            "until",
            "结束时间应晚于开始时间",
            "The end must be after the start",
        );
    }
    let before = match q.before.trim() {
        "" => None,
        b => match b.parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                e.add("before", "页码无效", "Invalid page");
                None
            }
        },
    };
    e.into_result()?;
    Ok(AuditFilter {
        actor,
        action,
        record,
        from,
        until,
        before,
        limit: PAGE,
    })
}

fn time_field(
    e: &mut FieldErrors,
    field: &'static str,
    raw: &str,
    end: bool,
) -> Option<OffsetDateTime> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match parse_time(raw, end) {
        Some(t) => Some(t),
        None => {
            e.add(
                field,
                "时间格式应为 2026-04-03 或 2026-04-03T08:00（UTC）",
                "Use a time like 2026-04-03 or 2026-04-03T08:00 (UTC)",
            );
            None
        }
    }
}

/// A UTC time from a date, a date and minute (`T` or space), seconds, or RFC 3339. With
/// `end`, the end of the period given, so a date means the whole day.
pub fn parse_time(raw: &str, end: bool) -> Option<OffsetDateTime> {
    let raw = raw.trim();
    if let Ok(t) = OffsetDateTime::parse(raw, &Rfc3339) {
        return Some(if end {
            t + Duration::milliseconds(1)
        } else {
            t
        });
    }
    let s = raw.replacen(' ', "T", 1);
    let minute = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let second = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let day = format_description!("[year]-[month]-[day]");
    let (t, unit) = if let Ok(t) = PrimitiveDateTime::parse(&s, &second) {
        (t, Duration::seconds(1))
    } else if let Ok(t) = PrimitiveDateTime::parse(&s, &minute) {
        (t, Duration::minutes(1))
    } else {
        let d = Date::parse(&s, &day).ok()?;
        (d.midnight(), Duration::days(1))
    };
    let t = t.assume_utc();
    Some(if end { t + unit } else { t })
}

/// Check the whole chain in the store against its head row and `checkpoints`, reading
/// [`VERIFY_PAGE`] entries at a time. Entries appended while checking are checked too.
pub async fn verify_store(
    store: &dyn Store,
    checkpoints: &[Anchor],
) -> Result<std::result::Result<Summary, BadEntry>> {
    let mut v = Verifier::new(checkpoints);
    let mut after = 0;
    let mut rounds = 0;
    loop {
        loop {
            let page = store.audit_page(after, VERIFY_PAGE).await?;
            let Some(last) = page.last() else { break };
            let last = last.seq;
            for e in &page {
                if let Err(bad) = v.push(e) {
                    return Ok(Err(bad));
                }
            }
            after = last;
        }
        // The head is read after the entries: an append commits its entry and the head
        // together, so a head beyond what was read means appends meanwhile (read on) or
        // entries deleted (reported after a few rounds).
        let head = store.audit_head().await?;
        rounds += 1;
        if head.seq > after && rounds < 3 {
            continue;
        }
        return Ok(v.finish(&head));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_and_an_end_covers_the_period_it_names() {
        let t = |s, end| parse_time(s, end).map(|t| t.to_string());
        assert_eq!(
            t("2026-04-03", false).as_deref(),
            Some("2026-04-03 0:00:00.0 +00:00:00")
        );
        assert_eq!(
            t("2026-04-03", true).as_deref(),
            Some("2026-04-04 0:00:00.0 +00:00:00")
        );
        assert_eq!(
            t("2026-04-03T08:30", true).as_deref(),
            Some("2026-04-03 8:31:00.0 +00:00:00")
        );
        assert_eq!(
            t("2026-04-03 08:30:15", false).as_deref(),
            Some("2026-04-03 8:30:15.0 +00:00:00")
        );
        assert_eq!(
            t("2026-04-03T16:30:00+08:00", false).as_deref(),
            Some("2026-04-03 16:30:00.0 +08:00:00")
        );
        for bad in ["yesterday", "2026-13-01", "03/04/2026", "2026-04-03T25:00"] {
            assert!(parse_time(bad, false).is_none(), "{bad}");
        }
    }
}
