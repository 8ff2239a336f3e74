//! Posts (岗位) and their shifts: leads, rosters, bookings, check-in and check-out (also by the
//! post's QR code), and the shifts a volunteer sees.

use std::collections::HashMap;

use time::OffsetDateTime;

use crate::actor::{Actor, Permission};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::crypto::Cipher;
use crate::error::{Error, Result};
use crate::ids::{BookingId, PostId, ShiftId, UserId};
use crate::regions::{Level, RegionCode};
use crate::store::Store;
use crate::volunteers::booking::{self, Attendance, BookingState, Window};
use crate::volunteers::record::{Booking, Post, RosterEntry, Shift};
use crate::volunteers::signup::{PostForm, ShiftForm, parse_post, parse_shifts};

use super::SHIFT_HORIZON;

const POST_QR_DOMAIN: &str = "post_qr";

pub async fn create_post(
    store: &dyn Store,
    actor: &Actor,
    form: &PostForm,
    now: OffsetDateTime,
) -> Result<PostId> {
    actor.require(Permission::ManageVolunteers)?;
    let (kind, name, region) = parse_post(form)?;
    if !actor.can_at(Permission::ManageVolunteers, &region) {
        return Err(Error::invalid(
            "region",
            "只能在您负责的社区设岗",
            "You can only set up posts in the communities you are responsible for",
        ));
    }
    if store
        .region(&region)
        .await?
        .is_none_or(|r| r.level != Level::Community)
    {
        return Err(Error::invalid(
            "region",
            "请选择一个社区",
            "Choose a community",
        ));
    }
    let p = Post {
        id: PostId::new(),
        region,
        kind,
        name,
        lead: None,
        created_at: now,
    };
    let audit = AuditEvent::new(Action::PostCreated, now)
        .by(actor)
        .region(&p.region)
        .record(RecordKind::Post, [p.id]);
    store.insert_post(&p, &audit).await?;
    Ok(p.id)
}

pub async fn posts(store: &dyn Store, actor: &Actor) -> Result<Vec<Post>> {
    let scope = actor.scope(Permission::ManageVolunteers);
    if scope.is_empty() {
        return Err(Error::Forbidden);
    }
    store.list_posts(&scope).await
}

/// May the actor run this post's roster (staff in scope, or the post's lead)?
fn runs(actor: &Actor, post: &Post) -> bool {
    actor.can_at(Permission::ManageVolunteers, &post.region) || post.lead == Some(actor.user_id)
}

/// Make a volunteer who may serve there the post's lead (an empty choice clears it). The
/// lead runs the roster's attendance: check-in, check-out and no-shows.
pub async fn set_lead(
    store: &dyn Store,
    actor: &Actor,
    post: PostId,
    user: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let p = store.post(post).await?.ok_or(Error::NotFound)?;
    actor.require_at(
        Permission::ManageVolunteers,
        Permission::ManageVolunteers,
        &p.region,
    )?;
    let lead = if user.trim().is_empty() {
        None
    } else {
        Some(volunteer_for(store, actor, "lead", user, &p.region).await?)
    };
    let mut ids = vec![p.id.to_string()];
    ids.extend(lead.map(|u| u.to_string()));
    let audit = AuditEvent::new(Action::PostLeadSet, now)
        .by(actor)
        .region(&p.region)
        .record(RecordKind::Post, ids);
    store.set_post_lead(p.id, lead, &audit).await
}

/// Posts the actor leads.
pub async fn posts_i_lead(store: &dyn Store, actor: &Actor) -> Result<Vec<Post>> {
    store.posts_led_by(actor.user_id).await
}

