//! One change of a need, built step by step — state transition, timeline events with sealed
//! notes, notifications — and written once; and when its SLA clocks must next be looked at.

use time::OffsetDateTime;

use super::record::Need;
use super::sla::{Clocks, SlaPolicy};
use super::state;
use super::timeline::{EventData, EventKind, NOTE, NeedChange, NeedEvent, Notification};
use crate::crypto::Cipher;
use crate::error::{Error, Result};
use crate::ids::{NeedEventId, NotificationId, UserId};

/// When the clocks must next be looked at, for the need as it now stands.
pub fn next_sla_check(sla: &SlaPolicy, need: &Need) -> Option<OffsetDateTime> {
    if !need.state.is_open() {
        return None;
    }
    sla.next_check(
        &Clocks {
            priority: need.priority,
            created_at: need.created_at,
            acknowledged_at: need.acknowledged_at,
        },
        need.escalation.clamp(0, 3) as u8,
    )
}

/// A change of `need` built step by step, then written once.
pub struct Draft<'a> {
    cipher: &'a Cipher,
    pub change: NeedChange,
    now: OffsetDateTime,
    actor: Option<UserId>,
}

impl<'a> Draft<'a> {
    pub fn new(
        cipher: &'a Cipher,
        need: &Need,
        actor: Option<UserId>,
        now: OffsetDateTime,
    ) -> Self {
        let mut next = need.clone();
        next.version = need.version + 1;
        next.updated_at = now;
        Draft {
            cipher,
            change: NeedChange {
                need: next,
                expected_version: need.version,
                events: Vec::new(),
                referral: None,
                task: None,
                escalations: Vec::new(),
                notifications: Vec::new(),
            },
            now,
            actor,
        }
    }

    pub fn need(&mut self) -> &mut Need {
        &mut self.change.need
    }

    /// Move the state by `action`, or refuse with a clear message.
    pub fn transition(&mut self, action: state::Action) -> Result<()> {
        let from = self.change.need.state;
        let to = state::next(from, action).ok_or_else(|| {
            Error::Conflict(format!(
                "此求助当前为“{}”，不能这样操作 / Not possible while the need is '{}'",
                from.zh(),
                from.en()
            ))
        })?;
        self.change.need.state = to;
        Ok(())
    }

    /// Add a timeline event; `note` is sealed to the event's id.
    pub fn event(&mut self, kind: EventKind, data: EventData, note: Option<&str>) -> Result<()> {
        let id = NeedEventId::new();
        let note = note
            .filter(|n| !n.is_empty())
            .map(|n| self.cipher.seal_str(NOTE.field(id.0), n))
            .transpose()?;
        let mut data = data;
        if data.state.is_none() {
            data.state = Some(self.change.need.state);
        }
        self.change.events.push(NeedEvent {
            id,
            need: self.change.need.id,
            at: self.now,
            kind,
            actor: self.actor,
            data,
            note,
        });
        Ok(())
    }

    pub fn notify(&mut self, user: UserId, kind: EventKind, level: Option<u8>) {
        if self.change.notifications.iter().any(|n| n.user == user) {
            return;
        }
        self.change.notifications.push(Notification {
            id: NotificationId::new(),
            user,
            need: Some(self.change.need.id),
            kind,
            level,
            at: self.now,
            read: false,
        });
    }

    /// Finish: the next SLA check follows from the new values.
    pub fn finish(mut self, sla: &SlaPolicy) -> NeedChange {
        self.change.need.sla_next_at = next_sla_check(sla, &self.change.need);
        self.change
    }
}
