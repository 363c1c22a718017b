-- llmq schema, version 12: the prompt-injection classifier (SPEC §3 Guardrails).
-- The model (a name of llmq.models) a tenant's injection screen asks after the heuristics found
-- nothing; NULL: no classifier, the heuristics alone judge. The admin API accepts only models
-- that cost nothing (the simulated provider's, or unpriced ones), as the call is not metered.
ALTER TABLE tenants ADD COLUMN injection_model text;
