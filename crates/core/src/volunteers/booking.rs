//! Shift booking rules, pure: a booking is refused when the shift has ended, is full, or
//! overlaps another shift the person holds; check-in and check-out follow the shift's window;
//! hours count only the checked time inside the shift. The database enforces the first two
//! rules again (a CHECK on `taken <= slots` and an overlap trigger), so a race cannot break them.

use time::{Duration, OffsetDateTime};

use crate::error::{Error, FieldError};

/// How early before its start a shift may be checked into.
pub const EARLY_CHECK_IN: Duration = Duration::minutes(30);
/// How long after its end a shift may still be checked out of.
pub const LATE_CHECK_OUT: Duration = Duration::hours(2);
/// The longest shift (a night shift).
pub const MAX_SHIFT: Duration = Duration::hours(12);

/// A time window `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
}

impl Window {
    pub fn overlaps(&self, other: &Window) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn length(&self) -> Duration {
        self.end - self.start
    }
}

/// Why a booking is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Ended,
    Full,
    Overlap,
    AlreadyBooked,
}

impl Refusal {
    /// The bilingual message shown next to the shift.
    pub fn message(self) -> (&'static str, &'static str) {
        match self {
            Refusal::Ended => (
                "这个班次已经结束，不能再报名",
                "This shift has ended; it can no longer be booked",
            ),
            Refusal::Full => (
                "这个班次的名额已满，请选择其他班次",
                "This shift is full; choose another shift",
            ),
            Refusal::Overlap => (
                "这个班次与您已报名的另一个班次时间重叠，同一时间只能在一个岗位",
                "This shift overlaps another shift you hold; you can only be at one post at a time",
            ),
            Refusal::AlreadyBooked => {
                ("您已经报名了这个班次", "You have already booked this shift")
            }
        }
    }

    pub fn error(self) -> Error {
        let (zh, en) = self.message();
        Error::invalid("shift", zh, en)
    }
}

/// Check a booking of `shift` with `taken` of `slots` filled, for someone who already holds
/// `held` (the windows of their other bookings).
pub fn check_booking(
    shift: &Window,
    slots: i32,
    taken: i32,
    held: &[Window],
    now: OffsetDateTime,
) -> Result<(), Refusal> {
    if shift.end <= now {
        return Err(Refusal::Ended);
    }
    if held.iter().any(|h| h == shift) {
        return Err(Refusal::AlreadyBooked);
    }
    if held.iter().any(|h| h.overlaps(shift)) {
        return Err(Refusal::Overlap);
    }
    if taken >= slots {
        return Err(Refusal::Full);
    }
    Ok(())
}

/// Validate a new shift's window and slots.
pub fn check_new_shift(w: &Window, slots: i32) -> Result<(), Vec<FieldError>> {
    let mut e = Vec::new();
    if w.end <= w.start {
        e.push(FieldError {
            field: "end",
            zh: "结束时间要晚于开始时间".into(),
            en: "The end must be after the start".into(),
        });
    } else if w.length() > MAX_SHIFT {
        e.push(FieldError {
            field: "end",
            zh: "一个班次最长12小时".into(),
            en: "A shift lasts at most 12 hours".into(),
        });
    }
    if !(1..=500).contains(&slots) {
        e.push(FieldError {
            field: "slots",
            zh: "名额请填写 1 到 500".into(),
            en: "Slots: a number from 1 to 500".into(),
        });
    }
    if e.is_empty() { Ok(()) } else { Err(e) }
}

/// Where a booking stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingState {
    Booked,
    CheckedIn,
    CheckedOut,
    NoShow,
}

impl BookingState {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingState::Booked => "booked",
            BookingState::CheckedIn => "checked_in",
            BookingState::CheckedOut => "checked_out",
            BookingState::NoShow => "no_show",
        }
    }

    pub fn parse(s: &str) -> Option<BookingState> {
        [
            BookingState::Booked,
            BookingState::CheckedIn,
            BookingState::CheckedOut,
            BookingState::NoShow,
        ]
        .into_iter()
        .find(|b| b.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            BookingState::Booked => "已报名",
            BookingState::CheckedIn => "已签到",
            BookingState::CheckedOut => "已签退",
            BookingState::NoShow => "缺勤",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            BookingState::Booked => "Booked",
            BookingState::CheckedIn => "Checked in",
            BookingState::CheckedOut => "Checked out",
            BookingState::NoShow => "No-show",
        }
    }
}

/// An attendance step, by the volunteer (scanning the post's code) or the post lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attendance {
    CheckIn,
    CheckOut,
    NoShow,
}