/// A post with its shifts and who is on them.
pub async fn roster(
    store: &dyn Store,
    actor: &Actor,
    id: PostId,
) -> Result<(Post, Vec<(Shift, Vec<RosterEntry>)>)> {
    let post = store.post(id).await?.ok_or(Error::NotFound)?;
    if !runs(actor, &post) {
        return Err(Error::NotFound);
    }
    let mut by_shift: HashMap<ShiftId, Vec<RosterEntry>> = HashMap::new();
    for e in store.roster(id).await? {
        by_shift.entry(e.booking.shift).or_default().push(e);
    }
    let shifts = store
        .shifts_of_post(id)
        .await?
        .into_iter()
        .map(|s| {
            let people = by_shift.remove(&s.id).unwrap_or_default();
            (s, people)
        })
        .collect();
    Ok((post, shifts))
}

/// Add shifts to a post: one a day for the days asked.
pub async fn add_shifts(
    store: &dyn Store,
    actor: &Actor,
    post: PostId,
    form: &ShiftForm,
    now: OffsetDateTime,
) -> Result<usize> {
    let p = store.post(post).await?.ok_or(Error::NotFound)?;
    actor.require_at(
        Permission::ManageVolunteers,
        Permission::ManageVolunteers,
        &p.region,
    )?;
    let (windows, slots) = parse_shifts(form)?;
    let shifts: Vec<Shift> = windows
        .into_iter()
        .map(|w| Shift {
            id: ShiftId::new(),
            post: p.id,
            region: p.region.clone(),
            window: w,
            slots,
            taken: 0,
        })
        .collect();
    let audit = AuditEvent::new(Action::ShiftsAdded, now)
        .by(actor)
        .region(&p.region)
        .record(RecordKind::Post, [p.id]);
    store.insert_shifts(&shifts, &audit).await?;
    Ok(shifts.len())
}

async fn book_for(
    store: &dyn Store,
    actor: &Actor,
    shift: &Shift,
    user: UserId,
    now: OffsetDateTime,
) -> Result<BookingId> {
    let held: Vec<Window> = store
        .bookings_of_user(user)
        .await?
        .into_iter()
        .map(|b| b.window)
        .collect();
    booking::check_booking(&shift.window, shift.slots, shift.taken, &held, now)
        .map_err(|r| r.error())?;
    let b = Booking {
        id: BookingId::new(),
        shift: shift.id,
        user,
        window: shift.window,
        state: BookingState::Booked,
        checked_in_at: None,
        checked_out_at: None,
        booked_by: actor.user_id,
        created_at: now,
    };
    let audit = AuditEvent::new(Action::ShiftBooked, now)
        .by(actor)
        .region(&shift.region)
        .record(
            RecordKind::Booking,
            [b.id.to_string(), shift.id.to_string(), user.to_string()],
        );
    store.book_shift(&b, &audit).await?;
    Ok(b.id)
}

/// A volunteer picks a shift in their serving region.
pub async fn book(
    store: &dyn Store,
    actor: &Actor,
    shift: ShiftId,
    now: OffsetDateTime,
) -> Result<BookingId> {
    let s = store.shift(shift).await?.ok_or(Error::NotFound)?;
    actor.require_at(Permission::ServeShifts, Permission::ServeShifts, &s.region)?;
    book_for(store, actor, &s, actor.user_id, now).await
}

/// Staff put a volunteer (one who may serve there) on a shift.
pub async fn assign(
    store: &dyn Store,
    actor: &Actor,
    shift: ShiftId,
    user: &str,
    now: OffsetDateTime,
) -> Result<BookingId> {
    let s = store.shift(shift).await?.ok_or(Error::NotFound)?;
    actor.require_at(
        Permission::ManageVolunteers,
        Permission::ManageVolunteers,
        &s.region,
    )?;
    let uid = volunteer_for(store, actor, "user", user, &s.region).await?;
    book_for(store, actor, &s, uid, now).await
}

