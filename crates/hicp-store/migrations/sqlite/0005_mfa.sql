-- Multifactor sign-in with TOTP (RFC 6238). The secret being enrolled is kept apart from
-- the active one until a code proves the authenticator has it; the last accepted time step
-- makes each code single-use. Recovery codes are kept as SHA-256 digests.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
CREATE TABLE recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   INTEGER,
    PRIMARY KEY (user_id, code_hash)
);
-- A session whose password was right but whose second factor is still due.
ALTER TABLE sessions ADD COLUMN mfa_pending BOOLEAN NOT NULL DEFAULT 0;
-- An organization can require its members to sign in with a second factor.
ALTER TABLE organizations ADD COLUMN require_mfa BOOLEAN NOT NULL DEFAULT 0;