impl Attendance {
    pub fn parse(s: &str) -> Option<Attendance> {
        match s {
            "check_in" => Some(Attendance::CheckIn),
            "check_out" => Some(Attendance::CheckOut),
            "no_show" => Some(Attendance::NoShow),
            _ => None,
        }
    }
}

fn refuse(zh: &str, en: &str) -> Error {
    Error::invalid("attendance", zh, en)
}

/// The state after `step` at `now`, or why it is refused.
pub fn attend(
    state: BookingState,
    shift: &Window,
    step: Attendance,
    now: OffsetDateTime,
) -> Result<BookingState, Error> {
    match (step, state) {
        (Attendance::CheckIn, BookingState::Booked) => {
            if now < shift.start - EARLY_CHECK_IN {
                Err(refuse(
                    "还没到签到时间：开始前30分钟起可以签到",
                    "Too early: check-in opens 30 minutes before the start",
                ))
            } else if now >= shift.end {
                Err(refuse(
                    "这个班次已经结束，不能再签到",
                    "This shift has ended; it can no longer be checked into",
                ))
            } else {
                Ok(BookingState::CheckedIn)
            }
        }
        (Attendance::CheckOut, BookingState::CheckedIn) => {
            if now > shift.end + LATE_CHECK_OUT {
                Err(refuse(
                    "已超过签退时间，请联系岗位负责人补签",
                    "Too late to check out; ask the post lead to record it",
                ))
            } else {
                Ok(BookingState::CheckedOut)
            }
        }
        (Attendance::NoShow, BookingState::Booked) => {
            if now < shift.start {
                Err(refuse(
                    "班次还没开始，不能标记缺勤",
                    "The shift has not started; it cannot be marked a no-show yet",
                ))
            } else {
                Ok(BookingState::NoShow)
            }
        }
        (Attendance::CheckIn, _) => {
            Err(refuse("已经签到过了", "Already checked in for this shift"))
        }
        (Attendance::CheckOut, _) => Err(refuse(
            "还没有签到，不能签退",
            "Not checked in, so there is nothing to check out of",
        )),
        (Attendance::NoShow, _) => Err(refuse(
            "已经签到的班次不能标记缺勤",
            "A shift that was checked into cannot be a no-show",
        )),
    }
}

/// Minutes served in one booking: the checked time that falls inside the shift.
pub fn served_minutes(
    shift: &Window,
    checked_in: Option<OffsetDateTime>,
    checked_out: Option<OffsetDateTime>,
) -> i64 {
    let (Some(i), Some(o)) = (checked_in, checked_out) else {
        return 0;
    };
    let start = i.max(shift.start);
    let end = o.min(shift.end);
    if end <= start {
        0
    } else {
        (end - start).whole_minutes()
    }
}

