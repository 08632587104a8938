-- Idempotency keys of the JSON API's writes (`Idempotency-Key` header): one row per caller and
-- key, reserved before the action runs and completed with the answer, replayed to retries for
-- 24 hours (retention rule `idempotency_keys`). The key is stored only as
-- SHA-256(caller, key); `account_id` is the data subject (the signed-in account, or the
-- owner of the agent whose bearer key called), so erasure deletes the subject's rows.
CREATE TABLE idempotency_keys (
    id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL,
    account_id TEXT NOT NULL,
    -- 'running' while the first request is being served; 'done' once its answer is stored;
    -- 'interrupted' when it ended without a stored answer (its outcome is unknown).
    state TEXT NOT NULL CHECK (state IN ('running', 'done', 'interrupted')),
    -- Which server process serves a running request: a row of another process is
    -- interrupted (the process died between the action and storing its answer).
    instance TEXT NOT NULL,
    -- SHA-256 (hex) of method, path and body of the first request; bytes in its body.
    fingerprint TEXT,
    body_bytes BIGINT,
    -- The stored answer: status, replayed headers (JSON [[name, value], ...]), body.
    status BIGINT,
    headers TEXT,
    body TEXT,
    created_at BIGINT NOT NULL,
    completed_at BIGINT
);
CREATE UNIQUE INDEX idempotency_keys_key_hash_key ON idempotency_keys (key_hash);
CREATE INDEX idempotency_keys_account_idx ON idempotency_keys (account_id);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
