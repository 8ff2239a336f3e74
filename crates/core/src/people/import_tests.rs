use super::*;
use crate::actor::{Grant, Role};
use crate::ids::UserId;
use crate::regions::RegionCode;
use proptest::prelude::*;
use time::macros::date;

const TODAY: Date = date!(2026 - 11 - 28);

fn actor(role: Role, region: &str) -> Actor {
    Actor {
        user_id: UserId::new(),
        username: "t".into(),
        display_name: "t".into(),
        region: RegionCode(region.into()),
        request_id: None,
        grants: vec![Grant {
            role,
            region: RegionCode(region.into()),
            org: None,
        }],
    }
}

fn heads() -> Vec<Vec<String>> {
    vec![
        COLUMNS.iter().map(|c| c.zh.to_string()).collect(),
        COLUMNS.iter().map(|c| c.en.to_string()).collect(),
    ]
}

/// A valid row; `i` varies the phone so rows are not duplicates.
fn good(i: usize) -> Vec<String> {
    [
        "王阿婆".to_string(),
        String::new(),
        format!("139{:08}", i),
        "1940-05-06".into(),
        "丽园路 100 弄 3 号".into(),
        "310101020001".into(),
        "高龄、独居/空巢老人".into(),
        "A".into(),
        "履行法定职责".into(),
        "2026-04-03".into(),
        "v1".into(),
        "否".into(),
        "否".into(),
        "王小明".into(),
        "021-63011234".into(),
        "儿子".into(),
        "高血压".into(),
    ]
    .to_vec()
}

fn set(row: &mut [String], field: &str, v: &str) {
    let j = COLUMNS
        .iter()
        .position(|c| c.field == field)
        .expect("column");
    row[j] = v.to_string();
}

fn run(grid: &Grid, a: &Actor) -> Checked {
    check_grid(grid, a, TODAY, &mut |_| {})
}

#[test]
fn a_good_file_checks_clean_with_both_header_rows() {
    let a = actor(Role::CommitteeStaff, "310101020");
    let mut g = heads();
    g.push(good(1));
    g.push(good(2));
    let c = run(&g, &a);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert_eq!(c.rows, 2);
    assert!(c.importable());
    assert_eq!(c.valid[0].0, 3, "spreadsheet row numbers");
    let d = &c.valid[0].1.details;
    assert_eq!(
        d.categories,
        vec![PersonCategory::Aged80Plus, PersonCategory::LivingAlone]
    );
}

#[test]
fn an_id_number_mangled_into_scientific_notation_has_its_own_message() {
    let a = actor(Role::CommitteeStaff, "310101020");
    let mut g = heads();
    let mut r = good(1);
    set(&mut r, "id_number", "1.10105E+17");
    g.push(r);
    let c = run(&g, &a);
    assert_eq!(c.errors.len(), 1, "{:?}", c.errors);
    assert_eq!(c.errors[0].row, 3);
    assert_eq!(c.errors[0].column_zh, "身份证号");
    assert!(c.errors[0].zh.contains("科学计数法"), "{:?}", c.errors[0]);
}

#[test]
fn duplicates_inside_the_file_are_warnings_not_errors() {
    let a = actor(Role::CommitteeStaff, "310101020");
    let mut g = heads();
    let mut r1 = good(1);
    set(&mut r1, "id_number", "11010519491231002X");
    set(&mut r1, "birth_date", "");
    let r2 = r1.clone();
    g.push(r1);
    g.push(r2);
    let c = run(&g, &a);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert_eq!(c.valid.len(), 2, "both kept: never merged");
    assert_eq!(c.warnings.len(), 2, "id and phone: {:?}", c.warnings);
    assert!(c.warnings[0].zh.contains("第 3 行"));
    assert_eq!(c.warnings[0].row, 4);
}

