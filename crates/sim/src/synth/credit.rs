//! Synthetic credit data: the demo matters catalogue (事项), credit list
//! entries (national scale for the benchmark, city scale for the demo) and
//! applicant files, all from named ChaCha20 streams as in [`super`].
//!
//! - [`matters`]: 425 matters over the ten [`DOMAINS`], each owned by one of
//!   Huangshi's [`DEPARTMENTS`], with the list types that block, warn and reward
//!   (红名单大胆用、黑名单谨慎用: the black list usually blocks, 经营异常名录 and
//!   行政处罚 usually warn, the red list rewards; each domain has its own rule,
//!   varied per matter).
//! - [`Lists`]: a population of listed subjects (enterprises with valid
//!   统一社会信用代码, persons with valid 身份证号码) and their entries,
//!   generated one at a time ([`Lists::entries`]) so millions can be streamed
//!   to a file ([`write_entries_csv`]) without being held in memory.
//!   Entry `i` is about subject `i mod S` (S subjects, so a subject has one or
//!   two entries, of different list types); a subject's identity and name come
//!   from its own ChaCha20 stream (the population's seed, stream number = its
//!   index), the entry's dates and reasons from the entries' stream. Identifiers
//!   are unique by construction: the index is encoded, through an affine
//!   bijection, in the code's organisation body or the person's region, birth
//!   date and sequence number.
//! - [`Lists::applicants`]: an applicant file for a batch check, about a tenth
//!   of them listed, a few with malformed identifiers.

use std::collections::HashSet;
use std::io::Write;

use chrono::{Days, Months, NaiveDate};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

use super::{
    City, DEPARTMENTS, Department, NAME_WORDS, RiskClass, SUBJECTS, Stream, date_between, ymd,
};
use domain::credit::{ListType, Severity, SubjectKind};
use domain::{idcard, uscc::Uscc};

/// The as-of date of the benchmark's checks: some entries are listed after it,
/// some expired before it.
pub const BENCH_AS_OF: NaiveDate = ymd(2026, 6, 30);

/// First and last listing dates of generated entries.
const FIRST_LISTING: NaiveDate = ymd(2020, 1, 1);
const LAST_LISTING: NaiveDate = ymd(2026, 12, 31);

// ---------------------------------------------------------------------------
// The matters catalogue
// ---------------------------------------------------------------------------

/// A domain of matters (事项领域) and how its matters are named and ruled.
pub struct Domain {
    /// Its name, e.g. 政府采购.
    pub name: &'static str,
    /// Matters of the domain in the demo catalogue.
    pub matters: usize,
    /// What is checked, with the code of the department that owns it.
    objects: &'static [(&'static str, &'static str)],
    /// Appended to each object to name a matter; every pair reads as a matter.
    suffixes: &'static [&'static str],
    /// The domain's rule: list types that block, warn and reward.
    rule: Rule,
    /// Per-matter variations: (list type, where it moves to, per mille of matters).
    variations: &'static [(ListType, Effect, u32)],
}

/// What a list type does to a check under a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// 阻断: the applicant is refused.
    Block,
    /// 警示: the applicant is admitted with a warning.
    Warn,
    /// 激励: the applicant gets facilitation (容缺受理, 绿色通道).
    Reward,
}

/// A domain's default rule.
#[derive(Clone, Copy)]
struct Rule {
    block: &'static [ListType],
    warn: &'static [ListType],
    reward: &'static [ListType],
}

use ListType::{Abnormal as A, Blacklist as B, Licence as L, Penalty as P, Redlist as R};

