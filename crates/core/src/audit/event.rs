//! What is recorded: an [`AuditEvent`] says who (user id, roles, home or record region),
//! did what ([`Action`]) to which records ([`RecordKind`] and ids), in which request, with
//! what [`Outcome`] — never field values. Use-cases build events; stores seal them.

use time::OffsetDateTime;

use super::Action;
use crate::actor::{Actor, Role};
use crate::ids::UserId;
use crate::regions::RegionCode;

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// Wrong credentials.
    Failed,
    /// 403: the actor sees the record but may not do this.
    Forbidden,
    /// 404 for a record outside the actor's scope.
    NotFound,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::Forbidden => "forbidden",
            Outcome::NotFound => "not_found",
        }
    }
}

/// The kind of record an entry's ids refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Org,
    User,
    /// Ids: the user, then the grant.
    Grant,
    /// Ids: place codes.
    Place,
    /// Ids: `METHOD:/route/{template}`, then the id-like path parameters (denials).
    Route,
    /// Ids: the user and record ids a viewer filtered by.
    Audit,
    /// Ids: the token's owner, then the token.
    Token,
    /// Ids: `table.column`, then the row.
    Sealed,
    Need,
    Campaign,
    Signup,
    Post,
    Shift,
    Booking,
    /// Ids: the need's task, then the offer or volunteer where there is one.
    Task,
    Certificate,
    Person,
    Check,
    Webhook,
    OutboxMessage,
    /// Ids: one-time text codes (or `count:N` for a purge).
    SmsCode,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Org => "org",
            RecordKind::User => "user",
            RecordKind::Grant => "grant",
            RecordKind::Place => "place",
            RecordKind::Route => "route",
            RecordKind::Audit => "audit",
            RecordKind::Token => "token",
            RecordKind::Sealed => "sealed",
            RecordKind::Need => "need",
            RecordKind::Campaign => "campaign",
            RecordKind::Signup => "signup",
            RecordKind::Post => "post",
            RecordKind::Shift => "shift",
            RecordKind::Booking => "booking",
            RecordKind::Task => "task",
            RecordKind::Certificate => "certificate",
            RecordKind::Check => "check",
            RecordKind::Person => "person",
            RecordKind::Webhook => "webhook",
            RecordKind::OutboxMessage => "outbox",
            RecordKind::SmsCode => "sms_code",
        }
    }
}

/// One thing that happened, as the use-case that did it describes it. Carries ids only:
/// never names, phone numbers, passwords or any other field value.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// From the injected clock; stored in UTC to the millisecond.
    pub at: OffsetDateTime,
    /// `None` for the command line ("system") and for logins that did not authenticate.
    pub actor: Option<UserId>,
    /// The actor's roles (anywhere), sorted.
    pub roles: Vec<Role>,
    /// The region the entry is filed under; the viewer shows an entry to those whose
    /// `ViewAudit` scope covers it. `None`: visible only to verification and the CLI.
    pub region: Option<RegionCode>,
    pub action: Action,
    pub record_kind: Option<RecordKind>,
    /// Record ids (UUIDs, place codes, route templates): never contain whitespace.
    pub record_ids: Vec<String>,
    /// The HTTP request it happened in.
    pub request_id: Option<String>,
    pub outcome: Outcome,
}

impl AuditEvent {
    /// An event with no actor (the command line, or an unauthenticated request).
    pub fn new(action: Action, at: OffsetDateTime) -> AuditEvent {
        AuditEvent {
            at,
            actor: None,
            roles: Vec::new(),
            region: None,
            action,
            record_kind: None,
            record_ids: Vec::new(),
            request_id: None,
            outcome: Outcome::Ok,
        }
    }

    /// Done by `actor`: their id, roles and request, filed under their home region until
    /// [`AuditEvent::region`] names the record's region.
    pub fn by(mut self, actor: &Actor) -> AuditEvent {
        self.actor = Some(actor.user_id);
        self.roles = actor.roles();
        self.region = Some(actor.region.clone());
        self.request_id = actor.request_id.clone();
        self
    }

    pub fn region(mut self, region: &RegionCode) -> AuditEvent {
        self.region = Some(region.clone());
        self
    }

    pub fn no_region(mut self) -> AuditEvent {
        self.region = None;
        self
    }

    pub fn record<I, S>(mut self, kind: RecordKind, ids: I) -> AuditEvent
    where
        I: IntoIterator<Item = S>,
        S: ToString,
    {
        self.record_kind = Some(kind);
        self.record_ids = ids.into_iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn request(mut self, request_id: Option<String>) -> AuditEvent {
        self.request_id = request_id;
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> AuditEvent {
        self.outcome = outcome;
        self
    }

    /// The same event with one more record id: stores add the id of a record they create.
    pub fn with_record_id(&self, id: impl ToString) -> AuditEvent {
        let mut e = self.clone();
        e.record_ids.push(id.to_string());
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::fixtures::{actor, at};

    #[test]
    fn an_event_by_an_actor_carries_their_id_roles_home_region_and_request() {
        let a = actor();
        let e = AuditEvent::new(Action::OrgCreated, at()).by(&a);
        assert_eq!(e.actor, Some(a.user_id));
        assert_eq!(e.roles, vec![Role::Admin, Role::SocialWorker]);
        assert_eq!(e.region, Some(a.region.clone()));
        assert_eq!(e.request_id.as_deref(), Some("req-1"));
    }
}
