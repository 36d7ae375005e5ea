//! Assessment exports: the OSCAL assessment plan, results and POA&M validate against NIST's
//! official 1.2.3 schemas; the XLSX workbook reads back with the same values; CSV cells that
//! start like a formula come out inert.

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use hicp_core::assessment::{Answers, Date, parse};
use hicp_core::catalog::{Catalog, SourceFile, load};
use hicp_interop::assessment::{Assessed, deadline};
use hicp_interop::assessment_oscal;
use hicp_interop::sheets::{self, Cell};
use serde_json::Value;
use std::io::Cursor;

const EXAMPLES: [&str; 3] = ["small-clinic", "community-hospital", "health-system"];

fn builtin() -> Catalog {
    let files: Vec<SourceFile> = hicp_content::builtin_files()
        .into_iter()
        .map(|(path, text)| SourceFile { path, text })
        .collect();
    load(hicp_content::BUILTIN_ROOT, &files).expect("built-in catalog loads")
}

fn as_of() -> Date {
    Date::parse("2026-10-01").unwrap()
}

fn example(c: &Catalog, name: &str) -> Answers {
    let path = format!("{}/../../examples/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    parse(&path, &text, c, as_of()).unwrap()
}

fn errors(schema: &str, doc: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(schema).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("NIST's schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

const AP: &str = include_str!("fixtures/oscal/oscal_assessment-plan_schema.json");
const AR: &str = include_str!("fixtures/oscal/oscal_assessment-results_schema.json");
const POAM: &str = include_str!("fixtures/oscal/oscal_poam_schema.json");

#[test]
fn oscal_plan_results_and_poam_validate_for_every_example() {
    let c = builtin();
    for name in EXAMPLES {
        let answers = example(&c, name);
        let a = Assessed::new(&c, &answers, as_of());
        let ap = assessment_oscal::assessment_plan(&a, "answers.yaml");
        let ar = assessment_oscal::assessment_results(&a, "assessment-plan.json");
        let poam = assessment_oscal::poam(&a);
        for (schema, doc, what) in [
            (AP, &ap, "plan"),
            (AR, &ar, "results"),
            (POAM, &poam, "poam"),
        ] {
            let errs = errors(schema, doc);
            assert!(errs.is_empty(), "{name} {what}:\n{}", errs.join("\n"));
        }
        // The results import the plan, by name and UUID.
        let ap_uuid = ap["assessment-plan"]["uuid"].as_str().unwrap();
        assert!(
            ar["assessment-results"]["import-ap"]["remarks"]
                .as_str()
                .unwrap()
                .contains(ap_uuid)
        );
        // A finding per sub-practice in scope, each with the answers observation at least.
        let result = &ar["assessment-results"]["results"][0];
        let findings = result["findings"].as_array().unwrap();
        assert_eq!(findings.len(), answers.scope(&c).len(), "{name}");
        assert!(
            findings
                .iter()
                .all(|f| !f["related-observations"].as_array().unwrap().is_empty())
        );
        // Every piece of evidence is an observation.
        let evidence: usize = answers.criteria.values().map(|x| x.evidence.len()).sum();
        let examined = result["observations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["methods"][0] == "EXAMINE")
            .count();
        assert_eq!(examined, evidence, "{name}");
        // A POA&M item per open action, with its deadline.
        let items = poam["plan-of-action-and-milestones"]["poam-items"]
            .as_array()
            .unwrap();
        assert_eq!(items.len(), a.plan.len(), "{name}");
        let risks = poam["plan-of-action-and-milestones"]["risks"]
            .as_array()
            .unwrap();
        let first = &a.plan[0];
        assert_eq!(risks[0]["status"], "open");
        assert_eq!(
            risks[0]["deadline"],
            format!("{}T00:00:00Z", deadline(as_of(), first.horizon))
        );
        // Deterministic.
        assert_eq!(
            ar,
            assessment_oscal::assessment_results(&a, "assessment-plan.json")
        );
    }
}

#[test]
fn the_schema_checks_catch_broken_documents() {
    let c = builtin();
    let answers = example(&c, "small-clinic");
    let a = Assessed::new(&c, &answers, as_of());
    let mut ar = assessment_oscal::assessment_results(&a, "assessment-plan.json");
    ar["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] =
        Value::from("fine");
    assert!(!errors(AR, &ar).is_empty());
    let mut poam = assessment_oscal::poam(&a);
    poam["plan-of-action-and-milestones"]["risks"][0]["deadline"] = Value::from("soon");
    assert!(!errors(POAM, &poam).is_empty());
    let mut ap = assessment_oscal::assessment_plan(&a, "answers.yaml");
    ap["assessment-plan"]["reviewed-controls"] = Value::from("all");
    assert!(!errors(AP, &ap).is_empty());
}

#[test]
fn a_fully_implemented_organization_still_gets_a_valid_poam() {
    let c = builtin();
    let mut answers = example(&c, "small-clinic");
    for sp in answers.scope(&c) {
        for cr in &sp.criteria {
            let mut x = answers.answer(cr.id.as_str());
            if x.status != hicp_core::assessment::Status::NotApplicable {
                x.status = hicp_core::assessment::Status::Implemented;
            }
            answers.criteria.insert(cr.id.to_string(), x);
        }
    }
    let a = Assessed::new(&c, &answers, as_of());
    assert!(a.plan.is_empty());
    let poam = assessment_oscal::poam(&a);
    assert!(errors(POAM, &poam).is_empty());
}

fn read_back(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes)).expect("the workbook opens")
}

#[test]
fn xlsx_reads_back_with_the_same_values() {
    let c = builtin();
    for name in EXAMPLES {
        let answers = example(&c, name);
        let a = Assessed::new(&c, &answers, as_of());
        let mut wb = read_back(sheets::xlsx(&a).unwrap());
        assert_eq!(wb.sheet_names(), ["answers", "scores", "action plan"]);
        for sheet in sheets::sheets(&a) {
            let range = wb.worksheet_range(sheet.name).unwrap();
            let rows: Vec<&[Data]> = range.rows().collect();
            assert_eq!(rows.len(), sheet.rows.len() + 1, "{name} {}", sheet.name);
            for (col, h) in sheet.header.iter().enumerate() {
                assert_eq!(rows[0][col], Data::String((*h).to_owned()));
            }
            for (r, row) in sheet.rows.iter().enumerate() {
                for (col, cell) in row.iter().enumerate() {
                    let got = rows[r + 1].get(col).cloned().unwrap_or(Data::Empty);
                    let want = match cell {
                        Cell::Text(s) => Data::String(s.clone()),
                        Cell::Number(n) => Data::Float(*n),
                        Cell::Empty => Data::Empty,
                    };
                    assert_eq!(got, want, "{name} {} row {} col {col}", sheet.name, r + 1);
                }
            }
        }
        // And the values are the engine's: the plan's first action, the overall score.
        let plan = wb.worksheet_range("action plan").unwrap();
        let first = &a.plan[0];
        assert_eq!(
            plan.get((1, 3)),
            Some(&Data::String(first.sub_practice.to_string()))
        );
        assert_eq!(plan.get((1, 6)), Some(&Data::String(first.text.clone())));
        let scores = wb.worksheet_range("scores").unwrap();
        assert_eq!(
            scores.get((1, 3)),
            Some(&Data::Float(hicp_core::assessment::scoring::round1(
                a.scores.overall.unwrap()
            )))
        );
    }
}

const INJECTED: &str = "\
format: hicp-answers/1
organization:
  name: \"=HYPERLINK(\\\"http://x\\\",\\\"click\\\")\"
tier: small
answers:
  - id: 1.S.A.c1
    status: partial
    owner: \"=cmd|' /C calc'!A0\"
    notes: \"+SUM(A1:A9)\"
";

#[test]
fn csv_and_xlsx_cells_starting_with_a_formula_character_come_out_inert() {
    let c = builtin();
    let answers = parse("injected.yaml", INJECTED, &c, as_of()).unwrap();
    let a = Assessed::new(&c, &answers, as_of());
    let mut out = Vec::new();
    sheets::plan_csv(&a, &mut out).unwrap();
    let mut r = csv::Reader::from_reader(out.as_slice());
    let headers = r.headers().unwrap().clone();
    let owners = headers.iter().position(|h| h == "owners").unwrap();
    let sp = headers.iter().position(|h| h == "sub_practice").unwrap();
    let row = r
        .records()
        .map(Result::unwrap)
        .find(|x| &x[sp] == "1.S.A")
        .expect("1.S.A is a gap");
    assert_eq!(&row[owners], "'=cmd|' /C calc'!A0");
    // No cell of the CSV starts with a formula character.
    let mut r = csv::Reader::from_reader(out.as_slice());
    for rec in r.records() {
        for cell in rec.unwrap().iter() {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell}");
        }
    }
    // The workbook stores them as text with the same guard.
    let mut wb = read_back(sheets::xlsx(&a).unwrap());
    let answers_sheet = wb.worksheet_range("answers").unwrap();
    let cells: Vec<String> = answers_sheet
        .rows()
        .flat_map(|r| r.iter().map(|d| d.to_string()))
        .collect();
    assert!(cells.contains(&"'+SUM(A1:A9)".to_owned()));
    // An answered criterion shows its status; one without an answer says so.
    let status_of = |id: &str| {
        answers_sheet
            .rows()
            .find(|r| r[2] == id)
            .map(|r| r[4].to_string())
            .unwrap()
    };
    assert_eq!(status_of("1.S.A.c1"), "partial");
    assert_eq!(status_of("1.S.A.c2"), sheets::NOT_ANSWERED);
    assert!(cells.contains(&"'=cmd|' /C calc'!A0".to_owned()));
}

#[test]
fn plan_tracking_replaces_the_computed_owner_due_date_and_status() {
    use hicp_interop::assessment::{TrackStatus, Tracking};
    let c = builtin();
    let answers = example(&c, "small-clinic");
    let plain = Assessed::new(&c, &answers, as_of());
    let first = plain.plan[0].clone();
    let due = Date::parse("2027-02-03").unwrap();
    let tracked = Assessed::new(&c, &answers, as_of()).with_tracking(
        [(
            first.action.to_string(),
            Tracking {
                owner: Some("Pat Lee".into()),
                due_on: Some(due),
                status: TrackStatus::RiskAccepted,
                reason: Some("Vendor runs it".into()),
            },
        )]
        .into_iter()
        .collect(),
    );
    let rows = |a: &Assessed| {
        let mut out = Vec::new();
        sheets::plan_csv(a, &mut out).unwrap();
        let mut r = csv::Reader::from_reader(out.as_slice());
        let h = r.headers().unwrap().clone();
        r.records()
            .map(|x| {
                let x = x.unwrap();
                h.iter()
                    .zip(x.iter())
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect::<std::collections::HashMap<_, _>>()
            })
            .collect::<Vec<_>>()
    };
    let (before, after) = (rows(&plain), rows(&tracked));
    assert_eq!(before[0]["status"], "open");
    assert_eq!(
        before[0]["due"],
        deadline(as_of(), first.horizon).to_string()
    );
    assert_eq!(after[0]["owners"], "Pat Lee");
    assert_eq!(after[0]["due"], "2027-02-03");
    assert_eq!(after[0]["status"], "risk accepted");
    assert_eq!(after[0]["status_note"], "Vendor runs it");
    // Every other action is as computed.
    assert_eq!(before[1..], after[1..]);
    // The workbook's plan sheet says the same.
    let mut wb = read_back(sheets::xlsx(&tracked).unwrap());
    let plan = wb.worksheet_range("action plan").unwrap();
    assert_eq!(plan.get((1, 2)), Some(&Data::String("2027-02-03".into())));
    assert_eq!(plan.get((1, 9)), Some(&Data::String("Pat Lee".into())));
    assert_eq!(
        plan.get((1, 10)),
        Some(&Data::String("risk accepted".into()))
    );
}

#[test]
fn a_text_too_long_for_a_cell_is_cut_with_a_marker_and_a_warning() {
    let c = builtin();
    let text = format!(
        "tier: small\nanswers:\n  - id: 1.S.A.c1\n    status: partial\n    notes: \"{}\"\n",
        "n".repeat(40_000)
    );
    let answers = parse("long.yaml", &text, &c, as_of()).unwrap();
    let a = Assessed::new(&c, &answers, as_of());
    let (bytes, warnings) = sheets::xlsx_with_warnings(&a).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("the answers sheet, cell H2 (notes): "));
    let mut wb = read_back(bytes);
    let sheet = wb.worksheet_range("answers").unwrap();
    let Some(Data::String(notes)) = sheet.get((1, 7)) else {
        panic!("no notes cell");
    };
    assert!((sheets::MAX_CELL_LEN - 2..=sheets::MAX_CELL_LEN).contains(&notes.chars().count()));
    let kept = notes.chars().take_while(|c| *c == 'n').count();
    assert!(notes.ends_with(&format!(
        "\u{2026} [truncated: {} characters]",
        40_000 - kept
    )));
    assert!(warnings[0].contains(&format!(
        "{} of its 40000 characters were cut",
        40_000 - kept
    )));
}

#[test]
fn the_answers_sheet_lists_evidence_on_a_question_not_answered_yet() {
    let c = builtin();
    let mut ans = example(&c, "small-clinic");
    // A question whose answer is taken away: not answered yet.
    let id = ans.scope(&c)[0].criteria[0].id.to_string();
    ans.criteria.remove(&id);
    ans.unanswered_evidence.insert(
        id.clone(),
        vec![hicp_core::assessment::Evidence {
            title: "Scan of the file server".into(),
            location: None,
            collected: Some(Date::parse("2026-09-01").unwrap()),
            valid_until: None,
        }],
    );
    let a = Assessed::new(&c, &ans, as_of());
    let sheet = sheets::sheets(&a).remove(0);
    let row = sheet
        .rows
        .iter()
        .find(|r| matches!(&r[2], Cell::Text(t) if *t == id))
        .expect("the question's row");
    assert!(matches!(&row[4], Cell::Text(t) if t == "not answered yet"));
    assert!(
        matches!(row.last().unwrap(), Cell::Text(t) if t == "Scan of the file server (collected 2026-09-01)")
    );
}

/// Ranked scan findings: a KEV-listed one not yet due, an overdue one, and a title that
/// starts like a formula (scanner text is not trusted).
fn scan_findings(c: &Catalog) -> hicp_core::assessment::findings::FindingsPlan {
    use hicp_core::assessment::findings::{Finding, Severity, Timeframes, rank};
    let d = |s: &str| Date::parse(s).unwrap();
    let finding = |host: &str, title: &str, severity, first: &str, kev, cves: &[&str]| Finding {
        host: host.into(),
        port: Some(443),
        protocol: Some("tcp".into()),
        title: title.into(),
        severity,
        cves: cves.iter().map(|c| (*c).to_owned()).collect(),
        first_seen: Some(d(first)),
        last_seen: Some(d("2026-09-20")),
        fix_published: None,
        kev,
        open: true,
        source: "Nessus v2 XML".into(),
    };
    rank(
        &[
            finding(
                "files.example.org",
                "=HYPERLINK(\"http://x\",\"Apache httpd\")",
                Severity::High,
                "2026-01-05",
                false,
                &[],
            ),
            finding(
                "web01.example.org",
                "Apache Log4j RCE",
                Severity::Critical,
                "2026-09-15",
                true,
                &["CVE-2021-44228", "CVE-2021-45046"],
            ),
        ],
        &Timeframes::from_catalog(c),
        as_of(),
    )
}

#[test]
fn the_workbook_and_the_findings_csv_list_the_scan_findings_as_the_report_does() {
    let c = builtin();
    let answers = example(&c, "community-hospital");
    let plan = scan_findings(&c);
    assert_eq!(plan.items.len(), 2);
    // Without findings the workbook keeps its three sheets.
    let plain = Assessed::new(&c, &answers, as_of());
    assert_eq!(
        read_back(sheets::xlsx(&plain).unwrap()).sheet_names(),
        ["answers", "scores", "action plan"]
    );
    let a = Assessed::new(&c, &answers, as_of()).with_findings(Some(plan.clone()));
    let mut wb = read_back(sheets::xlsx(&a).unwrap());
    assert_eq!(
        wb.sheet_names(),
        ["answers", "scores", "action plan", "findings"]
    );
    let range = wb.worksheet_range("findings").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|d| d.to_string()).collect())
        .collect();
    assert_eq!(
        rows[0],
        [
            "rank", "host", "title", "cves", "severity", "since", "due", "overdue", "kev", "why"
        ]
    );
    // The report's row, cell for cell: KEV first, then the overdue one.
    for (r, item) in rows[1..].iter().zip(&plan.items) {
        let want = hicp_interop::findings::finding_row(item);
        assert_eq!(r[0], want.rank.to_string());
        assert_eq!(r[1], want.host);
        assert_eq!(r[3], want.cves);
        assert_eq!(r[6], want.due);
        assert_eq!(r[8], if want.kev { "yes" } else { "no" });
        assert_eq!(r[9], want.why);
    }
    assert_eq!(rows[1][1], "web01.example.org:443");
    assert_eq!(rows[1][3], "CVE-2021-44228, CVE-2021-45046");
    assert_eq!((rows[1][7].as_str(), rows[1][8].as_str()), ("no", "yes"));
    assert_eq!((rows[2][7].as_str(), rows[2][8].as_str()), ("yes", "no"));
    assert!(rows[2][6].ends_with("days overdue"), "{}", rows[2][6]);
    // The scanner's title stays text.
    assert!(rows[2][2].starts_with("'=HYPERLINK"), "{}", rows[2][2]);

    // The CSV: the same columns and cells, inert.
    let mut out = Vec::new();
    sheets::findings_csv(&a, &mut out).unwrap();
    let mut r = csv::Reader::from_reader(out.as_slice());
    assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), rows[0]);
    let recs: Vec<Vec<String>> = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(recs, rows[1..]);
    for cell in recs.iter().flatten() {
        assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell}");
    }
    // Without findings: the header alone.
    let mut out = Vec::new();
    sheets::findings_csv(&plain, &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "rank,host,title,cves,severity,since,due,overdue,kev,why\n"
    );
}

