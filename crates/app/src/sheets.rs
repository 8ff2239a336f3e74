//! Writing spreadsheets: the registry import template and list exports as XLSX. Every text
//! cell goes through the core's one neutraliser ([`wushe_core::sheet::safe_cell`]) and is
//! written as a string cell, never a formula.

use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, Format, Workbook, Worksheet, XlsxError,
};
use wushe_core::export::Table;
use wushe_core::people::PersonCategory;
use wushe_core::people::import::{COLUMNS, NO, YES, basis_label};
use wushe_core::people::record::BasisKind;
use wushe_core::sheet::safe_cell;

/// Rows the template's drop-down lists and text formats cover.
const TEMPLATE_ROWS: u32 = 20_000;

fn col(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

fn heads(ws: &mut Worksheet, heads: &[(&str, &str)]) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold().set_background_color("#FCE4D6");
    let en = Format::new().set_font_color("#555555").set_italic();
    for (i, (zh, e)) in heads.iter().enumerate() {
        ws.write_string_with_format(0, col(i), safe_cell(zh), &bold)?;
        ws.write_string_with_format(1, col(i), safe_cell(e), &en)?;
        ws.set_column_width(col(i), 16)?;
    }
    ws.set_freeze_panes(2, 0)?;
    Ok(())
}

/// The registry import template: Chinese headings, English ones in the second row, every
/// column formatted as text (Excel keeps 18-digit ID numbers and leading zeros), drop-down
/// lists for categories, care level, lawful basis and the consents, and one example row on a
/// second sheet.
pub fn template_xlsx() -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let text = Format::new().set_num_format("@");
    let ws = wb.add_worksheet();
    ws.set_name("服务对象")?;
    let hs: Vec<(&str, &str)> = COLUMNS.iter().map(|c| (c.zh, c.en)).collect();
    heads(ws, &hs)?;
    for (i, c) in COLUMNS.iter().enumerate() {
        if c.text {
            ws.set_column_format(col(i), &text)?;
        }
    }
    // The header cells keep their own format; the data rows are text.
    let idx = |f: &str| col(COLUMNS.iter().position(|c| c.field == f).unwrap_or(0));
    let cats: Vec<&str> = PersonCategory::ALL.iter().map(|c| c.zh()).collect();
    let v = DataValidation::new()
        .allow_list_strings(&cats)?
        .set_error_style(DataValidationErrorStyle::Information)
        .set_input_title("类别 Categories")?
        .set_input_message(
            "可从列表选择；多个类别用、分开\nPick one, or type several separated by 、",
        )?;
    ws.add_data_validation(2, idx("categories"), TEMPLATE_ROWS, idx("categories"), &v)?;
    let v = DataValidation::new()
        .allow_list_strings(&["A", "B", "C"])?
        .set_input_title("关爱等级 Care level")?
        .set_input_message("A 每日 / B 每三日 / C 每周\nA daily / B every 3 days / C weekly")?
        .set_error_message("请填 A、B 或 C / Enter A, B or C")?;
    ws.add_data_validation(2, idx("care_level"), TEMPLATE_ROWS, idx("care_level"), &v)?;
    let bases: Vec<&str> = BasisKind::ALL.iter().map(|b| basis_label(*b)).collect();
    let v = DataValidation::new().allow_list_strings(&bases)?;
    ws.add_data_validation(2, idx("basis"), TEMPLATE_ROWS, idx("basis"), &v)?;
    let v = DataValidation::new().allow_list_strings(&[YES, NO])?;
    for f in ["sensitive_consent", "guardian_consent"] {
        ws.add_data_validation(2, idx(f), TEMPLATE_ROWS, idx(f), &v)?;
    }

    let ex = wb.add_worksheet();
    ex.set_name("填写示例 Example")?;
    heads(ex, &hs)?;
    let sample = [
        "王阿婆",
        "",
        "13812345678",
        "1940-05-06",
        "丽园路 100 弄 3 号 201 室",
        "310101020001",
        "高龄、独居/空巢老人",
        "A",
        basis_label(BasisKind::StatutoryDuty),
        "2026-04-03",
        "v1",
        NO,
        NO,
        "王小明",
        "021-63011234",
        "儿子",
        "高血压，每日服药",
    ];
    for (i, v) in sample.iter().enumerate() {
        ex.write_string(2, col(i), safe_cell(v))?;
    }
    ex.write_string(
        4,
        0,
        "说明：身份证号、电话请按文本填写（模板已设为文本格式）；社区代码为12位统计用区划代码；依据为“本人或监护人同意”时须填“敏感信息单独同意：是”，不满14周岁的儿童还须“监护人同意：是”并填写监护人。",
    )?;
    ex.write_string(
        5,
        0,
        "Notes: ID numbers and phones as text (the template's columns are text); community code: 12 digits; with consent as the basis, separate consent for sensitive data is needed, and a child under 14 needs a guardian's consent and a guardian as contact.",
    )?;
    wb.save_to_buffer()
}

/// A list export as XLSX: two heading rows, then the rows, all as neutralised text.
pub fn table_xlsx(t: &Table) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(t.list.zh())?;
    heads(ws, &t.heads)?;
    for (i, r) in t.rows.iter().enumerate() {
        let row = u32::try_from(i + 2).unwrap_or(u32::MAX);
        for (j, v) in r.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(row, col(j), safe_cell(v))?;
            }
        }
    }
    wb.save_to_buffer()
}
