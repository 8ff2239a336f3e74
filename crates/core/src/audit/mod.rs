//! The tamper-evident audit log: what is recorded ([`AuditEvent`]: who, in which role and
//! region, did what to which record ids, in which request, with what outcome — never field
//! values), how an event becomes a stored, hash-chained [`AuditEntry`], and the head
//! ([`Anchor`]) that is written outside the database so truncation is detected too.
//! Checking a chain lives in [`verify`]; the use-cases (viewer, verification over the store)
//! in [`service`].

pub mod service;
pub mod verify;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::actor::{Actor, Role};
use crate::ids::UserId;
use crate::regions::RegionCode;

pub use service::{AuditFilter, AuditQuery};
pub use verify::{BadEntry, Problem, Summary, Verifier, verify};

/// What happened. Stored by its `as_str` name; new actions are only ever added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Login,
    LoginFailed,
    Logout,
    /// An authenticated request refused by the core (403, or 404 for a record outside scope).
    Denied,
    OrgCreated,
    OrgUpdated,
    UserCreated,
    GrantAdded,
    GrantRevoked,
    PlaceAdded,
    RegionsImported,
    LangChanged,
    AuditViewed,
}

impl Action {
    pub const ALL: [Action; 13] = [
        Action::Login,
        Action::LoginFailed,
        Action::Logout,
        Action::Denied,
        Action::OrgCreated,
        Action::OrgUpdated,
        Action::UserCreated,
        Action::GrantAdded,
        Action::GrantRevoked,
        Action::PlaceAdded,
        Action::RegionsImported,
        Action::LangChanged,
        Action::AuditViewed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::LoginFailed => "login_failed",
            Action::Logout => "logout",
            Action::Denied => "denied",
            Action::OrgCreated => "org_created",
            Action::OrgUpdated => "org_updated",
            Action::UserCreated => "user_created",
            Action::GrantAdded => "grant_added",
            Action::GrantRevoked => "grant_revoked",
            Action::PlaceAdded => "place_added",
            Action::RegionsImported => "regions_imported",
            Action::LangChanged => "lang_changed",
            Action::AuditViewed => "audit_viewed",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The Chinese label shown in the viewer.
    pub fn zh(self) -> &'static str {
        match self {
            Action::Login => "登录",
            Action::LoginFailed => "登录失败",
            Action::Logout => "退出登录",
            Action::Denied => "访问被拒绝",
            Action::OrgCreated => "登记机构",
            Action::OrgUpdated => "修改机构",
            Action::UserCreated => "新建账号",
            Action::GrantAdded => "授予角色",
            Action::GrantRevoked => "撤销角色",
            Action::PlaceAdded => "添加网格或楼栋",
            Action::RegionsImported => "导入区划代码",
            Action::LangChanged => "切换语言",
            Action::AuditViewed => "查看审计日志",
        }
    }

    /// The English label shown in the viewer.
    pub fn en(self) -> &'static str {
        match self {
            Action::Login => "Logged in",
            Action::LoginFailed => "Login failed",
            Action::Logout => "Logged out",
            Action::Denied => "Access denied",
            Action::OrgCreated => "Organisation created",
            Action::OrgUpdated => "Organisation edited",
            Action::UserCreated => "Account created",
            Action::GrantAdded => "Role granted",
            Action::GrantRevoked => "Role revoked",
            Action::PlaceAdded => "Place added",
            Action::RegionsImported => "Regions imported",
            Action::LangChanged => "Language changed",
            Action::AuditViewed => "Audit log viewed",
        }
    }
}

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

/// A count of entries and the hash of the last one: the database head row, and the
/// checkpoints written outside the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
}

/// The `prev_hash` of entry 1.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl Anchor {
    /// The head of an empty log.
    pub fn genesis() -> Anchor {
        Anchor {
            seq: 0,
            hash: GENESIS.into(),
        }
    }
}

/// One stored entry, field for field as the store keeps it (lists joined by single spaces),
/// so the hash is over exactly what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// 1, 2, 3, … without gaps.
    pub seq: i64,
    /// Milliseconds since the Unix epoch, UTC.
    pub at_ms: i64,
    /// Hyphenated UUID of the actor.
    pub actor: Option<String>,
    /// Role names joined by spaces.
    pub roles: String,
    pub region: Option<String>,
    pub action: String,
    pub record_kind: Option<String>,
    /// Record ids joined by spaces.
    pub record_ids: String,
    pub request_id: Option<String>,
    pub outcome: String,
    /// Hash of the previous entry ([`GENESIS`] for entry 1), lower-case hex.
    pub prev_hash: String,
    /// SHA-256 over [`AuditEntry::canonical_bytes`], lower-case hex.
    pub hash: String,
}

