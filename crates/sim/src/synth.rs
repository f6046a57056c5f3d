//! Synthetic city data from a named, seeded ChaCha20 stream.
//!
//! Everything here is a pure function of its parameters: each part of a city
//! is drawn from its own [`Stream`], a ChaCha20 generator seeded with
//! `SHA-256(name)`, e.g. `SHA-256("jianguan/synth/huangshi/entities")`. Choices
//! use integers only (uniform integers by rejection, weights in per mille), so
//! the same parameters give the same city on every machine.
//!
//! - [`City::huangshi`]: the reference city at its 2022 scale (403,000 market
//!   entities with valid 统一社会信用代码 in Huangshi's districts, GB/T 4754
//!   industries, registration statuses and dates, credit-risk classes A–D;
//!   30 departments; 3,010 inspectors; the item list of 158 categories / 323
//!   items; the joint list of 58 fields / 103 items; recusal relations).
//! - [`PlanSet::generate`]: a year of random-inspection plans over a city, with
//!   joint plans (a lead plan and participating departments' plans sharing one frame).
//! - [`NationalIds`]: a national-scale stream of valid codes in ascending
//!   order, generated on the fly (no file, no list in memory).

use std::collections::HashSet;

use chrono::NaiveDate;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

use domain::item::{CheckMethod, Period};
use domain::uscc::{self, ALPHABET, ORG_WEIGHTS, Uscc, WEIGHTS};

pub mod cases;
mod catalogue;
pub mod credit;
pub mod hotline;

pub use catalogue::{Law, RECUSAL_REASONS, SUBJECTS, Subject, chinese_number};

/// Common surnames.
const SURNAMES: [&str; 24] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "柯", "石", "汪", "费",
];
const GIVEN: [&str; 32] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "国", "志", "文", "红", "俊", "春", "海",
];
/// One of `words`, uniformly.
pub fn pick<'a>(stream: &mut Stream, words: &[&'a str]) -> &'a str {
    words[stream.below(words.len() as u64) as usize]
}

/// A Chinese person's name: a surname and one or two given characters.
pub fn person_name(stream: &mut Stream) -> String {
    let mut name = pick(stream, &SURNAMES).to_owned();
    for _ in 0..stream.between(1, 2) {
        name.push_str(pick(stream, &GIVEN));
    }
    name
}

/// A named deterministic random stream: ChaCha20 seeded with `SHA-256(name)`.
pub struct Stream(ChaCha20Rng);

impl Stream {
    /// The stream called `name`.
    pub fn named(name: &str) -> Self {
        Self(ChaCha20Rng::from_seed(draw::sha256(&[name.as_bytes()])))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A uniform integer in `0..n` (0 when `n` is 0), by rejection: no modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        let accept_below = u64::MAX - u64::MAX % n;
        loop {
            let x = self.0.next_u64();
            if x < accept_below {
                return x % n;
            }
        }
    }

    /// A uniform integer in `low..=high` (`low` when `high < low`).
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        if high <= low {
            return low;
        }
        low + self.below(high - low + 1)
    }

    /// An index chosen with probability proportional to `weights[index]`;
    /// 0 when every weight is 0.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut ticket = self.below(total);
        for (index, &weight) in weights.iter().enumerate() {
            if ticket < u64::from(weight) {
                return index;
            }
            ticket -= u64::from(weight);
        }
        0
    }

    /// A uniform random permutation (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for last in (1..items.len()).rev() {
            let other = self.below(last as u64 + 1) as usize;
            items.swap(last, other);
        }
    }

    /// A random character of the GB 32100 alphabet.
    pub fn alphabet_char(&mut self) -> u8 {
        ALPHABET[self.below(ALPHABET.len() as u64) as usize]
    }
}

/// An administrative district (GB/T 2260 code) of a city.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct District {
    /// Six-digit region code, positions 3–8 of a 统一社会信用代码.
    pub code: &'static str,
    /// Chinese name.
    pub name: &'static str,
    /// Share of the city's market entities, per mille.
    pub weight: u32,
}

/// Huangshi's districts; `420200` stands for entities registered by the city itself (市直).
pub const HUANGSHI_DISTRICTS: [District; 7] = [
    District {
        code: "420200",
        name: "市直",
        weight: 80,
    },
    District {
        code: "420202",
        name: "黄石港区",
        weight: 140,
    },
    District {
        code: "420203",
        name: "西塞山区",
        weight: 100,
    },
    District {
        code: "420204",
        name: "下陆区",
        weight: 110,
    },
    District {
        code: "420205",
        name: "铁山区",
        weight: 40,
    },
    District {
        code: "420222",
        name: "阳新县",
        weight: 230,
    },
    District {
        code: "420281",
        name: "大冶市",
        weight: 300,
    },
];

/// A section (门类) of GB/T 4754-2017 with its divisions (大类).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Section {
    /// Section letter, `A`–`T`.
    pub letter: u8,
    /// Chinese name.
    pub name: &'static str,
    /// First division code.
    pub first: u8,
    /// Last division code.
    pub last: u8,
    /// Share of market entities, per mille.
    pub weight: u32,
}

/// The 20 sections of GB/T 4754-2017 with a market-entity mix dominated, as in
/// practice, by wholesale and retail, catering and resident services.
pub const SECTIONS: [Section; 20] = [
    Section {
        letter: b'A',
        name: "农、林、牧、渔业",
        first: 1,
        last: 5,
        weight: 50,
    },
    Section {
        letter: b'B',
        name: "采矿业",
        first: 6,
        last: 12,
        weight: 8,
    },
    Section {
        letter: b'C',
        name: "制造业",
        first: 13,
        last: 43,
        weight: 80,
    },
    Section {
        letter: b'D',
        name: "电力、热力、燃气及水生产和供应业",
        first: 44,
        last: 46,
        weight: 5,
    },
    Section {
        letter: b'E',
        name: "建筑业",
        first: 47,
        last: 50,
        weight: 35,
    },
    Section {
        letter: b'F',
        name: "批发和零售业",
        first: 51,
        last: 52,
        weight: 390,
    },
    Section {
        letter: b'G',
        name: "交通运输、仓储和邮政业",
        first: 53,
        last: 60,
        weight: 40,
    },
    Section {
        letter: b'H',
        name: "住宿和餐饮业",
        first: 61,
        last: 62,
        weight: 120,
    },
    Section {
        letter: b'I',
        name: "信息传输、软件和信息技术服务业",
        first: 63,
        last: 65,
        weight: 30,
    },
    Section {
        letter: b'J',
        name: "金融业",
        first: 66,
        last: 69,
        weight: 5,
    },
    Section {
        letter: b'K',
        name: "房地产业",
        first: 70,
        last: 70,
        weight: 15,
    },
    Section {
        letter: b'L',
        name: "租赁和商务服务业",
        first: 71,
        last: 72,
        weight: 60,
    },
    Section {
        letter: b'M',
        name: "科学研究和技术服务业",
        first: 73,
        last: 75,
        weight: 30,
    },
    Section {
        letter: b'N',
        name: "水利、环境和公共设施管理业",
        first: 76,
        last: 79,
        weight: 5,
    },
    Section {
        letter: b'O',
        name: "居民服务、修理和其他服务业",
        first: 80,
        last: 82,
        weight: 80,
    },
    Section {
        letter: b'P',
        name: "教育",
        first: 83,
        last: 83,
        weight: 10,
    },
    Section {
        letter: b'Q',
        name: "卫生和社会工作",
        first: 84,
        last: 85,
        weight: 12,
    },
    Section {
        letter: b'R',
        name: "文化、体育和娱乐业",
        first: 86,
        last: 90,
        weight: 20,
    },
    Section {
        letter: b'S',
        name: "公共管理、社会保障和社会组织",
        first: 91,
        last: 96,
        weight: 4,
    },
    Section {
        letter: b'T',
        name: "国际组织",
        first: 97,
        last: 97,
        weight: 1,
    },
];

