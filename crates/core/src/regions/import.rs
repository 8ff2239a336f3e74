//! Validation of a division-code file (`code,name,parent_code,level`) before anything is
//! written: every bad line is reported with its number and reason.

use std::collections::HashMap;

use super::{Level, Region, RegionCode, display_name};

/// One data line as read from the file (line numbers count the header as line 1).
#[derive(Debug, Clone)]
pub struct RawRow {
    pub line: usize,
    pub code: String,
    pub name: String,
    pub parent_code: String,
    pub level: String,
}

/// Why one line was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub zh: String,
    pub en: String,
}

/// Check every row. `existing` gives (level, display name) of places already stored, so a file
/// may add communities under streets loaded before. Returns the places in parent-first order,
/// or every problem found.
pub fn validate(
    rows: &[RawRow],
    existing: &HashMap<String, (Level, String)>,
) -> Result<Vec<Region>, Vec<LineError>> {
    let mut errors = Vec::new();
    let mut err = |line: usize, zh: String, en: String| errors.push(LineError { line, zh, en });
    let mut seen: HashMap<String, (Level, String)> = HashMap::new();
    let mut out = Vec::new();
    let mut sorted: Vec<&RawRow> = rows.iter().collect();
    // Parents first: official codes are shorter than their children's.
    sorted.sort_by_key(|r| (r.code.trim().len(), r.line));
    for r in sorted {
        let code = r.code.trim();
        let name = r.name.trim();
        let Some(level) = Level::parse(r.level.trim()) else {
            err(
                r.line,
                format!("层级“{}”无效", r.level),
                format!("unknown level '{}'", r.level),
            );
            continue;
        };
        let Some(len) = level.official_code_len() else {
            err(
                r.line,
                "文件中只能有官方区划（省/市/区/街道/社区）".into(),
                "only official levels may be imported".into(),
            );
            continue;
        };
        if code.len() != len || !code.chars().all(|c| c.is_ascii_digit()) {
            err(
                r.line,
                format!("代码“{code}”应为{len}位数字"),
                format!("code '{code}' must be {len} digits"),
            );
            continue;
        }
        if name.is_empty() || name.chars().count() > 100 {
            err(
                r.line,
                "名称为空或过长".into(),
                "name is empty or too long".into(),
            );
            continue;
        }
        if seen.contains_key(code) {
            err(
                r.line,
                format!("代码“{code}”重复"),
                format!("duplicate code '{code}'"),
            );
            continue;
        }
        let parent_code = r.parent_code.trim();
        let parent = match level.official_parent() {
            None => {
                if !parent_code.is_empty() {
                    err(
                        r.line,
                        "省级区划不应有上级".into(),
                        "a province has no parent".into(),
                    );
                    continue;
                }
                None
            }
            Some(parent_level) => {
                if !code.starts_with(parent_code) || parent_code.is_empty() {
                    err(
                        r.line,
                        format!("代码“{code}”不以上级代码“{parent_code}”开头"),
                        format!(
                            "code '{code}' does not start with its parent code '{parent_code}'"
                        ),
                    );
                    continue;
                }
                match seen.get(parent_code).or_else(|| existing.get(parent_code)) {
                    Some((l, pname)) if *l == parent_level => {
                        Some((parent_code.to_string(), pname.clone()))
                    }
                    Some(_) => {
                        err(
                            r.line,
                            format!("上级“{parent_code}”层级不对"),
                            format!("parent '{parent_code}' has the wrong level"),
                        );
                        continue;
                    }
                    None => {
                        err(
                            r.line,
                            format!("上级“{parent_code}”不存在"),
                            format!("parent '{parent_code}' does not exist"),
                        );
                        continue;
                    }
                }
            }
        };
        let shown = display_name(name, level, parent.as_ref().map(|p| p.1.as_str()));
        seen.insert(code.to_string(), (level, shown.clone()));
        out.push(Region {
            code: RegionCode(code.to_string()),
            name: name.to_string(),
            display_name: shown,
            parent: parent.map(|p| RegionCode(p.0)),
            level,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: usize, code: &str, name: &str, parent: &str, level: &str) -> RawRow {
        RawRow {
            line,
            code: code.into(),
            name: name.into(),
            parent_code: parent.into(),
            level: level.into(),
        }
    }

    #[test]
    fn a_good_file_validates_parent_first_and_names_shanghai() {
        let rows = vec![
            row(2, "31", "上海市", "", "province"),
            row(4, "310101", "黄浦区", "3101", "district"),
            row(3, "3101", "市辖区", "31", "city"),
        ];
        let out = validate(&rows, &HashMap::new()).expect("valid");
        assert_eq!(out.len(), 3);
        assert_eq!(out[1].display_name, "上海市");
        assert_eq!(out[1].name, "市辖区");
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number() {
        let rows = vec![
            row(2, "31", "上海市", "", "province"),
            row(3, "3201", "南京", "31", "city"),
            row(4, "310101", "黄浦区", "3101", "district"),
            row(5, "31a", "x", "", "province"),
            row(6, "3102", "x", "31", "town"),
            row(7, "31", "again", "", "province"),
        ];
        let errs = validate(&rows, &HashMap::new()).expect_err("invalid");
        let lines: Vec<usize> = errs.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6, 7]);
    }

    #[test]
    fn parents_may_already_be_stored() {
        let mut existing = HashMap::new();
        existing.insert(
            "310101020".to_string(),
            (Level::Street, "五里桥街道".to_string()),
        );
        let rows = vec![row(
            2,
            "310101020001",
            "桥一居委会",
            "310101020",
            "community",
        )];
        assert!(validate(&rows, &existing).is_ok());
    }
}
