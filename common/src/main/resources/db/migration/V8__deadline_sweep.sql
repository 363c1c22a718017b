-- llmq schema, version 8: the deadline sweep. Every worker replica looks, about once a second, for
-- queued jobs whose deadline passed before they ever started (JobTransitions' sweep, whose WHERE
-- this predicate matches). Only queued jobs with a deadline that never started are indexed, so the
-- index stays as small as the backlog of such jobs and the sweep reads nothing else.
CREATE INDEX jobs_overdue ON jobs (deadline_at)
    WHERE status = 'queued' AND started_at IS NULL AND deadline_at IS NOT NULL;
