//! Use-cases of the intake and the resident's side: submit a need (no account, or a staff
//! member for a caller; sealed personal fields; one need per idempotency key), follow it on
//! the tracking page (code + secret link), add information or cancel from there.
//!
//! The tracking link's secret is 32 bytes of HMAC-SHA256 under the server's keyed-hash key
//! over the need id: as unguessable as random bytes to anyone without the key file, yet a
//! replay of the same request can hand back the same link although only its SHA-256 is
//! stored. Candidates under every key keep replays working after a key rotation.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::intake::IntakeForm;
use super::record::{self, IdempotencyClaim, Inserted, Need, SealedFields, Source};
use super::state::{self, State};
use super::timeline::{EventData, EventKind, NOTE, NeedEvent};
use super::tracking::TrackingCode;
use super::triage::{Reason, SafetyAdvice, TriageInput, triage};
use super::work::{Desk, Draft, next_sla_check, text};
use super::{Category, Priority};
use crate::actor::{Actor, Permission};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::crypto::{Cipher, Lookup};
use crate::error::{Error, Result};
use crate::ids::{NeedEventId, NeedId, PersonId};
use crate::regions::Level;
use crate::regions::RegionCode;

/// What the resident is told after submitting, and nothing more (a replay gets the same).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub code: TrackingCode,
    /// The secret of the tracking link `/t/{code}?k={secret}`.
    pub secret: String,
    pub priority: Priority,
    pub reasons: Vec<Reason>,
    pub advice: SafetyAdvice,
    /// `false` when this answers a replay of an earlier request.
    pub created: bool,
}

/// What the tracking page shows: nothing about anyone else, no staff names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    pub code: TrackingCode,
    pub category: Category,
    pub state: State,
    pub priority: Priority,
    pub advice: SafetyAdvice,
    pub created_at: OffsetDateTime,
    pub timeline: Vec<PublicEvent>,
    /// A volunteer accepted a task of this need and has not finished it yet.
    pub volunteer_on_the_way: bool,
}

/// A timeline entry as the resident sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicEvent {
    pub at: OffsetDateTime,
    pub kind: EventKind,
    /// The resident's own words or a message to them; never internal notes.
    pub text: Option<String>,
}

/// One submission: the form, its idempotency claim, randomness for the tracking code, and
/// the staff member entering it for a caller (`None`: the resident themself).
pub struct Submission<'a> {
    pub form: &'a IntakeForm,
    pub claim: &'a IdempotencyClaim,
    pub code_random: [u8; 8],
    pub by: Option<&'a Actor>,
}

const LINK_DOMAIN: &str = "need_link";

/// SHA-256, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn strip_key(h: &str) -> String {
    h.split_once(':').map(|(_, v)| v).unwrap_or(h).to_string()
}

fn link_secret(cipher: &Cipher, id: NeedId) -> Result<String> {
    Ok(strip_key(&cipher.keyed_hash(LINK_DOMAIN, &id.to_string())?))
}

/// The link secret of a stored need, found among the candidates under every key.
pub fn stored_link_secret(cipher: &Cipher, id: NeedId, link_hash: &str) -> Result<String> {
    cipher
        .keyed_hash_candidates(LINK_DOMAIN, &id.to_string())
        .iter()
        .map(|h| strip_key(h))
        .find(|s| sha256_hex(s.as_bytes()) == link_hash)
        .ok_or_else(|| Error::internal("no key derives this need's link"))
}

fn unknown_community() -> Error {
    Error::invalid(
        "community",
        "找不到这个社区，请从列表中选择或核对社区代码",
        "No such community; choose it from the list or check the code",
    )
}

/// What a new need is made of, whoever raises it.
pub struct NewNeed<'a> {
    pub category: Category,
    pub triage: super::triage::Triage,
    pub community: RegionCode,
    pub who_for: &'a str,
    pub basis: &'a str,
    pub notice_version: &'a str,
    pub contact_name: &'a str,
    pub mobile: &'a str,
    pub address: &'a str,
    pub description: &'a str,
    /// The subject facts as JSON.
    pub subject: String,
    pub source: Source,
    pub person: Option<PersonId>,
}

/// Submit a need. `claim` makes the request idempotent: a replay with the same body returns
/// the first answer, a different body is refused (422), and neither stores anything. A staff
/// member entering it needs `EnterNeeds` over the community. A mobile that matches exactly one
/// registry person of the district (blind index) links the need to them, and their known
/// vulnerability raises its priority one level, with the reason shown to staff.
pub async fn submit(desk: Desk<'_>, sub: Submission<'_>, now: OffsetDateTime) -> Result<Receipt> {
    let input = sub.form.parse()?;
    let place = desk
        .store
        .region(&input.community)
        .await?
        .ok_or_else(unknown_community)?;
    if place.level != Level::Community {
        return Err(unknown_community());
    }
    if let Some(actor) = sub.by {
        actor.require_at(Permission::EnterNeeds, Permission::ViewNeeds, &place.code)?;
    }
    let person = crate::people::service::match_phone(
        desk.store,
        desk.cipher,
        &input.community,
        &input.mobile,
    )
    .await?
    .map(|(id, _)| id);
    let mut rules = input.triage_input();
    rules.known_vulnerable = person.is_some();
    let new = NewNeed {
        category: input.category,
        triage: triage(&rules),
        community: input.community.clone(),
        who_for: input.who_for.as_str(),
        basis: input.who_for.basis(),
        notice_version: &input.notice_version,
        contact_name: &input.contact_name,
        mobile: &input.mobile,
        address: &input.address,
        description: &input.description,
        subject: serde_json::to_string(&input.subject).map_err(Error::internal)?,
        source: if sub.by.is_some() {
            Source::Staff
        } else {
            Source::Resident
        },
        person,
    };
    create(desk, new, sub.claim, sub.code_random, sub.by, now).await
}