/// Minutes as hours with one decimal (`90` → `"1.5"`).
pub fn hours_text(minutes: i64) -> String {
    let tenths = (minutes * 10 + 30) / 60;
    format!("{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-04-03 08:00 UTC);

    fn w(start_h: i64, end_h: i64) -> Window {
        Window {
            start: T0 + Duration::hours(start_h),
            end: T0 + Duration::hours(end_h),
        }
    }

    #[test]
    fn full_overlapping_ended_and_repeated_bookings_are_refused() {
        let s = w(2, 6);
        assert_eq!(check_booking(&s, 3, 2, &[], T0), Ok(()));
        assert_eq!(check_booking(&s, 3, 3, &[], T0), Err(Refusal::Full));
        assert_eq!(
            check_booking(&s, 3, 0, &[w(5, 9)], T0),
            Err(Refusal::Overlap)
        );
        assert_eq!(
            check_booking(&s, 3, 0, &[w(6, 9)], T0),
            Ok(()),
            "back to back is fine"
        );
        assert_eq!(
            check_booking(&s, 3, 0, &[s], T0),
            Err(Refusal::AlreadyBooked)
        );
        assert_eq!(
            check_booking(&s, 3, 0, &[], T0 + Duration::hours(6)),
            Err(Refusal::Ended)
        );
        for r in [
            Refusal::Ended,
            Refusal::Full,
            Refusal::Overlap,
            Refusal::AlreadyBooked,
        ] {
            let (zh, en) = r.message();
            assert!(!zh.is_empty() && !en.is_empty());
        }
    }

    #[test]
    fn attendance_follows_the_shift() {
        let s = w(2, 6);
        let early = T0 + Duration::minutes(89);
        assert!(attend(BookingState::Booked, &s, Attendance::CheckIn, early).is_err());
        let ok = T0 + Duration::minutes(90);
        assert_eq!(
            attend(BookingState::Booked, &s, Attendance::CheckIn, ok).ok(),
            Some(BookingState::CheckedIn)
        );
        assert!(attend(BookingState::CheckedIn, &s, Attendance::CheckIn, ok).is_err());
        assert!(attend(BookingState::Booked, &s, Attendance::CheckOut, ok).is_err());
        assert_eq!(
            attend(
                BookingState::CheckedIn,
                &s,
                Attendance::CheckOut,
                T0 + Duration::hours(7)
            )
            .ok(),
            Some(BookingState::CheckedOut)
        );
        assert!(
            attend(
                BookingState::CheckedIn,
                &s,
                Attendance::CheckOut,
                T0 + Duration::hours(9)
            )
            .is_err()
        );
        assert!(attend(BookingState::Booked, &s, Attendance::NoShow, T0).is_err());
        assert_eq!(
            attend(
                BookingState::Booked,
                &s,
                Attendance::NoShow,
                T0 + Duration::hours(3)
            )
            .ok(),
            Some(BookingState::NoShow)
        );
        assert!(
            attend(
                BookingState::CheckedOut,
                &s,
                Attendance::NoShow,
                T0 + Duration::hours(7)
            )
            .is_err()
        );
    }

    #[test]
    fn hours_count_only_checked_time_inside_the_shift() {
        let s = w(2, 6);
        let at = |m: i64| Some(T0 + Duration::minutes(m));
        assert_eq!(
            served_minutes(&s, at(100), at(400)),
            240,
            "clipped both ends"
        );
        assert_eq!(served_minutes(&s, at(150), at(210)), 60);
        assert_eq!(served_minutes(&s, at(150), None), 0, "not checked out");
        assert_eq!(served_minutes(&s, at(400), at(420)), 0, "after the shift");
        assert_eq!(hours_text(90), "1.5");
        assert_eq!(hours_text(0), "0.0");
        assert_eq!(hours_text(61), "1.0");
    }

    #[test]
    fn new_shifts_need_a_sane_window_and_slots() {
        assert!(check_new_shift(&w(2, 6), 3).is_ok());
        assert!(check_new_shift(&w(6, 2), 3).is_err());
        assert!(check_new_shift(&w(0, 13), 3).is_err());
        assert!(check_new_shift(&w(2, 6), 0).is_err());
    }

    fn windows() -> impl Strategy<Value = Vec<(i64, i64)>> {
        prop::collection::vec((0i64..200, 1i64..24), 0..12)
    }

    proptest! {
        /// Booking shifts one after another with `check_booking` never leaves a person in two
        /// places at once, and never fills a shift past its slots.
        #[test]
        fn accepted_bookings_never_overlap_or_overfill(
            shifts in windows(),
            slots in 1i32..4,
            people in 1usize..6,
        ) {
            let shifts: Vec<Window> = shifts
                .into_iter()
                .map(|(s, len)| Window {
                    start: T0 + Duration::hours(s),
                    end: T0 + Duration::hours(s + len),
                })
                .collect();
            let mut taken = vec![0i32; shifts.len()];
            let mut held: Vec<Vec<Window>> = vec![Vec::new(); people];
            for mine in held.iter_mut() {
                for (i, s) in shifts.iter().enumerate() {
                    if check_booking(s, slots, taken[i], mine, T0).is_ok() {
                        taken[i] += 1;
                        mine.push(*s);
                    }
                }
            }
            for t in &taken {
                prop_assert!(*t <= slots);
            }
            for h in &held {
                for (i, a) in h.iter().enumerate() {
                    for b in &h[i + 1..] {
                        prop_assert!(!a.overlaps(b), "{a:?} overlaps {b:?}");
                    }
                }
            }
        }

        /// Overlap is symmetric and a window always overlaps itself.
        #[test]
        fn overlap_is_symmetric((a, al) in (0i64..100, 1i64..20), (b, bl) in (0i64..100, 1i64..20)) {
            let x = w(a, a + al);
            let y = w(b, b + bl);
            prop_assert_eq!(x.overlaps(&y), y.overlaps(&x));
            prop_assert!(x.overlaps(&x));
        }

        /// Served time is never negative nor longer than the shift.
        #[test]
        fn served_minutes_stay_within_the_shift(i in -300i64..900, len in 0i64..900) {
            let s = w(2, 6);
            let m = served_minutes(&s, Some(T0 + Duration::minutes(i)), Some(T0 + Duration::minutes(i + len)));
            prop_assert!((0..=240).contains(&m));
        }
    }
}