/// An industry: GB/T 4754-2017 section letter and two-digit division.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Industry {
    /// Section letter, `A`–`T`.
    pub section: u8,
    /// Division, `01`–`97`.
    pub division: u8,
}

impl Industry {
    /// E.g. `H62` (餐饮业).
    pub fn code(&self) -> String {
        format!("{}{:02}", char::from(self.section), self.division)
    }
}

/// Enterprise credit-risk class (信用风险分类), A low … D high.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RiskClass {
    /// Low risk.
    A,
    /// Ordinary.
    B,
    /// Elevated.
    C,
    /// High risk.
    D,
}

impl RiskClass {
    /// All classes, in order.
    pub const ALL: [Self; 4] = [Self::A, Self::B, Self::C, Self::D];

    /// The stratum label, `A`–`D`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::B => "B",
            Self::C => "C",
            Self::D => "D",
        }
    }

    /// Position in [`RiskClass::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The class at `draw` per mille of a cumulative `mix` (shares of A, B, C, D per mille).
    fn from_permille(draw: u64, mix: &[u32; 4]) -> Self {
        let mut bound = 0u64;
        for (class, &share) in Self::ALL.iter().zip(mix) {
            bound += u64::from(share);
            if draw < bound {
                return *class;
            }
        }
        Self::D
    }
}

/// Registration status (登记状态).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// 存续: in business; the only status drawn in plans' frames.
    Active,
    /// 注销: deregistered.
    Deregistered,
    /// 吊销: licence revoked.
    Revoked,
    /// 迁出: moved out of the city.
    MovedOut,
}

impl Status {
    /// All statuses, in order.
    pub const ALL: [Self; 4] = [
        Self::Active,
        Self::Deregistered,
        Self::Revoked,
        Self::MovedOut,
    ];

    /// The Chinese name: 存续, 注销, 吊销 or 迁出.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "存续",
            Self::Deregistered => "注销",
            Self::Revoked => "吊销",
            Self::MovedOut => "迁出",
        }
    }

    /// Position in [`Status::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A municipal department that runs random inspections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Department {
    /// Code, the prefix of its inspectors' ids.
    pub code: &'static str,
    /// Official Chinese name, e.g. 黄石市市场监督管理局.
    pub name: &'static str,
    /// GB/T 4754 section letters of the entities it supervises, in order of importance.
    pub sections: &'static str,
    /// Relative size of its inspector corps.
    pub weight: u32,
}

/// Huangshi's thirty departments of random inspection under one lead office
/// (市场监管局), with their official names and short codes.
pub const DEPARTMENTS: [Department; 30] = [
    Department {
        code: "SCJG",
        name: "黄石市市场监督管理局",
        sections: "FHCOLI",
        weight: 560,
    },
    Department {
        code: "YJGL",
        name: "黄石市应急管理局",
        sections: "BCDF",
        weight: 170,
    },
    Department {
        code: "STHJ",
        name: "黄石市生态环境局",
        sections: "CBDN",
        weight: 150,
    },
    Department {
        code: "WJW",
        name: "黄石市卫生健康委员会",
        sections: "QOH",
        weight: 150,
    },
    Department {
        code: "ZJJ",
        name: "黄石市住房和城乡建设局",
        sections: "EK",
        weight: 150,
    },
    Department {
        code: "JTYS",
        name: "黄石市交通运输局",
        sections: "G",
        weight: 140,
    },
    Department {
        code: "SWJ",
        name: "黄石市商务局",
        sections: "FHO",
        weight: 60,
    },
    Department {
        code: "WLJ",
        name: "黄石市文化和旅游局",
        sections: "RHL",
        weight: 80,
    },
    Department {
        code: "XF",
        name: "黄石市消防救援支队",
        sections: "HFRL",
        weight: 150,
    },
    Department {
        code: "GA",
        name: "黄石市公安局",
        sections: "OHRL",
        weight: 120,
    },
    Department {
        code: "JYJ",
        name: "黄石市教育局",
        sections: "P",
        weight: 60,
    },
    Department {
        code: "RSJ",
        name: "黄石市人力资源和社会保障局",
        sections: "LCE",
        weight: 80,
    },
    Department {
        code: "ZRZY",
        name: "黄石市自然资源和规划局",
        sections: "BEK",
        weight: 110,
    },
    Department {
        code: "SLJ",
        name: "黄石市水利和湖泊局",
        sections: "NBA",
        weight: 60,
    },
    Department {
        code: "NYNC",
        name: "黄石市农业农村局",
        sections: "AC",
        weight: 100,
    },
    Department {
        code: "LYJ",
        name: "黄石市林业局",
        sections: "AC",
        weight: 50,
    },
    Department {
        code: "SW",
        name: "国家税务总局黄石市税务局",
        sections: "FLJ",
        weight: 120,
    },
    Department {
        code: "TJJ",
        name: "黄石市统计局",
        sections: "CFEG",
        weight: 40,
    },
    Department {
        code: "CZJ",
        name: "黄石市财政局",
        sections: "ML",
        weight: 40,
    },
    Department {
        code: "JXJ",
        name: "黄石市经济和信息化局",
        sections: "CID",
        weight: 60,
    },
    Department {
        code: "FGW",
        name: "黄石市发展和改革委员会",
        sections: "DC",
        weight: 40,
    },
    Department {
        code: "YBJ",
        name: "黄石市医疗保障局",
        sections: "QF",
        weight: 60,
    },
    Department {
        code: "MZJ",
        name: "黄石市民政局",
        sections: "QOS",
        weight: 40,
    },
    Department {
        code: "SFJ",
        name: "黄石市司法局",
        sections: "L",
        weight: 40,
    },
    Department {
        code: "CGJ",
        name: "黄石市城市管理执法委员会",
        sections: "FHEN",
        weight: 150,
    },
    Department {
        code: "RFB",
        name: "黄石市人民防空办公室",
        sections: "EK",
        weight: 30,
    },
    Department {
        code: "YCJ",
        name: "黄石市烟草专卖局",
        sections: "F",
        weight: 50,
    },
    Department {
        code: "KJJ",
        name: "黄石市科学技术局",
        sections: "MI",
        weight: 30,
    },
    Department {
        code: "QXJ",
        name: "黄石市气象局",
        sections: "DE",
        weight: 30,
    },
    Department {
        code: "HG",
        name: "黄石海关",
        sections: "FC",
        weight: 60,
    },
];

/// A synthetic market entity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entity {
    /// Its 统一社会信用代码, valid by GB 32100 and GB 11714.
    pub uscc: Uscc,
    /// A plausible name.
    pub name: String,
    /// Index into the city's districts.
    pub district: u8,
    /// Its industry.
    pub industry: Industry,
    /// Its credit-risk class.
    pub risk: RiskClass,
    /// Its registration status.
    pub status: Status,
    /// Its registration date: codes with an `MA` body from October 2015, older
    /// ones from July 2002 (twenty years in all).
    pub registered_on: NaiveDate,
}

impl Entity {
    /// Whether it is 存续 (in business), so in plans' frames.
    pub fn is_active(&self) -> bool {
        self.status == Status::Active
    }
}