#[test]
fn oscal_results_carry_the_scan_findings_with_kev_and_days_overdue() {
    let c = builtin();
    for name in EXAMPLES {
        let answers = example(&c, name);
        let plan = scan_findings(&c);
        let a = Assessed::new(&c, &answers, as_of()).with_findings(Some(plan.clone()));
        let ar = assessment_oscal::assessment_results(&a, "assessment-plan.json");
        let errs = errors(AR, &ar);
        assert!(errs.is_empty(), "{name}:\n{}", errs.join("\n"));
        let result = &ar["assessment-results"]["results"][0];
        let prop = |v: &Value, n: &str| -> Vec<String> {
            v["props"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["name"] == n)
                .map(|p| p["value"].as_str().unwrap().to_owned())
                .collect()
        };
        let tested: Vec<&Value> = result["observations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["methods"][0] == "TEST")
            .collect();
        assert_eq!(tested.len(), 2, "{name}");
        assert_eq!(prop(tested[0], "kev"), ["yes"]);
        assert_eq!(prop(tested[0], "host"), ["web01.example.org"]);
        assert_eq!(prop(tested[0], "cve"), ["CVE-2021-44228", "CVE-2021-45046"]);
        assert!(prop(tested[0], "days-overdue").is_empty());
        assert_eq!(prop(tested[1], "kev"), ["no"]);
        let late = plan.items[1].days_late.unwrap();
        assert!(late > 0);
        assert_eq!(prop(tested[1], "days-overdue"), [late.to_string()]);
        // One finding each, beside the sub-practices', on vulnerability management, not
        // satisfied, pointing at its observation.
        let findings = result["findings"].as_array().unwrap();
        assert_eq!(findings.len(), answers.scope(&c).len() + 2, "{name}");
        let scan: Vec<&Value> = findings
            .iter()
            .filter(|f| !prop(f, "scan-rank").is_empty())
            .collect();
        assert_eq!(scan.len(), 2);
        assert_eq!(prop(scan[0], "kev"), ["yes"]);
        assert_eq!(prop(scan[1], "days-overdue"), [late.to_string()]);
        for (f, o) in scan.iter().zip(&tested) {
            assert_eq!(f["target"]["status"]["state"], "not-satisfied");
            assert!(
                f["target"]["target-id"]
                    .as_str()
                    .unwrap()
                    .starts_with("hicp-7."),
                "{}",
                f["target"]["target-id"]
            );
            assert_eq!(f["related-observations"][0]["observation-uuid"], o["uuid"]);
        }
        // Deterministic.
        assert_eq!(
            ar,
            assessment_oscal::assessment_results(&a, "assessment-plan.json")
        );
    }
}

#[test]
fn oscal_results_show_evidence_on_a_question_not_answered_yet_without_answering_it() {
    let c = builtin();
    let mut ans = example(&c, "small-clinic");
    let id = ans.scope(&c)[0].criteria[0].id.to_string();
    ans.criteria.remove(&id);
    ans.unanswered_evidence.insert(
        id.clone(),
        vec![hicp_core::assessment::Evidence {
            title: "Scan of the file server".into(),
            location: Some("evidence/scan.nessus".into()),
            collected: Some(Date::parse("2026-09-01").unwrap()),
            valid_until: None,
        }],
    );
    let a = Assessed::new(&c, &ans, as_of());
    let ar = assessment_oscal::assessment_results(&a, "assessment-plan.json");
    let errs = errors(AR, &ar);
    assert!(errs.is_empty(), "{}", errs.join("\n"));
    let result = &ar["assessment-results"]["results"][0];
    let o = result["observations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["title"] == "Scan of the file server")
        .expect("the evidence is an observation");
    assert_eq!(o["methods"][0], "EXAMINE");
    assert!(
        o["description"]
            .as_str()
            .unwrap()
            .starts_with(&format!("Evidence for {id} (not answered yet)")),
        "{}",
        o["description"]
    );
    assert!(
        o["props"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "answered" && p["value"] == "no")
    );
    assert_eq!(o["collected"], "2026-09-01T00:00:00Z");
    // Not counted as an answer: the scores are those of the answers alone.
    let without = {
        let mut ans = ans.clone();
        ans.unanswered_evidence.clear();
        assessment_oscal::assessment_results(
            &Assessed::new(&c, &ans, as_of()),
            "assessment-plan.json",
        )
    };
    let descriptions = |v: &Value| -> Vec<Value> {
        v["assessment-results"]["results"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["description"].clone())
            .collect()
    };
    assert_eq!(descriptions(&ar), descriptions(&without));
}
