//! 12345 hotline work orders (工单): the life cycle 受理 → 派单 → 签收 → 办理 →
//! 答复 → 回访 → 办结, with 退单, 延期, 督办 and reopening, as a pure state
//! machine. [`WorkOrder::apply`] either returns the changed order or refuses
//! with a reason and leaves the order as it was.
//!
//! Deadlines are counted in working days from the calendar: 签收 by
//! `deadline(clock day, sign_days)`, 办结 by `deadline(clock day, limit +
//! approved extension)`, where the clock day is the receipt day (or the day
//! the clock restarted, see [`HotlineRules`]).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};
use serde::{Deserialize, Serialize};

use super::entity::chinese_enum;
use super::field::InvalidField;
use super::refusal::Refusal;

chinese_enum! {
    /// 难度: sets the closing limit.
    Difficulty, "difficulty", "the difficulty is 一般 or 疑难" {
        /// 一般: closed within 5 working days (Huangshi).
        Ordinary = "一般" | "ordinary" | "普通",
        /// 疑难: closed within 12 working days (Huangshi).
        Difficult = "疑难" | "difficult" | "复杂",
    }
}

chinese_enum! {
    /// Where a work order stands.
    OrderStatus, "status", "the status is 已受理, 已派单, 已签收, 办理中, 已答复, 已回访 or 已办结" {
        /// 已受理: at the centre, waiting to be dispatched (also after a 退单).
        Received = "已受理" | "received",
        /// 已派单: dispatched, waiting for the department to sign.
        Dispatched = "已派单" | "dispatched",
        /// 已签收: signed by the department.
        Signed = "已签收" | "signed",
        /// 办理中: being handled.
        Handling = "办理中" | "handling",
        /// 已答复: the department replied to the caller.
        Replied = "已答复" | "replied",
        /// 已回访: the centre called back and recorded the rating.
        Visited = "已回访" | "visited",
        /// 已办结: closed.
        Closed = "已办结" | "closed",
    }
}

chinese_enum! {
    /// The caller's rating at the callback (回访).
    Rating, "rating", "the callback result is 满意, 基本满意 or 不满意" {
        /// 满意.
        Satisfied = "满意" | "satisfied",
        /// 基本满意.
        Fair = "基本满意" | "fair",
        /// 不满意.
        Dissatisfied = "不满意" | "dissatisfied",
    }
}

impl Rating {
    /// Counts as satisfied in 满意率 (满意 or 基本满意).
    pub fn satisfied(self) -> bool {
        !matches!(self, Self::Dissatisfied)
    }
}

chinese_enum! {
    /// 督办 level.
    Escalation, "escalation", "the escalation is 黄牌 or 红牌" {
        /// 黄牌督办.
        Yellow = "黄牌" | "yellow" | "黄",
        /// 红牌督办.
        Red = "红牌" | "red" | "红",
    }
}

/// The city's hotline rules: time limits, restarts and escalation. The
/// defaults are Huangshi's; a JSON file of the same shape overrides them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotlineRules {
    /// Working days to sign (签收时限).
    pub sign_days: u32,
    /// Working days to close an ordinary order.
    pub ordinary_days: u32,
    /// Working days to close a difficult order.
    pub difficult_days: u32,
    /// After a 退单, the clocks restart on the re-dispatch day; otherwise
    /// they keep running from the receipt day.
    pub restart_on_return: bool,
    /// After a reopening, the closing clock restarts on the reopening day.
    pub restart_on_reopen: bool,
    /// Automatic 红牌 once the closing deadline is this many working days past.
    pub red_after_days: u32,
    /// "About to be overdue": the deadline is within this many working days.
    pub due_soon_days: u32,
    /// Most working days one extension may add.
    pub max_extension_days: u32,
    /// Source channels: 12345 and the hotlines merged into it.
    pub channels: Vec<Channel>,
}

/// A source channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// The number, e.g. `12315`.
    pub number: String,
    /// What it was, e.g. `市场监管投诉举报`.
    pub name: String,
}

const DEFAULT_CHANNELS: &[(&str, &str)] = &[
    ("12345", "政务服务便民热线"),
    ("12315", "市场监管投诉举报"),
    ("12328", "交通运输服务监督"),
    ("12333", "人力资源和社会保障"),
    ("12329", "住房公积金"),
    ("12331", "食品药品投诉举报"),
    ("12365", "质量技术监督"),
    ("12358", "价格举报"),
    ("12369", "环保举报"),
    ("12319", "城建服务"),
    ("12320", "卫生健康"),
    ("12336", "自然资源违法举报"),
    ("12338", "妇女维权"),
    ("12348", "公共法律服务"),
    ("12349", "民政服务"),
    ("12350", "安全生产举报"),
    ("12355", "青少年服务"),
    ("12316", "三农服务"),
    ("12317", "扶贫监督"),
    ("12318", "文化市场举报"),
    ("12310", "机构编制"),
    ("12366", "纳税服务"),
    ("12351", "职工维权"),
    ("12385", "残疾人服务"),
    ("12301", "旅游服务"),
    ("12321", "网络不良信息举报"),
    ("12340", "社情民意调查"),
];