/// An item of the random-inspection item list (随机抽查事项清单).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// 事项编码, e.g. `SCJG-001-1` (department, category number, item in category).
    pub code: String,
    /// 抽查类别, e.g. 食品生产日常监督检查.
    pub category: String,
    /// 抽查事项.
    pub name: String,
    /// 检查依据, e.g. 《中华人民共和国食品安全法》第八十七条.
    pub legal_basis: String,
    /// Index into the city's departments (实施主体).
    pub department: u8,
    /// 检查对象.
    pub target_type: &'static str,
    /// 检查方式.
    pub methods: Vec<CheckMethod>,
    /// 抽查比例, in basis points.
    pub ratio_bp: u16,
    /// 抽查频次: times per period.
    pub frequency: (u16, Period),
}

/// An item of the cross-department joint list (部门联合抽查事项清单).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JointItem {
    /// 事项编码, e.g. `LH-01-1` (field number, item in field).
    pub code: String,
    /// 抽查领域: a subject of the lead department.
    pub field: &'static str,
    /// 抽查事项.
    pub name: String,
    /// 检查依据: the lead's law and a cooperating department's.
    pub legal_basis: String,
    /// Index into the city's departments: the lead (发起部门).
    pub lead: u8,
    /// Indexes of the cooperating departments (配合部门), ascending, without the lead.
    pub cooperating: Vec<u8>,
    /// 检查对象.
    pub target_type: &'static str,
    /// 检查方式.
    pub methods: Vec<CheckMethod>,
    /// 抽查比例, in basis points.
    pub ratio_bp: u16,
    /// 抽查频次: times per period.
    pub frequency: (u16, Period),
}

/// A recusal relation (回避): an inspector who must not inspect an entity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recusal {
    /// Index into the city's inspectors.
    pub inspector: u32,
    /// Index into the city's entities.
    pub entity: u32,
    /// Why, e.g. 近亲属关系（配偶任该单位法定代表人）.
    pub reason: &'static str,
}

/// A law-enforcement inspector (执法检查人员).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inspector {
    /// Id such as `SCJG-0001`.
    pub id: String,
    /// Index into the city's departments.
    pub department: u8,
}

/// What a synthetic city is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CityParams {
    /// Stream name prefix, e.g. `jianguan/synth/huangshi`.
    pub stream: String,
    /// Number of market entities.
    pub entities: usize,
    /// Number of inspectors, spread over the departments by their weights.
    pub inspectors: usize,
    /// Shares of risk classes A, B, C, D, per mille (summing to 1000).
    pub risk_mix: [u32; 4],
    /// Shares of the statuses 存续, 注销, 吊销, 迁出, per mille (summing to 1000).
    pub status_mix: [u32; 4],
    /// Categories of the item list.
    pub categories: usize,
    /// Items of the item list (at least one per category).
    pub items: usize,
    /// Fields of the joint list (at least one per department).
    pub joint_fields: usize,
    /// Items of the joint list (at least one per field).
    pub joint_items: usize,
    /// Recusal relations per 10,000 entities (at least one in a city with entities).
    pub recusals_per_10k: u32,
}

impl CityParams {
    /// Huangshi 2022 (seed, question 3): 403,000 entities, 3,010 inspectors,
    /// risk mix A 20 %, B 55 %, C 20 %, D 5 %; 90 % 存续, 6 % 注销, 2.8 % 吊销,
    /// 1.2 % 迁出; items of 158 categories / 323 items; a joint list of 58
    /// fields / 103 items; 403 recusals (one per thousand entities).
    pub fn huangshi() -> Self {
        Self {
            stream: "jianguan/synth/huangshi".into(),
            entities: 403_000,
            inspectors: 3_010,
            risk_mix: [200, 550, 200, 50],
            status_mix: [900, 60, 28, 12],
            categories: 158,
            items: 323,
            joint_fields: 58,
            joint_items: 103,
            recusals_per_10k: 10,
        }
    }
}

/// A synthetic city: its districts, departments, entities and inspectors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct City {
    /// Districts; [`Entity::district`] indexes them.
    pub districts: &'static [District],
    /// Departments; [`Inspector::department`] indexes them.
    pub departments: &'static [Department],
    /// Entities in ascending order of code (so frames built in this order are sorted).
    pub entities: Vec<Entity>,
    /// Inspectors, department by department, ids ascending.
    pub inspectors: Vec<Inspector>,
    /// The random-inspection item list, by code.
    pub items: Vec<Item>,
    /// The joint list, by code.
    pub joint_items: Vec<JointItem>,
    /// Recusal relations, by (inspector, entity).
    pub recusals: Vec<Recusal>,
    /// Division weights per mille of their section, indexed by division code.
    division_weights: Vec<u32>,
}

const NAME_WORDS: [&str; 24] = [
    "鑫", "华", "宏", "兴", "盛", "鸿", "瑞", "丰", "隆", "源", "泰", "恒", "达", "顺", "佳", "康",
    "福", "祥", "金", "诚", "信", "磁湖", "东楚", "青龙",
];

impl City {
    /// Huangshi at its 2022 scale: `City::generate(&CityParams::huangshi())`.
    pub fn huangshi() -> Self {
        Self::generate(&CityParams::huangshi())
    }

    /// Generates a city in Huangshi's districts with the thirty [`DEPARTMENTS`].
    pub fn generate(params: &CityParams) -> Self {
        let division_weights =
            division_weights(&mut Stream::named(&format!("{}/industries", params.stream)));
        let entities = generate_entities(params, &division_weights);
        let inspectors = generate_inspectors(params.inspectors);
        let items = generate_items(
            &mut Stream::named(&format!("{}/items", params.stream)),
            params,
        );
        let joint_items = generate_joint_items(
            &mut Stream::named(&format!("{}/joint-items", params.stream)),
            params,
        );
        let recusals = generate_recusals(
            &mut Stream::named(&format!("{}/recusals", params.stream)),
            params.recusals_per_10k,
            entities.len(),
            inspectors.len(),
        );
        Self {
            districts: &HUANGSHI_DISTRICTS,
            departments: &DEPARTMENTS,
            entities,
            inspectors,
            items,
            joint_items,
            recusals,
            division_weights,
        }
    }

    /// Entities that are 存续.
    pub fn active_entities(&self) -> usize {
        self.entities.iter().filter(|e| e.is_active()).count()
    }

    /// The subjects of a department (by index), its main one first.
    pub fn subjects_of(&self, department: u8) -> impl Iterator<Item = &'static Subject> + use<> {
        let code = self
            .departments
            .get(usize::from(department))
            .map_or("", |d| d.code);
        SUBJECTS.iter().filter(move |s| s.department == code)
    }

    /// Indexes of each department's inspectors.
    pub fn inspectors_by_department(&self) -> Vec<Vec<u32>> {
        let mut by_department = vec![Vec::new(); self.departments.len()];
        for (index, inspector) in self.inspectors.iter().enumerate() {
            if let (Some(list), Ok(index)) = (
                by_department.get_mut(usize::from(inspector.department)),
                u32::try_from(index),
            ) {
                list.push(index);
            }
        }
        by_department
    }

    /// The weight (per mille of its section) of a division in this city.
    pub fn division_weight(&self, division: u8) -> u32 {
        self.division_weights
            .get(usize::from(division))
            .copied()
            .unwrap_or(0)
    }
}

