//! The synthetic work orders: deterministic, consistent with the domain's
//! state machine, with Huangshi's mix (12345 first, 12315 second; about 98 %
//! signed on time, 95 % closed on time, 98 % satisfied), some late, some
//! extended, some about enterprises, some still open and overdue at the end.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test set-up failures should stop the test"
)]

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate, Timelike};
use domain::hotline::{HotlineRules, OrderStatus, Rating, WorkOrder, WorkingDays};
use sim::synth::hotline::{self, Generator, ORDER_HEADERS, Params};
use sim::synth::{City, CityParams, DEPARTMENTS};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn generate(orders: u64, entities: &[String]) -> Vec<WorkOrder> {
    let calendar = workcal::Calendar::embedded().expect("calendar");
    let rules = HotlineRules::default();
    let generator =
        Generator::new(Params::year(2025, orders), &rules, &calendar, entities).expect("generator");
    generator
        .orders()
        .collect::<Result<Vec<_>, _>>()
        .expect("orders")
}

fn rate(numerator: usize, denominator: usize) -> f64 {
    numerator as f64 / denominator.max(1) as f64
}

#[test]
fn orders_are_deterministic_consistent_and_realistic() -> TestResult {
    let calendar = workcal::Calendar::embedded()?;
    let rules = HotlineRules::default();
    let city = City::generate(&CityParams {
        entities: 2_000,
        ..CityParams::huangshi()
    });
    let entities: Vec<String> = city
        .entities
        .iter()
        .map(|e| e.uscc.as_str().to_owned())
        .collect();
    let orders = generate(6_000, &entities);
    assert_eq!(orders.len(), 6_000);
    assert_eq!(
        orders,
        generate(6_000, &entities),
        "the same parameters give the same orders"
    );

    let ids: HashSet<&str> = orders.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids.len(), orders.len(), "numbers are unique");
    assert!(
        orders
            .windows(2)
            .all(|w| w[0].id < w[1].id && w[0].received_at <= w[1].received_at),
        "in receipt order"
    );
    let codes: HashSet<&str> = DEPARTMENTS.iter().map(|d| d.code).collect();
    let directory: HashSet<&str> = entities.iter().map(String::as_str).collect();
    let as_of = Params::year(2025, 1).as_of;
    let today = as_of.date_naive();
    for order in &orders {
        let received = order.received_at;
        assert_eq!(received.year(), 2025);
        assert!(
            calendar.is_working_day(received.date_naive())?,
            "{} received on a working day",
            order.id
        );
        let minute = received.hour() * 60 + received.minute();
        assert!(
            (8 * 60 + 30..17 * 60 + 30).contains(&minute),
            "{} received in working hours: {received}",
            order.id
        );
        assert!(
            order.events.windows(2).all(|w| w[0].at <= w[1].at),
            "{}: history in time order",
            order.id
        );
        assert!(
            order.events.last().is_some_and(|e| e.at <= as_of),
            "{}: nothing after as-of",
            order.id
        );
        if let Some(department) = &order.department {
            assert!(codes.contains(department.as_str()), "{department}");
        }
        if let Some(entity) = &order.entity {
            assert!(directory.contains(entity.as_str()), "{entity}");
        }
        // Deadlines as the rules say.
        let limit = rules.close_days(order.difficulty) + order.extension_days;
        assert_eq!(
            order.close_due,
            calendar.last_day(order.close_clock_from, limit)?,
            "{}",
            order.id
        );
        assert_eq!(
            order.sign_due,
            calendar.last_day(order.sign_clock_from, rules.sign_days)?,
            "{}",
            order.id
        );
        assert_eq!(
            order.status == OrderStatus::Closed,
            order.closed_at.is_some()
        );
    }

    // Channels: 12345 first, 12315 second, several others.
    let mut channels: HashMap<&str, usize> = HashMap::new();
    for order in &orders {
        *channels.entry(order.channel.as_str()).or_default() += 1;
    }
    let mut ranked: Vec<(&str, usize)> = channels.into_iter().collect();
    ranked.sort_by_key(|entry| std::cmp::Reverse(entry.1));
    assert_eq!(ranked[0].0, "12345", "{ranked:?}");
    assert_eq!(ranked[1].0, "12315", "{ranked:?}");
    assert!(rate(ranked[0].1, orders.len()) > 0.6, "{ranked:?}");
    assert!(ranked.len() >= 8, "{ranked:?}");

    let categories: HashSet<&str> = orders.iter().map(|o| o.category.as_str()).collect();
    assert!(categories.len() >= 15, "{categories:?}");
    let departments: HashSet<&str> = orders
        .iter()
        .filter_map(|o| o.department.as_deref())
        .collect();
    assert!(departments.len() >= 12, "{departments:?}");
    let difficult = orders
        .iter()
        .filter(|o| o.difficulty.as_str() == "疑难")
        .count();
    assert!(
        (0.03..0.2).contains(&rate(difficult, orders.len())),
        "{difficult}"
    );
    let about = orders.iter().filter(|o| o.entity.is_some()).count();
    assert!((0.2..0.7).contains(&rate(about, orders.len())), "{about}");

    // The KPIs by the definitions, as of the end of the year.
    let signed_on_time = orders
        .iter()
        .filter(|o| o.signed_at.is_some_and(|s| s.date_naive() <= o.sign_due))
        .count();
    let sign_counted = orders
        .iter()
        .filter(|o| o.signed_at.is_some() || (o.department.is_some() && today > o.sign_due))
        .count();
    let closed_on_time = orders
        .iter()
        .filter(|o| o.closed_at.is_some_and(|c| c.date_naive() <= o.close_due))
        .count();
    let close_counted = orders
        .iter()
        .filter(|o| o.closed_at.is_some() || today > o.close_due)
        .count();
    let rated = orders.iter().filter(|o| o.rating.is_some()).count();
    let satisfied = orders
        .iter()
        .filter(|o| o.rating.is_some_and(Rating::satisfied))
        .count();
    let (sign, close, satisfaction) = (
        rate(signed_on_time, sign_counted),
        rate(closed_on_time, close_counted),
        rate(satisfied, rated),
    );
    assert!((0.965..0.995).contains(&sign), "sign rate {sign}");
    assert!((0.93..0.975).contains(&close), "close rate {close}");
    assert!(
        (0.97..0.995).contains(&satisfaction),
        "satisfaction {satisfaction}"
    );

    // Late, extended, returned, escalated, reopened and open ones exist.
    let late_closed = orders
        .iter()
        .filter(|o| o.closed_at.is_some_and(|c| c.date_naive() > o.close_due))
        .count();
    assert!(late_closed > 50, "{late_closed}");
    assert!(
        orders.iter().any(|o| o.extension_days > 0),
        "approved extensions"
    );
    assert!(
        orders
            .iter()
            .any(|o| o.events.iter().any(|e| e.action == "延期驳回")),
        "rejected extensions"
    );
    assert!(orders.iter().any(|o| o.returns > 0), "returns");
    assert!(orders.iter().any(|o| o.reopenings > 0), "reopenings");
    assert!(
        orders
            .iter()
            .any(|o| o.escalation.is_some_and(|e| e.as_str() == "红牌")),
        "red escalations"
    );
    let open: Vec<&WorkOrder> = orders.iter().filter(|o| o.is_open()).collect();
    assert!(open.len() > 20 && open.len() < 600, "{} open", open.len());
    let overdue = open
        .iter()
        .filter(|o| o.close_overdue(today) || o.sign_overdue(today))
        .count();
    assert!(
        overdue > 0 && overdue < open.len(),
        "{overdue} of {} open are overdue",
        open.len()
    );
    assert!(
        open.iter().any(|o| o.status == OrderStatus::Dispatched),
        "some wait to be signed"
    );
    Ok(())
}

