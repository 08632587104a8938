-- How many times a request's export or erasure job has failed. The privacy worker runs a
-- failed job again after a growing delay while this is small, so a passing failure (a full
-- disk, a database restart) still ends in an answer within the 30 days; past the last
-- retry the request waits, open, for staff.
ALTER TABLE dsr_requests ADD COLUMN job_failures BIGINT NOT NULL DEFAULT 0;
