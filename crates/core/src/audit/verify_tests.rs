//! Tests of the verifier: hand-made cases, and random mutations of random chains (a seeded
//! xorshift, so a failure reproduces) of which every single one must be detected.

use time::OffsetDateTime;

use super::*;
use crate::actor::Role;
use crate::audit::{Action, AuditEvent, Outcome, RecordKind};
use crate::ids::UserId;
use crate::regions::RegionCode;

/// xorshift64*: small, seeded, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn random_event(rng: &mut Rng, i: usize) -> AuditEvent {
    let at =
        OffsetDateTime::UNIX_EPOCH + time::Duration::milliseconds(1_775_000_000_000 + i as i64);
    let mut e = AuditEvent::new(Action::ALL[rng.below(Action::ALL.len())], at);
    if rng.below(3) > 0 {
        e.actor = Some(UserId::new());
        e.roles = vec![Role::ALL[rng.below(Role::ALL.len())]];
        e.request_id = Some(format!("req-{}", rng.next() % 10_000));
    }
    if rng.below(4) > 0 {
        e.region = Some(RegionCode(format!("310101{:03}", rng.below(30))));
    }
    if rng.below(4) > 0 {
        e = e.record(RecordKind::Org, [UserId::new().to_string()]);
    }
    if rng.below(5) == 0 {
        e = e.outcome(Outcome::NotFound);
    }
    e
}

fn chain(rng: &mut Rng, n: usize) -> Vec<AuditEntry> {
    let mut head = Anchor::genesis();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let e = AuditEntry::seal(&head, &random_event(rng, i));
        head = e.anchor();
        out.push(e);
    }
    out
}

fn head_of(entries: &[AuditEntry]) -> Anchor {
    entries
        .last()
        .map(AuditEntry::anchor)
        .unwrap_or_else(Anchor::genesis)
}

/// Change one character (or add one to an empty string).
fn mutate_str(rng: &mut Rng, s: &mut String) {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        s.push('x');
        return;
    }
    let i = rng.below(chars.len());
    let old = chars[i];
    let new = if old == 'a' { 'b' } else { 'a' };
    *s = chars
        .iter()
        .enumerate()
        .map(|(j, c)| if j == i { new } else { *c })
        .collect();
}

fn mutate_opt(rng: &mut Rng, s: &mut Option<String>) {
    match s {
        None => *s = Some(String::new()),
        Some(v) if rng.below(2) == 0 => mutate_str(rng, v),
        Some(_) => *s = None,
    }
}

fn flip_int(rng: &mut Rng, n: &mut i64) {
    *n ^= 1 << rng.below(62);
}

/// Flip one field of one entry; returns the field's name.
fn flip_field(rng: &mut Rng, e: &mut AuditEntry) -> &'static str {
    match rng.below(12) {
        0 => {
            flip_int(rng, &mut e.seq);
            "seq"
        }
        1 => {
            flip_int(rng, &mut e.at_ms);
            "at"
        }
        2 => {
            mutate_opt(rng, &mut e.actor);
            "actor"
        }
        3 => {
            mutate_str(rng, &mut e.roles);
            "roles"
        }
        4 => {
            mutate_opt(rng, &mut e.region);
            "region"
        }
        5 => {
            mutate_str(rng, &mut e.action);
            "action"
        }
        6 => {
            mutate_opt(rng, &mut e.record_kind);
            "record_kind"
        }
        7 => {
            mutate_str(rng, &mut e.record_ids);
            "record_ids"
        }
        8 => {
            mutate_opt(rng, &mut e.request_id);
            "request_id"
        }
        9 => {
            mutate_str(rng, &mut e.outcome);
            "outcome"
        }
        10 => {
            mutate_str(rng, &mut e.prev_hash);
            "prev_hash"
        }
        _ => {
            mutate_str(rng, &mut e.hash);
            "hash"
        }
    }
}

#[test]
fn an_intact_chain_verifies_against_its_head_and_checkpoints() {
    let mut rng = Rng(7);
    let log = chain(&mut rng, 30);
    let checkpoints = [log[9].anchor(), log[29].anchor()];
    let s = verify(&log, &head_of(&log), &checkpoints).expect("intact");
    assert_eq!(s.entries, 30);
    assert_eq!(s.checkpoints_matched, 2);
    assert_eq!(
        verify(&[], &Anchor::genesis(), &[]).map(|s| s.entries),
        Ok(0),
        "an empty log is intact"
    );
}

#[test]
fn an_edited_field_names_its_entry() {
    let mut rng = Rng(1);
    let mut log = chain(&mut rng, 5);
    log[2].action = "login".into();
    let head = head_of(&log);
    assert_eq!(
        verify(&log, &head, &[]),
        Err(BadEntry {
            seq: 3,
            problem: Problem::Altered
        })
    );
}