#[test]
fn the_csv_has_the_eleven_headers_and_empty_cells_for_steps_not_taken() -> TestResult {
    let orders = generate(400, &[]);
    let mut out = Vec::new();
    assert_eq!(hotline::write_orders_csv(&orders, &mut out)?, 400);
    let mut reader = csv::Reader::from_reader(out.as_slice());
    let headers: Vec<String> = reader.headers()?.iter().map(str::to_owned).collect();
    assert_eq!(headers, ORDER_HEADERS.map(str::to_owned).to_vec());
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    assert_eq!(rows.len(), 400);
    for (row, order) in rows.iter().zip(&orders) {
        assert_eq!(&row[0], order.id);
        assert_eq!(row[6].is_empty(), order.signed_at.is_none());
        assert_eq!(row[7].is_empty(), order.closed_at.is_none());
        assert!(
            NaiveDate::parse_from_str(&row[2][..10], "%Y-%m-%d").is_ok(),
            "{}",
            &row[2]
        );
    }
    Ok(())
}

#[test]
fn an_empty_period_gives_no_orders_and_a_holiday_period_is_refused() -> TestResult {
    let calendar = workcal::Calendar::embedded()?;
    let rules = HotlineRules::default();
    let mut params = Params::year(2025, 0);
    assert_eq!(
        Generator::new(params.clone(), &rules, &calendar, &[])?
            .orders()
            .count(),
        0
    );
    // 2025-10-01 … 10-08 is the National Day break: no working day.
    params.orders = 10;
    params.from = NaiveDate::from_ymd_opt(2025, 10, 1).expect("date");
    params.to = NaiveDate::from_ymd_opt(2025, 10, 8).expect("date");
    assert!(Generator::new(params, &rules, &calendar, &[]).is_err());
    Ok(())
}

