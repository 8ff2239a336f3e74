//! Welfare checks (关爱探访): what a check records, its form, and the pure rule from a recorded
//! check (and the person's earlier checks) to the needs it should raise (DOMAIN.md `checks`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::CareLevel;
use crate::crypto::EncryptedColumn;
use crate::error::{FieldError, FieldErrors, Result};
use crate::ids::{CheckId, PersonId, UserId};
use crate::needs::Category;
use crate::needs::triage::{Subject, TriageInput};
use crate::regions::RegionCode;

/// The check's findings and notes (food, medicine, physical and mental state, scores, notes),
/// sealed as one JSON value: all of it is health information.
pub const DETAILS: EncryptedColumn = EncryptedColumn {
    table: "checks",
    column: "details",
    id_column: "id",
};

/// How the person was contacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Phone,
    Video,
    Visit,
}

impl Method {
    pub const ALL: [Method; 3] = [Method::Phone, Method::Video, Method::Visit];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Phone => "phone",
            Method::Video => "video",
            Method::Visit => "visit",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == s.trim())
    }

    pub fn zh(self) -> &'static str {
        match self {
            Method::Phone => "电话",
            Method::Video => "视频",
            Method::Visit => "上门",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Method::Phone => "Phone",
            Method::Video => "Video",
            Method::Visit => "Visit",
        }
    }
}

/// Physical state as the worker judged it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Physical {
    Stable,
    Unwell,
    Emergency,
}

impl Physical {
    pub const ALL: [Physical; 3] = [Physical::Stable, Physical::Unwell, Physical::Emergency];

    pub fn as_str(self) -> &'static str {
        match self {
            Physical::Stable => "stable",
            Physical::Unwell => "unwell",
            Physical::Emergency => "emergency",
        }
    }

    pub fn parse(s: &str) -> Option<Physical> {
        Physical::ALL.into_iter().find(|m| m.as_str() == s.trim())
    }

    pub fn zh(self) -> &'static str {
        match self {
            Physical::Stable => "平稳",
            Physical::Unwell => "不适",
            Physical::Emergency => "紧急",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Physical::Stable => "Stable",
            Physical::Unwell => "Unwell",
            Physical::Emergency => "Emergency",
        }
    }
}

/// Mental state as the worker judged it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mental {
    Calm,
    Anxious,
    Low,
    Crisis,
}

impl Mental {
    pub const ALL: [Mental; 4] = [Mental::Calm, Mental::Anxious, Mental::Low, Mental::Crisis];

    pub fn as_str(self) -> &'static str {
        match self {
            Mental::Calm => "calm",
            Mental::Anxious => "anxious",
            Mental::Low => "low",
            Mental::Crisis => "crisis",
        }
    }

    pub fn parse(s: &str) -> Option<Mental> {
        Mental::ALL.into_iter().find(|m| m.as_str() == s.trim())
    }

    pub fn zh(self) -> &'static str {
        match self {
            Mental::Calm => "平静",
            Mental::Anxious => "焦虑",
            Mental::Low => "情绪低落",
            Mental::Crisis => "危机",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Mental::Calm => "Calm",
            Mental::Anxious => "Anxious",
            Mental::Low => "Low",
            Mental::Crisis => "Crisis",
        }
    }
}

/// What was learnt on a check that reached the person. Sealed as one value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckDetails {
    pub food_days_left: Option<u32>,
    pub medication_days_left: Option<u32>,
    pub physical: Option<Physical>,
    pub mental: Option<Mental>,
    /// PHQ-2 items, each 0–3.
    pub phq2: Option<[u8; 2]>,
    /// GAD-2 items, each 0–3.
    pub gad2: Option<[u8; 2]>,
    pub notes: Option<String>,
}

/// A parsed check, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInput {
    pub method: Method,
    pub reached: bool,
    /// Empty when the person was not reached (nothing was learnt), except notes.
    pub details: CheckDetails,
}

/// A check as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub id: CheckId,
    pub person: PersonId,
    /// The person's community (copied, so needs and statistics need no join).
    pub region: RegionCode,
    pub worker: UserId,
    pub at: OffsetDateTime,
    pub method: Method,
    pub reached: bool,
    /// Sealed JSON of [`CheckDetails`]; `None` once anonymised.
    pub details: Option<Vec<u8>>,
    /// This check raised the door-visit need for the current run of unreached checks.
    pub raised_door_visit: bool,
}

/// What a worker typed on the check form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckForm {
    pub method: String,
    /// `yes` or `no`.
    pub reached: String,
    pub food_days_left: String,
    pub medication_days_left: String,
    pub physical: String,
    pub mental: String,
    pub phq2_1: String,
    pub phq2_2: String,
    pub gad2_1: String,
    pub gad2_2: String,
    pub notes: String,
}