impl Default for HotlineRules {
    fn default() -> Self {
        Self {
            sign_days: 1,
            ordinary_days: 5,
            difficult_days: 12,
            restart_on_return: true,
            restart_on_reopen: true,
            red_after_days: 3,
            due_soon_days: 1,
            max_extension_days: 10,
            channels: DEFAULT_CHANNELS
                .iter()
                .map(|(number, name)| Channel {
                    number: (*number).to_owned(),
                    name: (*name).to_owned(),
                })
                .collect(),
        }
    }
}

impl HotlineRules {
    /// Rules from JSON text, checked.
    pub fn from_json(text: &str) -> Result<Self, InvalidField> {
        let rules: Self = serde_json::from_str(text)
            .map_err(|e| InvalidField::new("hotline rules", "", e.to_string()))?;
        if rules.ordinary_days == 0 || rules.difficult_days < rules.ordinary_days {
            return Err(InvalidField::new(
                "difficult_days",
                rules.difficult_days.to_string(),
                "closing limits are at least 1 working day, and 疑难 is not shorter than 一般",
            ));
        }
        if rules.channels.is_empty() {
            return Err(InvalidField::new(
                "channels",
                "",
                "name at least one channel",
            ));
        }
        Ok(rules)
    }

    /// The closing limit for `difficulty`, in working days.
    pub fn close_days(&self, difficulty: Difficulty) -> u32 {
        match difficulty {
            Difficulty::Ordinary => self.ordinary_days,
            Difficulty::Difficult => self.difficult_days,
        }
    }

    /// The configured channel named by its number or name, also written with
    /// words after the number (`12345热线`, `12315（市场监管）`).
    pub fn channel(&self, text: &str) -> Result<&Channel, InvalidField> {
        let text = text.trim();
        let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
        self.channels
            .iter()
            .find(|c| c.number == text || c.name == text)
            .or_else(|| {
                self.channels
                    .iter()
                    .find(|c| !digits.is_empty() && c.number == digits)
            })
            .ok_or_else(|| {
                InvalidField::new(
                    "channel",
                    text,
                    "not a configured hotline: 12345 or one of the merged hotlines (e.g. 12315)",
                )
            })
    }
}

/// China Standard Time, the offset every stored time uses.
pub fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or(chrono::Utc.fix())
}

/// A time as stored and compared: `YYYY-MM-DDTHH:MM:SS+08:00`, so text order is time order.
pub fn stored_time(at: DateTime<FixedOffset>) -> String {
    at.with_timezone(&beijing())
        .format("%Y-%m-%dT%H:%M:%S+08:00")
        .to_string()
}

/// Parses a time as people write it: `2026-03-02 09:15[:30]`, `2026/3/2 9:15`,
/// RFC 3339, or a date alone (taken as 00:00). Local times are Beijing time.
pub fn parse_time(field: &'static str, text: &str) -> Result<DateTime<FixedOffset>, InvalidField> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&beijing()));
    }
    let normal = text.replace('/', "-").replace('T', " ");
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(local) = NaiveDateTime::parse_from_str(&normal, format) {
            return local_time(field, text, local);
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(&normal, "%Y-%m-%d") {
        return local_time(field, text, day.and_time(NaiveTime::MIN));
    }
    Err(InvalidField::new(
        field,
        text,
        "a time like 2026-03-02 09:15 (or 2026-03-02 09:15:30, RFC 3339)",
    ))
}

fn local_time(
    field: &'static str,
    text: &str,
    local: NaiveDateTime,
) -> Result<DateTime<FixedOffset>, InvalidField> {
    beijing()
        .from_local_datetime(&local)
        .single()
        .ok_or_else(|| InvalidField::new(field, text, "not a valid time"))
}

/// The caller. Personal data: `Debug` and [`Caller::masked`] hide it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    /// Name as given.
    pub name: String,
    /// Telephone number.
    pub phone: String,
}

impl Caller {
    /// `张*` / `欧阳**` and `138****5678`.
    pub fn masked(&self) -> String {
        let mut chars = self.name.chars();
        let name = match chars.next() {
            Some(first) => {
                let rest = chars.count();
                format!("{first}{}", "*".repeat(rest.max(1)))
            }
            None => String::new(),
        };
        let digits: Vec<char> = self.phone.chars().collect();
        let phone = if digits.len() >= 7 {
            let head: String = digits[..3].iter().collect();
            let tail: String = digits[digits.len() - 4..].iter().collect();
            format!("{head}****{tail}")
        } else if digits.is_empty() {
            String::new()
        } else {
            "****".to_owned()
        };
        match (name.is_empty(), phone.is_empty()) {
            (false, false) => format!("{name} {phone}"),
            (false, true) => name,
            _ => phone,
        }
    }
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Caller({})", self.masked())
    }
}

