//! Use-cases for organisations: the directory is readable by all staff; creating and
//! editing needs `ManageOrgs` over the organisation's region (old and new, when it moves).

use time::OffsetDateTime;

use crate::actor::{Actor, Permission};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::error::{Error, Result};
use crate::ids::OrgId;
use crate::orgs::{Org, OrgFilter, OrgForm};
use crate::store::Store;

pub async fn list(store: &dyn Store, actor: &Actor, mut filter: OrgFilter) -> Result<Vec<Org>> {
    actor.require(Permission::ViewOrgs)?;
    filter.limit = filter.limit.clamp(1, 200);
    store.list_orgs(&filter).await
}

pub async fn get(store: &dyn Store, actor: &Actor, id: OrgId) -> Result<Org> {
    actor.require(Permission::ViewOrgs)?;
    store.org(id).await?.ok_or(Error::NotFound)
}

/// Can the actor edit this organisation? (For showing the edit button.)
pub fn can_edit(actor: &Actor, org: &Org) -> bool {
    actor.can_at(Permission::ManageOrgs, &org.region)
}

pub async fn create(
    store: &dyn Store,
    actor: &Actor,
    form: &OrgForm,
    now: OffsetDateTime,
) -> Result<Org> {
    actor.require(Permission::ManageOrgs)?;
    let input = form.parse()?;
    require_manage(actor, &input.region)?;
    store
        .region(&input.region)
        .await?
        .ok_or_else(unknown_region)?;
    let org = Org {
        id: OrgId::new(),
        name: input.name,
        kind: input.kind,
        region: input.region,
        phone: input.phone,
        address: input.address,
        description: input.description,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let audit = AuditEvent::new(Action::OrgCreated, now)
        .by(actor)
        .region(&org.region)
        .record(RecordKind::Org, [org.id]);
    store.insert_org(&org, &audit).await?;
    Ok(org)
}

/// Edit an organisation last seen at `version`; `Conflict` when someone changed it meanwhile.
pub async fn update(
    store: &dyn Store,
    actor: &Actor,
    id: OrgId,
    form: &OrgForm,
    version: i64,
    now: OffsetDateTime,
) -> Result<Org> {
    let current = store.org(id).await?.ok_or(Error::NotFound)?;
    if !actor.can_at(Permission::ManageOrgs, &current.region) {
        // Outside the actor's scope the organisation is "not found" for editing.
        return Err(Error::NotFound);
    }
    let input = form.parse()?;
    require_manage(actor, &input.region)?;
    store
        .region(&input.region)
        .await?
        .ok_or_else(unknown_region)?;
    let audit = AuditEvent::new(Action::OrgUpdated, now)
        .by(actor)
        .region(&input.region)
        .record(RecordKind::Org, [id]);
    store.update_org(id, &input, version, now, &audit).await?;
    store.org(id).await?.ok_or(Error::NotFound)
}

fn require_manage(actor: &Actor, region: &crate::regions::RegionCode) -> Result<()> {
    if actor.can_at(Permission::ManageOrgs, region) {
        Ok(())
    } else {
        Err(Error::invalid(
            "region",
            "只能在您负责的地区内登记机构",
            "You can only register organisations in your own region",
        ))
    }
}

fn unknown_region() -> Error {
    Error::invalid("region", "没有这个地区", "No such region")
}
