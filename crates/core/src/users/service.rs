//! Use-cases for staff accounts and grants. Nobody changes their own grants; a user grants
//! only regions inside their `ManageUsers` scope and only roles whose permissions they hold there.

use time::OffsetDateTime;

use crate::actor::{Actor, Grant, Permission, Role};
use crate::audit::{Action, AuditEvent, Outcome, RecordKind};
use crate::error::{Error, FieldErrors, Result};
use crate::ids::{GrantId, OrgId, UserId};
use crate::regions::RegionCode;
use crate::store::Store;
use crate::text;
use crate::users::rules::PasswordRules;
use crate::users::{NewUser, StoredGrant, User, parse_role, parse_username};

/// The form for a new account (the password is hashed by the caller, off the async threads).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewUserForm {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub region: String,
    pub role: String,
    #[serde(default)]
    pub org: String,
}

/// The form for one more grant.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct GrantForm {
    pub role: String,
    pub region: String,
    #[serde(default)]
    pub org: String,
}

/// Build the actor for a user id, or `None` when the account is missing or disabled.
pub async fn load_actor(store: &dyn Store, id: UserId) -> Result<Option<Actor>> {
    let Some(user) = store.user(id).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    let grants = store
        .grants(id)
        .await?
        .into_iter()
        .map(|g| g.grant)
        .collect();
    Ok(Some(Actor {
        user_id: user.id,
        username: user.username,
        display_name: user.display_name,
        region: user.region,
        request_id: None,
        grants,
    }))
}

pub async fn list(store: &dyn Store, actor: &Actor) -> Result<Vec<User>> {
    let scope = actor.scope(Permission::ViewUsers);
    if scope.is_empty() {
        return Err(Error::Forbidden);
    }
    store.list_users(&scope).await
}

/// A user and their grants, if the actor may see them; otherwise not found.
pub async fn get(store: &dyn Store, actor: &Actor, id: UserId) -> Result<(User, Vec<StoredGrant>)> {
    let user = store.user(id).await?.ok_or(Error::NotFound)?;
    if !actor.can_at(Permission::ViewUsers, &user.region) {
        return Err(Error::NotFound);
    }
    let grants = store.grants(id).await?;
    Ok((user, grants))
}

/// Check a form and return the account to create (without hashing the password). The
/// password must meet `rules`, with the user name and display name counted as guessable.
pub fn parse_new_user(
    actor: Option<&Actor>,
    form: &NewUserForm,
    rules: &PasswordRules,
) -> Result<NewUser> {
    // Someone who may not create accounts is told so, not shown the form's field rules.
    if let Some(actor) = actor {
        actor.require(Permission::ManageUsers)?;
    }
    let mut e = FieldErrors::default();
    let username = e.take(parse_username(&form.username));
    let display_name = e.take(text::required("display_name", &form.display_name, 40));
    let inputs = [form.username.as_str(), form.display_name.as_str()];
    e.take(rules.check("password", &form.password, &inputs));
    let region = e.take(RegionCode::parse(&form.region));
    let role = e.take(parse_role(&form.role));
    let org = parse_org(&form.org, &mut e);
    e.into_result()?;
    let (Some(username), Some(display_name), Some(region), Some(role)) =
        (username, display_name, region, role)
    else {
        return Err(Error::internal("parsed fields missing"));
    };
    let grant = Grant {
        role,
        region: region.clone(),
        org,
    };
    if let Some(actor) = actor {
        check_may_grant(actor, &grant)?;
    }
    Ok(NewUser {
        username,
        display_name,
        region,
        grants: vec![grant],
    })
}