/// A pending or decided extension request (延期申请).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionRequest {
    /// Working days asked for.
    pub days: u32,
    /// Why.
    pub reason: String,
    /// When asked.
    pub requested_at: DateTime<FixedOffset>,
}

/// One step in an order's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    /// When.
    pub at: DateTime<FixedOffset>,
    /// Who (account, `import` or `system`).
    pub actor: String,
    /// What, e.g. `签收`.
    pub action: String,
    /// Detail in words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// A hotline work order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkOrder {
    /// 工单编号.
    pub id: String,
    /// Source channel number (12345, 12315 …).
    pub channel: String,
    /// 受理时间.
    pub received_at: DateTime<FixedOffset>,
    /// The caller.
    #[serde(default)]
    pub caller: Caller,
    /// What the caller said.
    #[serde(default)]
    pub content: String,
    /// 问题类型.
    pub category: String,
    /// Where.
    #[serde(default)]
    pub location: String,
    /// The enterprise concerned (统一社会信用代码).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// 难度.
    pub difficulty: Difficulty,
    /// Status.
    pub status: OrderStatus,
    /// 承办部门 (department code), once dispatched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// The day the sign clock counts from.
    pub sign_clock_from: NaiveDate,
    /// The day the closing clock counts from.
    pub close_clock_from: NaiveDate,
    /// Last day to sign (签收时限).
    pub sign_due: NaiveDate,
    /// Last day to close (办结时限), extensions included.
    pub close_due: NaiveDate,
    /// Approved extension, working days.
    #[serde(default)]
    pub extension_days: u32,
    /// An extension request awaiting the centre's decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_extension: Option<ExtensionRequest>,
    /// 签收时间.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_at: Option<DateTime<FixedOffset>>,
    /// The department's reply to the caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// 回访结果.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
    /// 办结时间.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<FixedOffset>>,
    /// Working days from the receipt day to the closing day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_working_days: Option<u32>,
    /// 督办 level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Escalation>,
    /// Times returned (退单).
    #[serde(default)]
    pub returns: u32,
    /// Times reopened.
    #[serde(default)]
    pub reopenings: u32,
    /// Out-of-plan inspections opened from this order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inspections: Vec<String>,
    /// History, oldest first.
    #[serde(default)]
    pub events: Vec<OrderEvent>,
    /// The digest of the import row this order was last read from: the same
    /// row imported again changes nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_digest: Option<String>,
}

/// What may happen to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderAction {
    /// 派单 to a department (centre).
    Dispatch {
        /// Department code.
        department: String,
    },
    /// 签收 (department).
    Sign,
    /// 办理: a progress note (department).
    Handle {
        /// The note.
        note: String,
    },
    /// 答复 the caller (department).
    Reply {
        /// The reply.
        text: String,
    },
    /// 退单: misrouted, back to the centre (department).
    Return {
        /// Why.
        reason: String,
    },
    /// 延期申请 (department).
    RequestExtension {
        /// Working days.
        days: u32,
        /// Why.
        reason: String,
    },
    /// 延期审批 (centre): approve `days` (at most the days asked) or reject.
    DecideExtension {
        /// Approve.
        approve: bool,
        /// Days granted, when approving.
        days: u32,
        /// Note.
        note: String,
    },
    /// 督办 (centre, or the system when overdue).
    Escalate {
        /// Level.
        level: Escalation,
        /// Why.
        note: String,
    },
    /// 回访 (centre).
    Callback {
        /// The caller's rating.
        rating: Rating,
        /// Note.
        note: String,
    },
    /// 办结 (centre).
    Close {
        /// Note.
        note: String,
    },
    /// 重办: the caller was 不满意 and the centre reopens (centre).
    Reopen {
        /// Why.
        reason: String,
    },
    /// An out-of-plan inspection was opened from this complaint.
    LinkInspection {
        /// The out-of-plan inspection's id.
        inspection: String,
    },
}

/// Who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The 12345 centre.
    Centre,
    /// The department the order is dispatched to.
    Department,
    /// Either (linking an inspection).
    Either,
}

