//! Stored dispatch records: a volunteer task (one of a need's tasks, given to volunteers by
//! automatic offers or from a claim pool) and the offers made for it. Free text (decline
//! reasons, completion notes) never lives here: it goes on the need's timeline, sealed.

use time::OffsetDateTime;

use crate::ids::{NeedId, OfferId, OrgId, TaskId, UserId};
use crate::needs::timeline::{NeedEvent, Notification, Task, TaskKind};
use crate::regions::RegionCode;

/// How an organisation gives its volunteer tasks out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// The engine offers the task to the best candidate; no answer in time → the next.
    Offers,
    /// Volunteers in scope see the task and claim it; the first claim wins.
    Pool,
}

impl Mode {
    pub const ALL: [Mode; 2] = [Mode::Offers, Mode::Pool];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Offers => "offers",
            Mode::Pool => "pool",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == s.trim())
    }

    pub fn zh(self) -> &'static str {
        match self {
            Mode::Offers => "自动派单（逐一邀请）",
            Mode::Pool => "认领池（志愿者自行认领）",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Mode::Offers => "Automatic offers (one volunteer at a time)",
            Mode::Pool => "Claim pool (volunteers claim tasks)",
        }
    }
}

/// Where a volunteer task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// An offer is open with one volunteer.
    Offered,
    /// In the claim pool, waiting for a claim.
    Pool,
    /// A volunteer took it.
    Accepted,
    Done,
    /// Nobody was left to offer it to (无人接单): staff decide.
    Unclaimed,
    Cancelled,
}

impl TaskState {
    pub const ALL: [TaskState; 6] = [
        TaskState::Offered,
        TaskState::Pool,
        TaskState::Accepted,
        TaskState::Done,
        TaskState::Unclaimed,
        TaskState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Offered => "offered",
            TaskState::Pool => "pool",
            TaskState::Accepted => "accepted",
            TaskState::Done => "done",
            TaskState::Unclaimed => "unclaimed",
            TaskState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<TaskState> {
        TaskState::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Still waiting for a volunteer (staff may assign or cancel).
    pub fn is_waiting(self) -> bool {
        matches!(
            self,
            TaskState::Offered | TaskState::Pool | TaskState::Unclaimed
        )
    }

    pub fn zh(self) -> &'static str {
        match self {
            TaskState::Offered => "等待志愿者答复",
            TaskState::Pool => "等待认领",
            TaskState::Accepted => "志愿者已接单",
            TaskState::Done => "已完成",
            TaskState::Unclaimed => "无人接单",
            TaskState::Cancelled => "已取消",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            TaskState::Offered => "Waiting for the volunteer's answer",
            TaskState::Pool => "Waiting for a claim",
            TaskState::Accepted => "Accepted by a volunteer",
            TaskState::Done => "Done",
            TaskState::Unclaimed => "Nobody took it",
            TaskState::Cancelled => "Cancelled",
        }
    }
}

/// Where one offer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfferState {
    Open,
    Accepted,
    Declined,
    Expired,
    /// Staff withdrew it (or assigned someone else, or cancelled the task).
    Withdrawn,
}

impl OfferState {
    pub const ALL: [OfferState; 5] = [
        OfferState::Open,
        OfferState::Accepted,
        OfferState::Declined,
        OfferState::Expired,
        OfferState::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OfferState::Open => "open",
            OfferState::Accepted => "accepted",
            OfferState::Declined => "declined",
            OfferState::Expired => "expired",
            OfferState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<OfferState> {
        OfferState::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A need's task given out to volunteers. Its id is the need task's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolunteerTask {
    pub id: TaskId,
    pub need: NeedId,
    /// The need's region (where the help is needed).
    pub region: RegionCode,
    pub kind: TaskKind,
    pub mode: Mode,
    pub state: TaskState,
    /// The volunteer who accepted or claimed it (or was assigned by staff).
    pub volunteer: Option<UserId>,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
    pub accepted_at: Option<OffsetDateTime>,
    pub done_at: Option<OffsetDateTime>,
    /// Service minutes credited on completion (see [`super::offers::task_minutes`]).
    pub minutes: i64,
    pub version: i64,
}

/// One offer of a task to one volunteer. A volunteer is offered a task at most once (the
/// store holds one row per task and volunteer), so a decline is never asked again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub id: OfferId,
    pub task: TaskId,
    pub volunteer: UserId,
    pub state: OfferState,
    pub offered_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub answered_at: Option<OffsetDateTime>,
}

/// An offer leaving the open state: written only if it is still open (and, when
/// `unexpired_at` is set, not yet expired at that time); otherwise the change fails as a
/// lost race.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferAnswer {
    pub offer: OfferId,
    pub to: OfferState,
    pub at: OffsetDateTime,
    pub unexpired_at: Option<OffsetDateTime>,
}

/// Everything one dispatch step writes in one transaction: the task's new values (the
/// stored version must be `expected_version`, or `None` to insert the task together with
/// its need-task row), the need task's assignee and done time, at most one answered offer
/// and one new offer, timeline events and notifications.
#[derive(Debug, Clone)]
pub struct DispatchChange {
    pub task: VolunteerTask,
    pub expected_version: Option<i64>,
    pub need_task: Task,
    pub answer: Option<OfferAnswer>,
    pub offer: Option<Offer>,
    pub events: Vec<NeedEvent>,
    pub notifications: Vec<Notification>,
    /// Staff's first action on the need at this time: its first-response clock stops (the
    /// store sets `acknowledged_at` only if it is still empty, and bumps the need's version).
    pub acknowledge_need: Option<OffsetDateTime>,
}

/// A volunteer who may serve where a task is, as the store reads them for the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub user: UserId,
    pub skills: super::Skills,
    /// Stored availability window names.
    pub availability: String,
    pub home: RegionCode,
    /// Accepted tasks plus open offers now.
    pub load: u8,
}

/// A volunteer's completed tasks and their service minutes (the hours export).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskMinutes {
    pub username: String,
    pub display_name: String,
    pub tasks: i64,
    pub minutes: i64,
}

/// An organisation's dispatch setting, as shown on its page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgMode {
    pub org: OrgId,
    pub mode: Option<Mode>,
}
