//! What staff do to a task: assign a named volunteer, withdraw an offer, cancel; and an
//! organisation's dispatch mode.

use time::OffsetDateTime;

use crate::actor::{Actor, Permission};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::dispatch::record::{Mode, OfferState, TaskState, VolunteerTask};
use crate::error::{Error, Result};
use crate::ids::{OrgId, TaskId, UserId};
use crate::needs::timeline::EventKind;
use crate::store::Store;

use super::{
    Dispatcher, Step, audit, hand_to, need_of, need_task, open_offer, taken, task_for_staff,
};

/// Staff give a waiting task to a named volunteer who may serve there.
pub async fn assign(
    d: Dispatcher<'_>,
    actor: &Actor,
    task: TaskId,
    volunteer: &str,
    now: OffsetDateTime,
) -> Result<VolunteerTask> {
    let t = task_for_staff(d, actor, task).await?;
    let bad = || {
        Error::invalid(
            "volunteer",
            "请从列表中选择一位可在这里服务的志愿者",
            "Choose a volunteer from the list who may serve here",
        )
    };
    let who: UserId = volunteer.trim().parse().map_err(|_| bad())?;
    if !t.state.is_waiting() {
        return Err(taken());
    }
    let candidates = d.store.dispatch_candidates(&t.region).await?;
    if !candidates.iter().any(|c| c.user == who) {
        return Err(bad());
    }
    let open = open_offer(d, &t).await?;
    let withdrawn = open.as_ref().map(|o| (o, OfferState::Withdrawn, false));
    hand_to(d, actor, t, who, withdrawn, Action::TaskOverridden, now).await
}

/// Staff withdraw the open offer; the task goes to the next candidate.
pub async fn withdraw(
    d: Dispatcher<'_>,
    actor: &Actor,
    task: TaskId,
    now: OffsetDateTime,
) -> Result<VolunteerTask> {
    let t = task_for_staff(d, actor, task).await?;
    let open = open_offer(d, &t).await?;
    let Some(o) = open.filter(|_| t.state == TaskState::Offered) else {
        return Err(taken());
    };
    let need = need_of(d.store, t.need).await?;
    let nt = need_task(d.store, &t).await?;
    let mut step = Step::new(d, t, nt, now);
    step.answer(&o, OfferState::Withdrawn, false);
    step.event(
        EventKind::OfferWithdrawn,
        Some(actor.user_id),
        Some(o.volunteer),
        None,
    )?;
    step.offer_next(&need).await?;
    let a = audit(Action::TaskOverridden, Some(actor), &step.change.task, now);
    step.write(a).await
}

/// Staff cancel a task that is not done (an open offer is withdrawn).
pub async fn cancel(
    d: Dispatcher<'_>,
    actor: &Actor,
    task: TaskId,
    now: OffsetDateTime,
) -> Result<VolunteerTask> {
    let t = task_for_staff(d, actor, task).await?;
    if !(t.state.is_waiting() || t.state == TaskState::Accepted) {
        return Err(taken());
    }
    let open = open_offer(d, &t).await?;
    let nt = need_task(d.store, &t).await?;
    let mut step = Step::new(d, t, nt, now);
    if let Some(o) = &open {
        step.answer(o, OfferState::Withdrawn, false);
    }
    step.change.task.state = TaskState::Cancelled;
    step.event(EventKind::TaskCancelled, Some(actor.user_id), None, None)?;
    let a = audit(Action::TaskOverridden, Some(actor), &step.change.task, now);
    step.write(a).await
}

/// Set (or clear, to follow the organisations above) an organisation's dispatch mode.
pub async fn set_mode(
    store: &dyn Store,
    actor: &Actor,
    org: OrgId,
    mode: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let o = store.org(org).await?.ok_or(Error::NotFound)?;
    actor.require_at(Permission::ManageOrgs, Permission::ViewOrgs, &o.region)?;
    let mode = match mode.trim() {
        "" => None,
        m => Some(Mode::parse(m).ok_or_else(|| {
            Error::invalid("mode", "请选择派单方式", "Choose how tasks are given out")
        })?),
    };
    let a = AuditEvent::new(Action::DispatchModeSet, now)
        .by(actor)
        .region(&o.region)
        .record(RecordKind::Org, [org.to_string()]);
    store.set_dispatch_mode(org, mode, &a).await
}