impl OrderAction {
    /// The Chinese name of the step, as the history shows it.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Dispatch { .. } => "派单",
            Self::Sign => "签收",
            Self::Handle { .. } => "办理",
            Self::Reply { .. } => "答复",
            Self::Return { .. } => "退单",
            Self::RequestExtension { .. } => "延期申请",
            Self::DecideExtension { approve: true, .. } => "延期批准",
            Self::DecideExtension { approve: false, .. } => "延期驳回",
            Self::Escalate { .. } => "督办",
            Self::Callback { .. } => "回访",
            Self::Close { .. } => "办结",
            Self::Reopen { .. } => "重办",
            Self::LinkInspection { .. } => "转检查",
        }
    }

    /// The ledger action code, e.g. `hotline.signed`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Dispatch { .. } => "hotline.dispatched",
            Self::Sign => "hotline.signed",
            Self::Handle { .. } => "hotline.handled",
            Self::Reply { .. } => "hotline.replied",
            Self::Return { .. } => "hotline.returned",
            Self::RequestExtension { .. } => "hotline.extension_requested",
            Self::DecideExtension { .. } => "hotline.extension_decided",
            Self::Escalate { .. } => "hotline.escalated",
            Self::Callback { .. } => "hotline.called_back",
            Self::Close { .. } => "hotline.closed",
            Self::Reopen { .. } => "hotline.reopened",
            Self::LinkInspection { .. } => "hotline.inspection_linked",
        }
    }

    /// Who may take it.
    pub fn actor(&self) -> Actor {
        match self {
            Self::Sign
            | Self::Handle { .. }
            | Self::Reply { .. }
            | Self::Return { .. }
            | Self::RequestExtension { .. } => Actor::Department,
            Self::LinkInspection { .. } => Actor::Either,
            _ => Actor::Centre,
        }
    }
}

/// Why a step was refused: a stable code with the reason in English (CLI)
/// and Chinese (pages). The order is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub Refusal);

impl Refused {
    /// One refusal of each kind the rules give, for tests that read every message.
    pub fn examples() -> Vec<Refusal> {
        vec![
            wrong_status_refusal(
                "答复",
                "RX1",
                OrderStatus::Dispatched,
                "已签收 or 办理中",
                "已签收或办理中",
            ),
            missing("the reply", "答复内容", "text"),
        ]
    }
}

fn refuse<T>(code: &'static str, english: String, chinese: String) -> Result<T, Refused> {
    Err(Refused(Refusal::new(code, english, chinese)))
}

fn missing(english: &str, chinese: &str, field: &'static str) -> Refusal {
    Refusal::new(
        "text_required",
        format!("{english} is required"),
        format!("请填写{chinese}。工单未作改动。"),
    )
    .on(field)
}

fn wrong_status_refusal(
    step: &str,
    id: &str,
    status: OrderStatus,
    allowed_english: &str,
    allowed_chinese: &str,
) -> Refusal {
    Refusal::new(
        "order_status",
        format!("cannot {step} work order {id}: it is {status} ({step} needs {allowed_english})"),
        format!(
            "工单 {id} 当前为“{status}”，不能{step}，{step}须在{allowed_chinese}状态。工单未作改动。"
        ),
    )
}

/// `text` trimmed, or the refusal naming the missing `english`/`chinese` text (form `field`).
fn required(
    english: &str,
    chinese: &str,
    field: &'static str,
    text: &str,
) -> Result<String, Refused> {
    let text = text.trim();
    if text.is_empty() {
        Err(Refused(missing(english, chinese, field)))
    } else {
        Ok(text.to_owned())
    }
}

/// A calendar error of the working-day questions, refused.
fn calendar_refused(error: &workcal::Error) -> Refused {
    Refused(Refusal::new(
        "calendar",
        error.to_string(),
        "工作日历无法计算该日期（可能缺少当年的放假安排），工单未作改动。",
    ))
}

/// The working-day questions the rules ask; `workcal` answers them.
pub trait WorkingDays {
    /// The last day of `n` working days after `start` (see `workcal::Calendar::deadline`).
    fn last_day(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, Refused>;
    /// Working days in `(a, b]`.
    fn between(&self, a: NaiveDate, b: NaiveDate) -> Result<i64, Refused>;
}

impl WorkingDays for workcal::Calendar {
    fn last_day(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, Refused> {
        self.estimating()
            .deadline(start, n)
            .map(|d| d.value.last_day)
            .map_err(|e| calendar_refused(&e))
    }
    fn between(&self, a: NaiveDate, b: NaiveDate) -> Result<i64, Refused> {
        self.estimating()
            .working_days_between(a, b)
            .map(|d| d.value)
            .map_err(|e| calendar_refused(&e))
    }
}

/// What a new order needs (受理).
#[derive(Debug, Clone)]
pub struct Intake {
    /// 工单编号.
    pub id: String,
    /// Channel number or name.
    pub channel: String,
    /// 受理时间.
    pub received_at: DateTime<FixedOffset>,
    /// Caller.
    pub caller: Caller,
    /// Content.
    pub content: String,
    /// 问题类型.
    pub category: String,
    /// Location.
    pub location: String,
    /// 统一社会信用代码, checked by the caller of [`WorkOrder::new`].
    pub entity: Option<String>,
    /// 难度.
    pub difficulty: Difficulty,
}

impl WorkOrder {
    /// A new order at the centre (受理), with its deadlines.
    pub fn new(
        intake: Intake,
        rules: &HotlineRules,
        days: &impl WorkingDays,
        actor: &str,
    ) -> Result<Self, Refused> {
        super::plan::check_id("工单编号", &intake.id).map_err(invalid_field)?;
        let channel = rules.channel(&intake.channel).map_err(invalid_field)?;
        let category = required(
            "问题类型 (category)",
            "问题类型",
            "category",
            &intake.category,
        )?;
        let received_at = intake.received_at.with_timezone(&beijing());
        let day = received_at.date_naive();
        let mut order = Self {
            id: intake.id,
            channel: channel.number.clone(),
            received_at,
            caller: intake.caller,
            content: intake.content.trim().to_owned(),
            category,
            location: intake.location.trim().to_owned(),
            entity: intake.entity,
            difficulty: intake.difficulty,
            status: OrderStatus::Received,
            department: None,
            sign_clock_from: day,
            close_clock_from: day,
            sign_due: day,
            close_due: day,
            extension_days: 0,
            pending_extension: None,
            signed_at: None,
            reply: None,
            rating: None,
            closed_at: None,
            close_working_days: None,
            escalation: None,
            returns: 0,
            reopenings: 0,
            inspections: Vec::new(),
            events: Vec::new(),
            import_digest: None,
        };
        order.recompute_deadlines(rules, days)?;
        order.events.push(OrderEvent {
            at: received_at,
            actor: actor.to_owned(),
            action: "受理".to_owned(),
            detail: format!("{} {}", order.channel, order.category),
        });
        Ok(order)
    }