/// The ten domains of the demo catalogue, 425 matters in all.
pub const DOMAINS: [Domain; 10] = [
    Domain {
        name: "公务员招录调任",
        matters: 30,
        objects: &[
            ("公务员考试录用", "RSJ"),
            ("公务员调任", "RSJ"),
            ("公务员遴选", "RSJ"),
            ("公务员转任", "RSJ"),
            ("选调生招录", "RSJ"),
            ("事业单位公开招聘", "RSJ"),
            ("事业单位人员调动", "RSJ"),
            ("高层次人才引进", "RSJ"),
            ("军队转业干部安置", "RSJ"),
            ("国有企业管理人员招聘", "CZJ"),
            ("社区工作者招聘", "MZJ"),
            ("警务辅助人员招聘", "GA"),
            ("中小学教师招聘", "JYJ"),
            ("医疗卫生专业技术人员招聘", "WJW"),
            ("乡镇机关人员招录", "RSJ"),
        ],
        suffixes: &["资格审查", "考察政审"],
        rule: Rule {
            block: &[B],
            warn: &[P],
            reward: &[],
        },
        variations: &[(R, Effect::Reward, 200)],
    },
    Domain {
        name: "评优评先",
        matters: 45,
        objects: &[
            ("劳动模范", "RSJ"),
            ("先进工作者", "RSJ"),
            ("五一劳动奖章", "RSJ"),
            ("模范集体", "RSJ"),
            ("三八红旗手", "MZJ"),
            ("道德模范", "MZJ"),
            ("最美家庭", "MZJ"),
            ("优秀志愿者", "MZJ"),
            ("优秀社会组织", "MZJ"),
            ("诚信示范企业", "FGW"),
            ("守合同重信用企业", "SCJG"),
            ("市长质量奖", "SCJG"),
            ("放心消费示范单位", "SCJG"),
            ("优秀民营企业", "JXJ"),
            ("优秀企业家", "JXJ"),
            ("科学技术奖", "KJJ"),
            ("见义勇为先进个人", "GA"),
            ("平安建设先进单位", "GA"),
            ("优秀教师", "JYJ"),
            ("优秀医师", "WJW"),
            ("安全生产先进单位", "YJGL"),
            ("环境保护先进单位", "STHJ"),
            ("文明旅游示范单位", "WLJ"),
        ],
        suffixes: &["评选", "推荐"],
        rule: Rule {
            block: &[B, P],
            warn: &[A],
            reward: &[R],
        },
        variations: &[(P, Effect::Warn, 400)],
    },
    Domain {
        name: "政策资金补贴申报",
        matters: 60,
        objects: &[
            ("稳岗返还", "RSJ"),
            ("一次性吸纳就业补贴", "RSJ"),
            ("创业担保贷款贴息", "RSJ"),
            ("职业技能培训补贴", "RSJ"),
            ("人才安居补贴", "RSJ"),
            ("高新技术企业认定奖励", "KJJ"),
            ("企业研发费用补助", "KJJ"),
            ("技术改造补贴", "JXJ"),
            ("专精特新企业奖励", "JXJ"),
            ("新能源汽车推广补贴", "JXJ"),
            ("首台套保险补偿", "JXJ"),
            ("农机购置补贴", "NYNC"),
            ("耕地地力保护补贴", "NYNC"),
            ("家电以旧换新补贴", "SWJ"),
            ("外经贸发展资金", "SWJ"),
            ("电子商务发展补助", "SWJ"),
            ("节能减排补助", "FGW"),
            ("文旅产业发展补助", "WLJ"),
            ("林业生态补偿", "LYJ"),
            ("水土保持补助", "SLJ"),
        ],
        suffixes: &["申报", "审核", "拨付"],
        rule: Rule {
            block: &[B],
            warn: &[A, P],
            reward: &[R],
        },
        variations: &[(P, Effect::Block, 150)],
    },
    Domain {
        name: "政府采购",
        matters: 35,
        objects: &[
            ("货物类公开招标采购", "CZJ"),
            ("服务类公开招标采购", "CZJ"),
            ("工程类政府采购", "CZJ"),
            ("竞争性谈判采购", "CZJ"),
            ("竞争性磋商采购", "CZJ"),
            ("询价采购", "CZJ"),
            ("单一来源采购", "CZJ"),
            ("框架协议采购", "CZJ"),
            ("协议供货采购", "CZJ"),
            ("定点采购", "CZJ"),
            ("电子卖场采购", "CZJ"),
            ("政府购买服务", "CZJ"),
        ],
        suffixes: &["供应商资格审查", "成交供应商信用核查", "评审专家抽取"],
        rule: Rule {
            block: &[B],
            warn: &[P, A],
            reward: &[R],
        },
        variations: &[(P, Effect::Block, 300)],
    },
    Domain {
        name: "招标投标",
        matters: 40,
        objects: &[
            ("房屋建筑工程施工招标", "ZJJ"),
            ("市政工程施工招标", "ZJJ"),
            ("工程监理招标", "ZJJ"),
            ("勘察设计招标", "ZJJ"),
            ("交通工程招标", "JTYS"),
            ("水利工程招标", "SLJ"),
            ("农业农村工程招标", "NYNC"),
            ("国有企业货物招标", "FGW"),
            ("土地整治项目招标", "ZRZY"),
            ("园林绿化工程招标", "CGJ"),
        ],
        suffixes: &[
            "投标人资格审查",
            "中标候选人信用核查",
            "评标专家信用核查",
            "招标代理机构信用核查",
        ],
        rule: Rule {
            block: &[B],
            warn: &[P, A],
            reward: &[R],
        },
        variations: &[(P, Effect::Block, 250), (R, Effect::Warn, 0)],
    },
    Domain {
        name: "行政许可",
        matters: 80,
        objects: &[
            ("食品经营许可", "SCJG"),
            ("食品生产许可", "SCJG"),
            ("药品零售许可", "SCJG"),
            ("特种设备生产许可", "SCJG"),
            ("工业产品生产许可", "SCJG"),
            ("建筑工程施工许可", "ZJJ"),
            ("商品房预售许可", "ZJJ"),
            ("道路运输经营许可", "JTYS"),
            ("出租汽车经营许可", "JTYS"),
            ("危险化学品经营许可", "YJGL"),
            ("烟花爆竹经营许可", "YJGL"),
            ("排污许可", "STHJ"),
            ("取水许可", "SLJ"),
            ("医疗机构执业许可", "WJW"),
            ("公共场所卫生许可", "WJW"),
            ("娱乐场所经营许可", "WLJ"),
            ("旅行社业务经营许可", "WLJ"),
            ("民办学校办学许可", "JYJ"),
            ("人力资源服务许可", "RSJ"),
            ("劳务派遣经营许可", "RSJ"),
            ("烟草专卖零售许可", "YCJ"),
            ("林木采伐许可", "LYJ"),
            ("农药经营许可", "NYNC"),
            ("兽药经营许可", "NYNC"),
            ("种子生产经营许可", "NYNC"),
            ("建设工程规划许可", "ZRZY"),
            ("建设用地规划许可", "ZRZY"),
            ("城市道路占用挖掘许可", "CGJ"),
            ("户外广告设施设置许可", "CGJ"),
            ("公众聚集场所投入使用营业前消防安全检查", "XF"),
        ],
        suffixes: &["（新办）", "（延续）", "（变更）"],
        rule: Rule {
            block: &[],
            warn: &[B, A],
            reward: &[R],
        },
        variations: &[
            (B, Effect::Block, 250),
            (P, Effect::Warn, 300),
            (L, Effect::Reward, 150),
        ],
    },
    Domain {
        name: "国有土地出让",
        matters: 20,
        objects: &[
            ("国有建设用地使用权招标出让", "ZRZY"),
            ("国有建设用地使用权拍卖出让", "ZRZY"),
            ("国有建设用地使用权挂牌出让", "ZRZY"),
            ("国有建设用地使用权协议出让", "ZRZY"),
            ("工业用地弹性年期出让", "ZRZY"),
            ("国有建设用地使用权租赁", "ZRZY"),
            ("划拨土地使用权补办出让", "ZRZY"),
            ("国有土地使用权转让", "ZRZY"),
            ("集体经营性建设用地入市", "ZRZY"),
            ("采矿权出让", "ZRZY"),
        ],
        suffixes: &["竞买人资格审查", "受让人信用核查"],
        rule: Rule {
            block: &[B],
            warn: &[P, A],
            reward: &[],
        },
        variations: &[(A, Effect::Block, 200)],
    },
    Domain {
        name: "资质认定",
        matters: 50,
        objects: &[
            ("建筑业企业资质核准", "ZJJ"),
            ("房地产开发企业资质核定", "ZJJ"),
            ("工程监理企业资质认定", "ZJJ"),
            ("建设工程质量检测机构资质认定", "ZJJ"),
            ("检验检测机构资质认定", "SCJG"),
            ("计量标准考核", "SCJG"),
            ("特种设备检验检测机构核准", "SCJG"),
            ("安全评价机构资质认可", "YJGL"),
            ("职业卫生技术服务机构资质认可", "WJW"),
            ("测绘资质审批", "ZRZY"),
            ("地质灾害防治单位资质认定", "ZRZY"),
            ("道路运输驾驶员从业资格认定", "JTYS"),
            ("司法鉴定机构登记", "SFJ"),
            ("人力资源服务机构等级评定", "RSJ"),
            ("环境监测机构资质认定", "STHJ"),
            ("水利工程质量检测单位资质认定", "SLJ"),
            ("消防设施检测机构资质认定", "XF"),
            ("防雷装置检测资质认定", "QXJ"),
            ("高新技术企业认定", "KJJ"),
            ("科技型中小企业评价", "KJJ"),
            ("专精特新中小企业认定", "JXJ"),
            ("农业产业化龙头企业认定", "NYNC"),
            ("旅行社等级评定", "WLJ"),
            ("星级饭店评定", "WLJ"),
            ("海关高级认证企业认定", "HG"),
        ],
        suffixes: &["（首次）", "（复审）"],
        rule: Rule {
            block: &[B],
            warn: &[A, P],
            reward: &[R],
        },
        variations: &[(L, Effect::Reward, 300), (P, Effect::Block, 150)],
    },
    Domain {
        name: "专项资金",
        matters: 35,
        objects: &[
            ("中小企业发展专项资金", "JXJ"),
            ("工业转型升级专项资金", "JXJ"),
            ("服务业发展专项资金", "FGW"),
            ("科技创新专项资金", "KJJ"),
            ("文化产业发展专项资金", "WLJ"),
            ("乡村振兴衔接资金", "NYNC"),
            ("生态环境保护专项资金", "STHJ"),
            ("农业产业发展专项资金", "NYNC"),
            ("旅游发展专项资金", "WLJ"),
            ("城市建设专项资金", "ZJJ"),
            ("交通运输发展专项资金", "JTYS"),
            ("安全生产专项资金", "YJGL"),
        ],
        suffixes: &["项目申报", "项目验收", "绩效评价"],
        rule: Rule {
            block: &[B],
            warn: &[A, P],
            reward: &[R],
        },
        variations: &[(A, Effect::Block, 150)],
    },
    Domain {
        name: "社会保险",
        matters: 30,
        objects: &[
            ("企业职工基本养老保险待遇申领", "RSJ"),
            ("城乡居民基本养老保险待遇申领", "RSJ"),
            ("工伤保险待遇核定", "RSJ"),
            ("失业保险金申领", "RSJ"),
            ("失业保险技能提升补贴", "RSJ"),
            ("社会保险费缓缴", "RSJ"),
            ("社会保险关系转移接续", "RSJ"),
            ("工伤认定", "RSJ"),
            ("劳动能力鉴定", "RSJ"),
            ("职工基本医疗保险参保登记", "YBJ"),
            ("城乡居民基本医疗保险参保登记", "YBJ"),
            ("生育保险待遇申领", "YBJ"),
            ("医保定点医疗机构协议管理", "YBJ"),
            ("医保定点零售药店协议管理", "YBJ"),
            ("长期护理保险定点机构协议管理", "YBJ"),
        ],
        suffixes: &["受理", "复核"],
        rule: Rule {
            block: &[],
            warn: &[B, P],
            reward: &[R],
        },
        variations: &[(B, Effect::Block, 300)],
    },
];

