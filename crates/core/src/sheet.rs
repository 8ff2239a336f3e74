//! Spreadsheets in and out, pure: reading an uploaded CSV (UTF-8, or GBK/GB18030 as Chinese
//! Excel writes it) or XLSX into a grid of text cells under hard limits, and the one
//! neutraliser every export uses against formula injection.
//!
//! Hostile files are refused before they cost much: the upload size is capped by the caller;
//! an XLSX's zip directory is read first and every entry's declared size and compression ratio
//! checked, then every entry is inflated into a counting sink (never kept) so a lying directory
//! is caught too; only then does calamine open it, and the sheet is read cell by cell, refusing
//! a declared dimension or a cell position beyond the limits, so no grid is ever allocated from
//! a number in the file.

use std::io::{Cursor, Read};

/// The bounds a file must stay inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of the uploaded file.
    pub max_bytes: usize,
    /// Data rows (header rows not counted).
    pub max_rows: usize,
    /// Columns.
    pub max_cols: usize,
    /// Bytes of all zip entries once inflated.
    pub max_inflated: u64,
    /// Inflated size / compressed size of any one zip entry.
    pub max_ratio: u64,
    /// Characters in one cell.
    pub max_cell_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 10 * 1024 * 1024,
            max_rows: 20_000,
            max_cols: 40,
            max_inflated: 100 * 1024 * 1024,
            max_ratio: 200,
            max_cell_chars: 4_000,
        }
    }
}

/// Why a file was refused as a whole, in words for the person who uploaded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetError {
    pub zh: String,
    pub en: String,
}

impl SheetError {
    fn new(zh: impl Into<String>, en: impl Into<String>) -> SheetError {
        SheetError {
            zh: zh.into(),
            en: en.into(),
        }
    }

    fn too_big(l: &Limits) -> SheetError {
        SheetError::new(
            format!(
                "文件太大：最多 {} MB。请分成几个文件导入",
                l.max_bytes / 1024 / 1024
            ),
            format!(
                "The file is too large: at most {} MB. Split it into several files",
                l.max_bytes / 1024 / 1024
            ),
        )
    }

    fn too_many_rows(l: &Limits) -> SheetError {
        SheetError::new(
            format!("行数太多：一次最多导入 {} 行。请分成几个文件", l.max_rows),
            format!(
                "Too many rows: at most {} per import. Split the file",
                l.max_rows
            ),
        )
    }

    fn too_many_cols(l: &Limits) -> SheetError {
        SheetError::new(
            format!("列数太多：最多 {} 列。请使用下载的模板", l.max_cols),
            format!(
                "Too many columns: at most {}. Please use the template",
                l.max_cols
            ),
        )
    }

    fn not_xlsx() -> SheetError {
        SheetError::new(
            "无法读取这个 Excel 文件。请另存为 .xlsx 或 CSV 后再上传",
            "This Excel file cannot be read. Save it as .xlsx or CSV and upload again",
        )
    }

    fn bomb() -> SheetError {
        SheetError::new(
            "文件内容异常（解压后过大），已拒绝",
            "The file is abnormal (far too large once unpacked) and was refused",
        )
    }
}

/// The rows of a sheet as text, trimmed at the end (empty trailing cells and rows dropped).
/// Row `i` of the vector is row `i + 1` as a spreadsheet numbers it.
pub type Grid = Vec<Vec<String>>;

/// Which reader a file needs, from its first bytes (an XLSX is a zip: `PK\x03\x04`).
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Read an uploaded file: XLSX when it is a zip, CSV otherwise.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Grid, SheetError> {
    if is_zip(bytes) {
        read_xlsx(bytes, limits)
    } else {
        read_csv(bytes, limits)
    }
}

/// Decode CSV bytes: a UTF-8 byte-order mark or valid UTF-8 is UTF-8; anything else is
/// read as GB18030 (a superset of GBK and GB2312, what Chinese Excel writes as "CSV").
pub fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8_lossy(rest).into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => {
            let (s, _, _) = encoding_rs::GB18030.decode(bytes);
            s.into_owned()
        }
    }
}

