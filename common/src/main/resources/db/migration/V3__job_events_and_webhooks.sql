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
