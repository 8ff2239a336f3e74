//! Keys and the database: the fingerprint check every node makes at start, and the
//! re-encryption pass of a key rotation (batched, resumable: a row already sealed under the
//! current key, as its key id tells, is skipped).

use time::OffsetDateTime;
use uuid::Uuid;

use crate::crypto::{Cipher, EncryptedColumn, KeyId};
use crate::error::{Error, Result};
use crate::store::Store;

/// Why the key file does not fit the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMismatch {
    /// Keys the database knows under another fingerprint.
    pub wrong: Vec<KeyId>,
    /// Keys the database knows that the key file lacks.
    pub missing: Vec<KeyId>,
}

impl std::fmt::Display for KeyMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |v: &[KeyId]| {
            v.iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.wrong.is_empty() {
            write!(
                f,
                "the key file holds another key than the one this database was encrypted with (key {})",
                list(&self.wrong)
            )?;
        }
        if !self.missing.is_empty() {
            if !self.wrong.is_empty() {
                f.write_str("; ")?;
            }
            write!(
                f,
                "the key file lacks key {} that this database uses (it was rotated elsewhere)",
                list(&self.missing)
            )?;
        }
        Ok(())
    }
}

/// Compare the stored fingerprints with the cipher's keys: the keys to register, or why not.
pub fn compare(
    stored: &[(KeyId, String)],
    cipher: &Cipher,
) -> std::result::Result<Vec<(KeyId, String)>, KeyMismatch> {
    let mine = cipher.fingerprints();
    let mut mismatch = KeyMismatch {
        wrong: Vec::new(),
        missing: Vec::new(),
    };
    for (id, fp) in stored {
        match mine.iter().find(|(m, _)| m == id) {
            Some((_, f)) if f == fp => {}
            Some(_) => mismatch.wrong.push(*id),
            None => mismatch.missing.push(*id),
        }
    }
    if !mismatch.wrong.is_empty() || !mismatch.missing.is_empty() {
        return Err(mismatch);
    }
    Ok(mine
        .into_iter()
        .filter(|(id, _)| !stored.iter().any(|(s, _)| s == id))
        .collect())
}

/// Refuse a key file that does not fit the database; register keys it has not seen yet.
/// Two nodes starting at once with different keys: one registers, the other is refused.
pub async fn check_and_register(
    store: &dyn Store,
    cipher: &Cipher,
    now: OffsetDateTime,
) -> Result<std::result::Result<(), KeyMismatch>> {
    let stored = store.key_fingerprints().await?;
    let new = match compare(&stored, cipher) {
        Ok(n) => n,
        Err(m) => return Ok(Err(m)),
    };
    if new.is_empty() {
        return Ok(Ok(()));
    }
    for (id, fp) in &new {
        store.add_key_fingerprint(*id, fp, now).await?;
    }
    let stored = store.key_fingerprints().await?;
    Ok(compare(&stored, cipher).map(|_| ()))
}

/// Where a re-encryption pass stands, reported after every batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// `table.column` being worked on.
    pub column: String,
    /// Sealed values looked at in this column.
    pub checked: u64,
    /// Values re-sealed under the current key in this column.
    pub resealed: u64,
}

/// What a re-encryption pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub checked: u64,
    pub resealed: u64,
    /// Values that changed meanwhile (a writer re-sealed them already).
    pub changed_meanwhile: u64,
    /// Values that failed their integrity check: left as they are, named here.
    pub tampered: Vec<String>,
    /// True when `limit` stopped the pass before the end.
    pub stopped_at_limit: bool,
}

/// Re-seal every sealed value not under the current key, `batch` rows at a time, at most
/// `limit` values in this run. Safe to interrupt and run again.
pub async fn reseal_all(
    store: &dyn Store,
    cipher: &Cipher,
    batch: u32,
    limit: Option<u64>,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<Outcome> {
    let mut out = Outcome::default();
    let current = cipher.current_key();
    for col in store.encrypted_columns() {
        let mut p = Progress {
            column: format!("{}.{}", col.table, col.column),
            ..Progress::default()
        };
        let mut after: Option<Uuid> = None;
        loop {
            let rows = store.sealed_batch(col, after, batch.max(1)).await?;
            let Some((last, _)) = rows.last() else { break };
            after = Some(*last);
            for (row, sealed) in rows {
                p.checked += 1;
                out.checked += 1;
                if Cipher::key_id_of(&sealed) == Some(current) {
                    continue;
                }
                if limit.is_some_and(|l| out.resealed >= l) {
                    out.stopped_at_limit = true;
                    progress(&p);
                    return Ok(out);
                }
                match reseal_one(store, cipher, col, row, &sealed).await {
                    Ok(true) => {
                        p.resealed += 1;
                        out.resealed += 1;
                    }
                    Ok(false) => out.changed_meanwhile += 1,
                    Err(Error::Tampered(what)) => out.tampered.push(what),
                    Err(e) => return Err(e),
                }
            }
            progress(&p);
        }
    }
    Ok(out)
}

async fn reseal_one(
    store: &dyn Store,
    cipher: &Cipher,
    col: &EncryptedColumn,
    row: Uuid,
    sealed: &[u8],
) -> Result<bool> {
    let field = col.field(row);
    let plain = cipher
        .open(field, sealed)
        .map_err(|e| e.into_error(&field))?;
    let fresh = cipher.seal(field, &plain)?;
    store.replace_sealed(col, row, sealed, &fresh).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Keyring;

    #[test]
    fn a_key_file_that_fits_registers_only_its_new_keys() {
        let ring = Keyring::generate().expect("ring");
        let c1 = Cipher::new(&ring);
        assert_eq!(compare(&[], &c1).expect("fits"), c1.fingerprints());
        let c2 = Cipher::new(&ring.with_new_key().expect("rotate"));
        let new = compare(&c1.fingerprints(), &c2).expect("fits");
        assert_eq!(new.len(), 1);
        assert_eq!(new[0].0, 2);
        assert!(compare(&c2.fingerprints(), &c2).expect("fits").is_empty());
    }

    #[test]
    fn another_key_or_a_missing_key_is_a_mismatch_that_says_which() {
        let ring = Keyring::generate().expect("ring");
        let c1 = Cipher::new(&ring);
        let stranger = Cipher::new(&Keyring::generate().expect("other"));
        let m = compare(&c1.fingerprints(), &stranger).expect_err("wrong key");
        assert_eq!(m.wrong, vec![1]);
        assert!(m.to_string().contains("another key"), "{m}");
        let c2 = Cipher::new(&ring.with_new_key().expect("rotate"));
        let m = compare(&c2.fingerprints(), &c1).expect_err("old key file");
        assert_eq!(m.missing, vec![2]);
        assert!(m.to_string().contains("lacks key 2"), "{m}");
    }
}