    /// The receipt day.
    pub fn received_on(&self) -> NaiveDate {
        self.received_at.date_naive()
    }

    /// Recomputes 签收时限 and 办结时限 from the clocks and the extension.
    pub fn recompute_deadlines(
        &mut self,
        rules: &HotlineRules,
        days: &impl WorkingDays,
    ) -> Result<(), Refused> {
        self.sign_due = days.last_day(self.sign_clock_from, rules.sign_days)?;
        self.close_due = days.last_day(
            self.close_clock_from,
            rules.close_days(self.difficulty) + self.extension_days,
        )?;
        Ok(())
    }

    /// Whether the order is still open (not 办结).
    pub fn is_open(&self) -> bool {
        self.status != OrderStatus::Closed
    }

    /// Signed late, or unsigned past the sign deadline on `today`.
    pub fn sign_overdue(&self, today: NaiveDate) -> bool {
        match self.signed_at {
            Some(at) => at.date_naive() > self.sign_due,
            None => self.department.is_some() && today > self.sign_due,
        }
    }

    /// Closed late, or open past the closing deadline on `today`.
    pub fn close_overdue(&self, today: NaiveDate) -> bool {
        match self.closed_at {
            Some(at) => at.date_naive() > self.close_due,
            None => today > self.close_due,
        }
    }

    /// The level the rules call for on `today`: 黄牌 once a deadline has
    /// passed with the step not done, 红牌 once the closing deadline is
    /// `red_after_days` working days past. `None` for closed orders.
    pub fn due_escalation(
        &self,
        today: NaiveDate,
        rules: &HotlineRules,
        days: &impl WorkingDays,
    ) -> Result<Option<Escalation>, Refused> {
        if !self.is_open() {
            return Ok(None);
        }
        if today > self.close_due
            && days.between(self.close_due, today)? >= i64::from(rules.red_after_days)
        {
            return Ok(Some(Escalation::Red));
        }
        let sign_late =
            self.signed_at.is_none() && self.department.is_some() && today > self.sign_due;
        Ok((sign_late || today > self.close_due).then_some(Escalation::Yellow))
    }

