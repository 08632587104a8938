-- Data-subject requests that arrive by email (`heepr dsr intake`, and `heepr serve` when an
-- intake mailbox is configured). One row per message of the intake mailbox, written in the
-- same transaction as the request it starts, so a message is never lost or counted twice:
-- the (mailbox, uid_validity, uid) key makes reprocessing after a crash a no-op.
CREATE TABLE mail_intake (
    id TEXT PRIMARY KEY,
    -- user@host/MAILBOX of the intake mailbox (never the password).
    mailbox TEXT NOT NULL,
    uid_validity BIGINT NOT NULL,
    uid BIGINT NOT NULL,
    -- The sender's address (From:, lowercased); a Reply-To is never used.
    from_address TEXT NOT NULL,
    subject TEXT,
    -- The original message (RFC 5322), kept as the request's evidence.
    raw_message TEXT NOT NULL,
    -- When the mail server received it (IMAP INTERNALDATE, Unix ms): the 30-day clock starts here.
    arrived_at BIGINT NOT NULL,
    -- What intake did with it (IntakeOutcome).
    outcome TEXT NOT NULL,
    -- The kind read from the text, if any.
    kind TEXT,
    account_id TEXT REFERENCES accounts (id),
    request_id TEXT REFERENCES dsr_requests (id),
    processed_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX mail_intake_uid_key ON mail_intake (mailbox, uid_validity, uid);
CREATE INDEX mail_intake_account_idx ON mail_intake (account_id);
CREATE INDEX mail_intake_request_idx ON mail_intake (request_id);
CREATE INDEX mail_intake_outcome_idx ON mail_intake (outcome, arrived_at);
