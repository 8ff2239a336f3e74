//! The fields of the actions on a need's page, and the [`Command`] each one asks for.

use serde::Deserialize;
use wushe_core::Error;
use wushe_core::ids::{OrgId, TaskId, UserId};
use wushe_core::needs::Priority;
use wushe_core::needs::timeline::TaskKind;
use wushe_core::needs::work::Command;

/// Every action's fields; `action` says which one.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ActForm {
    pub action: String,
    pub version: i64,
    pub priority: String,
    pub reason: String,
    pub to: String,
    pub org: String,
    pub gives: String,
    pub kind: String,
    pub assignee: String,
    pub task: String,
    pub reached: String,
    pub note: String,
    pub text: String,
    pub outcome: String,
    pub of: String,
    pub accept: String,
}

fn pick_id<T: std::str::FromStr>(field: &'static str, raw: &str) -> Result<T, Error> {
    raw.trim()
        .parse()
        .map_err(|_| Error::invalid(field, "请从列表中选择", "Choose one from the list"))
}

impl ActForm {
    /// The command, or a field error naming what to fix.
    pub fn command(&self, me: UserId) -> Result<Command, Error> {
        Ok(match self.action.as_str() {
            "triage" => Command::Triage {
                priority: Priority::parse(&self.priority).ok_or_else(|| {
                    Error::invalid("priority", "请选择紧急程度", "Choose a priority")
                })?,
                reason: self.reason.clone(),
            },
            "assign" => Command::Assign {
                to: if self.to == "me" {
                    me
                } else {
                    UserId(pick_id("to", &self.to)?)
                },
            },
            "start" => Command::Start,
            "refer" => Command::Refer {
                org: OrgId(pick_id("org", &self.org)?),
            },
            "decide_referral" => Command::DecideReferral {
                accept: self.accept == "yes",
                reason: self.reason.clone(),
            },
            "link_resource" => Command::LinkResource {
                org: OrgId(pick_id("org", &self.org)?),
                gives: self.gives.clone(),
            },
            "add_task" => Command::AddTask {
                kind: TaskKind::parse(&self.kind).ok_or_else(|| {
                    Error::invalid("kind", "请选择任务类型", "Choose the kind of task")
                })?,
                assignee: match self.assignee.trim() {
                    "" => None,
                    "me" => Some(me),
                    a => Some(UserId(pick_id("assignee", a)?)),
                },
            },
            "complete_task" => Command::CompleteTask {
                task: TaskId(pick_id("task", &self.task)?),
            },
            "contact" => Command::ContactAttempt {
                reached: match self.reached.as_str() {
                    "yes" => true,
                    "no" => false,
                    _ => {
                        return Err(Error::invalid(
                            "reached",
                            "请选择是否联系上",
                            "Say whether you reached them",
                        ));
                    }
                },
                note: self.note.clone(),
            },
            "message" => Command::Message {
                text: self.text.clone(),
            },
            "note" => Command::Note {
                text: self.note.clone(),
            },
            "resolve" => Command::Resolve {
                outcome: self.outcome.clone(),
            },
            "close" => Command::Close,
            "cancel" => Command::Cancel {
                reason: self.reason.clone(),
            },
            "reopen" => Command::Reopen {
                reason: self.reason.clone(),
            },
            "duplicate" => Command::MarkDuplicate {
                of: self.of.clone(),
            },
            _ => return Err(Error::invalid("action", "未知操作", "Unknown action")),
        })
    }
}
