//! Explainable triage (DOMAIN.md, "Priority"): a base priority by category, then red-flag
//! phrases (Chinese and English, with synonyms, ignoring negated mentions), days of medicine or
//! food left, dependants without a carer, known vulnerability, and "not urgent". Every step that
//! changes or confirms the result adds a reason staff can read. The resident's words decide
//! nothing alone: a person reviews every P1 and P2.

use serde::{Deserialize, Serialize};

use super::red_flags::{Flag, red_flags, says_not_urgent};
use super::{Category, Priority};

/// What the rules look at.
#[derive(Debug, Clone, Default)]
pub struct TriageInput {
    pub category: Option<Category>,
    /// The resident's own words.
    pub description: String,
    pub medication_days_left: Option<u32>,
    pub food_days_left: Option<u32>,
    pub subject: Subject,
    /// The person is in the vulnerable-people registry.
    pub known_vulnerable: bool,
}

/// Facts about the person the need is for.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub age: Option<u32>,
    pub lives_alone: bool,
    pub disabled: bool,
    pub child: bool,
    /// Nobody can look after them now.
    pub no_carer: bool,
}

/// Why the priority is what it is, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: String,
    pub zh: String,
    pub en: String,
}

/// What to tell the resident at once, in large type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyAdvice {
    /// Danger to life: call 120.
    pub call_120: bool,
    /// Violence: call 110.
    pub call_110: bool,
    /// Suicide or self-harm: also show the psychological crisis hotline.
    pub crisis_hotline: bool,
}

/// The result of triage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triage {
    pub priority: Priority,
    pub reasons: Vec<Reason>,
    pub advice: SafetyAdvice,
    /// Must a person review this before it is considered triaged? (P1 and P2.)
    pub needs_review: bool,
}

/// Base priority of a category.
pub fn base_priority(c: Category) -> Priority {
    match c {
        Category::EmergencyMedical => Priority::P1,
        Category::CriticalTreatment
        | Category::Prenatal
        | Category::ChildCare
        | Category::Psych
        | Category::DoorVisit => Priority::P2,
        Category::Medication
        | Category::Supplies
        | Category::ElderCare
        | Category::Registration => Priority::P3,
        Category::Other => Priority::P4,
    }
}

fn reason(code: &str, zh: String, en: String) -> Reason {
    Reason {
        code: code.into(),
        zh,
        en,
    }
}

