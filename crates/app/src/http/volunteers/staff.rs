//! Staff pages: call-ups (publish, sign-ups to approve or decline, organisations'
//! commitments) and the hours export. Posts and their rosters are in `posts.rs`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use wushe_core::ids::{CampaignId, SignupId};
use wushe_core::orgs::{Org, OrgFilter};
use wushe_core::volunteers::booking::hours_text;
use wushe_core::volunteers::record::Campaign;
use wushe_core::volunteers::service::{self, SignupView};
use wushe_core::volunteers::signup::CampaignForm;
use wushe_core::{Actor, Error, FieldErrors, Permission, Store};

use super::public::{CampaignCard, card};
use super::{first_message, id, skills_label};
use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{Choice, FormErrors, field_errors, render, see_other};
use crate::http::page::{Lang, Page};
use crate::http::session::{CurrentActor, hashing, random_token};

/// Organisations under the actor's scope for `p` (publishing or committing).
async fn org_choices(
    store: &dyn Store,
    actor: &Actor,
    p: Permission,
) -> Result<Vec<Choice>, HttpError> {
    let mut out: Vec<Choice> = Vec::new();
    for region in actor.scope(p) {
        let orgs: Vec<Org> = store
            .list_orgs(&OrgFilter {
                kind: None,
                region: Some(region),
                query: None,
                limit: 200,
            })
            .await?;
        for o in orgs {
            if !out.iter().any(|c| c.value == o.id.to_string()) {
                out.push(Choice {
                    value: o.id.to_string(),
                    label: o.name,
                });
            }
        }
    }
    Ok(out)
}

