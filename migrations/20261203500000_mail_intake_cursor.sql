-- Where mail intake stopped reading each mailbox, kept apart from the intake records:
-- erasure and the retention sweep delete those records, and a position read from them went
-- back and recorded the same messages again (an erased person's request recorded anew).
CREATE TABLE mail_intake_cursor (
    mailbox TEXT NOT NULL,
    uid_validity BIGINT NOT NULL,
    last_uid BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (mailbox, uid_validity)
);

INSERT INTO mail_intake_cursor (mailbox, uid_validity, last_uid, updated_at)
SELECT mailbox, uid_validity, MAX(uid), MAX(processed_at)
FROM mail_intake
GROUP BY mailbox, uid_validity;