fn ferr(field: &'static str, zh: &str, en: &str) -> FieldError {
    FieldError {
        field,
        zh: zh.into(),
        en: en.into(),
    }
}

fn days(field: &'static str, raw: &str) -> std::result::Result<Option<u32>, FieldError> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<u32>() {
        Ok(n) if n <= 365 => Ok(Some(n)),
        _ => Err(ferr(
            field,
            "请填写 0 到 365 之间的天数",
            "Enter a number of days from 0 to 365",
        )),
    }
}

fn item(field: &'static str, raw: &str) -> std::result::Result<Option<u8>, FieldError> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<u8>() {
        Ok(n) if n <= 3 => Ok(Some(n)),
        _ => Err(ferr(field, "每项 0 到 3 分", "Each item scores 0 to 3")),
    }
}

fn pair(e: &mut FieldErrors, field: &'static str, a: &str, b: &str) -> Option<[u8; 2]> {
    let x = e.take(item(field, a)).flatten();
    let y = e.take(item(field, b)).flatten();
    match (x, y) {
        (Some(x), Some(y)) => Some([x, y]),
        (None, None) => None,
        _ => {
            e.0.push(ferr(
                field,
                "两项都要填写，或都不填",
                "Fill in both items or neither",
            ));
            None
        }
    }
}

impl CheckForm {
    pub fn parse(&self) -> Result<CheckInput> {
        let mut e = FieldErrors::default();
        let method = e.take(Method::parse(&self.method).ok_or_else(|| {
            ferr(
                "method",
                "请选择探访方式：电话、视频或上门",
                "Choose how: phone, video or visit",
            )
        }));
        let reached = match self.reached.trim() {
            "yes" | "true" | "1" => Some(true),
            "no" | "false" | "0" => Some(false),
            _ => {
                e.0.push(ferr(
                    "reached",
                    "请选择是否联系上本人",
                    "Say whether the person was reached",
                ));
                None
            }
        };
        let notes = e
            .take(crate::text::optional("notes", &self.notes, 2000))
            .flatten();
        let mut details = CheckDetails {
            notes,
            ..CheckDetails::default()
        };
        if reached == Some(true) {
            details.food_days_left = e
                .take(days("food_days_left", &self.food_days_left))
                .flatten();
            details.medication_days_left = e
                .take(days("medication_days_left", &self.medication_days_left))
                .flatten();
            details.physical = e.take(Physical::parse(&self.physical).ok_or_else(|| {
                ferr(
                    "physical",
                    "请选择身体状况：平稳、不适或紧急",
                    "Choose the physical state: stable, unwell or emergency",
                )
            }));
            details.mental = e.take(Mental::parse(&self.mental).ok_or_else(|| {
                ferr(
                    "mental",
                    "请选择心理状况：平静、焦虑、情绪低落或危机",
                    "Choose the mental state: calm, anxious, low or crisis",
                )
            }));
            details.phq2 = pair(&mut e, "phq2", &self.phq2_1, &self.phq2_2);
            details.gad2 = pair(&mut e, "gad2", &self.gad2_1, &self.gad2_2);
        }
        e.into_result()?;
        match (method, reached) {
            (Some(method), Some(reached)) => Ok(CheckInput {
                method,
                reached,
                details,
            }),
            _ => Err(crate::Error::internal("check parse left a field unset")),
        }
    }
}

/// One reason a finding was raised, in both languages (shown to staff).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingReason {
    pub code: &'static str,
    pub zh: String,
    pub en: String,
}

/// A need a check should raise for the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub category: Category,
    /// A psychological crisis (psych needs only): triage treats it as danger to life.
    pub crisis: bool,
    pub medication_days_left: Option<u32>,
    pub food_days_left: Option<u32>,
    pub reason: FindingReason,
}

impl Finding {
    /// The triage input for this finding, for the green channel's rules. `known_vulnerable`
    /// raises one level in triage: with `true`, "medicine for 1 day" comes out P1 rather than
    /// the P2 that issue 6's acceptance text expects, so the caller decides. A `crisis`
    /// finding carries no red-flag words in its description: the caller makes it P1.
    pub fn triage_input(&self, known_vulnerable: bool) -> TriageInput {
        TriageInput {
            category: Some(self.category),
            description: self.reason.zh.clone(),
            medication_days_left: self.medication_days_left,
            food_days_left: self.food_days_left,
            subject: Subject::default(),
            known_vulnerable,
        }
    }
}

