//! Demo registry: a few thousand fictional people in the communities of 五里桥街道 and
//! 打浦桥街道 with a realistic mix of categories and care levels, and a week of welfare checks.
//! No ID numbers (generated ones could be real people's) and only phone numbers that cannot
//! exist (Shanghai numbers never start 0 after the area code: 021-0xxx xxxx).

use time::{Date, Duration, OffsetDateTime};
use wushe_core::Store;
use wushe_core::audit::{Action, AuditEvent, RecordKind};
use wushe_core::crypto::Cipher;
use wushe_core::ids::{CheckId, PersonId, UserId};
use wushe_core::people::checks::{self, Check, CheckDetails, Mental, Method, Physical};
use wushe_core::people::record::{
    self, BasisKind, Contact, LawfulBasis, Person, PersonDetails, PersonStatus,
};
use wushe_core::people::{Cadence, CareLevel, PersonCategory};
use wushe_core::regions::RegionCode;

use crate::BoxError;

/// People per community (36 communities: 4,320 people).
const PER_COMMUNITY: usize = 120;
const STREETS: [&str; 2] = ["310101020", "310101021"];

/// A small deterministic generator (SplitMix64): the same seed gives the same registry.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True with probability `p` percent.
    fn pct(&mut self, p: u64) -> bool {
        self.below(100) < p
    }

    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "朱", "马", "胡", "郭",
    "何", "林", "高", "沈", "顾", "陆", "蒋", "钱", "姚", "金", "曹", "严", "潘", "邱",
];
const GIVEN: &[&str] = &[
    "桂英", "秀英", "玉兰", "凤英", "美华", "淑珍", "建国", "国强", "德明", "志明", "永福", "惠芳",
    "金妹", "阿四", "根宝", "小妹", "雪芬", "家豪", "子涵", "梓萱", "浩然", "一诺", "佳怡", "丽华",
    "文杰", "海燕", "红梅", "伟民", "培德", "耀祖",
];
const ROADS: &[&str] = &[
    "丽园路",
    "瞿溪路",
    "鲁班路",
    "蒙自路",
    "局门路",
    "打浦路",
    "徐家汇路",
    "制造局路",
    "斜土路",
    "日月路",
];

/// A realistic mix of categories for one person, with an age range that fits them.
fn categories(r: &mut Rng) -> (Vec<PersonCategory>, (i32, i32)) {
    use PersonCategory::*;
    let roll = r.below(1000);
    // Children and pregnant women first (small shares), then older and ill people.
    if roll < 25 {
        let c = if r.pct(60) {
            ChildInDifficulty
        } else {
            LeftBehindChild
        };
        return (vec![c], (4, 13));
    }
    if roll < 55 {
        return (vec![Pregnant], (22, 40));
    }
    if roll < 65 {
        return (vec![Homeless], (40, 70));
    }
    let mut v = Vec::new();
    let old = r.pct(80);
    if old && r.pct(45) {
        v.push(Aged80Plus);
    }
    if old && r.pct(40) {
        v.push(LivingAlone);
    }
    if r.pct(13) {
        v.push(Dibao);
    } else if r.pct(5) {
        v.push(NearDibao);
    }
    if r.pct(2) {
        v.push(ExtremeHardship);
    }
    if r.pct(9) {
        v.push(DisabledCare);
    }
    if r.pct(10) {
        v.push(Disability);
    }
    if r.pct(14) {
        v.push(SeriousIllness);
    }
    if r.pct(3) {
        v.push(MentalDisorder);
    }
    if v.is_empty() {
        v.push(if old {
            LivingAlone
        } else {
            *r.pick(&[Dibao, Disability, SeriousIllness, DisabledCare, Other])
        });
    }
    let ages = if v.contains(&Aged80Plus) {
        (80, 98)
    } else if old {
        (60, 79)
    } else {
        (25, 59)
    };
    (v, ages)
}

fn level(r: &mut Rng, cats: &[PersonCategory]) -> CareLevel {
    use PersonCategory::*;
    let heavy = cats.iter().any(|c| {
        matches!(
            c,
            DisabledCare | SeriousIllness | ChildInDifficulty | MentalDisorder
        )
    });
    match (heavy, r.below(100)) {
        (true, n) if n < 45 => CareLevel::A,
        (true, _) => CareLevel::B,
        (false, n) if n < 8 => CareLevel::A,
        (false, n) if n < 40 => CareLevel::B,
        _ => CareLevel::C,
    }
}

fn fake_phone(r: &mut Rng) -> String {
    format!("0210{:07}", r.below(10_000_000))
}

/// Seed the registry unless people already exist, in one transaction (all or nothing).
/// Generating and sealing runs on a blocking thread. Returns how many were added.
pub async fn seed(
    store: &dyn Store,
    cipher: std::sync::Arc<Cipher>,
    workers: Vec<(RegionCode, UserId)>,
    seed: u64,
    now: OffsetDateTime,
) -> Result<usize, BoxError> {
    let mut communities = Vec::new();
    for street in STREETS {
        let code = RegionCode(street.into());
        for c in store.region_children(Some(&code)).await? {
            if c.code.0.len() == 12 {
                communities.push(c.code);
            }
        }
    }
    let scope: Vec<RegionCode> = STREETS.iter().map(|s| RegionCode(s.to_string())).collect();
    let probe = wushe_core::people::schedule::PeopleFilter {
        limit: 1,
        ..Default::default()
    };
    if !store.list_people(&scope, &probe).await?.is_empty() {
        return Ok(0);
    }
    let (people, checks) =
        tokio::task::spawn_blocking(move || generate(&cipher, &communities, &workers, seed, now))
            .await??;
    let n = people.len();
    let event = AuditEvent::new(Action::PersonCreated, now)
        .region(&RegionCode("310101".into()))
        .record(RecordKind::Person, Vec::<String>::new());
    store.insert_people_batch(&people, &checks, &event).await?;
    Ok(n)
}

