-- Staff offboarding: an admin API token expires (90 days after it is issued by default), and
-- a staff account can be deactivated, which stops all its tokens at once.
ALTER TABLE staff_tokens ADD COLUMN expires_at BIGINT;
UPDATE staff_tokens SET expires_at = created_at + 7776000000;
ALTER TABLE staff_accounts ADD COLUMN deactivated_at BIGINT;
