//! Giving a need's task to volunteers: dispatching it, the volunteer's answer to an offer,
//! offers that run out, and claims from the pool.

use time::OffsetDateTime;

use crate::actor::{Actor, Permission};
use crate::audit::Action;
use crate::dispatch::offers::{MAX_LOAD, engine_kind, expired, needed_skills};
use crate::dispatch::record::{Mode, Offer, OfferState, TaskState, VolunteerTask};
use crate::error::{Error, Result};
use crate::ids::{NeedId, OfferId, TaskId};
use crate::needs::timeline::{EventKind, Task, TaskKind};
use crate::needs::work::text;

use super::{
    Dispatcher, Step, audit, bad_kind, gone_offer, hand_to, need_of, need_still_open, need_task,
    taken,
};

/// Staff give a need's task to volunteers: by the organisation's mode, offered to the best
/// candidate or put in the claim pool.
pub async fn dispatch(
    d: Dispatcher<'_>,
    actor: &Actor,
    need: NeedId,
    kind: &str,
    now: OffsetDateTime,
) -> Result<VolunteerTask> {
    let need = need_of(d.store, need).await?;
    actor.require_at(Permission::HandleNeeds, Permission::ViewNeeds, &need.region)?;
    if !need.state.is_open() {
        return Err(Error::Conflict(format!(
            "此求助已“{}”，不能再派任务 / The need is '{}'; no more tasks",
            need.state.zh(),
            need.state.en()
        )));
    }
    let kind = TaskKind::parse(kind)
        .filter(|k| engine_kind(*k).is_some())
        .ok_or_else(bad_kind)?;
    let mode = d
        .store
        .dispatch_mode(&need.region)
        .await?
        .unwrap_or(Mode::Offers);
    let id = TaskId::new();
    let task = VolunteerTask {
        id,
        need: need.id,
        region: need.region.clone(),
        kind,
        mode,
        state: TaskState::Pool,
        volunteer: None,
        created_by: actor.user_id,
        created_at: now,
        accepted_at: None,
        done_at: None,
        minutes: 0,
        version: 0,
    };
    let nt = Task {
        id,
        need: need.id,
        kind,
        assignee: None,
        done: false,
        created_at: now,
        done_at: None,
    };
    let mut step = Step::new(d, task, nt, now);
    step.change.expected_version = None;
    // Giving a task to volunteers is a response to the resident: the first-response clock stops.
    step.change.acknowledge_need = need.acknowledged_at.is_none().then_some(now);
    step.event(
        EventKind::TaskAdded,
        Some(actor.user_id),
        None,
        Some(kind.zh()),
    )?;
    match mode {
        Mode::Offers => step.offer_next(&need).await?,
        Mode::Pool => {
            step.change.task.state = TaskState::Pool;
            step.event(EventKind::TaskPooled, None, None, None)?;
        }
    }
    let a = audit(Action::TaskDispatched, Some(actor), &step.change.task, now);
    step.write(a).await
}

async fn my_offer(d: Dispatcher<'_>, actor: &Actor, id: OfferId) -> Result<(Offer, VolunteerTask)> {
    actor.require(Permission::ServeTasks)?;
    let offer = d.store.offer(id).await?.ok_or(Error::NotFound)?;
    if offer.volunteer != actor.user_id {
        return Err(Error::NotFound);
    }
    let task = d
        .store
        .volunteer_task(offer.task)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((offer, task))
}

/// The volunteer accepts an open offer that has not run out.
pub async fn accept(
    d: Dispatcher<'_>,
    actor: &Actor,
    offer: OfferId,
    now: OffsetDateTime,
) -> Result<VolunteerTask> {
    let (offer, task) = my_offer(d, actor, offer).await?;
    if offer.state != OfferState::Open
        || expired(offer.expires_at, now)
        || task.state != TaskState::Offered
    {
        return Err(gone_offer());
    }
    need_still_open(d.store, task.need).await?;
    let answer = (&offer, OfferState::Accepted, true);
    let me = actor.user_id;
    hand_to(
        d,
        actor,
        task,
        me,
        Some(answer),
        Action::TaskOfferAnswered,
        now,
    )
    .await
}