/// Store a parsed account with its hashed password; `actor` is `None` on the command line.
pub async fn create(
    store: &dyn Store,
    actor: Option<&Actor>,
    user: &NewUser,
    password_hash: &str,
    now: OffsetDateTime,
) -> Result<UserId> {
    for g in &user.grants {
        store
            .region(&g.region)
            .await?
            .ok_or_else(|| Error::invalid("region", "没有这个地区", "No such region"))?;
        check_org_exists(store, g).await?;
    }
    let mut audit = AuditEvent::new(Action::UserCreated, now);
    if let Some(a) = actor {
        audit = audit.by(a);
    }
    // The store adds the new account's id to the record ids.
    let audit = audit
        .region(&user.region)
        .record(RecordKind::User, Vec::<String>::new());
    store.insert_user(user, password_hash, now, &audit).await
}

/// The audit event of a successful login, stored with the new session.
pub async fn login_event(
    store: &dyn Store,
    user: UserId,
    request_id: Option<String>,
    now: OffsetDateTime,
) -> Result<AuditEvent> {
    let mut actor = load_actor(store, user).await?.ok_or(Error::NotFound)?;
    actor.request_id = request_id;
    Ok(AuditEvent::new(Action::Login, now)
        .by(&actor)
        .record(RecordKind::User, [user]))
}

/// Record a failed login. The name typed is never stored: a known account is named by its
/// id (and filed under its region, so its admins see attacks on it); an unknown one leaves
/// nothing identifying.
pub async fn record_failed_login(
    store: &dyn Store,
    user: Option<&User>,
    request_id: Option<String>,
    now: OffsetDateTime,
) -> Result<()> {
    let mut audit = AuditEvent::new(Action::LoginFailed, now)
        .request(request_id)
        .outcome(Outcome::Failed);
    if let Some(u) = user {
        audit = audit.region(&u.region).record(RecordKind::User, [u.id]);
    }
    store.append_audit(&audit).await.map(|_| ())
}

/// End the actor's session, audited.
pub async fn logout(
    store: &dyn Store,
    actor: &Actor,
    token_hash: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let audit = AuditEvent::new(Action::Logout, now)
        .by(actor)
        .record(RecordKind::User, [actor.user_id]);
    store.delete_session(token_hash, Some(&audit)).await
}

/// Remember the interface language of the signed-in user.
pub async fn set_lang(
    store: &dyn Store,
    actor: &Actor,
    lang: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let lang = if lang == "en" { "en" } else { "zh" };
    let audit = AuditEvent::new(Action::LangChanged, now)
        .by(actor)
        .record(RecordKind::User, [actor.user_id]);
    store.set_user_lang(actor.user_id, lang, &audit).await
}

pub async fn add_grant(
    store: &dyn Store,
    actor: &Actor,
    user: UserId,
    form: &GrantForm,
    now: OffsetDateTime,
) -> Result<GrantId> {
    let (target, _) = get(store, actor, user).await?;
    if target.id == actor.user_id {
        return Err(Error::Forbidden);
    }
    actor.require(Permission::ManageUsers)?;
    let mut e = FieldErrors::default();
    let role = e.take(parse_role(&form.role));
    let region = e.take(RegionCode::parse(&form.region));
    let org = parse_org(&form.org, &mut e);
    e.into_result()?;
    let (Some(role), Some(region)) = (role, region) else {
        return Err(Error::internal("parsed fields missing"));
    };
    let grant = Grant { role, region, org };
    check_may_grant(actor, &grant)?;
    store
        .region(&grant.region)
        .await?
        .ok_or_else(|| Error::invalid("region", "没有这个地区", "No such region"))?;
    check_org_exists(store, &grant).await?;
    // The store adds the new grant's id after the user's.
    let audit = AuditEvent::new(Action::GrantAdded, now)
        .by(actor)
        .region(&grant.region)
        .record(RecordKind::Grant, [user]);
    store
        .insert_grant(user, &grant, actor.user_id, now, &audit)
        .await
}

