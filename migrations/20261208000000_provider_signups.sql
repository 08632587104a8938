-- A sign-up through a provider with an address the provider did not vouch for waits here
-- until the link mailed to that address is followed: no account exists before, so the
-- sign-up's answer cannot tell whether the address already has one. The token is stored
-- only as its SHA-256. Deleted when used, and by the `provider_signups` retention rule.
CREATE TABLE provider_signups (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    provider TEXT NOT NULL CHECK (provider IN ('google', 'github', 'facebook')),
    subject TEXT NOT NULL,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    display_name TEXT NOT NULL,
    terms_version TEXT NOT NULL,
    provider_email TEXT,
    provider_display_name TEXT,
    profile_json TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX provider_signups_token_hash_key ON provider_signups (token_hash);
CREATE INDEX provider_signups_email_key_idx ON provider_signups (email_key, created_at);
CREATE INDEX provider_signups_expires_idx ON provider_signups (expires_at);
