//! Staff work on a need: who may see it (region scope, or a live referral to one of their
//! organisations), and the actions of the state machine, each written as one change with its
//! timeline event, audit entry and optimistic version check ("changed meanwhile" → 409).

use time::OffsetDateTime;

use super::Priority;
use super::record::Need;
use super::sla::SlaPolicy;
use super::state::{self, State};
use super::timeline::{EventData, EventKind, Referral, ReferralState, Task, TaskKind};
use super::tracking::TrackingCode;
use crate::actor::{Actor, Permission, Role};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::crypto::Cipher;
use crate::error::{Error, Result};
use crate::ids::{NeedId, OrgId, ReferralId, TaskId, UserId};
use crate::store::Store;

/// What the use-cases of the green channel need besides the actor.
#[derive(Clone, Copy)]
pub struct Desk<'a> {
    pub store: &'a dyn Store,
    pub cipher: &'a Cipher,
    pub sla: &'a SlaPolicy,
}

/// How the actor sees a need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Through `ViewNeeds` over its region; `handle`: also `HandleNeeds` there.
    Scope { handle: bool },
    /// Through a live referral to one of the actor's organisations.
    Referral { org: OrgId, accepted: bool },
}

impl Access {
    pub fn may_handle(self) -> bool {
        matches!(self, Access::Scope { handle: true })
    }
}

/// One action on a need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Confirm or change the priority; a change needs a reason.
    Triage {
        priority: Priority,
        reason: String,
    },
    Assign {
        to: UserId,
    },
    Start,
    Refer {
        org: OrgId,
    },
    /// The receiving organisation answers its referral.
    DecideReferral {
        accept: bool,
        reason: String,
    },
    LinkResource {
        org: OrgId,
        gives: String,
    },
    AddTask {
        kind: TaskKind,
        assignee: Option<UserId>,
    },
    CompleteTask {
        task: TaskId,
    },
    ContactAttempt {
        reached: bool,
        note: String,
    },
    Message {
        text: String,
    },
    Note {
        text: String,
    },
    Resolve {
        outcome: String,
    },
    Close,
    Cancel {
        reason: String,
    },
    Reopen {
        reason: String,
    },
    MarkDuplicate {
        of: String,
    },
}

impl Command {
    fn audit_action(&self) -> Action {
        match self {
            Command::Triage { .. } => Action::NeedTriaged,
            Command::Assign { .. } => Action::NeedAssigned,
            Command::Refer { .. } => Action::NeedReferred,
            Command::Resolve { .. } => Action::NeedResolved,
            Command::Close => Action::NeedClosed,
            Command::Cancel { .. } => Action::NeedCancelled,
            Command::Reopen { .. } => Action::NeedReopened,
            Command::MarkDuplicate { .. } => Action::NeedMerged,
            _ => Action::NeedUpdated,
        }
    }

    /// May someone from a referred organisation do this?
    fn allowed_by_referral(&self, accepted: bool) -> bool {
        match self {
            Command::DecideReferral { .. } => !accepted,
            Command::LinkResource { .. }
            | Command::AddTask { .. }
            | Command::CompleteTask { .. }
            | Command::ContactAttempt { .. }
            | Command::Message { .. }
            | Command::Note { .. }
            | Command::Resolve { .. } => accepted,
            _ => false,
        }
    }

    /// A response to the resident: stops the first-response clock.
    fn acknowledges(&self) -> bool {
        !matches!(self, Command::Note { .. } | Command::DecideReferral { .. })
    }
}

/// Text of `min..=max` characters after trimming, or a field error.
pub fn text(
    field: &'static str,
    raw: &str,
    min: usize,
    max: usize,
    zh: &str,
    en: &str,
) -> Result<String> {
    let v = raw.trim();
    let n = v.chars().count();
    if n < min || n > max {
        return Err(Error::invalid(
            field,
            format!("{zh}（{min}到{max}个字）"),
            format!("{en} ({min} to {max} characters)"),
        ));
    }
    Ok(v.to_string())
}

