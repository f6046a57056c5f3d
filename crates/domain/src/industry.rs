//! Industries: GB/T 4754-2017 《国民经济行业分类》, its 20 sections (门类 A–T)
//! and 97 divisions (大类 01–97), embedded; and [`IndustryCode`], an entity's
//! industry code at division (2 digits), group (3) or class (4) level.
//!
//! Groups and classes are not embedded: a 3- or 4-digit code is checked against
//! its division only.

use std::fmt;

use super::field::InvalidField;

/// The 20 sections (门类) of GB/T 4754-2017: letter and name.
pub const SECTIONS: [(char, &str); 20] = [
    ('A', "农、林、牧、渔业"),
    ('B', "采矿业"),
    ('C', "制造业"),
    ('D', "电力、热力、燃气及水生产和供应业"),
    ('E', "建筑业"),
    ('F', "批发和零售业"),
    ('G', "交通运输、仓储和邮政业"),
    ('H', "住宿和餐饮业"),
    ('I', "信息传输、软件和信息技术服务业"),
    ('J', "金融业"),
    ('K', "房地产业"),
    ('L', "租赁和商务服务业"),
    ('M', "科学研究和技术服务业"),
    ('N', "水利、环境和公共设施管理业"),
    ('O', "居民服务、修理和其他服务业"),
    ('P', "教育"),
    ('Q', "卫生和社会工作"),
    ('R', "文化、体育和娱乐业"),
    ('S', "公共管理、社会保障和社会组织"),
    ('T', "国际组织"),
];