/// A matter of the demo catalogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matter {
    /// 事项编码, e.g. `XY-04-012` (domain 4, matter 12).
    pub code: String,
    /// 事项名称.
    pub name: String,
    /// 领域: a [`Domain`] name.
    pub domain: &'static str,
    /// 主管部门.
    pub department: &'static Department,
    /// 阻断名单.
    pub block: Vec<ListType>,
    /// 警示名单.
    pub warn: Vec<ListType>,
    /// 激励名单.
    pub reward: Vec<ListType>,
}

/// The demo catalogue: 425 matters over the ten [`DOMAINS`], in code order.
pub fn matters() -> Vec<Matter> {
    let mut stream = Stream::named("jianguan/synth/credit/matters");
    let mut matters = Vec::new();
    for (domain_number, domain) in (1..).zip(&DOMAINS) {
        let mut names: Vec<(String, &str)> = domain
            .objects
            .iter()
            .flat_map(|&(object, department)| {
                domain
                    .suffixes
                    .iter()
                    .map(move |suffix| (format!("{object}{suffix}"), department))
            })
            .collect();
        stream.shuffle(&mut names);
        names.truncate(domain.matters);
        names.sort();
        for (number, (name, department)) in (1..).zip(names) {
            let mut rule = [
                domain.rule.block.to_vec(),
                domain.rule.warn.to_vec(),
                domain.rule.reward.to_vec(),
            ];
            for &(list, effect, per_mille) in domain.variations {
                if stream.below(1000) < u64::from(per_mille) {
                    rule.iter_mut()
                        .for_each(|types| types.retain(|&t| t != list));
                    rule[effect as usize].push(list);
                }
            }
            let [block, warn, reward] = rule;
            matters.push(Matter {
                code: format!("XY-{domain_number:02}-{number:03}"),
                name,
                domain: domain.name,
                department: department_by_code(department),
                block,
                warn,
                reward,
            });
        }
    }
    matters
}