fn reason_text(raw: &str) -> Result<String> {
    text(
        "reason",
        raw,
        2,
        500,
        "请写明原因",
        "Please give the reason",
    )
}

/// How `actor` sees the need, or `NotFound` when not at all.
pub async fn access(desk: Desk<'_>, actor: &Actor, need: &Need) -> Result<Access> {
    if actor.can_at(Permission::ViewNeeds, &need.region) {
        return Ok(Access::Scope {
            handle: actor.can_at(Permission::HandleNeeds, &need.region),
        });
    }
    let orgs = actor_orgs(actor);
    if orgs.is_empty() {
        return Err(Error::NotFound);
    }
    let referrals = desk.store.need_referrals(need.id).await?;
    referrals
        .iter()
        .find(|r| r.state.is_live() && orgs.contains(&r.org))
        .map(|r| Access::Referral {
            org: r.org,
            accepted: r.state == ReferralState::Accepted,
        })
        .ok_or(Error::NotFound)
}

/// The organisations the actor works for (volunteers never see needs by referral).
pub fn actor_orgs(actor: &Actor) -> Vec<OrgId> {
    let mut orgs: Vec<OrgId> = actor
        .grants
        .iter()
        .filter(|g| g.role != Role::Volunteer)
        .filter_map(|g| g.org)
        .collect();
    orgs.sort();
    orgs.dedup();
    orgs
}

pub use super::draft::{Draft, next_sla_check};
pub use super::personal::{Personal, event_note, personal};

/// A need as the actor may see it, with the view audited (the page shows personal fields).
pub async fn open(
    desk: Desk<'_>,
    actor: &Actor,
    id: NeedId,
    now: OffsetDateTime,
) -> Result<(Need, Access)> {
    let need = desk.store.need(id).await?.ok_or(Error::NotFound)?;
    let access = access(desk, actor, &need).await?;
    desk.store
        .append_audit(
            &AuditEvent::new(Action::NeedViewed, now)
                .by(actor)
                .region(&need.region)
                .record(RecordKind::Need, [need.id]),
        )
        .await?;
    Ok((need, access))
}

async fn may_be_assigned(desk: Desk<'_>, user: UserId, need: &Need) -> Result<()> {
    let grants = desk.store.grants(user).await?;
    let found = desk.store.user(user).await?;
    let ok = found.is_some_and(|u| !u.disabled)
        && grants.iter().any(|g| {
            g.grant
                .role
                .permissions()
                .contains(&Permission::HandleNeeds)
                && g.grant.region.covers(&need.region)
        });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "assignee",
            "只能分派给负责这个社区、且能处理求助的工作人员",
            "Choose a worker who handles needs in this community",
        ))
    }
}

