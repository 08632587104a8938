-- Foundation: accounts, sessions, points ledger, email outbox and log, request log.
-- Portable across SQLite and PostgreSQL: ids are TEXT (UUIDv7), times are BIGINT Unix
-- milliseconds (UTC), flags are BIGINT 0/1, JSON is TEXT.

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    -- Normalised (trimmed, lower-cased) so that uniqueness ignores case.
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    password_hash TEXT,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
    age_16_or_over_confirmed_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX accounts_email_key ON accounts (email);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    -- SHA-256 of the cookie token; the token itself is never stored.
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_account_idx ON sessions (account_id);

-- Double-entry points ledger. A ledger account holds points for a member, for one order's
-- escrow, or is the issuer that mints bonuses. `balance` is a projection of the entries,
-- maintained in the same transaction; the CHECK makes a negative member or escrow balance
-- impossible even under concurrent transfers.
CREATE TABLE ledger_accounts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('member', 'escrow', 'issuer')),
    account_id TEXT REFERENCES accounts (id),
    balance BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    CHECK (kind = 'issuer' OR balance >= 0)
);
CREATE INDEX ledger_accounts_account_idx ON ledger_accounts (account_id);

CREATE TABLE ledger_transfers (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    reference TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
-- A transfer of one kind happens once per reference (one sign-up bonus per account,
-- one settlement per order).
CREATE UNIQUE INDEX ledger_transfers_kind_reference_key ON ledger_transfers (kind, reference);

CREATE TABLE ledger_entries (
    id TEXT PRIMARY KEY,
    transfer_id TEXT NOT NULL REFERENCES ledger_transfers (id),
    ledger_account_id TEXT NOT NULL REFERENCES ledger_accounts (id),
    amount BIGINT NOT NULL CHECK (amount <> 0),
    created_at BIGINT NOT NULL
);
CREATE INDEX ledger_entries_ledger_account_idx ON ledger_entries (ledger_account_id);
CREATE INDEX ledger_entries_transfer_idx ON ledger_entries (transfer_id);

CREATE TABLE email_outbox (
    id TEXT PRIMARY KEY,
    account_id TEXT,
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    locked_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX email_outbox_due_idx ON email_outbox (next_attempt_at);

CREATE TABLE email_log (
    id TEXT PRIMARY KEY,
    account_id TEXT,
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    subject TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sent', 'failed')),
    transport TEXT NOT NULL,
    error TEXT,
    queued_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL
);
CREATE INDEX email_log_account_idx ON email_log (account_id);
CREATE INDEX email_log_finished_idx ON email_log (finished_at);

CREATE TABLE request_log (
    id TEXT PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    method TEXT NOT NULL,
    -- The matched route template (e.g. /api/v1/me/sessions/{id}), never the raw URI, so
    -- query strings and path secrets cannot reach the log.
    route TEXT NOT NULL,
    status BIGINT NOT NULL,
    latency_ms BIGINT NOT NULL,
    client_ip TEXT,
    user_agent TEXT,
    account_id TEXT
);
CREATE INDEX request_log_account_idx ON request_log (account_id);
CREATE INDEX request_log_occurred_idx ON request_log (occurred_at);

-- The issuer mints sign-up bonuses; its balance is minus all points ever issued.
INSERT INTO ledger_accounts (id, kind, account_id, balance, created_at) VALUES ('issuer', 'issuer', NULL, 0, 0);
