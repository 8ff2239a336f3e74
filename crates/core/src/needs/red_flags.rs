//! The words triage listens for: red-flag phrases in Chinese and English with their synonyms,
//! negations that cancel a phrase within its clause, and "not urgent".

/// What a red flag means for the advice given to the resident.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Medical,
    Labour,
    SelfHarm,
    Violence,
}

/// Red-flag phrases: (phrase as written, lower-case, what it means, its name for staff).
const RED_FLAGS: &[(&str, Flag, &str)] = &[
    ("胸痛", Flag::Medical, "胸痛 chest pain"),
    ("胸口痛", Flag::Medical, "胸痛 chest pain"),
    ("胸口疼", Flag::Medical, "胸痛 chest pain"),
    ("心口痛", Flag::Medical, "胸痛 chest pain"),
    ("chest pain", Flag::Medical, "胸痛 chest pain"),
    ("呼吸困难", Flag::Medical, "呼吸困难 can't breathe"),
    ("喘不上气", Flag::Medical, "呼吸困难 can't breathe"),
    ("喘不过气", Flag::Medical, "呼吸困难 can't breathe"),
    ("上不来气", Flag::Medical, "呼吸困难 can't breathe"),
    ("透不过气", Flag::Medical, "呼吸困难 can't breathe"),
    ("can't breathe", Flag::Medical, "呼吸困难 can't breathe"),
    ("cannot breathe", Flag::Medical, "呼吸困难 can't breathe"),
    ("can not breathe", Flag::Medical, "呼吸困难 can't breathe"),
    (
        "difficulty breathing",
        Flag::Medical,
        "呼吸困难 can't breathe",
    ),
    ("short of breath", Flag::Medical, "呼吸困难 can't breathe"),
    (
        "shortness of breath",
        Flag::Medical,
        "呼吸困难 can't breathe",
    ),
    ("昏迷", Flag::Medical, "昏迷 unconscious"),
    ("晕倒", Flag::Medical, "昏迷 unconscious"),
    ("昏倒", Flag::Medical, "昏迷 unconscious"),
    ("不省人事", Flag::Medical, "昏迷 unconscious"),
    ("叫不醒", Flag::Medical, "昏迷 unconscious"),
    ("unconscious", Flag::Medical, "昏迷 unconscious"),
    ("passed out", Flag::Medical, "昏迷 unconscious"),
    ("unresponsive", Flag::Medical, "昏迷 unconscious"),
    ("大出血", Flag::Medical, "大出血 heavy bleeding"),
    ("出血不止", Flag::Medical, "大出血 heavy bleeding"),
    ("血流不止", Flag::Medical, "大出血 heavy bleeding"),
    ("heavy bleeding", Flag::Medical, "大出血 heavy bleeding"),
    ("bleeding heavily", Flag::Medical, "大出血 heavy bleeding"),
    ("severe bleeding", Flag::Medical, "大出血 heavy bleeding"),
    ("抽搐", Flag::Medical, "抽搐 convulsions"),
    ("癫痫发作", Flag::Medical, "抽搐 convulsions"),
    ("convulsion", Flag::Medical, "抽搐 convulsions"),
    ("seizure", Flag::Medical, "抽搐 convulsions"),
    ("中风", Flag::Medical, "中风 stroke"),
    ("口角歪斜", Flag::Medical, "中风 stroke"),
    ("stroke", Flag::Medical, "中风 stroke"),
    ("临产", Flag::Labour, "临产 labour"),
    ("破水", Flag::Labour, "临产 labour"),
    ("羊水破了", Flag::Labour, "临产 labour"),
    ("宫缩", Flag::Labour, "临产 labour"),
    ("要生了", Flag::Labour, "临产 labour"),
    ("in labour", Flag::Labour, "临产 labour"),
    ("in labor", Flag::Labour, "临产 labour"),
    ("water broke", Flag::Labour, "临产 labour"),
    ("waters broke", Flag::Labour, "临产 labour"),
    ("contractions", Flag::Labour, "临产 labour"),
    ("想死", Flag::SelfHarm, "轻生 suicide or self-harm"),
    ("不想活", Flag::SelfHarm, "轻生 suicide or self-harm"),
    ("活不下去", Flag::SelfHarm, "轻生 suicide or self-harm"),
    ("轻生", Flag::SelfHarm, "轻生 suicide or self-harm"),
    ("自杀", Flag::SelfHarm, "轻生 suicide or self-harm"),
    ("寻死", Flag::SelfHarm, "轻生 suicide or self-harm"),
    ("跳楼", Flag::SelfHarm, "轻生 suicide or self-harm"),
    ("割腕", Flag::SelfHarm, "轻生 suicide or self-harm"),
    ("自残", Flag::SelfHarm, "轻生 suicide or self-harm"),
    ("suicide", Flag::SelfHarm, "轻生 suicide or self-harm"),
    ("kill myself", Flag::SelfHarm, "轻生 suicide or self-harm"),
    ("end my life", Flag::SelfHarm, "轻生 suicide or self-harm"),
    ("want to die", Flag::SelfHarm, "轻生 suicide or self-harm"),
    ("self-harm", Flag::SelfHarm, "轻生 suicide or self-harm"),
    ("hurt myself", Flag::SelfHarm, "轻生 suicide or self-harm"),
    ("家暴", Flag::Violence, "暴力 violence"),
    ("家庭暴力", Flag::Violence, "暴力 violence"),
    ("被打", Flag::Violence, "暴力 violence"),
    ("持刀", Flag::Violence, "暴力 violence"),
    ("domestic violence", Flag::Violence, "暴力 violence"),
    ("being beaten", Flag::Violence, "暴力 violence"),
    ("attacked", Flag::Violence, "暴力 violence"),
];

