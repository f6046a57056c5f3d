//! Names next to codes. A page collects the codes it shows (entities,
//! inspectors), asks [`Names::load`] once — the small directories whole, the
//! entities and inspectors of the page in one query each — and renders every
//! code as a [`Named`]: the name first, the code small beside it (selectable
//! with one click, for copying). A code never stands alone, and a code the
//! directories do not know still shows as itself.

use std::collections::{BTreeSet, HashMap};

use askama::Template;

use crate::AppState;
use crate::error::Result;
use storage::Store;

/// A code with its name (and, for an entity, its address), as HTML: render
/// with `|safe` (the template escapes every part).
#[derive(Template, Debug, Clone, PartialEq, Eq)]
#[template(
    ext = "html",
    source = r#"{% if name.is_empty() %}<code class="code" title="代码">{{ code }}</code>{% else %}<span class="named">{{ name }} <code class="code" title="代码（点击选中以复制）">{{ code }}</code>{% if !detail.is_empty() %}<small class="muted named-detail">{{ detail }}</small>{% endif %}</span>{% endif %}"#
)]
pub(crate) struct Named {
    /// The name; empty when unknown.
    pub name: String,
    /// The code.
    pub code: String,
    /// A second line (an entity's address); may be empty.
    pub detail: String,
}

impl Named {
    /// The code with its name, or alone when the name is unknown.
    fn new(code: &str, name: Option<&String>) -> Self {
        Self {
            name: name.cloned().unwrap_or_default(),
            code: code.to_owned(),
            detail: String::new(),
        }
    }

    /// The name, or the code when it is unknown: for plain text (titles, messages).
    pub fn text(&self) -> &str {
        if self.name.is_empty() {
            &self.code
        } else {
            &self.name
        }
    }
}

/// An entity's name and address.
#[derive(Debug, Clone)]
struct EntityLabel {
    name: String,
    address: String,
}

/// The names a page needs, looked up once ([`Names::load`]).
#[derive(Debug, Default)]
pub(crate) struct Names {
    departments: HashMap<String, String>,
    districts: HashMap<String, String>,
    items: HashMap<String, String>,
    entities: HashMap<String, EntityLabel>,
    inspectors: HashMap<String, String>,
}

impl Names {
    /// Departments, districts and items (the small directories, whole), and
    /// the entities and inspectors named by these codes (one query each).
    /// [`Names::directories`] when a page names neither.
    pub(crate) async fn load(
        state: &AppState,
        entities: &[&str],
        inspectors: &[&str],
    ) -> Result<Self> {
        let codes = |list: &[&str]| {
            list.iter()
                .copied()
                .collect::<BTreeSet<&str>>()
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let (entity_codes, inspector_codes) = (codes(entities), codes(inspectors));
        let db = &state.db;
        let mut names = Self::default();
        for department in db.departments().await? {
            names.departments.insert(
                department.code().as_str().to_owned(),
                department.name().to_owned(),
            );
        }
        for district in db.districts().await? {
            names.districts.insert(
                district.code().as_str().to_owned(),
                district.name().to_owned(),
            );
        }
        for item in db.items(None).await? {
            names.items.insert(
                item.fields().code.as_str().to_owned(),
                item.fields().name.clone(),
            );
        }
        for item in db.joint_items(None).await? {
            names.items.insert(
                item.fields().code.as_str().to_owned(),
                item.fields().name.clone(),
            );
        }
        for entity in db.entities_in(&entity_codes).await? {
            let fields = entity.fields();
            names.entities.insert(
                fields.uscc.as_str().to_owned(),
                EntityLabel {
                    name: fields.name.clone(),
                    address: fields.address.clone().unwrap_or_default(),
                },
            );
        }
        for inspector in db.inspectors_in(&inspector_codes).await? {
            let fields = inspector.fields();
            names
                .inspectors
                .insert(fields.cert_no.as_str().to_owned(), fields.name.clone());
        }
        Ok(names)
    }

    /// Departments, districts and items only.
    pub(crate) async fn directories(state: &AppState) -> Result<Self> {
        Self::load(state, &[], &[]).await
    }

    /// A department by code.
    pub fn department(&self, code: &str) -> Named {
        Named::new(code, self.departments.get(code))
    }

    /// A district by code; an empty code is the whole city.
    pub fn district(&self, code: &str) -> Named {
        Named::new(code, self.districts.get(code))
    }

    /// An inspection item (or joint item) by code.
    pub fn item(&self, code: &str) -> Named {
        Named::new(code, self.items.get(code))
    }

    /// A market entity by 统一社会信用代码, with its address.
    pub fn entity(&self, code: &str) -> Named {
        match self.entities.get(code) {
            Some(label) => Named {
                name: label.name.clone(),
                code: code.to_owned(),
                detail: label.address.clone(),
            },
            None => Named::new(code, None),
        }
    }

    /// An inspector by certificate number.
    pub fn inspector(&self, cert: &str) -> Named {
        Named::new(cert, self.inspectors.get(cert))
    }

    /// A rectification notice's subject (`out_of_plan:ID`, `result:ID`,
    /// `plan:ID`) in words, with the department's name: 计划外检查
    /// FGW-2025-0008（市发展和改革委员会）.
    pub fn subject(&self, subject: &str, department: &str) -> String {
        let department = self.department(department);
        let what = match domain::rectification::SupervisedObject::parse(subject) {
            Some(object) => format!("{} {}", object.kind.noun(), object.id),
            None => subject.to_owned(),
        };
        format!("{what}（{}）", department.text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        let mut names = Names::default();
        names
            .departments
            .insert("FGW".into(), "市发展和改革委员会".into());
        names.entities.insert(
            "91420200MA49XXXX0X".into(),
            EntityLabel {
                name: "黄石<好>食品有限公司".into(),
                address: "黄石港区湖滨大道 1 号".into(),
            },
        );
        names
    }

    #[test]
    fn a_subject_reads_as_words_with_the_department_name() {
        assert_eq!(
            names().subject("out_of_plan:FGW-2025-0008", "FGW"),
            "计划外检查 FGW-2025-0008（市发展和改革委员会）"
        );
        assert_eq!(names().subject("result:X", "WJW"), "检查结果 X（WJW）");
    }

    #[test]
    fn a_name_comes_first_escaped_and_an_unknown_code_stands_as_itself() {
        let html = names()
            .entity("91420200MA49XXXX0X")
            .render()
            .unwrap_or_default();
        assert!(
            html.starts_with("<span class=\"named\">黄石&#60;好&#62;食品有限公司 <code"),
            "{html}"
        );
        assert!(html.contains("黄石港区湖滨大道 1 号"), "{html}");
        let unknown = names().department("SCJG").render().unwrap_or_default();
        assert_eq!(unknown, "<code class=\"code\" title=\"代码\">SCJG</code>");
    }
}