    /// Takes `action` at `at` by `actor`: the changed order, or why not (the
    /// order itself is never changed).
    pub fn apply(
        &self,
        action: &OrderAction,
        at: DateTime<FixedOffset>,
        actor: &str,
        rules: &HotlineRules,
        days: &impl WorkingDays,
    ) -> Result<Self, Refused> {
        use OrderStatus as S;
        let at = at.with_timezone(&beijing());
        if at < self.received_at {
            return refuse(
                "time_order",
                format!(
                    "{} at {} is before the order was received ({})",
                    action.label(),
                    stored_time(at),
                    stored_time(self.received_at)
                ),
                format!(
                    "{}时间 {} 早于工单受理时间 {}。工单未作改动。",
                    action.label(),
                    stored_time(at),
                    stored_time(self.received_at)
                ),
            );
        }
        if let Some(last) = self.events.last()
            && at < last.at
        {
            return refuse(
                "time_order",
                format!(
                    "{} at {} is before the order's last step ({} at {})",
                    action.label(),
                    stored_time(at),
                    last.action,
                    stored_time(last.at)
                ),
                format!(
                    "{}时间 {} 早于工单上一步操作（{}，{}）。工单未作改动。",
                    action.label(),
                    stored_time(at),
                    last.action,
                    stored_time(last.at)
                ),
            );
        }
        let wrong_status = |english: &str, chinese: &str| -> Result<Self, Refused> {
            Err(Refused(wrong_status_refusal(
                action.label(),
                &self.id,
                self.status,
                english,
                chinese,
            )))
        };
        let mut next = self.clone();
        let today = at.date_naive();
        let detail: String;
        match action {
            OrderAction::Dispatch { department } => {
                if self.status != S::Received {
                    return wrong_status("已受理", "已受理");
                }
                let department = required(
                    "承办部门 (department)",
                    "承办部门",
                    "department",
                    department,
                )?;
                if self.returns > 0 && rules.restart_on_return {
                    next.sign_clock_from = today;
                    next.close_clock_from = today;
                    next.extension_days = 0;
                    next.recompute_deadlines(rules, days)?;
                }
                detail = format!("派至 {department}");
                next.department = Some(department);
                next.status = S::Dispatched;
            }
            OrderAction::Sign => {
                if self.status != S::Dispatched {
                    return wrong_status("已派单", "已派单");
                }
                next.signed_at = Some(at);
                next.status = S::Signed;
                detail = String::new();
            }
            OrderAction::Handle { note } => {
                if !matches!(self.status, S::Signed | S::Handling) {
                    return wrong_status("已签收 or 办理中", "已签收或办理中");
                }
                detail = required("the handling note", "办理情况", "note", note)?;
                next.status = S::Handling;
            }
            OrderAction::Reply { text } => {
                if !matches!(self.status, S::Signed | S::Handling) {
                    return wrong_status("已签收 or 办理中", "已签收或办理中");
                }
                let text = required("the reply", "答复内容", "text", text)?;
                detail = text.clone();
                next.reply = Some(text);
                next.pending_extension = None;
                next.status = S::Replied;
            }
            OrderAction::Return { reason } => {
                if !matches!(self.status, S::Dispatched | S::Signed) {
                    return wrong_status(
                        "已派单 or 已签收 (before handling starts)",
                        "已派单或已签收（开始办理前）",
                    );
                }
                let reason = required("the reason for returning", "退单理由", "reason", reason)?;
                detail = format!(
                    "{} 退回: {reason}",
                    self.department.as_deref().unwrap_or("")
                );
                next.department = None;
                next.signed_at = None;
                next.pending_extension = None;
                next.returns += 1;
                next.status = S::Received;
            }
            OrderAction::RequestExtension {
                days: asked,
                reason,
            } => {
                if !matches!(self.status, S::Signed | S::Handling) {
                    return wrong_status("已签收 or 办理中", "已签收或办理中");
                }
                if self.pending_extension.is_some() {
                    return refuse(
                        "extension_pending",
                        format!(
                            "work order {} already has an extension request awaiting approval",
                            self.id
                        ),
                        "已有待审批的延期申请，请等待 12345 中心审批。工单未作改动。".to_owned(),
                    );
                }
                if *asked == 0 || *asked > rules.max_extension_days {
                    return refuse(
                        "extension_days",
                        format!(
                            "an extension is 1 to {} working days (asked {asked})",
                            rules.max_extension_days
                        ),
                        format!(
                            "延期天数应为 1 至 {} 个工作日（申请了 {asked} 个）。工单未作改动。",
                            rules.max_extension_days
                        ),
                    );
                }
                let reason =
                    required("the reason for the extension", "延期理由", "reason", reason)?;
                detail = format!("{asked} 个工作日: {reason}");
                next.pending_extension = Some(ExtensionRequest {
                    days: *asked,
                    reason,
                    requested_at: at,
                });
            }
            OrderAction::DecideExtension {
                approve,
                days: granted,
                note,
            } => {
                let Some(request) = &self.pending_extension else {
                    return refuse(
                        "no_extension",
                        format!("work order {} has no extension request to decide", self.id),
                        "没有待审批的延期申请。工单未作改动。".to_owned(),
                    );
                };
                if *approve {
                    if *granted == 0 || *granted > request.days {
                        return refuse(
                            "extension_days",
                            format!("grant 1 to {} working days (the days asked)", request.days),
                            format!(
                                "批准的延期天数应在 1 至 {} 个工作日（申请的天数）之间。工单未作改动。",
                                request.days
                            ),
                        );
                    }
                    next.extension_days += granted;
                    next.recompute_deadlines(rules, days)?;
                    detail = format!("批准 {granted} 个工作日, 办结时限 {}", next.close_due);
                } else {
                    detail = format!(
                        "驳回: {}",
                        required("the reason for rejecting", "驳回理由", "note", note)?
                    );
                }
                next.pending_extension = None;
            }
            OrderAction::Escalate { level, note } => {
                if !self.is_open() {
                    return wrong_status("an open order", "未办结");
                }
                if self.escalation.is_some_and(|current| current >= *level) {
                    let current = self.escalation.map(|e| e.as_str()).unwrap_or_default();
                    return refuse(
                        "already_escalated",
                        format!("work order {} is already under {current} 督办", self.id),
                        format!(
                            "工单 {} 已在{current}督办中，不能再设同级或更低级别的督办。工单未作改动。",
                            self.id
                        ),
                    );
                }
                detail = format!("{level}: {}", note.trim());
                next.escalation = Some(*level);
            }
            OrderAction::Callback { rating, note } => {
                if self.status != S::Replied {
                    return wrong_status("已答复", "已答复");
                }
                detail = format!("{rating} {}", note.trim()).trim().to_owned();
                next.rating = Some(*rating);
                next.status = S::Visited;
            }
            OrderAction::Close { note } => {
                if self.status != S::Visited {
                    return wrong_status("已回访", "已回访");
                }
                detail = note.trim().to_owned();
                next.closed_at = Some(at);
                let worked = days.between(self.received_on(), today)?;
                next.close_working_days = Some(u32::try_from(worked.max(0)).unwrap_or(0));
                next.status = S::Closed;
            }
            OrderAction::Reopen { reason } => {
                if !matches!(self.status, S::Visited | S::Closed)
                    || self.rating != Some(Rating::Dissatisfied)
                {
                    let rating = self.rating.map(|r| format!(", {r}")).unwrap_or_default();
                    let rating_zh = self
                        .rating
                        .map(|r| format!("，回访{r}"))
                        .unwrap_or_default();
                    return refuse(
                        "not_reopenable",
                        format!(
                            "only an order whose caller was 不满意 at the callback is reopened (work order {} is {}{rating})",
                            self.id, self.status
                        ),
                        format!(
                            "只有回访“不满意”的工单才能重办（工单 {} 当前为“{}”{rating_zh}）。工单未作改动。",
                            self.id, self.status
                        ),
                    );
                }
                detail = required("the reason for reopening", "重办理由", "reason", reason)?;
                next.closed_at = None;
                next.close_working_days = None;
                next.reply = None;
                next.reopenings += 1;
                if rules.restart_on_reopen {
                    next.close_clock_from = today;
                    next.extension_days = 0;
                    next.recompute_deadlines(rules, days)?;
                }
                next.status = S::Handling;
            }
            OrderAction::LinkInspection { inspection } => {
                let inspection =
                    required("the inspection", "关联的检查", "inspection", inspection)?;
                if self.inspections.contains(&inspection) {
                    return refuse(
                        "already_linked",
                        format!(
                            "inspection {inspection} is already linked to work order {}",
                            self.id
                        ),
                        format!("检查 {inspection} 已关联工单 {}。工单未作改动。", self.id),
                    );
                }
                detail = inspection.clone();
                next.inspections.push(inspection);
            }
        }
        next.events.push(OrderEvent {
            at,
            actor: actor.to_owned(),
            action: action.label().to_owned(),
            detail,
        });
        Ok(next)
    }
}

/// The counts behind the KPI rates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct KpiCounts {
    /// Orders received.
    pub orders: u64,
    /// Signed on or before the sign deadline.
    pub signed_on_time: u64,
    /// Signed, or past the sign deadline (及时签收率's denominator).
    pub sign_counted: u64,
    /// Closed on or before the closing deadline.
    pub closed_on_time: u64,
    /// Closed, or past the closing deadline (按时办结率's denominator).
    pub close_counted: u64,
    /// Rated 满意 or 基本满意.
    pub satisfied: u64,
    /// With a callback rating (满意率's denominator).
    pub rated: u64,
    /// Closed.
    pub closed: u64,
    /// Working days from receipt to closing, summed over the closed.
    pub close_days_total: u64,
}

impl KpiCounts {
    /// Adds `other`'s counts.
    pub fn add(&mut self, other: &KpiCounts) {
        self.orders += other.orders;
        self.signed_on_time += other.signed_on_time;
        self.sign_counted += other.sign_counted;
        self.closed_on_time += other.closed_on_time;
        self.close_counted += other.close_counted;
        self.satisfied += other.satisfied;
        self.rated += other.rated;
        self.closed += other.closed;
        self.close_days_total += other.close_days_total;
    }
}

/// `numerator / denominator` rounded half up to `places` decimals, in integers;
/// `None` when the denominator is 0.
fn ratio(numerator: u64, denominator: u64, places: u32) -> Option<f64> {
    if denominator == 0 {
        return None;
    }
    let scale = 10u128.pow(places);
    let scaled = (u128::from(numerator) * scale * 2 + u128::from(denominator))
        / (u128::from(denominator) * 2);
    Some(scaled as f64 / scale as f64)
}

impl KpiCounts {
    /// 及时签收率, 4 decimals.
    pub fn sign_rate(&self) -> Option<f64> {
        ratio(self.signed_on_time, self.sign_counted, 4)
    }

