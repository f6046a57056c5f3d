//! A synthetic penalty case register (行政处罚案件) for the demo city and the
//! `cases` benchmark: a discretion benchmark set for each department's
//! behaviours, a register of enforcement officers outside the draw's pool
//! (with a few certificates 暂扣 or 注销), and a year of cases with realistic
//! defects at low rates: late publication, a missing 法制审核, a fine
//! outside its tier, one officer only, an officer whose certificate is not
//! valid. Deterministic: one named ChaCha20 stream, integers only.

use std::fmt::Write as _;

use chrono::{Datelike as _, Days, NaiveDate};

use super::Stream;
use domain::hotline::WorkingDays;

/// A department taking part: its code and name.
#[derive(Debug, Clone)]
pub struct CaseDepartment {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Relative number of cases.
    pub weight: u32,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct CaseParams {
    /// Stream name.
    pub stream: String,
    /// The year of the cases.
    pub year: i32,
    /// Number of cases.
    pub cases: usize,
    /// Per mille of each defect: late publication, missing 法制审核, fine
    /// outside its tier, one officer only, an invalid certificate.
    pub defect_per_mille: u64,
}

impl CaseParams {
    /// `cases` cases of `year`, defects at about 1–3 %.
    pub fn year(year: i32, cases: usize) -> Self {
        Self {
            stream: format!("jianguan/synth/cases/{year}"),
            year,
            cases,
            defect_per_mille: 15,
        }
    }
}

/// The two files, as CSV text.
#[derive(Debug, Clone, Default)]
pub struct CaseFiles {
    /// The discretion benchmarks.
    pub benchmarks: String,
    /// The cases.
    pub cases: String,
}

/// An officer cases may name.
#[derive(Debug, Clone)]
pub struct CaseOfficer {
    /// 执法证号.
    pub cert: String,
    /// Department code.
    pub department: String,
    /// First day of the certificate.
    pub valid_from: NaiveDate,
    /// Last day of the certificate.
    pub valid_until: NaiveDate,
    /// Whether the certificate's state is 有效.
    pub active: bool,
}

impl CaseOfficer {
    fn valid_on(&self, day: NaiveDate) -> bool {
        self.active && self.valid_from <= day && day <= self.valid_until
    }
}

/// A register of enforcement officers outside the draw's pool for
/// `departments` (for a database without a city's inspectors): six valid
/// officers per department, one 暂扣 and one 注销; as CSV with the inspector
/// directory's headers, and as the officers cases may name.
pub fn officer_register(departments: &[CaseDepartment]) -> (String, Vec<CaseOfficer>) {
    let mut csv = "执法证号,姓名,所属部门,证件有效期起,证件有效期止,证件状态,发证机关,资格考试通过日期,纳入抽查人员库\n".to_owned();
    let mut officers = Vec::new();
    let (from, until) = (
        NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(2028, 12, 31).unwrap_or_default(),
    );
    for department in departments {
        for n in 1..=VALID_OFFICERS + 2 {
            let status = match n {
                n if n == VALID_OFFICERS + 1 => "暂扣",
                n if n == VALID_OFFICERS + 2 => "注销",
                _ => "有效",
            };
            let cert = format!("ZF-{}-{n:02}", department.code);
            let _ = writeln!(
                csv,
                "{cert},{}执法员{n},{},{from},{until},{status},黄石市人民政府,2022-11-{:02},否",
                department.name,
                department.code,
                1 + n
            );
            officers.push(CaseOfficer {
                cert,
                department: department.code.clone(),
                valid_from: from,
                valid_until: until,
                active: status == "有效",
            });
        }
    }
    (csv, officers)
}

/// Officers per department in the register (besides one 暂扣 and one 注销).
const VALID_OFFICERS: usize = 6;

const BEHAVIOURS: [(&str, &str); 6] = [
    ("未按规定公示即时信息", "《企业信息公示暂行条例》第十八条"),
    ("未按规定办理变更登记", "《市场主体登记管理条例》第四十六条"),
    ("经营超过保质期的食品", "《食品安全法》第一百二十四条"),
    ("未按规定建立进货查验记录", "《食品安全法》第一百二十六条"),
    ("未按规定设置安全警示标志", "《安全生产法》第九十九条"),
    ("超过排放标准排放污染物", "《大气污染防治法》第九十九条"),
];

/// The (tier, lower, upper) ranges of a behaviour in 元, scaled by `scale`.
fn tiers(scale: i64) -> [(&'static str, Option<i64>, Option<i64>); 4] {
    [
        ("从轻处罚", Some(1_000 * scale), Some(3_000 * scale)),
        ("一般处罚", Some(3_000 * scale), Some(7_000 * scale)),
        ("从重处罚", Some(7_000 * scale), Some(10_000 * scale)),
        ("减轻处罚", Some(0), Some(1_000 * scale)),
    ]
}

fn behaviour_code(department: &str, n: usize) -> String {
    format!("{department}-WF-{n:03}")
}

/// A 身份证号码 with a valid check character, born between 1960 and 2000.
fn person_id(stream: &mut Stream) -> String {
    let born = NaiveDate::from_ymd_opt(1960, 1, 1)
        .and_then(|d| d.checked_add_days(Days::new(stream.below(14_600))))
        .unwrap_or_default();
    let body = format!("420202{}{:03}", born.format("%Y%m%d"), stream.below(1000));
    let check = domain::idcard::check_character(body.as_bytes());
    format!("{body}{}", char::from(check))
}

fn yes_no(value: bool) -> &'static str {
    if value { "是" } else { "否" }
}

/// Generates the files for `departments`, naming `officers`, the
/// organisations `parties` (code and name), with working days from `calendar`.
/// A department with fewer than two officers valid on a day has no case then.
pub fn generate(
    params: &CaseParams,
    departments: &[CaseDepartment],
    officers: &[CaseOfficer],
    parties: &[(String, String)],
    calendar: &impl WorkingDays,
) -> CaseFiles {
    let mut stream = Stream::named(&params.stream);
    let mut files = CaseFiles {
        benchmarks: "违法行为编码,违法行为,实施部门,法律依据,裁量阶次,适用情形,罚款下限,罚款上限,清单\n"
            .into(),
        cases: "案件编号,执法部门,当事人名称,当事人证件号码,违法行为编码,立案日期,决定日期,处罚种类,裁量阶次,罚款金额,执法人员,法制审核,首次违法,及时改正,延期,公示日期,决定变更日期,撤回日期,结案日期\n"
            .into(),
    };
    for department in departments {
        for (n, (name, basis)) in BEHAVIOURS.iter().enumerate().take(4) {
            let code = behaviour_code(&department.code, n + 1);
            let scale = 1 + (n as i64 % 3) * 2;
            let _ = writeln!(
                files.benchmarks,
                "{code},{name},{},{basis},不予处罚,首次违法、危害后果轻微并及时改正,,,{}",
                department.code,
                if n < 2 { "不予处罚" } else { "" }
            );
            for (tier, low, high) in tiers(scale) {
                let _ = writeln!(
                    files.benchmarks,
                    "{code},{name},{},{basis},{tier},{tier}情形,{},{},{}",
                    department.code,
                    low.map(|v| v.to_string()).unwrap_or_default(),
                    high.map(|v| v.to_string()).unwrap_or_default(),
                    if tier == "减轻处罚" && n == 0 {
                        "减轻处罚"
                    } else {
                        ""
                    }
                );
            }
        }
    }
    let weights: Vec<u32> = departments.iter().map(|d| d.weight.max(1)).collect();
    let start = NaiveDate::from_ymd_opt(params.year, 1, 2).unwrap_or_default();
    let days_in_year = if NaiveDate::from_ymd_opt(params.year, 2, 29).is_some() {
        366
    } else {
        365
    };
    for index in 0..params.cases {
        let Some(department) = departments.get(stream.weighted(&weights)) else {
            break;
        };
        let id = format!("{}-CF-{}-{:06}", department.code, params.year, index + 1);
        let behaviour_n = stream.below(4) as usize;
        let behaviour = behaviour_code(&department.code, behaviour_n + 1);
        let scale = 1 + (behaviour_n as i64 % 3) * 2;
        let filed = start
            .checked_add_days(Days::new(stream.below(days_in_year - 40)))
            .unwrap_or(start);
        let decided_after = stream.between(5, 80);
        let undecided = stream.below(100) < 2;
        let decided = filed
            .checked_add_days(Days::new(decided_after))
            .unwrap_or(filed);
        let person = stream.below(100) < 20;
        let (party_name, party_id) = if person || parties.is_empty() {
            (super::person_name(&mut stream), person_id(&mut stream))
        } else {
            let (code, name) = &parties[stream.below(parties.len() as u64) as usize];
            (name.clone(), code.clone())
        };
        let defect = |stream: &mut Stream| stream.below(1000) < params.defect_per_mille;
        // The tier, and the fine inside it.
        let roll = stream.below(100);
        let no_penalty = behaviour_n < 2 && roll < 6;
        let (tier, low, high) = if no_penalty {
            ("不予处罚", None, None)
        } else {
            let ranges = tiers(scale);
            match roll {
                0..=14 => ranges[0],
                15..=84 => ranges[1],
                85..=96 => ranges[2],
                _ => ranges[3],
            }
        };
        let mut fine = match (low, high) {
            (Some(low), Some(high)) => {
                Some(stream.between(low as u64 / 100, high as u64 / 100) as i64 * 100)
            }
            _ => None,
        };
        if !no_penalty && defect(&mut stream) {
            fine = high.map(|h| h + 500);
        }
        let mut kinds: Vec<&str> = Vec::new();
        if fine.is_some() {
            kinds.push("罚款");
        }
        if !no_penalty && stream.below(100) < 8 {
            kinds.insert(0, "警告");
        }
        if !no_penalty && stream.below(1000) < 6 {
            kinds.push("责令停产停业");
        }
        let fine_yuan = fine.unwrap_or(0);
        let mut review = fine_yuan >= if person { 5_000 } else { 50_000 }
            || kinds.contains(&"责令停产停业")
            || stream.below(100) < 30;
        if review && !no_penalty && defect(&mut stream) {
            review = false;
            if !kinds.contains(&"责令停产停业") && fine_yuan < 50_000 {
                kinds.push("责令停产停业");
            }
        }
        // Two distinct officers valid on the decision (or filing) date;
        // sometimes one only, or one whose certificate is not valid.
        let on = if undecided { filed } else { decided };
        let valid: Vec<&CaseOfficer> = officers
            .iter()
            .filter(|o| o.department == department.code && o.valid_on(on) && o.valid_on(filed))
            .collect();
        if valid.len() < 2 {
            continue;
        }
        let first = stream.below(valid.len() as u64) as usize;
        let mut second = stream.below(valid.len() as u64 - 1) as usize;
        if second >= first {
            second += 1;
        }
        let mut names = vec![valid[first].cert.clone()];
        let invalid: Vec<&CaseOfficer> = officers
            .iter()
            .filter(|o| o.department == department.code && !o.valid_on(on))
            .collect();
        if defect(&mut stream) {
            // One officer only.
        } else if !invalid.is_empty() && stream.below(1000) < params.defect_per_mille / 3 {
            names.push(
                invalid[stream.below(invalid.len() as u64) as usize]
                    .cert
                    .clone(),
            );
        } else {
            names.push(valid[second].cert.clone());
        }
        // Publication within 7 working days; late now and then.
        let penalty = !kinds.is_empty();
        let published = if undecided || !penalty {
            None
        } else if defect(&mut stream) {
            calendar.last_day(decided, 8 + stream.below(6) as u32).ok()
        } else {
            calendar.last_day(decided, 1 + stream.below(7) as u32).ok()
        };
        // About 1 % of published decisions are changed later and withdrawn within 3 working days.
        let (changed, withdrawn) = match published {
            Some(day) if stream.below(100) == 0 => {
                let changed = day
                    .checked_add_days(Days::new(stream.between(10, 60)))
                    .unwrap_or(day);
                (
                    Some(changed),
                    calendar.last_day(changed, 1 + stream.below(3) as u32).ok(),
                )
            }
            _ => (None, None),
        };
        let closed = if undecided {
            None
        } else {
            published
                .unwrap_or(decided)
                .checked_add_days(Days::new(stream.between(3, 30)))
        };
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let decided = (!undecided).then_some(decided);
        let _ = writeln!(
            files.cases,
            "{id},{},{party_name},{party_id},{behaviour},{filed},{},{},{tier},{},{},{},{},{},否,{},{},{},{}",
            department.code,
            date(decided),
            if undecided {
                String::new()
            } else {
                kinds.join("、")
            },
            if undecided {
                String::new()
            } else {
                fine.map(|f| f.to_string()).unwrap_or_default()
            },
            names.join("、"),
            yes_no(review),
            yes_no(no_penalty),
            yes_no(no_penalty),
            date(published),
            date(changed),
            date(withdrawn),
            date(closed.filter(|c| c.year() <= params.year + 1)),
        );
    }
    files
}
