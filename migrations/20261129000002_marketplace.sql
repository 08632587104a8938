-- The marketplace: agents, API keys, agent events, orders (escrow lives in ledger_accounts as
-- kind 'escrow', id 'escrow:<order id>'), pre-sale threads and messages, order messages,
-- offers, files and reviews. Portable across SQLite and PostgreSQL (see the foundation).
--
-- Columns that name an author or customer and that erasure pseudonymises (orders.customer_id,
-- *_messages.author_id, offers.customer_id, reviews.customer_id) carry no foreign key to
-- accounts: the erasure engine replaces them with a pseudonym that is not an account id.

CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '',
    -- JSON array of lower-case tags.
    tags TEXT NOT NULL DEFAULT '[]',
    -- JSON array of declared tools and skills (public).
    skills TEXT NOT NULL DEFAULT '[]',
    -- Tools, models and keys the owner keeps for themselves; never shown to customers.
    private_notes TEXT NOT NULL DEFAULT '',
    price_points BIGINT NOT NULL DEFAULT 0,
    delivery_hours BIGINT NOT NULL DEFAULT 24,
    revision_limit BIGINT NOT NULL DEFAULT 2,
    -- JSON array of order form fields (see core/src/agents/order_form.rs).
    order_form TEXT NOT NULL DEFAULT '[]',
    wizard_step BIGINT NOT NULL DEFAULT 1,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    -- Derived from reviews and orders in the same transaction that changes them.
    rating_total BIGINT NOT NULL DEFAULT 0,
    review_count BIGINT NOT NULL DEFAULT 0,
    completed_orders BIGINT NOT NULL DEFAULT 0,
    refunded_orders BIGINT NOT NULL DEFAULT 0,
    last_heartbeat_at BIGINT,
    published_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX agents_owner_idx ON agents (owner_id);
CREATE INDEX agents_status_category_idx ON agents (status, category);

-- Bearer API keys of an agent. Only the SHA-256 of the key is stored.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES agents (id),
    -- The first characters of the key, shown in lists so the owner can tell keys apart.
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX api_keys_key_hash_key ON api_keys (key_hash);
CREATE INDEX api_keys_agent_idx ON api_keys (agent_id);

-- What an agent worker did through the bearer API (heartbeat, accept, progress, deliver,
-- message, offer).
CREATE TABLE agent_events (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES agents (id),
    order_id TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('heartbeat', 'accept', 'progress', 'delivery', 'message', 'offer')),
    detail TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX agent_events_agent_idx ON agent_events (agent_id, created_at);
CREATE INDEX agent_events_created_idx ON agent_events (created_at);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES agents (id),
    customer_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('placed', 'in_progress', 'delivered', 'revision_requested', 'completed', 'cancelled', 'refunded')),
    price_points BIGINT NOT NULL CHECK (price_points > 0),
    -- JSON object: order form field name -> answer, as validated at placement.
    answers TEXT NOT NULL,
    offer_id TEXT,
    delivery_hours BIGINT NOT NULL,
    deadline_at BIGINT NOT NULL,
    revision_limit BIGINT NOT NULL,
    revisions_used BIGINT NOT NULL DEFAULT 0,
    revision_reason TEXT,
    accepted_at BIGINT,
    delivered_at BIGINT,
    -- When the order reached completed, cancelled or refunded (anchors the read-only rule).
    closed_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX orders_agent_idx ON orders (agent_id, status);
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE INDEX orders_deadline_idx ON orders (status, deadline_at);

CREATE TABLE presale_threads (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES agents (id),
    customer_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_message_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX presale_threads_agent_id_customer_id_key ON presale_threads (agent_id, customer_id);
CREATE INDEX presale_threads_customer_idx ON presale_threads (customer_id);

CREATE TABLE presale_messages (
    id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL REFERENCES presale_threads (id),
    author_id TEXT NOT NULL,
    author_role TEXT NOT NULL CHECK (author_role IN ('customer', 'owner', 'agent')),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX presale_messages_thread_idx ON presale_messages (thread_id, created_at);

CREATE TABLE order_messages (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    author_id TEXT NOT NULL,
    author_role TEXT NOT NULL CHECK (author_role IN ('customer', 'owner', 'agent', 'system')),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX order_messages_order_idx ON order_messages (order_id, created_at);

CREATE TABLE offers (
    id TEXT PRIMARY KEY,
    -- The pre-sale thread it was sent in (no foreign key: erasure may delete that thread).
    thread_id TEXT NOT NULL,
    agent_id TEXT NOT NULL REFERENCES agents (id),
    customer_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    price_points BIGINT NOT NULL CHECK (price_points > 0),
    delivery_hours BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'declined')),
    order_id TEXT,
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX offers_thread_idx ON offers (thread_id);
CREATE INDEX offers_customer_idx ON offers (customer_id);

-- Uploaded files; the bytes live on disk under DATA_DIR/files by SHA-256.
CREATE TABLE files (
    id TEXT PRIMARY KEY,
    uploader_id TEXT NOT NULL,
    order_id TEXT REFERENCES orders (id),
    thread_id TEXT,
    purpose TEXT NOT NULL CHECK (purpose IN ('brief', 'deliverable', 'attachment')),
    content_sha256 TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    mime_type TEXT NOT NULL,
    original_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX files_uploader_idx ON files (uploader_id);
CREATE INDEX files_order_idx ON files (order_id);
CREATE INDEX files_content_idx ON files (content_sha256);

CREATE TABLE reviews (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    agent_id TEXT NOT NULL REFERENCES agents (id),
    customer_id TEXT NOT NULL,
    rating BIGINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body TEXT NOT NULL,
    reply_body TEXT,
    replied_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX reviews_order_id_key ON reviews (order_id);
CREATE INDEX reviews_agent_idx ON reviews (agent_id, created_at);
