//! The pure rules of 12345 work orders (domain/hotline.rs) against the embedded
//! working-day calendar:
//!
//! - a model-based fuzz of the life cycle: random actions at moving times, each
//!   predicted legal or illegal by an independent model written from the issue;
//!   an illegal action is refused and leaves the order byte-for-byte unchanged,
//!   a legal one lands on the status the life cycle says and keeps the
//!   invariants (deadlines, dates set iff the step happened, escalation never
//!   lowered, one event per accepted action …);
//! - a table of illegal moves, each with its error text;
//! - deadlines across the 2025/2026 holiday blocks, every expected day counted
//!   by hand from the State Council's arrangements (the comments show the
//!   counting), with extensions, 退单 and reopening restarts.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "a failed set-up or step fails the test with its message"
)]

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate};
use domain::hotline::{
    Caller, Difficulty, Escalation, HotlineRules, Intake, OrderAction, OrderStatus, Rating,
    Refused, WorkOrder, WorkingDays as _, parse_time,
};
use proptest::prelude::*;
use workcal::Calendar;

static CAL: LazyLock<Calendar> =
    LazyLock::new(|| Calendar::embedded().expect("the embedded calendar loads"));

fn cal() -> &'static Calendar {
    &CAL
}

fn t(text: &str) -> DateTime<FixedOffset> {
    parse_time("time", text).expect("a valid test time")
}

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a valid test date")
}

fn intake(id: &str, received: &str, difficulty: Difficulty) -> Intake {
    Intake {
        id: id.to_owned(),
        channel: "12345".to_owned(),
        received_at: t(received),
        caller: Caller {
            name: "张三丰".to_owned(),
            phone: "13812345678".to_owned(),
        },
        content: "超市出售过期食品".to_owned(),
        category: "食品安全".to_owned(),
        location: "黄石港区".to_owned(),
        entity: None,
        difficulty,
    }
}

fn order(received: &str, difficulty: Difficulty) -> WorkOrder {
    order_with(received, difficulty, &HotlineRules::default())
}

fn order_with(received: &str, difficulty: Difficulty, rules: &HotlineRules) -> WorkOrder {
    WorkOrder::new(intake("T-1", received, difficulty), rules, cal(), "centre")
        .expect("a valid intake")
}

fn dispatch(to: &str) -> OrderAction {
    OrderAction::Dispatch {
        department: to.to_owned(),
    }
}
fn handle() -> OrderAction {
    OrderAction::Handle {
        note: "现场核查".to_owned(),
    }
}
fn reply() -> OrderAction {
    OrderAction::Reply {
        text: "已责令下架".to_owned(),
    }
}
fn ret() -> OrderAction {
    OrderAction::Return {
        reason: "非本部门职责".to_owned(),
    }
}
fn callback(rating: Rating) -> OrderAction {
    OrderAction::Callback {
        rating,
        note: String::new(),
    }
}
fn close() -> OrderAction {
    OrderAction::Close {
        note: "办结".to_owned(),
    }
}
fn reopen() -> OrderAction {
    OrderAction::Reopen {
        reason: "群众不满意, 重办".to_owned(),
    }
}
fn ask(days: u32) -> OrderAction {
    OrderAction::RequestExtension {
        days,
        reason: "需检测".to_owned(),
    }
}
fn grant(days: u32) -> OrderAction {
    OrderAction::DecideExtension {
        approve: true,
        days,
        note: String::new(),
    }
}
fn escalate(level: Escalation) -> OrderAction {
    OrderAction::Escalate {
        level,
        note: "督办".to_owned(),
    }
}

/// Applies each `(time, action)` in turn; every one must be accepted.
fn run(order: WorkOrder, rules: &HotlineRules, steps: &[(&str, OrderAction)]) -> WorkOrder {
    steps.iter().fold(order, |order, (at, action)| {
        order
            .apply(action, t(at), "tester", rules, cal())
            .unwrap_or_else(|e| panic!("{} at {at} refused: {e}", action.label()))
    })
}

// ------------------------------------------------------------- the model

/// What the life cycle says `action` at `at` does to `order`: the
/// status it leads to, or `None` when it must be refused. Written from the
/// issue, not from the implementation.
fn model(
    order: &WorkOrder,
    action: &OrderAction,
    at: DateTime<FixedOffset>,
    rules: &HotlineRules,
) -> Option<OrderStatus> {
    use OrderStatus as S;
    let last = order.events.last().map_or(order.received_at, |e| e.at);
    if at < order.received_at || at < last {
        return None;
    }
    let filled = |text: &str| !text.trim().is_empty();
    let s = order.status;
    match action {
        OrderAction::Dispatch { department } => {
            (s == S::Received && filled(department)).then_some(S::Dispatched)
        }
        OrderAction::Sign => (s == S::Dispatched).then_some(S::Signed),
        OrderAction::Handle { note } => {
            (matches!(s, S::Signed | S::Handling) && filled(note)).then_some(S::Handling)
        }
        OrderAction::Reply { text } => {
            (matches!(s, S::Signed | S::Handling) && filled(text)).then_some(S::Replied)
        }
        // 退单 is for a misrouted order: before handling starts.
        OrderAction::Return { reason } => {
            (matches!(s, S::Dispatched | S::Signed) && filled(reason)).then_some(S::Received)
        }
        OrderAction::RequestExtension { days, reason } => (matches!(s, S::Signed | S::Handling)
            && order.pending_extension.is_none()
            && (1..=rules.max_extension_days).contains(days)
            && filled(reason))
        .then_some(s),
        OrderAction::DecideExtension {
            approve,
            days,
            note,
        } => {
            let asked = order.pending_extension.as_ref()?.days;
            (if *approve {
                (1..=asked).contains(days)
            } else {
                filled(note)
            })
            .then_some(s)
        }
        OrderAction::Escalate { level, .. } => {
            (s != S::Closed && order.escalation.is_none_or(|current| current < *level)).then_some(s)
        }
        OrderAction::Callback { .. } => (s == S::Replied).then_some(S::Visited),
        OrderAction::Close { .. } => (s == S::Visited).then_some(S::Closed),
        OrderAction::Reopen { reason } => (matches!(s, S::Visited | S::Closed)
            && order.rating == Some(Rating::Dissatisfied)
            && filled(reason))
        .then_some(S::Handling),
        OrderAction::LinkInspection { inspection } => (filled(inspection)
            && !order.inspections.iter().any(|i| i == inspection.trim()))
        .then_some(s),
    }
}

