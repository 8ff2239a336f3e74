//! The key file and the `wushe keys` commands. On SQLite the file defaults to `secret.key` in
//! the data directory and is created (mode 0600) on first start; on PostgreSQL it must be
//! given and is never created. Every start compares the keys' fingerprints with those stored
//! in the database and refuses a key file that does not fit.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use wushe_core::crypto::keys::{Outcome, Progress, check_and_register, reseal_all};
use wushe_core::crypto::{Cipher, Keyring};
use wushe_core::store::KeyStore;
use wushe_store::{Backend, SqlStore, backend_of};

use crate::config::{Config, POSTGRES_NEEDS_A_KEY, redact_url};
use crate::{BoxError, open_store};

/// Read a key file; `None` when it does not exist.
pub fn read_key_file(path: &Path) -> Result<Option<Keyring>, BoxError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read the key file {}: {e}", path.display()).into()),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "the key file is readable by other accounts: chmod 600 it");
        }
    }
    Keyring::parse(&text)
        .map(Some)
        .map_err(|e| format!("the key file {} is damaged: {e}", path.display()).into())
}

fn open_private(path: &Path, create_new: bool) -> Result<std::fs::File, BoxError> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true);
    if create_new {
        o.create_new(true);
    } else {
        o.create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
        .map_err(|e| format!("cannot create the key file {}: {e}", path.display()).into())
}

/// Write a new key file (mode 0600); never overwrites one.
pub fn write_new_key_file(path: &Path, ring: &Keyring) -> Result<(), BoxError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut f = open_private(path, true)?;
    f.write_all(ring.to_text().as_bytes())?;
    f.sync_all()?;
    Ok(())
}

