//! The tamper-evident audit log: what is recorded ([`AuditEvent`]: who, in which role and
//! region, did what to which record ids, in which request, with what outcome — never field
//! values), how an event becomes a stored, hash-chained [`AuditEntry`], and the head
//! ([`Anchor`]) that is written outside the database so truncation is detected too.
//! Events live in `event.rs`, the stored form in `entry.rs`, checking a chain in [`verify`],
//! the use-cases (viewer, verification over the store) in [`service`].

mod entry;
mod event;
pub mod service;
pub mod verify;

pub use entry::{Anchor, AuditEntry, GENESIS, unix_ms};
pub use event::{Action, AuditEvent, Outcome, RecordKind};
pub use service::{AuditFilter, AuditQuery};
pub use verify::{BadEntry, Problem, Summary, Verifier, verify};
