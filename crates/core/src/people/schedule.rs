//! The welfare-check schedule: which day "today" is (China Standard Time), what counts as
//! due and overdue, the order of the today list, and the filters and counts the store answers.

use time::{OffsetDateTime, UtcOffset};

use super::CareLevel;
use crate::ids::UserId;
use crate::regions::RegionCode;

/// China Standard Time: days start at 00:00 in Beijing, wherever the server runs.
pub const CST: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// The start of the day containing `now` (CST), and the start of the next day.
pub fn day_bounds(now: OffsetDateTime) -> (OffsetDateTime, OffsetDateTime) {
    let local = now.to_offset(CST);
    let start = local.replace_time(time::Time::MIDNIGHT);
    (start, start + time::Duration::days(1))
}

/// Due today: the next check falls before the end of today. Overdue: it fell on an earlier
/// day. Returns `(due_before, overdue_before)`.
pub fn due_limits(now: OffsetDateTime) -> (OffsetDateTime, OffsetDateTime) {
    let (start, end) = day_bounds(now);
    (end, start)
}

/// The number of the CST day that starts at `t` (days since 1970-01-01 in Beijing), when `t`
/// is a midnight in Beijing, as the bounds of `due_limits` are; `None` otherwise. The store
/// keeps its due counts per day in these numbers.
pub fn day_number(t: OffsetDateTime) -> Option<i64> {
    let local = t.to_offset(CST);
    let epoch = time::Date::from_ordinal_date(1970, 1).ok()?;
    (local.time() == time::Time::MIDNIGHT).then(|| (local.date() - epoch).whole_days())
}

/// Whole days a check is overdue on `now` (0 when due today or later).
pub fn days_overdue(next_due: OffsetDateTime, now: OffsetDateTime) -> i64 {
    let (start, _) = day_bounds(now);
    if next_due >= start {
        0
    } else {
        let (due_day, _) = day_bounds(next_due);
        (start - due_day).whole_days()
    }
}

/// The order of the today list: most overdue first, then most vulnerable (care level A
/// first), then the earliest due. `items` are `(next_due, level, …)`.
pub fn sort_today<T>(
    items: &mut [T],
    now: OffsetDateTime,
    key: impl Fn(&T) -> (OffsetDateTime, CareLevel),
) {
    items.sort_by_key(|t| {
        let (due, level) = key(t);
        (std::cmp::Reverse(days_overdue(due, now)), level, due)
    });
}

/// Which people a list shows.
#[derive(Debug, Clone, Default)]
pub struct PeopleFilter {
    /// Only people in this region (a prefix), inside the actor's scope.
    pub region: Option<RegionCode>,
    pub worker: Option<UserId>,
    /// Closed records too (anonymised ones are never listed).
    pub include_closed: bool,
    pub limit: u32,
    pub offset: u32,
}

/// How due counts are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueGroup {
    Worker,
    Community,
    Street,
    District,
}

impl DueGroup {
    pub fn parse(s: &str) -> Option<DueGroup> {
        match s {
            "worker" => Some(DueGroup::Worker),
            "community" => Some(DueGroup::Community),
            "street" => Some(DueGroup::Street),
            "district" => Some(DueGroup::District),
            _ => None,
        }
    }

    /// The length of the region code a group is keyed by (none for workers).
    pub fn code_len(self) -> Option<usize> {
        match self {
            DueGroup::Worker => None,
            DueGroup::Community => Some(12),
            DueGroup::Street => Some(9),
            DueGroup::District => Some(6),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DueGroup::Worker => "worker",
            DueGroup::Community => "community",
            DueGroup::Street => "street",
            DueGroup::District => "district",
        }
    }
}

/// Active people of one group, how many are due by the end of today and how many overdue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueCount {
    /// A worker's user id (empty: nobody assigned), or a community, street or district code.
    pub key: String,
    pub active: i64,
    pub due: i64,
    pub overdue: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn days_start_at_midnight_in_beijing() {
        // 2026-11-28 17:00 UTC is 2026-11-29 01:00 in Beijing.
        let now = datetime!(2026-11-28 17:00 UTC);
        let (start, end) = day_bounds(now);
        assert_eq!(start, datetime!(2026-11-28 16:00 UTC));
        assert_eq!(end, datetime!(2026-11-29 16:00 UTC));
        assert_eq!(days_overdue(datetime!(2026-11-28 16:30 UTC), now), 0);
        assert_eq!(days_overdue(datetime!(2026-11-28 15:59 UTC), now), 1);
        assert_eq!(days_overdue(datetime!(2026-11-25 10:00 UTC), now), 4);
        let (due_before, overdue_before) = due_limits(now);
        // 2026-11-29 is day 20,786 since 1970-01-01; the counts' SQL computes the same.
        let cst_day = |t: OffsetDateTime| (t.unix_timestamp() * 1000 + 28_800_000) / 86_400_000;
        assert_eq!(day_number(overdue_before), Some(20_786));
        assert_eq!(day_number(overdue_before), Some(cst_day(overdue_before)));
        assert_eq!(day_number(due_before), Some(20_787));
        assert_eq!(day_number(now), None);
    }

    #[test]
    fn today_is_ordered_by_how_overdue_then_how_vulnerable() {
        let now = datetime!(2026-11-28 02:00 UTC);
        let mut v = vec![
            ("c-today", datetime!(2026-11-28 01:00 UTC), CareLevel::C),
            ("a-today", datetime!(2026-11-28 03:00 UTC), CareLevel::A),
            ("c-3-days", datetime!(2026-11-25 01:00 UTC), CareLevel::C),
            ("b-1-day", datetime!(2026-11-27 01:00 UTC), CareLevel::B),
            ("a-1-day", datetime!(2026-11-27 05:00 UTC), CareLevel::A),
        ];
        sort_today(&mut v, now, |t| (t.1, t.2));
        let names: Vec<&str> = v.iter().map(|t| t.0).collect();
        assert_eq!(
            names,
            vec!["c-3-days", "a-1-day", "b-1-day", "a-today", "c-today"]
        );
    }
}
