//! The questionnaire: one page per practice, each answer saved as it is given, and evidence.

use hicp_core::assessment::Status;

mod answer;
mod evidence;
mod practice;
mod views;

pub use answer::save_answer;
pub(crate) use evidence::evidence_download;
pub use evidence::{add_evidence, delete_evidence, download_evidence, evidence_form};
pub use practice::{practice, set_sub_practice};

pub(crate) const STATUS_LABELS: [(Status, &str); 5] = [
    (Status::NotStarted, "Not started"),
    (Status::Partial, "Partly"),
    (Status::Largely, "Largely"),
    (Status::Implemented, "Yes, in place"),
    (Status::NotApplicable, "Does not apply"),
];

/// An answer's status as the questionnaire words it.
pub fn answer_label(status: Status) -> &'static str {
    STATUS_LABELS
        .iter()
        .find(|(s, _)| *s == status)
        .map_or("", |(_, l)| l)
}

/// An id safe in HTML ids and CSS selectors (criterion ids contain dots).
pub fn dom_id(id: &str) -> String {
    id.replace('.', "-")
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}
