//! Public search over everything the portal shows: requests that are public, news, agenda,
//! projects, services and units, in Indonesian.
//!
//! - `analyzer`: Indonesian analysis (Snowball stemmer) shared by indexing and querying.
//! - `index`: the tantivy index, queries with typo tolerance, facets and highlighted snippets.
//! - `docs`: the only place that turns stored things into search documents (public only).
//! - `sync`: follows the event feed so every node's index converges; rebuilds from scratch.

pub mod analyzer;
pub mod docs;
mod facets;
pub mod index;
pub mod sync;

pub use index::{DocKind, Hit, SearchDoc, SearchIndex, SearchQuery, SearchResults};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(String),
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index files: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Storage(#[from] kotapintar_storage::StorageError),
}
