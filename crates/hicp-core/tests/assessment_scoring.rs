//! Scoring, explanations, recognized security practices and the plan: hand-computed cases and
//! properties (every score in 0-100, improving never lowers a score, every gap planned once,
//! deterministic ranking, prerequisites first).

use hicp_core::assessment::explain::explain;
use hicp_core::assessment::plan::{CAPACITY_30_DAYS, CAPACITY_90_DAYS, Horizon, plan};
use hicp_core::assessment::rsp::rsp;
use hicp_core::assessment::scoring::{Coverage, Scores, rescore};
use hicp_core::assessment::{Answers, CriterionAnswer, Date, Evidence, Status, parse, score};
use hicp_core::catalog::{Catalog, Effort, SourceFile, Tier, load};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::sync::OnceLock;

fn catalog() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| {
        let files: Vec<SourceFile> = hicp_content::builtin_files()
            .into_iter()
            .map(|(path, text)| SourceFile { path, text })
            .collect();
        load(hicp_content::BUILTIN_ROOT, &files).expect("the built-in catalog is valid")
    })
}

fn date(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn close(a: Option<f64>, b: f64) {
    let a = a.expect("a score");
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

const HAND: &str = "\
tier: small
answers:
  - id: 7.S.A.c1
    status: implemented
  - id: 7.S.A.c2
    status: partial
  - id: 7.S.A.c3
    status: not_applicable
    reason: Our EHR vendor fixes its own findings.
  - id: 7.S.A.c4
    status: largely
";

#[test]
fn scores_follow_the_documented_arithmetic() {
    let a = parse("hand.yaml", HAND, catalog(), date("2026-10-01")).unwrap();
    let s = score(catalog(), &a);
    // Sub-practice: mean of applicable criteria, (100 + 50 + 75) / 3; c3 leaves the denominator.
    close(s.sub_practice("7.S.A").unwrap().score, 75.0);
    // Practice 7 has one small sub-practice.
    close(s.practice(7).unwrap().score, 75.0);
    close(s.practice(1).unwrap().score, 0.0);
    // Threats: mean over the practices that mitigate them (HICP's matrix).
    close(s.threat("ransomware").unwrap().score, 75.0 / 9.0);
    close(s.threat("insider-loss").unwrap().score, 75.0 / 8.0);
    close(s.threat("medical-devices").unwrap().score, 75.0 / 7.0);
    close(s.threat("social-engineering").unwrap().score, 0.0);
    // Overall: the mean of the five threats with default weights.
    close(s.overall, (75.0 / 9.0 + 75.0 / 8.0 + 75.0 / 7.0) / 5.0);
    // With ransomware weighted 2.
    let weighted = format!("{HAND}threat_weights:\n  ransomware: 2\n");
    let a = parse("hand.yaml", &weighted, catalog(), date("2026-10-01")).unwrap();
    close(
        score(catalog(), &a).overall,
        (2.0 * 75.0 / 9.0 + 75.0 / 8.0 + 75.0 / 7.0) / 6.0,
    );
}

#[test]
fn mapped_goals_are_met_partly_or_not() {
    let a = parse("hand.yaml", HAND, catalog(), date("2026-10-01")).unwrap();
    let s = score(catalog(), &a);
    // E1 (Mitigate Known Vulnerabilities) maps to 2.S.A, 7.S.A and 9.S.A: 0, 75, 0.
    let e1 = s.cpg.iter().find(|g| g.id == "E1").unwrap();
    assert_eq!(e1.status, Coverage::Partly);
    let e2 = s.cpg.iter().find(|g| g.id == "E2").unwrap();
    assert_eq!(e2.status, Coverage::NotMet);
    // Enhanced goals with nothing mapped among small sub-practices are out of scope.
    assert!(s.cpg.iter().any(|g| g.status == Coverage::NotInScope));
    assert!(s.csf.iter().any(|c| c.id == "ID" && c.score.is_some()));
    assert!(s.hipaa.iter().any(|h| h.id == "164.308(a)(1)(i)"));
}

#[test]
fn explanations_show_the_arithmetic_and_the_reasons() {
    let a = parse("hand.yaml", HAND, catalog(), date("2026-10-01")).unwrap();
    let s = score(catalog(), &a);
    let e = explain(catalog(), &a, &s, "7.S.A").unwrap();
    let text = e.lines.join("\n");
    assert!(
        text.contains(
            "7.S.A.c3: not_applicable, left out (Our EHR vendor fixes its own findings.)"
        ),
        "{text}"
    );
    assert!(
        text.contains("= (100.0 + 50.0 + 75.0) / 3 = 75.0"),
        "{text}"
    );
    let e = explain(catalog(), &a, &s, "overall").unwrap();
    assert!(
        e.lines
            .last()
            .unwrap()
            .ends_with(&format!("= {:.1}", s.overall.unwrap())),
        "{:?}",
        e.lines
    );
    for id in [
        "T2",
        "ransomware",
        "P7",
        "7",
        "7.S.A.c2",
        "ID",
        "ID.RA",
        "E1",
        "164.308(a)(1)(ii)(A)",
    ] {
        assert!(explain(catalog(), &a, &s, id).is_ok(), "{id}");
    }
    let err = explain(catalog(), &a, &s, "7.M.D").unwrap_err();
    assert!(
        err.to_string()
            .contains("7.M.D (not in scope for a small organization)"),
        "{err}"
    );
    let err = explain(catalog(), &a, &s, "ransomwar").unwrap_err();
    assert_eq!(err.suggestion.as_deref(), Some("ransomware"));
    assert!(
        err.to_string().contains("did you mean \"ransomware\"?"),
        "{err}"
    );
}

#[test]
fn recognized_security_practices_need_twelve_months_of_everything() {
    let text = "\
tier: small
answers:
  - { id: 1.S.A.c1, status: implemented, in_place_since: 2024-01-15 }
  - { id: 1.S.A.c2, status: implemented, in_place_since: 2025-03-01 }
  - { id: 1.S.A.c3, status: not_applicable, reason: No mailboxes of our own. }
  - id: 1.S.A.c4
    status: implemented
    evidence:
      - { title: Browser policy screenshot, collected: 2025-02-01, valid_until: 2025-08-01 }
  - { id: 1.S.A.c5, status: not_applicable, reason: No shared mailboxes. }
  - { id: 1.S.B.c1, status: implemented, in_place_since: 2020-01-01 }
  - { id: 1.S.B.c2, status: implemented }
  - { id: 1.S.B.c3, status: implemented, in_place_since: 2020-01-01 }
  - { id: 1.S.B.c4, status: implemented, in_place_since: 2020-01-01 }
";
    let a = parse("rsp.yaml", text, catalog(), date("2026-03-01")).unwrap();
    let r = rsp(catalog(), &a, date("2026-03-01"));
    let one = r
        .sub_practices
        .iter()
        .find(|x| x.sub_practice.as_str() == "1.S.A")
        .unwrap();
    // The last criterion in place decides; evidence dates stand in for a missing since.
    assert_eq!(one.since, Some(date("2025-03-01")));
    assert_eq!(one.qualifies_on, Some(date("2026-03-01")));
    assert!(one.in_place_12_months);
    assert!(
        one.notes.iter().any(|n| n.contains("all evidence expired")),
        "{:?}",
        one.notes
    );
    let day_before = rsp(catalog(), &a, date("2026-02-28"));
    assert!(
        !day_before
            .sub_practices
            .iter()
            .find(|x| x.sub_practice.as_str() == "1.S.A")
            .unwrap()
            .in_place_12_months
    );
    let b = r
        .sub_practices
        .iter()
        .find(|x| x.sub_practice.as_str() == "1.S.B")
        .unwrap();
    assert_eq!(b.since, None);
    assert!(
        b.notes
            .iter()
            .any(|n| n.contains("1.S.B.c2 has no in_place_since or evidence date")),
        "{:?}",
        b.notes
    );
    let c = r
        .sub_practices
        .iter()
        .find(|x| x.sub_practice.as_str() == "1.S.C")
        .unwrap();
    assert!(
        c.notes[0].starts_with("not implemented: 1.S.C.c1 not_started"),
        "{:?}",
        c.notes
    );
    assert!(
        r.practices_qualifying.is_empty(),
        "1.S.B and 1.S.C hold practice 1 back"
    );
}

#[test]
fn the_plan_puts_the_inventory_before_vulnerability_management() {
    let a = Answers::blank(catalog(), Tier::Small);
    let s = score(catalog(), &a);
    let p = plan(catalog(), &s);
    let rank = |id: &str| {
        p.iter()
            .find(|i| i.sub_practice.as_str() == id)
            .unwrap()
            .rank
    };
    assert!(rank("5.S.A") < rank("7.S.A"));
    let vm = p
        .iter()
        .find(|i| i.sub_practice.as_str() == "7.S.A")
        .unwrap();
    assert!(
        vm.why.contains("Comes after its prerequisite 5.S.A"),
        "{}",
        vm.why
    );
    assert_eq!(p.len(), 19);
    assert!(p.iter().filter(|i| i.horizon == Horizon::Days30).count() <= 5);
}

#[test]
fn key_controls_outrank_supporting_controls_with_the_same_gap() {
    // Medium tier, nothing in place: backups (4.M.D, a key control against ransomware) and
    // information sharing (8.M.C, supporting) are both open. HICP's matrix alone puts 8.M.C far
    // ahead, because practice 8 covers all five threats with three medium sub-practices.
    let a = Answers::blank(catalog(), Tier::Medium);
    let s = score(catalog(), &a);
    let p = plan(catalog(), &s);
    let item = |id: &str| p.iter().find(|i| i.sub_practice.as_str() == id).unwrap();
    let (backups, isac) = (item("4.M.D"), item("8.M.C"));
    assert!(isac.gain > backups.gain);
    assert!(backups.reduction > isac.reduction);
    assert!(
        backups.rank < isac.rank,
        "{} vs {}",
        backups.rank,
        isac.rank
    );
    assert_eq!(backups.key_threats.len(), 1);
    assert!(
        backups.why.contains("A key control against ransomware"),
        "{}",
        backups.why
    );
    assert!(
        isac.why.contains("Not a key control against any threat"),
        "{}",
        isac.why
    );
}

// ---- properties ----

/// Answers for `tier` with the statuses given by `codes` (cycled over the criteria in scope):
/// 0-3 are not_started..implemented, 4 is not_applicable.
fn answers(tier: Tier, codes: &[u8], weights: &[f64]) -> Answers {
    let mut a = Answers::blank(catalog(), tier);
    let ids: Vec<String> = a
        .scope(catalog())
        .iter()
        .flat_map(|s| s.criteria.iter().map(|c| c.id.to_string()))
        .collect();
    for (i, id) in ids.iter().enumerate() {
        let status = Status::ALL[usize::from(codes[i % codes.len()] % 5)];
        let mut c = CriterionAnswer::not_started();
        c.status = status;
        if status == Status::NotApplicable {
            c.reason = Some("test".into());
        }
        c.evidence.push(Evidence {
            title: "e".into(),
            location: None,
            collected: None,
            valid_until: None,
        });
        a.criteria.insert(id.clone(), c);
    }
    for (t, w) in a.threat_weights.values_mut().zip(weights) {
        *t = *w;
    }
    a
}

fn all_scores(s: &Scores) -> Vec<Option<f64>> {
    let mut v = vec![s.overall];
    v.extend(s.sub_practices.iter().map(|x| x.score));
    v.extend(
        s.sub_practices
            .iter()
            .flat_map(|x| x.criteria.iter().map(|c| c.score)),
    );
    v.extend(s.practices.iter().map(|x| x.score));
    v.extend(s.threats.iter().map(|x| x.score));
    v.extend(s.csf.iter().map(|x| x.score));
    v.extend(s.cpg.iter().map(|x| x.score));
    v.extend(s.hipaa.iter().map(|x| x.score));
    v
}

fn statuses(s: &Scores) -> Vec<Coverage> {
    s.cpg
        .iter()
        .chain(s.hipaa.iter())
        .map(|x| x.status)
        .collect()
}

fn tier() -> impl Strategy<Value = Tier> {
    prop::sample::select(Tier::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A saved answer re-scores only what depends on it, and gets the same scores as scoring
    /// everything again.
    #[test]
    fn rescoring_one_answer_equals_scoring_everything(
        t in tier(),
        codes in prop::collection::vec(0u8..5, 1..40),
        weights in prop::collection::vec(0.1f64..10.0, 5),
        picks in prop::collection::vec((any::<prop::sample::Index>(), 0u8..5), 1..6),
    ) {
        let mut a = answers(t, &codes, &weights);
        let mut scores = score(catalog(), &a);
        let ids: Vec<String> = a.criteria.keys().cloned().collect();
        for (pick, code) in picks {
            let id = pick.get(&ids).clone();
            let c = a.criteria.get_mut(&id).expect("an answered criterion");
            c.status = Status::ALL[usize::from(code)];
            c.reason = (c.status == Status::NotApplicable).then(|| "test".to_owned());
            rescore(&a, &mut scores, &id);
            prop_assert_eq!(&scores, &score(catalog(), &a));
        }
        // A criterion out of scope changes nothing.
        let before = scores.clone();
        rescore(&a, &mut scores, "no-such-criterion");
        prop_assert_eq!(scores, before);
    }

    #[test]
    fn every_score_is_between_0_and_100(
        t in tier(),
        codes in prop::collection::vec(0u8..5, 1..40),
        weights in prop::collection::vec(0.1f64..10.0, 5),
    ) {
        let s = score(catalog(), &answers(t, &codes, &weights));
        for v in all_scores(&s).into_iter().flatten() {
            prop_assert!((0.0..=100.0).contains(&v), "{v}");
        }
    }

    #[test]
    fn improving_an_answer_never_lowers_a_score(
        t in tier(),
        codes in prop::collection::vec(0u8..5, 1..40),
        weights in prop::collection::vec(0.1f64..10.0, 5),
        pick in any::<prop::sample::Index>(),
        step in 1u8..4,
    ) {
        let before = answers(t, &codes, &weights);
        let rated: Vec<String> = before
            .criteria
            .iter()
            .filter(|(_, c)| matches!(c.status, Status::NotStarted | Status::Partial | Status::Largely))
            .map(|(id, _)| id.clone())
            .collect();
        prop_assume!(!rated.is_empty());
        let id = pick.get(&rated).clone();
        let mut after = before.clone();
        let c = after.criteria.get_mut(&id).unwrap();
        let i = Status::ALL.iter().position(|s| *s == c.status).unwrap();
        c.status = Status::ALL[(i + usize::from(step)).min(3)];
        let (s0, s1) = (score(catalog(), &before), score(catalog(), &after));
        for (a, b) in all_scores(&s0).into_iter().zip(all_scores(&s1)) {
            match (a, b) {
                (Some(a), Some(b)) => prop_assert!(b >= a, "{id}: {a} -> {b}"),
                (a, b) => prop_assert_eq!(a.is_some(), b.is_some()),
            }
        }
        for (a, b) in statuses(&s0).into_iter().zip(statuses(&s1)) {
            prop_assert!(b >= a, "{id}: {a:?} -> {b:?}");
        }
    }

    #[test]
    fn every_gap_is_planned_once_in_a_deterministic_order(
        t in tier(),
        codes in prop::collection::vec(0u8..5, 1..40),
        weights in prop::collection::vec(0.1f64..10.0, 5),
    ) {
        let a = answers(t, &codes, &weights);
        let s = score(catalog(), &a);
        let p = plan(catalog(), &s);
        let gaps: BTreeSet<&str> = s
            .sub_practices
            .iter()
            .filter(|x| x.score.is_some_and(|v| v < 100.0))
            .map(|x| x.id.as_str())
            .collect();
        let planned: Vec<&str> = p.iter().map(|i| i.sub_practice.as_str()).collect();
        prop_assert_eq!(planned.len(), gaps.len());
        prop_assert_eq!(planned.iter().copied().collect::<BTreeSet<_>>(), gaps);
        prop_assert_eq!(&p, &plan(catalog(), &s));
        for (n, item) in p.iter().enumerate() {
            prop_assert_eq!(item.rank, n + 1);
            for pre in &item.after {
                let pr = p.iter().find(|x| &x.sub_practice == pre).unwrap();
                prop_assert!(pr.rank < item.rank, "{} before {}", pre, item.sub_practice);
                prop_assert!(pr.horizon <= item.horizon);
            }
        }
        // Horizons follow effort and capacity; ranks follow risk reduction, so a quick win may
        // rank below a 90-day key control.
        for item in &p {
            let by_effort = match item.effort {
                Effort::Low => Horizon::Days30,
                Effort::Medium => Horizon::Days90,
                Effort::High => Horizon::Months12,
            };
            prop_assert!(item.horizon >= by_effort, "{}", item.sub_practice);
            // Key controls earn extra credit on top of the exact gain; others rank on the gain.
            let credit: f64 = item.key_threats.iter().map(|(_, c)| c).sum();
            prop_assert!((item.reduction - item.gain - credit).abs() < 1e-9);
            prop_assert!(item.gain >= 0.0 && credit >= 0.0);
        }
        prop_assert!(p.iter().filter(|i| i.horizon == Horizon::Days30).count() <= CAPACITY_30_DAYS);
        prop_assert!(p.iter().filter(|i| i.horizon == Horizon::Days90).count() <= CAPACITY_90_DAYS);
    }

    #[test]
    fn the_gain_of_an_action_is_what_closing_its_gap_adds_to_the_overall_score(
        t in tier(),
        codes in prop::collection::vec(0u8..5, 1..40),
        weights in prop::collection::vec(0.1f64..10.0, 5),
        pick in any::<prop::sample::Index>(),
    ) {
        let a = answers(t, &codes, &weights);
        let s = score(catalog(), &a);
        let p = plan(catalog(), &s);
        prop_assume!(!p.is_empty());
        let item = pick.get(&p);
        let mut closed = a.clone();
        let sp = catalog().sub_practice(item.sub_practice.as_str()).unwrap();
        for c in &sp.criteria {
            let answer = closed.criteria.get_mut(c.id.as_str()).unwrap();
            if answer.status != Status::NotApplicable {
                answer.status = Status::Implemented;
            }
        }
        let gained = score(catalog(), &closed).overall.unwrap() - s.overall.unwrap();
        prop_assert!((gained - item.gain).abs() < 1e-9, "{}: {} vs {}", item.sub_practice, gained, item.gain);
    }
}

#[test]
fn findings_timeframes_are_the_catalogs_table_8_data_center_column() {
    use hicp_core::assessment::findings::{Severity, Timeframes};
    let t = Timeframes::from_catalog(catalog());
    assert_eq!(t.source, "TV2 Table 8");
    assert_eq!(
        t.all(),
        [
            (Severity::Critical, 30),
            (Severity::High, 90),
            (Severity::Medium, 180)
        ]
    );
    // HICP leaves low severity in the data center to the organization.
    assert_eq!(t.days(Severity::Low), None);
}