/// Store a new need once per `claim` and answer with its receipt (the first one's on a replay).
pub async fn create(
    desk: Desk<'_>,
    new: NewNeed<'_>,
    claim: &IdempotencyClaim,
    code_random: [u8; 8],
    by: Option<&Actor>,
    now: OffsetDateTime,
) -> Result<Receipt> {
    let (store, cipher) = (desk.store, desk.cipher);
    let id = NeedId::new();
    let secret = link_secret(cipher, id)?;
    let seal = |col: &crate::crypto::EncryptedColumn, v: &str| cipher.seal_str(col.field(id.0), v);
    let t = new.triage;
    let mut need = Need {
        id,
        code: TrackingCode::from_random(code_random),
        link_hash: sha256_hex(secret.as_bytes()),
        category: new.category,
        priority: t.priority,
        reasons: t.reasons,
        advice: t.advice,
        state: State::New,
        escalation: 0,
        region: new.community,
        who_for: new.who_for.into(),
        basis: new.basis.into(),
        notice_version: new.notice_version.into(),
        sealed: SealedFields {
            contact_name: seal(&record::CONTACT_NAME, new.contact_name)?,
            mobile: seal(&record::MOBILE, new.mobile)?,
            address: seal(&record::ADDRESS, new.address)?,
            description: seal(&record::DESCRIPTION, new.description)?,
            subject: seal(&record::SUBJECT, &new.subject)?,
            mobile_index: cipher
                .blind_index(Lookup::Phone, new.mobile)
                .unwrap_or_default(),
        },
        source: new.source,
        assignee: None,
        acknowledged_at: None,
        reviewed: false,
        duplicate_of: None,
        person: new.person,
        sla_next_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    need.sla_next_at = next_sla_check(desk.sla, &need);
    let created = NeedEvent {
        id: NeedEventId::new(),
        need: id,
        at: now,
        kind: EventKind::Created,
        actor: by.map(|a| a.user_id),
        data: EventData {
            state: Some(State::New),
            priority: Some(need.priority),
            ..EventData::default()
        },
        note: None,
    };
    // A resident has no account: the event names the community and the need, no person.
    let mut audit = AuditEvent::new(Action::NeedCreated, now);
    if let Some(actor) = by {
        audit = audit.by(actor);
    }
    let audit = audit
        .region(&need.region)
        .record(RecordKind::Need, [need.id]);
    match store.insert_need(&need, &created, claim, &audit).await? {
        Inserted::New => Ok(Receipt {
            code: need.code,
            secret,
            priority: need.priority,
            reasons: need.reasons,
            advice: need.advice,
            created: true,
        }),
        Inserted::Replay(first) => {
            let first = store.need(first).await?.ok_or(Error::NotFound)?;
            Ok(Receipt {
                secret: stored_link_secret(cipher, first.id, &first.link_hash)?,
                code: first.code,
                priority: first.priority,
                reasons: first.reasons,
                advice: first.advice,
                created: false,
            })
        }
        Inserted::Mismatch => Err(Error::invalid(
            "idempotency_key",
            "这份表格已经提交过另一份求助；如需再提交，请再按一次提交",
            "This form was already sent with other answers (Idempotency-Key used for a different request); press send again to send a new request",
        )),
    }
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The need behind a tracking link. An unknown code, a missing or wrong secret are all
/// `NotFound`.
async fn linked(desk: Desk<'_>, code: &str, secret: Option<&str>) -> Result<Need> {
    let code = TrackingCode::parse(code).map_err(|_| Error::NotFound)?;
    let need = desk
        .store
        .need_by_code(&code)
        .await?
        .ok_or(Error::NotFound)?;
    let given = sha256_hex(secret.unwrap_or_default().as_bytes());
    if secret.is_none_or(str::is_empty) || !same(&given, &need.link_hash) {
        return Err(Error::NotFound);
    }
    Ok(need)
}

/// The tracking page's view.
pub async fn track(desk: Desk<'_>, code: &str, secret: Option<&str>) -> Result<Tracked> {
    let need = linked(desk, code, secret).await?;
    let mut timeline = Vec::new();
    for e in desk.store.need_events(need.id).await? {
        if !e.kind.public() {
            continue;
        }
        let text = match (&e.note, e.kind.note_is_public()) {
            (Some(sealed), true) => Some(desk.cipher.open_str(NOTE.field(e.id.0), sealed)?),
            _ => None,
        };
        timeline.push(PublicEvent {
            at: e.at,
            kind: e.kind,
            text,
        });
    }
    Ok(Tracked {
        code: need.code,
        category: need.category,
        state: need.state,
        priority: need.priority,
        advice: need.advice,
        created_at: need.created_at,
        timeline,
        volunteer_on_the_way: need.state.is_open()
            && desk
                .store
                .volunteer_tasks_of_need(need.id)
                .await?
                .iter()
                .any(|t| t.state == crate::dispatch::record::TaskState::Accepted),
    })
}

/// The need id behind a tracking link (for live updates), or `NotFound`.
pub async fn tracked_id(desk: Desk<'_>, code: &str, secret: Option<&str>) -> Result<NeedId> {
    Ok(linked(desk, code, secret).await?.id)
}

/// The resident adds information. Red flags in it raise the priority at once (with the
/// reason, for staff) and the safety advice returned is shown to the resident.
pub async fn add_info(
    desk: Desk<'_>,
    code: &str,
    secret: Option<&str>,
    words: &str,
    now: OffsetDateTime,
) -> Result<SafetyAdvice> {
    let words = text(
        "info",
        words,
        1,
        1000,
        "请填写要补充的情况",
        "Write what you want to add",
    )?;
    for _ in 0..3 {
        let need = linked(desk, code, secret).await?;
        if !need.state.is_open() {
            return Err(Error::Conflict(
                "这条求助已结束；如仍需帮助，请重新提交 / This request has ended; send a new one if you still need help".into(),
            ));
        }
        let t = triage(&TriageInput {
            category: Some(need.category),
            description: words.clone(),
            ..TriageInput::default()
        });
        let mut d = Draft::new(desk.cipher, &need, None, now);
        d.event(EventKind::ResidentInfo, EventData::default(), Some(&words))?;
        // The advice stands on the need even when the priority is already as high (a P1 for
        // violence that now names chest pain also says 120), so the page shows it from now on.
        {
            let n = d.need();
            n.advice.call_120 |= t.advice.call_120;
            n.advice.call_110 |= t.advice.call_110;
            n.advice.crisis_hotline |= t.advice.crisis_hotline;
        }
        if t.priority < need.priority {
            let n = d.need();
            n.priority = t.priority;
            n.reasons.extend(t.reasons.iter().skip(1).cloned());
            let data = EventData {
                priority: Some(t.priority),
                ..EventData::default()
            };
            d.event(EventKind::PriorityRaised, data, None)?;
        }
        let change = d.finish(desk.sla);
        let audit = AuditEvent::new(Action::NeedUpdated, now)
            .region(&need.region)
            .record(RecordKind::Need, [need.id]);
        match desk.store.apply_need_change(&change, &audit).await {
            Ok(()) => return Ok(t.advice),
            Err(Error::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Error::Conflict(
        "请稍后再试 / Please try again in a moment".into(),
    ))
}

/// The resident cancels their need (while it is open).
pub async fn cancel_by_resident(
    desk: Desk<'_>,
    code: &str,
    secret: Option<&str>,
    now: OffsetDateTime,
) -> Result<()> {
    for _ in 0..3 {
        let need = linked(desk, code, secret).await?;
        let mut d = Draft::new(desk.cipher, &need, None, now);
        d.transition(state::Action::Cancel)?;
        d.event(
            EventKind::Cancelled,
            EventData::default(),
            Some("求助人自行取消 / Cancelled by the resident"),
        )?;
        let change = d.finish(desk.sla);
        let audit = AuditEvent::new(Action::NeedCancelled, now)
            .region(&need.region)
            .record(RecordKind::Need, [need.id]);
        match desk.store.apply_need_change(&change, &audit).await {
            Ok(()) => return Ok(()),
            Err(Error::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Error::Conflict(
        "请稍后再试 / Please try again in a moment".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Keyring;

    #[test]
    fn a_replay_finds_the_same_link_after_a_key_rotation_and_links_differ_per_need() {
        let ring = Keyring::generate().expect("ring");
        let before = Cipher::new(&ring);
        let id = NeedId::new();
        let secret = link_secret(&before, id).expect("secret");
        assert_eq!(secret.len(), 64, "32 bytes, hex");
        let hash = sha256_hex(secret.as_bytes());
        let after = Cipher::new(&ring.with_new_key().expect("rotate"));
        assert_eq!(
            stored_link_secret(&after, id, &hash).expect("found"),
            secret
        );
        assert_ne!(
            link_secret(&after, id).expect("new"),
            secret,
            "a new key, a new link"
        );
        assert_ne!(link_secret(&before, NeedId::new()).expect("other"), secret);
        assert!(
            stored_link_secret(
                &Cipher::new(&Keyring::generate().expect("other ring")),
                id,
                &hash
            )
            .is_err()
        );
    }

    #[test]
    fn secrets_compare_only_when_equal() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd") && !same("abc", "ab") && !same("", "a"));
    }
}