#[test]
fn a_rehashed_edit_breaks_the_link_to_the_next_entry() {
    let mut rng = Rng(2);
    let mut log = chain(&mut rng, 5);
    log[1].outcome = "forbidden".into();
    log[1].hash = log[1].compute_hash();
    let head = head_of(&log);
    assert_eq!(
        verify(&log, &head, &[]).map_err(|b| (b.seq, b.problem)),
        Err((3, Problem::BrokenLink))
    );
}

#[test]
fn a_rewritten_chain_is_caught_by_a_checkpoint() {
    let mut rng = Rng(3);
    let log = chain(&mut rng, 8);
    let checkpoint = log[7].anchor();
    // Rewrite from entry 3 on, re-hashing everything after it, and fix the head row.
    let mut forged = log[..2].to_vec();
    for old in &log[2..] {
        let mut e = old.clone();
        e.prev_hash = head_of(&forged).hash;
        if e.seq == 3 {
            e.record_ids = "someone-else".into();
        }
        e.hash = e.compute_hash();
        forged.push(e);
    }
    let head = head_of(&forged);
    assert!(
        verify(&forged, &head, &[]).is_ok(),
        "without a checkpoint it looks intact"
    );
    assert_eq!(
        verify(&forged, &head, &[checkpoint]).map_err(|b| (b.seq, b.problem)),
        Err((8, Problem::CheckpointDiffers))
    );
}

#[test]
fn deleting_the_last_entries_is_caught_by_the_head_row_or_else_by_a_checkpoint() {
    let mut rng = Rng(4);
    let log = chain(&mut rng, 10);
    let head = head_of(&log);
    let cut = &log[..7];
    assert_eq!(verify(cut, &head, &[]).map_err(|b| b.seq), Err(8));
    // The head row was back-dated as well: only the checkpoint knows.
    let back_dated = head_of(cut);
    assert!(verify(cut, &back_dated, &[]).is_ok());
    let err = verify(cut, &back_dated, &[head]).expect_err("truncated");
    assert_eq!(err.seq, 8);
    assert_eq!(
        err.problem,
        Problem::Truncated {
            ends_at: 7,
            expected: 10,
            by: "checkpoint"
        }
    );
    assert!(err.to_string().starts_with("entry 8: missing"), "{err}");
}

#[test]
fn entries_after_the_last_checkpoint_can_go_unnoticed_if_the_head_row_is_rewritten_too() {
    // The documented limit of an hourly anchor: at most one period of entries is protected
    // only by the head row (and the server log line written with every checkpoint).
    let mut rng = Rng(5);
    let log = chain(&mut rng, 10);
    let cut = &log[..8];
    assert!(verify(cut, &head_of(cut), &[log[5].anchor()]).is_ok());
}

#[test]
fn every_random_flip_delete_swap_and_truncation_is_detected_and_names_the_first_bad_entry() {
    let mut rng = Rng(0x5EED_2022_0401);
    let mut tried = 0;
    let mut detected = 0;
    for round in 0..2000 {
        let n = 1 + rng.below(40);
        let log = chain(&mut rng, n);
        let head = head_of(&log);
        let checkpoint = [head.clone()];
        let mut bad = log.clone();
        let kind = round % 4;
        // (the verifier's head, the seq it must name at most / exactly, what was done)
        let (check_head, expect_seq, exact, what) = match kind {
            0 => {
                let i = rng.below(n);
                let field = flip_field(&mut rng, &mut bad[i]);
                // A changed seq may be reported at the place it now claims.
                (
                    head.clone(),
                    log[i].seq,
                    field != "seq",
                    format!("flip {field} of {}", i + 1),
                )
            }
            1 => {
                let i = rng.below(n);
                bad.remove(i);
                (
                    head.clone(),
                    (i + 1) as i64,
                    true,
                    format!("delete {}", i + 1),
                )
            }
            2 if n >= 2 => {
                let i = rng.below(n - 1);
                let j = i + 1 + rng.below(n - 1 - i);
                bad.swap(i, j);
                if rng.below(2) == 0 {
                    // As in the database: the rows swap their seq numbers.
                    let (a, b) = (bad[i].seq, bad[j].seq);
                    bad[i].seq = b;
                    bad[j].seq = a;
                }
                (
                    head.clone(),
                    (i + 1) as i64,
                    true,
                    format!("swap {} and {}", i + 1, j + 1),
                )
            }
            _ => {
                let keep = rng.below(n);
                bad.truncate(keep);
                // The head row is back-dated with it; only the checkpoint remembers.
                (
                    head_of(&bad),
                    (keep + 1) as i64,
                    true,
                    format!("truncate to {keep}"),
                )
            }
        };
        if bad == log {
            continue;
        }
        tried += 1;
        match verify(&bad, &check_head, &checkpoint) {
            Ok(_) => panic!("round {round}: undetected: {what}"),
            Err(e) => {
                if exact {
                    assert_eq!(e.seq, expect_seq, "round {round}: {what}: {e}");
                } else {
                    assert!(e.seq <= expect_seq, "round {round}: {what}: {e}");
                }
                detected += 1;
            }
        }
    }
    assert!(tried > 1700, "only {tried} mutations tried");
    assert_eq!(detected, tried, "100% of mutations detected");
}
