//! The assessment report as PDF, made without a browser: typst used as a library.
//!
//! The template (`templates/report.typ`, embedded) reads the report's view-model from a
//! virtual `/data.json` and the three charts from virtual `/charts/*.svg`; the user's text is
//! only ever data there, never markup, so nothing needs escaping. The [`World`] below knows
//! those four files and the fonts embedded from `typst-assets`: no file system, no network, no
//! clock (the document carries no creation date, so the same inputs give the same bytes).

use crate::ReportError;
use crate::model::{
    ActionRow, Changes, CriterionRow, Detail, DossierPractice, DossierRow, EvidenceRow,
    FindingsSection, MappedRow, ProposedView, Report, ScoreRow, ThreatRow,
};
use hicp_core::assessment::Answers;
use hicp_interop::assessment::Assessed;
use serde_json::{Value, json};
use std::sync::LazyLock;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

const TEMPLATE: &str = include_str!("../templates/report.typ");

/// Renders the report of an assessed answers file as PDF, with what changed since `previous`
/// when given (as [`crate::html::report`]).
pub fn report(a: &Assessed, previous: Option<(&Answers, &str)>) -> Result<Vec<u8>, ReportError> {
    let r = crate::model::build(a, previous);
    render(&r)
}

/// Renders a built view-model as PDF.
pub fn render(r: &Report) -> Result<Vec<u8>, ReportError> {
    let data = serde_json::to_vec(&data(r)).map_err(|e| ReportError::Pdf(e.to_string()))?;
    let world = ReportWorld {
        main: Source::new(id("/report.typ"), TEMPLATE.to_owned()),
        files: vec![
            (id("/data.json"), Bytes::new(data)),
            (id("/charts/threats.svg"), svg(&r.threat_chart)),
            (id("/charts/practices.svg"), svg(&r.practice_chart)),
            (id("/charts/csf.svg"), svg(&r.csf_chart)),
        ],
    };
    let compiled = typst::compile::<PagedDocument>(&world).output;
    // Typst memoizes across compilations; keep a long-running server from growing.
    typst::comemo::evict(2);
    let doc = compiled.map_err(|diags| {
        ReportError::Pdf(
            diags
                .iter()
                .map(|d| d.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let options = typst_pdf::PdfOptions {
        ident: Smart::Custom(format!("hicp-report {} {}", r.org, r.as_of)),
        creator: Smart::Custom(Some("HICP Toolkit".to_owned())),
        ..Default::default()
    };
    typst_pdf::pdf(&doc, &options).map_err(|diags| {
        ReportError::Pdf(
            diags
                .iter()
                .map(|d| d.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

fn id(path: &str) -> FileId {
    FileId::new(RootedPath::new(
        VirtualRoot::Project,
        VirtualPath::new(path).expect("a valid virtual path"),
    ))
}

/// A chart for typst: the HTML report's SVG sizes itself to its container (`width="100%"`);
/// here the template gives the width, so the intrinsic size is the view box.
fn svg(chart: &str) -> Bytes {
    Bytes::new(chart.replacen(" width=\"100%\"", "", 1).into_bytes())
}

/// The embedded fonts (Libertinus Serif, New Computer Modern, DejaVu Sans Mono), parsed once.
static FONTS: LazyLock<(LazyHash<FontBook>, Vec<Font>)> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
    (LazyHash::new(FontBook::from_fonts(&fonts)), fonts)
});

static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

/// Everything the compilation may see: the template, its data, the charts and the fonts.
struct ReportWorld {
    main: Source,
    files: Vec<(FileId, Bytes)>,
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.0
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files
            .iter()
            .find(|(f, _)| *f == id)
            .map(|(_, b)| b.clone())
            .ok_or_else(|| FileError::NotFound(id.vpath().get_without_slash().to_owned().into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.1.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // The report is dated by its assessment date, never by the clock.
        None
    }
}

// The view-model as data for the template. Field names are those of `model.rs`.

fn data(r: &Report) -> Value {
    json!({
        "org": r.org,
        "org_type": r.org_type,
        "tier": r.tier,
        "sizing": r.sizing,
        "as_of": r.as_of,
        "window_start": r.window_start,
        "catalog_title": r.catalog_title,
        "overall": r.overall,
        "overall_words": r.overall_words,
        "answered": r.answered,
        "in_scope": r.in_scope,
        "opted_in": r.opted_in,
        "threats": r.threats.iter().map(threat).collect::<Vec<_>>(),
        "top_actions": r.top_actions.iter().map(action).collect::<Vec<_>>(),
        "plan_len": r.plan_len,
        "changes": r.changes.as_ref().map(changes),
        "practices": r.practices.iter().map(score_row).collect::<Vec<_>>(),
        "csf": r.csf.iter().map(score_row).collect::<Vec<_>>(),
        "cpg": r.cpg.iter().map(mapped).collect::<Vec<_>>(),
        "hipaa": r.hipaa.iter().map(mapped).collect::<Vec<_>>(),
        "hipaa_not_addressed": r.hipaa_not_addressed,
        "proposed": r.proposed.as_ref().map(proposed),
        "findings": r.findings.as_ref().map(findings),
        "plan": r.plan.iter().map(action).collect::<Vec<_>>(),
        "details": r.details.iter().map(detail).collect::<Vec<_>>(),
        "evidence": r.evidence.iter().map(evidence).collect::<Vec<_>>(),
        "dossier": r.dossier.iter().map(dossier).collect::<Vec<_>>(),
        "practices_qualifying": r.practices_qualifying,
    })
}

fn threat(t: &ThreatRow) -> Value {
    json!({
        "id": t.id, "name": t.name, "unverified": t.unverified, "edition": t.edition,
        "weight": t.weight,
        "score": t.score, "words": t.words,
    })
}

fn score_row(s: &ScoreRow) -> Value {
    json!({
        "id": s.id, "name": s.name, "unverified": s.unverified, "edition": s.edition,
        "score": s.score,
        "detail": s.detail,
    })
}

fn mapped(m: &MappedRow) -> Value {
    json!({
        "id": m.id, "name": m.name, "unverified": m.unverified, "essential": m.essential,
        "status": m.status, "status_class": m.status_class, "score": m.score,
        "sub_practices": m.sub_practices,
    })
}

fn proposed(p: &ProposedView) -> Value {
    json!({
        "label": p.label, "rule": p.rule, "counts": p.counts,
        "rows": p.rows.iter().map(|x| json!({
            "title": x.title, "unverified": x.unverified, "readiness": x.readiness,
            "status_class": x.status_class, "criteria": x.criteria, "also_check": x.also_check,
        })).collect::<Vec<_>>(),
    })
}

fn findings(f: &FindingsSection) -> Value {
    json!({
        "summary": f.summary, "method": f.method, "more": f.more, "ranked": f.ranked,
        "kev": f.kev, "overdue": f.overdue,
        "rows": f.rows.iter().map(|x| json!({
            "rank": x.rank, "host": x.host, "title": x.title, "cves": x.cves,
            "severity": x.severity, "since": x.since, "due": x.due, "overdue": x.overdue,
            "kev": x.kev, "why": x.why,
        })).collect::<Vec<_>>(),
    })
}

fn action(a: &ActionRow) -> Value {
    json!({
        "rank": a.rank, "horizon": a.horizon, "due": a.due, "sub_practice": a.sub_practice,
        "title": a.title, "text": a.text, "effort": a.effort, "cost": a.cost, "gain": a.gain,
        "owners": a.owners, "status": a.status, "status_note": a.status_note,
        "then": a.then, "why": a.why, "numbers": a.numbers,
    })
}

fn changes(c: &Changes) -> Value {
    json!({ "previous": c.previous, "overall": c.overall, "lines": c.lines })
}

fn detail(d: &Detail) -> Value {
    json!({
        "id": d.id, "title": d.title, "unverified": d.unverified, "edition": d.edition,
        "practice": d.practice,
        "score": d.score, "opted_in": d.opted_in, "csf": d.csf, "cpg": d.cpg,
        "hipaa": d.hipaa, "criteria": d.criteria.iter().map(criterion).collect::<Vec<_>>(),
    })
}

fn criterion(c: &CriterionRow) -> Value {
    json!({
        "id": c.id, "text": c.text, "status": c.status, "status_class": c.status_class,
        "owner": c.owner, "since": c.since, "notes": c.notes, "reason": c.reason,
        "evidence": c.evidence, "numbers": c.numbers,
    })
}

fn evidence(e: &EvidenceRow) -> Value {
    json!({
        "n": e.n, "title": e.title, "criterion": e.criterion, "unanswered": e.unanswered,
        "location": e.location,
        "collected": e.collected, "valid_until": e.valid_until, "expired": e.expired,
    })
}

fn dossier(p: &DossierPractice) -> Value {
    json!({
        "number": p.number, "name": p.name, "qualifies": p.qualifies,
        "sub_practices": p.sub_practices.iter().map(dossier_row).collect::<Vec<_>>(),
    })
}

fn dossier_row(s: &DossierRow) -> Value {
    json!({
        "id": s.id, "title": s.title, "in_place": s.in_place, "since": s.since,
        "qualifies_on": s.qualifies_on, "proof": s.proof, "gaps": s.gaps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_world_knows_only_its_files() {
        let w = ReportWorld {
            main: Source::new(id("/report.typ"), String::new()),
            files: vec![(id("/data.json"), Bytes::new(b"{}".to_vec()))],
        };
        assert!(w.file(id("/data.json")).is_ok());
        assert!(w.file(id("/etc/passwd")).is_err());
        assert!(w.source(id("/data.json")).is_err());
        assert!(w.today(None).is_none());
        assert!(w.font(0).is_some());
    }

    #[test]
    fn charts_lose_their_relative_width() {
        let b = svg("<svg a=\"1\" width=\"100%\" b=\"2\"></svg>");
        assert_eq!(b.as_slice(), b"<svg a=\"1\" b=\"2\"></svg>");
    }
}
