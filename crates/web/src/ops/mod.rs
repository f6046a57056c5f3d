//! What the staff pages (`staff`) and the JSON API (`api`) both do, with no
//! HTML and no JSON of their own: authorize the caller, call the service
//! layer, shape the rows. Pages render these rows; the API serializes them.

pub mod accounts;
pub mod credit;
pub mod credit_repair;
pub mod dashboard;
pub mod directories;
pub mod hotline;
pub mod ledger;
pub mod lists;
pub mod names;
pub mod plans;
pub mod reports;
pub mod results;
pub mod rounds;
pub mod supervision;
