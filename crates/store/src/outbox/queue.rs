//! What a change of a need queues, in the transaction that writes its timeline events (every
//! need change and the intake): [`queued`] makes the rows of the events, their needs and the
//! active webhooks — a text for the resident when the change is worth one and the need has a
//! number, one delivery per active webhook whose kinds and region cover it — and
//! [`push_outbox!`] joins their insert to the transaction's other writes (statements.rs).

use uuid::Uuid;
use wushe_core::needs::timeline::NeedEvent;
use wushe_core::notify::webhook;

/// The needs of a batch of events: their place, and whether they have a number to text (a
/// non-empty blind index). Completed with `(…)` of ids.
pub(crate) const NEEDS_TO_TELL: &str =
    "SELECT id, region_code, mobile_index <> '' FROM needs WHERE id IN (";

/// The webhooks that may receive anything.
pub(crate) const ACTIVE_HOOKS: &str =
    "SELECT id, region_code, kinds FROM webhooks WHERE active = TRUE ORDER BY id";

pub(crate) const INSERT_ROWS: &str = "INSERT INTO outbox
    (id, channel, kind, need_id, event_id, webhook_id, region_code, origin, next_at, created_at) ";

/// Whether any of `events` may cause a text or a webhook delivery.
pub(crate) fn worth_telling(events: &[&NeedEvent]) -> bool {
    events.iter().any(|e| {
        wushe_core::notify::sms::texts_resident(e.kind) || webhook::KINDS.contains(&e.kind)
    })
}

/// One outbox row an event causes: a text (`hook` is `None`) or a webhook delivery.
pub(crate) struct Queued<'a> {
    pub event: &'a NeedEvent,
    pub region: &'a str,
    pub hook: Option<Uuid>,
}

/// What `events` cause: a text for the resident when the kind is worth one and the need has a
/// number; one delivery per active webhook whose kinds hold the event's kind and whose region
/// covers the need's. `needs` are `(id, region, has a number)`, `hooks` `(id, region, kinds
/// column)` in id order.
pub(crate) fn queued<'a>(
    events: &[&'a NeedEvent],
    needs: &'a [(Uuid, String, bool)],
    hooks: &[(Uuid, String, String)],
) -> Vec<Queued<'a>> {
    let mut rows = Vec::new();
    for &event in events {
        let Some((_, region, has_number)) = needs.iter().find(|(id, ..)| *id == event.need.0)
        else {
            continue;
        };
        if *has_number && wushe_core::notify::sms::texts_resident(event.kind) {
            rows.push(Queued {
                event,
                region,
                hook: None,
            });
        }
        if webhook::KINDS.contains(&event.kind) {
            for (hook, hook_region, kinds) in hooks {
                if region.starts_with(hook_region.as_str())
                    && webhook::parse_kinds_column(kinds).contains(&event.kind)
                {
                    rows.push(Queued {
                        event,
                        region,
                        hook: Some(*hook),
                    });
                }
            }
        }
    }
    rows
}

/// What the outbox needs to know of a need already in hand (as [`needs_to_tell!`] reads it):
/// its id, its place and whether it has a number to text.
pub(crate) fn to_tell(need: &wushe_core::needs::record::Need) -> (Uuid, String, bool) {
    (
        need.id.0,
        need.region.0.clone(),
        !need.sealed.mobile_index.is_empty(),
    )
}

/// Read, in the open transaction `$tx`, what the outbox needs to know of the needs of the
/// timeline events `$events` (`&[&NeedEvent]`), as [`to_tell`] gives it; nothing when none
/// of the events may cause a text or a delivery.
macro_rules! needs_to_tell {
    ($tx:ident, $events:expr) => {{
        let events: &[&wushe_core::needs::timeline::NeedEvent] = $events;
        let mut needs: Vec<(uuid::Uuid, String, bool)> = Vec::new();
        if $crate::outbox::worth_telling(events) {
            let mut q = sqlx::QueryBuilder::new($crate::outbox::NEEDS_TO_TELL);
            let mut ids = q.separated(", ");
            for e in events {
                ids.push_bind(e.need.0);
            }
            q.push(")");
            needs = q
                .build_query_as()
                .fetch_all(&mut *$tx)
                .await
                .map_err($crate::db_err)?;
        }
        needs
    }};
}
pub(crate) use needs_to_tell;

/// Read, in the open transaction `$tx`, the webhooks that may receive what `$events`
/// (`&[&NeedEvent]`) cause; nothing when none of the events may cause a text or a delivery.
macro_rules! hooks_for {
    ($tx:ident, $events:expr) => {{
        let events: &[&wushe_core::needs::timeline::NeedEvent] = $events;
        let mut hooks: Vec<(uuid::Uuid, String, String)> = Vec::new();
        if $crate::outbox::worth_telling(events) {
            hooks = sqlx::query_as($crate::outbox::ACTIVE_HOOKS)
                .fetch_all(&mut *$tx)
                .await
                .map_err($crate::db_err)?;
        }
        hooks
    }};
}
pub(crate) use hooks_for;

/// Push the insert of the outbox rows `$rows` (from [`queued`]) into `$q` as one statement, if
/// there are any (see statements.rs; `$tx` is the open transaction).
macro_rules! push_outbox {
    ($tx:ident, $q:ident, $rows:expr) => {{
        let rows: Vec<$crate::outbox::Queued> = $rows;
        if !rows.is_empty() {
            $crate::statements::next_statement!($tx, $q);
            $q.push($crate::outbox::INSERT_ROWS);
            $q.push_values(rows, |mut b, r| {
                let at = $crate::ms(r.event.at);
                b.push_bind(uuid::Uuid::now_v7())
                    .push_bind(if r.hook.is_some() { "webhook" } else { "sms" })
                    .push_bind(r.event.kind.as_str())
                    .push_bind(r.event.need.0)
                    .push_bind(r.event.id.0)
                    .push_bind(r.hook)
                    .push_bind(r.region)
                    .push_bind(None::<String>)
                    .push_bind(at)
                    .push_bind(at);
            });
        }
    }};
}
pub(crate) use push_outbox;
