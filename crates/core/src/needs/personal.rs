//! Opening what a need holds sealed: the resident's details and the text of timeline events.

use super::record::Need;
use super::timeline::{NOTE, NeedEvent};
use crate::crypto::Cipher;
use crate::error::{Error, Result};

/// The resident's personal fields, opened for a staff member who handles the need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Personal {
    pub contact_name: String,
    pub mobile: String,
    pub address: String,
    pub description: String,
    pub subject: super::intake::SubjectFacts,
}

/// Open the sealed fields. Callers show them only to those who may handle the need (the
/// page view is audited by [`super::work::open`]).
pub fn personal(cipher: &Cipher, need: &Need) -> Result<Personal> {
    use super::record::{ADDRESS, CONTACT_NAME, DESCRIPTION, MOBILE, SUBJECT};
    let s = &need.sealed;
    // Anonymised with the registry person it concerned: the values are gone.
    if s.contact_name.is_empty() {
        let gone = "（已匿名化）/ (anonymised)".to_string();
        return Ok(Personal {
            contact_name: gone.clone(),
            mobile: String::new(),
            address: gone.clone(),
            description: gone,
            subject: super::intake::SubjectFacts::default(),
        });
    }
    let open =
        |col: &crate::crypto::EncryptedColumn, v: &[u8]| cipher.open_str(col.field(need.id.0), v);
    let subject = open(&SUBJECT, &s.subject)?;
    Ok(Personal {
        contact_name: open(&CONTACT_NAME, &s.contact_name)?,
        mobile: open(&MOBILE, &s.mobile)?,
        address: open(&ADDRESS, &s.address)?,
        description: open(&DESCRIPTION, &s.description)?,
        subject: serde_json::from_str(&subject).map_err(Error::internal)?,
    })
}

/// The text of a timeline event, opened.
pub fn event_note(cipher: &Cipher, event: &NeedEvent) -> Result<Option<String>> {
    event
        .note
        .as_deref()
        .map(|n| cipher.open_str(NOTE.field(event.id.0), n))
        .transpose()
}
