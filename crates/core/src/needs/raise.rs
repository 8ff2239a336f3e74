//! Needs raised by wushe itself: a welfare check's findings become needs of the green
//! channel, linked to the registry person, through the same triage rules (DOMAIN.md: physical
//! emergency → emergency_medical; mental crisis → psych at P1 with the crisis hotline;
//! medicine or food for ≤ 2 days → medication or supplies at P2; missed contacts → one
//! `door_visit`). One need per check and category, however often the raise is retried.

use time::OffsetDateTime;

use super::Priority;
use super::intake::SubjectFacts;
use super::record::{IdempotencyClaim, Source};
use super::service::{NewNeed, Receipt, create};
use super::triage::{Reason, triage};
use super::work::Desk;
use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::people::service::Recorded;

/// Raise the needs of a recorded check, by the worker who recorded it.
pub async fn from_check(
    desk: Desk<'_>,
    worker: &Actor,
    recorded: &Recorded,
    now: OffsetDateTime,
) -> Result<Vec<Receipt>> {
    if recorded.findings.needs.is_empty() {
        return Ok(Vec::new());
    }
    let check = &recorded.check;
    let person = desk
        .store
        .person(check.person)
        .await?
        .ok_or(Error::NotFound)?;
    let details = crate::people::record::open(desk.cipher, &person)?;
    let subject = serde_json::to_string(&SubjectFacts::default()).map_err(Error::internal)?;
    let mut receipts = Vec::new();
    for (i, f) in recorded.findings.needs.iter().enumerate() {
        // The person is in the registry because they are vulnerable; the findings' own
        // thresholds already say how urgent it is (medicine for 1 day: P2, not P1).
        let mut t = triage(&f.triage_input(false));
        t.reasons.push(Reason {
            code: "welfare_check".into(),
            zh: format!("探访发现：{}", f.reason.zh),
            en: format!("Found on a welfare check: {}", f.reason.en),
        });
        if f.crisis {
            t.priority = Priority::P1;
            t.advice.crisis_hotline = true;
            t.reasons.push(Reason {
                code: "crisis".into(),
                zh: "探访发现心理危机，定为 P1".into(),
                en: "A psychological crisis found on a welfare check: P1".into(),
            });
        }
        let new = NewNeed {
            category: f.category,
            triage: t,
            community: check.region.clone(),
            who_for: "self",
            basis: "registry",
            notice_version: &person.basis.notice_version,
            contact_name: &details.name,
            mobile: details.phone.as_deref().unwrap_or_default(),
            address: &details.address,
            description: &f.reason.zh,
            subject: subject.clone(),
            source: Source::System,
            person: Some(person.id),
        };
        let claim = IdempotencyClaim {
            key: format!("check:{}:{}", check.id, f.category.as_str()),
            body_hash: "welfare_check".into(),
        };
        let mut random = [0u8; 8];
        random.copy_from_slice(&uuid::Uuid::now_v7().as_bytes()[8..16]);
        random[0] ^= i as u8;
        receipts.push(create(desk, new, &claim, random, Some(worker), now).await?);
    }
    Ok(receipts)
}
