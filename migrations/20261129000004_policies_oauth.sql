-- Sign-in providers (Google, GitHub, Facebook), consents, and change notices of published
-- policies. Portable across SQLite and PostgreSQL: ids TEXT, times BIGINT Unix ms (UTC).

-- A provider account linked to a heepr account: the provider's stable subject id and the
-- basic profile fields it returned (policy: "if you sign in via Google, GitHub, or Facebook,
-- the basic profile fields those providers return to us").
CREATE TABLE sign_in_identities (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    provider TEXT NOT NULL CHECK (provider IN ('google', 'github', 'facebook')),
    subject TEXT NOT NULL,
    email TEXT,
    display_name TEXT,
    -- The provider's profile response as returned (JSON text).
    profile_json TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX sign_in_identities_provider_subject_key ON sign_in_identities (provider, subject);
CREATE UNIQUE INDEX sign_in_identities_account_provider_key ON sign_in_identities (account_id, provider);

-- One authorization round trip with a provider: the state (stored as a hash) and the PKCE
-- verifier, used at most once, short-lived. After the callback of an unknown identity it
-- holds the provider's profile until the person confirms being 16+ (sign-up).
CREATE TABLE sign_in_flows (
    id TEXT PRIMARY KEY,
    state_hash TEXT NOT NULL,
    provider TEXT NOT NULL CHECK (provider IN ('google', 'github', 'facebook')),
    purpose TEXT NOT NULL CHECK (purpose IN ('sign_in', 'link')),
    -- The signed-in account that asked to link a provider (purpose 'link').
    account_id TEXT REFERENCES accounts (id),
    pkce_verifier TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('started', 'awaiting_signup', 'done')),
    subject TEXT,
    email TEXT,
    display_name TEXT,
    profile_json TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX sign_in_flows_state_hash_key ON sign_in_flows (state_hash);
CREATE INDEX sign_in_flows_expires_idx ON sign_in_flows (expires_at);

-- Consent events per account: what was consented to, under which version of its text,
-- given or withdrawn, when. Append-only; the latest event per purpose is the current state.
CREATE TABLE consents (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    purpose TEXT NOT NULL,
    version TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('given', 'withdrawn')),
    recorded_at BIGINT NOT NULL
);
CREATE INDEX consents_account_idx ON consents (account_id, purpose, recorded_at);

-- One change notice per (policy, version, account): the unique key makes a rerun of a killed
-- publish job skip the accounts already notified, so each recipient gets the email once.
CREATE TABLE policy_notices (
    id TEXT PRIMARY KEY,
    policy TEXT NOT NULL,
    version TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    email_id TEXT NOT NULL,
    queued_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX policy_notices_policy_version_account_key ON policy_notices (policy, version, account_id);
CREATE INDEX policy_notices_account_idx ON policy_notices (account_id);

-- Each published version of a policy as it read when published (rendered blocks as JSON),
-- so an old version stays readable with the figures it stated, even after the policy
-- files changed.
CREATE TABLE policy_publications (
    id TEXT PRIMARY KEY,
    policy TEXT NOT NULL,
    version TEXT NOT NULL,
    effective TEXT NOT NULL,
    material BIGINT NOT NULL,
    blocks_json TEXT NOT NULL,
    published_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX policy_publications_policy_version_key ON policy_publications (policy, version);