impl Matter {
    /// The matter as the domain has it (the department by name, as in the import file).
    pub fn to_domain(&self) -> domain::credit::Matter {
        domain::credit::Matter {
            code: self.code.clone(),
            name: self.name.clone(),
            domain: self.domain.to_owned(),
            department: self.department.name.to_owned(),
            block: self.block.clone(),
            warn: self.warn.clone(),
            reward: self.reward.clone(),
        }
    }
}

/// The department with `code` (the first one when unknown; the catalogue's test
/// checks every code).
fn department_by_code(code: &str) -> &'static Department {
    DEPARTMENTS
        .iter()
        .find(|d| d.code == code)
        .unwrap_or(&DEPARTMENTS[0])
}

/// The headers of a matters import file.
pub const MATTER_HEADERS: [&str; 7] = [
    "事项编码",
    "事项名称",
    "领域",
    "主管部门",
    "阻断名单",
    "警示名单",
    "激励名单",
];

/// Writes `matters` as a UTF-8 CSV matters import file (list types by Chinese
/// name, separated by `;`; the department by its name).
pub fn write_matters_csv(matters: &[Matter], out: impl Write) -> csv::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(MATTER_HEADERS)?;
    let joined = |types: &[ListType]| {
        types
            .iter()
            .map(|t| t.name_zh())
            .collect::<Vec<_>>()
            .join(";")
    };
    for m in matters {
        csv.write_record([
            m.code.as_str(),
            &m.name,
            m.domain,
            m.department.name,
            &joined(&m.block),
            &joined(&m.warn),
            &joined(&m.reward),
        ])?;
    }
    csv.flush()?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Subjects
// ---------------------------------------------------------------------------

/// A region a subject is registered or born in: its GB/T 2260 code and the
/// name of its city or county (for names and authorities).
#[derive(Clone, Copy, Debug)]
struct Region {
    code: &'static str,
    place: &'static str,
}

const fn region(code: &'static str, place: &'static str) -> Region {
    Region { code, place }
}

/// Regions of the national population (Hubei weighs more: it appears more often).
const NATIONAL_REGIONS: [Region; 32] = [
    region("110105", "北京市"),
    region("110108", "北京市"),
    region("310104", "上海市"),
    region("310115", "上海市"),
    region("440106", "广州市"),
    region("440305", "深圳市"),
    region("330106", "杭州市"),
    region("320102", "南京市"),
    region("510107", "成都市"),
    region("500103", "重庆市"),
    region("430102", "长沙市"),
    region("410105", "郑州市"),
    region("360102", "南昌市"),
    region("340102", "合肥市"),
    region("370102", "济南市"),
    region("420102", "武汉市"),
    region("420106", "武汉市"),
    region("420111", "武汉市"),
    region("420202", "黄石市"),
    region("420222", "阳新县"),
    region("420281", "大冶市"),
    region("420302", "十堰市"),
    region("420502", "宜昌市"),
    region("420602", "襄阳市"),
    region("420702", "鄂州市"),
    region("420802", "荆门市"),
    region("420902", "孝感市"),
    region("421002", "荆州市"),
    region("421102", "黄冈市"),
    region("421202", "咸宁市"),
    region("421302", "随州市"),
    region("422801", "恩施市"),
];

/// Regions of the demo city's other subjects (Huangshi's districts).
const CITY_REGIONS: [Region; 6] = [
    region("420202", "黄石市"),
    region("420203", "黄石市"),
    region("420204", "黄石市"),
    region("420205", "黄石市"),
    region("420222", "阳新县"),
    region("420281", "大冶市"),
];

/// A multiplier coprime to every modulus used ([`ORG_BODIES`], the persons'
/// ids of a region list, a city's entity count): a prime, not 31, larger than
/// all but the first.
const SCRAMBLE: u128 = 2_654_435_761;

/// Organisation bodies of 8 characters of the GB 32100 alphabet: 31⁸.
const ORG_BODIES: u128 = 852_891_037_441;

/// Birth dates of generated persons.
const FIRST_BIRTH: NaiveDate = ymd(1950, 1, 1);
const BIRTH_DAYS: u128 = 20_089; // 1950-01-01 ..= 2004-12-31

/// `index` mapped into `0..modulus` by `index × SCRAMBLE + offset`, one to one
/// for `index < modulus` (SCRAMBLE is coprime to `modulus`).
fn scramble(index: u64, offset: u128, modulus: u128) -> u128 {
    (u128::from(index) * SCRAMBLE + offset) % modulus
}

/// A listed (or applying) subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectRecord {
    /// 统一社会信用代码 or 身份证号码, valid.
    pub id: String,
    /// 主体名称.
    pub name: String,
    /// Enterprise or person.
    pub kind: SubjectKind,
    /// Where it is registered or was born.
    place: &'static str,
    /// An entity of the demo city (not a generated one).
    pub local: bool,
}

