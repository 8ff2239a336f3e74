//! Pages of the registry and the welfare-check schedule.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use wushe_core::people::checks::{CheckForm, Mental, Method, Physical};
use wushe_core::people::form::PersonForm;
use wushe_core::people::record::{self, BasisKind, PersonStatus};
use wushe_core::people::schedule::{CST, DueGroup};
use wushe_core::people::service::{self, Duplicate, PersonRow, Saved};
use wushe_core::people::{CareLevel, PersonCategory};
use wushe_core::{Actor, FieldErrors, Permission, Store};

use super::api::{PeopleQuery, parse_id};
use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{Choice, FormErrors, field_errors, render, see_other};
use crate::http::page::{Lang, Page};
use crate::http::session::CurrentActor;

fn level_label(lang: Lang, l: CareLevel) -> String {
    match l {
        CareLevel::A => lang.pick("A 级 · 每日", "Level A · daily"),
        CareLevel::B => lang.pick("B 级 · 每三日", "Level B · every 3 days"),
        CareLevel::C => lang.pick("C 级 · 每周", "Level C · weekly"),
    }
    .into()
}

fn category_label(lang: Lang, c: PersonCategory) -> String {
    match lang {
        Lang::Zh => c.zh().into(),
        Lang::En => c.as_str().replace('_', " "),
    }
}

fn when(lang: Lang, t: time::OffsetDateTime) -> String {
    let l = t.to_offset(CST);
    match lang {
        Lang::Zh => format!(
            "{}月{}日 {:02}:{:02}",
            l.month() as u8,
            l.day(),
            l.hour(),
            l.minute()
        ),
        Lang::En => format!(
            "{} {} {:02}:{:02}",
            l.day(),
            l.month(),
            l.hour(),
            l.minute()
        ),
    }
}

fn due_label(lang: Lang, r: &PersonRow) -> String {
    match (lang, r.days_overdue) {
        (Lang::Zh, 0) => format!("应访：{}", when(lang, r.next_due_at)),
        (Lang::En, 0) => format!("Due {}", when(lang, r.next_due_at)),
        (Lang::Zh, n) => format!("已超期 {n} 天"),
        (Lang::En, n) => format!("{n} day(s) overdue"),
    }
}

/// A person as a row of a list, with labels in the page language.
pub struct RowView {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub level: String,
    pub level_code: String,
    pub categories: String,
    pub due: String,
    pub overdue: bool,
    pub closed: bool,
    pub child: bool,
    /// Full phone for `tel:` (today list only).
    pub call: Option<String>,
}

fn row_view(lang: Lang, r: &PersonRow, call: Option<String>) -> RowView {
    RowView {
        id: r.id.to_string(),
        name: r.masked.name.clone(),
        phone: r.masked.phone.clone().unwrap_or_else(|| "—".into()),
        level: level_label(lang, r.care_level),
        level_code: format!("{:?}", r.care_level),
        categories: r
            .masked
            .categories
            .iter()
            .map(|c| category_label(lang, *c))
            .collect::<Vec<_>>()
            .join(lang.pick("、", ", ")),
        due: due_label(lang, r),
        overdue: r.days_overdue > 0,
        closed: r.status != PersonStatus::Active,
        child: r.masked.child_under_14,
        call,
    }
}

#[derive(Template)]
#[template(path = "people/index.html")]
struct IndexPage {
    page: Page,
    rows: Vec<RowView>,
    find: String,
    find_error: String,
    can_create: bool,
    can_import: bool,
    next_offset: Option<u32>,
}

pub async fn index(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Query(q): Query<PeopleQuery>,
) -> Result<Response, HttpError> {
    let find = q.find.clone().unwrap_or_default();
    list_page(&s, &a, page, &q, find).await
}

#[derive(Deserialize)]
pub struct FindForm {
    #[serde(default)]
    find: String,
}

/// Exact search by a full ID number or phone, posted so the number stays out of URLs (browser
/// history, proxy logs).
pub async fn find(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Form(f): Form<FindForm>,
) -> Result<Response, HttpError> {
    list_page(&s, &a, page, &PeopleQuery::default(), f.find).await
}

