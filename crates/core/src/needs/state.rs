//! The life of a need: `new` → `triaged` → `assigned` → `in_progress` → `resolved` → `closed`;
//! `cancelled` and `duplicate` end it early; `resolved` may reopen. Escalation (0–3) is kept
//! apart from the state.

use serde::{Deserialize, Serialize};

/// Where a need stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    New,
    Triaged,
    Assigned,
    InProgress,
    Resolved,
    Closed,
    Cancelled,
    Duplicate,
}

/// Something done to a need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A person reviewed the priority.
    Triage,
    /// Given (or given again) to a worker.
    Assign,
    /// The worker started.
    Start,
    Resolve,
    Close,
    Cancel,
    /// Merged into another need.
    MarkDuplicate,
    Reopen,
}

impl State {
    pub const ALL: [State; 8] = [
        State::New,
        State::Triaged,
        State::Assigned,
        State::InProgress,
        State::Resolved,
        State::Closed,
        State::Cancelled,
        State::Duplicate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::New => "new",
            State::Triaged => "triaged",
            State::Assigned => "assigned",
            State::InProgress => "in_progress",
            State::Resolved => "resolved",
            State::Closed => "closed",
            State::Cancelled => "cancelled",
            State::Duplicate => "duplicate",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Plain words for residents and staff.
    pub fn zh(self) -> &'static str {
        match self {
            State::New => "已收到",
            State::Triaged => "已评估",
            State::Assigned => "已安排人员",
            State::InProgress => "正在处理",
            State::Resolved => "已解决",
            State::Closed => "已结束",
            State::Cancelled => "已取消",
            State::Duplicate => "已合并",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            State::New => "Received",
            State::Triaged => "Assessed",
            State::Assigned => "Someone is assigned",
            State::InProgress => "Being handled",
            State::Resolved => "Resolved",
            State::Closed => "Closed",
            State::Cancelled => "Cancelled",
            State::Duplicate => "Merged",
        }
    }

    /// No action changes a final state.
    pub fn is_final(self) -> bool {
        matches!(self, State::Closed | State::Cancelled | State::Duplicate)
    }

    /// Still waiting for someone to act (counts towards the queue and the SLA clocks).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            State::New | State::Triaged | State::Assigned | State::InProgress
        )
    }
}

/// The state after `action`, or `None` when the action does not apply.
pub fn next(state: State, action: Action) -> Option<State> {
    use Action as A;
    use State as S;
    match (state, action) {
        (S::New | S::Triaged, A::Triage) => Some(S::Triaged),
        (S::New | S::Triaged | S::Assigned | S::InProgress, A::Assign) => Some(S::Assigned),
        (S::Assigned, A::Start) => Some(S::InProgress),
        (S::Triaged | S::Assigned | S::InProgress, A::Resolve) => Some(S::Resolved),
        (S::Resolved, A::Close) => Some(S::Closed),
        (S::Resolved, A::Reopen) => Some(S::InProgress),
        (s, A::Cancel) if s.is_open() => Some(S::Cancelled),
        (s, A::MarkDuplicate) if s.is_open() => Some(S::Duplicate),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTIONS: [Action; 8] = [
        Action::Triage,
        Action::Assign,
        Action::Start,
        Action::Resolve,
        Action::Close,
        Action::Cancel,
        Action::MarkDuplicate,
        Action::Reopen,
    ];

    /// Called for every step: (from, action, to, the path so far).
    type Check<'a> = dyn FnMut(State, Action, Option<State>, &[Action]) + 'a;

    /// Every sequence of up to 7 actions from `new`, each step checked.
    fn walk(state: State, depth: usize, path: &mut Vec<Action>, check: &mut Check<'_>) {
        if depth == 0 {
            return;
        }
        for a in ACTIONS {
            let n = next(state, a);
            check(state, a, n, path);
            if let Some(n) = n {
                path.push(a);
                walk(n, depth - 1, path, check);
                path.pop();
            }
        }
    }

    #[test]
    fn no_path_leaves_a_final_state_and_closing_needs_a_resolution() {
        let mut paths = 0u64;
        walk(
            State::New,
            7,
            &mut Vec::new(),
            &mut |from, action, to, path| {
                paths += 1;
                if from.is_final() {
                    assert_eq!(to, None, "{from:?} left by {action:?} after {path:?}");
                }
                if to == Some(State::Closed) {
                    assert_eq!(
                        from,
                        State::Resolved,
                        "closed without resolving after {path:?}"
                    );
                }
                if to == Some(State::InProgress) {
                    assert!(
                        matches!(from, State::Assigned | State::Resolved),
                        "{from:?} → in_progress"
                    );
                }
                if to == Some(State::New) {
                    panic!("nothing returns a need to new");
                }
            },
        );
        assert!(paths > 3_000, "explored {paths}");
    }

    #[test]
    fn every_open_state_can_be_cancelled_or_merged_and_reach_closed() {
        for s in State::ALL.into_iter().filter(|s| s.is_open()) {
            assert_eq!(next(s, Action::Cancel), Some(State::Cancelled));
            assert_eq!(next(s, Action::MarkDuplicate), Some(State::Duplicate));
            // A short way to closed exists from every open state.
            let mut cur = s;
            for a in [Action::Assign, Action::Resolve, Action::Close] {
                cur = next(cur, a).unwrap_or(cur);
            }
            assert_eq!(cur, State::Closed, "from {s:?}");
        }
        assert_eq!(
            next(State::Resolved, Action::Cancel),
            None,
            "a resolved need is reopened, not cancelled"
        );
    }

    #[test]
    fn names_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
    }
}
