//! Ports of the vulnerable-people registry (see the module above for what every port promises).

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::audit::AuditEvent;
use crate::error::Result;
use crate::ids::{PersonId, UserId};
use crate::people::checks::Check;
use crate::people::record::Person;
use crate::people::schedule::{DueCount, DueGroup, PeopleFilter};
use crate::regions::RegionCode;

/// The vulnerable-people registry and its welfare checks.
#[async_trait]
pub trait PeopleStore: Send + Sync {
    async fn insert_person(&self, person: &Person, audit: &AuditEvent) -> Result<()>;
    /// Insert many people and their past checks in one transaction with one audit entry
    /// (demo data, imports, benchmarks).
    async fn insert_people_batch(
        &self,
        people: &[Person],
        checks: &[Check],
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Replace every field of a person if the stored version is still `version` (the new
    /// version is `version + 1`); `Conflict` otherwise.
    async fn update_person(&self, person: &Person, version: i64, audit: &AuditEvent) -> Result<()>;
    async fn person(&self, id: PersonId) -> Result<Option<Person>>;
    /// Active (and, if asked, closed) people under one of `scope`, by region then id.
    async fn list_people(&self, scope: &[RegionCode], filter: &PeopleFilter)
    -> Result<Vec<Person>>;
    /// People under one of `scope` whose ID-number blind index is one of `id_number_indexes`
    /// or whose phone blind index is one of `phone_indexes` (exact lookups, one row's or a
    /// whole batch's at once), by region then id, at most 50 for each index asked for.
    async fn people_by_index(
        &self,
        scope: &[RegionCode],
        id_number_indexes: &[&str],
        phone_indexes: &[&str],
    ) -> Result<Vec<Person>>;
    /// Active people under one of `scope` (of one worker, if given) whose next check is due
    /// before `due_before`, earliest due first, at most `limit`.
    async fn due_people(
        &self,
        scope: &[RegionCode],
        worker: Option<UserId>,
        due_before: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Person>>;
    /// Active people under one of `scope` per group, with how many are due before
    /// `due_before` and how many before `overdue_before`.
    async fn due_counts(
        &self,
        scope: &[RegionCode],
        group: DueGroup,
        due_before: OffsetDateTime,
        overdue_before: OffsetDateTime,
    ) -> Result<Vec<DueCount>>;
    /// Store a check and move the person's last check and next due time, in one transaction.
    async fn insert_check(
        &self,
        check: &Check,
        next_due_at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// A person's checks, newest first.
    async fn checks_of(&self, person: PersonId, limit: u32) -> Result<Vec<Check>>;
    /// Checks of people under one of `scope` made at or after `since`, newest first, at most
    /// `limit` (list exports).
    async fn checks_in_scope(
        &self,
        scope: &[RegionCode],
        since: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Check>>;
    /// Close (or reopen) a person's record if `version` still matches.
    async fn set_person_closed(
        &self,
        id: PersonId,
        closed_at: Option<OffsetDateTime>,
        version: i64,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Remove every personal value of a person and of their checks (sealed values and blind
    /// indexes become NULL); region, care level and status stay for statistics.
    async fn anonymise_person(
        &self,
        id: PersonId,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Delete people closed before `closed_before`, and their checks; returns how many.
    async fn purge_closed_people(
        &self,
        closed_before: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<u64>;
}
