//! Field encryption: the one service that seals sensitive values before they reach the store.
//!
//! - [`Keyring`]: the current key and older keys by id, read from the key file.
//! - [`Cipher`]: AEAD (AES-256-GCM) with a format version, algorithm id and key id in every
//!   sealed value and the field's table, column and row id as associated data; keyed blind
//!   indexes for exact lookup of ID numbers and phones.
//! - [`keys`]: the key fingerprint check at start and re-encryption after a rotation.
//!
//! The cipher is built once at start and passed to use-cases explicitly (no globals).

pub mod cipher;
pub mod keyring;
pub mod keys;

pub use cipher::{Cipher, Lookup};
pub use keyring::{KeyId, Keyring};

use uuid::Uuid;

use crate::error::Error;

/// Where a sealed value lives. Bound into the ciphertext as associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldRef<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row: Uuid,
}

impl std::fmt::Display for FieldRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{} row {}", self.table, self.column, self.row)
    }
}

/// A column holding sealed values. The store keeps the one list of them, so rotation and
/// the canary tests find every one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncryptedColumn {
    pub table: &'static str,
    pub column: &'static str,
    /// The row id column (a UUID), which is part of the associated data.
    pub id_column: &'static str,
}

impl EncryptedColumn {
    /// This column of one row.
    pub fn field(&self, row: Uuid) -> FieldRef<'static> {
        FieldRef {
            table: self.table,
            column: self.column,
            row,
        }
    }
}

/// Why a sealed value did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The bytes were changed, truncated or moved to another row or column.
    #[error("the sealed value failed its integrity check")]
    Tampered,
    /// Sealed under a key the key file lacks.
    #[error("sealed under key {0}, which the key file does not hold")]
    UnknownKey(KeyId),
    /// A format version or algorithm this build does not write (or a changed header byte).
    #[error("unsupported format {version} / algorithm {algorithm}")]
    Unsupported { version: u8, algorithm: u8 },
}

impl CryptoError {
    /// The domain error for a failure on `field`: tampering (also for a header this build
    /// never writes) or, for a missing key, an internal error that names the key id.
    pub fn into_error(self, field: &FieldRef<'_>) -> Error {
        match self {
            CryptoError::Tampered | CryptoError::Unsupported { .. } => {
                Error::Tampered(field.to_string())
            }
            CryptoError::UnknownKey(id) => Error::internal(format!(
                "{field}: sealed under key {id}, missing from the key file"
            )),
        }
    }
}