const SURNAMES: [&str; 30] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
];
const GIVEN: [&str; 24] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "华", "燕",
];
const TRADES: [&str; 12] = [
    "商贸",
    "建筑工程",
    "物流",
    "餐饮管理",
    "科技",
    "实业",
    "置业",
    "医药",
    "环保科技",
    "劳务",
    "食品",
    "机械制造",
];

/// A population of subjects: the demo city's own entities first, then
/// generated enterprises and persons, each a pure function of its index.
struct Population {
    /// The subjects' streams: stream `k` of this generator is subject `k`'s.
    base: ChaCha20Rng,
    /// The demo city's entities on the lists (indexes `0..local.len()`).
    local: Vec<SubjectRecord>,
    regions: &'static [Region],
    /// Persons among generated subjects, per mille.
    persons_per_mille: u64,
}

impl Population {
    fn new(
        name: &str,
        local: Vec<SubjectRecord>,
        regions: &'static [Region],
        persons_per_mille: u64,
    ) -> Self {
        let base = ChaCha20Rng::from_seed(draw::sha256(&[name.as_bytes(), b"/subjects"]));
        Self {
            base,
            local,
            regions,
            persons_per_mille,
        }
    }

    /// Subject `index`.
    fn subject(&self, index: u64) -> SubjectRecord {
        let local = self.local.len() as u64;
        if let Some(subject) = usize::try_from(index).ok().and_then(|i| self.local.get(i)) {
            return subject.clone();
        }
        let generated = index - local;
        let mut rng = self.base.clone();
        rng.set_stream(generated);
        let mut stream = Stream(rng);
        if stream.below(1000) < self.persons_per_mille {
            person(&mut stream, generated, self.regions)
        } else {
            let region = self.regions[stream.below(self.regions.len() as u64) as usize];
            enterprise(&mut stream, generated, region)
        }
    }
}

/// A generated enterprise: the index, scrambled, is its organisation body.
fn enterprise(stream: &mut Stream, index: u64, region: Region) -> SubjectRecord {
    const KINDS: [(&str, u32); 4] = [("91", 850), ("92", 100), ("93", 20), ("12", 30)];
    let kind = KINDS[stream.weighted(&KINDS.map(|(_, weight)| weight))].0;
    let mut body = format!("{kind}{}", region.code);
    let mut org = scramble(index, 7_777_777, ORG_BODIES);
    let mut digits = [0u8; 8];
    for digit in digits.iter_mut().rev() {
        *digit = domain::uscc::ALPHABET[(org % 31) as usize];
        org /= 31;
    }
    body.extend(digits.iter().map(|&b| char::from(b)));
    let id = Uscc::from_body(&body)
        .map(|code| code.as_str().to_owned())
        .unwrap_or(body);
    let place = region.place.trim_end_matches(['市', '县']);
    let first = NAME_WORDS[stream.below(NAME_WORDS.len() as u64) as usize];
    let second = NAME_WORDS[stream.below(NAME_WORDS.len() as u64) as usize];
    let trade = TRADES[stream.below(TRADES.len() as u64) as usize];
    let name = match kind {
        "92" => format!("{place}{first}{second}{trade}店"),
        "93" => format!("{place}{first}{second}种植专业合作社"),
        "12" => format!("{place}{first}{second}检测中心"),
        _ => format!("{place}{first}{second}{trade}有限公司"),
    };
    SubjectRecord {
        id,
        name,
        kind: SubjectKind::Enterprise,
        place: region.place,
        local: false,
    }
}

/// A generated person: the index, scrambled, is their region (one of
/// `regions`), birth date and sequence number.
fn person(stream: &mut Stream, index: u64, regions: &[Region]) -> SubjectRecord {
    let ids = regions.len() as u128 * BIRTH_DAYS * 1000;
    let slot = scramble(index, 12_345_678, ids);
    let sequence = slot % 1000;
    let day = (slot / 1000) % BIRTH_DAYS;
    let region = regions[(slot / 1000 / BIRTH_DAYS) as usize % regions.len()];
    let birth = FIRST_BIRTH
        .checked_add_days(Days::new(day as u64))
        .unwrap_or(FIRST_BIRTH);
    let body = format!("{}{}{sequence:03}", region.code, birth.format("%Y%m%d"));
    let check = char::from(idcard::check_character(body.as_bytes()));
    let surname = SURNAMES[stream.below(SURNAMES.len() as u64) as usize];
    let given: String = (0..stream.between(1, 2))
        .map(|_| GIVEN[stream.below(GIVEN.len() as u64) as usize])
        .collect();
    SubjectRecord {
        id: format!("{body}{check}"),
        name: format!("{surname}{given}"),
        kind: SubjectKind::Person,
        place: region.place,
        local: false,
    }
}

// ---------------------------------------------------------------------------
// List entries
// ---------------------------------------------------------------------------

/// A generated credit list entry, one row of a list import file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListEntry {
    /// 名单类型.
    pub list_type: ListType,
    /// The subject: 主体名称 and 统一社会信用代码或身份证号码.
    pub subject: SubjectRecord,
    /// 列入日期.
    pub listed_on: NaiveDate,
    /// 有效期至; `None` for no end.
    pub valid_until: Option<NaiveDate>,
    /// 认定部门.
    pub authority: String,
    /// 列入原因.
    pub reason: String,
    /// 严重程度 (penalties and the black list).
    pub severity: Option<Severity>,
    /// 认定日期 (the finding), when it is not the listing date.
    pub decided_on: Option<NaiveDate>,
}

/// The list types an enterprise or a person can be on, with weights per mille.
/// A subject's second entry takes the next type in this order, so it never
/// repeats the first (a subject has at most two entries).
const ENTERPRISE_TYPES: [(ListType, u32); 5] = [(P, 450), (A, 350), (R, 100), (L, 60), (B, 40)];
const PERSON_TYPES: [(ListType, u32); 3] = [(P, 500), (B, 300), (R, 200)];