fn push_row(grid: &mut Grid, mut row: Vec<String>, limits: &Limits) -> Result<(), SheetError> {
    while row.last().is_some_and(|c| c.is_empty()) {
        row.pop();
    }
    if row.len() > limits.max_cols {
        return Err(SheetError::too_many_cols(limits));
    }
    // Two header rows (Chinese and English) may precede the data.
    if grid.len() >= limits.max_rows + 2 && !row.is_empty() {
        return Err(SheetError::too_many_rows(limits));
    }
    grid.push(row);
    Ok(())
}

fn cap(mut s: String, limits: &Limits) -> String {
    if s.len() > limits.max_cell_chars * 4 || s.chars().count() > limits.max_cell_chars {
        s = s.chars().take(limits.max_cell_chars).collect();
    }
    s
}

fn finish(mut grid: Grid) -> Grid {
    while grid.last().is_some_and(|r| r.is_empty()) {
        grid.pop();
    }
    grid
}

/// Read CSV bytes (comma-separated; rows may have different lengths).
pub fn read_csv(bytes: &[u8], limits: &Limits) -> Result<Grid, SheetError> {
    if bytes.len() > limits.max_bytes {
        return Err(SheetError::too_big(limits));
    }
    let text = decode_text(bytes);
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut grid = Grid::new();
    let mut rec = csv::StringRecord::new();
    loop {
        match r.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                if rec.len() > limits.max_cols {
                    return Err(SheetError::too_many_cols(limits));
                }
                let row = rec.iter().map(|c| cap(c.to_string(), limits)).collect();
                push_row(&mut grid, row, limits)?;
            }
            Err(_) => {
                return Err(SheetError::new(
                    "CSV 文件格式有误，无法读取",
                    "The CSV file is malformed and cannot be read",
                ));
            }
        }
    }
    Ok(finish(grid))
}

/// Measure a zip before anything parses it: declared sizes and ratios first, then the real
/// inflated size of every entry, streamed into a counting sink.
pub fn check_zip(bytes: &[u8], limits: &Limits) -> Result<(), SheetError> {
    if bytes.len() > limits.max_bytes {
        return Err(SheetError::too_big(limits));
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| SheetError::not_xlsx())?;
    if zip.len() > 1_000 {
        return Err(SheetError::bomb());
    }
    let mut declared: u64 = 0;
    for i in 0..zip.len() {
        let e = zip.by_index_raw(i).map_err(|_| SheetError::not_xlsx())?;
        declared = declared.saturating_add(e.size());
        if e.size() > e.compressed_size().max(1).saturating_mul(limits.max_ratio)
            && e.size() > 1024 * 1024
        {
            return Err(SheetError::bomb());
        }
    }
    if declared > limits.max_inflated {
        return Err(SheetError::bomb());
    }
    // The directory may lie: inflate for real, counting, and stop past the limit.
    let mut left = limits.max_inflated;
    for i in 0..zip.len() {
        let e = zip.by_index(i).map_err(|_| SheetError::not_xlsx())?;
        let declared = e.size();
        let mut sink = std::io::sink();
        let n = std::io::copy(&mut e.take(left.saturating_add(1)), &mut sink)
            .map_err(|_| SheetError::not_xlsx())?;
        if n > left || n > declared.saturating_add(1024) {
            return Err(SheetError::bomb());
        }
        left -= n;
    }
    Ok(())
}

/// Days since 1899-12-30 (Excel's day zero in the 1900 system) to a `YYYY-MM-DD` date.
fn excel_date(serial: f64, is_1904: bool) -> Option<String> {
    if !serial.is_finite() || !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    let base = if is_1904 {
        time::macros::date!(1904 - 01 - 01)
    } else {
        time::macros::date!(1899 - 12 - 30)
    };
    let d = base.checked_add(time::Duration::days(serial.floor() as i64))?;
    Some(crate::people::record::format_date(d))
}

