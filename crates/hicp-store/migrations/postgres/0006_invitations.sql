-- Adding someone to an organization is an invitation they accept: the organization's admin
-- learns nothing of accounts elsewhere, and nobody joins an organization without consent.
CREATE TABLE invitations (
    org_id     TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email      TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'assessor', 'viewer')),
    invited_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, email)
);
CREATE INDEX invitations_email ON invitations(email);
