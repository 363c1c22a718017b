-- llmq schema, version 3: the terminal event of each job, and webhook deliveries with their log.

-- The id of the job's terminal event (the SSE `done` event, and the `<job id>.<event id>` of its
-- webhook). NULL while the job runs, and for a moment after it ended: the event is numbered when
-- it is appended to the job's event stream in Redis, right after the terminal status commits. A
-- terminal job whose id is still NULL after a grace period is announced by a sweep.
ALTER TABLE jobs ADD COLUMN terminal_event_id integer;
-- Jobs that ended before events existed have one event: their end.
UPDATE jobs SET terminal_event_id = 1
    WHERE status IN ('succeeded', 'failed', 'cancelled', 'expired');
CREATE INDEX jobs_unannounced ON jobs (completed_at)
    WHERE terminal_event_id IS NULL AND status IN ('succeeded', 'failed', 'cancelled', 'expired');

-- One row per message to send: the job's end, and each redelivery asked for. Its schedule lives
-- here, so a delivery survives any restart; senders lease due rows with FOR UPDATE SKIP LOCKED.
CREATE TABLE webhook_deliveries (
    id               bigserial PRIMARY KEY,
    job_id           uuid NOT NULL REFERENCES jobs (id),
    tenant_id        uuid NOT NULL,
    url              text NOT NULL,
    state            text NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'succeeded', 'failed')),
    -- attempts made so far; the retry schedule is indexed by it
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    -- the body, fixed by the first attempt so that every retry sends the same bytes
    payload          text,
    redelivery       boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_job ON webhook_deliveries (job_id);

-- Every HTTP attempt, for GET /v1/jobs/{id}/webhook-deliveries.
CREATE TABLE webhook_attempts (
    id            bigserial PRIMARY KEY,
    delivery_id   bigint NOT NULL REFERENCES webhook_deliveries (id),
    job_id        uuid NOT NULL,
    attempted_at  timestamptz NOT NULL,
    status_code   integer,
    latency_ms    integer NOT NULL,
    error         text
);
CREATE INDEX webhook_attempts_job ON webhook_attempts (job_id, id);

-- A job with a webhook_url that reaches a terminal status gets its delivery in the same
-- transaction, whoever ends it (a worker's result, a failure or expiry, a cancel in the api): the
-- database, not each code path, keeps the promise that a webhook is never lost.
CREATE FUNCTION llmq_webhook_on_end() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (job_id, tenant_id, url, next_attempt_at)
        VALUES (NEW.id, NEW.tenant_id, NEW.webhook_url, now());
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_webhook_on_end
    AFTER UPDATE OF status ON jobs
    FOR EACH ROW
    WHEN (NEW.webhook_url IS NOT NULL
          AND OLD.status IN ('queued', 'running')
          AND NEW.status IN ('succeeded', 'failed', 'cancelled', 'expired'))
    EXECUTE FUNCTION llmq_webhook_on_end();
