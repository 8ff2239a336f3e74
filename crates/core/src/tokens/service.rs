//! Use-cases for personal API tokens. A token acts as its owner, so it can never do more
//! than the owner; each user manages only their own tokens.

use time::{Duration, OffsetDateTime};

use crate::actor::Actor;
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::error::{Error, Result};
use crate::ids::TokenId;
use crate::store::Store;
use crate::tokens::{ApiToken, PREFIX, TokenForm};

/// A new token and its secret, which is shown once and never stored.
pub struct IssuedToken {
    pub token: ApiToken,
    pub secret: String,
}

/// Issue a token for the actor. `random` is 32 random bytes encoded URL-safe (from the edge).
pub async fn issue(
    store: &dyn Store,
    actor: &Actor,
    form: &TokenForm,
    random: &str,
    now: OffsetDateTime,
) -> Result<IssuedToken> {
    let req = form.parse()?;
    let secret = format!("{PREFIX}{random}");
    let token = ApiToken {
        id: TokenId::new(),
        user_id: actor.user_id,
        name: req.name,
        hint: secret.chars().take(PREFIX.len() + 4).collect(),
        created_at: now,
        expires_at: now + Duration::days(req.days),
        last_used_at: None,
        revoked_at: None,
    };
    let audit = AuditEvent::new(Action::TokenIssued, now).by(actor).record(
        RecordKind::Token,
        [actor.user_id.to_string(), token.id.to_string()],
    );
    store
        .insert_token(&token, &hash_secret(&secret), &audit)
        .await?;
    Ok(IssuedToken { token, secret })
}

/// The actor's own tokens, newest first.
pub async fn list_own(store: &dyn Store, actor: &Actor) -> Result<Vec<ApiToken>> {
    store.tokens_of(actor.user_id).await
}

/// Revoke one of the actor's own tokens; someone else's is "not found".
pub async fn revoke_own(
    store: &dyn Store,
    actor: &Actor,
    id: TokenId,
    now: OffsetDateTime,
) -> Result<()> {
    let audit = AuditEvent::new(Action::TokenRevoked, now).by(actor).record(
        RecordKind::Token,
        [actor.user_id.to_string(), id.to_string()],
    );
    if store.revoke_token(actor.user_id, id, now, &audit).await? {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// The stored form of a secret: SHA-256, hex. Tokens are long random strings, so a fast hash
/// is enough (no dictionary to guess from).
pub fn hash_secret(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Does this look like one of our tokens (before any database lookup)?
pub fn looks_like_token(s: &str) -> bool {
    s.starts_with(PREFIX)
        && (20..=100).contains(&s.len())
        && s[PREFIX.len()..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
