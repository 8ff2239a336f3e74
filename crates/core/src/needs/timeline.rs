//! The need's timeline and the records that hang off it: every change is an event (who, when,
//! what, facts as ids and states, free text only ever sealed), referrals to other
//! organisations, tasks, escalation steps and in-app notifications.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Priority;
use super::state::State;
use crate::crypto::EncryptedColumn;
use crate::ids::{NeedEventId, NeedId, NotificationId, OrgId, ReferralId, TaskId, UserId};

/// The free text of an event (messages, reasons, outcomes, what a resource gives).
pub const NOTE: EncryptedColumn = EncryptedColumn {
    table: "need_events",
    column: "note",
    id_column: "id",
};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Created,
    Triaged,
    Assigned,
    Started,
    Referred,
    ReferralAccepted,
    ReferralDeclined,
    ResourceLinked,
    TaskAdded,
    TaskDone,
    ContactAttempt,
    MessageToResident,
    Note,
    ResidentInfo,
    PriorityRaised,
    Resolved,
    Closed,
    Cancelled,
    Reopened,
    MarkedDuplicate,
    Escalated,
    TaskOffered,
    OfferDeclined,
    OfferExpired,
    OfferWithdrawn,
    TaskPooled,
    TaskAccepted,
    TaskUnclaimed,
    TaskCancelled,
}

impl EventKind {
    pub const ALL: [EventKind; 29] = [
        EventKind::Created,
        EventKind::Triaged,
        EventKind::Assigned,
        EventKind::Started,
        EventKind::Referred,
        EventKind::ReferralAccepted,
        EventKind::ReferralDeclined,
        EventKind::ResourceLinked,
        EventKind::TaskAdded,
        EventKind::TaskDone,
        EventKind::ContactAttempt,
        EventKind::MessageToResident,
        EventKind::Note,
        EventKind::ResidentInfo,
        EventKind::PriorityRaised,
        EventKind::Resolved,
        EventKind::Closed,
        EventKind::Cancelled,
        EventKind::Reopened,
        EventKind::MarkedDuplicate,
        EventKind::Escalated,
        EventKind::TaskOffered,
        EventKind::OfferDeclined,
        EventKind::OfferExpired,
        EventKind::OfferWithdrawn,
        EventKind::TaskPooled,
        EventKind::TaskAccepted,
        EventKind::TaskUnclaimed,
        EventKind::TaskCancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::Triaged => "triaged",
            EventKind::Assigned => "assigned",
            EventKind::Started => "started",
            EventKind::Referred => "referred",
            EventKind::ReferralAccepted => "referral_accepted",
            EventKind::ReferralDeclined => "referral_declined",
            EventKind::ResourceLinked => "resource_linked",
            EventKind::TaskAdded => "task_added",
            EventKind::TaskDone => "task_done",
            EventKind::ContactAttempt => "contact_attempt",
            EventKind::MessageToResident => "message",
            EventKind::Note => "note",
            EventKind::ResidentInfo => "resident_info",
            EventKind::PriorityRaised => "priority_raised",
            EventKind::Resolved => "resolved",
            EventKind::Closed => "closed",
            EventKind::Cancelled => "cancelled",
            EventKind::Reopened => "reopened",
            EventKind::MarkedDuplicate => "marked_duplicate",
            EventKind::Escalated => "escalated",
            EventKind::TaskOffered => "task_offered",
            EventKind::OfferDeclined => "offer_declined",
            EventKind::OfferExpired => "offer_expired",
            EventKind::OfferWithdrawn => "offer_withdrawn",
            EventKind::TaskPooled => "task_pooled",
            EventKind::TaskAccepted => "task_accepted",
            EventKind::TaskUnclaimed => "task_unclaimed",
            EventKind::TaskCancelled => "task_cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What staff read on the timeline.
    pub fn zh(self) -> &'static str {
        match self {
            EventKind::Created => "收到求助",
            EventKind::Triaged => "评估优先级",
            EventKind::Assigned => "分派给工作人员",
            EventKind::Started => "开始处理",
            EventKind::Referred => "转介给其他机构",
            EventKind::ReferralAccepted => "转介已接受",
            EventKind::ReferralDeclined => "转介被婉拒",
            EventKind::ResourceLinked => "链接资源",
            EventKind::TaskAdded => "新增任务",
            EventKind::TaskDone => "任务完成",
            EventKind::ContactAttempt => "联系求助人",
            EventKind::MessageToResident => "给求助人的消息",
            EventKind::Note => "内部备注",
            EventKind::ResidentInfo => "求助人补充信息",
            EventKind::PriorityRaised => "根据补充信息提高优先级",
            EventKind::Resolved => "已解决",
            EventKind::Closed => "已结束",
            EventKind::Cancelled => "已取消",
            EventKind::Reopened => "重新打开",
            EventKind::MarkedDuplicate => "合并为重复求助",
            EventKind::Escalated => "超时升级",
            EventKind::TaskOffered => "任务邀请志愿者",
            EventKind::OfferDeclined => "志愿者婉拒任务",
            EventKind::OfferExpired => "任务邀请超时未答复",
            EventKind::OfferWithdrawn => "工作人员撤回邀请",
            EventKind::TaskPooled => "任务放入认领池",
            EventKind::TaskAccepted => "志愿者已接单",
            EventKind::TaskUnclaimed => "无人接单",
            EventKind::TaskCancelled => "任务已取消",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            EventKind::Created => "Need received",
            EventKind::Triaged => "Priority reviewed",
            EventKind::Assigned => "Assigned to a worker",
            EventKind::Started => "Work started",
            EventKind::Referred => "Referred to another organisation",
            EventKind::ReferralAccepted => "Referral accepted",
            EventKind::ReferralDeclined => "Referral declined",
            EventKind::ResourceLinked => "Resource linked",
            EventKind::TaskAdded => "Task added",
            EventKind::TaskDone => "Task done",
            EventKind::ContactAttempt => "Contact attempt",
            EventKind::MessageToResident => "Message to the resident",
            EventKind::Note => "Internal note",
            EventKind::ResidentInfo => "The resident added information",
            EventKind::PriorityRaised => "Priority raised by added information",
            EventKind::Resolved => "Resolved",
            EventKind::Closed => "Closed",
            EventKind::Cancelled => "Cancelled",
            EventKind::Reopened => "Reopened",
            EventKind::MarkedDuplicate => "Merged as a duplicate",
            EventKind::Escalated => "Escalated (deadline missed)",
            EventKind::TaskOffered => "Task offered to a volunteer",
            EventKind::OfferDeclined => "Volunteer declined the task",
            EventKind::OfferExpired => "Offer not answered in time",
            EventKind::OfferWithdrawn => "Staff withdrew the offer",
            EventKind::TaskPooled => "Task put in the claim pool",
            EventKind::TaskAccepted => "A volunteer accepted the task",
            EventKind::TaskUnclaimed => "Nobody took the task",
            EventKind::TaskCancelled => "Task cancelled",
        }
    }