/// Per-division weights within each section, uneven as in reality.
fn division_weights(stream: &mut Stream) -> Vec<u32> {
    let mut weights = vec![0u32; 100];
    for section in &SECTIONS {
        for division in section.first..=section.last {
            weights[usize::from(division)] = stream.between(1, 10) as u32;
        }
    }
    weights
}

fn section_of(division: u8) -> Option<&'static Section> {
    SECTIONS
        .iter()
        .find(|s| (s.first..=s.last).contains(&division))
}

fn generate_entities(params: &CityParams, division_weights: &[u32]) -> Vec<Entity> {
    let mut stream = Stream::named(&format!("{}/entities", params.stream));
    let district_weights: Vec<u32> = HUANGSHI_DISTRICTS.iter().map(|d| d.weight).collect();
    let section_weights: Vec<u32> = SECTIONS.iter().map(|s| s.weight).collect();
    let mut seen: HashSet<Uscc> = HashSet::with_capacity(params.entities);
    let mut entities = Vec::with_capacity(params.entities);
    while entities.len() < params.entities {
        let district = stream.weighted(&district_weights);
        let section = &SECTIONS[stream.weighted(&section_weights)];
        let divisions: Vec<u32> = (section.first..=section.last)
            .map(|d| division_weights.get(usize::from(d)).copied().unwrap_or(1))
            .collect();
        let division = section.first + stream.weighted(&divisions) as u8;
        // Registration type: 1 enterprise, 2 individual business (个体工商户), 3 farmers' cooperative.
        let kind = [b'1', b'2', b'3'][stream.weighted(&[280, 700, 20])];
        let mut body = [0u8; 16];
        body[0] = b'9';
        body[1] = kind;
        body[2..8].copy_from_slice(HUANGSHI_DISTRICTS[district].code.as_bytes());
        if stream.below(100) < 70 {
            // Codes issued since 2015 carry an "MA" body from the registration system.
            body[8..10].copy_from_slice(b"MA");
            for slot in &mut body[10..16] {
                *slot = stream.alphabet_char();
            }
        } else {
            // Older codes reuse the organisation code of the entity, all digits.
            for slot in &mut body[8..16] {
                *slot = b'0' + stream.below(10) as u8;
            }
        }
        let Ok(uscc) = std::str::from_utf8(&body)
            .map_err(|_| ())
            .and_then(|b| Uscc::from_body(b).map_err(|_| ()))
        else {
            continue;
        };
        if !seen.insert(uscc) {
            continue;
        }
        let risk = RiskClass::from_permille(stream.below(1000), &params.risk_mix);
        let name = entity_name(&mut stream, district, section, kind);
        entities.push(Entity {
            uscc,
            name,
            district: district as u8,
            industry: Industry {
                section: section.letter,
                division,
            },
            risk,
            status: Status::Active,
            registered_on: OLD_CODES_FROM,
        });
    }
    entities.sort_unstable_by_key(|a| a.uscc);
    // Statuses and dates from their own stream, in code order, so that the
    // codes, names and classes above do not depend on them.
    let mut stream = Stream::named(&format!("{}/registrations", params.stream));
    for entity in &mut entities {
        entity.registered_on =
            if entity.uscc.as_str().as_bytes().get(8..10) == Some(b"MA".as_slice()) {
                date_between(&mut stream, MA_CODES_FROM, LAST_REGISTRATION)
            } else {
                date_between(
                    &mut stream,
                    OLD_CODES_FROM,
                    MA_CODES_FROM.pred_opt().unwrap_or(MA_CODES_FROM),
                )
            };
        entity.status = Status::ALL[stream.weighted(&params.status_mix)];
    }
    entities
}

/// The first registration date of codes with an organisation-code body.
const OLD_CODES_FROM: NaiveDate = ymd(2002, 7, 1);
/// The first registration date of codes with an `MA` body (the 2015 reform).
const MA_CODES_FROM: NaiveDate = ymd(2015, 10, 1);
/// The last registration date of the city (2022 scale).
const LAST_REGISTRATION: NaiveDate = ymd(2022, 5, 31);

/// A date known to be valid (the epoch otherwise).
const fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => NaiveDate::MIN,
    }
}

/// A date uniformly between `low` and `high` inclusive (`low` when `high < low`).
pub fn date_between(stream: &mut Stream, low: NaiveDate, high: NaiveDate) -> NaiveDate {
    let span = u64::try_from((high - low).num_days()).unwrap_or(0);
    low.checked_add_days(chrono::Days::new(stream.below(span + 1)))
        .unwrap_or(low)
}

fn entity_name(stream: &mut Stream, district: usize, section: &Section, kind: u8) -> String {
    let place = match HUANGSHI_DISTRICTS[district].name {
        "市直" => "黄石",
        name => name.trim_end_matches(['区', '县', '市']),
    };
    let first = NAME_WORDS[stream.below(NAME_WORDS.len() as u64) as usize];
    let second = NAME_WORDS[stream.below(NAME_WORDS.len() as u64) as usize];
    let trade = match section.letter {
        b'A' => "农业",
        b'B' => "矿业",
        b'C' => "制造",
        b'E' => "建筑工程",
        b'F' => "商贸",
        b'G' => "物流",
        b'H' => "餐饮",
        b'I' => "信息技术",
        b'K' => "置业",
        b'L' => "商务服务",
        b'M' => "科技",
        b'O' => "便民服务",
        b'P' => "培训",
        b'Q' => "医疗",
        b'R' => "文化传媒",
        _ => "实业",
    };
    match kind {
        b'2' => format!("{place}{first}{second}{trade}店"),
        b'3' => format!("{place}{first}{second}{trade}专业合作社"),
        _ => format!("黄石{first}{second}{trade}有限公司"),
    }
}

/// Spreads `count` over shares by largest remainder, at least `minimum` each.
fn apportion(count: usize, weights: &[u32], minimum: usize) -> Vec<usize> {
    let total: u64 = weights.iter().map(|&w| u64::from(w)).sum::<u64>().max(1);
    let spare = count.saturating_sub(minimum * weights.len()) as u64;
    let mut shares: Vec<usize> = weights
        .iter()
        .map(|&w| minimum + (spare * u64::from(w) / total) as usize)
        .collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse((spare * u64::from(weights[i]) % total, weights[i])));
    let mut missing = count.saturating_sub(shares.iter().sum());
    for &i in order.iter().cycle().take(weights.len() * 2) {
        if missing == 0 {
            break;
        }
        shares[i] += 1;
        missing -= 1;
    }
    shares
}

fn generate_inspectors(count: usize) -> Vec<Inspector> {
    let weights: Vec<u32> = DEPARTMENTS.iter().map(|d| d.weight).collect();
    let shares = apportion(count, &weights, 2);
    let mut inspectors = Vec::with_capacity(count);
    for (department, (share, info)) in shares.iter().zip(&DEPARTMENTS).enumerate() {
        for number in 1..=*share {
            inspectors.push(Inspector {
                id: format!("{}-{number:04}", info.code),
                department: department as u8,
            });
        }
    }
    inspectors.sort_by(|a, b| a.id.cmp(&b.id));
    inspectors
}

/// The index in [`DEPARTMENTS`] of a department code (0 when unknown; the
/// catalogue's test checks every code).
fn department_index(code: &str) -> u8 {
    DEPARTMENTS
        .iter()
        .position(|d| d.code == code)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(0)
}

/// `《law》第X条` with a random article.
fn citation(stream: &mut Stream, law: &Law) -> String {
    let article = stream.between(5.min(u64::from(law.articles)), u64::from(law.articles));
    format!(
        "{}第{}条",
        law.title,
        chinese_number(u16::try_from(article).unwrap_or(1))
    )
}

