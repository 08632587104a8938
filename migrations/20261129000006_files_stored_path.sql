-- Where each uploaded file's bytes are, relative to the data dir (files/<2 hex>/<sha256>), so
-- the data map can mark it `file = true`: the export copies the file into the archive's
-- files/ folder and erasure that deletes the row deletes the file (when no other row still
-- uses the same bytes). Portable across SQLite and PostgreSQL.
ALTER TABLE files ADD COLUMN stored_path TEXT NOT NULL DEFAULT '';
UPDATE files SET stored_path = 'files/' || substr(content_sha256, 1, 2) || '/' || content_sha256;