/// The 97 divisions (大类) of GB/T 4754-2017: code, section letter and name.
pub const DIVISIONS: [(&str, char, &str); 97] = [
    ("01", 'A', "农业"),
    ("02", 'A', "林业"),
    ("03", 'A', "畜牧业"),
    ("04", 'A', "渔业"),
    ("05", 'A', "农、林、牧、渔专业及辅助性活动"),
    ("06", 'B', "煤炭开采和洗选业"),
    ("07", 'B', "石油和天然气开采业"),
    ("08", 'B', "黑色金属矿采选业"),
    ("09", 'B', "有色金属矿采选业"),
    ("10", 'B', "非金属矿采选业"),
    ("11", 'B', "开采专业及辅助性活动"),
    ("12", 'B', "其他采矿业"),
    ("13", 'C', "农副食品加工业"),
    ("14", 'C', "食品制造业"),
    ("15", 'C', "酒、饮料和精制茶制造业"),
    ("16", 'C', "烟草制品业"),
    ("17", 'C', "纺织业"),
    ("18", 'C', "纺织服装、服饰业"),
    ("19", 'C', "皮革、毛皮、羽毛及其制品和制鞋业"),
    ("20", 'C', "木材加工和木、竹、藤、棕、草制品业"),
    ("21", 'C', "家具制造业"),
    ("22", 'C', "造纸和纸制品业"),
    ("23", 'C', "印刷和记录媒介复制业"),
    ("24", 'C', "文教、工美、体育和娱乐用品制造业"),
    ("25", 'C', "石油、煤炭及其他燃料加工业"),
    ("26", 'C', "化学原料和化学制品制造业"),
    ("27", 'C', "医药制造业"),
    ("28", 'C', "化学纤维制造业"),
    ("29", 'C', "橡胶和塑料制品业"),
    ("30", 'C', "非金属矿物制品业"),
    ("31", 'C', "黑色金属冶炼和压延加工业"),
    ("32", 'C', "有色金属冶炼和压延加工业"),
    ("33", 'C', "金属制品业"),
    ("34", 'C', "通用设备制造业"),
    ("35", 'C', "专用设备制造业"),
    ("36", 'C', "汽车制造业"),
    ("37", 'C', "铁路、船舶、航空航天和其他运输设备制造业"),
    ("38", 'C', "电气机械和器材制造业"),
    ("39", 'C', "计算机、通信和其他电子设备制造业"),
    ("40", 'C', "仪器仪表制造业"),
    ("41", 'C', "其他制造业"),
    ("42", 'C', "废弃资源综合利用业"),
    ("43", 'C', "金属制品、机械和设备修理业"),
    ("44", 'D', "电力、热力生产和供应业"),
    ("45", 'D', "燃气生产和供应业"),
    ("46", 'D', "水的生产和供应业"),
    ("47", 'E', "房屋建筑业"),
    ("48", 'E', "土木工程建筑业"),
    ("49", 'E', "建筑安装业"),
    ("50", 'E', "建筑装饰、装修和其他建筑业"),
    ("51", 'F', "批发业"),
    ("52", 'F', "零售业"),
    ("53", 'G', "铁路运输业"),
    ("54", 'G', "道路运输业"),
    ("55", 'G', "水上运输业"),
    ("56", 'G', "航空运输业"),
    ("57", 'G', "管道运输业"),
    ("58", 'G', "多式联运和运输代理业"),
    ("59", 'G', "装卸搬运和仓储业"),
    ("60", 'G', "邮政业"),
    ("61", 'H', "住宿业"),
    ("62", 'H', "餐饮业"),
    ("63", 'I', "电信、广播电视和卫星传输服务"),
    ("64", 'I', "互联网和相关服务"),
    ("65", 'I', "软件和信息技术服务业"),
    ("66", 'J', "货币金融服务"),
    ("67", 'J', "资本市场服务"),
    ("68", 'J', "保险业"),
    ("69", 'J', "其他金融业"),
    ("70", 'K', "房地产业"),
    ("71", 'L', "租赁业"),
    ("72", 'L', "商务服务业"),
    ("73", 'M', "研究和试验发展"),
    ("74", 'M', "专业技术服务业"),
    ("75", 'M', "科技推广和应用服务业"),
    ("76", 'N', "水利管理业"),
    ("77", 'N', "生态保护和环境治理业"),
    ("78", 'N', "公共设施管理业"),
    ("79", 'N', "土地管理业"),
    ("80", 'O', "居民服务业"),
    ("81", 'O', "机动车、电子产品和日用产品修理业"),
    ("82", 'O', "其他服务业"),
    ("83", 'P', "教育"),
    ("84", 'Q', "卫生"),
    ("85", 'Q', "社会工作"),
    ("86", 'R', "新闻和出版业"),
    ("87", 'R', "广播、电视、电影和录音制作业"),
    ("88", 'R', "文化艺术业"),
    ("89", 'R', "体育"),
    ("90", 'R', "娱乐业"),
    ("91", 'S', "中国共产党机关"),
    ("92", 'S', "国家机构"),
    ("93", 'S', "人民政协、民主党派"),
    ("94", 'S', "社会保障"),
    ("95", 'S', "群众团体、社会团体和其他成员组织"),
    ("96", 'S', "基层群众自治组织及其他组织"),
    ("97", 'T', "国际组织"),
];

/// A section (门类) of GB/T 4754-2017.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    /// `A`–`T`.
    pub code: char,
    /// E.g. 制造业.
    pub name: &'static str,
}

/// A division (大类) of GB/T 4754-2017.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Division {
    /// `01`–`97`.
    pub code: &'static str,
    /// The section letter.
    pub section: char,
    /// E.g. 零售业.
    pub name: &'static str,
}

/// All sections, in order.
pub fn sections() -> impl Iterator<Item = Section> {
    SECTIONS.iter().map(|&(code, name)| Section { code, name })
}

/// All divisions, in order.
pub fn divisions() -> impl Iterator<Item = Division> {
    DIVISIONS.iter().map(|&(code, section, name)| Division {
        code,
        section,
        name,
    })
}

/// The section with this letter.
pub fn section(code: char) -> Option<Section> {
    sections().find(|s| s.code == code)
}

