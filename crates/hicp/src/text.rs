//! Plain-text layout for the terminal.

/// Wraps `s` to `width` columns, assuming every line, the first included, starts at
/// column `indent` (the caller prints the first line's indent itself).
pub fn wrap(s: &str, width: usize, indent: usize) -> String {
    let mut out = String::new();
    let mut col = indent;
    for word in s.split_whitespace() {
        let len = word.chars().count();
        if !out.is_empty() {
            if col + 1 + len > width {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                col = indent;
            } else {
                out.push(' ');
                col += 1;
            }
        }
        out.push_str(word);
        col += len;
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn wraps_at_width_and_indents() {
        assert_eq!(super::wrap("aa bb cc", 9, 2), "aa bb\n  cc");
        assert_eq!(super::wrap("", 5, 2), "");
    }
}