    /// Shown on the resident's tracking page (in the resident's words, see [`resident_zh`]).
    pub fn public(self) -> bool {
        matches!(
            self,
            EventKind::Created
                | EventKind::Assigned
                | EventKind::Started
                | EventKind::MessageToResident
                | EventKind::ResidentInfo
                | EventKind::Resolved
                | EventKind::Closed
                | EventKind::Cancelled
                | EventKind::Reopened
                | EventKind::MarkedDuplicate
                | EventKind::TaskAccepted
        )
    }

    /// Whether the resident may read the event's text (their own words or a message to them).
    pub fn note_is_public(self) -> bool {
        matches!(self, EventKind::MessageToResident | EventKind::ResidentInfo)
    }

    /// Plain words for the resident.
    pub fn resident_zh(self) -> &'static str {
        match self {
            EventKind::Created => "我们已收到您的求助",
            EventKind::Assigned => "已安排工作人员跟进",
            EventKind::Started => "工作人员正在处理",
            EventKind::MessageToResident => "工作人员给您留言",
            EventKind::ResidentInfo => "您补充了信息",
            EventKind::Resolved => "工作人员已处理完毕",
            EventKind::Closed => "求助已结束",
            EventKind::Cancelled => "求助已取消",
            EventKind::Reopened => "求助重新打开，继续处理",
            EventKind::MarkedDuplicate => "与您的另一条求助合并处理",
            EventKind::TaskAccepted => "志愿者正在路上",
            _ => "处理进展",
        }
    }

    pub fn resident_en(self) -> &'static str {
        match self {
            EventKind::Created => "We received your request",
            EventKind::Assigned => "A worker is following it up",
            EventKind::Started => "A worker is handling it",
            EventKind::MessageToResident => "A message from the worker",
            EventKind::ResidentInfo => "You added information",
            EventKind::Resolved => "The worker has finished",
            EventKind::Closed => "Closed",
            EventKind::Cancelled => "Cancelled",
            EventKind::Reopened => "Reopened; work goes on",
            EventKind::MarkedDuplicate => "Handled together with your other request",
            EventKind::TaskAccepted => "A volunteer is on the way",
            _ => "Progress",
        }
    }
}