    /// 按时办结率, 4 decimals.
    pub fn close_rate(&self) -> Option<f64> {
        ratio(self.closed_on_time, self.close_counted, 4)
    }

    /// 满意率, 4 decimals.
    pub fn satisfaction_rate(&self) -> Option<f64> {
        ratio(self.satisfied, self.rated, 4)
    }

    /// Average working days from receipt to closing, 4 decimals.
    pub fn avg_close_working_days(&self) -> Option<f64> {
        ratio(self.close_days_total, self.closed, 4)
    }

    /// The headline figures; as JSON, in this order,
    /// `{"orders", "sign_rate", "close_rate", "satisfaction_rate", "avg_close_working_days"}`.
    pub fn summary(&self) -> KpiSummary {
        KpiSummary {
            orders: self.orders,
            sign_rate: self.sign_rate(),
            close_rate: self.close_rate(),
            satisfaction_rate: self.satisfaction_rate(),
            avg_close_working_days: self.avg_close_working_days(),
        }
    }
}

/// The headline figures of [`KpiCounts`]: rates in [0, 1] and the average, to 4
/// decimals; `None` (JSON `null`) when there is nothing to divide by.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct KpiSummary {
    /// Orders received.
    pub orders: u64,
    /// 及时签收率.
    pub sign_rate: Option<f64>,
    /// 按时办结率.
    pub close_rate: Option<f64>,
    /// 满意率.
    pub satisfaction_rate: Option<f64>,
    /// Average working days from the receipt day to the closing day (4 decimals).
    pub avg_close_working_days: Option<f64>,
}

