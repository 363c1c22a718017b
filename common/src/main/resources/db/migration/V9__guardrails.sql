-- llmq schema, version 9: guardrails (SPEC §2 Auth "policies", §2 The job "guardrails", §3).
-- A tenant's policies: moderation and injection screening ('off', 'flag' records the verdict on
-- the job, 'block' fails it content_blocked), and whether its jobs may fall back to another model.
ALTER TABLE tenants
    ADD COLUMN moderation text NOT NULL DEFAULT 'off' CHECK (moderation IN ('off', 'flag', 'block')),
    ADD COLUMN injection  text NOT NULL DEFAULT 'off' CHECK (injection IN ('off', 'flag', 'block')),
    ADD COLUMN fallbacks  text NOT NULL DEFAULT 'on' CHECK (fallbacks IN ('on', 'off'));

-- What the guardrails did to a job (verdicts, repairs, trimmed turns), as the job shows it; NULL
-- while none of them recorded anything.
ALTER TABLE jobs ADD COLUMN guardrails jsonb;
