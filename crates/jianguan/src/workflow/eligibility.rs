//! Building a plan's frame: the entities in its scope that the eligibility
//! rules allow, each in its stratum, and every entity in scope left out, with
//! the rules that left it out.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};

use crate::domain::entity::{CreditClass, EntityStatus};
use crate::domain::inspection::{EligibilityRules, NewEntityPolicy};
use crate::domain::plan::{Plan, PlanScope};
use crate::storage::Candidate;

/// One past inspection of an entity, as eligibility sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastInspection {
    /// Department.
    pub department: String,
    /// Date (the check's last day, or the visit's due date).
    pub on: NaiveDate,
    /// Inspectors who went.
    pub inspectors: Vec<String>,
}

/// Past inspections, by 统一社会信用代码.
#[derive(Debug, Clone, Default)]
pub struct History {
    by_entity: HashMap<String, Vec<PastInspection>>,
}

impl History {
    /// Adds an inspection of `entity`.
    pub fn add(&mut self, entity: &str, inspection: PastInspection) {
        self.by_entity.entry(entity.to_owned()).or_default().push(inspection);
    }

    /// Inspections of `entity`.
    pub fn of(&self, entity: &str) -> &[PastInspection] {
        self.by_entity.get(entity).map_or(&[], Vec::as_slice)
    }

    /// The inspectors of the entity's latest inspection before `before`.
    pub fn previous_inspectors(&self, entity: &str, before: NaiveDate) -> Vec<&str> {
        let past = self.of(entity).iter().filter(|p| p.on < before);
        let Some(latest) = past.clone().map(|p| p.on).max() else {
            return Vec::new();
        };
        past.filter(|p| p.on == latest).flat_map(|p| p.inspectors.iter().map(String::as_str)).collect()
    }
}

/// Why an entity in scope is not in a frame. Codes are stable; texts are Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusion {
    /// 统一社会信用代码.
    pub uscc: String,
    /// Rule codes, `;`-joined: `status`, `class_a`, `annual_cap`, `cooling_off`, `new_entity`.
    pub rules: String,
    /// The explanation, in Chinese.
    pub detail: String,
}

/// Whether `candidate` is in `scope`.
pub fn in_scope(scope: &PlanScope, candidate: &Candidate) -> bool {
    let matches_any = |list: &[String], test: &dyn Fn(&str) -> bool| list.is_empty() || list.iter().any(|v| test(v));
    matches_any(&scope.districts, &|d| d == candidate.district)
        && matches_any(&scope.industries, &|code| {
            if code.len() == 1 {
                candidate.section.as_deref() == Some(code)
            } else {
                candidate.industry.as_deref().is_some_and(|i| i.starts_with(code))
            }
        })
        && (scope.entity_types.is_empty() || scope.entity_types.contains(&candidate.entity_type))
        && matches_any(&scope.pools, &|p| candidate.labels.iter().any(|(k, l)| k == "pool" && l == p))
        && matches_any(&scope.tags, &|t| candidate.labels.iter().any(|(k, l)| k == "tag" && l == t))
}

