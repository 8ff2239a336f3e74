//! Forms of the volunteer module, parsed field by field with bilingual messages: an
//! individual's sign-up to a call-up, a new call-up, a post, shifts, a profile.

use serde::Deserialize;
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use super::booking::Window;
use super::record::{Campaign, CampaignRole};
use super::{Availability, PostKind, parse_availability, parse_skills};
use crate::dispatch::Skills;
use crate::error::{Error, FieldError, FieldErrors, Result};
use crate::needs::intake::mobile;
use crate::regions::RegionCode;
use crate::text;

/// Beijing time, in which forms are typed.
pub const CHINA: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

fn err(field: &'static str, zh: &str, en: &str) -> FieldError {
    FieldError {
        field,
        zh: zh.into(),
        en: en.into(),
    }
}

/// The sign-up form as typed (multi-value fields come as lists).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SignupForm {
    pub role: String,
    pub name: String,
    pub mobile: String,
    pub age: String,
    pub skills: Vec<String>,
    pub availability: Vec<String>,
    pub home_community: String,
    pub privacy_consent: bool,
}

/// A parsed sign-up (personal fields still plain: the service seals them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignupInput {
    pub role: String,
    pub name: String,
    pub mobile: String,
    pub age: i32,
    pub skills: Skills,
    pub availability: Vec<Availability>,
    pub home_community: RegionCode,
}

fn community(field: &'static str, raw: &str) -> std::result::Result<RegionCode, FieldError> {
    let v = raw.trim();
    if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
        RegionCode::parse(v).map_err(|mut f| {
            f.field = field;
            f
        })
    } else {
        Err(err(
            field,
            "请选择所在社区（12位社区代码）",
            "Choose your community (12-digit code)",
        ))
    }
}

impl SignupForm {
    /// Parse against the call-up's roles and age range.
    pub fn parse(&self, c: &Campaign) -> Result<SignupInput> {
        let mut e = FieldErrors::default();
        let role = e.take(
            c.roles
                .iter()
                .find(|r| r.name == self.role.trim())
                .map(|r| r.name.clone())
                .ok_or_else(|| {
                    err(
                        "role",
                        "请选择报名的岗位",
                        "Choose the role you sign up for",
                    )
                }),
        );
        let name = e.take(text::required("name", &self.name, 40));
        let mobile = e.take(mobile(&self.mobile));
        let age = e.take(match self.age.trim().parse::<i32>() {
            Ok(a) if (16..=90).contains(&a) => Ok(a),
            _ => Err(err(
                "age",
                "请填写年龄（16到90岁）",
                "Enter your age (16 to 90)",
            )),
        });
        if let Some(a) = age {
            let below = c.min_age.is_some_and(|m| a < m);
            let above = c.max_age.is_some_and(|m| a > m);
            if below || above {
                e.0.push(FieldError {
                    field: "age",
                    zh: format!(
                        "这次召集要求年龄在 {} 到 {} 岁之间",
                        c.min_age.unwrap_or(16),
                        c.max_age.unwrap_or(90)
                    ),
                    en: format!(
                        "This call-up asks for ages {} to {}",
                        c.min_age.unwrap_or(16),
                        c.max_age.unwrap_or(90)
                    ),
                });
            }
        }
        let skills = e.take(parse_skills("skills", &self.skills));
        if let (Some(r), Some(s)) = (c.roles.iter().find(|r| r.name == self.role.trim()), skills) {
            let needed = super::skills_from_str(&r.skills.join(","));
            if !s.covers(needed) {
                let names: Vec<&str> = needed.iter().map(|k| k.zh()).collect();
                let en: Vec<&str> = needed.iter().map(super::skill_en).collect();
                e.0.push(FieldError {
                    field: "skills",
                    zh: format!("这个岗位需要：{}", names.join("、")),
                    en: format!("This role needs: {}", en.join(", ")),
                });
            }
        }
        let availability = e.take(parse_availability("availability", &self.availability));
        let home = e.take(community("home_community", &self.home_community));
        if !self.privacy_consent {
            e.add(
                "privacy_consent",
                "请阅读并同意隐私说明",
                "Please read and agree to the privacy notice",
            );
        }
        e.into_result()?;
        let (
            Some(role),
            Some(name),
            Some(mobile),
            Some(age),
            Some(skills),
            Some(availability),
            Some(home_community),
        ) = (role, name, mobile, age, skills, availability, home)
        else {
            return Err(Error::internal("parsed fields missing"));
        };
        Ok(SignupInput {
            role,
            name,
            mobile,
            age,
            skills,
            availability,
            home_community,
        })
    }
}

