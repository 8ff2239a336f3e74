//! The tamper-evident audit log: what is recorded ([`AuditEvent`]: who, in which role and
//! region, did what to which record ids, in which request, with what outcome — never field
//! values), how an event becomes a stored, hash-chained [`AuditEntry`], and the head
//! ([`Anchor`]) that is written outside the database so truncation is detected too.
//! Events live in `event.rs`, the stored form in `entry.rs`, checking a chain in [`verify`],
//! the use-cases (viewer, verification over the store) in [`service`].

mod action;
mod entry;
mod event;
pub mod service;
pub mod verify;

pub use action::Action;
pub use entry::{Anchor, AuditEntry, GENESIS, unix_ms};
pub use event::{AuditEvent, Outcome, RecordKind};
pub use service::{AuditFilter, AuditQuery};
pub use verify::{BadEntry, Problem, Summary, Verifier, verify};

/// A signed-in social worker and admin, and a fixed time, for the audit unit tests.
#[cfg(test)]
mod fixtures {
    use time::OffsetDateTime;

    use crate::actor::{Actor, Grant, Role};
    use crate::ids::UserId;
    use crate::regions::RegionCode;

    pub fn actor() -> Actor {
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

    pub fn at() -> OffsetDateTime {
        time::macros::datetime!(2026-04-03 08:00:00.123_456 UTC)
    }
}
