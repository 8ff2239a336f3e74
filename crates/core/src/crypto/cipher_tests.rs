//! Unit tests of the field cipher: round trips, tampering, moved values, keys, blind indexes.

use super::*;
use uuid::Uuid;

fn cipher() -> (Keyring, Cipher) {
    let ring = Keyring::generate().expect("ring");
    let c = Cipher::new(&ring);
    (ring, c)
}

fn field(row: Uuid) -> FieldRef<'static> {
    FieldRef {
        table: "people",
        column: "id_number",
        row,
    }
}

fn random_byte() -> u8 {
    let mut b = [0u8; 1];
    getrandom::fill(&mut b).expect("random");
    b[0]
}

#[test]
fn a_sealed_value_opens_to_itself_and_carries_version_algorithm_and_key_id() {
    let (_, c) = cipher();
    let row = Uuid::now_v7();
    let sealed = c.seal_str(field(row), "310101199001011234").expect("seal");
    assert_eq!(sealed[0], FORMAT_V1);
    assert_eq!(sealed[1], ALG_AES_256_GCM);
    assert_eq!(Cipher::key_id_of(&sealed), Some(1));
    assert_eq!(sealed.len(), 6 + 12 + 18 + 16);
    assert_eq!(
        c.open_str(field(row), &sealed).expect("open"),
        "310101199001011234"
    );
    let again = c.seal_str(field(row), "310101199001011234").expect("seal");
    assert_ne!(sealed, again, "a fresh nonce every time");
    assert!(
        !sealed.windows(6).any(|w| w == b"310101"),
        "no plain text in the sealed bytes"
    );
}

#[test]
fn every_random_single_byte_flip_is_detected_as_tampering() {
    let (_, c) = cipher();
    let row = Uuid::now_v7();
    let sealed = c.seal_str(field(row), "13812345678").expect("seal");
    for round in 0..8 {
        for pos in 0..sealed.len() {
            let mut bad = sealed.clone();
            let mut x = random_byte();
            if x == 0 || round == 0 {
                x = 0x01 << (pos % 8);
            }
            bad[pos] ^= x;
            let got = c.open(field(row), &bad);
            match pos {
                // Version and algorithm bytes: a header this build never writes.
                0 | 1 => assert!(
                    matches!(got, Err(CryptoError::Unsupported { .. })),
                    "byte {pos}: {got:?}"
                ),
                // Key id: a key the ring lacks (or, were it present, a failed tag).
                2..=5 => assert!(
                    matches!(
                        got,
                        Err(CryptoError::UnknownKey(_)) | Err(CryptoError::Tampered)
                    ),
                    "byte {pos}: {got:?}"
                ),
                _ => assert_eq!(got, Err(CryptoError::Tampered), "byte {pos}"),
            }
            assert!(matches!(
                c.open_str(field(row), &bad),
                Err(Error::Tampered(_)) | Err(Error::Internal(_))
            ));
        }
    }
}

#[test]
fn a_flipped_key_id_naming_another_held_key_still_fails_as_tampering() {
    let ring = Keyring::generate()
        .expect("ring")
        .with_new_key()
        .expect("second key");
    let c = Cipher::new(&ring);
    let row = Uuid::now_v7();
    let mut sealed = c.seal_str(field(row), "13812345678").expect("seal");
    assert_eq!(Cipher::key_id_of(&sealed), Some(2));
    sealed[5] = 1;
    assert_eq!(c.open(field(row), &sealed), Err(CryptoError::Tampered));
}

#[test]
fn every_truncation_and_extension_is_detected() {
    let (_, c) = cipher();
    let row = Uuid::now_v7();
    let sealed = c.seal_str(field(row), "13812345678").expect("seal");
    for len in 0..sealed.len() {
        assert!(c.open(field(row), &sealed[..len]).is_err(), "length {len}");
        assert!(c.open(field(row), &sealed[sealed.len() - len..]).is_err());
    }
    let mut longer = sealed.clone();
    longer.push(0);
    assert_eq!(c.open(field(row), &longer), Err(CryptoError::Tampered));
}