/// A date typed as `YYYY-MM-DD`.
pub fn parse_date(field: &'static str, raw: &str) -> std::result::Result<Date, FieldError> {
    let bad = || err(field, "日期格式：2026-04-03", "Date as 2026-04-03");
    let mut p = raw.trim().split('-');
    let (Some(y), Some(m), Some(d), None) = (p.next(), p.next(), p.next(), p.next()) else {
        return Err(bad());
    };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) else {
        return Err(bad());
    };
    let month = time::Month::try_from(m).map_err(|_| bad())?;
    Date::from_calendar_date(y, month, d).map_err(|_| bad())
}

/// A time of day typed as `HH:MM`.
pub fn parse_time(field: &'static str, raw: &str) -> std::result::Result<Time, FieldError> {
    let bad = || err(field, "时间格式：08:00", "Time as 08:00");
    let (h, m) = raw.trim().split_once(':').ok_or_else(bad)?;
    let (Ok(h), Ok(m)) = (h.parse::<u8>(), m.parse::<u8>()) else {
        return Err(bad());
    };
    Time::from_hms(h, m, 0).map_err(|_| bad())
}

/// A Beijing date and time as an instant.
pub fn china_at(date: Date, time: Time) -> OffsetDateTime {
    PrimitiveDateTime::new(date, time).assume_offset(CHINA)
}

/// The new call-up form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CampaignForm {
    pub org: String,
    pub title: String,
    pub description: String,
    pub region: String,
    pub meeting_point: String,
    /// One role per line: `名称 人数 [技能,技能]`, e.g. `采样点秩序维护 20` or `送药司机 5 driver_with_vehicle`.
    pub roles: String,
    pub min_age: String,
    pub max_age: String,
    pub start_date: String,
    pub end_date: String,
}

/// A parsed call-up form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignInput {
    pub org: crate::ids::OrgId,
    pub title: String,
    pub description: String,
    pub region: RegionCode,
    pub meeting_point: String,
    pub roles: Vec<CampaignRole>,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub period: Window,
}

fn roles(raw: &str) -> std::result::Result<Vec<CampaignRole>, FieldError> {
    let bad = || {
        err(
            "roles",
            "每行一个岗位：名称 人数，例如“采样点秩序维护 20”；需要技能时在后面写技能代码",
            "One role per line: name and headcount, e.g. “Order keeping 20”; add skill codes after it if needed",
        )
    };
    let mut out = Vec::new();
    for line in raw.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let Some(n) = parts
            .iter()
            .position(|p| p.parse::<u32>().is_ok_and(|n| (1..=10_000).contains(&n)))
        else {
            return Err(bad());
        };
        if n == 0 {
            return Err(bad());
        }
        let name = text::required("roles", &parts[..n].join(" "), 40)?;
        let headcount = parts[n].parse::<u32>().map_err(|_| bad())?;
        let mut skills = Vec::new();
        for s in parts[n + 1..].iter().flat_map(|s| s.split(',')) {
            let k = super::parse_skill(s).ok_or_else(bad)?;
            skills.push(k.as_str().to_string());
        }
        if out.iter().any(|r: &CampaignRole| r.name == name) {
            return Err(bad());
        }
        out.push(CampaignRole {
            name,
            headcount,
            skills,
        });
    }
    if out.is_empty() || out.len() > 20 {
        return Err(bad());
    }
    Ok(out)
}

fn age(field: &'static str, raw: &str) -> std::result::Result<Option<i32>, FieldError> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<i32>() {
        Ok(a) if (16..=90).contains(&a) => Ok(Some(a)),
        _ => Err(err(field, "年龄请填写 16 到 90", "Age: 16 to 90")),
    }
}

