//! Adding and editing a person.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use wushe_core::people::PersonCategory;
use wushe_core::people::form::PersonForm;
use wushe_core::people::record::{self, BasisKind, PersonStatus};
use wushe_core::people::schedule::CST;
use wushe_core::people::service::{self, Duplicate, Saved};
use wushe_core::{Actor, FieldErrors, Permission, Store};

use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{Choice, FormErrors, field_errors, render, see_other};
use crate::http::page::Page;
use crate::http::people::api::parse_id;
use crate::http::session::CurrentActor;

use super::{category_label, field_label};

/// A checkbox in the category list.
pub struct CategoryBox {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "people/form.html")]
struct FormPage {
    page: Page,
    id: Option<String>,
    version: i64,
    form: PersonForm,
    categories: Vec<CategoryBox>,
    regions: Vec<Choice>,
    workers: Vec<Choice>,
    bases: Vec<Choice>,
    errors: FormErrors,
    duplicates: Vec<(String, String, String)>,
}

/// Communities the actor may register people in.
async fn community_choices(store: &dyn Store, actor: &Actor) -> Result<Vec<Choice>, HttpError> {
    let mut out = Vec::new();
    let mut queue: Vec<(wushe_core::regions::RegionCode, String)> = Vec::new();
    for code in actor.scope(Permission::ManagePeople) {
        if let Some(r) = store.region(&code).await? {
            queue.push((r.code, r.display_name));
        }
    }
    // Walk down to communities (12-digit codes), at most a few hundred.
    while let Some((code, label)) = queue.pop() {
        if out.len() >= 300 {
            break;
        }
        if code.0.len() == 12 {
            out.push(Choice {
                value: code.0.clone(),
                label,
            });
            continue;
        }
        if code.0.len() > 12 {
            continue;
        }
        for c in store.region_children(Some(&code)).await?.into_iter().rev() {
            queue.push((c.code, format!("{label} › {}", c.display_name)));
        }
    }
    out.sort_by(|a, b| a.value.cmp(&b.value));
    Ok(out)
}

async fn worker_choices(store: &dyn Store, actor: &Actor) -> Result<Vec<Choice>, HttpError> {
    let scope = actor.scope(Permission::ManagePeople);
    Ok(store
        .list_users(&scope)
        .await?
        .into_iter()
        .filter(|u| !u.disabled)
        .take(300)
        .map(|u| Choice {
            value: u.id.to_string(),
            label: format!("{}（{}）", u.display_name, u.username),
        })
        .collect())
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    s: &AppState,
    a: &Actor,
    page: Page,
    id: Option<String>,
    version: i64,
    form: PersonForm,
    errors: FormErrors,
    duplicates: Vec<Duplicate>,
) -> Result<FormPage, HttpError> {
    let lang = page.lang;
    Ok(FormPage {
        categories: PersonCategory::ALL
            .iter()
            .map(|c| CategoryBox {
                value: c.as_str().into(),
                label: category_label(lang, *c),
                checked: form.has_category(c.as_str()),
            })
            .collect(),
        regions: community_choices(s.store.as_ref(), a).await?,
        workers: worker_choices(s.store.as_ref(), a).await?,
        bases: BasisKind::ALL
            .iter()
            .map(|b| Choice {
                value: b.as_str().into(),
                label: lang.pick(b.zh(), b.en()).into(),
            })
            .collect(),
        duplicates: duplicates
            .into_iter()
            .map(|d| {
                let what = d
                    .matched
                    .iter()
                    .map(|m| field_label(lang, m))
                    .collect::<Vec<_>>()
                    .join(lang.pick("、", ", "));
                (d.id.to_string(), d.masked_name, what)
            })
            .collect(),
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
    a.require(Permission::ManagePeople)?;
    let today = s.clock.now().to_offset(CST).date();
    let form = PersonForm {
        basis_date: record::format_date(today),
        notice_version: "v1".into(),
        care_level: "B".into(),
        ..PersonForm::default()
    };
    let p = form_page(
        &s,
        &a,
        page,
        None,
        0,
        form,
        FormErrors::default(),
        Vec::new(),
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
    let pid = parse_id(&id)?;
    let person = service::get(s.store.as_ref(), &a, pid).await?;
    a.require_at(
        Permission::ManagePeople,
        Permission::ViewPeople,
        &person.region,
    )?;
    if person.status == PersonStatus::Anonymised {
        return Err(wushe_core::Error::NotFound.into());
    }
    // Editing shows the full values to the person who will change them: audited as a reveal.
    a.require_at(
        Permission::RevealSensitive,
        Permission::ViewPeople,
        &person.region,
    )?;
    let now = s.clock.now();
    s.reveal_log
        .record(&wushe_core::reveal::RevealEvent {
            at: now,
            actor: a.user_id,
            region: person.region.clone(),
            table: "people",
            column: "*",
            row: pid.0,
            reason: wushe_core::reveal::Reason::parse("编辑服务对象信息 (edit)")
                .map_err(|_| wushe_core::Error::internal("reason"))?,
        })
        .await?;
    let d = record::open(&s.cipher, &person)?;
    let form = PersonForm::from_details(
        &d,
        &person.region,
        person.care_level,
        person.worker,
        &person.basis,
    );
    let p = form_page(
        &s,
        &a,
        page,
        Some(id),
        person.version,
        form,
        FormErrors::default(),
        Vec::new(),
    )
    .await?;
    render(StatusCode::OK, &p)
}

fn posted(pairs: &[(String, String)]) -> (PersonForm, i64, bool) {
    let form = PersonForm::from_pairs(pairs);
    let version = pairs
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let allow = pairs
        .iter()
        .any(|(k, v)| k == "allow_duplicate" && v == "on");
    (form, version, allow)
}

fn duplicate_errors() -> FieldErrors {
    let mut e = FieldErrors::default();
    e.add(
        "duplicate",
        "已有相同身份证号或电话的服务对象，请先核对是不是同一个人",
        "Someone with this ID number or phone is already registered: check it is not the same person",
    );
    e
}

pub async fn create(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    let (form, _, allow) = posted(&pairs);
    let r = service::create(s.store.as_ref(), &s.cipher, &a, &form, allow, s.clock.now()).await;
    match field_errors(r)? {
        Ok(Saved::Saved(p)) => Ok(see_other(&format!("/people/{}", p.id))),
        Ok(Saved::Duplicates(d)) => {
            let errors = FormErrors::new(duplicate_errors(), page.lang);
            let p = form_page(&s, &a, page, None, 0, form, errors, d).await?;
            render(StatusCode::CONFLICT, &p)
        }
        Err(e) => {
            let errors = FormErrors::new(e, page.lang);
            let p = form_page(&s, &a, page, None, 0, form, errors, Vec::new()).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
    }
}

pub async fn update(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    let pid = parse_id(&id)?;
    let (form, version, allow) = posted(&pairs);
    let r = service::update(
        s.store.as_ref(),
        &s.cipher,
        &a,
        pid,
        &form,
        version,
        allow,
        &s.config.cadence(),
        s.clock.now(),
    )
    .await;
    match field_errors(r)? {
        Ok(Saved::Saved(_)) => Ok(see_other(&format!("/people/{id}"))),
        Ok(Saved::Duplicates(d)) => {
            let errors = FormErrors::new(duplicate_errors(), page.lang);
            let p = form_page(&s, &a, page, Some(id), version, form, errors, d).await?;
            render(StatusCode::CONFLICT, &p)
        }
        Err(e) => {
            let errors = FormErrors::new(e, page.lang);
            let p = form_page(&s, &a, page, Some(id), version, form, errors, Vec::new()).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
    }
}
