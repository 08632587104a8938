-- The stored files a running erasure replaced with redacted copies (one relative path per
-- line), so the originals are deleted even when the erasure is interrupted between
-- pointing the rows at the copies and removing the originals. Gone with the job row.
ALTER TABLE erasure_jobs ADD COLUMN replaced_files TEXT NOT NULL DEFAULT '';