impl CampaignForm {
    pub fn parse(&self) -> Result<CampaignInput> {
        let mut e = FieldErrors::default();
        let org = e.take(self.org.trim().parse().map_err(|_| {
            err(
                "org",
                "请选择发布机构",
                "Choose the publishing organisation",
            )
        }));
        let title = e.take(text::required("title", &self.title, 60));
        let description = e.take(text::required("description", &self.description, 2000));
        let region = e.take(RegionCode::parse(&self.region).map_err(|mut f| {
            f.field = "region";
            f
        }));
        let meeting_point = e.take(text::required("meeting_point", &self.meeting_point, 100));
        let roles = e.take(roles(&self.roles));
        let min_age = e.take(age("min_age", &self.min_age));
        let max_age = e.take(age("max_age", &self.max_age));
        if let (Some(Some(a)), Some(Some(b))) = (min_age, max_age)
            && a > b
        {
            e.add(
                "max_age",
                "最大年龄不能小于最小年龄",
                "The maximum age is below the minimum",
            );
        }
        let start = e.take(parse_date("start_date", &self.start_date));
        let end = e.take(parse_date("end_date", &self.end_date));
        if let (Some(s), Some(t)) = (start, end)
            && t < s
        {
            e.add(
                "end_date",
                "结束日期不能早于开始日期",
                "The end date is before the start date",
            );
        }
        e.into_result()?;
        let (
            Some(org),
            Some(title),
            Some(description),
            Some(region),
            Some(meeting_point),
            Some(roles),
            Some(min_age),
            Some(max_age),
            Some(start),
            Some(end),
        ) = (
            org,
            title,
            description,
            region,
            meeting_point,
            roles,
            min_age,
            max_age,
            start,
            end,
        )
        else {
            return Err(Error::internal("parsed fields missing"));
        };
        Ok(CampaignInput {
            org,
            title,
            description,
            region,
            meeting_point,
            roles,
            min_age,
            max_age,
            period: Window {
                start: china_at(start, Time::MIDNIGHT),
                end: china_at(end, Time::MIDNIGHT) + Duration::days(1),
            },
        })
    }
}

/// The new post form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PostForm {
    pub kind: String,
    pub name: String,
    pub region: String,
}

/// Parse a new post: kind, name, community.
pub fn parse_post(f: &PostForm) -> Result<(PostKind, String, RegionCode)> {
    let mut e = FieldErrors::default();
    let kind = e.take(
        PostKind::parse(f.kind.trim())
            .ok_or_else(|| err("kind", "请选择岗位类型", "Choose the kind of post")),
    );
    let name = e.take(text::required("name", &f.name, 60));
    let region = e.take(community("region", &f.region));
    e.into_result()?;
    match (kind, name, region) {
        (Some(k), Some(n), Some(r)) => Ok((k, n, r)),
        _ => Err(Error::internal("parsed fields missing")),
    }
}

/// The add-shifts form: one shift a day from `date` for `days` days.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShiftForm {
    pub date: String,
    pub start: String,
    pub end: String,
    pub slots: String,
    pub days: String,
}

