//! The `tag=value; tag=value` lists of DKIM (RFC 6376 3.2), DMARC, MTA-STS and TLS-RPT.

/// One tag, as written (the name is compared without regard to case by the callers that
/// allow it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub name: String,
    pub value: String,
}

/// Splits a tag list. A tag without `=` or with an empty name is an error naming it; a
/// trailing `;` is allowed; white space around names and values is dropped.
pub fn parse(text: &str) -> Result<Vec<Tag>, String> {
    let mut out = Vec::new();
    for raw in text.split(';') {
        let t = raw.trim();
        if t.is_empty() {
            continue;
        }
        let Some((name, value)) = t.split_once('=') else {
            return Err(format!("\"{t}\" is not of the form tag=value"));
        };
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
            return Err(format!("\"{name}\" is not a valid tag name"));
        }
        if out.iter().any(|x: &Tag| x.name.eq_ignore_ascii_case(name)) {
            return Err(format!("the tag \"{name}\" appears twice"));
        }
        out.push(Tag {
            name: name.to_owned(),
            value: value.trim().to_owned(),
        });
    }
    Ok(out)
}

/// The value of the tag `name` (ASCII case-insensitive).
pub fn get<'a>(tags: &'a [Tag], name: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.name.eq_ignore_ascii_case(name))
        .map(|t| t.value.as_str())
}

#[cfg(test)]
mod tests {
    #[test]
    fn splits_and_refuses() {
        let t = super::parse(" v=DMARC1 ; p = reject;").unwrap();
        assert_eq!(super::get(&t, "P"), Some("reject"));
        assert!(super::parse("v=DMARC1; p").is_err());
        assert!(super::parse("p=none; p=reject").is_err());
    }
}
