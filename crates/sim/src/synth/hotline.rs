//! Synthetic 12345 hotline work orders (工单) from a named ChaCha20 stream, as
//! in [`super`]: the same parameters give the same orders on every machine.
//!
//! Each order is built through the domain's own state machine
//! ([`WorkOrder::new`], then [`WorkOrder::apply`] step by step: 派单, 签收,
//! 办理, 延期, 答复, 回访, 办结, 退单, 督办, 重办), so its deadlines, history
//! and derived fields are exactly what the workflow would have produced.
//! Steps later than [`Params::as_of`] are not taken: orders received in the
//! last days are still open at that time, as are a few stuck ones, overdue.
//!
//! The mix follows Huangshi's 2022 figures (22,000 orders dispatched in half a
//! year; 及时签收率 98.1 %, 按时办结率 95.5 %, 满意率 98.3 %):
//! - channels: 12345 itself for most orders, then 12315 (market complaints),
//!   then the other merged hotlines by category (12333, 12328, 12369 …);
//! - categories ([`CATEGORIES`]) with the departments that handle them (the
//!   city's [`DEPARTMENTS`] codes), their share of 疑难 orders and of orders
//!   about an enterprise (统一社会信用代码 from the directory given);
//! - receipt times on working days between 08:30 and 17:30, more on Mondays
//!   and after holidays, more in summer;
//! - about 1.7 % signed late and 0.1 % never signed; about 4 % closed late
//!   and 0.3 % stuck (never closed, escalated 黄牌 then 红牌 by the system);
//!   some extension requests (approved or rejected), some 退单 and re-dispatch,
//!   some manual 督办; 满意 87 %, 基本满意 9.8 %, 不满意 3.2 % at the first callback;
//!   half of the 不满意 are reopened and handled again, nine in ten of them
//!   rated 满意 or 基本满意 the second time (about 98.2 % satisfied in the end).
//!
//! [`write_orders_csv`] writes orders in the import format of `jianguan hotline import`.

use std::io::Write;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Weekday};

use super::{DEPARTMENTS, HUANGSHI_DISTRICTS, Stream, ymd};
use domain::hotline::{
    Caller, Difficulty, Escalation, HotlineRules, Intake, OrderAction, Rating, Refused, WorkOrder,
    WorkingDays, beijing,
};

/// Work orders dispatched in Huangshi in the first half of 2022 (the seed's "22,000 so far").
pub const HUANGSHI_ORDERS: u64 = 22_000;

/// The actor of the centre's steps (受理, 派单, 延期审批, 回访, 办结, 重办, manual 督办).
pub const CENTRE_ACTOR: &str = "hotline.operator";
/// The actor of the automatic 督办.
pub const SYSTEM_ACTOR: &str = "system";

/// A category of work orders (问题类型) and how its orders go.
#[derive(Debug, Clone, Copy)]
pub struct Category {
    /// The name, e.g. 消费纠纷.
    pub name: &'static str,
    /// Relative frequency.
    pub weight: u32,
    /// Departments that handle it (code of [`DEPARTMENTS`], relative weight).
    pub departments: &'static [(&'static str, u32)],
    /// Merged hotlines its calls also come through (number, per mille of its orders).
    pub hotlines: &'static [(&'static str, u32)],
    /// 疑难 orders, per mille.
    pub difficult: u32,
    /// Orders about an enterprise, per mille.
    pub about_enterprise: u32,
    /// What callers say (the location is appended).
    pub contents: &'static [&'static str],
}

const fn category(
    name: &'static str,
    weight: u32,
    departments: &'static [(&'static str, u32)],
    hotlines: &'static [(&'static str, u32)],
    difficult: u32,
    about_enterprise: u32,
    contents: &'static [&'static str],
) -> Category {
    Category {
        name,
        weight,
        departments,
        hotlines,
        difficult,
        about_enterprise,
        contents,
    }
}

