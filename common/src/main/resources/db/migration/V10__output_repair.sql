-- llmq schema, version 10: repairs of output that failed its response format (SPEC §3 Guardrails).
-- An invalid answer sends its job back to the queue with the answer and its validation errors in
-- repair (a JSON array, one {answer, errors} entry per repair); the next attempt's request gets
-- them as an assistant turn and a user turn asking for a corrected answer. repairs counts them:
-- like handed_back, they are attempts that do not count against max_attempts, so the worker reads
-- max_attempts + handed_back + repairs as the job's allowance.
ALTER TABLE jobs
    ADD COLUMN repair  jsonb,
    ADD COLUMN repairs integer NOT NULL DEFAULT 0;
