//! Pages of the registry and the welfare-check schedule: the labels and list rows they share
//! here, each feature's pages in a file of its own.

mod checks;
mod form;
mod list;
mod person;

pub use checks::{check, check_form, schedule, today};
pub use form::{create, edit_form, new_form, update};
pub use list::{find, index};
pub use person::{anonymise, close, export, reopen, reveal, show};

use wushe_core::people::record::PersonStatus;
use wushe_core::people::schedule::CST;
use wushe_core::people::service::PersonRow;
use wushe_core::people::{CareLevel, PersonCategory};

use crate::http::page::Lang;

fn level_label(lang: Lang, l: CareLevel) -> String {
    match l {
        CareLevel::A => lang.pick("A 级 · 每日", "Level A · daily"),
        CareLevel::B => lang.pick("B 级 · 每三日", "Level B · every 3 days"),
        CareLevel::C => lang.pick("C 级 · 每周", "Level C · weekly"),
    }
    .into()
}

fn category_label(lang: Lang, c: PersonCategory) -> String {
    match lang {
        Lang::Zh => c.zh().into(),
        Lang::En => c.as_str().replace('_', " "),
    }
}

fn when(lang: Lang, t: time::OffsetDateTime) -> String {
    let l = t.to_offset(CST);
    match lang {
        Lang::Zh => format!(
            "{}月{}日 {:02}:{:02}",
            l.month() as u8,
            l.day(),
            l.hour(),
            l.minute()
        ),
        Lang::En => format!(
            "{} {} {:02}:{:02}",
            l.day(),
            l.month(),
            l.hour(),
            l.minute()
        ),
    }
}

fn due_label(lang: Lang, r: &PersonRow) -> String {
    match (lang, r.days_overdue) {
        (Lang::Zh, 0) => format!("应访：{}", when(lang, r.next_due_at)),
        (Lang::En, 0) => format!("Due {}", when(lang, r.next_due_at)),
        (Lang::Zh, n) => format!("已超期 {n} 天"),
        (Lang::En, n) => format!("{n} day(s) overdue"),
    }
}

/// A person as a row of a list, with labels in the page language.
pub struct RowView {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub level: String,
    pub level_code: String,
    pub categories: String,
    pub due: String,
    pub overdue: bool,
    pub closed: bool,
    pub child: bool,
    /// Full phone for `tel:` (today list only).
    pub call: Option<String>,
}

fn row_view(lang: Lang, r: &PersonRow, call: Option<String>) -> RowView {
    RowView {
        id: r.id.to_string(),
        name: r.masked.name.clone(),
        phone: r.masked.phone.clone().unwrap_or_else(|| "—".into()),
        level: level_label(lang, r.care_level),
        level_code: format!("{:?}", r.care_level),
        categories: r
            .masked
            .categories
            .iter()
            .map(|c| category_label(lang, *c))
            .collect::<Vec<_>>()
            .join(lang.pick("、", ", ")),
        due: due_label(lang, r),
        overdue: r.days_overdue > 0,
        closed: r.status != PersonStatus::Active,
        child: r.masked.child_under_14,
        call,
    }
}

fn field_label(lang: Lang, f: &str) -> String {
    match f {
        "name" => lang.pick("姓名", "Name"),
        "id_number" => lang.pick("身份证号", "ID number"),
        "phone" => lang.pick("电话", "Phone"),
        "address" => lang.pick("住址", "Address"),
        "health_notes" => lang.pick("健康情况", "Health notes"),
        f if f.starts_with("check:") => lang.pick("探访备注", "Check notes"),
        _ => lang.pick("监护人/紧急联系人", "Guardian / emergency contact"),
    }
    .into()
}
