-- The privacy desk acts on what it records: restrictions of processing (GDPR Art. 18) that
-- take a person's data out of processing while in force, and staff notes on requests.
--
-- request_id columns are plain ids, not foreign keys: a request is swept by retention on its
-- own clock, and its restriction or notes must not stop that sweep.
CREATE TABLE restrictions (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    -- Why processing is restricted (shown to the person on their privacy page).
    reason TEXT NOT NULL,
    -- The restriction request it answers, if any.
    request_id TEXT,
    placed_by TEXT NOT NULL,
    placed_at BIGINT NOT NULL,
    lifted_by TEXT,
    lifted_at BIGINT,
    lift_reason TEXT
);
CREATE INDEX restrictions_account_idx ON restrictions (account_id, lifted_at);
-- At most one restriction in force per account.
CREATE UNIQUE INDEX restrictions_in_force_key ON restrictions (account_id) WHERE lifted_at IS NULL;

CREATE TABLE dsr_notes (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL,
    -- The request's subject, so export, erasure and retention find the note.
    account_id TEXT NOT NULL REFERENCES accounts (id),
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX dsr_notes_request_idx ON dsr_notes (request_id, created_at);
CREATE INDEX dsr_notes_account_idx ON dsr_notes (account_id);
