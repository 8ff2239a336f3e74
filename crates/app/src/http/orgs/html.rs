//! Pages for the organisation directory.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use wushe_core::orgs::{Org, OrgForm, OrgKind, service};
use wushe_core::{Actor, Permission, Store};

use super::api::{OrgQuery, parse_id};
use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{Choice, FormErrors, field_errors, render, see_other};
use crate::http::page::{Lang, Page};
use crate::http::session::CurrentActor;

fn kind_choices(lang: Lang) -> Vec<Choice> {
    OrgKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str().into(),
            label: lang.pick(k.zh(), k.en()).into(),
        })
        .collect()
}

fn kind_label(lang: Lang, k: OrgKind) -> String {
    lang.pick(k.zh(), k.en()).into()
}

#[derive(Template)]
#[template(path = "orgs/index.html")]
struct IndexPage {
    page: Page,
    rows: Vec<(Org, String, String)>,
    kinds: Vec<Choice>,
    kind: String,
    q: String,
    can_create: bool,
}

pub async fn index(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Query(q): Query<OrgQuery>,
) -> Result<Response, HttpError> {
    let orgs = service::list(s.store.as_ref(), &a, q.filter()).await?;
    let mut rows = Vec::with_capacity(orgs.len());
    for o in orgs {
        let region = region_name(s.store.as_ref(), &o).await?;
        let kind = kind_label(page.lang, o.kind);
        rows.push((o, kind, region));
    }
    let p = IndexPage {
        kinds: kind_choices(page.lang),
        kind: q.kind.unwrap_or_default(),
        q: q.q.unwrap_or_default(),
        can_create: a.can(Permission::ManageOrgs),
        page,
        rows,
    };
    render(StatusCode::OK, &p)
}

async fn region_name(store: &dyn Store, o: &Org) -> Result<String, HttpError> {
    Ok(store
        .region(&o.region)
        .await?
        .map(|r| r.display_name)
        .unwrap_or_else(|| o.region.0.clone()))
}

#[derive(Template)]
#[template(path = "orgs/show.html")]
struct ShowPage {
    page: Page,
    org: Org,
    kind: String,
    region: String,
    can_edit: bool,
    /// The dispatch setting: (value, label, chosen), the empty value = follow the orgs above.
    modes: Vec<(&'static str, &'static str, bool)>,
    mode_saved: bool,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    saved: Option<String>,
}

pub async fn show(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ShowQuery>,
) -> Result<Response, HttpError> {
    use wushe_core::dispatch::record::Mode;
    let org = service::get(s.store.as_ref(), &a, parse_id(&id)?).await?;
    let region = region_name(s.store.as_ref(), &org).await?;
    let mode = s.store.org_dispatch_mode(org.id).await?;
    let lang = page.lang;
    let mut modes = vec![(
        "",
        lang.pick(
            "跟随上级机构（都没设置时自动派单）",
            "Follow the organisations above (automatic offers if none sets it)",
        ),
        mode.is_none(),
    )];
    modes.extend(
        Mode::ALL
            .into_iter()
            .map(|m| (m.as_str(), lang.pick(m.zh(), m.en()), mode == Some(m))),
    );
    let p = ShowPage {
        kind: kind_label(page.lang, org.kind),
        can_edit: service::can_edit(&a, &org),
        modes,
        mode_saved: q.saved.is_some(),
        region,
        page,
        org,
    };
    render(StatusCode::OK, &p)
}

#[derive(Template)]
#[template(path = "orgs/form.html")]
struct FormPage {
    page: Page,
    /// `None` when creating.
    id: Option<String>,
    version: i64,
    form: OrgForm,
    kinds: Vec<Choice>,
    regions: Vec<Choice>,
    errors: FormErrors,
}

/// Regions the actor may register organisations in: each scope region and the places below it.
async fn region_choices(store: &dyn Store, actor: &Actor) -> Result<Vec<Choice>, HttpError> {
    let mut out = Vec::new();
    for code in actor.scope(Permission::ManageOrgs) {
        if let Some(r) = store.region(&code).await? {
            out.push(Choice {
                value: r.code.0.clone(),
                label: r.display_name.clone(),
            });
            for c in store
                .region_children(Some(&r.code))
                .await?
                .into_iter()
                .take(300)
            {
                out.push(Choice {
                    value: c.code.0,
                    label: format!("{} › {}", r.display_name, c.display_name),
                });
            }
        }
    }
    Ok(out)
}

async fn form_page(
    s: &AppState,
    a: &Actor,
    page: Page,
    id: Option<String>,
    version: i64,
    form: OrgForm,
    errors: FormErrors,
) -> Result<FormPage, HttpError> {
    Ok(FormPage {
        kinds: kind_choices(page.lang),
        regions: region_choices(s.store.as_ref(), a).await?,
        page,
        id,
        version,
        form,
        errors,
    })
}

pub async fn new_form(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
) -> Result<Response, HttpError> {
    a.require(Permission::ManageOrgs)?;
    let p = form_page(
        &s,
        &a,
        page,
        None,
        0,
        OrgForm::default(),
        FormErrors::default(),
    )
    .await?;
    render(StatusCode::OK, &p)
}

pub async fn edit_form(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let org = service::get(s.store.as_ref(), &a, parse_id(&id)?).await?;
    if !service::can_edit(&a, &org) {
        return Err(wushe_core::Error::NotFound.into());
    }
    let form = OrgForm {
        name: org.name,
        kind: org.kind.as_str().into(),
        region: org.region.0,
        phone: org.phone.unwrap_or_default(),
        address: org.address.unwrap_or_default(),
        description: org.description.unwrap_or_default(),
    };
    let p = form_page(
        &s,
        &a,
        page,
        Some(id),
        org.version,
        form,
        FormErrors::default(),
    )
    .await?;
    render(StatusCode::OK, &p)
}

#[derive(Deserialize)]
pub struct PostedOrg {
    #[serde(flatten)]
    form: OrgForm,
    #[serde(default)]
    version: i64,
}

pub async fn create(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Form(f): Form<PostedOrg>,
) -> Result<Response, HttpError> {
    match field_errors(service::create(s.store.as_ref(), &a, &f.form, s.clock.now()).await)? {
        Ok(org) => Ok(see_other(&format!("/orgs/{}", org.id))),
        Err(e) => {
            let errors = FormErrors::new(e, page.lang);
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &form_page(&s, &a, page, None, 0, f.form, errors).await?,
            )
        }
    }
}

pub async fn update(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<PostedOrg>,
) -> Result<Response, HttpError> {
    let org_id = parse_id(&id)?;
    match field_errors(
        service::update(
            s.store.as_ref(),
            &a,
            org_id,
            &f.form,
            f.version,
            s.clock.now(),
        )
        .await,
    )? {
        Ok(_) => Ok(see_other(&format!("/orgs/{id}"))),
        Err(e) => {
            let errors = FormErrors::new(e, page.lang);
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &form_page(&s, &a, page, Some(id), f.version, f.form, errors).await?,
            )
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ModeForm {
    mode: String,
}

/// Set how the organisation gives volunteer tasks out.
pub async fn set_dispatch_mode(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<ModeForm>,
) -> Result<Response, HttpError> {
    let org = parse_id(&id)?;
    wushe_core::volunteers::tasks::set_mode(s.store.as_ref(), &a, org, &f.mode, s.clock.now())
        .await?;
    Ok(crate::http::form::see_other(&format!(
        "/orgs/{org}?saved=1"
    )))
}
