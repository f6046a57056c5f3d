//! The directories (entities, inspectors, items) as the staff pages and the
//! API both list them: filters, scoping by department, masked rows.

use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{Error, Result};
use crate::query::present;
use domain::account::{Account, Permission, Role};
use domain::entity::{CreditClass, EntityStatus, MarketEntity};
use domain::inspector::Inspector;
use domain::item::{InspectionItem, JointItem};
use domain::{Department, DepartmentCode, DistrictCode};
use files::{self, Kind};
use storage::{ClassFilter, EntityFilter, InspectorFilter, Page, PageRequest, Store};

/// Rows per page.
pub const PAGE_SIZE: u32 = 50;
/// Largest page the API serves.
pub const MAX_LIMIT: u32 = 500;

/// The directory tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// 部门名录.
    Departments,
    /// 检查对象名录库.
    Entities,
    /// 执法检查人员名录库.
    Inspectors,
    /// 随机抽查事项清单.
    Items,
    /// 部门联合抽查事项清单.
    JointItems,
}

impl Tab {
    pub(crate) const ALL: [Self; 5] = [
        Self::Departments,
        Self::Entities,
        Self::Inspectors,
        Self::Items,
        Self::JointItems,
    ];

    pub(crate) fn parse(text: Option<&str>) -> Result<Self> {
        match text.unwrap_or("entities") {
            "entities" | "" => Ok(Self::Entities),
            "departments" => Ok(Self::Departments),
            "inspectors" => Ok(Self::Inspectors),
            "items" => Ok(Self::Items),
            "joint-items" => Ok(Self::JointItems),
            other => Err(Error::BadRequest(format!(
                "未知名录 {other} (unknown directory)"
            ))),
        }
    }

    /// `departments`, `entities`, `inspectors`, `items` or `joint-items`.
    pub fn code(self) -> &'static str {
        self.kind().as_str()
    }

    /// The Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Departments => "部门名录",
            Self::Entities => "检查对象名录库",
            Self::Inspectors => "执法检查人员名录库",
            Self::Items => "随机抽查事项清单",
            Self::JointItems => "部门联合抽查事项清单",
        }
    }

    pub(crate) fn kind(self) -> Kind {
        match self {
            Self::Departments => Kind::Departments,
            Self::Entities => Kind::Entities,
            Self::Inspectors => Kind::Inspectors,
            Self::Items => Kind::Items,
            Self::JointItems => Kind::JointItems,
        }
    }
}

/// Search and paging parameters of the directory listings (page and API).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    /// `entities` (default), `departments`, `inspectors`, `items` or `joint-items` (page only).
    pub tab: Option<String>,
    /// Name substring or code prefix.
    pub q: Option<String>,
    /// District code.
    pub district: Option<String>,
    /// Entity status (存续, 注销, 吊销, 迁出).
    pub status: Option<String>,
    /// Credit-risk class `A`–`D` or `none` (only with SeeRiskClasses).
    pub class: Option<String>,
    /// Department code (inspectors, items).
    pub department: Option<String>,
    /// The previous page's `next`.
    pub after: Option<String>,
    /// Rows per page.
    pub limit: Option<u32>,
}

impl ListQuery {
    /// The page asked for.
    pub fn page(&self) -> PageRequest {
        PageRequest {
            after: present(&self.after).map(str::to_owned),
            limit: self.limit.unwrap_or(PAGE_SIZE).clamp(1, MAX_LIMIT),
        }
    }

    /// The entity filter, refusing a class filter to those who may not see classes.
    pub fn entity_filter(&self, account: &Account) -> Result<EntityFilter> {
        let credit_class = match present(&self.class) {
            None => None,
            Some(_) if !account.may(Permission::SeeRiskClasses) => return Err(Error::Forbidden),
            Some("none" | "未分类") => Some(ClassFilter::Unclassified),
            Some(class) => Some(ClassFilter::Class(CreditClass::parse(class)?)),
        };
        Ok(EntityFilter {
            text: present(&self.q).map(str::to_owned),
            district: present(&self.district)
                .map(DistrictCode::parse)
                .transpose()?,
            status: present(&self.status).map(EntityStatus::parse).transpose()?,
            credit_class,
            ..EntityFilter::default()
        })
    }

