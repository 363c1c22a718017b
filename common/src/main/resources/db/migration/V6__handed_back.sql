-- Attempts a stopping worker handed back (SIGTERM, its grace over before the call ended). They were
-- started and are counted in attempts, but do not count against max_attempts: a deploy never costs a
-- job one of its attempts. The worker reads max_attempts + handed_back as the job's allowance.
ALTER TABLE jobs ADD COLUMN handed_back integer NOT NULL DEFAULT 0;