async fn list_page(
    s: &AppState,
    a: &Actor,
    page: Page,
    q: &PeopleQuery,
    find: String,
) -> Result<Response, HttpError> {
    let now = s.clock.now();
    let mut find_error = String::new();
    let rows = if find.trim().is_empty() {
        service::list(s.store.as_ref(), &s.cipher, a, &q.filter(), now).await?
    } else {
        match field_errors(service::find(s.store.as_ref(), &s.cipher, a, &find, now).await)? {
            Ok(r) => r,
            Err(e) => {
                find_error = FormErrors::new(e, page.lang).of("find");
                Vec::new()
            }
        }
    };
    let full = rows.len() == 50 && find.trim().is_empty();
    let status = if find_error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let p = IndexPage {
        rows: rows.iter().map(|r| row_view(page.lang, r, None)).collect(),
        find,
        find_error,
        can_create: a.can(Permission::ManagePeople),
        can_import: a.can(Permission::ImportPeople),
        next_offset: full.then(|| q.offset.unwrap_or(0) + 50),
        page,
    };
    render(status, &p)
}

/// One check on the person page.
pub struct CheckLine {
    pub id: String,
    pub at: String,
    pub method: String,
    pub reached: bool,
    pub summary: String,
    pub has_notes: bool,
    pub door_visit: bool,
}

#[derive(Template)]
#[template(path = "people/show.html")]
struct ShowPage {
    page: Page,
    row: RowView,
    address: String,
    id_number: String,
    contact: String,
    basis: String,
    has_health_notes: bool,
    status: String,
    active: bool,
    anonymised: bool,
    version: i64,
    checks: Vec<CheckLine>,
    can_manage: bool,
    can_check: bool,
    can_reveal: bool,
    revealed: Option<(String, String)>,
    reveal_error: String,
}

fn field_label(lang: Lang, f: &str) -> String {
    match f {
        "name" => lang.pick("姓名", "Name"),
        "id_number" => lang.pick("身份证号", "ID number"),
        "phone" => lang.pick("电话", "Phone"),
        "address" => lang.pick("住址", "Address"),
        "health_notes" => lang.pick("健康情况", "Health notes"),
        f if f.starts_with("check:") => lang.pick("探访备注", "Check notes"),
        _ => lang.pick("监护人/紧急联系人", "Guardian / emergency contact"),
    }
    .into()
}

async fn show_page(
    s: &AppState,
    a: &Actor,
    page: Page,
    id: wushe_core::ids::PersonId,
    revealed: Option<(String, String)>,
    reveal_error: String,
) -> Result<ShowPage, HttpError> {
    let now = s.clock.now();
    let v = service::view(s.store.as_ref(), &s.cipher, a, id, now).await?;
    let lang = page.lang;
    let m = &v.row.masked;
    let b = &v.person.basis;
    let basis = format!(
        "{} · {} · {} {}{}{}",
        lang.pick(b.kind.zh(), b.kind.en()),
        record::format_date(b.date),
        lang.pick("告知书版本", "notice"),
        b.notice_version,
        if b.sensitive_consent {
            lang.pick(" · 已单独同意敏感信息", " · separate sensitive consent")
        } else {
            ""
        },
        if b.guardian_consent {
            lang.pick(" · 监护人同意", " · guardian consent")
        } else {
            ""
        },
    );
    let contact = match (&m.contact_name, &m.contact_phone) {
        (Some(n), Some(p)) => format!("{} {n} {p}", m.contact_relation.clone().unwrap_or_default()),
        _ => "—".into(),
    };
    let checks = v
        .checks
        .iter()
        .map(|c| {
            let mut parts = Vec::new();
            if let Some(p) = c.physical {
                parts.push(format!(
                    "{}{}",
                    lang.pick("身体", "Body: "),
                    lang.pick(p.zh(), p.en())
                ));
            }
            if let Some(m) = c.mental {
                parts.push(format!(
                    "{}{}",
                    lang.pick("心理", "Mind: "),
                    lang.pick(m.zh(), m.en())
                ));
            }
            if let Some(d) = c.food_days_left {
                parts.push(match lang {
                    Lang::Zh => format!("食物够 {d} 天"),
                    Lang::En => format!("food {d} d"),
                });
            }
            if let Some(d) = c.medication_days_left {
                parts.push(match lang {
                    Lang::Zh => format!("药够 {d} 天"),
                    Lang::En => format!("medicine {d} d"),
                });
            }
            CheckLine {
                id: c.id.to_string(),
                at: when(lang, c.at),
                method: lang.pick(c.method.zh(), c.method.en()).into(),
                reached: c.reached,
                summary: parts.join(" · "),
                has_notes: c.has_notes,
                door_visit: c.raised_door_visit,
            }
        })
        .collect();
    let status = match v.person.status {
        PersonStatus::Active => lang.pick("在册", "Active"),
        PersonStatus::Closed => lang.pick("已结案", "Closed"),
        PersonStatus::Anonymised => lang.pick("已匿名化", "Anonymised"),
    }
    .into();
    let region = &v.person.region;
    Ok(ShowPage {
        address: m.address.clone(),
        id_number: m.id_number.clone().unwrap_or_else(|| "—".into()),
        contact,
        basis,
        has_health_notes: m.has_health_notes,
        status,
        active: v.person.status == PersonStatus::Active,
        anonymised: v.person.status == PersonStatus::Anonymised,
        version: v.person.version,
        checks,
        can_manage: a.can_at(Permission::ManagePeople, region),
        can_check: a.can_at(Permission::RecordChecks, region),
        can_reveal: a.can_at(Permission::RevealSensitive, region),
        row: row_view(lang, &v.row, None),
        revealed,
        reveal_error,
        page,
    })
}