/// Checks what a legal `action` at `at` made of `before`.
fn check_accepted(
    before: &WorkOrder,
    next: &WorkOrder,
    action: &OrderAction,
    at: DateTime<FixedOffset>,
    rules: &HotlineRules,
    expected: OrderStatus,
) -> Result<(), TestCaseError> {
    use OrderStatus as S;
    let label = action.label();
    prop_assert_eq!(next.status, expected, "{} from {}", label, before.status);
    // One event per accepted action, at its time, naming the step.
    prop_assert_eq!(next.events.len(), before.events.len() + 1);
    prop_assert_eq!(&next.events[..before.events.len()], &before.events[..]);
    let event = next
        .events
        .last()
        .ok_or_else(|| TestCaseError::fail("no event"))?;
    prop_assert_eq!(event.at, at);
    prop_assert_eq!(event.action.as_str(), label);
    prop_assert_eq!(event.actor.as_str(), "fuzzer");
    // What the caller said and where it came from never changes.
    prop_assert_eq!(&next.id, &before.id);
    prop_assert_eq!(&next.channel, &before.channel);
    prop_assert_eq!(next.received_at, before.received_at);
    prop_assert_eq!(&next.caller, &before.caller);
    prop_assert_eq!(&next.content, &before.content);
    prop_assert_eq!(&next.category, &before.category);
    prop_assert_eq!(&next.entity, &before.entity);
    prop_assert_eq!(next.difficulty, before.difficulty);

    // Dates set exactly when their step has happened.
    prop_assert_eq!(
        next.closed_at.is_some(),
        next.status == S::Closed,
        "closed_at on {}",
        next.status
    );
    prop_assert_eq!(next.close_working_days.is_some(), next.status == S::Closed);
    if matches!(action, OrderAction::Close { .. }) {
        prop_assert_eq!(next.closed_at, Some(at));
        let worked = cal()
            .between(before.received_on(), at.date_naive())
            .map_err(|e| TestCaseError::fail(e.0.to_string()))?;
        prop_assert_eq!(next.close_working_days.map(i64::from), Some(worked));
    }
    let signed = !matches!(next.status, S::Received | S::Dispatched);
    prop_assert_eq!(
        next.signed_at.is_some(),
        signed,
        "signed_at on {}",
        next.status
    );
    if matches!(action, OrderAction::Sign) {
        prop_assert_eq!(next.signed_at, Some(at));
    } else if signed {
        prop_assert_eq!(
            next.signed_at,
            before.signed_at,
            "only 签收 sets the signing time"
        );
    }
    prop_assert_eq!(next.department.is_some(), next.status != S::Received);
    if let OrderAction::Dispatch { department } = action {
        prop_assert_eq!(next.department.as_deref(), Some(department.trim()));
    } else if next.department.is_some() {
        prop_assert_eq!(&next.department, &before.department);
    }
    prop_assert_eq!(
        next.reply.is_some(),
        matches!(next.status, S::Replied | S::Visited | S::Closed)
    );
    if matches!(next.status, S::Visited | S::Closed) {
        prop_assert!(next.rating.is_some());
    }
    if let OrderAction::Callback { rating, .. } = action {
        prop_assert_eq!(next.rating, Some(*rating));
    }
    prop_assert!(
        next.pending_extension.is_none() || matches!(next.status, S::Signed | S::Handling)
    );

    // The clocks move only on a re-dispatch after 退单 or a reopening, as configured.
    let day = at.date_naive();
    let restarts_both = matches!(action, OrderAction::Dispatch { .. })
        && before.returns > 0
        && rules.restart_on_return;
    let restarts_close = matches!(action, OrderAction::Reopen { .. }) && rules.restart_on_reopen;
    prop_assert_eq!(
        next.sign_clock_from,
        if restarts_both {
            day
        } else {
            before.sign_clock_from
        }
    );
    prop_assert_eq!(
        next.close_clock_from,
        if restarts_both || restarts_close {
            day
        } else {
            before.close_clock_from
        }
    );
    // The deadlines are what the clocks and the extension say.
    let fail = |e: Refused| TestCaseError::fail(e.0.to_string());
    prop_assert_eq!(
        next.sign_due,
        cal()
            .last_day(next.sign_clock_from, rules.sign_days)
            .map_err(fail)?
    );
    prop_assert_eq!(
        next.close_due,
        cal()
            .last_day(
                next.close_clock_from,
                rules.close_days(next.difficulty) + next.extension_days
            )
            .map_err(fail)?
    );
    if next.sign_clock_from == next.close_clock_from {
        prop_assert!(
            next.close_due > next.sign_due,
            "办结时限 {} before 签收时限 {}",
            next.close_due,
            next.sign_due
        );
    }
    // The extension only after approval, by exactly the days granted.
    match action {
        OrderAction::DecideExtension {
            approve: true,
            days,
            ..
        } => {
            prop_assert!(before.pending_extension.is_some());
            prop_assert_eq!(next.extension_days, before.extension_days + days);
            let moved = cal()
                .between(before.close_due, next.close_due)
                .map_err(fail)?;
            prop_assert_eq!(moved, i64::from(*days));
            prop_assert!(next.pending_extension.is_none());
        }
        OrderAction::DecideExtension { approve: false, .. } => {
            prop_assert_eq!(next.extension_days, before.extension_days);
            prop_assert_eq!(next.close_due, before.close_due);
            prop_assert!(next.pending_extension.is_none());
        }
        OrderAction::RequestExtension { days, .. } => {
            prop_assert_eq!(
                next.extension_days,
                before.extension_days,
                "asking grants nothing"
            );
            prop_assert_eq!(next.close_due, before.close_due);
            prop_assert_eq!(next.pending_extension.as_ref().map(|p| p.days), Some(*days));
        }
        OrderAction::Reopen { .. } if rules.restart_on_reopen => {
            prop_assert_eq!(next.extension_days, 0)
        }
        // A restarted clock starts a new department's time limit: no extension carries over.
        OrderAction::Dispatch { .. } if restarts_both => prop_assert_eq!(next.extension_days, 0),
        _ => prop_assert_eq!(next.extension_days, before.extension_days),
    }
    // 督办 is never lowered, and only 督办 changes it.
    prop_assert!(next.escalation >= before.escalation);
    match action {
        OrderAction::Escalate { level, .. } => prop_assert_eq!(next.escalation, Some(*level)),
        _ => prop_assert_eq!(next.escalation, before.escalation),
    }
    prop_assert_eq!(
        next.returns,
        before.returns + u32::from(matches!(action, OrderAction::Return { .. }))
    );
    prop_assert_eq!(
        next.reopenings,
        before.reopenings + u32::from(matches!(action, OrderAction::Reopen { .. }))
    );
    let linked = usize::from(matches!(action, OrderAction::LinkInspection { .. }));
    prop_assert_eq!(next.inspections.len(), before.inspections.len() + linked);
    Ok(())
}