    /// The inspector filter; departmental roles see their own department only.
    pub fn inspector_filter(&self, account: &Account) -> Result<InspectorFilter> {
        let department = match (scoped_department(account), present(&self.department)) {
            (Some(own), Some(asked)) if own != asked => return Err(Error::Forbidden),
            (Some(own), _) => Some(own.to_owned()),
            (None, asked) => asked.map(str::to_owned),
        };
        Ok(InspectorFilter {
            text: present(&self.q).map(str::to_owned),
            department: department
                .as_deref()
                .map(DepartmentCode::parse)
                .transpose()?,
            district: present(&self.district)
                .map(DistrictCode::parse)
                .transpose()?,
            ..InspectorFilter::default()
        })
    }

    /// The department filter of the item lists.
    fn item_department(&self) -> Result<Option<DepartmentCode>> {
        Ok(present(&self.department)
            .map(DepartmentCode::parse)
            .transpose()?)
    }
}

/// The department a departmental role is confined to.
fn scoped_department(account: &Account) -> Option<&str> {
    if account.reads_all() {
        None
    } else {
        account.department.as_deref()
    }
}

/// An entity as listed; the class only for those who may see it.
#[derive(Debug, Clone, Serialize)]
pub struct EntityRow {
    /// 统一社会信用代码.
    pub uscc: String,
    /// 名称.
    pub name: String,
    /// 主体类型: the class (企业, 个体工商户, 农民专业合作社, 其他).
    pub entity_type: String,
    /// 主体类型 as registered (the class name for rows stored without it).
    pub registration_type: String,
    /// 所属区域 (code).
    pub district: String,
    /// 行业代码.
    pub industry: String,
    /// 成立日期.
    pub registered_on: String,
    /// 登记状态.
    pub status: String,
    /// 信用风险分类 (only with SeeRiskClasses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_class: Option<String>,
    /// 标签.
    pub tags: Vec<String>,
}

impl EntityRow {
    /// The row of `entity` as `account` may see it.
    pub fn of(entity: &MarketEntity, account: &Account) -> Self {
        let classes = account.may(Permission::SeeRiskClasses);
        Self {
            uscc: entity.uscc.as_str().to_owned(),
            name: entity.name.clone(),
            entity_type: entity.entity_type.class().as_str().to_owned(),
            registration_type: entity.entity_type.text().to_owned(),
            district: entity.district.as_str().to_owned(),
            industry: entity
                .industry
                .as_ref()
                .map(|i| i.as_str().to_owned())
                .unwrap_or_default(),
            registered_on: entity.registered_on.to_string(),
            status: entity.status.as_str().to_owned(),
            credit_class: classes.then(|| {
                entity
                    .credit
                    .map_or_else(|| "未分类".to_owned(), |c| c.class.as_str().to_owned())
            }),
            tags: entity.tags.clone(),
        }
    }
}

/// An inspector as listed; the identity card masked except for the system administrator.
#[derive(Debug, Clone, Serialize)]
pub struct InspectorRow {
    /// 执法证号.
    pub cert_no: String,
    /// 姓名.
    pub name: String,
    /// 部门.
    pub department: String,
    /// 身份证号 (masked).
    pub id_card: String,
    /// 证件有效期起.
    pub valid_from: String,
    /// 证件有效期止.
    pub valid_until: String,
    /// Certified today.
    pub certified: bool,
    /// 执法领域.
    pub fields: Vec<String>,
    /// 所属区域.
    pub district: String,
}

