"""Extract identifiers (facts) from the shared reference into catalog reference data.

Only ids, titles and mapping pairs are taken; descriptive sentences are written
separately in our own words. Run once; the output is committed and hand-edited.
"""
import re, sys
src = open(sys.argv[1]).read()

# CSF 2.0 functions / categories / subcategories
core = src.split("### 2.2")[1].split("### 2.3")[0]
funcs, cats, subs = [], [], []
cur_cat = None
for line in core.splitlines():
    m = re.match(r"\*\*([A-Z]{2}) — ([A-Za-z ]+)\*\*", line)
    if m:
        funcs.append((m.group(1), m.group(2).strip())); continue
    m = re.match(r"- \*\*([A-Z]{2}\.[A-Z]{2}) (.+)\*\*", line)
    if m:
        cur_cat = m.group(1); cats.append((cur_cat, m.group(2).strip())); continue
    m = re.match(r"\s+- ([A-Z]{2}\.[A-Z]{2}-\d\d):", line)
    if m:
        subs.append((m.group(1), cur_cat))
print(len(funcs), len(cats), len(subs), file=sys.stderr)
with open("catalog/hicp-2023/references/csf-2.0.yaml", "w") as f:
    f.write("# NIST Cybersecurity Framework 2.0 core (CSWP 29, 26 Feb 2024): identifiers and titles.\n")
    f.write("# Summaries are short paraphrases in our own words, not NIST's outcome text.\n")
    f.write("functions:\n")
    for i, n in funcs:
        f.write(f"  - id: {i}\n    name: {n}\n")
    f.write("categories:\n")
    for i, n in cats:
        f.write(f"  - id: {i}\n    name: {n}\n")
    f.write("subcategories:\n")
    for i, c in subs:
        f.write(f"  - id: {i}\n    summary: TODO\n")

# 1.1 -> 2.0 mapping
mp = src.split("### 2.3")[1].split("## 3.")[0]
rows = []
for line in mp.splitlines():
    m = re.match(r"\| (?:\*\*)?([A-Z]{2}\.[A-Z]{2}(?:-\d+)?)(?:\*\*)? \| .*? \| (.+?) \|$", line)
    if not m: continue
    src_id, tgt = m.group(1), m.group(2)
    targets = re.findall(r"\b([A-Z]{2}(?:\.[A-Z]{2}(?:-\d\d)?)?)\b", tgt) if not tgt.startswith("—") and "no target" not in tgt else []
    rows.append((src_id, targets))
print(len(rows), file=sys.stderr)
with open("catalog/hicp-2023/references/csf-1.1-to-2.0.yaml", "w") as f:
    f.write("# NIST CSF 1.1 -> 2.0 mapping (NIST, published 2024-06-29; every row is 'intersect').\n")
    f.write("# HICP prints CSF 1.1 references; the CSF 2.0 references of each sub-practice are derived through this table.\n")
    f.write("# An empty 'to' means NIST gives no 2.0 target (a dissolved category, or RC.CO-2).\n")
    f.write("mappings:\n")
    for s, t in rows:
        f.write(f"  - from: {s}\n    to: [{', '.join(t)}]\n")

# HIPAA
h = src.split("### 3.1")[1].split("### 3.2")[0]
with open("catalog/hicp-2023/references/hipaa-security-rule.yaml", "w") as f:
    f.write("# HIPAA Security Rule, 45 CFR Part 164 Subpart C: standards and implementation specifications.\n")
    f.write("# kind: standard | required | addressable (45 CFR 164.306(d)).\n")
    f.write("sections:\n")
    sec = None
    for line in h.splitlines():
        m = re.match(r"\| \*\*(164\.3\d\d) (.+?)\*\* \|", line)
        if m:
            f.write(f"  - section: \"{m.group(1)}\"\n    name: {m.group(2)}\n    entries:\n"); continue
        m = re.match(r"\| (164\.3\d\d\S*) \| (.+?) \| (.+?) \|$", line)
        if m:
            cit, name, ra = m.groups()
            kind = "standard" if ra.startswith("std") else ("required" if ra.startswith("R") else "addressable")
            name = re.sub(r"\s*\((standard|standard only)\)", "", name)
            f.write(f"      - citation: \"{cit}\"\n        name: \"{name}\"\n        kind: {kind}\n")