/// The volunteer chosen in `field` (a user id), if they may serve in `region` and the actor
/// manages volunteers where they are; otherwise one error on that field, whatever was wrong.
async fn volunteer_for(
    store: &dyn Store,
    actor: &Actor,
    field: &'static str,
    user: &str,
    region: &RegionCode,
) -> Result<UserId> {
    let bad = || {
        Error::invalid(
            field,
            "请从列表中选择一位可在这里服务的志愿者",
            "Choose a volunteer from the list who may serve here",
        )
    };
    let uid: UserId = user.trim().parse().map_err(|_| bad())?;
    let target = crate::users::service::load_actor(store, uid)
        .await?
        .ok_or_else(bad)?;
    if !target.can_at(Permission::ServeShifts, region)
        || !actor.can_at(Permission::ManageVolunteers, &target.region)
    {
        return Err(bad());
    }
    Ok(uid)
}

async fn step(
    store: &dyn Store,
    actor: &Actor,
    b: &Booking,
    shift: &Shift,
    step: Attendance,
    now: OffsetDateTime,
) -> Result<BookingState> {
    let to = booking::attend(b.state, &shift.window, step, now)?;
    let audit = AuditEvent::new(Action::ShiftAttendance, now)
        .by(actor)
        .region(&shift.region)
        .record(
            RecordKind::Booking,
            [b.id.to_string(), to.as_str().to_string()],
        );
    if store.set_attendance(b.id, b.state, to, now, &audit).await? {
        Ok(to)
    } else {
        Err(Error::Conflict("booking changed".into()))
    }
}

/// The post lead (or staff in scope) checks a volunteer in or out, or marks a no-show.
pub async fn attend_by_lead(
    store: &dyn Store,
    actor: &Actor,
    id: BookingId,
    action: &str,
    now: OffsetDateTime,
) -> Result<BookingState> {
    let b = store.booking(id).await?.ok_or(Error::NotFound)?;
    let s = store.shift(b.shift).await?.ok_or(Error::NotFound)?;
    let p = store.post(s.post).await?.ok_or(Error::NotFound)?;
    if !runs(actor, &p) {
        return Err(Error::NotFound);
    }
    let a = Attendance::parse(action.trim()).ok_or_else(|| {
        Error::invalid(
            "attendance",
            "请选择签到、签退或缺勤",
            "Choose check-in, check-out or no-show",
        )
    })?;
    step(store, actor, &b, &s, a, now).await
}

/// The secret in a post's QR code: a keyed hash of the post id (32 hex characters).
pub fn post_token(cipher: &Cipher, post: PostId) -> Result<String> {
    let h = cipher.keyed_hash(POST_QR_DOMAIN, &post.to_string())?;
    Ok(strip(&h))
}

fn strip(h: &str) -> String {
    h.split_once(':')
        .map(|(_, v)| v)
        .unwrap_or(h)
        .chars()
        .take(32)
        .collect()
}

fn post_token_ok(cipher: &Cipher, post: PostId, token: &str) -> bool {
    cipher
        .keyed_hash_candidates(POST_QR_DOMAIN, &post.to_string())
        .iter()
        .any(|h| {
            let s = strip(h);
            s.len() == token.len()
                && s.bytes()
                    .zip(token.bytes())
                    .fold(0u8, |a, (x, y)| a | (x ^ y))
                    == 0
        })
}

/// What scanning a post's code would do for the actor now.
#[derive(Debug, Clone)]
pub struct ScanView {
    pub post: Post,
    /// The booking and shift it applies to and the step, if any.
    pub current: Option<(Booking, Shift, Attendance)>,
}