/// A number as a person would read it. Large numbers come out in scientific notation
/// (`1.10105194912310E+17`): that is how Excel shows an 18-digit ID number it has turned into
/// a number, and the importer recognises it to say so.
pub fn number_text(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else if v.is_finite() && v.abs() >= 1e15 {
        // Excel's spelling: 1.10105E+17.
        format!("{v:E}").replacen("E", "E+", 1).replace("E+-", "E-")
    } else {
        format!("{v}")
    }
}

/// Read the first worksheet of an XLSX.
pub fn read_xlsx(bytes: &[u8], limits: &Limits) -> Result<Grid, SheetError> {
    use calamine::{DataRef, Reader, Xlsx};
    check_zip(bytes, limits)?;
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| SheetError::not_xlsx())?;
    let Some(name) = wb.sheet_names().first().cloned() else {
        return Err(SheetError::not_xlsx());
    };
    let max_row = (limits.max_rows + 2) as u32;
    let max_col = limits.max_cols as u32;
    let mut cells = wb
        .worksheet_cells_reader(&name)
        .map_err(|_| SheetError::not_xlsx())?;
    let dim = cells.dimensions();
    if dim.end.0 > max_row + 1_000 {
        return Err(SheetError::too_many_rows(limits));
    }
    if dim.end.1 > max_col + 100 {
        return Err(SheetError::too_many_cols(limits));
    }
    let mut grid = Grid::new();
    let mut n: u64 = 0;
    while let Some(cell) = cells.next_cell().map_err(|_| SheetError::not_xlsx())? {
        n += 1;
        if n > (max_row as u64 + 1) * (max_col as u64 + 1) {
            return Err(SheetError::too_many_rows(limits));
        }
        let (r, c) = cell.get_position();
        let text = match cell.get_value() {
            DataRef::Empty => continue,
            DataRef::String(s) => s.clone(),
            DataRef::SharedString(s) => s.to_string(),
            DataRef::Int(i) => i.to_string(),
            DataRef::Float(f) => number_text(*f),
            DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            DataRef::DateTime(d) => {
                excel_date(d.as_f64(), false).unwrap_or_else(|| number_text(d.as_f64()))
            }
            DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
            DataRef::Error(_) => "#ERROR".to_string(),
        };
        if text.is_empty() {
            continue;
        }
        if c >= max_col {
            return Err(SheetError::too_many_cols(limits));
        }
        if r >= max_row {
            return Err(SheetError::too_many_rows(limits));
        }
        let (r, c) = (r as usize, c as usize);
        if grid.len() <= r {
            grid.resize_with(r + 1, Vec::new);
        }
        let row = &mut grid[r];
        if row.len() <= c {
            row.resize_with(c + 1, String::new);
        }
        row[c] = cap(text, limits);
    }
    for row in &mut grid {
        while row.last().is_some_and(|c| c.is_empty()) {
            row.pop();
        }
    }
    Ok(finish(grid))
}

/// Does this text start with something a spreadsheet could take as a formula or hide?
/// `= + - @`, their full-width forms `＝ ＋ － ＠`, tab, carriage return and any other control
/// character; and the apostrophe itself, so that neutralising can be undone exactly.
fn risky_start(v: &str) -> bool {
    v.chars().next().is_some_and(|c| {
        matches!(c, '=' | '+' | '-' | '@' | '＝' | '＋' | '－' | '＠' | '\'') || c.is_control()
    })
}

/// Neutralise spreadsheet formula injection: text starting with a risky character gets a
/// leading `'`, so spreadsheets show it as text and never evaluate it. Every export (XLSX and
/// CSV) writes every text cell through this one function.
pub fn safe_cell(v: &str) -> String {
    if risky_start(v) {
        format!("'{v}")
    } else {
        v.to_string()
    }
}

