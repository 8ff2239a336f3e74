//! Staff pages for posts (岗位) and their rosters: shifts, the lead, assigning volunteers,
//! attendance and the post's QR code.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use qrcode::QrCode;
use qrcode::render::svg;
use serde::Deserialize;
use wushe_core::ids::{BookingId, PostId, ShiftId};
use wushe_core::volunteers::PostKind;
use wushe_core::volunteers::service;
use wushe_core::volunteers::signup::{PostForm, ShiftForm};
use wushe_core::{Actor, Error, FieldErrors, Permission};

use super::staff::{base_url, region_choices};
use super::{clock, first_message, id, kind_label, skills_label, when};
use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{Choice, FormErrors, field_errors, render, see_other};
use crate::http::page::{Lang, Page};
use crate::http::session::CurrentActor;

#[derive(Template)]
#[template(path = "volunteers/posts.html")]
struct PostsPage {
    page: Page,
    rows: Vec<(String, String, &'static str, String)>,
    form: PostForm,
    kinds: Vec<Choice>,
    regions: Vec<Choice>,
    errors: FormErrors,
}

async fn posts_page(
    s: &AppState,
    a: &Actor,
    page: Page,
    form: PostForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let lang = page.lang;
    let mut rows = Vec::new();
    for p in service::posts(s.store.as_ref(), a).await? {
        let region = s
            .store
            .region(&p.region)
            .await?
            .map(|r| r.display_name)
            .unwrap_or_else(|| p.region.0.clone());
        rows.push((p.id.to_string(), p.name, kind_label(lang, p.kind), region));
    }
    let kinds = PostKind::ALL
        .into_iter()
        .map(|k| Choice {
            value: k.as_str().into(),
            label: kind_label(lang, k).into(),
        })
        .collect();
    let p = PostsPage {
        rows,
        form,
        kinds,
        regions: region_choices(s.store.as_ref(), a, true).await?,
        errors: FormErrors::new(errors, lang),
        page,
    };
    render(status, &p)
}

pub async fn posts(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
) -> Result<Response, HttpError> {
    posts_page(
        &s,
        &a,
        page,
        PostForm::default(),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn create_post(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Form(f): Form<PostForm>,
) -> Result<Response, HttpError> {
    match field_errors(service::create_post(s.store.as_ref(), &a, &f, s.clock.now()).await)? {
        Ok(id) => Ok(see_other(&format!("/posts/{id}"))),
        Err(e) => posts_page(&s, &a, page, f, e, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

/// One person on a shift, as the roster shows them.
pub struct Person {
    pub booking: String,
    pub name: String,
    pub state: &'static str,
    pub state_code: &'static str,
    pub times: String,
}

/// One shift on the roster.
pub struct ShiftRow {
    pub id: String,
    pub when: String,
    pub slots: i32,
    pub taken: i32,
    pub people: Vec<Person>,
}

#[derive(Template)]
#[template(path = "volunteers/roster.html")]
struct RosterPage {
    page: Page,
    id: String,
    name: String,
    kind: &'static str,
    region: String,
    qr_svg: String,
    scan_url: String,
    shifts: Vec<ShiftRow>,
    can_manage: bool,
    lead: String,
    leads: Vec<Choice>,
    form: ShiftForm,
    errors: FormErrors,
    message: String,
}

fn qr_svg(uri: &str) -> Result<String, HttpError> {
    let code = QrCode::new(uri.as_bytes()).map_err(Error::internal)?;
    let svg = code
        .render::<svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    let start = svg.find("<svg").unwrap_or(0);
    Ok(svg[start..].replacen(
        "<svg ",
        "<svg class=\"qr\" role=\"img\" aria-hidden=\"true\" ",
        1,
    ))
}

#[allow(clippy::too_many_arguments)]
async fn roster_page(
    s: &AppState,
    a: &Actor,
    headers: &HeaderMap,
    page: Page,
    pid: PostId,
    form: ShiftForm,
    errors: FieldErrors,
    message: String,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let lang = page.lang;
    let (post, shifts) = service::roster(s.store.as_ref(), a, pid).await?;
    let can_manage = a.can_at(Permission::ManageVolunteers, &post.region);
    let lead = match post.lead {
        Some(u) => s
            .store
            .user(u)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let leads = if can_manage {
        serving_here(s, a, &post.region, lang).await?
    } else {
        Vec::new()
    };
    let token = service::post_token(&s.cipher, post.id)?;
    let scan_url = format!("{}/posts/{}/scan?t={token}", base_url(s, headers), post.id);
    let region = s
        .store
        .region(&post.region)
        .await?
        .map(|r| r.display_name)
        .unwrap_or_else(|| post.region.0.clone());
    let shifts = shifts
        .into_iter()
        .map(|(sh, people)| ShiftRow {
            id: sh.id.to_string(),
            when: format!("{} – {}", when(sh.window.start, lang), clock(sh.window.end)),
            slots: sh.slots,
            taken: sh.taken,
            people: people
                .into_iter()
                .map(|e| {
                    let b = e.booking;
                    let times = match (b.checked_in_at, b.checked_out_at) {
                        (Some(i), Some(o)) => format!("{} – {}", clock(i), clock(o)),
                        (Some(i), None) => clock(i),
                        _ => String::new(),
                    };
                    Person {
                        booking: b.id.to_string(),
                        name: e.display_name,
                        state: lang.pick(b.state.zh(), b.state.en()),
                        state_code: b.state.as_str(),
                        times,
                    }
                })
                .collect(),
        })
        .collect();
    let p = RosterPage {
        id: post.id.to_string(),
        name: post.name,
        kind: kind_label(lang, post.kind),
        region,
        qr_svg: qr_svg(&scan_url)?,
        scan_url,
        shifts,
        can_manage,
        lead,
        leads,
        form,
        errors: FormErrors::new(errors, lang),
        message,
        page,
    };
    render(status, &p)
}

pub async fn roster(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    headers: HeaderMap,
    page: Page,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    let form = ShiftForm {
        slots: "3".into(),
        days: "1".into(),
        start: "08:00".into(),
        end: "12:00".into(),
        ..ShiftForm::default()
    };
    roster_page(
        &s,
        &a,
        &headers,
        page,
        id(&raw)?,
        form,
        FieldErrors::default(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn add_shifts(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    headers: HeaderMap,
    page: Page,
    Path(raw): Path<String>,
    Form(f): Form<ShiftForm>,
) -> Result<Response, HttpError> {
    let pid: PostId = id(&raw)?;
    match field_errors(service::add_shifts(s.store.as_ref(), &a, pid, &f, s.clock.now()).await)? {
        Ok(_) => Ok(see_other(&format!("/posts/{pid}"))),
        Err(e) => {
            roster_page(
                &s,
                &a,
                &headers,
                page,
                pid,
                f,
                e,
                String::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// Volunteers in the actor's scope who may serve at `region`, labelled with their skills.
async fn serving_here(
    s: &AppState,
    a: &Actor,
    region: &wushe_core::regions::RegionCode,
    lang: Lang,
) -> Result<Vec<Choice>, HttpError> {
    Ok(service::volunteers(s.store.as_ref(), a)
        .await?
        .into_iter()
        .filter(|v| v.profile.region.covers(region))
        .map(|v| Choice {
            value: v.user.to_string(),
            label: format!(
                "{}（{}）",
                v.display_name,
                skills_label(lang, v.profile.skills)
            ),
        })
        .collect())
}

#[derive(Deserialize)]
pub struct LeadForm {
    #[serde(default)]
    lead: String,
}

pub async fn set_lead(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    headers: HeaderMap,
    page: Page,
    Path(raw): Path<String>,
    Form(f): Form<LeadForm>,
) -> Result<Response, HttpError> {
    let pid: PostId = id(&raw)?;
    match field_errors(service::set_lead(s.store.as_ref(), &a, pid, &f.lead, s.clock.now()).await)?
    {
        Ok(()) => Ok(see_other(&format!("/posts/{pid}"))),
        Err(e) => {
            let m = first_message(&e, page.lang);
            roster_page(
                &s,
                &a,
                &headers,
                page,
                pid,
                ShiftForm::default(),
                FieldErrors::default(),
                m,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "volunteers/assign.html")]
struct AssignPage {
    page: Page,
    shift: String,
    post: String,
    post_name: String,
    when: String,
    left: i32,
    volunteers: Vec<Choice>,
    message: String,
}

/// Volunteers who may serve at a shift, for the assign page (skills shown to choose by).
async fn assign_page(
    s: &AppState,
    a: &Actor,
    page: Page,
    sid: ShiftId,
    message: String,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let lang = page.lang;
    let shift = s.store.shift(sid).await?.ok_or(Error::NotFound)?;
    a.require_at(
        Permission::ManageVolunteers,
        Permission::ManageVolunteers,
        &shift.region,
    )?;
    let post = s.store.post(shift.post).await?.ok_or(Error::NotFound)?;
    let volunteers = serving_here(s, a, &shift.region, lang).await?;
    let p = AssignPage {
        shift: shift.id.to_string(),
        post: post.id.to_string(),
        post_name: post.name,
        when: format!(
            "{} – {}",
            when(shift.window.start, lang),
            clock(shift.window.end)
        ),
        left: shift.slots - shift.taken,
        volunteers,
        message,
        page,
    };
    render(status, &p)
}

pub async fn assign_form(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    assign_page(&s, &a, page, id(&raw)?, String::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    user: String,
}

pub async fn assign(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(raw): Path<String>,
    Form(f): Form<AssignForm>,
) -> Result<Response, HttpError> {
    let sid: ShiftId = id(&raw)?;
    let shift = s.store.shift(sid).await?.ok_or(Error::NotFound)?;
    let r = service::assign(s.store.as_ref(), &a, sid, &f.user, s.clock.now()).await;
    match field_errors(r)? {
        Ok(_) => Ok(see_other(&format!("/posts/{}", shift.post))),
        Err(e) => {
            let m = first_message(&e, page.lang);
            assign_page(&s, &a, page, sid, m, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

#[derive(Deserialize)]
pub struct AttendForm {
    #[serde(default)]
    action: String,
}

pub async fn attend(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    headers: HeaderMap,
    page: Page,
    Path(raw): Path<String>,
    Form(f): Form<AttendForm>,
) -> Result<Response, HttpError> {
    let bid: BookingId = id(&raw)?;
    let b = s.store.booking(bid).await?.ok_or(Error::NotFound)?;
    let shift = s.store.shift(b.shift).await?.ok_or(Error::NotFound)?;
    let r = service::attend_by_lead(s.store.as_ref(), &a, bid, &f.action, s.clock.now()).await;
    match field_errors(r)? {
        Ok(_) => Ok(see_other(&format!("/posts/{}", shift.post))),
        Err(e) => {
            let m = first_message(&e, page.lang);
            roster_page(
                &s,
                &a,
                &headers,
                page,
                shift.post,
                ShiftForm::default(),
                FieldErrors::default(),
                m,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
