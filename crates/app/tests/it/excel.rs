//! Excel in and out through real HTTP: the registry template, imports with a dry run (CSV in
//! GBK, XLSX), all-or-nothing commits with live progress, hostile files, and list exports
//! (masked by default, full with a reason, scoped, formula injection neutralised, a full
//! export re-importing to the same values).

use std::io::{Cursor, Read, Write};
use std::time::{Duration, Instant};

use calamine::{Data, Reader, Xlsx};
use proptest::prelude::*;
use reqwest::StatusCode;
use serde_json::json;
use wushe_core::actor::Role;
use wushe_core::people::import::COLUMNS;
use wushe_core::people::schedule::PeopleFilter;
use wushe_core::regions::RegionCode;

use crate::harness::*;

/// A valid row in the template's column order; `i` makes the phone unique.
fn good(i: usize, community: &str) -> Vec<String> {
    [
        format!("测试{i}"),
        String::new(),
        format!("139{:08}", i),
        "1940-05-06".into(),
        format!("丽园路 {i} 号"),
        community.to_string(),
        "高龄、独居/空巢老人".into(),
        "B".into(),
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

pub fn good_row(i: usize, community: &str) -> Vec<String> {
    good(i, community)
}

pub fn set_cell(row: &mut [String], field: &str, v: &str) {
    set(row, field, v)
}

/// Rows under both heading rows, as CSV.
pub fn csv_of(rows: &[Vec<String>]) -> Vec<u8> {
    csv_bytes(&with_heads(rows.to_vec()))
}

fn with_heads(rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    let mut g = vec![
        COLUMNS.iter().map(|c| c.zh.to_string()).collect(),
        COLUMNS.iter().map(|c| c.en.to_string()).collect(),
    ];
    g.extend(rows);
    g
}

fn csv_bytes(grid: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in grid {
        w.write_record(r).expect("row");
    }
    w.into_inner().expect("csv")
}

fn xlsx_bytes(grid: &[Vec<String>]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (i, r) in grid.iter().enumerate() {
        for (j, v) in r.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(i as u32, j as u16, v).expect("cell");
            }
        }
    }
    wb.save_to_buffer().expect("xlsx")
}

