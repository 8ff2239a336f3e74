//! SQL for volunteers: call-ups, sign-ups, commitments, profiles, set-password links, posts,
//! shifts, bookings and certificates. Booking relies on the database as the last word: the
//! `taken <= slots` CHECK and the overlap trigger of migration 0009 refuse what a race
//! would otherwise let through, and their errors come back as the booking rules' messages.
//! The rows and their conversions are here; each port's SQL in a file of its own.

mod callups;
mod profiles;
mod roster;

use time::OffsetDateTime;
use uuid::Uuid;
use wushe_core::audit::AuditEvent;
use wushe_core::ids::{BookingId, CampaignId, GrantId, OrgId, PostId, ShiftId, SignupId, UserId};
use wushe_core::regions::RegionCode;
use wushe_core::users::NewUser;
use wushe_core::volunteers::PostKind;
use wushe_core::volunteers::booking::{BookingState, Refusal, Window};
use wushe_core::volunteers::record::{
    Booking, Campaign, CampaignRole, CampaignState, Post, Profile, Shift, Signup, SignupState,
};
use wushe_core::volunteers::skills_from_str;
use wushe_core::volunteers::skills_to_str;
use wushe_core::{Error, Result};

use crate::audit::{append_entry, lock_head};
use crate::{SqlStore, at, db_err, ms, on_pool};

fn bad(what: &str) -> Error {
    Error::internal(format!("stored volunteer record has a bad {what}"))
}

fn window(s: i64, e: i64) -> Window {
    Window {
        start: at(s),
        end: at(e),
    }
}

#[derive(sqlx::FromRow)]
struct CampaignRow {
    id: Uuid,
    org_id: Uuid,
    title: String,
    description: String,
    region_code: String,
    meeting_point: String,
    roles: String,
    min_age: Option<i32>,
    max_age: Option<i32>,
    starts_at: i64,
    ends_at: i64,
    state: String,
    created_by: Uuid,
    created_at: i64,
}

impl TryFrom<CampaignRow> for Campaign {
    type Error = Error;
    fn try_from(r: CampaignRow) -> Result<Campaign> {
        let roles: Vec<CampaignRole> = serde_json::from_str(&r.roles).map_err(|_| bad("roles"))?;
        Ok(Campaign {
            id: CampaignId(r.id),
            org: OrgId(r.org_id),
            title: r.title,
            description: r.description,
            region: RegionCode(r.region_code),
            meeting_point: r.meeting_point,
            roles,
            min_age: r.min_age,
            max_age: r.max_age,
            period: window(r.starts_at, r.ends_at),
            state: CampaignState::parse(&r.state).ok_or_else(|| bad("state"))?,
            created_by: UserId(r.created_by),
            created_at: at(r.created_at),
        })
    }
}

const CAMPAIGN_COLS: &str = "id, org_id, title, description, region_code, meeting_point, roles, \
    min_age, max_age, starts_at, ends_at, state, created_by, created_at";

#[derive(sqlx::FromRow)]
struct SignupRow {
    id: Uuid,
    campaign_id: Uuid,
    role_name: String,
    name: Vec<u8>,
    mobile: Vec<u8>,
    mobile_index: String,
    phone_verified: i32,
    age: i32,
    skills: String,
    availability: String,
    home_community: String,
    notice_version: String,
    state: String,
    reason: Option<String>,
    decided_by: Option<Uuid>,
    decided_at: Option<i64>,
    user_id: Option<Uuid>,
    created_at: i64,
}

