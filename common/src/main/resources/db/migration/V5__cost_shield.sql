-- llmq schema, version 5: the cost shield. Key limits, budget alerts, the usage ledger, monthly
-- budget counters with their reservations, and the slots of max_concurrent_jobs.

ALTER TABLE tenants ADD COLUMN alert_webhook_url text;

-- A key's own limits apply on top of its tenant's.
ALTER TABLE api_keys
    ADD COLUMN requests_per_minute integer CHECK (requests_per_minute > 0),
    ADD COLUMN monthly_budget_usd  numeric(18, 6) CHECK (monthly_budget_usd >= 0);

ALTER TABLE jobs
    -- the key that submitted the job, whose budget it spends besides its tenant's
    ADD COLUMN key_id          uuid,
    -- who answered: the provider and llmq's model name (SPEC served_by); NULL until a call answers
    ADD COLUMN served_provider text,
    ADD COLUMN served_model    text,
    -- the job holds one of its tenant's max_concurrent_jobs slots until then
    ADD COLUMN slot_until      timestamptz,
    -- the job waits for one of those slots since then (it stays queued and holds no message)
    ADD COLUMN parked_at       timestamptz;
CREATE INDEX jobs_slot_holders ON jobs (tenant_id) WHERE slot_until IS NOT NULL;
CREATE INDEX jobs_parked ON jobs (tenant_id, parked_at, id)
    WHERE parked_at IS NOT NULL AND status = 'queued';

-- One row per upstream attempt (kind 'call') and per answer from the cache (kind 'cache_hit').
-- A call's row is written when its attempt is claimed (outcome 'running', with the attempt's worst
-- case) and settled once with what the provider billed. The usage API reads nothing else, and a
-- job's cost_usd is the sum of its rows: both are changed in the same transaction.
CREATE TABLE usage_ledger (
    id                  bigserial PRIMARY KEY,
    tenant_id           uuid NOT NULL,
    key_id              uuid,
    job_id              uuid NOT NULL,
    attempt             integer NOT NULL,
    kind                text NOT NULL CHECK (kind IN ('call', 'cache_hit')),
    provider            text,
    -- llmq's name of the model that was priced
    model               text NOT NULL,
    prompt_tokens       integer NOT NULL DEFAULT 0,
    cached_tokens       integer NOT NULL DEFAULT 0,
    cache_write_tokens  integer NOT NULL DEFAULT 0,
    completion_tokens   integer NOT NULL DEFAULT 0,
    cost_usd            numeric(18, 10) NOT NULL DEFAULT 0,
    cost_saved_usd      numeric(18, 10) NOT NULL DEFAULT 0,
    -- the attempt's upper bound of cost, reserved against budgets until it is settled
    worst_usd           numeric(18, 10) NOT NULL DEFAULT 0,
    -- whether worst_usd is held in budget_months.reserved_usd
    reserved            boolean NOT NULL DEFAULT false,
    settled             boolean NOT NULL DEFAULT false,
    -- running, succeeded, failed, aborted (the job was cancelled or taken back mid-call: charged
    -- the prompt and the output streamed), lost (the worker died: counted at worst_usd), cache_hit
    outcome             text NOT NULL,
    error_code          text,
    started_at          timestamptz NOT NULL,
    ended_at            timestamptz,
    -- the UTC month whose budget the attempt spends (the month it started in)
    month               date NOT NULL,
    UNIQUE (job_id, attempt)
);
-- Usage reports read a tenant's rows by time and nothing else: the index covers them, so a report
-- of a busy month reads no heap pages (150k rows: 60-90 ms instead of 1-2.5 s).
CREATE INDEX usage_ledger_tenant ON usage_ledger (tenant_id, started_at)
    INCLUDE (kind, model, prompt_tokens, cached_tokens, completion_tokens, cost_usd, cost_saved_usd);
