-- Account lifecycle: a disabled account cannot sign in; a password set by an administrator
-- must be changed at the next sign-in.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
