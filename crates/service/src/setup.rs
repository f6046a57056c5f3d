//! First-run setup: the city a database serves.
//!
//! [`set_up_city`] takes a GB/T 2260 code of a prefecture-level unit (or a
//! municipality, see [`domain::divisions`]), loads the city's county-level
//! units plus a 市直 entry under the city's own code into the district
//! directory, and records the city: one transaction, one ledger entry
//! (`city.set_up`). Running it again for the same city changes nothing; a
//! database set up for one city refuses another.

use chrono::{DateTime, FixedOffset};

use domain::divisions::{self, CITY_LEVEL, City, CityError, CityRecord};
use domain::org::{District, DistrictCode};
use storage::{Change, StoreError, WorkflowStore};

/// Ledger action of a city set up.
pub const CITY_SET_UP: &str = "city.set_up";

/// Why a city cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The code is not a city of the table.
    #[error(transparent)]
    NotACity(#[from] CityError),
    /// The database serves another city already.
    #[error(
        "this database is set up for {current_code} {current_name}; it cannot be switched to {asked} \
         (use a new data folder or database for another city)"
    )]
    OtherCity {
        /// The city set up.
        current_code: String,
        /// Its name.
        current_name: String,
        /// The code asked for.
        asked: String,
    },
    /// A district of the table failed validation (a bug in the table).
    #[error("district {0}")]
    Invalid(#[from] domain::InvalidField),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SetupError {
    /// Whether the input is at fault (CLI exit status 2), not the database.
    pub fn is_bad_input(&self) -> bool {
        matches!(self, SetupError::NotACity(_) | SetupError::OtherCity { .. })
    }

    /// The reason in Chinese, for a page.
    pub fn reason_zh(&self) -> String {
        match self {
            SetupError::NotACity(CityError::Malformed(code)) => {
                format!("“{code}”不是行政区划代码：应为 6 位数字，例如 420500")
            }
            SetupError::NotACity(CityError::Unknown(code)) => format!(
                "{code} 不在 GB/T 2260 行政区划表中（截至 {}）",
                divisions::EDITION
            ),
            SetupError::NotACity(CityError::NotACity { code, name, level }) => {
                let level = if *level == "province-level" {
                    "省级"
                } else {
                    "县级"
                };
                format!(
                    "{code} {name} 是{level}行政区划，不是地级市：请选择地级市、地区、自治州、盟或直辖市"
                )
            }
            SetupError::OtherCity {
                current_code,
                current_name,
                asked,
            } => format!(
                "本系统已设置为 {current_code} {current_name}，不能改为 {asked}（另一城市请使用新的数据目录或数据库）"
            ),
            other => format!("设置失败：{other}"),
        }
    }
}

/// What [`set_up_city`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetUp {
    /// The city recorded.
    pub city: CityRecord,
    /// Its districts as loaded: 市直 first, then the county-level units by code.
    pub districts: Vec<District>,
    /// The city was set up already: nothing was written.
    pub already: bool,
}

/// A city's district directory: 市直 under the city's code, then its county-level units.
pub fn districts_of(city: &City) -> Result<Vec<District>, domain::InvalidField> {
    std::iter::once((city.division.code, CITY_LEVEL))
        .chain(city.counties.iter().map(|d| (d.code, d.name)))
        .map(|(code, name)| District::new(DistrictCode::parse(code)?, name))
        .collect()
}

/// Sets the database up for the city with GB/T 2260 code `code` (see the module).
pub async fn set_up_city<S: WorkflowStore>(
    store: &S,
    code: &str,
    actor: &str,
    at: DateTime<FixedOffset>,
) -> Result<SetUp, SetupError> {
    let city = divisions::city(code)?;
    let districts = districts_of(&city)?;
    if let Some(current) = store.city().await? {
        if current.code != city.division.code {
            return Err(SetupError::OtherCity {
                current_code: current.code,
                current_name: current.name,
                asked: format!("{} {}", city.division.code, city.division.name),
            });
        }
        return Ok(SetUp {
            city: current,
            districts,
            already: true,
        });
    }
    let record = CityRecord {
        code: city.division.code.to_owned(),
        name: city.division.name.to_owned(),
        set_up_by: actor.to_owned(),
        set_up_at: at,
    };
    let listed: Vec<String> = districts
        .iter()
        .map(|d| format!("{} {}", d.code(), d.name()))
        .collect();
    let change = Change::new(
        at,
        actor,
        CITY_SET_UP,
        format!(
            "城市设置为 {} {}，载入区县 {} 个（GB/T 2260，截至 {}）：{}",
            record.code,
            record.name,
            districts.len(),
            divisions::EDITION,
            listed.join("、")
        ),
    );
    match store.set_up_city(&record, &districts, &change).await {
        Ok(()) => Ok(SetUp {
            city: record,
            districts,
            already: false,
        }),
        // Another setup won a race: report what it set up.
        Err(StoreError::Constraint { .. }) => match store.city().await? {
            Some(current) if current.code == record.code => Ok(SetUp {
                city: current,
                districts,
                already: true,
            }),
            Some(current) => Err(SetupError::OtherCity {
                current_code: current.code,
                current_name: current.name,
                asked: format!("{} {}", record.code, record.name),
            }),
            None => Err(SetupError::Store(StoreError::Constraint {
                message: "the city could not be recorded".into(),
            })),
        },
        Err(error) => Err(error.into()),
    }
}