impl TryFrom<SignupRow> for Signup {
    type Error = Error;
    fn try_from(r: SignupRow) -> Result<Signup> {
        Ok(Signup {
            id: SignupId(r.id),
            campaign: CampaignId(r.campaign_id),
            role_name: r.role_name,
            name: r.name,
            mobile: r.mobile,
            mobile_index: r.mobile_index,
            phone_verified: r.phone_verified != 0,
            age: r.age,
            skills: skills_from_str(&r.skills),
            availability: r.availability,
            home_community: RegionCode(r.home_community),
            notice_version: r.notice_version,
            state: SignupState::parse(&r.state).ok_or_else(|| bad("state"))?,
            reason: r.reason,
            decided_by: r.decided_by.map(UserId),
            decided_at: r.decided_at.map(at),
            user: r.user_id.map(UserId),
            created_at: at(r.created_at),
        })
    }
}

const SIGNUP_COLS: &str = "id, campaign_id, role_name, name, mobile, mobile_index, phone_verified, \
    age, skills, availability, home_community, notice_version, state, reason, decided_by, \
    decided_at, user_id, created_at";

#[derive(sqlx::FromRow)]
struct ProfileRow {
    user_id: Uuid,
    skills: String,
    availability: String,
    home_community: String,
    team_org_id: Option<Uuid>,
    region_code: String,
    updated_at: i64,
    version: i64,
}

impl From<ProfileRow> for Profile {
    fn from(r: ProfileRow) -> Profile {
        Profile {
            user: UserId(r.user_id),
            skills: skills_from_str(&r.skills),
            availability: r.availability,
            home_community: RegionCode(r.home_community),
            team: r.team_org_id.map(OrgId),
            region: RegionCode(r.region_code),
            updated_at: at(r.updated_at),
            version: r.version,
        }
    }
}

const PROFILE_COLS: &str =
    "user_id, skills, availability, home_community, team_org_id, region_code, updated_at, version";

#[derive(sqlx::FromRow)]
struct PostRow {
    id: Uuid,
    region_code: String,
    kind: String,
    name: String,
    lead_user_id: Option<Uuid>,
    created_at: i64,
}

impl TryFrom<PostRow> for Post {
    type Error = Error;
    fn try_from(r: PostRow) -> Result<Post> {
        Ok(Post {
            id: PostId(r.id),
            region: RegionCode(r.region_code),
            kind: PostKind::parse(&r.kind).ok_or_else(|| bad("post kind"))?,
            name: r.name,
            lead: r.lead_user_id.map(UserId),
            created_at: at(r.created_at),
        })
    }
}

const POST_COLS: &str = "id, region_code, kind, name, lead_user_id, created_at";

#[derive(sqlx::FromRow)]
struct ShiftRow {
    id: Uuid,
    post_id: Uuid,
    region_code: String,
    starts_at: i64,
    ends_at: i64,
    slots: i32,
    taken: i32,
}

impl From<ShiftRow> for Shift {
    fn from(r: ShiftRow) -> Shift {
        Shift {
            id: ShiftId(r.id),
            post: PostId(r.post_id),
            region: RegionCode(r.region_code),
            window: window(r.starts_at, r.ends_at),
            slots: r.slots,
            taken: r.taken,
        }
    }
}

const SHIFT_COLS: &str = "id, post_id, region_code, starts_at, ends_at, slots, taken";

#[derive(sqlx::FromRow)]
struct BookingRow {
    id: Uuid,
    shift_id: Uuid,
    user_id: Uuid,
    starts_at: i64,
    ends_at: i64,
    state: String,
    checked_in_at: Option<i64>,
    checked_out_at: Option<i64>,
    booked_by: Uuid,
    created_at: i64,
}

impl TryFrom<BookingRow> for Booking {
    type Error = Error;
    fn try_from(r: BookingRow) -> Result<Booking> {
        Ok(Booking {
            id: BookingId(r.id),
            shift: ShiftId(r.shift_id),
            user: UserId(r.user_id),
            window: window(r.starts_at, r.ends_at),
            state: BookingState::parse(&r.state).ok_or_else(|| bad("booking state"))?,
            checked_in_at: r.checked_in_at.map(at),
            checked_out_at: r.checked_out_at.map(at),
            booked_by: UserId(r.booked_by),
            created_at: at(r.created_at),
        })
    }
}

