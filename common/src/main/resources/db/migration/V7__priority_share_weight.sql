-- llmq schema, version 7: the inputs of fair share (SPEC §3). A job's priority orders it among its
-- own tenant's jobs; a tenant's share weight sets its part of a contended limit against the others.

-- The job's priority as its rank (io.llmq.common.job.Priority): 0 high, 1 normal, 2 low. A rank,
-- not the word, so that "ORDER BY priority" is the order the scheduler serves in. Jobs made before
-- priorities existed are normal, as a submission that names none.
ALTER TABLE jobs ADD COLUMN priority smallint NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 2);

-- The tenant's weight in fair share: under contention tenants get capacity in proportion to it.
-- Never absent: the default weight is 1, and the admin's "share_weight": null puts it back to 1.
-- The bounds are the api's (0.01 to 1000): a ratio of 100,000 between two tenants at most, and no
-- weight so small that a tenant's share rounds to nothing.
ALTER TABLE tenants ADD COLUMN share_weight double precision NOT NULL DEFAULT 1
    CHECK (share_weight >= 0.01 AND share_weight <= 1000);