/// POST the file as the browser's upload form does (multipart, `_csrf` first).
async fn upload_with(
    c: &mut TestClient,
    csrf: Option<&str>,
    name: &str,
    bytes: &[u8],
) -> reqwest::Response {
    c.get("/people/import").await;
    let boundary = "----wushe-test-boundary-7d1f";
    let mut body = Vec::new();
    if let Some(t) = csrf {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{t}\r\n"
        )
        .expect("w");
    }
    write!(
        body,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .expect("w");
    body.extend_from_slice(bytes);
    write!(body, "\r\n--{boundary}--\r\n").expect("w");
    c.http
        .post(c.url("/people/import"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("upload")
}

/// Upload, follow to the job page and wait until the job stops running; the job's path.
async fn upload(c: &mut TestClient, name: &str, bytes: &[u8]) -> String {
    let csrf = {
        c.get("/people/import").await;
        c.csrf.clone()
    };
    let res = upload_with(c, Some(&csrf), name, bytes).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", text(res).await);
    let job = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(job.starts_with("/people/import/"));
    wait(c, &job).await;
    job
}

/// Poll the status as the page's script does; returns the largest `done` seen.
async fn wait(c: &mut TestClient, job: &str) -> u64 {
    let start = Instant::now();
    let mut seen = 0;
    loop {
        let (status, s) = c.get_json(&format!("{job}/status")).await;
        assert_eq!(status, StatusCode::OK, "{s}");
        seen = seen.max(s["done"].as_u64().unwrap_or(0));
        if s["running"] == json!(false) {
            return seen;
        }
        assert!(
            start.elapsed() < Duration::from_secs(240),
            "the job never finished: {s}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn people_in(app: &TestApp, prefix: &str) -> usize {
    app.state
        .store
        .list_people(
            &[RegionCode(prefix.into())],
            &PeopleFilter {
                limit: 100_000,
                include_closed: true,
                ..PeopleFilter::default()
            },
        )
        .await
        .expect("list")
        .len()
}

async fn audit_actions(app: &TestApp) -> Vec<(String, String)> {
    app.state
        .store
        .audit_page(0, 100_000)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| (e.action, e.record_ids))
        .collect()
}

#[tokio::test]
async fn a_gbk_csv_with_bad_rows_names_them_writes_nothing_and_the_fixed_file_imports_once() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::CommitteeStaff, WULIQIAO).await;

    // The template downloads with both heading rows and text-formatted columns.
    let res = c.get("/people/import/template.xlsx").await;
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.expect("bytes").to_vec();
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.clone())).expect("xlsx");
    let first = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&first).expect("sheet");
    assert_eq!(
        range.get_value((0, 1)),
        Some(&Data::String("身份证号".into()))
    );
    assert_eq!(
        range.get_value((1, 1)),
        Some(&Data::String("ID number".into()))
    );
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    let mut sheet = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .expect("sheet1")
        .read_to_string(&mut sheet)
        .expect("read");
    assert!(
        sheet.contains("<dataValidation") && sheet.contains("低保") && sheet.contains("\"A,B,C\""),
        "drop-down lists for categories and care levels"
    );

    let mut rows = vec![good(1, QIAOYI), good(2, QIAOER), good(3, QIAOYI)];
    set(&mut rows[1], "id_number", "3.10101E+17");
    set(&mut rows[2], "region", DAPUQIAO_COMMUNITY);
    let text_csv = String::from_utf8(csv_bytes(&with_heads(rows.clone()))).expect("utf8");
    let (gbk, _, _) = encoding_rs::GB18030.encode(&text_csv);
    let job = upload(&mut c, "名单.csv", &gbk).await;
    let page = text(c.get(&job).await).await;
    assert!(page.contains("没有导入任何人"), "{page}");
    assert!(page.contains("第 4 行"));
    assert!(
        page.contains("科学计数法"),
        "the mangled ID has its own message"
    );
    assert!(
        page.contains("不在您负责的范围内"),
        "row 5 is outside the scope"
    );
    assert!(page.contains("身份证号") && page.contains("社区代码"));
    assert!(!page.contains("确认导入"), "no import button with errors");
    let res = c.post_form(&format!("{job}/commit"), &[]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(people_in(&app, HUANGPU).await, 0, "nothing written");

    // Fixed: the two good rows plus a duplicate phone (a warning that needs confirming).
    set(&mut rows[1], "id_number", "");
    set(&mut rows[2], "region", QIAOYI);
    set(&mut rows[2], "phone", "13900000001");
    let job = upload(&mut c, "名单.csv", &csv_bytes(&with_heads(rows))).await;
    let page = text(c.get(&job).await).await;
    assert!(page.contains("与第 3 行的电话相同"), "{page}");
    let res = c.post_form(&format!("{job}/commit"), &[]).await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "must confirm"
    );
    assert_eq!(people_in(&app, HUANGPU).await, 0);
    let res = c
        .post_form(&format!("{job}/commit"), &[("duplicates_checked", "on")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    wait(&mut c, &job).await;
    let page = text(c.get(&job).await).await;
    assert!(page.contains("导入完成"), "{page}");
    assert_eq!(people_in(&app, HUANGPU).await, 3, "both kept, never merged");
    // A second commit of the same job imports nothing more.
    let res = c
        .post_form(&format!("{job}/commit"), &[("duplicates_checked", "on")])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(people_in(&app, HUANGPU).await, 3);

    let audit = audit_actions(&app).await;
    let imports: Vec<_> = audit
        .iter()
        .filter(|(a, _)| a == "people_imported")
        .collect();
    assert_eq!(imports.len(), 1, "one audit entry per import");
    assert!(imports[0].1.contains("count:3") && imports[0].1.contains("file:"));

    // Sealed like any other record: the imported people open through the registry.
    let list = text(c.get("/people").await).await;
    assert!(list.contains("测**"), "masked: {list}");
    assert!(!list.contains("测试1"), "full names are not listed");
}

#[tokio::test]
async fn ten_thousand_rows_with_one_defect_each_write_nothing_and_every_row_is_reported() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::Supervisor, WULIQIAO).await;
    let defects: [(&str, &str); 12] = [
        ("name", ""),
        ("id_number", "110105194912310021"),
        ("id_number", "1.10105E+17"),
        ("phone", "12345"),
        ("birth_date", "2099-01-01"),
        ("address", ""),
        ("region", "310101020"),
        ("categories", "外星人"),
        ("care_level", "D"),
        ("basis", "因为"),
        ("sensitive_consent", "也许"),
        ("region", "310104003001"),
    ];
    let rows: Vec<Vec<String>> = (0..10_000)
        .map(|i| {
            let mut r = good(i, QIAOYI);
            let (f, v) = defects[i % defects.len()];
            set(&mut r, f, v);
            r
        })
        .collect();
    let job = upload(&mut c, "bad.xlsx", &xlsx_bytes(&with_heads(rows))).await;
    let page = text(c.get(&job).await).await;
    assert!(page.contains("没有导入任何人"));
    let report = text(c.get(&format!("{job}/report.csv")).await).await;
    let mut named: Vec<usize> = report
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next()?.parse().ok())
        .collect();
    named.dedup();
    assert_eq!(named.len(), 10_000, "every row is named");
    assert_eq!(named[0], 3);
    assert_eq!(named[9_999], 10_002);
    let res = c.post_form(&format!("{job}/commit"), &[]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(people_in(&app, HUANGPU).await, 0);
}

