-- A person's own change of email address, waiting for the confirmation link sent to the
-- new address (one pending change per account; a new one replaces it). The token is
-- stored only as its SHA-256.
CREATE TABLE email_changes (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    new_email TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX email_changes_token_hash_key ON email_changes (token_hash);
