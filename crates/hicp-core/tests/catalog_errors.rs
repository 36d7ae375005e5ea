//! Broken catalogs and the errors they get: file, line, field, and a useful message.

use hicp_core::catalog::{Diagnostic, SourceFile, load};

fn builtin() -> Vec<SourceFile> {
    hicp_content::builtin_files()
        .into_iter()
        .map(|(path, text)| SourceFile { path, text })
        .collect()
}

struct Case {
    name: &'static str,
    file: &'static str,
    /// The first occurrence of `from` in `file` is replaced by `to`.
    from: &'static str,
    to: &'static str,
    /// Whether the diagnostic must be on the line where `to` starts.
    on_changed_line: bool,
    field: &'static str,
    message: &'static str,
}

const P1: &str = "practices/01-email-protection.yaml";
const P2: &str = "practices/02-endpoint-protection.yaml";
const P3: &str = "practices/03-access-management.yaml";
const P4: &str = "practices/04-data-protection.yaml";
const P6: &str = "practices/06-network-management.yaml";
const NPRM: &str = "references/hipaa-nprm-2025.yaml";

const CASES: &[Case] = &[
    Case {
        name: "a version date that is not a day",
        file: "catalog.yaml",
        from: "version_date: 2026-11-30",
        to: "version_date: 2026-11-31",
        on_changed_line: true,
        field: "version_date",
        message: "\"2026-11-31\" is not a real calendar date",
    },
    Case {
        name: "unknown CPG goal, with the nearest id suggested",
        file: P1,
        from: "refs: [E2, E3]",
        to: "refs: [E22, E3]",
        on_changed_line: true,
        field: "1.S.A.cpg.refs",
        message: "unknown HPH CPG goal \"E22\" (did you mean \"E2\"?)",
    },
    Case {
        name: "unknown threat",
        file: P2,
        from: "threats: [ransomware, loss-theft]",
        to: "threats: [ransomware, lost-theft]",
        on_changed_line: true,
        field: "practice.threats",
        message: "unknown threat \"lost-theft\" (did you mean \"loss-theft\"?)",
    },
    Case {
        name: "unknown HIPAA citation",
        file: P3,
        from: "refs: [\"164.312(d)\"",
        to: "refs: [\"164.312(dd)\"",
        on_changed_line: true,
        field: ".hipaa.refs",
        message: "unknown HIPAA Security Rule citation \"164.312(dd)\" (did you mean \"164.312(d)\"?)",
    },
    Case {
        name: "unknown CSF 1.1 id",
        file: P6,
        from: "refs: [PR.AC-5, PR.AC-3",
        to: "refs: [PR.AC-55, PR.AC-3",
        on_changed_line: true,
        field: "6.S.A.csf11.refs",
        message: "unknown NIST CSF 1.1 id \"PR.AC-55\" (did you mean \"PR.AC-5\"?)",
    },
    Case {
        name: "our CSF 2.0 additions cannot claim to be verified",
        file: P4,
        from: "refs: [GV.PO-01, ID.AM-05, ID.AM-07, PR.DS-01]\n      provenance: derived",
        to: "refs: [GV.PO-01, ID.AM-05, ID.AM-07, PR.DS-01]\n      provenance: verified",
        on_changed_line: false,
        field: "csf20.provenance",
        message: "provenance must be derived",
    },
    Case {
        name: "a key threat the practice does not mitigate in HICP's matrix",
        file: P2,
        from: "key_threats: [loss-theft]",
        to: "key_threats: [loss-theft, social-engineering]",
        on_changed_line: true,
        field: "2.L.B.key_threats",
        message: "\"social-engineering\" is not a threat of practice 2 (ransomware, loss-theft); a key threat must be one the practice mitigates",
    },
    Case {
        name: "unknown key threat, with the nearest id suggested",
        file: P4,
        from: "key_threats: [ransomware]",
        to: "key_threats: [ransomwear]",
        on_changed_line: true,
        field: "4.M.D.key_threats",
        message: "unknown threat \"ransomwear\" (did you mean \"ransomware\"?)",
    },
    Case {
        name: "key threats are our judgement and cannot claim to be verified",
        file: P1,
        from: "key_threats_provenance: derived",
        to: "key_threats_provenance: verified",
        on_changed_line: true,
        field: "1.S.A.key_threats_provenance",
        message: "provenance must be derived",
    },
    Case {
        name: "unknown prerequisite",
        file: P1,
        from: "prerequisites: [3.S.A]",
        to: "prerequisites: [3.S.Z]",
        on_changed_line: true,
        field: "1.S.A.prerequisites",
        message: "unknown sub-practice \"3.S.Z\"",
    },
    Case {
        name: "sub-practice id of another practice",
        file: P3,
        from: "- id: 3.M.B\n",
        to: "- id: 4.M.Z\n",
        on_changed_line: true,
        field: "4.M.Z.id",
        message: "belongs to practice 4, but this file is practice 3",
    },
    Case {
        name: "malformed sub-practice id",
        file: P3,
        from: "- id: 3.M.B\n",
        to: "- id: 3-M-B\n",
        on_changed_line: true,
        field: "sub_practices[",
        message: "is not a sub-practice id like 7.M.D",
    },
    Case {
        name: "duplicate sub-practice id",
        file: P3,
        from: "- id: 3.M.B\n",
        to: "- id: 3.M.A\n",
        on_changed_line: true,
        field: "id",
        message: "duplicate sub-practice id 3.M.A",
    },
    Case {
        name: "unknown field (a typo) is not silently ignored",
        file: P3,
        from: "    title: Provisioning",
        to: "    titel: Provisioning",
        on_changed_line: true,
        field: "titel",
        message: "unknown field `titel`",
    },
    Case {
        name: "invalid provenance value",
        file: P3,
        from: "title_provenance: verified",
        to: "title_provenance: checked",
        on_changed_line: true,
        field: "title_provenance",
        message: "unknown variant `checked`, expected one of verified, unverified, derived",
    },
    Case {
        name: "a number label must quote words of the text it labels",
        file: P1,
        from: "      - id: 1.S.A.c2\n",
        to: "      - id: 1.S.A.c2\n        numbers:\n          - { says: once a week, origin: ours, reason: a guess }\n",
        on_changed_line: false,
        field: "1.S.A.c2.numbers.says",
        message: "\"once a week\" does not occur in the text it labels",
    },
    Case {
        name: "our own number says why we suggest it",
        file: P1,
        from: "      - id: 1.S.A.c2\n",
        to: "      - id: 1.S.A.c2\n        numbers:\n          - { says: spam, origin: ours }\n",
        on_changed_line: false,
        field: "1.S.A.c2.numbers.reason",
        message: "our own number needs a `reason`",
    },
    Case {
        name: "HICP's number says where HICP gives it",
        file: P1,
        from: "      - id: 1.S.A.c2\n",
        to: "      - id: 1.S.A.c2\n        numbers:\n          - { says: spam, origin: hicp, reason: HICP says so }\n",
        on_changed_line: false,
        field: "1.S.A.c2.numbers.reason",
        message: "a published number has a `source`, not a `reason`",
    },
    Case {
        name: "a number label's origin is one of three",
        file: P1,
        from: "      - id: 1.S.A.c2\n",
        to: "      - id: 1.S.A.c2\n        numbers:\n          - says: spam\n            origin: nist\n            source: x\n",
        on_changed_line: false,
        field: "origin",
        message: "unknown variant `nist`, expected one of hicp, published, ours",
    },
    Case {
        name: "a typo in a number label is not ignored",
        file: P1,
        from: "      - id: 1.S.A.c2\n",
        to: "      - id: 1.S.A.c2\n        numbers:\n          - says: spam\n            origin: hicp\n            sorce: TV1\n",
        on_changed_line: false,
        field: "sorce",
        message: "unknown field `sorce`",
    },
    Case {
        name: "an edition must be one HICP has",
        file: P1,
        from: "    title_edition: \"2023\"",
        to: "    title_edition: \"2022\"",
        on_changed_line: true,
        field: "1.M.B.title_edition",
        message: "unknown edition \"2022\"; expected one of 2018, 2023",
    },
    Case {
        name: "an unverified title checked against no edition",
        file: P1,
        from: "    title: Education\n    title_provenance: unverified\n",
        to: "    title: Education\n    title_provenance: unverified\n    title_edition: \"2018\"\n",
        on_changed_line: false,
        field: "1.S.B.title_edition",
        message: "only a verified title or name records the edition it was checked against",
    },
    Case {
        name: "a proposed requirement names an unknown criterion, with the nearest suggested",
        file: NPRM,
        from: "evidence: [4.S.A.c6]",
        to: "evidence: [4.S.A.c9]",
        on_changed_line: true,
        field: "requirements.risk-analysis.evidence",
        message: "unknown criterion \"4.S.A.c9\" (did you mean",
    },
    Case {
        name: "a criterion listed twice for one proposed requirement",
        file: NPRM,
        from: "evidence: [4.S.B.c6, 4.M.D.c2, 4.M.D.c3]",
        to: "evidence: [4.S.B.c6, 4.M.D.c2, 4.S.B.c6]",
        on_changed_line: true,
        field: "requirements.separate-backup-controls.evidence",
        message: "criterion 4.S.B.c6 is listed twice",
    },
    Case {
        name: "the mapping to criteria is ours: it cannot claim to be verified",
        file: NPRM,
        from: "\nmapping_provenance: derived",
        to: "\nmapping_provenance: verified",
        on_changed_line: false,
        field: "mapping_provenance",
        message: "provenance must be derived",
    },
    Case {
        name: "a proposed requirement is HHS's: it cannot be derived",
        file: NPRM,
        from: "    source: HHS NPRM fact sheet (summary by coephi.org)\n    provenance: verified",
        to: "    source: HHS NPRM fact sheet (summary by coephi.org)\n    provenance: derived",
        on_changed_line: false,
        field: "requirements.written-documentation.provenance",
        message: "provenance must be verified or unverified",
    },
    Case {
        name: "an unknown field in the proposed rule",
        file: NPRM,
        from: "    also_check: >-\n      The proposed map",
        to: "    also_chek: >-\n      The proposed map",
        on_changed_line: false,
        field: "also_chek",
        message: "",
    },
    Case {
        name: "YAML syntax error",
        file: P3,
        from: "    title: Provisioning",
        to: "    title: [Provisioning",
        on_changed_line: false,
        field: "",
        message: "",
    },
];