/// Apply the rules. Without a category the need is treated as `other`.
pub fn triage(input: &TriageInput) -> Triage {
    let category = input.category.unwrap_or(Category::Other);
    let mut p = base_priority(category);
    let mut reasons = vec![reason(
        "base",
        format!("类别“{}”的基础等级为 {}", category.zh(), p.as_str()),
        format!("Category '{}' starts at {}", category.en(), p.as_str()),
    )];
    let mut advice = SafetyAdvice::default();

    let flags = red_flags(&input.description);
    for (flag, name) in &flags {
        match flag {
            Flag::Medical | Flag::Labour => advice.call_120 = true,
            Flag::SelfHarm => {
                advice.call_120 = true;
                advice.crisis_hotline = true;
            }
            Flag::Violence => advice.call_110 = true,
        }
        reasons.push(reason(
            "red_flag",
            format!("描述中有危险信号“{name}”，定为 P1"),
            format!("Red flag '{name}' in the description: P1"),
        ));
    }
    let red = !flags.is_empty();
    if red {
        p = Priority::P1;
    }

    let short = |days: Option<u32>| days.is_some_and(|d| d <= 2);
    if p == Priority::P3 && (short(input.medication_days_left) || short(input.food_days_left)) {
        p = Priority::P2;
        reasons.push(reason(
            "days_left",
            "药品或食物只够2天以内，升为 P2".into(),
            "Medicine or food lasts 2 days or less: P2".into(),
        ));
    }

    let s = &input.subject;
    let aged = s.age.is_some_and(|a| a >= 80);
    let dependant_alone =
        (aged && s.lives_alone) || ((aged || s.disabled || s.child) && s.no_carer);
    if dependant_alone && p > Priority::P2 {
        p = Priority::P2;
        reasons.push(reason(
            "dependant",
            "高龄独居、残障或儿童且无人照看，升为 P2".into(),
            "A dependant (80+ living alone, disabled or a child) without a carer: P2".into(),
        ));
    }

    if input.known_vulnerable && p > Priority::P1 {
        p = p.raised();
        reasons.push(reason(
            "vulnerable",
            format!("服务对象在困难群体名册中，升一级为 {}", p.as_str()),
            format!(
                "The person is in the vulnerable-people registry: raised to {}",
                p.as_str()
            ),
        ));
    }

    if says_not_urgent(&input.description) {
        if red {
            reasons.push(reason(
                "not_urgent_ignored",
                "虽写了“不着急”，但有危险信号，仍为 P1".into(),
                "Says 'not urgent' but a red flag keeps it at P1".into(),
            ));
        } else if p < Priority::P4 {
            p = p.lowered();
            reasons.push(reason(
                "not_urgent",
                format!("居民说“不着急”，降一级为 {}", p.as_str()),
                format!(
                    "The resident says it is not urgent: lowered to {}",
                    p.as_str()
                ),
            ));
        }
    }

    Triage {
        priority: p,
        reasons,
        advice,
        needs_review: p <= Priority::P2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(category: Category, text: &str) -> Triage {
        triage(&TriageInput {
            category: Some(category),
            description: text.into(),
            ..Default::default()
        })
    }

    fn names_flag(t: &Triage, name: &str) -> bool {
        t.reasons
            .iter()
            .any(|r| r.code == "red_flag" && r.zh.contains(name))
    }

    #[test]
    fn chest_pain_and_breathlessness_in_chinese_are_p1_and_name_the_phrase() {
        let t = run(Category::Other, "我母亲在家胸痛，呼吸困难");
        assert_eq!(t.priority, Priority::P1);
        assert!(
            names_flag(&t, "胸痛") && names_flag(&t, "呼吸困难"),
            "{:?}",
            t.reasons
        );
        assert!(t.advice.call_120 && !t.advice.crisis_hotline);
        assert!(t.needs_review);
    }

    #[test]
    fn the_same_in_english_is_p1() {
        let t = run(
            Category::Other,
            "My mother has chest pain and can't breathe",
        );
        assert_eq!(t.priority, Priority::P1);
        assert!(names_flag(&t, "chest pain") && names_flag(&t, "can't breathe"));
        assert!(
            run(Category::Other, "She can’t breathe").priority == Priority::P1,
            "typographic apostrophe"
        );
    }

    #[test]
    fn a_negated_phrase_does_not_count() {
        let t = run(Category::Supplies, "家里没有胸痛，就是菜不够了");
        assert_eq!(t.priority, Priority::P3);
        assert!(!t.advice.call_120);
        assert_eq!(
            run(Category::Supplies, "No chest pain, we just need rice").priority,
            Priority::P3
        );
        // Negation does not reach across a clause.
        assert_eq!(
            run(Category::Other, "我没事，但是爸爸胸痛").priority,
            Priority::P1
        );
    }

    #[test]
    fn an_ordinary_vegetable_request_is_p3() {
        let t = run(
            Category::Supplies,
            "家里蔬菜快吃完了，想请志愿者帮忙买点青菜和鸡蛋",
        );
        assert_eq!(t.priority, Priority::P3);
        assert!(!t.needs_review);
        assert_eq!(t.reasons.len(), 1);
    }

    #[test]
    fn suicide_words_add_the_crisis_hotline_and_violence_says_110() {
        let t = run(Category::Psych, "我真的不想活了");
        assert_eq!(t.priority, Priority::P1);
        assert!(t.advice.crisis_hotline && t.advice.call_120);
        let v = run(Category::Other, "邻居家暴，孩子在哭");
        assert_eq!(v.priority, Priority::P1);
        assert!(v.advice.call_110);
    }

    #[test]
    fn every_category_has_its_base_priority() {
        use Category::*;
        let expected = [
            (EmergencyMedical, Priority::P1),
            (CriticalTreatment, Priority::P2),
            (Prenatal, Priority::P2),
            (ChildCare, Priority::P2),
            (Psych, Priority::P2),
            (DoorVisit, Priority::P2),
            (Medication, Priority::P3),
            (Supplies, Priority::P3),
            (ElderCare, Priority::P3),
            (Registration, Priority::P3),
            (Other, Priority::P4),
        ];
        for (c, p) in expected {
            assert_eq!(run(c, "").priority, p, "{c:?}");
        }
    }

    #[test]
    fn two_days_of_medicine_or_food_raise_p3_to_p2() {
        let mut i = TriageInput {
            category: Some(Category::Medication),
            medication_days_left: Some(2),
            ..Default::default()
        };
        assert_eq!(triage(&i).priority, Priority::P2);
        i.medication_days_left = Some(3);
        assert_eq!(triage(&i).priority, Priority::P3);
        i.category = Some(Category::Supplies);
        i.food_days_left = Some(1);
        assert_eq!(triage(&i).priority, Priority::P2);
    }

    #[test]
    fn a_dependant_without_a_carer_is_p2_and_vulnerability_raises_one_level() {
        let mut i = TriageInput {
            category: Some(Category::ElderCare),
            ..Default::default()
        };
        i.subject = Subject {
            age: Some(86),
            lives_alone: true,
            ..Default::default()
        };
        assert_eq!(triage(&i).priority, Priority::P2);
        i.subject = Subject {
            child: true,
            no_carer: true,
            ..Default::default()
        };
        assert_eq!(triage(&i).priority, Priority::P2);
        i.subject = Subject {
            child: true,
            ..Default::default()
        };
        assert_eq!(
            triage(&i).priority,
            Priority::P3,
            "a child with a carer is not raised"
        );
        i.known_vulnerable = true;
        let t = triage(&i);
        assert_eq!(t.priority, Priority::P2);
        assert!(t.reasons.iter().any(|r| r.code == "vulnerable"));
    }

    #[test]
    fn not_urgent_lowers_one_level_but_never_below_p4_or_a_red_flag() {
        assert_eq!(
            run(Category::Supplies, "不着急，有空再送").priority,
            Priority::P4
        );
        assert_eq!(run(Category::Other, "not urgent").priority, Priority::P4);
        assert_eq!(run(Category::Psych, "no rush").priority, Priority::P3);
        let t = run(Category::Other, "不着急，就是有点胸痛");
        assert_eq!(t.priority, Priority::P1);
        assert!(t.reasons.iter().any(|r| r.code == "not_urgent_ignored"));
    }

    /// Random text built from the vocabulary, punctuation and other characters: triage never
    /// panics, and any advice to call 120 or 110 comes with P1 (a seeded, repeatable walk).
    #[test]
    fn random_text_never_breaks_the_rules() {
        let parts = [
            "胸痛",
            "没有",
            "不",
            "，",
            "。",
            "呼吸困难",
            "no ",
            "not ",
            "chest pain",
            "不着急",
            "想死",
            "家暴",
            "菜",
            "药",
            " ",
            "\n",
            "’",
            "Ä",
            "😀",
            "宫缩",
            "can't breathe",
            "ǅ",
            "İ",
            "、",
            "not urgent",
        ];
        let mut x: u64 = 0x2022_0401;
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..(x % 12) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                text.push_str(parts[(x % parts.len() as u64) as usize]);
            }
            let category = Category::ALL[(x % 11) as usize];
            let t = run(category, &text);
            if t.advice.call_120 || t.advice.call_110 {
                assert_eq!(t.priority, Priority::P1, "{text:?}");
            }
            assert!(!t.reasons.is_empty());
            assert_eq!(t.needs_review, t.priority <= Priority::P2);
        }
    }
}
