-- How a data subject's identity was established before their request was acted on, and,
-- when staff verified it, how they did (GDPR Art. 12(6)). Requests verified before this
-- was recorded: a dashboard request was made signed in, a CLI one by an operator; for the
-- others the way is unknown and stays NULL.
ALTER TABLE dsr_requests ADD COLUMN verified_by TEXT
    CHECK (verified_by IN ('signed_in', 'email_link', 'staff', 'controller', 'operator'));
ALTER TABLE dsr_requests ADD COLUMN verification_note TEXT;
UPDATE dsr_requests SET verified_by = 'signed_in' WHERE verified_at IS NOT NULL AND channel = 'dashboard';
UPDATE dsr_requests SET verified_by = 'operator' WHERE verified_at IS NOT NULL AND channel = 'cli';
