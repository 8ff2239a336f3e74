//! Randomized tests of the parsers that take people's input: on any string they return a value
//! or a field error, never panic, and what they accept parses again to the same value.
//! (The toolchain is stable-only: a seeded generator stands in for a fuzzer.)

use crate::needs::tracking::TrackingCode;
use crate::people::id_number::IdNumber;
use crate::regions::RegionCode;
use crate::users::parse_username;

/// Strings mixing digits, the code letters, Latin and CJK text, separators and odd characters.
fn random_strings(n: usize) -> Vec<String> {
    let atoms = [
        "3",
        "1",
        "0",
        "9",
        "G",
        "B",
        "G01",
        "B001",
        "31",
        "310101020001",
        "-",
        " ",
        "_",
        "%",
        "a",
        "Z",
        "王",
        "五里桥",
        "\u{0}",
        "\u{202e}",
        "é",
        "😀",
        "K7QX",
        "M3NP",
        "5",
        ".",
        "wang.li",
        "İ",
        "\t",
        "11010519491231002X",
        "E+17",
        "X",
    ];
    let mut x: u64 = 0x5EED_2026;
    (0..n)
        .map(|_| {
            let mut s = String::new();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            for _ in 0..(x % 9) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                s.push_str(atoms[(x % atoms.len() as u64) as usize]);
            }
            s
        })
        .collect()
}

#[test]
fn parsers_never_panic_and_accepted_values_parse_again() {
    let mut accepted = [0usize; 3];
    for s in random_strings(50_000) {
        if let Ok(code) = RegionCode::parse(&s) {
            accepted[0] += 1;
            assert_eq!(
                RegionCode::parse(code.as_str()).as_ref(),
                Ok(&code),
                "{s:?}"
            );
        }
        if let Ok(code) = TrackingCode::parse(&s) {
            accepted[1] += 1;
            assert_eq!(
                TrackingCode::parse(&code.display()).as_ref(),
                Ok(&code),
                "{s:?}"
            );
        }
        if let Ok(id) = IdNumber::parse(&s) {
            assert_eq!(IdNumber::parse(id.as_str()).as_ref(), Ok(&id), "{s:?}");
        }
        if let Ok(name) = parse_username(&s) {
            accepted[2] += 1;
            assert_eq!(parse_username(&name).as_ref(), Ok(&name), "{s:?}");
        }
    }
    assert!(
        accepted[0] > 100 && accepted[2] > 100,
        "the generator reaches valid inputs too: {accepted:?}"
    );
}
