//! The HICP domain. Pure: it parses text it is given and knows no files, SQL or HTTP.
//!
//! * [`catalog`]: the HICP catalog (threats, practices, sub-practices, reference lists),
//!   loaded from YAML text and validated.
//! * [`assessment`]: answers files, sizing, scoring, recognized security practices and the
//!   action plan.

pub mod assessment;
pub mod catalog;