/// Do `cmd` on need `id`, which the actor last saw at `version`. Returns the need as stored.
pub async fn act(
    desk: Desk<'_>,
    actor: &Actor,
    id: NeedId,
    version: i64,
    cmd: Command,
    now: OffsetDateTime,
) -> Result<Need> {
    let need = desk.store.need(id).await?.ok_or(Error::NotFound)?;
    let access = access(desk, actor, &need).await?;
    let allowed = match access {
        Access::Scope { handle } => handle && !matches!(cmd, Command::DecideReferral { .. }),
        Access::Referral { accepted, .. } => cmd.allowed_by_referral(accepted),
    };
    if !allowed {
        return Err(Error::Forbidden);
    }
    if need.version != version {
        return Err(changed_meanwhile());
    }
    let mut d = Draft::new(desk.cipher, &need, Some(actor.user_id), now);
    if cmd.acknowledges() && need.acknowledged_at.is_none() {
        d.need().acknowledged_at = Some(now);
    }
    let none = EventData::default;
    match &cmd {
        Command::Triage { priority, reason } => {
            open_state(&need)?;
            let changed = *priority != need.priority;
            let reason = if changed {
                Some(reason_text(reason)?)
            } else {
                Some(reason.trim().to_string()).filter(|r| !r.is_empty())
            };
            if need.state == State::New {
                d.transition(state::Action::Triage)?;
            }
            d.need().priority = *priority;
            d.need().reviewed = true;
            let data = EventData {
                priority: Some(*priority),
                ..none()
            };
            d.event(EventKind::Triaged, data, reason.as_deref())?;
        }
        Command::Assign { to } => {
            may_be_assigned(desk, *to, &need).await?;
            d.transition(state::Action::Assign)?;
            d.need().assignee = Some(*to);
            let data = EventData {
                user: Some(*to),
                ..none()
            };
            d.event(EventKind::Assigned, data, None)?;
            if *to != actor.user_id {
                d.notify(*to, EventKind::Assigned, None);
            }
        }
        Command::Start => {
            d.transition(state::Action::Start)?;
            d.event(EventKind::Started, none(), None)?;
        }
        Command::Refer { org } => {
            open_state(&need)?;
            desk.store.org(*org).await?.ok_or_else(unknown_org)?;
            let referrals = desk.store.need_referrals(need.id).await?;
            if referrals.iter().any(|r| r.org == *org && r.state.is_live()) {
                return Err(Error::Conflict(
                    "已经转介给这个机构 / Already referred to this organisation".into(),
                ));
            }
            d.change.referral = Some(Referral {
                id: ReferralId::new(),
                need: need.id,
                org: *org,
                state: ReferralState::Pending,
                created_at: now,
                decided_at: None,
            });
            let data = EventData {
                org: Some(*org),
                ..none()
            };
            d.event(EventKind::Referred, data, None)?;
        }
        Command::DecideReferral { accept, reason } => {
            open_state(&need)?;
            let Access::Referral { org, .. } = access else {
                return Err(Error::Forbidden);
            };
            let referrals = desk.store.need_referrals(need.id).await?;
            let mut r = referrals
                .into_iter()
                .find(|r| r.org == org && r.state == ReferralState::Pending)
                .ok_or(Error::Forbidden)?;
            let reason = if *accept {
                None
            } else {
                Some(reason_text(reason)?)
            };
            r.state = if *accept {
                ReferralState::Accepted
            } else {
                ReferralState::Declined
            };
            r.decided_at = Some(now);
            d.change.referral = Some(r);
            let kind = if *accept {
                EventKind::ReferralAccepted
            } else {
                EventKind::ReferralDeclined
            };
            let data = EventData {
                org: Some(org),
                ..none()
            };
            d.event(kind, data, reason.as_deref())?;
        }
        Command::LinkResource { org, gives } => {
            open_state(&need)?;
            desk.store.org(*org).await?.ok_or_else(unknown_org)?;
            let gives = text(
                "gives",
                gives,
                2,
                200,
                "请写明提供什么（如：透析床位、车辆）",
                "Say what it gives (e.g. a dialysis slot, a vehicle)",
            )?;
            let data = EventData {
                org: Some(*org),
                ..none()
            };
            d.event(EventKind::ResourceLinked, data, Some(&gives))?;
        }
        Command::AddTask { kind, assignee } => {
            open_state(&need)?;
            if let Some(a) = assignee {
                may_be_assigned(desk, *a, &need).await?;
            }
            let task = Task {
                id: TaskId::new(),
                need: need.id,
                kind: *kind,
                assignee: *assignee,
                done: false,
                created_at: now,
                done_at: None,
            };
            let data = EventData {
                task: Some(task.id),
                user: *assignee,
                ..none()
            };
            d.event(EventKind::TaskAdded, data, Some(kind.zh()))?;
            if let Some(a) = assignee.filter(|a| *a != actor.user_id) {
                d.notify(a, EventKind::TaskAdded, None);
            }
            d.change.task = Some(task);
        }
        Command::CompleteTask { task } => {
            let tasks = desk.store.need_tasks(need.id).await?;
            let mut t = tasks
                .into_iter()
                .find(|t| t.id == *task && !t.done)
                .ok_or(Error::NotFound)?;
            t.done = true;
            t.done_at = Some(now);
            let data = EventData {
                task: Some(t.id),
                ..none()
            };
            d.event(EventKind::TaskDone, data, Some(t.kind.zh()))?;
            d.change.task = Some(t);
        }
        Command::ContactAttempt { reached, note } => {
            open_state(&need)?;
            let note = text("note", note, 0, 1000, "备注太长", "The note is too long")?;
            let data = EventData {
                reached: Some(*reached),
                ..none()
            };
            d.event(EventKind::ContactAttempt, data, Some(&note))?;
        }
        Command::Message { text: t } => {
            // A resolved need may still get a word to the resident; an ended one may not.
            if need.state.is_final() {
                return Err(not_open(&need));
            }
            let t = text(
                "text",
                t,
                1,
                1000,
                "请填写要告诉求助人的话",
                "Write what the resident should read",
            )?;
            d.event(EventKind::MessageToResident, none(), Some(&t))?;
        }
        Command::Note { text: t } => {
            let t = text("text", t, 1, 2000, "请填写备注", "Write the note")?;
            d.event(EventKind::Note, none(), Some(&t))?;
        }
        Command::Resolve { outcome } => {
            let outcome = text(
                "outcome",
                outcome,
                2,
                1000,
                "请写明处理结果",
                "Describe the outcome",
            )?;
            d.transition(state::Action::Resolve)?;
            d.event(EventKind::Resolved, none(), Some(&outcome))?;
        }
        Command::Close => {
            d.transition(state::Action::Close)?;
            d.event(EventKind::Closed, none(), None)?;
        }
        Command::Cancel { reason } => {
            let reason = reason_text(reason)?;
            d.transition(state::Action::Cancel)?;
            d.event(EventKind::Cancelled, none(), Some(&reason))?;
        }
        Command::Reopen { reason } => {
            let reason = reason_text(reason)?;
            d.transition(state::Action::Reopen)?;
            d.event(EventKind::Reopened, none(), Some(&reason))?;
        }
        Command::MarkDuplicate { of } => {
            let other = duplicate_target(desk, actor, &need, of).await?;
            d.transition(state::Action::MarkDuplicate)?;
            d.need().duplicate_of = Some(other);
            let data = EventData {
                other: Some(other),
                ..none()
            };
            d.event(EventKind::MarkedDuplicate, data, None)?;
        }
    }
    let change = d.finish(desk.sla);
    let audit = AuditEvent::new(cmd.audit_action(), now)
        .by(actor)
        .region(&need.region)
        .record(RecordKind::Need, [need.id]);
    desk.store.apply_need_change(&change, &audit).await?;
    Ok(change.need)
}