/// The categories of the synthetic orders.
pub const CATEGORIES: [Category; 18] = [
    category(
        "消费纠纷",
        160,
        &[("SCJG", 1)],
        &[("12315", 450)],
        30,
        750,
        &[
            "购买的商品存在质量问题，商家拒绝退换",
            "预付卡消费后商家停业，余额无法退还",
            "网购商品与描述不符，商家不予处理",
            "维修服务收费不合理，要求退还费用",
        ],
    ),
    category(
        "食品安全",
        70,
        &[("SCJG", 1)],
        &[("12315", 380), ("12331", 60)],
        80,
        850,
        &[
            "购买的食品已过保质期",
            "餐馆后厨卫生条件差，就餐后身体不适",
            "无证流动摊贩销售熟食",
            "超市销售的肉制品有异味",
        ],
    ),
    category(
        "市场监管",
        60,
        &[("SCJG", 1)],
        &[("12315", 350), ("12365", 30)],
        50,
        650,
        &[
            "门店无照经营",
            "商家发布虚假广告宣传",
            "加油站计量不准，怀疑缺斤少两",
            "电梯长期未年检，存在安全隐患",
        ],
    ),
    category(
        "价格",
        25,
        &[("SCJG", 1)],
        &[("12315", 300), ("12358", 100)],
        30,
        700,
        &[
            "商品未明码标价",
            "停车场收费标准与公示不符",
            "节假日期间商家哄抬价格",
        ],
    ),
    category(
        "物业",
        120,
        &[("ZJJ", 1)],
        &[],
        150,
        450,
        &[
            "小区物业服务不到位，公共区域长期无人清扫",
            "物业公司擅自提高物业费",
            "小区电梯频繁故障，物业维修不及时",
            "开发商交房后房屋漏水，多次反映未解决",
        ],
    ),
    category(
        "噪音",
        90,
        &[("STHJ", 40), ("GA", 30), ("CGJ", 30)],
        &[("12369", 100)],
        40,
        300,
        &[
            "夜间施工噪音扰民",
            "广场舞音响声音过大",
            "商铺门口高音喇叭促销扰民",
            "楼下餐馆排风机噪音过大",
        ],
    ),
    category(
        "交通",
        80,
        &[("JTYS", 70), ("GA", 30)],
        &[("12328", 350)],
        40,
        200,
        &[
            "出租车拒载、绕路",
            "公交车未按规定时间发车",
            "道路破损，存在安全隐患",
            "路口信号灯故障",
        ],
    ),
    category(
        "劳动保障",
        90,
        &[("RSJ", 1)],
        &[("12333", 400), ("12351", 30)],
        200,
        650,
        &[
            "公司拖欠工资三个月未发",
            "单位未依法缴纳社会保险",
            "工程项目拖欠农民工工资",
            "公司未签订劳动合同即辞退员工",
        ],
    ),
    category(
        "城市管理",
        110,
        &[("CGJ", 1)],
        &[("12319", 50)],
        80,
        150,
        &[
            "占道经营，影响通行",
            "小区周边违章搭建",
            "路灯不亮",
            "建筑垃圾乱倒",
        ],
    ),
    category(
        "环境保护",
        50,
        &[("STHJ", 1)],
        &[("12369", 250)],
        120,
        400,
        &[
            "工厂夜间偷排废气，气味刺鼻",
            "河道有污水排放",
            "餐饮油烟直排扰民",
        ],
    ),
    category(
        "住房公积金",
        25,
        &[("ZJJ", 1)],
        &[("12329", 500)],
        50,
        100,
        &["公积金提取审核时间过长", "单位未为职工缴存住房公积金"],
    ),
    category(
        "医疗卫生",
        45,
        &[("WJW", 70), ("YBJ", 30)],
        &[("12320", 200)],
        100,
        350,
        &[
            "医院收费项目不清楚",
            "诊所无证行医",
            "医保报销比例与政策不符",
        ],
    ),
    category(
        "教育",
        35,
        &[("JYJ", 1)],
        &[],
        60,
        200,
        &[
            "校外培训机构停课后拒不退费",
            "学校周边交通安全隐患",
            "入学政策咨询未得到答复",
        ],
    ),
    category(
        "社会救助",
        25,
        &[("MZJ", 1)],
        &[("12349", 100)],
        100,
        0,
        &["申请低保未获答复", "困难家庭临时救助申请"],
    ),
    category(
        "税务",
        15,
        &[("SW", 1)],
        &[("12366", 300)],
        50,
        500,
        &["商家拒开发票", "个人所得税汇算退税未到账"],
    ),
    category(
        "安全生产",
        15,
        &[("YJGL", 70), ("XF", 30)],
        &[("12350", 200)],
        150,
        800,
        &[
            "工厂违规存放危险化学品",
            "商场消防通道被堵塞",
            "小作坊存在安全生产隐患",
        ],
    ),
    category(
        "文化旅游",
        15,
        &[("WLJ", 1)],
        &[("12301", 150), ("12318", 50)],
        50,
        600,
        &[
            "旅行社强制购物",
            "网吧接纳未成年人",
            "景区门票收费与公示不符",
        ],
    ),
    category(
        "自然资源",
        15,
        &[("ZRZY", 70), ("NYNC", 30)],
        &[("12336", 100), ("12316", 50)],
        250,
        250,
        &["违法占用耕地建房", "非法采砂", "农村宅基地纠纷"],
    ),
];

