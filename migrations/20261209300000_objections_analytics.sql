-- Objections to processing (GDPR Art. 21) that act, and the product-improvement analytics
-- they (and consent) govern.
--
-- An objection names the processing it removes the person from; while it is in force
-- (withdrawn_at NULL) that processing leaves the person out. request_id is a plain id, not a
-- foreign key, for the same reason as restrictions.request_id.
CREATE TABLE objections (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    processing TEXT NOT NULL CHECK (processing IN ('product_analytics')),
    -- What the person said (shown to them on their privacy page).
    reason TEXT NOT NULL,
    request_id TEXT,
    placed_by TEXT NOT NULL,
    placed_at BIGINT NOT NULL,
    withdrawn_by TEXT,
    withdrawn_at BIGINT,
    withdraw_reason TEXT
);
CREATE INDEX objections_account_idx ON objections (account_id, withdrawn_at);
-- At most one objection in force per account and processing.
CREATE UNIQUE INDEX objections_in_force_key ON objections (account_id, processing) WHERE withdrawn_at IS NULL;

-- Daily aggregate figures (orders per category, delivery times, refunds) over consenting
-- members only; a figure is stored only when at least the policy's minimum group size of
-- customers and of owners stand behind it, so no row describes a person.
CREATE TABLE analytics_figures (
    -- The UTC day the figure describes: its first instant (Unix ms, a multiple of 86,400,000).
    day_start BIGINT NOT NULL,
    category TEXT NOT NULL,
    metric TEXT NOT NULL CHECK (metric IN ('orders_placed', 'orders_completed', 'orders_refunded', 'mean_delivery_minutes')),
    value BIGINT NOT NULL,
    -- How many distinct customers and owners the figure counts (each at least k).
    customers BIGINT NOT NULL,
    owners BIGINT NOT NULL,
    PRIMARY KEY (day_start, category, metric)
);

-- One row per computed day: a day is computed once, after it ends, in one transaction with
-- its figures, so a crash leaves either the whole day or none of it.
CREATE TABLE analytics_days (
    day_start BIGINT PRIMARY KEY,
    computed_at BIGINT NOT NULL,
    -- Members whose orders could be counted (consenting, not restricted, not objecting).
    members_included BIGINT NOT NULL,
    -- Figures left out because fewer than k customers or owners stood behind them.
    figures_suppressed BIGINT NOT NULL
);