/// Undo [`safe_cell`] on import: one leading `'` is the text marker, not part of the value
/// (Excel does not keep a typed leading apostrophe in the value either).
pub fn restore_cell(v: &str) -> &str {
    v.strip_prefix('\'').unwrap_or(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formula_cells_are_neutralised_and_restore_exactly() {
        assert_eq!(safe_cell("=1+1"), "'=1+1");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("-3"), "'-3");
        assert_eq!(safe_cell("＝HYPERLINK(\"x\")"), "'＝HYPERLINK(\"x\")");
        assert_eq!(safe_cell("\tx"), "'\tx");
        assert_eq!(safe_cell("\u{1}x"), "'\u{1}x");
        assert_eq!(safe_cell("'=x"), "''=x");
        assert_eq!(safe_cell("王丽"), "王丽");
        assert_eq!(safe_cell(""), "");
        for v in ["=1", "'=x", "王丽", "'", "－1"] {
            assert_eq!(restore_cell(&safe_cell(v)), v);
        }
    }

    #[test]
    fn csv_in_utf8_with_bom_and_in_gb18030_reads_the_same() {
        let text = "姓名,电话\n王阿婆,13812345678\n";
        let (gbk, _, _) = encoding_rs::GB18030.encode(text);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        let l = Limits::default();
        let a = read_csv(text.as_bytes(), &l).expect("utf8");
        let b = read_csv(&gbk, &l).expect("gbk");
        let c = read_csv(&bom, &l).expect("bom");
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a[1], vec!["王阿婆", "13812345678"]);
    }

    #[test]
    fn too_many_rows_or_columns_are_refused() {
        let l = Limits {
            max_rows: 3,
            max_cols: 2,
            ..Limits::default()
        };
        assert!(read_csv(b"a\nb\nc\nd\ne\n", &l).is_ok());
        assert!(read_csv(b"a\nb\nc\nd\ne\nf\n", &l).is_err());
        assert!(read_csv(b"a,b,c\n", &l).is_err());
        assert!(read_csv(&vec![b'x'; l.max_bytes + 1], &l).is_err());
    }

    #[test]
    fn large_numbers_read_as_scientific_notation() {
        assert_eq!(number_text(13812345678.0), "13812345678");
        assert_eq!(number_text(1.1010519491231e17), "1.1010519491231E+17");
        assert_eq!(number_text(2.5), "2.5");
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut out);
            let o = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            for (name, data) in entries {
                w.start_file(*name, o).expect("start");
                std::io::Write::write_all(&mut w, data).expect("write");
            }
            w.finish().expect("finish");
        }
        out.into_inner()
    }

    #[test]
    fn a_zip_bomb_is_refused_before_parsing() {
        let zeros = vec![0u8; 50 * 1024 * 1024];
        let bomb = zip_of(&[("xl/worksheets/sheet1.xml", &zeros)]);
        assert!(bomb.len() < 1024 * 1024, "compresses well");
        let t = std::time::Instant::now();
        let e = read_xlsx(&bomb, &Limits::default()).expect_err("bomb");
        assert!(e.zh.contains("解压"), "{e:?}");
        assert!(t.elapsed().as_secs() < 5);
        assert!(read_xlsx(b"PK\x03\x04garbage", &Limits::default()).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

        #[test]
        fn the_csv_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let _ = read(&bytes, &Limits { max_rows: 50, ..Limits::default() });
        }

        #[test]
        fn the_xlsx_reader_never_panics_on_broken_zips(
            body in proptest::collection::vec(any::<u8>(), 0..2000),
            cut in 0usize..4000,
        ) {
            // A real zip with random contents, then cut or not.
            let z = zip_of(&[("[Content_Types].xml", &body), ("xl/workbook.xml", &body)]);
            let z = &z[..cut.min(z.len())];
            let _ = read(z, &Limits::default());
            let mut pk = b"PK\x03\x04".to_vec();
            pk.extend_from_slice(&body);
            let _ = read(&pk, &Limits::default());
        }

        #[test]
        fn every_risky_start_is_neutralised_and_restored(s in "\\PC{0,12}", lead in prop::sample::select(vec!['=', '+', '-', '@', '\t', '\r', '\n', '＝', '＋', '－', '＠', '\u{7}', '\'', 'a', '王'])) {
            let v = format!("{lead}{s}");
            let out = safe_cell(&v);
            let first = out.chars().next();
            prop_assert!(first.is_some_and(|c| !matches!(c, '=' | '+' | '-' | '@' | '＝' | '＋' | '－' | '＠') && !c.is_control()));
            prop_assert_eq!(restore_cell(&out), v.as_str());
        }
    }
}