#[tokio::test]
async fn one_bad_row_among_9999_writes_nothing_and_the_good_10000_import_with_progress() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::CommitteeStaff, WULIQIAO).await;
    let mut rows: Vec<Vec<String>> = (0..10_000)
        .map(|i| good(i, if i % 2 == 0 { QIAOYI } else { QIAOER }))
        .collect();
    set(&mut rows[6_000], "basis_date", "2099-01-01");
    let job = upload(&mut c, "big.csv", &csv_bytes(&with_heads(rows.clone()))).await;
    let page = text(c.get(&job).await).await;
    assert!(page.contains("没有导入任何人"), "{page}");
    assert!(
        page.contains("6003"),
        "the bad row by its spreadsheet number"
    );
    assert_eq!(people_in(&app, HUANGPU).await, 0);

    set(&mut rows[6_000], "basis_date", "2026-04-03");
    let job = upload(&mut c, "big.csv", &csv_bytes(&with_heads(rows))).await;
    let page = text(c.get(&job).await).await;
    assert!(page.contains("确认导入"), "{page}");
    let res = c.post_form(&format!("{job}/commit"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // While it runs, the page shows a progress bar fed by the status poll.
    let running = text(c.get(&job).await).await;
    if running.contains("<progress") {
        assert!(running.contains("/static/import.js") && running.contains("aria-live"));
    }
    let seen = wait(&mut c, &job).await;
    assert!(seen > 0);
    assert!(text(c.get(&job).await).await.contains("10000"));
    assert_eq!(people_in(&app, HUANGPU).await, 10_000);
}

/// A real XLSX whose sheet XML is replaced.
fn xlsx_with_sheet(sheet_xml: &str) -> Vec<u8> {
    let base = xlsx_bytes(&with_heads(vec![good(1, QIAOYI)]));
    let mut zin = zip::ZipArchive::new(Cursor::new(base)).expect("zip");
    let mut out = Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for i in 0..zin.len() {
            let mut f = zin.by_index(i).expect("entry");
            let name = f.name().expect("name").to_string();
            let mut data = Vec::new();
            f.read_to_end(&mut data).expect("read");
            if name == "xl/worksheets/sheet1.xml" {
                data = sheet_xml.as_bytes().to_vec();
            }
            w.start_file(name, o).expect("start");
            w.write_all(&data).expect("write");
        }
        w.finish().expect("finish");
    }
    out.into_inner()
}

