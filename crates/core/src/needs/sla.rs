//! SLA clocks and escalation (DOMAIN.md): each priority has a first-response and a resolution
//! interval. Missing the first response → level 1 (supervisors of the community or station);
//! still unacknowledged after another first-response interval, or the resolution deadline
//! missed → level 2 (street staff); one more first-response interval after level 2 without
//! resolution → level 3 (district civil affairs). Each step happens once.

use time::{Duration, OffsetDateTime};

use super::Priority;

/// First-response and resolution intervals per priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaPolicy {
    pub first_response: [Duration; 4],
    pub resolution: [Duration; 4],
}

impl Default for SlaPolicy {
    /// P1 15 min / 2 h, P2 1 h / 12 h, P3 4 h / 48 h, P4 24 h / 7 d.
    fn default() -> Self {
        SlaPolicy {
            first_response: [
                Duration::minutes(15),
                Duration::hours(1),
                Duration::hours(4),
                Duration::hours(24),
            ],
            resolution: [
                Duration::hours(2),
                Duration::hours(12),
                Duration::hours(48),
                Duration::days(7),
            ],
        }
    }
}

fn idx(p: Priority) -> usize {
    match p {
        Priority::P1 => 0,
        Priority::P2 => 1,
        Priority::P3 => 2,
        Priority::P4 => 3,
    }
}

/// What the clocks need to know about one open need.
#[derive(Debug, Clone, Copy)]
pub struct Clocks {
    pub priority: Priority,
    pub created_at: OffsetDateTime,
    /// First response by staff (acknowledged), if any.
    pub acknowledged_at: Option<OffsetDateTime>,
}

impl SlaPolicy {
    pub fn first_response_due(&self, c: &Clocks) -> OffsetDateTime {
        c.created_at + self.first_response[idx(c.priority)]
    }

    pub fn resolution_due(&self, c: &Clocks) -> OffsetDateTime {
        c.created_at + self.resolution[idx(c.priority)]
    }

    fn unacknowledged_at(c: &Clocks, t: OffsetDateTime) -> bool {
        c.acknowledged_at.is_none_or(|a| a > t)
    }

    /// When each level is reached (if it is), for an open need.
    fn level_times(&self, c: &Clocks) -> [Option<OffsetDateTime>; 3] {
        let fr = self.first_response[idx(c.priority)];
        let first_due = self.first_response_due(c);
        let l1 = Self::unacknowledged_at(c, first_due).then_some(first_due);
        let second_due = first_due + fr;
        let by_silence = Self::unacknowledged_at(c, second_due).then_some(second_due);
        let l2 = match by_silence {
            Some(t) => Some(t.min(self.resolution_due(c))),
            None => Some(self.resolution_due(c)),
        };
        let l3 = l2.map(|t| t + fr);
        [l1, l2, l3]
    }

    /// The escalation level (0–3) an open need should have reached at `now`.
    pub fn level_at(&self, c: &Clocks, now: OffsetDateTime) -> u8 {
        self.level_times(c)
            .iter()
            .enumerate()
            .filter(|(_, t)| t.is_some_and(|t| t <= now))
            .map(|(i, _)| i as u8 + 1)
            .max()
            .unwrap_or(0)
    }

    /// When the need should next be looked at, after `current` level: `None` when level 3 is
    /// reached or no further step can come.
    pub fn next_check(&self, c: &Clocks, current: u8) -> Option<OffsetDateTime> {
        self.level_times(c)
            .iter()
            .enumerate()
            .filter(|(i, _)| *i as u8 + 1 > current)
            .filter_map(|(_, t)| *t)
            .min()
    }

    /// "还剩 12 分钟" / "已超时 5 分钟" for a deadline.
    pub fn remaining(deadline: OffsetDateTime, now: OffsetDateTime) -> (bool, Duration) {
        if now <= deadline {
            (false, deadline - now)
        } else {
            (true, now - deadline)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: OffsetDateTime = time::macros::datetime!(2026-04-03 08:00 UTC);

    fn p1(ack: Option<i64>) -> Clocks {
        Clocks {
            priority: Priority::P1,
            created_at: T0,
            acknowledged_at: ack.map(|m| T0 + Duration::minutes(m)),
        }
    }

    #[test]
    fn an_unanswered_p1_escalates_at_15_30_and_45_minutes() {
        let s = SlaPolicy::default();
        let c = p1(None);
        assert_eq!(s.level_at(&c, T0 + Duration::minutes(14)), 0);
        assert_eq!(s.level_at(&c, T0 + Duration::minutes(15)), 1);
        assert_eq!(s.level_at(&c, T0 + Duration::minutes(30)), 2);
        assert_eq!(s.level_at(&c, T0 + Duration::minutes(45)), 3);
        assert_eq!(s.next_check(&c, 0), Some(T0 + Duration::minutes(15)));
        assert_eq!(s.next_check(&c, 1), Some(T0 + Duration::minutes(30)));
        assert_eq!(s.next_check(&c, 3), None);
    }

    #[test]
    fn an_acknowledged_p1_escalates_only_when_the_resolution_deadline_passes() {
        let s = SlaPolicy::default();
        let c = p1(Some(10));
        assert_eq!(s.level_at(&c, T0 + Duration::minutes(100)), 0);
        assert_eq!(s.level_at(&c, T0 + Duration::hours(2)), 2);
        assert_eq!(
            s.level_at(&c, T0 + Duration::hours(2) + Duration::minutes(15)),
            3
        );
        assert_eq!(s.next_check(&c, 0), Some(T0 + Duration::hours(2)));
    }

    #[test]
    fn a_late_acknowledgement_keeps_level_1_but_stops_level_2_by_silence() {
        let s = SlaPolicy::default();
        let c = p1(Some(20));
        assert_eq!(s.level_at(&c, T0 + Duration::minutes(29)), 1);
        assert_eq!(s.level_at(&c, T0 + Duration::minutes(90)), 1);
        assert_eq!(s.level_at(&c, T0 + Duration::hours(2)), 2);
    }

    #[test]
    fn deadlines_follow_the_priority_table_and_time_left_reads_both_ways() {
        let s = SlaPolicy::default();
        let c = Clocks {
            priority: Priority::P3,
            created_at: T0,
            acknowledged_at: None,
        };
        assert_eq!(s.first_response_due(&c), T0 + Duration::hours(4));
        assert_eq!(s.resolution_due(&c), T0 + Duration::hours(48));
        assert_eq!(
            SlaPolicy::remaining(T0, T0 - Duration::minutes(12)),
            (false, Duration::minutes(12))
        );
        assert_eq!(
            SlaPolicy::remaining(T0, T0 + Duration::minutes(5)),
            (true, Duration::minutes(5))
        );
    }
}
