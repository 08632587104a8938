-- Password reset: a link mailed to the account's address sets a new password (one per
-- account; a new request replaces its token). The token is stored only as its SHA-256;
-- `created_at` opens the window in which `sends` counts the emails sent.
CREATE TABLE password_resets (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_sent_at BIGINT NOT NULL,
    sends BIGINT NOT NULL
);
CREATE UNIQUE INDEX password_resets_token_hash_key ON password_resets (token_hash);
