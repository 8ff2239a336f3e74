//! Loading a community's spreadsheet into the registry: the template's columns, reading rows
//! into the same [`PersonForm`] the registry form uses (so every rule is the form's), a dry run
//! that names every bad row with its column and reason in Chinese and English, warnings for
//! duplicates, and an all-or-nothing commit.
//!
//! Duplicates (the same ID number or phone twice in the file, or already in the registry) are
//! warnings, never merged: the dry run lists them, and the commit creates every row as a new
//! record only after the worker confirms they have checked them. Existing records are never
//! changed by an import.

use std::collections::HashMap;

use time::{Date, OffsetDateTime};

use super::form::{PersonForm, PersonInput};
use super::record::{self, BasisKind};
use super::service::{self, today_of};
use super::{CareLevel, PersonCategory};
use crate::actor::{Actor, Permission};
use crate::audit::{Action, AuditEvent, RecordKind};
use crate::crypto::{Cipher, Lookup};
use crate::error::{Error, Result};
use crate::ids::PersonId;
use crate::reveal::mask_name;
use crate::sheet::{Grid, restore_cell};
use crate::store::Store;

/// One column of the template (and of the registry export).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The [`PersonForm`] field it fills.
    pub field: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    /// Text format in the template (so Excel keeps long digit strings).
    pub text: bool,
}

const fn col(field: &'static str, zh: &'static str, en: &'static str, text: bool) -> Column {
    Column {
        field,
        zh,
        en,
        text,
    }
}

/// The template's columns, in order.
pub const COLUMNS: [Column; 17] = [
    col("name", "姓名", "Name", true),
    col("id_number", "身份证号", "ID number", true),
    col("phone", "电话", "Phone", true),
    col("birth_date", "出生日期", "Birth date (YYYY-MM-DD)", true),
    col("address", "居住地址", "Address", true),
    col(
        "region",
        "社区代码（12位）",
        "Community code (12 digits)",
        true,
    ),
    col(
        "categories",
        "类别（多个用、分开）",
        "Categories (separate with 、)",
        true,
    ),
    col(
        "care_level",
        "关爱等级（A每日/B每三日/C每周）",
        "Care level (A daily / B every 3 days / C weekly)",
        true,
    ),
    col("basis", "处理依据", "Lawful basis", true),
    col("basis_date", "依据日期", "Date of basis (YYYY-MM-DD)", true),
    col("notice_version", "告知书版本", "Notice version", true),
    col(
        "sensitive_consent",
        "敏感信息单独同意（是/否）",
        "Separate consent for sensitive data (yes/no)",
        true,
    ),
    col(
        "guardian_consent",
        "监护人同意（是/否）",
        "Guardian's consent (yes/no)",
        true,
    ),
    col("contact_name", "联系人姓名", "Contact name", true),
    col("contact_phone", "联系人电话", "Contact phone", true),
    col("contact_relation", "与本人关系", "Relation", true),
    col("health_notes", "健康情况", "Health notes", true),
];

/// Labels of the lawful bases in the spreadsheet (the template's drop-down list).
pub fn basis_label(b: BasisKind) -> &'static str {
    match b {
        BasisKind::Consent => "本人或监护人同意",
        BasisKind::StatutoryDuty => "履行法定职责",
        BasisKind::Emergency => "紧急情况",
    }
}

/// Labels of yes and no.
pub const YES: &str = "是";
pub const NO: &str = "否";

fn column_of(field: &str) -> Column {
    COLUMNS
        .iter()
        .copied()
        .find(|c| c.field == field)
        .unwrap_or(col("", "", "", false))
}

/// A problem with one cell (or row) of the file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowIssue {
    /// The row number as the spreadsheet shows it.
    pub row: usize,
    /// The column's heading (Chinese, English); empty for the whole row.
    pub column_zh: &'static str,
    pub column_en: &'static str,
    pub zh: String,
    pub en: String,
}

/// What a dry run found.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// Rows with data.
    pub rows: usize,
    /// Rows that would be imported, with their row numbers.
    pub valid: Vec<(usize, PersonInput)>,
    /// Every problem, in row order; any problem means nothing is imported.
    pub errors: Vec<RowIssue>,
    /// Duplicates: imported only after the worker confirms.
    pub warnings: Vec<RowIssue>,
}

impl Checked {
    /// Can the file be imported (no errors, at least one row)?
    pub fn importable(&self) -> bool {
        self.errors.is_empty() && !self.valid.is_empty()
    }
}

