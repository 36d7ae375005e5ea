//! The SVG charts live in `hicp-report`, shared with the HTML report; re-exported here for the
//! pages.

pub use hicp_report::charts::{Bar, bar_chart, bar_chart_with_id};