/// Milliseconds since the epoch (the stored time resolution).
pub fn unix_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000_000)).unwrap_or(i64::MAX)
}

/// Ids are joined by spaces, so whitespace inside one becomes `_`; empty ids are dropped.
fn clean_id(id: &str) -> Option<String> {
    let s: String = id
        .trim()
        .chars()
        .take(120)
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect();
    (!s.is_empty()).then_some(s)
}

impl AuditEntry {
    /// Turn an event into the entry that follows `prev` (the current head) in the chain.
    pub fn seal(prev: &Anchor, e: &AuditEvent) -> AuditEntry {
        let roles: Vec<&str> = e.roles.iter().map(|r| r.as_str()).collect();
        let ids: Vec<String> = e.record_ids.iter().filter_map(|i| clean_id(i)).collect();
        let mut entry = AuditEntry {
            seq: prev.seq + 1,
            at_ms: unix_ms(e.at),
            actor: e.actor.map(|a| a.to_string()),
            roles: roles.join(" "),
            region: e.region.as_ref().map(|r| r.0.clone()),
            action: e.action.as_str().into(),
            record_kind: e.record_kind.map(|k| k.as_str().into()),
            record_ids: ids.join(" "),
            request_id: e.request_id.as_deref().and_then(clean_id),
            outcome: e.outcome.as_str().into(),
            prev_hash: prev.hash.clone(),
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        entry
    }

    /// An unambiguous encoding of every field but `hash`: a version tag, then each field in
    /// a fixed order — integers as 8 big-endian bytes, strings as an 8-byte length and their
    /// UTF-8 bytes, optional values as a 0 byte (absent) or a 1 byte and the value.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(256);
        b.extend_from_slice(b"wushe-audit-v1\n");
        b.extend_from_slice(&self.seq.to_be_bytes());
        b.extend_from_slice(&self.at_ms.to_be_bytes());
        put_opt(&mut b, self.actor.as_deref());
        put_str(&mut b, &self.roles);
        put_opt(&mut b, self.region.as_deref());
        put_str(&mut b, &self.action);
        put_opt(&mut b, self.record_kind.as_deref());
        put_str(&mut b, &self.record_ids);
        put_opt(&mut b, self.request_id.as_deref());
        put_str(&mut b, &self.outcome);
        put_str(&mut b, &self.prev_hash);
        b
    }

    /// SHA-256 of the canonical bytes, lower-case hex.
    pub fn compute_hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_bytes()))
    }

    /// This entry as a head.
    pub fn anchor(&self) -> Anchor {
        Anchor {
            seq: self.seq,
            hash: self.hash.clone(),
        }
    }

    pub fn at(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.at_ms) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    pub fn role_names(&self) -> impl Iterator<Item = &str> {
        self.roles.split(' ').filter(|s| !s.is_empty())
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.record_ids.split(' ').filter(|s| !s.is_empty())
    }
}

fn put_str(b: &mut Vec<u8>, s: &str) {
    b.extend_from_slice(&(s.len() as u64).to_be_bytes());
    b.extend_from_slice(s.as_bytes());
}

