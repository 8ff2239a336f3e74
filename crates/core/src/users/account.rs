//! Account changes: a user's own password, and what an administrator does to an account in
//! their scope (disable, re-enable, lift a login lock), plus the alerts they are shown.

use serde::Deserialize;
use time::OffsetDateTime;

use crate::actor::{Actor, Permission};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::error::{Error, FieldErrors, Result};
use crate::ids::UserId;
use crate::store::Store;
use crate::users::User;
use crate::users::login::{Alert, account_key};
use crate::users::rules::PasswordRules;
use crate::users::service::{check_may_grant, get};

/// The change-password form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PasswordChangeForm {
    #[serde(default)]
    pub current_password: String,
    #[serde(default)]
    pub new_password: String,
    #[serde(default)]
    pub new_password_again: String,
}

/// Check a password change, field by field, except whether the current password is right
/// (the caller verifies it off the async threads and adds that error).
pub fn check_password_change(
    user: &User,
    rules: &PasswordRules,
    form: &PasswordChangeForm,
) -> FieldErrors {
    let mut e = FieldErrors::default();
    if form.current_password.is_empty() {
        e.add(
            "current_password",
            "请输入当前密码",
            "Enter your current password",
        );
    }
    let inputs = [user.username.as_str(), user.display_name.as_str()];
    match rules.check("new_password", &form.new_password, &inputs) {
        Err(fe) => e.0.push(fe),
        Ok(()) if form.new_password == form.current_password => e.add(
            "new_password",
            "新密码不能与当前密码相同，请换一个",
            "The new password must differ from the current one",
        ),
        Ok(()) => {}
    }
    if form.new_password_again != form.new_password {
        e.add(
            "new_password_again",
            "两次输入的新密码不一致，请再输入一遍",
            "The two new passwords differ; type the new password again",
        );
    }
    e
}

/// The error for a wrong current password.
pub fn wrong_current_password() -> (&'static str, &'static str, &'static str) {
    (
        "current_password",
        "当前密码不正确",
        "The current password is not right",
    )
}

/// Store a new password hash for the actor; every other session and API token of theirs ends
/// at once, and the change is audited in the same transaction.
pub async fn set_password(
    store: &dyn Store,
    actor: &Actor,
    password_hash: &str,
    now: OffsetDateTime,
    keep_session: Option<&str>,
) -> Result<()> {
    let audit = AuditEvent::new(Action::PasswordChanged, now)
        .by(actor)
        .record(RecordKind::User, [actor.user_id]);
    store
        .change_password(actor.user_id, password_hash, now, keep_session, &audit)
        .await
}

/// The account `id`, if `actor` may manage it: inside their `ManageUsers` scope, not
/// themselves, and holding no grant the actor could not have given (so a street admin cannot
/// switch off the district admin who appointed them).
async fn manageable(store: &dyn Store, actor: &Actor, id: UserId) -> Result<User> {
    let (user, grants) = get(store, actor, id).await?;
    actor.require_at(Permission::ManageUsers, Permission::ViewUsers, &user.region)?;
    if user.id == actor.user_id {
        return Err(Error::Forbidden);
    }
    for g in &grants {
        check_may_grant(actor, &g.grant).map_err(|_| Error::Forbidden)?;
    }
    Ok(user)
}

/// Disable (or re-enable) an account. Disabling ends all its sessions and tokens at once.
pub async fn set_disabled(
    store: &dyn Store,
    actor: &Actor,
    id: UserId,
    disabled: bool,
    now: time::OffsetDateTime,
) -> Result<()> {
    let user = manageable(store, actor, id).await?;
    let action = if disabled {
        Action::UserDisabled
    } else {
        Action::UserEnabled
    };
    let audit = AuditEvent::new(action, now)
        .by(actor)
        .region(&user.region)
        .record(RecordKind::User, [id]);
    store.set_user_disabled(id, disabled, now, &audit).await
}

/// Lift the login locks of an account and resolve the alerts about it.
pub async fn unlock_login(
    store: &dyn Store,
    actor: &Actor,
    id: UserId,
    now: OffsetDateTime,
) -> Result<()> {
    let user = manageable(store, actor, id).await?;
    let audit = AuditEvent::new(Action::UserUnlocked, now)
        .by(actor)
        .region(&user.region)
        .record(RecordKind::User, [id]);
    store
        .unlock_login(&account_key(&user.username), user.id, now, &audit)
        .await
}

/// Until when `user` is locked everywhere, if they are at `now`.
pub async fn locked_until(
    store: &dyn Store,
    user: &User,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>> {
    Ok(store
        .login_locked_everywhere_until(&account_key(&user.username))
        .await?
        .filter(|until| *until > now))
}

/// Open alerts for the places where `actor` manages users (none for everybody else).
pub async fn alerts(store: &dyn Store, actor: &Actor) -> Result<Vec<Alert>> {
    let scope = actor.scope(Permission::ManageUsers);
    if scope.is_empty() {
        return Ok(Vec::new());
    }
    store.open_alerts(&scope).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regions::RegionCode;

    fn user() -> User {
        User {
            id: UserId::new(),
            username: "wang.xiaoli".into(),
            display_name: "王小丽".into(),
            region: RegionCode::parse("310101020001").expect("code"),
            lang: "zh".into(),
            disabled: false,
            created_at: OffsetDateTime::UNIX_EPOCH,
            password_changed_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn form(current: &str, new: &str, again: &str) -> PasswordChangeForm {
        PasswordChangeForm {
            current_password: current.into(),
            new_password: new.into(),
            new_password_again: again.into(),
        }
    }

    #[test]
    fn a_good_change_has_no_errors() {
        let f = form(
            "old one",
            "tiger lamp orchard river",
            "tiger lamp orchard river",
        );
        assert!(check_password_change(&user(), &PasswordRules::default(), &f).is_empty());
    }

    #[test]
    fn each_problem_is_reported_on_its_own_field() {
        let f = form("", "wang.xiaoli2024", "something else");
        let e = check_password_change(&user(), &PasswordRules::default(), &f);
        assert!(e.get("current_password").is_some());
        assert!(
            e.get("new_password")
                .is_some_and(|m| m.zh.contains("姓名或用户名"))
        );
        assert!(e.get("new_password_again").is_some());
    }

    #[test]
    fn the_new_password_must_differ_from_the_current_one() {
        let pw = "tiger lamp orchard river";
        let e = check_password_change(&user(), &PasswordRules::default(), &form(pw, pw, pw));
        assert!(
            e.get("new_password")
                .is_some_and(|m| m.en.contains("differ"))
        );
    }
}