fn open_state(need: &Need) -> Result<()> {
    if need.state.is_open() {
        Ok(())
    } else {
        Err(not_open(need))
    }
}

fn not_open(need: &Need) -> Error {
    Error::Conflict(format!(
        "此求助已“{}”，请先重新打开 / The need is '{}'; reopen it first",
        need.state.zh(),
        need.state.en()
    ))
}

fn unknown_org() -> Error {
    Error::invalid(
        "org",
        "找不到这个机构，请从机构名录中选择",
        "No such organisation; choose one from the directory",
    )
}

/// The message of a lost race.
pub fn changed_meanwhile() -> Error {
    Error::Conflict(
        "这条求助刚被别人更新过，请看最新情况后再操作（您填写的内容已保留） / \
         Someone changed this need meanwhile; check the latest state and try again (what you typed is kept)"
            .into(),
    )
}

async fn duplicate_target(desk: Desk<'_>, actor: &Actor, need: &Need, of: &str) -> Result<NeedId> {
    let bad = || {
        Error::invalid(
            "of",
            "请填写另一条求助的跟踪码（在您可见范围内、未结束的）",
            "Give the tracking code of another open need you can see",
        )
    };
    let code = TrackingCode::parse(of).map_err(|_| bad())?;
    let other = desk.store.need_by_code(&code).await?.ok_or_else(bad)?;
    if other.id == need.id || !other.state.is_open() || access(desk, actor, &other).await.is_err() {
        return Err(bad());
    }
    Ok(other.id)
}
