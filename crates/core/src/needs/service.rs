//! Use-cases of the public intake: submit a need (no account; sealed personal fields; one
//! need per idempotency key) and follow it on the tracking page (code + secret link).
//!
//! The tracking link's secret is 32 bytes of HMAC-SHA256 under the server's keyed-hash key
//! over the need id: as unguessable as random bytes to anyone without the key file, yet a
//! replay of the same request can hand back the same link although only its SHA-256 is
//! stored. Candidates under every key keep replays working after a key rotation.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::intake::IntakeForm;
use super::record::{self, IdempotencyClaim, Inserted, Need, SealedFields};
use super::state::State;
use super::tracking::TrackingCode;
use super::triage::{Reason, SafetyAdvice, triage};
use super::{Category, Priority};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::crypto::{Cipher, Lookup};
use crate::error::{Error, Result};
use crate::ids::NeedId;
use crate::regions::Level;
use crate::store::Store;

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

/// What the tracking page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    pub code: TrackingCode,
    pub category: Category,
    pub state: State,
    pub priority: Priority,
    pub created_at: OffsetDateTime,
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
fn stored_link_secret(cipher: &Cipher, id: NeedId, link_hash: &str) -> Result<String> {
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

/// Submit a need. `code_random` comes from the edge; `claim` makes the request idempotent:
/// a replay with the same body returns the first answer, a different body is refused (422),
/// and neither stores anything.
pub async fn submit(
    store: &dyn Store,
    cipher: &Cipher,
    form: &IntakeForm,
    claim: &IdempotencyClaim,
    code_random: [u8; 8],
    now: OffsetDateTime,
) -> Result<Receipt> {
    let input = form.parse()?;
    let place = store
        .region(&input.community)
        .await?
        .ok_or_else(unknown_community)?;
    if place.level != Level::Community {
        return Err(unknown_community());
    }
    let t = triage(&input.triage_input());
    let id = NeedId::new();
    let secret = link_secret(cipher, id)?;
    let subject = serde_json::to_string(&input.subject).map_err(Error::internal)?;
    let seal = |col: &crate::crypto::EncryptedColumn, v: &str| cipher.seal_str(col.field(id.0), v);
    let need = Need {
        id,
        code: TrackingCode::from_random(code_random),
        link_hash: sha256_hex(secret.as_bytes()),
        category: input.category,
        priority: t.priority,
        reasons: t.reasons,
        advice: t.advice,
        state: State::New,
        escalation: 0,
        region: input.community.clone(),
        who_for: input.who_for.as_str().into(),
        basis: input.who_for.basis().into(),
        notice_version: input.notice_version.clone(),
        sealed: SealedFields {
            contact_name: seal(&record::CONTACT_NAME, &input.contact_name)?,
            mobile: seal(&record::MOBILE, &input.mobile)?,
            address: seal(&record::ADDRESS, &input.address)?,
            description: seal(&record::DESCRIPTION, &input.description)?,
            subject: seal(&record::SUBJECT, &subject)?,
            mobile_index: cipher
                .blind_index(Lookup::Phone, &input.mobile)
                .ok_or_else(|| Error::internal("mobile does not index"))?,
        },
        created_at: now,
        updated_at: now,
        version: 1,
    };
    // A resident has no account: the event names the community and the need, no person.
    let audit = AuditEvent::new(Action::NeedCreated, now)
        .region(&need.region)
        .record(RecordKind::Need, [need.id]);
    match store.insert_need(&need, claim, &audit).await? {
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

/// The tracking page's view. An unknown code, a missing or wrong secret are all `NotFound`.
pub async fn track(store: &dyn Store, code: &str, secret: Option<&str>) -> Result<Tracked> {
    let code = TrackingCode::parse(code).map_err(|_| Error::NotFound)?;
    let need = store.need_by_code(&code).await?.ok_or(Error::NotFound)?;
    let given = sha256_hex(secret.unwrap_or_default().as_bytes());
    if secret.is_none_or(str::is_empty) || !same(&given, &need.link_hash) {
        return Err(Error::NotFound);
    }
    Ok(Tracked {
        code: need.code,
        category: need.category,
        state: need.state,
        priority: need.priority,
        created_at: need.created_at,
    })
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
