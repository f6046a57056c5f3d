//! The city the database serves, for every page: its name heads the layout,
//! the portal and the dashboard.
//!
//! [`CityCell`] caches the city once it is set up (a city never changes); until
//! then every request asks the database, so a `jianguan setup` run while the
//! server is up shows at once. [`with_city`] puts the name in scope for the
//! request, and [`current_name`] reads it where pages are rendered.

use std::sync::{Arc, OnceLock};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;
use domain::divisions::CityRecord;
use storage::{Store, StoreError};

/// The city set up, cached once known.
#[derive(Debug, Default)]
pub struct CityCell(OnceLock<Arc<CityRecord>>);

impl CityCell {
    /// The city set up, if any (read from the database until it is).
    pub async fn get<S: Store>(&self, db: &S) -> Result<Option<Arc<CityRecord>>, StoreError> {
        if let Some(city) = self.0.get() {
            return Ok(Some(Arc::clone(city)));
        }
        Ok(db
            .city()
            .await?
            .map(|city| Arc::clone(self.0.get_or_init(|| Arc::new(city)))))
    }
}

tokio::task_local! {
    static CITY_NAME: Arc<str>;
}

/// Middleware: runs the request with the city's name in scope ("" without a city,
/// or when the database cannot say).
pub async fn with_city(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let name: Arc<str> = match state.city.get(&state.db).await {
        Ok(Some(city)) => Arc::from(city.name.as_str()),
        _ => Arc::from(""),
    };
    CITY_NAME.scope(name, next.run(request)).await
}

/// The city's name for the request being answered, e.g. `宜昌市`; "" without a city.
pub fn current_name() -> String {
    CITY_NAME
        .try_with(|name| name.to_string())
        .unwrap_or_default()
}
