//! Ports: what the domain needs from storage, one trait per feature. Each method is one
//! transaction. List methods take the actor's scope (region prefixes) and filter in the query.

use std::collections::HashMap;

use async_trait::async_trait;
use time::OffsetDateTime;

use uuid::Uuid;

use crate::actor::Grant;
use crate::crypto::{EncryptedColumn, KeyId};
use crate::error::Result;
use crate::ids::{GrantId, JobId, OrgId, UserId};
use crate::jobs::{Job, NewJob};
use crate::orgs::{Org, OrgFilter, OrgInput};
use crate::regions::{Level, NewPlace, Region, RegionCode};
use crate::users::second_factor::{PendingLogin, SecondFactorState};
use crate::users::{NewUser, Session, StoredGrant, User};

#[async_trait]
pub trait RegionStore: Send + Sync {
    /// Insert or update official places in one transaction; returns how many rows changed.
    async fn upsert_regions(&self, regions: &[Region]) -> Result<usize>;
    /// Level and display name of every stored official place (for import validation).
    async fn region_index(&self) -> Result<HashMap<String, (Level, String)>>;
    async fn region(&self, code: &RegionCode) -> Result<Option<Region>>;
    /// Children of a place, or the top-level places when `parent` is `None`.
    async fn region_children(&self, parent: Option<&RegionCode>) -> Result<Vec<Region>>;
    /// The place and every place above it, top first.
    async fn region_path(&self, code: &RegionCode) -> Result<Vec<Region>>;
    /// Places whose name contains `query`, widest first.
    async fn search_regions(&self, query: &str, limit: u32) -> Result<Vec<Region>>;
    /// Add a grid or building; its code is the parent's code plus the next free segment.
    async fn insert_place(&self, place: &NewPlace, display_name: &str) -> Result<Region>;
}

#[async_trait]
pub trait OrgStore: Send + Sync {
    async fn insert_org(&self, org: &Org) -> Result<()>;
    /// Update name, kind, region and contacts if `version` still matches.
    async fn update_org(
        &self,
        id: OrgId,
        input: &OrgInput,
        version: i64,
        now: OffsetDateTime,
    ) -> Result<()>;
    async fn org(&self, id: OrgId) -> Result<Option<Org>>;
    async fn list_orgs(&self, filter: &OrgFilter) -> Result<Vec<Org>>;
}