#[test]
fn the_deadline_examples_of_docs_hotline_md_hold() -> TestResult {
    use domain::hotline::{Difficulty, Intake, OrderAction, parse_time};
    let calendar = workcal::Calendar::embedded()?;
    let rules = HotlineRules::default();
    let day = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date");
    // received, 签收时限, 一般, 疑难, 一般 + 3 days
    let examples = [
        (
            "2025-09-30 16:00",
            "2025-10-09",
            "2025-10-14",
            "2025-10-23",
            "2025-10-17",
        ),
        (
            "2025-10-03 10:00",
            "2025-10-09",
            "2025-10-14",
            "2025-10-23",
            "2025-10-17",
        ),
        (
            "2025-01-27 09:00",
            "2025-02-05",
            "2025-02-10",
            "2025-02-19",
            "2025-02-13",
        ),
        (
            "2025-01-26 11:00",
            "2025-01-27",
            "2025-02-08",
            "2025-02-18",
            "2025-02-12",
        ),
    ];
    for (received, sign, ordinary, difficult, extended) in examples {
        let intake = |difficulty| Intake {
            id: "GD-DOC-1".into(),
            channel: "12345".into(),
            received_at: parse_time("received", received).expect("time"),
            caller: Default::default(),
            content: String::new(),
            category: "消费纠纷".into(),
            location: String::new(),
            entity: None,
            difficulty,
        };
        let order = WorkOrder::new(intake(Difficulty::Ordinary), &rules, &calendar, "doc")?;
        assert_eq!(
            (order.sign_due, order.close_due),
            (day(sign), day(ordinary)),
            "{received}"
        );
        let hard = WorkOrder::new(intake(Difficulty::Difficult), &rules, &calendar, "doc")?;
        assert_eq!(hard.close_due, day(difficult), "{received}");
        let at = order.received_at;
        let mut order = order.apply(
            &OrderAction::Dispatch {
                department: "SCJG".into(),
            },
            at,
            "doc",
            &rules,
            &calendar,
        )?;
        for action in [
            OrderAction::Sign,
            OrderAction::RequestExtension {
                days: 3,
                reason: "需现场勘查".into(),
            },
            OrderAction::DecideExtension {
                approve: true,
                days: 3,
                note: String::new(),
            },
        ] {
            order = order.apply(&action, at, "doc", &rules, &calendar)?;
        }
        assert_eq!(order.close_due, day(extended), "{received}");
    }
    Ok(())
}
