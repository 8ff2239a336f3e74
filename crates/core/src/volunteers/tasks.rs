//! Volunteer tasks from needs: staff dispatch a need's task; per organisation it is offered
//! automatically (the engine's best candidate first; a decline, a withdrawal or no answer
//! within the timeout moves it to the next; nobody left → 无人接单 and staff are notified)
//! or put in a claim pool (the first claim wins). Staff can always assign a named volunteer,
//! withdraw an offer or cancel. The volunteer sees the address and the resident's phone only
//! while the task is accepted (each view audited) and completes it with a short note; the
//! time accepted→completed (capped) counts on the service record. Every step is an event on
//! the need's timeline.

use std::collections::HashSet;

use time::OffsetDateTime;

use crate::actor::{Actor, Permission};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::crypto::Cipher;
use crate::dispatch::offers::{
    MAX_LOAD, engine_kind, expired, expires, needed_skills, next_candidate, task_minutes,
};
use crate::dispatch::record::{
    DispatchChange, Mode, Offer, OfferAnswer, OfferState, TaskState, VolunteerTask,
};
use crate::error::{Error, Result};
use crate::ids::{BookingId, NeedEventId, NeedId, NotificationId, OfferId, OrgId, TaskId, UserId};
use crate::needs::record::Need;
use crate::needs::timeline::{EventData, EventKind, NOTE, NeedEvent, Notification, Task, TaskKind};
use crate::needs::work::text;
use crate::store::Store;

/// What the dispatch use-cases need besides the actor.
#[derive(Clone, Copy)]
pub struct Dispatcher<'a> {
    pub store: &'a dyn Store,
    pub cipher: &'a Cipher,
    /// How long an offer stays open (`dispatch_offer_seconds`).
    pub offer_seconds: i64,
}

/// One step being built: the task's new values, events and the rest.
struct Step<'a> {
    d: Dispatcher<'a>,
    change: DispatchChange,
    now: OffsetDateTime,
}

impl<'a> Step<'a> {
    fn new(d: Dispatcher<'a>, task: VolunteerTask, need_task: Task, now: OffsetDateTime) -> Self {
        let expected = Some(task.version);
        let mut task = task;
        task.version += 1;
        Step {
            d,
            change: DispatchChange {
                task,
                expected_version: expected,
                need_task,
                answer: None,
                offer: None,
                events: Vec::new(),
                notifications: Vec::new(),
                acknowledge_need: None,
            },
            now,
        }
    }

    fn event(
        &mut self,
        kind: EventKind,
        actor: Option<UserId>,
        user: Option<UserId>,
        note: Option<&str>,
    ) -> Result<()> {
        let id = NeedEventId::new();
        let note = note
            .filter(|n| !n.is_empty())
            .map(|n| self.d.cipher.seal_str(NOTE.field(id.0), n))
            .transpose()?;
        self.change.events.push(NeedEvent {
            id,
            need: self.change.task.need,
            // Events of one step keep their order on the timeline.
            at: self.now + time::Duration::microseconds(self.change.events.len() as i64),
            kind,
            actor,
            data: EventData {
                task: Some(self.change.task.id),
                user,
                ..EventData::default()
            },
            note,
        });
        Ok(())
    }

    fn answer(&mut self, offer: &Offer, to: OfferState, check_unexpired: bool) {
        self.change.answer = Some(OfferAnswer {
            offer: offer.id,
            to,
            at: self.now,
            unexpired_at: check_unexpired.then_some(self.now),
        });
    }

    /// Offer the task to the next candidate never offered it, or mark it 无人接单 and
    /// notify staff (the task's creator and the need's assignee).
    async fn offer_next(&mut self, need: &Need) -> Result<()> {
        // The need ended meanwhile (resolved, closed, cancelled by the resident): ask nobody.
        if !need.state.is_open() {
            self.change.task.state = TaskState::Cancelled;
            return self.event(EventKind::TaskCancelled, None, None, None);
        }
        let kind = engine_kind(self.change.task.kind).ok_or_else(bad_kind)?;
        let offered: HashSet<UserId> = self
            .d
            .store
            .offers_of_task(self.change.task.id)
            .await?
            .into_iter()
            .map(|o| o.volunteer)
            .collect();
        let candidates = self
            .d
            .store
            .dispatch_candidates(&self.change.task.region)
            .await?;
        match next_candidate(
            kind,
            &self.change.task.region,
            &candidates,
            &offered,
            self.now,
        ) {
            Some((i, rank)) => {
                let who = candidates[i].user;
                let reasons = rank.reasons(needed_skills(kind), MAX_LOAD);
                let why = reasons
                    .iter()
                    .map(|r| format!("{} / {}", r.zh(), r.en()))
                    .collect::<Vec<_>>()
                    .join("；");
                self.change.offer = Some(Offer {
                    id: OfferId::new(),
                    task: self.change.task.id,
                    volunteer: who,
                    state: OfferState::Open,
                    offered_at: self.now,
                    expires_at: expires(self.now, self.d.offer_seconds),
                    answered_at: None,
                });
                self.change.task.state = TaskState::Offered;
                self.event(EventKind::TaskOffered, None, Some(who), Some(&why))?;
            }
            None => {
                self.change.task.state = TaskState::Unclaimed;
                self.event(EventKind::TaskUnclaimed, None, None, None)?;
                let mut staff = vec![self.change.task.created_by];
                staff.extend(need.assignee);
                staff.dedup();
                for user in staff {
                    self.change.notifications.push(Notification {
                        id: NotificationId::new(),
                        user,
                        need: Some(need.id),
                        kind: EventKind::TaskUnclaimed,
                        level: None,
                        at: self.now,
                        read: false,
                    });
                }
            }
        }
        Ok(())
    }

