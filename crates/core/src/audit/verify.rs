//! Checking a hash chain: entries are fed in `seq` order (a page at a time, so a city-sized
//! log never sits in memory), then the head row and the checkpoints written outside the
//! database are compared. The first bad entry is named with what is wrong with it.

use std::collections::BTreeMap;

use crate::audit::{Anchor, AuditEntry, GENESIS};

/// What is wrong with an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// This entry is not where it should be: deleted, or entries were reordered.
    Missing,
    /// An entry with this `seq` appears again, or after a later one.
    OutOfOrder,
    /// The stored fields do not hash to the stored hash: the entry was edited.
    Altered,
    /// The entry does not name the previous entry's hash.
    BrokenLink,
    /// The log ends at `ends_at`, but `by` recorded `expected` entries.
    Truncated {
        ends_at: i64,
        expected: i64,
        by: &'static str,
    },
    /// The entry's hash is not the one a checkpoint recorded for it: the chain was rewritten.
    CheckpointDiffers,
    /// The head row in the database does not match the entries.
    HeadDiffers,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Missing => f.write_str("missing (deleted, or entries were reordered)"),
            Problem::OutOfOrder => f.write_str("out of order (repeated or moved)"),
            Problem::Altered => f.write_str("altered (its fields do not match its hash)"),
            Problem::BrokenLink => f.write_str(
                "does not link to the entry before it (an entry was removed, inserted or rewritten)",
            ),
            Problem::Truncated {
                ends_at,
                expected,
                by,
            } => write!(
                f,
                "missing: the log ends at entry {ends_at} but the {by} records {expected} entries (truncated)"
            ),
            Problem::CheckpointDiffers => {
                f.write_str("differs from the checkpoint written for it (the chain was rewritten)")
            }
            Problem::HeadDiffers => f.write_str("does not match the head row of the log"),
        }
    }
}

/// The first bad entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEntry {
    pub seq: i64,
    pub problem: Problem,
}

impl std::fmt::Display for BadEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "entry {}: {}", self.seq, self.problem)
    }
}

/// What an intact log looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub entries: i64,
    pub head: Anchor,
    /// Checkpoints whose entry was found and matched.
    pub checkpoints_matched: usize,
}

/// Checks entries fed in `seq` order against each other and, at the end, against the
/// head row and the checkpoints.
#[derive(Debug)]
pub struct Verifier {
    count: i64,
    last_hash: String,
    /// seq → every hash a checkpoint recorded for it.
    checkpoints: BTreeMap<i64, Vec<String>>,
    matched: usize,
}

impl Verifier {
    pub fn new(checkpoints: &[Anchor]) -> Verifier {
        let mut map: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for c in checkpoints.iter().filter(|c| c.seq > 0) {
            map.entry(c.seq).or_default().push(c.hash.clone());
        }
        Verifier {
            count: 0,
            last_hash: GENESIS.into(),
            checkpoints: map,
            matched: 0,
        }
    }

    /// Check the next entry.
    pub fn push(&mut self, e: &AuditEntry) -> Result<(), BadEntry> {
        let expected = self.count + 1;
        let bad = |seq, problem| Err(BadEntry { seq, problem });
        if e.seq > expected {
            return bad(expected, Problem::Missing);
        }
        if e.seq < expected {
            return bad(e.seq, Problem::OutOfOrder);
        }
        if e.compute_hash() != e.hash {
            return bad(e.seq, Problem::Altered);
        }
        if e.prev_hash != self.last_hash {
            return bad(e.seq, Problem::BrokenLink);
        }
        if let Some(hashes) = self.checkpoints.get(&e.seq) {
            if hashes.iter().any(|h| *h != e.hash) {
                return bad(e.seq, Problem::CheckpointDiffers);
            }
            self.matched += hashes.len();
        }
        self.count = e.seq;
        self.last_hash.clone_from(&e.hash);
        Ok(())
    }

    /// After the last entry: compare with the database head row and the checkpoints.
    pub fn finish(self, head: &Anchor) -> Result<Summary, BadEntry> {
        let n = self.count;
        let truncated = |expected, by| {
            Err(BadEntry {
                seq: n + 1,
                problem: Problem::Truncated {
                    ends_at: n,
                    expected,
                    by,
                },
            })
        };
        if head.seq > n {
            return truncated(head.seq, "head row");
        }
        if let Some((&latest, _)) = self.checkpoints.last_key_value()
            && latest > n
        {
            return truncated(latest, "checkpoint");
        }
        if head.seq < n {
            return Err(BadEntry {
                seq: head.seq + 1,
                problem: Problem::HeadDiffers,
            });
        }
        if head.hash != self.last_hash {
            return Err(BadEntry {
                seq: n,
                problem: Problem::HeadDiffers,
            });
        }
        Ok(Summary {
            entries: n,
            head: head.clone(),
            checkpoints_matched: self.matched,
        })
    }
}

/// Check a whole chain held in memory (tests and small logs).
pub fn verify(
    entries: &[AuditEntry],
    head: &Anchor,
    checkpoints: &[Anchor],
) -> Result<Summary, BadEntry> {
    let mut v = Verifier::new(checkpoints);
    for e in entries {
        v.push(e)?;
    }
    v.finish(head)
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