/// A population of listed subjects and their entries.
pub struct Lists {
    name: String,
    population: Population,
    /// Entries.
    entries: u64,
    /// Listed subjects: entry `i` is about subject `i % subjects`.
    subjects: u64,
    /// The demo city's departments are the authorities (otherwise the region's).
    city: bool,
}

impl Lists {
    /// National and provincial lists of `entries` entries (the benchmark's
    /// 7,000,000): subjects all over China, a fifth of them persons.
    pub fn national(entries: u64) -> Self {
        let name = "jianguan/synth/credit/national";
        Self::new(
            name,
            Population::new(name, Vec::new(), &NATIONAL_REGIONS, 200),
            entries,
            false,
        )
    }

    /// The demo city's lists: `entries` entries (about 30,000 for Huangshi), a
    /// third of them on the city's own entities (the riskier ones more often,
    /// so checks and risk classes hit), the others on generated enterprises
    /// and persons of Huangshi.
    pub fn city(city: &City, entries: u64) -> Self {
        let name = "jianguan/synth/credit/huangshi";
        let subjects = subjects_for(entries);
        let local = local_subjects(
            city,
            usize::try_from(subjects / 3).unwrap_or(usize::MAX),
            name,
        );
        Self::new(
            name,
            Population::new(name, local, &CITY_REGIONS, 300),
            entries,
            true,
        )
    }

    fn new(name: &str, population: Population, entries: u64, city: bool) -> Self {
        Self {
            name: name.to_owned(),
            population,
            entries,
            subjects: subjects_for(entries),
            city,
        }
    }

    /// Entries in all.
    pub fn len(&self) -> u64 {
        self.entries
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Subjects with at least one entry.
    pub fn subjects(&self) -> u64 {
        self.subjects
    }

    /// The demo city's entities among the subjects.
    pub fn local_subjects(&self) -> u64 {
        self.population.local.len() as u64
    }

    /// Listed subject `index` (`index < subjects()`), or an unlisted one (`index ≥ subjects()`).
    pub fn subject(&self, index: u64) -> SubjectRecord {
        self.population.subject(index)
    }

    /// The entries, generated one at a time.
    pub fn entries(&self) -> impl Iterator<Item = ListEntry> + '_ {
        let mut stream = Stream::named(&format!("{}/entries", self.name));
        (0..self.entries).map(move |index| {
            let subject_index = index % self.subjects;
            let occurrence = index / self.subjects;
            let subject = self.population.subject(subject_index);
            self.entry(&mut stream, subject, subject_index, occurrence)
        })
    }

    fn entry(
        &self,
        stream: &mut Stream,
        subject: SubjectRecord,
        index: u64,
        occurrence: u64,
    ) -> ListEntry {
        let types: &[(ListType, u32)] = if subject.kind == SubjectKind::Person {
            &PERSON_TYPES
        } else {
            &ENTERPRISE_TYPES
        };
        // The first type is the subject's own (its stream), later ones follow it.
        let mut rng = self.population.base.clone();
        rng.set_stream(index);
        rng.set_word_pos(1 << 20);
        let first = Stream(rng).weighted(&types.iter().map(|&(_, w)| w).collect::<Vec<_>>());
        let list_type = types[(first + occurrence as usize) % types.len()].0;
        let listed_on = date_between(stream, FIRST_LISTING, LAST_LISTING);
        let mut entry = ListEntry {
            list_type,
            subject,
            listed_on,
            valid_until: None,
            authority: String::new(),
            reason: String::new(),
            severity: None,
            decided_on: None,
        };
        self.fill(stream, &mut entry);
        entry
    }

    /// Validity, authority and reason by list type.
    fn fill(&self, stream: &mut Stream, e: &mut ListEntry) {
        let person = e.subject.kind == SubjectKind::Person;
        let place = e.subject.place;
        let department = |code: &str, national: &str| {
            if self.city {
                department_by_code(code).name.to_owned()
            } else {
                format!("{place}{national}")
            }
        };
        match e.list_type {
            ListType::Blacklist => {
                let decided = days_before(e.listed_on, stream.below(30));
                e.severity = Some(Severity::Serious);
                e.decided_on = Some(decided);
                // Three in ten have no end date (until removed); the others the three-year cap.
                e.valid_until = (stream.below(10) >= 3).then(|| last_day(decided, 36));
                let (reason, authority) = if person {
                    let court = if place.ends_with('县') {
                        "人民法院"
                    } else {
                        "中级人民法院"
                    };
                    (
                        pick(stream, &PERSON_BLACKLIST_REASONS),
                        format!("{place}{court}"),
                    )
                } else {
                    let (reason, code, national) = ENTERPRISE_BLACKLIST_REASONS
                        [stream.below(ENTERPRISE_BLACKLIST_REASONS.len() as u64) as usize];
                    (reason, department(code, national))
                };
                e.reason = reason.to_owned();
                e.authority = authority;
            }
            ListType::Redlist => {
                e.valid_until = Some(last_day(e.listed_on, 12 * stream.between(1, 3) as u32));
                let (reason, code, national) = if person {
                    PERSON_REDLIST_REASONS
                        [stream.below(PERSON_REDLIST_REASONS.len() as u64) as usize]
                } else {
                    ENTERPRISE_REDLIST_REASONS
                        [stream.below(ENTERPRISE_REDLIST_REASONS.len() as u64) as usize]
                };
                e.reason = reason.to_owned();
                e.authority = department(code, national);
            }
            ListType::Abnormal => {
                // Seven in ten stay listed until removed; the others were moved out.
                e.valid_until = (stream.below(10) >= 7).then(|| {
                    e.listed_on
                        .checked_add_days(Days::new(stream.between(30, 900)))
                        .unwrap_or(e.listed_on)
                });
                e.reason = pick(stream, &ABNORMAL_REASONS).to_owned();
                e.authority = department("SCJG", "市场监督管理局");
            }
            ListType::Penalty => {
                let severity = [Severity::Minor, Severity::Ordinary, Severity::Serious]
                    [stream.weighted(&[40, 40, 20])];
                let decided = days_before(e.listed_on, stream.below(20));
                let months = match severity {
                    Severity::Minor => 3,
                    Severity::Ordinary => 12,
                    Severity::Serious => 36,
                };
                e.severity = Some(severity);
                e.decided_on = Some(decided);
                // One in ten gives no 公示截止期: the severity's cap applies.
                e.valid_until = (stream.below(10) != 0).then(|| last_day(decided, months));
                let subject = &SUBJECTS[stream.below(SUBJECTS.len() as u64) as usize];
                let article = stream.between(
                    5.min(u64::from(subject.law.articles)),
                    u64::from(subject.law.articles),
                );
                let measure = pick(stream, &PENALTY_MEASURES);
                e.reason = format!(
                    "{}：违反{}第{article}条，{measure}",
                    subject.name, subject.law.title
                );
                e.authority = if self.city {
                    department_by_code(subject.department).name.to_owned()
                } else {
                    format!("{place}{}", national_department(subject.department))
                };
            }
            ListType::FalsePromise => {
                // Not drawn by the synthetic lists; filled like a serious finding.
                e.severity = Some(Severity::Serious);
                e.valid_until = Some(last_day(e.listed_on, 36));
                e.reason = "告知承诺核查不实（虚假承诺）".to_owned();
                e.authority = department("SCJG", "市场监督管理局");
            }
            ListType::Licence => {
                e.valid_until = Some(last_day(e.listed_on, 60));
                let (reason, code, national) =
                    LICENCES[stream.below(LICENCES.len() as u64) as usize];
                e.reason = reason.to_owned();
                e.authority = department(code, national);
            }
        }
    }