fn apply(case: &Case) -> (Vec<SourceFile>, u64) {
    let mut files = builtin();
    let f = files
        .iter_mut()
        .find(|f| f.path == case.file)
        .unwrap_or_else(|| panic!("{}: no file {}", case.name, case.file));
    let at = f
        .text
        .find(case.from)
        .unwrap_or_else(|| panic!("{}: {:?} not found in {}", case.name, case.from, case.file));
    f.text.replace_range(at..at + case.from.len(), case.to);
    let line = f.text[..at].matches('\n').count() as u64 + 1;
    (files, line)
}

#[test]
fn broken_catalogs_name_file_line_and_field() {
    for case in CASES {
        let (files, line) = apply(case);
        let err = match load("cat", &files) {
            Ok(_) => panic!("{}: the broken catalog loaded", case.name),
            Err(e) => e,
        };
        let found = err.diagnostics.iter().find(|d: &&Diagnostic| {
            d.file == format!("cat/{}", case.file)
                && d.field.contains(case.field)
                && d.message.contains(case.message)
                && d.line > 0
                && (!case.on_changed_line || d.line == line)
        });
        assert!(
            found.is_some(),
            "{}: expected {}:{} field {:?} message {:?}, got:\n{err}",
            case.name,
            case.file,
            line,
            case.field,
            case.message
        );
    }
}

