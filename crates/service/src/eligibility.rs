//! Building a plan's frame: the entities in its scope that the eligibility
//! rules allow, each in its stratum, and every entity in scope left out, with
//! the rules that left it out.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};

use domain::entity::{CreditClass, EntityStatus};
use domain::inspection::{EligibilityRules, NewEntityPolicy};
use domain::plan::{Plan, PlanScope};
use storage::Candidate;

/// One past inspection of an entity, as eligibility sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastInspection {
    /// The occasion: a visit's or out-of-plan inspection's id. A joint visit is
    /// one entry into the enterprise, whatever the number of departments.
    pub occasion: String,
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
        self.by_entity
            .entry(entity.to_owned())
            .or_default()
            .push(inspection);
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
        past.filter(|p| p.on == latest)
            .flat_map(|p| p.inspectors.iter().map(String::as_str))
            .collect()
    }
}

/// Why an entity in scope is not in a frame: each rule that excludes it, by
/// its stable code (`status`, `class_a`, `annual_cap`, `cooling_off`,
/// `new_entity`) with the fact that triggered it (the status; the count of
/// inspections this year; `DEPARTMENT@DATE` of the recent inspection; the
/// registration date). [`Exclusion::describe`] renders it in Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusion {
    /// 统一社会信用代码.
    pub uscc: String,
    /// (rule code, fact), in the order the rules are checked.
    pub rules: Vec<(String, String)>,
}

impl Exclusion {
    /// The rule codes, `;`-joined.
    pub fn codes(&self) -> String {
        self.rules
            .iter()
            .map(|(code, _)| code.as_str())
            .collect::<Vec<_>>()
            .join(";")
    }

    /// The explanation, in Chinese, under the rules the frame was built with.
    pub fn describe(&self, rules: &EligibilityRules, window_start: NaiveDate) -> String {
        let texts: Vec<String> = self
            .rules
            .iter()
            .map(|(code, fact)| match code.as_str() {
                "status" => format!("登记状态为{fact}，仅抽取存续主体"),
                "class_a" => "信用风险分类为A类，本计划非法律法规规定必检，不主动检查".to_owned(),
                "annual_cap" => format!(
                    "{}年已被检查{fact}次，达到每年{}次的上限",
                    window_start.year(),
                    rules.annual_cap
                ),
                "cooling_off" => {
                    let (department, on) = fact.split_once('@').unwrap_or((fact, ""));
                    format!(
                        "{department}于{on}检查过该主体，未满{}天冷却期",
                        rules.cooling_off_days
                    )
                }
                "new_entity" => format!(
                    "成立于{fact}，未满{}个月的新设主体不纳入抽查",
                    rules.new_entity_months
                ),
                other => format!("{other} {fact}"),
            })
            .collect();
        texts.join("；")
    }
}

/// Whether `candidate` is in `scope`.
pub fn in_scope(scope: &PlanScope, candidate: &Candidate) -> bool {
    let matches_any = |list: &[String], test: &dyn Fn(&str) -> bool| {
        list.is_empty() || list.iter().any(|v| test(v))
    };
    matches_any(&scope.districts, &|d| d == candidate.district)
        && matches_any(&scope.industries, &|code| {
            if code.len() == 1 {
                candidate.section.as_deref() == Some(code)
            } else {
                candidate
                    .industry
                    .as_deref()
                    .is_some_and(|i| i.starts_with(code))
            }
        })
        && (scope.entity_types.is_empty() || scope.entity_types.contains(&candidate.entity_type))
        && matches_any(&scope.pools, &|p| {
            candidate.labels.iter().any(|(k, l)| k == "pool" && l == p)
        })
        && matches_any(&scope.tags, &|t| {
            candidate.labels.iter().any(|(k, l)| k == "tag" && l == t)
        })
}

/// The directory's candidates, ascending by code, indexed by industry section
/// and division so a plan scoped to a few industries reads only those.
pub struct CandidateIndex {
    candidates: Vec<Candidate>,
    by_industry: HashMap<String, Vec<u32>>,
}

impl CandidateIndex {
    /// Indexes `candidates` (sorted by code here if they are not).
    pub fn new(mut candidates: Vec<Candidate>) -> Self {
        if !candidates.is_sorted_by(|a, b| a.uscc <= b.uscc) {
            candidates.sort_unstable_by(|a, b| a.uscc.cmp(&b.uscc));
        }
        let mut by_industry: HashMap<String, Vec<u32>> = HashMap::new();
        for (index, candidate) in candidates.iter().enumerate() {
            if let Some(section) = &candidate.section {
                by_industry
                    .entry(section.clone())
                    .or_default()
                    .push(index as u32);
            }
            if let Some(division) = candidate.industry.as_deref().and_then(|i| i.get(..2)) {
                by_industry
                    .entry(division.to_owned())
                    .or_default()
                    .push(index as u32);
            }
        }
        Self {
            candidates,
            by_industry,
        }
    }

    /// Every candidate.
    pub fn all(&self) -> &[Candidate] {
        &self.candidates
    }