/// What the door-visit rule decided for this check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DoorVisit {
    /// Reached, or not enough misses in a row yet.
    NotDue,
    /// This miss completes the run: raise ONE `door_visit` need (it is in `needs`).
    Raise,
    /// An earlier miss of this same run already raised it: raise nothing more.
    AlreadyRaised,
}

/// The needs a check should raise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Findings {
    pub needs: Vec<Finding>,
    pub door_visit: DoorVisit,
    /// Unreached checks in a row, this one included.
    pub misses_in_a_row: u32,
}

/// An earlier check, as the rule needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriorCheck {
    pub reached: bool,
    pub raised_door_visit: bool,
}

impl From<&Check> for PriorCheck {
    fn from(c: &Check) -> PriorCheck {
        PriorCheck {
            reached: c.reached,
            raised_door_visit: c.raised_door_visit,
        }
    }
}

/// Days of food or medicine at or below which a need is raised.
pub const DAYS_LEFT_LIMIT: u32 = 2;

fn reason(code: &'static str, zh: String, en: String) -> FindingReason {
    FindingReason { code, zh, en }
}

/// The needs a recorded check should raise (DOMAIN.md `checks`), given the person's care
/// level and their earlier checks, **newest first**. Pure.
///
/// - reached, physical emergency → `emergency_medical`;
/// - reached, mental crisis → `psych` with the crisis flag;
/// - reached, medicine for ≤ 2 days → `medication`; food for ≤ 2 days → `supplies`;
/// - not reached: when the unreached checks in a row reach the care level's limit (one for
///   A, two otherwise) → one `door_visit`. A run raises it once: later misses of the same
///   run answer [`DoorVisit::AlreadyRaised`]; reaching the person ends the run.
pub fn findings(check: &CheckInput, level: CareLevel, previous: &[PriorCheck]) -> Findings {
    let mut needs = Vec::new();
    if check.reached {
        let d = &check.details;
        if d.physical == Some(Physical::Emergency) {
            needs.push(Finding {
                category: Category::EmergencyMedical,
                crisis: false,
                medication_days_left: None,
                food_days_left: None,
                reason: reason(
                    "check_physical_emergency",
                    "探访发现身体状况紧急".into(),
                    "The welfare check found a physical emergency".into(),
                ),
            });
        }
        if d.mental == Some(Mental::Crisis) {
            needs.push(Finding {
                category: Category::Psych,
                crisis: true,
                medication_days_left: None,
                food_days_left: None,
                reason: reason(
                    "check_mental_crisis",
                    "探访发现心理危机，需要危机干预".into(),
                    "The welfare check found a mental-health crisis".into(),
                ),
            });
        }
        if let Some(n) = d.medication_days_left.filter(|n| *n <= DAYS_LEFT_LIMIT) {
            needs.push(Finding {
                category: Category::Medication,
                crisis: false,
                medication_days_left: Some(n),
                food_days_left: None,
                reason: reason(
                    "check_medication_low",
                    format!("探访发现药品只够 {n} 天"),
                    format!("The welfare check found medicine for {n} day(s) only"),
                ),
            });
        }
        if let Some(n) = d.food_days_left.filter(|n| *n <= DAYS_LEFT_LIMIT) {
            needs.push(Finding {
                category: Category::Supplies,
                crisis: false,
                medication_days_left: None,
                food_days_left: Some(n),
                reason: reason(
                    "check_food_low",
                    format!("探访发现食物只够 {n} 天"),
                    format!("The welfare check found food for {n} day(s) only"),
                ),
            });
        }
        return Findings {
            needs,
            door_visit: DoorVisit::NotDue,
            misses_in_a_row: 0,
        };
    }
    let run: Vec<&PriorCheck> = previous.iter().take_while(|c| !c.reached).collect();
    let misses = u32::try_from(run.len())
        .unwrap_or(u32::MAX)
        .saturating_add(1);
    let door_visit = if run.iter().any(|c| c.raised_door_visit) {
        DoorVisit::AlreadyRaised
    } else if misses >= level.misses_before_door_visit() {
        DoorVisit::Raise
    } else {
        DoorVisit::NotDue
    };
    if door_visit == DoorVisit::Raise {
        needs.push(Finding {
            category: Category::DoorVisit,
            crisis: false,
            medication_days_left: None,
            food_days_left: None,
            reason: reason(
                "check_unreached",
                format!("连续 {misses} 次探访未联系上本人，请上门探视"),
                format!(
                    "{misses} welfare checks in a row did not reach the person: visit the home"
                ),
            ),
        });
    }
    Findings {
        needs,
        door_visit,
        misses_in_a_row: misses,
    }
}

#[cfg(test)]
#[path = "checks_tests.rs"]
mod tests;
