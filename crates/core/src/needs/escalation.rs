//! Escalation when SLA deadlines pass (DOMAIN.md): level 1 notifies the supervisors over the
//! need's community, level 2 the staff of its street, level 3 the district's civil-affairs
//! staff. Each level is written at most once per need (the store's primary key on
//! `(need, level)` and the version check), so running the handler twice, or on two nodes at
//! once, notifies once.

use time::OffsetDateTime;

use super::record::Need;
use super::sla::Clocks;
use super::timeline::{EventData, EventKind};
use super::work::{Desk, Draft};
use crate::actor::Role;
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::error::{Error, Result};
use crate::ids::{NeedId, UserId};
use crate::regions::RegionCode;

/// Does a grant at the first region count for a need in the second?
type Counts = fn(&RegionCode, &RegionCode) -> bool;

/// Who hears of level `level`: the roles, and which of their grants count.
fn audience(level: u8) -> (&'static [Role], Counts) {
    fn any(_: &RegionCode, _: &RegionCode) -> bool {
        true
    }
    /// A grant at exactly the need's street (the first 9 digits of a community code).
    fn street(grant: &RegionCode, need: &RegionCode) -> bool {
        need.as_str().get(..9) == Some(grant.as_str())
    }
    /// A grant at the district or above.
    fn district(grant: &RegionCode, _: &RegionCode) -> bool {
        grant.as_str().len() <= 6
    }
    match level {
        1 => (&[Role::Supervisor], any),
        2 => (
            &[Role::CommitteeStaff, Role::SocialWorker, Role::Supervisor],
            street,
        ),
        _ => (&[Role::CivilAffairs], district),
    }
}

/// The users to notify of level `level` for `need`.
pub async fn recipients(desk: Desk<'_>, need: &Need, level: u8) -> Result<Vec<UserId>> {
    let (roles, counts) = audience(level);
    let mut users = Vec::new();
    for role in roles {
        for (user, region) in desk.store.grant_holders(*role, &need.region).await? {
            if counts(&region, &need.region) && !users.contains(&user) {
                users.push(user);
            }
        }
    }
    Ok(users)
}

/// Bring the need's escalation level up to what its clocks say at `now`, notifying each new
/// level's audience once. Returns the levels reached by this call (empty when nothing was due).
pub async fn escalate(desk: Desk<'_>, id: NeedId, now: OffsetDateTime) -> Result<Vec<u8>> {
    // A concurrent change (a worker acting, another node escalating) moves the version on:
    // read again and recompute.
    for _ in 0..5 {
        let Some(need) = desk.store.need(id).await? else {
            return Ok(Vec::new());
        };
        let current = need.escalation.clamp(0, 3) as u8;
        let level = if need.state.is_open() {
            desk.sla.level_at(
                &Clocks {
                    priority: need.priority,
                    created_at: need.created_at,
                    acknowledged_at: need.acknowledged_at,
                },
                now,
            )
        } else {
            current
        };
        let mut d = Draft::new(desk.cipher, &need, None, now);
        let reached: Vec<u8> = (current + 1..=level).collect();
        for l in &reached {
            d.change.escalations.push(*l);
            let data = EventData {
                level: Some(*l),
                ..EventData::default()
            };
            d.event(EventKind::Escalated, data, None)?;
            for user in recipients(desk, &need, *l).await? {
                d.notify(user, EventKind::Escalated, Some(*l));
            }
        }
        d.need().escalation = i16::from(level.max(current));
        let change = d.finish(desk.sla);
        if reached.is_empty() && change.need.sla_next_at == need.sla_next_at {
            return Ok(Vec::new());
        }
        let audit = AuditEvent::new(Action::NeedEscalated, now)
            .region(&need.region)
            .record(RecordKind::Need, [need.id]);
        match desk.store.apply_need_change(&change, &audit).await {
            Ok(()) => return Ok(reached),
            Err(Error::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Error::internal("need kept changing while escalating"))
}

/// Escalate every open need whose clocks are due at `now`; returns how many changed.
pub async fn sweep(desk: Desk<'_>, now: OffsetDateTime) -> Result<usize> {
    let mut n = 0;
    for id in desk.store.needs_due_for_sla(now, 500).await? {
        if !escalate(desk, id, now).await?.is_empty() {
            n += 1;
        }
    }
    Ok(n)
}
