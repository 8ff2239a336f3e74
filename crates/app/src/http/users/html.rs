//! Pages for staff accounts and grants.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use wushe_core::users::account;
use wushe_core::users::service::{self, GrantForm, NewUserForm};
use wushe_core::users::{StoredGrant, User};
use wushe_core::{Actor, Permission, Role};

use super::api::{create_user, parse_grant, parse_user};
use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::Choice;
use crate::http::form::{FormErrors, field_errors, render, see_other};
use crate::http::page::{Lang, Page};
use crate::http::session::CurrentActor;

fn role_choices(actor: &Actor, lang: Lang) -> Vec<Choice> {
    service::grantable_roles(actor)
        .into_iter()
        .map(|r| Choice {
            value: r.as_str().into(),
            label: lang.pick(r.zh(), r.en()).into(),
        })
        .collect()
}

fn role_label(lang: Lang, role: Role) -> String {
    lang.pick(role.zh(), role.en()).into()
}

#[derive(Template)]
#[template(path = "users/index.html")]
struct IndexPage {
    page: Page,
    users: Vec<User>,
    can_create: bool,
}

pub async fn index(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
) -> Result<Response, HttpError> {
    let users = service::list(s.store.as_ref(), &a).await?;
    render(
        StatusCode::OK,
        &IndexPage {
            page,
            users,
            can_create: a.can(Permission::ManageUsers),
        },
    )
}

#[derive(Template)]
#[template(path = "users/show.html")]
struct ShowPage {
    page: Page,
    user: User,
    grants: Vec<(StoredGrant, String)>,
    can_manage: bool,
    /// Locked everywhere after too many failed logins.
    locked: bool,
    roles: Vec<Choice>,
    form: GrantForm,
    errors: FormErrors,
}

async fn show_page(
    s: &AppState,
    a: &Actor,
    page: Page,
    id: &str,
    form: GrantForm,
    errors: FormErrors,
) -> Result<ShowPage, HttpError> {
    let (user, grants) = service::get(s.store.as_ref(), a, parse_user(id)?).await?;
    let can_manage = user.id != a.user_id && a.can_at(Permission::ManageUsers, &user.region);
    let locked = account::locked_until(s.store.as_ref(), &user, s.clock.now())
        .await?
        .is_some();
    let grants = grants.into_iter().map(|g| {
        let label = role_label(page.lang, g.grant.role);
        (g, label)
    });
    Ok(ShowPage {
        roles: role_choices(a, page.lang),
        grants: grants.collect(),
        page,
        user,
        can_manage,
        locked,
        form,
        errors,
    })
}

pub async fn show(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    render(
        StatusCode::OK,
        &show_page(
            &s,
            &a,
            page,
            &id,
            GrantForm::default(),
            FormErrors::default(),
        )
        .await?,
    )
}

pub async fn add_grant(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<GrantForm>,
) -> Result<Response, HttpError> {
    match field_errors(
        service::add_grant(s.store.as_ref(), &a, parse_user(&id)?, &f, s.clock.now()).await,
    )? {
        Ok(_) => Ok(see_other(&format!("/users/{id}"))),
        Err(e) => {
            let errors = FormErrors::new(e, page.lang);
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &show_page(&s, &a, page, &id, f, errors).await?,
            )
        }
    }
}

pub async fn revoke_grant(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path((id, grant)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    service::revoke_grant(
        s.store.as_ref(),
        &a,
        parse_user(&id)?,
        parse_grant(&grant)?,
        s.clock.now(),
    )
    .await?;
    Ok(see_other(&format!("/users/{id}")))
}

#[derive(Template)]
#[template(path = "users/new.html")]
struct NewPage {
    page: Page,
    form: NewUserForm,
    roles: Vec<Choice>,
    errors: FormErrors,
}

pub async fn new_form(CurrentActor(a): CurrentActor, page: Page) -> Result<Response, HttpError> {
    a.require(Permission::ManageUsers)?;
    render(
        StatusCode::OK,
        &NewPage {
            roles: role_choices(&a, page.lang),
            page,
            form: NewUserForm::default(),
            errors: FormErrors::default(),
        },
    )
}

pub async fn create(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Form(f): Form<NewUserForm>,
) -> Result<Response, HttpError> {
    a.require(Permission::ManageUsers)?;
    match field_errors(create_user(&s, &a, f.clone()).await)? {
        Ok(id) => Ok(see_other(&format!("/users/{id}"))),
        Err(e) => {
            let errors = FormErrors::new(e, page.lang);
            let mut form = f;
            form.password.clear();
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &NewPage {
                    roles: role_choices(&a, page.lang),
                    page,
                    form,
                    errors,
                },
            )
        }
    }
}

pub async fn disable(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let user = parse_user(&id)?;
    account::set_disabled(s.store.as_ref(), &a, user, true, s.clock.now()).await?;
    tracing::info!(user = %user, by = %a.user_id, "account disabled");
    Ok(see_other(&format!("/users/{id}")))
}

pub async fn enable(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let user = parse_user(&id)?;
    account::set_disabled(s.store.as_ref(), &a, user, false, s.clock.now()).await?;
    tracing::info!(user = %user, by = %a.user_id, "account enabled");
    Ok(see_other(&format!("/users/{id}")))
}

pub async fn unlock(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let user = parse_user(&id)?;
    account::unlock_login(s.store.as_ref(), &a, user, s.clock.now()).await?;
    tracing::info!(user = %user, by = %a.user_id, "login lock lifted");
    Ok(see_other(&format!("/users/{id}")))
}
