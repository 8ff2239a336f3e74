//! Public pages: open call-ups and the sign-up form (no account; rate-limited like the
//! public intake; a honeypot field) and the one-time set-password link. Certificate
//! verification is in `verify.rs`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use wushe_core::dispatch::Skills;
use wushe_core::needs::intake::mobile;
use wushe_core::notify::Finish;
use wushe_core::notify::codes::{self, Issued, Purpose};
use wushe_core::regions::RegionCode;
use wushe_core::reveal::mask_phone;
use wushe_core::volunteers::record::Campaign;
use wushe_core::volunteers::service;
use wushe_core::volunteers::signup::SignupForm;
use wushe_core::volunteers::{Availability, parse_skill};
use wushe_core::{Error, FieldErrors, Store};

use super::{Tick, all, availability_ticks, day, id, one, pairs, skill_ticks, skills_label};
use crate::AppState;
use crate::http::client_ip::ClientIp;
use crate::http::error::HttpError;
use crate::http::form::{Choice, FormErrors, field_errors, render};
use crate::http::page::{Lang, Page};
use crate::http::session::hashing;
use crate::notify::SmsMode;

/// A call-up as listed.
pub struct CampaignCard {
    pub id: String,
    pub title: String,
    pub region: String,
    pub period: String,
    pub meeting_point: String,
    pub roles: Vec<(String, u32, String)>,
    pub ages: String,
}

pub(super) async fn card(
    store: &dyn Store,
    c: &Campaign,
    lang: Lang,
) -> Result<CampaignCard, HttpError> {
    let region = store
        .region(&c.region)
        .await?
        .map(|r| r.display_name)
        .unwrap_or_else(|| c.region.0.clone());
    let ages = match (c.min_age, c.max_age) {
        (None, None) => String::new(),
        (a, b) => format!(
            "{}–{} {}",
            a.unwrap_or(16),
            b.unwrap_or(90),
            lang.pick("岁", "years")
        ),
    };
    Ok(CampaignCard {
        id: c.id.to_string(),
        title: c.title.clone(),
        region,
        period: format!(
            "{} – {}",
            day(c.period.start, lang),
            day(c.period.end - time::Duration::seconds(1), lang)
        ),
        meeting_point: c.meeting_point.clone(),
        roles: c
            .roles
            .iter()
            .map(|r| {
                let needs = Skills::of(
                    &r.skills
                        .iter()
                        .filter_map(|s| parse_skill(s))
                        .collect::<Vec<_>>(),
                );
                let needs = if needs == Skills::NONE {
                    String::new()
                } else {
                    skills_label(lang, needs)
                };
                (r.name.clone(), r.headcount, needs)
            })
            .collect(),
        ages,
    })
}

#[derive(Template)]
#[template(path = "volunteers/callups.html")]
struct ListPage {
    page: Page,
    cards: Vec<CampaignCard>,
}

pub async fn list(State(s): State<AppState>, page: Page) -> Result<Response, HttpError> {
    let mut cards = Vec::new();
    for c in service::open_campaigns(s.store.as_ref(), s.clock.now()).await? {
        cards.push(card(s.store.as_ref(), &c, page.lang).await?);
    }
    render(StatusCode::OK, &ListPage { page, cards })
}

/// The sign-up form's values as typed.
#[derive(Default)]
pub struct Typed {
    pub role: String,
    pub name: String,
    pub mobile: String,
    pub age: String,
    pub home_community: String,
    pub consent: bool,
    /// The code as typed.
    pub code: String,
}

#[derive(Template)]
#[template(path = "volunteers/callup.html")]
struct ShowPage {
    page: Page,
    c: CampaignCard,
    description: String,
    form: Typed,
    skills: Vec<Tick>,
    availability: Vec<Tick>,
    communities: Vec<(String, Vec<Choice>)>,
    errors: FormErrors,
    /// Texts can be sent (`[sms] mode` demo or http): the form asks for a code.
    codes: bool,
    /// Demo mode: the text is on the staff's 短信发件箱 (演示) page, not on a phone.
    demo: bool,
    /// The masked number a code was just sent to (empty: none this time).
    sent_to: String,
}

/// What the form says about a code just asked for.
#[derive(Default)]
struct CodeNote {
    sent_to: String,
}