const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "胡", "朱", "高", "柯",
    "石", "汪", "费", "罗",
];
const GIVEN: [&str; 20] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "华", "建", "红", "春",
];
const ROADS: [&str; 12] = [
    "磁湖路",
    "杭州东路",
    "武汉路",
    "颐阳路",
    "团城山路",
    "桂林北路",
    "广州路",
    "湖滨大道",
    "新下陆大道",
    "铁山大道",
    "兴国大道",
    "罗桥大道",
];
const RETURN_REASONS: [&str; 3] = [
    "非本部门职责，建议转交相关部门",
    "诉求属地不在本辖区",
    "工单内容涉及多个部门，请重新派单",
];
const EXTENSION_REASONS: [&str; 3] = [
    "需现场勘查并协调多方处理",
    "涉及历史遗留问题，需会商解决",
    "需等待检测结果",
];
const REPLIES: [&str; 4] = [
    "已现场核实，责令整改，并向来电人反馈处理结果",
    "经调解，双方达成一致，来电人认可",
    "已立案调查，依法处理，并告知来电人",
    "已向来电人解释相关政策，来电人表示理解",
];

/// What to generate.
#[derive(Debug, Clone)]
pub struct Params {
    /// The stream's name; every draw comes from `SHA-256(stream)`.
    pub stream: String,
    /// Orders in all.
    pub orders: u64,
    /// First receipt day.
    pub from: NaiveDate,
    /// Last receipt day (inclusive).
    pub to: NaiveDate,
    /// The time the orders stand at: later steps are not taken.
    pub as_of: DateTime<FixedOffset>,
    /// Prefix of the order numbers (工单编号 `{prefix}{YYYYMMDD}{sequence:05}`).
    pub id_prefix: String,
}

impl Params {
    /// `orders` orders received over `year`, as they stand on its last day at 18:00.
    pub fn year(year: i32, orders: u64) -> Self {
        Self {
            stream: format!("jianguan/synth/hotline/{year}"),
            orders,
            from: ymd(year, 1, 1),
            to: ymd(year, 12, 31),
            as_of: at(ymd(year, 12, 31), 18 * 60),
            id_prefix: "GD".to_owned(),
        }
    }
}

/// Beijing time `minutes` after midnight on `day`.
pub fn at(day: NaiveDate, minutes: u32) -> DateTime<FixedOffset> {
    let time = NaiveTime::from_num_seconds_from_midnight_opt(minutes.min(24 * 60 - 1) * 60, 0)
        .unwrap_or(NaiveTime::MIN);
    beijing().from_utc_datetime(&(day.and_time(time) - Duration::hours(8)))
}

/// The generator: parameters, rules, calendar and the enterprises orders may be about.
pub struct Generator<'a, D: WorkingDays> {
    params: Params,
    rules: &'a HotlineRules,
    days: &'a D,
    entities: &'a [String],
    /// The working receipt days and how many orders each receives.
    schedule: Vec<(NaiveDate, u64)>,
    category_weights: Vec<u32>,
}

