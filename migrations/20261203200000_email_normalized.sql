-- Look-alike emails (composed/decomposed forms, İ/i, upper case, Unicode domains) made
-- separate accounts: accounts are now told apart by a normalised key. The column starts
-- empty and is filled by the service itself (NFC, case folding and IDNA are not SQL), which
-- leaves the key empty and reports every account whose key an older account already has,
-- rather than failing here: NULLs never collide in a unique index, on both backends.
ALTER TABLE accounts ADD COLUMN email_normalized TEXT;
CREATE UNIQUE INDEX accounts_email_normalized_key ON accounts (email_normalized);