/// Communities of the call-up's district, grouped by street.
pub(super) async fn communities(
    store: &dyn Store,
    region: &RegionCode,
) -> Result<Vec<(String, Vec<Choice>)>, HttpError> {
    let district = RegionCode(region.0.chars().take(6).collect());
    let mut out = Vec::new();
    for street in store.region_children(Some(&district)).await? {
        let list: Vec<Choice> = store
            .region_children(Some(&street.code))
            .await?
            .into_iter()
            .filter(|c| c.code.0.len() == 12)
            .map(|c| Choice {
                value: c.code.0,
                label: c.display_name,
            })
            .collect();
        if !list.is_empty() {
            out.push((street.display_name, list));
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn show_page(
    s: &AppState,
    page: Page,
    c: &Campaign,
    form: Typed,
    skills: Skills,
    availability: &[Availability],
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, HttpError> {
    show_page_noted(
        s,
        page,
        c,
        form,
        skills,
        availability,
        errors,
        CodeNote::default(),
        status,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn show_page_noted(
    s: &AppState,
    page: Page,
    c: &Campaign,
    form: Typed,
    skills: Skills,
    availability: &[Availability],
    errors: FieldErrors,
    note: CodeNote,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let lang = page.lang;
    let mode = s.config.notify.sms.mode;
    let p = ShowPage {
        codes: mode != SmsMode::Off,
        demo: mode == SmsMode::Demo,
        sent_to: note.sent_to,
        c: card(s.store.as_ref(), c, lang).await?,
        description: c.description.clone(),
        form,
        skills: skill_ticks(lang, skills),
        availability: availability_ticks(lang, availability),
        communities: communities(s.store.as_ref(), &c.region).await?,
        errors: FormErrors::new(errors, lang),
        page,
    };
    render(status, &p)
}

pub async fn show(
    State(s): State<AppState>,
    page: Page,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    let c = service::public_campaign(s.store.as_ref(), id(&raw)?, s.clock.now()).await?;
    let form = Typed {
        role: c.roles.first().map(|r| r.name.clone()).unwrap_or_default(),
        ..Typed::default()
    };
    show_page(
        &s,
        page,
        &c,
        form,
        Skills::NONE,
        &[],
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Template)]
#[template(path = "volunteers/signed_up.html")]
struct DonePage {
    page: Page,
    title: String,
}

pub async fn sign_up(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    page: Page,
    Path(raw): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, HttpError> {
    s.intake_limit
        .check(ip, s.clock.now())
        .map_err(HttpError::TooManyRequests)?;
    let now = s.clock.now();
    let c = service::public_campaign(s.store.as_ref(), id(&raw)?, now).await?;
    let p = pairs(&body)?;
    if !one(&p, "website").trim().is_empty() {
        // A bot filled the hidden field: thank it and store nothing.
        return render(
            StatusCode::OK,
            &DonePage {
                page,
                title: c.title,
            },
        );
    }
    let form = signup_form(&p);
    let result = if s.config.notify.sms.mode == SmsMode::Off {
        service::sign_up(s.store.as_ref(), &s.cipher, c.id, &form, now).await
    } else {
        service::sign_up_with_code(
            s.store.as_ref(),
            &s.cipher,
            c.id,
            &form,
            &one(&p, "code"),
            now,
        )
        .await
    };
    match field_errors(result)? {
        Ok(_) => render(
            StatusCode::OK,
            &DonePage {
                page,
                title: c.title,
            },
        ),
        Err(errors) => {
            again(
                &s,
                page,
                &c,
                form,
                one(&p, "code"),
                errors,
                CodeNote::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

fn signup_form(p: &[(String, String)]) -> SignupForm {
    SignupForm {
        role: one(p, "role"),
        name: one(p, "name"),
        mobile: one(p, "mobile"),
        age: one(p, "age"),
        skills: all(p, "skills"),
        availability: all(p, "availability"),
        home_community: one(p, "home_community"),
        privacy_consent: !one(p, "privacy_consent").is_empty(),
    }
}

/// The form again with everything typed kept.
#[allow(clippy::too_many_arguments)]
async fn again(
    s: &AppState,
    page: Page,
    c: &Campaign,
    form: SignupForm,
    code: String,
    errors: FieldErrors,
    note: CodeNote,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let skills = Skills::of(
        &form
            .skills
            .iter()
            .filter_map(|s| parse_skill(s))
            .collect::<Vec<_>>(),
    );
    let availability: Vec<Availability> = form
        .availability
        .iter()
        .filter_map(|a| Availability::parse(a))
        .collect();
    let typed = Typed {
        role: form.role,
        name: form.name,
        mobile: form.mobile,
        age: form.age,
        home_community: form.home_community,
        consent: form.privacy_consent,
        code,
    };
    show_page_noted(
        s,
        page,
        c,
        typed,
        skills,
        &availability,
        errors,
        note,
        status,
    )
    .await
}

/// 发送验证码 on the sign-up form (a second submit button with `formaction`, so no script is
/// needed): the number alone is checked, a code is texted (caps per number and per address),
/// and the form comes back with everything typed and where the code went, or why not.
pub async fn send_code(
    State(s): State<AppState>,
    client: ClientIp,
    page: Page,
    Path(raw): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, HttpError> {
    if s.config.notify.sms.mode == SmsMode::Off {
        return Err(HttpError::Core(wushe_core::Error::NotFound));
    }
    let now = s.clock.now();
    s.code_limit
        .check(client.limit_key(), now)
        .map_err(HttpError::TooManyRequests)?;
    let c = service::public_campaign(s.store.as_ref(), id(&raw)?, now).await?;
    let p = pairs(&body)?;
    let form = signup_form(&p);
    if !one(&p, "website").trim().is_empty() {
        // A bot filled the hidden field: nothing is sent.
        return again(
            &s,
            page,
            &c,
            form,
            String::new(),
            FieldErrors::default(),
            CodeNote::default(),
            StatusCode::OK,
        )
        .await;
    }
    let phone = match mobile(&form.mobile) {
        Ok(m) => m,
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.0.push(e);
            return again(
                &s,
                page,
                &c,
                form,
                String::new(),
                errors,
                CodeNote::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let origin = client.sms_origin(&s.cipher)?;
    let issued = codes::issue(
        s.store.as_ref(),
        &s.cipher,
        Purpose::Signup,
        &phone,
        &c.region,
        Some(&origin),
        &s.config.notify.caps,
        now,
    )
    .await?;
    let capped = match issued {
        Issued::Capped => true,
        Issued::Queued { outbox, .. } => {
            // Sent now, not a second later by the worker; a gateway failure is retried by it.
            match crate::notify::deliver_row(&s, outbox).await {
                Ok(Some(Finish::Capped(_))) => true,
                Ok(_) => false,
                Err(e) => {
                    tracing::warn!(error = %e, "sign-up code could not be delivered now");
                    false
                }
            }
        }
    };
    if capped {
        let errors = match codes::capped() {
            Error::Invalid(f) => f,
            other => return Err(other.into()),
        };
        return again(
            &s,
            page,
            &c,
            form,
            String::new(),
            errors,
            CodeNote::default(),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
    }
    again(
        &s,
        page,
        &c,
        form,
        String::new(),
        FieldErrors::default(),
        CodeNote {
            sent_to: mask_phone(&phone),
        },
        StatusCode::OK,
    )
    .await
}

#[derive(Template)]
#[template(path = "volunteers/set_password.html")]
struct PasswordPage {
    page: Page,
    token: String,
    username: String,
    errors: FormErrors,
    done: bool,
}

pub async fn password_form(
    State(s): State<AppState>,
    page: Page,
    Path(token): Path<String>,
) -> Result<Response, HttpError> {
    let user = service::link_user(s.store.as_ref(), &token, s.clock.now()).await?;
    let p = PasswordPage {
        page,
        token,
        username: user.username,
        errors: FormErrors::default(),
        done: false,
    };
    render(StatusCode::OK, &p)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

pub async fn set_password(
    State(s): State<AppState>,
    page: Page,
    Path(token): Path<String>,
    axum::Form(f): axum::Form<PasswordForm>,
) -> Result<Response, HttpError> {
    let now = s.clock.now();
    let user = service::link_user(s.store.as_ref(), &token, now).await?;
    let mut errors = FieldErrors::default();
    let inputs = [user.username.as_str(), user.display_name.as_str()];
    if let Err(e) = s
        .config
        .password_rules()
        .check("password", &f.password, &inputs)
    {
        errors.0.push(e);
    }
    if f.password_again != f.password {
        errors.add(
            "password_again",
            "两次输入的密码不一致，请再输入一遍",
            "The two passwords differ; type it again",
        );
    }
    if !errors.is_empty() {
        let p = PasswordPage {
            errors: FormErrors::new(errors, page.lang),
            page,
            token,
            username: user.username,
            done: false,
        };
        return render(StatusCode::UNPROCESSABLE_ENTITY, &p);
    }
    let pw = f.password.clone();
    let hash = hashing(&s, move || wushe_core::users::password::hash(&pw)).await??;
    service::set_password_by_link(s.store.as_ref(), &token, &hash, now).await?;
    let p = PasswordPage {
        page,
        token: String::new(),
        username: user.username,
        errors: FormErrors::default(),
        done: true,
    };
    render(StatusCode::OK, &p)
}