/// Parse the add-shifts form into windows and a slot count. An end before the start means
/// the shift runs past midnight (a night shift).
pub fn parse_shifts(f: &ShiftForm) -> Result<(Vec<Window>, i32)> {
    let mut e = FieldErrors::default();
    let date = e.take(parse_date("date", &f.date));
    let start = e.take(parse_time("start", &f.start));
    let end = e.take(parse_time("end", &f.end));
    let slots = e.take(match f.slots.trim().parse::<i32>() {
        Ok(n) if (1..=500).contains(&n) => Ok(n),
        _ => Err(err(
            "slots",
            "名额请填写 1 到 500",
            "Slots: a number from 1 to 500",
        )),
    });
    let days = if f.days.trim().is_empty() {
        Some(1)
    } else {
        e.take(match f.days.trim().parse::<i64>() {
            Ok(d) if (1..=31).contains(&d) => Ok(d),
            _ => Err(err("days", "天数请填写 1 到 31", "Days: 1 to 31")),
        })
    };
    e.into_result()?;
    let (Some(date), Some(start), Some(end), Some(slots), Some(days)) =
        (date, start, end, slots, days)
    else {
        return Err(Error::internal("parsed fields missing"));
    };
    let mut out = Vec::new();
    for d in 0..days {
        let day = date + Duration::days(d);
        let s = china_at(day, start);
        let mut t = china_at(day, end);
        if t <= s {
            t += Duration::days(1);
        }
        out.push(Window { start: s, end: t });
    }
    if let Some(first) = out.first()
        && let Err(errs) = super::booking::check_new_shift(first, slots)
    {
        return Err(Error::Invalid(FieldErrors(errs)));
    }
    Ok((out, slots))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{CampaignId, OrgId, UserId};
    use crate::volunteers::record::CampaignState;

    fn campaign() -> Campaign {
        Campaign {
            id: CampaignId::new(),
            org: OrgId::new(),
            title: "t".into(),
            description: "d".into(),
            region: RegionCode::parse("310101020").expect("code"),
            meeting_point: "m".into(),
            roles: vec![
                CampaignRole {
                    name: "秩序维护".into(),
                    headcount: 10,
                    skills: vec![],
                },
                CampaignRole {
                    name: "送药司机".into(),
                    headcount: 2,
                    skills: vec!["driver_with_vehicle".into()],
                },
            ],
            min_age: Some(18),
            max_age: Some(60),
            period: Window {
                start: OffsetDateTime::UNIX_EPOCH,
                end: OffsetDateTime::UNIX_EPOCH + Duration::days(3),
            },
            state: CampaignState::Open,
            created_by: UserId::new(),
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn good() -> SignupForm {
        SignupForm {
            role: "秩序维护".into(),
            name: "周强".into(),
            mobile: "138 1234 5678".into(),
            age: "35".into(),
            skills: vec!["first_aid".into()],
            availability: vec!["weekends".into()],
            home_community: "310101020001".into(),
            privacy_consent: true,
        }
    }

    #[test]
    fn a_good_signup_parses() {
        let s = good().parse(&campaign()).expect("parses");
        assert_eq!(s.mobile, "13812345678");
        assert_eq!(s.age, 35);
    }

    #[test]
    fn each_bad_field_gets_its_message() {
        let c = campaign();
        let bad = SignupForm {
            role: "nope".into(),
            name: " ".into(),
            mobile: "12345".into(),
            age: "70".into(),
            skills: vec!["juggling".into()],
            availability: vec![],
            home_community: "310101".into(),
            privacy_consent: false,
        };
        let Err(Error::Invalid(e)) = bad.parse(&c) else {
            panic!("accepted")
        };
        for f in [
            "role",
            "name",
            "mobile",
            "age",
            "skills",
            "availability",
            "home_community",
            "privacy_consent",
        ] {
            assert!(e.get(f).is_some(), "{f}");
        }
        assert!(e.get("age").is_some_and(|m| m.zh.contains("18 到 60")));
        let driver = SignupForm {
            role: "送药司机".into(),
            ..good()
        };
        let Err(Error::Invalid(e)) = driver.parse(&c) else {
            panic!("a driver role without the skill")
        };
        assert!(e.get("skills").is_some_and(|m| m.zh.contains("有车司机")));
    }

    #[test]
    fn role_lines_parse_with_skills() {
        let r =
            roles("采样点秩序维护 20\n送药司机 5 driver_with_vehicle,first_aid\n").expect("roles");
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].headcount, 5);
        assert_eq!(r[1].skills, vec!["driver_with_vehicle", "first_aid"]);
        for bad in ["", "没有人数", "20", "a 5 juggling", "a 1\na 2"] {
            assert!(roles(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shifts_repeat_daily_and_night_shifts_end_the_next_day() {
        let f = ShiftForm {
            date: "2026-04-03".into(),
            start: "20:00".into(),
            end: "08:00".into(),
            slots: "3".into(),
            days: "7".into(),
        };
        let (w, slots) = parse_shifts(&f).expect("shifts");
        assert_eq!((w.len(), slots), (7, 3));
        assert_eq!(w[0].length(), Duration::hours(12));
        assert_eq!(w[1].start - w[0].start, Duration::days(1));
        let bad = ShiftForm {
            slots: "0".into(),
            ..f
        };
        assert!(parse_shifts(&bad).is_err());
    }
}