impl InspectorRow {
    /// The row of `inspector` as `account` may see it.
    pub fn of(inspector: &Inspector, account: &Account) -> Self {
        let id_card = inspector
            .id_card
            .as_ref()
            .map(|c| {
                let text = c.as_str();
                if account.role == Role::SystemAdmin {
                    text.to_owned()
                } else {
                    mask(text)
                }
            })
            .unwrap_or_default();
        Self {
            cert_no: inspector.cert_no.as_str().to_owned(),
            name: inspector.name.clone(),
            department: inspector.department.as_str().to_owned(),
            id_card,
            valid_from: inspector.cert_valid_from.to_string(),
            valid_until: inspector.cert_valid_until.to_string(),
            certified: inspector.is_certified_on(domain::clock::now().date_naive()),
            fields: inspector.fields.clone(),
            district: inspector
                .district
                .as_ref()
                .map(|d| d.as_str().to_owned())
                .unwrap_or_default(),
        }
    }
}

/// `420202********1234`: the first six and last four characters.
pub(crate) fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - 10;
    chars[..6]
        .iter()
        .chain(std::iter::repeat_n(&'*', hidden))
        .chain(&chars[chars.len() - 4..])
        .collect()
}

/// A department as listed: codes with their names.
#[derive(Debug, Clone, Serialize)]
pub struct DepartmentRow {
    /// 部门编码.
    pub code: String,
    /// 部门名称.
    pub name: String,
    /// 简称.
    pub short_name: String,
    /// 市级 or 区县级.
    pub level: String,
    /// 所属区域 (code; empty for a department stored before it was recorded).
    pub district: String,
    /// 所属区域 (name).
    pub district_name: String,
    /// 统一社会信用代码.
    pub uscc: String,
    /// Active (启用) or deactivated (停用).
    pub active: bool,
}

impl DepartmentRow {
    /// The row of `department`, its district named from `districts` (code, name).
    pub fn of(department: &Department, districts: &[(String, String)]) -> Self {
        let district = department
            .district()
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default();
        let district_name = districts
            .iter()
            .find(|(code, _)| *code == district)
            .map(|(_, name)| name.clone())
            .unwrap_or_default();
        Self {
            code: department.code().as_str().to_owned(),
            name: department.name().to_owned(),
            short_name: department.short_name().unwrap_or_default().to_owned(),
            level: department.level().as_str().to_owned(),
            district,
            district_name,
            uscc: department
                .uscc()
                .map(|u| u.as_str().to_owned())
                .unwrap_or_default(),
            active: department.is_active(),
        }
    }

    fn matches(&self, text: Option<&str>) -> bool {
        text.is_none_or(|t| {
            self.code
                .to_ascii_uppercase()
                .starts_with(&t.to_ascii_uppercase())
                || self.name.contains(t)
                || self.short_name.contains(t)
        })
    }
}

/// Every district as (code, name).
pub async fn district_names(state: &AppState) -> Result<Vec<(String, String)>> {
    Ok(state
        .db
        .districts()
        .await?
        .iter()
        .map(|d| (d.code().as_str().to_owned(), d.name().to_owned()))
        .collect())
}

/// A page of departments, by code: `q` matches a code prefix, the name or the
/// short name; `district` the district's code. The directory is small: it is
/// read whole and paged here.
pub async fn list_departments(
    state: &AppState,
    query: &ListQuery,
) -> Result<Listing<DepartmentRow>> {
    let districts = district_names(state).await?;
    let text = present(&query.q);
    let district = present(&query.district);
    let matching: Vec<DepartmentRow> = state
        .db
        .departments()
        .await?
        .iter()
        .map(|d| DepartmentRow::of(d, &districts))
        .filter(|row| row.matches(text) && district.is_none_or(|d| row.district == d))
        .collect();
    let total = matching.len() as u64;
    let page = query.page();
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
    let mut items: Vec<DepartmentRow> = matching
        .into_iter()
        .filter(|row| {
            page.after
                .as_deref()
                .is_none_or(|after| row.code.as_str() > after)
        })
        .take(limit + 1)
        .collect();
    let next = (items.len() > limit).then(|| {
        items.truncate(limit);
        items.last().map(|row| row.code.clone())
    });
    Ok(Listing {
        total,
        items,
        next: next.flatten(),
    })
}