/// Read a scanned post code: the post and the actor's current shift there, if any.
pub async fn scan(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    post: PostId,
    token: &str,
    now: OffsetDateTime,
) -> Result<ScanView> {
    actor.require(Permission::ServeShifts)?;
    if !post_token_ok(cipher, post, token) {
        return Err(Error::NotFound);
    }
    let p = store.post(post).await?.ok_or(Error::NotFound)?;
    let mut current = None;
    for b in store.bookings_of_user(actor.user_id).await? {
        let w = b.window;
        let near =
            now >= w.start - booking::EARLY_CHECK_IN && now <= w.end + booking::LATE_CHECK_OUT;
        if !near {
            continue;
        }
        let Some(s) = store.shift(b.shift).await? else {
            continue;
        };
        if s.post != p.id {
            continue;
        }
        let step = match b.state {
            BookingState::Booked if now < w.end => Attendance::CheckIn,
            BookingState::CheckedIn => Attendance::CheckOut,
            _ => continue,
        };
        current = Some((b, s, step));
        break;
    }
    Ok(ScanView { post: p, current })
}

/// Check in or out of one's current shift at a scanned post.
pub async fn scan_attend(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    post: PostId,
    token: &str,
    now: OffsetDateTime,
) -> Result<BookingState> {
    let v = scan(store, cipher, actor, post, token, now).await?;
    let Some((b, s, a)) = v.current else {
        return Err(Error::invalid(
            "attendance",
            "您现在在这个岗位没有需要签到或签退的班次",
            "You have no shift to check into or out of at this post now",
        ));
    };
    step(store, actor, &b, &s, a, now).await
}

/// One of my shifts, with its post.
#[derive(Debug, Clone)]
pub struct MyShift {
    pub booking: Booking,
    pub shift: Shift,
    pub post: Post,
}

/// The actor's own bookings with their shifts and posts, and the minutes served.
pub async fn my_shifts(store: &dyn Store, actor: &Actor) -> Result<(Vec<MyShift>, i64)> {
    actor.require(Permission::ServeShifts)?;
    let mut out = Vec::new();
    let mut minutes = 0;
    let mut posts: HashMap<PostId, Post> = HashMap::new();
    for b in store.bookings_of_user(actor.user_id).await? {
        let Some(s) = store.shift(b.shift).await? else {
            continue;
        };
        let p = match posts.get(&s.post) {
            Some(p) => p.clone(),
            None => {
                let Some(p) = store.post(s.post).await? else {
                    continue;
                };
                posts.insert(p.id, p.clone());
                p
            }
        };
        minutes += booking::served_minutes(&s.window, b.checked_in_at, b.checked_out_at);
        out.push(MyShift {
            booking: b,
            shift: s,
            post: p,
        });
    }
    // Completed volunteer tasks count too (accepted → completed, capped).
    minutes += store.task_minutes(actor.user_id).await?;
    Ok((out, minutes))
}

/// Shifts the actor may pick (under their `ServeShifts` scope, starting in the next two
/// weeks, not full), with their posts.
pub async fn open_shifts(
    store: &dyn Store,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<Vec<(Shift, Post)>> {
    let scope = actor.scope(Permission::ServeShifts);
    if scope.is_empty() {
        return Err(Error::Forbidden);
    }
    let mut posts: HashMap<PostId, Option<Post>> = HashMap::new();
    let mut out = Vec::new();
    for s in store
        .shifts_between(&scope, now, now + SHIFT_HORIZON)
        .await?
        .into_iter()
        .filter(|s| s.taken < s.slots)
        .take(200)
    {
        if let std::collections::hash_map::Entry::Vacant(e) = posts.entry(s.post) {
            e.insert(store.post(s.post).await?);
        }
        if let Some(Some(p)) = posts.get(&s.post) {
            out.push((s, p.clone()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Keyring;

    #[test]
    fn post_tokens_verify_only_for_their_post() {
        let c = Cipher::new(&Keyring::generate().expect("ring"));
        let p = PostId::new();
        let t = post_token(&c, p).expect("token");
        assert_eq!(t.len(), 32);
        assert!(post_token_ok(&c, p, &t));
        assert!(!post_token_ok(&c, PostId::new(), &t));
        assert!(!post_token_ok(&c, p, &t[..31]));
        assert!(!post_token_ok(&c, p, ""));
    }
}