/// The division with this two-digit code.
pub fn division(code: &str) -> Option<Division> {
    // Divisions 01–97 are listed in order without gaps.
    let number: usize = code.parse().ok().filter(|_| code.len() == 2)?;
    let (code, section, name) = *DIVISIONS.get(number.checked_sub(1)?)?;
    Some(Division {
        code,
        section,
        name,
    })
}

/// An entity's industry code: a GB/T 4754-2017 division, group or class (2–4 digits).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndustryCode(String);

impl IndustryCode {
    /// Parses `52`, `521`, `5211`, or the same prefixed by the section letter
    /// (`F5211`, which must be the right section). White space is removed.
    pub fn parse(text: &str) -> Result<Self, InvalidField> {
        let trimmed = text.trim();
        let bad = |reason: String| InvalidField::new("industry", text, reason);
        let (letter, digits) = match trimmed.chars().next() {
            Some(c) if c.is_ascii_alphabetic() => (Some(c.to_ascii_uppercase()), &trimmed[1..]),
            _ => (None, trimmed),
        };
        if !(2..=4).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(
                "an industry code is a GB/T 4754-2017 division, group or class of 2–4 digits, optionally after the section letter (e.g. 52, 5211, F5211)".into(),
            ));
        }
        let division = division(&digits[..2]).ok_or_else(|| {
            bad(format!(
                "{} is not a GB/T 4754-2017 division (01–97)",
                &digits[..2]
            ))
        })?;
        if let Some(letter) = letter.filter(|&letter| letter != division.section) {
            return Err(bad(format!(
                "division {} ({}) belongs to section {}, not {letter}",
                division.code, division.name, division.section
            )));
        }
        Ok(Self(digits.to_owned()))
    }

    /// The digits (2–4).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The division.
    pub fn division(&self) -> Division {
        division(&self.0[..2]).unwrap_or(Division {
            code: "00",
            section: '?',
            name: "",
        })
    }

    /// The section letter.
    pub fn section(&self) -> char {
        self.division().section
    }
}

impl fmt::Display for IndustryCode {
    /// With the section letter, e.g. `F5211`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.section(), self.0)
    }
}

impl fmt::Debug for IndustryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IndustryCode({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_complete_and_ordered() {
        assert_eq!(sections().count(), 20);
        assert_eq!(divisions().count(), 97);
        for (index, division) in divisions().enumerate() {
            assert_eq!(division.code, format!("{:02}", index + 1));
            assert!(section(division.section).is_some(), "{division:?}");
        }
        // Every section has at least one division, in section order.
        let mut last = 'A';
        for division in divisions() {
            assert!(division.section >= last);
            last = division.section;
        }
        for section in sections() {
            assert!(
                divisions().any(|d| d.section == section.code),
                "{section:?}"
            );
        }
        // Spot checks against the standard.
        assert_eq!(
            division("13").map(|d| (d.section, d.name)),
            Some(('C', "农副食品加工业"))
        );
        assert_eq!(division("43").map(|d| d.section), Some('C'));
        assert_eq!(division("44").map(|d| d.section), Some('D'));
        assert_eq!(division("62").map(|d| d.name), Some("餐饮业"));
        assert_eq!(
            division("83").map(|d| (d.section, d.name)),
            Some(('P', "教育"))
        );
        assert_eq!(division("00"), None);
        assert_eq!(division("98"), None);
        assert_eq!(division("5"), None);
    }

    #[test]
    fn industry_codes_parse() -> Result<(), InvalidField> {
        assert_eq!(IndustryCode::parse("5211")?.as_str(), "5211");
        assert_eq!(IndustryCode::parse(" f5211 ")?.as_str(), "5211");
        assert_eq!(IndustryCode::parse("52")?.to_string(), "F52");
        assert_eq!(IndustryCode::parse("621")?.division().name, "餐饮业");
        for bad in ["", "5", "52111", "98", "00", "C5211", "52a", "零售"] {
            assert_eq!(
                IndustryCode::parse(bad).map_err(|e| e.field),
                Err("industry"),
                "{bad}"
            );
        }
        Ok(())
    }
}
