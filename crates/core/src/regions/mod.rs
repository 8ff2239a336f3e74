//! Places: the official division tree (province › city › district › street › community)
//! and, below a community, the grids and buildings staff add. A place's code starts with
//! its parent's code, so "inside a region" is a prefix test everywhere.

pub mod import;
pub mod service;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// A place code: official division digits, plus `G`/`B` segments for grids and buildings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RegionCode(pub String);

impl RegionCode {
    /// An official code (2, 4, 6, 9 or 12 digits), optionally followed by a grid segment
    /// `G` + 2 digits and then a building segment `B` + 3 digits. Fixed-width segments keep
    /// "inside a region" a plain prefix test: `…G10` can never be a prefix of another grid.
    pub fn parse(raw: &str) -> Result<RegionCode, FieldError> {
        let s = raw.trim();
        if well_formed(s) {
            Ok(RegionCode(s.to_string()))
        } else {
            Err(FieldError {
                field: "region",
                zh: "地区代码无效，应为统计用区划代码，例如 310101020001".into(),
                en: "Invalid region code; use a statistical division code such as 310101020001"
                    .into(),
            })
        }
    }

    /// The code of the `n`-th (from 1) grid or building directly below this place, or `None`
    /// when the parent is full (99 grids, 999 buildings) or `level` is not grid or building.
    pub fn child_code(&self, level: Level, n: i64) -> Option<RegionCode> {
        let code = match level {
            Level::Grid if (1..=99).contains(&n) => format!("{}G{n:02}", self.0),
            Level::Building if (1..=999).contains(&n) => format!("{}B{n:03}", self.0),
            _ => return None,
        };
        well_formed(&code).then_some(RegionCode(code))
    }

    /// Is `other` this region or inside it?
    pub fn covers(&self, other: &RegionCode) -> bool {
        other.0.starts_with(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn well_formed(s: &str) -> bool {
    let official = s.find(['G', 'B']).unwrap_or(s.len());
    let (digits, mut rest) = s.split_at(official);
    if ![2, 4, 6, 9, 12].contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let segment = |rest: &str, letter: char, width: usize| -> Option<usize> {
        let tail = rest.strip_prefix(letter)?;
        (tail.len() >= width && tail.as_bytes()[..width].iter().all(u8::is_ascii_digit))
            .then_some(1 + width)
    };
    if !rest.is_empty() && digits.len() != 12 {
        return false;
    }
    if let Some(n) = segment(rest, 'G', 2) {
        rest = &rest[n..];
    }
    if let Some(n) = segment(rest, 'B', 3) {
        rest = &rest[n..];
    }
    rest.is_empty()
}

impl std::fmt::Display for RegionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The level of a place in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Province,
    City,
    District,
    Street,
    Community,
    Grid,
    Building,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::City => "city",
            Level::District => "district",
            Level::Street => "street",
            Level::Community => "community",
            Level::Grid => "grid",
            Level::Building => "building",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        [
            Level::Province,
            Level::City,
            Level::District,
            Level::Street,
            Level::Community,
            Level::Grid,
            Level::Building,
        ]
        .into_iter()
        .find(|l| l.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            Level::Province => "省级",
            Level::City => "市",
            Level::District => "区/县",
            Level::Street => "街道/镇",
            Level::Community => "社区/村",
            Level::Grid => "网格",
            Level::Building => "楼栋",
        }
    }

    /// Length of an official code at this level (grids and buildings are not official).
    pub fn official_code_len(self) -> Option<usize> {
        match self {
            Level::Province => Some(2),
            Level::City => Some(4),
            Level::District => Some(6),
            Level::Street => Some(9),
            Level::Community => Some(12),
            Level::Grid | Level::Building => None,
        }
    }

    /// The level an official parent must have.
    pub fn official_parent(self) -> Option<Level> {
        match self {
            Level::Province => None,
            Level::City => Some(Level::Province),
            Level::District => Some(Level::City),
            Level::Street => Some(Level::District),
            Level::Community => Some(Level::Street),
            Level::Grid => Some(Level::Community),
            Level::Building => Some(Level::Grid),
        }
    }
}

/// One place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub code: RegionCode,
    /// The official name (Shanghai's city row keeps 市辖区 here).
    pub name: String,
    /// The name people see: 市辖区 placeholder rows show as their province-level city.
    pub display_name: String,
    pub parent: Option<RegionCode>,
    pub level: Level,
}

/// Name to show for a place: the placeholder city row 市辖区 (and 县) shows as its parent.
pub fn display_name(name: &str, level: Level, parent_name: Option<&str>) -> String {
    match (level, parent_name) {
        (Level::City, Some(p)) if name == "市辖区" || name == "县" => p.to_string(),
        _ => name.to_string(),
    }
}

/// A grid or building to add below a community.
#[derive(Debug, Clone)]
pub struct NewPlace {
    pub parent: RegionCode,
    pub level: Level,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_nest_by_prefix() {
        let street = RegionCode::parse("310101020").expect("street");
        let community = RegionCode::parse("310101020001").expect("community");
        let grid = RegionCode::parse("310101020001G01").expect("grid");
        assert!(street.covers(&community));
        assert!(street.covers(&grid));
        assert!(!community.covers(&street));
    }

    #[test]
    fn grid_and_building_codes_have_fixed_width_and_a_capacity() {
        let community = RegionCode::parse("310101020001").expect("community");
        let grid = community.child_code(Level::Grid, 10).expect("grid 10");
        assert_eq!(grid.0, "310101020001G10");
        assert_eq!(
            community.child_code(Level::Grid, 100),
            None,
            "a community holds at most 99 grids"
        );
        let building = grid.child_code(Level::Building, 7).expect("building");
        assert_eq!(building.0, "310101020001G10B007");
        assert_eq!(grid.child_code(Level::Building, 1000), None);
        assert_eq!(
            building.child_code(Level::Grid, 1),
            None,
            "no grid below a building"
        );
        assert!(
            RegionCode::parse("310101020001G100").is_err(),
            "so …G10 is never a prefix of another grid"
        );
    }

    #[test]
    fn codes_refuse_letters_and_wildcards() {
        for bad in [
            "",
            "3",
            "31%",
            "31_",
            "abc",
            "31 01",
            "G1",
            "310",
            "3101010200",
            "310101020G01",
            "310101020001G1",
            "310101020001G100",
            "310101020001B01",
            "310101020001B001G01",
            "310101020001X01",
        ] {
            assert!(RegionCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_placeholder_city_row_shows_as_shanghai() {
        assert_eq!(
            display_name("市辖区", Level::City, Some("上海市")),
            "上海市"
        );
        assert_eq!(
            display_name("随州市", Level::City, Some("湖北省")),
            "随州市"
        );
        assert_eq!(display_name("市辖区", Level::District, Some("x")), "市辖区");
    }
}