/// One fuzzed step: either "the next step of the life cycle" (picked at run
/// time from the order's status, so that long sequences get far) or any
/// action at all, with texts that may be blank and numbers out of range.
#[derive(Debug, Clone)]
enum Step {
    Next(u8),
    Any(OrderAction),
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![4 => Just("理由".to_owned()), 1 => Just(String::new()), 1 => Just("  ".to_owned())]
}

fn any_action() -> impl Strategy<Value = OrderAction> {
    let level = prop_oneof![Just(Escalation::Yellow), Just(Escalation::Red)];
    let rating = prop_oneof![
        Just(Rating::Satisfied),
        Just(Rating::Fair),
        Just(Rating::Dissatisfied)
    ];
    prop_oneof![
        prop_oneof![Just("SCJG"), Just("ZJJ"), Just(" SCJG "), Just("")].prop_map(|d| {
            OrderAction::Dispatch {
                department: d.to_owned(),
            }
        }),
        Just(OrderAction::Sign),
        text().prop_map(|note| OrderAction::Handle { note }),
        text().prop_map(|text| OrderAction::Reply { text }),
        text().prop_map(|reason| OrderAction::Return { reason }),
        (0u32..13, text())
            .prop_map(|(days, reason)| OrderAction::RequestExtension { days, reason }),
        (any::<bool>(), 0u32..6, text()).prop_map(|(approve, days, note)| {
            OrderAction::DecideExtension {
                approve,
                days,
                note,
            }
        }),
        (level, text()).prop_map(|(level, note)| OrderAction::Escalate { level, note }),
        (rating, text()).prop_map(|(rating, note)| OrderAction::Callback { rating, note }),
        text().prop_map(|note| OrderAction::Close { note }),
        text().prop_map(|reason| OrderAction::Reopen { reason }),
        prop_oneof![Just("OP-1"), Just("OP-2"), Just(" OP-1 "), Just("")].prop_map(|i| {
            OrderAction::LinkInspection {
                inspection: i.to_owned(),
            }
        }),
    ]
}

fn step() -> impl Strategy<Value = (Step, i64)> {
    let step =
        prop_oneof![3 => any::<u8>().prop_map(Step::Next), 2 => any_action().prop_map(Step::Any)];
    // Minutes since the previous step: now and then backwards in time.
    let minutes = prop_oneof![1 => -600i64..0, 12 => 0i64..4 * 24 * 60];
    (step, minutes)
}

/// The life cycle's next step for `order`, chosen by `pick`.
fn next_step(order: &WorkOrder, pick: u8) -> OrderAction {
    use OrderStatus as S;
    let rating = [Rating::Satisfied, Rating::Fair, Rating::Dissatisfied][usize::from(pick % 3)];
    let options: Vec<OrderAction> = match order.status {
        S::Received => vec![dispatch("SCJG"), dispatch("ZJJ")],
        S::Dispatched => vec![
            OrderAction::Sign,
            OrderAction::Sign,
            OrderAction::Sign,
            ret(),
        ],
        S::Signed | S::Handling => {
            let mut v = vec![handle(), reply(), reply(), ask(u32::from(pick % 4) + 1)];
            if order.status == S::Signed {
                v.push(ret());
            }
            if let Some(p) = &order.pending_extension {
                v.push(grant(p.days.min(u32::from(pick % 3) + 1)));
                v.push(grant(p.days.min(u32::from(pick % 3) + 1)));
                v.push(OrderAction::DecideExtension {
                    approve: false,
                    days: 0,
                    note: "无需延期".to_owned(),
                });
            }
            v
        }
        S::Replied => vec![callback(rating)],
        S::Visited => vec![close(), close(), reopen(), escalate(Escalation::Yellow)],
        S::Closed => vec![
            reopen(),
            escalate(Escalation::Red),
            OrderAction::LinkInspection {
                inspection: "OP-9".to_owned(),
            },
        ],
    };
    options[usize::from(pick) % options.len()].clone()
}