/// Methods: on site, often with documents, sometimes with testing.
fn methods(stream: &mut Stream) -> Vec<CheckMethod> {
    match stream.weighted(&[450, 350, 100, 60, 40]) {
        0 => vec![CheckMethod::OnSite, CheckMethod::Documents],
        1 => vec![CheckMethod::OnSite],
        2 => vec![CheckMethod::OnSite, CheckMethod::Testing],
        3 => vec![CheckMethod::Documents, CheckMethod::Online],
        _ => vec![CheckMethod::OnSite, CheckMethod::Commissioned],
    }
}

/// A ratio (3 %, 5 %, 10 % or 20 %) and a frequency (mostly once a year).
fn ratio_and_frequency(stream: &mut Stream) -> (u16, (u16, Period)) {
    let ratio = [300, 500, 1_000, 2_000][stream.weighted(&[300, 400, 200, 100])];
    let frequency = match stream.weighted(&[800, 150, 50]) {
        0 => (1, Period::Year),
        1 => (1, Period::HalfYear),
        _ => (2, Period::Year),
    };
    (ratio, frequency)
}

/// Kinds of categories: each subject has a routine category, then (while
/// categories are wanted) a special one; each kind names the aspects checked.
const CATEGORY_KINDS: [(&str, [&str; 3]); 2] = [
    (
        "日常监督检查",
        ["资质许可情况", "生产经营行为", "管理制度落实情况"],
    ),
    ("专项检查", ["重点环节", "隐患整改情况", "记录台账"]),
];

/// `params.categories` categories (every subject's routine one, then special
/// ones in subject order), grouped by department, with `params.items` items
/// (two or three per category, while they last; at least one).
fn generate_items(stream: &mut Stream, params: &CityParams) -> Vec<Item> {
    let mut categories: Vec<(usize, usize)> = (0..CATEGORY_KINDS.len())
        .flat_map(|kind| (0..SUBJECTS.len()).map(move |subject| (subject, kind)))
        .take(params.categories)
        .collect();
    categories.sort_unstable();
    // Items per category: one each, then a second, then a third in a random order of categories.
    let mut per_category = vec![1usize; categories.len()];
    let mut order: Vec<usize> = (0..categories.len()).collect();
    stream.shuffle(&mut order);
    let mut left = params.items.saturating_sub(categories.len());
    'rounds: for _ in 1..3 {
        for &index in &order {
            if left == 0 {
                break 'rounds;
            }
            per_category[index] += 1;
            left -= 1;
        }
    }
    let mut items = Vec::with_capacity(params.items);
    for (number, (&(subject, kind), &count)) in categories.iter().zip(&per_category).enumerate() {
        let subject = &SUBJECTS[subject];
        let (suffix, aspects) = CATEGORY_KINDS[kind];
        let category = format!("{}{suffix}", subject.name);
        for (position, aspect) in aspects.iter().take(count).enumerate() {
            let (ratio_bp, frequency) = ratio_and_frequency(stream);
            items.push(Item {
                code: format!("{}-{:03}-{}", subject.department, number + 1, position + 1),
                category: category.clone(),
                name: format!("{}{aspect}检查", subject.name),
                legal_basis: citation(stream, &subject.law),
                department: department_index(subject.department),
                target_type: subject.target,
                methods: methods(stream),
                ratio_bp,
                frequency,
            });
        }
    }
    items.sort_by(|a, b| a.code.cmp(&b.code));
    items
}

/// Names of a joint field's items: a joint check, then a joint sweep of hazards.
const JOINT_ASPECTS: [&str; 2] = ["联合监督检查", "风险隐患联合排查"];

/// `params.joint_fields` fields (every department's main subject, then random
/// other subjects), each led by its subject's department with one to three
/// cooperating departments, and `params.joint_items` items (one or two per field).
fn generate_joint_items(stream: &mut Stream, params: &CityParams) -> Vec<JointItem> {
    let mut main = Vec::new();
    let mut others = Vec::new();
    for (index, subject) in SUBJECTS.iter().enumerate() {
        if SUBJECTS[..index]
            .iter()
            .any(|s| s.department == subject.department)
        {
            others.push(index);
        } else {
            main.push(index);
        }
    }
    stream.shuffle(&mut others);
    let mut fields: Vec<usize> = main
        .into_iter()
        .chain(others)
        .take(params.joint_fields)
        .collect();
    fields.sort_unstable();
    let mut second = vec![false; fields.len()];
    let mut order: Vec<usize> = (0..fields.len()).collect();
    stream.shuffle(&mut order);
    for &index in order
        .iter()
        .take(params.joint_items.saturating_sub(fields.len()))
    {
        second[index] = true;
    }
    let weights: Vec<u32> = DEPARTMENTS.iter().map(|d| d.weight).collect();
    let mut items = Vec::with_capacity(params.joint_items);
    for (number, (&subject, &two)) in fields.iter().zip(&second).enumerate() {
        let subject = &SUBJECTS[subject];
        let lead = department_index(subject.department);
        let mut cooperating: Vec<u8> = Vec::new();
        for _ in 0..stream.between(1, 3) {
            let available: Vec<u32> = weights
                .iter()
                .enumerate()
                .map(|(d, &w)| {
                    if d == usize::from(lead) || cooperating.contains(&(d as u8)) {
                        0
                    } else {
                        w
                    }
                })
                .collect();
            cooperating.push(stream.weighted(&available) as u8);
        }
        cooperating.sort_unstable();
        let partner = SUBJECTS
            .iter()
            .find(|s| department_index(s.department) == cooperating[0])
            .map_or(subject.law, |s| s.law);
        for (position, aspect) in JOINT_ASPECTS
            .iter()
            .take(if two { 2 } else { 1 })
            .enumerate()
        {
            let (ratio_bp, frequency) = ratio_and_frequency(stream);
            let mut legal_basis = citation(stream, &subject.law);
            if partner != subject.law {
                legal_basis.push('；');
                legal_basis.push_str(&citation(stream, &partner));
            }
            items.push(JointItem {
                code: format!("LH-{:02}-{}", number + 1, position + 1),
                field: subject.name,
                name: format!("{}{aspect}", subject.name),
                legal_basis,
                lead,
                cooperating: cooperating.clone(),
                target_type: subject.target,
                methods: methods(stream),
                ratio_bp,
                frequency,
            });
        }
    }
    items
}

/// `per_10k` recusals per 10,000 entities (at least one when there are
/// entities and inspectors): distinct random (inspector, entity) pairs.
fn generate_recusals(
    stream: &mut Stream,
    per_10k: u32,
    entities: usize,
    inspectors: usize,
) -> Vec<Recusal> {
    if entities == 0 || inspectors == 0 {
        return Vec::new();
    }
    let count = (entities as u64 * u64::from(per_10k) / 10_000).max(1) as usize;
    let count = count.min(entities.saturating_mul(inspectors));
    let mut seen = HashSet::with_capacity(count);
    let mut recusals = Vec::with_capacity(count);
    while recusals.len() < count {
        let inspector = stream.below(inspectors as u64) as u32;
        let entity = stream.below(entities as u64) as u32;
        let reason = RECUSAL_REASONS[stream.below(RECUSAL_REASONS.len() as u64) as usize];
        if seen.insert((inspector, entity)) {
            recusals.push(Recusal {
                inspector,
                entity,
                reason,
            });
        }
    }
    recusals.sort_by_key(|r| (r.inspector, r.entity));
    recusals
}