/// Facts of an event, as ids and states only (never personal values).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<State>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<OrgId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reached: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<NeedId>,
}

/// One entry of a need's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedEvent {
    pub id: NeedEventId,
    pub need: NeedId,
    pub at: OffsetDateTime,
    pub kind: EventKind,
    /// The staff member; `None` for the resident or wushe itself.
    pub actor: Option<UserId>,
    pub data: EventData,
    /// Sealed free text under [`NOTE`], bound to this event's id.
    pub note: Option<Vec<u8>>,
}

/// Where a referral stands. `pending` and `accepted` are live: the receiving organisation's
/// staff see the need while it is live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferralState {
    Pending,
    Accepted,
    Declined,
}

impl ReferralState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReferralState::Pending => "pending",
            ReferralState::Accepted => "accepted",
            ReferralState::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<ReferralState> {
        [
            ReferralState::Pending,
            ReferralState::Accepted,
            ReferralState::Declined,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    pub fn is_live(self) -> bool {
        matches!(self, ReferralState::Pending | ReferralState::Accepted)
    }

    pub fn zh(self) -> &'static str {
        match self {
            ReferralState::Pending => "待对方确认",
            ReferralState::Accepted => "已接受",
            ReferralState::Declined => "已婉拒",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            ReferralState::Pending => "Awaiting answer",
            ReferralState::Accepted => "Accepted",
            ReferralState::Declined => "Declined",
        }
    }
}

/// A need referred to another organisation (five-society linkage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    pub id: ReferralId,
    pub need: NeedId,
    pub org: OrgId,
    pub state: ReferralState,
    pub created_at: OffsetDateTime,
    pub decided_at: Option<OffsetDateTime>,
}

/// What a task asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskKind {
    DeliverMedicine,
    Escort,
    Supplies,
    DoorVisit,
    Other,
}

impl TaskKind {
    pub const ALL: [TaskKind; 5] = [
        TaskKind::DeliverMedicine,
        TaskKind::Escort,
        TaskKind::Supplies,
        TaskKind::DoorVisit,
        TaskKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::DeliverMedicine => "deliver_medicine",
            TaskKind::Escort => "escort",
            TaskKind::Supplies => "supplies",
            TaskKind::DoorVisit => "door_visit",
            TaskKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<TaskKind> {
        TaskKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            TaskKind::DeliverMedicine => "送药",
            TaskKind::Escort => "陪同就医",
            TaskKind::Supplies => "送物资",
            TaskKind::DoorVisit => "上门探视",
            TaskKind::Other => "其他",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            TaskKind::DeliverMedicine => "Deliver medicine",
            TaskKind::Escort => "Escort to hospital",
            TaskKind::Supplies => "Bring supplies",
            TaskKind::DoorVisit => "Door visit",
            TaskKind::Other => "Other",
        }
    }
}

/// A piece of work on a need, given to a worker (or, with dispatch, a volunteer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: TaskId,
    pub need: NeedId,
    pub kind: TaskKind,
    pub assignee: Option<UserId>,
    pub done: bool,
    pub created_at: OffsetDateTime,
    pub done_at: Option<OffsetDateTime>,
}

/// An in-app notification for one staff member. Holds ids, never personal values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: NotificationId,
    pub user: UserId,
    pub need: Option<NeedId>,
    /// The event kind that caused it (e.g. `escalated`, `assigned`, `referred`).
    pub kind: EventKind,
    /// The escalation level, for `escalated`.
    pub level: Option<u8>,
    pub at: OffsetDateTime,
    pub read: bool,
}

/// Everything one change of a need writes, in one transaction: the need's new values (its
/// `version` one above `expected_version`, or the write fails as changed meanwhile), the
/// timeline events, at most one referral and one task (inserted or updated by id), escalation
/// steps (each `(need, level)` at most once, ever) and notifications.
#[derive(Debug, Clone)]
pub struct NeedChange {
    pub need: super::record::Need,
    pub expected_version: i64,
    pub events: Vec<NeedEvent>,
    pub referral: Option<Referral>,
    pub task: Option<Task>,
    pub escalations: Vec<u8>,
    pub notifications: Vec<Notification>,
}
