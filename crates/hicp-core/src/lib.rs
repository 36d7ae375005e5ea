//! The HICP domain. Pure: it parses text it is given and knows no files, SQL or HTTP.
//!
//! * [`catalog`]: the HICP catalog (threats, practices, sub-practices, reference lists),
//!   loaded from YAML text and validated.

pub mod catalog;