    /// The candidates in `scope`, ascending by code.
    pub fn in_scope<'a>(
        &'a self,
        scope: &'a PlanScope,
    ) -> Box<dyn Iterator<Item = &'a Candidate> + 'a> {
        if scope.industries.is_empty() {
            return Box::new(self.candidates.iter().filter(move |c| in_scope(scope, c)));
        }
        let mut indexes: Vec<u32> = scope
            .industries
            .iter()
            .filter_map(|code| self.by_industry.get(code.get(..2).unwrap_or(code)))
            .flatten()
            .copied()
            .collect();
        indexes.sort_unstable();
        indexes.dedup();
        Box::new(
            indexes
                .into_iter()
                .filter_map(|i| self.candidates.get(i as usize))
                .filter(move |c| in_scope(scope, c)),
        )
    }
}

/// A plan's frame and exclusions, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuiltFrame {
    /// Lines `id<TAB>stratum`, ascending by id: the spec §5 frame digest is
    /// the SHA-256 of this text.
    pub frame: String,
    /// Frame rows.
    pub rows: usize,
    /// Lines `id<TAB>code=fact;code=fact`, ascending by id.
    pub exclusions: String,
    /// Entities excluded.
    pub excluded: usize,
}

/// Appends `code=fact` to an exclusion line being written for `uscc`.
fn exclude(built: &mut BuiltFrame, started: &mut bool, uscc: &str, code: &str, fact: &str) {
    if *started {
        built.exclusions.push(';');
    } else {
        built.exclusions.push_str(uscc);
        built.exclusions.push('\t');
        built.excluded += 1;
        *started = true;
    }
    built.exclusions.push_str(code);
    built.exclusions.push('=');
    built.exclusions.extend(fact.chars().map(|c| {
        if matches!(c, '\t' | '\n' | ';' | '=') {
            ' '
        } else {
            c
        }
    }));
}

/// The frame and exclusions of `plan` for a round starting on `window_start`.
pub fn build_frame(
    plan: &Plan,
    candidates: &CandidateIndex,
    history: &History,
    rules: &EligibilityRules,
    window_start: NaiveDate,
) -> BuiltFrame {
    let departments: Vec<&str> = plan
        .participants
        .iter()
        .map(|p| p.department.as_str())
        .collect();
    let new_since = window_start
        .checked_sub_months(Months::new(rules.new_entity_months))
        .unwrap_or(NaiveDate::MIN);
    let mut built = BuiltFrame::default();
    for candidate in candidates.in_scope(&plan.scope) {
        let uscc = candidate.uscc.as_str();
        let mut started = false;
        if rules.active_only && candidate.status != EntityStatus::Active {
            exclude(
                &mut built,
                &mut started,
                uscc,
                "status",
                candidate.status.as_str(),
            );
        }
        if rules.spare_class_a
            && candidate.credit_class == Some(CreditClass::A)
            && !plan.required_by_law
        {
            exclude(&mut built, &mut started, uscc, "class_a", "");
        }
        let past = history.of(uscc);
        if rules.annual_cap > 0 && !past.is_empty() {
            let this_year = past
                .iter()
                .filter(|p| p.on.year() == window_start.year() && p.on < window_start)
                .map(|p| p.occasion.as_str())
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            if this_year >= rules.annual_cap as usize {
                exclude(
                    &mut built,
                    &mut started,
                    uscc,
                    "annual_cap",
                    &this_year.to_string(),
                );
            }
        }
        if rules.cooling_off_days > 0 {
            let cooled = past
                .iter()
                .filter(|p| departments.contains(&p.department.as_str()))
                .find(|p| {
                    p.on < window_start
                        && (window_start - p.on).num_days() < i64::from(rules.cooling_off_days)
                });
            if let Some(recent) = cooled {
                exclude(
                    &mut built,
                    &mut started,
                    uscc,
                    "cooling_off",
                    &format!("{}@{}", recent.department, recent.on),
                );
            }
        }
        let is_new = candidate.registered_on > new_since;
        if is_new && rules.new_entities == NewEntityPolicy::Exclude {
            exclude(
                &mut built,
                &mut started,
                uscc,
                "new_entity",
                &candidate.registered_on.to_string(),
            );
        }
        if started {
            built.exclusions.push('\n');
        } else {
            let stratum = if is_new {
                "N"
            } else {
                candidate.credit_class.map_or("U", CreditClass::as_str)
            };
            built.frame.push_str(uscc);
            built.frame.push('\t');
            built.frame.push_str(stratum);
            built.frame.push('\n');
            built.rows += 1;
        }
    }
    built
}

/// Parses a stored frame; `None` names the first bad line.
pub fn parse_frame(text: &str) -> Result<Vec<draw::FrameRow>, usize> {
    // A handful of strata: one shared text each.
    let mut strata: Vec<std::sync::Arc<str>> = Vec::new();
    let mut frame = Vec::with_capacity(text.len() / 21);
    for (index, line) in text.lines().enumerate() {
        let (id, stratum) = line.split_once('\t').ok_or(index + 1)?;
        let stratum = match strata.iter().find(|s| &***s == stratum) {
            Some(shared) => shared.clone(),
            None => {
                let shared: std::sync::Arc<str> = stratum.into();
                strata.push(shared.clone());
                shared
            }
        };
        frame.push(draw::FrameRow {
            id: id.into(),
            stratum,
        });
    }
    Ok(frame)
}

