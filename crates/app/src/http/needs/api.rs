//! `POST /api/v1/needs`: a resident's need as JSON, no account. Requires an
//! `Idempotency-Key` header; a replay with the same body answers the first answer (200), a
//! different body with the same key is refused (422).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use wushe_core::needs::Priority;
use wushe_core::needs::intake::{IntakeForm, NOTICE_VERSION};
use wushe_core::needs::record::IdempotencyClaim;
use wushe_core::needs::service::{self, Receipt, sha256_hex};
use wushe_core::needs::tracking::TrackingCode;
use wushe_core::needs::triage::triage;

use super::view::ReceiptView;
use crate::AppState;
use crate::http::client_ip::ClientIp;
use crate::http::error::HttpError;
use crate::http::page::Lang;
use crate::http::session::random_token;

/// A need, as a resident describes it.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct NeedRequestDto {
    /// emergency_medical, critical_treatment, prenatal, medication, psych, supplies,
    /// elder_care, child_care, registration, door_visit or other
    pub category: String,
    /// In the resident's own words, at most 1000 characters.
    pub description: String,
    /// self, family or neighbour
    pub who_for: String,
    pub age: Option<u32>,
    pub lives_alone: bool,
    pub disabled: bool,
    pub child: bool,
    pub no_carer: bool,
    pub pregnant: bool,
    /// YYYY-MM-DD
    pub due_date: Option<String>,
    /// The community's 12-digit code.
    pub community: String,
    pub building: String,
    pub unit: Option<String>,
    pub room: Option<String>,
    pub contact_name: String,
    /// A mainland mobile number, 11 digits.
    pub mobile: String,
    pub medication_days_left: Option<u32>,
    pub food_days_left: Option<u32>,
    /// Consent to the privacy notice (required).
    pub privacy_consent: bool,
    /// Consent to the use of health details (required).
    pub health_consent: bool,
    /// The version of the privacy notice shown.
    pub notice_version: Option<String>,
    /// Leave empty.
    pub website: Option<String>,
}

impl NeedRequestDto {
    pub fn form(&self) -> IntakeForm {
        let num = |n: Option<u32>| n.map(|v| v.to_string()).unwrap_or_default();
        IntakeForm {
            category: self.category.clone(),
            description: self.description.clone(),
            who_for: self.who_for.clone(),
            age: num(self.age),
            lives_alone: self.lives_alone,
            disabled: self.disabled,
            child: self.child,
            no_carer: self.no_carer,
            pregnant: self.pregnant,
            due_date: self.due_date.clone().unwrap_or_default(),
            community: self.community.clone(),
            building: self.building.clone(),
            unit: self.unit.clone().unwrap_or_default(),
            room: self.room.clone().unwrap_or_default(),
            contact_name: self.contact_name.clone(),
            mobile: self.mobile.clone(),
            medication_days_left: num(self.medication_days_left),
            food_days_left: num(self.food_days_left),
            privacy_consent: self.privacy_consent,
            health_consent: self.health_consent,
            notice_version: self
                .notice_version
                .clone()
                .unwrap_or_else(|| NOTICE_VERSION.into()),
        }
    }
}

/// What the resident is told: the tracking code and secret link, the priority and why, and
/// what to do at once when life is in danger.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NeedReceiptDto {
    /// e.g. K7QX-M3NP-5
    pub tracking_code: String,
    /// `/t/{code}?k={secret}`: keep it; it is shown only here.
    pub tracking_link: String,
    /// P1 to P4
    pub priority: String,
    pub priority_label: String,
    pub reasons: Vec<String>,
    pub call_120: bool,
    pub call_110: bool,
    pub crisis_hotline: bool,
    /// Lines to show in large type ("请立即拨打120", "心理援助热线 12356").
    pub urgent: Vec<String>,
    /// wushe does not replace emergency services.
    pub notice: String,
}

impl NeedReceiptDto {
    pub fn new(v: ReceiptView, lang: Lang) -> NeedReceiptDto {
        NeedReceiptDto {
            tracking_code: v.code,
            tracking_link: v.link,
            priority: v.priority.into(),
            priority_label: v.priority_label.into(),
            reasons: v.reasons,
            call_120: v.advice.call_120,
            call_110: v.advice.call_110,
            crisis_hotline: v.advice.crisis_hotline,
            urgent: v.urgent,
            notice: lang
                .pick(
                    "五社联动不能代替急救和报警：有生命危险请立即拨打120或110",
                    "wushe does not replace emergency services: if life is in danger call 120 or 110 now",
                )
                .into(),
        }
    }
}

/// An acceptable `Idempotency-Key`: 8–100 of `A-Z a-z 0-9 - _`.
pub fn valid_key(k: &str) -> bool {
    (8..=100).contains(&k.len())
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Eight random bytes for a tracking code.
pub fn code_random() -> Result<[u8; 8], HttpError> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(wushe_core::Error::internal)?;
    Ok(b)
}

/// The honeypot was filled: answer like a success, store nothing. The safety advice is
/// still real when the words show danger (a person may have filled it by mistake).
pub fn decoy(form: &IntakeForm) -> Result<Receipt, HttpError> {
    let (priority, reasons, advice) = match form.parse() {
        Ok(input) => {
            let t = triage(&input.triage_input());
            (t.priority, t.reasons, t.advice)
        }
        Err(_) => (Priority::P3, Vec::new(), Default::default()),
    };
    let secret = random_token()?;
    Ok(Receipt {
        code: TrackingCode::from_random(code_random()?),
        secret: hex_of(&secret),
        priority,
        reasons,
        advice,
        created: true,
    })
}

fn hex_of(s: &str) -> String {
    sha256_hex(s.as_bytes())
}

/// Submit a need (no account needed).
#[utoipa::path(post, path = "/api/v1/needs", tag = "needs", request_body = NeedRequestDto,
    params(("Idempotency-Key" = String, Header, description = "8–100 of A-Z a-z 0-9 - _; reuse it to retry safely")),
    responses((status = 201, body = NeedReceiptDto), (status = 200, description = "a replay: the first answer", body = NeedReceiptDto),
        (status = 400, description = "no or bad Idempotency-Key"), (status = 429, description = "over the per-address or per-node limit; see Retry-After"), (status = 422, description = "field errors, or the key was used with another body")),
    security(()))]
pub async fn submit(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(dto): Json<NeedRequestDto>,
) -> Result<(StatusCode, Json<NeedReceiptDto>), HttpError> {
    s.intake_limit
        .check(ip, s.clock.now())
        .map_err(HttpError::TooManyRequests)?;
    let lang = Lang::from_headers(&headers);
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| valid_key(k))
        .ok_or_else(|| {
            HttpError::BadRequest(
                "Idempotency-Key header required: 8–100 of A-Z a-z 0-9 - _".into(),
            )
        })?;
    let form = dto.form();
    if dto.website.as_deref().is_some_and(|w| !w.trim().is_empty()) {
        let r = decoy(&form)?;
        return Ok((
            StatusCode::CREATED,
            Json(NeedReceiptDto::new(ReceiptView::new(&r, lang), lang)),
        ));
    }
    let body = serde_json::to_vec(&dto).map_err(wushe_core::Error::internal)?;
    let claim = IdempotencyClaim {
        key: format!("api:{key}"),
        body_hash: sha256_hex(&body),
    };
    let r = service::submit(
        s.desk(),
        service::Submission {
            form: &form,
            claim: &claim,
            code_random: code_random()?,
            by: None,
        },
        s.clock.now(),
    )
    .await?;
    let status = if r.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(NeedReceiptDto::new(ReceiptView::new(&r, lang), lang)),
    ))
}
