//! SQL for volunteers: call-ups, sign-ups, commitments, profiles, set-password links, posts,
//! shifts, bookings and certificates. Booking relies on the database as the last word: the
//! `taken <= slots` CHECK and the overlap trigger of migration 0009 refuse what a race
//! would otherwise let through, and their errors come back as the booking rules' messages.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use wushe_core::audit::AuditEvent;
use wushe_core::ids::{BookingId, CampaignId, GrantId, OrgId, PostId, ShiftId, SignupId, UserId};
use wushe_core::regions::RegionCode;
use wushe_core::store::VolunteerStore;
use wushe_core::users::NewUser;
use wushe_core::volunteers::PostKind;
use wushe_core::volunteers::booking::{BookingState, Refusal, Window};
use wushe_core::volunteers::record::{
    Booking, Campaign, CampaignRole, CampaignState, Certificate, Commitment, PasswordLink, Post,
    Profile, RosterEntry, Shift, Signup, SignupState, VolunteerRow,
};
use wushe_core::volunteers::skills_from_str;
use wushe_core::volunteers::skills_to_str;
use wushe_core::{Error, Result};

use crate::audit::{append_entry, lock_head};
use crate::{SqlStore, at, db_err, fetch, ms, on_pool, scope_clause};

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

#[async_trait]
impl VolunteerStore for SqlStore {
    async fn insert_campaign(&self, c: &Campaign, audit: &AuditEvent) -> Result<()> {
        let roles = serde_json::to_string(&c.roles).map_err(Error::internal)?;
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            sqlx::query(
                "INSERT INTO campaigns (id, org_id, title, description, region_code, meeting_point, roles,
                 min_age, max_age, starts_at, ends_at, state, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(c.id.0).bind(c.org.0).bind(&c.title).bind(&c.description).bind(&c.region.0)
            .bind(&c.meeting_point).bind(&roles).bind(c.min_age).bind(c.max_age)
            .bind(ms(c.period.start)).bind(ms(c.period.end)).bind(c.state.as_str())
            .bind(c.created_by.0).bind(ms(c.created_at))
            .execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn campaign(&self, id: CampaignId) -> Result<Option<Campaign>> {
        let sql = format!("SELECT {CAMPAIGN_COLS} FROM campaigns WHERE id = $1");
        let row: Option<CampaignRow> = fetch!(optional, &self.db, sql, [id.0])?;
        row.map(Campaign::try_from).transpose()
    }

    async fn close_campaign(&self, id: CampaignId, audit: &AuditEvent) -> Result<bool> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let n = sqlx::query("UPDATE campaigns SET state = 'closed' WHERE id = $1 AND state = 'open'")
                .bind(id.0)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if n != 1 {
                return Ok(false);
            }
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    async fn open_campaigns(&self, now: OffsetDateTime) -> Result<Vec<Campaign>> {
        let sql = format!(
            "SELECT {CAMPAIGN_COLS} FROM campaigns WHERE state = 'open' AND ends_at > $1
             ORDER BY created_at DESC LIMIT 100"
        );
        let rows: Vec<CampaignRow> = fetch!(all, &self.db, sql, [ms(now)])?;
        rows.into_iter().map(Campaign::try_from).collect()
    }

    async fn list_campaigns(&self, scope: &[RegionCode]) -> Result<Vec<Campaign>> {
        let sql = format!(
            "SELECT {CAMPAIGN_COLS} FROM campaigns WHERE {} ORDER BY created_at DESC LIMIT 200",
            scope_clause("region_code", scope.len(), 1)
        );
        let rows: Vec<CampaignRow> = fetch!(all, &self.db, sql, [], in scope)?;
        rows.into_iter().map(Campaign::try_from).collect()
    }

    async fn insert_signup(&self, s: &Signup, audit: &AuditEvent) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            sqlx::query(
                "INSERT INTO campaign_signups (id, campaign_id, role_name, name, mobile, mobile_index,
                 phone_verified, age, skills, availability, home_community, notice_version, state,
                 reason, decided_by, decided_at, user_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL, NULL, NULL, NULL, $14)",
            )
            .bind(s.id.0).bind(s.campaign.0).bind(&s.role_name).bind(&s.name).bind(&s.mobile)
            .bind(&s.mobile_index).bind(i32::from(s.phone_verified)).bind(s.age)
            .bind(skills_to_str(s.skills)).bind(&s.availability).bind(&s.home_community.0)
            .bind(&s.notice_version).bind(s.state.as_str()).bind(ms(s.created_at))
            .execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn signup(&self, id: SignupId) -> Result<Option<Signup>> {
        let sql = format!("SELECT {SIGNUP_COLS} FROM campaign_signups WHERE id = $1");
        let row: Option<SignupRow> = fetch!(optional, &self.db, sql, [id.0])?;
        row.map(Signup::try_from).transpose()
    }

    async fn signups_of(&self, campaign: CampaignId) -> Result<Vec<Signup>> {
        let sql = format!(
            "SELECT {SIGNUP_COLS} FROM campaign_signups WHERE campaign_id = $1 ORDER BY created_at LIMIT 2000"
        );
        let rows: Vec<SignupRow> = fetch!(all, &self.db, sql, [campaign.0])?;
        rows.into_iter().map(Signup::try_from).collect()
    }

    async fn approve_signup(
        &self,
        id: SignupId,
        u: &NewUser,
        unusable_password_hash: &str,
        profile: &Profile,
        link: &PasswordLink,
        by: UserId,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<UserId> {
        let uid = UserId::new();
        let audit = audit.with_record_id(uid);
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let n = sqlx::query(
                "UPDATE campaign_signups SET state = 'approved', decided_by = $1, decided_at = $2, user_id = $3
                 WHERE id = $4 AND state = 'pending'",
            )
            .bind(by.0).bind(ms(now)).bind(uid.0).bind(id.0);
            // The user row must exist before the sign-up points at it: insert it first.
            sqlx::query(
                "INSERT INTO users (id, username, display_name, region_code, password_hash, lang, disabled, created_at, password_changed_at)
                 VALUES ($1, $2, $3, $4, $5, 'zh', $6, $7, $7)",
            )
            .bind(uid.0).bind(&u.username).bind(&u.display_name).bind(&u.region.0)
            .bind(unusable_password_hash).bind(false).bind(ms(now))
            .execute(&mut *tx).await.map_err(db_err)?;
            if n.execute(&mut *tx).await.map_err(db_err)?.rows_affected() != 1 {
                return Err(Error::Conflict("sign-up changed meanwhile".into()));
            }
            for g in &u.grants {
                sqlx::query(
                    "INSERT INTO grants (id, user_id, role, region_code, org_id, granted_by, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(GrantId::new().0).bind(uid.0).bind(g.role.as_str()).bind(&g.region.0)
                .bind(g.org.map(|o| o.0)).bind(by.0).bind(ms(now))
                .execute(&mut *tx).await.map_err(db_err)?;
            }
            sqlx::query(
                "INSERT INTO volunteer_profiles (user_id, skills, availability, home_community, team_org_id, region_code, updated_at, version)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 1)",
            )
            .bind(uid.0).bind(skills_to_str(profile.skills)).bind(&profile.availability)
            .bind(&profile.home_community.0).bind(profile.team.map(|t| t.0)).bind(&profile.region.0)
            .bind(ms(now))
            .execute(&mut *tx).await.map_err(db_err)?;
            sqlx::query("INSERT INTO password_links (token_hash, user_id, expires_at, used_at) VALUES ($1, $2, $3, NULL)")
                .bind(&link.token_hash).bind(uid.0).bind(ms(link.expires_at))
                .execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, &audit);
            tx.commit().await.map_err(db_err)?;
            Ok(uid)
        })
    }