fn start() -> impl Strategy<Value = DateTime<FixedOffset>> {
    // Any minute of 2025 and 2026 (both years' arrangements are embedded).
    (0i64..(365 + 300) * 24 * 60).prop_map(|m| t("2025-01-01 00:00") + chrono::Duration::minutes(m))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn fuzzed_transitions_follow_the_life_cycle(
        received in start(),
        difficult in any::<bool>(),
        restart_on_return in any::<bool>(),
        restart_on_reopen in any::<bool>(),
        steps in prop::collection::vec(step(), 1..60),
    ) {
        let rules = HotlineRules { restart_on_return, restart_on_reopen, ..HotlineRules::default() };
        let difficulty = if difficult { Difficulty::Difficult } else { Difficulty::Ordinary };
        let mut intake = intake("F-1", "2025-01-01 00:00", difficulty);
        intake.received_at = received;
        let mut order = WorkOrder::new(intake, &rules, cal(), "centre").map_err(|e| TestCaseError::fail(e.0.to_string()))?;
        prop_assert_eq!(order.status, OrderStatus::Received);
        prop_assert_eq!(order.events.len(), 1);
        let mut at = received;
        let mut statuses = vec![order.status];
        for (step, minutes) in steps {
            at += chrono::Duration::minutes(minutes);
            let action = match step {
                Step::Next(pick) => next_step(&order, pick),
                Step::Any(action) => action,
            };
            let before = order.clone();
            let bytes = serde_json::to_vec(&before).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let expected = model(&before, &action, at, &rules);
            match order.apply(&action, at, "fuzzer", &rules, cal()) {
                Err(Refused(message)) => {
                    prop_assert!(expected.is_none(), "{:?} at {} on {} refused: {}", action, at, before.status, message);
                    prop_assert!(!message.trim().is_empty());
                    prop_assert_eq!(&order, &before);
                    prop_assert_eq!(serde_json::to_vec(&order).map_err(|e| TestCaseError::fail(e.to_string()))?, bytes);
                }
                Ok(next) => {
                    let Some(expected) = expected else {
                        return Err(TestCaseError::fail(format!("{action:?} at {at} on {} was accepted", before.status)));
                    };
                    check_accepted(&before, &next, &action, at, &rules, expected)?;
                    // The order applied to is left as it was, even when the step is legal.
                    prop_assert_eq!(serde_json::to_vec(&order).map_err(|e| TestCaseError::fail(e.to_string()))?, bytes);
                    statuses.push(next.status);
                    order = next;
                }
            }
        }
        // Every status the order went through is one the life cycle reaches from
        // the one before it (checked step by step above); closed orders were called back.
        if order.status == OrderStatus::Closed {
            prop_assert!(order.rating.is_some() && order.reply.is_some() && order.signed_at.is_some());
        }
        prop_assert!(statuses.windows(2).all(|w| w[0] != OrderStatus::Closed || w[1] == OrderStatus::Closed || w[1] == OrderStatus::Handling));
    }
}

// ------------------------------------------------------------- illegal moves

/// An ordinary order received Monday 2026-03-02 09:00, taken through `steps`.
fn at_stage(rules: &HotlineRules, steps: &[(&str, OrderAction)]) -> WorkOrder {
    run(
        order_with("2026-03-02 09:00", Difficulty::Ordinary, rules),
        rules,
        steps,
    )
}