#[async_trait]
pub trait UserStore: Send + Sync {
    /// Create a user and their grants together; `Conflict` if the user name is taken.
    async fn insert_user(
        &self,
        user: &NewUser,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<UserId>;
    async fn user(&self, id: UserId) -> Result<Option<User>>;
    async fn user_by_name(&self, username: &str) -> Result<Option<User>>;
    async fn password_hash(&self, id: UserId) -> Result<Option<String>>;
    /// Users whose home region lies under one of `scope`.
    async fn list_users(&self, scope: &[RegionCode]) -> Result<Vec<User>>;
    async fn grants(&self, user: UserId) -> Result<Vec<StoredGrant>>;
    async fn insert_grant(
        &self,
        user: UserId,
        grant: &Grant,
        by: UserId,
        now: OffsetDateTime,
    ) -> Result<GrantId>;
    async fn delete_grant(&self, user: UserId, grant: GrantId) -> Result<bool>;
    async fn set_user_lang(&self, user: UserId, lang: &str) -> Result<()>;
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn insert_session(&self, session: &Session) -> Result<()>;
    async fn session(&self, token_hash: &str) -> Result<Option<Session>>;
    async fn touch_session(&self, token_hash: &str, now: OffsetDateTime) -> Result<()>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// Remove sessions idle since `idle_before` or created before `created_before`.
    async fn purge_sessions(
        &self,
        idle_before: OffsetDateTime,
        created_before: OffsetDateTime,
    ) -> Result<u64>;
}

#[async_trait]
pub trait JobStore: Send + Sync {
    /// Queue a job; a job with the same `unique_key` is queued only once.
    async fn enqueue(&self, job: &NewJob) -> Result<bool>;
    /// Take the next due job, leasing it until `lease_until` (safe with many workers).
    async fn claim_job(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Option<Job>>;
    async fn complete_job(&self, id: JobId, now: OffsetDateTime) -> Result<()>;
    async fn fail_job(
        &self,
        id: JobId,
        error: &str,
        retry_at: Option<OffsetDateTime>,
    ) -> Result<()>;
}

#[async_trait]
pub trait KeyStore: Send + Sync {
    /// `(key id, fingerprint)` of every key this database has seen.
    async fn key_fingerprints(&self) -> Result<Vec<(KeyId, String)>>;
    /// Record a key's fingerprint unless one is already stored for that id.
    async fn add_key_fingerprint(
        &self,
        id: KeyId,
        fingerprint: &str,
        now: OffsetDateTime,
    ) -> Result<()>;
    /// Every column that holds sealed values (the one registry).
    fn encrypted_columns(&self) -> &'static [EncryptedColumn];
    /// Up to `limit` non-null sealed values of a column with row ids after `after`, by id.
    async fn sealed_batch(
        &self,
        column: &EncryptedColumn,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<(Uuid, Vec<u8>)>>;
    /// Replace a sealed value if it is still `old`; false when it changed meanwhile.
    async fn replace_sealed(
        &self,
        column: &EncryptedColumn,
        row: Uuid,
        old: &[u8],
        new: &[u8],
    ) -> Result<bool>;
}

#[async_trait]
pub trait SecondFactorStore: Send + Sync {
    async fn second_factor(&self, user: UserId) -> Result<SecondFactorState>;
    /// Store a sealed TOTP secret awaiting confirmation, unless one is already confirmed.
    async fn set_pending_totp(&self, user: UserId, sealed: &[u8]) -> Result<bool>;
    /// Confirm the pending secret (first code's step) and replace the recovery codes.
    async fn confirm_totp(
        &self,
        user: UserId,
        step: i64,
        recovery_hashes: &[String],
        now: OffsetDateTime,
    ) -> Result<bool>;
    /// Record the step of an accepted code if it is later than the last one (no replays).
    async fn use_totp_step(&self, user: UserId, step: i64) -> Result<bool>;
    /// Mark an unused recovery code, given by its candidate hashes, used; false if none.
    async fn use_recovery_code(
        &self,
        user: UserId,
        candidates: &[String],
        now: OffsetDateTime,
    ) -> Result<bool>;
    /// Exempt an account from the second factor. Only the demo seeding calls this.
    async fn set_mfa_exempt(&self, user: UserId, exempt: bool) -> Result<()>;
    async fn insert_pending_login(&self, login: &PendingLogin) -> Result<()>;
    async fn pending_login(&self, token_hash: &str) -> Result<Option<PendingLogin>>;
    /// Count one wrong code; returns the count so far.
    async fn count_wrong_code(&self, token_hash: &str) -> Result<i64>;
    async fn delete_pending_login(&self, token_hash: &str) -> Result<()>;
    /// Remove pending logins started before `before`.
    async fn purge_pending_logins(&self, before: OffsetDateTime) -> Result<u64>;
}

#[async_trait]
pub trait HealthStore: Send + Sync {
    /// A cheap round trip to the database.
    async fn ping(&self) -> Result<()>;
}

/// Everything the domain needs from storage.
pub trait Store:
    RegionStore
    + OrgStore
    + UserStore
    + SessionStore
    + JobStore
    + KeyStore
    + SecondFactorStore
    + HealthStore
{
}

impl<
    T: RegionStore
        + OrgStore
        + UserStore
        + SessionStore
        + JobStore
        + KeyStore
        + SecondFactorStore
        + HealthStore,
> Store for T
{
}