type Generated = (Vec<Person>, Vec<Check>);

fn generate(
    cipher: &Cipher,
    communities: &[RegionCode],
    workers: &[(RegionCode, UserId)],
    seed: u64,
    now: OffsetDateTime,
) -> Result<Generated, BoxError> {
    let cadence = Cadence::default();
    let mut r = Rng(seed ^ 0x5EED_0F9E_0F1E);
    let today: Date = now.date();
    let mut people = Vec::new();
    let mut all_checks = Vec::new();
    let system = UserId(uuid::Uuid::nil());
    for community in communities {
        let worker = workers
            .iter()
            .find(|(region, _)| region.covers(community))
            .map(|(_, u)| *u);
        for _ in 0..PER_COMMUNITY {
            let (cats, (lo, hi)) = categories(&mut r);
            let age = lo + r.below((hi - lo + 1) as u64) as i32;
            let birth = Date::from_calendar_date(
                today.year() - age,
                time::Month::try_from(1 + r.below(12) as u8).unwrap_or(time::Month::January),
                1 + r.below(28) as u8,
            )
            .unwrap_or(today);
            let child = age < 14;
            let name = format!("{}{}", r.pick(SURNAMES), r.pick(GIVEN));
            let contact = (child || r.pct(70)).then(|| Contact {
                name: format!("{}{}", r.pick(SURNAMES), r.pick(GIVEN)),
                phone: fake_phone(&mut r),
                relation: if child {
                    "监护人"
                } else {
                    *r.pick(&["女儿", "儿子", "邻居", "侄子"])
                }
                .into(),
            });
            let details = PersonDetails {
                name,
                id_number: None,
                phone: r.pct(92).then(|| fake_phone(&mut r)),
                address: format!(
                    "{}{}弄{}号{}室（演示）",
                    r.pick(ROADS),
                    1 + r.below(400),
                    1 + r.below(30),
                    101 + r.below(6) * 100 + r.below(4)
                ),
                health_notes: cats.contains(&PersonCategory::SeriousIllness).then(|| {
                    (*r.pick(&[
                        "每周三次血透",
                        "化疗中",
                        "糖尿病，每日胰岛素",
                        "高血压，每日服药",
                    ]))
                    .into()
                }),
                categories: cats.clone(),
                contact,
                birth_date: Some(birth),
            };
            let level = level(&mut r, &cats);
            let id = PersonId::new();
            let created = now - Duration::days(30 + r.below(300) as i64);
            let basis_kind = if child || r.pct(60) {
                BasisKind::Consent
            } else {
                BasisKind::StatutoryDuty
            };
            // A week of checks at the cadence, from a random point in the first interval, so
            // the next checks spread over the days ahead.
            let interval = cadence.interval(level);
            let phase = r.below(interval.whole_minutes().max(1) as u64) as i64;
            let mut at = now - Duration::days(7) + Duration::minutes(phase);
            let mut last = None;
            let mut misses = 0u32;
            while at < now - Duration::hours(2) {
                // Some people are left overdue: their worker has not got to them yet.
                if at > now - interval && r.pct(12) {
                    break;
                }
                let reached = r.pct(90);
                let details = if reached {
                    CheckDetails {
                        food_days_left: Some(r.below(10) as u32),
                        medication_days_left: r.pct(60).then(|| r.below(14) as u32),
                        physical: Some(if r.pct(85) {
                            Physical::Stable
                        } else {
                            Physical::Unwell
                        }),
                        mental: Some(*r.pick(&[
                            Mental::Calm,
                            Mental::Calm,
                            Mental::Calm,
                            Mental::Anxious,
                            Mental::Low,
                        ])),
                        ..CheckDetails::default()
                    }
                } else {
                    CheckDetails::default()
                };
                misses = if reached { 0 } else { misses + 1 };
                let cid = CheckId::new();
                let json = serde_json::to_string(&details)?;
                all_checks.push(Check {
                    id: cid,
                    person: id,
                    region: community.clone(),
                    worker: worker.unwrap_or(system),
                    at,
                    method: *r.pick(&[Method::Phone, Method::Phone, Method::Video, Method::Visit]),
                    reached,
                    details: Some(cipher.seal_str(checks::DETAILS.field(cid.0), &json)?),
                    raised_door_visit: !reached && misses == level.misses_before_door_visit(),
                });
                last = Some(at);
                at = cadence.after_check(level, at, reached);
            }
            people.push(Person {
                id,
                region: community.clone(),
                care_level: level,
                worker,
                basis: LawfulBasis {
                    kind: basis_kind,
                    date: created.date(),
                    notice_version: "v1".into(),
                    sensitive_consent: basis_kind == BasisKind::Consent,
                    guardian_consent: child && basis_kind == BasisKind::Consent,
                },
                status: PersonStatus::Active,
                sealed: record::seal(cipher, id, &details)?,
                next_due_at: at,
                last_check_at: last,
                closed_at: None,
                created_at: created,
                updated_at: created,
                version: 1,
            });
        }
    }
    Ok((people, all_checks))
}