    async fn decline_signup(
        &self,
        id: SignupId,
        reason: &str,
        by: UserId,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let n = sqlx::query(
                "UPDATE campaign_signups SET state = 'declined', reason = $1, decided_by = $2, decided_at = $3
                 WHERE id = $4 AND state = 'pending'",
            )
            .bind(reason).bind(by.0).bind(ms(now)).bind(id.0)
            .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if n != 1 {
                return Err(Error::Conflict("sign-up changed meanwhile".into()));
            }
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn insert_commitment(&self, c: &Commitment, audit: &AuditEvent) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            sqlx::query(
                "INSERT INTO campaign_commitments (id, campaign_id, org_id, people, note, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(c.id).bind(c.campaign.0).bind(c.org.0).bind(c.people).bind(&c.note)
            .bind(c.created_by.0).bind(ms(c.created_at))
            .execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn commitments_of(&self, campaign: CampaignId) -> Result<Vec<Commitment>> {
        #[allow(clippy::type_complexity)]
        let rows: Vec<(Uuid, Uuid, Uuid, i32, String, Uuid, i64)> =
            on_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, campaign_id, org_id, people, note, created_by, created_at
             FROM campaign_commitments WHERE campaign_id = $1 ORDER BY created_at"
        ).bind(campaign.0).fetch_all(p).await)
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(id, c, o, people, note, by, t)| Commitment {
                id,
                campaign: CampaignId(c),
                org: OrgId(o),
                people,
                note,
                created_by: UserId(by),
                created_at: at(t),
            })
            .collect())
    }

    async fn password_link(&self, token_hash: &str, now: OffsetDateTime) -> Result<Option<UserId>> {
        let row: Option<(Uuid,)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT user_id FROM password_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2"
        ).bind(token_hash).bind(ms(now)).fetch_optional(p).await)
        .map_err(db_err)?;
        Ok(row.map(|r| UserId(r.0)))
    }

    async fn use_password_link(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<bool> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let row: Option<(Uuid,)> = sqlx::query_as(
                "UPDATE password_links SET used_at = $1
                 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
            )
            .bind(ms(now)).bind(token_hash)
            .fetch_optional(&mut *tx).await.map_err(db_err)?;
            let Some((user,)) = row else {
                return Ok(false);
            };
            sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
                .bind(password_hash).bind(ms(now)).bind(user)
                .execute(&mut *tx).await.map_err(db_err)?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user).execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    async fn profile(&self, user: UserId) -> Result<Option<Profile>> {
        let sql = format!("SELECT {PROFILE_COLS} FROM volunteer_profiles WHERE user_id = $1");
        let row: Option<ProfileRow> = fetch!(optional, &self.db, sql, [user.0])?;
        Ok(row.map(Profile::from))
    }

    async fn update_profile(&self, pr: &Profile, audit: &AuditEvent) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let n = sqlx::query(
                "UPDATE volunteer_profiles SET skills = $1, availability = $2, home_community = $3,
                 team_org_id = $4, updated_at = $5, version = version + 1
                 WHERE user_id = $6 AND version = $7",
            )
            .bind(skills_to_str(pr.skills)).bind(&pr.availability).bind(&pr.home_community.0)
            .bind(pr.team.map(|t| t.0)).bind(ms(pr.updated_at)).bind(pr.user.0).bind(pr.version)
            .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if n != 1 {
                return Err(Error::Conflict("profile changed meanwhile".into()));
            }
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn list_volunteers(&self, scope: &[RegionCode]) -> Result<Vec<VolunteerRow>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            p: ProfileRow,
            username: String,
            display_name: String,
        }
        let sql = format!(
            "SELECT v.user_id, v.skills, v.availability, v.home_community, v.team_org_id, v.region_code,
             v.updated_at, v.version, u.username, u.display_name
             FROM volunteer_profiles v JOIN users u ON u.id = v.user_id
             WHERE u.disabled = $1 AND {} ORDER BY u.display_name LIMIT 1000",
            scope_clause("v.region_code", scope.len(), 2)
        );
        let rows: Vec<Row> = fetch!(all, &self.db, sql, [false], in scope)?;
        Ok(rows
            .into_iter()
            .map(|r| VolunteerRow {
                user: UserId(r.p.user_id),
                username: r.username,
                display_name: r.display_name,
                profile: Profile::from(r.p),
            })
            .collect())
    }

    async fn insert_post(&self, post: &Post, audit: &AuditEvent) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            sqlx::query(
                "INSERT INTO posts (id, region_code, kind, name, lead_user_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(post.id.0).bind(&post.region.0).bind(post.kind.as_str()).bind(&post.name)
            .bind(post.lead.map(|u| u.0)).bind(ms(post.created_at))
            .execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn post(&self, id: PostId) -> Result<Option<Post>> {
        let sql = format!("SELECT {POST_COLS} FROM posts WHERE id = $1");
        let row: Option<PostRow> = fetch!(optional, &self.db, sql, [id.0])?;
        row.map(Post::try_from).transpose()
    }

    async fn list_posts(&self, scope: &[RegionCode]) -> Result<Vec<Post>> {
        let sql = format!(
            "SELECT {POST_COLS} FROM posts WHERE {} ORDER BY region_code, name LIMIT 500",
            scope_clause("region_code", scope.len(), 1)
        );
        let rows: Vec<PostRow> = fetch!(all, &self.db, sql, [], in scope)?;
        rows.into_iter().map(Post::try_from).collect()
    }

    async fn set_post_lead(
        &self,
        post: PostId,
        lead: Option<UserId>,
        audit: &AuditEvent,
    ) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let n = sqlx::query("UPDATE posts SET lead_user_id = $1 WHERE id = $2")
                .bind(lead.map(|u| u.0)).bind(post.0)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if n != 1 {
                return Err(Error::NotFound);
            }
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn posts_led_by(&self, user: UserId) -> Result<Vec<Post>> {
        let sql = format!(
            "SELECT {POST_COLS} FROM posts WHERE lead_user_id = $1 ORDER BY name LIMIT 100"
        );
        let rows: Vec<PostRow> = fetch!(all, &self.db, sql, [user.0])?;
        rows.into_iter().map(Post::try_from).collect()
    }

    async fn insert_shifts(&self, shifts: &[Shift], audit: &AuditEvent) -> Result<()> {
        let mut audit = audit.clone();
        for s in shifts {
            audit = audit.with_record_id(s.id);
        }
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            for s in shifts {
                sqlx::query(
                    "INSERT INTO shifts (id, post_id, region_code, starts_at, ends_at, slots, taken)
                     VALUES ($1, $2, $3, $4, $5, $6, 0)",
                )
                .bind(s.id.0).bind(s.post.0).bind(&s.region.0).bind(ms(s.window.start))
                .bind(ms(s.window.end)).bind(s.slots)
                .execute(&mut *tx).await.map_err(db_err)?;
            }
            append_entry!(tx, head, &audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn shift(&self, id: ShiftId) -> Result<Option<Shift>> {
        let sql = format!("SELECT {SHIFT_COLS} FROM shifts WHERE id = $1");
        let row: Option<ShiftRow> = fetch!(optional, &self.db, sql, [id.0])?;
        Ok(row.map(Shift::from))
    }

    async fn shifts_of_post(&self, post: PostId) -> Result<Vec<Shift>> {
        let sql = format!(
            "SELECT {SHIFT_COLS} FROM shifts WHERE post_id = $1 ORDER BY starts_at LIMIT 500"
        );
        let rows: Vec<ShiftRow> = fetch!(all, &self.db, sql, [post.0])?;
        Ok(rows.into_iter().map(Shift::from).collect())
    }

    async fn shifts_between(
        &self,
        scope: &[RegionCode],
        from: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Vec<Shift>> {
        let sql = format!(
            "SELECT {SHIFT_COLS} FROM shifts WHERE ends_at > $1 AND starts_at < $2 AND {}
             ORDER BY starts_at LIMIT 1000",
            scope_clause("region_code", scope.len(), 3)
        );
        let rows: Vec<ShiftRow> = fetch!(all, &self.db, sql, [ms(from), ms(until)], in scope)?;
        Ok(rows.into_iter().map(Shift::from).collect())
    }

    async fn book_shift(&self, b: &Booking, audit: &AuditEvent) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            sqlx::query(
                "INSERT INTO shift_bookings (id, shift_id, user_id, starts_at, ends_at, state,
                 checked_in_at, checked_out_at, booked_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, $7, $8)",
            )
            .bind(b.id.0).bind(b.shift.0).bind(b.user.0).bind(ms(b.window.start))
            .bind(ms(b.window.end)).bind(b.state.as_str()).bind(b.booked_by.0).bind(ms(b.created_at))
            .execute(&mut *tx).await.map_err(booking_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn booking(&self, id: BookingId) -> Result<Option<Booking>> {
        let sql = format!("SELECT {BOOKING_COLS} FROM shift_bookings b WHERE b.id = $1");
        let row: Option<BookingRow> = fetch!(optional, &self.db, sql, [id.0])?;
        row.map(Booking::try_from).transpose()
    }

    async fn roster(&self, post: PostId) -> Result<Vec<RosterEntry>> {
        let sql = format!(
            "SELECT {BOOKING_COLS}, u.username, u.display_name FROM shift_bookings b
             JOIN shifts s ON s.id = b.shift_id JOIN users u ON u.id = b.user_id
             WHERE s.post_id = $1 ORDER BY b.starts_at, u.display_name LIMIT 5000"
        );
        let rows: Vec<NamedBookingRow> = fetch!(all, &self.db, sql, [post.0])?;
        rows.into_iter()
            .map(|r| {
                Ok(RosterEntry {
                    booking: Booking::try_from(r.b)?,
                    display_name: r.display_name,
                })
            })
            .collect()
    }

    async fn bookings_of_user(&self, user: UserId) -> Result<Vec<Booking>> {
        let sql = format!(
            "SELECT {BOOKING_COLS} FROM shift_bookings b WHERE b.user_id = $1 ORDER BY b.starts_at LIMIT 2000"
        );
        let rows: Vec<BookingRow> = fetch!(all, &self.db, sql, [user.0])?;
        rows.into_iter().map(Booking::try_from).collect()
    }

    async fn set_attendance(
        &self,
        id: BookingId,
        from: BookingState,
        to: BookingState,
        when: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<bool> {
        let sql = match to {
            BookingState::CheckedIn => {
                "UPDATE shift_bookings SET state = $1, checked_in_at = $2 WHERE id = $3 AND state = $4"
            }
            BookingState::CheckedOut => {
                "UPDATE shift_bookings SET state = $1, checked_out_at = $2 WHERE id = $3 AND state = $4"
            }
            BookingState::NoShow | BookingState::Booked => {
                "UPDATE shift_bookings SET state = $1 WHERE id = $3 AND state = $4 AND $2 = $2"
            }
        };
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let n = sqlx::query(sql)
                .bind(to.as_str()).bind(ms(when)).bind(id.0).bind(from.as_str())
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if n != 1 {
                return Ok(false);
            }
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    async fn checked_bookings(
        &self,
        scope: &[RegionCode],
    ) -> Result<Vec<(String, String, Booking)>> {
        let sql = format!(
            "SELECT {BOOKING_COLS}, u.username, u.display_name FROM shift_bookings b
             JOIN users u ON u.id = b.user_id JOIN volunteer_profiles v ON v.user_id = b.user_id
             WHERE b.state = 'checked_out' AND {} ORDER BY u.username, b.starts_at LIMIT 100000",
            scope_clause("v.region_code", scope.len(), 1)
        );
        let rows: Vec<NamedBookingRow> = fetch!(all, &self.db, sql, [], in scope)?;
        rows.into_iter()
            .map(|r| Ok((r.username, r.display_name, Booking::try_from(r.b)?)))
            .collect()
    }

    async fn insert_certificate(&self, c: &Certificate, audit: &AuditEvent) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            sqlx::query(
                "INSERT INTO service_certificates (id, user_id, display_name, minutes, region_code, issued_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&c.id).bind(c.user.0).bind(&c.display_name).bind(c.minutes)
            .bind(&c.region.0).bind(ms(c.issued_at))
            .execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn certificate(&self, id: &str) -> Result<Option<Certificate>> {
        let row: Option<CertificateRow> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, user_id, display_name, minutes, region_code, issued_at FROM service_certificates WHERE id = $1"
        ).bind(id).fetch_optional(p).await)
        .map_err(db_err)?;
        Ok(row.map(|r| Certificate {
            id: r.id,
            user: UserId(r.user_id),
            display_name: r.display_name,
            minutes: r.minutes,
            region: RegionCode(r.region_code),
            issued_at: at(r.issued_at),
        }))
    }
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