/// Words that, just before a phrase in the same clause, negate it.
const NEGATIONS_ZH: &[&str] = &["没有", "没", "无", "未", "不是", "并非"];
const NEGATIONS_EN: &[&str] = &[
    "no",
    "not",
    "without",
    "never",
    "don't",
    "doesn't",
    "didn't",
    "isn't",
    "no longer",
];

/// "Not urgent", in the resident's words.
const NOT_URGENT: &[&str] = &[
    "不着急",
    "不急",
    "不紧急",
    "不用急",
    "not urgent",
    "no rush",
    "no hurry",
    "not in a hurry",
];

const CLAUSE_BREAKS: &[char] = &[
    '，', '。', '；', '！', '？', ',', '.', ';', '!', '?', '\n', '、', '：', ':',
];

/// Is the match at byte `at` negated by a word shortly before it in the same clause?
fn negated(text: &str, at: usize) -> bool {
    let before = &text[..at];
    let clause_start = before
        .rfind(CLAUSE_BREAKS)
        .map(|i| i + before[i..].chars().next().map_or(1, char::len_utf8))
        .unwrap_or(0);
    let clause = &before[clause_start..];
    let tail: String = clause
        .chars()
        .rev()
        .take(6)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if NEGATIONS_ZH.iter().any(|n| tail.contains(n)) {
        return true;
    }
    let words: Vec<&str> = clause.split_whitespace().collect();
    words.iter().rev().take(3).any(|w| {
        NEGATIONS_EN.contains(&w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\''))
    })
}

/// Every red flag found (not negated), in the order of the table, without repeats.
pub fn red_flags(text: &str) -> Vec<(Flag, &'static str)> {
    let lower = text.to_lowercase().replace('’', "'");
    let mut found: Vec<(Flag, &'static str)> = Vec::new();
    for (phrase, flag, name) in RED_FLAGS {
        let hit = lower
            .match_indices(phrase)
            .any(|(at, _)| !negated(&lower, at));
        if hit && !found.iter().any(|(_, n)| n == name) {
            found.push((*flag, name));
        }
    }
    found
}

pub fn says_not_urgent(text: &str) -> bool {
    let lower = text.to_lowercase();
    NOT_URGENT.iter().any(|p| lower.contains(p))
}
