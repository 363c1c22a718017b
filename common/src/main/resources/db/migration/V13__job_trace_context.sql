-- llmq schema, version 13: one trace per job (SPEC §5, issue 16).
-- The W3C trace context of the job's submit: its traceparent, then a newline and its tracestate
-- when there is one. The outbox sweep and the worker read it when they publish the job again (a
-- retry, a lease the reaper took back, a deferred job), so the job's later spans stay in the trace
-- its submit began. NULL when tracing was off at the submit.
ALTER TABLE jobs ADD COLUMN trace_context text;