-- Lets the planner hash rows into their UTC days rather than sort them.
CREATE STATISTICS usage_ledger_day ON ((started_at AT TIME ZONE 'UTC')::date) FROM usage_ledger;
CREATE INDEX usage_ledger_tenant_month ON usage_ledger (tenant_id, month);
CREATE INDEX usage_ledger_key_month ON usage_ledger (key_id, month) WHERE key_id IS NOT NULL;
CREATE INDEX usage_ledger_open ON usage_ledger (started_at) WHERE NOT settled;

-- A month's spend and live reservations of a tenant or key that has (or had) a budget. A row is
-- made from the ledger on first use, so it can always be rebuilt: delete it and the next use sums
-- the ledger again. Redis plays no part in budgets.
CREATE TABLE budget_months (
    scope         text NOT NULL CHECK (scope IN ('tenant', 'key')),
    scope_id      uuid NOT NULL,
    month         date NOT NULL,
    spent_usd     numeric(18, 10) NOT NULL,
    reserved_usd  numeric(18, 10) NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, scope_id, month)
);

-- Budget alerts sent, so that each threshold fires once per month.
CREATE TABLE budget_alerts (
    tenant_id  uuid NOT NULL,
    month      date NOT NULL,
    threshold  numeric(6, 4) NOT NULL,
    sent_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, month, threshold)
);

-- Webhook deliveries that belong to no job (budget alerts) carry their webhook-id and body.
ALTER TABLE webhook_deliveries ALTER COLUMN job_id DROP NOT NULL;
ALTER TABLE webhook_deliveries ADD COLUMN message_id text;
ALTER TABLE webhook_attempts ALTER COLUMN job_id DROP NOT NULL;
CREATE INDEX webhook_deliveries_tenant_alerts ON webhook_deliveries (tenant_id, id)
    WHERE job_id IS NULL;

-- The budget row of a scope and month, made from the ledger when missing. The advisory lock makes
-- one transaction at a time build it, so a row never misses or doubles a ledger row: a writer
-- that finds the row adds to it; one that builds it sums what was committed before.
CREATE FUNCTION llmq_budget_row(p_scope text, p_id uuid, p_month date) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM budget_months WHERE scope = p_scope AND scope_id = p_id AND month = p_month) THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended(p_scope || ':' || p_id || ':' || p_month, 0));
    INSERT INTO budget_months (scope, scope_id, month, spent_usd, reserved_usd)
        SELECT p_scope, p_id, p_month, coalesce(sum(l.cost_usd), 0), 0
        FROM usage_ledger l
        WHERE l.month = p_month
          AND ((p_scope = 'tenant' AND l.tenant_id = p_id) OR (p_scope = 'key' AND l.key_id = p_id))
          AND l.settled
    ON CONFLICT DO NOTHING;
END;
$$;

-- What a scope has spent and holds reserved in a month: its budget row, or the ledger when it has
-- none (nothing can be reserved without a row).
CREATE FUNCTION llmq_budget_use(p_scope text, p_id uuid, p_month date,
                                OUT spent_usd numeric, OUT reserved_usd numeric)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    SELECT b.spent_usd, b.reserved_usd INTO spent_usd, reserved_usd FROM budget_months b
        WHERE b.scope = p_scope AND b.scope_id = p_id AND b.month = p_month;
    IF NOT FOUND THEN
        SELECT coalesce(sum(l.cost_usd), 0), 0 INTO spent_usd, reserved_usd FROM usage_ledger l
            WHERE l.month = p_month AND l.settled
              AND ((p_scope = 'tenant' AND l.tenant_id = p_id) OR (p_scope = 'key' AND l.key_id = p_id));
    END IF;
END;
$$;

-- Claims a queued job for a call attempt and writes the attempt's ledger row, after reserving its
-- worst case against the budgets of the job's tenant and key, all in one transaction. Budget rows
-- are locked tenant first, then key, so two claims never deadlock. Returns the claim's attempts and
-- version; refused = 'tenant' or 'key' (nothing changed) when the worst case does not fit in
-- budget - spent - reserved; no row when the job changed since it was read.
CREATE FUNCTION llmq_claim_call(p_job uuid, p_version integer, p_owner text, p_lease float8,
                                p_provider text, p_model text, p_worst numeric,
                                p_now timestamptz, p_month date)