pub async fn show(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let p = show_page(&s, &a, page, parse_id(&id)?, None, String::new()).await?;
    render(StatusCode::OK, &p)
}

#[derive(Deserialize)]
pub struct RevealForm {
    #[serde(default)]
    field: String,
    #[serde(default)]
    reason: String,
}

/// Show one full value, with a reason; audited before it is decrypted.
pub async fn reveal(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<RevealForm>,
) -> Result<Response, HttpError> {
    let pid = parse_id(&id)?;
    let lang = page.lang;
    let r = service::reveal_field(
        s.store.as_ref(),
        &s.cipher,
        s.reveal_log.as_ref(),
        &a,
        pid,
        &f.field,
        &f.reason,
        s.clock.now(),
    )
    .await;
    match field_errors(r)? {
        Ok(v) => {
            let p = show_page(
                &s,
                &a,
                page,
                pid,
                Some((field_label(lang, &f.field), v)),
                String::new(),
            )
            .await?;
            render(StatusCode::OK, &p)
        }
        Err(e) => {
            let msg = FormErrors::new(e, lang).of("reason");
            let p = show_page(&s, &a, page, pid, None, msg).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
    }
}

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

#[derive(Template)]
#[template(path = "people/check.html")]
struct CheckPage {
    page: Page,
    id: String,
    row: RowView,
    form: CheckForm,
    methods: Vec<Choice>,
    physicals: Vec<Choice>,
    mentals: Vec<Choice>,
    errors: FormErrors,
}

async fn check_page(
    s: &AppState,
    a: &Actor,
    page: Page,
    id: String,
    form: CheckForm,
    errors: FormErrors,
) -> Result<CheckPage, HttpError> {
    let pid = parse_id(&id)?;
    let person = service::get(s.store.as_ref(), a, pid).await?;
    a.require_at(
        Permission::RecordChecks,
        Permission::ViewPeople,
        &person.region,
    )?;
    let v = service::view(s.store.as_ref(), &s.cipher, a, pid, s.clock.now()).await?;
    let lang = page.lang;
    Ok(CheckPage {
        row: row_view(lang, &v.row, None),
        methods: Method::ALL
            .iter()
            .map(|m| Choice {
                value: m.as_str().into(),
                label: lang.pick(m.zh(), m.en()).into(),
            })
            .collect(),
        physicals: Physical::ALL
            .iter()
            .map(|m| Choice {
                value: m.as_str().into(),
                label: lang.pick(m.zh(), m.en()).into(),
            })
            .collect(),
        mentals: Mental::ALL
            .iter()
            .map(|m| Choice {
                value: m.as_str().into(),
                label: lang.pick(m.zh(), m.en()).into(),
            })
            .collect(),
        page,
        id,
        form,
        errors,
    })
}

pub async fn check_form(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let form = CheckForm {
        method: "phone".into(),
        ..CheckForm::default()
    };
    let p = check_page(&s, &a, page, id, form, FormErrors::default()).await?;
    render(StatusCode::OK, &p)
}

pub async fn check(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<CheckForm>,
) -> Result<Response, HttpError> {
    let pid = parse_id(&id)?;
    match field_errors(super::record_and_raise(&s, &a, pid, &form).await)? {
        Ok(_) => Ok(see_other("/checks/today?done=1")),
        Err(e) => {
            let errors = FormErrors::new(e, page.lang);
            let p = check_page(&s, &a, page, id, form, errors).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
    }
}

/// The full record as a JSON file (audited).
pub async fn export(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let pid = parse_id(&id)?;
    let e = service::export(s.store.as_ref(), &s.cipher, &a, pid, s.clock.now()).await?;
    let body = serde_json::to_vec_pretty(&e).map_err(wushe_core::Error::internal)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"person-{pid}.json\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct VersionForm {
    #[serde(default)]
    version: i64,
    #[serde(default)]
    confirm: String,
}

pub async fn close(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, HttpError> {
    let pid = parse_id(&id)?;
    service::close(s.store.as_ref(), &a, pid, f.version, s.clock.now()).await?;
    Ok(see_other(&format!("/people/{id}")))
}

pub async fn reopen(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, HttpError> {
    let pid = parse_id(&id)?;
    service::reopen(s.store.as_ref(), &a, pid, f.version, s.clock.now()).await?;
    Ok(see_other(&format!("/people/{id}")))
}

pub async fn anonymise(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, HttpError> {
    let pid = parse_id(&id)?;
    // Load first: outside scope stays "not found" whatever was posted.
    service::get(s.store.as_ref(), &a, pid).await?;
    if f.confirm != "on" {
        return Err(wushe_core::Error::invalid(
            "confirm",
            "请勾选确认：匿名化后无法恢复",
            "Tick to confirm: anonymising cannot be undone",
        )
        .into());
    }
    service::anonymise(s.store.as_ref(), &a, pid, s.clock.now()).await?;
    Ok(see_other(&format!("/people/{id}")))
}

#[derive(Template)]
#[template(path = "people/today.html")]
struct TodayPage {
    page: Page,
    rows: Vec<RowView>,
    mine: bool,
    done: bool,
    summary: String,
}

#[derive(Deserialize, Default)]
pub struct TodayQuery {
    mine: Option<String>,
    done: Option<String>,
}

/// 今日探访: the people due by the end of today, phone first.
pub async fn today(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Query(q): Query<TodayQuery>,
) -> Result<Response, HttpError> {
    let mine = q.mine.as_deref() == Some("1");
    let items =
        service::today_list(s.store.as_ref(), &s.cipher, &a, mine, true, s.clock.now()).await?;
    let rows: Vec<RowView> = items
        .iter()
        .map(|i| row_view(page.lang, &i.row, i.call.clone()))
        .collect();
    let overdue = rows.iter().filter(|r| r.overdue).count();
    let summary = match page.lang {
        Lang::Zh => format!("今天要联系 {} 人，其中超期 {overdue} 人", rows.len()),
        Lang::En => format!("{} people to contact today, {overdue} overdue", rows.len()),
    };
    let p = TodayPage {
        summary,
        rows,
        mine,
        done: q.done.is_some(),
        page,
    };
    render(StatusCode::OK, &p)
}

/// One line of the counts table.
pub struct CountLine {
    pub label: String,
    pub active: i64,
    pub due: i64,
    pub overdue: i64,
}

#[derive(Template)]
#[template(path = "people/schedule.html")]
struct SchedulePage {
    page: Page,
    by: String,
    lines: Vec<CountLine>,
    total: CountLine,
}

#[derive(Deserialize, Default)]
pub struct ScheduleQuery {
    by: Option<String>,
}

/// Due and overdue counts per worker, community or street.
pub async fn schedule(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Query(q): Query<ScheduleQuery>,
) -> Result<Response, HttpError> {
    let group =
        q.by.as_deref()
            .and_then(DueGroup::parse)
            .unwrap_or(DueGroup::Community);
    let counts = service::counts(s.store.as_ref(), &a, group, s.clock.now()).await?;
    let mut lines = Vec::with_capacity(counts.len());
    for c in counts {
        let label = match group {
            DueGroup::Worker => match c.key.parse::<wushe_core::ids::UserId>() {
                Ok(u) => s
                    .store
                    .user(u)
                    .await?
                    .map(|u| u.display_name)
                    .unwrap_or_else(|| c.key.clone()),
                Err(_) => page.lang.pick("未分配", "Unassigned").into(),
            },
            _ => match wushe_core::regions::RegionCode::parse(&c.key) {
                Ok(code) => s
                    .store
                    .region(&code)
                    .await?
                    .map(|r| r.display_name)
                    .unwrap_or_else(|| c.key.clone()),
                Err(_) => c.key.clone(),
            },
        };
        lines.push(CountLine {
            label,
            active: c.active,
            due: c.due,
            overdue: c.overdue,
        });
    }
    let total = CountLine {
        label: page.lang.pick("合计", "Total").into(),
        active: lines.iter().map(|l| l.active).sum(),
        due: lines.iter().map(|l| l.due).sum(),
        overdue: lines.iter().map(|l| l.overdue).sum(),
    };
    let p = SchedulePage {
        by: group.as_str().into(),
        lines,
        total,
        page,
    };
    render(StatusCode::OK, &p)
}
