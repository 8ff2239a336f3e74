//! Ports: what the domain needs from storage, one trait per feature. Each method is one
//! transaction. List methods take the actor's scope (region prefixes) and filter in the query.
//! Every method that changes data takes the [`AuditEvent`] describing the change and appends
//! it to the audit log in the same transaction; a method that creates a record adds the new
//! record's id (or code) to the event's record ids.

mod people;
mod volunteers;

pub use people::PeopleStore;
pub use volunteers::{CallupStore, DispatchStore, RosterStore, VolunteerStore};

use std::collections::HashMap;

use async_trait::async_trait;
use time::OffsetDateTime;

use uuid::Uuid;

use crate::actor::Grant;
use crate::audit::{Anchor, AuditEntry, AuditEvent, AuditFilter};
use crate::crypto::{EncryptedColumn, KeyId};
use crate::error::Result;
use crate::ids::{GrantId, JobId, NeedId, OrgId, TokenId, UserId};
use crate::ids::{OutboxId, SmsCodeId, WebhookId};
use crate::jobs::{Job, NewJob};
use crate::needs::queue::NeedQuery;
use crate::needs::record::{IdempotencyClaim, Inserted, Need};
use crate::needs::timeline::{NeedChange, NeedEvent, Notification, Referral, Task};
use crate::needs::tracking::TrackingCode;
use crate::notify::codes::{Purpose, SmsCode};
use crate::notify::sms::{SentCounts, SmsRecord};
use crate::notify::webhook::Webhook;
use crate::notify::{Channel, Finish, OutboxMessage, OutboxState};
use crate::orgs::{Org, OrgFilter, OrgInput};
use crate::regions::{Level, NewPlace, Region, RegionCode};
use crate::tokens::ApiToken;
use crate::users::login::{Alert, FailureCounts, LoginFailure, LoginState, NewAlert};
use crate::users::second_factor::{PendingLogin, SecondFactorState};
use crate::users::{NewUser, Session, StoredGrant, User};

#[async_trait]
pub trait RegionStore: Send + Sync {
    /// Insert or update official places in one transaction; returns how many rows changed.
    async fn upsert_regions(&self, regions: &[Region], audit: &AuditEvent) -> Result<usize>;
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
    async fn insert_place(
        &self,
        place: &NewPlace,
        display_name: &str,
        audit: &AuditEvent,
    ) -> Result<Region>;
}

