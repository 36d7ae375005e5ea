//! Identifier newtypes and the size tier.

use std::fmt;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// A sub-practice id as HICP prints it: `<practice>.<S|M|L>.<letter>`, e.g. `7.M.D`.
    SubPracticeId
);
string_id!(
    /// A criterion id: `<sub-practice>.c<n>`, e.g. `1.S.A.c2`.
    CriterionId
);
string_id!(
    /// An action id: `<sub-practice>.a<n>`, e.g. `1.S.A.a1`.
    ActionId
);
string_id!(
    /// A threat id, e.g. `ransomware`.
    ThreatId
);

impl SubPracticeId {
    /// Parses and checks the shape `<1-10>.<S|M|L>.<A-Z>`.
    pub fn parse(s: &str) -> Option<(SubPracticeId, u8, Tier)> {
        let mut parts = s.split('.');
        let (n, t, l) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || n.starts_with('0') {
            return None;
        }
        let number: u8 = n.parse().ok()?;
        if !(1..=10).contains(&number) {
            return None;
        }
        let tier = Tier::from_letter(t)?;
        let mut letters = l.chars();
        match (letters.next(), letters.next()) {
            (Some(c), None) if c.is_ascii_uppercase() => {}
            _ => return None,
        }
        Some((SubPracticeId(s.to_owned()), number, tier))
    }
}

impl CriterionId {
    pub(crate) fn new(s: String) -> Self {
        CriterionId(s)
    }

    /// Checks the shape `<sub-practice>.c<n>` (not whether the catalog has it).
    pub fn parse(s: &str) -> Option<CriterionId> {
        item_shaped(s, 'c').then(|| CriterionId(s.to_owned()))
    }
}

impl ActionId {
    pub(crate) fn new(s: String) -> Self {
        ActionId(s)
    }

    /// Checks the shape `<sub-practice>.a<n>` (not whether the catalog has it).
    pub fn parse(s: &str) -> Option<ActionId> {
        item_shaped(s, 'a').then(|| ActionId(s.to_owned()))
    }
}

/// `<sub-practice>.<letter><n>` with `n` a number without leading zero.
fn item_shaped(s: &str, letter: char) -> bool {
    let Some((sub_practice, item)) = s.rsplit_once('.') else {
        return false;
    };
    let number = item.strip_prefix(letter).unwrap_or("");
    SubPracticeId::parse(sub_practice).is_some()
        && !number.is_empty()
        && !number.starts_with('0')
        && number.bytes().all(|b| b.is_ascii_digit())
}

impl ThreatId {
    pub(crate) fn new(s: String) -> Self {
        ThreatId(s)
    }
}

/// The size tier of an organization, and the volume a sub-practice belongs to:
/// small (Technical Volume 1, `n.S.x`), medium and large (Technical Volume 2, `n.M.x`, `n.L.x`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    Small,
    Medium,
    Large,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Small, Tier::Medium, Tier::Large];

    pub fn from_letter(s: &str) -> Option<Tier> {
        match s {
            "S" => Some(Tier::Small),
            "M" => Some(Tier::Medium),
            "L" => Some(Tier::Large),
            _ => None,
        }
    }

    pub fn letter(self) -> &'static str {
        match self {
            Tier::Small => "S",
            Tier::Medium => "M",
            Tier::Large => "L",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Tier::Small => "small",
            Tier::Medium => "medium",
            Tier::Large => "large",
        }
    }

    pub fn from_name(s: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.name() == s)
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criterion_and_action_ids_parse_only_in_hicp_shape() {
        assert_eq!(CriterionId::parse("1.S.A.c2").unwrap().as_str(), "1.S.A.c2");
        assert_eq!(
            ActionId::parse("10.L.B.a12").unwrap().as_str(),
            "10.L.B.a12"
        );
        for bad in [
            "1.S.A.a2",
            "1.S.A.c",
            "1.S.A.c02",
            "1.S.A",
            "11.S.A.c1",
            "1.S.A.c1x",
            "",
        ] {
            assert!(CriterionId::parse(bad).is_none(), "{bad}");
        }
        assert!(ActionId::parse("1.S.A.c1").is_none());
    }

    #[test]
    fn sub_practice_ids_parse_only_in_hicp_shape() {
        let (id, n, t) = SubPracticeId::parse("10.M.A").unwrap();
        assert_eq!((id.as_str(), n, t), ("10.M.A", 10, Tier::Medium));
        for bad in [
            "11.M.A", "0.S.A", "01.S.A", "1.X.A", "1.S.AA", "1.S.a", "1.S", "1.S.A.c1", "",
        ] {
            assert!(
                SubPracticeId::parse(bad).is_none(),
                "{bad} should not parse"
            );
        }
    }
}