const BOOKING_COLS: &str = "b.id, b.shift_id, b.user_id, b.starts_at, b.ends_at, b.state, \
    b.checked_in_at, b.checked_out_at, b.booked_by, b.created_at";

#[derive(sqlx::FromRow)]
struct NamedBookingRow {
    #[sqlx(flatten)]
    b: BookingRow,
    username: String,
    display_name: String,
}

#[derive(sqlx::FromRow)]
struct CertificateRow {
    id: String,
    user_id: Uuid,
    display_name: String,
    minutes: i64,
    region_code: String,
    issued_at: i64,
}

/// A booking refused by the database: the same messages as the rules in the core.
fn booking_err(e: sqlx::Error) -> Error {
    if let Some(d) = e.as_database_error() {
        if d.message().contains("shift_overlap") {
            return Refusal::Overlap.error();
        }
        if d.is_check_violation() {
            return Refusal::Full.error();
        }
        if d.is_unique_violation() {
            return Refusal::AlreadyBooked.error();
        }
    }
    db_err(e)
}

impl SqlStore {
    /// Demo seeding only: create many volunteer accounts (one shared password hash), their
    /// grants and profiles in one transaction, with one audit entry naming them all.
    pub async fn insert_demo_volunteers(
        &self,
        volunteers: &[(NewUser, Profile)],
        password_hash: &str,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<Vec<UserId>> {
        let ids: Vec<UserId> = volunteers.iter().map(|_| UserId::new()).collect();
        let mut audit = audit.clone();
        for id in &ids {
            audit = audit.with_record_id(id);
        }
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            for (id, (u, pr)) in ids.iter().zip(volunteers) {
                sqlx::query(
                    "INSERT INTO users (id, username, display_name, region_code, password_hash, lang, disabled, created_at, password_changed_at)
                     VALUES ($1, $2, $3, $4, $5, 'zh', $6, $7, $7)",
                )
                .bind(id.0).bind(&u.username).bind(&u.display_name).bind(&u.region.0)
                .bind(password_hash).bind(false).bind(ms(now))
                .execute(&mut *tx).await.map_err(db_err)?;
                for g in &u.grants {
                    sqlx::query(
                        "INSERT INTO grants (id, user_id, role, region_code, org_id, granted_by, created_at)
                         VALUES ($1, $2, $3, $4, $5, NULL, $6)",
                    )
                    .bind(GrantId::new().0).bind(id.0).bind(g.role.as_str()).bind(&g.region.0)
                    .bind(g.org.map(|o| o.0)).bind(ms(now))
                    .execute(&mut *tx).await.map_err(db_err)?;
                }
                insert_profile!(tx, id, pr, now);
            }
            append_entry!(tx, head, &audit);
            tx.commit().await.map_err(db_err)?;
            Ok(ids)
        })
    }

    /// Demo seeding only: a profile for an existing account.
    pub async fn insert_demo_profile(
        &self,
        user: UserId,
        profile: &Profile,
        now: OffsetDateTime,
    ) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            insert_profile!(tx, user, profile, now);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }
}

/// Insert a profile row in the open transaction `$tx` (expands once per backend).
macro_rules! insert_profile {
    ($tx:ident, $user:expr, $pr:expr, $now:expr) => {{
        let pr: &Profile = $pr;
        sqlx::query(
            "INSERT INTO volunteer_profiles (user_id, skills, availability, home_community, team_org_id, region_code, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1)",
        )
        .bind($user.0)
        .bind(skills_to_str(pr.skills))
        .bind(&pr.availability)
        .bind(&pr.home_community.0)
        .bind(pr.team.map(|t| t.0))
        .bind(&pr.region.0)
        .bind(ms($now))
        .execute(&mut *$tx)
        .await
        .map_err(db_err)?;
    }};
}
use insert_profile;