#[async_trait]
pub trait OrgStore: Send + Sync {
    async fn insert_org(&self, org: &Org, audit: &AuditEvent) -> Result<()>;
    /// Update name, kind, region and contacts if `version` still matches.
    async fn update_org(
        &self,
        id: OrgId,
        input: &OrgInput,
        version: i64,
        now: OffsetDateTime,
        audit: &AuditEvent,
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
        audit: &AuditEvent,
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
        audit: &AuditEvent,
    ) -> Result<GrantId>;
    /// Remove a grant; `false` (and nothing audited) when there was none.
    async fn delete_grant(&self, user: UserId, grant: GrantId, audit: &AuditEvent) -> Result<bool>;
    async fn set_user_lang(&self, user: UserId, lang: &str, audit: &AuditEvent) -> Result<()>;
    /// Replace a hash by an upgraded hash of the same password, only if the stored hash is
    /// still `old` (a password changed meanwhile wins); `true` if replaced.
    async fn upgrade_password_hash(&self, user: UserId, old: &str, new: &str) -> Result<bool>;
    /// Set a new password hash and its change time, and end every session of the user except
    /// `keep_session` (a token hash), in one transaction.
    async fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        now: OffsetDateTime,
        keep_session: Option<&str>,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Disable or re-enable an account; disabling ends all its sessions and revokes its API
    /// tokens in the same transaction.
    async fn set_user_disabled(
        &self,
        user: UserId,
        disabled: bool,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<()>;
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Start a session (a login).
    async fn insert_session(&self, session: &Session, audit: &AuditEvent) -> Result<()>;
    async fn session(&self, token_hash: &str) -> Result<Option<Session>>;
    async fn touch_session(&self, token_hash: &str, now: OffsetDateTime) -> Result<()>;
    /// End a session: audited for a logout; `None` only when housekeeping drops an expired one.
    async fn delete_session(&self, token_hash: &str, audit: Option<&AuditEvent>) -> Result<()>;
    /// Remove sessions idle since `idle_before` or created before `created_before`.
    async fn purge_sessions(
        &self,
        idle_before: OffsetDateTime,
        created_before: OffsetDateTime,
    ) -> Result<u64>;
}

/// Counts and locks of the login defences (see `users::login`), keyed by account-name key and
/// client address, never by user id, so unknown names are treated like real ones.
#[async_trait]
pub trait LoginStore: Send + Sync {
    /// The locks on an account name and the failures from `address` since `address_since`.
    async fn login_state(
        &self,
        account_key: &str,
        address: &str,
        address_since: OffsetDateTime,
    ) -> Result<LoginState>;
    /// Record a failure: the event, the streak for (account, address), and the counts after it.
    async fn record_login_failure(&self, failure: &LoginFailure) -> Result<FailureCounts>;
    /// Lock an account for one address until `until`; the streak starts again from zero.
    async fn lock_login_here(
        &self,
        account_key: &str,
        address: &str,
        until: OffsetDateTime,
    ) -> Result<()>;
    /// Lock an account everywhere until `until`. Returns `true` when it was not locked at
    /// `now`; only then is `alert` written, in the same transaction.
    async fn lock_login_everywhere(
        &self,
        account_key: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
        alert: Option<&NewAlert>,
    ) -> Result<bool>;
    /// End the streak of failures of an account from an address (after a successful login).
    async fn clear_login_streak(&self, account_key: &str, address: &str) -> Result<()>;
    /// The end of the account-wide lock, if one was set (it may have passed).
    async fn login_locked_everywhere_until(
        &self,
        account_key: &str,
    ) -> Result<Option<OffsetDateTime>>;
    /// Lift every login lock of the account (everywhere and per address), forget its failures
    /// and resolve the open alerts about `user`, in one transaction.
    async fn unlock_login(
        &self,
        account_key: &str,
        user: UserId,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Open alerts about places under one of `scope`, newest first.
    async fn open_alerts(&self, scope: &[RegionCode]) -> Result<Vec<Alert>>;
    /// Forget failures, streaks and locks older than `before`.
    async fn purge_login_records(&self, before: OffsetDateTime) -> Result<u64>;
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

/// The append-only audit log. Appends are serialised on a one-row head, so concurrent
/// writers never fork the chain; the database refuses UPDATE and DELETE of entries.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Append one event on its own (events that change nothing else: failed logins, denials).
    async fn append_audit(&self, event: &AuditEvent) -> Result<AuditEntry>;
    /// Append `viewed` (committed first: nothing is read unrecorded), then return the newest
    /// entries filed under a region in `scope` that match `filter`, newest first.
    async fn list_audit(
        &self,
        scope: &[RegionCode],
        filter: &AuditFilter,
        viewed: &AuditEvent,
    ) -> Result<Vec<AuditEntry>>;
    /// Up to `limit` entries with `seq > after`, in `seq` order: verification pages through
    /// the whole log this way.
    async fn audit_page(&self, after: i64, limit: u32) -> Result<Vec<AuditEntry>>;
    /// The head row: how many entries were appended and the hash of the last.
    async fn audit_head(&self) -> Result<Anchor>;
}

#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn insert_token(
        &self,
        token: &ApiToken,
        secret_hash: &str,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// The token with this secret hash, whatever its state (the caller checks it is live).
    async fn token_by_hash(&self, secret_hash: &str) -> Result<Option<ApiToken>>;
    async fn tokens_of(&self, user: UserId) -> Result<Vec<ApiToken>>;
    /// Revoke a token of `user`; `false` if there is no such live token of theirs.
    async fn revoke_token(
        &self,
        user: UserId,
        id: TokenId,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<bool>;
    /// Record use, at most once a minute per token.
    async fn touch_token(&self, id: TokenId, now: OffsetDateTime) -> Result<()>;
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
        audit: &AuditEvent,
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

/// Needs of the green channel.
#[async_trait]
pub trait NeedStore: Send + Sync {
    /// Store a new need with its first timeline event, claiming `claim` in the same
    /// transaction (see [`Inserted`]).
    async fn insert_need(
        &self,
        need: &Need,
        created: &NeedEvent,
        claim: &IdempotencyClaim,
        audit: &AuditEvent,
    ) -> Result<Inserted>;
    async fn need(&self, id: NeedId) -> Result<Option<Need>>;
    async fn need_by_code(&self, code: &TrackingCode) -> Result<Option<Need>>;
}

/// Work on needs: changes with their timeline, referrals, tasks, escalations and
/// notifications, and the lists behind the queue.
#[async_trait]
pub trait NeedWorkStore: Send + Sync {
    /// Write one change in one transaction; `Conflict` when the need's version is no longer
    /// `change.expected_version` (someone changed it meanwhile) or an escalation level was
    /// already recorded.
    async fn apply_need_change(&self, change: &NeedChange, audit: &AuditEvent) -> Result<()>;
    /// The timeline, oldest first.
    async fn need_events(&self, id: NeedId) -> Result<Vec<NeedEvent>>;
    async fn need_referrals(&self, id: NeedId) -> Result<Vec<Referral>>;
    async fn need_tasks(&self, id: NeedId) -> Result<Vec<Task>>;
    /// Needs matching an already scoped query, newest first, at most `query.limit`.
    async fn list_needs(&self, query: &NeedQuery) -> Result<Vec<Need>>;
    /// Open needs whose SLA clocks are due at `now`.
    async fn needs_due_for_sla(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<NeedId>>;
    /// A staff member's newest notifications.
    async fn notifications(&self, user: UserId, limit: u32) -> Result<Vec<Notification>>;
    async fn unread_notifications(&self, user: UserId) -> Result<i64>;
    async fn mark_notifications_read(&self, user: UserId, now: OffsetDateTime) -> Result<()>;
    /// Enabled users holding `role` through a grant whose region covers `region`, with that
    /// grant's region.
    async fn grant_holders(
        &self,
        role: crate::actor::Role,
        region: &RegionCode,
    ) -> Result<Vec<(UserId, RegionCode)>>;
}

#[async_trait]
pub trait HealthStore: Send + Sync {
    /// A cheap round trip to the database.
    async fn ping(&self) -> Result<()>;
}

/// Notifications that leave wushe: the outbox (its rows for need changes are written by
/// `NeedWorkStore::apply_need_change` and the intake in their own transactions), webhook
/// destinations and the record of texts.
#[async_trait]
pub trait NotifyStore: Send + Sync {
    /// Queue messages not caused by a need change (tracking-link recovery).
    async fn enqueue_outbox(&self, messages: &[OutboxMessage], audit: &AuditEvent) -> Result<()>;
    /// Claim up to `limit` due pending rows until `lease_until` (PostgreSQL skips rows
    /// another node holds); each claim counts as an attempt.
    async fn claim_outbox(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>>;
    /// Claim one row if it is pending and not held (a code's text is delivered at once by
    /// the request that asked for it; the worker would take it a second later otherwise).
    async fn claim_outbox_row(
        &self,
        id: OutboxId,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Option<OutboxMessage>>;
    /// Finish every pending row of a channel as not sent, in one statement (texts switched
    /// off: no row costs a transaction of its own).
    async fn skip_outbox(&self, channel: Channel, why: &str, now: OffsetDateTime) -> Result<u64>;
    /// Record how an attempt ended, with the text it sent or capped, in one transaction.
    async fn finish_outbox(
        &self,
        id: OutboxId,
        finish: &Finish,
        sms: Option<&SmsRecord>,
        now: OffsetDateTime,
    ) -> Result<()>;
    /// Texts sent to a number (any of its blind index candidates) in the last hour and day,
    /// and asked for from `origin` in the last hour.
    async fn sms_counts(
        &self,
        phone_index: &[String],
        origin: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<SentCounts>;
    /// Demo-mode texts, newest first.
    async fn demo_texts(&self, limit: u32) -> Result<Vec<SmsRecord>>;
    async fn list_outbox(
        &self,
        scope: &[RegionCode],
        states: &[OutboxState],
        limit: u32,
    ) -> Result<Vec<OutboxMessage>>;
    async fn outbox_message(&self, id: OutboxId) -> Result<Option<OutboxMessage>>;
    /// A dead or capped row back to pending, due `now`, attempts from zero.
    async fn retry_outbox(
        &self,
        id: OutboxId,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Rows per (channel, state), for `/metrics`.
    async fn outbox_counts(&self) -> Result<Vec<(String, String, i64)>>;
    async fn insert_webhook(&self, w: &Webhook, audit: &AuditEvent) -> Result<()>;
    async fn webhooks(&self, scope: &[RegionCode]) -> Result<Vec<Webhook>>;
    async fn webhook(&self, id: WebhookId) -> Result<Option<Webhook>>;
    async fn deactivate_webhook(&self, id: WebhookId, audit: &AuditEvent) -> Result<()>;
    /// Replace an active destination's sealed secret; `false` (nothing changes) when it is
    /// no longer active.
    async fn set_webhook_secret(
        &self,
        id: WebhookId,
        secret: &[u8],
        audit: &AuditEvent,
    ) -> Result<bool>;
    /// Open needs whose mobile's blind index is one of `candidates`: id, code, community.
    async fn open_needs_by_mobile(
        &self,
        candidates: &[String],
    ) -> Result<Vec<(NeedId, TrackingCode, RegionCode)>>;
}

/// One-time codes texted for sign-ups and logins (`notify::codes`).
#[async_trait]
pub trait CodeStore: Send + Sync {
    /// Store a code and queue its text, in one transaction: any live code of the same purpose
    /// and number is marked used first (a new code replaces the old).
    async fn issue_sms_code(
        &self,
        code: &SmsCode,
        message: &OutboxMessage,
        audit: &AuditEvent,
    ) -> Result<()>;
    async fn sms_code(&self, id: SmsCodeId) -> Result<Option<SmsCode>>;
    /// Count one try on the live code of this purpose whose number's blind index is one of
    /// `candidates` (unused, unexpired, fewer than `max_tries` tries) and return it; `None`
    /// when there is no such code. The count is taken before any comparison.
    async fn try_sms_code(
        &self,
        purpose: Purpose,
        candidates: &[String],
        max_tries: i64,
        now: OffsetDateTime,
    ) -> Result<Option<SmsCode>>;
    /// Mark a code used; `false` when it already was (a code works once).
    async fn use_sms_code(&self, id: SmsCodeId, now: OffsetDateTime) -> Result<bool>;
    /// Delete the codes issued before `issued_before` that are used or expired at `now`,
    /// the outbox rows naming them and the record of those texts, in one transaction with
    /// one audit entry (`count:N`, `outbox:N`, `texts:N` added; none when nothing went).
    /// Returns how many codes.
    async fn purge_sms_codes(
        &self,
        issued_before: OffsetDateTime,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<u64>;
}

/// Everything the domain needs from storage.
pub trait Store:
    RegionStore
    + OrgStore
    + UserStore
    + SessionStore
    + LoginStore
    + TokenStore
    + JobStore
    + AuditStore
    + KeyStore
    + SecondFactorStore
    + NeedStore
    + NeedWorkStore
    + PeopleStore
    + CallupStore
    + VolunteerStore
    + RosterStore
    + DispatchStore
    + HealthStore
    + NotifyStore
    + CodeStore
{
}

impl<T> Store for T where
    T: RegionStore
        + OrgStore
        + UserStore
        + SessionStore
        + LoginStore
        + TokenStore
        + JobStore
        + AuditStore
        + HealthStore
        + KeyStore
        + SecondFactorStore
        + NeedStore
        + NeedWorkStore
        + PeopleStore
        + CallupStore
        + VolunteerStore
        + RosterStore
        + DispatchStore
        + NotifyStore
        + CodeStore
{
}
