//! What the synthetic departments inspect: their subjects (监管事项领域), each
//! with its target type and the law it rests on. The item list, the joint list
//! and the inspectors' enforcement fields (执法领域) are all drawn from it.

/// A law or regulation and its number of articles (an upper bound for the
/// article cited).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Law {
    /// Its title with book-title marks, e.g. 《中华人民共和国食品安全法》.
    pub title: &'static str,
    /// Articles (a cited article is between 5 and this).
    pub articles: u16,
}

const fn law(title: &'static str, articles: u16) -> Law {
    Law { title, articles }
}

/// A subject a department inspects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject {
    /// The department's code in [`super::DEPARTMENTS`].
    pub department: &'static str,
    /// The subject, e.g. 食品生产; also an enforcement field and a joint-list field.
    pub name: &'static str,
    /// Who is inspected, e.g. 食品生产企业.
    pub target: &'static str,
    /// The law it rests on.
    pub law: Law,
}

const fn subject(
    department: &'static str,
    name: &'static str,
    target: &'static str,
    law: Law,
) -> Subject {
    Subject {
        department,
        name,
        target,
        law,
    }
}

const FOOD: Law = law("《中华人民共和国食品安全法》", 154);
const FIRE: Law = law("《中华人民共和国消防法》", 74);
const ENTERTAINMENT: Law = law("《娱乐场所管理条例》", 58);
const PRIVATE_EDUCATION: Law = law("《中华人民共和国民办教育促进法》", 67);
const ENERGY: Law = law("《中华人民共和国节约能源法》", 87);

