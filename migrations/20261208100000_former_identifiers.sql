-- The display names and email addresses an account had before it changed them (by itself
-- or by a rectification): other people's messages, files and mail written before the
-- change still name the person that way, so erasure searches for these too. Kept while the
-- account exists; deleted by its erasure.
CREATE TABLE former_identifiers (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    kind TEXT NOT NULL CHECK (kind IN ('email', 'display_name')),
    value TEXT NOT NULL,
    replaced_at BIGINT NOT NULL
);
CREATE INDEX former_identifiers_account_idx ON former_identifiers (account_id);
