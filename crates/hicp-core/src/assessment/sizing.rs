//! The organization profile and the size classifier.
//!
//! HICP gives one verified threshold (10 or fewer physicians is small); every other number here
//! is OURS, documented in docs/sizing.md, and the user can always override the result.

use crate::catalog::Tier;

/// What kind of organization answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrgType {
    PhysicianPractice,
    Hospital,
    PostAcute,
    Payer,
    DeviceManufacturer,
    BusinessAssociate,
    Other,
}

impl OrgType {
    pub const ALL: [OrgType; 7] = [
        OrgType::PhysicianPractice,
        OrgType::Hospital,
        OrgType::PostAcute,
        OrgType::Payer,
        OrgType::DeviceManufacturer,
        OrgType::BusinessAssociate,
        OrgType::Other,
    ];

    /// The spelling used in answers files, e.g. `physician-practice`.
    pub fn name(self) -> &'static str {
        match self {
            OrgType::PhysicianPractice => "physician-practice",
            OrgType::Hospital => "hospital",
            OrgType::PostAcute => "post-acute",
            OrgType::Payer => "payer",
            OrgType::DeviceManufacturer => "device-manufacturer",
            OrgType::BusinessAssociate => "business-associate",
            OrgType::Other => "other",
        }
    }

    pub fn from_name(s: &str) -> Option<OrgType> {
        OrgType::ALL.into_iter().find(|t| t.name() == s)
    }
}

/// The sizing questions. Every count is optional: unanswered questions do not count.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    pub name: Option<String>,
    pub org_type: Option<OrgType>,
    /// Physicians and other independent providers (NPs, PAs).
    pub physicians: Option<u32>,
    pub staffed_beds: Option<u32>,
    /// Employees and contractors (head count, not FTE).
    pub workforce: Option<u32>,
    /// Computers, servers, network gear, phones, connected medical devices.
    pub it_assets: Option<u32>,
    /// People whose job is IT (employees, not an outside IT company).
    pub it_staff: Option<u32>,
    /// People whose job is cybersecurity.
    pub security_staff: Option<u32>,
    pub sites: Option<u32>,
}

/// One measure and the tier it points to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signal {
    pub tier: Tier,
    /// For example "8 physicians (HICP: 10 or fewer is small)".
    pub text: String,
}

/// The classifier's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sizing {
    /// `None` when no sizing question was answered.
    pub tier: Option<Tier>,
    pub signals: Vec<Signal>,
    /// One plain sentence, e.g. "8 physicians and no dedicated IT staff: small, HICP Technical Volume 1".
    pub explanation: String,
}

/// Our thresholds (docs/sizing.md). `(upper bound for small, upper bound for medium)`, inclusive.
pub const PHYSICIANS: (u32, u32) = (10, 50);
pub const STAFFED_BEDS: (u32, u32) = (50, 500);
pub const WORKFORCE: (u32, u32) = (99, 999);
pub const IT_ASSETS: (u32, u32) = (499, 9_999);

fn band(n: u32, (small, medium): (u32, u32)) -> Tier {
    if n <= small {
        Tier::Small
    } else if n <= medium {
        Tier::Medium
    } else {
        Tier::Large
    }
}

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The volume that covers a tier, for the explanation.
pub fn volume(tier: Tier) -> &'static str {
    match tier {
        Tier::Small => "HICP Technical Volume 1",
        Tier::Medium => "HICP Technical Volume 2, medium sub-practices",
        Tier::Large => "HICP Technical Volume 2, medium and large sub-practices",
    }
}