#[test]
fn illegal_moves_are_refused_with_a_clear_reason_and_change_nothing() {
    let rules = HotlineRules::default();
    let dispatched = vec![("2026-03-02 09:30", dispatch("SCJG"))];
    let signed = [
        dispatched.clone(),
        vec![("2026-03-02 10:00", OrderAction::Sign)],
    ]
    .concat();
    let handling = [signed.clone(), vec![("2026-03-03 10:00", handle())]].concat();
    let replied = [handling.clone(), vec![("2026-03-04 10:00", reply())]].concat();
    let visited = |rating| {
        [
            replied.clone(),
            vec![("2026-03-05 10:00", callback(rating))],
        ]
        .concat()
    };
    let closed = |rating| [visited(rating), vec![("2026-03-05 11:00", close())]].concat();
    let pending = [signed.clone(), vec![("2026-03-02 11:00", ask(3))]].concat();
    let red = [
        dispatched.clone(),
        vec![("2026-03-02 12:00", escalate(Escalation::Red))],
    ]
    .concat();
    let linked = vec![(
        "2026-03-02 09:10",
        OrderAction::LinkInspection {
            inspection: "OP-1".to_owned(),
        },
    )];
    let wrong = |step: &str, status: &str, needs: &str| {
        format!("cannot {step} work order T-1: it is {status} ({step} needs {needs})")
    };
    type Case<'a> = (
        &'a str,
        Vec<(&'a str, OrderAction)>,
        &'a str,
        OrderAction,
        String,
    );
    let cases: Vec<Case<'_>> = vec![
        ("sign before dispatch", vec![], "2026-03-02 10:00", OrderAction::Sign, wrong("签收", "已受理", "已派单")),
        ("dispatch twice", dispatched.clone(), "2026-03-02 10:00", dispatch("ZJJ"), wrong("派单", "已派单", "已受理")),
        ("handle before signing", dispatched.clone(), "2026-03-02 10:00", handle(), wrong("办理", "已派单", "已签收 or 办理中")),
        ("reply before signing", dispatched.clone(), "2026-03-02 10:00", reply(), wrong("答复", "已派单", "已签收 or 办理中")),
        ("call back before the reply", handling.clone(), "2026-03-04 10:00", callback(Rating::Satisfied), wrong("回访", "办理中", "已答复")),
        ("close before the callback", replied.clone(), "2026-03-05 10:00", close(), wrong("办结", "已答复", "已回访")),
        ("close a closed order", closed(Rating::Satisfied), "2026-03-06 10:00", close(), wrong("办结", "已办结", "已回访")),
        ("sign a closed order", closed(Rating::Satisfied), "2026-03-06 10:00", OrderAction::Sign, wrong("签收", "已办结", "已派单")),
        (
            "return after the reply",
            replied.clone(),
            "2026-03-05 10:00",
            ret(),
            wrong("退单", "已答复", "已派单 or 已签收 (before handling starts)"),
        ),
        (
            "return once handling started",
            handling.clone(),
            "2026-03-04 10:00",
            ret(),
            wrong("退单", "办理中", "已派单 or 已签收 (before handling starts)"),
        ),
        (
            "return an undispatched order",
            vec![],
            "2026-03-02 10:00",
            ret(),
            wrong("退单", "已受理", "已派单 or 已签收 (before handling starts)"),
        ),
        (
            "reopen when 满意",
            visited(Rating::Satisfied),
            "2026-03-05 12:00",
            reopen(),
            "only an order whose caller was 不满意 at the callback is reopened (work order T-1 is 已回访, 满意)".to_owned(),
        ),
        (
            "reopen a closed order rated 基本满意",
            closed(Rating::Fair),
            "2026-03-06 10:00",
            reopen(),
            "only an order whose caller was 不满意 at the callback is reopened (work order T-1 is 已办结, 基本满意)".to_owned(),
        ),
        (
            "reopen before any callback",
            handling.clone(),
            "2026-03-04 10:00",
            reopen(),
            "only an order whose caller was 不满意 at the callback is reopened (work order T-1 is 办理中)".to_owned(),
        ),
        (
            "reopen without a reason",
            closed(Rating::Dissatisfied),
            "2026-03-06 10:00",
            OrderAction::Reopen { reason: " ".to_owned() },
            "the reason for reopening is required".to_owned(),
        ),
        (
            "decide an extension with none pending",
            handling.clone(),
            "2026-03-04 10:00",
            grant(2),
            "work order T-1 has no extension request to decide".to_owned(),
        ),
        (
            "ask a second extension while one is pending",
            pending.clone(),
            "2026-03-02 12:00",
            ask(2),
            "work order T-1 already has an extension request awaiting approval".to_owned(),
        ),
        ("ask 0 days", signed.clone(), "2026-03-02 12:00", ask(0), "an extension is 1 to 10 working days (asked 0)".to_owned()),
        ("ask 11 days", signed.clone(), "2026-03-02 12:00", ask(11), "an extension is 1 to 10 working days (asked 11)".to_owned()),
        (
            "ask an extension before signing",
            dispatched.clone(),
            "2026-03-02 12:00",
            ask(2),
            wrong("延期申请", "已派单", "已签收 or 办理中"),
        ),
        ("grant more than asked", pending.clone(), "2026-03-02 12:00", grant(4), "grant 1 to 3 working days (the days asked)".to_owned()),
        ("grant 0 days", pending.clone(), "2026-03-02 12:00", grant(0), "grant 1 to 3 working days (the days asked)".to_owned()),
        (
            "reject without a reason",
            pending.clone(),
            "2026-03-02 12:00",
            OrderAction::DecideExtension { approve: false, days: 0, note: String::new() },
            "the reason for rejecting is required".to_owned(),
        ),
        (
            "return without a reason",
            dispatched.clone(),
            "2026-03-02 12:00",
            OrderAction::Return { reason: "".to_owned() },
            "the reason for returning is required".to_owned(),
        ),
        ("dispatch to nobody", vec![], "2026-03-02 12:00", dispatch("  "), "承办部门 (department) is required".to_owned()),
        ("lower a red escalation", red.clone(), "2026-03-02 13:00", escalate(Escalation::Yellow), "work order T-1 is already under 红牌 督办".to_owned()),
        ("repeat a red escalation", red.clone(), "2026-03-02 13:00", escalate(Escalation::Red), "work order T-1 is already under 红牌 督办".to_owned()),
        (
            "escalate a closed order",
            closed(Rating::Satisfied),
            "2026-03-06 10:00",
            escalate(Escalation::Yellow),
            wrong("督办", "已办结", "an open order"),
        ),
        (
            "link the same inspection twice",
            linked.clone(),
            "2026-03-02 09:20",
            OrderAction::LinkInspection { inspection: "OP-1".to_owned() },
            "inspection OP-1 is already linked to work order T-1".to_owned(),
        ),
        (
            "act before the order's last step",
            dispatched.clone(),
            "2026-03-02 09:29",
            OrderAction::Sign,
            "签收 at 2026-03-02T09:29:00+08:00 is before the order's last step (派单 at 2026-03-02T09:30:00+08:00)".to_owned(),
        ),
        (
            "act before the order was received",
            vec![],
            "2026-03-02 08:59",
            dispatch("SCJG"),
            "派单 at 2026-03-02T08:59:00+08:00 is before the order was received (2026-03-02T09:00:00+08:00)".to_owned(),
        ),
    ];
    for (what, steps, at, action, message) in cases {
        let order = at_stage(&rules, &steps);
        let before = serde_json::to_string(&order).expect("serializes");
        let result = order.apply(&action, t(at), "tester", &rules, cal());
        assert_eq!(result.err().map(|e| e.to_string()), Some(message), "{what}");
        assert_eq!(
            serde_json::to_string(&order).expect("serializes"),
            before,
            "{what}: the order changed"
        );
        // The model of the fuzz agrees that the move is illegal.
        assert_eq!(model(&order, &action, t(at), &rules), None, "{what}");
    }
}