fn norm_header(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

/// Find the header row among the first rows: the column index of each template field.
/// Headings may be the Chinese or the English ones, with or without the hints in brackets;
/// unknown columns (e.g. the export's record id) are ignored.
fn header_map(grid: &Grid) -> Option<(usize, HashMap<&'static str, usize>)> {
    let strip = |s: &str| -> String {
        let s = norm_header(s);
        let cut = s.find(['（', '(']).unwrap_or(s.len());
        s[..cut].to_string()
    };
    for (i, row) in grid.iter().enumerate().take(5) {
        let mut map = HashMap::new();
        for (j, cell) in row.iter().enumerate() {
            let h = strip(cell);
            if h.is_empty() {
                continue;
            }
            if let Some(c) = COLUMNS
                .iter()
                .find(|c| strip(c.zh) == h || strip(c.en) == h || c.field == h)
            {
                map.entry(c.field).or_insert(j);
            }
        }
        if map.len() >= 3 {
            return Some((i, map));
        }
    }
    None
}

fn is_english_header(row: &[String]) -> bool {
    let en: Vec<String> = COLUMNS.iter().map(|c| norm_header(c.en)).collect();
    row.iter().filter(|c| en.contains(&norm_header(c))).count() >= 3
}

fn yes(v: &str) -> Option<bool> {
    match v.trim().to_lowercase().as_str() {
        "是" | "有" | "已同意" | "同意" | "y" | "yes" | "true" | "1" | "√" => Some(true),
        "否" | "无" | "不同意" | "n" | "no" | "false" | "0" | "" => Some(false),
        _ => None,
    }
}

fn category(v: &str) -> Option<PersonCategory> {
    let v = v.trim();
    PersonCategory::parse(v).or_else(|| PersonCategory::ALL.into_iter().find(|c| c.zh() == v))
}

fn basis(v: &str) -> Option<BasisKind> {
    let v = v.trim();
    BasisKind::parse(v).or_else(|| {
        BasisKind::ALL
            .into_iter()
            .find(|b| basis_label(*b) == v || b.zh() == v || b.en().eq_ignore_ascii_case(v))
    })
}

fn issue(row: usize, field: &str, zh: impl Into<String>, en: impl Into<String>) -> RowIssue {
    let c = column_of(field);
    RowIssue {
        row,
        column_zh: c.zh,
        column_en: c.en,
        zh: zh.into(),
        en: en.into(),
    }
}

/// Turn one row into the registry form, noting cells that cannot mean anything.
fn row_form(
    n: usize,
    row: &[String],
    map: &HashMap<&'static str, usize>,
    out: &mut Vec<RowIssue>,
) -> PersonForm {
    let cell = |f: &str| -> String {
        map.get(f)
            .and_then(|&j| row.get(j))
            .map(|v| restore_cell(v).trim().to_string())
            .unwrap_or_default()
    };
    let mut f = PersonForm {
        name: cell("name"),
        id_number: cell("id_number"),
        phone: cell("phone"),
        birth_date: cell("birth_date"),
        address: cell("address"),
        region: cell("region"),
        care_level: cell("care_level")
            .chars()
            .next()
            .map(String::from)
            .unwrap_or_default(),
        notice_version: cell("notice_version"),
        basis_date: cell("basis_date"),
        contact_name: cell("contact_name"),
        contact_phone: cell("contact_phone"),
        contact_relation: cell("contact_relation"),
        health_notes: cell("health_notes"),
        ..PersonForm::default()
    };
    let cats = cell("categories");
    for part in cats
        .split(['、', ',', '，', ';', '；', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match category(part) {
            Some(c) => f.categories.push(c.as_str().to_string()),
            None => out.push(issue(
                n,
                "categories",
                format!("“{part}”不是登记类别。可填：低保、高龄、独居/空巢老人、残疾人等（见模板的下拉列表）"),
                format!("“{part}” is not a registry category; see the template's drop-down list"),
            )),
        }
    }
    let b = cell("basis");
    match basis(&b) {
        Some(k) => f.basis = k.as_str().to_string(),
        None if b.is_empty() => {}
        None => out.push(issue(
            n,
            "basis",
            "处理依据请填：本人或监护人同意、履行法定职责、紧急情况",
            "Lawful basis: consent, statutory duty or emergency",
        )),
    }
    for (field, target) in [
        ("sensitive_consent", &mut f.sensitive_consent),
        ("guardian_consent", &mut f.guardian_consent),
    ] {
        match yes(&cell(field)) {
            Some(v) => *target = v,
            None => out.push(issue(n, field, "请填“是”或“否”", "Fill in yes or no")),
        }
    }
    f
}

/// The dry run's pure part: read every row of `grid` through the registry form's rules and
/// the actor's import scope, and find duplicates inside the file. `progress` is called with
/// the number of rows done.
pub fn check_grid(
    grid: &Grid,
    actor: &Actor,
    today: Date,
    progress: &mut dyn FnMut(usize),
) -> Checked {
    let mut c = Checked::default();
    let Some((head, map)) = header_map(grid) else {
        c.errors.push(RowIssue {
            row: 1,
            column_zh: "",
            column_en: "",
            zh: "找不到表头。请使用下载的模板，第一行是“姓名、身份证号、电话……”".into(),
            en: "No heading row found. Use the downloaded template (first row: 姓名, 身份证号, 电话…)"
                .into(),
        });
        return c;
    };
    let mut first = head + 1;
    if grid.get(first).is_some_and(|r| is_english_header(r)) {
        first += 1;
    }
    for field in ["name", "region", "categories", "care_level", "basis"] {
        if !map.contains_key(field) {
            let col = column_of(field);
            c.errors.push(RowIssue {
                row: head + 1,
                column_zh: col.zh,
                column_en: col.en,
                zh: format!("缺少“{}”这一列", col.zh),
                en: format!("The column “{}” is missing", col.en),
            });
        }
    }
    if !c.errors.is_empty() {
        return c;
    }
    let mut seen_id: HashMap<String, usize> = HashMap::new();
    let mut seen_phone: HashMap<String, usize> = HashMap::new();
    for (i, row) in grid.iter().enumerate().skip(first) {
        let n = i + 1;
        if i % 500 == 0 {
            progress(i.saturating_sub(first));
        }
        if row.iter().all(|v| restore_cell(v).trim().is_empty()) {
            continue;
        }
        c.rows += 1;
        let mut issues = Vec::new();
        let form = row_form(n, row, &map, &mut issues);
        let bad_cells: Vec<&'static str> = issues.iter().map(|i| i.column_zh).collect();
        match form.parse(today) {
            Ok(input) => {
                if !actor.can_at(Permission::ImportPeople, &input.region) {
                    issues.push(issue(
                        n,
                        "region",
                        format!(
                            "社区代码 {} 不在您负责的范围内，只能导入您负责的社区的居民",
                            input.region.0
                        ),
                        format!(
                            "Community {} is outside the communities you work in",
                            input.region.0
                        ),
                    ));
                }
                if issues.is_empty() {
                    if let Some(id) = &input.details.id_number {
                        if let Some(&m) = seen_id.get(id.as_str()) {
                            c.warnings.push(issue(
                                n,
                                "id_number",
                                format!("与第 {m} 行的身份证号相同"),
                                format!("Same ID number as row {m}"),
                            ));
                        } else {
                            seen_id.insert(id.as_str().to_string(), n);
                        }
                    }
                    if let Some(p) = &input.details.phone {
                        if let Some(&m) = seen_phone.get(p) {
                            c.warnings.push(issue(
                                n,
                                "phone",
                                format!("与第 {m} 行的电话相同"),
                                format!("Same phone as row {m}"),
                            ));
                        } else {
                            seen_phone.insert(p.clone(), n);
                        }
                    }
                    c.valid.push((n, input));
                }
            }
            Err(Error::Invalid(fe)) => {
                for e in fe.0 {
                    // A cell already reported as meaningless is not reported twice.
                    let col = column_of(e.field);
                    if bad_cells.contains(&col.zh) {
                        continue;
                    }
                    issues.push(RowIssue {
                        row: n,
                        column_zh: col.zh,
                        column_en: col.en,
                        zh: e.zh,
                        en: e.en,
                    });
                }
            }
            Err(e) => issues.push(RowIssue {
                row: n,
                column_zh: "",
                column_en: "",
                zh: format!("无法读取这一行：{e}"),
                en: format!("This row cannot be read: {e}"),
            }),
        }
        c.errors.extend(issues);
    }
    if c.rows == 0 {
        c.errors.push(RowIssue {
            row: first + 1,
            column_zh: "",
            column_en: "",
            zh: "文件里没有要导入的人员".into(),
            en: "The file holds no people to import".into(),
        });
    }
    progress(c.rows);
    c
}

/// Rows whose registry lookups go to the store together.
const LOOKUP_ROWS: usize = 500;

/// The dry run's second part: people already in the registry (in the actor's view scope) with
/// the same ID number or phone as a valid row, as warnings naming the masked name (at most 50
/// people for a row). The rows' blind indexes are looked up [`LOOKUP_ROWS`] at a time, and
/// each person found is opened once however many rows they match.
pub async fn registry_duplicates(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    checked: &mut Checked,
    progress: &mut (dyn FnMut(usize) + Send),
) -> Result<()> {
    let scope = actor.scope(Permission::ViewPeople);
    if scope.is_empty() {
        return Ok(());
    }
    // Each valid row: its number, and the blind indexes of its ID number and phone.
    let rows: Vec<(usize, Option<String>, Option<String>)> = checked
        .valid
        .iter()
        .map(|(n, input)| {
            let d = &input.details;
            let id = d
                .id_number
                .as_ref()
                .and_then(|i| cipher.blind_index(Lookup::IdNumber, i.as_str()));
            let phone = d
                .phone
                .as_deref()
                .and_then(|p| cipher.blind_index(Lookup::Phone, p));
            (*n, id, phone)
        })
        .collect();
    let mut names: HashMap<PersonId, String> = HashMap::new();
    let mut found = Vec::new();
    for (k, batch) in rows.chunks(LOOKUP_ROWS).enumerate() {
        progress(k * LOOKUP_ROWS);
        let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_phone: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, (_, id, phone)) in batch.iter().enumerate() {
            if let Some(id) = id {
                by_id.entry(id).or_default().push(i);
            }
            if let Some(phone) = phone {
                by_phone.entry(phone).or_default().push(i);
            }
        }
        if by_id.is_empty() && by_phone.is_empty() {
            continue;
        }
        let ids: Vec<&str> = by_id.keys().copied().collect();
        let phones: Vec<&str> = by_phone.keys().copied().collect();
        let mut shown = vec![0usize; batch.len()];
        for p in store.people_by_index(&scope, &ids, &phones).await? {
            let on_id = p
                .sealed
                .id_number_index
                .as_deref()
                .and_then(|x| by_id.get(x));
            let on_phone = p
                .sealed
                .phone_index
                .as_deref()
                .and_then(|x| by_phone.get(x));
            let mut hit: Vec<(usize, bool)> =
                on_id.into_iter().flatten().map(|i| (*i, true)).collect();
            for i in on_phone.into_iter().flatten() {
                if !hit.iter().any(|(j, _)| j == i) {
                    hit.push((*i, false));
                }
            }
            for (i, by_id_number) in hit {
                if shown[i] == 50 {
                    continue;
                }
                shown[i] += 1;
                let name = match names.get(&p.id) {
                    Some(n) => n.clone(),
                    None => {
                        let n = mask_name(&record::open(cipher, &p)?.name);
                        names.insert(p.id, n.clone());
                        n
                    }
                };
                let (field, zh, en) = if by_id_number {
                    ("id_number", "身份证号", "ID number")
                } else {
                    ("phone", "电话", "phone")
                };
                found.push(issue(
                    batch[i].0,
                    field,
                    format!("登记册中已有{zh}相同的人：{name}（社区 {}）", p.region.0),
                    format!(
                        "The registry already holds someone with this {en}: {name} (community {})",
                        p.region.0
                    ),
                ));
            }
        }
    }
    checked.warnings.extend(found);
    checked.warnings.sort_by_key(|w| w.row);
    Ok(())
}

/// Commit a checked file: every valid row becomes a new registry person, sealed like any
/// other, in one transaction with one audit entry (the count and the file's fingerprint).
/// Refused if the dry run found any error. `progress` counts sealed rows.
pub async fn commit(
    store: &dyn Store,
    cipher: &Cipher,
    actor: &Actor,
    checked: &Checked,
    file_sha256: &str,
    now: OffsetDateTime,
    progress: &mut (dyn FnMut(usize) + Send),
) -> Result<usize> {
    actor.require(Permission::ImportPeople)?;
    if !checked.importable() {
        return Err(Error::invalid(
            "file",
            "文件中还有错误，没有导入任何人。请改正后重新上传",
            "The file still has errors; nobody was imported. Fix them and upload again",
        ));
    }
    let mut people = Vec::with_capacity(checked.valid.len());
    for (k, (_, input)) in checked.valid.iter().enumerate() {
        // Scope again at the moment of writing.
        if !actor.can_at(Permission::ImportPeople, &input.region) {
            return Err(Error::Forbidden);
        }
        people.push(service::new_person(cipher, input, now)?);
        if k % 200 == 0 {
            progress(k);
        }
    }
    progress(people.len());
    let event = AuditEvent::new(Action::PeopleImported, now)
        .by(actor)
        .region(&actor.region)
        .record(RecordKind::Person, [format!("file:{file_sha256}")]);
    store.insert_people_batch(&people, &[], &event).await?;
    Ok(people.len())
}

/// A care level as the spreadsheet writes it.
pub fn care_label(l: CareLevel) -> &'static str {
    match l {
        CareLevel::A => "A",
        CareLevel::B => "B",
        CareLevel::C => "C",
    }
}

/// Today in China, for the form rules (children, dates not in the future).
pub fn today(now: OffsetDateTime) -> Date {
    today_of(now)
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