/// The actor's scope regions and the places right below them.
pub(super) async fn region_choices(
    store: &dyn Store,
    actor: &Actor,
    communities_only: bool,
) -> Result<Vec<Choice>, HttpError> {
    let mut out = Vec::new();
    for code in actor.scope(Permission::ManageVolunteers) {
        let mut stack = vec![code];
        while let Some(c) = stack.pop() {
            if out.len() > 400 {
                break;
            }
            let Some(r) = store.region(&c).await? else {
                continue;
            };
            if !communities_only || r.code.0.len() == 12 {
                out.push(Choice {
                    value: r.code.0.clone(),
                    label: r.display_name.clone(),
                });
            }
            if r.code.0.len() < 12 {
                let mut kids: Vec<_> = store
                    .region_children(Some(&r.code))
                    .await?
                    .into_iter()
                    .filter(|k| k.code.0.len() <= 12)
                    .map(|k| k.code)
                    .collect();
                kids.reverse();
                stack.extend(kids);
            }
        }
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "volunteers/campaigns.html")]
struct CampaignsPage {
    page: Page,
    rows: Vec<(Campaign, String, &'static str)>,
    form: CampaignForm,
    orgs: Vec<Choice>,
    regions: Vec<Choice>,
    errors: FormErrors,
}

async fn campaigns_page(
    s: &AppState,
    a: &Actor,
    page: Page,
    form: CampaignForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let list = service::campaigns(s.store.as_ref(), a).await?;
    let rows = list
        .into_iter()
        .map(|c| {
            let period = super::day(c.period.start, page.lang);
            let state = page.lang.pick(c.state.zh(), c.state.en());
            (c, period, state)
        })
        .collect();
    let p = CampaignsPage {
        rows,
        form,
        orgs: org_choices(s.store.as_ref(), a, Permission::ManageVolunteers).await?,
        regions: region_choices(s.store.as_ref(), a, false).await?,
        errors: FormErrors::new(errors, page.lang),
        page,
    };
    render(status, &p)
}

pub async fn campaigns(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
) -> Result<Response, HttpError> {
    campaigns_page(
        &s,
        &a,
        page,
        CampaignForm::default(),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn publish(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Form(f): Form<CampaignForm>,
) -> Result<Response, HttpError> {
    match field_errors(service::publish(s.store.as_ref(), &a, &f, s.clock.now()).await)? {
        Ok(id) => Ok(see_other(&format!("/volunteers/campaigns/{id}"))),
        Err(e) => campaigns_page(&s, &a, page, f, e, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

/// A sign-up as shown to staff.
pub struct SignupRow {
    pub v: SignupView,
    pub home: String,
    pub skills: String,
    pub availability: String,
    pub state: &'static str,
    pub pending: bool,
}

#[derive(Template)]
#[template(path = "volunteers/campaign.html")]
struct CampaignPage {
    page: Page,
    c: CampaignCard,
    id: String,
    open: bool,
    signups: Vec<SignupRow>,
    commitments: Vec<(String, i32, String)>,
    committed: i64,
    orgs: Vec<Choice>,
    message: String,
    approved: Option<(String, String)>,
    /// A sign-up's full name and mobile just revealed: (sign-up id, name, mobile).
    revealed: Option<(String, String, String)>,
}

#[allow(clippy::too_many_arguments)]
async fn campaign_page(
    s: &AppState,
    a: &Actor,
    page: Page,
    cid: CampaignId,
    message: String,
    approved: Option<(String, String)>,
    revealed: Option<(String, String, String)>,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let lang = page.lang;
    let (c, signups, commitments) =
        service::campaign_detail(s.store.as_ref(), &s.cipher, a, cid).await?;
    let mut com = Vec::new();
    let mut committed = 0i64;
    for m in commitments {
        let name = s
            .store
            .org(m.org)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        committed += i64::from(m.people);
        com.push((name, m.people, m.note));
    }
    let mut homes = std::collections::HashMap::new();
    for v in &signups {
        if !homes.contains_key(&v.home_community) {
            let name = s
                .store
                .region(&v.home_community)
                .await?
                .map(|r| r.display_name)
                .unwrap_or_else(|| v.home_community.0.clone());
            homes.insert(v.home_community.clone(), name);
        }
    }
    let signups = signups
        .into_iter()
        .map(|v| SignupRow {
            home: homes.get(&v.home_community).cloned().unwrap_or_default(),
            skills: skills_label(lang, v.skills),
            availability: v
                .availability
                .iter()
                .map(|x| lang.pick(x.zh(), x.en()))
                .collect::<Vec<_>>()
                .join(lang.pick("、", ", ")),
            state: lang.pick(v.state.zh(), v.state.en()),
            pending: v.state == wushe_core::volunteers::record::SignupState::Pending,
            v,
        })
        .collect();
    let p = CampaignPage {
        c: card(s.store.as_ref(), &c, lang).await?,
        id: c.id.to_string(),
        open: c.state == wushe_core::volunteers::record::CampaignState::Open,
        signups,
        commitments: com,
        committed,
        orgs: org_choices(s.store.as_ref(), a, Permission::ManageOrgs).await?,
        message,
        approved,
        revealed,
        page,
    };
    render(status, &p)
}

pub async fn campaign(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    campaign_page(
        &s,
        &a,
        page,
        id(&raw)?,
        String::new(),
        None,
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn close(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    let cid: CampaignId = id(&raw)?;
    service::close(s.store.as_ref(), &a, cid, s.clock.now()).await?;
    Ok(see_other(&format!("/volunteers/campaigns/{cid}")))
}

#[derive(Deserialize)]
pub struct CommitForm {
    #[serde(default)]
    org: String,
    #[serde(default)]
    people: String,
    #[serde(default)]
    note: String,
}

pub async fn commit(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(raw): Path<String>,
    Form(f): Form<CommitForm>,
) -> Result<Response, HttpError> {
    let cid: CampaignId = id(&raw)?;
    let r = service::commit(
        s.store.as_ref(),
        &a,
        cid,
        &f.org,
        &f.people,
        &f.note,
        s.clock.now(),
    )
    .await;
    match field_errors(r)? {
        Ok(()) => Ok(see_other(&format!("/volunteers/campaigns/{cid}"))),
        Err(e) => {
            let m = first_message(&e, page.lang);
            campaign_page(
                &s,
                &a,
                page,
                cid,
                m,
                None,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// Where the approving staff member sends the new volunteer to set a password.
pub(super) fn base_url(s: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = if s.config.https { "https" } else { "http" };
    format!("{scheme}://{host}")
}

pub async fn approve(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    headers: HeaderMap,
    page: Page,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    let sid: SignupId = id(&raw)?;
    let signup = s.store.signup(sid).await?.ok_or(Error::NotFound)?;
    let secret = random_token()?;
    // Until the link is used the account's password is a random one nobody is told.
    let unknown = random_token()?;
    let unusable = hashing(&s, move || wushe_core::users::password::hash(&unknown)).await??;
    let r = service::approve(
        s.store.as_ref(),
        &s.cipher,
        &a,
        sid,
        &unusable,
        secret,
        s.clock.now(),
    )
    .await;
    match field_errors(r)? {
        Ok(ok) => {
            let link = format!(
                "{}/volunteer/password/{}",
                base_url(&s, &headers),
                ok.link_secret
            );
            campaign_page(
                &s,
                &a,
                page,
                signup.campaign,
                String::new(),
                Some((ok.username, link)),
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(e) => {
            let m = first_message(&e, page.lang);
            campaign_page(
                &s,
                &a,
                page,
                signup.campaign,
                m,
                None,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct DeclineForm {
    #[serde(default)]
    reason: String,
}

pub async fn decline(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(raw): Path<String>,
    Form(f): Form<DeclineForm>,
) -> Result<Response, HttpError> {
    let sid: SignupId = id(&raw)?;
    let signup = s.store.signup(sid).await?.ok_or(Error::NotFound)?;
    let r = service::decline(s.store.as_ref(), &a, sid, &f.reason, s.clock.now()).await;
    match field_errors(r)? {
        Ok(()) => Ok(see_other(&format!(
            "/volunteers/campaigns/{}",
            signup.campaign
        ))),
        Err(e) => {
            let m = first_message(&e, page.lang);
            campaign_page(
                &s,
                &a,
                page,
                signup.campaign,
                m,
                None,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct RevealForm {
    #[serde(default)]
    reason: String,
}

/// Show a sign-up's full name and mobile (audited, with a reason) so staff can call.
pub async fn reveal(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(raw): Path<String>,
    Form(f): Form<RevealForm>,
) -> Result<Response, HttpError> {
    let sid: SignupId = id(&raw)?;
    let signup = s.store.signup(sid).await?.ok_or(Error::NotFound)?;
    let r = service::reveal_signup(
        s.store.as_ref(),
        &s.cipher,
        s.reveal_log.as_ref(),
        &a,
        sid,
        &f.reason,
        s.clock.now(),
    )
    .await;
    match field_errors(r)? {
        Ok((name, mobile)) => {
            campaign_page(
                &s,
                &a,
                page,
                signup.campaign,
                String::new(),
                None,
                Some((sid.to_string(), name, mobile)),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => {
            let m = first_message(&e, page.lang);
            campaign_page(
                &s,
                &a,
                page,
                signup.campaign,
                m,
                None,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// The hours export for the official volunteer platforms (XLSX). Every text cell is
/// neutralised against formula injection.
pub async fn hours_xlsx(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
) -> Result<Response, HttpError> {
    let rows = service::hours_report(s.store.as_ref(), &a, s.clock.now()).await?;
    let bytes = xlsx(&rows, page.lang).map_err(Error::internal)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"volunteer-hours.xlsx\"",
            ),
        ],
        bytes,
    )
        .into_response())
}

fn xlsx(rows: &[service::HoursRow], lang: Lang) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::Workbook;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let heads = [
        lang.pick("手机号（用户名）", "Mobile (user name)"),
        lang.pick("姓名", "Name"),
        lang.pick("班次数", "Shifts"),
        lang.pick("班次时长（小时）", "Shift hours"),
        lang.pick("完成任务数", "Tasks done"),
        lang.pick("任务时长（小时）", "Task hours"),
        lang.pick("服务时长合计（小时）", "Total hours"),
    ];
    for (c, h) in heads.iter().enumerate() {
        ws.write_string(0, u16::try_from(c).unwrap_or(0), *h)?;
    }
    let hours = |m: i64| hours_text(m).parse::<f64>().unwrap_or(0.0);
    for (i, r) in rows.iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
        ws.write_string(row, 0, wushe_core::sheet::safe_cell(&r.username))?;
        ws.write_string(row, 1, wushe_core::sheet::safe_cell(&r.display_name))?;
        ws.write_number(row, 2, r.shifts as f64)?;
        ws.write_number(row, 3, hours(r.shift_minutes))?;
        ws.write_number(row, 4, r.tasks as f64)?;
        ws.write_number(row, 5, hours(r.task_minutes))?;
        ws.write_number(row, 6, hours(r.minutes))?;
    }
    wb.save_to_buffer()
}
