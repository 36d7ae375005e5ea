-- An organization's open findings from its latest vulnerability scans (issue 12), kept
-- structured so that the action plan can rank them: KEV-listed first, then the most days
-- past HICP Table 8's timeframe. A newer scan of a host by the same kind of scanner
-- replaces what an older one said about that host; an older file imported later does not.
-- The file itself is kept as evidence (table evidence); this is what it says, per finding.

-- When each host was last scanned, per kind of scanner: a host scanned clean has no
-- findings, and its date must still keep an older file from bringing its findings back.
CREATE TABLE scanned_hosts (
    org_id        TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    scanner_kind  TEXT NOT NULL,
    host          TEXT NOT NULL,
    scanned_on    TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    imported_at   INTEGER NOT NULL,
    PRIMARY KEY (org_id, scanner_kind, host)
);

CREATE TABLE scan_findings (
    org_id        TEXT NOT NULL,
    scanner_kind  TEXT NOT NULL,
    host          TEXT NOT NULL,
    -- The finding's place in its file, to keep the file's order.
    seq           INTEGER NOT NULL,
    port          INTEGER,
    protocol      TEXT,
    title         TEXT NOT NULL,
    severity      TEXT NOT NULL,
    -- CVE ids separated by spaces.
    cves          TEXT NOT NULL DEFAULT '',
    first_seen    TEXT,
    last_seen     TEXT,
    fix_published TEXT,
    kev           BOOLEAN NOT NULL,
    -- The scanner and layout, in words ("Nessus v2 XML").
    source        TEXT NOT NULL,
    PRIMARY KEY (org_id, scanner_kind, host, seq),
    FOREIGN KEY (org_id, scanner_kind, host)
        REFERENCES scanned_hosts (org_id, scanner_kind, host) ON DELETE CASCADE
);
