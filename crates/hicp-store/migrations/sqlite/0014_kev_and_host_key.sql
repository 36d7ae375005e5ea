-- Issue 12, continued.
--
-- 1. The KEV catalog an organization imported last: its open findings are flagged against
--    it, those stored when it is imported and those of scans imported after. One row per
--    organization; a newer import replaces it. CVE ids separated by spaces.
CREATE TABLE kev_catalogs (
    org_id        TEXT PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    version       TEXT,
    source_sha256 TEXT NOT NULL,
    cves          TEXT NOT NULL,
    imported_at   INTEGER NOT NULL
);

-- 2. A newer scan of a host replaces what an older one said, whatever the case of its name
--    and a trailing dot (web01.example.org. is WEB01.example.org): hosts match on host_key,
--    the name trimmed of trailing dots with its ASCII letters lowered (hicp_core's
--    findings::host_key; only ASCII, as DNS compares). The shown name stays in host.
ALTER TABLE scanned_hosts ADD COLUMN host_key TEXT NOT NULL DEFAULT '';
UPDATE scanned_hosts SET host_key = lower(rtrim(host, '.'));
-- Hosts that now share a key: the latest scan of them is kept (as a newer import would have
-- done), the others go with their findings.
DELETE FROM scan_findings WHERE EXISTS (
    SELECT 1 FROM scanned_hosts h JOIN scanned_hosts n
        ON n.org_id = h.org_id AND n.scanner_kind = h.scanner_kind AND n.host_key = h.host_key
    WHERE h.org_id = scan_findings.org_id AND h.scanner_kind = scan_findings.scanner_kind
        AND h.host = scan_findings.host
        AND (n.scanned_on > h.scanned_on OR (n.scanned_on = h.scanned_on AND n.host > h.host)));
DELETE FROM scanned_hosts WHERE EXISTS (
    SELECT 1 FROM scanned_hosts n
    WHERE n.org_id = scanned_hosts.org_id AND n.scanner_kind = scanned_hosts.scanner_kind
        AND n.host_key = scanned_hosts.host_key
        AND (n.scanned_on > scanned_hosts.scanned_on
             OR (n.scanned_on = scanned_hosts.scanned_on AND n.host > scanned_hosts.host)));
CREATE UNIQUE INDEX scanned_hosts_by_key ON scanned_hosts (org_id, scanner_kind, host_key);
