//! Readability of the small tier (issue 14, item 11): the criteria a small practice answers are
//! short checks in plain words, and every one says how to tell.
//!
//! The grade is the Flesch-Kincaid grade exactly as the Python package `textstat` 0.7.3 computes
//! it (with its default settings: US English, apostrophes removed, outputs rounded):
//!
//! - words: the text with every character that is neither a word character nor whitespace
//!   removed, split on whitespace;
//! - sentences: the matches of `\b[^.!?]+[.!?]*`, not counting those of two words or fewer (at
//!   least one);
//! - syllables: per word (lower case, punctuation removed), one more than the number of
//!   hyphenation points `pyphen` finds with the `hyph_en_US.dic` patterns (Liang's algorithm,
//!   at least two letters before a point and two after it);
//! - grade: `0.39 * ASL + 11.8 * ASW - 15.59`, where ASL (words per sentence) and ASW (syllables
//!   per word) are each rounded to one decimal first, and the grade is rounded to one decimal,
//!   halves away from zero.
//!
//! `fixtures/hyph_en_US.dic` is the pattern file pyphen 0.18.1 ships (BSD-style licence, see
//! `fixtures/README_hyph_en_US.txt`). `counter_matches_textstat` holds the counter to values that
//! textstat 0.7.3 (with pyphen 0.18.1) printed for the same texts. When it was written, the
//! counter also gave textstat's grade for all 895 texts of the built-in catalog's criteria,
//! guidance, actions and sub-practice summaries (catalog version 5).

use hicp_core::catalog::{Catalog, SourceFile, Tier, load};
use std::collections::HashMap;
use std::sync::OnceLock;

const DIC: &str = include_str!("fixtures/hyph_en_US.dic");

/// Hyphenation patterns: letters to (offset of the first non-zero value, values).
struct Patterns {
    map: HashMap<Vec<char>, (usize, Vec<u8>)>,
    maxlen: usize,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let mut map = HashMap::new();
        for line in DIC.split('\n').skip(1) {
            let line = line.trim();
            if line.is_empty()
                || [
                    "%",
                    "#",
                    "LEFTHYPHENMIN",
                    "RIGHTHYPHENMIN",
                    "COMPOUNDLEFTHYPHENMIN",
                    "COMPOUNDRIGHTHYPHENMIN",
                ]
                .iter()
                .any(|p| line.starts_with(p))
            {
                continue;
            }
            // values[k] is the digit before letter k; the last one is after the last letter.
            let mut tags = Vec::new();
            let mut values = vec![0u8];
            for ch in line.chars() {
                if let Some(d) = ch.to_digit(10) {
                    *values.last_mut().unwrap() = d as u8;
                } else {
                    tags.push(ch);
                    values.push(0);
                }
            }
            if values.iter().all(|v| *v == 0) {
                continue;
            }
            let start = values.iter().position(|v| *v != 0).unwrap();
            let end = values.iter().rposition(|v| *v != 0).unwrap() + 1;
            map.insert(tags, (start, values[start..end].to_vec()));
        }
        let maxlen = map.keys().map(Vec::len).max().unwrap_or(0);
        Patterns { map, maxlen }
    })
}

