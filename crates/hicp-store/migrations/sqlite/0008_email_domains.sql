-- An organization's email domains (issue 13), with the result of the latest check: the
-- report's JSON as hicp-email writes it. Each check is also kept as dated evidence.
CREATE TABLE email_domains (
    org_id         TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    domain         TEXT NOT NULL,
    -- DKIM selectors to look at, separated by spaces (DNS cannot list them).
    dkim_selectors TEXT NOT NULL DEFAULT '',
    added_by       TEXT REFERENCES users(id) ON DELETE SET NULL,
    added_at       INTEGER NOT NULL,
    checked_at     INTEGER,
    check_json     TEXT,
    PRIMARY KEY (org_id, domain)
);