impl<'a, D: WorkingDays> Generator<'a, D> {
    /// A generator of `params.orders` orders over the working days of
    /// `params.from ..= params.to`; `entities` are 统一社会信用代码 of the
    /// directory (orders about an enterprise name one of them; none when empty).
    pub fn new(
        params: Params,
        rules: &'a HotlineRules,
        days: &'a D,
        entities: &'a [String],
    ) -> Result<Self, Refused> {
        let schedule = schedule(&params, days)?;
        let category_weights = CATEGORIES.iter().map(|c| c.weight).collect();
        Ok(Self {
            params,
            rules,
            days,
            entities,
            schedule,
            category_weights,
        })
    }

    /// The orders, generated one at a time in receipt order (numbers ascending).
    pub fn orders(&self) -> Orders<'_, 'a, D> {
        Orders {
            generator: self,
            stream: Stream::named(&self.params.stream),
            day: 0,
            seconds: Vec::new(),
            next: 0,
            started: false,
        }
    }

    /// The parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// One order received at `received_at` with number `id`, its life drawn from `stream`.
    fn order(
        &self,
        stream: &mut Stream,
        id: String,
        received_at: DateTime<FixedOffset>,
    ) -> Result<WorkOrder, Refused> {
        let category = &CATEGORIES[stream.weighted(&self.category_weights)];
        let department = pick_department(stream, category);
        let channel = self.channel(stream, category);
        let difficulty = if stream.below(1000) < u64::from(category.difficult) {
            Difficulty::Difficult
        } else {
            Difficulty::Ordinary
        };
        let entity = (stream.below(1000) < u64::from(category.about_enterprise)
            && !self.entities.is_empty())
        .then(|| self.entities[stream.below(self.entities.len() as u64) as usize].clone());
        let location = location(stream);
        let content = format!("{}（{location}）", pick(stream, category.contents));
        let caller = caller(stream);
        let fate = Fate::draw(stream);
        let intake = Intake {
            id,
            channel,
            received_at,
            caller,
            content,
            category: category.name.to_owned(),
            location,
            entity,
            difficulty,
        };
        let order = WorkOrder::new(intake, self.rules, self.days, CENTRE_ACTOR)?;
        let mut life = Life {
            order,
            as_of: self.params.as_of,
            stopped: false,
            rules: self.rules,
            days: self.days,
        };
        self.live(&mut life, stream, &fate, department)?;
        Ok(life.order)
    }

    fn channel(&self, stream: &mut Stream, category: &Category) -> String {
        let mut roll = stream.below(1000);
        for &(number, per_mille) in category.hotlines {
            if roll < u64::from(per_mille) {
                if self.rules.channels.iter().any(|c| c.number == number) {
                    return number.to_owned();
                }
                break;
            }
            roll -= u64::from(per_mille);
        }
        self.rules
            .channels
            .first()
            .map_or_else(|| "12345".to_owned(), |c| c.number.clone())
    }

