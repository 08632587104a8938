-- Email verification at sign-up: the sign-up bonus and ordering wait for it.
-- Accounts present before verification existed are treated as verified, so nobody loses
-- what they already have (their bonus was credited at sign-up).
ALTER TABLE accounts ADD COLUMN email_verified_at BIGINT;
UPDATE accounts SET email_verified_at = created_at;

-- The verification link of an account not yet verified (one per account; a resend
-- replaces its token). The token is stored only as its SHA-256. `created_at` opens the
-- window in which `sends` counts the emails sent, for the resend limit.
CREATE TABLE email_verifications (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_sent_at BIGINT NOT NULL,
    sends BIGINT NOT NULL
);
CREATE UNIQUE INDEX email_verifications_token_hash_key ON email_verifications (token_hash);