/// What a year of plans looks like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanParams {
    /// Stream name, e.g. `jianguan/synth/huangshi/plans`.
    pub stream: String,
    /// Year, used in plan ids.
    pub year: u16,
    /// Number of plan entries.
    pub plans: usize,
    /// How many of them belong to joint plans (a lead plan and 1–3 participants).
    pub joint_plans: usize,
    /// Smallest frame, in basis points of the city's entities.
    pub cover_min_bp: u32,
    /// Largest frame, in basis points of the city's entities.
    pub cover_max_bp: u32,
    /// Sampling rate per risk class A, B, C, D, in basis points.
    pub rates_bp: [u32; 4],
}

impl PlanParams {
    /// Huangshi 2022: 156 plans, 88 of them in joint plans; frames of 0.2–3 % of
    /// entities by district and industry; rates A 0.5 %, B 2 %, C 5 %, D 20 %.
    pub fn huangshi() -> Self {
        Self {
            stream: "jianguan/synth/huangshi/plans".into(),
            year: 2022,
            plans: 156,
            joint_plans: 88,
            cover_min_bp: 20,
            cover_max_bp: 300,
            rates_bp: [50, 200, 500, 2_000],
        }
    }
}

/// One plan entry: one department's plan. Joint plans are several entries with one frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Id, e.g. `HS2022-J07-SCJG` (joint plan 7, 市场监管局's entry) or `HS2022-S012-WJW`.
    pub id: String,
    /// Index into the city's departments.
    pub department: u8,
    /// Index into [`PlanSet::frames`]; entries of one joint plan share it.
    pub frame: usize,
    /// Whether this entry leads its joint plan (always true for single-department plans).
    pub lead: bool,
    /// Rate per risk class A, B, C, D in basis points.
    pub rates_bp: [u32; 4],
}

/// The frame of a plan: every 存续 entity in a set of (district, industry division) cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanFrame {
    /// The cells chosen, as (district index, division code).
    pub cells: Vec<(u8, u8)>,
    /// Entity indexes, ascending (hence ascending by code).
    pub members: Vec<u32>,
}

/// A year of plans over a city.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanSet {
    /// Plan entries, in id order.
    pub plans: Vec<Plan>,
    /// Frames, one per single plan or joint plan.
    pub frames: Vec<PlanFrame>,
}

impl PlanSet {
    /// Huangshi's 2022 plans over `city`.
    pub fn huangshi(city: &City) -> Self {
        Self::generate(city, &PlanParams::huangshi())
    }

    /// Generates plans: departments get entries in proportion to their inspector
    /// corps (at least one each); each joint plan is led by the participating
    /// department with most entries left; each frame is chosen from the lead
    /// department's industries (then any industry) cell by cell until it
    /// covers a random share between the bounds.
    pub fn generate(city: &City, params: &PlanParams) -> Self {
        let mut stream = Stream::named(&params.stream);
        let departments = city.departments.len();
        let weights: Vec<u32> = city.departments.iter().map(|d| d.weight).collect();
        let mut quota = apportion(params.plans, &weights, 1);

        // Group sizes: joint plans of 2–4 entries adding up to `joint_plans`, then singles.
        let mut sizes = Vec::new();
        let mut left = params.joint_plans;
        while left >= 2 {
            let mut size = stream.between(2, 4) as usize;
            size = size.min(left);
            if left - size == 1 {
                size = if size > 2 { size - 1 } else { size + 1 };
            }
            sizes.push(size);
            left -= size;
        }
        let joint_groups = sizes.len();
        sizes.extend(std::iter::repeat_n(
            1,
            params.plans.saturating_sub(params.joint_plans - left),
        ));

        let cells = CellIndex::new(city);
        let total = city.active_entities() as u64;
        let min_count = total * u64::from(params.cover_min_bp) / 10_000;
        let max_count = total * u64::from(params.cover_max_bp) / 10_000;
        let mut plans = Vec::new();
        let mut frames = Vec::new();
        let mut singles = 0usize;
        for (group, &size) in sizes.iter().enumerate() {
            let mut members: Vec<u8> = Vec::with_capacity(size);
            for _ in 0..size {
                let available: Vec<u32> = (0..departments)
                    .map(|d| {
                        if members.contains(&(d as u8)) {
                            0
                        } else {
                            quota[d] as u32
                        }
                    })
                    .collect();
                let chosen = if members.is_empty() && size > 1 {
                    // The lead: the department with most entries left (ties to the first).
                    available
                        .iter()
                        .enumerate()
                        .max_by_key(|&(d, &q)| (q, std::cmp::Reverse(d)))
                        .map_or(0, |(d, _)| d)
                } else {
                    stream.weighted(&available)
                };
                quota[chosen] = quota[chosen].saturating_sub(1);
                members.push(chosen as u8);
            }
            let lead = &city.departments[usize::from(members[0])];
            let target = stream.between(min_count, max_count);
            let frame = cells.choose(&mut stream, lead.sections, target, min_count, max_count);
            let frame_index = frames.len();
            frames.push(frame);
            let label = if group < joint_groups {
                format!("J{:02}", group + 1)
            } else {
                singles += 1;
                format!("S{singles:03}")
            };
            for (position, &department) in members.iter().enumerate() {
                plans.push(Plan {
                    id: format!(
                        "HS{}-{label}-{}",
                        params.year,
                        city.departments[usize::from(department)].code
                    ),
                    department,
                    frame: frame_index,
                    lead: position == 0,
                    rates_bp: params.rates_bp,
                });
            }
        }
        for frame in &mut frames {
            frame.members = cells.members(city, &frame.cells);
        }
        plans.sort_by(|a, b| a.id.cmp(&b.id));
        Self { plans, frames }
    }
}

/// 存续 entity counts per (district, division) cell.
struct CellIndex {
    counts: Vec<[u64; 100]>,
}

impl CellIndex {
    fn new(city: &City) -> Self {
        let mut counts = vec![[0u64; 100]; city.districts.len()];
        for entity in city.entities.iter().filter(|e| e.is_active()) {
            if let Some(row) = counts.get_mut(usize::from(entity.district)) {
                row[usize::from(entity.industry.division) % 100] += 1;
            }
        }
        Self { counts }
    }

    /// Adds random cells, first of `sections`, then of any section, while the
    /// frame stays at most `max` entities, until it reaches `target`.
    fn choose(
        &self,
        stream: &mut Stream,
        sections: &str,
        target: u64,
        min: u64,
        max: u64,
    ) -> PlanFrame {
        let mut own = Vec::new();
        let mut other = Vec::new();
        for (district, row) in self.counts.iter().enumerate() {
            for (division, &count) in row.iter().enumerate() {
                if count == 0 {
                    continue;
                }
                let cell = (district as u8, division as u8);
                match section_of(division as u8) {
                    Some(section) if sections.as_bytes().contains(&section.letter) => {
                        own.push(cell)
                    }
                    _ => other.push(cell),
                }
            }
        }
        stream.shuffle(&mut own);
        stream.shuffle(&mut other);
        let mut chosen = Vec::new();
        let mut size = 0u64;
        for (pass, pool) in [own, other].into_iter().enumerate() {
            if (pass == 0 && size >= target) || (pass == 1 && size >= min) {
                break;
            }
            for cell in pool {
                if size >= target {
                    break;
                }
                let count = self.counts[usize::from(cell.0)][usize::from(cell.1)];
                if size + count <= max {
                    chosen.push(cell);
                    size += count;
                }
            }
        }
        chosen.sort_unstable();
        PlanFrame {
            cells: chosen,
            members: Vec::new(),
        }
    }