/// pyphen's `Pyphen(lang="en_US").positions(word)` (left = right = 2).
fn hyphen_points(word: &str) -> usize {
    let p = patterns();
    let word: Vec<char> = word.to_lowercase().chars().collect();
    let mut pointed = vec!['.'];
    pointed.extend(&word);
    pointed.push('.');
    let mut refs = vec![0u8; pointed.len() + 1];
    for i in 0..pointed.len() - 1 {
        let stop = (i + p.maxlen).min(pointed.len()) + 1;
        for j in i + 1..stop {
            if let Some((offset, values)) = p.map.get(&pointed[i..j]) {
                for (k, v) in values.iter().enumerate() {
                    let r = &mut refs[i + offset + k];
                    *r = (*r).max(*v);
                }
            }
        }
    }
    let right = word.len() as isize - 2;
    refs.iter()
        .enumerate()
        .filter(|(_, r)| *r % 2 == 1)
        .map(|(i, _)| i as isize - 1)
        .filter(|i| (2..=right).contains(i))
        .count()
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `remove_punctuation`: drop `[^\w\s]`.
fn remove_punctuation(text: &str) -> String {
    text.chars()
        .filter(|c| is_word_char(*c) || c.is_whitespace())
        .collect()
}

fn lexicon_count(text: &str) -> usize {
    remove_punctuation(text).split_whitespace().count()
}

fn syllable_count(text: &str) -> usize {
    remove_punctuation(&text.to_lowercase())
        .split_whitespace()
        .map(|w| hyphen_points(w) + 1)
        .sum()
}

/// `re.findall(r'\b[^.!?]+[.!?]*', text)`, less the matches of two words or fewer.
fn sentence_count(text: &str) -> usize {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let term = |c: char| matches!(c, '.' | '!' | '?');
    let boundary = |i: usize| {
        let before = i > 0 && is_word_char(chars[i - 1]);
        let after = i < n && is_word_char(chars[i]);
        before != after
    };
    let (mut i, mut found, mut ignored) = (0, 0usize, 0usize);
    while i < n {
        if boundary(i) && !term(chars[i]) {
            let mut j = i;
            while j < n && !term(chars[j]) {
                j += 1;
            }
            while j < n && term(chars[j]) {
                j += 1;
            }
            let sentence: String = chars[i..j].iter().collect();
            found += 1;
            if lexicon_count(&sentence) <= 2 {
                ignored += 1;
            }
            i = j;
        } else {
            i += 1;
        }
    }
    found.saturating_sub(ignored).max(1)
}

/// textstat's `_legacy_round`: `floor(x * 10^p + copysign(0.5, x)) / 10^p`.
fn round1(x: f64) -> f64 {
    (x * 10.0 + 0.5f64.copysign(x)).floor() / 10.0
}

fn fk_grade(text: &str) -> f64 {
    let words = lexicon_count(text);
    if words == 0 {
        return round1(-15.59);
    }
    let asl = round1(words as f64 / sentence_count(text) as f64);
    let asw = round1(syllable_count(text) as f64 / words as f64);
    round1(0.39 * asl + 11.8 * asw - 15.59)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn builtin() -> Catalog {
    let files: Vec<SourceFile> = hicp_content::builtin_files()
        .into_iter()
        .map(|(path, text)| SourceFile { path, text })
        .collect();
    match load(hicp_content::BUILTIN_ROOT, &files) {
        Ok(c) => c,
        Err(e) => panic!("the built-in catalog must load:\n{e}"),
    }
}

#[test]
fn counter_matches_textstat() {
    // (text, flesch_kincaid_grade, syllable_count, lexicon_count, sentence_count) as printed by
    // textstat 0.7.3 with pyphen 0.18.1.
    let cases: &[(&str, f64, usize, usize, usize)] = &[
        ("The cat sat on the mat.", -1.5, 6, 6, 1),
        (
            "All work email, and every message that mentions a patient, goes through a business \
             email service whose provider has signed a business associate agreement (BAA), never \
             through free personal addresses such as @gmail.com, @yahoo.com or @aol.com.",
            9.1,
            54,
            36,
            2,
        ),
        (
            "Staff know the one agreed way to report a suspicious email. They use it, e.g. the \
             \"report\" button.",
            2.1,
            23,
            18,
            3,
        ),
        (
            "Back-ups run every day! Does anyone test a restore? Yes: twice a year, on 1.5 TB of data.",
            1.5,
            23,
            18,
            4,
        ),
        (
            "Multi-factor authentication protects the practice's electronic health record system.",
            15.1,
            21,
            9,
            1,
        ),
        (
            "Encryption, vulnerability, configuration, cybersecurity, organization, administrator, \
             ransomware, phishing.",
            38.3,
            34,
            8,
            1,
        ),
        (
            "HIPAA 164.308(a)(1)(ii)(A) requires a risk analysis; we've done ours.",
            4.4,
            13,
            9,
            1,
        ),
        ("Ask your IT vendor.", 1.3, 5, 4, 1),
    ];
    for (text, grade, syllables, words, sentences) in cases {
        assert_eq!(syllable_count(text), *syllables, "syllables of {text:?}");
        assert_eq!(lexicon_count(text), *words, "words of {text:?}");
        assert_eq!(sentence_count(text), *sentences, "sentences of {text:?}");
        assert_eq!(fk_grade(text), *grade, "grade of {text:?}");
    }
    let words: &[(&str, usize)] = &[
        ("encryption", 3),
        ("vulnerability", 6),
        ("configuration", 5),
        ("cybersecurity", 6),
        ("organization", 5),
        ("administrator", 5),
        ("ransomware", 2),
        ("phishing", 2),
        ("email", 1),
        ("every", 2),
        ("practice's", 2),
        ("multifactor", 4),
        ("manager", 3),
        ("schedule", 2),
    ];
    for (w, n) in words {
        assert_eq!(syllable_count(w), *n, "syllables of {w:?}");
    }
}

fn small_criteria(c: &Catalog) -> Vec<(String, String, Option<String>)> {
    c.sub_practices
        .iter()
        .filter(|s| s.tier == Tier::Small)
        .flat_map(|s| s.criteria.iter())
        .map(|cr| (cr.id.to_string(), cr.text.clone(), cr.guidance.clone()))
        .collect()
}

#[test]
fn small_tier_criteria_read_at_grade_nine() {
    let c = builtin();
    let graded: Vec<(String, f64)> = small_criteria(&c)
        .into_iter()
        .map(|(id, text, _)| (id, fk_grade(&text)))
        .collect();
    assert!(graded.len() >= 84, "{} small criteria", graded.len());
    let too_hard: Vec<String> = graded
        .iter()
        .filter(|(_, g)| *g > 12.0)
        .map(|(id, g)| format!("{id} ({g})"))
        .collect();
    assert!(
        too_hard.is_empty(),
        "small-tier criteria above grade 12: {too_hard:?}"
    );
    let m = median(graded.iter().map(|(_, g)| *g).collect());
    assert!(m <= 9.0, "median grade of small-tier criteria is {m}");
}

#[test]
fn every_small_tier_criterion_says_how_to_tell() {
    let c = builtin();
    let missing: Vec<String> = small_criteria(&c)
        .into_iter()
        .filter(|(_, _, g)| {
            g.as_deref()
                .is_none_or(|g| g.split_whitespace().count() < 6)
        })
        .map(|(id, _, _)| id)
        .collect();
    assert!(
        missing.is_empty(),
        "small-tier criteria without \"how to tell\" guidance: {missing:?}"
    );
}