RETURNS TABLE (attempts integer, version integer, refused text)
LANGUAGE plpgsql AS $$
DECLARE
    j        record;
    t_budget numeric;
    k_budget numeric;
    b        record;
    held     boolean := false;
BEGIN
    SELECT jobs.tenant_id, jobs.key_id INTO j FROM jobs WHERE jobs.id = p_job;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT monthly_budget_usd INTO t_budget FROM tenants WHERE id = j.tenant_id;
    IF j.key_id IS NOT NULL THEN
        SELECT monthly_budget_usd INTO k_budget FROM api_keys WHERE id = j.key_id;
    END IF;
    IF t_budget IS NOT NULL THEN
        PERFORM llmq_budget_row('tenant', j.tenant_id, p_month);
        SELECT * INTO b FROM budget_months
            WHERE scope = 'tenant' AND scope_id = j.tenant_id AND month = p_month FOR UPDATE;
        IF b.spent_usd + b.reserved_usd + p_worst > t_budget THEN
            RETURN QUERY SELECT NULL::integer, NULL::integer, 'tenant'::text;
            RETURN;
        END IF;
    END IF;
    IF k_budget IS NOT NULL THEN
        PERFORM llmq_budget_row('key', j.key_id, p_month);
        SELECT * INTO b FROM budget_months
            WHERE scope = 'key' AND scope_id = j.key_id AND month = p_month FOR UPDATE;
        IF b.spent_usd + b.reserved_usd + p_worst > k_budget THEN
            RETURN QUERY SELECT NULL::integer, NULL::integer, 'key'::text;
            RETURN;
        END IF;
    END IF;
    UPDATE jobs SET status = 'running', attempts = jobs.attempts + 1,
                    started_at = coalesce(started_at, now()), lease_owner = p_owner,
                    lease_expires_at = now() + make_interval(secs => p_lease),
                    slot_until = CASE WHEN slot_until IS NULL THEN NULL
                                      ELSE now() + make_interval(secs => p_lease) END,
                    version = jobs.version + 1
        WHERE jobs.id = p_job AND jobs.version = p_version
        RETURNING jobs.attempts, jobs.version INTO attempts, version;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    held := t_budget IS NOT NULL OR k_budget IS NOT NULL;
    IF held THEN
        UPDATE budget_months SET reserved_usd = reserved_usd + p_worst
            WHERE month = p_month
              AND ((scope = 'tenant' AND scope_id = j.tenant_id AND t_budget IS NOT NULL)
                OR (scope = 'key' AND scope_id = j.key_id AND k_budget IS NOT NULL));
    END IF;
    INSERT INTO usage_ledger (tenant_id, key_id, job_id, attempt, kind, provider, model, worst_usd,
                              reserved, outcome, started_at, month)
        VALUES (j.tenant_id, j.key_id, p_job, attempts, 'call', p_provider, p_model, p_worst,
                held, 'running', p_now, p_month);
    refused := NULL;
    RETURN NEXT;
END;
$$;

-- Settles a call attempt once: its ledger row gets what the provider billed, the job's cost_usd
-- and the budget rows' spend grow by it, and the reservation is released, in one transaction. A
-- second settle of the same attempt changes nothing. Thresholds of the tenant's budget that the
-- spend crosses queue one budget.threshold webhook each (once per month) to alert_webhook_url.
-- Returns the ledger row's tenant, the thresholds crossed, and what remains of the tenant's budget
-- (budget - spent - reserved; NULL without a budget).
CREATE FUNCTION llmq_settle_call(p_job uuid, p_attempt integer, p_prompt integer,
                                 p_cached integer, p_cache_write integer, p_completion integer,
                                 p_cost numeric, p_outcome text, p_error text, p_now timestamptz,
                                 p_thresholds numeric[])