/// The exclusion of a stored line.
fn exclusion_of(id: &str, rules: &str) -> Exclusion {
    Exclusion {
        uscc: id.to_owned(),
        rules: rules
            .split(';')
            .map(|rule| {
                let (code, fact) = rule.split_once('=').unwrap_or((rule, ""));
                (code.to_owned(), fact.to_owned())
            })
            .collect(),
    }
}

/// Every stored exclusion.
pub fn parse_exclusions(text: &str) -> Vec<Exclusion> {
    text.lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(id, rules)| exclusion_of(id, rules))
        .collect()
}

/// The stored exclusion of `uscc`, if any.
pub fn find_exclusion(text: &str, uscc: &str) -> Option<Exclusion> {
    text.lines().find_map(|line| {
        let (id, rules) = line.split_once('\t')?;
        (id == uscc).then(|| exclusion_of(id, rules))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::entity::EntityType;
    use domain::plan::PlanFields;

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
            occasion: format!("{department}@{on}"),
            department: department.into(),
            on: date(on),
            inspectors: vec!["X1".into()],
        };
        history.add("D", visit("WJW", "2026-01-10"));
        history.add("D", visit("YJJ", "2026-02-10"));
        history.add("H", visit("SJJ", "2025-12-01"));
        history.add("B", visit("SJJ", "2025-06-01"));
        // One joint visit by three departments counts once towards the annual cap.
        for department in ["A1", "A2", "A3"] {
            history.add(
                "E",
                PastInspection {
                    occasion: "R/E".into(),
                    ..visit(department, "2026-01-20")
                },
            );
        }
        let rules = EligibilityRules::default();
        let candidates = CandidateIndex::new(candidates);
        let built = build_frame(&plan(false), &candidates, &history, &rules, start);
        let (frame, exclusions) = (
            parse_frame(&built.frame).unwrap_or_default(),
            parse_exclusions(&built.exclusions),
        );
        assert_eq!((built.rows, built.excluded), (3, 4));
        let rows: Vec<(&str, &str)> = frame.iter().map(|r| (&*r.id, &*r.stratum)).collect();
        assert_eq!(rows, [("B", "B"), ("E", "U"), ("F", "N")]);
        let excluded: Vec<(&str, String)> = exclusions
            .iter()
            .map(|e| (e.uscc.as_str(), e.codes()))
            .collect();
        let expected = [
            ("A", "class_a"),
            ("C", "status"),
            ("D", "annual_cap"),
            ("H", "cooling_off"),
        ];
        assert_eq!(excluded, expected.map(|(u, c)| (u, c.to_owned())));
        assert!(
            exclusions[3]
                .describe(&rules, start)
                .contains("SJJ于2025-12-01检查过该主体，未满180天")
        );
        assert!(
            exclusions[2]
                .describe(&rules, start)
                .contains("2026年已被检查2次")
        );
        assert!(
            exclusions[1]
                .describe(&rules, start)
                .contains("登记状态为注销")
        );
        // Required by law: class A stays. Excluding new entities: F goes.
        let strict = EligibilityRules {
            new_entities: NewEntityPolicy::Exclude,
            ..rules
        };
        let built = build_frame(&plan(true), &candidates, &history, &strict, start);
        let (frame, exclusions) = (
            parse_frame(&built.frame).unwrap_or_default(),
            parse_exclusions(&built.exclusions),
        );
        assert!(frame.iter().any(|r| &*r.id == "A" && &*r.stratum == "A"));
        assert!(
            exclusions
                .iter()
                .any(|e| e.uscc == "F" && e.codes() == "new_entity")
        );
        assert_eq!(
            find_exclusion(&built.exclusions, "F").as_ref(),
            exclusions.iter().find(|e| e.uscc == "F")
        );
        assert_eq!(
            draw::sha256(&[built.frame.as_bytes()]),
            draw::frame_digest(&frame),
            "the stored text hashes to the frame digest"
        );
    }

    #[test]
    fn previous_inspectors_are_those_of_the_latest_visit() {
        let mut history = History::default();
        history.add(
            "E",
            PastInspection {
                occasion: "1".into(),
                department: "A".into(),
                on: date("2026-01-01"),
                inspectors: vec!["1".into()],
            },
        );
        history.add(
            "E",
            PastInspection {
                occasion: "2".into(),
                department: "B".into(),
                on: date("2026-03-01"),
                inspectors: vec!["2".into(), "3".into()],
            },
        );
        assert_eq!(
            history.previous_inspectors("E", date("2026-04-01")),
            ["2", "3"]
        );
        assert_eq!(history.previous_inspectors("E", date("2026-02-01")), ["1"]);
        assert!(
            history
                .previous_inspectors("Z", date("2026-04-01"))
                .is_empty()
        );
    }
}