#[test]
fn a_new_order_is_checked() {
    let rules = HotlineRules::default();
    let refused = |intake: Intake| {
        WorkOrder::new(intake, &rules, cal(), "centre")
            .err()
            .map(|e| e.to_string())
    };
    let mut bad = intake("T-1", "2026-03-02 09:00", Difficulty::Ordinary);
    bad.channel = "99999".to_owned();
    assert!(refused(bad).is_some_and(|e| e.contains("99999") && e.contains("12345")));
    let mut bad = intake("T-1", "2026-03-02 09:00", Difficulty::Ordinary);
    bad.category = " ".to_owned();
    assert_eq!(
        refused(bad).as_deref(),
        Some("问题类型 (category) is required")
    );
    let bad = intake("工单 1", "2026-03-02 09:00", Difficulty::Ordinary);
    assert!(refused(bad).is_some_and(|e| e.contains("工单编号")));
    // A merged hotline named by its number or its name is stored by its number.
    let mut by_name = intake("T-2", "2026-03-02 09:00", Difficulty::Ordinary);
    by_name.channel = "市场监管投诉举报".to_owned();
    let order = WorkOrder::new(by_name, &rules, cal(), "centre").expect("12315 by name");
    assert_eq!(order.channel, "12315");
    assert_eq!(
        rules.channels.len(),
        27,
        "12345 and the 26 hotlines merged into it"
    );
    // The caller is masked wherever the order is debugged.
    let debug = format!("{order:?}");
    assert!(
        !debug.contains("13812345678") && !debug.contains("张三丰"),
        "{debug}"
    );
    assert!(debug.contains("138****5678"));
}

// ------------------------------------------------------------- deadlines

/// Deadlines counted by hand from the State Council's arrangements in the
/// embedded calendar (国办发明电〔2024〕12号 for 2025, 〔2025〕7号 for 2026).
/// `deadline(day, n)` is the end of the n-th working day after the receipt day.
#[test]
fn deadlines_across_holiday_blocks_match_the_hand_count() {
    use Difficulty::{Difficult, Ordinary};
    let cases = [
        // 2026 春节: off Sun 02-15 … Mon 02-23; Sat 02-14 and Sat 02-28 are worked (调休).
        // Sat 02-14 is the last working day before the block, and a make-up day.
        // 签收: the 1st working day after it is Tue 02-24.
        // 一般: 02-24 (1), 02-25 (2), 02-26 (3), 02-27 (4), Sat 02-28 (5, make-up).
        ("2026-02-14 10:00", Ordinary, "2026-02-24", "2026-02-28"),
        // 疑难: … 02-28 (5), 03-02 (6), 03-03 (7), 03-04 (8), 03-05 (9), 03-06 (10), 03-09 (11), 03-10 (12).
        ("2026-02-14 10:00", Difficult, "2026-02-24", "2026-03-10"),
        // Friday evening 02-13: 签收 Sat 02-14 (make-up);
        // 一般: 02-14 (1), 02-24 (2), 02-25 (3), 02-26 (4), 02-27 (5).
        ("2026-02-13 20:30", Ordinary, "2026-02-14", "2026-02-27"),
        // During the block, 除夕 Mon 02-16: as from 02-14.
        ("2026-02-16 08:00", Ordinary, "2026-02-24", "2026-02-28"),
        // A plain Friday evening: 签收 Mon 03-09; 一般: 03-09 … 03-13.
        ("2026-03-06 21:00", Ordinary, "2026-03-09", "2026-03-13"),
        // …and the Saturday after it: the same days.
        ("2026-03-07 00:00", Ordinary, "2026-03-09", "2026-03-13"),
        // 2026 国庆节: off Thu 10-01 … Wed 10-07; Sun 09-20 and Sat 10-10 worked.
        // Received during the block, Sat 10-03: 签收 Thu 10-08;
        // 一般: 10-08 (1), 10-09 (2), Sat 10-10 (3, make-up), 10-12 (4), 10-13 (5).
        ("2026-10-03 15:00", Ordinary, "2026-10-08", "2026-10-13"),
        // 疑难: … 10-13 (5), 10-14 (6), 10-15 (7), 10-16 (8), 10-19 (9), 10-20 (10), 10-21 (11), 10-22 (12).
        ("2026-10-03 15:00", Difficult, "2026-10-08", "2026-10-22"),
        // The last working day before it, Wed 09-30 evening: as from 10-03.
        ("2026-09-30 18:00", Ordinary, "2026-10-08", "2026-10-13"),
        // On the make-up Sunday 09-20 (中秋节 Fri 09-25 … Sun 09-27 off):
        // 签收 Mon 09-21; 一般: 09-21 (1), 09-22 (2), 09-23 (3), 09-24 (4), 09-28 (5).
        ("2026-09-20 11:00", Ordinary, "2026-09-21", "2026-09-28"),
        // 疑难: … 09-28 (5), 09-29 (6), 09-30 (7), 10-08 (8), 10-09 (9), 10-10 (10), 10-12 (11), 10-13 (12).
        ("2026-09-20 11:00", Difficult, "2026-09-21", "2026-10-13"),
        // On the make-up Saturday 10-10: 签收 Mon 10-12; 一般: 10-12 … 10-16.
        ("2026-10-10 09:00", Ordinary, "2026-10-12", "2026-10-16"),
        // 2026 劳动节: off Fri 05-01 … Tue 05-05, Sat 05-09 worked. Thu 04-30:
        // 签收 Wed 05-06; 一般: 05-06 (1), 05-07 (2), 05-08 (3), Sat 05-09 (4), Mon 05-11 (5).
        ("2026-04-30 16:00", Ordinary, "2026-05-06", "2026-05-11"),
        // 2025 国庆节、中秋节: off Wed 10-01 … Wed 10-08; Sun 09-28 and Sat 10-11 worked.
        // Tue 09-30: 签收 Thu 10-09; 一般: 10-09 (1), 10-10 (2), Sat 10-11 (3), 10-13 (4), 10-14 (5).
        ("2025-09-30 17:00", Ordinary, "2025-10-09", "2025-10-14"),
        // The make-up Sunday 09-28: 签收 Mon 09-29; 一般: 09-29, 09-30, 10-09, 10-10, Sat 10-11.
        ("2025-09-28 10:00", Ordinary, "2025-09-29", "2025-10-11"),
        // 2025 春节: off Tue 01-28 … Tue 02-04; Sun 01-26 and Sat 02-08 worked.
        // Mon 01-27: 签收 Wed 02-05; 一般: 02-05, 02-06, 02-07, Sat 02-08, Mon 02-10.
        ("2025-01-27 09:00", Ordinary, "2025-02-05", "2025-02-10"),
        // 2026 元旦 across the year: off Thu 01-01 … Sat 01-03, Sun 01-04 worked.
        // Wed 2025-12-31: 签收 Sun 01-04; 一般: 01-04, 01-05, 01-06, 01-07, 01-08.
        ("2025-12-31 16:00", Ordinary, "2026-01-04", "2026-01-08"),
    ];
    for (received, difficulty, sign_due, close_due) in cases {
        let order = order(received, difficulty);
        assert_eq!(
            (order.sign_due, order.close_due),
            (d(sign_due), d(close_due)),
            "received {received}, {difficulty}"
        );
        assert_eq!(
            (order.sign_clock_from, order.close_clock_from),
            (order.received_on(), order.received_on())
        );
    }
}

