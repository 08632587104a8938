-- Retention: leases that keep two sweepers off the same rule, and a record of every run.

CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE retention_runs (
    id TEXT PRIMARY KEY,
    rule TEXT NOT NULL,
    dry_run BIGINT NOT NULL CHECK (dry_run IN (0, 1)),
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    cutoff_at BIGINT,
    rows_examined BIGINT NOT NULL DEFAULT 0,
    rows_affected BIGINT NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed', 'skipped', 'interrupted')),
    error TEXT
);
CREATE INDEX retention_runs_rule_idx ON retention_runs (rule, started_at);
