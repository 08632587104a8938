-- Keyed hashes (HMAC-SHA256 under the server's fraud key, never the address) of the
-- normalised email addresses of erased accounts, kept for the `closed_addresses` rule's
-- period so that signing up again with the same address earns no second sign-up bonus.
-- Deliberately not linked to any account.
CREATE TABLE closed_addresses (
    address_hmac TEXT PRIMARY KEY,
    closed_at BIGINT NOT NULL
);
CREATE INDEX closed_addresses_closed_idx ON closed_addresses (closed_at);
