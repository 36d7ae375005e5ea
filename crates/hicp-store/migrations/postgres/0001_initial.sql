-- HICP store, initial schema (PostgreSQL). Append-only: never edit a migration once
-- released; add a new file. Times are Unix milliseconds (BIGINT), dates are 'YYYY-MM-DD'
-- (TEXT), exactly as in the SQLite schema, so both backends return identical values.
-- Names are unqualified: the schema is the connection's search_path.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL
);

CREATE TABLE organizations (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    profile_json    TEXT,
    tier            TEXT,
    tier_reason     TEXT,
    tier_overridden BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE memberships (
    org_id     TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'assessor', 'viewer')),
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE login_failures (
    id  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key TEXT NOT NULL,
    at  BIGINT NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures(key, at);

CREATE TABLE assessments (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    tier          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    created_by    TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at    BIGINT NOT NULL,
    closed_at     BIGINT,
    closed_by     TEXT REFERENCES users(id) ON DELETE SET NULL,
    snapshot_json TEXT
);
CREATE INDEX assessments_org ON assessments(org_id, created_at);
-- At most one open assessment per organization.
CREATE UNIQUE INDEX assessments_one_open ON assessments(org_id) WHERE status = 'open';

CREATE TABLE answers (
    assessment_id  TEXT NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
    criterion_id   TEXT NOT NULL,
    status         TEXT NOT NULL,
    na_reason      TEXT,
    notes          TEXT,
    owner          TEXT,
    in_place_since TEXT,
    updated_by     TEXT REFERENCES users(id) ON DELETE SET NULL,
    updated_at     BIGINT NOT NULL,
    version        BIGINT NOT NULL CHECK (version >= 1),
    PRIMARY KEY (assessment_id, criterion_id)
);

CREATE TABLE assessment_sub_practices (
    assessment_id   TEXT NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
    sub_practice_id TEXT NOT NULL,
    opted_in_by     TEXT REFERENCES users(id) ON DELETE SET NULL,
    opted_in_at     BIGINT NOT NULL,
    PRIMARY KEY (assessment_id, sub_practice_id)
);

CREATE TABLE evidence (
    id            TEXT PRIMARY KEY,
    assessment_id TEXT NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
    criterion_id  TEXT,
    action_id     TEXT,
    title         TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('file', 'link')),
    file_name     TEXT,
    content_type  TEXT,
    size          BIGINT NOT NULL DEFAULT 0,
    sha256        TEXT,
    url           TEXT,
    collected_on  TEXT,
    valid_until   TEXT,
    added_by      TEXT REFERENCES users(id) ON DELETE SET NULL,
    added_at      BIGINT NOT NULL
);
CREATE INDEX evidence_assessment ON evidence(assessment_id, criterion_id);

-- The bytes apart from the metadata, so that listing evidence never reads them.
CREATE TABLE evidence_blobs (
    evidence_id TEXT PRIMARY KEY REFERENCES evidence(id) ON DELETE CASCADE,
    bytes       BYTEA NOT NULL
);

CREATE TABLE action_tracking (
    org_id     TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    action_id  TEXT NOT NULL,
    owner      TEXT,
    due_on     TEXT,
    status     TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'done', 'risk_accepted')),
    reason     TEXT,
    updated_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    updated_at BIGINT NOT NULL,
    version    BIGINT NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, action_id)
);

-- Append-only: no foreign keys (entries outlive what they describe), and a trigger refuses
-- UPDATE and DELETE.
CREATE TABLE audit_log (
    seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        BIGINT NOT NULL,
    user_id   TEXT,
    org_id    TEXT,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    field     TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT
);
CREATE INDEX audit_log_org ON audit_log(org_id, seq);
CREATE INDEX audit_log_user ON audit_log(user_id, seq);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id, seq);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
