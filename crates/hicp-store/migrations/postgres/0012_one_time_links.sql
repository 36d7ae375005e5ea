-- One-time links sent by email: a new person's link to choose a password and join the
-- organization that invited them (purpose 'join'), or an administrator's password reset
-- (purpose 'reset'). Only the SHA-256 of the link's secret is kept. A link is used once
-- (used_at) and expires; used and expired rows stay a while so that a second click can be
-- told why, and are pruned later.
CREATE TABLE one_time_links (
    token_hash   TEXT PRIMARY KEY NOT NULL,
    purpose      TEXT NOT NULL CHECK (purpose IN ('join', 'reset')),
    email        TEXT NOT NULL,
    user_id      TEXT REFERENCES users(id) ON DELETE CASCADE,
    org_id       TEXT REFERENCES organizations(id) ON DELETE CASCADE,
    display_name TEXT,
    created_by   TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);
CREATE INDEX one_time_links_email ON one_time_links(email);
CREATE INDEX one_time_links_expires ON one_time_links(expires_at);