RETURNS TABLE (tenant_id uuid, crossed numeric[], remaining numeric)
LANGUAGE plpgsql AS $$
DECLARE
    l       record;
    t       record;
    before  numeric;
    after   numeric;
    th      numeric;
    hits    numeric[] := '{}';
BEGIN
    UPDATE usage_ledger SET prompt_tokens = p_prompt, cached_tokens = p_cached,
                            cache_write_tokens = p_cache_write, completion_tokens = p_completion,
                            cost_usd = p_cost, outcome = p_outcome, error_code = p_error,
                            ended_at = p_now, settled = true
        WHERE usage_ledger.job_id = p_job AND usage_ledger.attempt = p_attempt
          AND usage_ledger.kind = 'call' AND NOT usage_ledger.settled
        RETURNING usage_ledger.tenant_id, usage_ledger.key_id, usage_ledger.worst_usd,
                  usage_ledger.reserved, usage_ledger.month INTO l;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    UPDATE jobs SET cost_usd = coalesce(cost_usd, 0) + p_cost WHERE id = p_job;
    SELECT b.spent_usd INTO before FROM budget_months b
        WHERE b.scope = 'tenant' AND b.scope_id = l.tenant_id AND b.month = l.month;
    UPDATE budget_months
        SET spent_usd = spent_usd + p_cost,
            reserved_usd = CASE WHEN l.reserved THEN greatest(reserved_usd - l.worst_usd, 0)
                                ELSE reserved_usd END
        WHERE month = l.month
          AND ((scope = 'tenant' AND scope_id = l.tenant_id)
            OR (scope = 'key' AND scope_id = l.key_id));
    SELECT tn.monthly_budget_usd, tn.alert_webhook_url INTO t FROM tenants tn WHERE tn.id = l.tenant_id;
    IF before IS NOT NULL AND t.monthly_budget_usd IS NOT NULL AND t.monthly_budget_usd > 0
       AND t.alert_webhook_url IS NOT NULL AND p_cost > 0 THEN
        after := before + p_cost;
        FOREACH th IN ARRAY coalesce(p_thresholds, '{}') LOOP
            IF after >= th * t.monthly_budget_usd THEN
                INSERT INTO budget_alerts (tenant_id, month, threshold)
                    VALUES (l.tenant_id, l.month, th) ON CONFLICT DO NOTHING;
                IF FOUND THEN
                    hits := hits || th;
                    INSERT INTO webhook_deliveries (job_id, tenant_id, url, next_attempt_at,
                                                    message_id, payload)
                        VALUES (NULL, l.tenant_id, t.alert_webhook_url, now(),
                                'budget.' || l.tenant_id || '.' || to_char(l.month, 'YYYY-MM')
                                    || '.' || th::text,
                                jsonb_build_object(
                                    'type', 'budget.threshold',
                                    'timestamp', to_char(p_now AT TIME ZONE 'UTC',
                                                         'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                                    'data', jsonb_build_object(
                                        'tenant_id', l.tenant_id,
                                        'month', to_char(l.month, 'YYYY-MM'),
                                        'threshold', th,
                                        'spent_usd', after,
                                        'budget_usd', t.monthly_budget_usd))::text);
                END IF;
            END IF;
        END LOOP;
    END IF;
    tenant_id := l.tenant_id;
    crossed := hits;
    SELECT t.monthly_budget_usd - b.spent_usd - b.reserved_usd INTO remaining FROM budget_months b
        WHERE b.scope = 'tenant' AND b.scope_id = l.tenant_id AND b.month = l.month;
    RETURN NEXT;
END;
$$;

