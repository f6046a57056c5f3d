//! Storage of the comprehensive window's files (issue 21, item 2): one
//! document per application received at the window, with the columns the
//! queues and the public status page read.

use super::workflow::Document;
use domain::window::WindowFile;

impl Document for WindowFile {
    const NOUN: &'static str = "window file";
    const TABLE: &'static str = "service_window";
    const COLUMNS: &'static [&'static str] = &["stage", "department", "due", "query_code"];
    fn key(&self) -> String {
        self.id.clone()
    }
    fn columns(&self) -> Vec<Option<String>> {
        vec![
            Some(self.stage.as_str().to_owned()),
            Some(self.department.clone()),
            self.due.map(|d| d.to_string()),
            Some(self.query_code.clone()),
        ]
    }
}