    /// Plays the order's life from 派单 on.
    fn live(
        &self,
        life: &mut Life<'_, D>,
        stream: &mut Stream,
        fate: &Fate,
        department: &str,
    ) -> Result<(), Refused> {
        let days = self.days;
        let staff = format!("{}.staff", department.to_ascii_lowercase());
        let mut t = life.order.received_at + minutes(stream.between(5, 60));
        if fate.misrouted {
            let wrong = other_department(stream, department);
            life.step(
                &OrderAction::Dispatch {
                    department: wrong.to_owned(),
                },
                t,
                CENTRE_ACTOR,
            )?;
            t += minutes(stream.between(30, 240));
            let wrong_staff = format!("{}.staff", wrong.to_ascii_lowercase());
            life.step(
                &OrderAction::Return {
                    reason: pick(stream, &RETURN_REASONS).to_owned(),
                },
                t,
                &wrong_staff,
            )?;
            t += minutes(stream.between(10, 90));
        }
        life.step(
            &OrderAction::Dispatch {
                department: department.to_owned(),
            },
            t,
            CENTRE_ACTOR,
        )?;

        // 签收: on time (within hours), late (1–3 working days after the deadline), or never.
        let sign_due = life.order.sign_due;
        let sign_at = match fate.sign {
            SignFate::OnTime => {
                let sign = t + minutes(stream.between(10, 360));
                if sign.date_naive() > sign_due {
                    at(sign_due, stream.between(9 * 60, 17 * 60) as u32)
                } else {
                    sign
                }
            }
            SignFate::Late(late) => at(
                days.last_day(sign_due, late)?,
                stream.between(9 * 60, 17 * 60) as u32,
            ),
            SignFate::Never => {
                self.escalate_while_open(life)?;
                return Ok(());
            }
        };
        if sign_at.date_naive() > sign_due {
            let yellow = at(days.last_day(sign_due, 1)?, 8 * 60 + 30);
            life.escalate(Escalation::Yellow, yellow, "签收超时")?;
        }
        life.step(&OrderAction::Sign, sign_at, &staff)?;
        let signed_on = life
            .order
            .signed_at
            .map_or(sign_at.date_naive(), |s| s.date_naive());
        if fate.handle_note {
            let when = at(
                days.last_day(signed_on, 1)?.min(life.order.close_due),
                stream.between(9 * 60, 16 * 60) as u32,
            );
            life.step(
                &OrderAction::Handle {
                    note: "已联系来电人并开展调查".to_owned(),
                },
                when,
                &staff,
            )?;
        }
        if fate.manual_escalation {
            let when = at(signed_on, 17 * 60 + 30);
            life.escalate(Escalation::Yellow, when, "中心督办：来电人多次催办")?;
        }
        if let Some(extension) = fate.extension {
            let asked = extension.days.min(self.rules.max_extension_days).max(1);
            let when = at(
                days.last_day(signed_on, 1)?.min(life.order.close_due),
                16 * 60 + 45,
            );
            let reason = pick(stream, &EXTENSION_REASONS).to_owned();
            life.step(
                &OrderAction::RequestExtension {
                    days: asked,
                    reason,
                },
                when,
                &staff,
            )?;
            let decided = when + minutes(stream.between(5, 40));
            let decision = if extension.approved {
                OrderAction::DecideExtension {
                    approve: true,
                    days: asked - extension.cut.min(asked - 1),
                    note: String::new(),
                }
            } else {
                OrderAction::DecideExtension {
                    approve: false,
                    days: 0,
                    note: "理由不充分，请按期办结".to_owned(),
                }
            };
            life.step(&decision, decided, CENTRE_ACTOR)?;
        }
        if fate.stuck {
            self.escalate_while_open(life)?;
            return Ok(());
        }
        self.finish(life, stream, fate.close, fate.rating, &staff)?;
        if fate.rating == Rating::Dissatisfied && fate.reopen && !life.stopped {
            let closed_on = life.order.closed_at.map_or(signed_on, |c| c.date_naive());
            let when = at(
                days.last_day(closed_on, stream.between(1, 2) as u32)?,
                10 * 60,
            );
            life.step(
                &OrderAction::Reopen {
                    reason: "来电人不满意，中心决定重办".to_owned(),
                },
                when,
                CENTRE_ACTOR,
            )?;
            let again = [Rating::Satisfied, Rating::Fair, Rating::Dissatisfied]
                [stream.weighted(&[40, 50, 10])];
            self.finish(life, stream, CloseFate::OnTime, again, &staff)?;
        }
        Ok(())
    }

    /// 答复, 回访 and 办结: on time (somewhere within the closing limit) or late.
    fn finish(
        &self,
        life: &mut Life<'_, D>,
        stream: &mut Stream,
        close: CloseFate,
        rating: Rating,
        staff: &str,
    ) -> Result<(), Refused> {
        let days = self.days;
        let order = &life.order;
        let due = order.close_due;
        let from = life.last_at().date_naive();
        let close_day = match close {
            CloseFate::OnTime => {
                let limit = days.between(order.close_clock_from, due)?.max(1);
                let k = stream.between(1, u64::try_from(limit).unwrap_or(1)) as u32;
                days.last_day(order.close_clock_from, k)?
                    .max(from)
                    .min(due.max(from))
            }
            CloseFate::Late(late) => days.last_day(due, late)?,
        };
        if close_day > due {
            life.escalate(
                Escalation::Yellow,
                at(days.last_day(due, 1)?, 8 * 60 + 30),
                "办结超时",
            )?;
            let red_day = days.last_day(due, self.rules.red_after_days)?;
            if close_day >= red_day {
                life.escalate(Escalation::Red, at(red_day, 8 * 60 + 30), "办结超时")?;
            }
        }
        // 答复 on the closing day or the working day before it.
        let span = days.between(from, close_day)?;
        let reply_day = if span >= 2 && stream.below(2) == 0 {
            days.last_day(from, u32::try_from(span - 1).unwrap_or(0))?
        } else {
            close_day
        };
        let reply = at(reply_day, stream.between(9 * 60, 16 * 60) as u32);
        life.step(
            &OrderAction::Reply {
                text: pick(stream, &REPLIES).to_owned(),
            },
            reply,
            staff,
        )?;
        let callback = at(close_day, stream.between(9 * 60 + 30, 16 * 60) as u32);
        life.step(
            &OrderAction::Callback {
                rating,
                note: String::new(),
            },
            callback,
            CENTRE_ACTOR,
        )?;
        let closed = life.last_at() + minutes(stream.between(10, 90));
        life.step(
            &OrderAction::Close {
                note: String::new(),
            },
            closed,
            CENTRE_ACTOR,
        )
    }

