//! Volunteers' own profiles, and the volunteers staff see in their scope.

use time::OffsetDateTime;

use crate::actor::{Actor, Permission};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::error::{Error, FieldErrors, Result};
use crate::ids::OrgId;
use crate::orgs::OrgKind;
use crate::regions::{Level, RegionCode};
use crate::store::Store;
use crate::volunteers::availability_to_str;
use crate::volunteers::record::{Profile, VolunteerRow};

/// The actor's own profile (volunteers only).
pub async fn my_profile(store: &dyn Store, actor: &Actor) -> Result<Profile> {
    actor.require(Permission::ServeShifts)?;
    store.profile(actor.user_id).await?.ok_or(Error::NotFound)
}

/// The profile form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub skills: Vec<String>,
    pub availability: Vec<String>,
    pub home_community: String,
    pub team: String,
    pub version: String,
}

/// Change one's own skills, availability, home community and team.
pub async fn update_my_profile(
    store: &dyn Store,
    actor: &Actor,
    form: &ProfileForm,
    now: OffsetDateTime,
) -> Result<()> {
    let current = my_profile(store, actor).await?;
    let mut e = FieldErrors::default();
    let skills = e.take(crate::volunteers::parse_skills("skills", &form.skills));
    let availability = e.take(crate::volunteers::parse_availability(
        "availability",
        &form.availability,
    ));
    let home = e.take(RegionCode::parse(&form.home_community).map_err(|mut f| {
        f.field = "home_community";
        f
    }));
    let team: Option<Option<OrgId>> = if form.team.trim().is_empty() {
        Some(None)
    } else {
        e.take(
            form.team
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| crate::FieldError {
                    field: "team",
                    zh: "请从列表中选择志愿者队".into(),
                    en: "Choose a volunteer team from the list".into(),
                }),
        )
    };
    let version = e.take(
        form.version
            .trim()
            .parse::<i64>()
            .map_err(|_| crate::FieldError {
                field: "version",
                zh: "页面已过期，请刷新".into(),
                en: "The page is out of date; reload it".into(),
            }),
    );
    e.into_result()?;
    let (Some(skills), Some(availability), Some(home), Some(team), Some(version)) =
        (skills, availability, home, team, version)
    else {
        return Err(Error::internal("parsed fields missing"));
    };
    if store
        .region(&home)
        .await?
        .is_none_or(|r| r.level != Level::Community)
    {
        return Err(Error::invalid(
            "home_community",
            "找不到这个社区，请从列表中选择",
            "No such community; choose it from the list",
        ));
    }
    if let Some(t) = team
        && store
            .org(t)
            .await?
            .is_none_or(|o| o.kind != OrgKind::VolunteerTeam)
    {
        return Err(Error::invalid(
            "team",
            "请从列表中选择志愿者队",
            "Choose a volunteer team from the list",
        ));
    }
    let p = Profile {
        skills,
        availability: availability_to_str(&availability),
        home_community: home,
        team,
        updated_at: now,
        version,
        ..current
    };
    let audit = AuditEvent::new(Action::ProfileUpdated, now)
        .by(actor)
        .region(&p.region)
        .record(RecordKind::User, [actor.user_id]);
    store.update_profile(&p, &audit).await
}

/// Volunteers in the actor's scope (to assign to shifts).
pub async fn volunteers(store: &dyn Store, actor: &Actor) -> Result<Vec<VolunteerRow>> {
    let scope = actor.scope(Permission::ManageVolunteers);
    if scope.is_empty() {
        return Err(Error::Forbidden);
    }
    store.list_volunteers(&scope).await
}
