-- Privacy toolkit: data-subject requests (DSRs), legal holds, the hash-chained audit log,
-- the erasure ledger, pseudonyms, export archives, staff accounts and their API tokens.
-- Portable across SQLite and PostgreSQL: ids TEXT, times BIGINT Unix ms (UTC), JSON as TEXT.

CREATE TABLE staff_accounts (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('privacy_officer', 'support')),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX staff_accounts_email_key ON staff_accounts (email);

-- Bearer tokens of the admin API; only the SHA-256 is stored (printed once at creation).
CREATE TABLE staff_tokens (
    id TEXT PRIMARY KEY,
    staff_id TEXT NOT NULL REFERENCES staff_accounts (id),
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX staff_tokens_token_hash_key ON staff_tokens (token_hash);

-- One data-subject request. The subject is identified by account id only: the email a
-- request arrived from is never stored here, so erasure has nothing to scrub in it.
CREATE TABLE dsr_requests (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    kind TEXT NOT NULL CHECK (kind IN ('access', 'rectification', 'erasure', 'restriction', 'objection', 'consent_withdrawal')),
    status TEXT NOT NULL CHECK (status IN ('received', 'awaiting_verification', 'in_progress', 'on_hold', 'completed', 'rejected', 'failed')),
    channel TEXT NOT NULL CHECK (channel IN ('dashboard', 'staff', 'cli')),
    details TEXT,
    -- Why the request is on hold, rejected or failed (required in those states).
    status_reason TEXT,
    received_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    extended_months BIGINT NOT NULL DEFAULT 0,
    extension_reason TEXT,
    verified_at BIGINT,
    -- SHA-256 of the emailed confirmation link's token; cleared once verified.
    verification_token_hash TEXT,
    duplicate_of TEXT REFERENCES dsr_requests (id),
    created_by TEXT NOT NULL,
    -- Set when the request's job (export or erasure) should run; the worker picks it up.
    job_requested_at BIGINT,
    -- Lease of the background worker running the request's job (Unix ms).
    locked_until BIGINT,
    completed_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX dsr_requests_account_idx ON dsr_requests (account_id);
CREATE INDEX dsr_requests_status_idx ON dsr_requests (status, due_at);
CREATE UNIQUE INDEX dsr_requests_verification_token_hash_key ON dsr_requests (verification_token_hash);

-- Export archives built for access requests; the file lives under DATA_DIR/exports.
CREATE TABLE export_archives (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES dsr_requests (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    file_path TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX export_archives_account_idx ON export_archives (account_id);
CREATE UNIQUE INDEX export_archives_request_id_key ON export_archives (request_id);

CREATE TABLE legal_holds (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    reason TEXT NOT NULL,
    placed_by TEXT NOT NULL,
    placed_at BIGINT NOT NULL,
    lifted_by TEXT,
    lifted_at BIGINT,
    lift_reason TEXT
);
CREATE INDEX legal_holds_account_idx ON legal_holds (account_id);

-- The stable random pseudonym of an erased person ("Former member 7F3A").
CREATE TABLE pseudonyms (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    pseudonym TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX pseudonyms_pseudonym_key ON pseudonyms (pseudonym);

-- Every completed erasure, so a restored backup can re-apply it (mirrored to a file).
CREATE TABLE erasure_ledger (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    request_id TEXT,
    erased_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX erasure_ledger_account_id_key ON erasure_ledger (account_id);

-- Append-only, hash-chained audit log. `hash` = SHA-256(prev_hash + canonical content).
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject_account_id TEXT,
    request_id TEXT,
    outcome TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_subject_idx ON audit_log (subject_account_id);
CREATE INDEX audit_log_request_idx ON audit_log (request_id);

-- The chain's head: one row, updated in every appending transaction, so concurrent writers
-- serialise on it (a row lock on PostgreSQL, the write lock on SQLite).
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
