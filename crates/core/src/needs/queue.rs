//! The staff queue: needs in the actor's region scope plus those referred to their
//! organisations, filtered, most urgent first (breached deadlines, then priority, then the
//! nearest deadline).

use time::OffsetDateTime;

use super::record::Need;
use super::sla::{Clocks, SlaPolicy};
use super::state::State;
use super::work::{Desk, actor_orgs};
use super::{Category, Priority};
use crate::actor::{Actor, Permission};
use crate::error::{Error, Result};
use crate::ids::{OrgId, UserId};
use crate::regions::RegionCode;

/// What the queue page asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    pub category: Option<Category>,
    pub priority: Option<Priority>,
    /// `None`: every open state.
    pub state: Option<State>,
    pub escalated: bool,
    pub unassigned: bool,
    pub mine: bool,
}

/// What the store is asked for (already scoped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedQuery {
    /// Region prefixes.
    pub scope: Vec<RegionCode>,
    /// Organisations whose live referrals count.
    pub orgs: Vec<OrgId>,
    pub states: Vec<State>,
    pub category: Option<Category>,
    pub priority: Option<Priority>,
    pub escalated: bool,
    pub unassigned: bool,
    pub assignee: Option<UserId>,
    pub limit: u32,
}

/// The most needs one queue page shows.
pub const QUEUE_LIMIT: u32 = 500;

/// One row of the queue.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub need: Need,
    /// The deadline that matters now: first response until acknowledged, then resolution.
    pub due: OffsetDateTime,
    pub first_response: bool,
    pub breached: bool,
}

/// Which deadline matters now for an open need.
pub fn current_deadline(sla: &SlaPolicy, need: &Need) -> (OffsetDateTime, bool) {
    let c = Clocks {
        priority: need.priority,
        created_at: need.created_at,
        acknowledged_at: need.acknowledged_at,
    };
    match need.acknowledged_at {
        None => (sla.first_response_due(&c), true),
        Some(_) => (sla.resolution_due(&c), false),
    }
}

/// Most urgent first: breached, then priority, then the nearest deadline, then oldest.
pub fn order(items: &mut [QueueItem]) {
    items.sort_by(|a, b| {
        (!a.breached, a.need.priority, a.due, a.need.created_at).cmp(&(
            !b.breached,
            b.need.priority,
            b.due,
            b.need.created_at,
        ))
    });
}

/// The actor's queue. Fails closed: without `ViewNeeds` anywhere and without an organisation
/// that could receive referrals, `Forbidden`.
pub async fn queue(
    desk: Desk<'_>,
    actor: &Actor,
    filter: &QueueFilter,
    now: OffsetDateTime,
) -> Result<Vec<QueueItem>> {
    let scope = actor.scope(Permission::ViewNeeds);
    let orgs = actor_orgs(actor);
    if scope.is_empty() && orgs.is_empty() {
        return Err(Error::Forbidden);
    }
    let states = match filter.state {
        Some(s) => vec![s],
        None => State::ALL.into_iter().filter(|s| s.is_open()).collect(),
    };
    let query = NeedQuery {
        scope,
        orgs,
        states,
        category: filter.category,
        priority: filter.priority,
        escalated: filter.escalated,
        unassigned: filter.unassigned,
        assignee: filter.mine.then_some(actor.user_id),
        limit: QUEUE_LIMIT,
    };
    let needs = desk.store.list_needs(&query).await?;
    let mut items: Vec<QueueItem> = needs
        .into_iter()
        .map(|need| {
            let (due, first_response) = current_deadline(desk.sla, &need);
            QueueItem {
                breached: need.state.is_open() && due < now,
                due,
                first_response,
                need,
            }
        })
        .collect();
    order(&mut items);
    Ok(items)
}