    async fn write(self, audit: AuditEvent) -> Result<VolunteerTask> {
        self.d.store.apply_dispatch(&self.change, &audit).await?;
        Ok(self.change.task)
    }
}

fn bad_kind() -> Error {
    Error::invalid(
        "kind",
        "请选择要志愿者做的事：送药、陪同就医、送物资或上门探视",
        "Choose what the volunteer does: deliver medicine, escort to hospital, bring supplies or a door visit",
    )
}

fn gone_offer() -> Error {
    Error::Conflict(
        "这个邀请已过期或已被处理，请看最新任务列表 / This offer has run out or was already answered; see your latest tasks".into(),
    )
}

fn taken() -> Error {
    Error::Conflict(
        "这个任务刚被别人接走或已有变化，请看最新情况 / Someone took this task or it changed meanwhile; see the latest state".into(),
    )
}

fn audit(
    action: Action,
    actor: Option<&Actor>,
    task: &VolunteerTask,
    now: OffsetDateTime,
) -> AuditEvent {
    let mut a = AuditEvent::new(action, now);
    if let Some(actor) = actor {
        a = a.by(actor);
    }
    a.region(&task.region).record(
        RecordKind::Task,
        [task.id.to_string(), task.need.to_string()],
    )
}

async fn need_of(store: &dyn Store, id: NeedId) -> Result<Need> {
    store.need(id).await?.ok_or(Error::NotFound)
}

async fn need_still_open(store: &dyn Store, id: NeedId) -> Result<()> {
    if need_of(store, id).await?.state.is_open() {
        Ok(())
    } else {
        Err(Error::Conflict(
            "这条求助已经结束，不再需要这个任务 / The need has ended; the task is no longer needed"
                .into(),
        ))
    }
}

async fn need_task(store: &dyn Store, t: &VolunteerTask) -> Result<Task> {
    store
        .need_tasks(t.need)
        .await?
        .into_iter()
        .find(|x| x.id == t.id)
        .ok_or_else(|| Error::internal("volunteer task without its need task"))
}

async fn task_for_staff(d: Dispatcher<'_>, actor: &Actor, id: TaskId) -> Result<VolunteerTask> {
    let t = d.store.volunteer_task(id).await?.ok_or(Error::NotFound)?;
    actor.require_at(Permission::HandleNeeds, Permission::ViewNeeds, &t.region)?;
    Ok(t)
}

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

/// Hand task `t` to volunteer `who`, as `actor` did (the volunteer accepting or claiming, or
/// staff assigning): accepted now, the need's task naming them, the timeline saying who did
/// it. An `offer` is answered first, `(offer, to, check_unexpired)` as in [`Step::answer`].
async fn hand_to(
    d: Dispatcher<'_>,
    actor: &Actor,
    t: VolunteerTask,
    who: UserId,
    offer: Option<(&Offer, OfferState, bool)>,
    action: Action,
    now: OffsetDateTime,
) -> Result<VolunteerTask> {
    let mut nt = need_task(d.store, &t).await?;
    nt.assignee = Some(who);
    let mut step = Step::new(d, t, nt, now);
    if let Some((o, to, check_unexpired)) = offer {
        step.answer(o, to, check_unexpired);
    }
    step.change.task.state = TaskState::Accepted;
    step.change.task.volunteer = Some(who);
    step.change.task.accepted_at = Some(now);
    step.event(
        EventKind::TaskAccepted,
        Some(actor.user_id),
        Some(who),
        None,
    )?;
    let a = audit(action, Some(actor), &step.change.task, now);
    step.write(a).await
}

async fn open_offer(d: Dispatcher<'_>, t: &VolunteerTask) -> Result<Option<Offer>> {
    Ok(d.store
        .offers_of_task(t.id)
        .await?
        .into_iter()
        .find(|o| o.state == OfferState::Open))
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
