-- A running erasure's real identifiers. The erasure's first transaction writes the pseudonym
-- over the account row; the email and display name it needs to find the person in other
-- people's text (and in the mail spool) are kept here for the erasure's lifetime only, and
-- deleted in its final transaction. A crashed erasure resumes from this row.
CREATE TABLE erasure_jobs (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    started_at BIGINT NOT NULL
);