    /// The system's 黄牌 and 红牌 for an order that stays open: 黄牌 the
    /// working day after a missed deadline, 红牌 `red_after_days` after the
    /// closing deadline (08:30, the daily sweep).
    fn escalate_while_open(&self, life: &mut Life<'_, D>) -> Result<(), Refused> {
        let days = self.days;
        let order = &life.order;
        let first_missed = if order.signed_at.is_none() {
            order.sign_due
        } else {
            order.close_due
        };
        let yellow = at(days.last_day(first_missed, 1)?, 8 * 60 + 30);
        let red = at(
            days.last_day(order.close_due, self.rules.red_after_days)?,
            8 * 60 + 30,
        );
        life.escalate(Escalation::Yellow, yellow, "超时未办")?;
        life.escalate(Escalation::Red, red, "超时未办")
    }
}

/// An order's life being played: steps after `as_of` are not taken, nor any after them.
struct Life<'a, D: WorkingDays> {
    order: WorkOrder,
    as_of: DateTime<FixedOffset>,
    stopped: bool,
    rules: &'a HotlineRules,
    days: &'a D,
}

impl<D: WorkingDays> Life<'_, D> {
    fn last_at(&self) -> DateTime<FixedOffset> {
        self.order
            .events
            .last()
            .map_or(self.order.received_at, |e| e.at)
    }

    /// Takes `action` at `at` (or a minute after the last step, if that is later).
    fn step(
        &mut self,
        action: &OrderAction,
        at: DateTime<FixedOffset>,
        actor: &str,
    ) -> Result<(), Refused> {
        if self.stopped {
            return Ok(());
        }
        let last = self.last_at();
        let at = if at <= last { last + minutes(1) } else { at };
        if at > self.as_of {
            self.stopped = true;
            return Ok(());
        }
        self.order = self.order.apply(action, at, actor, self.rules, self.days)?;
        Ok(())
    }

    /// 督办 at `level` unless the order is already at it or above, or closed.
    fn escalate(
        &mut self,
        level: Escalation,
        at: DateTime<FixedOffset>,
        note: &str,
    ) -> Result<(), Refused> {
        if self
            .order
            .escalation
            .is_some_and(|current| current >= level)
            || !self.order.is_open()
        {
            return Ok(());
        }
        let actor = if note.starts_with("中心") {
            CENTRE_ACTOR
        } else {
            SYSTEM_ACTOR
        };
        self.step(
            &OrderAction::Escalate {
                level,
                note: note.to_owned(),
            },
            at,
            actor,
        )
    }
}

#[derive(Debug, Clone, Copy)]
enum SignFate {
    OnTime,
    Late(u32),
    Never,
}

#[derive(Debug, Clone, Copy)]
enum CloseFate {
    OnTime,
    Late(u32),
}

#[derive(Debug, Clone, Copy)]
struct ExtensionFate {
    days: u32,
    approved: bool,
    /// Working days granted fewer than asked.
    cut: u32,
}

