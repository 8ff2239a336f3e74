//! The stored form: an [`AuditEntry`] is an event sealed onto the chain (seq, previous
//! hash, its own hash over an unambiguous encoding of every field), and an [`Anchor`] is a
//! head — count and last hash — kept in the database and written to checkpoints.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::audit::AuditEvent;

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
    use crate::audit::fixtures::{actor, at};
    use crate::audit::{Action, RecordKind};

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
