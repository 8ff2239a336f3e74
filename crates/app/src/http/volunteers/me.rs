//! The volunteer's own pages, phone first: my shifts and hours, open shifts to pick, the
//! page a scanned post QR code opens (check in or out of my current shift there), my
//! profile, and my service record certificate (printable).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use wushe_core::Actor;
use wushe_core::Store;
use wushe_core::ids::{PostId, ShiftId};
use wushe_core::volunteers::booking::{Attendance, BookingState, hours_text};
use wushe_core::volunteers::service::{self, ProfileForm};
use wushe_core::volunteers::{availability_from_str, certificate};

use super::{
    Tick, all, availability_ticks, clock, day, first_message, id, kind_label, one, pairs,
    skill_ticks, when,
};
use crate::AppState;
use crate::http::error::HttpError;
use crate::http::form::{Choice, FormErrors, field_errors, render, see_other};
use crate::http::page::Page;
use crate::http::session::CurrentActor;

/// One of my shifts as listed.
pub struct Mine {
    pub when: String,
    pub post: String,
    pub kind: &'static str,
    pub state: &'static str,
    pub state_code: &'static str,
    pub hours: String,
    pub booking: String,
    /// Still only booked and not started: the volunteer may cancel.
    pub cancellable: bool,
}

/// An open shift to pick.
pub struct Open {
    pub id: String,
    pub when: String,
    pub post: String,
    pub kind: &'static str,
    pub left: i32,
}

#[derive(Template)]
#[template(path = "volunteers/me.html")]
struct MePage {
    page: Page,
    mine: Vec<Mine>,
    open: Vec<Open>,
    hours: String,
    message: String,
    booked: bool,
    cancelled: bool,
    default_name: String,
    /// Posts I lead: (id, name).
    led: Vec<(String, String)>,
}

async fn me_page(
    s: &AppState,
    a: &Actor,
    page: Page,
    message: String,
    (booked, cancelled): (bool, bool),
    status: StatusCode,
) -> Result<Response, HttpError> {
    let lang = page.lang;
    let now = s.clock.now();
    let (shifts, minutes) = service::my_shifts(s.store.as_ref(), a).await?;
    let mine_ids: Vec<ShiftId> = shifts.iter().map(|m| m.shift.id).collect();
    let mine = shifts
        .into_iter()
        .filter(|m| {
            m.shift.window.end + time::Duration::days(7) > now
                || m.booking.state == BookingState::CheckedOut
        })
        .map(|m| Mine {
            when: format!(
                "{} – {}",
                when(m.shift.window.start, lang),
                clock(m.shift.window.end)
            ),
            post: m.post.name,
            kind: kind_label(lang, m.post.kind),
            state: lang.pick(m.booking.state.zh(), m.booking.state.en()),
            state_code: m.booking.state.as_str(),
            booking: m.booking.id.to_string(),
            cancellable: m.booking.state == BookingState::Booked && m.shift.window.start > now,
            hours: hours_text(wushe_core::volunteers::booking::served_minutes(
                &m.shift.window,
                m.booking.checked_in_at,
                m.booking.checked_out_at,
            )),
        })
        .collect();
    let open = service::open_shifts(s.store.as_ref(), a, now)
        .await?
        .into_iter()
        .filter(|(sh, _)| !mine_ids.contains(&sh.id))
        .take(60)
        .map(|(sh, p)| Open {
            id: sh.id.to_string(),
            when: format!("{} – {}", when(sh.window.start, lang), clock(sh.window.end)),
            post: p.name,
            kind: kind_label(lang, p.kind),
            left: sh.slots - sh.taken,
        })
        .collect();
    let led = service::posts_i_lead(s.store.as_ref(), a)
        .await?
        .into_iter()
        .map(|p| (p.id.to_string(), p.name))
        .collect();
    let p = MePage {
        led,
        mine,
        open,
        hours: hours_text(minutes),
        message,
        booked,
        cancelled,
        default_name: wushe_core::reveal::mask_name(&a.display_name),
        page,
    };
    render(status, &p)
}