/// Everything random about an order's life, drawn up front so the draws do not depend on `as_of`.
#[derive(Debug, Clone, Copy)]
struct Fate {
    misrouted: bool,
    sign: SignFate,
    handle_note: bool,
    manual_escalation: bool,
    extension: Option<ExtensionFate>,
    stuck: bool,
    close: CloseFate,
    rating: Rating,
    reopen: bool,
}

impl Fate {
    fn draw(stream: &mut Stream) -> Self {
        let misrouted = stream.below(1000) < 15;
        let sign_roll = stream.below(10_000);
        let sign = if sign_roll < 10 {
            SignFate::Never
        } else if sign_roll < 180 {
            SignFate::Late([1, 1, 1, 2, 2, 3][stream.below(6) as usize])
        } else {
            SignFate::OnTime
        };
        let handle_note = stream.below(10) < 7;
        let manual_escalation = stream.below(1000) < 5;
        let extension = (stream.below(1000) < 30).then(|| ExtensionFate {
            days: stream.between(3, 10) as u32,
            approved: stream.below(100) < 85,
            cut: if stream.below(4) == 0 { 2 } else { 0 },
        });
        let stuck = stream.below(10_000) < 25;
        let close_roll = stream.below(10_000);
        let close = if close_roll < 400 {
            CloseFate::Late([1, 1, 1, 2, 2, 3, 4, 6][stream.below(8) as usize])
        } else {
            CloseFate::OnTime
        };
        let rating = [Rating::Satisfied, Rating::Fair, Rating::Dissatisfied]
            [stream.weighted(&[870, 98, 32])];
        let reopen = stream.below(2) == 0;
        Self {
            misrouted,
            sign,
            handle_note,
            manual_escalation,
            extension,
            stuck,
            close,
            rating,
            reopen,
        }
    }
}

/// Orders are received from 08:30 …
const OPENS: u64 = (8 * 60 + 30) * 60;
/// … to 17:30 (seconds after midnight).
const CLOSES: u64 = (17 * 60 + 30) * 60;

/// The orders of a [`Generator`], one at a time.
pub struct Orders<'g, 'a, D: WorkingDays> {
    generator: &'g Generator<'a, D>,
    stream: Stream,
    /// Index into the schedule of the day being generated.
    day: usize,
    /// That day's receipt times (seconds after midnight), ascending.
    seconds: Vec<u64>,
    /// The next of them.
    next: usize,
    /// Whether the first day was begun.
    started: bool,
}

impl<D: WorkingDays> Iterator for Orders<'_, '_, D> {
    type Item = Result<WorkOrder, Refused>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.next >= self.seconds.len() {
            if self.started {
                self.day += 1;
            }
            self.started = true;
            let &(_, count) = self.generator.schedule.get(self.day)?;
            self.seconds = (0..count)
                .map(|_| self.stream.between(OPENS, CLOSES - 1))
                .collect();
            self.seconds.sort_unstable();
            self.next = 0;
        }
        let (day, _) = self.generator.schedule.get(self.day)?;
        let sequence = self.next + 1;
        let second = self.seconds[self.next];
        self.next += 1;
        let id = format!(
            "{}{}{sequence:05}",
            self.generator.params.id_prefix,
            day.format("%Y%m%d")
        );
        let received_at = at(*day, 0) + Duration::seconds(i64::try_from(second).unwrap_or(0));
        Some(self.generator.order(&mut self.stream, id, received_at))
    }
}

/// The working days of the period with the orders each receives: weight 10
/// per day, 12 on Mondays, 14 on the first working day after a break of more
/// than two days, ×1.1 in June–August; apportioned so the total is exact.
fn schedule(params: &Params, days: &impl WorkingDays) -> Result<Vec<(NaiveDate, u64)>, Refused> {
    let mut weighted = Vec::new();
    let mut day = params.from;
    let mut last_working: Option<NaiveDate> = None;
    while day <= params.to {
        let previous = day.pred_opt().unwrap_or(day);
        if days.between(previous, day)? == 1 {
            let gap = last_working.map_or(1, |last| (day - last).num_days());
            let mut weight: u64 = if gap > 3 {
                140
            } else if day.weekday() == Weekday::Mon {
                120
            } else {
                100
            };
            if (6..=8).contains(&day.month()) {
                weight = weight * 11 / 10;
            }
            weighted.push((day, weight));
            last_working = Some(day);
        }
        let Some(next) = day.succ_opt() else { break };
        day = next;
    }
    let total: u64 = weighted.iter().map(|&(_, w)| w).sum();
    if total == 0 {
        return if params.orders == 0 {
            Ok(Vec::new())
        } else {
            Err(Refused(
                format!("no working day between {} and {}", params.from, params.to).into(),
            ))
        };
    }
    let mut schedule = Vec::with_capacity(weighted.len());
    let mut cumulative: u128 = 0;
    let mut given: u64 = 0;
    for (day, weight) in weighted {
        cumulative += u128::from(weight);
        let upto = u64::try_from(u128::from(params.orders) * cumulative / u128::from(total))
            .unwrap_or(u64::MAX);
        schedule.push((day, upto - given));
        given = upto;
    }
    Ok(schedule)
}