-- Open call attempts whose job no longer runs them (the worker died, or the job was cancelled or
-- taken back and its worker never reported) are settled as 'lost' at their worst case: llmq cannot
-- know what the provider billed, and counting less could let a budget be overspent. Runs in every
-- worker's reaper; SKIP LOCKED keeps replicas apart. p_grace leaves the worker of a job that ended
-- meanwhile (a cancel mid-call), or whose lease lapsed only just, time to settle it first.
CREATE FUNCTION llmq_settle_lost(p_grace float8, p_thresholds numeric[])
RETURNS TABLE (job_id uuid, attempt integer)
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT l.job_id, l.attempt, l.worst_usd FROM usage_ledger l
        WHERE NOT l.settled AND l.kind = 'call'
          AND l.started_at < now() - make_interval(secs => p_grace)
          AND NOT EXISTS (SELECT 1 FROM jobs jb WHERE jb.id = l.job_id
                          AND (jb.status = 'running' AND jb.attempts = l.attempt
                               AND jb.lease_expires_at > now() - make_interval(secs => p_grace)
                               OR jb.completed_at > now() - make_interval(secs => p_grace)))
        ORDER BY l.started_at LIMIT 100 FOR UPDATE OF l SKIP LOCKED
    LOOP
        PERFORM llmq_settle_call(r.job_id, r.attempt, 0, 0, 0, 0, r.worst_usd, 'lost', NULL, now(),
                                 p_thresholds);
        job_id := r.job_id;
        attempt := r.attempt;
        RETURN NEXT;
    END LOOP;
END;
$$;

-- max_concurrent_jobs. A job holds one of its tenant's slots while slot_until lies ahead: from
-- before it waits for the governor until it leaves 'running' (the heartbeat renews it with the
-- lease, so a dead worker's slot frees itself). A job that finds every slot taken, or jobs of its
-- tenant waiting before it, is parked: it stays queued, holds no message, and is handed a slot (and
-- a fresh message through the outbox) when one frees, oldest first. Every change of a tenant's
-- slots takes the tenant's advisory lock, so replicas never hand out one slot twice.

-- Hands the tenant's free slots to its oldest parked jobs and queues their messages. Without a
-- limit any more, every parked job is let go. Returns the jobs and their outbox rows.
CREATE FUNCTION llmq_hand_over(p_tenant uuid, p_hold float8)
RETURNS TABLE (job_id uuid, tenant_id uuid, outbox_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    lim   integer;
    free  integer;
    r     record;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('slots:' || p_tenant, 0));
    SELECT max_concurrent_jobs INTO lim FROM tenants WHERE id = p_tenant;
    IF lim IS NULL THEN
        free := 2147483647;
    ELSE
        SELECT lim - count(*) INTO free FROM jobs
            WHERE jobs.tenant_id = p_tenant AND slot_until > now();
    END IF;
    IF free <= 0 THEN
        RETURN;
    END IF;
    FOR r IN
        SELECT j.id FROM jobs j
        WHERE j.tenant_id = p_tenant AND j.status = 'queued' AND j.parked_at IS NOT NULL
        ORDER BY j.parked_at, j.id LIMIT free FOR UPDATE
    LOOP
        UPDATE jobs SET parked_at = NULL,
                        slot_until = CASE WHEN lim IS NULL THEN NULL
                                          ELSE now() + make_interval(secs => p_hold) END
            WHERE jobs.id = r.id;
        -- Hidden from outbox sweeps for a while: the caller publishes it at once (the sweep
        -- covers a caller that fails to), as with a submit's row.
        INSERT INTO job_outbox (job_id, tenant_id, available_at)
            VALUES (r.id, p_tenant, now() + interval '5 seconds')
            RETURNING id INTO outbox_id;
        job_id := r.id;
        tenant_id := p_tenant;
        RETURN NEXT;
    END LOOP;
END;
$$;

-- A queued job asks for a slot of its tenant's p_max: 'held' (it has one now, perhaps handed to it
-- while its message travelled), or 'parked' (it waits, in order). 'gone' for a job that is no
-- longer queued.
CREATE FUNCTION llmq_take_slot(p_job uuid, p_max integer, p_hold float8) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    j      record;
    held   integer;
    ahead  boolean;