/// Every subject, department by department in the order of [`super::DEPARTMENTS`];
/// each department's first subject is its main one.
pub const SUBJECTS: [Subject; 83] = [
    subject("SCJG", "食品生产", "食品生产企业", FOOD),
    subject("SCJG", "食品销售", "食品经营者", FOOD),
    subject("SCJG", "餐饮服务", "餐饮服务提供者", FOOD),
    subject(
        "SCJG",
        "特种设备",
        "特种设备使用单位",
        law("《中华人民共和国特种设备安全法》", 101),
    ),
    subject(
        "SCJG",
        "工业产品质量",
        "工业产品生产企业",
        law("《中华人民共和国产品质量法》", 74),
    ),
    subject(
        "SCJG",
        "计量",
        "计量器具使用单位",
        law("《中华人民共和国计量法》", 34),
    ),
    subject(
        "SCJG",
        "广告发布",
        "广告经营者",
        law("《中华人民共和国广告法》", 74),
    ),
    subject(
        "SCJG",
        "价格行为",
        "经营者",
        law("《中华人民共和国价格法》", 48),
    ),
    subject(
        "SCJG",
        "企业信息公示",
        "企业",
        law("《企业信息公示暂行条例》", 25),
    ),
    subject(
        "SCJG",
        "药品经营",
        "药品零售企业",
        law("《中华人民共和国药品管理法》", 155),
    ),
    subject(
        "SCJG",
        "医疗器械经营",
        "医疗器械经营企业",
        law("《医疗器械监督管理条例》", 107),
    ),
    subject(
        "SCJG",
        "化妆品经营",
        "化妆品经营者",
        law("《化妆品监督管理条例》", 80),
    ),
    subject(
        "SCJG",
        "网络交易",
        "网络交易经营者",
        law("《中华人民共和国电子商务法》", 89),
    ),
    subject(
        "YJGL",
        "工贸企业安全生产",
        "工贸企业",
        law("《中华人民共和国安全生产法》", 119),
    ),
    subject(
        "YJGL",
        "危险化学品",
        "危险化学品经营单位",
        law("《危险化学品安全管理条例》", 102),
    ),
    subject(
        "YJGL",
        "烟花爆竹经营",
        "烟花爆竹经营单位",
        law("《烟花爆竹安全管理条例》", 46),
    ),
    subject(
        "YJGL",
        "非煤矿山安全",
        "非煤矿山企业",
        law("《中华人民共和国矿山安全法》", 50),
    ),
    subject(
        "STHJ",
        "大气污染防治",
        "排污单位",
        law("《中华人民共和国大气污染防治法》", 129),
    ),
    subject(
        "STHJ",
        "水污染防治",
        "排污单位",
        law("《中华人民共和国水污染防治法》", 103),
    ),
    subject(
        "STHJ",
        "固体废物污染防治",
        "产生固体废物的单位",
        law("《中华人民共和国固体废物污染环境防治法》", 126),
    ),
    subject(
        "STHJ",
        "排污许可",
        "排污许可证持证单位",
        law("《排污许可管理条例》", 51),
    ),
    subject(
        "WJW",
        "医疗机构执业",
        "医疗机构",
        law("《医疗机构管理条例》", 53),
    ),
    subject(
        "WJW",
        "公共场所卫生",
        "公共场所经营单位",
        law("《公共场所卫生管理条例》", 14),
    ),
    subject(
        "WJW",
        "传染病防治",
        "医疗卫生机构",
        law("《中华人民共和国传染病防治法》", 80),
    ),
    subject(
        "WJW",
        "职业卫生",
        "存在职业病危害的用人单位",
        law("《中华人民共和国职业病防治法》", 88),
    ),
    subject(
        "ZJJ",
        "建筑施工",
        "建筑施工企业",
        law("《中华人民共和国建筑法》", 85),
    ),
    subject(
        "ZJJ",
        "工程质量",
        "建设工程参建单位",
        law("《建设工程质量管理条例》", 82),
    ),
    subject(
        "ZJJ",
        "物业服务",
        "物业服务企业",
        law("《物业管理条例》", 67),
    ),
    subject(
        "ZJJ",
        "房地产开发经营",
        "房地产开发企业",
        law("《城市房地产开发经营管理条例》", 42),
    ),
    subject(
        "JTYS",
        "道路运输",
        "道路运输经营者",
        law("《中华人民共和国道路运输条例》", 110),
    ),
    subject(
        "JTYS",
        "机动车维修",
        "机动车维修经营者",
        law("《机动车维修管理规定》", 57),
    ),
    subject(
        "SWJ",
        "单用途商业预付卡",
        "发卡企业",
        law("《单用途商业预付卡管理办法（试行）》", 43),
    ),
    subject(
        "SWJ",
        "报废机动车回收",
        "报废机动车回收企业",
        law("《报废机动车回收管理办法》", 28),
    ),
    subject(
        "SWJ",
        "再生资源回收",
        "再生资源回收经营者",
        law("《再生资源回收管理办法》", 26),
    ),
    subject(
        "WLJ",
        "旅行社经营",
        "旅行社",
        law("《中华人民共和国旅游法》", 112),
    ),
    subject("WLJ", "娱乐场所经营", "娱乐场所", ENTERTAINMENT),
    subject(
        "WLJ",
        "上网服务营业场所",
        "互联网上网服务营业场所",
        law("《互联网上网服务营业场所管理条例》", 38),
    ),
    subject(
        "WLJ",
        "营业性演出",
        "演出经营主体",
        law("《营业性演出管理条例》", 57),
    ),
    subject("XF", "消防安全", "消防安全重点单位", FIRE),
    subject("XF", "人员密集场所消防", "人员密集场所", FIRE),
    subject(
        "GA",
        "旅馆业治安",
        "旅馆",
        law("《旅馆业治安管理办法》", 24),
    ),
    subject("GA", "娱乐场所治安", "娱乐场所", ENTERTAINMENT),
    subject("JYJ", "民办学校办学", "民办学校", PRIVATE_EDUCATION),
    subject("JYJ", "校外培训", "校外培训机构", PRIVATE_EDUCATION),
    subject(
        "RSJ",
        "劳动用工",
        "用人单位",
        law("《中华人民共和国劳动合同法》", 98),
    ),
    subject(
        "RSJ",
        "劳动保障",
        "用人单位",
        law("《劳动保障监察条例》", 36),
    ),
    subject(
        "RSJ",
        "人力资源服务",
        "人力资源服务机构",
        law("《人力资源市场暂行条例》", 51),
    ),
    subject(
        "ZRZY",
        "土地利用",
        "用地单位",
        law("《中华人民共和国土地管理法》", 87),
    ),
    subject(
        "ZRZY",
        "矿产资源开发",
        "采矿权人",
        law("《中华人民共和国矿产资源法》", 53),
    ),
    subject(
        "ZRZY",
        "测绘地理信息",
        "测绘单位",
        law("《中华人民共和国测绘法》", 68),
    ),
    subject(
        "SLJ",
        "取水许可",
        "取水单位",
        law("《取水许可和水资源费征收管理条例》", 58),
    ),
    subject(
        "SLJ",
        "河道采砂",
        "河道采砂单位",
        law("《中华人民共和国河道管理条例》", 51),
    ),
    subject(
        "NYNC",
        "农产品质量安全",
        "农产品生产经营者",
        law("《中华人民共和国农产品质量安全法》", 81),
    ),
    subject(
        "NYNC",
        "农药经营",
        "农药经营者",
        law("《农药管理条例》", 66),
    ),
    subject(
        "NYNC",
        "兽药经营",
        "兽药经营企业",
        law("《兽药管理条例》", 75),
    ),
    subject(
        "NYNC",
        "饲料生产",
        "饲料生产企业",
        law("《饲料和饲料添加剂管理条例》", 51),
    ),
    subject(
        "NYNC",
        "种子经营",
        "种子生产经营者",
        law("《中华人民共和国种子法》", 93),
    ),
    subject(
        "LYJ",
        "林木采伐",
        "林业经营者",
        law("《中华人民共和国森林法》", 84),
    ),
    subject(
        "LYJ",
        "野生动物经营利用",
        "野生动物经营利用单位",
        law("《中华人民共和国野生动物保护法》", 64),
    ),
    subject(
        "SW",
        "纳税申报",
        "纳税人",
        law("《中华人民共和国税收征收管理法》", 94),
    ),
    subject(
        "SW",
        "发票使用",
        "纳税人",
        law("《中华人民共和国发票管理办法》", 45),
    ),
    subject(
        "TJJ",
        "统计数据质量",
        "统计调查对象",
        law("《中华人民共和国统计法》", 50),
    ),
    subject(
        "CZJ",
        "会计信息质量",
        "会计主体",
        law("《中华人民共和国会计法》", 52),
    ),
    subject(
        "CZJ",
        "政府采购代理",
        "政府采购代理机构",
        law("《中华人民共和国政府采购法》", 88),
    ),
    subject("JXJ", "节能监察", "重点用能单位", ENERGY),
    subject(
        "JXJ",
        "民用爆炸物品",
        "民用爆炸物品生产销售企业",
        law("《民用爆炸物品安全管理条例》", 55),
    ),
    subject(
        "FGW",
        "招标投标",
        "招标人",
        law("《中华人民共和国招标投标法》", 68),
    ),
    subject("FGW", "固定资产投资项目节能", "项目单位", ENERGY),
    subject(
        "YBJ",
        "医保基金使用",
        "定点医药机构",
        law("《医疗保障基金使用监督管理条例》", 50),
    ),
    subject(
        "MZJ",
        "养老机构服务",
        "养老机构",
        law("《养老机构管理办法》", 49),
    ),
    subject(
        "MZJ",
        "社会团体",
        "社会团体",
        law("《社会团体登记管理条例》", 37),
    ),
    subject(
        "SFJ",
        "律师执业",
        "律师事务所",
        law("《中华人民共和国律师法》", 60),
    ),
    subject(
        "SFJ",
        "公证执业",
        "公证机构",
        law("《中华人民共和国公证法》", 47),
    ),
    subject(
        "CGJ",
        "市容环境卫生",
        "临街经营单位",
        law("《城市市容和环境卫生管理条例》", 39),
    ),
    subject(
        "CGJ",
        "城镇排水",
        "排水户",
        law("《城镇排水与污水处理条例》", 59),
    ),
    subject(
        "CGJ",
        "城镇燃气",
        "燃气经营企业",
        law("《城镇燃气管理条例》", 53),
    ),
    subject(
        "RFB",
        "人防工程",
        "人防工程使用单位",
        law("《中华人民共和国人民防空法》", 53),
    ),
    subject(
        "YCJ",
        "烟草专卖零售",
        "烟草制品零售户",
        law("《中华人民共和国烟草专卖法》", 46),
    ),
    subject(
        "KJJ",
        "科技成果转化",
        "科技型企业",
        law("《中华人民共和国促进科技成果转化法》", 52),
    ),
    subject(
        "QXJ",
        "防雷安全",
        "防雷装置使用单位",
        law("《气象灾害防御条例》", 51),
    ),
    subject(
        "QXJ",
        "施放气球",
        "施放气球单位",
        law("《中华人民共和国气象法》", 45),
    ),
    subject(
        "HG",
        "进出口商品检验",
        "进出口企业",
        law("《中华人民共和国进出口商品检验法》", 40),
    ),
    subject(
        "HG",
        "海关监管",
        "报关单位",
        law("《中华人民共和国海关法》", 102),
    ),
];