#[tokio::test]
async fn hostile_files_are_refused_fast_and_uploads_need_the_csrf_token() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::CommitteeStaff, WULIQIAO).await;
    let ns = "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"";
    let huge_dim = format!(
        "<?xml version=\"1.0\"?><worksheet {ns}><dimension ref=\"A1:XFD1048576\"/><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>姓名</t></is></c></row></sheetData></worksheet>"
    );
    let far_cell = format!(
        "<?xml version=\"1.0\"?><worksheet {ns}><sheetData><row r=\"1048576\"><c r=\"XFD1048576\" t=\"inlineStr\"><is><t>x</t></is></c></row></sheetData></worksheet>"
    );
    // 30 MB of one character inside a comment: inflates far beyond any real sheet's ratio.
    let mut padding = String::with_capacity(30_000_100);
    padding.push_str(&format!(
        "<?xml version=\"1.0\"?><worksheet {ns}><sheetData><!--"
    ));
    padding.push_str(&"0".repeat(30_000_000));
    padding.push_str("--></sheetData></worksheet>");
    let bomb = xlsx_with_sheet(&padding);
    drop(padding);
    for (name, bytes, says) in [
        ("dim.xlsx", xlsx_with_sheet(&huge_dim), "行数太多"),
        ("far.xlsx", xlsx_with_sheet(&far_cell), "太多"),
        ("bomb.xlsx", bomb, "解压后过大"),
        (
            "junk.xlsx",
            b"PK\x03\x04not a zip at all".to_vec(),
            "无法读取",
        ),
    ] {
        let start = Instant::now();
        let job = upload(&mut c, name, &bytes).await;
        let page = text(c.get(&job).await).await;
        assert!(page.contains(says), "{name}: {page}");
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{name} took {:?}",
            start.elapsed()
        );
    }
    // Over the size limit: refused while reading the upload.
    let csrf = c.csrf.clone();
    let res = upload_with(
        &mut c,
        Some(&csrf),
        "big.csv",
        &vec![b'a'; 11 * 1024 * 1024],
    )
    .await;
    assert!(
        res.status() == StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        res.status()
    );
    // Without the token, or with a wrong one: refused before the file is read.
    let res = upload_with(&mut c, None, "x.csv", b"a,b\n").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = upload_with(
        &mut c,
        Some("wrong-token-wrong-token-wrong-token"),
        "x.csv",
        b"a\n",
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Multipart is accepted on the upload route only.
    let res = c
        .http
        .post(c.url("/people"))
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x--\r\n")
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(people_in(&app, HUANGPU).await, 0);
}