/// The volunteer declines an open offer (a reason is optional); the next candidate is asked.
pub async fn decline(
    d: Dispatcher<'_>,
    actor: &Actor,
    offer: OfferId,
    reason: &str,
    now: OffsetDateTime,
) -> Result<VolunteerTask> {
    let (offer, task) = my_offer(d, actor, offer).await?;
    let reason = text(
        "reason",
        reason,
        0,
        200,
        "原因太长",
        "The reason is too long",
    )?;
    if offer.state != OfferState::Open || task.state != TaskState::Offered {
        return Err(gone_offer());
    }
    let need = need_of(d.store, task.need).await?;
    let nt = need_task(d.store, &task).await?;
    let mut step = Step::new(d, task, nt, now);
    step.answer(&offer, OfferState::Declined, false);
    step.event(
        EventKind::OfferDeclined,
        Some(actor.user_id),
        Some(actor.user_id),
        Some(&reason),
    )?;
    step.offer_next(&need).await?;
    let a = audit(
        Action::TaskOfferAnswered,
        Some(actor),
        &step.change.task,
        now,
    );
    step.write(a).await
}

/// An offer that ran out moves on to the next candidate (run by the job, once).
pub async fn expire(d: Dispatcher<'_>, offer: OfferId, now: OffsetDateTime) -> Result<()> {
    let offer = d.store.offer(offer).await?.ok_or(Error::NotFound)?;
    if offer.state != OfferState::Open || !expired(offer.expires_at, now) {
        return Ok(());
    }
    let task = d
        .store
        .volunteer_task(offer.task)
        .await?
        .ok_or(Error::NotFound)?;
    let need = need_of(d.store, task.need).await?;
    let nt = need_task(d.store, &task).await?;
    let mut step = Step::new(d, task, nt, now);
    step.answer(&offer, OfferState::Expired, false);
    step.event(EventKind::OfferExpired, None, Some(offer.volunteer), None)?;
    step.offer_next(&need).await?;
    let a = audit(Action::TaskOfferExpired, None, &step.change.task, now);
    step.write(a).await?;
    Ok(())
}

/// The job: every offer that ran out moves on. Returns how many moved.
pub async fn sweep(d: Dispatcher<'_>, now: OffsetDateTime) -> Result<usize> {
    let mut n = 0;
    for id in d.store.expired_offers(now, 200).await? {
        match expire(d, id, now).await {
            Ok(()) => n += 1,
            // Answered or moved by someone else meanwhile.
            Err(Error::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A volunteer claims a task from the pool; the first claim wins.
pub async fn claim(
    d: Dispatcher<'_>,
    actor: &Actor,
    task: TaskId,
    now: OffsetDateTime,
) -> Result<VolunteerTask> {
    let t = d.store.volunteer_task(task).await?.ok_or(Error::NotFound)?;
    actor.require_at(Permission::ServeTasks, Permission::ServeTasks, &t.region)?;
    if t.state != TaskState::Pool {
        return Err(taken());
    }
    let kind = engine_kind(t.kind).ok_or_else(bad_kind)?;
    let me = d
        .store
        .dispatch_candidates(&t.region)
        .await?
        .into_iter()
        .find(|c| c.user == actor.user_id)
        .ok_or(Error::NotFound)?;
    if !me.skills.covers(needed_skills(kind)) {
        return Err(Error::Conflict(
            "这个任务需要您没有登记的技能 / This task needs a skill your profile does not list"
                .into(),
        ));
    }
    if me.load >= MAX_LOAD {
        return Err(Error::Conflict(format!(
            "您手上已有 {MAX_LOAD} 个任务，请先完成 / You already hold {MAX_LOAD} tasks; finish one first"
        )));
    }
    need_still_open(d.store, t.need).await?;
    let me = actor.user_id;
    hand_to(d, actor, t, me, None, Action::TaskOfferAnswered, now).await
}