    /// `count` applicants for a batch check: about one in ten listed (drawn
    /// from the listed subjects), the others not, and about one in two hundred
    /// with a malformed identifier. No identifier repeats.
    pub fn applicants(&self, count: usize) -> Vec<Applicant> {
        let mut stream = Stream::named(&format!("{}/applicants", self.name));
        let mut seen = HashSet::new();
        let mut applicants = Vec::with_capacity(count);
        let mut unlisted = self.subjects;
        while applicants.len() < count {
            let roll = stream.below(1000);
            let listed = roll < 100;
            let subject = if listed {
                self.subject(stream.below(self.subjects))
            } else {
                unlisted += 1 + stream.below(3);
                self.subject(unlisted)
            };
            let id = if roll >= 995 {
                malformed(&mut stream, &subject.id)
            } else {
                subject.id.clone()
            };
            if seen.insert(id.clone()) {
                applicants.push(Applicant {
                    id,
                    name: subject.name,
                    listed,
                });
            }
        }
        applicants
    }
}

/// Subjects for `entries` entries: four fifths, so about one in four has a second entry.
fn subjects_for(entries: u64) -> u64 {
    entries.div_ceil(5).saturating_mul(4).max(1)
}

/// Up to `count` of the city's entities for its lists, in a scrambled order,
/// each taken with a chance that grows with its risk class.
fn local_subjects(city: &City, count: usize, name: &str) -> Vec<SubjectRecord> {
    let mut stream = Stream::named(&format!("{name}/local"));
    let total = city.entities.len() as u64;
    let mut chosen = Vec::with_capacity(count);
    for index in 0..total {
        if chosen.len() >= count {
            break;
        }
        let Some(entity) = usize::try_from(scramble(index, 99_991, u128::from(total)))
            .ok()
            .and_then(|i| city.entities.get(i))
        else {
            continue;
        };
        let per_mille = match entity.risk {
            RiskClass::A => 150,
            RiskClass::B => 300,
            RiskClass::C => 700,
            RiskClass::D => 1000,
        };
        if stream.below(1000) < per_mille {
            chosen.push(SubjectRecord {
                id: entity.uscc.as_str().to_owned(),
                name: entity.name.clone(),
                kind: SubjectKind::Enterprise,
                place: "黄石市",
                local: true,
            });
        }
    }
    chosen
}

/// `date` minus `days`.
fn days_before(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_sub_days(Days::new(days)).unwrap_or(date)
}

/// The last day of a period of `months` from `start`: start + months − 1 day.
fn last_day(start: NaiveDate, months: u32) -> NaiveDate {
    start
        .checked_add_months(Months::new(months))
        .and_then(|d| d.pred_opt())
        .unwrap_or(start)
}

fn pick(stream: &mut Stream, texts: &[&'static str]) -> &'static str {
    texts[stream.below(texts.len() as u64) as usize]
}

/// The national counterpart of a Huangshi department: its name after the place.
fn national_department(code: &str) -> &'static str {
    let name = department_by_code(code).name;
    ["黄石市", "国家税务总局黄石市", "黄石"]
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix))
        .unwrap_or(name)
}