    fn members(&self, city: &City, cells: &[(u8, u8)]) -> Vec<u32> {
        let mut wanted = vec![[false; 100]; self.counts.len()];
        for &(district, division) in cells {
            if let Some(row) = wanted.get_mut(usize::from(district)) {
                row[usize::from(division) % 100] = true;
            }
        }
        city.entities
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.is_active()
                    && wanted
                        .get(usize::from(e.district))
                        .is_some_and(|row| row[usize::from(e.industry.division) % 100])
            })
            .filter_map(|(index, _)| u32::try_from(index).ok())
            .collect()
    }
}

/// A national-scale stream of valid 统一社会信用代码 in strictly ascending byte
/// order, for benchmarks: no file and no list, 18 bytes of state per id.
///
/// The 16 body characters count like an odometer over the 31-character
/// alphabet (which is in ASCII order, so counting yields ascending codes) from
/// `9111000000000000` upwards in positions 9–16; the two check characters are
/// kept up to date incrementally. Each id's risk class is [`national_risk`] of
/// its index.
pub struct NationalIds {
    remaining: u64,
    index: u64,
    values: [u8; 16],
    text: [u8; uscc::LEN],
    body_sum: u32,
    org_sum: u32,
    started: bool,
}

/// The most ids [`NationalIds`] can give: every body of positions 9–16.
pub const NATIONAL_MAX: u64 = 31u64.pow(8);

const NATIONAL_FIRST_BODY: &[u8; 16] = b"9111000000000000";

/// GB 11714 value of each GB 32100 alphabet index.
const ORG_VALUE_OF_INDEX: [u32; 31] = {
    let mut table = [0u32; 31];
    let mut i = 0;
    while i < 31 {
        table[i] = match uscc::org_value(ALPHABET[i]) {
            Some(v) => v,
            None => 0,
        };
        i += 1;
    }
    table
};

impl NationalIds {
    /// A stream of `count` ids (at most [`NATIONAL_MAX`]).
    pub fn new(count: u64) -> Self {
        let mut values = [0u8; 16];
        let mut body_sum = 0;
        let mut org_sum = 0;
        for (position, &byte) in NATIONAL_FIRST_BODY.iter().enumerate() {
            let value = uscc::value(byte).unwrap_or(0);
            values[position] = value as u8;
            body_sum += value * WEIGHTS[position];
            if position >= 8 {
                org_sum += ORG_VALUE_OF_INDEX[value as usize] * ORG_WEIGHTS[position - 8];
            }
        }
        let mut text = [0u8; uscc::LEN];
        text[..16].copy_from_slice(NATIONAL_FIRST_BODY);
        Self {
            remaining: count.min(NATIONAL_MAX),
            index: 0,
            values,
            text,
            body_sum,
            org_sum,
            started: false,
        }
    }

    /// The next id and its risk class, or `None` at the end.
    #[inline]
    pub fn next_id(&mut self) -> Option<(&str, RiskClass)> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        if self.started {
            self.advance();
            self.index += 1;
        }
        self.started = true;
        let org = match 11 - self.org_sum % 11 {
            10 => b'X',
            11 => b'0',
            digit => b'0' + digit as u8,
        };
        let org_value = if org == b'X' {
            29
        } else {
            u32::from(org - b'0')
        };
        let sum = self.body_sum + org_value * WEIGHTS[16];
        self.text[16] = org;
        self.text[17] = ALPHABET[((31 - sum % 31) % 31) as usize];
        let id = std::str::from_utf8(&self.text).ok()?;
        Some((id, national_risk(self.index)))
    }

    /// Adds one to the body in positions 9–16.
    #[inline]
    fn advance(&mut self) {
        let mut position = 15;
        loop {
            let old = u32::from(self.values[position]);
            let new = if old == 30 { 0 } else { old + 1 };
            self.values[position] = new as u8;
            self.text[position] = ALPHABET[new as usize];
            self.body_sum = self.body_sum - old * WEIGHTS[position] + new * WEIGHTS[position];
            let weight = ORG_WEIGHTS[position - 8];
            self.org_sum = self.org_sum - ORG_VALUE_OF_INDEX[old as usize] * weight
                + ORG_VALUE_OF_INDEX[new as usize] * weight;
            if new != 0 || position == 8 {
                return;
            }
            position -= 1;
        }
    }
}

/// The risk class of the `index`-th national id: SplitMix64 of the index, per
/// mille, against the mix A 30 %, B 55 %, C 12 %, D 3 %. Cheap and stateless,
/// so populations can be counted before the stream is drawn.
#[inline]
pub fn national_risk(index: u64) -> RiskClass {
    let mut z = index.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    // Multiply-shift maps 64 bits to 0..1000 without division.
    let permille = ((u128::from(z) * 1000) >> 64) as u64;
    match permille {
        0..300 => RiskClass::A,
        300..850 => RiskClass::B,
        850..970 => RiskClass::C,
        _ => RiskClass::D,
    }
}

/// Sizes of the risk classes A, B, C, D among the first `count` national ids.
pub fn national_populations(count: u64) -> [u64; 4] {
    let mut populations = [0u64; 4];
    for index in 0..count.min(NATIONAL_MAX) {
        populations[national_risk(index).index()] += 1;
    }
    populations
}

/// A synthetic round ready to draw offline: every plan with its frame, every
/// inspector, and each department's inspectors as candidates for its visits.
pub struct SyntheticRound {
    /// The round's input for [`draw::draw_round`].
    pub input: draw::RoundInput,
    /// Inspector indexes of each department code.
    pub by_department: std::collections::HashMap<String, Vec<u32>>,
}

impl SyntheticRound {
    /// Builds the round of `set` over `city`, sealed with `secret` and drawn with `beacon`.
    pub fn build(
        city: &City,
        set: &PlanSet,
        secret: draw::Secret,
        beacon: &str,
        cap: u32,
    ) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        let frame_rows: Vec<Vec<draw::FrameRow>> = set
            .frames
            .iter()
            .map(|frame| {
                frame
                    .members
                    .iter()
                    .filter_map(|&index| city.entities.get(index as usize))
                    .map(|entity| draw::FrameRow {
                        id: entity.uscc.as_str().into(),
                        stratum: entity.risk.as_str().into(),
                    })
                    .collect()
            })
            .collect();
        let mut plans = Vec::with_capacity(set.plans.len());
        for plan in &set.plans {
            let department = city
                .departments
                .get(usize::from(plan.department))
                .context("plan of an unknown department")?;
            let strata = RiskClass::ALL
                .iter()
                .zip(plan.rates_bp)
                .map(|(class, rate)| {
                    Ok(draw::StratumRule {
                        stratum: class.as_str().to_owned(),
                        allocation: draw::Allocation::rate_bp(rate)?,
                    })
                })
                .collect::<Result<Vec<_>, draw::Error>>()?;
            let spec = draw::PlanSpec {
                id: plan.id.clone(),
                department: department.code.to_owned(),
                strata,
            };
            let frame = frame_rows
                .get(plan.frame)
                .context("plan without a frame")?
                .clone();
            plans.push((spec, frame));
        }
        let mut by_department = std::collections::HashMap::new();
        for (index, list) in city.inspectors_by_department().into_iter().enumerate() {
            if let Some(department) = city.departments.get(index) {
                by_department.insert(department.code.to_owned(), list);
            }
        }
        let input = draw::RoundInput {
            secret,
            beacon: beacon.to_owned(),
            cap: Some(cap),
            plans,
            inspectors: city.inspectors.iter().map(|i| i.id.clone()).collect(),
        };
        Ok(Self {
            input,
            by_department,
        })
    }

    /// `k` inspectors from the department's whole corps (offline eligibility).
    pub fn demand(&self, department: &str, k: u32) -> draw::Demand {
        corps_demand(&self.by_department, department, k)
    }
}

