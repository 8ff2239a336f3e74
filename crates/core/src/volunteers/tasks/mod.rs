//! Volunteer tasks from needs: staff dispatch a need's task; per organisation it is offered
//! automatically (the engine's best candidate first; a decline, a withdrawal or no answer
//! within the timeout moves it to the next; nobody left → 无人接单 and staff are notified)
//! or put in a claim pool (the first claim wins). Staff can always assign a named volunteer,
//! withdraw an offer or cancel. The volunteer sees the address and the resident's phone only
//! while the task is accepted (each view audited) and completes it with a short note; the
//! time accepted→completed (capped) counts on the service record. Every step is an event on
//! the need's timeline.

mod offers;
mod serving;
mod staff;

pub use offers::{accept, claim, decline, dispatch, expire, sweep};
pub use serving::{MyTasks, cancel_booking, complete, contact, my_tasks};
pub use staff::{assign, cancel, set_mode, withdraw};

use std::collections::HashSet;

use time::OffsetDateTime;

use crate::actor::{Actor, Permission};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::crypto::Cipher;
use crate::dispatch::offers::{MAX_LOAD, engine_kind, expires, needed_skills, next_candidate};
use crate::dispatch::record::{
    DispatchChange, Offer, OfferAnswer, OfferState, TaskState, VolunteerTask,
};
use crate::error::{Error, Result};
use crate::ids::{NeedEventId, NeedId, NotificationId, OfferId, TaskId, UserId};
use crate::needs::record::Need;
use crate::needs::timeline::{EventData, EventKind, NOTE, NeedEvent, Notification, Task};
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
