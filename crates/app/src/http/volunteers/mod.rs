//! Volunteers on the web: the public call-up pages (`/callups`, sign-up without an account),
//! the one-time set-password link, certificate verification (page and JSON); staff pages for
//! call-ups, sign-ups, posts and rosters and the hours export; and the volunteer's phone view
//! (`/me/shifts`: my shifts, open shifts, check-in by the post's QR code, my hours).

mod api;
mod me;
mod posts;
mod public;
mod staff;
mod tasks;
mod verify;

use axum::body::Bytes;
use axum::routing::{get, post};
use time::{OffsetDateTime, UtcOffset};
use wushe_core::Error;
use wushe_core::dispatch::{Skill, Skills};
use wushe_core::volunteers::{Availability, PostKind, skill_en};

use crate::http::error::HttpError;
use crate::http::page::Lang;
use crate::http::routes::Routes;

pub use api::{__path_verify, CertificateDto};

pub fn router() -> Routes {
    Routes::new()
        .route("/callups", get(public::list))
        .route("/callups/{id}", get(public::show).post(public::sign_up))
        .route("/callups/{id}/code", post(public::send_code))
        .route(
            "/volunteer/password/{token}",
            get(public::password_form).post(public::set_password),
        )
        .route("/verify", get(verify::verify_page))
        .route("/api/v1/certificates/{code}", get(api::verify))
        .route("/volunteers", get(staff::campaigns).post(staff::publish))
        .route("/volunteers/campaigns/{id}", get(staff::campaign))
        .route("/volunteers/campaigns/{id}/commit", post(staff::commit))
        .route("/volunteers/campaigns/{id}/close", post(staff::close))
        .route("/volunteers/signups/{id}/approve", post(staff::approve))
        .route("/volunteers/signups/{id}/decline", post(staff::decline))
        .route("/volunteers/signups/{id}/reveal", post(staff::reveal))
        .route("/volunteers/hours.xlsx", get(staff::hours_xlsx))
        .route("/posts", get(posts::posts).post(posts::create_post))
        .route("/posts/{id}", get(posts::roster))
        .route("/posts/{id}/shifts", post(posts::add_shifts))
        .route("/posts/{id}/lead", post(posts::set_lead))
        .route("/posts/{id}/scan", get(me::scan).post(me::scan_attend))
        .route(
            "/shifts/{id}/assign",
            get(posts::assign_form).post(posts::assign),
        )
        .route("/shifts/{id}/book", post(me::book))
        .route("/bookings/{id}/attendance", post(posts::attend))
        .route("/me/shifts", get(me::shifts))
        .route("/me/bookings/{id}/cancel", post(tasks::cancel_booking))
        .route("/me/tasks", get(tasks::list))
        .route("/me/tasks/live", get(tasks::live))
        .route("/me/offers/{id}/accept", post(tasks::accept))
        .route("/me/offers/{id}/decline", post(tasks::decline))
        .route("/me/tasks/{id}/claim", post(tasks::claim))
        .route("/me/tasks/{id}/contact", post(tasks::contact))
        .route("/me/tasks/{id}/complete", post(tasks::complete))
        .route("/me/profile", get(me::profile).post(me::save_profile))
        .route("/me/certificates", post(me::issue))
        .route("/me/certificates/{id}", get(me::certificate))
}

/// A path id, or 404.
fn id<T: std::str::FromStr>(raw: &str) -> Result<T, HttpError> {
    raw.parse().map_err(|_| HttpError::Core(Error::NotFound))
}

/// A posted form as (name, value) pairs: repeated names (checkboxes) stay separate.
fn pairs(body: &Bytes) -> Result<Vec<(String, String)>, HttpError> {
    serde_urlencoded::from_bytes(body).map_err(|_| HttpError::BadRequest("bad form".into()))
}

fn one(p: &[(String, String)], name: &str) -> String {
    p.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn all(p: &[(String, String)], name: &str) -> Vec<String> {
    p.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

/// `4月3日 14:05` in Beijing time, or `3 Apr 14:05`.
pub fn when(t: OffsetDateTime, lang: Lang) -> String {
    let t = t.to_offset(UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC));
    match lang {
        Lang::En => format!(
            "{} {} {:02}:{:02}",
            t.day(),
            &format!("{}", t.month())[..3],
            t.hour(),
            t.minute()
        ),
        Lang::Zh => format!(
            "{}月{}日 {:02}:{:02}",
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        ),
    }
}

/// `14:05` in Beijing time.
pub fn clock(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC));
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// A day in Beijing time: `2026年4月3日` / `3 Apr 2026`.
pub fn day(t: OffsetDateTime, lang: Lang) -> String {
    let t = t.to_offset(UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC));
    match lang {
        Lang::En => format!(
            "{} {} {}",
            t.day(),
            &format!("{}", t.month())[..3],
            t.year()
        ),
        Lang::Zh => format!("{}年{}月{}日", t.year(), u8::from(t.month()), t.day()),
    }
}

/// A tickable option with its state.
pub struct Tick {
    pub value: &'static str,
    pub label: &'static str,
    pub on: bool,
}

fn skill_ticks(lang: Lang, on: Skills) -> Vec<Tick> {
    Skill::ALL
        .into_iter()
        .map(|s| Tick {
            value: s.as_str(),
            label: lang.pick(s.zh(), skill_en(s)),
            on: on.has(s),
        })
        .collect()
}

fn availability_ticks(lang: Lang, on: &[Availability]) -> Vec<Tick> {
    Availability::ALL
        .into_iter()
        .map(|a| Tick {
            value: a.as_str(),
            label: lang.pick(a.zh(), a.en()),
            on: on.contains(&a),
        })
        .collect()
}

fn skills_label(lang: Lang, s: Skills) -> String {
    let v: Vec<&str> = s.iter().map(|k| lang.pick(k.zh(), skill_en(k))).collect();
    if v.is_empty() {
        lang.pick("无", "none").into()
    } else {
        v.join(lang.pick("、", ", "))
    }
}

fn kind_label(lang: Lang, k: PostKind) -> &'static str {
    lang.pick(k.zh(), k.en())
}

/// The first field error's message, in the page language.
fn first_message(e: &wushe_core::FieldErrors, lang: Lang) -> String {
    e.0.first()
        .map(|f| lang.pick(&f.zh, &f.en).to_string())
        .unwrap_or_default()
}
