//! A volunteer's own tasks: the contact details of an accepted one, completing it, the list
//! of their tasks, and cancelling their own shift booking.

use time::OffsetDateTime;

use crate::actor::{Actor, Permission};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::dispatch::offers::{engine_kind, expired, needed_skills, task_minutes};
use crate::dispatch::record::{Offer, OfferState, TaskState, VolunteerTask};
use crate::error::{Error, Result};
use crate::ids::{BookingId, TaskId};
use crate::needs::timeline::EventKind;
use crate::needs::work::text;
use crate::store::Store;

use super::{Dispatcher, Step, audit, need_of, need_task};

async fn my_accepted(d: Dispatcher<'_>, actor: &Actor, task: TaskId) -> Result<VolunteerTask> {
    actor.require(Permission::ServeTasks)?;
    let t = d.store.volunteer_task(task).await?.ok_or(Error::NotFound)?;
    if t.volunteer != Some(actor.user_id) {
        return Err(Error::NotFound);
    }
    if t.state != TaskState::Accepted {
        return Err(Error::Conflict(
            "这个任务已结束，地址和电话不再显示 / This task has ended; its address and phone are no longer shown".into(),
        ));
    }
    Ok(t)
}

/// The volunteer completes an accepted task with a short note.
pub async fn complete(
    d: Dispatcher<'_>,
    actor: &Actor,
    task: TaskId,
    note: &str,
    now: OffsetDateTime,
) -> Result<VolunteerTask> {
    let t = my_accepted(d, actor, task).await?;
    let note = text(
        "note",
        note,
        2,
        300,
        "请简单写下做了什么（如：药已送到本人手上）",
        "Say briefly what you did (e.g. medicine handed to the resident)",
    )?;
    let mut nt = need_task(d.store, &t).await?;
    nt.done = true;
    nt.done_at = Some(now);
    let accepted = t.accepted_at.unwrap_or(now);
    let mut step = Step::new(d, t, nt, now);
    step.change.task.state = TaskState::Done;
    step.change.task.done_at = Some(now);
    step.change.task.minutes = task_minutes(accepted, now);
    step.event(
        EventKind::TaskDone,
        Some(actor.user_id),
        Some(actor.user_id),
        Some(&note),
    )?;
    let a = audit(Action::TaskCompleted, Some(actor), &step.change.task, now);
    step.write(a).await
}

/// The address and the resident's phone of an accepted task, for its volunteer only, each
/// value audited before it is opened.
pub async fn contact(
    d: Dispatcher<'_>,
    actor: &Actor,
    task: TaskId,
    now: OffsetDateTime,
) -> Result<(String, String)> {
    use crate::needs::record::{ADDRESS, MOBILE};
    let t = my_accepted(d, actor, task).await?;
    let need = need_of(d.store, t.need).await?;
    let s = &need.sealed;
    if s.contact_name.is_empty() {
        let gone = "（已匿名化）/ (anonymised)".to_string();
        return Ok((gone.clone(), gone));
    }
    let mut out = Vec::new();
    for (col, bytes) in [(&ADDRESS, &s.address), (&MOBILE, &s.mobile)] {
        let a = AuditEvent::new(Action::TaskContactShown, now)
            .by(actor)
            .region(&need.region)
            .record(
                RecordKind::Sealed,
                [
                    format!("{}.{}", col.table, col.column),
                    need.id.to_string(),
                    t.id.to_string(),
                ],
            );
        d.store.append_audit(&a).await?;
        out.push(d.cipher.open_str(col.field(need.id.0), bytes)?);
    }
    let phone = out.pop().unwrap_or_default();
    let address = out.pop().unwrap_or_default();
    Ok((address, phone))
}

/// A volunteer's own tasks: open offers (with their tasks), accepted, done, and the pool
/// tasks they could claim.
#[derive(Debug, Default)]
pub struct MyTasks {
    pub offers: Vec<(Offer, VolunteerTask)>,
    pub accepted: Vec<VolunteerTask>,
    pub done: Vec<VolunteerTask>,
    pub pool: Vec<VolunteerTask>,
}

pub async fn my_tasks(store: &dyn Store, actor: &Actor, now: OffsetDateTime) -> Result<MyTasks> {
    actor.require(Permission::ServeTasks)?;
    let mut out = MyTasks::default();
    for o in store.offers_of_volunteer(actor.user_id).await? {
        if o.state == OfferState::Open
            && !expired(o.expires_at, now)
            && let Some(t) = store.volunteer_task(o.task).await?
        {
            out.offers.push((o, t));
        }
    }
    for t in store.tasks_of_volunteer(actor.user_id).await? {
        match t.state {
            TaskState::Accepted => out.accepted.push(t),
            TaskState::Done => out.done.push(t),
            _ => {}
        }
    }
    let skills = store
        .profile(actor.user_id)
        .await?
        .map(|p| p.skills)
        .unwrap_or_default();
    let scope = actor.scope(Permission::ServeTasks);
    out.pool = store
        .pool_tasks(&scope)
        .await?
        .into_iter()
        .filter(|t| engine_kind(t.kind).is_some_and(|k| skills.covers(needed_skills(k))))
        .collect();
    Ok(out)
}

/// A volunteer cancels their own booking before the shift starts.
pub async fn cancel_booking(
    store: &dyn Store,
    actor: &Actor,
    booking: BookingId,
    now: OffsetDateTime,
) -> Result<()> {
    actor.require(Permission::ServeShifts)?;
    let b = store.booking(booking).await?.ok_or(Error::NotFound)?;
    if b.user != actor.user_id {
        return Err(Error::NotFound);
    }
    let shift = store.shift(b.shift).await?.ok_or(Error::NotFound)?;
    let a = AuditEvent::new(Action::BookingCancelled, now)
        .by(actor)
        .region(&shift.region)
        .record(
            RecordKind::Booking,
            [b.id.to_string(), shift.id.to_string()],
        );
    if store.cancel_booking(b.id, actor.user_id, now, &a).await? {
        Ok(())
    } else {
        Err(Error::Conflict(
            "班次已经开始（或已签到），不能再取消；如不能到岗，请联系岗位负责人 / The shift has started (or you checked in), so it can no longer be cancelled; if you cannot come, tell the post lead".into(),
        ))
    }
}
