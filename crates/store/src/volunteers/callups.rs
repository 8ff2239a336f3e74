//! SQL for call-ups: campaigns, sign-ups and their decisions, commitments, set-password links.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use wushe_core::audit::AuditEvent;
use wushe_core::ids::{CampaignId, GrantId, OrgId, SignupId, UserId};
use wushe_core::regions::RegionCode;
use wushe_core::store::CallupStore;
use wushe_core::users::NewUser;
use wushe_core::volunteers::record::{Campaign, Commitment, PasswordLink, Profile, Signup};
use wushe_core::volunteers::skills_to_str;
use wushe_core::{Error, Result};

use super::{CAMPAIGN_COLS, CampaignRow, SIGNUP_COLS, SignupRow};
use crate::audit::{append_entry, lock_head};
use crate::{SqlStore, at, db_err, fetch, ms, on_pool, scope_clause};

#[async_trait]
impl CallupStore for SqlStore {
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
}