BEGIN
    SELECT tenant_id, status, slot_until, parked_at INTO j FROM jobs WHERE id = p_job;
    IF NOT FOUND OR j.status <> 'queued' THEN
        RETURN 'gone';
    END IF;
    -- The tenant's lock before the job's row, as llmq_hand_over takes them.
    PERFORM pg_advisory_xact_lock(hashtextextended('slots:' || j.tenant_id, 0));
    SELECT slot_until, parked_at INTO j.slot_until, j.parked_at FROM jobs WHERE id = p_job;
    IF j.slot_until > now() THEN
        UPDATE jobs SET slot_until = now() + make_interval(secs => p_hold), parked_at = NULL
            WHERE id = p_job;
        RETURN 'held';
    END IF;
    SELECT count(*) INTO held FROM jobs
        WHERE tenant_id = j.tenant_id AND slot_until > now() AND id <> p_job;
    SELECT EXISTS (SELECT 1 FROM jobs
                   WHERE tenant_id = j.tenant_id AND status = 'queued' AND parked_at IS NOT NULL
                     AND id <> p_job
                     AND (j.parked_at IS NULL OR (parked_at, id) < (j.parked_at, p_job)))
        INTO ahead;
    IF held < p_max AND NOT ahead THEN
        UPDATE jobs SET slot_until = now() + make_interval(secs => p_hold), parked_at = NULL
            WHERE id = p_job;
        RETURN 'held';
    END IF;
    UPDATE jobs SET parked_at = coalesce(parked_at, clock_timestamp()), slot_until = NULL
        WHERE id = p_job;
    RETURN 'parked';
END;
$$;

-- A queued job gives its slot back without running (it waits for capacity too long to hold its
-- message); the next parked job gets it.
CREATE FUNCTION llmq_free_slot(p_job uuid, p_hold float8)
RETURNS TABLE (job_id uuid, tenant_id uuid, outbox_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    t uuid;
BEGIN
    UPDATE jobs SET slot_until = NULL WHERE id = p_job AND slot_until IS NOT NULL
        RETURNING jobs.tenant_id INTO t;
    IF FOUND THEN
        RETURN QUERY SELECT * FROM llmq_hand_over(t, p_hold);
    END IF;
END;
$$;

-- Slots whose holder died, or that a handed-over job never came for, lapse: every reaper tick
-- hands them to parked jobs. Returns what it handed over.
CREATE FUNCTION llmq_hand_over_lapsed(p_hold float8)
RETURNS TABLE (job_id uuid, tenant_id uuid, outbox_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    t uuid;
BEGIN
    FOR t IN SELECT DISTINCT j.tenant_id FROM jobs j
             WHERE j.status = 'queued' AND j.parked_at IS NOT NULL LOOP
        RETURN QUERY SELECT * FROM llmq_hand_over(t, p_hold);
    END LOOP;
END;
$$;

-- A job that leaves 'running' (it ended, or went back to the queue) or ends while it held a slot
-- gives the slot back in the same transaction, whoever changed it (worker, reaper, the api's
-- cancel). Handing it on is left to a statement of its own (llmq_hand_over, called by whoever made
-- the change, and every reaper tick): taking the tenant's lock here, while the job's row is locked,
-- could deadlock with a llmq_take_slot that holds the tenant's lock and waits for that row.
CREATE FUNCTION llmq_slot_on_leave() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.slot_until := NULL;
    RETURN NEW;
END;
$$;

CREATE TRIGGER jobs_slot_on_leave
    BEFORE UPDATE OF status ON jobs
    FOR EACH ROW
    WHEN (OLD.slot_until IS NOT NULL AND NEW.status NOT IN ('queued', 'running')
          OR OLD.slot_until IS NOT NULL AND OLD.status = 'running' AND NEW.status = 'queued')
    EXECUTE FUNCTION llmq_slot_on_leave();
