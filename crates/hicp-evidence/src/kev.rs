//! CISA's Known Exploited Vulnerabilities catalog, JSON or CSV, as the user downloads it.

use crate::input::{CsvRows, Header, Legacy, Out, field};
use crate::model::{CveId, KevSummary};
use crate::{Error, Kind};
use serde::Deserialize;
use std::collections::HashSet;
use std::io::Read;

/// The CVE ids of a KEV catalog, to flag findings with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KevCatalog {
    ids: HashSet<CveId>,
    pub version: Option<String>,
}

impl KevCatalog {
    /// Reads a catalog file (JSON or CSV, told from the content).
    pub fn read<R: Read>(reader: R) -> Result<KevCatalog, Error> {
        let (_, out, _) = crate::run(reader, Kind::Kev, Legacy::default())?;
        Ok(out
            .kev_catalog
            .map(|k| KevCatalog::of(&k))
            .unwrap_or_default())
    }

    /// The catalog a KEV file's import read (its `kev_catalog`).
    pub fn of(summary: &KevSummary) -> KevCatalog {
        KevCatalog {
            ids: summary.ids.iter().cloned().collect(),
            version: summary.version.clone(),
        }
    }

    pub fn from_ids<I: IntoIterator<Item = CveId>>(ids: I) -> KevCatalog {
        KevCatalog {
            ids: ids.into_iter().collect(),
            version: None,
        }
    }

    /// Its CVE ids, sorted (to keep it: an organization's latest KEV catalog).
    pub fn cves(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.ids.iter().map(CveId::as_str).collect();
        out.sort_unstable();
        out
    }

    pub fn contains(&self, id: &CveId) -> bool {
        self.ids.contains(id)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

#[derive(Deserialize)]
struct Catalog {
    #[serde(rename = "catalogVersion")]
    version: Option<String>,
    #[serde(rename = "dateReleased")]
    released: Option<String>,
    #[serde(default)]
    vulnerabilities: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "cveID")]
    cve: Option<String>,
}

pub(crate) fn read_json<R: Read>(input: R, out: &mut Out) -> Result<(), Error> {
    out.scanner = "CISA KEV catalog (JSON)".into();
    let catalog: Catalog = serde_json::from_reader(input).map_err(|e| Error::Malformed {
        at: format!("line {}, column {}", e.line(), e.column()),
        message: format!("the KEV catalog JSON cannot be read: {e}"),
    })?;
    out.generated = catalog.released;
    for (i, e) in catalog.vulnerabilities.iter().enumerate() {
        out.records += 1;
        push(out, e.cve.as_deref(), &format!("vulnerabilities[{i}]"));
    }
    out.kev_catalog = Some(KevSummary {
        version: catalog.version,
        ids: std::mem::take(&mut out.kev_ids),
    });
    Ok(())
}

pub(crate) fn read_csv(mut rows: CsvRows<'_>, out: &mut Out) -> Result<(), Error> {
    out.scanner = "CISA KEV catalog (CSV)".into();
    let Some(names) = rows.next_row(out)? else {
        return Ok(());
    };
    let h = Header::new(names, out, "line 1");
    let (cve, added) = (h.find(&["cveid"]), h.find(&["dateadded"]));
    let mut latest: Option<String> = None;
    while let Some(row) = rows.next_row(out)? {
        out.records += 1;
        let at = rows.at();
        push(out, field(&row, cve).as_deref(), &at);
        if let Some(d) = field(&row, added)
            && latest.as_ref().is_none_or(|l| d > *l)
        {
            latest = Some(d);
        }
    }
    out.generated = latest;
    out.kev_catalog = Some(KevSummary {
        version: None,
        ids: std::mem::take(&mut out.kev_ids),
    });
    Ok(())
}

fn push(out: &mut Out, cve: Option<&str>, at: &str) {
    match cve.and_then(CveId::parse) {
        Some(id) => out.kev_ids.push(id),
        None => out.warn(
            at,
            format!("\"{}\" is not a CVE id; entry skipped", cve.unwrap_or("")),
        ),
    }
}