/// Why an inspector must stay away from an entity (回避).
pub const RECUSAL_REASONS: [&str; 8] = [
    "近亲属关系（配偶任该单位法定代表人）",
    "近亲属关系（子女在该单位任职）",
    "近亲属关系（兄弟姐妹为该单位经营者）",
    "曾在该单位任职",
    "曾在该单位任职（离职未满三年）",
    "利害关系（持有该单位股份）",
    "利害关系（与该单位存在经济往来）",
    "利害关系（曾代理该单位行政复议）",
];

/// `n` in Chinese numerals as in article numbers (第八十七条): 1 to 999.
pub fn chinese_number(n: u16) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let (hundreds, tens, units) = (
        usize::from(n / 100 % 10),
        usize::from(n / 10 % 10),
        usize::from(n % 10),
    );
    let mut text = String::new();
    if hundreds > 0 {
        text.push_str(DIGITS[hundreds]);
        text.push('百');
    }
    match tens {
        0 if hundreds > 0 && units > 0 => text.push('零'),
        0 => {}
        1 if hundreds == 0 => text.push('十'),
        _ => {
            text.push_str(DIGITS[tens]);
            text.push('十');
        }
    }
    if units > 0 || text.is_empty() {
        text.push_str(DIGITS[units]);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerals_read_as_in_the_law() {
        let cases = [
            (1, "一"),
            (10, "十"),
            (15, "十五"),
            (20, "二十"),
            (87, "八十七"),
            (100, "一百"),
            (105, "一百零五"),
            (110, "一百一十"),
            (154, "一百五十四"),
        ];
        for (n, text) in cases {
            assert_eq!(chinese_number(n), text, "{n}");
        }
    }

    #[test]
    fn every_department_has_subjects_in_order() {
        let mut last = 0;
        for department in super::super::DEPARTMENTS {
            let subjects: Vec<usize> = (0..SUBJECTS.len())
                .filter(|&i| SUBJECTS[i].department == department.code)
                .collect();
            assert!(!subjects.is_empty(), "{} has no subject", department.code);
            assert!(subjects[0] >= last, "{} out of order", department.code);
            last = subjects[subjects.len() - 1];
        }
        let mut names: Vec<&str> = SUBJECTS.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SUBJECTS.len());
    }
}