/// My shifts with a message (a refused cancellation).
pub async fn shifts_with_message(
    s: &AppState,
    a: &Actor,
    page: Page,
    message: String,
) -> Result<Response, HttpError> {
    me_page(s, a, page, message, (false, false), StatusCode::CONFLICT).await
}

#[derive(Deserialize)]
pub struct MeQuery {
    #[serde(default)]
    booked: Option<String>,
    #[serde(default)]
    cancelled: Option<String>,
}

pub async fn shifts(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Query(q): Query<MeQuery>,
) -> Result<Response, HttpError> {
    me_page(
        &s,
        &a,
        page,
        String::new(),
        (q.booked.is_some(), q.cancelled.is_some()),
        StatusCode::OK,
    )
    .await
}

pub async fn book(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    let sid: ShiftId = id(&raw)?;
    match field_errors(service::book(s.store.as_ref(), &a, sid, s.clock.now()).await)? {
        Ok(_) => Ok(see_other("/me/shifts?booked=1")),
        Err(e) => {
            let m = first_message(&e, page.lang);
            me_page(
                &s,
                &a,
                page,
                m,
                (false, false),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct ScanQuery {
    #[serde(default)]
    t: String,
}

#[derive(Template)]
#[template(path = "volunteers/scan.html")]
struct ScanPage {
    page: Page,
    post: String,
    kind: &'static str,
    token: String,
    id: String,
    /// The shift and what pressing the button does, if any.
    current: Option<(String, bool)>,
    message: String,
    done: String,
}

#[allow(clippy::too_many_arguments)]
async fn scan_page(
    s: &AppState,
    a: &Actor,
    page: Page,
    pid: PostId,
    token: String,
    message: String,
    done: String,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let lang = page.lang;
    let v = service::scan(s.store.as_ref(), &s.cipher, a, pid, &token, s.clock.now()).await?;
    let current = v.current.map(|(_, sh, step)| {
        (
            format!("{} – {}", when(sh.window.start, lang), clock(sh.window.end)),
            step == Attendance::CheckIn,
        )
    });
    let p = ScanPage {
        post: v.post.name,
        kind: kind_label(lang, v.post.kind),
        id: v.post.id.to_string(),
        token,
        current,
        message,
        done,
        page,
    };
    render(status, &p)
}

/// The page the post's QR code opens (login first if needed; the login returns here).
pub async fn scan(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(raw): Path<String>,
    Query(q): Query<ScanQuery>,
) -> Result<Response, HttpError> {
    scan_page(
        &s,
        &a,
        page,
        id(&raw)?,
        q.t,
        String::new(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn scan_attend(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(raw): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, HttpError> {
    let pid: PostId = id(&raw)?;
    let token = one(&pairs(&body)?, "t");
    let lang = page.lang;
    let r = service::scan_attend(s.store.as_ref(), &s.cipher, &a, pid, &token, s.clock.now()).await;
    match field_errors(r)? {
        Ok(state) => {
            let done = match state {
                BookingState::CheckedIn => {
                    lang.pick("签到成功，辛苦了！", "Checked in. Thank you!")
                }
                _ => lang.pick(
                    "签退成功，感谢您的服务！",
                    "Checked out. Thank you for serving!",
                ),
            };
            scan_page(
                &s,
                &a,
                page,
                pid,
                token,
                String::new(),
                done.into(),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => {
            let m = first_message(&e, lang);
            scan_page(
                &s,
                &a,
                page,
                pid,
                token,
                m,
                String::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "volunteers/profile.html")]
struct ProfilePage {
    page: Page,
    skills: Vec<Tick>,
    availability: Vec<Tick>,
    home_community: String,
    communities: Vec<(String, Vec<Choice>)>,
    team: String,
    teams: Vec<Choice>,
    version: i64,
    errors: FormErrors,
    saved: bool,
}

async fn teams(store: &dyn Store) -> Result<Vec<Choice>, HttpError> {
    Ok(store
        .list_orgs(&wushe_core::orgs::OrgFilter {
            kind: Some(wushe_core::orgs::OrgKind::VolunteerTeam),
            region: None,
            query: None,
            limit: 200,
        })
        .await?
        .into_iter()
        .map(|o| Choice {
            value: o.id.to_string(),
            label: o.name,
        })
        .collect())
}

#[derive(Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn profile(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Query(q): Query<SavedQuery>,
) -> Result<Response, HttpError> {
    let pr = service::my_profile(s.store.as_ref(), &a).await?;
    let lang = page.lang;
    let p = ProfilePage {
        skills: skill_ticks(lang, pr.skills),
        availability: availability_ticks(lang, &availability_from_str(&pr.availability)),
        communities: super::public::communities(s.store.as_ref(), &pr.home_community).await?,
        home_community: pr.home_community.0,
        team: pr.team.map(|t| t.to_string()).unwrap_or_default(),
        teams: teams(s.store.as_ref()).await?,
        version: pr.version,
        errors: FormErrors::default(),
        saved: q.saved.is_some(),
        page,
    };
    render(StatusCode::OK, &p)
}

pub async fn save_profile(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    body: axum::body::Bytes,
) -> Result<Response, HttpError> {
    let p = pairs(&body)?;
    let f = ProfileForm {
        skills: all(&p, "skills"),
        availability: all(&p, "availability"),
        home_community: one(&p, "home_community"),
        team: one(&p, "team"),
        version: one(&p, "version"),
    };
    match field_errors(service::update_my_profile(s.store.as_ref(), &a, &f, s.clock.now()).await)? {
        Ok(()) => Ok(see_other("/me/profile?saved=1")),
        Err(errors) => {
            let lang = page.lang;
            let skills =
                wushe_core::volunteers::parse_skills("skills", &f.skills).unwrap_or_default();
            let availability: Vec<_> = f
                .availability
                .iter()
                .filter_map(|x| wushe_core::volunteers::Availability::parse(x))
                .collect();
            let p = ProfilePage {
                skills: skill_ticks(lang, skills),
                availability: availability_ticks(lang, &availability),
                communities: super::public::communities(s.store.as_ref(), &a.region).await?,
                home_community: f.home_community,
                team: f.team,
                teams: teams(s.store.as_ref()).await?,
                version: f.version.parse().unwrap_or(0),
                errors: FormErrors::new(errors, lang),
                saved: false,
                page,
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
    }
}

pub async fn issue(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    body: axum::body::Bytes,
) -> Result<Response, HttpError> {
    let name = one(&pairs(&body)?, "display_name");
    let mut random = [0u8; 5];
    getrandom::fill(&mut random).map_err(wushe_core::Error::internal)?;
    let r = service::issue_certificate(
        s.store.as_ref(),
        &s.cipher,
        &a,
        &name,
        random,
        s.clock.now(),
    )
    .await;
    match field_errors(r)? {
        Ok((c, _)) => Ok(see_other(&format!("/me/certificates/{}", c.id))),
        Err(e) => {
            let m = first_message(&e, page.lang);
            me_page(
                &s,
                &a,
                page,
                m,
                (false, false),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "volunteers/certificate.html")]
struct CertificatePage {
    page: Page,
    name: String,
    hours: String,
    issued: String,
    code: String,
    verify_path: String,
}

pub async fn certificate(
    State(s): State<AppState>,
    CurrentActor(a): CurrentActor,
    page: Page,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    if raw.len() != certificate::PART {
        return Err(HttpError::Core(wushe_core::Error::NotFound));
    }
    let (c, code) = service::my_certificate(s.store.as_ref(), &s.cipher, &a, &raw).await?;
    let p = CertificatePage {
        name: c.display_name,
        hours: hours_text(c.minutes),
        issued: day(c.issued_at, page.lang),
        verify_path: format!("/verify?code={code}"),
        code,
        page,
    };
    render(StatusCode::OK, &p)
}
