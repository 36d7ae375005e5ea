//! mSCP compliance results: the CSV the compliance script writes
//! (`Rule,Status,Result,Expected,Exemption`) and the audit plist (`rule -> {finding: bool}`),
//! XML or binary.

use crate::input::{CsvRows, Header, Out, field};
use crate::model::{Compliance, RuleResult};
use crate::{Error, mapping};
use std::io::Read;

/// The audit plist is a small file (one entry per rule); anything past this is not one.
const MAX_PLIST: u64 = 32 * 1024 * 1024;

pub(crate) fn read_csv(mut rows: CsvRows<'_>, out: &mut Out) -> Result<(), Error> {
    out.scanner = "mSCP compliance CSV".into();
    let Some(names) = rows.next_row(out)? else {
        return Ok(());
    };
    let h = Header::new(names, out, "line 1");
    let (rule, status, exemption) = (
        h.find(&["rule"]),
        h.find(&["status"]),
        h.find(&["exemption"]),
    );
    while let Some(row) = rows.next_row(out)? {
        out.records += 1;
        let Some(id) = field(&row, rule) else {
            out.warn(rows.at(), "row without a rule name skipped");
            continue;
        };
        let result = field(&row, status).map_or(RuleResult::Unknown, |s| RuleResult::from_word(&s));
        if result == RuleResult::Unknown {
            out.warn(rows.at(), format!("status of {id} not understood"));
        }
        out.compliance.push(Compliance {
            hicp: mapping::hicp_of_rule(&id),
            rule: id,
            result,
            exempt: field(&row, exemption).is_some(),
        });
    }
    Ok(())
}

pub(crate) fn read_plist<R: Read>(input: R, out: &mut Out) -> Result<(), Error> {
    let mut bytes = Vec::new();
    input.take(MAX_PLIST + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_PLIST {
        return Err(Error::Unsupported(
            "a property list this large is not an mSCP audit plist".into(),
        ));
    }
    out.scanner = if bytes.starts_with(b"bplist") {
        "mSCP audit plist (binary)"
    } else {
        "mSCP audit plist"
    }
    .into();
    let value =
        plist::Value::from_reader(std::io::Cursor::new(bytes)).map_err(|e| Error::Malformed {
            at: "plist".into(),
            message: format!("the property list cannot be read: {e}"),
        })?;
    let Some(dict) = value.as_dictionary() else {
        return Err(Error::Malformed {
            at: "plist".into(),
            message: "the property list is not a dictionary of rules".into(),
        });
    };
    for (id, entry) in dict {
        out.records += 1;
        let Some(entry) = entry.as_dictionary() else {
            out.warn(
                format!("key {id}"),
                "not a rule entry (a dictionary) and skipped",
            );
            continue;
        };
        // `finding` true means the rule failed.
        let result = match entry.get("finding").and_then(plist::Value::as_boolean) {
            Some(true) => RuleResult::Fail,
            Some(false) => RuleResult::Pass,
            None => {
                out.warn(format!("key {id}"), "no finding flag");
                RuleResult::Unknown
            }
        };
        let exempt = entry
            .get("exempt")
            .and_then(plist::Value::as_boolean)
            .unwrap_or(false);
        out.compliance.push(Compliance {
            hicp: mapping::hicp_of_rule(id),
            rule: id.clone(),
            result,
            exempt,
        });
    }
    Ok(())
}