#[test]
fn rows_outside_the_importers_scope_and_without_the_permission_are_refused() {
    let mut g = heads();
    let mut r = good(1);
    set(&mut r, "region", "310101021001");
    g.push(r);
    let c = run(&g, &actor(Role::CommitteeStaff, "310101020"));
    assert_eq!(c.errors.len(), 1);
    assert_eq!(c.errors[0].column_zh, COLUMNS[5].zh);
    // A social worker registers people but may not import them.
    let mut g = heads();
    g.push(good(1));
    let c = run(&g, &actor(Role::SocialWorker, "310101020"));
    assert!(!c.importable());
}

#[test]
fn english_headings_and_extra_columns_are_read_and_a_missing_column_is_named() {
    let a = actor(Role::CommitteeStaff, "310101020");
    let mut h: Vec<String> = vec!["Record ID".into()];
    h.extend(COLUMNS.iter().map(|c| c.en.to_string()));
    let mut r = vec!["x".to_string()];
    r.extend(good(1));
    let c = run(&vec![h, r], &a);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert_eq!(c.valid[0].0, 2);

    let g: Grid = vec![vec!["姓名".into(), "电话".into(), "身份证号".into()]];
    let c = run(&g, &a);
    assert!(c.errors.iter().any(|e| e.zh.contains("社区代码")));
    let c = run(&vec![vec!["hello".into()]], &a);
    assert!(c.errors[0].zh.contains("表头"));
}

/// One defect per row, cycling through the classes; every row must be named.
fn defect(i: usize, r: &mut [String]) -> &'static str {
    match i % 14 {
        0 => set(r, "name", ""),
        1 => set(r, "id_number", "110105194912310021"),
        2 => set(r, "id_number", "1.10105E+17"),
        3 => set(r, "phone", "12345"),
        4 => set(r, "birth_date", "2099-01-01"),
        5 => set(r, "address", ""),
        6 => set(r, "region", "310101020"),
        7 => set(r, "categories", "外星人"),
        8 => set(r, "care_level", "D"),
        9 => set(r, "basis", "因为"),
        10 => set(r, "basis_date", "昨天"),
        11 => set(r, "sensitive_consent", "也许"),
        12 => set(r, "contact_phone", ""),
        _ => set(r, "region", "310104001001"),
    }
    "defect"
}

#[test]
fn ten_thousand_rows_with_one_defect_each_report_every_row() {
    let a = actor(Role::CommitteeStaff, "310101020");
    let mut g = heads();
    for i in 0..10_000 {
        let mut r = good(i);
        defect(i, &mut r);
        g.push(r);
    }
    let c = run(&g, &a);
    assert_eq!(c.rows, 10_000);
    assert!(c.valid.is_empty(), "no row is valid");
    let mut rows: Vec<usize> = c.errors.iter().map(|e| e.row).collect();
    rows.dedup();
    assert_eq!(rows.len(), 10_000, "every row named once or more");
    assert!(
        c.errors
            .iter()
            .all(|e| !e.zh.is_empty() && !e.en.is_empty())
    );
    assert!(
        c.errors.iter().all(|e| !e.column_zh.is_empty()),
        "every error names its column"
    );
    assert!(!c.importable());
}

#[test]
fn one_bad_row_among_many_makes_the_file_not_importable() {
    let a = actor(Role::CommitteeStaff, "310101020");
    let mut g = heads();
    for i in 0..9_999 {
        g.push(good(i));
    }
    let mut r = good(20_000);
    set(&mut r, "phone", "1");
    g.insert(5_000, r);
    let c = run(&g, &a);
    assert_eq!(c.valid.len(), 9_999);
    assert_eq!(c.errors.len(), 1);
    assert_eq!(c.errors[0].row, 5_001);
    assert!(!c.importable());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn checking_any_grid_never_panics(
        cells in proptest::collection::vec(proptest::collection::vec("\\PC{0,20}", 0..20), 0..12),
        with_heads in any::<bool>(),
    ) {
        let a = actor(Role::CommitteeStaff, "310101020");
        let mut g = if with_heads { heads() } else { Vec::new() };
        g.extend(cells);
        let c = run(&g, &a);
        prop_assert!(c.importable() == (c.errors.is_empty() && !c.valid.is_empty()));
    }
}
