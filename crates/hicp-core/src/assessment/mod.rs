//! The assessment engine: size an organization, score its answers against the five threats and
//! the frameworks, explain any score, check recognized security practices, and build a ranked
//! action plan. Pure: the caller passes the answers text, the catalog and "today".
//!
//! * [`answers`]: the answers file (YAML) and its validation.
//! * [`sizing`]: the organization profile and the size classifier.
//! * [`scoring`]: scores from criterion to overall, CSF 2.0, HPH CPG and HIPAA coverage.
//! * [`explain`]: how one score was reached.
//! * [`rsp`]: recognized security practices (Public Law 116-321: in place for 12 months).
//! * [`plan`]: the prioritized action plan.
//! * [`findings`]: the scan findings beside it: KEV-listed and past HICP Table 8, ranked.
//! * [`readiness`]: which requirements of the proposed HIPAA Security Rule changes (January
//!   2025) the answers already cover; a derived view, never HHS's.
//! * [`template`]: a commented answers template for a tier.
//! * [`export`]: answers written back as an answers file.

pub mod answers;
pub mod date;
pub mod explain;
pub mod export;
pub mod findings;
pub mod plan;
pub mod readiness;
pub mod rsp;
pub mod scoring;
pub mod sizing;
pub mod template;

pub use answers::{
    Answers, AnswersError, CriterionAnswer, Evidence, PracticeProgress, Progress, Status, parse,
    weight_allowed,
};
pub use date::Date;
pub use export::to_yaml;
pub use scoring::{Coverage, Scores, score};
pub use sizing::{OrgType, Profile, Sizing, classify};