const PERSON_BLACKLIST_REASONS: [&str; 3] = [
    "失信被执行人：有履行能力而拒不履行生效法律文书确定的义务",
    "以欺诈、伪造证明材料等手段骗取社会保险待遇",
    "重大税收违法失信案件负有直接责任的当事人",
];
/// Reason, department code (city) and department name after the place (national).
const ENTERPRISE_BLACKLIST_REASONS: [(&str, &str, &str); 5] = [
    (
        "提交虚假材料、采取其他欺诈手段隐瞒重要事实取得登记",
        "SCJG",
        "市场监督管理局",
    ),
    (
        "拒不支付劳动报酬，拖欠农民工工资数额较大",
        "RSJ",
        "人力资源和社会保障局",
    ),
    ("重大税收违法失信主体", "SW", "税务局"),
    ("在政府采购活动中提供虚假材料谋取中标", "CZJ", "财政局"),
    ("发生较大及以上生产安全责任事故", "YJGL", "应急管理局"),
];
const ENTERPRISE_REDLIST_REASONS: [(&str, &str, &str); 5] = [
    ("纳税信用A级纳税人", "SW", "税务局"),
    ("守合同重信用企业", "SCJG", "市场监督管理局"),
    ("海关高级认证企业", "HG", "海关"),
    ("安全生产诚信企业", "YJGL", "应急管理局"),
    ("诚信示范企业", "FGW", "发展和改革委员会"),
];
const PERSON_REDLIST_REASONS: [(&str, &str, &str); 4] = [
    ("道德模范", "MZJ", "民政局"),
    ("见义勇为先进个人", "GA", "公安局"),
    ("优秀志愿者", "MZJ", "民政局"),
    ("无偿献血奉献奖获得者", "WJW", "卫生健康委员会"),
];
const ABNORMAL_REASONS: [&str; 4] = [
    "未按照规定的期限公示年度报告",
    "通过登记的住所或者经营场所无法联系",
    "公示企业信息隐瞒真实情况、弄虚作假",
    "未在责令的期限内公示有关企业信息",
];
const PENALTY_MEASURES: [&str; 5] = [
    "警告",
    "罚款",
    "没收违法所得、罚款",
    "责令停产停业、罚款",
    "通报批评",
];
const LICENCES: [(&str, &str, &str); 6] = [
    ("食品经营许可", "SCJG", "市场监督管理局"),
    ("药品经营许可", "SCJG", "市场监督管理局"),
    ("道路运输经营许可", "JTYS", "交通运输局"),
    ("排污许可", "STHJ", "生态环境局"),
    ("建筑工程施工许可", "ZJJ", "住房和城乡建设局"),
    ("危险化学品经营许可", "YJGL", "应急管理局"),
];

/// The headers of a list import file, optional ones last.
pub const ENTRY_HEADERS: [&str; 9] = [
    "名单类型",
    "主体名称",
    "统一社会信用代码或身份证号码",
    "列入日期",
    "有效期至",
    "认定部门",
    "列入原因",
    "严重程度",
    "认定日期",
];

/// Writes `entries` as a UTF-8 CSV list import file, one at a time, and
/// returns how many were written.
pub fn write_entries_csv(
    entries: impl Iterator<Item = ListEntry>,
    out: impl Write,
) -> csv::Result<u64> {
    let mut csv = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, out));
    csv.write_record(ENTRY_HEADERS)?;
    let mut written = 0;
    let mut dates = [[0u8; 10]; 4];
    for e in entries {
        let [listed, until, decided, _] = &mut dates;
        csv.write_record([
            e.list_type.name_zh().as_bytes(),
            e.subject.name.as_bytes(),
            e.subject.id.as_bytes(),
            iso_date(Some(e.listed_on), listed),
            iso_date(e.valid_until, until),
            e.authority.as_bytes(),
            e.reason.as_bytes(),
            e.severity.map_or("", Severity::as_str).as_bytes(),
            iso_date(e.decided_on, decided),
        ])?;
        written += 1;
    }
    csv.flush()?;
    Ok(written)
}

/// `YYYY-MM-DD` written into `buffer` (empty for none), without allocating.
fn iso_date(date: Option<NaiveDate>, buffer: &mut [u8; 10]) -> &[u8] {
    use chrono::Datelike as _;
    let Some(date) = date else { return &[] };
    let (year, month, day) = (date.year().clamp(0, 9999) as u32, date.month(), date.day());
    let digits = [
        year / 1000,
        year / 100 % 10,
        year / 10 % 10,
        year % 10,
        10,
        month / 10,
        month % 10,
        10,
        day / 10,
        day % 10,
    ];
    for (slot, digit) in buffer.iter_mut().zip(digits) {
        *slot = if digit == 10 {
            b'-'
        } else {
            b'0' + digit as u8
        };
    }
    buffer
}

// ---------------------------------------------------------------------------
// Applicants
// ---------------------------------------------------------------------------

/// One applicant of a batch check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applicant {
    /// 统一社会信用代码或身份证号码 as written in the file (maybe malformed).
    pub id: String,
    /// 主体名称.
    pub name: String,
    /// Whether it was drawn from the listed subjects (its entries may not count on a given date).
    pub listed: bool,
}

/// A malformed version of a valid identifier: wrong check character, a
/// character missing, a letter in a person's digits, or an O for a 0.
fn malformed(stream: &mut Stream, id: &str) -> String {
    let mut bytes = id.as_bytes().to_vec();
    match stream.below(4) {
        0 => {
            if let Some(last) = bytes.last_mut() {
                *last = if *last == b'1' { b'2' } else { b'1' };
            }
        }
        1 => {
            bytes.pop();
        }
        roll => {
            let (position, letter) = if roll == 2 { (8, b'Z') } else { (2, b'O') };
            if let Some(byte) = bytes.get_mut(position) {
                *byte = letter;
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The headers of an applicant file.
pub const APPLICANT_HEADERS: [&str; 2] = ["统一社会信用代码或身份证号码", "主体名称"];

/// Writes `applicants` as a UTF-8 CSV applicant file.
pub fn write_applicants_csv(applicants: &[Applicant], out: impl Write) -> csv::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(APPLICANT_HEADERS)?;
    for a in applicants {
        csv.write_record([&a.id, &a.name])?;
    }
    csv.flush()?;
    Ok(())
}