#[test]
fn signing_and_closing_on_the_deadline_day_is_on_time_and_a_day_later_is_late() {
    let rules = HotlineRules::default();
    // Sat 2026-02-14 (make-up day): 签收 by Tue 02-24, 办结 by Sat 02-28 (see above).
    let dispatched = run(
        order("2026-02-14 10:00", Difficulty::Ordinary),
        &rules,
        &[("2026-02-14 10:30", dispatch("SCJG"))],
    );
    let later = d("2026-03-31");
    // Unsigned: not late on the deadline day, late the day after.
    assert!(!dispatched.sign_overdue(d("2026-02-24")));
    assert!(dispatched.sign_overdue(d("2026-02-25")));
    let on_time = run(
        dispatched.clone(),
        &rules,
        &[("2026-02-24 23:59:59", OrderAction::Sign)],
    );
    assert!(
        !on_time.sign_overdue(later),
        "signed at 23:59:59 on the deadline day"
    );
    let late = run(
        dispatched.clone(),
        &rules,
        &[("2026-02-25 00:00", OrderAction::Sign)],
    );
    assert!(
        late.sign_overdue(later),
        "signed at 00:00 the next working day"
    );
    let finish = |closing: &str| {
        run(
            on_time.clone(),
            &rules,
            &[
                ("2026-02-26 10:00", reply()),
                ("2026-02-27 10:00", callback(Rating::Satisfied)),
                (closing, close()),
            ],
        )
    };
    let closed = finish("2026-02-28 23:59");
    assert!(!closed.close_overdue(later));
    // 02-24, 02-25, 02-26, 02-27, 02-28: five working days from receipt.
    assert_eq!(closed.close_working_days, Some(5));
    let closed_late = finish("2026-03-02 08:30");
    assert!(closed_late.close_overdue(later));
    assert_eq!(closed_late.close_working_days, Some(6));
    // Open orders are late only once the day is past.
    assert!(!on_time.close_overdue(d("2026-02-28")));
    assert!(on_time.close_overdue(d("2026-03-01")));
}

#[test]
fn an_approved_extension_moves_the_closing_deadline_by_exactly_its_working_days() {
    let rules = HotlineRules::default();
    // Thu 2026-09-24, 一般: 签收 Mon 09-28 (中秋节 09-25 … 09-27 off);
    // 办结: 09-28 (1), 09-29 (2), 09-30 (3), 10-08 (4), 10-09 (5).
    let signed = run(
        order("2026-09-24 10:00", Difficulty::Ordinary),
        &rules,
        &[
            ("2026-09-24 11:00", dispatch("SCJG")),
            ("2026-09-28 09:00", OrderAction::Sign),
        ],
    );
    assert_eq!(
        (signed.sign_due, signed.close_due),
        (d("2026-09-28"), d("2026-10-09"))
    );
    let asked = run(signed.clone(), &rules, &[("2026-09-29 09:00", ask(5))]);
    assert_eq!(asked.close_due, d("2026-10-09"), "asking moves nothing");
    assert_eq!(asked.extension_days, 0);
    // 3 of the 5 days granted: Sat 10-10 (make-up), Mon 10-12, Tue 10-13.
    let granted = run(asked.clone(), &rules, &[("2026-09-30 09:00", grant(3))]);
    assert_eq!(
        (granted.extension_days, granted.close_due, granted.sign_due),
        (3, d("2026-10-13"), d("2026-09-28"))
    );
    assert!(granted.pending_extension.is_none());
    // A second one adds up: 2 more, 10-14 and 10-15.
    let twice = run(
        granted.clone(),
        &rules,
        &[("2026-10-08 09:00", ask(2)), ("2026-10-08 10:00", grant(2))],
    );
    assert_eq!(
        (twice.extension_days, twice.close_due),
        (5, d("2026-10-15"))
    );
    // Rejected: nothing moves.
    let rejected = run(
        asked,
        &rules,
        &[(
            "2026-09-30 09:00",
            OrderAction::DecideExtension {
                approve: false,
                days: 0,
                note: "理由不充分".to_owned(),
            },
        )],
    );
    assert_eq!(
        (rejected.extension_days, rejected.close_due),
        (0, d("2026-10-09"))
    );
    // The extension turns a late close on Tue 10-13 into an on-time one.
    let finish = |order: WorkOrder| {
        run(
            order,
            &rules,
            &[
                ("2026-10-12 10:00", reply()),
                ("2026-10-13 09:00", callback(Rating::Fair)),
                ("2026-10-13 18:00", close()),
            ],
        )
    };
    assert!(finish(rejected).close_overdue(d("2026-12-31")));
    assert!(!finish(granted).close_overdue(d("2026-12-31")));
}

