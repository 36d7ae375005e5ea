-- Single sign-on with OpenID Connect.
-- A sign-in under way at an identity provider: what the browser must bring back (the
-- state, kept as its SHA-256) and what proves the answer is ours (nonce, PKCE verifier).
-- Each is used once and lives ten minutes.
CREATE TABLE sso_logins (
    state_hash    TEXT PRIMARY KEY,
    provider      TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX sso_logins_expires ON sso_logins(expires_at);
-- Which account a provider's subject (`sub`) signs in to.
CREATE TABLE user_identities (
    provider   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX user_identities_user ON user_identities(user_id);
-- A session opened through a provider, and whether that provider vouches for a second factor.
ALTER TABLE sessions ADD COLUMN sso_provider TEXT;
ALTER TABLE sessions ADD COLUMN idp_mfa BOOLEAN NOT NULL DEFAULT false;
