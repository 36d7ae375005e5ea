//! Lenient reading of the date formats scanners write. Only the calendar day is kept: HICP's
//! timeframes are counted in days.

use hicp_core::assessment::Date;

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month(word: &str) -> Option<u8> {
    let w = word.get(..3)?.to_ascii_lowercase();
    MONTHS.iter().position(|m| *m == w).map(|i| i as u8 + 1)
}

fn num<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Reads `2019-08-13...`, `08/13/2019 ...`, `Tue Aug 13 12:07:38 2019`, `Aug 13, 2019 ...`,
/// `13 Aug 2019` and Unix seconds (10 digits, as DMARC and Nessus timestamps are).
pub fn parse(text: &str) -> Option<Date> {
    let t = text.trim();
    if t.len() < 6 {
        return None;
    }
    // ISO 8601: the first ten characters.
    if let Some(head) = t.get(..10) {
        let b = head.as_bytes();
        if b[4] == b'-' && b[7] == b'-' {
            return Date::new(num(&head[..4])?, num(&head[5..7])?, num(&head[8..10])?);
        }
    }
    if t.len() == 10 && t.bytes().all(|b| b.is_ascii_digit()) {
        let secs: i64 = t.parse().ok()?;
        return Date::new(1970, 1, 1)?.add_days(secs.div_euclid(86_400));
    }
    let words: Vec<&str> = t
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    // US numeric: MM/DD/YYYY.
    if let Some(first) = words.first() {
        let parts: Vec<&str> = first.split('/').collect();
        if parts.len() == 3 && parts[0].len() == 4 {
            // Nessus writes `2012/05/03`.
            return Date::new(num(parts[0])?, num(parts[1])?, num(parts[2])?);
        }
        if parts.len() == 3 {
            let (a, b, y): (u8, u8, i32) = (num(parts[0])?, num(parts[1])?, num(parts[2])?);
            // US order unless the first number cannot be a month.
            let (m, d) = if a > 12 { (b, a) } else { (a, b) };
            return Date::new(y, m, d);
        }
    }
    let year = words.iter().find_map(|w| {
        (w.len() == 4)
            .then(|| num::<i32>(w))
            .flatten()
            .filter(|y| (1970..=2200).contains(y))
    })?;
    let mon_at = words.iter().position(|w| month(w).is_some())?;
    let m = month(words[mon_at])?;
    // The day is the short number next to the month, after it or before it.
    let day = words
        .get(mon_at + 1)
        .and_then(|w| num::<u8>(w).filter(|_| w.len() <= 2))
        .or_else(|| {
            mon_at
                .checked_sub(1)
                .and_then(|i| words.get(i))
                .and_then(|w| num::<u8>(w).filter(|_| w.len() <= 2))
        })?;
    Date::new(year, m, day)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn reads_the_formats_scanners_write() {
        for (text, want) in [
            ("2019-08-13T12:07:38Z", "2019-08-13"),
            ("Tue Aug 13 12:07:38 2019", "2019-08-13"),
            ("Jun 25, 2019 11:42:04 UTC", "2019-06-25"),
            ("05/13/2021 07:08:28", "2021-05-13"),
            ("22/09/2022 13:01", "2022-09-22"),
            ("2012/05/03", "2012-05-03"),
            ("13 Aug 2019", "2019-08-13"),
            ("1565697600", "2019-08-13"),
        ] {
            assert_eq!(
                parse(text).map(|d| d.to_string()).as_deref(),
                Some(want),
                "{text}"
            );
        }
        for bad in ["", "yesterday", "2019-13-45", "99/99/9999", "Feb 30 2020"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