#[tokio::test]
async fn people_already_in_the_registry_are_warned_of_in_every_batch_of_lookups() {
    let app = TestApp::spawn().await;
    let mut c = app.login_as(Role::CommitteeStaff, WULIQIAO).await;
    let first: Vec<_> = (1..=3).map(|i| good(i, QIAOYI)).collect();
    let job = upload(&mut c, "a.csv", &csv_of(&first)).await;
    let res = c.post_form(&format!("{job}/commit"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    wait(&mut c, &job).await;
    assert_eq!(people_in(&app, HUANGPU).await, 3);

    // 1,200 new rows, looked up in three batches: the first row has the phone of registry
    // person 1, the last one that of person 3 (data rows start at row 3, under the headings).
    let mut rows: Vec<_> = (1001..2201).map(|i| good(i, QIAOYI)).collect();
    set(&mut rows[0], "phone", "13900000001");
    set(&mut rows[1199], "phone", "13900000003");
    let job = upload(&mut c, "b.csv", &csv_of(&rows)).await;
    let page = text(c.get(&job).await).await;
    let said =
        |row: usize| format!("第 {row} 行</span> <strong>电话</strong>：登记册中已有电话相同的人");
    assert!(page.contains(&said(3)), "the first batch's match: {page}");
    assert!(page.contains(&said(1202)), "the last batch's match");
    assert_eq!(
        page.matches("登记册中已有电话相同的人").count(),
        2,
        "nobody else"
    );
    assert!(
        !page.contains("测试1<") && !page.contains("测试3<"),
        "names are masked"
    );
}

#[tokio::test]
async fn import_is_its_own_permission_and_a_job_is_seen_only_by_its_uploader() {
    let app = TestApp::spawn().await;
    let mut sw = app.login_as(Role::SocialWorker, WULIQIAO).await;
    assert_eq!(
        sw.get("/people/import").await.status(),
        StatusCode::FORBIDDEN
    );
    let mut c = app.login_as(Role::CommitteeStaff, WULIQIAO).await;
    let job = upload(
        &mut c,
        "a.csv",
        &csv_bytes(&with_heads(vec![good(1, QIAOYI)])),
    )
    .await;
    let mut other = app.login_as(Role::CommitteeStaff, WULIQIAO).await;
    let page = other.get(&job).await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let text = page.text().await.expect("page");
    assert!(text.contains("请重新上传文件"), "says what to do: {text}");
    assert!(!text.contains("a.csv"), "nothing of the job shows");
    assert_eq!(
        other
            .post_form(&format!("{job}/commit"), &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(people_in(&app, HUANGPU).await, 0);
}

fn read_xlsx(bytes: &[u8]) -> (Vec<Vec<Data>>, usize) {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).expect("xlsx");
    let first = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&first).expect("sheet");
    let formulas = wb.worksheet_formula(&first).expect("formulas");
    let n = formulas
        .used_cells()
        .filter(|(_, _, f)| !f.is_empty())
        .count();
    (range.rows().map(|r| r.to_vec()).collect(), n)
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("not a string cell: {other:?}"),
    }
}

async fn import_rows(c: &mut TestClient, rows: Vec<Vec<String>>) {
    let job = upload(c, "p.xlsx", &xlsx_bytes(&with_heads(rows))).await;
    let res = c
        .post_form(&format!("{job}/commit"), &[("duplicates_checked", "on")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", text(res).await);
    wait(c, &job).await;
}

#[tokio::test]
async fn exports_are_masked_scoped_neutralised_and_a_full_export_reimports_to_the_same_values() {
    let app = TestApp::spawn().await;
    let mut admin = app.login_as(Role::Admin, HUANGPU).await;
    let mut mine = good(1, QIAOYI);
    set(&mut mine, "name", "=HYPERLINK(\"http://x\",\"点我\")");
    set(&mut mine, "id_number", "11010519491231002X");
    set(&mut mine, "birth_date", "");
    set(&mut mine, "health_notes", "+1 每日服药；@夜间");
    set(&mut mine, "contact_relation", "－女儿");
    let mut canary_sibling = good(2, QIAOER);
    set(&mut canary_sibling, "name", "CANARYSIBLING");
    let mut canary_street = good(3, DAPUQIAO_COMMUNITY);
    set(&mut canary_street, "name", "CANARYSTREET");
    import_rows(
        &mut admin,
        vec![mine.clone(), canary_sibling, canary_street],
    )
    .await;

    // A committee worker of one community: only that community, masked by default.
    let mut c = app.login_as(Role::CommitteeStaff, QIAOYI).await;
    let res = c.get("/exports/people/xlsx").await;
    assert_eq!(res.status(), StatusCode::OK);
    let (rows, formulas) = read_xlsx(&res.bytes().await.expect("b"));
    assert_eq!(formulas, 0);
    assert_eq!(rows.len(), 3, "two heading rows and one person");
    let flat: Vec<String> = rows.iter().flatten().map(cell_text).collect();
    assert!(!flat.iter().any(|v| v.contains("CANARY")));
    assert!(!flat.iter().any(|v| v.contains("HYPERLINK")), "masked name");
    assert!(
        !flat.iter().any(|v| v.contains("13900000001")),
        "masked phone"
    );
    let csv = text(c.get("/exports/people/csv").await).await;
    assert!(!csv.contains("CANARY") && !csv.contains("13900000001"));

    // Full: a reason is required, and the export is audited before it is built.
    let res = c.post_form("/exports/people/xlsx", &[("reason", "")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = c
        .post_form("/exports/people/xlsx", &[("reason", "街道年度核对名单")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let full = res.bytes().await.expect("b").to_vec();
    let (rows, formulas) = read_xlsx(&full);
    assert_eq!(formulas, 0, "no formula cells");
    assert_eq!(rows.len(), 3);
    let name_col = 1;
    assert_eq!(
        rows[2][name_col],
        Data::String("'=HYPERLINK(\"http://x\",\"点我\")".into()),
        "a string cell, neutralised"
    );
    let flat: Vec<String> = rows.iter().flatten().map(cell_text).collect();
    assert!(!flat.iter().any(|v| v.contains("CANARY")));
    assert!(flat.contains(&"'+1 每日服药；@夜间".to_string()));
    assert!(flat.contains(&"'－女儿".to_string()));
    let csv_full = text(
        c.post_form("/exports/people/csv", &[("reason", "街道年度核对名单")])
            .await,
    )
    .await;
    assert!(csv_full.contains("'=HYPERLINK") && !csv_full.contains("CANARY"));
    let audit = audit_actions(&app).await;
    assert!(
        audit
            .iter()
            .any(|(a, ids)| a == "list_exported_full" && ids.contains("rows:1"))
    );
    assert!(audit.iter().any(|(a, _)| a == "list_exported"));
    assert!(
        audit
            .iter()
            .any(|(a, ids)| a == "sensitive_revealed" && ids.contains("people.export"))
    );

    // A social worker may not export in full.
    let mut sw = app.login_as(Role::SocialWorker, QIAOYI).await;
    let res = sw
        .post_form("/exports/people/xlsx", &[("reason", "街道年度核对名单")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A volunteer exports nothing at all.
    let mut v = app.login_as(Role::Volunteer, QIAOYI).await;
    assert_eq!(
        v.get("/exports/people/csv").await.status(),
        StatusCode::FORBIDDEN
    );

    // The full export re-imports, in another installation, to the same values.
    let other = TestApp::spawn().await;
    let mut c2 = other.login_as(Role::CommitteeStaff, QIAOYI).await;
    let job = upload(&mut c2, "export.xlsx", &full).await;
    let page = text(c2.get(&job).await).await;
    assert!(page.contains("确认导入"), "{page}");
    c2.post_form(&format!("{job}/commit"), &[]).await;
    wait(&mut c2, &job).await;
    let again = c2
        .post_form("/exports/people/xlsx", &[("reason", "核对导入结果")])
        .await
        .bytes()
        .await
        .expect("b")
        .to_vec();
    let (rows2, _) = read_xlsx(&again);
    let strip_id =
        |rows: &[Vec<Data>]| -> Vec<Vec<Data>> { rows.iter().map(|r| r[1..].to_vec()).collect() };
    assert_eq!(
        strip_id(&rows),
        strip_id(&rows2),
        "same values after a round trip"
    );

    // Needs and checks export too, masked by default.
    let res = c.get("/exports/needs/csv").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(text(res).await.contains("编号"));
    let res = c.get("/exports/checks/xlsx").await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = text(c.get("/exports").await).await;
    assert!(page.contains("完整导出") && page.contains("探访记录"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Any text, however it starts, comes out of an XLSX export as a string cell (never a
    /// formula) that does not start with a formula character, and restores exactly.
    #[test]
    fn exported_cells_are_never_formulas(
        cells in proptest::collection::vec(
            prop_oneof![
                "\\PC{0,16}",
                "[=+\\-@＝＋－＠\t\r'][A-Za-z(\",)0-9]{0,12}",
                Just("=HYPERLINK(\"http://x\",\"点我\")".to_string()),
            ],
            1..8,
        )
    ) {
        let t = wushe_core::export::Table {
            list: wushe_core::export::List::People,
            heads: vec![("a", "a"); cells.len()],
            rows: vec![cells.clone()],
        };
        let bytes = wushe_app::sheets::table_xlsx(&t).expect("xlsx");
        let (rows, formulas) = read_xlsx(&bytes);
        prop_assert_eq!(formulas, 0);
        for (j, v) in cells.iter().enumerate() {
            let got = rows.get(2).and_then(|r| r.get(j)).cloned().unwrap_or(Data::Empty);
            let s = match got {
                Data::String(s) => s,
                Data::Empty => String::new(),
                other => return Err(TestCaseError::fail(format!("{other:?}"))),
            };
            let first = s.chars().next();
            prop_assert!(first.is_none_or(|c| !"=+-@＝＋－＠".contains(c) && !c.is_control()));
            prop_assert_eq!(wushe_core::sheet::restore_cell(&s), v.as_str());
        }
        let csv = wushe_core::export::to_csv(&t).expect("csv");
        let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&csv[3..]);
        let rec: Vec<csv::StringRecord> = r.records().map(|x| x.expect("rec")).collect();
        for (j, v) in cells.iter().enumerate() {
            let s = rec[2].get(j).unwrap_or("");
            prop_assert!(s.chars().next().is_none_or(|c| !"=+-@＝＋－＠".contains(c) && !c.is_control()));
            prop_assert_eq!(wushe_core::sheet::restore_cell(s), v.as_str());
        }
    }

    /// The upload reader never panics on XLSX bytes built from random sheets.
    #[test]
    fn the_xlsx_reader_never_panics_on_random_sheets(
        xml in "\\PC{0,200}",
        cells in proptest::collection::vec(proptest::collection::vec("\\PC{0,10}", 0..5), 0..6),
    ) {
        let limits = wushe_core::sheet::Limits::default();
        let _ = wushe_core::sheet::read(&xlsx_bytes(&cells), &limits);
        let _ = wushe_core::sheet::read(&xlsx_with_sheet(&xml), &limits);
    }
}