/// The frame and exclusions of `plan` for a round starting on `window_start`.
/// `candidates` ascend by code, so the frame does too.
pub fn build_frame(
    plan: &Plan,
    candidates: &[Candidate],
    history: &History,
    rules: &EligibilityRules,
    window_start: NaiveDate,
) -> (Vec<draw::FrameRow>, Vec<Exclusion>) {
    let departments: Vec<&str> = plan.participants.iter().map(|p| p.department.as_str()).collect();
    let new_since = window_start
        .checked_sub_months(Months::new(rules.new_entity_months))
        .unwrap_or(NaiveDate::MIN);
    let mut frame = Vec::new();
    let mut exclusions = Vec::new();
    for candidate in candidates.iter().filter(|c| in_scope(&plan.scope, c)) {
        let mut codes: Vec<&str> = Vec::new();
        let mut reasons: Vec<String> = Vec::new();
        if rules.active_only && candidate.status != EntityStatus::Active {
            codes.push("status");
            reasons.push(format!("登记状态为{}，仅抽取存续主体", candidate.status));
        }
        if rules.spare_class_a && candidate.credit_class == Some(CreditClass::A) && !plan.required_by_law {
            codes.push("class_a");
            reasons.push("信用风险分类为A类，本计划非法律法规规定必检，不主动检查".to_owned());
        }
        let past = history.of(&candidate.uscc);
        if rules.annual_cap > 0 {
            let this_year = past.iter().filter(|p| p.on.year() == window_start.year() && p.on < window_start).count();
            if this_year >= rules.annual_cap as usize {
                codes.push("annual_cap");
                reasons.push(format!(
                    "{}年已被检查{}次，达到每年{}次的上限",
                    window_start.year(),
                    this_year,
                    rules.annual_cap
                ));
            }
        }
        if rules.cooling_off_days > 0 {
            let cooled = past.iter().filter(|p| departments.contains(&p.department.as_str())).find(|p| {
                p.on < window_start && (window_start - p.on).num_days() < i64::from(rules.cooling_off_days)
            });
            if let Some(recent) = cooled {
                codes.push("cooling_off");
                reasons.push(format!(
                    "{}于{}检查过该主体，未满{}天冷却期",
                    recent.department, recent.on, rules.cooling_off_days
                ));
            }
        }
        let is_new = candidate.registered_on > new_since;
        if is_new && rules.new_entities == NewEntityPolicy::Exclude {
            codes.push("new_entity");
            reasons.push(format!(
                "成立于{}，未满{}个月的新设主体不纳入抽查",
                candidate.registered_on, rules.new_entity_months
            ));
        }
        if codes.is_empty() {
            let stratum = if is_new {
                "N"
            } else {
                candidate.credit_class.map_or("U", CreditClass::as_str)
            };
            frame.push(draw::FrameRow { id: candidate.uscc.clone(), stratum: stratum.to_owned() });
        } else {
            exclusions.push(Exclusion { uscc: candidate.uscc.clone(), rules: codes.join(";"), detail: reasons.join("；") });
        }
    }
    (frame, exclusions)
}

/// The frame as stored: lines `id<TAB>stratum`.
pub fn frame_text(frame: &[draw::FrameRow]) -> String {
    let mut text = String::with_capacity(frame.len() * 21);
    for row in frame {
        text.push_str(&row.id);
        text.push('\t');
        text.push_str(&row.stratum);
        text.push('\n');
    }
    text
}

/// Parses a stored frame; `None` names the first bad line.
pub fn parse_frame(text: &str) -> Result<Vec<draw::FrameRow>, usize> {
    text.lines()
        .enumerate()
        .map(|(index, line)| {
            line.split_once('\t')
                .map(|(id, stratum)| draw::FrameRow { id: id.to_owned(), stratum: stratum.to_owned() })
                .ok_or(index + 1)
        })
        .collect()
}

/// Exclusions as stored: lines `id<TAB>rules<TAB>detail`.
pub fn exclusions_text(exclusions: &[Exclusion]) -> String {
    let mut text = String::new();
    for e in exclusions {
        text.push_str(&format!("{}\t{}\t{}\n", e.uscc, e.rules, e.detail.replace(['\t', '\n'], " ")));
    }
    text
}

