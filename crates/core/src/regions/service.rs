//! Use-cases for places. The official tree is public fact and readable by all staff;
//! adding grids and buildings needs `ManagePlaces` over the community.

use time::OffsetDateTime;

use crate::actor::{Actor, Permission};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::error::{Error, FieldErrors, Result};
use crate::regions::{Level, NewPlace, Region, RegionCode, display_name};
use crate::store::Store;
use crate::text;

/// A place with the path above it.
#[derive(Debug, Clone)]
pub struct PlaceView {
    pub place: Region,
    pub path: Vec<Region>,
    pub children: Vec<Region>,
}

/// Top-level places, or the children of `code` with its path.
pub async fn browse(
    store: &dyn Store,
    actor: &Actor,
    code: Option<&RegionCode>,
) -> Result<(Vec<Region>, Vec<Region>)> {
    actor.require(Permission::ViewPlaces)?;
    let path = match code {
        Some(c) => {
            let p = store.region_path(c).await?;
            if p.last().map(|r| &r.code) != Some(c) {
                return Err(Error::NotFound);
            }
            p
        }
        None => Vec::new(),
    };
    let children = store.region_children(code).await?;
    Ok((path, children))
}

/// One place with its path and children.
pub async fn view(store: &dyn Store, actor: &Actor, code: &RegionCode) -> Result<PlaceView> {
    let (path, children) = browse(store, actor, Some(code)).await?;
    let place = path.last().cloned().ok_or(Error::NotFound)?;
    Ok(PlaceView {
        place,
        path,
        children,
    })
}

/// Places whose name contains the query (at least one character).
pub async fn find(store: &dyn Store, actor: &Actor, query: &str) -> Result<Vec<Region>> {
    actor.require(Permission::ViewPlaces)?;
    let q = text::required("q", query, 50).map_err(|e| Error::Invalid(FieldErrors(vec![e])))?;
    store.search_regions(&q, 50).await
}

/// Add a grid below a community, or a building below a community or grid.
pub async fn add_place(
    store: &dyn Store,
    actor: &Actor,
    parent: &str,
    level: &str,
    name: &str,
    now: OffsetDateTime,
) -> Result<Region> {
    let mut errors = FieldErrors::default();
    let parent = errors.take(RegionCode::parse(parent));
    let name = errors.take(text::required("name", name, 60));
    let level = match Level::parse(level) {
        Some(l @ (Level::Grid | Level::Building)) => Some(l),
        _ => {
            errors.add(
                "level",
                "只能添加网格或楼栋",
                "Only a grid or a building can be added",
            );
            None
        }
    };
    errors.into_result()?;
    let (Some(parent), Some(name), Some(level)) = (parent, name, level) else {
        return Err(Error::internal("unreachable: parsed fields missing"));
    };
    actor.require_at(Permission::ManagePlaces, Permission::ViewPlaces, &parent)?;
    let parent_place = store.region(&parent).await?.ok_or(Error::NotFound)?;
    let allowed = match level {
        Level::Grid => parent_place.level == Level::Community,
        _ => matches!(parent_place.level, Level::Community | Level::Grid),
    };
    if !allowed {
        return Err(Error::invalid(
            "parent",
            "网格只能建在社区下，楼栋只能建在社区或网格下",
            "A grid goes under a community; a building under a community or grid",
        ));
    }
    let place = NewPlace {
        parent,
        level,
        name,
    };
    // The store adds the new place's code to the record ids.
    let audit = AuditEvent::new(Action::PlaceAdded, now)
        .by(actor)
        .region(&place.parent)
        .record(RecordKind::Place, Vec::<String>::new());
    store
        .insert_place(&place, &display_name(&place.name, level, None), &audit)
        .await
}
