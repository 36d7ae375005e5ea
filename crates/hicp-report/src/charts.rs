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
    const ROW: usize = 28;
    const LABEL_W: usize = 340;
    const BAR_W: usize = 320;
    let height = bars.len() * ROW + 30;
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
        escape(&desc.join("; "))
    );
    for (i, b) in bars.iter().enumerate() {
        let y = i * ROW + 6;
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\" fill=\"#1d2430\">{}</text>",
            LABEL_W - 8,
            y + 15,
            escape(&shorten(&b.label, 40))
        );
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
            y + 15
        );
    }
    let axis_y = bars.len() * ROW + 22;
    for tick in [0, 50, 100] {
        let x = LABEL_W + tick * BAR_W / 100;
        let _ = write!(
            svg,
            "<text x=\"{x}\" y=\"{axis_y}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#5b6576\">{tick}</text>"
        );
    }
    svg.push_str("</svg>");
    svg
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

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
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
    }
}
