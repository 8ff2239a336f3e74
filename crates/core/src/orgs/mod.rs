//! Organisations of the five societies and their partners, each attached to a region,
//! with public contact details.

pub mod service;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{FieldError, FieldErrors, Result};
use crate::ids::OrgId;
use crate::regions::RegionCode;
use crate::text;

/// The kind of an organisation (DOMAIN.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Committee,
    SocialOrg,
    Station,
    VolunteerTeam,
    Charity,
    Provider,
    Government,
}

impl OrgKind {
    pub const ALL: [OrgKind; 7] = [
        OrgKind::Committee,
        OrgKind::SocialOrg,
        OrgKind::Station,
        OrgKind::VolunteerTeam,
        OrgKind::Charity,
        OrgKind::Provider,
        OrgKind::Government,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Committee => "committee",
            OrgKind::SocialOrg => "social_org",
            OrgKind::Station => "station",
            OrgKind::VolunteerTeam => "volunteer_team",
            OrgKind::Charity => "charity",
            OrgKind::Provider => "provider",
            OrgKind::Government => "government",
        }
    }

    pub fn parse(s: &str) -> Option<OrgKind> {
        OrgKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            OrgKind::Committee => "社区两委/居委会",
            OrgKind::SocialOrg => "社会组织/社工机构",
            OrgKind::Station => "社工站",
            OrgKind::VolunteerTeam => "志愿服务组织",
            OrgKind::Charity => "慈善组织/基金会",
            OrgKind::Provider => "资源方",
            OrgKind::Government => "政府部门",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            OrgKind::Committee => "Community committee",
            OrgKind::SocialOrg => "Social organisation",
            OrgKind::Station => "Social-work station",
            OrgKind::VolunteerTeam => "Volunteer team",
            OrgKind::Charity => "Charity",
            OrgKind::Provider => "Resource provider",
            OrgKind::Government => "Government",
        }
    }
}

/// A stored organisation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Org {
    pub id: OrgId,
    pub name: String,
    pub kind: OrgKind,
    pub region: RegionCode,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub description: Option<String>,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Parsed fields for creating or editing an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgInput {
    pub name: String,
    pub kind: OrgKind,
    pub region: RegionCode,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub description: Option<String>,
}

/// The fields as typed into a form or sent as JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OrgForm {
    pub name: String,
    pub kind: String,
    pub region: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub description: String,
}

impl OrgForm {
    /// Parse every field, collecting every problem.
    pub fn parse(&self) -> Result<OrgInput> {
        let mut e = FieldErrors::default();
        let name = e.take(text::required("name", &self.name, 80));
        let kind = e.take(OrgKind::parse(self.kind.trim()).ok_or(FieldError {
            field: "kind",
            zh: "请选择机构类型".into(),
            en: "Choose the kind of organisation".into(),
        }));
        let region = e.take(RegionCode::parse(&self.region));
        let phone = e.take(public_phone(&self.phone));
        let address = e.take(text::optional("address", &self.address, 120));
        let description = e.take(text::optional("description", &self.description, 500));
        e.into_result()?;
        match (name, kind, region, phone, address, description) {
            (
                Some(name),
                Some(kind),
                Some(region),
                Some(phone),
                Some(address),
                Some(description),
            ) => Ok(OrgInput {
                name,
                kind,
                region,
                phone,
                address,
                description,
            }),
            _ => Err(crate::Error::internal("parsed fields missing")),
        }
    }
}

/// A public contact number: digits with optional `-`, `+`, spaces; 5 to 20 characters.
fn public_phone(raw: &str) -> std::result::Result<Option<String>, FieldError> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let digits = v.chars().filter(|c| c.is_ascii_digit()).count();
    if (5..=20).contains(&v.len())
        && digits >= 5
        && v.chars().all(|c| c.is_ascii_digit() || "+- ".contains(c))
    {
        Ok(Some(v.to_string()))
    } else {
        Err(FieldError {
            field: "phone",
            zh: "请输入电话号码，例如 021-63011234 或 13812345678".into(),
            en: "Enter a phone number, e.g. 021-63011234 or 13812345678".into(),
        })
    }
}

/// Directory search.
#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    pub kind: Option<OrgKind>,
    /// Only organisations inside this region.
    pub region: Option<RegionCode>,
    /// Name contains.
    pub query: Option<String>,
    pub limit: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_org_form_reports_every_bad_field() {
        let f = OrgForm {
            name: " ".into(),
            kind: "bank".into(),
            region: "x".into(),
            phone: "call me".into(),
            ..Default::default()
        };
        let Err(crate::Error::Invalid(e)) = f.parse() else {
            panic!("expected invalid")
        };
        let fields: Vec<&str> = e.0.iter().map(|x| x.field).collect();
        assert_eq!(fields, vec!["name", "kind", "region", "phone"]);
    }

    #[test]
    fn a_good_org_form_parses() {
        let f = OrgForm {
            name: "五里桥社工服务社".into(),
            kind: "social_org".into(),
            region: "310101020".into(),
            phone: "021-6301 1234".into(),
            ..Default::default()
        };
        let o = f.parse().expect("valid");
        assert_eq!(o.kind, OrgKind::SocialOrg);
        assert_eq!(o.address, None);
    }
}