/// `k` inspectors from the department's whole corps in `by_department` (offline eligibility).
pub fn corps_demand(
    by_department: &std::collections::HashMap<String, Vec<u32>>,
    department: &str,
    k: u32,
) -> draw::Demand {
    draw::Demand {
        k,
        candidates: by_department.get(department).cloned().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_named_and_reproducible() {
        let mut a = Stream::named("jianguan/synth/test");
        let mut b = Stream::named("jianguan/synth/test");
        let mut c = Stream::named("jianguan/synth/other");
        let xs: Vec<u64> = (0..8).map(|_| a.below(1000)).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.below(1000)).collect();
        let zs: Vec<u64> = (0..8).map(|_| c.below(1000)).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
        assert!(xs.iter().all(|&x| x < 1000));
    }

    #[test]
    fn apportion_hits_the_total() {
        let weights: Vec<u32> = DEPARTMENTS.iter().map(|d| d.weight).collect();
        let shares = apportion(3_010, &weights, 2);
        assert_eq!(shares.iter().sum::<usize>(), 3_010);
        assert!(shares.iter().all(|&s| s >= 2));
        let plans = apportion(156, &weights, 1);
        assert_eq!(plans.iter().sum::<usize>(), 156);
    }

    #[test]
    fn small_city_is_valid_sorted_and_deterministic() -> Result<(), uscc::UsccError> {
        let params = CityParams {
            entities: 5_000,
            ..CityParams::huangshi()
        };
        let city = City::generate(&params);
        assert_eq!(city.entities.len(), 5_000);
        assert_eq!(city.inspectors.len(), 3_010);
        for pair in city.entities.windows(2) {
            assert!(pair[0].uscc < pair[1].uscc);
        }
        for entity in &city.entities {
            Uscc::parse(entity.uscc.as_str())?;
            assert_eq!(
                entity.uscc.region(),
                HUANGSHI_DISTRICTS[usize::from(entity.district)].code
            );
        }
        assert_eq!(city, City::generate(&params));
        let mut risks = [0usize; 4];
        let mut statuses = [0usize; 4];
        for entity in &city.entities {
            risks[entity.risk.index()] += 1;
            statuses[entity.status.index()] += 1;
            assert!((OLD_CODES_FROM..=LAST_REGISTRATION).contains(&entity.registered_on));
        }
        // A 20 %, B 55 %, C 20 %, D 5 % of 5,000, within about four standard deviations.
        for (count, expected, slack) in risks
            .into_iter()
            .zip([1_000, 2_750, 1_000, 250])
            .zip([120, 150, 120, 70])
            .map(|((c, e), s)| (c, e, s))
        {
            assert!(count.abs_diff(expected) <= slack, "risk mix {risks:?}");
        }
        assert!(
            statuses[0] > 4_300 && statuses[1..].iter().all(|&n| n >= 20),
            "statuses {statuses:?}"
        );
        let individual = city
            .entities
            .iter()
            .filter(|e| e.uscc.as_str().as_bytes()[1] == b'2')
            .count();
        assert!(individual.abs_diff(3_500) <= 150, "个体工商户 {individual}");
        assert!(city.inspectors.iter().any(|i| i.id == "SCJG-0001"));
        Ok(())
    }

    #[test]
    fn item_lists_have_the_huangshi_counts() {
        let city = City::generate(&CityParams {
            entities: 2_000,
            ..CityParams::huangshi()
        });
        assert_eq!(city.items.len(), 323);
        let mut categories: Vec<&str> = city.items.iter().map(|i| i.category.as_str()).collect();
        categories.sort_unstable();
        categories.dedup();
        assert_eq!(categories.len(), 158);
        let mut codes: Vec<&str> = city.items.iter().map(|i| i.code.as_str()).collect();
        codes.dedup();
        assert_eq!(codes.len(), 323);
        assert!(
            city.items
                .iter()
                .all(|i| i.legal_basis.starts_with('《') && i.legal_basis.ends_with('条'))
        );

        assert_eq!(city.joint_items.len(), 103);
        let mut fields: Vec<&str> = city.joint_items.iter().map(|i| i.field).collect();
        fields.dedup();
        assert_eq!(fields.len(), 58);
        let mut departments: Vec<u8> = city
            .joint_items
            .iter()
            .flat_map(|i| std::iter::once(i.lead).chain(i.cooperating.iter().copied()))
            .collect();
        departments.sort_unstable();
        departments.dedup();
        assert_eq!(departments.len(), 30);
        for item in &city.joint_items {
            assert!(
                (1..=3).contains(&item.cooperating.len()) && !item.cooperating.contains(&item.lead),
                "{item:?}"
            );
        }

        assert_eq!(city.recusals.len(), 2);
        let full = generate_recusals(
            &mut Stream::named("jianguan/synth/test/recusals"),
            10,
            403_000,
            3_010,
        );
        assert_eq!(full.len(), 403);
        assert_eq!(
            city,
            City::generate(&CityParams {
                entities: 2_000,
                ..CityParams::huangshi()
            })
        );
    }

    #[test]
    fn plans_have_joint_groups_and_bounded_frames() {
        let params = CityParams {
            entities: 40_000,
            ..CityParams::huangshi()
        };
        let city = City::generate(&params);
        let set = PlanSet::huangshi(&city);
        assert_eq!(set.plans.len(), 156);
        let mut used: Vec<u8> = set.plans.iter().map(|p| p.department).collect();
        used.sort_unstable();
        used.dedup();
        assert_eq!(used.len(), 30);
        let joint = set
            .plans
            .iter()
            .filter(|p| set.plans.iter().filter(|q| q.frame == p.frame).count() > 1)
            .count();
        assert_eq!(joint, 88);
        for frame in &set.frames {
            assert!(
                frame
                    .members
                    .iter()
                    .all(|&i| city.entities[i as usize].is_active())
            );
            let share = frame.members.len() * 10_000 / city.active_entities();
            assert!((20..=300).contains(&share), "frame covers {share} bp");
        }
        let mut ids: Vec<&str> = set.plans.iter().map(|p| p.id.as_str()).collect();
        ids.dedup();
        assert_eq!(ids.len(), 156);
    }

    #[test]
    fn national_ids_are_valid_and_ascending() -> Result<(), uscc::UsccError> {
        let mut ids = NationalIds::new(100_000);
        let mut previous = String::new();
        let mut count = 0;
        while let Some((id, _)) = ids.next_id() {
            Uscc::parse(id)?;
            assert!(id > previous.as_str(), "{id} after {previous}");
            previous = id.to_owned();
            count += 1;
        }
        assert_eq!(count, 100_000);
        assert_eq!(
            NationalIds::new(1).next_id().map(|(id, _)| id.to_owned()),
            Some(Uscc::from_body("9111000000000000")?.as_str().to_owned())
        );
        Ok(())
    }

    #[test]
    fn national_populations_match_the_stream() {
        let populations = national_populations(50_000);
        let mut seen = [0u64; 4];
        let mut ids = NationalIds::new(50_000);
        while let Some((_, risk)) = ids.next_id() {
            seen[risk.index()] += 1;
        }
        assert_eq!(populations, seen);
        assert!((14_000..16_000).contains(&populations[0]));
    }
}
