//! Export iteration: every record of a directory, in key order, a batch at a
//! time, without holding the directory in memory.
//!
//! ```no_run
//! # async fn example(db: &storage::Db) -> Result<(), storage::StoreError> {
//! use storage::{EntityFilter, export::Entities};
//! let mut export = Entities::new(db, EntityFilter::default(), 5_000);
//! while let Some(batch) = export.next_batch().await? {
//!     for entity in batch { /* write a row */ }
//! }
//! # Ok(()) }
//! ```

use super::{EntityFilter, InspectorFilter, MAX_PAGE, PageRequest, Store, StoreError};
use domain::entity::MarketEntity;
use domain::inspector::{Inspector, Recusal};

/// Pages through a keyset listing until its last page.
struct Cursor {
    after: Option<String>,
    batch: u32,
    done: bool,
}

impl Cursor {
    fn new(batch: u32) -> Self {
        Self {
            after: None,
            batch: batch.clamp(1, MAX_PAGE),
            done: false,
        }
    }

    fn request(&self) -> Option<PageRequest> {
        (!self.done).then(|| PageRequest {
            after: self.after.clone(),
            limit: self.batch,
        })
    }

    fn advance<T>(&mut self, items: Vec<T>, next: Option<String>) -> Option<Vec<T>> {
        self.done = next.is_none();
        self.after = next;
        (!items.is_empty()).then_some(items)
    }
}

/// Every entity matching a filter, by 统一社会信用代码.
pub struct Entities<'s, S: Store> {
    store: &'s S,
    filter: EntityFilter,
    cursor: Cursor,
}

impl<'s, S: Store> Entities<'s, S> {
    /// Batches of `batch` entities (1 to [`MAX_PAGE`]).
    pub fn new(store: &'s S, filter: EntityFilter, batch: u32) -> Self {
        Self {
            store,
            filter,
            cursor: Cursor::new(batch),
        }
    }

    /// The next batch, or `None` after the last.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<MarketEntity>>, StoreError> {
        let Some(request) = self.cursor.request() else {
            return Ok(None);
        };
        let page = self.store.search_entities(&self.filter, &request).await?;
        Ok(self.cursor.advance(page.items, page.next))
    }
}

/// Every inspector matching a filter, by certificate number.
pub struct Inspectors<'s, S: Store> {
    store: &'s S,
    filter: InspectorFilter,
    cursor: Cursor,
}

impl<'s, S: Store> Inspectors<'s, S> {
    /// Batches of `batch` inspectors (1 to [`MAX_PAGE`]).
    pub fn new(store: &'s S, filter: InspectorFilter, batch: u32) -> Self {
        Self {
            store,
            filter,
            cursor: Cursor::new(batch),
        }
    }

    /// The next batch, or `None` after the last.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<Inspector>>, StoreError> {
        let Some(request) = self.cursor.request() else {
            return Ok(None);
        };
        let page = self.store.search_inspectors(&self.filter, &request).await?;
        Ok(self.cursor.advance(page.items, page.next))
    }
}

/// Every recusal, by (inspector, entity).
pub struct Recusals<'s, S: Store> {
    store: &'s S,
    cursor: Cursor,
}

impl<'s, S: Store> Recusals<'s, S> {
    /// Batches of `batch` recusals (1 to [`MAX_PAGE`]).
    pub fn new(store: &'s S, batch: u32) -> Self {
        Self {
            store,
            cursor: Cursor::new(batch),
        }
    }

    /// The next batch, or `None` after the last.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<Recusal>>, StoreError> {
        let Some(request) = self.cursor.request() else {
            return Ok(None);
        };
        let page = self.store.recusals(&request).await?;
        Ok(self.cursor.advance(page.items, page.next))
    }
}
