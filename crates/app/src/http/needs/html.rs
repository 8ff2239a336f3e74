//! The public intake page of the green channel, `/help` (phone first, elder-friendly; one
//! question per row; a hidden idempotency key minted when the page is rendered, so a double tap
//! makes one need). The tracking page is in `track.rs`.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use wushe_core::needs::Category;
use wushe_core::needs::intake::{IntakeForm, NOTICE_VERSION, WhoFor};
use wushe_core::needs::record::IdempotencyClaim;
use wushe_core::needs::service::{self, sha256_hex};
use wushe_core::regions::RegionCode;
use wushe_core::{FieldErrors, Store};

use super::api::{code_random, decoy, valid_key};
use super::view::ReceiptView;
use crate::AppState;
use crate::http::client_ip::ClientIp;
use crate::http::error::HttpError;
use crate::http::form::{Choice, FormErrors, field_errors, render};
use crate::http::page::{Lang, Page};
use crate::http::session::random_token;

/// The district whose communities the form lists (the demo district, 黄浦区).
const DISTRICT: &str = "310101";

/// The form as posted (checkboxes are present or absent).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct HelpForm {
    pub category: String,
    pub description: String,
    pub who_for: String,
    pub age: String,
    pub lives_alone: Option<String>,
    pub disabled: Option<String>,
    pub child: Option<String>,
    pub no_carer: Option<String>,
    pub pregnant: Option<String>,
    pub due_date: String,
    pub community: String,
    pub community_code: String,
    pub building: String,
    pub unit: String,
    pub room: String,
    pub contact_name: String,
    pub mobile: String,
    pub medication_days_left: String,
    pub food_days_left: String,
    pub privacy_consent: Option<String>,
    pub health_consent: Option<String>,
    pub idempotency_key: String,
    #[serde(skip_serializing)]
    pub website: String,
}

impl HelpForm {
    pub(super) fn intake(&self) -> IntakeForm {
        let on = |v: &Option<String>| v.is_some();
        let typed = self.community_code.trim();
        IntakeForm {
            category: self.category.clone(),
            description: self.description.clone(),
            who_for: self.who_for.clone(),
            age: self.age.clone(),
            lives_alone: on(&self.lives_alone),
            disabled: on(&self.disabled),
            child: on(&self.child),
            no_carer: on(&self.no_carer),
            pregnant: on(&self.pregnant),
            due_date: self.due_date.clone(),
            community: if typed.is_empty() {
                self.community.clone()
            } else {
                typed.to_string()
            },
            building: self.building.clone(),
            unit: self.unit.clone(),
            room: self.room.clone(),
            contact_name: self.contact_name.clone(),
            mobile: self.mobile.clone(),
            medication_days_left: self.medication_days_left.clone(),
            food_days_left: self.food_days_left.clone(),
            privacy_consent: on(&self.privacy_consent),
            health_consent: on(&self.health_consent),
            notice_version: NOTICE_VERSION.into(),
        }
    }
}

/// Communities of the district, grouped by street (label, communities).
async fn places(store: &dyn Store) -> Result<Vec<(String, Vec<Choice>)>, HttpError> {
    let mut out = Vec::new();
    let district = RegionCode(DISTRICT.into());
    for street in store.region_children(Some(&district)).await? {
        let communities = store.region_children(Some(&street.code)).await?;
        let choices = communities
            .into_iter()
            .map(|c| Choice {
                value: c.code.0,
                label: c.display_name,
            })
            .collect::<Vec<_>>();
        if !choices.is_empty() {
            out.push((street.display_name, choices));
        }
    }
    Ok(out)
}

fn choices(lang: Lang) -> (Vec<Choice>, Vec<Choice>) {
    let cats = Category::ALL
        .iter()
        .filter(|c| **c != Category::DoorVisit)
        .map(|c| Choice {
            value: c.as_str().into(),
            label: lang.pick(c.zh(), c.en()).into(),
        })
        .collect();
    let who = WhoFor::ALL
        .iter()
        .map(|w| Choice {
            value: w.as_str().into(),
            label: lang.pick(w.zh(), w.en()).into(),
        })
        .collect();
    (cats, who)
}

#[derive(Template)]
#[template(path = "needs/help.html")]
pub(super) struct HelpPage {
    page: Page,
    /// Where the form posts: `/help`, or `/needs/new` for staff entering a call.
    action: &'static str,
    staff: bool,
    form: HelpForm,
    errors: FormErrors,
    categories: Vec<Choice>,
    who: Vec<Choice>,
    places: Vec<(String, Vec<Choice>)>,
}

pub(super) async fn help_page(
    s: &AppState,
    page: Page,
    form: HelpForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let (categories, who) = choices(page.lang);
    let staff = page.path.starts_with("/needs/");
    let p = HelpPage {
        action: if staff { "/needs/new" } else { "/help" },
        staff,
        errors: FormErrors::new(errors, page.lang),
        places: places(s.store.as_ref()).await?,
        categories,
        who,
        page,
        form,
    };
    render(status, &p)
}

pub async fn form(State(s): State<AppState>, page: Page) -> Result<Response, HttpError> {
    help_page(&s, page, blank()?, FieldErrors::default(), StatusCode::OK).await
}

/// An empty form with a fresh idempotency key.
pub(super) fn blank() -> Result<HelpForm, HttpError> {
    Ok(HelpForm {
        idempotency_key: random_token()?,
        who_for: "self".into(),
        ..HelpForm::default()
    })
}

#[derive(Template)]
#[template(path = "needs/done.html")]
pub(super) struct DonePage {
    pub(super) page: Page,
    pub(super) r: ReceiptView,
    pub(super) staff: bool,
}

pub async fn submit(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    page: Page,
    Form(f): Form<HelpForm>,
) -> Result<Response, HttpError> {
    s.intake_limit
        .check(ip, s.clock.now())
        .map_err(HttpError::TooManyRequests)?;
    if !valid_key(&f.idempotency_key) {
        return Err(HttpError::BadRequest(
            "the form is missing its key; reload the page".into(),
        ));
    }
    let intake = f.intake();
    if !f.website.trim().is_empty() {
        let r = ReceiptView::new(&decoy(&intake)?, page.lang);
        return render(
            StatusCode::OK,
            &DonePage {
                page,
                r,
                staff: false,
            },
        );
    }
    let body = serde_json::to_vec(&f).map_err(wushe_core::Error::internal)?;
    let claim = IdempotencyClaim {
        key: format!("help:{}", f.idempotency_key),
        body_hash: sha256_hex(&body),
    };
    let now = s.clock.now();
    let result = service::submit(
        s.desk(),
        service::Submission {
            form: &intake,
            claim: &claim,
            code_random: code_random()?,
            by: None,
        },
        now,
    )
    .await;
    match field_errors(result)? {
        Ok(r) => {
            let r = ReceiptView::new(&r, page.lang);
            render(
                StatusCode::OK,
                &DonePage {
                    page,
                    r,
                    staff: false,
                },
            )
        }
        Err(errors) => {
            let mut f = f;
            if errors.get("idempotency_key").is_some() {
                // This page's key already made a different need (the resident went back and
                // changed the form): the next press makes a new one.
                f.idempotency_key = random_token()?;
            }
            help_page(&s, page, f, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}
