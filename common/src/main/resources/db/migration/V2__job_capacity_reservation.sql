-- The governor's reservation a job keeps while it is put back to wait for capacity (JSON written
-- by the worker), so that it waits once and keeps its place; cleared when the job is claimed.
ALTER TABLE jobs ADD COLUMN capacity_reservation jsonb;
