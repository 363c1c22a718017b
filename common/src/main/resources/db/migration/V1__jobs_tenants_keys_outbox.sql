-- llmq schema, version 1: tenants, their API keys, jobs and the job outbox.

CREATE TABLE tenants (
    id                   uuid PRIMARY KEY,
    name                 text NOT NULL,
    requests_per_minute  integer CHECK (requests_per_minute > 0),
    tokens_per_minute    integer CHECK (tokens_per_minute > 0),
    max_concurrent_jobs  integer CHECK (max_concurrent_jobs > 0),
    monthly_budget_usd   numeric(18, 6) CHECK (monthly_budget_usd >= 0),
    webhook_secret       text NOT NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    version              integer NOT NULL DEFAULT 0
);

CREATE TABLE api_keys (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    name        text NOT NULL,
    prefix      text NOT NULL,
    -- SHA-256 of the whole key, hex. Keys are 256 random bits, so no salt is needed.
    key_hash    text NOT NULL UNIQUE,
    -- space-separated scopes, as in OAuth
    scopes      text NOT NULL,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

CREATE TABLE jobs (
    id                uuid PRIMARY KEY,
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    status            text NOT NULL
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'expired')),
    model             text NOT NULL,
    request           jsonb NOT NULL,
    cache_mode        text NOT NULL,
    metadata          jsonb NOT NULL DEFAULT '{}',
    webhook_url       text,
    deadline_at       timestamptz,
    max_attempts      integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 10),
    attempts          integer NOT NULL DEFAULT 0,
    cached            boolean NOT NULL DEFAULT false,
    result            jsonb,
    prompt_tokens     integer,
    completion_tokens integer,
    total_tokens      integer,
    cost_usd          numeric(18, 10),
    error_code        text,
    error_message     text,
    idempotency_key   text,
    -- SHA-256 of the canonical submit body, to tell a replay from a conflicting reuse of a key
    idempotency_hash  text,
    created_at        timestamptz NOT NULL,
    started_at        timestamptz,
    completed_at      timestamptz,
    -- which worker runs the job and until when; a lapsed lease means the worker died
    lease_owner       text,
    lease_expires_at  timestamptz,
    version           integer NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (tenant_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_tenant_newest ON jobs (tenant_id, created_at DESC, id DESC);
CREATE INDEX jobs_lapsed_leases ON jobs (lease_expires_at) WHERE status = 'running';

-- Messages that must reach RabbitMQ, written in the transaction that needs them.
CREATE TABLE job_outbox (
    id            bigserial PRIMARY KEY,
    job_id        uuid NOT NULL,
    tenant_id     uuid NOT NULL,
    available_at  timestamptz NOT NULL,
    attempts      integer NOT NULL DEFAULT 0
);
CREATE INDEX job_outbox_due ON job_outbox (available_at);