fn minutes(n: u64) -> Duration {
    Duration::minutes(i64::try_from(n).unwrap_or(0))
}

fn pick(stream: &mut Stream, texts: &[&'static str]) -> &'static str {
    texts[stream.below(texts.len() as u64) as usize]
}

fn pick_department(stream: &mut Stream, category: &Category) -> &'static str {
    let weights: Vec<u32> = category.departments.iter().map(|&(_, w)| w).collect();
    category.departments[stream.weighted(&weights)].0
}

/// A department other than `department`, where a misrouted order first goes.
fn other_department(stream: &mut Stream, department: &str) -> &'static str {
    loop {
        let candidate = DEPARTMENTS[stream.below(DEPARTMENTS.len() as u64) as usize].code;
        if candidate != department {
            return candidate;
        }
    }
}

fn location(stream: &mut Stream) -> String {
    let districts = &HUANGSHI_DISTRICTS[1..];
    let district = districts[stream.below(districts.len() as u64) as usize].name;
    format!(
        "黄石市{district}{}{}号",
        pick(stream, &ROADS),
        stream.between(1, 399)
    )
}

fn caller(stream: &mut Stream) -> Caller {
    let mut name = pick(stream, &SURNAMES).to_owned();
    if stream.below(10) < 2 {
        name.push_str("先生");
    } else {
        for _ in 0..stream.between(1, 2) {
            name.push_str(pick(stream, &GIVEN));
        }
    }
    let prefix = ["13", "15", "17", "18", "19"][stream.below(5) as usize];
    Caller {
        name,
        phone: format!("{prefix}{:09}", stream.below(1_000_000_000)),
    }
}

/// The headers of a work-order import file (the eleven).
pub const ORDER_HEADERS: [&str; 11] = [
    "工单编号",
    "来源渠道",
    "受理时间",
    "问题类型",
    "难度",
    "承办部门",
    "签收时间",
    "办结时间",
    "延期工作日",
    "回访结果",
    "涉及主体统一社会信用代码",
];

/// A time as the import file writes it: `2025-03-02 09:15:30` (Beijing time).
pub fn file_time(time: DateTime<FixedOffset>) -> String {
    time.with_timezone(&beijing())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Writes `orders` as a UTF-8 CSV work-order import file; empty cells for
/// steps not yet taken. Returns how many were written.
pub fn write_orders_csv<'o>(
    orders: impl IntoIterator<Item = &'o WorkOrder>,
    out: impl Write,
) -> csv::Result<u64> {
    let mut csv = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, out));
    csv.write_record(ORDER_HEADERS)?;
    let mut written = 0;
    for order in orders {
        csv.write_record(order_record(order))?;
        written += 1;
    }
    csv.flush()?;
    Ok(written)
}

/// One order's row of the import file.
pub fn order_record(order: &WorkOrder) -> [String; 11] {
    [
        order.id.clone(),
        order.channel.clone(),
        file_time(order.received_at),
        order.category.clone(),
        order.difficulty.as_str().to_owned(),
        order.department.clone().unwrap_or_default(),
        order.signed_at.map(file_time).unwrap_or_default(),
        order.closed_at.map(file_time).unwrap_or_default(),
        if order.extension_days > 0 {
            order.extension_days.to_string()
        } else {
            String::new()
        },
        order
            .rating
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        order.entity.clone().unwrap_or_default(),
    ]
}
