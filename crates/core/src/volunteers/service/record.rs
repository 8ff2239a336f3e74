//! The service record: 志愿服务记录证明 certificates and the hours report.

use std::collections::HashMap;

use time::OffsetDateTime;

use super::my_shifts;
use crate::actor::{Actor, Permission};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::crypto::Cipher;
use crate::error::{Error, FieldErrors, Result};
use crate::store::Store;
use crate::text;
use crate::volunteers::booking;
use crate::volunteers::certificate;
use crate::volunteers::record::Certificate;

/// Issue a 志愿服务记录证明 for the actor's hours so far, under the name they choose to show.
/// Returns the certificate and its code.
pub async fn issue_certificate(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    display_name: &str,
    random: [u8; 5],
    now: OffsetDateTime,
) -> Result<(Certificate, String)> {
    let (_, minutes) = my_shifts(store, actor).await?;
    let display_name = text::required("display_name", display_name, 20)
        .map_err(|f| Error::Invalid(FieldErrors(vec![f])))?;
    let c = Certificate {
        id: certificate::id_from_random(random),
        user: actor.user_id,
        display_name,
        minutes,
        region: actor.region.clone(),
        issued_at: now,
    };
    let audit = AuditEvent::new(Action::CertificateIssued, now)
        .by(actor)
        .record(RecordKind::Certificate, [c.id.clone()]);
    store.insert_certificate(&c, &audit).await?;
    let code = certificate::code_of(cipher, &c.id)?;
    Ok((c, code))
}

/// One of the actor's own certificates.
pub async fn my_certificate(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    id: &str,
) -> Result<(Certificate, String)> {
    let c = store
        .certificate(id)
        .await?
        .filter(|c| c.user == actor.user_id)
        .ok_or(Error::NotFound)?;
    let code = certificate::code_of(cipher, &c.id)?;
    Ok((c, code))
}

/// Public verification: a certificate by its code; a tampered or unknown code is `NotFound`.
pub async fn verify_certificate(
    store: &dyn Store,
    cipher: &Cipher,
    code: &str,
) -> Result<Certificate> {
    let id = certificate::verify(cipher, code).ok_or(Error::NotFound)?;
    store.certificate(&id).await?.ok_or(Error::NotFound)
}

/// One line of the hours export: checked-out shifts and completed tasks (their minutes as on
/// the service record), and the total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursRow {
    pub username: String,
    pub display_name: String,
    pub shifts: i64,
    pub shift_minutes: i64,
    pub tasks: i64,
    pub task_minutes: i64,
    /// Shift and task minutes together.
    pub minutes: i64,
}

/// Hours per volunteer in the actor's scope (audited: the export carries names and phones).
pub async fn hours_report(
    store: &dyn Store,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<Vec<HoursRow>> {
    let scope = actor.scope(Permission::ManageVolunteers);
    if scope.is_empty() {
        return Err(Error::Forbidden);
    }
    let audit = AuditEvent::new(Action::HoursExported, now).by(actor);
    store.append_audit(&audit).await?;
    let mut rows: HashMap<String, HoursRow> = HashMap::new();
    let row = |rows: &mut HashMap<String, HoursRow>, username: String, display_name: String| {
        rows.remove(&username).unwrap_or(HoursRow {
            username,
            display_name,
            shifts: 0,
            shift_minutes: 0,
            tasks: 0,
            task_minutes: 0,
            minutes: 0,
        })
    };
    for (username, display_name, b) in store.checked_bookings(&scope).await? {
        let mut r = row(&mut rows, username, display_name);
        r.shifts += 1;
        r.shift_minutes += booking::served_minutes(&b.window, b.checked_in_at, b.checked_out_at);
        rows.insert(r.username.clone(), r);
    }
    for t in store.task_minutes_in_scope(&scope).await? {
        let mut r = row(&mut rows, t.username, t.display_name);
        r.tasks += t.tasks;
        r.task_minutes += t.minutes;
        rows.insert(r.username.clone(), r);
    }
    let mut out: Vec<HoursRow> = rows
        .into_values()
        .map(|mut r| {
            r.minutes = r.shift_minutes + r.task_minutes;
            r
        })
        .collect();
    out.sort_by(|a, b| b.minutes.cmp(&a.minutes).then(a.username.cmp(&b.username)));
    Ok(out)
}
