//! Exports of the HICP catalog and of assessments to interchange formats: JSON, CSV, XLSX
//! and OSCAL (catalog, assessment plan, assessment results, POA&M). The CLI and the web app
//! both write every one of these through this crate.
//!
//! Serialization is a boundary: the domain types in `hicp-core` do not derive `Serialize`;
//! the versioned shapes of each format live here.

pub mod assessment;
pub mod assessment_json;
pub mod assessment_oscal;
pub mod catalog_csv;
pub mod catalog_json;
pub mod findings;
pub mod oscal;
pub mod sheets;

/// An error writing an export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("could not write CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("could not write JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("could not write the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("could not write: {0}")]
    Io(#[from] std::io::Error),
}
