//! Storage of 行政复议 applications and 行政诉讼 hearings (issue 20), as
//! documents on the ledger (one entry per document written).

use super::workflow::Document;
use domain::reconsideration::{LitigationCase, Reconsideration};

impl Document for Reconsideration {
    const NOUN: &'static str = "reconsideration";
    const TABLE: &'static str = "reconsiderations";
    const COLUMNS: &'static [&'static str] = &["respondent", "received_on", "decision"];
    fn key(&self) -> String {
        self.id.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![
            Some(self.respondent.clone()),
            Some(self.received_on.to_string()),
            self.decision.map(|d| d.as_str().to_owned()),
        ]
    }
}

impl Document for LitigationCase {
    const NOUN: &'static str = "litigation case";
    const TABLE: &'static str = "litigations";
    const COLUMNS: &'static [&'static str] = &["defendant", "hearing_on"];
    fn key(&self) -> String {
        self.id.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![
            Some(self.defendant.clone()),
            Some(self.hearing_on.to_string()),
        ]
    }
}
