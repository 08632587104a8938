-- Which version of the terms of service (policies/terms.toml, the acceptable use policy
-- included) each member accepted, and when: sign-up requires accepting the version in
-- force, and a new version asks again, so an account may have several rows. Portable
-- across SQLite and PostgreSQL: ids TEXT, times BIGINT Unix ms (UTC).
CREATE TABLE terms_acceptances (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    version TEXT NOT NULL,
    accepted_at BIGINT NOT NULL
);
CREATE INDEX terms_acceptances_account ON terms_acceptances (account_id, accepted_at);
