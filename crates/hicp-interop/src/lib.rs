//! Exports of the HICP catalog to interchange formats: JSON, CSV and OSCAL.
//!
//! Serialization is a boundary: the domain types in `hicp-core` do not derive `Serialize`;
//! the versioned shapes of each format live here.

pub mod catalog_csv;
pub mod catalog_json;
pub mod oscal;

/// An error writing an export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("could not write CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("could not write JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("could not write: {0}")]
    Io(#[from] std::io::Error),
}