/// Replace a key file atomically (write a 0600 temporary file beside it, then rename).
fn replace_key_file(path: &Path, ring: &Keyring) -> Result<(), BoxError> {
    let tmp = path.with_extension("new");
    let _ = std::fs::remove_file(&tmp);
    let mut f = open_private(&tmp, true)?;
    f.write_all(ring.to_text().as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
        .map_err(|e| format!("cannot replace the key file {}: {e}", path.display()))?;
    Ok(())
}

/// Open the store with its keys: read (or, on a new SQLite database, create) the key file,
/// then refuse it unless its fingerprints fit the database.
pub async fn open_with_keys(config: &Config) -> Result<(SqlStore, Arc<Cipher>), BoxError> {
    let path = config.key_file();
    let backend = backend_of(&config.database_url)?;
    let ring = read_key_file(&path)?;
    if ring.is_none() && backend == Backend::Postgres {
        let why = if config.secret_key_file.is_some() {
            format!(
                "the key file {} does not exist. {POSTGRES_NEEDS_A_KEY}",
                path.display()
            )
        } else {
            POSTGRES_NEEDS_A_KEY.to_string()
        };
        return Err(why.into());
    }
    let store = open_store(config).await?;
    match keyed(config, &store, ring).await {
        Ok(cipher) => Ok((store, Arc::new(cipher))),
        Err(e) => {
            store.close().await;
            Err(e)
        }
    }
}

async fn keyed(
    config: &Config,
    store: &SqlStore,
    ring: Option<Keyring>,
) -> Result<Cipher, BoxError> {
    let path = config.key_file();
    let db = redact_url(&config.database_url);
    let ring = match ring {
        Some(r) => r,
        None => {
            let known = store.key_fingerprints().await?;
            if !known.is_empty() {
                return Err(format!(
                    "the key file {} is missing, but the database {db} is encrypted with key {}. \
                     Restore the key file from your safe copy (or set WUSHE_SECRET_KEY_FILE to it). \
                     A new key could not open the encrypted fields, so none is created.",
                    path.display(),
                    known.iter().map(|k| k.0.to_string()).collect::<Vec<_>>().join(", ")
                )
                .into());
            }
            let r = Keyring::generate()?;
            write_new_key_file(&path, &r)?;
            tracing::warn!(path = %path.display(), "created a new key file: keep a safe copy outside the data directory and its backups");
            r
        }
    };
    let cipher = Cipher::new(&ring);
    if let Err(m) = check_and_register(store, &cipher, time::OffsetDateTime::now_utc()).await? {
        return Err(format!(
            "wrong key: {m}. The key file {} does not fit the database {db}, so this node refuses \
             to start (nothing may be sealed under a wrong key). Point WUSHE_SECRET_KEY_FILE at \
             the key file this database uses (the other nodes' file, or your safe copy); never \
             replace it with a new one, or the encrypted fields become unreadable.",
            path.display()
        )
        .into());
    }
    Ok(cipher)
}

/// `wushe keys new FILE`: create a key file for a PostgreSQL deployment.
pub fn new_file(path: &Path) -> Result<(), BoxError> {
    if path.exists() {
        return Err(format!("{} exists already; it is never overwritten", path.display()).into());
    }
    let ring = Keyring::generate()?;
    write_new_key_file(path, &ring)?;
    let fp = Cipher::new(&ring).fingerprints();
    println!(
        "created {} (mode 0600), key 1, fingerprint {}",
        path.display(),
        short(&fp[0].1)
    );
    println!("Copy it to every node and keep a safe copy away from the database backups.");
    Ok(())
}

fn short(fp: &str) -> &str {
    fp.get(..16).unwrap_or(fp)
}

/// `wushe keys check`: does the key file fit the database? Prints fingerprints, never keys.
pub async fn check(config: Config) -> Result<(), BoxError> {
    let (store, cipher) = open_with_keys(&config).await?;
    store.close().await;
    println!(
        "the key file {} fits the database",
        config.key_file().display()
    );
    for (id, fp) in cipher.fingerprints() {
        let cur = if id == cipher.current_key() {
            " (current)"
        } else {
            ""
        };
        println!("  key {id}{cur}: fingerprint {}", short(&fp));
    }
    Ok(())
}

/// `wushe keys rotate`: finish an earlier rotation if values remain under older keys;
/// otherwise add a new current key to the key file (keeping the old ones) and re-encrypt
/// every sealed value under it, `batch` rows at a time, at most `limit` in this run.
pub async fn rotate(config: Config, batch: u32, limit: Option<u64>) -> Result<(), BoxError> {
    let (store, cipher) = open_with_keys(&config).await?;
    let result = rotate_on(&config, &store, &cipher, batch, limit).await;
    store.close().await;
    result
}

async fn rotate_on(
    config: &Config,
    store: &SqlStore,
    cipher: &Cipher,
    batch: u32,
    limit: Option<u64>,
) -> Result<(), BoxError> {
    let path = config.key_file();
    let mut print = |p: &Progress| {
        println!(
            "  {}: {} checked, {} re-encrypted",
            p.column, p.checked, p.resealed
        );
    };
    println!(
        "looking for values not yet under the current key {}",
        cipher.current_key()
    );
    let earlier = reseal_all(store, cipher, batch, limit, &mut print).await?;
    if earlier.resealed + earlier.changed_meanwhile > 0
        || earlier.stopped_at_limit
        || !earlier.tampered.is_empty()
    {
        println!(
            "continued the earlier rotation to key {}",
            cipher.current_key()
        );
        return report(&earlier, cipher.current_key());
    }
    let ring = read_key_file(&path)?.ok_or("the key file disappeared")?;
    let ring = ring.with_new_key()?;
    replace_key_file(&path, &ring)?;
    println!(
        "added key {} to {} (older keys kept)",
        ring.current(),
        path.display()
    );
    let fresh = Cipher::new(&ring);
    if let Err(m) = check_and_register(store, &fresh, time::OffsetDateTime::now_utc()).await? {
        return Err(format!("the new key could not be registered: {m}").into());
    }
    let out = reseal_all(store, &fresh, batch, limit, &mut print).await?;
    report(&out, fresh.current_key())?;
    if backend_of(&config.database_url)? == Backend::Postgres {
        println!(
            "Copy {} to every node and restart them; then run `wushe keys rotate` again to \
             re-encrypt anything a node wrote under the old key meanwhile.",
            path.display()
        );
    }
    Ok(())
}

fn report(out: &Outcome, key: u32) -> Result<(), BoxError> {
    if !out.tampered.is_empty() {
        return Err(format!(
            "{} sealed values failed their integrity check (possible tampering) and were left as \
             they are: {}",
            out.tampered.len(),
            out.tampered.join("; ")
        )
        .into());
    }
    if out.stopped_at_limit {
        println!(
            "stopped after {} values (--limit); run `wushe keys rotate` again to continue",
            out.resealed
        );
    } else {
        println!(
            "done: {} values checked, {} re-encrypted; every sealed value is under key {key}",
            out.checked, out.resealed
        );
    }
    Ok(())
}
