-- Mail intake recognises a message delivered twice by its Message-ID, and reads the mailbox
-- from the last UID it recorded (not from the \Seen flag, which a restore or a person
-- reading the mailbox can leave out of step with what heepr holds).
ALTER TABLE mail_intake ADD COLUMN message_id TEXT;
CREATE INDEX mail_intake_message_idx ON mail_intake (message_id);
-- When the confirmation link was emailed: it works for 14 days from then, not from when
-- the request arrived (an emailed request may wait in the mailbox).
ALTER TABLE dsr_requests ADD COLUMN verification_sent_at BIGINT;