#[test]
fn a_return_restarts_the_clocks_on_redispatch_only_when_the_rules_say_so() {
    // Fri 2026-02-13 20:30: 签收 by Sat 02-14, 办结 by Fri 02-27 (see above).
    let steps = [
        ("2026-02-13 21:00", dispatch("SCJG")),
        ("2026-02-24 09:00", ret()),
        ("2026-02-25 10:00", dispatch("ZJJ")),
    ];
    let on = HotlineRules {
        restart_on_return: true,
        ..HotlineRules::default()
    };
    let restarted = run(
        order_with("2026-02-13 20:30", Difficulty::Ordinary, &on),
        &on,
        &steps,
    );
    // From Wed 02-25: 签收 Thu 02-26; 办结 02-26 (1), 02-27 (2), Sat 02-28 (3), 03-02 (4), 03-03 (5).
    assert_eq!(
        (restarted.sign_clock_from, restarted.close_clock_from),
        (d("2026-02-25"), d("2026-02-25"))
    );
    assert_eq!(
        (restarted.sign_due, restarted.close_due),
        (d("2026-02-26"), d("2026-03-03"))
    );
    assert_eq!(
        (restarted.returns, restarted.department.as_deref()),
        (1, Some("ZJJ"))
    );
    let off = HotlineRules {
        restart_on_return: false,
        ..HotlineRules::default()
    };
    let kept = run(
        order_with("2026-02-13 20:30", Difficulty::Ordinary, &off),
        &off,
        &steps,
    );
    assert_eq!(
        (kept.sign_clock_from, kept.close_clock_from),
        (d("2026-02-13"), d("2026-02-13"))
    );
    assert_eq!(
        (kept.sign_due, kept.close_due),
        (d("2026-02-14"), d("2026-02-27"))
    );
    // The first dispatch never restarts anything, however late it is.
    let first = run(
        order_with("2026-02-13 20:30", Difficulty::Ordinary, &on),
        &on,
        &[("2026-02-24 09:00", dispatch("SCJG"))],
    );
    assert_eq!(
        (first.sign_due, first.close_due),
        (d("2026-02-14"), d("2026-02-27"))
    );
    assert!(first.sign_overdue(d("2026-02-24")));
}

#[test]
fn a_reopening_restarts_the_closing_clock_only_when_the_rules_say_so() {
    // Mon 2026-03-02: 签收 by 03-03; 办结 03-03 … 03-09; 2 days granted: 03-11.
    let steps = [
        ("2026-03-02 09:30", dispatch("SCJG")),
        ("2026-03-02 10:00", OrderAction::Sign),
        ("2026-03-03 10:00", ask(2)),
        ("2026-03-03 11:00", grant(2)),
        ("2026-03-04 10:00", reply()),
        ("2026-03-05 10:00", callback(Rating::Dissatisfied)),
        ("2026-03-05 11:00", close()),
        ("2026-03-09 10:00", reopen()),
    ];
    let on = HotlineRules {
        restart_on_reopen: true,
        ..HotlineRules::default()
    };
    let reopened = run(
        order_with("2026-03-02 09:00", Difficulty::Ordinary, &on),
        &on,
        &steps,
    );
    // From Mon 03-09: 03-10 (1) … 03-13 (4), 03-16 (5); the old extension is spent.
    assert_eq!(
        (
            reopened.close_clock_from,
            reopened.close_due,
            reopened.extension_days
        ),
        (d("2026-03-09"), d("2026-03-16"), 0)
    );
    assert_eq!(
        (reopened.sign_due, reopened.status, reopened.reopenings),
        (d("2026-03-03"), OrderStatus::Handling, 1)
    );
    assert_eq!(
        (
            reopened.closed_at,
            reopened.close_working_days,
            reopened.reply.as_deref()
        ),
        (None, None, None)
    );
    let off = HotlineRules {
        restart_on_reopen: false,
        ..HotlineRules::default()
    };
    let kept = run(
        order_with("2026-03-02 09:00", Difficulty::Ordinary, &off),
        &off,
        &steps,
    );
    assert_eq!(
        (kept.close_clock_from, kept.close_due, kept.extension_days),
        (d("2026-03-02"), d("2026-03-11"), 2)
    );
}

#[test]
fn escalation_is_due_yellow_when_a_deadline_passes_and_red_three_working_days_later() {
    let rules = HotlineRules::default();
    let due = |order: &WorkOrder, day: &str| {
        order
            .due_escalation(d(day), &rules, cal())
            .expect("in the calendar")
    };
    // Sat 2026-02-14: 签收 by 02-24, 办结 by Sat 02-28.
    let received = order("2026-02-14 10:00", Difficulty::Ordinary);
    assert_eq!(
        due(&received, "2026-02-25"),
        None,
        "not dispatched: no one is late signing"
    );
    let dispatched = run(received, &rules, &[("2026-02-14 10:30", dispatch("SCJG"))]);
    assert_eq!(due(&dispatched, "2026-02-24"), None);
    assert_eq!(due(&dispatched, "2026-02-25"), Some(Escalation::Yellow));
    let signed = run(
        dispatched,
        &rules,
        &[("2026-02-25 10:00", OrderAction::Sign)],
    );
    assert_eq!(due(&signed, "2026-02-28"), None);
    assert_eq!(due(&signed, "2026-03-01"), Some(Escalation::Yellow));
    // Working days past 02-28: Mon 03-02 (1), 03-03 (2), 03-04 (3).
    assert_eq!(due(&signed, "2026-03-03"), Some(Escalation::Yellow));
    assert_eq!(due(&signed, "2026-03-04"), Some(Escalation::Red));
    // Manual 督办 at any time, and never lowered.
    let manual = run(
        signed.clone(),
        &rules,
        &[("2026-02-25 11:00", escalate(Escalation::Yellow))],
    );
    let manual = run(
        manual,
        &rules,
        &[("2026-02-25 12:00", escalate(Escalation::Red))],
    );
    assert_eq!(manual.escalation, Some(Escalation::Red));
    let closed = run(
        signed,
        &rules,
        &[
            ("2026-03-05 10:00", reply()),
            ("2026-03-05 11:00", callback(Rating::Satisfied)),
            ("2026-03-05 12:00", close()),
        ],
    );
    assert_eq!(
        due(&closed, "2026-03-31"),
        None,
        "closed orders are not escalated"
    );
}