/// Sizes an organization: the largest tier any answered measure points to (a practice with few
/// physicians but thousands of IT assets is not small). Physicians count for practices (and
/// unknown types), staffed beds for hospitals and post-acute care (and unknown types), workforce
/// and IT assets for everyone. Dedicated IT and security staff only explain.
pub fn classify(p: &Profile) -> Sizing {
    let inpatient = matches!(p.org_type, Some(OrgType::Hospital | OrgType::PostAcute));
    let practice = matches!(p.org_type, Some(OrgType::PhysicianPractice));
    let counts_physicians = !inpatient
        && matches!(
            p.org_type,
            None | Some(OrgType::PhysicianPractice | OrgType::Other)
        );
    let counts_beds = !practice
        && matches!(
            p.org_type,
            None | Some(OrgType::Hospital | OrgType::PostAcute | OrgType::Other)
        );
    let mut signals = Vec::new();
    if let Some(n) = p.physicians.filter(|_| counts_physicians) {
        let tier = band(n, PHYSICIANS);
        let why = if tier == Tier::Small {
            " (HICP: 10 or fewer is small)"
        } else {
            ""
        };
        signals.push(Signal {
            tier,
            text: format!("{}{why}", plural(n, "physician", "physicians")),
        });
    }
    if let Some(n) = p.staffed_beds.filter(|_| counts_beds) {
        signals.push(Signal {
            tier: band(n, STAFFED_BEDS),
            text: plural(n, "staffed bed", "staffed beds"),
        });
    }
    if let Some(n) = p.workforce {
        signals.push(Signal {
            tier: band(n, WORKFORCE),
            text: format!("a workforce of {n}"),
        });
    }
    if let Some(n) = p.it_assets {
        signals.push(Signal {
            tier: band(n, IT_ASSETS),
            text: plural(n, "IT asset", "IT assets"),
        });
    }
    let tier = signals.iter().map(|s| s.tier).max();
    let staff = match (p.it_staff, p.security_staff) {
        (Some(0) | None, Some(0) | None) if p.it_staff.is_some() || p.security_staff.is_some() => {
            Some("no dedicated IT or security staff".to_owned())
        }
        (Some(it), Some(0)) => Some(format!(
            "{} and none for security",
            plural(it, "IT staff member", "IT staff")
        )),
        (_, Some(sec)) if sec > 0 => Some(plural(
            sec,
            "dedicated security person",
            "dedicated security staff",
        )),
        (Some(it), None) => Some(plural(it, "IT staff member", "IT staff")),
        _ => None,
    };
    let explanation = match tier {
        None => "no sizing question answered (physicians, staffed beds, workforce, IT assets): set `tier` yourself".to_owned(),
        Some(t) => {
            // Name the deciding measures first, then the others.
            let mut parts: Vec<String> = signals.iter().filter(|s| s.tier == t).map(|s| s.text.clone()).collect();
            parts.extend(signals.iter().filter(|s| s.tier != t).map(|s| format!("{} ({})", s.text, s.tier)));
            parts.extend(staff);
            let mut text = format!("{}: {t}, {}", join_and(&parts), volume(t));
            if t == Tier::Small && p.security_staff.is_some_and(|n| n > 0) {
                text.push_str("; with dedicated security staff you may also opt in to medium sub-practices");
            }
            text
        }
    };
    Sizing {
        tier,
        signals,
        explanation,
    }
}

fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(
        physicians: Option<u32>,
        beds: Option<u32>,
        workforce: Option<u32>,
        assets: Option<u32>,
    ) -> Profile {
        Profile {
            physicians,
            staffed_beds: beds,
            workforce,
            it_assets: assets,
            ..Profile::default()
        }
    }

    #[test]
    fn ten_physicians_is_small_and_eleven_is_not() {
        assert_eq!(
            classify(&profile(Some(10), None, None, None)).tier,
            Some(Tier::Small)
        );
        assert_eq!(
            classify(&profile(Some(11), None, None, None)).tier,
            Some(Tier::Medium)
        );
        assert_eq!(
            classify(&profile(Some(51), None, None, None)).tier,
            Some(Tier::Large)
        );
    }

    #[test]
    fn the_largest_measure_decides() {
        let s = classify(&profile(Some(4), Some(120), Some(60), None));
        assert_eq!(s.tier, Some(Tier::Medium));
        assert!(
            s.explanation
                .starts_with("120 staffed beds, 4 physicians (HICP: 10 or fewer is small) (small)"),
            "{}",
            s.explanation
        );
        assert_eq!(
            classify(&profile(None, None, Some(1000), None)).tier,
            Some(Tier::Large)
        );
        assert_eq!(
            classify(&profile(None, None, None, Some(10_000))).tier,
            Some(Tier::Large)
        );
    }

    #[test]
    fn explains_a_small_practice_plainly() {
        let p = Profile {
            physicians: Some(8),
            it_staff: Some(0),
            security_staff: Some(0),
            ..Profile::default()
        };
        assert_eq!(
            classify(&p).explanation,
            "8 physicians (HICP: 10 or fewer is small) and no dedicated IT or security staff: small, HICP Technical Volume 1"
        );
    }

    #[test]
    fn hospitals_are_sized_by_beds_not_physicians() {
        let p = Profile {
            org_type: Some(OrgType::Hospital),
            physicians: Some(80),
            staffed_beds: Some(120),
            workforce: Some(650),
            ..Profile::default()
        };
        let s = classify(&p);
        assert_eq!(s.tier, Some(Tier::Medium));
        assert!(!s.explanation.contains("physicians"), "{}", s.explanation);
    }

    #[test]
    fn no_answers_no_tier() {
        let s = classify(&Profile::default());
        assert_eq!(s.tier, None);
        assert!(s.explanation.contains("set `tier`"));
    }
}