/// The stored exclusion of `uscc`, if any.
pub fn find_exclusion(text: &str, uscc: &str) -> Option<Exclusion> {
    text.lines().find_map(|line| {
        let mut parts = line.splitn(3, '\t');
        let id = parts.next()?;
        (id == uscc).then(|| Exclusion {
            uscc: id.to_owned(),
            rules: parts.next().unwrap_or_default().to_owned(),
            detail: parts.next().unwrap_or_default().to_owned(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::entity::EntityType;
    use crate::domain::plan::PlanFields;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap_or(NaiveDate::MIN)
    }

    fn candidate(uscc: &str, class: Option<CreditClass>, registered: &str) -> Candidate {
        Candidate {
            uscc: uscc.into(),
            entity_type: EntityType::Enterprise,
            district: "420202".into(),
            industry: Some("5211".into()),
            section: Some("F".into()),
            status: EntityStatus::Active,
            registered_on: date(registered),
            credit_class: class,
            labels: vec![("pool".into(), "食品生产".into())],
        }
    }

    fn plan(required_by_law: bool) -> Plan {
        let fields: PlanFields = serde_json::from_value(serde_json::json!({
            "id": "P1", "title": "t", "kind": "单部门", "lead": "SJJ",
            "participants": [{"department": "SJJ", "inspectors": 2, "items": ["I1"]}],
            "scope": {"industries": ["F"], "pools": ["食品生产"]},
            "strata": [{"stratum": "B", "rate_bp": 500}],
            "required_by_law": required_by_law,
            "period_start": "2026-04-01", "period_end": "2026-06-30", "frequency": "每年1次"
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        Plan::new(fields).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn every_rule_excludes_with_its_reason_and_strata_follow_class() {
        let start = date("2026-04-01");
        let mut closed = candidate("C", Some(CreditClass::B), "2010-01-01");
        closed.status = EntityStatus::Deregistered;
        let mut other_industry = candidate("G", Some(CreditClass::B), "2010-01-01");
        other_industry.section = Some("C".into());
        let candidates = vec![
            candidate("A", Some(CreditClass::A), "2010-01-01"),
            candidate("B", Some(CreditClass::B), "2010-01-01"),
            closed,
            candidate("D", Some(CreditClass::D), "2010-01-01"),
            candidate("E", None, "2010-01-01"),
            candidate("F", Some(CreditClass::C), "2026-01-15"),
            other_industry,
            candidate("H", Some(CreditClass::C), "2010-01-01"),
        ];
        let mut history = History::default();
        let visit = |department: &str, on: &str| PastInspection {
            department: department.into(),
            on: date(on),
            inspectors: vec!["X1".into()],
        };
        history.add("D", visit("WJW", "2026-01-10"));
        history.add("D", visit("YJJ", "2026-02-10"));
        history.add("H", visit("SJJ", "2025-12-01"));
        history.add("B", visit("SJJ", "2025-06-01"));
        let rules = EligibilityRules::default();
        let (frame, exclusions) = build_frame(&plan(false), &candidates, &history, &rules, start);
        let rows: Vec<(&str, &str)> = frame.iter().map(|r| (r.id.as_str(), r.stratum.as_str())).collect();
        assert_eq!(rows, [("B", "B"), ("E", "U"), ("F", "N")]);
        let excluded: Vec<(&str, &str)> = exclusions.iter().map(|e| (e.uscc.as_str(), e.rules.as_str())).collect();
        assert_eq!(excluded, [("A", "class_a"), ("C", "status"), ("D", "annual_cap"), ("H", "cooling_off")]);
        assert!(exclusions[3].detail.contains("SJJ于2025-12-01"));
        // Required by law: class A stays. Excluding new entities: F goes.
        let strict = EligibilityRules { new_entities: NewEntityPolicy::Exclude, ..rules };
        let (frame, exclusions) = build_frame(&plan(true), &candidates, &history, &strict, start);
        assert!(frame.iter().any(|r| r.id == "A" && r.stratum == "A"));
        assert!(exclusions.iter().any(|e| e.uscc == "F" && e.rules == "new_entity"));
        let text = exclusions_text(&exclusions);
        assert_eq!(find_exclusion(&text, "F").map(|e| e.rules), Some("new_entity".into()));
        assert_eq!(parse_frame(&frame_text(&frame)), Ok(frame));
    }

    #[test]
    fn previous_inspectors_are_those_of_the_latest_visit() {
        let mut history = History::default();
        history.add("E", PastInspection { department: "A".into(), on: date("2026-01-01"), inspectors: vec!["1".into()] });
        history.add("E", PastInspection { department: "B".into(), on: date("2026-03-01"), inspectors: vec!["2".into(), "3".into()] });
        assert_eq!(history.previous_inspectors("E", date("2026-04-01")), ["2", "3"]);
        assert_eq!(history.previous_inspectors("E", date("2026-02-01")), ["1"]);
        assert!(history.previous_inspectors("Z", date("2026-04-01")).is_empty());
    }
}