#[test]
fn a_value_moved_to_another_row_column_or_table_fails() {
    let (_, c) = cipher();
    let row = Uuid::now_v7();
    let sealed = c.seal_str(field(row), "13812345678").expect("seal");
    let other_row = FieldRef {
        row: Uuid::now_v7(),
        ..field(row)
    };
    let other_column = FieldRef {
        column: "phone",
        ..field(row)
    };
    let other_table = FieldRef {
        table: "volunteers",
        ..field(row)
    };
    for to in [other_row, other_column, other_table] {
        assert_eq!(c.open(to, &sealed), Err(CryptoError::Tampered), "{to}");
        assert!(matches!(c.open_str(to, &sealed), Err(Error::Tampered(f)) if f == to.to_string()));
    }
    // Length prefixes keep "ab"+"c" apart from "a"+"bc".
    let a = FieldRef {
        table: "ab",
        column: "c",
        row,
    };
    let b = FieldRef {
        table: "a",
        column: "bc",
        row,
    };
    let s = c.seal(a, b"x").expect("seal");
    assert_eq!(c.open(b, &s), Err(CryptoError::Tampered));
}

#[test]
fn old_values_open_after_a_new_key_and_new_values_use_it() {
    let (ring, c1) = cipher();
    let row = Uuid::now_v7();
    let old = c1.seal_str(field(row), "old").expect("seal");
    let ring2 = ring.with_new_key().expect("rotate");
    let c2 = Cipher::new(&ring2);
    assert_eq!(c2.open_str(field(row), &old).expect("open"), "old");
    let new = c2.seal_str(field(row), "new").expect("seal");
    assert_eq!(Cipher::key_id_of(&new), Some(2));
    assert_eq!(c1.open(field(row), &new), Err(CryptoError::UnknownKey(2)));
    let (_, stranger) = cipher();
    assert_eq!(stranger.open(field(row), &old), Err(CryptoError::Tampered));
}

#[test]
fn fingerprints_differ_per_key_and_never_contain_it() {
    let ring = Keyring::generate()
        .expect("ring")
        .with_new_key()
        .expect("two");
    let c = Cipher::new(&ring);
    let fps = c.fingerprints();
    assert_eq!(fps.len(), 2);
    assert_ne!(fps[0].1, fps[1].1);
    for id in [1, 2] {
        let key = hex::encode(ring.key(id).expect("key"));
        assert!(fps.iter().all(|(_, f)| !f.contains(&key[..16])));
    }
    assert_eq!(Cipher::new(&ring).fingerprints(), fps, "stable");
}

#[test]
fn blind_indexes_match_the_same_value_in_any_format_and_nothing_else() {
    let (ring, c) = cipher();
    let a = c
        .blind_index(Lookup::Phone, "138 1234 5678")
        .expect("phone");
    assert_eq!(
        c.blind_index(Lookup::Phone, "+86 138-1234-5678"),
        Some(a.clone())
    );
    assert_ne!(c.blind_index(Lookup::Phone, "13812345679"), Some(a.clone()));
    assert!(a.starts_with("1:") && !a.contains("13812345678"));
    let id = c
        .blind_index(Lookup::IdNumber, "31010119900101123x")
        .expect("id");
    assert_eq!(
        c.blind_index(Lookup::IdNumber, "31010119900101123X"),
        Some(id.clone())
    );
    assert_ne!(
        c.blind_index(Lookup::Phone, "310101199001011234"),
        c.blind_index(Lookup::IdNumber, "310101199001011234"),
        "each lookup has its own domain"
    );
    assert_eq!(c.blind_index(Lookup::IdNumber, "3101011990"), None);
    assert_eq!(c.blind_index(Lookup::Phone, "call me"), None);
    // Keyed: another key gives another index, and old indexes stay findable after rotation.
    let (_, other) = cipher();
    assert_ne!(
        other.blind_index(Lookup::Phone, "13812345678"),
        Some(a.clone())
    );
    let c2 = Cipher::new(&ring.with_new_key().expect("rotate"));
    let candidates = c2.blind_index_candidates(Lookup::Phone, "13812345678");
    assert_eq!(candidates.len(), 2);
    assert!(candidates.contains(&a));
    assert!(
        c2.blind_index(Lookup::Phone, "13812345678")
            .is_some_and(|i| i.starts_with("2:"))
    );
}