#[test]
fn too_few_criteria_is_reported_at_the_list() {
    let mut files = builtin();
    let f = files.iter_mut().find(|f| f.path == P3).unwrap();
    // Drop every criterion of 3.M.B but the first.
    let start = f.text.find("- id: 3.M.B.c2").unwrap();
    let end = f.text[start..].find("    actions:").unwrap() + start;
    let line_start = f.text[..start].rfind('\n').unwrap() + 1;
    f.text.replace_range(line_start..end, "");
    let err = load("cat", &files).unwrap_err();
    let d = err
        .diagnostics
        .iter()
        .find(|d| d.field == "3.M.B.criteria")
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        d.message
            .contains("has 1 criteria; a sub-practice needs 2 to 6"),
        "{d}"
    );
    assert!(d.line > 0);
}

#[test]
fn a_repeated_sentence_is_caught() {
    let mut files = builtin();
    for path in [P1, P2] {
        let f = files.iter_mut().find(|f| f.path == path).unwrap();
        let at = f.text.find("        text: ").unwrap();
        let end = f.text[at..].find('\n').unwrap() + at;
        // A block scalar's text continues on the next, deeper-indented lines; drop them too.
        let mut stop = end;
        while f.text[stop + 1..].starts_with("          ") {
            stop = f.text[stop + 1..].find('\n').unwrap() + stop + 1;
        }
        f.text
            .replace_range(at..stop, "        text: Same words in two places.");
    }
    let err = load("cat", &files).unwrap_err();
    assert!(
        err.diagnostics
            .iter()
            .any(|d| d.message.contains("has the same text as")),
        "{err}"
    );
}

#[test]
fn a_missing_file_is_named() {
    let files: Vec<SourceFile> = builtin()
        .into_iter()
        .filter(|f| f.path != "threats.yaml")
        .collect();
    let err = load("cat", &files).unwrap_err();
    assert_eq!(err.diagnostics.len(), 1, "{err}");
    assert_eq!(
        err.diagnostics[0].to_string(),
        "cat/threats.yaml: (file): required file is missing"
    );
}

#[test]
fn a_stray_file_is_reported() {
    let mut files = builtin();
    files.push(SourceFile {
        path: "practice/11-extra.yaml".into(),
        text: "x: 1\n".into(),
    });
    let err = load("cat", &files).unwrap_err();
    assert!(
        err.diagnostics[0].message.contains("unexpected file"),
        "{err}"
    );
}

#[test]
fn a_missing_required_field_is_named_with_its_line() {
    let mut files = builtin();
    let f = files.iter_mut().find(|f| f.path == P3).unwrap();
    let at = f.text.find("    title: Provisioning").unwrap();
    let end = f.text[at..].find('\n').unwrap() + at + 1;
    f.text.replace_range(at..end, "");
    let err = load("cat", &files).unwrap_err();
    let d = &err.diagnostics[0];
    assert!(d.message.contains("title"), "{d}");
    assert!(d.line > 0, "{d}");
}