impl std::fmt::Display for KpiSummary {
    /// One JSON line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| std::fmt::Error)?;
        f.write_str(&text)
    }
}

/// An invalid field of an intake, refused with its Chinese message.
fn invalid_field(error: InvalidField) -> Refused {
    Refused(
        Refusal::new(
            error.code(),
            error.to_string(),
            format!("{}。工单未作改动。", error.message_zh()),
        )
        .on(error.field),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_round_half_up_in_integers_and_are_none_without_a_denominator() {
        assert_eq!(ratio(2, 3, 4), Some(0.6667));
        assert_eq!(ratio(1, 3, 4), Some(0.3333));
        assert_eq!(ratio(1, 20_000, 4), Some(0.0001));
        assert_eq!(ratio(1, 20_001, 4), Some(0.0));
        assert_eq!(ratio(7, 7, 4), Some(1.0));
        assert_eq!(ratio(13, 2, 2), Some(6.5));
        assert_eq!(ratio(0, 0, 4), None);
        let empty = KpiCounts::default().summary().to_string();
        assert_eq!(
            empty,
            r#"{"orders":0,"sign_rate":null,"close_rate":null,"satisfaction_rate":null,"avg_close_working_days":null}"#
        );
    }

    #[test]
    fn callers_are_masked_in_debug_and_display() {
        let caller = Caller {
            name: "欧阳修".into(),
            phone: "13812345678".into(),
        };
        assert_eq!(caller.masked(), "欧** 138****5678");
        let debug = format!("{caller:?}");
        assert!(
            !debug.contains("阳修") && !debug.contains("1234"),
            "{debug}"
        );
        assert_eq!(
            Caller {
                name: "张".into(),
                phone: String::new()
            }
            .masked(),
            "张*"
        );
    }

    #[test]
    fn rules_from_json_are_checked() {
        let mut rules = HotlineRules::default();
        assert_eq!(rules.channels.len(), 27, "12345 and the 26 merged hotlines");
        let text = serde_json::to_string(&rules).unwrap_or_default();
        assert_eq!(HotlineRules::from_json(&text), Ok(rules.clone()));
        rules.difficult_days = 3;
        let shorter = serde_json::to_string(&rules).unwrap_or_default();
        assert!(
            HotlineRules::from_json(&shorter).is_err(),
            "疑难 shorter than 一般"
        );
        assert!(HotlineRules::from_json(r#"{"sign_days": 1}"#).is_err());
    }

    #[test]
    fn times_are_read_as_beijing_time_and_stored_in_text_order() {
        let at = parse_time("t", "2026/3/2 9:15").map(stored_time);
        assert_eq!(at.as_deref(), Ok("2026-03-02T09:15:00+08:00"));
        let utc = parse_time("t", "2026-03-02T01:15:00Z").map(stored_time);
        assert_eq!(utc.as_deref(), Ok("2026-03-02T09:15:00+08:00"));
        assert!(parse_time("t", "yesterday").is_err());
    }

    #[test]
    fn channels_are_found_by_number_name_or_number_with_words() {
        let rules = HotlineRules::default();
        for text in [
            "12315",
            "市场监管投诉举报",
            "12315热线",
            "12315（市场监管）",
        ] {
            assert_eq!(
                rules.channel(text).map(|c| c.number.as_str()),
                Ok("12315"),
                "{text}"
            );
        }
        assert!(rules.channel("123").is_err());
        assert!(rules.channel("热线").is_err());
    }
}