fn put_opt(b: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => b.push(0),
        Some(s) => {
            b.push(1);
            put_str(b, s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Grant;

    fn actor() -> Actor {
        Actor {
            user_id: UserId::new(),
            username: "wang.li".into(),
            display_name: "王丽".into(),
            region: RegionCode("310101020".into()),
            request_id: Some("req-1".into()),
            grants: vec![
                Grant {
                    role: Role::SocialWorker,
                    region: RegionCode("310101020001".into()),
                    org: None,
                },
                Grant {
                    role: Role::Admin,
                    region: RegionCode("310101020".into()),
                    org: None,
                },
            ],
        }
    }

    fn at() -> OffsetDateTime {
        time::macros::datetime!(2026-04-03 08:00:00.123_456 UTC)
    }

    #[test]
    fn every_action_name_round_trips_and_is_unique() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        let mut names: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len());
    }

    #[test]
    fn an_event_by_an_actor_carries_their_id_roles_home_region_and_request() {
        let a = actor();
        let e = AuditEvent::new(Action::OrgCreated, at()).by(&a);
        assert_eq!(e.actor, Some(a.user_id));
        assert_eq!(e.roles, vec![Role::Admin, Role::SocialWorker]);
        assert_eq!(e.region, Some(a.region.clone()));
        assert_eq!(e.request_id.as_deref(), Some("req-1"));
    }

    #[test]
    fn sealing_chains_to_the_head_and_stores_milliseconds() {
        let a = actor();
        let e = AuditEvent::new(Action::OrgCreated, at())
            .by(&a)
            .record(RecordKind::Org, ["0190e0a0-0000-7000-8000-000000000001"]);
        let first = AuditEntry::seal(&Anchor::genesis(), &e);
        assert_eq!(first.seq, 1);
        assert_eq!(first.prev_hash, GENESIS);
        assert_eq!(first.at_ms, 1_775_203_200_123);
        assert_eq!(first.roles, "admin social_worker");
        assert_eq!(first.hash, first.compute_hash());
        assert_eq!(first.hash.len(), 64);
        let second = AuditEntry::seal(&first.anchor(), &e);
        assert_eq!(second.seq, 2);
        assert_eq!(second.prev_hash, first.hash);
        assert_ne!(
            second.hash, first.hash,
            "the same event twice hashes differently"
        );
    }

    #[test]
    fn ids_with_whitespace_cannot_forge_a_second_id() {
        let e = AuditEvent::new(Action::Denied, at()).record(RecordKind::Route, ["a b", " ", "c"]);
        let entry = AuditEntry::seal(&Anchor::genesis(), &e);
        assert_eq!(entry.record_ids, "a_b c");
        assert_eq!(entry.ids().collect::<Vec<_>>(), vec!["a_b", "c"]);
    }

    #[test]
    fn the_encoding_separates_fields_so_moving_text_between_them_changes_the_hash() {
        let e = AuditEvent::new(Action::Login, at()).record(RecordKind::User, ["ab"]);
        let base = AuditEntry::seal(&Anchor::genesis(), &e);
        // Same concatenated text, different split between two fields.
        let mut moved = base.clone();
        moved.record_kind = Some("userab".into());
        moved.record_ids = String::new();
        assert_ne!(base.canonical_bytes(), moved.canonical_bytes());
        // Absent and empty are different.
        let mut empty = base.clone();
        empty.request_id = Some(String::new());
        assert_ne!(base.compute_hash(), empty.compute_hash());
    }

    #[test]
    fn a_known_entry_has_a_fixed_hash() {
        // Pins the encoding: changing it would break every stored chain.
        let e = AuditEntry {
            seq: 1,
            at_ms: 0,
            actor: None,
            roles: String::new(),
            region: Some("31".into()),
            action: "regions_imported".into(),
            record_kind: Some("place".into()),
            record_ids: String::new(),
            request_id: None,
            outcome: "ok".into(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
        };
        let mut expected = Vec::new();
        expected.extend_from_slice(b"wushe-audit-v1\n");
        expected.extend_from_slice(&1i64.to_be_bytes());
        expected.extend_from_slice(&0i64.to_be_bytes());
        expected.push(0);
        expected.extend_from_slice(&0u64.to_be_bytes());
        expected.push(1);
        expected.extend_from_slice(&2u64.to_be_bytes());
        expected.extend_from_slice(b"31");
        expected.extend_from_slice(&16u64.to_be_bytes());
        expected.extend_from_slice(b"regions_imported");
        expected.push(1);
        expected.extend_from_slice(&5u64.to_be_bytes());
        expected.extend_from_slice(b"place");
        expected.extend_from_slice(&0u64.to_be_bytes());
        expected.push(0);
        expected.extend_from_slice(&2u64.to_be_bytes());
        expected.extend_from_slice(b"ok");
        expected.extend_from_slice(&64u64.to_be_bytes());
        expected.extend_from_slice(GENESIS.as_bytes());
        assert_eq!(e.canonical_bytes(), expected);
        // Computed independently (Python hashlib over the same bytes).
        assert_eq!(
            e.compute_hash(),
            "4a2a4050a87ecde9f010e1e4620245cc7c4f2e7fcaf042bfaacd23c04bed495c"
        );
    }
}