/// A grant's organisation must exist (otherwise the insert would fail on the foreign key).
async fn check_org_exists(store: &dyn Store, grant: &Grant) -> Result<()> {
    match grant.org {
        Some(org) if store.org(org).await?.is_none() => Err(Error::invalid(
            "org",
            "没有这个机构",
            "No such organisation",
        )),
        _ => Ok(()),
    }
}

pub async fn revoke_grant(
    store: &dyn Store,
    actor: &Actor,
    user: UserId,
    grant: GrantId,
    now: OffsetDateTime,
) -> Result<()> {
    let (target, grants) = get(store, actor, user).await?;
    if target.id == actor.user_id {
        return Err(Error::Forbidden);
    }
    let g = grants
        .into_iter()
        .find(|g| g.id == grant)
        .ok_or(Error::NotFound)?;
    check_may_grant(actor, &g.grant)?;
    let audit = AuditEvent::new(Action::GrantRevoked, now)
        .by(actor)
        .region(&g.grant.region)
        .record(RecordKind::Grant, [user.to_string(), grant.to_string()]);
    if store.delete_grant(user, grant, &audit).await? {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// May `actor` hand out `grant`? The region must be inside their `ManageUsers` scope and every
/// permission of the role must be one the actor holds over that region.
pub fn check_may_grant(actor: &Actor, grant: &Grant) -> Result<()> {
    if !actor.can(Permission::ManageUsers) {
        return Err(Error::Forbidden);
    }
    if !actor.can_at(Permission::ManageUsers, &grant.region) {
        return Err(Error::invalid(
            "region",
            "只能在您管理的地区内授权",
            "You can only grant roles inside the region you manage",
        ));
    }
    let wider = grant
        .role
        .permissions()
        .iter()
        .any(|p| !actor.can_at(*p, &grant.region));
    if wider {
        return Err(Error::invalid(
            "role",
            "不能授予比您自己更高的权限",
            "You cannot grant more than you hold",
        ));
    }
    Ok(())
}

fn parse_org(raw: &str, e: &mut FieldErrors) -> Option<OrgId> {
    let v = raw.trim();
    if v.is_empty() {
        return None;
    }
    match v.parse() {
        Ok(id) => Some(id),
        Err(_) => {
            e.add("org", "机构无效", "Invalid organisation");
            None
        }
    }
}

/// Roles an actor may offer in a grant form at their widest scope.
pub fn grantable_roles(actor: &Actor) -> Vec<Role> {
    let scope = actor.scope(Permission::ManageUsers);
    Role::ALL
        .into_iter()
        .filter(|r| {
            scope
                .iter()
                .any(|s| r.permissions().iter().all(|p| actor.can_at(*p, s)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, code: &str) -> Actor {
        Actor {
            user_id: UserId::new(),
            username: "a".into(),
            display_name: "a".into(),
            region: RegionCode::parse(code).expect("code"),
            request_id: None,
            grants: vec![Grant {
                role,
                region: RegionCode::parse(code).expect("code"),
                org: None,
            }],
        }
    }

    fn grant(role: Role, code: &str) -> Grant {
        Grant {
            role,
            region: RegionCode::parse(code).expect("code"),
            org: None,
        }
    }

    #[test]
    fn a_street_admin_grants_only_inside_their_street() {
        let a = actor(Role::Admin, "310101020");
        assert!(check_may_grant(&a, &grant(Role::SocialWorker, "310101020001")).is_ok());
        assert!(check_may_grant(&a, &grant(Role::Admin, "310101020")).is_ok());
        assert!(check_may_grant(&a, &grant(Role::SocialWorker, "310101021001")).is_err());
        assert!(check_may_grant(&a, &grant(Role::SocialWorker, "310101")).is_err());
    }

    #[test]
    fn a_social_worker_cannot_grant_anything() {
        let a = actor(Role::SocialWorker, "310101020001");
        assert!(matches!(
            check_may_grant(&a, &grant(Role::Volunteer, "310101020001")),
            Err(Error::Forbidden)
        ));
    }
}
