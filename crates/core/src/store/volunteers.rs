//! Ports of the volunteer features (see the module above for what every port promises).

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::audit::AuditEvent;
use crate::dispatch::record::{Candidate, DispatchChange, Mode, Offer, TaskMinutes, VolunteerTask};
use crate::error::Result;
use crate::ids::{
    BookingId, CampaignId, NeedId, OfferId, OrgId, PostId, ShiftId, SignupId, TaskId, UserId,
};
use crate::regions::RegionCode;
use crate::users::NewUser;
use crate::volunteers::booking::BookingState;
use crate::volunteers::record::{
    Booking, Campaign, Certificate, Commitment, PasswordLink, Post, Profile, RosterEntry, Shift,
    Signup, VolunteerRow,
};

/// Call-ups: campaigns, sign-ups and their decisions (approving one makes the volunteer's
/// account and its one-time password link), commitments of resources.
#[async_trait]
pub trait CallupStore: Send + Sync {
    async fn insert_campaign(&self, c: &Campaign, audit: &AuditEvent) -> Result<()>;
    async fn campaign(&self, id: CampaignId) -> Result<Option<Campaign>>;
    /// Stop taking sign-ups; `false` if it was already closed.
    async fn close_campaign(&self, id: CampaignId, audit: &AuditEvent) -> Result<bool>;
    /// Open call-ups whose period has not ended, newest first (the public list).
    async fn open_campaigns(&self, now: OffsetDateTime) -> Result<Vec<Campaign>>;
    /// Call-ups in regions under one of `scope`, newest first.
    async fn list_campaigns(&self, scope: &[RegionCode]) -> Result<Vec<Campaign>>;
    /// `Conflict` when the same mobile already signed up to the call-up.
    async fn insert_signup(&self, s: &Signup, audit: &AuditEvent) -> Result<()>;
    async fn signup(&self, id: SignupId) -> Result<Option<Signup>>;
    async fn signups_of(&self, campaign: CampaignId) -> Result<Vec<Signup>>;
    /// Approve a pending sign-up: create the volunteer's account with its grant, profile and
    /// one-time password link, in one transaction. `Conflict` if it was decided meanwhile or
    /// the user name (the mobile) is taken.
    #[allow(clippy::too_many_arguments)]
    async fn approve_signup(
        &self,
        id: SignupId,
        user: &NewUser,
        unusable_password_hash: &str,
        profile: &Profile,
        link: &PasswordLink,
        by: UserId,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<UserId>;
    /// Decline a pending sign-up with a reason; `Conflict` if it was decided meanwhile.
    async fn decline_signup(
        &self,
        id: SignupId,
        reason: &str,
        by: UserId,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<()>;
    async fn insert_commitment(&self, c: &Commitment, audit: &AuditEvent) -> Result<()>;
    async fn commitments_of(&self, campaign: CampaignId) -> Result<Vec<Commitment>>;
    /// The user of an unused, unexpired link.
    async fn password_link(&self, token_hash: &str, now: OffsetDateTime) -> Result<Option<UserId>>;
    /// Use a link once: set the password and mark the link used, if it is still unused and
    /// unexpired; `false` otherwise (nothing changes).
    async fn use_password_link(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<bool>;
}

/// Volunteers' profiles: skills, availability, home community.
#[async_trait]
pub trait VolunteerStore: Send + Sync {
    async fn profile(&self, user: UserId) -> Result<Option<Profile>>;
    /// Update skills, availability, home community and team if `version` still matches.
    async fn update_profile(&self, p: &Profile, audit: &AuditEvent) -> Result<()>;
    /// Volunteers whose grant region lies under one of `scope`.
    async fn list_volunteers(&self, scope: &[RegionCode]) -> Result<Vec<VolunteerRow>>;
}

/// Posts, their shifts, bookings and attendance, and the hours certificates they lead to.
#[async_trait]
pub trait RosterStore: Send + Sync {
    async fn insert_post(&self, p: &Post, audit: &AuditEvent) -> Result<()>;
    async fn post(&self, id: PostId) -> Result<Option<Post>>;
    async fn list_posts(&self, scope: &[RegionCode]) -> Result<Vec<Post>>;
    /// Set (or clear) the post's lead.
    async fn set_post_lead(
        &self,
        post: PostId,
        lead: Option<UserId>,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Posts whose lead is `user`.
    async fn posts_led_by(&self, user: UserId) -> Result<Vec<Post>>;
    /// Insert shifts of one post in one statement batch.
    async fn insert_shifts(&self, shifts: &[Shift], audit: &AuditEvent) -> Result<()>;
    async fn shift(&self, id: ShiftId) -> Result<Option<Shift>>;
    async fn shifts_of_post(&self, post: PostId) -> Result<Vec<Shift>>;
    /// Shifts under `scope` that end after `from` and start before `until`, by start.
    async fn shifts_between(
        &self,
        scope: &[RegionCode],
        from: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Vec<Shift>>;
    /// Book a shift. The database refuses overfilling and overlapping bookings: those come
    /// back as the booking rules' field errors.
    async fn book_shift(&self, b: &Booking, audit: &AuditEvent) -> Result<()>;
    async fn booking(&self, id: BookingId) -> Result<Option<Booking>>;
    async fn roster(&self, post: PostId) -> Result<Vec<RosterEntry>>;
    async fn bookings_of_user(&self, user: UserId) -> Result<Vec<Booking>>;
    /// Move a booking from `from` to `to` at `at` (check-in or check-out times set as the
    /// step says); `false` if its state changed meanwhile.
    async fn set_attendance(
        &self,
        id: BookingId,
        from: BookingState,
        to: BookingState,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<bool>;
    /// Checked-out bookings of volunteers whose grant region lies under `scope`, with
    /// their user name and display name (the hours export).
    async fn checked_bookings(
        &self,
        scope: &[RegionCode],
    ) -> Result<Vec<(String, String, Booking)>>;
    async fn insert_certificate(&self, c: &Certificate, audit: &AuditEvent) -> Result<()>;
    async fn certificate(&self, id: &str) -> Result<Option<Certificate>>;
}

/// Volunteer tasks from needs: the tasks, their offers, the candidates the engine ranks,
/// organisations' dispatch setting, and a volunteer's own tasks.
#[async_trait]
pub trait DispatchStore: Send + Sync {
    /// Write one dispatch step (see [`DispatchChange`]) in one transaction and signal the
    /// need. `Conflict` when the task changed meanwhile or the answered offer is no longer
    /// open (or ran out); a second offer of one task to one volunteer is refused too.
    async fn apply_dispatch(&self, c: &DispatchChange, audit: &AuditEvent) -> Result<()>;
    async fn volunteer_task(&self, id: TaskId) -> Result<Option<VolunteerTask>>;
    async fn volunteer_tasks_of_need(&self, need: NeedId) -> Result<Vec<VolunteerTask>>;
    async fn offer(&self, id: OfferId) -> Result<Option<Offer>>;
    /// Every offer of a task, oldest first.
    async fn offers_of_task(&self, task: TaskId) -> Result<Vec<Offer>>;
    /// A volunteer's open offers, and the tasks they accepted or completed (newest first).
    async fn offers_of_volunteer(&self, user: UserId) -> Result<Vec<Offer>>;
    async fn tasks_of_volunteer(&self, user: UserId) -> Result<Vec<VolunteerTask>>;
    /// Tasks in the claim pool under one of `scope`, oldest first.
    async fn pool_tasks(&self, scope: &[RegionCode]) -> Result<Vec<VolunteerTask>>;
    /// Open offers that ran out at `now`, the earliest first.
    async fn expired_offers(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<OfferId>>;
    /// Volunteers (enabled accounts with a profile) whose serving region covers `region`,
    /// with their load: accepted tasks plus open offers.
    async fn dispatch_candidates(&self, region: &RegionCode) -> Result<Vec<Candidate>>;
    /// The dispatch mode of the most local organisation over `region` that set one.
    async fn dispatch_mode(&self, region: &RegionCode) -> Result<Option<Mode>>;
    async fn org_dispatch_mode(&self, org: OrgId) -> Result<Option<Mode>>;
    async fn set_dispatch_mode(
        &self,
        org: OrgId,
        mode: Option<Mode>,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Service minutes of a volunteer's completed tasks.
    async fn task_minutes(&self, user: UserId) -> Result<i64>;
    /// The same minutes (and how many tasks) per volunteer whose grant region lies under
    /// `scope`, with their user name and display name (the hours export).
    async fn task_minutes_in_scope(&self, scope: &[RegionCode]) -> Result<Vec<TaskMinutes>>;
    /// Cancel the user's own booking if it is still only booked and starts after `now`
    /// (the slot is freed); `false` otherwise.
    async fn cancel_booking(
        &self,
        id: BookingId,
        user: UserId,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<bool>;
}
