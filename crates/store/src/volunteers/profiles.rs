//! SQL for volunteers' profiles.

use async_trait::async_trait;
use wushe_core::audit::AuditEvent;
use wushe_core::ids::UserId;
use wushe_core::regions::RegionCode;
use wushe_core::store::VolunteerStore;
use wushe_core::volunteers::record::{Profile, VolunteerRow};
use wushe_core::volunteers::skills_to_str;
use wushe_core::{Error, Result};

use super::{PROFILE_COLS, ProfileRow};
use crate::audit::{append_entry, lock_head};
use crate::{SqlStore, db_err, fetch, ms, on_pool, scope_clause};

#[async_trait]
impl VolunteerStore for SqlStore {
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
}
