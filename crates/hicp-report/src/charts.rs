//! Hand-written SVG charts: deterministic, accessible (a title, a description and a data
//! table beside them), styled by the page. The one implementation: the web app's dashboard and
//! the HTML report both draw with it.

use crate::escape;
use hicp_core::assessment::scoring::show;
use std::fmt::Write as _;

/// One bar: a label and a score from 0 to 100 (`None`: nothing to score yet).
pub struct Bar {
    pub label: String,
    pub score: Option<f64>,
}

/// A horizontal bar chart of scores, 0-100. Its title and description have the ids `t` and
/// `d`; use [`bar_chart_with_id`] when a page holds more than one chart.
pub fn bar_chart(title: &str, bars: &[Bar]) -> String {
    draw("t", "d", title, bars)
}

/// The same chart, with `{id}-t` and `{id}-d` as the ids of its title and description, so
/// that several charts can share a page.
pub fn bar_chart_with_id(id: &str, title: &str, bars: &[Bar]) -> String {
    draw(&format!("{id}-t"), &format!("{id}-d"), title, bars)
}

fn draw(title_id: &str, desc_id: &str, title: &str, bars: &[Bar]) -> String {
    const LINE: usize = 16;
    const LABEL_W: usize = 340;
    const BAR_W: usize = 320;
    // Labels wrap onto lines of this many characters rather than being cut off.
    const LABEL_CHARS: usize = 44;
    let labels: Vec<Vec<String>> = bars.iter().map(|b| wrap(&b.label, LABEL_CHARS)).collect();
    let rows: Vec<usize> = labels
        .iter()
        .map(|l| (l.len() * LINE + 12).max(28))
        .collect();
    let bars_h: usize = rows.iter().sum();
    // The axis, then the legend of the colours.
    let height = bars_h + 24 + 26;
    let width = LABEL_W + BAR_W + 60;
    let desc: Vec<String> = bars
        .iter()
        .map(|b| match b.score {
            Some(s) => format!("{}: {} out of 100", b.label, show(Some(s))),
            None => format!("{}: not scored", b.label),
        })
        .collect();
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 {width} {height}\" \
         width=\"100%\" aria-labelledby=\"{title_id} {desc_id}\"><title id=\"{title_id}\">{}</title><desc id=\"{desc_id}\">{}</desc>",
        escape(title),
        escape(&format!(
            "{}. Colours: green 75 and over, amber 40 to under 75, red under 40.",
            desc.join("; ")
        ))
    );
    let mut top = 0;
    for ((b, lines), row) in bars.iter().zip(&labels).zip(&rows) {
        // The bar sits in the middle of its row; the label's lines centre on it.
        let y = top + (row - 18) / 2;
        let first = y + 14 - (lines.len() - 1) * LINE / 2;
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{first}\" text-anchor=\"end\" font-size=\"13\" fill=\"#1d2430\">",
            LABEL_W - 8
        );
        for (i, line) in lines.iter().enumerate() {
            let _ = write!(
                svg,
                "<tspan x=\"{}\" dy=\"{}\">{}</tspan>",
                LABEL_W - 8,
                if i == 0 { 0 } else { LINE },
                escape(line)
            );
        }
        svg.push_str("</text>");
        let _ = write!(
            svg,
            "<rect x=\"{LABEL_W}\" y=\"{y}\" width=\"{BAR_W}\" height=\"18\" rx=\"3\" fill=\"#e8ecf2\"/>"
        );
        if let Some(s) = b.score {
            let w = (s.clamp(0.0, 100.0) / 100.0 * BAR_W as f64).round();
            let _ = write!(
                svg,
                "<rect x=\"{LABEL_W}\" y=\"{y}\" width=\"{w}\" height=\"18\" rx=\"3\" fill=\"{}\"/>",
                color(s)
            );
        }
        // Rounded as every other output rounds (one decimal).
        let value = show(b.score);
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"13\" fill=\"#1d2430\">{value}</text>",
            LABEL_W + BAR_W + 8,
            y + 14
        );
        top += row;
    }
    let axis_y = bars_h + 14;
    for tick in [0, 50, 100] {
        let x = LABEL_W + tick * BAR_W / 100;
        let _ = write!(
            svg,
            "<text x=\"{x}\" y=\"{axis_y}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#5b6576\">{tick}</text>"
        );
    }
    // The legend: what the colours mean.
    let legend_y = bars_h + 30;
    let mut x = 8;
    for (fill, words) in [
        (color(100.0), "75 and over"),
        (color(50.0), "40 to under 75"),
        (color(0.0), "under 40"),
        ("#e8ecf2", "n/a: not scored yet"),
    ] {
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{legend_y}\" width=\"14\" height=\"14\" rx=\"2\" fill=\"{fill}\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#1d2430\">{words}</text>",
            x + 20,
            legend_y + 12
        );
        x += 40 + words.len() * 7;
    }
    svg.push_str("</svg>");
    svg
}

/// `s` in lines of at most `max` characters, broken between words (a word longer than a
/// line is broken inside).
fn wrap(s: &str, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        let mut word: String = word.to_owned();
        while word.chars().count() > max {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let head: String = word.chars().take(max).collect();
            word = word.chars().skip(max).collect();
            lines.push(head);
        }
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > max {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn color(score: f64) -> &'static str {
    if score >= 75.0 {
        "#1e7b4b"
    } else if score >= 40.0 {
        "#c98a00"
    } else {
        "#b3261e"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_is_accessible_escaped_and_deterministic() {
        let bars = [
            Bar {
                label: "Ransomware <&>".into(),
                score: Some(62.0),
            },
            Bar {
                label: "Insider".into(),
                score: None,
            },
        ];
        let a = bar_chart("Threat coverage", &bars);
        assert_eq!(a, bar_chart("Threat coverage", &bars));
        assert!(a.contains("role=\"img\""));
        assert!(a.contains("<title id=\"t\">Threat coverage</title>"));
        assert!(a.contains("Ransomware &lt;&amp;&gt;: 62.0 out of 100; Insider: not scored"));
        // Values round as the report's tables and the CLI round.
        let c = bar_chart(
            "x",
            &[Bar {
                label: "y".into(),
                score: Some(11.66),
            }],
        );
        assert!(c.contains(">11.7</text>"), "{c}");
        assert!(c.contains("y: 11.7 out of 100"), "{c}");
        assert!(!a.contains("<&>"));
        // 62% of the 320-pixel bar.
        assert!(a.contains("width=\"198\""));
        let b = bar_chart_with_id("threats", "Threat coverage", &bars);
        assert!(b.contains("aria-labelledby=\"threats-t threats-d\""));
        // A legend says what the colours mean.
        assert!(a.contains(">75 and over</text>") && a.contains(">under 40</text>"));
    }

    #[test]
    fn long_labels_wrap_and_are_never_cut() {
        let label = "Vulnerability management: scanning, patching and the tracking of exceptions across every site";
        let lines = wrap(label, 44);
        assert!(
            lines.len() >= 2 && lines.iter().all(|l| l.chars().count() <= 44),
            "{lines:?}"
        );
        assert_eq!(lines.join(" "), label);
        let c = bar_chart(
            "x",
            &[Bar {
                label: label.into(),
                score: Some(50.0),
            }],
        );
        assert!(c.contains("exceptions") && c.contains("every site"), "{c}");
        assert!(!c.contains('…'));
        assert_eq!(wrap("", 10), vec![String::new()]);
        assert_eq!(wrap(&"x".repeat(25), 10).len(), 3);
    }
}