/// An item of either list, as listed.
#[derive(Debug, Clone, Serialize)]
pub struct ItemRow {
    /// 事项编码.
    pub code: String,
    /// 类别 or 执法领域.
    pub category: String,
    /// 名称.
    pub name: String,
    /// 实施部门 (joint: lead, then cooperating).
    pub departments: Vec<String>,
    /// 检查对象.
    pub target_type: String,
    /// 抽查比例.
    pub ratio: String,
    /// 抽查频次.
    pub frequency: String,
    /// 法律依据.
    pub legal_basis: String,
}

impl ItemRow {
    fn of_item(item: &InspectionItem) -> Self {
        Self {
            code: item.code.as_str().to_owned(),
            category: item.category.clone(),
            name: item.name.clone(),
            departments: vec![item.department.as_str().to_owned()],
            target_type: item.target_type.clone(),
            ratio: item.ratio.to_string(),
            frequency: item.frequency.to_string(),
            legal_basis: item.legal_basis.clone(),
        }
    }

    fn of_joint(item: &JointItem) -> Self {
        Self {
            code: item.code.as_str().to_owned(),
            category: item.field.clone(),
            name: item.name.clone(),
            departments: item.departments().map(|d| d.as_str().to_owned()).collect(),
            target_type: item.target_type.clone(),
            ratio: item.ratio.to_string(),
            frequency: item.frequency.to_string(),
            legal_basis: item.legal_basis.clone(),
        }
    }

    fn matches(&self, text: Option<&str>) -> bool {
        text.is_none_or(|t| {
            self.code.starts_with(t) || self.name.contains(t) || self.category.contains(t)
        })
    }
}

/// A page of a listing: rows, the next cursor and how many match in all.
#[derive(Debug, Clone, Serialize)]
pub struct Listing<T> {
    /// How many match the filter.
    pub total: u64,
    /// This page's rows.
    pub items: Vec<T>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

fn listing<T, U>(page: Page<T>, total: u64, view: impl Fn(&T) -> U) -> Listing<U> {
    Listing {
        total,
        items: page.items.iter().map(view).collect(),
        next: page.next,
    }
}

/// A page of entities.
pub async fn list_entities(
    state: &AppState,
    account: &Account,
    query: &ListQuery,
) -> Result<Listing<EntityRow>> {
    let filter = query.entity_filter(account)?;
    let page = state.db.search_entities(&filter, &query.page()).await?;
    let total = state.db.count_entities(&filter).await?;
    Ok(listing(page, total, |e| EntityRow::of(e, account)))
}

/// A page of inspectors.
pub async fn list_inspectors(
    state: &AppState,
    account: &Account,
    query: &ListQuery,
) -> Result<Listing<InspectorRow>> {
    let filter = query.inspector_filter(account)?;
    let page = state.db.search_inspectors(&filter, &query.page()).await?;
    let total = state.db.count_inspectors(&filter).await?;
    Ok(listing(page, total, |i| InspectorRow::of(i, account)))
}

/// The items of one list, filtered (the lists are small: no paging).
pub async fn list_items(state: &AppState, query: &ListQuery, joint: bool) -> Result<Vec<ItemRow>> {
    let department = query.item_department()?;
    let rows: Vec<ItemRow> = if joint {
        state
            .db
            .joint_items(department.as_ref())
            .await?
            .iter()
            .map(ItemRow::of_joint)
            .collect()
    } else {
        state
            .db
            .items(department.as_ref())
            .await?
            .iter()
            .map(ItemRow::of_item)
            .collect()
    };
    let text = present(&query.q);
    Ok(rows.into_iter().filter(|r| r.matches(text)).collect())
}
